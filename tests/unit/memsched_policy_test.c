// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/memsched/memsched_policy.c, built natively: the
 * idle-memory tax's arithmetic (k, charges, rho), the active-fraction
 * estimate, and the reclamation decisions, against outcomes worked out
 * by hand from the formulas of Waldspurger, OSDI 2002, sections 5-6.
 */
#include <stdio.h>
#include <linux/types.h>
#include "vmmon_harness.h"
#include "memsched_policy.h"

#define ONE		MEMSCHED_FRAC_ONE
#define MIB		256ULL			/* pages */
#define PCT(p)		((u32)((u64)(p) * ONE / 100))
/* The paper's experiment: two VMs of 256 MB, 358 MB for both. */
#define VM_PAGES	(256 * MIB)
#define BUDGET		(358 * MIB)

static struct memsched_vm vm(u64 max, u64 shares, u64 resident, u32 active)
{
	struct memsched_vm v = {
		.max = max, .shares = shares, .resident = resident,
		.active = active, .reclaimable = true,
	};
	return v;
}

TEST(idle_cost_is_one_over_one_minus_tau)
{
	EXPECT_EQ(memsched_idle_cost(0), 1ULL * ONE);
	EXPECT_EQ(memsched_idle_cost(50), 2ULL * ONE);
	EXPECT_EQ(memsched_idle_cost(75), 4ULL * ONE);
	EXPECT_EQ(memsched_idle_cost(90), 10ULL * ONE);
	EXPECT_EQ(memsched_idle_cost(99), 100ULL * ONE);
	/* Past 0.99 it stays at 0.99: tau = 1 would make idle pages free-for-all. */
	EXPECT_EQ(memsched_idle_cost(100), 100ULL * ONE);
}

/*
 * rho = S / (P (f + k (1 - f))), in thousandths of a share per MiB: a
 * VM with one share per MiB, all active, reads 1000 whatever tau.
 */
TEST(rho_follows_the_formula)
{
	EXPECT_EQ(memsched_rho(256, VM_PAGES, ONE, 75), 1000ULL);
	EXPECT_EQ(memsched_rho(256, VM_PAGES, ONE, 0), 1000ULL);
	/* Idle: k times the charge. */
	EXPECT_EQ(memsched_rho(256, VM_PAGES, 0, 75), 250ULL);
	EXPECT_EQ(memsched_rho(256, VM_PAGES, 0, 0), 1000ULL);
	EXPECT_EQ(memsched_rho(256, VM_PAGES, 0, 90), 100ULL);
	/* f = 0.5, k = 4: 0.5 + 4 * 0.5 = 2.5. */
	EXPECT_EQ(memsched_rho(256, VM_PAGES, ONE / 2, 75), 400ULL);
	/* Twice the shares, twice the ratio. */
	EXPECT_EQ(memsched_rho(512, VM_PAGES, ONE / 2, 75), 800ULL);
	EXPECT_EQ(memsched_rho(256, 0, ONE, 75), 0ULL);
	/* The charge in frac units: 100 pages, 25 active, k = 4. */
	EXPECT_EQ(memsched_charge(100, ONE / 4, 75), (25ULL + 4 * 75) * ONE);
}

TEST(estimate_starts_all_active_then_from_the_first_sample)
{
	struct memsched_active a = {};

	EXPECT_EQ(memsched_active_estimate(&a), ONE);
	memsched_active_update(&a, 0, 0);	/* no sample: no change */
	EXPECT_EQ(memsched_active_estimate(&a), ONE);
	memsched_active_update(&a, 25, 100);
	EXPECT_EQ(memsched_active_estimate(&a), ONE / 4);
	/* More touched than sampled is counted as all. */
	memsched_active_update(&a, 200, 100);
	EXPECT_EQ(memsched_active_estimate(&a), ONE);
}

