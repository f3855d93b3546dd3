/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmon_balloon: the guest's half of vmmon's balloon (the ABI is
 * include/uapi/vmmon_balloon.h).  The host sets a target; this driver
 * takes that many pages from the guest's own allocator, tells the host
 * their numbers over the channel, and keeps them until the target drops,
 * the guest runs out of memory (OOM notifier) or the module unloads.
 *
 *   vmb_chan.c    CPUID probe, hypercalls, the ring: one request at a time
 *   vmb_pages.c   the balloon's pages (balloon_compaction), migration
 *   vmb_policy.c  the worker towards the target, the OOM notifier
 *   vmb_stats.c   the guest's memory figures for the STATS request
 *   vmb_main.c    module load and unload
 */
#ifndef VMB_H
#define VMB_H

#include <linux/balloon_compaction.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/types.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>
#include <uapi/vmmon_balloon.h>

/*
 * Requests go one at a time (the host serves them inside the KICK), so
 * a ring of 4 holds any chain (at most 3 descriptors).
 */
#define VMB_RING_SIZE	4

/* The buffers of a request other than its page numbers: one page. */
struct vmb_bufs {
	struct vmmon_balloon_req req;
	struct vmmon_balloon_stats stats;
	u8 status[VMMON_BALLOON_BATCH_MAX];
};

struct vmb_chan {
	void *ring;			/* page: config, descriptors, rings */
	struct vmmon_balloon_config *config;
	struct vmmon_balloon_desc *desc;
	struct vmmon_balloon_avail *avail;
	struct vmmon_balloon_used *used;
	u64 *gfns;			/* page: a request's page numbers */
	struct vmb_bufs *bufs;		/* page */
	u16 avail_idx;			/* the next index the guest publishes */
	u16 used_idx;			/* the next used entry it expects */
	bool broken;			/* a request failed: SETUP again first */
};

struct vmb {
	struct mutex lock;		/* @chan to @events */
	struct vmb_chan chan;
	unsigned long pages;		/* in the balloon: config.actual */
	unsigned long inflate_after;	/* jiffies: no inflation before */
	unsigned long oom_pages;	/* given back to the OOM notifier */
	unsigned long events[NR_VM_EVENT_ITEMS];	/* for the statistics */
	struct balloon_dev_info bdi;	/* the pages, under its pages_lock */
	unsigned int retry_s;		/* the worker's back-off, seconds */
	struct delayed_work work;
	struct notifier_block oom_nb;
};

bool vmb_chan_probe(void);
int vmb_chan_open(struct vmb_chan *c);
int vmb_chan_setup(struct vmb_chan *c);
void vmb_chan_close(struct vmb_chan *c);
int vmb_chan_pages(struct vmb_chan *c, u32 type, unsigned int nr);
int vmb_chan_stats(struct vmb_chan *c);
int vmb_chan_reset(struct vmb_chan *c);
u64 vmb_chan_target(struct vmb_chan *c);
void vmb_chan_set_actual(struct vmb_chan *c, unsigned long pages);

void vmb_pages_init(struct vmb *b);
int vmb_inflate(struct vmb *b, unsigned int want, unsigned int *done);
int vmb_deflate(struct vmb *b, unsigned int want, unsigned int *done);
int vmb_empty(struct vmb *b);

int vmb_policy_start(struct vmb *b);
void vmb_policy_stop(struct vmb *b);

void vmb_stats_fill(struct vmmon_balloon_stats *st, unsigned long *events);

#endif /* VMB_H */
