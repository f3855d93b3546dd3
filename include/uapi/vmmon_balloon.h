/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmmon's balloon channel: the ABI between the module and the guest's
 * balloon driver (guest/balloon/), nothing else.  Ballooning as in
 * VMware ESX (Waldspurger, OSDI 2002): the host sets a target, the
 * guest's own allocator picks the pages, the guest hands their numbers
 * over and the host frees the host pages behind them.
 *
 * Discovery, without PCI (vmctl puts these leaves into every vCPU's CPUID
 * table unless told not to):
 *   CPUID 0x40000000: EAX = the highest hypervisor leaf (at least
 *                     VMMON_CPUID_FEATURES), EBX ECX EDX = the signature
 *                     "VmmonVmmon\0\0" (VMMON_CPUID_SIG_EBX/ECX/EDX).
 *   CPUID 0x40000001: EAX = VMMON_FEAT_* bits.
 *
 * Hypercalls: VMCALL at CPL 0 (elsewhere it raises #UD), RAX = number,
 * RBX and RCX = arguments; RAX = 0 or a negative errno on return.  The
 * module serves them itself: no exit to userspace.
 *
 *   VMMON_HC_BALLOON_SETUP  RBX = guest-physical address of the channel
 *       page (page-aligned, guest RAM), RCX = ring size (a power of two,
 *       1 to VMMON_BALLOON_RING_MAX).  The host reads nothing yet; it
 *       takes its ring indices as 0 and writes the config's host fields.
 *       A second SETUP replaces the first; RBX = 0 turns the channel off
 *       (RCX ignored).  Neither changes which pages are ballooned: that
 *       is VMMON_BALLOON_REQ_RESET's job.  -EINVAL for a bad address or
 *       size.
 *   VMMON_HC_BALLOON_KICK   the doorbell: the host serves every request
 *       the available ring holds (at most the ring size per kick), puts
 *       each on the used ring, then refreshes the config's host fields.
 *       -ENODEV without a channel, -EIO when the channel is broken
 *       (VMMON_BALLOON_ST_BROKEN: only a new SETUP revives it).
 *
 * The channel page, laid out as a virtio split ring of @size entries:
 *   offset 0                        struct vmmon_balloon_config
 *   VMMON_BALLOON_DESC_OFF          struct vmmon_balloon_desc desc[size]
 *   VMMON_BALLOON_AVAIL_OFF(size)   struct vmmon_balloon_avail (+ ring[size])
 *   VMMON_BALLOON_USED_OFF(size)    struct vmmon_balloon_used (+ ring[size])
 * Ring indices run freely and wrap at 2^16, as virtio's; an avail index
 * more than @size ahead of the host's breaks the channel.
 *
 * A request is a chain of descriptors (VMMON_BALLOON_DESC_F_NEXT), each
 * buffer in guest RAM and within one page:
 *   INFLATE, DEFLATE: [struct vmmon_balloon_req] [__u64 gfn[nr]]
 *                     [__u8 status[nr], VMMON_BALLOON_DESC_F_WRITE]
 *                     with 1 <= nr <= VMMON_BALLOON_BATCH_MAX.
 *   STATS:            [struct vmmon_balloon_req, nr = 0]
 *                     [struct vmmon_balloon_stats]
 *   RESET:            [struct vmmon_balloon_req, nr = 0]: the host forgets
 *                     the whole balloon (every ballooned page is the
 *                     guest's again, zeroed at its next touch).
 * The used entry's @len is the number of status bytes written (nr for
 * INFLATE and DEFLATE, 0 for the others), or VMMON_BALLOON_USED_BAD for
 * a malformed request, of which nothing was done.
 *
 * Every page of INFLATE and DEFLATE gets a VMMON_BALLOON_S_* status.  An
 * inflated page is out of every view of the guest (host page freed); a
 * touch of it later (a deflated page, or a driver's bug) finds a zeroed
 * page.  The balloon holds at most the target: pages past it are
 * refused (VMMON_BALLOON_S_OVER_LIMIT) and stay the guest's.
 */
#ifndef _UAPI_VMMON_BALLOON_H
#define _UAPI_VMMON_BALLOON_H

#include <linux/types.h>

#define VMMON_CPUID_SIGNATURE	0x40000000
#define VMMON_CPUID_FEATURES	0x40000001
#define VMMON_CPUID_SIG_EBX	0x6f6d6d56	/* "Vmmo" */
#define VMMON_CPUID_SIG_ECX	0x6d6d566e	/* "nVmm" */
#define VMMON_CPUID_SIG_EDX	0x00006e6f	/* "on\0\0" */
#define VMMON_FEAT_BALLOON	(1u << 0)

#define VMMON_HC_BALLOON_SETUP	0x564d0001
#define VMMON_HC_BALLOON_KICK	0x564d0002

#define VMMON_BALLOON_RING_MAX	64
#define VMMON_BALLOON_BATCH_MAX	512	/* page numbers in one guest page */

/* vmmon_balloon_config.status */
#define VMMON_BALLOON_ST_BROKEN	(1u << 0)	/* a malformed ring: SETUP again */

struct vmmon_balloon_config {
	/* Written by the host, at SETUP, at each KICK, at a target change. */
	__u64 target;		/* pages the host wants in the balloon */
	__u64 host_pages;	/* pages in the balloon, as the host counts */
	__u32 status;		/* VMMON_BALLOON_ST_* */
	__u32 host_pad;
	/* Written by the guest. */
	__u64 actual;		/* pages in the balloon, as the guest counts */
	__u64 reserved[4];
};

#define VMMON_BALLOON_DESC_F_NEXT	1
#define VMMON_BALLOON_DESC_F_WRITE	2

struct vmmon_balloon_desc {
	__u64 addr;		/* guest-physical */
	__u32 len;
	__u16 flags;		/* VMMON_BALLOON_DESC_F_* */
	__u16 next;
};

struct vmmon_balloon_avail {
	__u16 flags;		/* 0 */
	__u16 idx;
	__u16 ring[];
};

struct vmmon_balloon_used_elem {
	__u32 id;		/* the chain's head descriptor */
	__u32 len;		/* status bytes written, or VMMON_BALLOON_USED_BAD */
};

struct vmmon_balloon_used {
	__u16 flags;		/* 0 */
	__u16 idx;
	struct vmmon_balloon_used_elem ring[];
};

#define VMMON_BALLOON_USED_BAD	0xffffffffu

#define VMMON_BALLOON_DESC_OFF	64
#define VMMON_BALLOON_AVAIL_OFF(size) \
	(VMMON_BALLOON_DESC_OFF + (size) * 16)
#define VMMON_BALLOON_USED_OFF(size) \
	((VMMON_BALLOON_AVAIL_OFF(size) + 4 + 2 * (size) + 7) & ~7)
#define VMMON_BALLOON_PAGE_USED(size) \
	(VMMON_BALLOON_USED_OFF(size) + 4 + 8 * (size))

enum vmmon_balloon_req_type {
	VMMON_BALLOON_REQ_INFLATE	= 1,
	VMMON_BALLOON_REQ_DEFLATE	= 2,
	VMMON_BALLOON_REQ_STATS		= 3,
	VMMON_BALLOON_REQ_RESET		= 4,
};

struct vmmon_balloon_req {
	__u32 type;		/* enum vmmon_balloon_req_type */
	__u32 nr;		/* page numbers that follow */
	__u64 reserved;		/* 0 */
};

/* One status byte per page of an INFLATE or DEFLATE. */
enum vmmon_balloon_status {
	VMMON_BALLOON_S_DONE		= 0,
	VMMON_BALLOON_S_NOT_RAM		= 1,	/* outside RAM: a hole, MMIO */
	VMMON_BALLOON_S_ALREADY		= 2,	/* inflate: in the balloon already */
	VMMON_BALLOON_S_NOT_BALLOONED	= 3,	/* deflate: not in the balloon */
	VMMON_BALLOON_S_DUPLICATE	= 4,	/* twice in one request */
	VMMON_BALLOON_S_CHANNEL		= 5,	/* the channel page or this request's buffers */
	VMMON_BALLOON_S_OVER_LIMIT	= 6,	/* inflate: the balloon holds the target */
	VMMON_BALLOON_S_NR,
};

/* The guest's memory as it sees it (VMMON_BALLOON_REQ_STATS). */
struct vmmon_balloon_stats {
	__u64 total;		/* bytes: MemTotal */
	__u64 free;		/* bytes: MemFree */
	__u64 available;	/* bytes: MemAvailable */
	__u64 cached;		/* bytes: page cache */
	__u64 swap_in;		/* pages, since boot */
	__u64 swap_out;		/* pages, since boot */
	__u64 major_faults;	/* since boot */
	__u64 oom_kills;	/* since boot */
};

#endif /* _UAPI_VMMON_BALLOON_H */
