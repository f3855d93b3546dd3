// SPDX-License-Identifier: GPL-2.0
/*
 * The memory policy's worker, settings and figures (see memsched.h).
 *
 * Each period (mem_period_ms) the worker samples the active memory of
 * every VM with a balloon channel (those it can take pages from: the
 * VMs that take part) and, when a budget is set (mem_budget, or netlink), gives
 * memsched_decide() each VM's shares, reservation, size, resident pages
 * and estimate, and sets the balloon targets it returns.  A changed
 * target is published to the guest at once and announced as
 * VMMON_EVENT_MEM_TARGET; the guest's driver then inflates or deflates
 * towards it, and the next periods see the pages it gave.
 *
 * Without a budget the worker only samples: targets are the owner's
 * (vmctl balloon), and stay as they were when a budget is removed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include "vmmon_vm.h"
#include "memsched.h"

#define VMMON_MEMSCHED_PERIOD_MS	1000
#define VMMON_MEMSCHED_PERIOD_MIN_MS	10
#define VMMON_MEMSCHED_PERIOD_MAX_MS	60000
#define VMMON_MEMSCHED_SAMPLE		100	/* pages a period, as ESX */
/* Default shares: one per MiB of RAM. */
#define VMMON_MEMSCHED_PAGES_PER_SHARE	(SZ_1M / PAGE_SIZE)
#define VMMON_MEMSCHED_PPM		1000000

static DEFINE_MUTEX(vmmon_memsched_lock);
static u64 vmmon_mem_budget;		/* pages; WRITE_ONCE under the lock */
static unsigned int vmmon_mem_tau = MEMSCHED_TAU_DEFAULT;
static unsigned int vmmon_mem_period_ms = VMMON_MEMSCHED_PERIOD_MS;
static unsigned int vmmon_mem_sample = VMMON_MEMSCHED_SAMPLE;
/* The last period's figures, under the lock. */
static struct memsched_result vmmon_memsched_last;
static u64 vmmon_memsched_periods, vmmon_memsched_work_ns;
static struct delayed_work vmmon_memsched_dwork;

/* The reservations of the listed VMs but @skip: registry and lock held. */
static u64 vmmon_memsched_reserved(const struct vmmon_vm *skip)
{
	unsigned long id = 0;
	struct vmmon_vm *vm;
	u64 sum = 0;

	lockdep_assert_held(&vmmon_memsched_lock);
	for (; (vm = vmmon_vm_next(&id)); id++)
		if (vm != skip)
			sum += vm->memsched.reserve;
	return sum;
}

/*
 * Budget changes: -ENOSPC below the reservations, which were admitted
 * within the budget in force (vmmon_memsched_check_vm()).
 */
static int vmmon_memsched_set_budget(u64 pages)
{
	int err = 0;

	vmmon_vms_lock();
	mutex_lock(&vmmon_memsched_lock);
	if (pages && pages < vmmon_memsched_reserved(NULL))
		err = -ENOSPC;
	else
		WRITE_ONCE(vmmon_mem_budget, pages);
	mutex_unlock(&vmmon_memsched_lock);
	vmmon_vms_unlock();
	return err;
}

/* A size as the kernel's command line takes it (memparse: 256M, 1G). */
static int vmmon_mem_budget_set(const char *val, const struct kernel_param *kp)
{
	char *end;
	u64 bytes = memparse(val, &end);

	if (end == val || (*end && strcmp(end, "\n")))
		return -EINVAL;
	if (bytes >> PAGE_SHIFT > MEMSCHED_PAGES_MAX)
		return -ERANGE;
	return vmmon_memsched_set_budget(bytes >> PAGE_SHIFT);
}

static int vmmon_mem_budget_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(vmmon_mem_budget) << PAGE_SHIFT);
}

static const struct kernel_param_ops vmmon_mem_budget_ops = {
	.set = vmmon_mem_budget_set,
	.get = vmmon_mem_budget_get,
};
module_param_cb(mem_budget, &vmmon_mem_budget_ops, NULL, 0644);
MODULE_PARM_DESC(mem_budget,
		 "host memory for all guests, bytes (K, M, G suffixes); 0: no budget, the memory policy only samples");

static int vmmon_mem_tau_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, MEMSCHED_TAU_MAX);
}

static const struct kernel_param_ops vmmon_mem_tau_ops = {
	.set = vmmon_mem_tau_set,
	.get = param_get_uint,
};
module_param_cb(mem_tau, &vmmon_mem_tau_ops, &vmmon_mem_tau, 0644);
MODULE_PARM_DESC(mem_tau, "idle memory tax, percent (0-99, default 75)");

