// SPDX-License-Identifier: GPL-2.0
/*
 * VM exits, dispatched by one table (vmx_exits[]): a handler per
 * reason.  Most run at once, with the VMCS still loaded and the guest's
 * FPU and MSRs in the CPU, so that CPUID, RDMSR and the like cost one
 * VMRESUME; those that may sleep (EPT faults allocate pages, MMIO and
 * string I/O read guest memory, the core's hypercalls free it) run after
 * the VMCS is put away.  An exit vmmon does not understand never resumes
 * the guest: userspace gets an internal error naming it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/pgtable_types.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

void vmx_exit_internal(struct vmmon_vcpu *vcpu, u32 suberror, u64 d0, u64 d1)
{
	struct vmmon_run *run = vcpu->run;

	vcpu->stopped = VMMON_EVENT_INTERNAL_ERROR;
	run->exit_reason = VMMON_EXIT_INTERNAL;
	run->internal.suberror = suberror;
	run->internal.data[0] = d0;
	run->internal.data[1] = d1;
}

static enum vmx_next vmx_skip(struct vmx_vcpu *vx, const struct vmx_exit *exit)
{
	vmx_insn_done(vx, exit->insn_len);
	return VMX_NEXT_RESUME;
}

static enum vmx_next vmx_exit_unhandled(struct vmmon_vcpu *vcpu,
					const struct vmx_exit *exit)
{
	vmx_exit_internal(vcpu, VMMON_INTERNAL_UNHANDLED_EXIT,
			  exit->reason, exit->qualification);
	return VMX_NEXT_USER;
}

#define VMX_CPUID1_ECX_OSXSAVE	BIT(X86_FEATURE_OSXSAVE & 31)
#define VMX_CPUID1_EDX_APIC	BIT(X86_FEATURE_APIC & 31)

static enum vmx_next vmx_exit_cpuid(struct vmmon_vcpu *vcpu,
				    const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 out[4];

	vmmon_cpuid_lookup(vcpu, vx->regs.rax, vx->regs.rcx, out);
	/*
	 * As on hardware, CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE, and
	 * EDX.APIC is clear while IA32_APIC_BASE disables the APIC.
	 */
	if ((u32)vx->regs.rax == 1) {
		out[2] &= ~VMX_CPUID1_ECX_OSXSAVE;
		if (vmx_guest_cr4(vx) & X86_CR4_OSXSAVE)
			out[2] |= VMX_CPUID1_ECX_OSXSAVE;
		if (!(vx->apic_base & MSR_IA32_APICBASE_ENABLE))
			out[3] &= ~VMX_CPUID1_EDX_APIC;
	}
	vx->regs.rax = out[0];
	vx->regs.rbx = out[1];
	vx->regs.rcx = out[2];
	vx->regs.rdx = out[3];
	return vmx_skip(vx, exit);
}

/*
 * RDMSR or WRMSR of @index for userspace (VMMON_EXIT_MSR): an access to
 * answer (@pending _READ or _WRITE), or the notice of a write vmmon
 * took (_NOTICE).  The instruction completes at the next RUN.
 */
static enum vmx_next vmx_msr_to_user(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit, u32 index,
				     u64 data, enum vmx_pending pending)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;

	run->exit_reason = VMMON_EXIT_MSR;
	run->msr.index = index;
	run->msr.is_write = pending != VMX_PENDING_MSR_READ;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.data = data;
	vx->pending = pending;
	vx->msr_insn_len = exit->insn_len;
	return VMX_NEXT_USER;
}

#define VMX_MSR_X2APIC_EOI	0x80b
#define VMX_MSR_X2APIC_ICR	0x830

