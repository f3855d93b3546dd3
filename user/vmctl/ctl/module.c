// SPDX-License-Identifier: GPL-2.0
/* GET_MODULE: the module's version, backend, mitigations and counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ctl/vm.h"

static struct nla_policy ctl_counter_policy[VMMON_A_MAX + 1] = {
	[VMMON_A_COUNTER] = { .type = NLA_NESTED },
	[VMMON_A_COUNTER_NAME] = { .type = NLA_STRING },
	[VMMON_A_COUNTER_VALUE] = { .type = NLA_U64 },
};

static void ctl_copy_string(char *dst, size_t size, struct nlattr *a)
{
	if (a)
		snprintf(dst, size, "%.*s", nla_len(a), (char *)nla_data(a));
	else
		dst[0] = '\0';
	/* The kernel's strings end in NUL; its length counts it. */
	dst[strcspn(dst, "\n")] = '\0';
}

static int ctl_counters_parse(struct nlattr *nest, struct ctl_module *mod)
{
	struct nlattr *tb[VMMON_A_MAX + 1], *a;
	int rem;

	if (!nest)
		return 0;
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != VMMON_A_COUNTER)
			continue;
		/* More than vmctl has room for: the first ones shown. */
		if (mod->nr_counters == CTL_COUNTERS_MAX)
			break;
		if (nla_parse_nested(tb, VMMON_A_MAX, a, ctl_counter_policy) ||
		    !tb[VMMON_A_COUNTER_NAME] || !tb[VMMON_A_COUNTER_VALUE])
			return -EPROTO;
		ctl_copy_string(mod->counter[mod->nr_counters].name,
				sizeof(mod->counter[0].name),
				tb[VMMON_A_COUNTER_NAME]);
		mod->counter[mod->nr_counters++].value =
			nla_get_u64(tb[VMMON_A_COUNTER_VALUE]);
	}
	return 0;
}

struct ctl_module_call {
	struct ctl_module *mod;
	int err;
	bool got;
};

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int ctl_module_reply(struct nlattr **tb, void *arg)
{
	struct ctl_module_call *call = arg;
	struct ctl_module *mod = call->mod;

	memset(mod, 0, sizeof(*mod));
	call->got = true;
	mod->api_version = get_u32(tb[VMMON_A_MOD_API_VERSION]);
	mod->genl_version = get_u32(tb[VMMON_A_MOD_GENL_VERSION]);
	ctl_copy_string(mod->backend, sizeof(mod->backend),
			tb[VMMON_A_MOD_BACKEND]);
	ctl_copy_string(mod->features, sizeof(mod->features),
			tb[VMMON_A_MOD_FEATURES]);
	ctl_copy_string(mod->mitigations, sizeof(mod->mitigations),
			tb[VMMON_A_MOD_MITIGATIONS]);
	mod->nr_vms = get_u32(tb[VMMON_A_MOD_NR_VMS]);
	mod->nr_vcpus = get_u32(tb[VMMON_A_MOD_NR_VCPUS]);
	mod->guest_pages = tb[VMMON_A_MOD_GUEST_PAGES] ?
			   nla_get_u64(tb[VMMON_A_MOD_GUEST_PAGES]) : 0;
	mod->vmx_cpus = get_u32(tb[VMMON_A_MOD_VMX_CPUS]);
	mod->has_ksm_rate = tb[VMMON_A_KSM_PAGES_PER_PASS] &&
			    tb[VMMON_A_KSM_SLEEP_MS];
	mod->ksm_pages_per_pass = get_u32(tb[VMMON_A_KSM_PAGES_PER_PASS]);
	mod->ksm_sleep_ms = get_u32(tb[VMMON_A_KSM_SLEEP_MS]);
	call->err = ctl_counters_parse(tb[VMMON_A_MOD_COUNTERS], mod);
	return 0;
}

int ctl_get_module(struct ctl *c, struct ctl_module *mod)
{
	struct ctl_module_call call = { .mod = mod };
	int err = ctl_request(c, VMMON_CMD_GET_MODULE, false, NULL, NULL,
			      ctl_module_reply, &call);

	if (err)
		return err;
	if (call.err || !call.got) {
		c->local_msg = "the module's reply does not parse";
		return -EPROTO;
	}
	return 0;
}

struct ctl_ksm_rate {
	const uint32_t *pages_per_pass, *sleep_ms;
};

static int ctl_put_ksm_rate(struct nl_msg *msg, const void *arg)
{
	const struct ctl_ksm_rate *r = arg;

	if (r->pages_per_pass &&
	    nla_put_u32(msg, VMMON_A_KSM_PAGES_PER_PASS, *r->pages_per_pass))
		return -EMSGSIZE;
	if (r->sleep_ms && nla_put_u32(msg, VMMON_A_KSM_SLEEP_MS, *r->sleep_ms))
		return -EMSGSIZE;
	return 0;
}

int ctl_set_ksm_rate(struct ctl *c, const uint32_t *pages_per_pass,
		     const uint32_t *sleep_ms)
{
	struct ctl_ksm_rate r = { pages_per_pass, sleep_ms };

	return ctl_request(c, VMMON_CMD_SET_MODULE, false, ctl_put_ksm_rate,
			   &r, NULL, NULL);
}
