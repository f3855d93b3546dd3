// SPDX-License-Identifier: GPL-2.0
/*
 * The sharing scanner (see ksm.h).  Each pass looks at up to
 * ksm_pages_per_pass pages, VM after VM from where the last pass
 * stopped, then sleeps ksm_sleep_ms.  A page is hashed (xxh64, salted
 * per group).  A page that hashes otherwise than at its last look was
 * written since and is no candidate (Linux KSM's checksum rule; the
 * EPT's dirty flags would miss writes through the VM fd's mapping): a
 * page written all the time is never merged only to be copied again at
 * its next write.  A candidate is looked up in its group's table of
 * shared pages, then in its table of hints (ESX's hint frames: a page
 * seen, remembered by its hash and its place, not held); a hint is
 * matched only once its own page was a candidate.  A match is
 * write-protected in every view and compared byte for byte before its
 * slot takes the shared page; a hint that matches makes its own page the
 * shared one (Linux KSM keeps one of the pages too), so no page is
 * allocated to share.  All zero pages of a group thus share one zero
 * page.  The rate (pages a pass, the pause) is set by the module
 * parameters or netlink's SET_MODULE.
 *
 * A shared page is held by its table (one reference) and by each slot
 * that maps it (one each); the scanner drops the table's once no slot
 * is left, after the RCU readers that may still read it are done.
 *
 * Locks: vmmon_ksm_pass_lock (a pass), then vmmon_ksm_lock, then a
 * VM's mmu_lock.  A pass takes the VM registry's alone (under the first)
 * only to pin the next VM (vmmon_vm_pin), then scans that VM a batch of
 * pages at a time under vmmon_ksm_lock, so that VM creation, a VM's end
 * and netlink wait for one batch at most, not for a pass.  A VM's end
 * leaves its group under vmmon_ksm_lock before any of it is torn down
 * (vmmon_ksm_vm_leave), then waits for its pins: under vmmon_ksm_lock, a
 * VM on a group's list of members has its pmap, EPT and file, whether
 * the pass pinned it (the VM it scans) or found it there (the VM of a
 * hint); the pin only keeps the struct of the VM it scans between
 * batches.  (A VM being created joins its own unnamed group before it
 * has them, but no other VM is in that group and no pass finds it
 * before it is in the registry.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/xxhash.h>
#include <uapi/vmmon_genl.h>
#include "vmmon_vm.h"
#include "ksm.h"

/* 1024 buckets of each table per group: 16 KiB. */
#define VMMON_KSM_HASH_BITS	10
/*
 * Pages scanned under one hold of vmmon_ksm_lock: what VM creation and a
 * VM's end may wait for (about 5 ms in the Bochs rig, where a page not
 * merged costs about 77 us; tens of us on hardware).
 */
#define VMMON_KSM_BATCH		64U

static DECLARE_WAIT_QUEUE_HEAD(vmmon_ksm_wait);
static unsigned int ksm_pages_per_pass = 256;
static unsigned int ksm_sleep_ms = 20;
/* Bumped at each new rate: the scanner's pause ends for it. */
static unsigned int vmmon_ksm_rate_gen;
/*
 * Held for a pass, which stops at its next batch once the scanner is
 * off.  Turning it off returns after that (taking this lock): no merge
 * of a pass changes the figures read after it, as none did when readers
 * waited for the registry that a pass held.
 */
static DEFINE_MUTEX(vmmon_ksm_pass_lock);

static bool vmmon_ksm_off(void)
{
	return !READ_ONCE(ksm_pages_per_pass);
}

static void vmmon_ksm_new_rate(void)
{
	WRITE_ONCE(vmmon_ksm_rate_gen, READ_ONCE(vmmon_ksm_rate_gen) + 1);
	wake_up(&vmmon_ksm_wait);
	if (vmmon_ksm_off()) {
		mutex_lock(&vmmon_ksm_pass_lock);
		mutex_unlock(&vmmon_ksm_pass_lock);
	}
}

/*
 * The parameters take the bounds netlink takes: a pause of 0 would have
 * the scanner never sleep (nor freeze for a suspend).
 */
