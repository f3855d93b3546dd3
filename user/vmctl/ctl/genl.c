// SPDX-License-Identifier: GPL-2.0
/*
 * The control channel: a libnl-genl socket to the module's "vmmon"
 * family, requests and their replies, and the kernel's extended acks
 * (a refusal's reason in words, which vmctl passes on to the user).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include "ctl/genl.h"
#include "vmctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/*
 * What vmctl accepts in a reply.  Types and sizes only: a newer module's
 * extra attributes are beyond VMMON_A_MAX and skipped by libnl.
 */
struct nla_policy ctl_attr_policy[VMMON_A_MAX + 1] = {
	[VMMON_A_VM_ID] = { .type = NLA_U32 },
	[VMMON_A_VM_NAME] = { .type = NLA_STRING, .maxlen = VMMON_NAME_MAX },
	[VMMON_A_VM_OWNER_UID] = { .type = NLA_U32 },
	[VMMON_A_VM_OWNER_PID] = { .type = NLA_U32 },
	[VMMON_A_VM_STATE] = { .type = NLA_U32 },
	[VMMON_A_VM_CREATED_NS] = { .type = NLA_U64 },
	[VMMON_A_VM_NR_VCPUS] = { .type = NLA_U32 },
	[VMMON_A_VM_MEM] = { .type = NLA_NESTED },
	[VMMON_A_VM_EXITS] = { .type = NLA_NESTED },
	[VMMON_A_VM_RUN_NS] = { .type = NLA_U64 },
	[VMMON_A_VM_VCPUS] = { .type = NLA_NESTED },
	[VMMON_A_EVENT] = { .type = NLA_U32 },
	[VMMON_A_MOD_API_VERSION] = { .type = NLA_U32 },
	[VMMON_A_MOD_GENL_VERSION] = { .type = NLA_U32 },
	[VMMON_A_MOD_BACKEND] = { .type = NLA_STRING },
	[VMMON_A_MOD_FEATURES] = { .type = NLA_STRING },
	[VMMON_A_MOD_MITIGATIONS] = { .type = NLA_STRING },
	[VMMON_A_MOD_COUNTERS] = { .type = NLA_NESTED },
	[VMMON_A_MOD_NR_VMS] = { .type = NLA_U32 },
	[VMMON_A_MOD_NR_VCPUS] = { .type = NLA_U32 },
	[VMMON_A_MOD_GUEST_PAGES] = { .type = NLA_U64 },
	[VMMON_A_MOD_VMX_CPUS] = { .type = NLA_U32 },
	[VMMON_A_VM_BALLOON] = { .type = NLA_NESTED },
	[VMMON_A_VM_MEMSCHED] = { .type = NLA_NESTED },
	[VMMON_A_MOD_MEMSCHED] = { .type = NLA_NESTED },
	[VMMON_A_KSM_PAGES_PER_PASS] = { .type = NLA_U32 },
	[VMMON_A_KSM_SLEEP_MS] = { .type = NLA_U32 },
};

/* Why ctl_open() failed: in c->ext_msg, and on stderr unless @quiet. */
static void __attribute__((format(printf, 3, 4)))
ctl_fail(struct ctl *c, bool quiet, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->ext_msg, sizeof(c->ext_msg), fmt, ap);
	va_end(ap);
	if (!quiet)
		vmctl_err("%s", c->ext_msg);
}

int ctl_open(struct ctl *c, bool quiet)
{
	struct genl_family *fam;
	struct nl_cache *cache = NULL;
	int one = 1, err;

	memset(c, 0, sizeof(*c));
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		ctl_fail(c, quiet, "cannot allocate a netlink socket");
		return -1;
	}
	err = genl_connect(c->sk);
	if (err) {
		ctl_fail(c, quiet, "cannot open a generic netlink socket: %s",
			 nl_geterror(err));
		goto err;
	}
	/*
	 * libnl 3.7 (Debian 12) has no nl_socket_set_ext_ack(): ask the
	 * kernel directly for the reason of a refusal in words, and for
	 * errors without our request echoed back in them.
	 */
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	/* A VM with many vCPUs does not fit a page: let libnl size reads. */
	nl_socket_enable_msg_peek(c->sk);

	/* One dump of the controller's families gives the id and version. */
	err = genl_ctrl_alloc_cache(c->sk, &cache);
	if (err) {
		ctl_fail(c, quiet, "cannot ask the kernel for its netlink families: %s",
			 nl_geterror(err));
		goto err;
	}
	fam = genl_ctrl_search_by_name(cache, VMMON_GENL_NAME);
	if (!fam) {
		ctl_fail(c, quiet, "the vmmon module has no netlink family '%s' (not loaded, or older than this vmctl)",
			 VMMON_GENL_NAME);
		goto err;
	}
	c->family = genl_family_get_id(fam);
	c->version = genl_family_get_version(fam);
	genl_family_put(fam);
	nl_cache_free(cache);
	cache = NULL;
	/* A version is a change of meaning: neither side can guess the other's. */
	if (c->version != VMMON_GENL_VERSION) {
		ctl_fail(c, quiet, "the vmmon module's netlink family is version %u, this vmctl speaks version %d: use the vmctl built with the module (%s)",
			 c->version, VMMON_GENL_VERSION,
			 c->version < VMMON_GENL_VERSION ?
			 "the module is older" : "the module is newer");
		goto err;
	}
	return 0;
err:
	if (cache)
		nl_cache_free(cache);
	nl_socket_free(c->sk);
	c->sk = NULL;
	return -1;
}

