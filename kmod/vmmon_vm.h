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
#include <linux/mutex.h>
#include <uapi/vmmon.h>
#include "ept/ept.h"
#include "vmmon_backend.h"
#include "vmmon_pmap.h"

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

int vmmon_vm_setup(void);
void vmmon_vm_teardown(void);

/* vmmon_cpuid.c */
long vmmon_cpuid_set(struct vmmon_vcpu *vcpu, void __user *uarg);
long vmmon_cpuid_get(struct vmmon_vcpu *vcpu, void __user *uarg);
int vmmon_vcpu_create(struct vmmon_vm *vm, void __user *uarg);
void vmmon_vcpu_destroy(struct vmmon_vcpu *vcpu);
void vmmon_vcpu_sum_stats(struct vmmon_vm *vm, struct vmmon_exit_stats *sum);

#endif /* VMMON_VM_H */
