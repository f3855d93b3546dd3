// SPDX-License-Identifier: GPL-2.0
/*
 * The pages of one INFLATE or DEFLATE, and the set of ballooned pages.
 *
 * Each page number gets the first status that applies, in this order:
 * NOT_RAM, CHANNEL (the channel page or a page of this request's
 * buffers), DUPLICATE (a second time in the request), then ALREADY or
 * NOT_BALLOONED, then OVER_LIMIT (inflate, the balloon at its target),
 * else DONE.  The statuses are decided and the set changed before any
 * page is taken out, so that a removal has nothing left to refuse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "balloon_int.h"

static unsigned long *vmmon_balloon_bitmap(u64 bits)
{
	return kvcalloc(BITS_TO_LONGS(bits), sizeof(unsigned long),
			GFP_KERNEL_ACCOUNT);
}

/*
 * Give the channel its working memory, with bitmaps that cover every RAM
 * region added so far (a region added later grows them at the next
 * kick; ranks never change, so the bits are copied over).  -ENOMEM.
 */
int vmmon_balloon_work_fit(struct vmmon_vm *vm)
{
	struct vmmon_balloon *b = &vm->balloon;
	struct vmmon_balloon_work *w = b->work;
	u64 bits = READ_ONCE(vm->pmap.nr_pages);
	unsigned long *ballooned, *seen;

	if (!w) {
		w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
		if (!w)
			return -ENOMEM;
		vmmon_removed_init(&w->gone);
		b->work = w;
	}
	if (bits <= w->bits)
		return 0;
	ballooned = vmmon_balloon_bitmap(bits);
	seen = vmmon_balloon_bitmap(bits);
	if (!ballooned || !seen) {
		kvfree(ballooned);
		kvfree(seen);
		return -ENOMEM;
	}
	if (w->ballooned)
		bitmap_copy(ballooned, w->ballooned, w->bits);
	kvfree(w->ballooned);
	kvfree(w->seen);
	w->ballooned = ballooned;
	w->seen = seen;
	w->bits = bits;
	return 0;
}

void vmmon_balloon_work_free(struct vmmon_balloon_work *w)
{
	if (!w)
		return;
	kvfree(w->ballooned);
	kvfree(w->seen);
	kfree(w);
}

/* The balloon forgets its pages: each is the guest's again, zero. */
void vmmon_balloon_reset(struct vmmon_balloon *b)
{
	if (b->work)
		bitmap_zero(b->work->ballooned, b->work->bits);
	WRITE_ONCE(b->nr_pages, 0);
}

static bool vmmon_balloon_is_channel(struct vmmon_vm *vm,
				     const struct vmmon_balloon_request *req,
				     u64 gfn)
{
	unsigned int i;

	if (gfn == vm->balloon.gpa >> PAGE_SHIFT)
		return true;
	for (i = 0; i < req->nr_bufs; i++)
		if (gfn == req->buf_gfn[i])
			return true;
	return false;
}

/*
 * The status of page number @i of the request; a page that passes the
 * checks is put into (or taken out of) the set, and an inflated one on
 * the list to remove.
 */
static u8 vmmon_balloon_page(struct vmmon_vm *vm,
			     const struct vmmon_balloon_request *req,
			     unsigned int i, unsigned int *nr_remove)
{
	struct vmmon_balloon *b = &vm->balloon;
	struct vmmon_balloon_work *w = b->work;
	u64 gfn = w->gfns[i], idx;

	/* Past @bits: a region added during this kick, not RAM when it began. */
	if (!vmmon_pmap_ram_index(&vm->pmap, gfn, &idx) || idx >= w->bits)
		return VMMON_BALLOON_S_NOT_RAM;
	if (vmmon_balloon_is_channel(vm, req, gfn))
		return VMMON_BALLOON_S_CHANNEL;
	if (__test_and_set_bit(idx, w->seen))
		return VMMON_BALLOON_S_DUPLICATE;
	if (req->type == VMMON_BALLOON_REQ_DEFLATE) {
		if (!__test_and_clear_bit(idx, w->ballooned))
			return VMMON_BALLOON_S_NOT_BALLOONED;
		WRITE_ONCE(b->nr_pages, b->nr_pages - 1);
		return VMMON_BALLOON_S_DONE;
	}
	if (test_bit(idx, w->ballooned))
		return VMMON_BALLOON_S_ALREADY;
	if (b->nr_pages >= READ_ONCE(b->target))
		return VMMON_BALLOON_S_OVER_LIMIT;
	__set_bit(idx, w->ballooned);
	WRITE_ONCE(b->nr_pages, b->nr_pages + 1);
	w->remove[(*nr_remove)++] = gfn;
	return VMMON_BALLOON_S_DONE;
}

/* Forget which pages the request named: @seen is clear between requests. */
static void vmmon_balloon_unsee(struct vmmon_vm *vm, unsigned int nr)
{
	struct vmmon_balloon_work *w = vm->balloon.work;
	unsigned int i;
	u64 idx;

	for (i = 0; i < nr; i++)
		if (w->status[i] != VMMON_BALLOON_S_NOT_RAM &&
		    w->status[i] != VMMON_BALLOON_S_CHANNEL &&
		    vmmon_pmap_ram_index(&vm->pmap, w->gfns[i], &idx))
			__clear_bit(idx, w->seen);
}

/*
 * Serve an INFLATE or DEFLATE whose buffers were checked: a status for
 * each page, written to the guest.  Returns the used entry's length:
 * @req->nr, or VMMON_BALLOON_USED_BAD when the guest's buffers could not
 * be read or written (nothing was done then).
 */
u32 vmmon_balloon_pages(struct vmmon_vm *vm,
			const struct vmmon_balloon_request *req)
{
	struct vmmon_balloon *b = &vm->balloon;
	struct vmmon_balloon_work *w = b->work;
	unsigned int i, nr_remove = 0, freed;
	u64 done = 0;

	if (vmmon_vm_read_phys(vm, req->data_gpa, w->gfns,
			       req->nr * sizeof(w->gfns[0])))
		return VMMON_BALLOON_USED_BAD;
	for (i = 0; i < req->nr; i++) {
		w->status[i] = vmmon_balloon_page(vm, req, i, &nr_remove);
		WRITE_ONCE(b->status[w->status[i]],
			   b->status[w->status[i]] + 1);
		done += w->status[i] == VMMON_BALLOON_S_DONE;
	}
	vmmon_balloon_unsee(vm, req->nr);
	if (req->type == VMMON_BALLOON_REQ_INFLATE) {
		freed = vmmon_vm_remove_pages(vm, w->remove, nr_remove,
					      &w->gone);
		WRITE_ONCE(b->freed, b->freed + freed);
		WRITE_ONCE(b->inflated, b->inflated + done);
	} else {
		WRITE_ONCE(b->deflated, b->deflated + done);
	}
	/*
	 * A write to RAM fails only when no host page can be had for it (the
	 * guest ballooned its own status buffer): the work is done all the
	 * same, and the used entry says so.
	 */
	vmmon_vm_write_phys(vm, req->status_gpa, w->status, req->nr);
	return req->nr;
}