static int vmmon_ksm_param_pass(const char *val,
				const struct kernel_param *kp)
{
	int err = param_set_uint_minmax(val, kp, 0, VMMON_KSM_PASS_MAX);

	if (!err)
		vmmon_ksm_new_rate();
	return err;
}

static int vmmon_ksm_param_sleep(const char *val,
				 const struct kernel_param *kp)
{
	int err = param_set_uint_minmax(val, kp, 1, VMMON_KSM_SLEEP_MS_MAX);

	if (!err)
		vmmon_ksm_new_rate();
	return err;
}

static const struct kernel_param_ops vmmon_ksm_pass_ops = {
	.set = vmmon_ksm_param_pass,
	.get = param_get_uint,
};

static const struct kernel_param_ops vmmon_ksm_sleep_ops = {
	.set = vmmon_ksm_param_sleep,
	.get = param_get_uint,
};
module_param_cb(ksm_pages_per_pass, &vmmon_ksm_pass_ops, &ksm_pages_per_pass,
		0644);
MODULE_PARM_DESC(ksm_pages_per_pass,
		 "Page sharing: pages scanned per pass (0: scanner off; at most 65536)");
module_param_cb(ksm_sleep_ms, &vmmon_ksm_sleep_ops, &ksm_sleep_ms, 0644);
MODULE_PARM_DESC(ksm_sleep_ms,
		 "Page sharing: pause between passes, ms (1-60000)");

/*
 * A sharing group: its VMs share pages with each other only.  Named
 * groups are per owner; a VM alone has an unnamed one of its own.
 */
struct vmmon_ksm_group {
	struct list_head list;		/* named groups */
	struct list_head vms;		/* members: VMs not at their end */
	unsigned int users;		/* VMs in the group, until freed */
	kuid_t owner;
	char name[VMMON_NAME_MAX];	/* "" for a VM's own */
	u64 seed;			/* xxh64's: hashes mean nothing outside */
	u64 zero_hash;			/* a page of zeros' */
	DECLARE_HASHTABLE(stable, VMMON_KSM_HASH_BITS);
	DECLARE_HASHTABLE(hints, VMMON_KSM_HASH_BITS);	/* by hash */
	DECLARE_HASHTABLE(places, VMMON_KSM_HASH_BITS);	/* by VM and gfn */
};

/* A shared page, by the hash of its bytes (which never change). */
struct vmmon_ksm_node {
	struct hlist_node link;
	u64 hash;
	struct page *page;		/* the table's reference */
	bool zero;
};

/* A page's last look: where it is and what it hashed to, not the page. */
struct vmmon_ksm_hint {
	struct hlist_node link;		/* in the group's hints */
	struct hlist_node place;	/* in the group's places */
	u64 hash;
	u64 gfn;
	u64 round;		/* its VM's full_scans when last seen */
	u32 vm_id;
	bool candidate;		/* the same hash at two looks: matchable */
};

static DEFINE_MUTEX(vmmon_ksm_lock);
static LIST_HEAD(vmmon_ksm_groups);
static struct task_struct *vmmon_ksm_thread;
static struct kmem_cache *vmmon_ksm_node_cache, *vmmon_ksm_hint_cache;
/* Pages the scanner took out of slots or tables, to free after RCU. */
static struct vmmon_removed *vmmon_ksm_gone;
/*
 * The scanner allocates under vmmon_ksm_lock, which a VM's end (the only
 * thing that frees guest memory) waits for: it must never wait for
 * reclaim there.  Without memory it skips the page; the next round tries
 * it again.
 */
#define VMMON_KSM_GFP	(GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT)
static u32 vmmon_ksm_next_vm;		/* where the next pass starts */

/*
 * Module-wide figures, under vmmon_ksm_lock (read with READ_ONCE).  The
 * scanner's time is its batches': not the time others had the CPU at
 * the end of each.
 */
static u64 vmmon_ksm_nr_nodes, vmmon_ksm_nr_hints, vmmon_ksm_scanned,
	   vmmon_ksm_merged, vmmon_ksm_full_scans, vmmon_ksm_scan_ns;

