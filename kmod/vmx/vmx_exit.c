// SPDX-License-Identifier: GPL-2.0
/*
 * VM exits: one handler per reason.  Most run at once, with the VMCS
 * still loaded and the guest's FPU and MSRs in the CPU, so that CPUID,
 * RDMSR and the like cost one VMRESUME; those that may sleep (EPT faults
 * allocate pages, MMIO and string I/O read guest memory) run after the
 * VMCS is put away.  An exit vmmon does not understand never resumes the
 * guest: userspace gets an internal error naming it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmmon_vm.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

void vmx_exit_internal(struct vmmon_run *run, u32 suberror, u64 d0, u64 d1)
{
	run->exit_reason = VMMON_EXIT_INTERNAL;
	run->internal.suberror = suberror;
	run->internal.data[0] = d0;
	run->internal.data[1] = d1;
}

static enum vmx_next vmx_skip(struct vmx_vcpu *vx, const struct vmx_exit *exit)
{
	vx->rip += exit->insn_len;
	return VMX_NEXT_RESUME;
}

static enum vmx_next vmx_fault(struct vmx_vcpu *vx, u8 vector)
{
	vmx_queue_exception(vx, vector, vector == X86_TRAP_GP, 0);
	return VMX_NEXT_RESUME;
}

/* The guest's privilege level: SS.DPL (SDM 3A 5.5). */
static unsigned int vmx_guest_cpl(void)
{
	return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3;
}

#define VMX_CPUID1_ECX_OSXSAVE	BIT(X86_FEATURE_OSXSAVE & 31)

static enum vmx_next vmx_exit_cpuid(struct vmmon_vcpu *vcpu,
				    const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 out[4];

	vmmon_cpuid_lookup(vcpu, vx->regs.rax, vx->regs.rcx, out);
	/* As on hardware, CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE. */
	if ((u32)vx->regs.rax == 1) {
		out[2] &= ~VMX_CPUID1_ECX_OSXSAVE;
		if (vmx_guest_cr4() & X86_CR4_OSXSAVE)
			out[2] |= VMX_CPUID1_ECX_OSXSAVE;
	}
	vx->regs.rax = out[0];
	vx->regs.rbx = out[1];
	vx->regs.rcx = out[2];
	vx->regs.rdx = out[3];
	return vmx_skip(vx, exit);
}

static enum vmx_next vmx_exit_msr(struct vmmon_vcpu *vcpu,
				  const struct vmx_exit *exit, bool write)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 index = vx->regs.rcx;
	u64 data;

	if (write) {
		data = (vx->regs.rdx << 32) | (u32)vx->regs.rax;
		if (vmx_msr_write(vcpu, index, data, false))
			return vmx_fault(vx, X86_TRAP_GP);
	} else {
		if (vmx_msr_read(vcpu, index, &data))
			return vmx_fault(vx, X86_TRAP_GP);
		vx->regs.rax = (u32)data;
		vx->regs.rdx = data >> 32;
	}
	return vmx_skip(vx, exit);
}

/* With PAE paging outside IA-32e mode, the CPU holds the 4 PDPTEs. */
static int vmx_load_pdptes(struct vmmon_vcpu *vcpu, u64 cr3)
{
	u64 pdpte[4];
	int err, i;

	err = vmmon_vm_read_phys(vcpu->vm, cr3 & ~0x1fULL, pdpte,
				 sizeof(pdpte));
	if (err)
		return err;
	for (i = 0; i < 4; i++)
		__vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return 0;
}

/*
 * MOV to CR0 (or LMSW) that exits because it changes a bit vmmon owns
 * (NE): do what the CPU would, mode switches included, or #GP.
 */
