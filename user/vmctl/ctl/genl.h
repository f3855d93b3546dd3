/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmctl's control channel: the module's generic netlink family "vmmon"
 * (include/uapi/vmmon_genl.h), through libnl-genl-3.
 */
#ifndef VMCTL_CTL_GENL_H
#define VMCTL_CTL_GENL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/genl/genl.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_genl.h>

#define CTL_EXT_MSG_MAX	256

struct ctl {
	struct nl_sock *sk;
	int family;		/* the family's id, from the controller */
	unsigned int version;	/* the module's VMMON_GENL_VERSION */
	/* The last request's error: a negative errno and the kernel's text. */
	int err;
	char ext_msg[CTL_EXT_MSG_MAX];
	const char *local_msg;	/* or vmctl's or libnl's words, or NULL */
};

/*
 * Connect and resolve the family; on failure say why in one line (no
 * family: module not loaded or older; another version) and return -1.
 * With @quiet nothing is printed (vmctl info says it its own way).
 */
int ctl_open(struct ctl *c, bool quiet);
void ctl_close(struct ctl *c);

/*
 * The callback for each reply message of a request: @tb holds its
 * attributes, parsed with the family's reply policy.  Non-zero stops.
 */
typedef int (*ctl_reply_fn)(struct nlattr **tb, void *arg);

/*
 * Send @cmd with the attributes @fill adds (NULL: none), NLM_F_DUMP when
 * @dump, and hand each reply to @each.  0, or a negative errno with the
 * kernel's extended ack text in c->ext_msg.
 */
int ctl_request(struct ctl *c, uint8_t cmd, bool dump,
		int (*fill)(struct nl_msg *msg, const void *arg),
		const void *fill_arg, ctl_reply_fn each, void *each_arg);

/*
 * "vmctl: WHAT: strerror (the module says: TEXT)" for c's last error
 * @err, or with c->local_msg when the error is not the module's.
 */
void ctl_perror(const struct ctl *c, const char *what, int err);

/*
 * Join the events group; then ctl_recv() hands each message to @each.
 * Returns 0 or -1 after a message.
 */
int ctl_subscribe_events(struct ctl *c);
int ctl_recv(struct ctl *c, ctl_reply_fn each, void *arg);

/* The top-level reply policy, for nested attributes' parsers. */
extern struct nla_policy ctl_attr_policy[VMMON_A_MAX + 1];

#endif /* VMCTL_CTL_GENL_H */
