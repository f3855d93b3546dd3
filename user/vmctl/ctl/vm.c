// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's figures over the control channel: GET_VM (one, or the dump of
 * all), SET_VM (rename, balloon target), and the nested attributes of
 * their replies (the balloon's in ctl/balloon.c, the memory policy's in
 * ctl/memsched.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "ctl/balloon.h"
#include "ctl/name.h"
#include "ctl/vm.h"
#include "vmctl.h"

static struct nla_policy ctl_mem_policy[VMMON_A_MEM_MAX + 1] = {
	[VMMON_A_MEM_CONFIGURED] = { .type = NLA_U64 },
	[VMMON_A_MEM_RESIDENT] = { .type = NLA_U64 },
	[VMMON_A_MEM_BALLOONED] = { .type = NLA_U64 },
	[VMMON_A_MEM_SHARED] = { .type = NLA_U64 },
	[VMMON_A_MEM_ZERO] = { .type = NLA_U64 },
	[VMMON_A_MEM_COW_BREAKS] = { .type = NLA_U64 },
	[VMMON_A_MEM_MERGED] = { .type = NLA_U64 },
	[VMMON_A_MEM_FULL_SCANS] = { .type = NLA_U64 },
};

static struct nla_policy ctl_exits_policy[VMMON_A_EXITS_MAX + 1] = {
	[VMMON_A_EXITS_TOTAL] = { .type = NLA_U64 },
	[VMMON_A_EXITS_REASON0 ... VMMON_A_EXITS_MAX] = { .type = NLA_U64 },
};

static struct nla_policy ctl_vcpu_policy[VMMON_A_MAX + 1] = {
	[VMMON_A_VCPU] = { .type = NLA_NESTED },
	[VMMON_A_VCPU_ID] = { .type = NLA_U32 },
	[VMMON_A_VCPU_EXITS] = { .type = NLA_NESTED },
	[VMMON_A_VCPU_RUN_NS] = { .type = NLA_U64 },
	[VMMON_A_VCPU_LOADS] = { .type = NLA_U64 },
};

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int ctl_exits_parse(struct nlattr *nest, struct ctl_exits *ex)
{
	struct nlattr *tb[VMMON_A_EXITS_MAX + 1];
	unsigned int i;

	memset(ex, 0, sizeof(*ex));
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMON_A_EXITS_MAX, nest, ctl_exits_policy))
		return -EPROTO;
	ex->total = get_u64(tb[VMMON_A_EXITS_TOTAL]);
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++) {
		struct nlattr *a = tb[VMMON_A_EXITS_REASON0 + i];

		ex->has[i] = a;
		ex->count[i] = get_u64(a);
	}
	return 0;
}

static int ctl_mem_parse(struct nlattr *nest, struct ctl_mem *mem)
{
	struct nlattr *tb[VMMON_A_MEM_MAX + 1];

	memset(mem, 0, sizeof(*mem));
	if (!nest)
		return 0;
	if (nla_parse_nested(tb, VMMON_A_MEM_MAX, nest, ctl_mem_policy))
		return -EPROTO;
	mem->configured = get_u64(tb[VMMON_A_MEM_CONFIGURED]);
	mem->resident = get_u64(tb[VMMON_A_MEM_RESIDENT]);
	mem->ballooned = get_u64(tb[VMMON_A_MEM_BALLOONED]);
	mem->shared = get_u64(tb[VMMON_A_MEM_SHARED]);
	mem->zero = get_u64(tb[VMMON_A_MEM_ZERO]);
	mem->cow_breaks = get_u64(tb[VMMON_A_MEM_COW_BREAKS]);
	mem->merged = get_u64(tb[VMMON_A_MEM_MERGED]);
	mem->full_scans = get_u64(tb[VMMON_A_MEM_FULL_SCANS]);
	return 0;
}

