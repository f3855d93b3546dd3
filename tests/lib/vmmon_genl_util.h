/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink for the tests of vmmon's family (vmmon_genl.h):
 * messages built byte by byte, answers parsed by hand.  No libnl or
 * libmnl on purpose: the tests send what such a library refuses to
 * build (attributes of the wrong length, strings without their NUL,
 * attributes longer than the message, unknown commands), and a library's
 * own checks of an answer would hide what the kernel really sent.
 */
#ifndef VMMON_GENL_UTIL_H
#define VMMON_GENL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/*
 * What a read offers by default: libmnl's MNL_SOCKET_BUFFER_SIZE.  The
 * kernel sizes a dump's datagrams by what the reader offered, so a dump
 * of many VMs comes in several of them.  GET_VM of a VM with 64 vCPUs
 * needs more (vmmon_genl.h: a 32 KiB buffer): genl_sock.recv_size.
 */
#define GENL_RECV_SIZE	8192
#define GENL_RECV_MAX	32768
/* Room for one request (the fuzz loop's largest is about 1 KiB). */
#define GENL_MSG_MAX	4096

struct genl_sock {
	int fd;
	uint32_t seq;
	/* From CTRL_CMD_GETFAMILY: vmmon's id, version, events group. */
	uint16_t family;
	uint32_t version;
	uint32_t events_group;	/* 0: the family has no such group */
	size_t recv_size;	/* offered to each read, up to GENL_RECV_MAX */
	/* The last answer: its extended ack text ("" for none), datagrams. */
	char ext_msg[256];
	int datagrams;
};

struct genl_msg {
	union {
		struct nlmsghdr nh;
		char buf[GENL_MSG_MAX];
	};
	size_t len;
	int overflow;		/* a put did not fit: the message is incomplete */
};

/*
 * A socket with extended acks on and a receive timeout, vmmon's family
 * resolved through the controller: 0, or -errno (-ENOENT: no family).
 */
int genl_open(struct genl_sock *s);
void genl_close(struct genl_sock *s);
/* Join the events group: 0 or -errno. */
int genl_join_events(struct genl_sock *s);

/* A request to vmmon's family: the netlink and genetlink headers. */
void genl_msg_init(struct genl_msg *m, uint16_t type, uint16_t flags,
		   uint8_t cmd);
/*
 * Append an attribute of @len bytes (nla_len = 4 + @len, padded to 4);
 * returns it, so that a test can spoil its header, or NULL when full.
 */
struct nlattr *genl_put(struct genl_msg *m, uint16_t type, const void *data,
			size_t len);
struct nlattr *genl_put_u32(struct genl_msg *m, uint16_t type, uint32_t v);
/* With its NUL. */
struct nlattr *genl_put_str(struct genl_msg *m, uint16_t type, const char *s);

/*
 * Called for each answer to a request that is not the final ack,
 * error or NLMSG_DONE; nonzero stops the exchange with that value.
 */
typedef int (*genl_cb)(const struct nlmsghdr *nh, void *arg);

/*
 * Send @m (nlmsg_len, seq and pid set here; NLM_F_REQUEST | NLM_F_ACK
 * added) and read its answers until the ack, error or NLMSG_DONE:
 * 0, -errno from the kernel, -EPROTO for an answer that does not parse,
 * -EAGAIN when none came within the timeout.
 */
int genl_talk(struct genl_sock *s, struct genl_msg *m, genl_cb cb, void *arg);
/* Read the next datagram whatever its sequence: its length or -errno. */
int genl_recv(struct genl_sock *s, void *buf, size_t size);

/*
 * Attributes after the genetlink header of @nh, or inside @nest, into
 * tb[0..max] (the last of a type wins; types above max are skipped):
 * how many there were, or -1 when one runs past its container.
 */
int genl_attrs(const struct nlmsghdr *nh, const struct nlattr **tb, int max);
int genl_nested(const struct nlattr *nest, const struct nlattr **tb, int max);
/*
 * The attributes inside @nest one by one, for nests of nests (vCPUs,
 * counters, multicast groups): the one after @prev (NULL: the first),
 * or NULL at the end or at one that runs past the nest.
 */
const struct nlattr *genl_next(const struct nlattr *nest,
			       const struct nlattr *prev);
#define genl_for_each(a, nest)						\
	for ((a) = genl_next(nest, NULL); (a); (a) = genl_next(nest, a))
/* Bit t set for each attribute type t < 64 present in @nh. */
uint64_t genl_attr_mask(const struct nlmsghdr *nh);
uint8_t genl_cmd(const struct nlmsghdr *nh);

size_t nla_payload_len(const struct nlattr *a);
uint32_t nla_get_u32(const struct nlattr *a);
uint64_t nla_get_u64(const struct nlattr *a);
/* The attribute's text, or "(not a string)" when it has no NUL. */
const char *nla_get_str(const struct nlattr *a);

#endif /* VMMON_GENL_UTIL_H */
