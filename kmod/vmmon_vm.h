/* SPDX-License-Identifier: GPL-2.0 */
/* VM and vCPU objects, shared by vmmon_vm.c and vmmon_vcpu.c. */
#ifndef VMMON_VM_H
#define VMMON_VM_H

#include <linux/fs.h>
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
};

struct vmmon_vm {
	int id;			/* small number for the log, unique among live VMs */
	struct file *file;	/* the VM fd's file; vCPU fds hold a reference */
	struct vmmon_pmap pmap;
	struct vmmon_ept ept;	/* the hardware's view of the pmap */
	struct mutex lock;	/* vcpus[] */
	struct vmmon_vcpu *vcpus[VMMON_MAX_VCPUS];
};

int vmmon_vm_fault_in(struct vmmon_vm *vm, u64 gpa);
int vmmon_vcpu_create(struct vmmon_vm *vm, void __user *uarg);
void vmmon_vcpu_destroy(struct vmmon_vcpu *vcpu);

#endif /* VMMON_VM_H */