static void vmmon_ksm_add(u64 *counter, s64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

static struct vmmon_ksm_group *vmmon_ksm_group_new(kuid_t owner,
						   const char *name)
{
	struct vmmon_ksm_group *g = kvzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);

	if (!g)
		return NULL;
	INIT_LIST_HEAD(&g->list);
	INIT_LIST_HEAD(&g->vms);
	g->owner = owner;
	strscpy(g->name, name, sizeof(g->name));
	g->seed = get_random_u64();
	g->zero_hash = xxh64(page_address(ZERO_PAGE(0)), PAGE_SIZE, g->seed);
	hash_init(g->stable);
	hash_init(g->hints);
	hash_init(g->places);
	return g;
}

static void vmmon_ksm_drop_hint(struct vmmon_ksm_hint *h)
{
	hash_del(&h->link);
	hash_del(&h->place);
	kmem_cache_free(vmmon_ksm_hint_cache, h);
	vmmon_ksm_add(&vmmon_ksm_nr_hints, -1);
}

static void vmmon_ksm_drop_node(struct vmmon_ksm_node *n)
{
	hash_del(&n->link);
	kmem_cache_free(vmmon_ksm_node_cache, n);
	vmmon_ksm_add(&vmmon_ksm_nr_nodes, -1);
}

/*
 * @vm is no member of its group any more: its hints go (they name its
 * pages), no pass scans it or finds it as a hint's VM.  Its shared pages
 * stay the group's until vmmon_ksm_group_put().
 */
static void vmmon_ksm_unlink(struct vmmon_vm *vm)
{
	struct vmmon_ksm_group *g = vm->ksm.group;
	struct vmmon_ksm_hint *h;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&vmmon_ksm_lock);
	if (!g || list_empty(&vm->ksm.member))
		return;
	hash_for_each_safe(g->hints, bkt, tmp, h, link)
		if (h->vm_id == vm->id)
			vmmon_ksm_drop_hint(h);
	list_del_init(&vm->ksm.member);
}

static bool vmmon_ksm_member(struct vmmon_vm *vm)
{
	lockdep_assert_held(&vmmon_ksm_lock);
	return vm->ksm.group && !list_empty(&vm->ksm.member);
}

/*
 * A VM unlinked from @g drops its part in it.  The group's last VM takes
 * the group with it: no slot maps its shared pages any more, which go
 * after the RCU readers that may still read them.
 */
static void vmmon_ksm_group_put(struct vmmon_ksm_group *g)
{
	struct vmmon_ksm_node *n;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&vmmon_ksm_lock);
	if (--g->users)
		return;
	/*
	 * No slot maps them: only the group's VMs' did, and their pmaps are
	 * gone.  The count may still be above one for a moment (a lookup
	 * that found the page when it was another's, e.g. a page cache or
	 * compaction walk, holds a speculative reference until it sees it
	 * is not its page), so the table's reference is dropped as any
	 * other is: whoever drops the last frees the page.
	 */
	hash_for_each_safe(g->stable, bkt, tmp, n, link) {
		list_add_tail(&n->page->lru, &vmmon_ksm_gone->pages);
		vmmon_ksm_drop_node(n);
	}
	vmmon_vm_free_removed(vmmon_ksm_gone);
	list_del(&g->list);
	kvfree(g);
}

int vmmon_ksm_vm_init(struct vmmon_vm *vm)
{
	struct vmmon_ksm_group *g;

	INIT_LIST_HEAD(&vm->ksm.member);
	g = vmmon_ksm_group_new(vm->owner, "");
	if (!g)
		return -ENOMEM;
	g->users = 1;
	mutex_lock(&vmmon_ksm_lock);
	vm->ksm.group = g;
	list_add_tail(&vm->ksm.member, &g->vms);
	mutex_unlock(&vmmon_ksm_lock);
	return 0;
}

/*
 * A VM was counted (vmmon_vm_count()): the scanner, asleep while there
 * was none, looks again.  Not at vmmon_ksm_vm_init(), which comes before
 * the count: woken then, the scanner saw none and slept on.
 */
