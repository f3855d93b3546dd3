// SPDX-License-Identifier: GPL-2.0
/*
 * What follows from the guest's CPUID table (VMMON_SET_CPUID): a feature
 * the table hides must fault as on a CPU without it, not work because
 * the host has it.  Its CR4 bit #GPs (the bit joins the CR4 guest/host
 * mask, so MOV to CR4 exits), RDTSCP, RDPID and INVPCID #UD (their
 * enable controls are off), and its MSRs #GP (vmx_msr.c asks here);
 * x2APIC mode and the TSC-deadline MSR exist only where offered.
 * Derived again on the first VMCS load after each SET_CPUID.
 */
#include <linux/kernel.h>
#include <asm/cpufeatures.h>
#include <asm/processor-flags.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

#define VMX_CPUID_BIT(feature)	BIT((feature) & 31)

enum { VMX_EAX, VMX_EBX, VMX_ECX, VMX_EDX };

/* A CR4 bit and the CPUID bit that offers it (as KVM's cr4 reserved bits). */
static const struct {
	u64 cr4;
	u32 leaf;
	u8 reg;
	u32 bit;
} vmx_cr4_features[] = {
	{ X86_CR4_OSXSAVE, 1, VMX_ECX, VMX_CPUID_BIT(X86_FEATURE_XSAVE) },
	{ X86_CR4_PCIDE, 1, VMX_ECX, VMX_CPUID_BIT(X86_FEATURE_PCID) },
	{ X86_CR4_FSGSBASE, 7, VMX_EBX, VMX_CPUID_BIT(X86_FEATURE_FSGSBASE) },
	{ X86_CR4_SMEP, 7, VMX_EBX, VMX_CPUID_BIT(X86_FEATURE_SMEP) },
	{ X86_CR4_SMAP, 7, VMX_EBX, VMX_CPUID_BIT(X86_FEATURE_SMAP) },
	{ X86_CR4_UMIP, 7, VMX_ECX, VMX_CPUID_BIT(X86_FEATURE_UMIP) },
	{ X86_CR4_PKE, 7, VMX_ECX, VMX_CPUID_BIT(X86_FEATURE_PKU) },
	{ X86_CR4_LA57, 7, VMX_ECX, VMX_CPUID_BIT(X86_FEATURE_LA57) },
};

void vmx_cpuid_apply(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 leaf1[4], leaf7[4], ext1[4];
	unsigned long cr4 = vmx_guest_cr4(vx);
	u32 proc2 = vmx_caps.proc2 & ~(VMX_PROC2_ENABLE_RDTSCP |
				       VMX_PROC2_ENABLE_INVPCID);
	unsigned int i;
	const u32 *regs;

	vx->cpuid_gen = vcpu->cpuid_gen;
	vmmon_cpuid_lookup(vcpu, 1, 0, leaf1);
	vmmon_cpuid_lookup(vcpu, 7, 0, leaf7);
	vmmon_cpuid_lookup(vcpu, 0x80000001, 0, ext1);

	vx->cr4_hidden = 0;
	for (i = 0; i < ARRAY_SIZE(vmx_cr4_features); i++) {
		regs = vmx_cr4_features[i].leaf == 1 ? leaf1 : leaf7;
		if (!(regs[vmx_cr4_features[i].reg] & vmx_cr4_features[i].bit))
			vx->cr4_hidden |= vmx_cr4_features[i].cr4;
	}
	/* The guest keeps seeing its CR4 as the bits change owner. */
	vx->cr4_mask = VMX_CR4_GUEST_HOST_MASK | vx->cr4_hidden;
	vmcs_writel(VMCS_CR4_GUEST_HOST_MASK, vx->cr4_mask);
	vmcs_writel(VMCS_CR4_READ_SHADOW, cr4);

	/* "Enable RDTSCP" gates RDPID as well (SDM 3C 26.3). */
	if ((ext1[VMX_EDX] & VMX_CPUID_BIT(X86_FEATURE_RDTSCP)) ||
	    (leaf7[VMX_ECX] & VMX_CPUID_BIT(X86_FEATURE_RDPID)))
		proc2 |= vmx_caps.proc2 & VMX_PROC2_ENABLE_RDTSCP;
	if (leaf7[VMX_EBX] & VMX_CPUID_BIT(X86_FEATURE_INVPCID))
		proc2 |= vmx_caps.proc2 & VMX_PROC2_ENABLE_INVPCID;
	if (!vx->vpid)
		proc2 &= ~VMX_PROC2_ENABLE_VPID;
	vx->proc2 = proc2;
	vmcs_write32(VMCS_PROC_BASED_CONTROLS2, proc2);

	vx->has_rdtscp = proc2 & VMX_PROC2_ENABLE_RDTSCP;
	vx->has_tsc_adjust = leaf7[VMX_EBX] &
			     VMX_CPUID_BIT(X86_FEATURE_TSC_ADJUST);
	vx->has_mca = leaf1[VMX_EDX] & VMX_CPUID_BIT(X86_FEATURE_MCA);
	vx->has_x2apic = leaf1[VMX_ECX] & VMX_CPUID_BIT(X86_FEATURE_X2APIC);
	vx->has_tsc_deadline = leaf1[VMX_ECX] &
			       VMX_CPUID_BIT(X86_FEATURE_TSC_DEADLINE_TIMER);
}