static int vmx_set_cr0(struct vmmon_vcpu *vcpu, u64 val)
{
	u64 old = vmx_guest_cr0();
	u64 efer = vmcs_read64(VMCS_GUEST_EFER);
	u64 cr4 = vmx_guest_cr4();
	bool paging_on = (val & X86_CR0_PG) && !(old & X86_CR0_PG);

	if (val >> 32 || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return -EINVAL;
	if (paging_on && (efer & EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE))
			return -EINVAL;
		efer |= EFER_LMA;
	} else if (!(val & X86_CR0_PG) && (efer & EFER_LMA)) {
		efer &= ~EFER_LMA;
	} else if (paging_on && (cr4 & X86_CR4_PAE) &&
		   vmx_load_pdptes(vcpu, vmcs_readl(VMCS_GUEST_CR3))) {
		return -EINVAL;
	}
	vmx_set_efer(efer);
	vmcs_writel(VMCS_GUEST_CR0, val | VMX_CR0_HOST_OWNED);
	vmcs_writel(VMCS_CR0_READ_SHADOW, val);
	return 0;
}

/* CR4 bits whose change makes MOV to CR4 flush the TLB (SDM 3A 4.10.4.1). */
#define VMX_CR4_TLB_BITS	(X86_CR4_PGE | X86_CR4_PCIDE | X86_CR4_PAE | \
				 X86_CR4_PSE | X86_CR4_SMEP | X86_CR4_LA57)
/* And those that make it load the PDPTEs under PAE paging (SDM 3A 4.4.1). */
#define VMX_CR4_PDPTE_BITS	(X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | \
				 X86_CR4_SMEP)

/*
 * MOV to CR4 that exits because it changes a bit vmmon owns (MCE, or
 * VMXE, which the guest may not set): do what the CPU would, or #GP.
 */
static int vmx_set_cr4(struct vmmon_vcpu *vcpu, u64 val)
{
	u64 old = vmx_guest_cr4();
	u64 cr3 = vmcs_readl(VMCS_GUEST_CR3);
	bool lma = vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA;
	bool pae_paging = !lma && (vmx_guest_cr0() & X86_CR0_PG) &&
			  (val & X86_CR4_PAE);

	if ((val & VMX_CR4_HOST_OWNED) ||
	    (vmx_hw_cr4(val) & ~vmx_caps.cr4_fixed1))
		return -EINVAL;
	if (lma && (!(val & X86_CR4_PAE) || ((val ^ old) & X86_CR4_LA57)))
		return -EINVAL;
	if ((val & ~old & X86_CR4_PCIDE) && (!lma || (cr3 & 0xfff)))
		return -EINVAL;
	if (pae_paging && ((val ^ old) & VMX_CR4_PDPTE_BITS) &&
	    vmx_load_pdptes(vcpu, cr3))
		return -EINVAL;
	vmcs_writel(VMCS_GUEST_CR4, vmx_hw_cr4(val));
	vmcs_writel(VMCS_CR4_READ_SHADOW, val);
	if ((val ^ old) & VMX_CR4_TLB_BITS)
		vmx_flush_guest_tlb(vcpu->hw);
	return 0;
}

static enum vmx_next vmx_exit_cr(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 q = exit->qualification, cr0;
	unsigned int cr = q & VMX_CR_QUAL_CR_MASK;
	u64 *gpr = vmx_gpr(vx, (q >> VMX_CR_QUAL_GPR_SHIFT) &
			   VMX_CR_QUAL_GPR_MASK);
	int err = 0;

	switch ((q >> VMX_CR_QUAL_TYPE_SHIFT) & VMX_CR_QUAL_TYPE_MASK) {
	case VMX_CR_QUAL_TYPE_MOV_TO_CR:
		if (cr == 0)
			err = vmx_set_cr0(vcpu, *gpr);
		else if (cr == 4)
			err = vmx_set_cr4(vcpu, *gpr);
		else if (cr == 8 && *gpr <= 0xf)
			vx->cr8 = *gpr;
		else	/* CR8: reserved bits */
			err = -EINVAL;
		break;
	case VMX_CR_QUAL_TYPE_MOV_FROM_CR:
		if (cr != 8)
			goto unhandled;
		*gpr = vx->cr8;
		break;
	case VMX_CR_QUAL_TYPE_LMSW:
		/* LMSW sets PE but never clears it. */
		cr0 = vmx_guest_cr0();
		err = vmx_set_cr0(vcpu, (cr0 & ~0xeULL) | (cr0 & X86_CR0_PE) |
				  ((q >> VMX_CR_QUAL_LMSW_SRC_SHIFT) & 0xf));
		break;
	default:
		goto unhandled;
	}
	if (err)
		return vmx_fault(vx, X86_TRAP_GP);
	return vmx_skip(vx, exit);

unhandled:
	vmx_exit_internal(vcpu->run, VMMON_INTERNAL_UNHANDLED_EXIT,
			  exit->reason, q);
	return VMX_NEXT_USER;
}