void ctl_close(struct ctl *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

struct ctl_call {
	struct ctl *c;
	ctl_reply_fn each;
	void *arg;
	int stopped;		/* the callback's non-zero return */
	bool done;		/* the ack, or the end of the dump, came */
};

static int ctl_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VMMON_A_MAX + 1];
	struct ctl_call *call = arg;
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMMON_A_MAX,
			    ctl_attr_policy);
	if (err) {
		/* Malformed for our policy: the module and vmctl disagree. */
		call->c->err = -EPROTO;
		call->c->local_msg = "a reply from the module does not parse";
		return NL_STOP;
	}
	if (!call->each)
		return NL_OK;
	call->stopped = call->each(tb, call->arg);
	return call->stopped ? NL_STOP : NL_OK;
}

/*
 * NETLINK_EXT_ACK: the error message carries NLMSGERR_ATTR_* after the
 * struct nlmsgerr (and after our request, unless capped).
 */
static int ctl_on_error(struct sockaddr_nl *who, struct nlmsgerr *e,
			void *arg)
{
	static struct nla_policy ack_policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
	};
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct ctl *c = ((struct ctl_call *)arg)->c;
	int len = nlmsg_datalen(nlh), off = sizeof(*e);

	(void)who;
	c->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (off >= len ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      len - off, ack_policy))
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(c->ext_msg, sizeof(c->ext_msg), "%.*s",
			 nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int ctl_on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct ctl_call *)arg)->done = true;
	return NL_STOP;
}

/*
 * The end of a dump.  A dump that fails part way ends with the errno in
 * NLMSG_DONE's payload (and the extack after it), which libnl 3.7 does
 * not look at: a list cut short must not pass for the whole list.
 */
static int ctl_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ctl_call *call = arg;
	int err;

	call->done = true;
	if (nlmsg_datalen(nlh) < (int)sizeof(err))
		return NL_STOP;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err < 0) {
		call->c->err = err;
		call->c->local_msg = "the module ended the list early";
	}
	return NL_STOP;
}

/*
 * Receive until the ack, the end of a dump, or an error (@until_done),
 * else one read.  nl_recvmsgs() returns after each message that is not
 * part of a dump: a reply and its ack are two reads.
 */
static int ctl_receive(struct ctl *c, struct ctl_call *call, bool until_done)
{
	struct nl_cb *sk_cb = nl_socket_get_cb(c->sk);
	struct nl_cb *cb;
	int err;

	/* The socket's own callbacks: its sequence check, or none for events. */
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, ctl_on_valid, call);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ctl_on_ack, call);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, ctl_on_finish, call);
	nl_cb_err(cb, NL_CB_CUSTOM, ctl_on_error, call);
	do {
		err = nl_recvmsgs(c->sk, cb);
	} while (until_done && err >= 0 && !c->err && !call->stopped &&
		 !call->done);
	nl_cb_put(cb);
	if (c->err)
		return c->err;
	if (err < 0) {
		c->local_msg = nl_geterror(err);
		/* libnl's word for ENOBUFS: the receive buffer overflowed. */
		return err == -NLE_NOMEM ? -ENOBUFS : -EIO;
	}
	return 0;
}

int ctl_request(struct ctl *c, uint8_t cmd, bool dump,
		int (*fill)(struct nl_msg *msg, const void *arg),
		const void *fill_arg, ctl_reply_fn each, void *each_arg)
{
	struct ctl_call call = { .c = c, .each = each, .arg = each_arg };
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	c->err = 0;
	c->ext_msg[0] = '\0';
	c->local_msg = NULL;
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, VMMON_GENL_VERSION) ||
	    (fill && fill(msg, fill_arg))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		c->local_msg = nl_geterror(err);
		return -EIO;
	}
	/*
	 * A plain request is answered by its reply then the ack; a dump by
	 * its messages then NLMSG_DONE.
	 */
	return ctl_receive(c, &call, true);
}

void ctl_perror(const struct ctl *c, const char *what, int err)
{
	if (c->local_msg)
		vmctl_err("%s: %s (%s)", what, strerror(-err), c->local_msg);
	else if (c->ext_msg[0])
		vmctl_err("%s: %s (the module says: %s)", what, strerror(-err),
			  c->ext_msg);
	else
		vmctl_err("%s: %s", what, strerror(-err));
}

int ctl_subscribe_events(struct ctl *c)
{
	int grp = genl_ctrl_resolve_grp(c->sk, VMMON_GENL_NAME,
					VMMON_GENL_MCGRP_EVENTS);
	int err;

	if (grp < 0) {
		vmctl_err("the vmmon module's netlink family has no group '%s': %s",
			  VMMON_GENL_MCGRP_EVENTS, nl_geterror(grp));
		return -1;
	}
	/* Events are not answers: they carry sequence number 0. */
	nl_socket_disable_seq_check(c->sk);
	err = nl_socket_add_membership(c->sk, grp);
	if (err) {
		vmctl_err("cannot join the '%s' group: %s",
			  VMMON_GENL_MCGRP_EVENTS, nl_geterror(err));
		return -1;
	}
	return 0;
}

int ctl_recv(struct ctl *c, ctl_reply_fn each, void *arg)
{
	struct ctl_call call = { .c = c, .each = each, .arg = arg };

	c->err = 0;
	c->ext_msg[0] = '\0';
	c->local_msg = NULL;
	return ctl_receive(c, &call, false);
}
