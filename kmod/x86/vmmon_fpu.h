/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's FPU, SSE and AVX state, kept apart from the host's in the
 * container the kernel keeps for KVM's guests (struct fpu_guest): while
 * a RUN is in the kernel it is the thread's FPU state, so a context
 * switch or a softirq's kernel_fpu_begin() saves the guest's registers
 * into it, not over the VMM's.  The guest's XCR0 is in the CPU only
 * from just before an entry to just after the exit, interrupts off.
 */
#ifndef VMMON_FPU_H
#define VMMON_FPU_H

#include <linux/lockdep.h>
#include <linux/thread_info.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>

struct vmmon_fpu {
	struct fpu_guest guest;
	u64 xcr0;		/* the guest's XCR0 */
};

void vmmon_fpu_setup(void);
int vmmon_fpu_init(struct vmmon_fpu *fpu);
void vmmon_fpu_fini(struct vmmon_fpu *fpu);
void vmmon_fpu_enter(struct vmmon_fpu *fpu);
void vmmon_fpu_leave(struct vmmon_fpu *fpu);
int vmmon_fpu_set_xcr0(struct vmmon_fpu *fpu, u64 xcr0);

extern u64 vmmon_host_xcr0;

/*
 * Interrupts off, right before the entry.  A softirq or a context switch
 * since the last exit may have saved the guest's registers away (its
 * kernel_fpu_begin() sets TIF_NEED_FPU_LOAD): put them back, as KVM
 * does.  Then the guest's XCR0, which must not be in the CPU when such
 * code saves or restores state (XSAVE would leave out what it lacks).
 */
static inline void vmmon_fpu_before_entry(const struct vmmon_fpu *fpu)
{
	lockdep_assert_irqs_disabled();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (fpu->xcr0 != vmmon_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, fpu->xcr0);
}

/* Interrupts still off, right after the exit: the host's XCR0. */
static inline void vmmon_fpu_after_exit(const struct vmmon_fpu *fpu)
{
	if (fpu->xcr0 != vmmon_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vmmon_host_xcr0);
}

#endif /* VMMON_FPU_H */
