// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs a guest must have, emulated inside vmmon: every RDMSR and
 * WRMSR of the guest exits (the MSR bitmap is all ones), so the guest
 * never reaches a host MSR, and one it is not given here gets #GP.
 * The same code serves VMMON_GET_MSRS and VMMON_SET_MSRS.  The VMCS is
 * loaded on this CPU whenever these run.
 */
#include <linux/errno.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include "vmmon_vm.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

#define VMX_APIC_BASE_DEFAULT	0xfee00000ULL
/* IA32_APIC_BASE: BSP flag, x2APIC mode (not offered), global enable. */
#define VMX_APIC_BASE_VALID	(MSR_IA32_APICBASE_BSP | \
				 MSR_IA32_APICBASE_ENABLE | \
				 MSR_IA32_APICBASE_BASE)
#define VMX_EFER_VALID		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

static const u32 vmx_switched_msr_index[VMX_NR_SWITCHED_MSRS] = {
	[VMX_MSR_STAR] = MSR_STAR,
	[VMX_MSR_LSTAR] = MSR_LSTAR,
	[VMX_MSR_CSTAR] = MSR_CSTAR,
	[VMX_MSR_SFMASK] = MSR_SYSCALL_MASK,
	[VMX_MSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
};

void vmx_msr_init(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vx->apic_base = VMX_APIC_BASE_DEFAULT | MSR_IA32_APICBASE_ENABLE |
			(vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
}

static int vmx_switched_msr(u32 index)
{
	int i;

	for (i = 0; i < VMX_NR_SWITCHED_MSRS; i++)
		if (vmx_switched_msr_index[i] == index)
			return i;
	return -1;
}

static bool vmx_canonical(u64 v)
{
	return (u64)((s64)(v << 16) >> 16) == v;
}

/* Each byte of IA32_PAT a memory type: UC, WC, WT, WP, WB or UC-. */
static bool vmx_pat_valid(u64 pat)
{
	unsigned int i;
	u8 type;

	for (i = 0; i < 8; i++) {
		type = pat >> (i * 8);
		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

/* 0, or -EINVAL when @index is not an MSR vmmon emulates. */
int vmx_msr_read(struct vmmon_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vx = vcpu->hw;
	int sw = vmx_switched_msr(index);

	if (sw >= 0) {
		*data = vx->msrs[sw];
		return 0;
	}
	switch (index) {
	case MSR_IA32_TSC:
		*data = rdtsc() + vx->tsc_offset;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vx->apic_base;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read32(VMCS_GUEST_SYSENTER_CS);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_readl(VMCS_GUEST_SYSENTER_ESP);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_readl(VMCS_GUEST_SYSENTER_EIP);
		return 0;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read64(VMCS_GUEST_PAT);
		return 0;
	case MSR_EFER:
		*data = vmcs_read64(VMCS_GUEST_EFER);
		return 0;
	case MSR_FS_BASE:
		*data = vmcs_readl(VMCS_GUEST_FS_BASE);
		return 0;
	case MSR_GS_BASE:
		*data = vmcs_readl(VMCS_GUEST_GS_BASE);
		return 0;
	}
	return -EINVAL;
}

/*
 * Whether the guest (or, with @host, userspace) may give MSR @index the
 * value @data: the checks the CPU makes before #GP, so that no value
 * that would fault on the host's WRMSR reaches it.
 */
static bool vmx_msr_valid(struct vmmon_vcpu *vcpu, u32 index, u64 data,
			  bool host)
{
	u64 efer;

	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		return vmx_canonical(data);
	case MSR_STAR:
	case MSR_SYSCALL_MASK:
		return index == MSR_STAR || !(data >> 32);
	case MSR_IA32_TSC:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return true;
	case MSR_IA32_SYSENTER_CS:
		return !(data >> 32);
	case MSR_IA32_APICBASE:
		return !(data & ~VMX_APIC_BASE_VALID);
	case MSR_IA32_CR_PAT:
		return vmx_pat_valid(data);
	case MSR_EFER:
		if (data & ~VMX_EFER_VALID)
			return false;
		if (host)
			return true;
		/* LMA is the CPU's to set; LME may not change under paging. */
		efer = vmcs_read64(VMCS_GUEST_EFER);
		return (data & EFER_LMA) == (efer & EFER_LMA) &&
		       (!(vmcs_readl(VMCS_GUEST_CR0) & X86_CR0_PG) ||
			(data & EFER_LME) == (efer & EFER_LME));
	}
	return false;
}

/* For SET_MSRS: 0 when userspace may write @data to @index. */
int vmx_msr_check(struct vmmon_vcpu *vcpu, u32 index, u64 data)
{
	return vmx_msr_valid(vcpu, index, data, true) ? 0 : -EINVAL;
}

/* 0, or -EINVAL for an MSR vmmon does not emulate or a bad value. */
int vmx_msr_write(struct vmmon_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vmx_vcpu *vx = vcpu->hw;
	int sw = vmx_switched_msr(index);
	u32 entry;

	if (!vmx_msr_valid(vcpu, index, data, host))
		return -EINVAL;
	if (sw >= 0) {
		vx->msrs[sw] = data;
		return 0;
	}
	switch (index) {
	case MSR_IA32_TSC:
		vx->tsc_offset = data - rdtsc();
		vmcs_write64(VMCS_TSC_OFFSET, vx->tsc_offset);
		break;
	case MSR_IA32_APICBASE:
		vx->apic_base = data;
		break;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(VMCS_GUEST_SYSENTER_CS, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_writel(VMCS_GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_writel(VMCS_GUEST_SYSENTER_EIP, data);
		break;
	case MSR_IA32_CR_PAT:
		vmcs_write64(VMCS_GUEST_PAT, data);
		break;
	case MSR_EFER:
		vmcs_write64(VMCS_GUEST_EFER, data);
		/* Only userspace can change LMA; the entry must agree with it. */
		entry = vmcs_read32(VMCS_ENTRY_CONTROLS) & ~VMX_ENTRY_IA32E_MODE_GUEST;
		if (data & EFER_LMA)
			entry |= VMX_ENTRY_IA32E_MODE_GUEST;
		vmcs_write32(VMCS_ENTRY_CONTROLS, entry);
		break;
	case MSR_FS_BASE:
		vmcs_writel(VMCS_GUEST_FS_BASE, data);
		break;
	case MSR_GS_BASE:
		vmcs_writel(VMCS_GUEST_GS_BASE, data);
		break;
	}
	return 0;
}

/*
 * Before the guest runs, with preemption off: its SYSCALL MSRs in the
 * CPU, the host's in @host.  The host's are needed only on the way back
 * to its userspace, so they stay out while vmmon handles exits.
 */
void vmx_msr_load_guest(struct vmx_vcpu *vx, u64 host[VMX_NR_SWITCHED_MSRS])
{
	int i;

	for (i = 0; i < VMX_NR_SWITCHED_MSRS; i++) {
		rdmsrl(vmx_switched_msr_index[i], host[i]);
		wrmsrl(vmx_switched_msr_index[i], vx->msrs[i]);
	}
}

void vmx_msr_load_host(const u64 host[VMX_NR_SWITCHED_MSRS])
{
	int i;

	for (i = 0; i < VMX_NR_SWITCHED_MSRS; i++)
		wrmsrl(vmx_switched_msr_index[i], host[i]);
}