void vmmon_ksm_vm_counted(void)
{
	wake_up(&vmmon_ksm_wait);
}

/*
 * A VM's end, before any of it is torn down (the caller then waits for
 * its pins): out of its group's members, so that a pass scanning it
 * stops at its next batch and none finds it as a hint's VM any more.
 */
void vmmon_ksm_vm_leave(struct vmmon_vm *vm)
{
	mutex_lock(&vmmon_ksm_lock);
	vmmon_ksm_unlink(vm);
	mutex_unlock(&vmmon_ksm_lock);
}

/*
 * After the pmap is gone: its slots dropped their shared pages.  Also a
 * creation that failed, which never left.
 */
void vmmon_ksm_vm_destroy(struct vmmon_vm *vm)
{
	mutex_lock(&vmmon_ksm_lock);
	if (vm->ksm.group) {
		vmmon_ksm_unlink(vm);
		vmmon_ksm_group_put(vm->ksm.group);
	}
	vm->ksm.group = NULL;
	mutex_unlock(&vmmon_ksm_lock);
}

/*
 * Put @vm in its owner's group @name (created on first use), leaving
 * the one it is in: only while none of its pages is shared (they belong
 * to the old group's tables; the count only falls outside this lock).
 * 0, -EINVAL for a bad name, -EBUSY with shared pages, -ENOMEM.
 */
int vmmon_ksm_set_group(struct vmmon_vm *vm, const char *name)
{
	struct vmmon_ksm_group *g, *fresh = NULL;
	int err = 0;

	if (!vmmon_name_valid(name))
		return -EINVAL;
	fresh = vmmon_ksm_group_new(vm->owner, name);
	if (!fresh)
		return -ENOMEM;
	mutex_lock(&vmmon_ksm_lock);
	if (atomic_long_read(&vm->pmap.nr_shared)) {
		err = -EBUSY;
		goto unlock;
	}
	list_for_each_entry(g, &vmmon_ksm_groups, list)
		if (uid_eq(g->owner, vm->owner) && !strcmp(g->name, name))
			break;
	if (list_entry_is_head(g, &vmmon_ksm_groups, list)) {
		g = fresh;
		fresh = NULL;
		list_add(&g->list, &vmmon_ksm_groups);
	}
	if (g != vm->ksm.group) {
		vmmon_ksm_unlink(vm);
		vmmon_ksm_group_put(vm->ksm.group);
		g->users++;
		vm->ksm.group = g;
		list_add_tail(&vm->ksm.member, &g->vms);
	}
unlock:
	mutex_unlock(&vmmon_ksm_lock);
	kvfree(fresh);
	return err;
}

static u64 vmmon_ksm_hash(struct vmmon_ksm_group *g, struct page *page,
			  bool *zero)
{
	void *va = kmap_local_page(page);
	u64 hash = xxh64(va, PAGE_SIZE, g->seed);

	/* The bytes only when the hash says zeros: a second pass otherwise. */
	*zero = hash == g->zero_hash && !memchr_inv(va, 0, PAGE_SIZE);
	kunmap_local(va);
	return hash;
}

static bool vmmon_ksm_same(struct page *a, struct page *b)
{
	void *va = kmap_local_page(a), *vb = kmap_local_page(b);
	bool same = !memcmp(va, vb, PAGE_SIZE);

	kunmap_local(vb);
	kunmap_local(va);
	return same;
}

static struct vmmon_ksm_node *vmmon_ksm_find_node(struct vmmon_ksm_group *g,
						  u64 hash)
{
	struct vmmon_ksm_node *n;

	hash_for_each_possible(g->stable, n, link, hash)
		if (n->hash == hash)
			return n;
	return NULL;
}

/* A candidate's match among the hints: another candidate of @hash. */
static struct vmmon_ksm_hint *vmmon_ksm_find_hint(struct vmmon_ksm_group *g,
						  u64 hash,
						  struct vmmon_ksm_hint *mine)
{
	struct vmmon_ksm_hint *h;

	hash_for_each_possible(g->hints, h, link, hash)
		if (h->hash == hash && h->candidate && h != mine)
			return h;
	return NULL;
}

