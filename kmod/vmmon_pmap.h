/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pmap: a VM's guest-physical pages and the host pages behind them,
 * as in ESX.  The module owns guest memory; userspace (mmap of the VM fd),
 * EPT and vmmon's own emulation reach a guest page only through here, so
 * that ballooning, page sharing and idle-memory sampling can change the
 * map in one place.
 *
 * Changing it (vmmon_vm_remove_pages() and vmmon_vm_free_removed() in
 * vmmon_vm.c do it, for VMMON_DISCARD_MEMORY and the balloon): under the
 * VM's mmu_lock, take the pages out (vmmon_pmap_remove) and out of EPT,
 * flush every CPU's EPT translations once, zap the userspace mappings
 * of the pages userspace was given (vmmon_pmap_user_mapped, also under
 * mmu_lock), let RCU readers finish (queue_rcu_work), and only then drop
 * the pages.
 *
 * Content-based sharing (kmod/ksm/) goes through vmmon_vm_share.c: a
 * page is write-protected in every view (vmmon_pmap_protect, then out of
 * EPT and userspace's writable mappings), compared, and its slot then
 * points at a shared page (vmmon_pmap_share) that every view maps
 * read-only.  A write to a protected page makes it writable again, and
 * a write to a shared page gets a private copy (vmmon_pmap_unshare).
 *
 * Accounting of a shared page: each slot that maps it holds a page
 * reference and stays counted in its VM's @resident and RLIMIT_MEMLOCK
 * charge (so a copy-on-write never needs a charge it could be refused);
 * the page itself stays charged to the memory cgroup of the task that
 * first touched it (the copy that became the shared one, as Linux KSM
 * does), the duplicates it replaced are freed and uncharged.  The
 * module's saving is the shared slots less the shared pages.
 */
#ifndef VMMON_PMAP_H
#define VMMON_PMAP_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/vmmon.h>

struct mm_struct;
struct page;
struct user_struct;

/*
 * A region's pages in a flat array, as KVM keeps a memory slot's rmap:
 * 8 bytes per guest page, allocated with the region, so that a lookup or
 * a removal is one load or one exchange (a removal of many pages costs
 * no tree walk per page).
 */
struct vmmon_pmap_region {
	u64 first_gfn;
	u64 nr_pages;
	struct page **pages;		/* by gfn - first_gfn; NULL: untouched */
	/* Pages userspace may map (set at its fault, cleared at removal). */
	unsigned long *user_mapped;
	/*
	 * Under mmu_lock.  @wp: no view may write the page (it is being
	 * compared, or it is shared); @shared: the page is a shared one, a
	 * write needs a copy; @zero: a shared page of zeros.
	 */
	unsigned long *wp;
	unsigned long *shared;
	unsigned long *zero;
};

struct vmmon_pmap {
	struct mutex regions_lock;	/* serializes adding regions */
	/*
	 * Regions are only added, never changed: readers see the first
	 * nr_regions entries through smp_load_acquire() without a lock.
	 */
	struct vmmon_pmap_region regions[VMMON_MAX_MEM_REGIONS];
	unsigned int nr_regions;
	u64 nr_pages;			/* in all regions */
	atomic_long_t resident;
	atomic_long_t nr_shared;	/* slots that map a shared page */
	atomic_long_t nr_zero;		/* of them, the shared zero page */
	atomic_long_t cow_breaks;	/* private copies made at a write */
	/*
	 * Guest pages are unswappable: each is charged as locked memory to
	 * the VM creator's user, against its RLIMIT_MEMLOCK (as io_uring's
	 * buffers are; NULL with CAP_IPC_LOCK), and shows in its process's
	 * VmPin.
	 */
	struct user_struct *user;
	unsigned long max_locked;	/* pages */
	struct mm_struct *mm;
};

void vmmon_pmap_init(struct vmmon_pmap *pmap);
void vmmon_pmap_set_owner(struct vmmon_pmap *pmap);
void vmmon_pmap_destroy(struct vmmon_pmap *pmap);
int vmmon_pmap_add_region(struct vmmon_pmap *pmap,
			  const struct vmmon_memory_region *r);
struct page *vmmon_pmap_get_page(struct vmmon_pmap *pmap, u64 gfn);
int vmmon_pmap_peek_page(struct vmmon_pmap *pmap, u64 gfn, struct page **page);
unsigned int vmmon_pmap_remove(struct vmmon_pmap *pmap, const u64 *gfns,
			       unsigned int n, struct page **pages, u64 *zap,
			       unsigned int *nr_zap, unsigned long *shared);
bool vmmon_pmap_rank_gfn(const struct vmmon_pmap *pmap, u64 rank, u64 *gfn);
struct page *vmmon_pmap_get_candidate(struct vmmon_pmap *pmap, u64 gfn);
bool vmmon_pmap_writable(struct vmmon_pmap *pmap, u64 gfn);
struct page *vmmon_pmap_protect(struct vmmon_pmap *pmap, u64 gfn,
				bool *user_mapped);
void vmmon_pmap_unprotect(struct vmmon_pmap *pmap, u64 gfn,
			  struct page *page);
struct page *vmmon_pmap_share(struct vmmon_pmap *pmap, u64 gfn,
			      struct page *old, struct page *shared, bool zero,
			      bool *user_mapped);
int vmmon_pmap_unshare(struct vmmon_pmap *pmap, u64 gfn, struct page **old,
		       bool *user_mapped);
void vmmon_pmap_user_mapped(struct vmmon_pmap *pmap, u64 gfn);
bool vmmon_pmap_is_ram(const struct vmmon_pmap *pmap, u64 gfn);
bool vmmon_pmap_range_is_ram(const struct vmmon_pmap *pmap, u64 gfn, u64 n);
bool vmmon_pmap_ram_index(const struct vmmon_pmap *pmap, u64 gfn, u64 *index);
unsigned long vmmon_pmap_resident(struct vmmon_pmap *pmap);
unsigned long vmmon_pmap_resident_all(void);
unsigned long vmmon_pmap_shared_all(void);
unsigned long vmmon_pmap_cow_breaks_all(void);

#endif /* VMMON_PMAP_H */
