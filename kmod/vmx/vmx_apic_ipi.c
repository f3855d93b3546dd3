// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's fixed IPIs to another vCPU, x2APIC mode, taken in the
 * kernel (VMMON_APIC_IPI_IN_KERNEL): a Linux guest sends one for each
 * reschedule, TLB shootdown and function call, and the sender's return
 * to userspace for each cost more than the IPI's delivery itself.  The
 * x2APIC ICR is one WRMSR with the destination in it, and in x2APIC mode
 * an APIC's ID is its vCPU's id, read-only, so vmmon can find the target
 * without userspace's model.
 *
 * Only the common form stays here: fixed delivery, edge trigger,
 * physical destination, no shorthand, a valid vector, a target whose
 * userspace said its APIC takes fixed interrupts now.  The rest (INIT,
 * SIPI, NMI, logical and broadcast destinations, self IPIs, illegal
 * vectors and their ESR bits) is rare and stays userspace's.
 *
 * vmmon only marks the vector in the target's IRR, the way a device
 * thread of userspace does, and makes the target's RUN return so that
 * its own thread injects it (vmmon_vcpu_deliver_ipi(), which has the
 * ordering).
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <uapi/vmmon.h>
#include "vmmon_backend.h"
#include "vmx_vcpu.h"

#define VMX_ICR_VECTOR		GENMASK_ULL(7, 0)
#define VMX_ICR_DELIVERY	GENMASK_ULL(10, 8)
#define VMX_ICR_LOGICAL		BIT_ULL(11)
#define VMX_ICR_ASSERT		BIT_ULL(14)	/* level: assert */
#define VMX_ICR_TRIGGER_LEVEL	BIT_ULL(15)
#define VMX_ICR_SHORTHAND	GENMASK_ULL(19, 18)
#define VMX_ICR_DEST		GENMASK_ULL(63, 32)
/* Bits an x2APIC ICR write may set (SDM 3A 11.12.9): the rest #GP. */
#define VMX_ICR_WRITABLE	(VMX_ICR_VECTOR | VMX_ICR_DELIVERY | \
				 VMX_ICR_LOGICAL | VMX_ICR_ASSERT | \
				 VMX_ICR_TRIGGER_LEVEL | VMX_ICR_SHORTHAND | \
				 VMX_ICR_DEST)
#define VMX_ICR_FIXED		0	/* delivery mode */
#define VMX_ICR_NO_SHORTHAND	0
#define VMX_APIC_FIRST_VECTOR	16	/* 0-15 are illegal (SDM 11.5.3) */

/* Whether an ICR value has the common form. */
static bool vmx_apic_ipi_common(u64 icr)
{
	return !(icr & ~VMX_ICR_WRITABLE) &&
	       FIELD_GET(VMX_ICR_DELIVERY, icr) == VMX_ICR_FIXED &&
	       !(icr & (VMX_ICR_LOGICAL | VMX_ICR_TRIGGER_LEVEL)) &&
	       FIELD_GET(VMX_ICR_SHORTHAND, icr) == VMX_ICR_NO_SHORTHAND &&
	       FIELD_GET(VMX_ICR_VECTOR, icr) >= VMX_APIC_FIRST_VECTOR;
}

bool vmx_apic_ipi(struct vmmon_vcpu *vcpu, u64 icr)
{
	struct vmmon_vcpu *target;

	if (!vmmon_vcpu_takes_ipis(vcpu) || !vmx_apic_ipi_common(icr))
		return false;
	target = vmmon_vcpu_peer(vcpu, FIELD_GET(VMX_ICR_DEST, icr));
	if (!target || target == vcpu ||
	    !vmmon_vcpu_deliver_ipi(target, FIELD_GET(VMX_ICR_VECTOR, icr)))
		return false;
	/* The ICR reads back as written (userspace's RDMSR of it). */
	WRITE_ONCE(vcpu->run->apic.icr_low, (u32)icr);
	WRITE_ONCE(vcpu->run->apic.icr_high, icr >> 32);
	return true;
}