/* Idle to 50%: the estimate reaches 0.5 at the first period's sample. */
TEST(estimate_rises_at_once)
{
	struct memsched_active a = {};
	int i;

	for (i = 0; i < 20; i++)
		memsched_active_update(&a, 0, 100);
	EXPECT_EQ(memsched_active_estimate(&a), 0U);
	memsched_active_update(&a, 50, 100);
	EXPECT_EQ(memsched_active_estimate(&a), ONE / 2);
	memsched_active_update(&a, 50, 100);
	EXPECT_EQ(memsched_active_estimate(&a), ONE / 2);
}

/* Active to idle: it follows the slow average, 1/8 of the way a period. */
TEST(estimate_falls_slowly)
{
	struct memsched_active a = {};
	u32 prev = ONE, est;
	int i;

	memsched_active_update(&a, 100, 100);
	for (i = 0; i < 8; i++) {
		memsched_active_update(&a, 0, 100);
		est = memsched_active_estimate(&a);
		EXPECT_LT(est, prev);
		EXPECT_GE(est, prev - prev / 8 - 1);
		prev = est;
	}
	/* (7/8)^8 = 0.344 */
	EXPECT_GT(est, PCT(33));
	EXPECT_LT(est, PCT(35));
	for (i = 0; i < 200; i++)
		memsched_active_update(&a, 0, 100);
	EXPECT_EQ(memsched_active_estimate(&a), 0U);
}

/* A noisy sample below the trend does not pull the estimate down at once. */
TEST(estimate_is_the_largest_average)
{
	struct memsched_active a = {};

	memsched_active_update(&a, 60, 100);
	memsched_active_update(&a, 40, 100);
	EXPECT_EQ(a.last, PCT(40));
	EXPECT_EQ(memsched_active_estimate(&a), a.slow);
	EXPECT_GT(a.slow, a.fast);
}

static u64 sum_alloc(const struct memsched_vm *v, unsigned int n)
{
	u64 s = 0;

	while (n--)
		s += v[n].alloc;
	return s;
}

/* The paper's experiment with tau = 0: equal shares, equal memory. */
TEST(tau_zero_splits_by_shares_alone)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 256, VM_PAGES, PCT(5)),	/* idle */
		vm(VM_PAGES, 256, VM_PAGES, ONE),	/* busy */
	};
	struct memsched_result r;

	memsched_decide(v, 2, BUDGET, 0, &r);
	EXPECT_TRUE(r.pressure);
	EXPECT_FALSE(r.overcommitted);
	EXPECT_EQ(r.demand, 2 * VM_PAGES);
	EXPECT_EQ(v[0].alloc, 179 * MIB);
	EXPECT_EQ(v[1].alloc, 179 * MIB);
	EXPECT_EQ(v[0].target, 77 * MIB);
	EXPECT_EQ(v[1].target, 77 * MIB);
}

/*
 * The same with tau = 0.75 and a VM that wants less than its size: the
 * idle one (A1 = 5% of 256 MB active) and one with 40% active, equal
 * rho: A1 + 4 (P1 - A1) = A2 + 4 (P2 - A2) with P1 + P2 = 358 MB, so
 * P1 - P2 = 3 (A1 - A2) / 4 = 3 (12.8 - 102.4) / 4 = -67.2 MB:
 * P1 = 145.4 MB, P2 = 212.6 MB.
 */
TEST(tau_takes_from_the_idle_vm)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 256, VM_PAGES, PCT(5)),
		vm(VM_PAGES, 256, VM_PAGES, PCT(40)),
	};
	struct memsched_result r;
	u64 a1 = VM_PAGES * PCT(5) / ONE, a2 = VM_PAGES * PCT(40) / ONE;
	u64 p1 = (4 * BUDGET - 3 * (a2 - a1)) / 8;	/* from the lines above */
	u64 r1, r2;

	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_EQ(sum_alloc(v, 2), BUDGET);
	EXPECT_LE(v[0].alloc, p1 + 1);
	EXPECT_GE(v[0].alloc + 1, p1);
	EXPECT_GT(v[0].alloc, 145 * MIB);
	EXPECT_LT(v[0].alloc, 146 * MIB);
	/* Equal rho within one page's worth. */
	r1 = memsched_rho(256, v[0].alloc, (u32)(a1 * ONE / v[0].alloc), 75);
	r2 = memsched_rho(256, v[1].alloc, (u32)(a2 * ONE / v[1].alloc), 75);
	EXPECT_LE(r1 > r2 ? r1 - r2 : r2 - r1, 1ULL);
}

