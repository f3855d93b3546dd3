/* SPDX-License-Identifier: GPL-2.0 */
/* What the balloon's files share (see balloon.h); under the channel's lock. */
#ifndef VMMON_BALLOON_INT_H
#define VMMON_BALLOON_INT_H

#include <linux/types.h>
#include <uapi/vmmon_balloon.h>
#include "vmmon_vm.h"

/* The buffers of a request: header, page numbers, statuses (the longest). */
#define VMMON_BALLOON_CHAIN_MAX	3

/*
 * The channel's working memory, allocated at the first SETUP.  The
 * bitmaps have a bit per RAM page, by its rank (vmmon_pmap_ram_index):
 * @ballooned the pages in the balloon, @seen those of the request being
 * served (all clear between requests).
 */
struct vmmon_balloon_work {
	unsigned long *ballooned;
	unsigned long *seen;
	u64 bits;
	/* The ring as read at a kick, after the available index. */
	struct vmmon_balloon_desc desc[VMMON_BALLOON_RING_MAX];
	u16 avail[VMMON_BALLOON_RING_MAX];
	/* One INFLATE or DEFLATE. */
	u64 gfns[VMMON_BALLOON_BATCH_MAX];
	u8 status[VMMON_BALLOON_BATCH_MAX];
	u64 remove[VMMON_BALLOON_BATCH_MAX];
	struct vmmon_removed gone;	/* what a kick's inflates took out */
};

/* A request whose buffers were checked (balloon_ring.c). */
struct vmmon_balloon_request {
	u32 type;		/* enum vmmon_balloon_req_type */
	u32 nr;
	u64 data_gpa;		/* the page numbers, or the statistics */
	u64 status_gpa;		/* INFLATE, DEFLATE: the statuses */
	/* The pages of its buffers, which it may not balloon. */
	u64 buf_gfn[VMMON_BALLOON_CHAIN_MAX];
	unsigned int nr_bufs;
};

/* balloon.c */
int vmmon_balloon_publish(struct vmmon_vm *vm);

/* balloon_pages.c */
int vmmon_balloon_work_fit(struct vmmon_vm *vm);
void vmmon_balloon_work_free(struct vmmon_balloon_work *w);
u32 vmmon_balloon_pages(struct vmmon_vm *vm,
			const struct vmmon_balloon_request *req);
void vmmon_balloon_reset(struct vmmon_balloon *b);

#endif /* VMMON_BALLOON_INT_H */