static int vmmon_mem_period_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, VMMON_MEMSCHED_PERIOD_MIN_MS,
				     VMMON_MEMSCHED_PERIOD_MAX_MS);
}

static const struct kernel_param_ops vmmon_mem_period_ops = {
	.set = vmmon_mem_period_set,
	.get = param_get_uint,
};
module_param_cb(mem_period_ms, &vmmon_mem_period_ops, &vmmon_mem_period_ms,
		0644);
MODULE_PARM_DESC(mem_period_ms,
		 "memory policy period: sampling and decisions, ms (10-60000, default 1000)");

static int vmmon_mem_sample_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, VMMON_MEMSCHED_SAMPLE_MAX);
}

static const struct kernel_param_ops vmmon_mem_sample_ops = {
	.set = vmmon_mem_sample_set,
	.get = param_get_uint,
};
module_param_cb(mem_sample, &vmmon_mem_sample_ops, &vmmon_mem_sample, 0644);
MODULE_PARM_DESC(mem_sample,
		 "pages sampled per VM and period for its active memory (1-256, default 100)");

/*
 * The host pages page sharing saves @vm, which the policy counts as free:
 * its guest pages backed by a shared page, less its part of the shared
 * pages themselves (the module's pages_shared over pages_sharing), so
 * that the VMs' savings add up to pages_sharing - pages_shared.
 */
static u64 vmmon_memsched_shared_savings(struct vmmon_vm *vm,
					 const struct vmmon_ksm_stats *st)
{
	u64 mine = atomic_long_read(&vm->pmap.nr_shared);

	if (st->pages_shared >= st->pages_sharing)
		return 0;
	return mul_u64_u64_div_u64(mine, st->pages_sharing - st->pages_shared,
				   st->pages_sharing);
}

static u64 vmmon_memsched_default_shares(struct vmmon_vm *vm)
{
	u64 pages = READ_ONCE(vm->pmap.nr_pages);

	return clamp_t(u64, pages / VMMON_MEMSCHED_PAGES_PER_SHARE, 1,
		       VMMON_MEM_SHARES_MAX);
}

static u64 vmmon_memsched_shares(struct vmmon_vm *vm)
{
	return vm->memsched.shares ?: vmmon_memsched_default_shares(vm);
}

/* A balloon the guest set up and did not break: pages it can give. */
static bool vmmon_memsched_reclaimable(struct vmmon_vm *vm)
{
	return READ_ONCE(vm->balloon.gpa) && !READ_ONCE(vm->balloon.broken);
}

/* One VM in a period of the worker's. */
struct vmmon_memsched_step {
	struct vmmon_vm *vm;		/* pinned */
	struct memsched_vm p;
	bool reclaimable;
	bool ended;			/* a sample ended: these are its figures */
	u32 sampled, touched;
	bool set;			/* p.target is new: write it */
};

/*
 * Sampling, outside the policy's lock (EPT walks, a flush on every CPU):
 * only the VMs that take part, since a VM without a balloon keeps its
 * accessed flags to itself (VMMON_SAMPLE_ACCESSED).
 */
static void vmmon_memsched_sample_vm(struct vmmon_memsched_step *s,
				     unsigned int sample)
{
	struct vmmon_vm *vm = s->vm;

	s->reclaimable = vmmon_memsched_reclaimable(vm);
	if (s->reclaimable)
		s->ended = vmmon_memsched_sample(vm, sample, &s->sampled,
						 &s->touched);
	else
		vm->memsched.nr_sample = 0;
}

/* One VM into the policy's terms, under its lock. */
static void vmmon_memsched_fill(struct vmmon_memsched_step *s,
				const struct vmmon_ksm_stats *st)
{
	struct vmmon_vm *vm = s->vm;
	struct vmmon_memsched_vm *m = &vm->memsched;
	struct memsched_vm *p = &s->p;

	if (s->ended) {
		m->sampled = s->sampled;
		m->touched = s->touched;
		memsched_active_update(&m->active, s->touched, s->sampled);
	}
	p->reclaimable = s->reclaimable;
	p->min = m->reserve;
	p->max = READ_ONCE(vm->pmap.nr_pages);
	p->shares = vmmon_memsched_shares(vm);
	p->resident = vmmon_pmap_resident(&vm->pmap);
	p->saved = vmmon_memsched_shared_savings(vm, st);
	p->active = memsched_active_estimate(&m->active);
	p->target = READ_ONCE(vm->balloon.target);
	p->alloc = p->resident;
	m->reclaimable = p->reclaimable;
}

static unsigned int vmmon_memsched_count(void)
{
	unsigned long id = 0;
	unsigned int n = 0;

	vmmon_vms_lock();
	for (; vmmon_vm_next(&id); id++)
		n++;
	vmmon_vms_unlock();
	return n;
}