static enum vmx_next vmx_exit_msr(struct vmmon_vcpu *vcpu,
				  const struct vmx_exit *exit, bool write)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 index = vx->regs.rcx;
	u64 data, old_apic_base = vx->apic_base;
	enum vmx_next next;

	if (!vmx_msr_offered(vcpu, index))
		return vmx_fault(vx, X86_TRAP_GP);
	data = write ? (vx->regs.rdx << 32) | (u32)vx->regs.rax : 0;
	if (vmx_msr_for_user(vcpu, index)) {
		/* A nonzero EOI is userspace's too: it gives the #GP. */
		if (write && index == VMX_MSR_X2APIC_EOI && !data &&
		    vmx_apic_eoi(vcpu, exit->insn_len, &next))
			return next;
		if (write && index == VMX_MSR_X2APIC_ICR &&
		    vmx_apic_ipi(vcpu, data))
			return vmx_skip(vx, exit);
		if (index == MSR_IA32_TSC_DEADLINE &&
		    vmx_apic_timer_msr(vcpu, write, &data)) {
			if (!write) {
				vx->regs.rax = (u32)data;
				vx->regs.rdx = data >> 32;
			}
			return vmx_skip(vx, exit);
		}
		return vmx_msr_to_user(vcpu, exit, index, data, write ?
				       VMX_PENDING_MSR_WRITE :
				       VMX_PENDING_MSR_READ);
	}
	if (write) {
		if (vmx_msr_write(vcpu, index, data, false))
			return vmx_fault(vx, X86_TRAP_GP);
		if (index == MSR_IA32_APICBASE && data != old_apic_base)
			return vmx_msr_to_user(vcpu, exit, index, data,
					       VMX_PENDING_MSR_NOTICE);
	} else {
		if (vmx_msr_read(vcpu, index, &data))
			return vmx_fault(vx, X86_TRAP_GP);
		vx->regs.rax = (u32)data;
		vx->regs.rdx = data >> 32;
	}
	return vmx_skip(vx, exit);
}

/* Bits 2:1 and 8:5 of a present PDPTE are reserved (SDM 3A 4.4.1). */
#define VMX_PDPTE_RSVD		(GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5))

/*
 * With PAE paging outside IA-32e mode, the CPU holds the 4 PDPTEs, and
 * loading one with reserved bits set (or an address beyond MAXPHYADDR)
 * is a #GP of the MOV that loads it, which VM entry would refuse.
 * Read and checked apart from their load for a task switch, which must
 * know every fault of the new task before it changes anything.
 */
int vmx_read_pdptes(struct vmmon_vcpu *vcpu, u64 cr3,
		    u64 pdpte[VMX_NR_PDPTES])
{
	u64 rsvd = VMX_PDPTE_RSVD |
		   ~GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0);
	int err, i;

	err = vmmon_vm_read_phys(vcpu->vm, cr3 & ~0x1fULL, pdpte,
				 VMX_NR_PDPTES * sizeof(*pdpte));
	if (err)
		return err;
	for (i = 0; i < VMX_NR_PDPTES; i++)
		if ((pdpte[i] & _PAGE_PRESENT) && (pdpte[i] & rsvd))
			return -EINVAL;
	return 0;
}

void vmx_write_pdptes(const u64 pdpte[VMX_NR_PDPTES])
{
	int i;

	for (i = 0; i < VMX_NR_PDPTES; i++)
		__vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
}

int vmx_load_pdptes(struct vmmon_vcpu *vcpu, u64 cr3)
{
	u64 pdpte[VMX_NR_PDPTES];
	int err;

	err = vmx_read_pdptes(vcpu, cr3, pdpte);
	if (!err)
		vmx_write_pdptes(pdpte);
	return err;
}

/*
 * MOV to CR0 (or LMSW) that exits because it changes a bit vmmon owns
 * (NE): do what the CPU would, mode switches included, or #GP.
 */
