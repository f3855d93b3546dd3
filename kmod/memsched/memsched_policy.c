// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation policy of memsched_policy.h.
 *
 * Charges.  A VM holding P pages of which A = f P are active is charged
 * A + k (P - A): an idle page costs k = 1 / (1 - tau) active ones.  Its
 * adjusted shares-per-page ratio is rho = S / charge, the paper's
 * S / (P (f + k (1 - f))).  Charges are kept in frac units (pages times
 * MEMSCHED_FRAC_ONE): with P below 2^36 and k at most 100 (2^23 in frac
 * units) a charge stays below 2^60.
 *
 * Reclamation.  ESX takes pages from the VM of lowest rho first; each
 * page taken raises that VM's rho, so taking one page at a time until the
 * host fits ends where every VM that lost pages has the same rho and no
 * VM gained or lost past its bounds.  memsched_decide() computes that end
 * point at once: the level L of charge per share at which the
 * allocations P_i(L) (the most pages VM i may hold with charge <= L S_i,
 * between its reservation and its size) just fit the budget.  P_i grows
 * with L, so L is found by bisection; the few pages the bisection leaves
 * go to the VMs next in line (those that grow at L + 1).  A VM's active
 * pages A are taken as fixed: a balloon takes idle pages first, so they
 * are what a smaller allocation keeps.
 *
 * An allocation counts whole against the budget, also where a VM holds
 * less: a VM that boots, or wakes, may grow to it at once, and
 * allocations that sum to the budget are a state the balloons can settle
 * in.  Counting only what a VM holds would give the others the rest
 * (none idle in the meantime), but every VM that then grew would pass
 * the budget and set balloons inflating again, and a raised budget
 * would deflate every balloon first and inflate them after.  Budget held
 * for a VM that does not use it is the price; with shares in proportion
 * to RAM (the default) a VM's allocation is also in proportion to it.
 */
#include <linux/types.h>
#include "memsched_policy.h"

/* Moving averages: the slow one moves 1/8 of the way, the fast one 1/2. */
#define MEMSCHED_SLOW_SHIFT	3
#define MEMSCHED_FAST_SHIFT	1
#define MEMSCHED_PERCENT	100

/* A fall rounds up, so that an average falling to 0 gets there. */
static u32 memsched_ewma(u32 avg, u32 sample, unsigned int shift)
{
	if (sample >= avg)
		return avg + ((sample - avg) >> shift);
	return avg - ((avg - sample + (1U << shift) - 1) >> shift);
}

void memsched_active_update(struct memsched_active *a, u32 touched,
			    u32 sampled)
{
	u32 f;

	if (!sampled)
		return;
	if (touched > sampled)
		touched = sampled;
	f = (u32)(((u64)touched << MEMSCHED_FRAC_SHIFT) / sampled);
	a->last = f;
	if (!a->primed) {
		a->slow = f;
		a->fast = f;
		a->primed = true;
		return;
	}
	a->slow = memsched_ewma(a->slow, f, MEMSCHED_SLOW_SHIFT);
	a->fast = memsched_ewma(a->fast, f, MEMSCHED_FAST_SHIFT);
}

/*
 * The largest of the three: it follows the last sample up at once and
 * the slow average down.  Before any sample, all memory counts as active,
 * so that a new VM is not the first to lose pages for want of figures.
 */
u32 memsched_active_estimate(const struct memsched_active *a)
{
	u32 est = a->slow;

	if (!a->primed)
		return MEMSCHED_FRAC_ONE;
	if (a->fast > est)
		est = a->fast;
	if (a->last > est)
		est = a->last;
	return est;
}

u64 memsched_idle_cost(u32 tau)
{
	if (tau > MEMSCHED_TAU_MAX)
		tau = MEMSCHED_TAU_MAX;
	return ((u64)MEMSCHED_PERCENT << MEMSCHED_FRAC_SHIFT) /
	       (MEMSCHED_PERCENT - tau);
}

