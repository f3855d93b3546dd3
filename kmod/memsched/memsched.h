/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory policy in the module (issue 16): a periodic worker samples
 * each VM's active memory and, with a host budget, sets the balloon
 * targets that memsched_policy.c decides.  Files: memsched.c the worker,
 * its settings and figures; memsched_sample.c the sampling of accessed
 * flags; memsched_policy.c the arithmetic (pure, unit-tested natively).
 *
 * Locking: vmmon_vms_lock() before vmmon_memsched_lock, as netlink and
 * the budget's setters take them.  The worker holds the registry only to
 * pin the VMs (vmmon_vm_pin()), and the policy's lock only to decide:
 * it samples, writes balloon targets and announces them without either.
 */
#ifndef VMMON_MEMSCHED_H
#define VMMON_MEMSCHED_H

#include <linux/types.h>
#include "memsched_policy.h"

struct vmmon_vm;

/* The most pages sampled in a VM each period (module parameter mem_sample). */
#define VMMON_MEMSCHED_SAMPLE_MAX	256

/* A VM's part; all zero at creation means the defaults. */
struct vmmon_memsched_vm {
	u32 shares;		/* 0: proportional to its RAM */
	/* The most shares its owner may set: an administrator's, 0: default */
	u32 shares_ceiling;
	u64 reserve;		/* pages */
	struct memsched_active active;
	u32 sampled, touched;	/* the last sample's figures */
	u64 rho, alloc;		/* the last decision's */
	bool reclaimable;
	u64 target_changes;
	u64 target_ns;		/* ktime_get_ns() at the last change */
	/* The pages whose accessed flags were cleared at the period's start. */
	unsigned int nr_sample;
	u64 sample[VMMON_MEMSCHED_SAMPLE_MAX];
};

/* What netlink shows of a VM (VMMON_A_VM_MEMSCHED). */
struct vmmon_memsched_info {
	u32 shares;
	u64 reserve, size;
	u32 active_ppm, sampled, touched;
	u64 rho, alloc;
	bool reclaimable;
	u64 target_changes, target_age_ns;
};

/* And of the host (VMMON_A_MOD_MEMSCHED). */
struct vmmon_memsched_mod_info {
	u64 budget;
	u32 tau, period_ms, sample;
	u64 demand;
	bool pressure, overcommitted;
	u64 periods, work_ns;
};

void vmmon_memsched_setup(void);
void vmmon_memsched_teardown(void);
void vmmon_memsched_read(struct vmmon_vm *vm, struct vmmon_memsched_info *i);
void vmmon_memsched_read_mod(struct vmmon_memsched_mod_info *i);
/*
 * SET_VM, either may be absent (NULL): checked, then set, both under
 * vmmon_vms_lock() so that the reservations admitted stay within the
 * budget.  The check says what it refuses, for the caller's message.
 */
enum vmmon_memsched_refusal {
	VMMON_MEMSCHED_ADMITTED,
	VMMON_MEMSCHED_SHARES_NEED_ADMIN,	/* raised past the default */
	VMMON_MEMSCHED_RESERVE_NEEDS_ADMIN,	/* raised */
	VMMON_MEMSCHED_RESERVE_PASSES_BUDGET,
};

enum vmmon_memsched_refusal
vmmon_memsched_check_vm(struct vmmon_vm *vm, const u32 *shares,
			const u64 *reserve, bool admin);
void vmmon_memsched_set_vm(struct vmmon_vm *vm, const u32 *shares,
			   const u64 *reserve, bool admin);
/*
 * SET_MODULE: either may be absent (NULL); ranges checked by the caller.
 * -ENOSPC for a budget below the VMs' reservations; nothing changed then.
 */
int vmmon_memsched_set_mod(const u64 *budget, const u32 *tau);

/* memsched_sample.c */
bool vmmon_memsched_sample(struct vmmon_vm *vm, unsigned int n,
			   u32 *sampled, u32 *touched);

#endif /* VMMON_MEMSCHED_H */
