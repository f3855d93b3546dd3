/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Content-based page sharing (ESX's transparent page sharing, Waldspurger
 * OSDI 2002): a thread scans the guest pages of every VM at a set rate,
 * finds pages of equal bytes by their hash, and backs each set with one
 * read-only host page; a write gets a private copy.  It changes guest
 * memory only through the pmap's sharing API (vmmon_vm_share.c).
 *
 * Pages are shared within a sharing group only: by default each VM is
 * its own group; VMMON_SET_SHARE_GROUP puts a VM in a named group of its
 * owner's, whose VMs share with each other (sharing across VMs opens
 * timing side channels, which is why ESX turned it off by default).
 */
#ifndef VMMON_KSM_H
#define VMMON_KSM_H

#include <linux/list.h>
#include <linux/types.h>

struct vmmon_vm;
struct vmmon_ksm_group;

/* A VM's part in sharing; under the scanner's lock, read with READ_ONCE. */
struct vmmon_ksm_vm {
	struct vmmon_ksm_group *group;
	/* In its group's list of VMs until its end (vmmon_ksm_vm_leave). */
	struct list_head member;
	u64 cursor;		/* the rank of the next page to scan */
	u64 scanned;		/* pages looked at */
	u64 merged;		/* pages backed by a shared page at a scan */
	u64 zero_merged;	/* of them, zeros */
	u64 full_scans;		/* times the cursor went round */
};

/* Module-wide figures. */
struct vmmon_ksm_stats {
	u64 pages_shared;	/* shared host pages the tables hold */
	u64 pages_sharing;	/* guest pages backed by one of them */
	u64 hints;		/* pages seen once, by hash */
	u64 scanned;
	u64 merged;
	u64 full_scans;
	u64 scan_ns;		/* the scanner's time in its batches */
	u32 pages_per_pass;	/* the rate as set */
	u32 sleep_ms;
};

int vmmon_ksm_setup(void);
void vmmon_ksm_teardown(void);
int vmmon_ksm_vm_init(struct vmmon_vm *vm);
void vmmon_ksm_vm_counted(void);
void vmmon_ksm_vm_leave(struct vmmon_vm *vm);
void vmmon_ksm_vm_destroy(struct vmmon_vm *vm);
int vmmon_ksm_set_group(struct vmmon_vm *vm, const char *name);
void vmmon_ksm_set_rate(const u32 *pages_per_pass, const u32 *sleep_ms);
void vmmon_ksm_read(struct vmmon_ksm_stats *st);

#endif /* VMMON_KSM_H */
