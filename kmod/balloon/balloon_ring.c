// SPDX-License-Identifier: GPL-2.0
/*
 * The balloon's split ring, served at each doorbell (KICK).  Everything
 * in the channel page is the guest's and may change under us, so it is
 * read once per kick into the channel's own memory and checked there:
 * the available index (at most the ring size ahead, else the channel is
 * broken), each head and next index (within the ring), each chain (at
 * most VMMON_BALLOON_CHAIN_MAX descriptors, which also ends any loop),
 * each buffer (in guest RAM, within one page, of the exact length its
 * request type wants, writable only for statuses) and each header
 * (known type, page count in range, reserved bits 0).  A request that
 * fails a check gets VMMON_BALLOON_USED_BAD and nothing is done of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include "balloon_int.h"

#define VMMON_BALLOON_DESC_FLAGS \
	(VMMON_BALLOON_DESC_F_NEXT | VMMON_BALLOON_DESC_F_WRITE)

/* A buffer the host may use: RAM, within one page, writable as asked. */
static bool vmmon_balloon_buf_ok(struct vmmon_vm *vm,
				 const struct vmmon_balloon_desc *d, u32 len,
				 bool write)
{
	return d->len == len &&
	       len <= PAGE_SIZE - offset_in_page(d->addr) &&
	       !!(d->flags & VMMON_BALLOON_DESC_F_WRITE) == write &&
	       vmmon_pmap_is_ram(&vm->pmap, d->addr >> PAGE_SHIFT);
}

/* The chain from @head, checked against its header: 0 with @req, or -EINVAL. */
static int vmmon_balloon_parse(struct vmmon_vm *vm, u16 head,
			       struct vmmon_balloon_request *req)
{
	const struct vmmon_balloon_desc *d[VMMON_BALLOON_CHAIN_MAX];
	struct vmmon_balloon_work *w = vm->balloon.work;
	u32 size = vm->balloon.size;
	struct vmmon_balloon_req hdr;
	unsigned int n = 0, i;
	u16 next = head;

