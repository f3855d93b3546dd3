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
 * Sharing one page read-only among guests and sampling accessed bits
 * will follow the same path with an EPT entry changed instead of
 * removed.
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
			       unsigned int *nr_zap);
void vmmon_pmap_user_mapped(struct vmmon_pmap *pmap, u64 gfn);
bool vmmon_pmap_is_ram(const struct vmmon_pmap *pmap, u64 gfn);
bool vmmon_pmap_range_is_ram(const struct vmmon_pmap *pmap, u64 gfn, u64 n);
bool vmmon_pmap_ram_index(const struct vmmon_pmap *pmap, u64 gfn, u64 *index);
unsigned long vmmon_pmap_resident(struct vmmon_pmap *pmap);
unsigned long vmmon_pmap_resident_all(void);

#endif /* VMMON_PMAP_H */