/*
 * Up to @max VMs into @steps, each pinned: the VMs of this period (one
 * created since the count waits for the next).  The registry is held
 * only for the walk: VM creation, VM ends and every netlink request
 * need it.
 */
static unsigned int vmmon_memsched_pin(struct vmmon_memsched_step *steps,
				       unsigned int max)
{
	unsigned long id = 0;
	unsigned int n = 0;
	struct vmmon_vm *vm;

	vmmon_vms_lock();
	for (; n < max && (vm = vmmon_vm_next(&id)); id++) {
		vmmon_vm_pin(vm);
		steps[n++].vm = vm;
	}
	vmmon_vms_unlock();
	return n;
}

/* The decision, under the policy's lock: the figures and the targets. */
static void vmmon_memsched_decide(struct vmmon_memsched_step *steps,
				  struct memsched_vm *p, unsigned int n)
{
	struct vmmon_memsched_vm *m;
	struct vmmon_ksm_stats st;
	struct memsched_result res;
	unsigned int i;
	u64 budget;
	u32 tau;

	vmmon_ksm_read(&st);
	mutex_lock(&vmmon_memsched_lock);
	budget = vmmon_mem_budget;
	tau = READ_ONCE(vmmon_mem_tau);
	for (i = 0; i < n; i++) {
		vmmon_memsched_fill(&steps[i], &st);
		p[i] = steps[i].p;
	}
	if (budget) {
		memsched_decide(p, n, budget, tau, &res);
	} else {
		memset(&res, 0, sizeof(res));
		for (i = 0; i < n; i++)
			res.demand += p[i].resident - min(p[i].saved,
							  p[i].resident);
	}
	for (i = 0; i < n; i++) {
		m = &steps[i].vm->memsched;
		m->rho = memsched_rho(p[i].shares, p[i].resident, p[i].active,
				      tau);
		m->alloc = budget ? p[i].alloc : p[i].max;
		steps[i].p.target = p[i].target;
		steps[i].set = budget &&
			       p[i].target != READ_ONCE(steps[i].vm->balloon.target);
	}
	vmmon_memsched_last = res;
	mutex_unlock(&vmmon_memsched_lock);
}

/* A new target to the guest's balloon, counted and announced. */
static void vmmon_memsched_set_target(struct vmmon_vm *vm, u64 target)
{
	struct vmmon_memsched_vm *m = &vm->memsched;

	/* A guest page the balloon's config cannot be written to: next time. */
	if (vmmon_balloon_set_target(vm, target))
		return;
	mutex_lock(&vmmon_memsched_lock);
	m->target_changes++;
	m->target_ns = ktime_get_ns();
	mutex_unlock(&vmmon_memsched_lock);
	vmmon_genl_event(vm, VMMON_EVENT_MEM_TARGET);
}

static void vmmon_memsched_period(void)
{
	unsigned int n, i, sample = READ_ONCE(vmmon_mem_sample);
	struct vmmon_memsched_step *steps;
	struct memsched_vm *p;

	n = vmmon_memsched_count();
	if (!n) {
		/* No VM: the figures say so, and nothing is sampled. */
		mutex_lock(&vmmon_memsched_lock);
		memset(&vmmon_memsched_last, 0, sizeof(vmmon_memsched_last));
		mutex_unlock(&vmmon_memsched_lock);
		return;
	}
	steps = kvcalloc(n, sizeof(*steps), GFP_KERNEL);
	p = kvmalloc_array(n, sizeof(*p), GFP_KERNEL);
	if (!steps || !p)
		goto free;
	n = vmmon_memsched_pin(steps, n);
	for (i = 0; i < n; i++)
		vmmon_memsched_sample_vm(&steps[i], sample);
	vmmon_memsched_decide(steps, p, n);
	for (i = 0; i < n; i++) {
		if (steps[i].set)
			vmmon_memsched_set_target(steps[i].vm,
						  steps[i].p.target);
		vmmon_vm_unpin(steps[i].vm);
	}
free:
	kvfree(p);
	kvfree(steps);
}

static void vmmon_memsched_work(struct work_struct *work)
{
	u64 start = ktime_get_ns();

	vmmon_memsched_period();
	mutex_lock(&vmmon_memsched_lock);
	vmmon_memsched_periods++;
	vmmon_memsched_work_ns = ktime_get_ns() - start;
	mutex_unlock(&vmmon_memsched_lock);
	queue_delayed_work(system_unbound_wq, &vmmon_memsched_dwork,
			   msecs_to_jiffies(READ_ONCE(vmmon_mem_period_ms)));
}