/*
 * The guest's debug registers are kept here and never reach the CPU: it
 * runs with DR7 and DEBUGCTL in their reset state (the VMCS loads them at
 * each entry), so the host's breakpoints, LBR and BTF do not follow the
 * VMM into the guest, and the guest's breakpoints do not fire.
 */
static enum vmx_next vmx_exit_dr(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 q = exit->qualification;
	unsigned int dr = q & VMX_DR_QUAL_DR_MASK;
	u64 *gpr = vmx_gpr(vx, (q >> VMX_DR_QUAL_GPR_SHIFT) &
			   VMX_DR_QUAL_GPR_MASK);

	if (q & VMX_DR_QUAL_FROM_DR) {
		if (dr < 4)
			*gpr = vx->dr[dr];
		else if (dr == 4 || dr == 6)
			*gpr = vx->dr6;
		else
			*gpr = vx->dr7;
		return vmx_skip(vx, exit);
	}
	if (dr < 4) {
		vx->dr[dr] = *gpr;
	} else if (*gpr >> 32) {
		return vmx_fault(vx, X86_TRAP_GP);
	} else if (dr == 4 || dr == 6) {
		vx->dr6 = *gpr | VMX_RESET_DR6;
	} else {
		vx->dr7 = *gpr | VMX_RESET_DR7;
	}
	return vmx_skip(vx, exit);
}

static enum vmx_next vmx_exit_xsetbv(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 xcr0 = (vx->regs.rdx << 32) | (u32)vx->regs.rax;

	if (vmx_guest_cpl() || (u32)vx->regs.rcx ||
	    vmmon_fpu_set_xcr0(&vx->fpu, xcr0, true))
		return vmx_fault(vx, X86_TRAP_GP);
	return vmx_skip(vx, exit);
}

static enum vmx_next vmx_exit_io(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	u64 q = exit->qualification;
	u8 size = (q & VMX_IO_QUAL_SIZE_MASK) + 1;

	if (q & VMX_IO_QUAL_STRING)
		return VMX_NEXT_SLEEPABLE;
	run->exit_reason = VMMON_EXIT_IO;
	run->io.port = q >> VMX_IO_QUAL_PORT_SHIFT;
	run->io.size = size;
	run->io.count = 1;
	run->io.data_offset = offsetof(struct vmmon_run, data);
	if (q & VMX_IO_QUAL_IN) {
		run->io.direction = VMMON_IO_IN;
		vx->pending = VMX_PENDING_IN;
		vx->sio.size = size;	/* run->io is userspace's to change */
	} else {
		run->io.direction = VMMON_IO_OUT;
		memcpy(run->data, &vx->regs.rax, size);
	}
	vx->rip += exit->insn_len;
	return VMX_NEXT_USER;
}