static u64 memsched_active_pages(u64 pages, u32 active)
{
	if (active > MEMSCHED_FRAC_ONE)
		active = MEMSCHED_FRAC_ONE;
	return (pages * active) >> MEMSCHED_FRAC_SHIFT;
}

/* The charge of holding @pages with @act of them active: frac units. */
static u64 memsched_cost(u64 pages, u64 act, u64 k)
{
	if (pages <= act)
		return pages << MEMSCHED_FRAC_SHIFT;
	return (act << MEMSCHED_FRAC_SHIFT) + k * (pages - act);
}

/* The least of its RAM a balloon leaves a VM (memsched_decide()). */
static u64 memsched_floor(u64 max)
{
	return max >> MEMSCHED_FLOOR_SHIFT;
}

static u64 memsched_clamp_pages(u64 pages)
{
	return pages < MEMSCHED_PAGES_MAX ? pages : MEMSCHED_PAGES_MAX;
}

u64 memsched_charge(u64 pages, u32 active, u32 tau)
{
	return memsched_cost(pages, memsched_active_pages(pages, active),
			     memsched_idle_cost(tau));
}

u64 memsched_rho(u64 shares, u64 pages, u32 active, u32 tau)
{
	u64 charge = memsched_charge(memsched_clamp_pages(pages), active, tau);

	if (!charge)
		return 0;
	if (shares > MEMSCHED_SHARES_MAX)
		shares = MEMSCHED_SHARES_MAX;
	return (shares * MEMSCHED_RHO_SCALE << MEMSCHED_FRAC_SHIFT) / charge;
}

/* Shares as the arithmetic may take them: 1 to MEMSCHED_SHARES_MAX. */
static u64 memsched_shares(const struct memsched_vm *v)
{
	if (!v->shares)
		return 1;
	return v->shares < MEMSCHED_SHARES_MAX ? v->shares : MEMSCHED_SHARES_MAX;
}

/* The most pages VM @v may hold at level @level, within its bounds. */
static u64 memsched_pages_at(const struct memsched_vm *v, u64 k, u64 level)
{
	const struct memsched_fit *f = &v->fit;
	u64 budget, pages;

	if (level >= f->top)
		return f->hi;
	budget = level * memsched_shares(v);	/* below the charge of hi: no overflow */
	if (budget <= f->act << MEMSCHED_FRAC_SHIFT)
		pages = budget >> MEMSCHED_FRAC_SHIFT;
	else
		pages = f->act + (budget - (f->act << MEMSCHED_FRAC_SHIFT)) / k;
	if (pages < f->lo)
		return f->lo;
	return pages < f->hi ? pages : f->hi;
}

static u64 memsched_sum_at(const struct memsched_vm *vms, unsigned int n,
			   u64 k, u64 level)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (vms[i].reclaimable)
			sum += memsched_pages_at(&vms[i], k, level);
	return sum;
}

/*
 * Split @avail pages among the reclaimable VMs: the level by bisection,
 * then what is left to those that grow first above it.
 */
static void memsched_split(struct memsched_vm *vms, unsigned int n, u64 k,
			   u64 avail)
{
	u64 lo = 0, hi = 0, left;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!vms[i].reclaimable)
			continue;
		if (vms[i].fit.top > hi)
			hi = vms[i].fit.top;
	}
	/* Invariant: the sum fits at lo and passes avail at hi. */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		if (memsched_sum_at(vms, n, k, mid) <= avail)
			lo = mid;
		else
			hi = mid;
	}
	left = avail - memsched_sum_at(vms, n, k, lo);
	for (i = 0; i < n; i++) {
		u64 now, next, more;

		if (!vms[i].reclaimable)
			continue;
		now = memsched_pages_at(&vms[i], k, lo);
		next = memsched_pages_at(&vms[i], k, hi);
		more = next - now < left ? next - now : left;
		vms[i].alloc = now + more;
		left -= more;
	}
}

