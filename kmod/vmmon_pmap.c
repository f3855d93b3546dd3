// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory owned by the module.  A guest page gets a host page on
 * its first touch, zeroed and charged (__GFP_ACCOUNT) to the memory
 * cgroup of the task that touched it: the VM's own process, through
 * mmap or its vCPU threads.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include "vmmon_pmap.h"

/* Guest-physical addresses are at most 52 bits wide (EPT, SDM 29.3.2). */
/* What 4-level EPT maps: a region beyond would alias a lower one. */
#define VMMON_GPA_LIMIT		(1ULL << 48)

/* Pages dropped at a VM's end between looks at the scheduler. */
#define VMMON_PMAP_DESTROY_STEP	4096

static atomic_long_t vmmon_pmap_resident_total = ATOMIC_LONG_INIT(0);
/* Slots of every VM that map a shared page. */
static atomic_long_t vmmon_pmap_shared_total = ATOMIC_LONG_INIT(0);
static atomic_long_t vmmon_pmap_cow_total = ATOMIC_LONG_INIT(0);

void vmmon_pmap_init(struct vmmon_pmap *pmap)
{
	mutex_init(&pmap->regions_lock);
	pmap->nr_regions = 0;
	pmap->nr_pages = 0;
	atomic_long_set(&pmap->resident, 0);
	atomic_long_set(&pmap->nr_shared, 0);
	atomic_long_set(&pmap->nr_zero, 0);
	atomic_long_set(&pmap->cow_breaks, 0);
}

/* The VM's file is gone, so no mapping of these pages is left. */
/*
 * The creator of the VM pays for its pages: called at creation, in the
 * creating task.  The limit is RLIMIT_MEMLOCK as it is then.
 */
void vmmon_pmap_set_owner(struct vmmon_pmap *pmap)
{
	pmap->mm = current->mm;
	mmgrab(pmap->mm);
	if (capable(CAP_IPC_LOCK))
		return;
	pmap->user = get_uid(current_user());
	pmap->max_locked = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
}

/* Charge @n pages (uncharge when negative): 0, or -EDQUOT past the limit. */
static int vmmon_pmap_charge(struct vmmon_pmap *pmap, long n)
{
	long locked;

	if (pmap->user) {
		locked = atomic_long_add_return(n, &pmap->user->locked_vm);
		if (n > 0 && locked > pmap->max_locked) {
			atomic_long_sub(n, &pmap->user->locked_vm);
			return -EDQUOT;
		}
	}
	atomic64_add(n, &pmap->mm->pinned_vm);
	return 0;
}

static void vmmon_pmap_free_bitmaps(struct vmmon_pmap_region *r)
{
	kvfree(r->user_mapped);
	kvfree(r->wp);
	kvfree(r->shared);
	kvfree(r->zero);
	r->user_mapped = NULL;
	r->wp = NULL;
	r->shared = NULL;
	r->zero = NULL;
}

static unsigned long *vmmon_pmap_bitmap(u64 bits)
{
	return kvcalloc(BITS_TO_LONGS(bits), sizeof(unsigned long),
			GFP_KERNEL_ACCOUNT);
}

void vmmon_pmap_destroy(struct vmmon_pmap *pmap)
{
	long resident = atomic_long_read(&pmap->resident);
	struct vmmon_pmap_region *r;
	unsigned int i;
	u64 j;

	for (i = 0; i < pmap->nr_regions; i++) {
		r = &pmap->regions[i];
		for (j = 0; j < r->nr_pages; j++) {
			if (r->pages[j])
				put_page(r->pages[j]);
			if (!(j % VMMON_PMAP_DESTROY_STEP))
				cond_resched();
		}
		vmmon_pmap_free_bitmaps(r);
		kvfree(r->pages);
	}
	/* A shared page's last reference is its table's (kmod/ksm/). */
	atomic_long_sub(atomic_long_read(&pmap->nr_shared),
			&vmmon_pmap_shared_total);
	atomic_long_sub(resident, &vmmon_pmap_resident_total);
	atomic_long_set(&pmap->resident, 0);
	if (pmap->mm) {
		vmmon_pmap_charge(pmap, -resident);
		mmdrop(pmap->mm);
	}
	if (pmap->user)
		free_uid(pmap->user);
}