static enum vmx_next vmx_exit_vmcall(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;

	/*
	 * Hypercalls are the guest kernel's: from user mode VMCALL faults
	 * as on a CPU with no hypervisor behind it (KVM refuses them too),
	 * so a guest's processes never reach the VMM's handlers.
	 */
	if (vmx_guest_cpl())
		return vmx_fault(vx, X86_TRAP_UD);
	run->exit_reason = VMMON_EXIT_HYPERCALL;
	run->hypercall.nr = vx->regs.rax;
	run->hypercall.args[0] = vx->regs.rbx;
	run->hypercall.args[1] = vx->regs.rcx;
	run->hypercall.args[2] = vx->regs.rdx;
	run->hypercall.args[3] = vx->regs.rsi;
	run->hypercall.ret = 0;
	vx->pending = VMX_PENDING_HYPERCALL;
	vx->rip += exit->insn_len;
	return VMX_NEXT_USER;
}

/* The kind of exit, for the counters. */
static enum vmmon_stat_exit vmx_exit_stat(u32 basic)
{
	switch (basic) {
	case VMX_EXIT_IO_INSTRUCTION:
		return VMMON_STAT_EXIT_IO;
	case VMX_EXIT_HLT:
		return VMMON_STAT_EXIT_HLT;
	case VMX_EXIT_VMCALL:
		return VMMON_STAT_EXIT_HYPERCALL;
	case VMX_EXIT_CPUID:
		return VMMON_STAT_EXIT_CPUID;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		return VMMON_STAT_EXIT_MSR;
	case VMX_EXIT_CR_ACCESS:
		return VMMON_STAT_EXIT_CR;
	case VMX_EXIT_EXTERNAL_INTERRUPT:
		return VMMON_STAT_EXIT_EXT_INTR;
	case VMX_EXIT_PREEMPTION_TIMER:
		return VMMON_STAT_EXIT_PREEMPT;
	case VMX_EXIT_INTERRUPT_WINDOW:
		return VMMON_STAT_EXIT_IRQ_WINDOW;
	case VMX_EXIT_INVD:
	case VMX_EXIT_WBINVD:
		return VMMON_STAT_EXIT_CACHE;
	}
	/* EPT violations are counted once they are known to be RAM or not. */
	return VMMON_STAT_EXIT_OTHER;
}

enum vmx_next vmx_exit_atomic(struct vmmon_vcpu *vcpu, struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	u32 basic = exit->reason & VMX_EXIT_REASON_BASIC_MASK;

	if (exit->entry_insn_failed) {
		vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_OTHER);
		vmx_exit_internal(run, VMMON_INTERNAL_ENTRY_INSN_FAILED,
				  exit->insn_error, 0);
		return VMX_NEXT_USER;
	}
	if (basic != VMX_EXIT_EPT_VIOLATION)
		vmmon_vcpu_count_exit(vcpu, vmx_exit_stat(basic));
	if (exit->reason & VMX_EXIT_REASON_ENTRY_FAILED) {
		run->exit_reason = VMMON_EXIT_FAIL_ENTRY;
		run->fail_entry.hw_reason = exit->reason;
		run->fail_entry.qualification = exit->qualification;
		return VMX_NEXT_USER;
	}
	switch (basic) {
	case VMX_EXIT_EXTERNAL_INTERRUPT:
	case VMX_EXIT_PREEMPTION_TIMER:
		return VMX_NEXT_YIELD;
	case VMX_EXIT_EXCEPTION_NMI:
		if (vmx_exit_is_nmi(exit))
			return VMX_NEXT_YIELD;
		/* The host's handler took it (vmx_world_switch()). */
		if (vmx_exit_is_machine_check(exit))
			return VMX_NEXT_RESUME;
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		run->exit_reason = VMMON_EXIT_SHUTDOWN;
		return VMX_NEXT_USER;
	case VMX_EXIT_INTERRUPT_WINDOW:
		if (vcpu->irq_pending >= 0)
			return VMX_NEXT_RESUME;
		run->exit_reason = VMMON_EXIT_IRQ_WINDOW;
		return VMX_NEXT_USER;
	case VMX_EXIT_HLT:
		vx->rip += exit->insn_len;
		run->exit_reason = VMMON_EXIT_HLT;
		return VMX_NEXT_USER;
	case VMX_EXIT_CPUID:
		return vmx_exit_cpuid(vcpu, exit);
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		return vmx_exit_msr(vcpu, exit, basic == VMX_EXIT_WRMSR);
	case VMX_EXIT_CR_ACCESS:
		return vmx_exit_cr(vcpu, exit);
	case VMX_EXIT_DR_ACCESS:
		return vmx_exit_dr(vcpu, exit);
	case VMX_EXIT_XSETBV:
		return vmx_exit_xsetbv(vcpu, exit);
	case VMX_EXIT_INVD:
	case VMX_EXIT_WBINVD:
		/*
		 * No device writes guest memory behind the caches' back, so
		 * skipping the flush is exact, as in KVM without assigned
		 * devices.
		 */
		return vmx_skip(vx, exit);
	case VMX_EXIT_VMCALL:
		return vmx_exit_vmcall(vcpu, exit);
	case VMX_EXIT_IO_INSTRUCTION:
		return vmx_exit_io(vcpu, exit);
	case VMX_EXIT_EPT_VIOLATION:
		return VMX_NEXT_SLEEPABLE;
	case VMX_EXIT_RDPMC:
		/* No performance counters are offered. */
		return vmx_fault(vx, X86_TRAP_GP);
	case VMX_EXIT_GETSEC:
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMREAD:
	case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMWRITE:
	case VMX_EXIT_VMXOFF:
	case VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
	case VMX_EXIT_MWAIT:
	case VMX_EXIT_MONITOR:
		/* Features the guest is not given: as on a CPU without them. */
		return vmx_fault(vx, X86_TRAP_UD);
	}
	vmx_exit_internal(run, VMMON_INTERNAL_UNHANDLED_EXIT, exit->reason,
			  exit->qualification);
	return VMX_NEXT_USER;
}

