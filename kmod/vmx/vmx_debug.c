// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's debug registers and debug exceptions, as the CPU has them
 * (SDM 3B chapter 18, "Debug, Branch Profile, TSC, and Intel Resource
 * Director Technology Features").
 *
 * Every MOV to or from a debug register exits (MOV-DR exiting), so vmmon
 * keeps the guest's values and answers its reads, with the checks the CPU
 * makes: #GP outside ring 0, #UD for DR4/DR5 with CR4.DE, #DB for any
 * access while DR7.GD is set.  Every #DB exits too (the exception
 * bitmap): a #DB that exits leaves DR6 and DR7 as they were, the exit
 * qualification saying what the CPU would have put in DR6 (SDM 3C
 * 27.1), and vmmon updates its copy and delivers the #DB itself.  So the
 * guest's DR6 is never in the CPU, and the host's is never the guest's.
 * DR7 and DEBUGCTL are the VMCS's, loaded at each entry and cleared at
 * each exit; DR0-DR3 are put in the CPU before an entry only while the
 * guest has a breakpoint enabled, and the host's come back after the
 * exit where the host uses breakpoints (hw_breakpoint_restore() in the
 * run loop), as KVM does.
 *
 * Single-step traps of instructions vmmon completes itself are raised by
 * vmx_insn_done(); those of instructions the guest runs come from the CPU.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <asm/processor.h>
#include <asm/debugreg.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

/* DR7 (SDM 3B 18.2.4): no RTM debugging (bit 11), bits 12, 14, 15 zero. */
#define VMX_DR7_ENABLES		GENMASK_ULL(7, 0)	/* L0/G0 .. L3/G3 */
#define VMX_DR7_GD		BIT_ULL(13)
#define VMX_DR7_WRITABLE	(GENMASK_ULL(31, 16) | VMX_DR7_GD | \
				 GENMASK_ULL(9, 0))

/* The exit qualification of a #DB (SDM 3C table 28-1): DR6's bits. */
#define VMX_DB_QUAL_DR6_BITS	(VMX_DR6_TRAP_BITS | VMX_DR6_BD | VMX_DR6_BS)

#define VMX_CS_AR_L		BIT(13)

/*
 * A #DB for the guest at its next entry, reporting @dr6_bits in DR6.
 * B0-B3 say which breakpoints matched this time; the CPU leaves the
 * other bits as they were (the handler clears them), and so does vmmon.
 */
void vmx_queue_db(struct vmx_vcpu *vx, u64 dr6_bits)
{
	vx->dr6 = (vx->dr6 & ~VMX_DR6_TRAP_BITS) | dr6_bits;
	vmx_queue_exception(vx, X86_TRAP_DB, false, 0);
}

/*
 * A #DB enters the guest's handler: the CPU clears DR7.GD, so that the
 * handler may use the debug registers, and DEBUGCTL.BTF (SDM 3B 18.2.4
 * and 18.4.3).  The VMCS is loaded.
 */
