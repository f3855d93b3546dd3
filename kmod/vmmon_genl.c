// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vmmon" (include/uapi/vmmon_genl.h): any
 * process may list the VMs and read their figures, their owners may
 * rename them; events go to the "events" multicast group.
 *
 * What the core checks before a handler runs: each command's policy
 * (GET_MODULE takes no attribute, GET_VM VM_ID or VM_NAME, SET_VM those,
 * VM_NEW_NAME, VM_BALLOON_TARGET, VM_MEM_SHARES and VM_MEM_RESERVE,
 * SET_MODULE MEM_BUDGET, MEM_TAU, KSM_PAGES_PER_PASS and KSM_SLEEP_MS,
 * with their types and lengths and tau's range; strict validation
 * refuses unknown attributes, trailing data and reserved header bytes).
 * What the handlers check themselves: that a request names one VM (by
 * id or by name), that the VM exists, that the caller may see or change
 * it, that a name is a valid one (vmmon_name_valid(): characters and
 * uniqueness are not a policy's to say), that a balloon target and a
 * reservation are at most the VM's RAM, that an owner without
 * CAP_SYS_ADMIN only lowers shares and reservations and that reservations
 * fit the budget (vmmon_memsched_check_vm()), that shares are 1 to
 * VMMON_MEM_SHARES_MAX, that a budget is at most MEMSCHED_PAGES_MAX and
 * page sharing's scan rate in its bounds, that
 * SET_MODULE comes from CAP_SYS_ADMIN, that a SET changes something, and
 * that a dump has no attributes.
 *
 * Who asks: a dump's later parts are built in whichever process reads
 * the socket, so what the requester may see (its euid, CAP_SYS_ADMIN,
 * its namespaces) is taken once, when the request comes, for doit and
 * dump alike (struct vmmon_genl_viewer).
 *
 * Figures are read while the vCPUs run: the counters are written by
 * their vCPU's thread alone and read with READ_ONCE, so a reply is a
 * snapshot that may be a few exits old, never a torn value.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_genl.h>
#include "vmmon_core.h"
#include "vmmon_pmap.h"
#include "vmmon_vm.h"
#include "memsched/memsched.h"

/* The mitigations string: vmx_spec_active() writes a few words. */
#define VMMON_GENL_MITIGATIONS_MAX	160
/*
 * A VM's message without its vCPUs, and each vCPU's share: about 1080
 * (the balloon's nest about 420 of it, the memory policy's 170) and 320
 * bytes with every u64 padded.
 */
#define VMMON_GENL_VM_SIZE	1536
#define VMMON_GENL_VCPU_SIZE	512
/* An event: three u32 attributes. */
#define VMMON_GENL_EVENT_SIZE	(3 * 8)

/* The attributes each command takes; any other is refused. */
static const struct nla_policy vmmon_genl_module_policy[VMMON_A_MAX + 1] = {
};

static const struct nla_policy vmmon_genl_get_vm_policy[VMMON_A_MAX + 1] = {
	[VMMON_A_VM_ID] = { .type = NLA_U32 },
	[VMMON_A_VM_NAME] = { .type = NLA_NUL_STRING,
			      .len = VMMON_NAME_MAX - 1 },
};

static const struct nla_policy vmmon_genl_set_vm_policy[VMMON_A_MAX + 1] = {
	[VMMON_A_VM_ID] = { .type = NLA_U32 },
	[VMMON_A_VM_NAME] = { .type = NLA_NUL_STRING,
			      .len = VMMON_NAME_MAX - 1 },
	[VMMON_A_VM_NEW_NAME] = { .type = NLA_NUL_STRING,
				  .len = VMMON_NAME_MAX - 1 },
	[VMMON_A_VM_BALLOON_TARGET] = { .type = NLA_U64 },
	[VMMON_A_VM_MEM_SHARES] = { .type = NLA_U32 },
	[VMMON_A_VM_MEM_RESERVE] = { .type = NLA_U64 },
};

static const struct nla_policy vmmon_genl_set_module_policy[VMMON_A_MAX + 1] = {
	[VMMON_A_MEM_BUDGET] = { .type = NLA_U64 },
	[VMMON_A_MEM_TAU] = NLA_POLICY_MAX(NLA_U32, MEMSCHED_TAU_MAX),
	/* Ranges checked by the handler: 6.1's policy bounds are s16. */
	[VMMON_A_KSM_PAGES_PER_PASS] = { .type = NLA_U32 },
	[VMMON_A_KSM_SLEEP_MS] = { .type = NLA_U32 },
};

enum vmmon_genl_mcgrp {
	VMMON_GENL_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group vmmon_genl_mcgrps[] = {
	[VMMON_GENL_MCGRP_EVENTS_ID] = { .name = VMMON_GENL_MCGRP_EVENTS },
};

static struct genl_family vmmon_genl_family;

/* Who asked, taken when the request came (see the top of the file). */
struct vmmon_genl_viewer {
	kuid_t euid;
	bool admin;
	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
};

/* A reference on each namespace until vmmon_genl_viewer_put(). */
static void vmmon_genl_viewer_get(struct vmmon_genl_viewer *v,
				  const struct sk_buff *skb)
{
	v->euid = current_euid();
	/* Once per request: each check may write an audit record. */
	v->admin = netlink_capable(skb, CAP_SYS_ADMIN);
	v->user_ns = get_user_ns(current_user_ns());
	v->pid_ns = get_pid_ns(task_active_pid_ns(current));
}

static void vmmon_genl_viewer_put(struct vmmon_genl_viewer *v)
{
	put_pid_ns(v->pid_ns);
	put_user_ns(v->user_ns);
}

/* The owner and CAP_SYS_ADMIN see a VM whole; others its id and owner. */
static bool vmmon_genl_may_see(const struct vmmon_genl_viewer *v,
			       const struct vmmon_vm *vm)
{
	return uid_eq(v->euid, vm->owner) || v->admin;
}

/* The creating process as the viewer numbers it; 0 once it has exited. */
static u32 vmmon_genl_owner_pid(const struct vmmon_genl_viewer *v,
				struct vmmon_vm *vm)
{
	if (!pid_has_task(vm->owner_pid, PIDTYPE_TGID))
		return 0;
	return pid_nr_ns(vm->owner_pid, v->pid_ns);
}

static int vmmon_genl_put_exits(struct sk_buff *skb, int type,
				const struct vmmon_exit_stats *st)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, VMMON_A_EXITS_TOTAL, st->total,
			      VMMON_A_EXITS_PAD))
		goto cancel;
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		if (nla_put_u64_64bit(skb, VMMON_A_EXITS_REASON0 + i,
				      st->count[i], VMMON_A_EXITS_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* A u64 attribute and its value, for the tables below. */
struct vmmon_genl_u64 {
	int type;
	u64 value;
};

static int vmmon_genl_put_u64s(struct sk_buff *skb,
			       const struct vmmon_genl_u64 *v, unsigned int n,
			       int pad)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(skb, v[i].type, v[i].value, pad))
			return -EMSGSIZE;
	return 0;
}

