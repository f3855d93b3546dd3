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

#include <linux/types.h>
#include <asm/fpu/types.h>

struct vmmon_fpu {
	struct fpu_guest guest;
	u64 xcr0;		/* the guest's XCR0 */
};

void vmmon_fpu_setup(void);
int vmmon_fpu_init(struct vmmon_fpu *fpu);
void vmmon_fpu_fini(struct vmmon_fpu *fpu);
void vmmon_fpu_enter(struct vmmon_fpu *fpu);
void vmmon_fpu_leave(struct vmmon_fpu *fpu);
void vmmon_fpu_before_entry(const struct vmmon_fpu *fpu);
void vmmon_fpu_after_exit(const struct vmmon_fpu *fpu);
int vmmon_fpu_set_xcr0(struct vmmon_fpu *fpu, u64 xcr0);

#endif /* VMMON_FPU_H */