static bool vmmon_pmap_overlaps(const struct vmmon_pmap *pmap, u64 first,
				u64 n)
{
	unsigned int i;

	for (i = 0; i < pmap->nr_regions; i++) {
		const struct vmmon_pmap_region *r = &pmap->regions[i];

		if (first < r->first_gfn + r->nr_pages &&
		    r->first_gfn < first + n)
			return true;
	}
	return false;
}

int vmmon_pmap_add_region(struct vmmon_pmap *pmap,
			  const struct vmmon_memory_region *r)
{
	u64 first = r->guest_phys >> PAGE_SHIFT, n = r->size >> PAGE_SHIFT;
	struct vmmon_pmap_region *reg;
	int err = 0;

	if (r->flags || r->pad || !r->size || !PAGE_ALIGNED(r->guest_phys) ||
	    !PAGE_ALIGNED(r->size) || r->guest_phys >= VMMON_GPA_LIMIT ||
	    r->size > VMMON_GPA_LIMIT - r->guest_phys)
		return -EINVAL;

	mutex_lock(&pmap->regions_lock);
	if (vmmon_pmap_overlaps(pmap, first, n))
		err = -EEXIST;
	else if (pmap->nr_regions == VMMON_MAX_MEM_REGIONS)
		err = -ENOSPC;
	else if (r->size > VMMON_MAX_GUEST_MEMORY -
			   (pmap->nr_pages << PAGE_SHIFT))
		err = -E2BIG;
	if (err)
		goto unlock;
	reg = &pmap->regions[pmap->nr_regions];
	reg->pages = kvcalloc(n, sizeof(*reg->pages), GFP_KERNEL_ACCOUNT);
	reg->user_mapped = vmmon_pmap_bitmap(n);
	reg->wp = vmmon_pmap_bitmap(n);
	reg->shared = vmmon_pmap_bitmap(n);
	reg->zero = vmmon_pmap_bitmap(n);
	if (!reg->pages || !reg->user_mapped || !reg->wp || !reg->shared ||
	    !reg->zero) {
		kvfree(reg->pages);
		reg->pages = NULL;
		vmmon_pmap_free_bitmaps(reg);
		err = -ENOMEM;
		goto unlock;
	}
	reg->first_gfn = first;
	reg->nr_pages = n;
	pmap->nr_pages += n;
	/* Lock-free readers see the region whole, arrays included. */
	smp_store_release(&pmap->nr_regions, pmap->nr_regions + 1);
unlock:
	mutex_unlock(&pmap->regions_lock);
	return err;
}

/* The region of RAM page @gfn, or NULL. */
static struct vmmon_pmap_region *vmmon_pmap_region(struct vmmon_pmap *pmap,
						   u64 gfn)
{
	unsigned int i, nr = smp_load_acquire(&pmap->nr_regions);

	for (i = 0; i < nr; i++)
		if (gfn - pmap->regions[i].first_gfn <
		    pmap->regions[i].nr_pages)
			return &pmap->regions[i];
	return NULL;
}

/* The slot of RAM page @gfn, or NULL when it is not RAM. */
static struct page **vmmon_pmap_slot(struct vmmon_pmap *pmap, u64 gfn)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);

	return r ? &r->pages[gfn - r->first_gfn] : NULL;
}

/*
 * Whether @n pages from @gfn are all RAM: region by region, not page by
 * page (a range may hold millions of pages; regions do not overlap).
 */
bool vmmon_pmap_range_is_ram(const struct vmmon_pmap *pmap, u64 gfn, u64 n)
{
	unsigned int i, nr = smp_load_acquire(&pmap->nr_regions);
	const struct vmmon_pmap_region *r;
	u64 take;

	while (n) {
		for (i = 0; i < nr; i++) {
			r = &pmap->regions[i];
			if (gfn - r->first_gfn < r->nr_pages)
				break;
		}
		if (i == nr)
			return false;
		take = min(n, r->first_gfn + r->nr_pages - gfn);
		gfn += take;
		n -= take;
	}
	return true;
}

