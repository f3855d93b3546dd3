// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's balloon channel: its life (SETUP, the VM's end), the target the
 * host sets and the figures netlink reports.  The ring is served in
 * balloon_ring.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "balloon_int.h"

void vmmon_balloon_init(struct vmmon_balloon *b)
{
	mutex_init(&b->lock);
	spin_lock_init(&b->stats_lock);
}

/*
 * The VM is going: its ballooned pages are out of the pmap already (the
 * pmap frees the rest), and the pages of the last kick were handed to
 * RCU then.  Only the channel's own memory is left.
 */
void vmmon_balloon_destroy(struct vmmon_balloon *b)
{
	vmmon_balloon_work_free(b->work);
	b->work = NULL;
	mutex_destroy(&b->lock);
}

/*
 * The config's host fields, as the host sees the balloon now: at SETUP,
 * each kick, each target change.  The guest's count comes back with it.
 */
int vmmon_balloon_publish(struct vmmon_vm *vm)
{
	struct vmmon_balloon *b = &vm->balloon;
	struct vmmon_balloon_config c = {
		.target = b->target,
		.host_pages = b->nr_pages,
		.status = b->broken ? VMMON_BALLOON_ST_BROKEN : 0,
	};
	u64 actual;
	int err;

	lockdep_assert_held(&b->lock);
	err = vmmon_vm_write_phys(vm, b->gpa, &c,
				  offsetof(struct vmmon_balloon_config, actual));
	if (err)
		return err;
	err = vmmon_vm_read_phys(vm, b->gpa +
				 offsetof(struct vmmon_balloon_config, actual),
				 &actual, sizeof(actual));
	if (!err)
		WRITE_ONCE(b->guest_actual, actual);
	return err;
}

/*
 * VMMON_HC_BALLOON_SETUP: a channel at @gpa of @size entries (or none,
 * @gpa 0): 0 or -EINVAL, -ENOMEM.  The set of ballooned pages stays.
 */
long vmmon_balloon_setup(struct vmmon_vm *vm, u64 gpa, u64 size)
{
	struct vmmon_balloon *b = &vm->balloon;
	long err = 0;

	BUILD_BUG_ON(VMMON_BALLOON_PAGE_USED(VMMON_BALLOON_RING_MAX) >
		     PAGE_SIZE);
	BUILD_BUG_ON(VMMON_BALLOON_BATCH_MAX > VMMON_REMOVE_MAX);
	BUILD_BUG_ON(VMMON_BALLOON_BATCH_MAX * sizeof(u64) > PAGE_SIZE);
	if (gpa && (!PAGE_ALIGNED(gpa) ||
		    !vmmon_pmap_is_ram(&vm->pmap, gpa >> PAGE_SHIFT) ||
		    !size || size > VMMON_BALLOON_RING_MAX ||
		    !is_power_of_2(size)))
		return -EINVAL;
	mutex_lock(&b->lock);
	WRITE_ONCE(b->gpa, 0);
	WRITE_ONCE(b->broken, false);
	if (!gpa)
		goto unlock;
	err = vmmon_balloon_work_fit(vm);
	if (err)
		goto unlock;
	b->size = size;
	b->last_avail = 0;
	b->used_idx = 0;
	WRITE_ONCE(b->gpa, gpa);
	err = vmmon_balloon_publish(vm);
	if (err)
		WRITE_ONCE(b->gpa, 0);
unlock:
	mutex_unlock(&b->lock);
	return err;
}

/*
 * The host's wish (netlink SET_VM), at most the VM's RAM as the caller
 * checked.  The guest finds it in the config at once, and works towards
 * it; a balloon above it is not shrunk here, only refused more pages.
 */
int vmmon_balloon_set_target(struct vmmon_vm *vm, u64 target)
{
	struct vmmon_balloon *b = &vm->balloon;
	int err = 0;

	mutex_lock(&b->lock);
	WRITE_ONCE(b->target, target);
	if (b->gpa)
		err = vmmon_balloon_publish(vm);
	mutex_unlock(&b->lock);
	return err;
}

void vmmon_balloon_read(struct vmmon_balloon *b,
			struct vmmon_balloon_info *info)
{
	unsigned int i;

	if (!READ_ONCE(b->gpa))
		info->state = VMMON_BALLOON_STATE_OFF;
	else if (READ_ONCE(b->broken))
		info->state = VMMON_BALLOON_STATE_BROKEN;
	else
		info->state = VMMON_BALLOON_STATE_READY;
	info->target = READ_ONCE(b->target);
	info->size = READ_ONCE(b->nr_pages);
	info->guest_actual = READ_ONCE(b->guest_actual);
	info->inflated = READ_ONCE(b->inflated);
	info->deflated = READ_ONCE(b->deflated);
	info->freed = READ_ONCE(b->freed);
	info->kicks = READ_ONCE(b->kicks);
	info->bad_requests = READ_ONCE(b->bad_requests);
	info->busy_ns = READ_ONCE(b->busy_ns);
	for (i = 0; i < VMMON_BALLOON_S_NR; i++)
		info->status[i] = READ_ONCE(b->status[i]);
	spin_lock(&b->stats_lock);
	info->have_stats = b->have_stats;
	info->stats = b->stats;
	info->stats_age_ns = b->have_stats ? ktime_get_ns() - b->stats_ns : 0;
	spin_unlock(&b->stats_lock);
}