void vmmon_memsched_read(struct vmmon_vm *vm, struct vmmon_memsched_info *i)
{
	struct vmmon_memsched_vm *m = &vm->memsched;

	mutex_lock(&vmmon_memsched_lock);
	i->shares = vmmon_memsched_shares(vm);
	i->reserve = m->reserve;
	i->size = READ_ONCE(vm->pmap.nr_pages);
	i->active_ppm = (u32)div_u64((u64)memsched_active_estimate(&m->active) *
				     VMMON_MEMSCHED_PPM, MEMSCHED_FRAC_ONE);
	i->sampled = m->sampled;
	i->touched = m->touched;
	i->rho = m->rho;
	i->alloc = m->alloc;
	i->reclaimable = m->reclaimable;
	i->target_changes = m->target_changes;
	i->target_age_ns = m->target_changes ? ktime_get_ns() - m->target_ns : 0;
	mutex_unlock(&vmmon_memsched_lock);
}

void vmmon_memsched_read_mod(struct vmmon_memsched_mod_info *i)
{
	mutex_lock(&vmmon_memsched_lock);
	i->budget = vmmon_mem_budget;
	i->tau = READ_ONCE(vmmon_mem_tau);
	i->period_ms = READ_ONCE(vmmon_mem_period_ms);
	i->sample = READ_ONCE(vmmon_mem_sample);
	i->demand = vmmon_memsched_last.demand;
	i->pressure = vmmon_memsched_last.pressure;
	i->overcommitted = vmmon_memsched_last.overcommitted;
	i->periods = vmmon_memsched_periods;
	i->work_ns = vmmon_memsched_work_ns;
	mutex_unlock(&vmmon_memsched_lock);
}

/*
 * Shares and reservations decide what other users' VMs keep, so an owner
 * without CAP_SYS_ADMIN may only lower them: shares up to the VM's
 * default, or to what an administrator set last (more or less than the
 * default: an administrator's lowering stands), a reservation no higher
 * than it is.  Reservations are admitted while they fit the budget (as
 * ESX admits a VM only if its reservation fits), but that does not make
 * them all met: VMs without a balloon and the floors are not counted
 * here, and may still overcommit the budget (memsched_decide()).
 */
enum vmmon_memsched_refusal
vmmon_memsched_check_vm(struct vmmon_vm *vm, const u32 *shares,
			const u64 *reserve, bool admin)
{
	enum vmmon_memsched_refusal no = VMMON_MEMSCHED_ADMITTED;
	struct vmmon_memsched_vm *m = &vm->memsched;

	mutex_lock(&vmmon_memsched_lock);
	if (!admin && shares &&
	    *shares > (m->shares_ceiling ?: vmmon_memsched_default_shares(vm)))
		no = VMMON_MEMSCHED_SHARES_NEED_ADMIN;
	else if (!admin && reserve && *reserve > m->reserve)
		no = VMMON_MEMSCHED_RESERVE_NEEDS_ADMIN;
	else if (reserve && vmmon_mem_budget &&
		 vmmon_memsched_reserved(vm) + *reserve > vmmon_mem_budget)
		no = VMMON_MEMSCHED_RESERVE_PASSES_BUDGET;
	mutex_unlock(&vmmon_memsched_lock);
	return no;
}

void vmmon_memsched_set_vm(struct vmmon_vm *vm, const u32 *shares,
			   const u64 *reserve, bool admin)
{
	mutex_lock(&vmmon_memsched_lock);
	if (shares)
		vm->memsched.shares = *shares;
	if (shares && admin)
		vm->memsched.shares_ceiling = *shares;
	if (reserve)
		vm->memsched.reserve = *reserve;
	mutex_unlock(&vmmon_memsched_lock);
}

int vmmon_memsched_set_mod(const u64 *budget, const u32 *tau)
{
	int err = budget ? vmmon_memsched_set_budget(*budget) : 0;

	if (err)
		return err;
	if (tau)
		WRITE_ONCE(vmmon_mem_tau, *tau);
	/* Decide now, not a period later: a budget change is an event. */
	mod_delayed_work(system_unbound_wq, &vmmon_memsched_dwork, 0);
	return 0;
}

void vmmon_memsched_setup(void)
{
	INIT_DELAYED_WORK(&vmmon_memsched_dwork, vmmon_memsched_work);
	queue_delayed_work(system_unbound_wq, &vmmon_memsched_dwork,
			   msecs_to_jiffies(READ_ONCE(vmmon_mem_period_ms)));
}

void vmmon_memsched_teardown(void)
{
	/* The work queues itself again: this stops it for good. */
	cancel_delayed_work_sync(&vmmon_memsched_dwork);
}
