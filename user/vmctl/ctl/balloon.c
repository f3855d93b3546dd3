// SPDX-License-Identifier: GPL-2.0
/* The balloon's nest of a GET_VM reply: see balloon.h. */
#include <errno.h>
#include <string.h>
#include "ctl/balloon.h"

const char *const ctl_balloon_status_names[VMMON_BALLOON_S_NR] = {
	[VMMON_BALLOON_S_DONE] = "done",
	[VMMON_BALLOON_S_NOT_RAM] = "not_ram",
	[VMMON_BALLOON_S_ALREADY] = "already",
	[VMMON_BALLOON_S_NOT_BALLOONED] = "not_ballooned",
	[VMMON_BALLOON_S_DUPLICATE] = "duplicate",
	[VMMON_BALLOON_S_CHANNEL] = "channel",
	[VMMON_BALLOON_S_OVER_LIMIT] = "over_limit",
};

static struct nla_policy ctl_balloon_policy[VMMON_A_BALLOON_MAX + 1] = {
	[VMMON_A_BALLOON_STATE] = { .type = NLA_U32 },
	[VMMON_A_BALLOON_TARGET] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_SIZE] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_GUEST_ACTUAL] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_INFLATED] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_DEFLATED] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_FREED] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_KICKS] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_BAD_REQUESTS] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_BUSY_NS] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_STATS] = { .type = NLA_NESTED },
	[VMMON_A_BALLOON_STATS_AGE_NS] = { .type = NLA_U64 },
	[VMMON_A_BALLOON_STATUS0 ... VMMON_A_BALLOON_MAX] = { .type = NLA_U64 },
};

static struct nla_policy ctl_gstat_policy[VMMON_A_GSTAT_MAX + 1] = {
	[VMMON_A_GSTAT_TOTAL ... VMMON_A_GSTAT_OOM_KILLS] = { .type = NLA_U64 },
};

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static int ctl_gstats_parse(struct nlattr *nest, struct ctl_balloon *b)
{
	struct nlattr *tb[VMMON_A_GSTAT_MAX + 1];
	struct ctl_guest_stats *s = &b->stats;

	b->has_stats = nest;
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMON_A_GSTAT_MAX, nest, ctl_gstat_policy))
		return -EPROTO;
	s->total = get_u64(tb[VMMON_A_GSTAT_TOTAL]);
	s->free = get_u64(tb[VMMON_A_GSTAT_FREE]);
	s->available = get_u64(tb[VMMON_A_GSTAT_AVAILABLE]);
	s->cached = get_u64(tb[VMMON_A_GSTAT_CACHED]);
	s->swap_in = get_u64(tb[VMMON_A_GSTAT_SWAP_IN]);
	s->swap_out = get_u64(tb[VMMON_A_GSTAT_SWAP_OUT]);
	s->major_faults = get_u64(tb[VMMON_A_GSTAT_MAJOR_FAULTS]);
	s->oom_kills = get_u64(tb[VMMON_A_GSTAT_OOM_KILLS]);
	return 0;
}

int ctl_balloon_parse(struct nlattr *nest, struct ctl_balloon *b)
{
	struct nlattr *tb[VMMON_A_BALLOON_MAX + 1];
	unsigned int i;

	memset(b, 0, sizeof(*b));
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMON_A_BALLOON_MAX, nest, ctl_balloon_policy))
		return -EPROTO;
	b->has = true;
	b->state = tb[VMMON_A_BALLOON_STATE] ?
		   nla_get_u32(tb[VMMON_A_BALLOON_STATE]) : 0;
	b->target = get_u64(tb[VMMON_A_BALLOON_TARGET]);
	b->size = get_u64(tb[VMMON_A_BALLOON_SIZE]);
	b->guest_actual = get_u64(tb[VMMON_A_BALLOON_GUEST_ACTUAL]);
	b->inflated = get_u64(tb[VMMON_A_BALLOON_INFLATED]);
	b->deflated = get_u64(tb[VMMON_A_BALLOON_DEFLATED]);
	b->freed = get_u64(tb[VMMON_A_BALLOON_FREED]);
	b->kicks = get_u64(tb[VMMON_A_BALLOON_KICKS]);
	b->bad_requests = get_u64(tb[VMMON_A_BALLOON_BAD_REQUESTS]);
	b->busy_ns = get_u64(tb[VMMON_A_BALLOON_BUSY_NS]);
	b->stats_age_ns = get_u64(tb[VMMON_A_BALLOON_STATS_AGE_NS]);
	for (i = 0; i < VMMON_BALLOON_S_NR; i++)
		b->status[i] = get_u64(tb[VMMON_A_BALLOON_STATUS0 + i]);
	return ctl_gstats_parse(tb[VMMON_A_BALLOON_STATS], b);
}

const char *ctl_balloon_state_name(uint32_t state)
{
	switch (state) {
	case VMMON_BALLOON_STATE_OFF: return "off";
	case VMMON_BALLOON_STATE_READY: return "ready";
	case VMMON_BALLOON_STATE_BROKEN: return "broken";
	default: return "unknown";
	}
}

double ctl_balloon_rate(const struct ctl_balloon *b)
{
	if (!b->busy_ns)
		return 0;
	return (b->inflated + b->deflated) * 1e9 / b->busy_ns;
}
