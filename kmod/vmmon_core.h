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

struct attribute_group;
struct cpumask;
struct vmmon_create_vm;
struct vmmon_ept;
struct vmmon_msr_entry;
struct vmmon_regs;
struct vmmon_sregs;
struct vmmon_vcpu;

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
 * @cpu_emergency_disable: the same on panic, kdump or emergency reboot,
 *               maybe in NMI context, whatever the CPU was doing.
 * @vcpu_init:   set up the backend state of a new vCPU (vcpu->hw), in
 *               the x86 reset state.
 * @vcpu_fini:   free it; the vCPU never runs again.
 * @vcpu_run:    run the guest until an exit userspace must see, written
 *               to vcpu->run; 0, or -EINTR with a signal pending, or
 *               another negative errno.
 * @vcpu_get_regs, @vcpu_set_regs, @vcpu_get_sregs, @vcpu_set_sregs:
 *               the guest's registers; the setters give -EINVAL for a
 *               state the hardware cannot hold.
 * @vcpu_msrs:   read (or, with @write, write) the MSRs of @e; all or
 *               nothing: -EINVAL, and no change, when one index is not
 *               emulated or one value is not valid.
 * @flush_ept:   drop what every CPU cached of @ept's translations, after
 *               entries were removed; may sleep.
 * @mitigations: the speculation mitigations that apply, one word each,
 *               written to @buf; returns the length.
 * @counter:     the backend's counter @i (mitigations applied, entries):
 *               its name and value; false past the last.
 * @sysfs_group: the backend's files beside the core's in sysfs.
 * The vcpu_* calls of one vCPU are serialized by the core.
 */
struct vmmon_hw_ops {
	const char *name;
	int (*init)(void);
	void (*fini)(void);
	const char *(*describe)(void);
	u64 (*cap)(u32 cap);
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	void (*cpu_emergency_disable)(void);
	int (*vcpu_init)(struct vmmon_vcpu *vcpu);
	void (*vcpu_fini)(struct vmmon_vcpu *vcpu);
	int (*vcpu_run)(struct vmmon_vcpu *vcpu);
	void (*vcpu_get_regs)(struct vmmon_vcpu *vcpu, struct vmmon_regs *regs);
	void (*vcpu_set_regs)(struct vmmon_vcpu *vcpu,
			      const struct vmmon_regs *regs);
	int (*vcpu_get_sregs)(struct vmmon_vcpu *vcpu, struct vmmon_sregs *sregs);
	int (*vcpu_set_sregs)(struct vmmon_vcpu *vcpu,
			      const struct vmmon_sregs *sregs);
	int (*vcpu_msrs)(struct vmmon_vcpu *vcpu, struct vmmon_msr_entry *e,
			 unsigned int n, bool write);
	void (*flush_ept)(struct vmmon_ept *ept);
	int (*mitigations)(char *buf, size_t size);
	bool (*counter)(unsigned int i, const char **name, u64 *value);
	const struct attribute_group *sysfs_group;
};

extern const struct vmmon_hw_ops vmx_hw_ops;

/* vmmon_hw.c: VMX root operation, entered while at least one VM exists */
int vmmon_hw_setup(const struct vmmon_hw_ops *ops);
void vmmon_hw_teardown(void);
int vmmon_hw_get(void);
void vmmon_hw_put(void);
unsigned int vmmon_hw_cpus_on(void);
bool vmmon_hw_section_begin(void);
void vmmon_hw_section_end(void);
bool vmmon_hw_leave_requested(void);
void vmmon_hw_kick(const struct cpumask *cpus);
int vmmon_hw_wait(void);
u64 vmmon_hw_cap(u32 cap);
const struct vmmon_hw_ops *vmmon_hw(void);

/* vmmon_vm.c: VM objects and their file descriptors */
int vmmon_vm_create(const struct vmmon_create_vm *args);
unsigned int vmmon_vm_count(void);

/* vmmon_vcpu.c: vCPU objects and their file descriptors */
unsigned int vmmon_vcpu_count(void);

#endif /* VMMON_CORE_H */