static u64 vmmon_ksm_place(u32 vm_id, u64 gfn)
{
	return (u64)vm_id << 52 ^ gfn;
}

/* The last look at @gfn of VM @vm_id, or NULL. */
static struct vmmon_ksm_hint *vmmon_ksm_find_place(struct vmmon_ksm_group *g,
						   u32 vm_id, u64 gfn)
{
	struct vmmon_ksm_hint *h;

	hash_for_each_possible(g->places, h, place,
			       vmmon_ksm_place(vm_id, gfn))
		if (h->vm_id == vm_id && h->gfn == gfn)
			return h;
	return NULL;
}

/*
 * The member of @g of id @vm_id, or NULL once it is at its end: a
 * member's views stay while vmmon_ksm_lock is held (see the top).  A
 * walk: a group has few VMs (one, unless named).
 */
static struct vmmon_vm *vmmon_ksm_find_vm(struct vmmon_ksm_group *g,
					  u32 vm_id)
{
	struct vmmon_ksm_vm *k;

	list_for_each_entry(k, &g->vms, member)
		if (container_of(k, struct vmmon_vm, ksm)->id == vm_id)
			return container_of(k, struct vmmon_vm, ksm);
	return NULL;
}

static void vmmon_ksm_merged_one(struct vmmon_vm *vm, bool zero)
{
	vmmon_ksm_add(&vm->ksm.merged, 1);
	vmmon_ksm_add(&vmmon_ksm_merged, 1);
	if (zero)
		vmmon_ksm_add(&vm->ksm.zero_merged, 1);
}

/* Back @gfn of @vm with the shared page of @n if the bytes are the same. */
static void vmmon_ksm_merge_stable(struct vmmon_vm *vm, u64 gfn,
				   struct vmmon_ksm_node *n)
{
	struct page *page = vmmon_vm_share_protect(vm, gfn);

	if (!page)
		return;
	if (vmmon_ksm_same(page, n->page) &&
	    !vmmon_vm_share_commit(vm, gfn, page, n->page, n->zero,
				   vmmon_ksm_gone))
		vmmon_ksm_merged_one(vm, n->zero);
	else
		vmmon_vm_share_unprotect(vm, gfn, page);
	put_page(page);
}

/*
 * @gfn of @vm hashes as the page of hint @h did: protect both, compare,
 * and make the hint's page the shared one for both.  The hint goes in
 * any case (its page was written, or is shared now).
 */
static void vmmon_ksm_merge_hint(struct vmmon_vm *vm, u64 gfn,
				 struct vmmon_ksm_hint *h)
{
	struct vmmon_ksm_group *g = vm->ksm.group;
	struct vmmon_vm *other = vmmon_ksm_find_vm(g, h->vm_id);
	struct page *mine = NULL, *theirs = NULL;
	struct vmmon_ksm_node *n = NULL;
	bool zero;
	u64 hash;

	if (!other)
		goto drop;
	n = kmem_cache_alloc(vmmon_ksm_node_cache, VMMON_KSM_GFP);
	if (!n)
		goto drop;
	theirs = vmmon_vm_share_protect(other, h->gfn);
	if (theirs)
		mine = vmmon_vm_share_protect(vm, gfn);
	if (!mine || !vmmon_ksm_same(mine, theirs))
		goto unprotect;
	/* Its bytes are fixed now: the hash the table keeps. */
	hash = vmmon_ksm_hash(g, theirs, &zero);
	if (vmmon_vm_share_commit(other, h->gfn, theirs, theirs, zero,
				  vmmon_ksm_gone))
		goto unprotect;
	/* The table's reference. */
	get_page(theirs);
	n->page = theirs;
	n->hash = hash;
	n->zero = zero;
	hash_add(g->stable, &n->link, hash);
	vmmon_ksm_add(&vmmon_ksm_nr_nodes, 1);
	vmmon_ksm_merged_one(other, zero);
	n = NULL;
	if (!vmmon_vm_share_commit(vm, gfn, mine, theirs, zero,
				   vmmon_ksm_gone))
		vmmon_ksm_merged_one(vm, zero);
	else
		vmmon_vm_share_unprotect(vm, gfn, mine);
	goto put;
unprotect:
	if (mine)
		vmmon_vm_share_unprotect(vm, gfn, mine);
	if (theirs)
		vmmon_vm_share_unprotect(other, h->gfn, theirs);
put:
	if (mine)
		put_page(mine);
	if (theirs)
		put_page(theirs);
	if (n)
		kmem_cache_free(vmmon_ksm_node_cache, n);
drop:
	vmmon_ksm_drop_hint(h);
}