/* The table @v in a nest of its own, @type; nothing of it if it fails. */
static int vmmon_genl_nest_u64s(struct sk_buff *skb, int type,
				const struct vmmon_genl_u64 *v, unsigned int n,
				int pad)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (vmmon_genl_put_u64s(skb, v, n, pad)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vmmon_genl_put_mem(struct sk_buff *skb, struct vmmon_vm *vm)
{
	const struct vmmon_genl_u64 mem[] = {
		{ VMMON_A_MEM_CONFIGURED, READ_ONCE(vm->pmap.nr_pages) },
		{ VMMON_A_MEM_RESIDENT, vmmon_pmap_resident(&vm->pmap) },
		{ VMMON_A_MEM_BALLOONED, vmmon_balloon_size(&vm->balloon) },
		{ VMMON_A_MEM_SHARED, atomic_long_read(&vm->pmap.nr_shared) },
		{ VMMON_A_MEM_ZERO, atomic_long_read(&vm->pmap.nr_zero) },
		{ VMMON_A_MEM_COW_BREAKS,
		  atomic_long_read(&vm->pmap.cow_breaks) },
		{ VMMON_A_MEM_MERGED, READ_ONCE(vm->ksm.merged) },
		{ VMMON_A_MEM_FULL_SCANS, READ_ONCE(vm->ksm.full_scans) },
	};

	return vmmon_genl_nest_u64s(skb, VMMON_A_VM_MEM, mem, ARRAY_SIZE(mem),
				    VMMON_A_MEM_PAD);
}

static int vmmon_genl_put_gstats(struct sk_buff *skb,
				 const struct vmmon_balloon_stats *st)
{
	const struct vmmon_genl_u64 gstats[] = {
		{ VMMON_A_GSTAT_TOTAL, st->total },
		{ VMMON_A_GSTAT_FREE, st->free },
		{ VMMON_A_GSTAT_AVAILABLE, st->available },
		{ VMMON_A_GSTAT_CACHED, st->cached },
		{ VMMON_A_GSTAT_SWAP_IN, st->swap_in },
		{ VMMON_A_GSTAT_SWAP_OUT, st->swap_out },
		{ VMMON_A_GSTAT_MAJOR_FAULTS, st->major_faults },
		{ VMMON_A_GSTAT_OOM_KILLS, st->oom_kills },
	};

	return vmmon_genl_nest_u64s(skb, VMMON_A_BALLOON_STATS, gstats,
				    ARRAY_SIZE(gstats), VMMON_A_GSTAT_PAD);
}

static int vmmon_genl_put_balloon_u64s(struct sk_buff *skb,
				       const struct vmmon_balloon_info *b)
{
	const struct vmmon_genl_u64 u64s[] = {
		{ VMMON_A_BALLOON_TARGET, b->target },
		{ VMMON_A_BALLOON_SIZE, b->size },
		{ VMMON_A_BALLOON_GUEST_ACTUAL, b->guest_actual },
		{ VMMON_A_BALLOON_INFLATED, b->inflated },
		{ VMMON_A_BALLOON_DEFLATED, b->deflated },
		{ VMMON_A_BALLOON_FREED, b->freed },
		{ VMMON_A_BALLOON_KICKS, b->kicks },
		{ VMMON_A_BALLOON_BAD_REQUESTS, b->bad_requests },
		{ VMMON_A_BALLOON_BUSY_NS, b->busy_ns },
	};

	return vmmon_genl_put_u64s(skb, u64s, ARRAY_SIZE(u64s),
				   VMMON_A_BALLOON_PAD);
}

/* The balloon's figures (uapi/vmmon_balloon.h), a snapshot. */
static int vmmon_genl_put_balloon(struct sk_buff *skb, struct vmmon_vm *vm)
{
	struct vmmon_balloon_info b;
	struct nlattr *nest;
	unsigned int i;

	vmmon_balloon_read(&vm->balloon, &b);
	nest = nla_nest_start(skb, VMMON_A_VM_BALLOON);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMMON_A_BALLOON_STATE, b.state) ||
	    vmmon_genl_put_balloon_u64s(skb, &b))
		goto cancel;
	for (i = 0; i < VMMON_BALLOON_S_NR; i++)
		if (nla_put_u64_64bit(skb, VMMON_A_BALLOON_STATUS0 + i,
				      b.status[i], VMMON_A_BALLOON_PAD))
			goto cancel;
	if (b.have_stats &&
	    (vmmon_genl_put_gstats(skb, &b.stats) ||
	     nla_put_u64_64bit(skb, VMMON_A_BALLOON_STATS_AGE_NS,
			       b.stats_age_ns, VMMON_A_BALLOON_PAD)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* The memory policy's view of the VM (memsched.h). */
static int vmmon_genl_put_memsched(struct sk_buff *skb, struct vmmon_vm *vm)
{
	struct vmmon_memsched_info m;
	struct nlattr *nest;

	vmmon_memsched_read(vm, &m);
	nest = nla_nest_start(skb, VMMON_A_VM_MEMSCHED);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMMON_A_MS_SHARES, m.shares) ||
	    nla_put_u64_64bit(skb, VMMON_A_MS_RESERVE, m.reserve, VMMON_A_MS_PAD) ||
	    nla_put_u64_64bit(skb, VMMON_A_MS_SIZE, m.size, VMMON_A_MS_PAD) ||
	    nla_put_u32(skb, VMMON_A_MS_ACTIVE_PPM, m.active_ppm) ||
	    nla_put_u32(skb, VMMON_A_MS_SAMPLED, m.sampled) ||
	    nla_put_u32(skb, VMMON_A_MS_TOUCHED, m.touched) ||
	    nla_put_u64_64bit(skb, VMMON_A_MS_RHO, m.rho, VMMON_A_MS_PAD) ||
	    nla_put_u64_64bit(skb, VMMON_A_MS_ALLOC, m.alloc, VMMON_A_MS_PAD) ||
	    nla_put_u32(skb, VMMON_A_MS_RECLAIMABLE, m.reclaimable) ||
	    nla_put_u64_64bit(skb, VMMON_A_MS_TARGET_CHANGES, m.target_changes,
			      VMMON_A_MS_PAD) ||
	    (m.target_changes &&
	     nla_put_u64_64bit(skb, VMMON_A_MS_TARGET_AGE_NS, m.target_age_ns,
			       VMMON_A_MS_PAD))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vmmon_genl_put_vcpu(struct sk_buff *skb,
			       const struct vmmon_vcpu *vcpu)
{
	struct nlattr *nest = nla_nest_start(skb, VMMON_A_VCPU);
	struct vmmon_exit_stats st = {};

	if (!nest)
		return -EMSGSIZE;
	vmmon_vcpu_read_stats(vcpu, &st);
	if (nla_put_u32(skb, VMMON_A_VCPU_ID, vcpu->id) ||
	    vmmon_genl_put_exits(skb, VMMON_A_VCPU_EXITS, &st) ||
	    nla_put_u64_64bit(skb, VMMON_A_VCPU_RUN_NS,
			      vmmon_vcpu_run_ns(vcpu), VMMON_A_PAD) ||
	    nla_put_u64_64bit(skb, VMMON_A_VCPU_LOADS, READ_ONCE(vcpu->loads),
			      VMMON_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The vCPUs' figures, summed into the VM's, and each vCPU's in a nest
 * when @vcpus.  The caller holds vm->lock, which keeps vcpus[] still,
 * not the counters.
 */
static int vmmon_genl_put_vcpus(struct sk_buff *skb, struct vmmon_vm *vm,
				bool vcpus)
{
	struct vmmon_exit_stats sum = {};
	struct nlattr *nest = NULL;
	unsigned int i, n = 0;
	u64 run_ns = 0;

	lockdep_assert_held(&vm->lock);
	if (vcpus) {
		nest = nla_nest_start(skb, VMMON_A_VM_VCPUS);
		if (!nest)
			return -EMSGSIZE;
	}
	for (i = 0; i < VMMON_MAX_VCPUS; i++) {
		struct vmmon_vcpu *vcpu = vm->vcpus[i];

		if (!vcpu)
			continue;
		n++;
		vmmon_vcpu_read_stats(vcpu, &sum);
		run_ns += vmmon_vcpu_run_ns(vcpu);
		if (nest && vmmon_genl_put_vcpu(skb, vcpu))
			goto cancel;
	}
	if (nest)
		nla_nest_end(skb, nest);
	if (nla_put_u32(skb, VMMON_A_VM_NR_VCPUS, n) ||
	    vmmon_genl_put_exits(skb, VMMON_A_VM_EXITS, &sum) ||
	    nla_put_u64_64bit(skb, VMMON_A_VM_RUN_NS, run_ns, VMMON_A_PAD))
		return -EMSGSIZE;
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * One VM's message: all of it, or its id and owner for a stranger.  The
 * caller holds vm->lock.
 */
static int vmmon_genl_fill_vm(struct sk_buff *skb, struct vmmon_vm *vm,
			      const struct vmmon_genl_viewer *v, u32 portid,
			      u32 seq, int flags, bool vcpus)
{
	void *hdr = genlmsg_put(skb, portid, seq, &vmmon_genl_family, flags,
				VMMON_CMD_GET_VM);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMMON_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, VMMON_A_VM_OWNER_UID,
			from_kuid_munged(v->user_ns, vm->owner)))
		goto cancel;
	if (!vmmon_genl_may_see(v, vm))
		goto done;
	if ((vm->name[0] && nla_put_string(skb, VMMON_A_VM_NAME, vm->name)) ||
	    nla_put_u32(skb, VMMON_A_VM_OWNER_PID,
			vmmon_genl_owner_pid(v, vm)) ||
	    nla_put_u32(skb, VMMON_A_VM_STATE, vmmon_vm_state(vm)) ||
	    nla_put_u64_64bit(skb, VMMON_A_VM_CREATED_NS, vm->created_ns,
			      VMMON_A_PAD) ||
	    vmmon_genl_put_mem(skb, vm) ||
	    vmmon_genl_put_balloon(skb, vm) ||
	    vmmon_genl_put_memsched(skb, vm) ||
	    vmmon_genl_put_vcpus(skb, vm, vcpus))
		goto cancel;
done:
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

#define VMMON_GENL_NAME_RULE "a name is 1-31 of [A-Za-z0-9._-], not all digits"

/*
 * The VM a request names, by id or by name, under vmmon_vms_lock();
 * ERR_PTR(-EINVAL) or ERR_PTR(-ENOENT) after an extack message.
 */
static struct vmmon_vm *vmmon_genl_lookup(const struct vmmon_genl_viewer *v,
					   struct genl_info *info)
{
	struct nlattr *id = info->attrs[VMMON_A_VM_ID];
	struct nlattr *name = info->attrs[VMMON_A_VM_NAME];
	struct vmmon_vm *vm;

	if (!id == !name) {
		NL_SET_ERR_MSG(info->extack,
			       "name a VM by VMMON_A_VM_ID or VMMON_A_VM_NAME (one of them)");
		return ERR_PTR(-EINVAL);
	}
	if (id) {
		vm = vmmon_vm_find(nla_get_u32(id));
	} else {
		/* "" would match every VM without a name. */
		if (!vmmon_name_valid(nla_data(name))) {
			NL_SET_ERR_MSG_ATTR(info->extack, name,
					    VMMON_GENL_NAME_RULE);
			return ERR_PTR(-EINVAL);
		}
		vm = vmmon_vm_find_name(nla_data(name), v->euid);
		/* A stranger learns no name, not even that it exists. */
		if (vm && !vmmon_genl_may_see(v, vm))
			vm = NULL;
	}
	if (!vm) {
		NL_SET_ERR_MSG_ATTR(info->extack, id ?: name, "no such VM");
		return ERR_PTR(-ENOENT);
	}
	return vm;
}

/*
 * A doit on one VM begins: who asks, the registry locked, the VM named
 * (or an ERR_PTR).  vmmon_genl_end() undoes the first two.
 */
static struct vmmon_vm *vmmon_genl_begin(struct sk_buff *skb,
					  struct genl_info *info,
					  struct vmmon_genl_viewer *v)
{
	vmmon_genl_viewer_get(v, skb);
	vmmon_vms_lock();
	return vmmon_genl_lookup(v, info);
}

static void vmmon_genl_end(struct vmmon_genl_viewer *v)
{
	vmmon_vms_unlock();
	vmmon_genl_viewer_put(v);
}

static int vmmon_genl_get_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct vmmon_genl_viewer v;
	struct sk_buff *msg;
	struct vmmon_vm *vm;
	unsigned int i, n = 0;
	int err;

	vm = vmmon_genl_begin(skb, info, &v);
	if (IS_ERR(vm)) {
		vmmon_genl_end(&v);
		return PTR_ERR(vm);
	}
	/* Counted, sized and filled under one hold of vm->lock. */
	mutex_lock(&vm->lock);
	for (i = 0; i < VMMON_MAX_VCPUS; i++)
		n += !!vm->vcpus[i];
	msg = genlmsg_new(VMMON_GENL_VM_SIZE + n * VMMON_GENL_VCPU_SIZE,
			  GFP_KERNEL);
	err = msg ? vmmon_genl_fill_vm(msg, vm, &v, info->snd_portid,
				       info->snd_seq, 0, true) : -ENOMEM;
	mutex_unlock(&vm->lock);
	vmmon_genl_end(&v);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* A dump's state, in cb->ctx: where the next part goes on, and who asked. */
struct vmmon_genl_dump {
	unsigned long next_id;
	struct vmmon_genl_viewer viewer;
};

static int vmmon_genl_dump_start(struct netlink_callback *cb)
{
	struct vmmon_genl_dump *d = (void *)cb->ctx;

	BUILD_BUG_ON(sizeof(*d) > sizeof(cb->ctx));
	/* Nothing selects or filters a dump: say so, not ignore it. */
	if (nlmsg_attrlen(cb->nlh, GENL_HDRLEN)) {
		NL_SET_ERR_MSG(cb->extack, "a dump of the VMs takes no attributes");
		return -EINVAL;
	}
	d->next_id = 0;
	vmmon_genl_viewer_get(&d->viewer, cb->skb);
	return 0;
}

static int vmmon_genl_dump_done(struct netlink_callback *cb)
{
	struct vmmon_genl_dump *d = (void *)cb->ctx;

	vmmon_genl_viewer_put(&d->viewer);
	return 0;
}

static int vmmon_genl_dump_vms(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct vmmon_genl_dump *d = (void *)cb->ctx;
	unsigned long id = d->next_id;
	struct vmmon_vm *vm;
	int err = 0;

	vmmon_vms_lock();
	for (; (vm = vmmon_vm_next(&id)); id++) {
		mutex_lock(&vm->lock);
		err = vmmon_genl_fill_vm(skb, vm, &d->viewer,
					 NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 false);
		mutex_unlock(&vm->lock);
		if (err)
			break;
	}
	vmmon_vms_unlock();
	d->next_id = id;
	/* A VM that does not fit an empty message would never be sent. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

static int vmmon_genl_rename(struct vmmon_vm *vm, struct genl_info *info)
{
	struct nlattr *name = info->attrs[VMMON_A_VM_NEW_NAME];
	int err = vmmon_vm_rename(vm, nla_data(name));

	if (err == -EINVAL)
		NL_SET_ERR_MSG_ATTR(info->extack, name, VMMON_GENL_NAME_RULE);
	else if (err == -EEXIST)
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "the owner has a VM of that name");
	return err;
}

/*
 * The memory policy's settings of a VM, checked: -ERANGE, -EPERM or
 * -ENOSPC after an extack message, or 0 with nothing changed yet.
 */
static int vmmon_genl_check_memsched(struct vmmon_vm *vm,
				     const struct vmmon_genl_viewer *v,
				     struct genl_info *info)
{
	struct nlattr *shares = info->attrs[VMMON_A_VM_MEM_SHARES];
	struct nlattr *reserve = info->attrs[VMMON_A_VM_MEM_RESERVE];
	u32 s = shares ? nla_get_u32(shares) : 0;
	u64 r = reserve ? nla_get_u64(reserve) : 0;

	if (shares && (!nla_get_u32(shares) ||
		       nla_get_u32(shares) > VMMON_MEM_SHARES_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, shares,
				    "shares are 1 to VMMON_MEM_SHARES_MAX");
		return -ERANGE;
	}
	if (reserve && nla_get_u64(reserve) > READ_ONCE(vm->pmap.nr_pages)) {
		NL_SET_ERR_MSG_ATTR(info->extack, reserve,
				    "a reservation is at most the VM's RAM, in pages");
		return -ERANGE;
	}
	switch (vmmon_memsched_check_vm(vm, shares ? &s : NULL,
					reserve ? &r : NULL, v->admin)) {
	case VMMON_MEMSCHED_ADMITTED:
		return 0;
	case VMMON_MEMSCHED_SHARES_NEED_ADMIN:
		NL_SET_ERR_MSG_ATTR(info->extack, shares,
				    "shares above the VM's default (one per MiB of its RAM) need CAP_SYS_ADMIN");
		return -EPERM;
	case VMMON_MEMSCHED_RESERVE_NEEDS_ADMIN:
		NL_SET_ERR_MSG_ATTR(info->extack, reserve,
				    "raising a reservation needs CAP_SYS_ADMIN");
		return -EPERM;
	case VMMON_MEMSCHED_RESERVE_PASSES_BUDGET:
		NL_SET_ERR_MSG_ATTR(info->extack, reserve,
				    "the VMs' reservations would pass the memory budget");
		return -ENOSPC;
	}
	return -EINVAL;
}

static void vmmon_genl_set_memsched(struct vmmon_vm *vm,
				    const struct vmmon_genl_viewer *v,
				    struct genl_info *info)
{
	struct nlattr *shares = info->attrs[VMMON_A_VM_MEM_SHARES];
	struct nlattr *reserve = info->attrs[VMMON_A_VM_MEM_RESERVE];
	u32 s = shares ? nla_get_u32(shares) : 0;
	u64 r = reserve ? nla_get_u64(reserve) : 0;

	if (shares || reserve)
		vmmon_memsched_set_vm(vm, shares ? &s : NULL,
				      reserve ? &r : NULL, v->admin);
}

/*
 * A new name, a balloon target, shares and a reservation, any of them:
 * each checked before any is changed, so that a refused request changes
 * nothing.
 */
static int vmmon_genl_set_vm(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *name = info->attrs[VMMON_A_VM_NEW_NAME];
	struct nlattr *target = info->attrs[VMMON_A_VM_BALLOON_TARGET];
	struct vmmon_genl_viewer v;
	struct vmmon_vm *vm;
	int err;

	if (!name && !target && !info->attrs[VMMON_A_VM_MEM_SHARES] &&
	    !info->attrs[VMMON_A_VM_MEM_RESERVE]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: no VMMON_A_VM_NEW_NAME, VMMON_A_VM_BALLOON_TARGET, VMMON_A_VM_MEM_SHARES or VMMON_A_VM_MEM_RESERVE");
		return -EINVAL;
	}
	vm = vmmon_genl_begin(skb, info, &v);
	if (IS_ERR(vm)) {
		err = PTR_ERR(vm);
		goto end;
	}
	if (!vmmon_genl_may_see(&v, vm)) {
		NL_SET_ERR_MSG(info->extack,
			       "only the VM's owner or CAP_SYS_ADMIN may change it");
		err = -EPERM;
		goto end;
	}
	if (target && nla_get_u64(target) > READ_ONCE(vm->pmap.nr_pages)) {
		NL_SET_ERR_MSG_ATTR(info->extack, target,
				    "a balloon target is at most the VM's RAM, in pages");
		err = -ERANGE;
		goto end;
	}
	err = vmmon_genl_check_memsched(vm, &v, info);
	if (err)
		goto end;
	if (name) {
		err = vmmon_genl_rename(vm, info);
		if (err)
			goto end;
	}
	vmmon_genl_set_memsched(vm, &v, info);
	if (target)
		err = vmmon_balloon_set_target(vm, nla_get_u64(target));
end:
	vmmon_genl_end(&v);
	return err;
}

static int vmmon_genl_put_counter(struct sk_buff *skb, const char *name,
				  u64 value)
{
	struct nlattr *c = nla_nest_start(skb, VMMON_A_COUNTER);

	if (!c || nla_put_string(skb, VMMON_A_COUNTER_NAME, name) ||
	    nla_put_u64_64bit(skb, VMMON_A_COUNTER_VALUE, value, VMMON_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, c);
	return 0;
}

/*
 * Page sharing's figures (kmod/ksm/), after the backend's: shared host
 * pages, guest pages backed by them, the pages that saves (the second
 * less the first), hints, copy-on-write breaks, and the scanner's work.
 */
static int vmmon_genl_put_ksm_counters(struct sk_buff *skb)
{
	struct vmmon_ksm_stats st;

	vmmon_ksm_read(&st);
	if (vmmon_genl_put_counter(skb, "ksm_pages_shared", st.pages_shared) ||
	    vmmon_genl_put_counter(skb, "ksm_pages_sharing",
				   st.pages_sharing) ||
	    vmmon_genl_put_counter(skb, "ksm_pages_saved",
				   st.pages_sharing > st.pages_shared ?
				   st.pages_sharing - st.pages_shared : 0) ||
	    vmmon_genl_put_counter(skb, "ksm_hints", st.hints) ||
	    vmmon_genl_put_counter(skb, "ksm_cow_breaks",
				   vmmon_pmap_cow_breaks_all()) ||
	    vmmon_genl_put_counter(skb, "ksm_pages_scanned", st.scanned) ||
	    vmmon_genl_put_counter(skb, "ksm_pages_merged", st.merged) ||
	    vmmon_genl_put_counter(skb, "ksm_full_scans", st.full_scans) ||
	    vmmon_genl_put_counter(skb, "ksm_scan_ns", st.scan_ns))
		return -EMSGSIZE;
	return 0;
}

/* The memory policy's budget and tax: CAP_SYS_ADMIN only. */
static int vmmon_genl_set_module(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *budget = info->attrs[VMMON_A_MEM_BUDGET];
	struct nlattr *tau = info->attrs[VMMON_A_MEM_TAU];
	struct nlattr *pass = info->attrs[VMMON_A_KSM_PAGES_PER_PASS];
	struct nlattr *sleep = info->attrs[VMMON_A_KSM_SLEEP_MS];
	u64 b = budget ? nla_get_u64(budget) : 0;
	u32 t = tau ? nla_get_u32(tau) : 0;
	u32 p = pass ? nla_get_u32(pass) : 0;
	u32 s = sleep ? nla_get_u32(sleep) : 0;
	int err;

	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "only CAP_SYS_ADMIN may change the module's settings");
		return -EPERM;
	}
	if (!budget && !tau && !pass && !sleep) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: no VMMON_A_MEM_BUDGET, VMMON_A_MEM_TAU, VMMON_A_KSM_PAGES_PER_PASS or VMMON_A_KSM_SLEEP_MS");
		return -EINVAL;
	}
	/* All checked before anything changes. */
	if (b > MEMSCHED_PAGES_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, budget,
				    "a budget is at most 2^36 pages");
		return -ERANGE;
	}
	if (p > VMMON_KSM_PASS_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, pass,
				    "page sharing scans at most 65536 pages a pass");
		return -ERANGE;
	}
	if (sleep && (!s || s > VMMON_KSM_SLEEP_MS_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, sleep,
				    "page sharing's pause between passes is 1 to 60000 ms");
		return -ERANGE;
	}
	if (budget || tau) {
		err = vmmon_memsched_set_mod(budget ? &b : NULL,
					     tau ? &t : NULL);
		if (err) {
			NL_SET_ERR_MSG_ATTR(info->extack, budget,
					    "the VMs' reservations pass that budget");
			return err;
		}
	}
	if (pass || sleep)
		vmmon_ksm_set_rate(pass ? &p : NULL, sleep ? &s : NULL);
	return 0;
}

static int vmmon_genl_put_memsched_mod(struct sk_buff *skb)
{
	struct vmmon_memsched_mod_info m;
	struct nlattr *nest;

	vmmon_memsched_read_mod(&m);
	nest = nla_nest_start(skb, VMMON_A_MOD_MEMSCHED);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, VMMON_A_MSM_BUDGET, m.budget, VMMON_A_MSM_PAD) ||
	    nla_put_u32(skb, VMMON_A_MSM_TAU, m.tau) ||
	    nla_put_u32(skb, VMMON_A_MSM_PERIOD_MS, m.period_ms) ||
	    nla_put_u32(skb, VMMON_A_MSM_SAMPLE, m.sample) ||
	    nla_put_u64_64bit(skb, VMMON_A_MSM_DEMAND, m.demand, VMMON_A_MSM_PAD) ||
	    nla_put_u32(skb, VMMON_A_MSM_PRESSURE, m.pressure) ||
	    nla_put_u32(skb, VMMON_A_MSM_OVERCOMMITTED, m.overcommitted) ||
	    nla_put_u64_64bit(skb, VMMON_A_MSM_PERIODS, m.periods, VMMON_A_MSM_PAD) ||
	    nla_put_u64_64bit(skb, VMMON_A_MSM_WORK_NS, m.work_ns, VMMON_A_MSM_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vmmon_genl_put_counters(struct sk_buff *skb)
{
	struct nlattr *nest = nla_nest_start(skb, VMMON_A_MOD_COUNTERS);
	const char *name;
	unsigned int i;
	u64 value;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; vmmon_hw()->counter(i, &name, &value); i++)
		if (vmmon_genl_put_counter(skb, name, value))
			goto cancel;
	if (vmmon_genl_put_ksm_counters(skb))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int vmmon_genl_put_ksm_rate(struct sk_buff *skb)
{
	struct vmmon_ksm_stats st;

	vmmon_ksm_read(&st);
	if (nla_put_u32(skb, VMMON_A_KSM_PAGES_PER_PASS, st.pages_per_pass) ||
	    nla_put_u32(skb, VMMON_A_KSM_SLEEP_MS, st.sleep_ms))
		return -EMSGSIZE;
	return 0;
}

static int vmmon_genl_get_module(struct sk_buff *skb, struct genl_info *info)
{
	char mitigations[VMMON_GENL_MITIGATIONS_MAX];
	struct sk_buff *msg;
	void *hdr;

	vmmon_hw()->mitigations(mitigations, sizeof(mitigations));
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vmmon_genl_family, 0,
				VMMON_CMD_GET_MODULE);
	if (!hdr)
		goto too_big;
	if (nla_put_u32(msg, VMMON_A_MOD_API_VERSION, VMMON_API_VERSION) ||
	    nla_put_u32(msg, VMMON_A_MOD_GENL_VERSION, VMMON_GENL_VERSION) ||
	    nla_put_string(msg, VMMON_A_MOD_BACKEND, vmmon_hw()->name) ||
	    nla_put_string(msg, VMMON_A_MOD_FEATURES, vmmon_hw()->describe()) ||
	    nla_put_string(msg, VMMON_A_MOD_MITIGATIONS, mitigations) ||
	    vmmon_genl_put_counters(msg) ||
	    nla_put_u32(msg, VMMON_A_MOD_NR_VMS, vmmon_vm_count()) ||
	    nla_put_u32(msg, VMMON_A_MOD_NR_VCPUS, vmmon_vcpu_count()) ||
	    nla_put_u64_64bit(msg, VMMON_A_MOD_GUEST_PAGES,
			      vmmon_pmap_resident_all(), VMMON_A_PAD) ||
	    nla_put_u32(msg, VMMON_A_MOD_VMX_CPUS, vmmon_hw_cpus_on()) ||
	    vmmon_genl_put_memsched_mod(msg) ||
	    vmmon_genl_put_ksm_rate(msg))
		goto too_big;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops vmmon_genl_ops[] = {
	{
		.cmd = VMMON_CMD_GET_MODULE,
		.doit = vmmon_genl_get_module,
		.policy = vmmon_genl_module_policy,
		.maxattr = VMMON_A_MAX,
	},
	{
		.cmd = VMMON_CMD_GET_VM,
		.doit = vmmon_genl_get_vm,
		.start = vmmon_genl_dump_start,
		.dumpit = vmmon_genl_dump_vms,
		.done = vmmon_genl_dump_done,
		.policy = vmmon_genl_get_vm_policy,
		.maxattr = VMMON_A_MAX,
	},
	{
		.cmd = VMMON_CMD_SET_VM,
		.doit = vmmon_genl_set_vm,
		.policy = vmmon_genl_set_vm_policy,
		.maxattr = VMMON_A_MAX,
	},
	{
		.cmd = VMMON_CMD_SET_MODULE,
		.doit = vmmon_genl_set_module,
		.policy = vmmon_genl_set_module_policy,
		.maxattr = VMMON_A_MAX,
	},
};

static struct genl_family vmmon_genl_family __ro_after_init = {
	.name = VMMON_GENL_NAME,
	.version = VMMON_GENL_VERSION,
	/* No resv_start_op: every command validates strictly. */
	.module = THIS_MODULE,
	.ops = vmmon_genl_ops,
	.n_ops = ARRAY_SIZE(vmmon_genl_ops),
	.mcgrps = vmmon_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vmmon_genl_mcgrps),
};

/*
 * An event, to whoever listens: the VM's id, owner (in the initial user
 * namespace) and what happened, which anyone may know of any VM.
 * Dropped if memory is short: a listener sees a gap, vmmon goes on.
 */
void vmmon_genl_event(struct vmmon_vm *vm, enum vmmon_event event)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&vmmon_genl_family, &init_net,
				VMMON_GENL_MCGRP_EVENTS_ID))
		return;
	msg = genlmsg_new(VMMON_GENL_EVENT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vmmon_genl_family, 0, VMMON_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, VMMON_A_VM_ID, vm->id) ||
	    nla_put_u32(msg, VMMON_A_VM_OWNER_UID,
			from_kuid_munged(&init_user_ns, vm->owner)) ||
	    nla_put_u32(msg, VMMON_A_EVENT, event)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&vmmon_genl_family, msg, 0,
			  VMMON_GENL_MCGRP_EVENTS_ID, GFP_KERNEL);
}

int vmmon_genl_setup(void)
{
	return genl_register_family(&vmmon_genl_family);
}

void vmmon_genl_teardown(void)
{
	genl_unregister_family(&vmmon_genl_family);
}