static int vmx_set_cr0(struct vmmon_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 old = vmx_guest_cr0();
	u64 efer = vmcs_read64(VMCS_GUEST_EFER);
	u64 cr4 = vmx_guest_cr4(vx);
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
 * MOV to CR4 that exits because it changes a bit vmmon owns (MCE, or one
 * the guest may not set: vmx_cr4_refused): do what the CPU would, or #GP.
 */
static int vmx_set_cr4(struct vmmon_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 old = vmx_guest_cr4(vx);
	u64 cr3 = vmcs_readl(VMCS_GUEST_CR3);
	bool lma = vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA;
	bool pae_paging = !lma && (vmx_guest_cr0() & X86_CR0_PG) &&
			  (val & X86_CR4_PAE);

	if (!vmx_cr4_valid(val, vx->cr4_hidden))
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
	vmx_exit_internal(vcpu, VMMON_INTERNAL_UNHANDLED_EXIT,
			  exit->reason, q);
	return VMX_NEXT_USER;
}

static enum vmx_next vmx_exit_xsetbv(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 xcr0 = (vx->regs.rdx << 32) | (u32)vx->regs.rax;

	if (vmx_guest_cpl() || (u32)vx->regs.rcx ||
	    vmmon_fpu_set_xcr0(&vx->fpu, xcr0))
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
	vmx_insn_done(vx, exit->insn_len);
	return VMX_NEXT_USER;
}

static enum vmx_next vmx_exit_vmcall(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit)
{
	/*
	 * Hypercalls are the guest kernel's: from user mode VMCALL faults
	 * as on a CPU with no hypervisor behind it (KVM refuses them too),
	 * so a guest's processes never reach the VMM's handlers.
	 */
	if (vmx_guest_cpl())
		return vmx_fault(vcpu->hw, X86_TRAP_UD);
	return VMX_NEXT_SLEEPABLE;
}

/*
 * The core serves some hypercalls itself (the balloon's, which read and
 * free guest memory, hence here); the others go to userspace.
 */
static enum vmx_next vmx_exit_hypercall(struct vmmon_vcpu *vcpu,
					const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	const u64 args[4] = {
		vx->regs.rbx, vx->regs.rcx, vx->regs.rdx, vx->regs.rsi,
	};
	u64 ret;

	vmx_insn_done(vx, exit->insn_len);
	if (vmmon_hypercall(vcpu, vx->regs.rax, args, &ret)) {
		vx->regs.rax = ret;
		return VMX_NEXT_RESUME;
	}
	run->exit_reason = VMMON_EXIT_HYPERCALL;
	run->hypercall.nr = vx->regs.rax;
	memcpy(run->hypercall.args, args, sizeof(args));
	run->hypercall.ret = 0;
	vx->pending = VMX_PENDING_HYPERCALL;
	return VMX_NEXT_USER;
}

static enum vmx_next vmx_exit_rdmsr(struct vmmon_vcpu *vcpu,
				    const struct vmx_exit *exit)
{
	return vmx_exit_msr(vcpu, exit, false);
}

static enum vmx_next vmx_exit_wrmsr(struct vmmon_vcpu *vcpu,
				    const struct vmx_exit *exit)
{
	return vmx_exit_msr(vcpu, exit, true);
}

/*
 * A host interrupt, taken with its softirqs when the run loop enabled
 * interrupts again, or the end of the time slice: the loop looks at
 * need_resched(), signals and suspend before it enters again, so the
 * batch goes on unless one of them says otherwise.
 */
static enum vmx_next vmx_exit_host_event(struct vmmon_vcpu *vcpu,
					 const struct vmx_exit *exit)
{
	return VMX_NEXT_RESUME;
}

/*
 * Exceptions exit only when the bitmap says so (#MC, #DB) and NMIs
 * always: the host's handlers took NMIs and machine checks in
 * vmx_world_switch(); a #DB is the guest's.
 */
static enum vmx_next vmx_exit_exception_nmi(struct vmmon_vcpu *vcpu,
					    const struct vmx_exit *exit)
{
	if (vmx_exit_is_nmi(exit))
		return VMX_NEXT_YIELD;
	if (vmx_exit_is_machine_check(exit))
		return VMX_NEXT_RESUME;
	if ((exit->intr_info & VMX_INTR_INFO_VECTOR_MASK) == X86_TRAP_DB)
		return vmx_exit_db(vcpu, exit);
	return vmx_exit_unhandled(vcpu, exit);
}

/* The guest can take the NMI that waits: vmx_prepare_entry() injects it. */
static enum vmx_next vmx_exit_nmi_window(struct vmmon_vcpu *vcpu,
					 const struct vmx_exit *exit)
{
	return VMX_NEXT_RESUME;
}

static enum vmx_next vmx_exit_triple_fault(struct vmmon_vcpu *vcpu,
					   const struct vmx_exit *exit)
{
	vcpu->stopped = VMMON_EVENT_SHUTDOWN;
	vcpu->run->exit_reason = VMMON_EXIT_SHUTDOWN;
	return VMX_NEXT_USER;
}

static enum vmx_next vmx_exit_irq_window(struct vmmon_vcpu *vcpu,
					 const struct vmx_exit *exit)
{
	/* What waits goes in at the next entry (an NMI: after STI's shadow). */
	if (vcpu->irq_pending >= 0 || vcpu->nmi_pending)
		return VMX_NEXT_RESUME;
	vcpu->run->exit_reason = VMMON_EXIT_IRQ_WINDOW;
	return VMX_NEXT_USER;
}

static enum vmx_next vmx_exit_hlt(struct vmmon_vcpu *vcpu,
				  const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vmx_insn_done(vx, exit->insn_len);
	/*
	 * An event vmmon holds (queued in an STI or MOV SS shadow, or
	 * while IF was 0) wakes the HLT at once, as a pending interrupt
	 * wakes the CPU after sti; hlt: the next entry delivers it.
	 */
	if ((vcpu->irq_pending >= 0 && vmx_can_take_interrupt(vx)) ||
	    (vcpu->nmi_pending && vmx_can_take_nmi(vx)))
		return VMX_NEXT_RESUME;
	/*
	 * So does an exception the HLT left for the next entry (the #DB
	 * of a single step over it): a debug exception resumes a HLT.
	 */
	if (vx->event.info & VMX_INTR_INFO_VALID)
		return VMX_NEXT_RESUME;
	vcpu->run->exit_reason = VMMON_EXIT_HLT;
	/*
	 * Userspace's wake-ups signal the thread inside RUN, so the HLT
	 * may wait here, unless userspace holds an interrupt for the window
	 * it asked for (sti; hlt: the window opens as the HLT ends).
	 */
	if ((READ_ONCE(vcpu->run->apic.flags) & VMMON_APIC_HLT_IN_KERNEL) &&
	    !READ_ONCE(vcpu->run->request_interrupt_window))
		return VMX_NEXT_SLEEPABLE;
	return VMX_NEXT_USER;
}

/*
 * The HLT's wait (VMMON_APIC_HLT_IN_KERNEL), with the VMCS put away:
 * another vCPU's IPI (vmmon_vcpu_deliver_ipi()), a signal or the TSC
 * deadline ends it, and RUN returns the HLT as without the wait.
 */
static enum vmx_next vmx_exit_hlt_wait(struct vmmon_vcpu *vcpu,
				       const struct vmx_exit *exit)
{
	ktime_t left = vmx_apic_timer_left(vcpu);

	/* Not with work for the way to user mode (task work, memory.high). */
	if (left > 0 && !vmx_user_work_pending())
		vmmon_vcpu_halt(vcpu, left);
	vcpu->run->exit_reason = VMMON_EXIT_HLT;
	return VMX_NEXT_USER;
}

/*
 * INVD, WBINVD: no device writes guest memory behind the caches' back,
 * so skipping the flush is exact, as in KVM without assigned devices.
 */
static enum vmx_next vmx_exit_cache(struct vmmon_vcpu *vcpu,
				    const struct vmx_exit *exit)
{
	return vmx_skip(vcpu->hw, exit);
}

/* RDPMC: no performance counters are offered. */
static enum vmx_next vmx_exit_gp(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	return vmx_fault(vcpu->hw, X86_TRAP_GP);
}

/* Features the guest is not given: as on a CPU without them. */
static enum vmx_next vmx_exit_ud(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	return vmx_fault(vcpu->hw, X86_TRAP_UD);
}

/* Handled in vmx_exit_sleepable() only. */
static enum vmx_next vmx_exit_later(struct vmmon_vcpu *vcpu,
				    const struct vmx_exit *exit)
{
	return VMX_NEXT_SLEEPABLE;
}

/* A guest access to a page the EPT does not map yet. */
static enum vmx_next vmx_exit_ept_violation(struct vmmon_vcpu *vcpu,
					    const struct vmx_exit *exit)
{
	int err = vmmon_vm_fault_in(vcpu->vm, exit->gpa,
				    exit->qualification & VMX_EPT_QUAL_WRITE);

	if (!err) {
		vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_EPT_FAULT);
		return VMX_NEXT_RESUME;
	}
	if (err == -ENOENT)
		return vmx_exit_mmio(vcpu, exit);
	vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_OTHER);
	vmx_exit_internal(vcpu, VMMON_INTERNAL_NO_MEMORY, exit->gpa, -err);
	return VMX_NEXT_USER;
}

