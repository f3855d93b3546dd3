// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <uapi/vmmon_genl.h>
#include "vmmon_genl_util.h"

/*
 * Seconds to wait for an answer: far more than the emulated PC needs,
 * so that a lost answer fails the test instead of hanging it.
 */
#define GENL_TIMEOUT	20

static struct genlmsghdr *genl_hdr(const struct nlmsghdr *nh)
{
	return NLMSG_DATA(nh);
}

uint8_t genl_cmd(const struct nlmsghdr *nh)
{
	return genl_hdr(nh)->cmd;
}

void genl_msg_init(struct genl_msg *m, uint16_t type, uint16_t flags,
		   uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(&m->nh, 0, NLMSG_LENGTH(GENL_HDRLEN));
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = flags;
	g = genl_hdr(&m->nh);
	g->cmd = cmd;
	g->version = VMMON_GENL_VERSION;
	m->len = NLMSG_LENGTH(GENL_HDRLEN);
	m->overflow = 0;
}

struct nlattr *genl_put(struct genl_msg *m, uint16_t type, const void *data,
			size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t room = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->len + room > sizeof(m->buf) || NLA_HDRLEN + len > 0xffff) {
		m->overflow = 1;
		return NULL;
	}
	memset(a, 0, room);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->len += room;
	return a;
}

struct nlattr *genl_put_u32(struct genl_msg *m, uint16_t type, uint32_t v)
{
	return genl_put(m, type, &v, sizeof(v));
}

struct nlattr *genl_put_str(struct genl_msg *m, uint16_t type, const char *s)
{
	return genl_put(m, type, s, strlen(s) + 1);
}

/* The attribute walk under genl_attrs, genl_nested and genl_attr_mask. */
static int attr_walk(const char *p, size_t len, const struct nlattr **tb,
		     int max, uint64_t *mask)
{
	int count = 0;

	if (tb)
		memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		int type = a->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(a->nla_len);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return -1;
		if (tb && type <= max)
			tb[type] = a;
		if (mask && type < 64)
			*mask |= 1ULL << type;
		count++;
		/* The last attribute's padding may be missing. */
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return len ? -1 : count;
}

static size_t genl_payload_len(const struct nlmsghdr *nh)
{
	if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	return nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
}

int genl_attrs(const struct nlmsghdr *nh, const struct nlattr **tb, int max)
{
	return attr_walk((const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
			 genl_payload_len(nh), tb, max, NULL);
}

int genl_nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	return attr_walk((const char *)nest + NLA_HDRLEN,
			 nest->nla_len - NLA_HDRLEN, tb, max, NULL);
}

const struct nlattr *genl_next(const struct nlattr *nest,
			       const struct nlattr *prev)
{
	const char *end = (const char *)nest + nest->nla_len;
	const char *p = prev ? (const char *)prev + NLA_ALIGN(prev->nla_len) :
			       (const char *)nest + NLA_HDRLEN;
	const struct nlattr *a = (const struct nlattr *)p;

	if (p + NLA_HDRLEN > end || a->nla_len < NLA_HDRLEN ||
	    a->nla_len > end - p)
		return NULL;
	return a;
}

uint64_t genl_attr_mask(const struct nlmsghdr *nh)
{
	uint64_t mask = 0;

	attr_walk((const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
		  genl_payload_len(nh), NULL, 0, &mask);
	return mask;
}

size_t nla_payload_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* Attribute payloads are only 4-byte aligned: copy, do not cast. */
uint32_t nla_get_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, (const char *)a + NLA_HDRLEN,
	       nla_payload_len(a) < sizeof(v) ? nla_payload_len(a) : sizeof(v));
	return v;
}

uint64_t nla_get_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, (const char *)a + NLA_HDRLEN,
	       nla_payload_len(a) < sizeof(v) ? nla_payload_len(a) : sizeof(v));
	return v;
}

const char *nla_get_str(const struct nlattr *a)
{
	const char *s = (const char *)a + NLA_HDRLEN;

	if (!memchr(s, '\0', nla_payload_len(a)))
		return "(not a string)";
	return s;
}