void vmx_debug_deliver(struct vmx_vcpu *vx)
{
	u64 pending = vmcs_readl(VMCS_GUEST_PENDING_DBG_EXCEPTIONS);

	/*
	 * Debug traps the CPU held back at the exit (a single step in a
	 * MOV SS shadow, SDM 3C 25.4.2) come with this #DB, as one.
	 */
	if (pending) {
		vx->dr6 |= pending & (VMX_DR6_TRAP_BITS | VMX_DR6_BS);
		vmcs_writel(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	}
	/*
	 * The handler starts outside any STI or MOV SS shadow; left in the
	 * VMCS with TF set and no single step pending, the shadow would
	 * fail VM entry (SDM 3C 26.3.1.5), e.g. a step over STI.
	 */
	vmx_end_shadow(vx);
	if (vx->dr7 & VMX_DR7_GD) {
		vx->dr7 &= ~VMX_DR7_GD;
		vmcs_writel(VMCS_GUEST_DR7, vx->dr7);
	}
	if (vx->debugctl & DEBUGCTLMSR_BTF) {
		vx->debugctl &= ~DEBUGCTLMSR_BTF;
		vmcs_write64(VMCS_GUEST_DEBUGCTL, vx->debugctl);
	}
}

/* Interrupts off, right before the entry. */
void vmx_debug_before_entry(struct vmx_vcpu *vx)
{
	if (!(vx->dr7 & VMX_DR7_ENABLES))
		return;
	/* The host's enabled breakpoints must not match the guest's addresses. */
	if (hw_breakpoint_active())
		set_debugreg(0, 7);
	set_debugreg(vx->dr[0], 0);
	set_debugreg(vx->dr[1], 1);
	set_debugreg(vx->dr[2], 2);
	set_debugreg(vx->dr[3], 3);
}

/* Outside 64-bit mode a MOV DR moves the low 32 bits of the register. */
static u64 vmx_dr_operand_mask(void)
{
	bool lma = vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA;

	return lma && (vmcs_read32(VMCS_GUEST_CS_AR) & VMX_CS_AR_L) ?
	       ~0ULL : 0xffffffffULL;
}

/* MOV to or from DR0-DR7, in the order of the CPU's checks. */
enum vmx_next vmx_exit_dr(struct vmmon_vcpu *vcpu, const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 q = exit->qualification, mask = vmx_dr_operand_mask();
	unsigned int dr = q & VMX_DR_QUAL_DR_MASK;
	u64 *gpr = vmx_gpr(vx, (q >> VMX_DR_QUAL_GPR_SHIFT) &
			   VMX_DR_QUAL_GPR_MASK);
	u64 val = *gpr & mask;

	if (vmx_guest_cpl())
		return vmx_fault(vx, X86_TRAP_GP);
	/* DR4 and DR5 are DR6 and DR7 unless debug extensions are on. */
	if (dr == 4 || dr == 5) {
		if (vmx_guest_cr4(vx) & X86_CR4_DE)
			return vmx_fault(vx, X86_TRAP_UD);
		dr += 2;
	}
	/* General detect: a fault, before the access (RF as for faults). */
	if (vx->dr7 & VMX_DR7_GD) {
		vmx_queue_db(vx, VMX_DR6_BD);
		vx->rflags |= X86_EFLAGS_RF;
		return VMX_NEXT_RESUME;
	}
	if (q & VMX_DR_QUAL_FROM_DR) {
		*gpr = (dr < 4 ? vx->dr[dr] : dr == 6 ? vx->dr6 : vx->dr7) &
		       mask;
	} else if (dr < 4) {
		vx->dr[dr] = val;
	} else if (val >> 32) {
		return vmx_fault(vx, X86_TRAP_GP);
	} else if (dr == 6) {
		vx->dr6 = (val & VMX_DR6_WRITABLE) | VMX_RESET_DR6;
	} else {
		vx->dr7 = (val & VMX_DR7_WRITABLE) | VMX_RESET_DR7;
		vmcs_writel(VMCS_GUEST_DR7, vx->dr7);
	}
	vmx_insn_done(vx, exit->insn_len);
	return VMX_NEXT_RESUME;
}

/*
 * A #DB in the guest: a breakpoint matched, a single step or a task
 * switch trap, DR7.GD on a MOV DR that did not exit, or ICEBP (INT1).
 * The exit comes before delivery; vmmon delivers it with DR6 updated.
 * ICEBP exits with RIP on the instruction, as a software exception does
 * (SDM 3C 27.2.1), and is a trap: the #DB comes after it.
 */
enum vmx_next vmx_exit_db(struct vmmon_vcpu *vcpu, const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;

	/*
	 * The exit may have cut short the delivery of another event (a data
	 * breakpoint on the stack it pushed to), which vmx_read_exit() kept
	 * to deliver again: the #DB condition comes back with it, if it is
	 * a fault, and a trap's is lost, as KVM loses it.
	 */
	if (vx->event.info)
		return VMX_NEXT_RESUME;
	if ((exit->intr_info & VMX_INTR_INFO_TYPE_MASK) ==
	    VMX_INTR_INFO_TYPE_PRIV_SOFT_EXC) {
		vx->rip += exit->insn_len;
		vx->rflags &= ~X86_EFLAGS_RF;
	}
	vmx_queue_db(vx, exit->qualification & VMX_DB_QUAL_DR6_BITS);
	return VMX_NEXT_RESUME;
}
