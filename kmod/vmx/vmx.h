/* SPDX-License-Identifier: GPL-2.0 */
/* What the VT-x backend's files share with each other. */
#ifndef VMMON_VMX_H
#define VMMON_VMX_H

#include "vmx_caps.h"
#include "vmx_insn.h"

struct vmmon_ept;
struct vmmon_msr_entry;
struct vmmon_regs;
struct vmmon_sregs;
struct vmmon_vcpu;

/* vmx_backend.c */
extern struct vmx_caps vmx_caps;
const char *vmx_insn_status_name(enum vmx_insn_status st);

/* vmx_vcpu.c */
int vmx_vcpus_setup(void);
void vmx_vcpus_teardown(void);
void vmx_vmcs_clear_all_here(void);
void vmx_vmcs_clear_all_emergency(void);

/* vmx_msr.c */
void vmx_msr_drop_guest(void);
int vmx_vcpu_init(struct vmmon_vcpu *vcpu);
void vmx_vcpu_fini(struct vmmon_vcpu *vcpu);
int vmx_vcpu_run(struct vmmon_vcpu *vcpu);
void vmx_vcpu_get_regs(struct vmmon_vcpu *vcpu, struct vmmon_regs *regs);
void vmx_vcpu_set_regs(struct vmmon_vcpu *vcpu, const struct vmmon_regs *regs);
int vmx_vcpu_get_sregs(struct vmmon_vcpu *vcpu, struct vmmon_sregs *sregs);
int vmx_vcpu_set_sregs(struct vmmon_vcpu *vcpu, const struct vmmon_sregs *sregs);
void vmx_flush_ept(struct vmmon_ept *ept);
int vmx_vcpu_msrs(struct vmmon_vcpu *vcpu, struct vmmon_msr_entry *e,
		  unsigned int n, bool write);

#endif /* VMMON_VMX_H */
