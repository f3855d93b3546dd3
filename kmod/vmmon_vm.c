// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects.  A VM lives as long as its file: the fd returned by
 * VMMON_CREATE_VM holds the only reference, so closing its last copy
 * (or the death of the last process holding it) destroys the VM.  The
 * file's fops pin the module, so rmmod is refused while a VM exists, and
 * each mmap of the file holds it, so guest memory outlives its mappings.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <asm/io.h>
#include <uapi/vmmon.h>
#include "vmmon_core.h"
#include "vmmon_vm.h"

/* "vmmn": the pseudo filesystem that gives each VM file its own inode. */
#define VMMON_FS_MAGIC	0x766d6d6e

/*
 * Live VMs by id.  A cyclic allocator, so that an id names one VM for as
 * long as the module is loaded (2^31 creations before it wraps): a tool
 * holding the id of a VM that is gone never reaches a newer one.  The
 * mutex guards membership and names: netlink readers hold it while they
 * look at a VM, and a VM leaves under it before it is freed.
 */
static DEFINE_XARRAY_ALLOC1(vmmon_vms);
static DEFINE_MUTEX(vmmon_vms_mutex);
static u32 vmmon_vm_next_id;
static atomic_t vmmon_nr_vms = ATOMIC_INIT(0);
static struct vfsmount *vmmon_mnt;
/* Frees the pages taken out of VMs (vmmon_vm_free_removed). */
static struct workqueue_struct *vmmon_free_wq;