/*
 * @gfn of @vm hashed to @hash for the first time, or otherwise than at
 * its last look (@h, or NULL): remember the hash, not yet a candidate.
 */
static void vmmon_ksm_note(struct vmmon_vm *vm, u64 gfn, u64 hash,
			   struct vmmon_ksm_hint *h)
{
	struct vmmon_ksm_group *g = vm->ksm.group;

	if (h) {
		hash_del(&h->link);
	} else {
		h = kmem_cache_alloc(vmmon_ksm_hint_cache, VMMON_KSM_GFP);
		if (!h)
			return;
		h->vm_id = vm->id;
		h->gfn = gfn;
		hash_add(g->places, &h->place, vmmon_ksm_place(vm->id, gfn));
		vmmon_ksm_add(&vmmon_ksm_nr_hints, 1);
	}
	h->hash = hash;
	h->candidate = false;
	h->round = vm->ksm.full_scans;
	hash_add(g->hints, &h->link, hash);
}

static void vmmon_ksm_scan_page(struct vmmon_vm *vm, u64 gfn)
{
	struct vmmon_ksm_group *g = vm->ksm.group;
	struct vmmon_ksm_hint *mine, *h;
	struct vmmon_ksm_node *n;
	struct page *page;
	bool zero;
	u64 hash;

	page = vmmon_pmap_get_candidate(&vm->pmap, gfn);
	if (!page)
		return;
	hash = vmmon_ksm_hash(g, page, &zero);
	put_page(page);
	mine = vmmon_ksm_find_place(g, vm->id, gfn);
	if (!mine || mine->hash != hash) {
		/* Written since its last look (or never seen): not yet. */
		vmmon_ksm_note(vm, gfn, hash, mine);
		return;
	}
	mine->round = vm->ksm.full_scans;
	n = vmmon_ksm_find_node(g, hash);
	h = n ? NULL : vmmon_ksm_find_hint(g, hash, mine);
	if (!n && !h) {
		mine->candidate = true;
		return;
	}
	/* Shared or written by the next look: its hint is done with. */
	vmmon_ksm_drop_hint(mine);
	if (n)
		vmmon_ksm_merge_stable(vm, gfn, n);
	else
		vmmon_ksm_merge_hint(vm, gfn, h);
}

/*
 * Shared pages that no slot maps any more (written, discarded,
 * ballooned, their VMs gone): the table's reference is the last, and
 * goes after the RCU readers that may still read the page.
 */
static void vmmon_ksm_prune(struct vmmon_ksm_group *g)
{
	struct vmmon_ksm_node *n;
	struct hlist_node *tmp;
	unsigned int bkt;

	hash_for_each_safe(g->stable, bkt, tmp, n, link) {
		if (page_ref_count(n->page) != 1)
			continue;
		list_add_tail(&n->page->lru, &vmmon_ksm_gone->pages);
		vmmon_ksm_drop_node(n);
	}
}

/*
 * @vm went round once: its hints not seen again in that round are of
 * pages since shared, protected or removed, and go.
 */
static void vmmon_ksm_drop_old_hints(struct vmmon_vm *vm)
{
	struct vmmon_ksm_hint *h;
	struct hlist_node *tmp;
	unsigned int bkt;

	hash_for_each_safe(vm->ksm.group->hints, bkt, tmp, h, link)
		if (h->vm_id == vm->id && h->round != vm->ksm.full_scans)
			vmmon_ksm_drop_hint(h);
}

