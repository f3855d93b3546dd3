/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM objects and the core's vCPU functions, shared by vmmon_vm.c,
 * vmmon_vcpu.c and vmmon_cpuid.c (struct vmmon_vcpu is in
 * vmmon_backend.h, which the backend sees too).
 */
#ifndef VMMON_VM_H
#define VMMON_VM_H

#include <linux/fs.h>
#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/uidgid.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_genl.h>
#include "balloon/balloon.h"
#include "ept/ept.h"
#include "memsched/memsched.h"
#include "ksm/ksm.h"
#include "vmmon_backend.h"
#include "vmmon_pmap.h"

struct vmmon_vm {
	u32 id;			/* not reused until 2^31 VMs later */
	struct file *file;	/* the VM fd's file; vCPU fds hold a reference */
	kuid_t owner;		/* the creator's effective uid */
	struct pid *owner_pid;	/* the creating process */
	u64 created_ns;		/* CLOCK_REALTIME */
	char name[VMMON_NAME_MAX];	/* "" for none; vmmon_vms_lock() */
	atomic_t nr_running;	/* vCPUs in VMMON_RUN now */
	atomic_t pins;		/* vmmon_vm_pin(): its end waits for 0 */
	bool ran;		/* a vCPU entered VMMON_RUN once */
	struct vmmon_pmap pmap;
	struct vmmon_ept ept;	/* the hardware's view of the pmap */
	struct mutex lock;	/* vcpus[] */
	/* Changes of the pmap against EPT and userspace entries made from it. */
	struct mutex mmu_lock;
	struct vmmon_vcpu *vcpus[VMMON_MAX_VCPUS];
	struct vmmon_balloon balloon;
	struct vmmon_memsched_vm memsched;	/* memsched.c's lock */
	struct vmmon_ksm_vm ksm;
};

int vmmon_vm_setup(void);
void vmmon_vm_teardown(void);

/*
 * The registry of live VMs, for netlink (vmmon_genl.c): a VM found under
 * vmmon_vms_lock() stays until vmmon_vms_unlock().
 */
void vmmon_vms_lock(void);
void vmmon_vms_unlock(void);
struct vmmon_vm *vmmon_vm_find(u32 id);
struct vmmon_vm *vmmon_vm_find_name(const char *name, kuid_t prefer);
struct vmmon_vm *vmmon_vm_next(unsigned long *id);
/*
 * A VM found under vmmon_vms_lock() kept past vmmon_vms_unlock(): its
 * end (the last fput) waits for vmmon_vm_unpin() before it tears the VM
 * down, so that a worker can act on it without holding the registry,
 * which VM creation and every netlink request need.
 */
void vmmon_vm_pin(struct vmmon_vm *vm);
void vmmon_vm_unpin(struct vmmon_vm *vm);
int vmmon_vm_rename(struct vmmon_vm *vm, const char *name);
bool vmmon_name_valid(const char *name);
enum vmmon_vm_state vmmon_vm_state(struct vmmon_vm *vm);
unsigned int vmmon_vm_nr_vcpus(struct vmmon_vm *vm);

/*
 * Taking guest pages away (the protocol of vmmon_pmap.h): a batch of at
 * most VMMON_REMOVE_MAX page numbers, out of every view at once
 * (vmmon_vm_remove_pages), then freed after the RCU readers are done
 * (vmmon_vm_free_removed).  Used by VMMON_DISCARD_MEMORY and the
 * balloon's inflate.
 */
#define VMMON_REMOVE_MAX	512

struct vmmon_removed {
	struct list_head pages;		/* out of every view, to free */
	/* One batch's scratch: its pages in its order, those to zap. */
	struct page *taken[VMMON_REMOVE_MAX];
	u64 zap[VMMON_REMOVE_MAX];
	DECLARE_BITMAP(shared, VMMON_REMOVE_MAX);	/* taken[i] shared */
};

static inline void vmmon_removed_init(struct vmmon_removed *gone)
{
	INIT_LIST_HEAD(&gone->pages);
}

unsigned int vmmon_vm_remove_pages(struct vmmon_vm *vm, const u64 *gfns,
				   unsigned int n, struct vmmon_removed *gone);
void vmmon_vm_free_pages(struct list_head *pages);
/*
 * The same without waiting (for memory or a grace period), for a caller
 * that holds up others meanwhile: false, @pages as they were, when
 * memory is short.
 */
bool vmmon_vm_free_pages_nowait(struct list_head *pages);
void vmmon_vm_free_removed(struct vmmon_removed *gone);
void vmmon_vm_zap(struct vmmon_vm *vm, const u64 *gfns, unsigned int n);
int vmmon_vm_cow(struct vmmon_vm *vm, u64 gfn);

/*
 * Content-based sharing's view of a VM (vmmon_vm_share.c, for kmod/ksm/):
 * protect a page in every view, compare it, then back it with a shared
 * page or give it back.
 */
struct page *vmmon_vm_share_protect(struct vmmon_vm *vm, u64 gfn);
void vmmon_vm_share_unprotect(struct vmmon_vm *vm, u64 gfn,
			      struct page *page);
int vmmon_vm_share_commit(struct vmmon_vm *vm, u64 gfn, struct page *old,
			  struct page *shared, bool zero,
			  struct vmmon_removed *gone);

/* vmmon_cpuid.c */
long vmmon_cpuid_set(struct vmmon_vcpu *vcpu, void __user *uarg);
long vmmon_cpuid_get(struct vmmon_vcpu *vcpu, void __user *uarg);
int vmmon_vcpu_create(struct vmmon_vm *vm, void __user *uarg);
void vmmon_vcpu_destroy(struct vmmon_vcpu *vcpu);
void vmmon_vcpu_sum_stats(struct vmmon_vm *vm, struct vmmon_exit_stats *sum);
void vmmon_vcpu_read_stats(const struct vmmon_vcpu *vcpu,
			   struct vmmon_exit_stats *sum);
u64 vmmon_vcpu_run_ns(const struct vmmon_vcpu *vcpu);

/* vmmon_genl.c: the generic netlink family */
int vmmon_genl_setup(void);
void vmmon_genl_teardown(void);
void vmmon_genl_event(struct vmmon_vm *vm, enum vmmon_event event);

#endif /* VMMON_VM_H */