static int vmmon_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VMMON_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vmmon_fs_type = {
	.name = "vmmon",
	.init_fs_context = vmmon_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/*
 * A VM's file needs an inode of its own (anon_inode_getfile() shares
 * one among all its users), so that zapping the mappings of guest pages
 * reaches this VM's mappings only.
 */
int vmmon_vm_setup(void)
{
	int err;

	/* Unbound: freeing runs on an idle CPU, not the vCPU's, if one is. */
	vmmon_free_wq = alloc_workqueue("vmmon_free", WQ_UNBOUND, 0);
	if (!vmmon_free_wq)
		return -ENOMEM;
	vmmon_mnt = kern_mount(&vmmon_fs_type);
	if (IS_ERR(vmmon_mnt)) {
		err = PTR_ERR(vmmon_mnt);
		goto destroy_wq;
	}
	err = vmmon_ksm_setup();
	if (err)
		goto unmount;
	return 0;

unmount:
	kern_unmount(vmmon_mnt);
destroy_wq:
	destroy_workqueue(vmmon_free_wq);
	return err;
}

void vmmon_vm_teardown(void)
{
	/* Its last pass may have queued pages for the workqueue. */
	vmmon_ksm_teardown();
	kern_unmount(vmmon_mnt);
	/* Removed pages wait for a grace period, then for the workqueue. */
	rcu_barrier();
	destroy_workqueue(vmmon_free_wq);
}

unsigned int vmmon_vm_count(void)
{
	return atomic_read(&vmmon_nr_vms);
}

void vmmon_vms_lock(void)
{
	mutex_lock(&vmmon_vms_mutex);
}

void vmmon_vms_unlock(void)
{
	mutex_unlock(&vmmon_vms_mutex);
}

/* A reserved id (a VM being created) reads as NULL. */
struct vmmon_vm *vmmon_vm_find(u32 id)
{
	lockdep_assert_held(&vmmon_vms_mutex);
	return xa_load(&vmmon_vms, id);
}

/* The first live VM from *@id on; *@id becomes its id. */
struct vmmon_vm *vmmon_vm_next(unsigned long *id)
{
	lockdep_assert_held(&vmmon_vms_mutex);
	return xa_find(&vmmon_vms, id, ULONG_MAX, XA_PRESENT);
}

void vmmon_vm_pin(struct vmmon_vm *vm)
{
	lockdep_assert_held(&vmmon_vms_mutex);
	atomic_inc(&vm->pins);
}

void vmmon_vm_unpin(struct vmmon_vm *vm)
{
	if (atomic_dec_and_test(&vm->pins))
		wake_up_var(&vm->pins);
}

/*
 * Names are unique per owner only: @prefer's VM of that name, else the
 * one with the lowest id (an administrator looking at another's VM).
 */
struct vmmon_vm *vmmon_vm_find_name(const char *name, kuid_t prefer)
{
	struct vmmon_vm *vm, *found = NULL;
	unsigned long id;

	lockdep_assert_held(&vmmon_vms_mutex);
	xa_for_each(&vmmon_vms, id, vm) {
		if (strcmp(vm->name, name))
			continue;
		if (uid_eq(vm->owner, prefer))
			return vm;
		if (!found)
			found = vm;
	}
	return found;
}

/*
 * 1 to VMMON_NAME_MAX - 1 characters of [A-Za-z0-9._-], not all digits:
 * a number on vmctl's command line is always an id.  ASCII by hand: the
 * kernel's ctype takes Latin-1 letters as letters.
 */
bool vmmon_name_valid(const char *name)
{
	size_t len = strnlen(name, VMMON_NAME_MAX), i;
	bool digits = true;
	char c;

	if (!len || len == VMMON_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		c = name[i];
		if (c >= '0' && c <= '9')
			continue;
		digits = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return !digits;
}

/* -EINVAL for a name that may not be, -EEXIST when the owner has it. */
int vmmon_vm_rename(struct vmmon_vm *vm, const char *name)
{
	struct vmmon_vm *other;
	unsigned long id;

	lockdep_assert_held(&vmmon_vms_mutex);
	if (!vmmon_name_valid(name))
		return -EINVAL;
	xa_for_each(&vmmon_vms, id, other)
		if (other != vm && uid_eq(other->owner, vm->owner) &&
		    !strcmp(other->name, name))
			return -EEXIST;
	strscpy(vm->name, name, sizeof(vm->name));
	return 0;
}

enum vmmon_vm_state vmmon_vm_state(struct vmmon_vm *vm)
{
	if (atomic_read(&vm->nr_running))
		return VMMON_VM_STATE_RUNNING;
	return READ_ONCE(vm->ran) ? VMMON_VM_STATE_STOPPED :
				    VMMON_VM_STATE_CREATED;
}

unsigned int vmmon_vm_nr_vcpus(struct vmmon_vm *vm)
{
	unsigned int i, n = 0;

	mutex_lock(&vm->lock);
	for (i = 0; i < VMMON_MAX_VCPUS; i++)
		n += !!vm->vcpus[i];
	mutex_unlock(&vm->lock);
	return n;
}

/* The last reference to the VM's file is gone: no vCPU fd, no mapping. */
static void vmmon_vm_destroy(struct vmmon_vm *vm)
{
	unsigned int i;
	bool listed;

	mutex_lock(&vmmon_vms_mutex);
	listed = xa_erase(&vmmon_vms, vm->id) == vm;
	mutex_unlock(&vmmon_vms_mutex);
	/*
	 * Out of its sharing group before anything is torn down: a sharing
	 * pass that pinned it stops at its next batch, and none reaches it
	 * through another VM's hint once it is torn down (kmod/ksm/).
	 */
	vmmon_ksm_vm_leave(vm);
	/* Unlisted: no new pin; the ones taken end before the teardown. */
	wait_var_event(&vm->pins, !atomic_read(&vm->pins));
	/* Not listed: creation failed after the file existed, no CREATED. */
	if (listed)
		vmmon_genl_event(vm, VMMON_EVENT_DESTROYED);
	pr_debug("VM %u destroyed\n", vm->id);
	for (i = 0; i < VMMON_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vmmon_vcpu_destroy(vm->vcpus[i]);
	vmmon_balloon_destroy(&vm->balloon);
	vmmon_ept_destroy(&vm->ept);
	vmmon_pmap_destroy(&vm->pmap);
	vmmon_ksm_vm_destroy(vm);
	atomic_dec(&vmmon_nr_vms);
	vmmon_hw_put();
	put_pid(vm->owner_pid);
	kfree(vm);
}

static int vmmon_vm_release(struct inode *inode, struct file *file)
{
	vmmon_vm_destroy(file->private_data);
	return 0;
}

/*
 * Give the guest page at @gpa its host page and map it for the hardware:
 * 0, -ENOENT when @gpa is not guest RAM, -ENOMEM.  Adding an entry needs
 * no TLB invalidation; mmu_lock keeps a discard from removing the page
 * between the lookup and the new entry.
 */
struct vmmon_ept *vmmon_vm_ept(struct vmmon_vm *vm)
{
	return &vm->ept;
}

/*
 * A write to RAM page @gfn is coming (copy-on-write): a page protected
 * for a comparison becomes writable, a shared page is replaced by a
 * private copy, out of every view before this returns (EPT flushed on
 * every CPU, userspace's mappings zapped: another vCPU or thread must
 * not go on reading the shared page after this write).  0 or -ENOMEM.
 * Under mmu_lock; zapping under it is safe, since the fault path takes
 * it before any page-table lock and unmap_mapping_range() takes no
 * mmap_lock.
 */
int vmmon_vm_cow(struct vmmon_vm *vm, u64 gfn)
{
	bool user_mapped;
	struct page *old;
	int err;

	lockdep_assert_held(&vm->mmu_lock);
	err = vmmon_pmap_unshare(&vm->pmap, gfn, &old, &user_mapped);
	if (err || !old)
		return err;
	if (vmmon_ept_unmap(&vm->ept, &gfn, 1))
		vmmon_hw()->flush_ept(&vm->ept);
	if (user_mapped)
		vmmon_vm_zap(vm, &gfn, 1);
	/* Never the last reference: the table of shared pages holds one. */
	put_page(old);
	return 0;
}

int vmmon_vm_fault_in(struct vmmon_vm *vm, u64 gpa, bool write)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	int err;

	mutex_lock(&vm->mmu_lock);
	err = write ? vmmon_vm_cow(vm, gfn) : 0;
	if (err)
		goto unlock;
	page = vmmon_pmap_get_page(&vm->pmap, gfn);
	if (IS_ERR_OR_NULL(page)) {
		err = page ? PTR_ERR(page) : -ENOENT;
	} else {
		/*
		 * EPT maps it on the pmap's reference, until a removal; a
		 * protected page read-only, so that a write comes back here.
		 */
		err = vmmon_ept_map(&vm->ept, gpa & PAGE_MASK,
				    page_to_phys(page),
				    vmmon_pmap_writable(&vm->pmap, gfn));
		put_page(page);
	}
unlock:
	mutex_unlock(&vm->mmu_lock);
	return err;
}

/*
 * Guest-physical memory for the exits vmmon emulates (string I/O, MMIO
 * instruction fetch, PAE page tables): 0, or -ENOENT outside RAM.  The
 * range may cross pages.  Reading allocates nothing (a page never
 * touched reads as zeros), so it may be called in atomic context.
 */
int vmmon_vm_read_phys(struct vmmon_vm *vm, u64 gpa, void *buf,
		       unsigned int len)
{
	unsigned int off, n;
	struct page *page;
	void *va;
	int err;

	while (len) {
		off = offset_in_page(gpa);
		n = min_t(unsigned int, len, PAGE_SIZE - off);
		/* A discard frees the page only after the readers are done. */
		rcu_read_lock();
		err = vmmon_pmap_peek_page(&vm->pmap, gpa >> PAGE_SHIFT, &page);
		if (!err && page) {
			va = kmap_local_page(page);
			memcpy(buf, va + off, n);
			kunmap_local(va);
		} else if (!err) {
			memset(buf, 0, n);
		}
		rcu_read_unlock();
		if (err)
			return err;
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Writing allocates pages on first touch, as the guest does; may sleep. */
int vmmon_vm_write_phys(struct vmmon_vm *vm, u64 gpa, const void *buf,
			unsigned int len)
{
	unsigned int off, n;
	struct page *page;
	int err = 0;
	void *va;

	mutex_lock(&vm->mmu_lock);
	while (len) {
		err = vmmon_vm_cow(vm, gpa >> PAGE_SHIFT);
		if (err)
			break;
		page = vmmon_pmap_get_page(&vm->pmap, gpa >> PAGE_SHIFT);
		if (IS_ERR_OR_NULL(page)) {
			err = page ? PTR_ERR(page) : -ENOENT;
			break;
		}
		off = offset_in_page(gpa);
		n = min_t(unsigned int, len, PAGE_SIZE - off);
		va = kmap_local_page(page);
		memcpy(va + off, buf, n);
		kunmap_local(va);
		put_page(page);
		gpa += n;
		buf += n;
		len -= n;
	}
	mutex_unlock(&vm->mmu_lock);
	return err;
}

/* Bit @nr (0-7) of the byte at @off in @page, locked: its old value. */
static bool vmmon_vm_change_bit(struct page *page, unsigned int off,
				unsigned int nr, bool set)
{
	unsigned int bit = (off % sizeof(unsigned long)) * BITS_PER_BYTE + nr;
	unsigned long *word;
	bool old;
	void *va;

	va = kmap_local_page(page);
	word = va + round_down(off, sizeof(*word));
	old = set ? test_and_set_bit(bit, word) : test_and_clear_bit(bit, word);
	kunmap_local(va);
	return old;
}

/*
 * Set or clear bit @nr (0-7) of the byte at @gpa, a locked
 * read-modify-write of that bit alone, as the CPU changes a TSS
 * descriptor's busy flag: a write of the whole byte would undo another
 * vCPU's change to its other bits.  The bit's old value, or an errno.
 * May sleep (allocates or copies the page).
 */
int vmmon_vm_change_bit_phys(struct vmmon_vm *vm, u64 gpa, unsigned int nr,
			     bool set)
{
	struct page *page;
	int err;

	if (WARN_ON_ONCE(nr >= BITS_PER_BYTE))
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	err = vmmon_vm_cow(vm, gpa >> PAGE_SHIFT);
	if (err)
		goto unlock;
	page = vmmon_pmap_get_page(&vm->pmap, gpa >> PAGE_SHIFT);
	if (IS_ERR_OR_NULL(page)) {
		err = page ? PTR_ERR(page) : -ENOENT;
		goto unlock;
	}
	err = vmmon_vm_change_bit(page, offset_in_page(gpa), nr, set);
	put_page(page);
unlock:
	mutex_unlock(&vm->mmu_lock);
	return err;
}

/*
 * Atomic context (a task switch before it commits, vmx_task_switch.c):
 * mmu_lock if it is free.  While it is held no page changes hands (a
 * discard, a merge, a copy on write all take it).
 */
bool vmmon_vm_trylock_mmu(struct vmmon_vm *vm)
{
	return mutex_trylock(&vm->mmu_lock);
}

void vmmon_vm_unlock_mmu(struct vmmon_vm *vm)
{
	mutex_unlock(&vm->mmu_lock);
}

/*
 * Under mmu_lock: whether the page at @gpa is resident and writable, so
 * that writing it allocates nothing, charges nothing and copies nothing
 * (vmmon_vm_write_phys cannot fail on it while it stays so).
 */
bool vmmon_vm_page_ready(struct vmmon_vm *vm, u64 gpa)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct page *page;

	lockdep_assert_held(&vm->mmu_lock);
	return !vmmon_pmap_peek_page(&vm->pmap, gfn, &page) && page &&
	       vmmon_pmap_writable(&vm->pmap, gfn);
}

/*
 * Under mmu_lock, in atomic context: test and set bit @nr (0-7) of the
 * byte at @gpa, whose page vmmon_vm_page_ready() found ready.  Its old
 * value, or an errno.
 */
int vmmon_vm_test_and_set_bit_ready(struct vmmon_vm *vm, u64 gpa,
				    unsigned int nr)
{
	struct page *page;
	int old;

	lockdep_assert_held(&vm->mmu_lock);
	if (WARN_ON_ONCE(nr >= BITS_PER_BYTE))
		return -EINVAL;
	/* A discard frees a page after a grace period, not under the lock. */
	rcu_read_lock();
	if (vmmon_pmap_peek_page(&vm->pmap, gpa >> PAGE_SHIFT, &page) || !page)
		old = -ENOENT;
	else
		old = vmmon_vm_change_bit(page, offset_in_page(gpa), nr, true);
	rcu_read_unlock();
	return old;
}

/*
 * Gaps of at most this many pages between two pages to zap are zapped
 * with them: a zap walks the mapping's VMAs and flushes the TLB, a page
 * zapped for nothing costs userspace one fault at most.
 */
#define VMMON_ZAP_GAP	16

/*
 * Zap userspace's mappings of the @n pages at @gfns, one range for each
 * run of near page numbers (a balloon's are often runs, up or down).
 */
void vmmon_vm_zap(struct vmmon_vm *vm, const u64 *gfns, unsigned int n)
{
	unsigned int i;
	u64 lo, hi;

	if (!n)
		return;
	lo = gfns[0];
	hi = lo;
	for (i = 1; i <= n; i++) {
		if (i < n && gfns[i] + VMMON_ZAP_GAP >= lo &&
		    gfns[i] <= hi + VMMON_ZAP_GAP) {
			lo = min(lo, gfns[i]);
			hi = max(hi, gfns[i]);
			continue;
		}
		unmap_mapping_range(vm->file->f_mapping, lo << PAGE_SHIFT,
				    (hi - lo + 1) << PAGE_SHIFT, 1);
		if (i < n) {
			lo = gfns[i];
			hi = lo;
		}
	}
}

/*
 * Take the pages behind @n guest page numbers (RAM, as the caller
 * checked; in any order, each once) out of the guest: out of the pmap
 * and EPT, out of the TLBs of the CPUs running the guest (one flush for
 * all of them), out of userspace's mappings.  The pages go on @gone for
 * vmmon_vm_free_removed(); returns how many there were (a page never
 * touched has no host page).  The guest and userspace find zeroed pages
 * there at their next touch.
 */
unsigned int vmmon_vm_remove_pages(struct vmmon_vm *vm, const u64 *gfns,
				   unsigned int n, struct vmmon_removed *gone)
{
	unsigned int i, nr, nr_zap;

	if (WARN_ON_ONCE(n > VMMON_REMOVE_MAX))
		n = VMMON_REMOVE_MAX;
	mutex_lock(&vm->mmu_lock);
	nr = vmmon_pmap_remove(&vm->pmap, gfns, n, gone->taken, gone->zap,
			       &nr_zap, gone->shared);
	/* EPT maps only what the pmap holds: nothing to do without pages. */
	if (nr && vmmon_ept_unmap(&vm->ept, gfns, n))
		vmmon_hw()->flush_ept(&vm->ept);
	mutex_unlock(&vm->mmu_lock);
	/*
	 * Userspace maps a page under mmu_lock (vmmon_vm_fault): a fault
	 * before the removal marked the page for this zap, a later one
	 * finds it gone from the pmap.  Only the pages userspace was given
	 * are zapped: a guest's page is rarely mapped by its VMM.
	 */
	vmmon_vm_zap(vm, gone->zap, nr_zap);
	/*
	 * Out of every view: their list heads are ours to use.  Not a
	 * shared page's, which other slots hold: the slot's reference goes
	 * now, never the last (its table holds one and frees it after a
	 * grace period, kmod/ksm/).
	 */
	for (i = 0; i < n; i++) {
		if (!gone->taken[i])
			continue;
		if (test_bit(i, gone->shared))
			put_page(gone->taken[i]);
		else
			list_add_tail(&gone->taken[i]->lru, &gone->pages);
	}
	return nr;
}

/* Removed pages on their way out, once RCU readers are done with them. */
struct vmmon_free_batch {
	struct rcu_work rwork;
	struct list_head pages;
};

/*
 * In process context, a removal's worth at a time: a kick's batch may
 * hold thousands of pages, too long to free in one go without a look at
 * the scheduler.  put_pages_list() gives the page allocator each part
 * at once, cheaper than a put_page() per page.
 */
static void vmmon_vm_free_batch(struct work_struct *work)
{
	struct vmmon_free_batch *b = container_of(to_rcu_work(work),
						  struct vmmon_free_batch,
						  rwork);
	LIST_HEAD(part);
	unsigned int n;

	while (!list_empty(&b->pages)) {
		for (n = 0; n < VMMON_REMOVE_MAX && !list_empty(&b->pages); n++)
			list_move_tail(b->pages.next, &part);
		put_pages_list(&part);
		cond_resched();
	}
	kfree(b);
}

/*
 * Free what vmmon_vm_remove_pages() took out, once the RCU readers that
 * may have found it in the pmap (vmmon_vm_read_phys, vmmon_pmap_get_page)
 * are done.  Deferred (queue_rcu_work), so that the caller does not wait
 * a grace period, which costs a balloon's doorbell milliseconds; only
 * when memory for the batch is short does it wait here.  @pages is empty
 * after.
 */
static bool vmmon_vm_queue_free(struct list_head *pages, gfp_t gfp)
{
	struct vmmon_free_batch *b;

	if (list_empty(pages))
		return true;
	b = kmalloc(sizeof(*b), gfp);
	if (!b)
		return false;
	INIT_LIST_HEAD(&b->pages);
	list_splice_init(pages, &b->pages);
	INIT_RCU_WORK(&b->rwork, vmmon_vm_free_batch);
	queue_rcu_work(vmmon_free_wq, &b->rwork);
	return true;
}

void vmmon_vm_free_pages(struct list_head *pages)
{
	if (vmmon_vm_queue_free(pages, GFP_KERNEL))
		return;
	synchronize_rcu();
	put_pages_list(pages);
}

bool vmmon_vm_free_pages_nowait(struct list_head *pages)
{
	return vmmon_vm_queue_free(pages, GFP_NOWAIT | __GFP_NOWARN);
}

void vmmon_vm_free_removed(struct vmmon_removed *gone)
{
	vmmon_vm_free_pages(&gone->pages);
}

/* Pages of one VMMON_SAMPLE_ACCESSED step: one bitmap chunk. */
#define VMMON_SAMPLE_CHUNK	512

static long vmmon_vm_sample_accessed(struct vmmon_vm *vm, void __user *uarg)
{
	u8 bits[VMMON_SAMPLE_CHUNK / 8];
	struct vmmon_accessed a;
	u8 __user *ubits;
	bool cleared = false;
	u64 i, n, first;
	long err = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.pad || !a.nr_pages ||
	    a.nr_pages > VMMON_MAX_SAMPLE_PAGES || !PAGE_ALIGNED(a.guest_phys))
		return -EINVAL;
	if (!vm->ept.ad)
		return -EOPNOTSUPP;
	first = a.guest_phys >> PAGE_SHIFT;
	if (!vmmon_pmap_range_is_ram(&vm->pmap, first, a.nr_pages))
		return -EINVAL;
	ubits = u64_to_user_ptr(a.bitmap);
	for (i = 0; i < a.nr_pages && !err; i += n) {
		n = min_t(u64, a.nr_pages - i, VMMON_SAMPLE_CHUNK);
		memset(bits, 0, sizeof(bits));
		for (u64 j = 0; j < n; j++) {
			if (!vmmon_ept_test_and_clear_accessed(&vm->ept,
					(first + i + j) << PAGE_SHIFT))
				continue;
			bits[j / 8] |= 1 << (j % 8);
			cleared = true;
		}
		if (copy_to_user(ubits + i / 8, bits, DIV_ROUND_UP(n, 8)))
			err = -EFAULT;
		cond_resched();
	}
	/* Cached translations would keep the flags from being set again. */
	if (cleared)
		vmmon_hw()->flush_ept(&vm->ept);
	return err;
}

static long vmmon_vm_discard(struct vmmon_vm *vm, void __user *uarg)
{
	struct vmmon_memory_range r;
	struct vmmon_removed *gone;
	u64 first, gfn, end, *gfns;
	unsigned int i, n;
	long err = -ENOMEM;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags || r.pad || !r.size || !PAGE_ALIGNED(r.guest_phys) ||
	    !PAGE_ALIGNED(r.size) || r.guest_phys + r.size < r.guest_phys)
		return -EINVAL;
	first = r.guest_phys >> PAGE_SHIFT;
	end = first + (r.size >> PAGE_SHIFT);
	if (!vmmon_pmap_range_is_ram(&vm->pmap, first, end - first))
		return -EINVAL;
	gfns = kmalloc_array(VMMON_REMOVE_MAX, sizeof(*gfns), GFP_KERNEL);
	gone = kmalloc(sizeof(*gone), GFP_KERNEL);
	if (!gfns || !gone)
		goto free;
	vmmon_removed_init(gone);
	err = 0;
	for (gfn = first; gfn < end; gfn += n) {
		n = min_t(u64, end - gfn, VMMON_REMOVE_MAX);
		for (i = 0; i < n; i++)
			gfns[i] = gfn + i;
		vmmon_vm_remove_pages(vm, gfns, n, gone);
		vmmon_vm_free_removed(gone);
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
free:
	kfree(gone);
	kfree(gfns);
	return err;
}

/*
 * The file offset of a VM mapping is the guest-physical address.  The
 * page goes in as a special PTE (VM_MIXEDMAP): no reference, mapcount or
 * rmap of its own, so that zapping it at a removal costs a few
 * instructions a page instead of the page accounting of a normal PTE.
 * The pmap's reference keeps the page, and a removal zaps the PTE before
 * it drops that reference; mmu_lock orders the two (vmmon_vm_remove_pages).
 */
static vm_fault_t vmmon_vm_fault(struct vm_fault *vmf)
{
	struct vmmon_vm *vm = vmf->vma->vm_file->private_data;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct page *page;
	vm_fault_t ret;

	mutex_lock(&vm->mmu_lock);
	if (write && vmmon_vm_cow(vm, vmf->pgoff)) {
		ret = VM_FAULT_OOM;
		goto unlock;
	}
	page = vmmon_pmap_get_page(&vm->pmap, vmf->pgoff);
	/*
	 * Past RLIMIT_MEMLOCK as past the end of RAM: the OOM killer would
	 * kill someone else for a limit of this process's owner.
	 */
	if (!page || PTR_ERR(page) == -EDQUOT) {
		ret = VM_FAULT_SIGBUS;
	} else if (IS_ERR(page)) {
		ret = VM_FAULT_OOM;
	} else {
		vmmon_pmap_user_mapped(&vm->pmap, vmf->pgoff);
		/*
		 * Read-only, as the mapping's protection is since it has a
		 * pfn_mkwrite (vmf_insert_mixed_mkwrite is not exported on
		 * 6.12): a write takes a second fault, into
		 * vmmon_vm_mkwrite(), which finds the page writable now.
		 */
		ret = vmf_insert_mixed(vmf->vma, vmf->address,
				       page_to_pfn_t(page));
		put_page(page);
	}
unlock:
	mutex_unlock(&vm->mmu_lock);
	return ret;
}

/*
 * A write through a read-only entry: a page that is not protected may
 * be written at once (the core makes the entry writable); a shared page
 * gets its private copy first, and the zapped entry makes the access
 * fault again into vmmon_vm_fault() for the copy.
 */
static vm_fault_t vmmon_vm_mkwrite(struct vm_fault *vmf)
{
	struct vmmon_vm *vm = vmf->vma->vm_file->private_data;
	struct page *before, *after;
	vm_fault_t ret = 0;

	mutex_lock(&vm->mmu_lock);
	if (vmmon_pmap_peek_page(&vm->pmap, vmf->pgoff, &before))
		ret = VM_FAULT_SIGBUS;
	else if (vmmon_vm_cow(vm, vmf->pgoff))
		ret = VM_FAULT_OOM;
	else if (vmmon_pmap_peek_page(&vm->pmap, vmf->pgoff, &after) ||
		 after != before)
		ret = VM_FAULT_NOPAGE;
	mutex_unlock(&vm->mmu_lock);
	return ret;
}

static const struct vm_operations_struct vmmon_vm_vm_ops = {
	.fault = vmmon_vm_fault,
	.pfn_mkwrite = vmmon_vm_mkwrite,
};

/*
 * Shared only: a private copy would not be guest memory.  Guest pages
 * are special PTEs there (vmmon_vm_fault), which get_user_pages()
 * refuses: O_DIRECT or process_vm_readv() on guest memory get EFAULT,
 * and no pin can keep a page the pmap gave up.
 */
static int vmmon_vm_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_MIXEDMAP);
#else
	vma->vm_flags |= VM_MIXEDMAP;
#endif
	vma->vm_ops = &vmmon_vm_vm_ops;
	return 0;
}