/*
 * Up to @budget pages of member @vm from its cursor, under
 * vmmon_ksm_lock: how many it looked at; *@end when it went round.
 */
static unsigned int vmmon_ksm_scan_batch(struct vmmon_vm *vm,
					 unsigned int budget, bool *end)
{
	unsigned int done = 0;
	u64 gfn;

	*end = false;
	while (done < budget) {
		if (!vmmon_pmap_rank_gfn(&vm->pmap, vm->ksm.cursor, &gfn)) {
			/* Round once: its group's dead pages go. */
			if (vm->ksm.cursor) {
				vmmon_ksm_drop_old_hints(vm);
				vmmon_ksm_add(&vm->ksm.full_scans, 1);
				vmmon_ksm_add(&vmmon_ksm_full_scans, 1);
				vmmon_ksm_prune(vm->ksm.group);
			}
			vm->ksm.cursor = 0;
			*end = true;
			break;
		}
		vmmon_ksm_scan_page(vm, gfn);
		vm->ksm.cursor++;
		done++;
	}
	vmmon_ksm_add(&vm->ksm.scanned, done);
	vmmon_ksm_add(&vmmon_ksm_scanned, done);
	return done;
}

/*
 * Up to @budget pages of pinned @vm, VMMON_KSM_BATCH at a time under
 * vmmon_ksm_lock, until it went round, left its group (its end) or the
 * scanner was turned off: how many it looked at.  Pages to free that
 * need the caller to drop the pin first go on @later.
 */
static unsigned int vmmon_ksm_scan_vm(struct vmmon_vm *vm,
				      unsigned int budget,
				      struct list_head *later)
{
	unsigned int done = 0;
	LIST_HEAD(freeing);
	bool end = false;
	u64 t0;

	while (done < budget && !end && !vmmon_ksm_off()) {
		mutex_lock(&vmmon_ksm_lock);
		if (!vmmon_ksm_member(vm)) {
			mutex_unlock(&vmmon_ksm_lock);
			break;
		}
		t0 = ktime_get_ns();
		done += vmmon_ksm_scan_batch(vm, min(budget - done,
						     VMMON_KSM_BATCH), &end);
		/*
		 * Taken off the list under the lock (a VM's end puts its
		 * group's pages there too), freed after it.  Not waiting
		 * for memory while @vm is pinned: its end waits for the pin,
		 * and the OOM killer may have chosen its VMM to get its
		 * memory back.  Pages that could not be queued for want of
		 * memory wait in @later, freed once the pin is dropped.
		 */
		list_splice_init(&vmmon_ksm_gone->pages, &freeing);
		vmmon_ksm_add(&vmmon_ksm_scan_ns, ktime_get_ns() - t0);
		mutex_unlock(&vmmon_ksm_lock);
		if (!vmmon_vm_free_pages_nowait(&freeing))
			list_splice_init(&freeing, later);
		cond_resched();
	}
	return done;
}

/* The first listed VM from *@id on, pinned (*@id its id), or NULL. */
static struct vmmon_vm *vmmon_ksm_pin_next(unsigned long *id)
{
	struct vmmon_vm *vm;

	vmmon_vms_lock();
	vm = vmmon_vm_next(id);
	if (vm)
		vmmon_vm_pin(vm);
	vmmon_vms_unlock();
	return vm;
}

/*
 * One pass: VMs in id order from where the last one stopped, each at
 * most once; the VM the budget ends in is where the next pass starts.
 * The registry is held only to pin the next VM (see the top).
 */
static void vmmon_ksm_pass(unsigned int budget)
{
	unsigned long start = vmmon_ksm_next_vm, id = start;
	struct vmmon_vm *vm;
	bool wrapped = false;
	LIST_HEAD(later);

	mutex_lock(&vmmon_ksm_pass_lock);
	for (;;) {
		vm = vmmon_ksm_pin_next(&id);
		if (!vm) {
			if (wrapped)
				break;
			wrapped = true;
			id = 0;
			continue;
		}
		if (wrapped && id >= start) {
			vmmon_vm_unpin(vm);
			break;
		}
		budget -= vmmon_ksm_scan_vm(vm, budget, &later);
		vmmon_vm_unpin(vm);
		vmmon_vm_free_pages(&later);
		if (!budget || vmmon_ksm_off())
			break;
		id++;
	}
	vmmon_ksm_next_vm = id;
	mutex_unlock(&vmmon_ksm_pass_lock);
}

