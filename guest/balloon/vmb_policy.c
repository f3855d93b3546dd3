// SPDX-License-Identifier: GPL-2.0
/*
 * When to move pages.  A worker runs every second: it reads the host's
 * target, inflates or deflates in batches towards it (reading the target
 * again after each batch, as the host refreshes it at every KICK), then
 * sends the guest's statistics.  The guest comes first: inflation pauses
 * for a while after an allocation failed or the OOM notifier deflated
 * (else it would take back at once what the guest just needed), and the
 * OOM notifier gives back a bounded amount per call.  A channel that
 * fails is set up again with a growing delay, its pages given back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/oom.h>
#include <linux/ratelimit.h>
#include <linux/sizes.h>
#include "vmb.h"

#define VMB_PERIOD		HZ		/* target and statistics */
#define VMB_INFLATE_HOLDOFF	(5 * HZ)	/* after a shortage */
#define VMB_RETRY_MAX_S		64		/* back-off of a failing channel */
#define VMB_OOM_PAGES		(SZ_1M >> PAGE_SHIFT)	/* per OOM call */
#define VMB_OOM_LOG_INTERVAL	(10 * HZ)

/* Pages to add (> 0) or to give back (< 0) to meet the target. */
static long vmb_wanted(struct vmb *b)
{
	/* Whatever the host says, not more than the guest has. */
	unsigned long target = min_t(u64, vmb_chan_target(&b->chan),
				     totalram_pages());
	long delta;

	mutex_lock(&b->lock);
	delta = target - b->pages;
	if (delta > 0 && time_before(jiffies, b->inflate_after))
		delta = 0;
	mutex_unlock(&b->lock);
	return delta;
}

/* Batches until the target is met or a batch falls short: 0 or an error. */
static int vmb_adjust(struct vmb *b)
{
	unsigned int done;
	long delta;
	int err;

	while ((delta = vmb_wanted(b))) {
		if (delta > 0) {
			err = vmb_inflate(b, min_t(long, delta,
						   VMMON_BALLOON_BATCH_MAX),
					  &done);
			if (err == -ENOMEM) {
				mutex_lock(&b->lock);
				b->inflate_after = jiffies + VMB_INFLATE_HOLDOFF;
				mutex_unlock(&b->lock);
				return 0;
			}
			/* -ENOSPC: the host holds what it wants, for now. */
			if (err)
				return err == -ENOSPC ? 0 : err;
		} else {
			mutex_lock(&b->lock);
			err = vmb_deflate(b, min_t(long, -delta,
						   VMMON_BALLOON_BATCH_MAX),
					  &done);
			mutex_unlock(&b->lock);
			/* None: all being migrated; the next period. */
			if (err || !done)
				return err;
		}
		cond_resched();
	}
	return 0;
}

static int vmb_send_stats(struct vmb *b)
{
	int err;

	mutex_lock(&b->lock);
	vmb_stats_fill(&b->chan.bufs->stats, b->events);
	err = vmb_chan_stats(&b->chan);
	mutex_unlock(&b->lock);
	return err;
}

/*
 * A failed request left the ring in an unknown state: a new SETUP, every
 * page back to the guest and a RESET, so both sides start from empty.
 */
static int vmb_recover(struct vmb *b)
{
	int err = 0;

	mutex_lock(&b->lock);
	if (b->chan.broken)
		err = vmb_chan_setup(&b->chan) ?: vmb_empty(b);
	mutex_unlock(&b->lock);
	return err;
}

static void vmb_work(struct work_struct *work)
{
	struct vmb *b = container_of(to_delayed_work(work), struct vmb, work);
	unsigned long delay = VMB_PERIOD;
	int err;

	err = vmb_recover(b) ?: vmb_adjust(b) ?: vmb_send_stats(b);
	if (err) {
		pr_warn_ratelimited("the host's channel failed (%d): trying again in %u s\n",
				    err, b->retry_s);
		delay = b->retry_s * HZ;
		b->retry_s = min(2 * b->retry_s, VMB_RETRY_MAX_S);
	} else {
		b->retry_s = 1;
	}
	queue_delayed_work(system_freezable_wq, &b->work, delay);
}

/*
 * The kernel is about to kill a task for memory: give back up to
 * VMB_OOM_PAGES and say how many, whatever the channel answers.
 */
static int vmb_oom_notify(struct notifier_block *nb, unsigned long unused,
			  void *freed)
{
	/* A line per episode, not per call (one call per MiB wanted). */
	static struct ratelimit_state rs =
		RATELIMIT_STATE_INIT_FLAGS(rs, VMB_OOM_LOG_INTERVAL, 1,
					   RATELIMIT_MSG_ON_RELEASE);
	struct vmb *b = container_of(nb, struct vmb, oom_nb);
	unsigned long total;
	unsigned int done;

	mutex_lock(&b->lock);
	vmb_deflate(b, VMB_OOM_PAGES, &done);
	b->inflate_after = jiffies + VMB_INFLATE_HOLDOFF;
	total = b->oom_pages += done;
	mutex_unlock(&b->lock);
	*(unsigned long *)freed += done;
	if (done && __ratelimit(&rs))
		pr_info("out of memory: giving pages back, %lu since load\n",
			total);
	return NOTIFY_OK;
}

int vmb_policy_start(struct vmb *b)
{
	int err;

	b->retry_s = 1;
	b->inflate_after = jiffies;
	INIT_DELAYED_WORK(&b->work, vmb_work);
	b->oom_nb.notifier_call = vmb_oom_notify;
	err = register_oom_notifier(&b->oom_nb);
	if (err)
		return err;
	queue_delayed_work(system_freezable_wq, &b->work, 0);
	return 0;
}

void vmb_policy_stop(struct vmb *b)
{
	unregister_oom_notifier(&b->oom_nb);
	cancel_delayed_work_sync(&b->work);
}