	/* Bounded, so a loop in the chain ends it as a chain too long. */
	for (;;) {
		if (next >= size || n == VMMON_BALLOON_CHAIN_MAX)
			return -EINVAL;
		d[n] = &w->desc[next];
		if (d[n]->flags & ~VMMON_BALLOON_DESC_FLAGS)
			return -EINVAL;
		next = d[n]->next;
		if (!(d[n++]->flags & VMMON_BALLOON_DESC_F_NEXT))
			break;
	}
	if (!vmmon_balloon_buf_ok(vm, d[0], sizeof(hdr), false) ||
	    vmmon_vm_read_phys(vm, d[0]->addr, &hdr, sizeof(hdr)) ||
	    hdr.reserved)
		return -EINVAL;
	req->type = hdr.type;
	req->nr = hdr.nr;
	switch (hdr.type) {
	case VMMON_BALLOON_REQ_INFLATE:
	case VMMON_BALLOON_REQ_DEFLATE:
		if (n != 3 || !hdr.nr || hdr.nr > VMMON_BALLOON_BATCH_MAX ||
		    !vmmon_balloon_buf_ok(vm, d[1], hdr.nr * sizeof(u64),
					  false) ||
		    !vmmon_balloon_buf_ok(vm, d[2], hdr.nr, true))
			return -EINVAL;
		req->data_gpa = d[1]->addr;
		req->status_gpa = d[2]->addr;
		break;
	case VMMON_BALLOON_REQ_STATS:
		if (n != 2 || hdr.nr ||
		    !vmmon_balloon_buf_ok(vm, d[1],
					  sizeof(struct vmmon_balloon_stats),
					  false))
			return -EINVAL;
		req->data_gpa = d[1]->addr;
		break;
	case VMMON_BALLOON_REQ_RESET:
		if (n != 1 || hdr.nr)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		req->buf_gfn[i] = d[i]->addr >> PAGE_SHIFT;
	req->nr_bufs = n;
	return 0;
}

/* The guest's statistics, kept with the time they came. */
static u32 vmmon_balloon_stats(struct vmmon_vm *vm,
			       const struct vmmon_balloon_request *req)
{
	struct vmmon_balloon *b = &vm->balloon;
	struct vmmon_balloon_stats st;

	if (vmmon_vm_read_phys(vm, req->data_gpa, &st, sizeof(st)))
		return VMMON_BALLOON_USED_BAD;
	spin_lock(&b->stats_lock);
	b->stats = st;
	b->stats_ns = ktime_get_ns();
	b->have_stats = true;
	spin_unlock(&b->stats_lock);
	return 0;
}

/* Serve the request at @head: the used entry's length. */
static u32 vmmon_balloon_request(struct vmmon_vm *vm, u16 head)
{
	struct vmmon_balloon_request req;

	if (vmmon_balloon_parse(vm, head, &req))
		return VMMON_BALLOON_USED_BAD;
	switch (req.type) {
	case VMMON_BALLOON_REQ_STATS:
		return vmmon_balloon_stats(vm, &req);
	case VMMON_BALLOON_REQ_RESET:
		vmmon_balloon_reset(&vm->balloon);
		return 0;
	default:
		return vmmon_balloon_pages(vm, &req);
	}
}

/* The guest broke the ring: nothing more is served until a new SETUP. */
static void vmmon_balloon_break(struct vmmon_balloon *b)
{
	WRITE_ONCE(b->broken, true);
	pr_debug("balloon channel at %#llx broken\n", b->gpa);
}

/*
 * Serve what the available ring holds: 0, -EIO when the ring is broken,
 * or the error of a read or write of the channel page.  The used index
 * is written once, after the entries, for every request served.
 */
static int vmmon_balloon_serve(struct vmmon_vm *vm)
{
	struct vmmon_balloon *b = &vm->balloon;
	struct vmmon_balloon_work *w = b->work;
	u64 avail = b->gpa + VMMON_BALLOON_AVAIL_OFF(b->size);
	u64 used = b->gpa + VMMON_BALLOON_USED_OFF(b->size);
	struct vmmon_balloon_used_elem e;
	u16 idx, pending, i, slot;
	int err;

	err = vmmon_vm_read_phys(vm, avail +
				 offsetof(struct vmmon_balloon_avail, idx),
				 &idx, sizeof(idx));
	if (err)
		return err;
	pending = idx - b->last_avail;
	if (pending > b->size) {
		vmmon_balloon_break(b);
		return -EIO;
	}
	if (!pending)
		return 0;
	/* The guest wrote its descriptors and entries before the index. */
	smp_rmb();
	err = vmmon_vm_read_phys(vm, b->gpa + VMMON_BALLOON_DESC_OFF, w->desc,
				 b->size * sizeof(w->desc[0]));
	if (!err)
		err = vmmon_vm_read_phys(vm, avail +
					 offsetof(struct vmmon_balloon_avail,
						  ring),
					 w->avail, b->size * sizeof(u16));
	for (i = 0; i < pending && !err; i++) {
		slot = (b->last_avail) & (b->size - 1);
		e.id = w->avail[slot];
		e.len = vmmon_balloon_request(vm, e.id);
		if (e.len == VMMON_BALLOON_USED_BAD)
			WRITE_ONCE(b->bad_requests, b->bad_requests + 1);
		err = vmmon_vm_write_phys(vm, used +
				offsetof(struct vmmon_balloon_used, ring) +
				(b->used_idx & (b->size - 1)) * sizeof(e),
				&e, sizeof(e));
		if (err)
			break;
		b->last_avail++;
		b->used_idx++;
		cond_resched();
	}
	if (!i)
		return err;
	/* The entries before the index, as the guest will read them. */
	smp_wmb();
	return vmmon_vm_write_phys(vm, used +
				   offsetof(struct vmmon_balloon_used, idx),
				   &b->used_idx, sizeof(b->used_idx)) ?: err;
}

long vmmon_balloon_kick(struct vmmon_vm *vm)
{
	struct vmmon_balloon *b = &vm->balloon;
	u64 start = ktime_get_ns();
	long err;

	mutex_lock(&b->lock);
	if (!b->gpa) {
		err = -ENODEV;
		goto unlock;
	}
	WRITE_ONCE(b->kicks, b->kicks + 1);
	if (b->broken) {
		err = -EIO;
		goto unlock;
	}
	err = vmmon_balloon_work_fit(vm);
	if (err)
		goto unlock;
	err = vmmon_balloon_serve(vm);
	/* One grace period's wait (deferred) for all of the kick's pages. */
	vmmon_vm_free_removed(&b->work->gone);
	err = vmmon_balloon_publish(vm) ?: err;
	WRITE_ONCE(b->busy_ns, b->busy_ns + ktime_get_ns() - start);
unlock:
	mutex_unlock(&b->lock);
	return err;
}