int genl_recv(struct genl_sock *s, void *buf, size_t size)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(s->fd, &mh, 0);

	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

/*
 * An NLMSG_ERROR: its error (0 for an ack), and the extended ack's
 * message into s->ext_msg.  The socket has NETLINK_CAP_ACK, but the
 * request is skipped by its own length in case the kernel echoes it.
 */
static int parse_error(struct genl_sock *s, const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EPROTO;
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	off = NLMSG_LENGTH(sizeof(e->error));
	off += NLMSG_ALIGN(nh->nlmsg_flags & NLM_F_CAPPED ?
			   sizeof(e->msg) : e->msg.nlmsg_len);
	if (off > nh->nlmsg_len ||
	    attr_walk((const char *)nh + off, nh->nlmsg_len - off, tb,
		      NLMSGERR_ATTR_MAX, NULL) < 0)
		return -EPROTO;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(s->ext_msg, sizeof(s->ext_msg), "%s",
			 nla_get_str(tb[NLMSGERR_ATTR_MSG]));
	return e->error;
}

int genl_talk(struct genl_sock *s, struct genl_msg *m, genl_cb cb, void *arg)
{
	/* int: nlmsghdr alignment. */
	static int buf[GENL_RECV_MAX / sizeof(int)];
	uint32_t seq = ++s->seq;

	if (m->overflow)
		return -EMSGSIZE;
	m->nh.nlmsg_len = m->len;
	m->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	m->nh.nlmsg_seq = seq;
	m->nh.nlmsg_pid = 0;
	if (send(s->fd, m->buf, m->len, 0) < 0)
		return -errno;
	s->ext_msg[0] = '\0';
	s->datagrams = 0;
	for (;;) {
		int n = genl_recv(s, buf, s->recv_size);
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
		int ours = 0;

		if (n < 0)
			return n;
		for (; NLMSG_OK(nh, (unsigned int)n); nh = NLMSG_NEXT(nh, n)) {
			/* Answers to an earlier request that stopped early. */
			if (nh->nlmsg_seq != seq)
				continue;
			if (!ours++)
				s->datagrams++;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return parse_error(s, nh);
			if (nh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					memcpy(&err, NLMSG_DATA(nh), sizeof(err));
				return err;
			}
			if (cb) {
				int ret = cb(nh, arg);

				if (ret)
					return ret;
			}
		}
		if (n)
			return -EPROTO;
	}
}

struct family_reply {
	struct genl_sock *s;
	int found;
};

static int family_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp[CTRL_ATTR_MCAST_GRP_MAX + 1];
	struct family_reply *r = arg;
	const struct nlattr *g;

	if (genl_attrs(nh, tb, CTRL_ATTR_MAX) < 0 || !tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	r->found = 1;
	r->s->family = nla_get_u32(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		r->s->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	/* A nest of groups, each a nest of name and id. */
	genl_for_each(g, tb[CTRL_ATTR_MCAST_GROUPS]) {
		if (genl_nested(g, grp, CTRL_ATTR_MCAST_GRP_MAX) < 0)
			return -EPROTO;
		if (grp[CTRL_ATTR_MCAST_GRP_NAME] && grp[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(nla_get_str(grp[CTRL_ATTR_MCAST_GRP_NAME]),
			    VMMON_GENL_MCGRP_EVENTS))
			r->s->events_group = nla_get_u32(grp[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

int genl_open(struct genl_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = GENL_TIMEOUT };
	struct family_reply r = { .s = s };
	struct genl_msg m;
	int one = 1, err;

	memset(s, 0, sizeof(*s));
	s->recv_size = GENL_RECV_SIZE;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		goto fail;
	}
	genl_msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	genl_put_str(&m, CTRL_ATTR_FAMILY_NAME, VMMON_GENL_NAME);
	err = genl_talk(s, &m, family_cb, &r);
	if (!err && !r.found)
		err = -ENOENT;
	if (!err)
		return 0;
fail:
	close(s->fd);
	s->fd = -1;
	return err;
}

void genl_close(struct genl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int genl_join_events(struct genl_sock *s)
{
	int grp = s->events_group;

	if (!grp)
		return -ENOENT;
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		return -errno;
	return 0;
}
