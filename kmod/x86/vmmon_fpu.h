/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's FPU, SSE and AVX state, kept apart from the host's: loaded
 * into the CPU around the guest's run (inside kernel_fpu_begin/end) and
 * saved back when it stops, with the guest's own XCR0.
 */
#ifndef VMMON_FPU_H
#define VMMON_FPU_H

#include <linux/types.h>

struct vmmon_fpu {
	void *area;		/* XSAVE (or FXSAVE) image, 64-byte aligned */
	u64 xcr0;		/* the guest's XCR0 */
};

int vmmon_fpu_setup(void);
int vmmon_fpu_init(struct vmmon_fpu *fpu);
void vmmon_fpu_fini(struct vmmon_fpu *fpu);
void vmmon_fpu_load_guest(struct vmmon_fpu *fpu);
void vmmon_fpu_save_guest(struct vmmon_fpu *fpu);
int vmmon_fpu_set_xcr0(struct vmmon_fpu *fpu, u64 xcr0, bool loaded);

#endif /* VMMON_FPU_H */
