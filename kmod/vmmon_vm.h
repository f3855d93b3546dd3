/* SPDX-License-Identifier: GPL-2.0 */
/* VM and vCPU objects, shared by vmmon_vm.c and vmmon_vcpu.c. */
#ifndef VMMON_VM_H
#define VMMON_VM_H

#include <linux/fs.h>
#include <linux/compiler.h>
#include <linux/mutex.h>
#include <uapi/vmmon.h>
#include "ept/ept.h"
#include "vmmon_pmap.h"

struct vmmon_vcpu {
	struct vmmon_vm *vm;
	unsigned int id;
	struct mutex lock;	/* one ioctl at a time */
	struct vmmon_run *run;	/* shared with userspace (mmap) */
	void *hw;		/* the backend's state (struct vmx_vcpu) */
	/* The guest's CPUID table (VMMON_SET_CPUID); replaced whole. */
	struct vmmon_cpuid_entry *cpuid;
	unsigned int cpuid_nent;
	/* VMMON_INTERRUPT's vector until the guest takes it, or -1. */
	int irq_pending;
	/* Written by the vCPU's thread only; read by the stats ioctls. */
	struct vmmon_exit_stats stats;
};

/* Count one exit of the kind @stat. */
static inline void vmmon_vcpu_count_exit(struct vmmon_vcpu *vcpu,
					 enum vmmon_stat_exit stat)
{
	WRITE_ONCE(vcpu->stats.total, vcpu->stats.total + 1);
	WRITE_ONCE(vcpu->stats.count[stat], vcpu->stats.count[stat] + 1);
}

struct vmmon_vm {
	int id;			/* small number for the log, unique among live VMs */
	struct file *file;	/* the VM fd's file; vCPU fds hold a reference */
	struct vmmon_pmap pmap;
	struct vmmon_ept ept;	/* the hardware's view of the pmap */
	struct mutex lock;	/* vcpus[] */
	/* Changes of the pmap against EPT entries made from it. */
	struct mutex mmu_lock;
	struct vmmon_vcpu *vcpus[VMMON_MAX_VCPUS];
};

int vmmon_vm_fault_in(struct vmmon_vm *vm, u64 gpa);
int vmmon_vm_setup(void);
void vmmon_vm_teardown(void);
int vmmon_vm_read_phys(struct vmmon_vm *vm, u64 gpa, void *buf,
		       unsigned int len);
int vmmon_vm_write_phys(struct vmmon_vm *vm, u64 gpa, const void *buf,
			unsigned int len);

/* vmmon_cpuid.c */
long vmmon_cpuid_set(struct vmmon_vcpu *vcpu, void __user *uarg);
long vmmon_cpuid_get(struct vmmon_vcpu *vcpu, void __user *uarg);
void vmmon_cpuid_lookup(struct vmmon_vcpu *vcpu, u32 function, u32 index,
			u32 out[4]);
int vmmon_vcpu_create(struct vmmon_vm *vm, void __user *uarg);
void vmmon_vcpu_destroy(struct vmmon_vcpu *vcpu);
void vmmon_vcpu_sum_stats(struct vmmon_vm *vm, struct vmmon_exit_stats *sum);

#endif /* VMMON_VM_H */