bool vmmon_pmap_is_ram(const struct vmmon_pmap *pmap, u64 gfn)
{
	return vmmon_pmap_range_is_ram(pmap, gfn, 1);
}

/*
 * The rank of RAM page @gfn among all RAM pages (regions in the order
 * they were added; ranks never change, since regions are only added),
 * for a bitmap sized by the RAM: false when @gfn is not RAM.
 */
bool vmmon_pmap_ram_index(const struct vmmon_pmap *pmap, u64 gfn, u64 *index)
{
	unsigned int i, nr = smp_load_acquire(&pmap->nr_regions);
	const struct vmmon_pmap_region *r;
	u64 before = 0;

	for (i = 0; i < nr; i++) {
		r = &pmap->regions[i];
		if (gfn - r->first_gfn < r->nr_pages) {
			*index = before + gfn - r->first_gfn;
			return true;
		}
		before += r->nr_pages;
	}
	return false;
}

/* RAM page number of rank @rank (vmmon_pmap_ram_index); false past the end. */
bool vmmon_pmap_rank_gfn(const struct vmmon_pmap *pmap, u64 rank, u64 *gfn)
{
	unsigned int i, nr = smp_load_acquire(&pmap->nr_regions);

	for (i = 0; i < nr; i++) {
		if (rank < pmap->regions[i].nr_pages) {
			*gfn = pmap->regions[i].first_gfn + rank;
			return true;
		}
		rank -= pmap->regions[i].nr_pages;
	}
	return false;
}

/*
 * A page for the sharing scanner to hash: the page behind @gfn with a
 * reference, or NULL when it has none (never touched: zeros without a
 * page) or is protected or shared already.  Allocates nothing; the
 * protection bit is read without mmu_lock, as a hint only.
 */
struct page *vmmon_pmap_get_candidate(struct vmmon_pmap *pmap, u64 gfn)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);
	struct page *page;
	u64 off;

	if (!r)
		return NULL;
	off = gfn - r->first_gfn;
	if (test_bit(off, r->wp))
		return NULL;
	rcu_read_lock();
	page = READ_ONCE(r->pages[off]);
	if (page)
		get_page(page);
	rcu_read_unlock();
	return page;
}

/*
 * The host page behind @gfn if the guest or userspace touched it: 0 with
 * *@page (NULL for a page never touched, which reads as zeros), -ENOENT
 * when @gfn is not guest RAM.  Never allocates, so it serves atomic
 * context; the caller holds rcu_read_lock() while it uses the page.
 */
int vmmon_pmap_peek_page(struct vmmon_pmap *pmap, u64 gfn, struct page **page)
{
	struct page **slot = vmmon_pmap_slot(pmap, gfn);

	if (!slot)
		return -ENOENT;
	*page = READ_ONCE(*slot);
	return 0;
}

/*
 * The host page behind @gfn, allocated on first touch, with a reference
 * the caller drops with put_page().  NULL when @gfn is not guest RAM,
 * ERR_PTR(-ENOMEM) when memory is short, ERR_PTR(-EDQUOT) when a new
 * page would pass the owner's RLIMIT_MEMLOCK.
 *
 * The lookup and the reference are one step: both happen inside one RCU
 * read-side section, and a removal drops the pmap's own reference only
 * after a grace period (vmmon_pmap_remove), so a page found here cannot
 * be freed before the caller holds it.  A page this call publishes gets
 * the caller's reference before it is visible to a removal.
 */
struct page *vmmon_pmap_get_page(struct vmmon_pmap *pmap, u64 gfn)
{
	struct page **slot = vmmon_pmap_slot(pmap, gfn), *page, *old;

	if (!slot)
		return NULL;
	for (;;) {
		rcu_read_lock();
		page = READ_ONCE(*slot);
		if (page)
			get_page(page);
		rcu_read_unlock();
		if (page)
			return page;

		if (vmmon_pmap_charge(pmap, 1))
			return ERR_PTR(-EDQUOT);
		page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
		if (!page) {
			vmmon_pmap_charge(pmap, -1);
			return ERR_PTR(-ENOMEM);
		}
		get_page(page);		/* the caller's; the pmap owns the first */
		old = cmpxchg(slot, NULL, page);
		if (!old)
			break;
		vmmon_pmap_charge(pmap, -1);
		put_page(page);
		put_page(page);
		/* Another fault won the race: take its page as above. */
	}
	atomic_long_inc(&pmap->resident);
	atomic_long_inc(&vmmon_pmap_resident_total);
	return page;
}

