// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's side of content-based page sharing (kmod/ksm/ decides what to
 * share; only this file changes the views for it).  Sharing a page:
 * vmmon_vm_share_protect() takes write access away in every view, the
 * caller compares the bytes, then vmmon_vm_share_commit() backs the
 * page with the shared one, or vmmon_vm_share_unprotect() gives it
 * back.  A write in between makes the page writable again
 * (vmmon_vm_cow), and the commit then finds the slot changed.
 */
#include <linux/mm.h>
#include "vmmon_core.h"
#include "vmmon_vm.h"

/*
 * Write-protect RAM page @gfn in every view: its page, with a reference
 * for the caller, once no view may write it (EPT translations flushed
 * on every CPU, userspace's mappings zapped: a read faults it back in
 * read-only); NULL when it has no page or is protected already.
 */
struct page *vmmon_vm_share_protect(struct vmmon_vm *vm, u64 gfn)
{
	bool user_mapped = false;
	struct page *page;

	mutex_lock(&vm->mmu_lock);
	page = vmmon_pmap_protect(&vm->pmap, gfn, &user_mapped);
	if (page && vmmon_ept_unmap(&vm->ept, &gfn, 1))
		vmmon_hw()->flush_ept(&vm->ept);
	/*
	 * Under mmu_lock, as in vmmon_vm_cow(): a fault after this maps the
	 * page read-only; the caller looks at the bytes only after this.
	 */
	if (user_mapped)
		vmmon_vm_zap(vm, &gfn, 1);
	mutex_unlock(&vm->mmu_lock);
	return page;
}

/* The bytes differed: @gfn (if still @page) may be written at once. */
void vmmon_vm_share_unprotect(struct vmmon_vm *vm, u64 gfn,
			      struct page *page)
{
	mutex_lock(&vm->mmu_lock);
	vmmon_pmap_unprotect(&vm->pmap, gfn, page);
	mutex_unlock(&vm->mmu_lock);
}

/*
 * Back @gfn, protected since vmmon_vm_share_protect() gave @old and
 * found equal to @shared (@zero: all zeros), with @shared: 0, or
 * -EAGAIN when it was written or removed since.  The page it held goes
 * out of every view (a read may have mapped it read-only since) onto
 * @gone, for vmmon_vm_free_removed().
 */
int vmmon_vm_share_commit(struct vmmon_vm *vm, u64 gfn, struct page *old,
			  struct page *shared, bool zero,
			  struct vmmon_removed *gone)
{
	bool user_mapped = false;
	struct page *was;

	mutex_lock(&vm->mmu_lock);
	was = vmmon_pmap_share(&vm->pmap, gfn, old, shared, zero,
			       &user_mapped);
	if (IS_ERR(was)) {
		mutex_unlock(&vm->mmu_lock);
		return PTR_ERR(was);
	}
	if (was && vmmon_ept_unmap(&vm->ept, &gfn, 1))
		vmmon_hw()->flush_ept(&vm->ept);
	/*
	 * Under mmu_lock: a read-only entry for @old left after the unlock
	 * would let a write fault find the slot already private (after a
	 * copy-on-write of @shared) and make that entry writable, so the
	 * store would land in @old, which is freed (a lost write).
	 */
	if (user_mapped)
		vmmon_vm_zap(vm, &gfn, 1);
	mutex_unlock(&vm->mmu_lock);
	if (was)
		list_add_tail(&was->lru, &gone->pages);
	return 0;
}
