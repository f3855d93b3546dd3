// SPDX-License-Identifier: GPL-2.0
/*
 * Guest extended state, in the kernel's guest FPU container (exported
 * for KVM by 6.1 and 6.12 alike): fpu_swap_kvm_fpstate() makes it the
 * thread's state for the length of a RUN, with bottom halves enabled
 * while the guest runs, and makes the VMM's state the thread's again
 * before RUN returns.  The kernel puts the VMM's registers back on the
 * way to userspace, as after any system call that used the FPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/thread_info.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include "vmmon_fpu.h"

/*
 * What a guest's XCR0 may hold: the host's, without the components
 * whose use needs more than XCR0 (PKRU protects the host's user pages,
 * AMX tiles need XFD and permission).
 */
#define VMMON_XCR0_ALLOWED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM | XFEATURE_MASK_AVX512)

static bool vmmon_has_xsave;
static u64 vmmon_host_xcr0;

void vmmon_fpu_setup(void)
{
	vmmon_has_xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	if (vmmon_has_xsave)
		vmmon_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

/* The x86 reset state: the kernel's initial FPU state, as for a new task. */
int vmmon_fpu_init(struct vmmon_fpu *fpu)
{
	if (!fpu_alloc_guest_fpstate(&fpu->guest))
		return -ENOMEM;
	fpu->xcr0 = XFEATURE_MASK_FP;
	return 0;
}

void vmmon_fpu_fini(struct vmmon_fpu *fpu)
{
	fpu_free_guest_fpstate(&fpu->guest);
}

/* At the start of RUN: the guest's state becomes the thread's. */
void vmmon_fpu_enter(struct vmmon_fpu *fpu)
{
	fpu_swap_kvm_fpstate(&fpu->guest, true);
}

/* Before RUN returns: the VMM's state is the thread's again. */
void vmmon_fpu_leave(struct vmmon_fpu *fpu)
{
	fpu_swap_kvm_fpstate(&fpu->guest, false);
}

/*
 * Interrupts off, right before the entry.  A softirq or a context switch
 * since the last exit may have saved the guest's registers away (its
 * kernel_fpu_begin() sets TIF_NEED_FPU_LOAD): put them back, as KVM
 * does.  Then the guest's XCR0, which must not be in the CPU when such
 * code saves or restores state (XSAVE would leave out what it lacks).
 */
void vmmon_fpu_before_entry(const struct vmmon_fpu *fpu)
{
	lockdep_assert_irqs_disabled();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (vmmon_has_xsave && fpu->xcr0 != vmmon_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, fpu->xcr0);
}

/* Interrupts still off, right after the exit: the host's XCR0. */
void vmmon_fpu_after_exit(const struct vmmon_fpu *fpu)
{
	if (vmmon_has_xsave && fpu->xcr0 != vmmon_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vmmon_host_xcr0);
}

/*
 * XSETBV by the guest: -EINVAL for a value the CPU would refuse with #GP
 * (SDM 1 13.3) or one vmmon does not let a guest have.  The next entry
 * puts it in the CPU.
 */
int vmmon_fpu_set_xcr0(struct vmmon_fpu *fpu, u64 xcr0)
{
	u64 avx512 = xcr0 & XFEATURE_MASK_AVX512;

	if (!vmmon_has_xsave || !(xcr0 & XFEATURE_MASK_FP) ||
	    xcr0 & ~(vmmon_host_xcr0 & VMMON_XCR0_ALLOWED))
		return -EINVAL;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return -EINVAL;
	if (avx512 && (avx512 != XFEATURE_MASK_AVX512 ||
		       !(xcr0 & XFEATURE_MASK_YMM)))
		return -EINVAL;
	fpu->xcr0 = xcr0;
	return 0;
}