/* VMMON_A_VM_VCPUS: a nest of VMMON_A_VCPU nests, in the top-level space. */
static int ctl_vcpus_parse(struct nlattr *nest, struct ctl_vm *vm)
{
	struct nlattr *tb[VMMON_A_MAX + 1], *a;
	int rem;

	vm->nr_vcpu = 0;
	if (!nest)
		return 0;
	nla_for_each_nested(a, nest, rem) {
		struct ctl_vcpu *v;

		if (nla_type(a) != VMMON_A_VCPU)
			continue;
		if (vm->nr_vcpu == VMMON_MAX_VCPUS)
			return -EPROTO;
		if (nla_parse_nested(tb, VMMON_A_MAX, a, ctl_vcpu_policy))
			return -EPROTO;
		v = &vm->vcpu[vm->nr_vcpu++];
		v->id = get_u32(tb[VMMON_A_VCPU_ID]);
		v->run_ns = get_u64(tb[VMMON_A_VCPU_RUN_NS]);
		v->loads = get_u64(tb[VMMON_A_VCPU_LOADS]);
		if (ctl_exits_parse(tb[VMMON_A_VCPU_EXITS], &v->exits))
			return -EPROTO;
	}
	return 0;
}

int ctl_vm_parse(struct nlattr **tb, struct ctl_vm *vm)
{
	/*
	 * Not the vCPU array (10 KiB, once per VM of a dump): its first
	 * nr_vcpu entries are written whole by ctl_vcpus_parse().
	 */
	memset(vm, 0, offsetof(struct ctl_vm, vcpu));
	if (!tb[VMMON_A_VM_ID] || !tb[VMMON_A_VM_OWNER_UID])
		return -EPROTO;
	vm->id = nla_get_u32(tb[VMMON_A_VM_ID]);
	vm->owner_uid = nla_get_u32(tb[VMMON_A_VM_OWNER_UID]);
	/* The owner's pid comes only with everything else. */
	vm->whole = tb[VMMON_A_VM_OWNER_PID];
	if (tb[VMMON_A_VM_NAME])
		snprintf(vm->name, sizeof(vm->name), "%.*s",
			 nla_len(tb[VMMON_A_VM_NAME]),
			 (char *)nla_data(tb[VMMON_A_VM_NAME]));
	vm->owner_pid = get_u32(tb[VMMON_A_VM_OWNER_PID]);
	vm->state = get_u32(tb[VMMON_A_VM_STATE]);
	vm->nr_vcpus = get_u32(tb[VMMON_A_VM_NR_VCPUS]);
	vm->created_ns = get_u64(tb[VMMON_A_VM_CREATED_NS]);
	vm->run_ns = get_u64(tb[VMMON_A_VM_RUN_NS]);
	if (ctl_mem_parse(tb[VMMON_A_VM_MEM], &vm->mem) ||
	    ctl_exits_parse(tb[VMMON_A_VM_EXITS], &vm->exits) ||
	    ctl_balloon_parse(tb[VMMON_A_VM_BALLOON], &vm->balloon) ||
	    ctl_memsched_parse(tb[VMMON_A_VM_MEMSCHED], &vm->memsched) ||
	    ctl_vcpus_parse(tb[VMMON_A_VM_VCPUS], vm))
		return -EPROTO;
	return 0;
}

const char *ctl_vm_state_name(uint32_t state)
{
	switch (state) {
	case VMMON_VM_STATE_CREATED: return "created";
	case VMMON_VM_STATE_RUNNING: return "running";
	case VMMON_VM_STATE_STOPPED: return "stopped";
	default: return "unknown";
	}
}

int ctl_vm_ref_parse(struct ctl_vm_ref *ref, const char *text)
{
	size_t len = strlen(text);
	unsigned long id;
	char *end;

	ref->text = text;
	ref->by_id = len && strspn(text, "0123456789") == len;
	if (!ref->by_id)
		return vmctl_name_valid(text) ? 0 : -1;
	errno = 0;
	id = strtoul(text, &end, 10);
	if (errno || id > UINT32_MAX)
		return -1;
	ref->id = id;
	return 0;
}

int ctl_vm_ref_arg(struct ctl_vm_ref *ref, const char *text)
{
	if (!ctl_vm_ref_parse(ref, text))
		return 0;
	vmctl_err("'%s' is neither a VM id nor a VM name (" VMCTL_NAME_RULE ")",
		  text);
	return -1;
}

