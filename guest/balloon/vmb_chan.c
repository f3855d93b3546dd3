// SPDX-License-Identifier: GPL-2.0
/*
 * The channel to vmmon: found through the hypervisor CPUID leaves,
 * registered with VMMON_HC_BALLOON_SETUP, rung with VMMON_HC_BALLOON_KICK.
 * The host serves every request inside the KICK, so a request here is
 * synchronous: build the chain, publish it, kick, read its used entry.
 * Nothing the host wrote is trusted: a used index that did not move by
 * exactly one, an entry for another chain, a length other than the
 * request's or an error from the hypercall marks the channel broken, and
 * no request goes out again until a new SETUP (vmb_chan_setup()).
 * Callers serialize (struct vmb's lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/barrier.h>
#include <asm/io.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>
#include "vmb.h"

static_assert(sizeof(struct vmb_bufs) <= PAGE_SIZE);
static_assert(VMMON_BALLOON_BATCH_MAX * sizeof(u64) <= PAGE_SIZE);
static_assert(VMMON_BALLOON_PAGE_USED(VMB_RING_SIZE) <= PAGE_SIZE);
static_assert(VMB_RING_SIZE <= VMMON_BALLOON_RING_MAX &&
	      !(VMB_RING_SIZE & (VMB_RING_SIZE - 1)));

/* Not one of VMMON_BALLOON_S_*: a status the host left unwritten. */
#define VMB_STATUS_UNSET	0xff

bool vmb_chan_probe(void)
{
	u32 eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	cpuid(VMMON_CPUID_SIGNATURE, &eax, &ebx, &ecx, &edx);
	if (ebx != VMMON_CPUID_SIG_EBX || ecx != VMMON_CPUID_SIG_ECX ||
	    edx != VMMON_CPUID_SIG_EDX || eax < VMMON_CPUID_FEATURES)
		return false;
	return cpuid_eax(VMMON_CPUID_FEATURES) & VMMON_FEAT_BALLOON;
}

/* 0, or the host's negative errno; anything else it returns is -EIO. */
static int vmb_hypercall(unsigned long nr, unsigned long a0, unsigned long a1)
{
	long ret;

	asm volatile("vmcall"
		     : "=a"(ret)
		     : "a"(nr), "b"(a0), "c"(a1)
		     : "memory");
	if (ret && (ret > 0 || ret < -MAX_ERRNO))
		return -EIO;
	return ret;
}

int vmb_chan_open(struct vmb_chan *c)
{
	int err = -ENOMEM;

	c->ring = (void *)get_zeroed_page(GFP_KERNEL);
	c->gfns = (u64 *)get_zeroed_page(GFP_KERNEL);
	c->bufs = (struct vmb_bufs *)get_zeroed_page(GFP_KERNEL);
	if (!c->ring || !c->gfns || !c->bufs)
		goto free;
	c->config = c->ring;
	c->desc = c->ring + VMMON_BALLOON_DESC_OFF;
	c->avail = c->ring + VMMON_BALLOON_AVAIL_OFF(VMB_RING_SIZE);
	c->used = c->ring + VMMON_BALLOON_USED_OFF(VMB_RING_SIZE);
	err = vmb_chan_setup(c);
	if (err)
		goto free;
	return 0;

free:
	/* The ring is freed only if the host never took it (no SETUP). */
	free_page((unsigned long)c->ring);
	free_page((unsigned long)c->gfns);
	free_page((unsigned long)c->bufs);
	return err;
}

/* (Re)register the ring, from index 0 on both sides. */
int vmb_chan_setup(struct vmb_chan *c)
{
	int err;

	memset(c->ring, 0, PAGE_SIZE);
	c->avail_idx = 0;
	c->used_idx = 0;
	err = vmb_hypercall(VMMON_HC_BALLOON_SETUP, virt_to_phys(c->ring),
			    VMB_RING_SIZE);
	c->broken = err;
	return err;
}

