/* SPDX-License-Identifier: GPL-2.0 */
/* Speculative-execution mitigations of the world switch (vmx_spec.c). */
#ifndef VMMON_VMX_SPEC_H
#define VMMON_VMX_SPEC_H

#include <linux/sysfs.h>

enum vmx_spec_counter {
	VMX_SPEC_ENTRIES,		/* VM entries, to compare with */
	VMX_SPEC_L1D_FLUSH,
	VMX_SPEC_VERW,
	VMX_SPEC_RSB_FILL,
	VMX_SPEC_BHB_CLEAR,
	VMX_SPEC_SPEC_CTRL,
	VMX_SPEC_IBPB_SWITCH,
	VMX_SPEC_IBPB_EXIT_TO_USER,
	VMX_SPEC_NR,
};

extern const struct attribute_group vmx_spec_group;

int vmx_spec_setup(void);
void vmx_spec_teardown(void);
void vmx_spec_log(void);
int vmx_spec_active(char *buf, size_t size);
bool vmx_spec_counter(unsigned int i, const char **name, u64 *value);
/* The run loop, preemption off: @vm_serial identifies the guest's VM. */
void vmx_spec_vcpu_load(u64 vm_serial);
void vmx_spec_before_entry(void);
void vmx_spec_after_exit(void);
void vmx_spec_vcpu_put(void);

/* vmx_switch.S */
void vmx_l1d_flush_sw(void *buf, unsigned long size);
void vmx_spec_ctrl_restore_host(void);

#endif