/*
 * Userspace is being given RAM page @gfn (vmmon_vm_fault): a removal of
 * the page must zap its mappings.  Under the VM's mmu_lock, as removals.
 */
void vmmon_pmap_user_mapped(struct vmmon_pmap *pmap, u64 gfn)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);

	if (r)
		set_bit(gfn - r->first_gfn, r->user_mapped);
}

/* A slot stops mapping a shared page (under mmu_lock). */
static void vmmon_pmap_unshared(struct vmmon_pmap *pmap,
				struct vmmon_pmap_region *r, u64 off)
{
	__clear_bit(off, r->wp);
	if (!__test_and_clear_bit(off, r->shared))
		return;
	atomic_long_dec(&pmap->nr_shared);
	atomic_long_dec(&vmmon_pmap_shared_total);
	if (__test_and_clear_bit(off, r->zero))
		atomic_long_dec(&pmap->nr_zero);
}

/*
 * Take the pages behind @n RAM page numbers out of the map: @pages[i]
 * gets the page behind @gfns[i], or NULL if it had none, bit i of
 * @shared whether it was a shared page (its other users keep it: the
 * caller drops the slot's reference instead of freeing it), and @zap
 * the first *@nr_zap of them that userspace may map.  Returns how many
 * pages came out.  Each guest page is zero again at its next touch.
 * Under the VM's mmu_lock; the caller removes the pages from every view (EPT,
 * userspace mappings, RCU readers of vmmon_pmap_peek_page() and
 * vmmon_pmap_get_page()) before dropping the references it gets.
 */
unsigned int vmmon_pmap_remove(struct vmmon_pmap *pmap, const u64 *gfns,
			       unsigned int n, struct page **pages, u64 *zap,
			       unsigned int *nr_zap, unsigned long *shared)
{
	struct vmmon_pmap_region *r = NULL;
	unsigned int i, nr = 0;
	u64 off;

	*nr_zap = 0;
	for (i = 0; i < n; i++) {
		/* A balloon's pages come in runs: mostly the last region. */
		if (!r || gfns[i] - r->first_gfn >= r->nr_pages)
			r = vmmon_pmap_region(pmap, gfns[i]);
		if (WARN_ON_ONCE(!r)) {
			pages[i] = NULL;
			continue;
		}
		off = gfns[i] - r->first_gfn;
		pages[i] = xchg(&r->pages[off], NULL);
		if (!pages[i])
			continue;
		nr++;
		__assign_bit(i, shared, test_bit(off, r->shared));
		vmmon_pmap_unshared(pmap, r, off);
		if (test_and_clear_bit(off, r->user_mapped))
			zap[(*nr_zap)++] = gfns[i];
	}
	if (nr) {
		atomic_long_sub(nr, &pmap->resident);
		atomic_long_sub(nr, &vmmon_pmap_resident_total);
		vmmon_pmap_charge(pmap, -(long)nr);
	}
	return nr;
}

unsigned long vmmon_pmap_resident(struct vmmon_pmap *pmap)
{
	return atomic_long_read(&pmap->resident);
}

unsigned long vmmon_pmap_resident_all(void)
{
	return atomic_long_read(&vmmon_pmap_resident_total);
}

unsigned long vmmon_pmap_shared_all(void)
{
	return atomic_long_read(&vmmon_pmap_shared_total);
}

unsigned long vmmon_pmap_cow_breaks_all(void)
{
	return atomic_long_read(&vmmon_pmap_cow_total);
}

/* Whether a view may map RAM page @gfn writable.  Under mmu_lock. */
bool vmmon_pmap_writable(struct vmmon_pmap *pmap, u64 gfn)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);

	return !r || !test_bit(gfn - r->first_gfn, r->wp);
}

