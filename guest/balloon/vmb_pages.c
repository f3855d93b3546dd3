// SPDX-License-Identifier: GPL-2.0
/*
 * The balloon's pages, kept with the kernel's balloon page API so that
 * compaction can still move them: a migration is a DEFLATE of the old
 * page and then an INFLATE of the new one (in that order: the host holds
 * the balloon at its target and would refuse the new page first).
 * A page the host did not take (any INFLATE status but DONE) goes back
 * to the guest at once.  A page leaves the balloon after a DEFLATE
 * whatever the host answered: per the ABI, a touch of a page the host
 * still counts as ballooned finds a zeroed page, and a page the guest's
 * allocator hands out is never assumed to hold anything.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/vm_event_item.h>
#include "vmb.h"

#if !IS_ENABLED(CONFIG_BALLOON_COMPACTION)
#error "vmmon_balloon keeps ballooned pages movable: it needs CONFIG_BALLOON_COMPACTION"
#endif

static void vmb_set_pages(struct vmb *b, unsigned long pages)
{
	b->pages = pages;
	vmb_chan_set_actual(&b->chan, pages);
}

/*
 * Up to @want pages (at most a batch) into the balloon; *@done of them
 * went in.  0; -ENOMEM when fewer than @want could be allocated (those
 * that could were offered); -ENOSPC when the host refused some; or the
 * channel's error.  Takes b->lock, after allocating: the allocation may
 * reclaim, and the OOM notifier and migration must not wait for it.
 */
int vmb_inflate(struct vmb *b, unsigned int want, unsigned int *done)
{
	struct vmb_chan *c = &b->chan;
	struct page *page, *next;
	unsigned int n = 0, i = 0;
	LIST_HEAD(pages);
	int err;

	*done = 0;
	want = min_t(unsigned int, want, VMMON_BALLOON_BATCH_MAX);
	/* balloon_page_alloc(): __GFP_NORETRY | __GFP_NOWARN, no reserves. */
	for (; n < want; n++) {
		page = balloon_page_alloc();
		if (!page)
			break;
		balloon_page_push(&pages, page);
	}
	if (!n)
		return -ENOMEM;
	mutex_lock(&b->lock);
	list_for_each_entry(page, &pages, lru)
		c->gfns[i++] = page_to_pfn(page);
	err = vmb_chan_pages(c, VMMON_BALLOON_REQ_INFLATE, n);
	i = 0;
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		if (!err && c->bufs->status[i++] == VMMON_BALLOON_S_DONE) {
			balloon_page_enqueue(&b->bdi, page);
			(*done)++;
		} else {
			put_page(page);
		}
	}
	vmb_set_pages(b, b->pages + *done);
	mutex_unlock(&b->lock);
	if (err)
		return err;
	if (*done < n)
		return -ENOSPC;
	return n < want ? -ENOMEM : 0;
}

/*
 * Up to @want pages (at most a batch) out of the balloon, with b->lock
 * held; *@done of them went back to the guest (fewer when the others are
 * being migrated).  0 or the channel's error: the pages are freed anyway.
 */
int vmb_deflate(struct vmb *b, unsigned int want, unsigned int *done)
{
	struct vmb_chan *c = &b->chan;
	struct page *page, *next;
	unsigned int n, i = 0;
	LIST_HEAD(pages);
	int err;

	lockdep_assert_held(&b->lock);
	n = balloon_page_list_dequeue(&b->bdi, &pages,
				      min_t(unsigned int, want,
					    VMMON_BALLOON_BATCH_MAX));
	*done = n;
	if (!n)
		return 0;
	list_for_each_entry(page, &pages, lru)
		c->gfns[i++] = page_to_pfn(page);
	err = vmb_chan_pages(c, VMMON_BALLOON_REQ_DEFLATE, n);
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	vmb_set_pages(b, b->pages - n);
	return err;
}

/*
 * Every page back to the guest, then RESET so that the host's view
 * agrees whatever happened before; with b->lock held.  Pages isolated
 * for migration come back soon: the migration cannot take b->lock, so it
 * puts them back.  0 or the channel's error.
 */
int vmb_empty(struct vmb *b)
{
	unsigned int done;
	int err = 0;

	lockdep_assert_held(&b->lock);
	while (b->pages) {
		err = vmb_deflate(b, VMMON_BALLOON_BATCH_MAX, &done) ?: err;
		if (done)
			continue;
		if (!READ_ONCE(b->bdi.isolated_pages)) {
			pr_err("%lu pages counted but none held: count dropped\n",
			       b->pages);
			vmb_set_pages(b, 0);
			break;
		}
		msleep(1);
	}
	return vmb_chan_reset(&b->chan) ?: err;
}

static int vmb_migratepage(struct balloon_dev_info *bdi, struct page *newpage,
			   struct page *page, enum migrate_mode mode)
{
	struct vmb *b = container_of(bdi, struct vmb, bdi);
	struct vmb_chan *c = &b->chan;
	unsigned long flags;
	bool kept;

	/* Busy (a batch, an unload): the page is put back, tried later. */
	if (!mutex_trylock(&b->lock))
		return -EAGAIN;
	c->gfns[0] = page_to_pfn(page);
	if (vmb_chan_pages(c, VMMON_BALLOON_REQ_DEFLATE, 1)) {
		/* Still ballooned as far as the guest knows: put back. */
		mutex_unlock(&b->lock);
		return -EAGAIN;
	}
	c->gfns[0] = page_to_pfn(newpage);
	kept = !vmb_chan_pages(c, VMMON_BALLOON_REQ_INFLATE, 1) &&
	       c->bufs->status[0] == VMMON_BALLOON_S_DONE;
	spin_lock_irqsave(&bdi->pages_lock, flags);
	if (kept) {
		get_page(newpage);	/* the balloon's reference */
		balloon_page_insert(bdi, newpage);
		__count_vm_event(BALLOON_MIGRATE);
	} else {
		/* The balloon is a page smaller; the worker makes it up. */
		__count_vm_event(BALLOON_DEFLATE);
		vmb_set_pages(b, b->pages - 1);
	}
	bdi->isolated_pages--;
	spin_unlock_irqrestore(&bdi->pages_lock, flags);
	mutex_unlock(&b->lock);
	balloon_page_finalize(page);
	put_page(page);		/* the balloon's reference */
	/*
	 * As vmw_balloon: not a success when the new page was refused, so
	 * the core frees it; the old one, no longer movable, is dropped.
	 */
	return kept ? MIGRATEPAGE_SUCCESS : -EBUSY;
}

void vmb_pages_init(struct vmb *b)
{
	balloon_devinfo_init(&b->bdi);
	b->bdi.migratepage = vmb_migratepage;
}
