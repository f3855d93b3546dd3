// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's IA32_TSC_DEADLINE taken in the kernel, against the
 * deadline userspace's LAPIC keeps in the run page while its timer is in
 * TSC-deadline mode (VMMON_APIC_TIMER_IN_KERNEL): a tickless guest
 * writes it each time it programs its next timer event, and each write
 * used to cost a return to userspace and a read of the guest's TSC
 * there.  Only the deadline moves here; the LVT, the mode and the
 * interrupt stay userspace's, which raises the interrupt when RUN
 * returns VMMON_EXIT_APIC_TIMER.
 *
 * vmmon times the deadline while the guest runs: RUN checks it before
 * each entry, with interrupts off, and the VMX-preemption timer ends a
 * stay in the guest when it is due.  The field is the vCPU thread's
 * between RUNs and vmmon's inside RUN, so it needs no ordering.
 */
#include <linux/ktime.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <uapi/vmmon.h>
#include "vmmon_backend.h"
#include "vmx_caps.h"
#include "vmx_vcpu.h"

static bool vmx_apic_timer_in_kernel(const struct vmmon_vcpu *vcpu)
{
	const struct vmx_vcpu *vx = vcpu->hw;

	return vx->has_tsc_deadline &&
	       (READ_ONCE(vcpu->run->apic.flags) & VMMON_APIC_TIMER_IN_KERNEL);
}

bool vmx_apic_timer_msr(struct vmmon_vcpu *vcpu, bool write, u64 *data)
{
	struct vmmon_apic_vectors *apic = &vcpu->run->apic;

	if (!vmx_apic_timer_in_kernel(vcpu))
		return false;
	if (write)
		WRITE_ONCE(apic->tsc_deadline, *data);
	else
		*data = READ_ONCE(apic->tsc_deadline);
	return true;
}

/*
 * The guest's TSC cycles to the deadline vmmon keeps, 0 when it is due,
 * from one reading of the TSC; false while none is armed (an idle timer
 * costs an entry nothing).
 */
static bool vmx_apic_timer_cycles_left(struct vmmon_vcpu *vcpu, u64 *left)
{
	const struct vmx_vcpu *vx = vcpu->hw;
	u64 now, deadline;

	if (!vmx_apic_timer_in_kernel(vcpu))
		return false;
	deadline = READ_ONCE(vcpu->run->apic.tsc_deadline);
	if (!deadline)
		return false;
	now = rdtsc() + vx->tsc_offset;
	*left = now >= deadline ? 0 : deadline - now;
	return true;
}

/*
 * One reading of the TSC for both: a second one could find the deadline
 * passed since the first and leave the stay its whole slice.
 */
bool vmx_apic_timer_due(struct vmmon_vcpu *vcpu, u32 *slice)
{
	u64 left, ticks;

	if (!vmx_apic_timer_cycles_left(vcpu, &left))
		return false;
	if (!left) {
		WRITE_ONCE(vcpu->run->apic.tsc_deadline, 0);
		vcpu->run->exit_reason = VMMON_EXIT_APIC_TIMER;
		return true;
	}
	/*
	 * The timer counts down as a TSC bit toggles, its first tick up to
	 * 2^shift cycles early: one tick more, so that the stay does not
	 * end before the deadline (an exit before it would only cost one
	 * more entry).
	 */
	ticks = DIV_ROUND_UP_ULL(left,
				 1ULL << vmx_caps.preemption_timer_shift) + 1;
	if (ticks < *slice)
		*slice = ticks;
	return false;
}

/*
 * How long a HLT may wait for the deadline, in the host's nanoseconds:
 * KTIME_MAX with none armed, 0 when it is due.  By the TSC's frequency
 * the kernel measured, so the wait may end a little early; then
 * userspace times the rest (a HLT it sleeps in).
 */
ktime_t vmx_apic_timer_left(struct vmmon_vcpu *vcpu)
{
	/* Once: a second read could pass the guard with another value. */
	u32 khz = READ_ONCE(tsc_khz);
	u64 left;

	if (!vmx_apic_timer_cycles_left(vcpu, &left))
		return KTIME_MAX;
	if (!left || !khz)
		return 0;
	/*
	 * The guest writes any deadline: a quotient that does not fit in 64
	 * bits would fault the DIV in mul_u64_u32_div() (a host oops).
	 */
	if (div_u64(left, khz) >= KTIME_MAX / NSEC_PER_MSEC - 1)
		return KTIME_MAX;
	return mul_u64_u32_div(left, NSEC_PER_MSEC, khz);
}
