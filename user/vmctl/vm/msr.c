// SPDX-License-Identifier: GPL-2.0
/*
 * VMMON_EXIT_MSR: the MSRs vmmon leaves to vmctl's local APIC.  The
 * x2APIC registers (0x800-0x8ff, only in x2APIC mode) and the TSC
 * deadline (0x6e0, only where CPUID offers it) are the guest's RDMSR
 * and WRMSR, answered here; IA32_APIC_BASE (0x1b) is a notice of a
 * change vmmon already checked and took.  Anything else gives #GP.
 * The EOIs of edge-triggered vectors do not come here once the LAPIC
 * keeps ISR, TMR, IRR and the ICR in the run page
 * (vcpu_share_apic_vectors()).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include "vm/vm.h"
#include "vmctl.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_APIC_BASE	0x1b
#define MSR_IA32_TSC_DEADLINE	0x6e0
struct msr_list {
	struct vmmon_msrs hdr;
	struct vmmon_msr_entry e[1];
};

/*
 * The guest's TSC now, on the vCPU's own thread: read at each deadline
 * write instead of keeping an offset, so that a guest that writes its
 * TSC (IA32_TSC, TSC_ADJUST) is still right.
 */
static int vcpu_guest_tsc(struct vcpu *v, uint64_t *tsc)
{
	struct msr_list m = { .hdr.nmsrs = 1, .e[0].index = MSR_IA32_TSC };

	if (ioctl(v->fd, VMMON_GET_MSRS, &m)) {
		vmctl_err("vCPU %u: cannot read the guest's TSC: %s", v->id,
			  strerror(errno));
		return -1;
	}
	*tsc = m.e[0].data;
	return 0;
}

/* IA32_TSC_DEADLINE; false when the VM must end. */
static bool vcpu_tsc_deadline(struct vcpu *v, struct vmmon_run *run)
{
	struct lapic *l = &v->lapic;
	uint64_t tsc = 0;

	if (!run->msr.is_write) {
		run->msr.data = lapic_tsc_deadline_read(l);
		return true;
	}
	/* Ignored outside TSC-deadline mode; 0 disarms without the TSC. */
	if (lapic_tsc_deadline_mode(l) && run->msr.data &&
	    vcpu_guest_tsc(v, &tsc))
		return false;
	lapic_tsc_deadline_write(l, run->msr.data, tsc);
	return true;
}

/*
 * The TSC deadline in vmmon (VMMON_APIC_TIMER_IN_KERNEL) where the
 * module offers it: while the LAPIC timer is in TSC-deadline mode the
 * deadline goes to the run page for each RUN, vmmon answers the guest's
 * RDMSR and WRMSR of it and times it while the guest runs, and it comes
 * back when RUN returns (VMMON_EXIT_APIC_TIMER when it fired).  The
 * LAPIC's own timer runs only where the vCPU thread sleeps between RUNs,
 * in a HLT: a tickless guest writes the deadline at every timer event,
 * and each write used to cost an exit here and a read of its TSC.
 */
void vcpu_timer_to_run(struct vcpu *v)
{
	struct vmmon_apic_vectors *apic = &v->run->apic;

	if (!v->vm->apic_timer_in_kernel)
		return;
	if (!lapic_tsc_deadline_mode(&v->lapic)) {
		apic->flags &= ~VMMON_APIC_TIMER_IN_KERNEL;
		return;
	}
	apic->tsc_deadline = lapic_tsc_deadline_hand_over(&v->lapic);
	apic->flags |= VMMON_APIC_TIMER_IN_KERNEL;
}

void vcpu_timer_from_run(struct vcpu *v)
{
	const struct vmmon_apic_vectors *apic = &v->run->apic;

	if (apic->flags & VMMON_APIC_TIMER_IN_KERNEL)
		lapic_tsc_deadline_set(&v->lapic, apic->tsc_deadline);
}

bool vcpu_timer_before_halt(struct vcpu *v)
{
	struct lapic *l = &v->lapic;
	uint64_t deadline = lapic_tsc_deadline_read(l), tsc;

	if (!(v->run->apic.flags & VMMON_APIC_TIMER_IN_KERNEL) ||
	    !deadline || l->timer.armed)
		return true;
	if (vcpu_guest_tsc(v, &tsc))
		return false;
	lapic_tsc_deadline_write(l, deadline, tsc);
	return true;
}

/*
 * vmmon delivers an IPI itself only to a vCPU inside RUN, so the vCPU's
 * own exits that change its APIC (SVR, IA32_APIC_BASE, and in xAPIC
 * mode ID, LDR and DFR) are seen here before it counts; another vCPU's
 * INIT, which comes during the RUN, clears the flag at once
 * (vm_apic_init()).  In xAPIC mode the module needs the ICR in the run
 * page (VMMON_APIC_ICR_IN_KERNEL), where it keeps the destination.
 *
 * A HLT waits in the module only with the IPIs there: every other waker
 * (vm_kick()) signals a vCPU inside RUN, which costs more than the
 * condition variable vcpu_halt() waits on, and only the IPIs gain.
 */
