// SPDX-License-Identifier: GPL-2.0
/* The memory policy's nest of a GET_VM reply and SET_VM: see memsched.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <uapi/vmmon_genl.h>
#include "ctl/cli.h"
#include "ctl/memsched.h"
#include "ctl/vm.h"
#include "vmctl.h"

#define CTL_PPM_PERCENT	10000.0

static struct nla_policy ctl_memsched_policy[VMMON_A_MS_MAX + 1] = {
	[VMMON_A_MS_SHARES] = { .type = NLA_U32 },
	[VMMON_A_MS_RESERVE] = { .type = NLA_U64 },
	[VMMON_A_MS_SIZE] = { .type = NLA_U64 },
	[VMMON_A_MS_ACTIVE_PPM] = { .type = NLA_U32 },
	[VMMON_A_MS_SAMPLED] = { .type = NLA_U32 },
	[VMMON_A_MS_TOUCHED] = { .type = NLA_U32 },
	[VMMON_A_MS_RHO] = { .type = NLA_U64 },
	[VMMON_A_MS_ALLOC] = { .type = NLA_U64 },
	[VMMON_A_MS_RECLAIMABLE] = { .type = NLA_U32 },
	[VMMON_A_MS_TARGET_CHANGES] = { .type = NLA_U64 },
	[VMMON_A_MS_TARGET_AGE_NS] = { .type = NLA_U64 },
};

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

int ctl_memsched_parse(struct nlattr *nest, struct ctl_memsched *m)
{
	struct nlattr *tb[VMMON_A_MS_MAX + 1];

	memset(m, 0, sizeof(*m));
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMON_A_MS_MAX, nest, ctl_memsched_policy))
		return -EPROTO;
	m->has = true;
	m->shares = get_u32(tb[VMMON_A_MS_SHARES]);
	m->reserve = get_u64(tb[VMMON_A_MS_RESERVE]);
	m->size = get_u64(tb[VMMON_A_MS_SIZE]);
	m->active_ppm = get_u32(tb[VMMON_A_MS_ACTIVE_PPM]);
	m->sampled = get_u32(tb[VMMON_A_MS_SAMPLED]);
	m->touched = get_u32(tb[VMMON_A_MS_TOUCHED]);
	m->rho = get_u64(tb[VMMON_A_MS_RHO]);
	m->alloc = get_u64(tb[VMMON_A_MS_ALLOC]);
	m->reclaimable = get_u32(tb[VMMON_A_MS_RECLAIMABLE]);
	m->target_changes = get_u64(tb[VMMON_A_MS_TARGET_CHANGES]);
	m->target_age_ns = get_u64(tb[VMMON_A_MS_TARGET_AGE_NS]);
	return 0;
}

void ctl_memsched_print(const struct ctl_memsched *m, uint64_t target,
			uint64_t actual)
{
	printf("shares=%u min=%.1f max=%.1f MiB active=%.1f%% (%u of %u sampled) rho=%llu alloc=%.1f target=%.1f actual=%.1f MiB%s\n",
	       m->shares, CTL_PAGES_MIB(m->reserve), CTL_PAGES_MIB(m->size),
	       m->active_ppm / CTL_PPM_PERCENT, m->touched, m->sampled,
	       (unsigned long long)m->rho, CTL_PAGES_MIB(m->alloc),
	       CTL_PAGES_MIB(target), CTL_PAGES_MIB(actual),
	       m->reclaimable ? "" : " (no balloon: not counted on)");
}

struct ctl_memsched_arg {
	const struct ctl_vm_ref *ref;
	const uint32_t *shares;
	const uint64_t *reserve;
};

static int ctl_put_memsched(struct nl_msg *msg, const void *arg)
{
	const struct ctl_memsched_arg *a = arg;

	if (ctl_put_ref(msg, a->ref))
		return -EMSGSIZE;
	if (a->shares && nla_put_u32(msg, VMMON_A_VM_MEM_SHARES, *a->shares))
		return -EMSGSIZE;
	if (a->reserve && nla_put_u64(msg, VMMON_A_VM_MEM_RESERVE, *a->reserve))
		return -EMSGSIZE;
	return 0;
}

int ctl_set_memsched(struct ctl *c, const struct ctl_vm_ref *ref,
		     const uint32_t *shares, const uint64_t *reserve)
{
	struct ctl_memsched_arg a = {
		.ref = ref, .shares = shares, .reserve = reserve,
	};

	return ctl_request(c, VMMON_CMD_SET_VM, false, ctl_put_memsched, &a,
			   NULL, NULL);
}

/* The newest VM of this process in a dump. */
struct ctl_own_vm {
	uint32_t pid;
	uint32_t id;
	bool found;
};

static int ctl_own_vm_each(const struct ctl_vm *vm, void *arg)
{
	struct ctl_own_vm *own = arg;

	if (vm->whole && vm->owner_pid == own->pid &&
	    (!own->found || vm->id > own->id)) {
		own->id = vm->id;
		own->found = true;
	}
	return 0;
}

int ctl_set_own_memsched(const uint32_t *shares, const uint64_t *reserve)
{
	struct ctl_own_vm own = { .pid = (uint32_t)getpid() };
	struct ctl_vm_ref ref = { .text = "this VM", .by_id = true };
	struct ctl c;
	int err;

	if (ctl_open(&c, false))
		return -1;
	err = ctl_dump_vms(&c, ctl_own_vm_each, &own);
	if (!err && !own.found)
		err = -ENOENT;
	if (!err) {
		ref.id = own.id;
		err = ctl_set_memsched(&c, &ref, shares, reserve);
	}
	ctl_close(&c);
	if (err) {
		ctl_vm_error(&c, &ref, "cannot set the VM's memory shares or reservation",
			     err);
		return -1;
	}
	return 0;
}