/* A guest access to a page the EPT does not map yet. */
static enum vmx_next vmx_exit_ept_violation(struct vmmon_vcpu *vcpu,
					    const struct vmx_exit *exit)
{
	int err = vmmon_vm_fault_in(vcpu->vm, exit->gpa);

	if (!err) {
		vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_EPT_FAULT);
		return VMX_NEXT_RESUME;
	}
	if (err == -ENOENT)
		return vmx_exit_mmio(vcpu, exit);
	vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_OTHER);
	vmx_exit_internal(vcpu->run, VMMON_INTERNAL_NO_MEMORY, exit->gpa, -err);
	return VMX_NEXT_USER;
}

enum vmx_next vmx_exit_sleepable(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	switch (exit->reason & VMX_EXIT_REASON_BASIC_MASK) {
	case VMX_EXIT_EPT_VIOLATION:
		return vmx_exit_ept_violation(vcpu, exit);
	case VMX_EXIT_IO_INSTRUCTION:
		return vmx_exit_string_io(vcpu, exit);
	}
	vmx_exit_internal(vcpu->run, VMMON_INTERNAL_UNHANDLED_EXIT,
			  exit->reason, exit->qualification);
	return VMX_NEXT_USER;
}

/*
 * Finish the exit userspace has answered: the data of an IN or an MMIO
 * read, the result of a hypercall.  Called by RUN before entering.
 */
int vmx_exit_complete(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	enum vmx_pending pending = vx->pending;

	vx->pending = VMX_PENDING_NONE;
	switch (pending) {
	case VMX_PENDING_NONE:
		break;
	case VMX_PENDING_IN:
		/* IN to AL or AX keeps the rest of RAX; to EAX clears it. */
		if (vx->sio.size == 4)
			vx->regs.rax = 0;
		memcpy(&vx->regs.rax, run->data, vx->sio.size);
		break;
	case VMX_PENDING_HYPERCALL:
		vx->regs.rax = run->hypercall.ret;
		break;
	case VMX_PENDING_MMIO_READ:
		return vmx_mmio_complete(vcpu);
	case VMX_PENDING_INS:
		return vmx_string_in_complete(vcpu);
	}
	return 0;
}