/*
 * Every exit vmmon handles, a row per basic exit reason (SDM 3C appendix
 * C); a reason without a row stops the guest with an internal error.
 * @atomic:    runs at once, in the run loop: the VMCS loaded, the guest's
 *             FPU and MSRs in the CPU, preemption off, must not sleep.
 *             VMX_NEXT_SLEEPABLE hands the exit on to @sleepable.
 * @sleepable: runs after the VMCS is put away and may sleep (allocate
 *             guest pages, read guest memory).
 * @stat:      the counter it adds to; VMX_STAT_BY_HANDLER: @sleepable
 *             counts it once it knows (RAM fault or MMIO).
 * @paging:    @sleepable needs the guest's paging state and the
 *             linear/physical address, read from the VMCS at the exit.
 */
#define VMX_STAT_BY_HANDLER	VMMON_STAT_EXIT_NR

struct vmx_exit_kind {
	vmx_exit_fn atomic;
	vmx_exit_fn sleepable;
	u8 stat;
	bool paging;
};

#define VMX_EXIT_KIND_UD	{ vmx_exit_ud, NULL, VMMON_STAT_EXIT_OTHER }

static const struct vmx_exit_kind vmx_exits[] = {
	[VMX_EXIT_EXCEPTION_NMI] = { vmx_exit_exception_nmi, NULL, VMMON_STAT_EXIT_OTHER },
	[VMX_EXIT_EXTERNAL_INTERRUPT] = { vmx_exit_host_event, NULL, VMMON_STAT_EXIT_EXT_INTR },
	[VMX_EXIT_TRIPLE_FAULT] = { vmx_exit_triple_fault, NULL, VMMON_STAT_EXIT_OTHER },
	[VMX_EXIT_INTERRUPT_WINDOW] = { vmx_exit_irq_window, NULL, VMMON_STAT_EXIT_IRQ_WINDOW },
	[VMX_EXIT_NMI_WINDOW] = { vmx_exit_nmi_window, NULL, VMMON_STAT_EXIT_IRQ_WINDOW },
	[VMX_EXIT_TASK_SWITCH] = { vmx_exit_task_switch, vmx_exit_task_writes,
				   VMMON_STAT_EXIT_OTHER },
	[VMX_EXIT_CPUID] = { vmx_exit_cpuid, NULL, VMMON_STAT_EXIT_CPUID },
	[VMX_EXIT_GETSEC] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_HLT] = { vmx_exit_hlt, vmx_exit_hlt_wait, VMMON_STAT_EXIT_HLT },
	[VMX_EXIT_INVD] = { vmx_exit_cache, NULL, VMMON_STAT_EXIT_CACHE },
	[VMX_EXIT_RDPMC] = { vmx_exit_gp, NULL, VMMON_STAT_EXIT_OTHER },
	[VMX_EXIT_VMCALL] = { vmx_exit_vmcall, vmx_exit_hypercall,
			      VMMON_STAT_EXIT_HYPERCALL },
	[VMX_EXIT_VMCLEAR] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMLAUNCH] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMPTRLD] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMPTRST] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMREAD] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMRESUME] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMWRITE] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMXOFF] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_VMXON] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_CR_ACCESS] = { vmx_exit_cr, NULL, VMMON_STAT_EXIT_CR },
	[VMX_EXIT_DR_ACCESS] = { vmx_exit_dr, NULL, VMMON_STAT_EXIT_OTHER },
	/* OUT and IN here; INS and OUTS read or write guest memory. */
	[VMX_EXIT_IO_INSTRUCTION] = { vmx_exit_io, vmx_exit_string_io,
				      VMMON_STAT_EXIT_IO, true },
	[VMX_EXIT_RDMSR] = { vmx_exit_rdmsr, NULL, VMMON_STAT_EXIT_MSR },
	[VMX_EXIT_WRMSR] = { vmx_exit_wrmsr, NULL, VMMON_STAT_EXIT_MSR },
	[VMX_EXIT_MWAIT] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_MONITOR] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_EPT_VIOLATION] = { vmx_exit_later, vmx_exit_ept_violation,
				     VMX_STAT_BY_HANDLER, true },
	[VMX_EXIT_INVEPT] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_PREEMPTION_TIMER] = { vmx_exit_host_event, NULL, VMMON_STAT_EXIT_PREEMPT },
	[VMX_EXIT_INVVPID] = VMX_EXIT_KIND_UD,
	[VMX_EXIT_WBINVD] = { vmx_exit_cache, NULL, VMMON_STAT_EXIT_CACHE },
	[VMX_EXIT_XSETBV] = { vmx_exit_xsetbv, NULL, VMMON_STAT_EXIT_OTHER },
	[VMX_EXIT_VMFUNC] = VMX_EXIT_KIND_UD,
};

