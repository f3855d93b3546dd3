/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Share-based memory allocation with an idle-memory tax (Waldspurger,
 * "Memory Resource Management in VMware ESX Server", OSDI 2002, sections
 * 5 and 6): pure arithmetic, no kernel state, so that tests/unit builds
 * it natively.  memsched.c feeds it what the module measured and applies
 * what it decides.
 *
 * Fractions (the active estimate) are fixed point, MEMSCHED_FRAC_ONE for
 * 1.0; the tax rate tau is a whole percentage, 0 to MEMSCHED_TAU_MAX.
 * No floating point: the module runs this.
 */
#ifndef VMMON_MEMSCHED_POLICY_H
#define VMMON_MEMSCHED_POLICY_H

#include <linux/types.h>

#define MEMSCHED_FRAC_SHIFT	16
#define MEMSCHED_FRAC_ONE	(1U << MEMSCHED_FRAC_SHIFT)
#define MEMSCHED_TAU_DEFAULT	75
#define MEMSCHED_TAU_MAX	99
/* Bounds that keep every product below 2^64 (see memsched_policy.c). */
#define MEMSCHED_SHARES_MAX	(1U << 20)
#define MEMSCHED_PAGES_MAX	(1ULL << 36)	/* 256 TiB of 4 KiB pages */
/*
 * The least a reclaimable VM keeps, whatever the budget and the others'
 * reservations: 1/8 of its RAM (see memsched_decide()).
 */
#define MEMSCHED_FLOOR_SHIFT	3
/* rho as reported: thousandths of a share per MiB (256 pages) charged. */
#define MEMSCHED_RHO_SCALE	(1000ULL * 256)

/*
 * The active fraction of a VM's memory from one sample per period: a
 * slow and a fast moving average and the last sample, the estimate the
 * largest of the three, so that it rises at once with the guest's use
 * and falls slowly (ESX: section 5.3).
 */
struct memsched_active {
	u32 slow;
	u32 fast;
	u32 last;
	bool primed;		/* a sample came: the averages start from it */
};

void memsched_active_update(struct memsched_active *a, u32 touched,
			    u32 sampled);
u32 memsched_active_estimate(const struct memsched_active *a);

/* k = 1 / (1 - tau), the cost of an idle page against an active one. */
u64 memsched_idle_cost(u32 tau);

/* The cost of @pages of which the fraction @active is used, in frac units. */
u64 memsched_charge(u64 pages, u32 active, u32 tau);

/* rho = S / (P (f + k (1 - f))), in MEMSCHED_RHO_SCALE units; 0 for P 0. */
u64 memsched_rho(u64 shares, u64 pages, u32 active, u32 tau);

/* A reclaimable VM's working figures in memsched_decide(). */
struct memsched_fit {
	u64 lo, hi;		/* the bounds of its allocation */
	u64 act;		/* active pages */
	u64 top;		/* the level at and above which it holds hi */
};

/* One VM as the policy sees it. */
struct memsched_vm {
	/* Inputs; page counts in guest pages. */
	u64 min;		/* its reservation (the floor if below) */
	u64 max;		/* its configured RAM */
	u64 shares;		/* 1 to MEMSCHED_SHARES_MAX */
	u64 resident;		/* pages backed by host memory now */
	u64 saved;		/* host pages sharing saves it: count as free */
	u32 active;		/* memsched_active_estimate() */
	bool reclaimable;	/* a working balloon driver */
	u64 target;		/* the balloon target it has: in and out */
	/* Output. */
	u64 alloc;		/* pages it may hold */
	struct memsched_fit fit;	/* memsched_decide()'s own */
};

/* What memsched_decide() found, for the module's figures. */
struct memsched_result {
	u64 demand;		/* host pages held: resident - saved, summed */
	bool pressure;		/* demand above the budget */
	bool overcommitted;	/* the reservations alone pass the budget */
};

void memsched_decide(struct memsched_vm *vms, unsigned int n, u64 budget,
		     u32 tau, struct memsched_result *res);

#endif /* VMMON_MEMSCHED_POLICY_H */
