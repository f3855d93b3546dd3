// SPDX-License-Identifier: GPL-2.0
/*
 * Guest extended state.  The host's state is saved by kernel_fpu_begin()
 * (and put back on the way to userspace); between it and
 * kernel_fpu_end() the registers are the guest's: restored from its
 * image before the first entry and saved after the last exit, so that
 * neither side sees the other's values.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include "vmmon_fpu.h"

/* The MXCSR of the x86 reset state, and where FXSAVE keeps it. */
#define VMMON_MXCSR_RESET	0x1f80
#define VMMON_FXSAVE_MXCSR	24
#define VMMON_FXSAVE_SIZE	512

/*
 * What a guest's XCR0 may hold: the host's, without the components
 * whose use needs more than XCR0 (PKRU protects the host's user pages,
 * AMX tiles need XFD and permission).
 */
#define VMMON_XCR0_ALLOWED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM | XFEATURE_MASK_AVX512)

static bool vmmon_has_xsave;
static u64 vmmon_host_xcr0;
static unsigned int vmmon_fpu_size;

int vmmon_fpu_setup(void)
{
	u32 eax, ebx, ecx, edx;

	vmmon_has_xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	vmmon_fpu_size = VMMON_FXSAVE_SIZE;
	if (vmmon_has_xsave) {
		vmmon_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		/* EBX: the size XSAVE needs for what XCR0 enables now. */
		cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
		vmmon_fpu_size = max_t(unsigned int, ebx, VMMON_FXSAVE_SIZE);
	}
	if (vmmon_fpu_size > PAGE_SIZE << 2) {
		pr_err("XSAVE area of %u bytes is too large\n", vmmon_fpu_size);
		return -EOPNOTSUPP;
	}
	return 0;
}

int vmmon_fpu_init(struct vmmon_fpu *fpu)
{
	fpu->area = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
					      get_order(vmmon_fpu_size));
	if (!fpu->area)
		return -ENOMEM;
	/* A zero XSAVE header puts every other component in its reset state. */
	*(u32 *)(fpu->area + VMMON_FXSAVE_MXCSR) = VMMON_MXCSR_RESET;
	fpu->xcr0 = XFEATURE_MASK_FP;
	return 0;
}

void vmmon_fpu_fini(struct vmmon_fpu *fpu)
{
	free_pages((unsigned long)fpu->area, get_order(vmmon_fpu_size));
}

/*
 * XSAVE and XRSTOR move only what XCR0 enables, and SSE state is live
 * even when the guest's XCR0 leaves it out: both run under the host's
 * XCR0, with the guest's in force only in between.  Only the components
 * a guest may have: never PKRU, which the run loop switches by itself
 * (XRSTOR would load the image's 0 and leave it there for the host), nor
 * AMX, which XFD may have armed for this task (XRSTOR would fault).
 */
static void vmmon_xrstor(void *area)
{
	u64 mask = vmmon_host_xcr0 & VMMON_XCR0_ALLOWED;
	u32 lo = mask, hi = mask >> 32;

	asm volatile("xrstor64 (%0)" : : "r" (area), "a" (lo), "d" (hi)
		     : "memory");
}

static void vmmon_xsave(void *area)
{
	u64 mask = vmmon_host_xcr0 & VMMON_XCR0_ALLOWED;
	u32 lo = mask, hi = mask >> 32;

	asm volatile("xsave64 (%0)" : : "r" (area), "a" (lo), "d" (hi)
		     : "memory");
}

/* After kernel_fpu_begin(): the guest's registers and XCR0. */
void vmmon_fpu_load_guest(struct vmmon_fpu *fpu)
{
	if (!vmmon_has_xsave) {
		asm volatile("fxrstorq (%0)" : : "r" (fpu->area) : "memory");
		return;
	}
	vmmon_xrstor(fpu->area);
	if (fpu->xcr0 != vmmon_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, fpu->xcr0);
}

/* Before kernel_fpu_end(): give the host its XCR0, save the guest's state. */
void vmmon_fpu_save_guest(struct vmmon_fpu *fpu)
{
	if (!vmmon_has_xsave) {
		asm volatile("fxsaveq (%0)" : : "r" (fpu->area) : "memory");
		return;
	}
	if (fpu->xcr0 != vmmon_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vmmon_host_xcr0);
	vmmon_xsave(fpu->area);
}

/*
 * XSETBV by the guest: -EINVAL for a value the CPU would refuse with #GP
 * (SDM 1 13.3) or one vmmon does not let a guest have.  @loaded: the
 * guest's state is in the CPU, so XCR0 changes there too.
 */
int vmmon_fpu_set_xcr0(struct vmmon_fpu *fpu, u64 xcr0, bool loaded)
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
	if (loaded && xcr0 != fpu->xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, xcr0);
	fpu->xcr0 = xcr0;
	return 0;
}