static int vmmon_ksm_thread_fn(void *unused)
{
	unsigned int budget, gen;

	set_freezable();
	while (!kthread_should_stop()) {
		gen = READ_ONCE(vmmon_ksm_rate_gen);
		budget = min(READ_ONCE(ksm_pages_per_pass),
			     VMMON_KSM_PASS_MAX);
		if (budget && vmmon_vm_count())
			vmmon_ksm_pass(budget);
		if (!budget || !vmmon_vm_count())
			wait_event_freezable(vmmon_ksm_wait,
					     kthread_should_stop() ||
					     (vmmon_vm_count() &&
					      READ_ONCE(ksm_pages_per_pass)));
		else	/* freezable: a suspend must not wait for the pass */
			wait_event_freezable_timeout(vmmon_ksm_wait,
				kthread_should_stop() ||
				READ_ONCE(vmmon_ksm_rate_gen) != gen,
				msecs_to_jiffies(min(READ_ONCE(ksm_sleep_ms),
						     VMMON_KSM_SLEEP_MS_MAX)));
	}
	return 0;
}

/*
 * SET_MODULE's scan rate (NULL: unchanged), checked by the caller: as
 * the module parameters set it, the pause in progress ends for it.
 */
void vmmon_ksm_set_rate(const u32 *pages_per_pass, const u32 *sleep_ms)
{
	if (pages_per_pass)
		WRITE_ONCE(ksm_pages_per_pass, *pages_per_pass);
	if (sleep_ms)
		WRITE_ONCE(ksm_sleep_ms, *sleep_ms);
	vmmon_ksm_new_rate();
}

void vmmon_ksm_read(struct vmmon_ksm_stats *st)
{
	st->pages_shared = READ_ONCE(vmmon_ksm_nr_nodes);
	st->pages_sharing = vmmon_pmap_shared_all();
	st->hints = READ_ONCE(vmmon_ksm_nr_hints);
	st->scanned = READ_ONCE(vmmon_ksm_scanned);
	st->merged = READ_ONCE(vmmon_ksm_merged);
	st->full_scans = READ_ONCE(vmmon_ksm_full_scans);
	st->scan_ns = READ_ONCE(vmmon_ksm_scan_ns);
	st->pages_per_pass = READ_ONCE(ksm_pages_per_pass);
	st->sleep_ms = READ_ONCE(ksm_sleep_ms);
}

int vmmon_ksm_setup(void)
{
	vmmon_ksm_node_cache = KMEM_CACHE(vmmon_ksm_node, 0);
	vmmon_ksm_hint_cache = KMEM_CACHE(vmmon_ksm_hint, 0);
	vmmon_ksm_gone = kmalloc(sizeof(*vmmon_ksm_gone), GFP_KERNEL);
	if (!vmmon_ksm_node_cache || !vmmon_ksm_hint_cache || !vmmon_ksm_gone)
		goto free;
	vmmon_removed_init(vmmon_ksm_gone);
	vmmon_ksm_thread = kthread_run(vmmon_ksm_thread_fn, NULL, "vmmon_ksm");
	if (IS_ERR(vmmon_ksm_thread))
		goto free;
	return 0;
free:
	kfree(vmmon_ksm_gone);
	kmem_cache_destroy(vmmon_ksm_hint_cache);
	kmem_cache_destroy(vmmon_ksm_node_cache);
	return -ENOMEM;
}

/* No VM is left (each holds the module), so neither is a group. */
void vmmon_ksm_teardown(void)
{
	kthread_stop(vmmon_ksm_thread);
	WARN_ON_ONCE(!list_empty(&vmmon_ksm_groups));
	kfree(vmmon_ksm_gone);
	kmem_cache_destroy(vmmon_ksm_hint_cache);
	kmem_cache_destroy(vmmon_ksm_node_cache);
}