/*
 * A fully active VM next to an idle one: with k = 4 the busy one gets
 * all 256 MB it has, the idle one the rest, 102 MB (the tax takes up to
 * 75% of the idle one's idle pages; here the busy one's size stops it).
 */
TEST(busy_vm_gets_its_size_when_the_idle_one_pays)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 256, VM_PAGES, 0),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
	};
	struct memsched_result r;

	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_EQ(v[1].alloc, VM_PAGES);
	EXPECT_EQ(v[0].alloc, BUDGET - VM_PAGES);
}

/* Both all idle or all active: tau changes nothing, shares decide. */
TEST(shares_two_to_one)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 512, VM_PAGES, ONE),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
	};
	struct memsched_result r;

	memsched_decide(v, 2, 240 * MIB, 75, &r);
	EXPECT_EQ(v[0].alloc, 160 * MIB);
	EXPECT_EQ(v[1].alloc, 80 * MIB);
	v[0].active = 0;
	v[1].active = 0;
	memsched_decide(v, 2, 240 * MIB, 75, &r);
	EXPECT_EQ(v[0].alloc, 160 * MIB);
	EXPECT_EQ(v[1].alloc, 80 * MIB);
}

/* The pages the bisection leaves over go out too: none is lost. */
TEST(every_page_of_the_budget_is_handed_out)
{
	struct memsched_vm v[3] = {
		vm(1000, 3, 1000, ONE),
		vm(1000, 3, 1000, ONE),
		vm(1000, 3, 1000, PCT(30)),
	};
	struct memsched_result r;
	unsigned int i;

	memsched_decide(v, 3, 1000, 0, &r);
	EXPECT_EQ(sum_alloc(v, 3), 1000ULL);
	for (i = 0; i < 3; i++) {
		EXPECT_GE(v[i].alloc, 333ULL);
		EXPECT_LE(v[i].alloc, 334ULL);
	}
	memsched_decide(v, 3, 1001, 75, &r);
	EXPECT_EQ(sum_alloc(v, 3), 1001ULL);
}

/*
 * Just over budget: the VM of lowest rho gives the pages, the others
 * keep all theirs.
 */
TEST(lowest_rho_gives_first)
{
	struct memsched_vm v[3] = {
		vm(VM_PAGES, 256, 200 * MIB, ONE),	/* rho 1280 */
		vm(VM_PAGES, 256, 200 * MIB, PCT(10)),	/* the lowest */
		vm(VM_PAGES, 512, 200 * MIB, PCT(10)),
	};
	struct memsched_result r;
	unsigned int i;

	for (i = 0; i < 3; i++)
		v[i].max = v[i].resident;
	EXPECT_LT(memsched_rho(256, 200 * MIB, PCT(10), 75),
		  memsched_rho(512, 200 * MIB, PCT(10), 75));
	memsched_decide(v, 3, 590 * MIB, 75, &r);
	EXPECT_TRUE(r.pressure);
	EXPECT_EQ(v[0].alloc, 200 * MIB);
	EXPECT_EQ(v[2].alloc, 200 * MIB);
	EXPECT_EQ(v[1].alloc, 190 * MIB);
	EXPECT_EQ(v[1].target, 10 * MIB);
	EXPECT_EQ(v[0].target, 0ULL);
}

