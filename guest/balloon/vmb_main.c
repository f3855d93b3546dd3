// SPDX-License-Identifier: GPL-2.0
/*
 * Load: only under vmmon with its balloon (CPUID), else -ENODEV; the
 * channel set up and RESET, so that nothing a previous driver left
 * counts; then the worker and the OOM notifier.  Unload: every page back
 * to the guest, the channel off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "vmb.h"

static struct vmb vmb;

static int __init vmb_init(void)
{
	int err;

	if (!vmb_chan_probe()) {
		pr_info("no vmmon balloon (CPUID leaves 0x40000000-1)\n");
		return -ENODEV;
	}
	mutex_init(&vmb.lock);
	vmb_pages_init(&vmb);
	err = vmb_chan_open(&vmb.chan);
	if (err) {
		pr_err("channel setup failed (%d)\n", err);
		return err;
	}
	err = vmb_chan_reset(&vmb.chan);
	if (err) {
		pr_err("channel reset failed (%d)\n", err);
		goto close;
	}
	err = vmb_policy_start(&vmb);
	if (err)
		goto close;
	pr_info("ready: ring of %u, batches of %u pages, target %llu pages\n",
		VMB_RING_SIZE, VMMON_BALLOON_BATCH_MAX,
		vmb_chan_target(&vmb.chan));
	return 0;

close:
	vmb_chan_close(&vmb.chan);
	return err;
}

static void __exit vmb_exit(void)
{
	unsigned long pages;
	int err;

	vmb_policy_stop(&vmb);
	mutex_lock(&vmb.lock);
	pages = vmb.pages;
	/* A broken ring takes no DEFLATE: the pages go back all the same. */
	if (vmb.chan.broken)
		vmb_chan_setup(&vmb.chan);
	err = vmb_empty(&vmb);
	mutex_unlock(&vmb.lock);
	if (err)
		pr_warn("the host did not take the last requests (%d)\n", err);
	vmb_chan_close(&vmb.chan);
	pr_info("unloaded: %lu pages given back\n", pages);
}

module_init(vmb_init);
module_exit(vmb_exit);
MODULE_DESCRIPTION("vmmon balloon driver (guest side)");
MODULE_LICENSE("GPL");