/*
 * Write-protect RAM page @gfn for a comparison: its page with a
 * reference for the caller, or NULL when it has none or is protected
 * already.  *@user_mapped says whether userspace may have mapped it;
 * the caller takes the page out of EPT and userspace's mappings
 * (vmmon_vm_share_protect), after which no view writes it until a write
 * fault calls vmmon_pmap_unshare().  Under mmu_lock.
 */
struct page *vmmon_pmap_protect(struct vmmon_pmap *pmap, u64 gfn,
				bool *user_mapped)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);
	struct page *page;
	u64 off;

	if (!r)
		return NULL;
	off = gfn - r->first_gfn;
	page = r->pages[off];
	if (!page || test_bit(off, r->wp))
		return NULL;
	__set_bit(off, r->wp);
	*user_mapped = test_and_clear_bit(off, r->user_mapped);
	get_page(page);
	return page;
}

/* The comparison failed: @gfn may be written again, if still @page's. */
void vmmon_pmap_unprotect(struct vmmon_pmap *pmap, u64 gfn,
			  struct page *page)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);
	u64 off;

	if (!r)
		return;
	off = gfn - r->first_gfn;
	if (r->pages[off] == page && !test_bit(off, r->shared))
		__clear_bit(off, r->wp);
}

/*
 * Back RAM page @gfn, protected since vmmon_pmap_protect() gave @old,
 * with @shared (of the same bytes; @old itself when it becomes the
 * shared page).  The slot takes a reference of its own to @shared.
 * Returns the page the slot held (NULL when it keeps @old), which the
 * caller takes out of every view and frees, with *@user_mapped as at
 * vmmon_pmap_remove(); ERR_PTR(-EAGAIN) when the slot changed since (a
 * write, a removal).  Under mmu_lock.
 */
struct page *vmmon_pmap_share(struct vmmon_pmap *pmap, u64 gfn,
			      struct page *old, struct page *shared, bool zero,
			      bool *user_mapped)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);
	u64 off;

	if (!r)
		return ERR_PTR(-EAGAIN);
	off = gfn - r->first_gfn;
	if (r->pages[off] != old || !test_bit(off, r->wp) ||
	    test_bit(off, r->shared))
		return ERR_PTR(-EAGAIN);
	__set_bit(off, r->shared);
	__assign_bit(off, r->zero, zero);
	atomic_long_inc(&pmap->nr_shared);
	atomic_long_inc(&vmmon_pmap_shared_total);
	if (zero)
		atomic_long_inc(&pmap->nr_zero);
	*user_mapped = false;
	if (shared == old)
		return NULL;
	get_page(shared);
	WRITE_ONCE(r->pages[off], shared);
	*user_mapped = test_and_clear_bit(off, r->user_mapped);
	return old;
}

/*
 * Make RAM page @gfn writable before a write (copy-on-write): a page
 * only protected is writable at once; a shared one is replaced by a
 * private copy, and *@old gets the shared page, whose reference the
 * caller drops once no view maps it (EPT flushed, userspace's mappings
 * zapped when *@user_mapped).  The copy is charged to the memory cgroup
 * of the writing task (a vCPU thread or the VM's process); the VM's
 * locked-memory charge already counts the slot.  0, or -ENOMEM (the
 * page stays shared).  Under mmu_lock.
 */
int vmmon_pmap_unshare(struct vmmon_pmap *pmap, u64 gfn, struct page **old,
		       bool *user_mapped)
{
	struct vmmon_pmap_region *r = vmmon_pmap_region(pmap, gfn);
	struct page *copy;
	u64 off;

	*old = NULL;
	*user_mapped = false;
	if (!r)
		return 0;
	off = gfn - r->first_gfn;
	if (!test_bit(off, r->wp))
		return 0;
	if (!test_bit(off, r->shared)) {
		__clear_bit(off, r->wp);
		return 0;
	}
	copy = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
	if (!copy)
		return -ENOMEM;
	*old = r->pages[off];
	copy_highpage(copy, *old);
	WRITE_ONCE(r->pages[off], copy);
	vmmon_pmap_unshared(pmap, r, off);
	atomic_long_inc(&pmap->cow_breaks);
	atomic_long_inc(&vmmon_pmap_cow_total);
	*user_mapped = test_and_clear_bit(off, r->user_mapped);
	return 0;
}