TEST(reservation_is_kept)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 256, VM_PAGES, 0),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
	};
	struct memsched_result r;

	v[0].min = 150 * MIB;
	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_EQ(v[0].alloc, 150 * MIB);
	EXPECT_EQ(v[1].alloc, 208 * MIB);
	EXPECT_FALSE(r.overcommitted);
	/* Reservations past the budget: kept, and said. */
	v[1].min = 250 * MIB;
	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_TRUE(r.overcommitted);
	EXPECT_EQ(v[0].alloc, 150 * MIB);
	EXPECT_EQ(v[1].alloc, 250 * MIB);
	/* A reservation above the size is the size. */
	v[0].min = 2 * VM_PAGES;
	v[1].min = 0;
	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_EQ(v[0].alloc, VM_PAGES);
	EXPECT_EQ(v[1].alloc, BUDGET - VM_PAGES);
}

/*
 * No balloon driver: not a page of it is counted on.  It keeps what it
 * holds and its target; the others share what is left.
 */
TEST(vm_without_balloon_is_not_counted_on)
{
	struct memsched_vm v[3] = {
		vm(VM_PAGES, 256, 100 * MIB, 0),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
	};
	struct memsched_result r;

	v[0].reclaimable = false;
	v[0].target = 5;
	memsched_decide(v, 3, 400 * MIB, 75, &r);
	EXPECT_EQ(r.demand, 612 * MIB);
	EXPECT_EQ(v[0].alloc, 100 * MIB);
	EXPECT_EQ(v[0].target, 5ULL);
	EXPECT_EQ(v[1].alloc, 150 * MIB);
	EXPECT_EQ(v[2].alloc, 150 * MIB);
	/*
	 * It alone passes the budget: the others go to their reservations,
	 * or to their floors (1/8 of 256 MiB) where those are below.
	 */
	v[1].min = 40 * MIB;
	memsched_decide(v, 3, 50 * MIB, 75, &r);
	EXPECT_TRUE(r.overcommitted);
	EXPECT_EQ(v[1].alloc, 40 * MIB);
	EXPECT_EQ(v[2].alloc, 32 * MIB);
}

/*
 * Another VM's reservation, or a budget it fills, never balloons a VM
 * below 1/8 of its RAM: the guest must go on running.
 */
TEST(floor_is_kept_whatever_the_others_reserve)
{
	struct memsched_vm v[3] = {
		vm(BUDGET, 256, BUDGET, ONE),
		vm(VM_PAGES, 256, VM_PAGES, 0),
		vm(64 * MIB, 256, 64 * MIB, 0),
	};
	struct memsched_result r;

	v[0].min = BUDGET;
	memsched_decide(v, 3, BUDGET, 75, &r);
	EXPECT_TRUE(r.overcommitted);
	EXPECT_EQ(v[0].alloc, BUDGET);
	EXPECT_EQ(v[1].alloc, 32 * MIB);
	EXPECT_EQ(v[1].target, VM_PAGES - 32 * MIB);
	EXPECT_EQ(v[2].alloc, 8 * MIB);
	/* A reservation below the floor is the floor. */
	v[0].min = 0;
	v[1].min = MIB;
	memsched_decide(v, 3, 84 * MIB, 0, &r);
	EXPECT_TRUE(r.overcommitted);
	EXPECT_EQ(v[1].alloc, 32 * MIB);
}

/*
 * The floor is of what a VM holds: a large VM that holds nothing (an
 * administrator gave it one share) takes next to nothing from the
 * others, not 1/8 of its RAM (review R2).
 */
TEST(floor_is_of_what_a_vm_holds)
{
	struct memsched_vm v[3] = {
		vm(VM_PAGES, 256, VM_PAGES, ONE),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
		vm(256 * VM_PAGES, 1, 0, 0),
	};
	struct memsched_result r;

	memsched_decide(v, 3, BUDGET, 75, &r);
	EXPECT_FALSE(r.overcommitted);
	EXPECT_GE(v[0].alloc, 178 * MIB);
	EXPECT_GE(v[1].alloc, 178 * MIB);
	/* Its balloon still leaves it 1/8 of its RAM. */
	EXPECT_EQ(v[2].target, 256 * VM_PAGES - 32 * VM_PAGES);
}