/* The row of @basic, or NULL for a reason vmmon does not handle. */
static const struct vmx_exit_kind *vmx_exit_kind(u32 basic)
{
	if (basic >= ARRAY_SIZE(vmx_exits) || !vmx_exits[basic].atomic)
		return NULL;
	return &vmx_exits[basic];
}

bool vmx_exit_needs_paging(u32 basic)
{
	const struct vmx_exit_kind *k = vmx_exit_kind(basic);

	return k && k->paging;
}

enum vmx_next vmx_exit_atomic(struct vmmon_vcpu *vcpu, struct vmx_exit *exit)
{
	struct vmmon_run *run = vcpu->run;
	const struct vmx_exit_kind *k;

	if (exit->entry_insn_failed) {
		vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_OTHER);
		vmx_exit_internal(vcpu, VMMON_INTERNAL_ENTRY_INSN_FAILED,
				  exit->insn_error, 0);
		return VMX_NEXT_USER;
	}
	if (exit->reason & VMX_EXIT_REASON_ENTRY_FAILED) {
		vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_OTHER);
		vcpu->stopped = VMMON_EVENT_INTERNAL_ERROR;
		run->exit_reason = VMMON_EXIT_FAIL_ENTRY;
		run->fail_entry.hw_reason = exit->reason;
		run->fail_entry.qualification = exit->qualification;
		return VMX_NEXT_USER;
	}
	k = vmx_exit_kind(exit->reason & VMX_EXIT_REASON_BASIC_MASK);
	if (!k) {
		vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_OTHER);
		return vmx_exit_unhandled(vcpu, exit);
	}
	if (k->stat != VMX_STAT_BY_HANDLER)
		vmmon_vcpu_count_exit(vcpu, k->stat);
	return k->atomic(vcpu, exit);
}

enum vmx_next vmx_exit_sleepable(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	const struct vmx_exit_kind *k =
		vmx_exit_kind(exit->reason & VMX_EXIT_REASON_BASIC_MASK);

	if (!k || !k->sleepable)
		return vmx_exit_unhandled(vcpu, exit);
	return k->sleepable(vcpu, exit);
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
	case VMX_PENDING_MSR_READ:
	case VMX_PENDING_MSR_WRITE:
		if (READ_ONCE(run->msr.error)) {
			vmx_queue_exception(vx, X86_TRAP_GP, true, 0);
			break;
		}
		if (pending == VMX_PENDING_MSR_READ) {
			vx->regs.rax = (u32)run->msr.data;
			vx->regs.rdx = run->msr.data >> 32;
		}
		fallthrough;
	case VMX_PENDING_MSR_NOTICE:
		vmx_insn_done(vx, vx->msr_insn_len);
		break;
	case VMX_PENDING_MMIO_READ:
		return vmx_mmio_complete(vcpu);
	case VMX_PENDING_INS:
		return vmx_string_in_complete(vcpu);
	}
	return 0;
}
