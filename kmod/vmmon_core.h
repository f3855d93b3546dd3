/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmon core internals: what the core files share with each other and
 * the one table through which the core reaches the virtualization
 * hardware (as NetBSD NVMM's nvmm_impl), so that an AMD SVM backend can
 * sit beside the VT-x one.
 */
#ifndef VMMON_CORE_H
#define VMMON_CORE_H

#include <linux/types.h>

struct vmmon_create_vm;

/**
 * struct vmmon_hw_ops - a hardware virtualization backend
 * @name:        short name for the log ("VT-x").
 * @init:        check the CPU and firmware, logging one line for each
 *               missing piece, and allocate per-CPU state.  -ENODEV when
 *               the CPU lacks the extension, -EOPNOTSUPP when it is
 *               disabled or a required capability is missing.
 * @fini:        free what @init allocated; every CPU has left.
 * @describe:    one line of the capabilities found, valid after @init.
 * @cap:         value of an optional capability (enum vmmon_cap), 0 if
 *               absent or unknown.
 * @cpu_enable:  enter root operation on this CPU; preemption is off.
 *               -EBUSY when another hypervisor owns the CPU.
 * @cpu_disable: leave root operation on this CPU; preemption is off.
 */
struct vmmon_hw_ops {
	const char *name;
	int (*init)(void);
	void (*fini)(void);
	const char *(*describe)(void);
	u64 (*cap)(u32 cap);
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
};

extern const struct vmmon_hw_ops vmx_hw_ops;

/* vmmon_hw.c: VMX root operation, entered while at least one VM exists */
int vmmon_hw_setup(const struct vmmon_hw_ops *ops);
void vmmon_hw_teardown(void);
int vmmon_hw_get(void);
void vmmon_hw_put(void);
unsigned int vmmon_hw_cpus_on(void);
u64 vmmon_hw_cap(u32 cap);

/* vmmon_vm.c: VM objects and their file descriptors */
int vmmon_vm_create(const struct vmmon_create_vm *args);
unsigned int vmmon_vm_count(void);

#endif /* VMMON_CORE_H */