void vcpu_ipi_to_run(struct vcpu *v)
{
	const struct lapic *l = &v->lapic;
	struct vmmon_apic_vectors *apic = &v->run->apic;
	uint32_t flags = apic->flags & ~(VMMON_APIC_IPI_IN_KERNEL |
					 VMMON_APIC_HLT_IN_KERNEL);
	int flat;
	bool ipi;

	if (lapic_x2apic_mode(l))
		ipi = v->vm->apic_ipi_in_kernel && lapic_enabled(l);
	else
		ipi = v->vm->xapic_ipi_in_kernel &&
		      (flags & VMMON_APIC_ICR_IN_KERNEL) &&
		      lapic_xapic_as_made(l);
	if (ipi) {
		flat = lapic_flat_id(l);
		/* One store: senders in the module read it while it runs. */
		__atomic_store_n(&apic->flat_id, flat < 0 ?
				 VMMON_APIC_NOT_FLAT : (uint32_t)flat,
				 __ATOMIC_RELAXED);
		flags |= VMMON_APIC_IPI_IN_KERNEL;
		if (v->vm->hlt_wait_in_kernel)
			flags |= VMMON_APIC_HLT_IN_KERNEL;
	}
	/*
	 * A release: the flat ID before the flag is set, and left as it
	 * was when the flag goes, so that a sender that saw the flag reads
	 * the ID that went with it.
	 */
	__atomic_store_n(&apic->flags, flags, __ATOMIC_RELEASE);
}

void vcpu_count_lapic_write(struct vm *vm, unsigned int offset)
{
	switch (offset) {
	case LAPIC_EOI:
		vm->lapic_eoi++;
		break;
	case LAPIC_ICR_LOW:
	case LAPIC_ICR_HIGH:
		vm->lapic_icr++;
		break;
	case LAPIC_LVT_TIMER:
	case LAPIC_TIMER_INIT:
		vm->lapic_timer++;
		break;
	}
}

/* An x2APIC register: the guest's RDMSR or WRMSR, or #GP. */
static void vcpu_x2apic(struct lapic *l, struct vmmon_run *run)
{
	uint64_t val = run->msr.data;
	bool ok;

	if (run->msr.is_write) {
		ok = lapic_wrmsr(l, run->msr.index, val);
	} else {
		ok = lapic_rdmsr(l, run->msr.index, &val);
		run->msr.data = val;
	}
	run->msr.error = !ok;
}

bool vcpu_msr(struct vcpu *v, struct vmmon_run *run)
{
	struct lapic *l = &v->lapic;
	uint32_t index = run->msr.index;

	v->vm->lapic_msr_exits++;
	if (run->msr.is_write && index == MSR_IA32_TSC_DEADLINE)
		v->vm->lapic_timer++;
	else if (run->msr.is_write && index >= LAPIC_X2APIC_MSR_FIRST &&
		 index <= LAPIC_X2APIC_MSR_LAST)
		vcpu_count_lapic_write(v->vm, (index - LAPIC_X2APIC_MSR_FIRST)
					      << LAPIC_X2APIC_MSR_SHIFT);
	switch (index) {
	case MSR_IA32_APIC_BASE:
		/* A notice: vmmon took the value, @error means nothing. */
		if (run->msr.is_write)
			lapic_set_base(l, run->msr.data);
		return true;
	case MSR_IA32_TSC_DEADLINE:
		return vcpu_tsc_deadline(v, run);
	case LAPIC_X2APIC_MSR_FIRST ... LAPIC_X2APIC_MSR_LAST:
		vcpu_x2apic(l, run);
		return true;
	default:
		run->msr.error = 1;
		return true;
	}
}

/* The LAPIC's registers as the module's run page lays them out. */
_Static_assert(sizeof(struct lapic_vectors) ==
	       offsetof(struct vmmon_apic_vectors, tsc_deadline) -
	       offsetof(struct vmmon_apic_vectors, isr),
	       "three 256-bit registers and the ICR");
_Static_assert(offsetof(struct vmmon_apic_vectors, tmr) -
	       offsetof(struct vmmon_apic_vectors, isr) ==
	       offsetof(struct lapic_vectors, tmr), "TMR after ISR");
_Static_assert(offsetof(struct vmmon_apic_vectors, irr) -
	       offsetof(struct vmmon_apic_vectors, isr) ==
	       offsetof(struct lapic_vectors, irr), "IRR after TMR");
_Static_assert(offsetof(struct vmmon_apic_vectors, icr_low) -
	       offsetof(struct vmmon_apic_vectors, isr) ==
	       offsetof(struct lapic_vectors, icr_low), "ICR after IRR");
_Static_assert(offsetof(struct vmmon_apic_vectors, icr_high) -
	       offsetof(struct vmmon_apic_vectors, isr) ==
	       offsetof(struct lapic_vectors, icr_high), "ICR's high half");

void vcpu_share_apic_vectors(struct vcpu *v)
{
	lapic_share_vectors(&v->lapic,
			    (struct lapic_vectors *)v->run->apic.isr);
	v->run->apic.flags = VMMON_APIC_EOI_IN_KERNEL |
			     VMMON_APIC_ICR_IN_KERNEL;
}
