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

#include <linux/vmalloc.h>
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
/* 0 without XSAVE, as every guest's xcr0 then: XSETBV never runs. */
u64 vmmon_host_xcr0;

void vmmon_fpu_setup(void)
{
	vmmon_has_xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	if (vmmon_has_xsave)
		vmmon_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

/*
 * The x86 reset state: the kernel's initial FPU state, as for a new task.
 * Without AMX (which vmmon does not give guests) and with the kernel's
 * default components; the kernel then locks the VMM process's guest
 * permissions (ARCH_REQ_XCOMP_GUEST_PERM), as at KVM's first vCPU.
 */
int vmmon_fpu_init(struct vmmon_fpu *fpu)
{
	if (!fpu_alloc_guest_fpstate(&fpu->guest))
		return -ENOMEM;
	fpu->xcr0 = vmmon_has_xsave ? XFEATURE_MASK_FP : 0;
	return 0;
}

/*
 * The kernel vmalloc()ed the guest's state, and vfree() leaves the
 * address range and its bookkeeping to a lazy purge that may not come
 * for thousands of vfree()s (6.12 also keeps the ranges in pools): purge
 * now, so that a host where VMs came and went holds nothing of theirs.
 */
void vmmon_fpu_fini(struct vmmon_fpu *fpu)
{
	fpu_free_guest_fpstate(&fpu->guest);
	vm_unmap_aliases();
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
