// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's EOI taken in the kernel, x2APIC (WRMSR of 0 to 0x80b) or
 * xAPIC (a 32-bit MOV to the APIC page's EOI register): a guest writes
 * it once per interrupt, and a return to userspace for each costs far
 * more than the EOI itself.  Userspace's
 * local APIC offers this by keeping its ISR, TMR and IRR in the run page
 * (run.apic, VMMON_APIC_EOI_IN_KERNEL); the rest of the APIC stays
 * userspace's.
 *
 * Who writes what: the vCPU's thread in userspace moves vectors from IRR
 * to ISR, only between RUNs; other threads (devices, other vCPUs' IPIs)
 * set IRR and TMR bits at any time; vmmon clears ISR bits, only inside
 * RUN, so that it never races with the IRR-to-ISR move.
 *
 * Ordering with a thread that sets an IRR bit and then reads ISR to
 * decide whether the vector is deliverable (and the vCPU worth a kick):
 * vmmon clears the ISR bit with a locked instruction, a full barrier,
 * and only then reads IRR; the other thread puts a full barrier between
 * its IRR store and its ISR load.  So at least one of them sees the
 * other's store: vmmon finds the IRR bit and returns VMMON_EXIT_EOI, or
 * the thread finds the ISR bit clear, the vector deliverable, and kicks.
 * Either way userspace looks at the APIC before the interrupt can wait.
 *
 * The xAPIC ICR's high half and the reads of its low half, likewise
 * against run.apic when userspace keeps the ICR there
 * (VMMON_APIC_ICR_IN_KERNEL): Linux writes the destination and polls
 * the delivery status around each IPI it sends, two exits of the three
 * an IPI cost.  The vCPU's own thread and RUN touch these fields, and
 * another vCPU's INIT resets them while this one runs; that needs no
 * ordering: a store of vmmon's just after the reset stays, as the
 * guest's own write would after such a race with INIT on a CPU.  The
 * low half's write, the IPI itself, goes to vmx_apic_ipi.c, which sends
 * the common forms to other vCPUs (VMMON_APIC_IPI_IN_KERNEL) and leaves
 * the rest to userspace.
 */
#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <asm/msr-index.h>
#include <uapi/vmmon.h>
#include "vmmon_backend.h"
#include "vmx_vcpu.h"

#define VMX_APIC_WORD_BITS	32
#define VMX_APIC_EXTD		BIT_ULL(10)	/* IA32_APIC_BASE: x2APIC mode */
#define VMX_APIC_PAGE_MASK	(~(u64)(PAGE_SIZE - 1))
#define VMX_XAPIC_EOI		0xb0	/* EOI's offset in the APIC page */
#define VMX_XAPIC_ICR_LOW	0x300
#define VMX_XAPIC_ICR_HIGH	0x310
#define VMX_XAPIC_ICR_DEST	GENMASK(31, 24)	/* ICR high's only field */
#define VMX_APIC_REG_SIZE	4	/* registers are 32 bits (SDM 11.4.1) */

/* The highest vector set in one of run.apic's registers, or -1. */
static int vmx_apic_highest(const __u32 *bits)
{
	int i;
	u32 word;

	for (i = VMMON_APIC_VEC_WORDS - 1; i >= 0; i--) {
		word = READ_ONCE(bits[i]);
		if (word)
			return i * VMX_APIC_WORD_BITS + __fls(word);
	}
	return -1;
}

/* What the EOI did to run.apic's registers, and whether userspace must see it. */
enum vmx_eoi {
	VMX_EOI_USER,		/* not taken: userspace's usual exit */
	VMX_EOI_TAKEN,		/* done: enter the guest again */
	VMX_EOI_TAKEN_IRR,	/* done, IRR not empty: VMMON_EXIT_EOI */
};

static enum vmx_eoi vmx_apic_eoi_vectors(struct vmmon_run *run)
{
	struct vmmon_apic_vectors *apic = &run->apic;
	int vector;

	/* clear_bit() below works on the 256 ISR bits as longs. */
	BUILD_BUG_ON(offsetof(struct vmmon_run, apic.isr) % sizeof(long));
	BUILD_BUG_ON(sizeof(struct vmmon_run) > PAGE_SIZE);

	if (!(READ_ONCE(apic->flags) & VMMON_APIC_EOI_IN_KERNEL))
		return VMX_EOI_USER;
	vector = vmx_apic_highest(apic->isr);
	/* Nothing in service: the EOI changes nothing (userspace agrees). */
	if (vector < 0)
		return VMX_EOI_TAKEN;
	/* Level-triggered: the I/O APIC (or LINT0) must hear of it. */
	if (READ_ONCE(apic->tmr[vector / VMX_APIC_WORD_BITS]) &
	    BIT(vector % VMX_APIC_WORD_BITS))
		return VMX_EOI_USER;
	clear_bit(vector, (unsigned long *)apic->isr);
	smp_mb__after_atomic();
	if (vmx_apic_highest(apic->irr) >= 0)
		return VMX_EOI_TAKEN_IRR;
	return VMX_EOI_TAKEN;
}

bool vmx_apic_eoi(struct vmmon_vcpu *vcpu, unsigned int insn_len,
		  enum vmx_next *next)
{
	switch (vmx_apic_eoi_vectors(vcpu->run)) {
	case VMX_EOI_USER:
		return false;
	case VMX_EOI_TAKEN_IRR:
		vcpu->run->exit_reason = VMMON_EXIT_EOI;
		*next = VMX_NEXT_USER;
		break;
	case VMX_EOI_TAKEN:
		*next = VMX_NEXT_RESUME;
		break;
	}
	vmx_insn_done(vcpu->hw, insn_len);
	return true;
}

/* Whether an access of @size bytes at @gpa is the xAPIC register @offset. */
static bool vmx_apic_xapic_reg(const struct vmx_vcpu *vx, u64 gpa,
			       unsigned int size, unsigned int offset)
{
	u64 mode = vx->apic_base & (MSR_IA32_APICBASE_ENABLE | VMX_APIC_EXTD);

	return mode == MSR_IA32_APICBASE_ENABLE &&
	       gpa == (vx->apic_base & VMX_APIC_PAGE_MASK) + offset &&
	       size == VMX_APIC_REG_SIZE;
}

bool vmx_apic_is_xapic_eoi(const struct vmx_vcpu *vx, u64 gpa,
			   unsigned int size)
{
	return vmx_apic_xapic_reg(vx, gpa, size, VMX_XAPIC_EOI);
}

static bool vmx_apic_icr_in_kernel(const struct vmmon_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->apic.flags) & VMMON_APIC_ICR_IN_KERNEL;
}

bool vmx_apic_xapic_icr_store(struct vmmon_vcpu *vcpu, u64 gpa,
			      unsigned int size, u64 data)
{
	u32 high;

	if (!vmx_apic_icr_in_kernel(vcpu))
		return false;
	if (vmx_apic_xapic_reg(vcpu->hw, gpa, size, VMX_XAPIC_ICR_HIGH)) {
		/* The reserved bits 55:32 read as 0 (SDM 3A figure 11-12). */
		WRITE_ONCE(vcpu->run->apic.icr_high,
			   (u32)data & VMX_XAPIC_ICR_DEST);
		return true;
	}
	if (!vmx_apic_xapic_reg(vcpu->hw, gpa, size, VMX_XAPIC_ICR_LOW))
		return false;
	high = READ_ONCE(vcpu->run->apic.icr_high);
	return vmx_apic_xapic_ipi(vcpu, data,
				  FIELD_GET(VMX_XAPIC_ICR_DEST, high));
}

bool vmx_apic_xapic_icr_load(struct vmmon_vcpu *vcpu, u64 gpa,
			     unsigned int size, u64 *data)
{
	if (!vmx_apic_icr_in_kernel(vcpu) ||
	    !vmx_apic_xapic_reg(vcpu->hw, gpa, size, VMX_XAPIC_ICR_LOW))
		return false;
	*data = READ_ONCE(vcpu->run->apic.icr_low);
	return true;
}