int ctl_put_ref(struct nl_msg *msg, const void *arg)
{
	const struct ctl_vm_ref *ref = arg;

	if (ref->by_id)
		return nla_put_u32(msg, VMMON_A_VM_ID, ref->id);
	return nla_put_string(msg, VMMON_A_VM_NAME, ref->text);
}

struct ctl_get_vm_call {
	struct ctl_vm *vm;
	int err;
	bool got;
};

static int ctl_get_vm_reply(struct nlattr **tb, void *arg)
{
	struct ctl_get_vm_call *call = arg;

	call->err = ctl_vm_parse(tb, call->vm);
	call->got = true;
	return 0;
}

int ctl_get_vm(struct ctl *c, const struct ctl_vm_ref *ref,
	       struct ctl_vm *vm)
{
	struct ctl_get_vm_call call = { .vm = vm };
	int err = ctl_request(c, VMMON_CMD_GET_VM, false, ctl_put_ref, ref,
			      ctl_get_vm_reply, &call);

	if (err)
		return err;
	if (call.err || !call.got) {
		c->local_msg = "the module's reply has no VM or does not parse";
		return -EPROTO;
	}
	return 0;
}

struct ctl_dump_call {
	int (*each)(const struct ctl_vm *vm, void *arg);
	void *arg;
	struct ctl_vm *vm;	/* one buffer: struct ctl_vm is 10 KiB */
	int err;
};

static int ctl_dump_reply(struct nlattr **tb, void *arg)
{
	struct ctl_dump_call *call = arg;

	call->err = ctl_vm_parse(tb, call->vm);
	if (call->err)
		return 1;
	return call->each(call->vm, call->arg);
}

int ctl_dump_vms(struct ctl *c, int (*each)(const struct ctl_vm *vm,
					    void *arg), void *arg)
{
	struct ctl_dump_call call = { .each = each, .arg = arg };
	int err;

	call.vm = malloc(sizeof(*call.vm));
	if (!call.vm)
		return -ENOMEM;
	err = ctl_request(c, VMMON_CMD_GET_VM, true, NULL, NULL,
			  ctl_dump_reply, &call);
	free(call.vm);
	if (!err && call.err) {
		c->local_msg = "a VM in the module's reply does not parse";
		err = -EPROTO;
	}
	return err;
}

struct ctl_rename_arg {
	const struct ctl_vm_ref *ref;
	const char *new_name;
};

static int ctl_put_rename(struct nl_msg *msg, const void *arg)
{
	const struct ctl_rename_arg *r = arg;

	return ctl_put_ref(msg, r->ref) ?:
	       nla_put_string(msg, VMMON_A_VM_NEW_NAME, r->new_name);
}

int ctl_rename_vm(struct ctl *c, const struct ctl_vm_ref *ref,
		  const char *new_name)
{
	struct ctl_rename_arg r = { .ref = ref, .new_name = new_name };

	return ctl_request(c, VMMON_CMD_SET_VM, false, ctl_put_rename, &r,
			   NULL, NULL);
}

struct ctl_balloon_arg {
	const struct ctl_vm_ref *ref;
	uint64_t pages;
};

static int ctl_put_balloon(struct nl_msg *msg, const void *arg)
{
	const struct ctl_balloon_arg *b = arg;

	return ctl_put_ref(msg, b->ref) ?:
	       nla_put_u64(msg, VMMON_A_VM_BALLOON_TARGET, b->pages);
}

int ctl_set_balloon(struct ctl *c, const struct ctl_vm_ref *ref,
		    uint64_t pages)
{
	struct ctl_balloon_arg b = { .ref = ref, .pages = pages };

	return ctl_request(c, VMMON_CMD_SET_VM, false, ctl_put_balloon, &b,
			   NULL, NULL);
}

int ctl_vm_error(const struct ctl *c, const struct ctl_vm_ref *ref,
		 const char *what, int err)
{
	if (err == -ENOENT)
		vmctl_err("no VM '%s'", ref->text);
	else
		ctl_perror(c, what, err);
	return VMCTL_EXIT_ERROR;
}