/* Pages sharing saves count as free: the same host memory holds more. */
TEST(sharing_savings_count_as_free)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 256, VM_PAGES, ONE),
		vm(VM_PAGES, 256, VM_PAGES, ONE),
	};
	struct memsched_result r;

	v[0].saved = 20 * MIB;
	v[1].saved = 20 * MIB;
	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_EQ(r.demand, 472 * MIB);
	EXPECT_EQ(v[0].alloc, 199 * MIB);
	EXPECT_EQ(v[1].alloc, 199 * MIB);
	/* Savings that cover the excess: no pressure at all. */
	v[0].saved = 80 * MIB;
	v[1].saved = 80 * MIB;
	memsched_decide(v, 2, BUDGET, 75, &r);
	EXPECT_FALSE(r.pressure);
	EXPECT_EQ(v[0].target, 0ULL);
}

/*
 * Without pressure targets only fall: a raised budget deflates balloons,
 * and nothing inflates while the host has room.
 */
TEST(targets_fall_without_pressure_and_rise_only_with_it)
{
	struct memsched_vm v[2] = {
		vm(VM_PAGES, 256, 179 * MIB, 0),
		vm(VM_PAGES, 256, 179 * MIB, 0),
	};
	struct memsched_result r;

	v[0].target = 77 * MIB;
	v[1].target = 77 * MIB;
	/* Raised to 400 MB: 200 MB each, targets 56 MB. */
	memsched_decide(v, 2, 400 * MIB, 75, &r);
	EXPECT_FALSE(r.pressure);
	EXPECT_EQ(v[0].target, 56 * MIB);
	EXPECT_EQ(v[1].target, 56 * MIB);
	/* Room for both whole: no balloon left. */
	memsched_decide(v, 2, 600 * MIB, 75, &r);
	EXPECT_EQ(v[0].target, 0ULL);
	EXPECT_EQ(v[1].target, 0ULL);
	/* Lowered while they hold less than it: targets stay. */
	memsched_decide(v, 2, 358 * MIB, 75, &r);
	EXPECT_FALSE(r.pressure);
	EXPECT_EQ(v[0].target, 0ULL);
	/* They grew past it: now the balloons inflate. */
	v[0].resident = VM_PAGES;
	v[1].resident = VM_PAGES;
	memsched_decide(v, 2, 358 * MIB, 75, &r);
	EXPECT_TRUE(r.pressure);
	EXPECT_EQ(v[0].target, 77 * MIB);
}

/* Bounds: the largest sizes and shares keep the arithmetic exact. */
TEST(extremes_do_not_overflow)
{
	struct memsched_vm v[2] = {
		vm(MEMSCHED_PAGES_MAX, MEMSCHED_SHARES_MAX, MEMSCHED_PAGES_MAX, 0),
		vm(MEMSCHED_PAGES_MAX, 1, MEMSCHED_PAGES_MAX, ONE),
	};
	struct memsched_result r;

	memsched_decide(v, 2, MEMSCHED_PAGES_MAX, MEMSCHED_TAU_MAX, &r);
	EXPECT_EQ(sum_alloc(v, 2), MEMSCHED_PAGES_MAX);
	EXPECT_GT(v[0].alloc, v[1].alloc);
	v[0].shares = 0;	/* counted as 1 */
	memsched_decide(v, 2, MEMSCHED_PAGES_MAX, 0, &r);
	EXPECT_EQ(v[0].alloc, MEMSCHED_PAGES_MAX / 2);
	memsched_decide(v, 0, 100, 75, &r);
	EXPECT_EQ(r.demand, 0ULL);
}

TEST_HARNESS_MAIN