void vmb_chan_close(struct vmb_chan *c)
{
	int err = vmb_hypercall(VMMON_HC_BALLOON_SETUP, 0, 0);

	/*
	 * The host writes the config at a target change, whenever it
	 * comes: a ring it did not let go of stays allocated for good.
	 */
	if (err)
		pr_warn("the host kept the channel (%d): its page stays allocated\n",
			err);
	else
		free_page((unsigned long)c->ring);
	free_page((unsigned long)c->gfns);
	free_page((unsigned long)c->bufs);
}

static void vmb_desc(struct vmb_chan *c, u16 i, void *buf, u32 len,
		     u16 flags)
{
	c->desc[i].addr = virt_to_phys(buf);
	c->desc[i].len = len;
	c->desc[i].flags = flags;
	c->desc[i].next = i + 1;
}

/*
 * One request: the header, then @data (@len bytes) if any, then @nr
 * status bytes for the host if @nr.  0 once the host answered it as
 * asked, else a negative errno and the channel broken.
 */
static int vmb_chan_submit(struct vmb_chan *c, u32 type, unsigned int nr,
			   void *data, u32 len)
{
	struct vmb_bufs *bufs = c->bufs;
	struct vmmon_balloon_used_elem e;
	u16 n = 0, used;
	int err;

	if (c->broken)
		return -EIO;
	bufs->req.type = type;
	bufs->req.nr = nr;
	bufs->req.reserved = 0;
	vmb_desc(c, n++, &bufs->req, sizeof(bufs->req), 0);
	if (data)
		vmb_desc(c, n++, data, len, 0);
	if (nr) {
		memset(bufs->status, VMB_STATUS_UNSET, nr);
		vmb_desc(c, n++, bufs->status, nr, VMMON_BALLOON_DESC_F_WRITE);
	}
	while (--n)
		c->desc[n - 1].flags |= VMMON_BALLOON_DESC_F_NEXT;
	c->avail->ring[c->avail_idx & (VMB_RING_SIZE - 1)] = 0;
	/* The chain and its entry before the index, as virtio orders them. */
	virt_wmb();
	WRITE_ONCE(c->avail->idx, ++c->avail_idx);
	err = vmb_hypercall(VMMON_HC_BALLOON_KICK, 0, 0);
	if (err)
		goto broken;
	used = READ_ONCE(c->used->idx);
	/* The entry and the statuses after the index. */
	virt_rmb();
	e.id = READ_ONCE(c->used->ring[c->used_idx & (VMB_RING_SIZE - 1)].id);
	e.len = READ_ONCE(c->used->ring[c->used_idx & (VMB_RING_SIZE - 1)].len);
	if (used != (u16)(c->used_idx + 1) || e.id != 0 || e.len != nr) {
		err = -EPROTO;
		goto broken;
	}
	c->used_idx = used;
	return 0;

broken:
	c->broken = true;
	return err;
}

/* INFLATE or DEFLATE of c->gfns[0 .. @nr - 1]: statuses in c->bufs. */
int vmb_chan_pages(struct vmb_chan *c, u32 type, unsigned int nr)
{
	return vmb_chan_submit(c, type, nr, c->gfns, nr * sizeof(u64));
}

/* STATS of what c->bufs->stats holds. */
int vmb_chan_stats(struct vmb_chan *c)
{
	return vmb_chan_submit(c, VMMON_BALLOON_REQ_STATS, 0, &c->bufs->stats,
			       sizeof(c->bufs->stats));
}

int vmb_chan_reset(struct vmb_chan *c)
{
	return vmb_chan_submit(c, VMMON_BALLOON_REQ_RESET, 0, NULL, 0);
}

/* The host's target, as of its last write (SETUP, a KICK, a change). */
u64 vmb_chan_target(struct vmb_chan *c)
{
	return READ_ONCE(c->config->target);
}

void vmb_chan_set_actual(struct vmb_chan *c, unsigned long pages)
{
	WRITE_ONCE(c->config->actual, pages);
}
