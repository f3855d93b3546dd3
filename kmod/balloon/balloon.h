/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM's balloon channel (uapi/vmmon_balloon.h), served in the module:
 * the guest's SETUP and KICK hypercalls (vmmon_hypercall.c), the target
 * and figures of netlink (vmmon_genl.c).
 *
 * Files: balloon.c the channel's life, target and figures; balloon_ring.c
 * the split ring (every index, descriptor and length the guest wrote is
 * checked there); balloon_pages.c the pages of one request and the set
 * of ballooned pages.
 */
#ifndef VMMON_BALLOON_H
#define VMMON_BALLOON_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/vmmon_balloon.h>
#include <uapi/vmmon_genl.h>

struct vmmon_vm;
struct vmmon_balloon_work;

/* The figures of VMMON_A_VM_BALLOON; page counts in guest pages. */
struct vmmon_balloon_info {
	enum vmmon_balloon_state state;
	u64 target;
	u64 size;
	u64 guest_actual;
	u64 inflated;
	u64 deflated;
	u64 freed;
	u64 kicks;
	u64 bad_requests;
	u64 busy_ns;
	u64 status[VMMON_BALLOON_S_NR];
	bool have_stats;
	u64 stats_age_ns;
	struct vmmon_balloon_stats stats;
};

/*
 * Written under @lock; netlink reads the counters without it (READ_ONCE,
 * a snapshot a request old at most) and the guest's statistics under
 * @stats_lock.
 */
struct vmmon_balloon {
	struct mutex lock;	/* the channel: one vCPU's doorbell at a time */
	u64 gpa;		/* the channel page; 0: no channel */
	u32 size;		/* ring entries, a power of two */
	u16 last_avail;		/* the next available entry to serve */
	u16 used_idx;		/* the used index the guest saw last */
	bool broken;		/* VMMON_BALLOON_ST_BROKEN until a SETUP */
	u64 target;		/* pages the host wants in the balloon */
	u64 nr_pages;		/* pages in the balloon */
	u64 guest_actual;	/* config.actual at the last kick */
	u64 inflated, deflated, freed, kicks, bad_requests, busy_ns;
	u64 status[VMMON_BALLOON_S_NR];
	/* Allocated at the first SETUP: bitmaps and a request's buffers. */
	struct vmmon_balloon_work *work;
	spinlock_t stats_lock;
	bool have_stats;
	u64 stats_ns;		/* ktime_get_ns() when they came */
	struct vmmon_balloon_stats stats;
};

void vmmon_balloon_init(struct vmmon_balloon *b);
void vmmon_balloon_destroy(struct vmmon_balloon *b);
long vmmon_balloon_setup(struct vmmon_vm *vm, u64 gpa, u64 size);
long vmmon_balloon_kick(struct vmmon_vm *vm);
int vmmon_balloon_set_target(struct vmmon_vm *vm, u64 target);
void vmmon_balloon_read(struct vmmon_balloon *b,
			struct vmmon_balloon_info *info);

static inline u64 vmmon_balloon_size(const struct vmmon_balloon *b)
{
	return READ_ONCE(b->nr_pages);
}

#endif /* VMMON_BALLOON_H */