static long vmmon_vm_set_memory_region(struct vmmon_vm *vm,
				       void __user *uarg)
{
	struct vmmon_memory_region r;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	return vmmon_pmap_add_region(&vm->pmap, &r);
}

static long vmmon_vm_get_stats(struct vmmon_vm *vm, void __user *uarg)
{
	struct vmmon_vm_stats st = {
		.pages_resident = vmmon_pmap_resident(&vm->pmap),
	};

	mutex_lock(&vm->lock);
	vmmon_vcpu_sum_stats(vm, &st.exits);
	mutex_unlock(&vm->lock);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long vmmon_vm_set_name(struct vmmon_vm *vm, void __user *uarg)
{
	struct vmmon_name n;
	int err;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (!memchr(n.name, '\0', sizeof(n.name)))
		return -EINVAL;
	mutex_lock(&vmmon_vms_mutex);
	err = vmmon_vm_rename(vm, n.name);
	mutex_unlock(&vmmon_vms_mutex);
	return err;
}

static long vmmon_vm_set_share_group(struct vmmon_vm *vm, void __user *uarg)
{
	struct vmmon_name n;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (!memchr(n.name, '\0', sizeof(n.name)))
		return -EINVAL;
	return vmmon_ksm_set_group(vm, n.name);
}

static long vmmon_vm_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vmmon_vm *vm = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMMON_SET_MEMORY_REGION:
		return vmmon_vm_set_memory_region(vm, uarg);
	case VMMON_GET_VM_STATS:
		return vmmon_vm_get_stats(vm, uarg);
	case VMMON_CREATE_VCPU:
		return vmmon_vcpu_create(vm, uarg);
	case VMMON_DISCARD_MEMORY:
		return vmmon_vm_discard(vm, uarg);
	case VMMON_SAMPLE_ACCESSED:
		return vmmon_vm_sample_accessed(vm, uarg);
	case VMMON_SET_NAME:
		return vmmon_vm_set_name(vm, uarg);
	case VMMON_SET_SHARE_GROUP:
		return vmmon_vm_set_share_group(vm, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmmon_vm_fops = {
	.owner = THIS_MODULE,
	.release = vmmon_vm_release,
	.unlocked_ioctl = vmmon_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vmmon_vm_mmap,
	.llseek = noop_llseek,
};

/* Returns the new VM's fd, or a negative errno. */
int vmmon_vm_create(const struct vmmon_create_vm *args)
{
	struct inode *inode;
	struct vmmon_vm *vm;
	int err, fd;

	if (args->flags || args->pad)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	vmmon_pmap_init(&vm->pmap);
	vmmon_pmap_set_owner(&vm->pmap);
	mutex_init(&vm->lock);
	mutex_init(&vm->mmu_lock);
	vmmon_balloon_init(&vm->balloon);
	atomic_set(&vm->nr_running, 0);
	vm->owner = current_euid();
	vm->created_ns = ktime_get_real_ns();
	err = vmmon_ksm_vm_init(vm);
	if (err)
		goto free_vm;
	err = vmmon_ept_init(&vm->ept, vmmon_hw_cap(VMMON_CAP_EPT_AD_BITS));
	if (err)
		goto free_vm;
	/* Reserved now (readers see NULL), filled in once the VM is whole. */
	mutex_lock(&vmmon_vms_mutex);
	err = xa_alloc_cyclic(&vmmon_vms, &vm->id, NULL, XA_LIMIT(1, INT_MAX),
			      &vmmon_vm_next_id, GFP_KERNEL);
	mutex_unlock(&vmmon_vms_mutex);
	if (err < 0)
		goto destroy_ept;
	err = vmmon_hw_get();
	if (err)
		goto free_id;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto put_hw;
	}
	inode = alloc_anon_inode(vmmon_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto put_fd;
	}
	/* The file's final fput drops this (fops_put), as for any open. */
	__module_get(THIS_MODULE);
	vm->file = alloc_file_pseudo(inode, vmmon_mnt, "vmmon-vm", O_RDWR,
				     &vmmon_vm_fops);
	if (IS_ERR(vm->file)) {
		module_put(THIS_MODULE);
		iput(inode);
		err = PTR_ERR(vm->file);
		goto put_fd;
	}
	vm->file->private_data = vm;
	vm->owner_pid = get_pid(task_tgid(current));
	/* Counted before the fd exists: another thread may close it at once. */
	atomic_inc(&vmmon_nr_vms);
	vmmon_ksm_vm_counted();
	/*
	 * Listed, and CREATED sent, before the fd exists: its DESTROYED
	 * cannot come first.  The reserved slot needs no allocation.
	 */
	mutex_lock(&vmmon_vms_mutex);
	err = xa_err(xa_store(&vmmon_vms, vm->id, vm, GFP_KERNEL));
	mutex_unlock(&vmmon_vms_mutex);
	if (err) {
		/* The file's release destroys the VM: nothing else to undo. */
		put_unused_fd(fd);
		fput(vm->file);
		return err;
	}
	vmmon_genl_event(vm, VMMON_EVENT_CREATED);
	fd_install(fd, vm->file);
	pr_debug("VM %u created\n", vm->id);
	return fd;

put_fd:
	put_unused_fd(fd);
put_hw:
	vmmon_hw_put();
free_id:
	mutex_lock(&vmmon_vms_mutex);
	xa_erase(&vmmon_vms, vm->id);
	mutex_unlock(&vmmon_vms_mutex);
destroy_ept:
	vmmon_ept_destroy(&vm->ept);
free_vm:
	vmmon_balloon_destroy(&vm->balloon);
	vmmon_pmap_destroy(&vm->pmap);
	vmmon_ksm_vm_destroy(vm);
	kfree(vm);
	return err;
}