/*
 * Each VM's allocation and balloon target (see the top of the file).
 *
 * Budget: @budget host pages for all guests; pages sharing saves a VM
 * count as free (its allocation is in guest pages, its charge to the
 * budget those less its savings).
 *
 * A VM without a working balloon driver cannot be made to give pages
 * back (there is no host swapping): the policy does not count on any of
 * its pages.  Its allocation is what it holds now, taken off the budget
 * before the others are served, and its target is left as it is.  Should
 * it grow, the other VMs make room at the next decision.
 *
 * Targets: max - alloc.  They rise only under pressure (the pages held
 * pass the budget), as ESX reclaims only when memory is short; without
 * it a target may only fall, so that a raised budget or a VM gone lets
 * balloons deflate but nothing inflates a balloon while the host has
 * room.
 *
 * Floors: a reclaimable VM keeps at least its reservation and at least
 * 1/8 of its RAM (MEMSCHED_FLOOR_SHIFT), or what it holds if that is
 * less: a large VM that holds little must not take the budget from the
 * others with a floor of memory it does not use; its balloon target
 * still leaves it the 1/8.  The module admits reservations
 * only within the budget (memsched.c), but a VM without a balloon that
 * grows, or floors of many VMs, can still pass it.  ESX would swap then;
 * vmmon has no host swapping, and a balloon that took nearly all of a
 * guest's RAM would only have the guest's OOM killer end its work, for
 * a budget another user's VMs filled.  Floors and reservations are kept
 * even when they pass the budget: @res->overcommitted says so.
 */
void memsched_decide(struct memsched_vm *vms, unsigned int n, u64 budget,
		     u32 tau, struct memsched_result *res)
{
	u64 k = memsched_idle_cost(tau);
	u64 avail = budget, fixed = 0, sum_lo = 0, sum_hi = 0;
	unsigned int i;

	res->demand = 0;
	for (i = 0; i < n; i++) {
		struct memsched_vm *v = &vms[i];
		struct memsched_fit *f = &v->fit;
		u64 saved = v->saved < v->resident ? v->saved : v->resident;
		u64 charge;

		res->demand += v->resident - saved;
		if (!v->reclaimable) {
			v->alloc = v->resident;
			fixed += v->resident - saved;
			continue;
		}
		avail += saved;
		f->hi = memsched_clamp_pages(v->max);
		/* The floor of what it holds: RAM it never used costs none. */
		f->lo = memsched_floor(v->max);
		if (f->lo > v->resident)
			f->lo = v->resident;
		if (v->min > f->lo)
			f->lo = v->min;
		if (f->lo > f->hi)
			f->lo = f->hi;
		f->act = memsched_active_pages(memsched_clamp_pages(v->resident),
					       v->active);
		if (f->act > f->hi)
			f->act = f->hi;
		charge = memsched_cost(f->hi, f->act, k);
		f->top = charge / memsched_shares(v) + 1;
		sum_lo += f->lo;
		sum_hi += f->hi;
	}
	res->pressure = res->demand > budget;
	avail = avail > fixed ? avail - fixed : 0;
	res->overcommitted = sum_lo > avail;
	for (i = 0; i < n; i++) {
		if (!vms[i].reclaimable)
			continue;
		if (sum_lo >= avail)
			vms[i].alloc = vms[i].fit.lo;
		else if (sum_hi <= avail)
			vms[i].alloc = vms[i].fit.hi;
	}
	if (sum_lo < avail && sum_hi > avail)
		memsched_split(vms, n, k, avail);
	for (i = 0; i < n; i++) {
		struct memsched_vm *v = &vms[i];
		u64 target;

		if (!v->reclaimable)
			continue;
		target = v->max > v->alloc ? v->max - v->alloc : 0;
		if (target > v->max - memsched_floor(v->max))
			target = v->max - memsched_floor(v->max);
		if (res->pressure || target < v->target)
			v->target = target;
	}
}
