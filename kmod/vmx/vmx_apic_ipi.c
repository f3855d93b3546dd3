// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's fixed IPIs to another vCPU taken in the kernel
 * (VMMON_APIC_IPI_IN_KERNEL): a Linux guest sends one for each
 * reschedule, TLB shootdown and function call, and the sender's return
 * to userspace for each cost more than the IPI's delivery itself.
 *
 * x2APIC mode: the ICR is one WRMSR with the destination in it, and an
 * APIC's ID is its vCPU's id, read-only, so vmmon finds the target
 * without userspace's model.  xAPIC mode (what Linux uses under a
 * hypervisor it does not know): the write of the ICR's low half sends,
 * to the destination vmmon already keeps from the high half's write
 * (vmx_apic.c); userspace says which APIC ID and which flat logical ID
 * each vCPU has (run.apic.flat_id), as Linux's "flat" driver, which
 * sends every IPI in logical mode, gives each CPU one bit of LDR.
 *
 * Only the common form stays here: fixed delivery, edge trigger, no
 * shorthand, a valid vector, one target whose userspace said its APIC
 * takes fixed interrupts now.  The rest (INIT, SIPI, NMI, broadcasts,
 * several targets, cluster logical mode, self IPIs, illegal vectors and
 * their ESR bits) is rare and stays userspace's: a destination that
 * names several vCPUs cannot be half sent here and half there, so in
 * xAPIC mode, where the guest sets APIC IDs and logical IDs, vmmon
 * sends only where it knows every vCPU's (each run page's flag).
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
#define VMX_ICR_LOW		GENMASK_ULL(31, 0)
/* Bits an x2APIC ICR write may set (SDM 3A 11.12.9): the rest #GP. */
#define VMX_ICR_WRITABLE	(VMX_ICR_VECTOR | VMX_ICR_DELIVERY | \
				 VMX_ICR_LOGICAL | VMX_ICR_ASSERT | \
				 VMX_ICR_TRIGGER_LEVEL | VMX_ICR_SHORTHAND | \
				 VMX_ICR_DEST)
#define VMX_ICR_FIXED		0	/* delivery mode */
#define VMX_ICR_NO_SHORTHAND	0
#define VMX_APIC_FIRST_VECTOR	16	/* 0-15 are illegal (SDM 11.5.3) */
#define VMX_XAPIC_BROADCAST	0xff	/* destination: all */

/*
 * Whether an ICR value has the common form, in physical or logical
 * destination mode.
 */
static bool vmx_apic_ipi_fixed(u64 icr)
{
	return FIELD_GET(VMX_ICR_DELIVERY, icr) == VMX_ICR_FIXED &&
	       !(icr & VMX_ICR_TRIGGER_LEVEL) &&
	       FIELD_GET(VMX_ICR_SHORTHAND, icr) == VMX_ICR_NO_SHORTHAND &&
	       FIELD_GET(VMX_ICR_VECTOR, icr) >= VMX_APIC_FIRST_VECTOR;
}

/* @icr's vector into @target's IRR; false when userspace must send it. */
static bool vmx_apic_ipi_send(struct vmmon_vcpu *vcpu,
			      struct vmmon_vcpu *target, u64 icr)
{
	return target && target != vcpu &&
	       vmmon_vcpu_deliver_ipi(target, FIELD_GET(VMX_ICR_VECTOR, icr));
}

bool vmx_apic_ipi(struct vmmon_vcpu *vcpu, u64 icr)
{
	struct vmmon_vcpu *target;

	/* A reserved bit #GPs in x2APIC mode (userspace's). */
	if (!vmmon_vcpu_takes_ipis(vcpu) || (icr & ~VMX_ICR_WRITABLE) ||
	    (icr & VMX_ICR_LOGICAL) || !vmx_apic_ipi_fixed(icr))
		return false;
	target = vmmon_vcpu_peer(vcpu, FIELD_GET(VMX_ICR_DEST, icr));
	if (!vmx_apic_ipi_send(vcpu, target, icr))
		return false;
	/* The ICR reads back as written (userspace's RDMSR of it). */
	WRITE_ONCE(vcpu->run->apic.icr_low, (u32)icr);
	WRITE_ONCE(vcpu->run->apic.icr_high, icr >> 32);
	return true;
}

/*
 * Whether an xAPIC destination @dest names @peer (of vCPU id @id): in
 * physical mode by its APIC ID, which is its id where userspace set the
 * flag, in logical mode by its flat ID; -1 when vmmon cannot tell, which
 * userspace's model might: no flag (the APIC disabled, its ID changed,
 * the vCPU not started) or a logical ID that is not flat (cluster model,
 * x2APIC mode).
 */
static int vmx_apic_xapic_match(struct vmmon_vcpu *peer, unsigned int id,
				u8 dest, bool logical)
{
	u32 flat;

	/* Acquire: the flat ID userspace stored before it set the flag. */
	if (!(smp_load_acquire(&peer->run->apic.flags) &
	      VMMON_APIC_IPI_IN_KERNEL))
		return -1;
	if (!logical)
		return id == dest;
	flat = READ_ONCE(peer->run->apic.flat_id);
	if (flat & VMMON_APIC_NOT_FLAT)
		return -1;
	return !!(flat & dest);
}

/*
 * The one vCPU an xAPIC destination names, or NULL: none, several, or
 * one vmmon cannot tell about.  The sender alone is refused by
 * vmx_apic_ipi_send().
 */
static struct vmmon_vcpu *vmx_apic_xapic_target(struct vmmon_vcpu *vcpu,
						u8 dest, bool logical)
{
	struct vmmon_vcpu *peer, *target = NULL;
	unsigned int id;
	int match;

	for (id = 0; id < VMMON_MAX_VCPUS; id++) {
		peer = vmmon_vcpu_peer(vcpu, id);
		if (!peer)
			continue;
		match = vmx_apic_xapic_match(peer, id, dest, logical);
		if (match < 0 || (match && target))
			return NULL;
		if (match)
			target = peer;
	}
	return target;
}

bool vmx_apic_xapic_ipi(struct vmmon_vcpu *vcpu, u32 low, u8 dest)
{
	u64 icr = low & (VMX_ICR_WRITABLE & VMX_ICR_LOW);
	struct vmmon_vcpu *target;

	/* 0xff is a broadcast in both modes, for the sender too. */
	if (!vmmon_vcpu_takes_ipis(vcpu) || !vmx_apic_ipi_fixed(icr) ||
	    dest == VMX_XAPIC_BROADCAST)
		return false;
	target = vmx_apic_xapic_target(vcpu, dest, icr & VMX_ICR_LOGICAL);
	if (!vmx_apic_ipi_send(vcpu, target, icr))
		return false;
	/* Read back without the reserved bits, delivery status idle. */
	WRITE_ONCE(vcpu->run->apic.icr_low, (u32)icr);
	return true;
}
