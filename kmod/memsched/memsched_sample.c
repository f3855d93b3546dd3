// SPDX-License-Identifier: GPL-2.0
/*
 * Active memory by sampling, as ESX does (OSDI 2002, 5.3): each period a
 * few of a VM's resident pages, picked at random, have their EPT
 * accessed flag cleared; at the end of the period the flags of those
 * still resident say how many the guest used.  The pages are picked
 * among the resident ones only (a page never touched is no host memory
 * to reclaim), each once.
 */
#include <linux/random.h>
#include "vmmon_core.h"
#include "vmmon_vm.h"
#include "memsched.h"

/* Draws per page wanted before giving up on a VM mostly not resident. */
#define VMMON_MEMSCHED_TRIES	4

static bool vmmon_memsched_resident(struct vmmon_vm *vm, u64 gfn)
{
	struct page *page;

	/* Only whether there is one: the page is not looked at. */
	return !vmmon_pmap_peek_page(&vm->pmap, gfn, &page) && page;
}

/* A guest page at random, by its rank among the RAM pages. */
static bool vmmon_memsched_pick(struct vmmon_vm *vm, u64 *gfn)
{
	struct vmmon_pmap *pmap = &vm->pmap;
	unsigned int nr = smp_load_acquire(&pmap->nr_regions), i;
	u64 total = 0, rank;

	for (i = 0; i < nr; i++)
		total += pmap->regions[i].nr_pages;
	if (!total)
		return false;
	rank = get_random_u64() % total;
	for (i = 0; rank >= pmap->regions[i].nr_pages; i++)
		rank -= pmap->regions[i].nr_pages;
	*gfn = pmap->regions[i].first_gfn + rank;
	return vmmon_memsched_resident(vm, *gfn);
}

/*
 * A page drawn twice would be counted idle the second time (its flag
 * cleared by the first): a sample holds each page once.
 */
static bool vmmon_memsched_in_sample(const struct vmmon_memsched_vm *m,
				     u64 gfn)
{
	unsigned int i;

	for (i = 0; i < m->nr_sample; i++)
		if (m->sample[i] == gfn)
			return true;
	return false;
}

/*
 * End the VM's sample (true, with its figures in *@sampled and
 * *@touched, if one was running) and start the next one of @n pages;
 * one flush of the cached translations for both, or a translation
 * cached before a flag was cleared keeps it clear.  The worker's alone:
 * the estimate is the caller's to update, under the policy's lock.
 */
bool vmmon_memsched_sample(struct vmmon_vm *vm, unsigned int n,
			   u32 *sampled_out, u32 *touched_out)
{
	struct vmmon_memsched_vm *m = &vm->memsched;
	unsigned int i, tries, sampled = 0, touched = 0;
	bool ended = m->nr_sample;
	bool cleared = false;
	u64 gfn;

	if (!vm->ept.ad)
		return false;
	for (i = 0; i < m->nr_sample; i++) {
		gfn = m->sample[i];
		/* Ballooned away since: no longer the VM's memory. */
		if (!vmmon_memsched_resident(vm, gfn))
			continue;
		sampled++;
		if (vmmon_ept_test_and_clear_accessed(&vm->ept,
						      gfn << PAGE_SHIFT)) {
			touched++;
			cleared = true;
		}
	}
	*sampled_out = sampled;
	*touched_out = touched;
	m->nr_sample = 0;
	n = min_t(unsigned int, n, VMMON_MEMSCHED_SAMPLE_MAX);
	for (tries = 0; m->nr_sample < n && tries < n * VMMON_MEMSCHED_TRIES;
	     tries++) {
		if (!vmmon_memsched_pick(vm, &gfn) ||
		    vmmon_memsched_in_sample(m, gfn))
			continue;
		m->sample[m->nr_sample++] = gfn;
		if (vmmon_ept_test_and_clear_accessed(&vm->ept,
						      gfn << PAGE_SHIFT))
			cleared = true;
	}
	if (cleared)
		vmmon_hw()->flush_ept(&vm->ept);
	return ended;
}
