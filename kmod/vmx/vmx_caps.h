/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From the raw VMX capability MSRs to the control words vmmon will run
 * with.  Pure logic (no MSR access, no printing) so that it is unit-tested
 * in userspace with made-up MSR values; vmx_backend.c reads the MSRs.
 */
#ifndef VMMON_VMX_CAPS_H
#define VMMON_VMX_CAPS_H

#include <linux/types.h>

/* Raw capability MSRs of one CPU; an MSR the CPU does not have reads 0. */
struct vmx_msrs {
	u64 basic;
	u64 pinbased;		/* the TRUE_ variant when basic has TRUE_CTLS */
	u64 procbased;
	u64 exit;
	u64 entry;
	u64 procbased2;
	u64 misc;
	u64 ept_vpid;
	u64 cr4_fixed1;		/* the CR4 bits VMX operation allows */
};

/* What vmmon will use, computed by vmx_caps_compute(). */
struct vmx_caps {
	u32 revision;		/* VMCS/VMXON region revision identifier */
	u32 pin;		/* control words: required | available optional */
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;		/* without IA-32e mode guest: set per entry */
	u64 ept_vpid;
	u64 cr4_fixed1;
	u8 preemption_timer_shift;	/* timer ticks every 2^shift TSC cycles */
};

/* Called once for each missing requirement, with a human-readable name. */
typedef void (*vmx_missing_fn)(void *ctx, const char *what);

u32 vmx_ctl_adjust(u64 cap_msr, u32 required, u32 optional, u32 *ctl);
int vmx_caps_compute(const struct vmx_msrs *m, struct vmx_caps *caps,
		     vmx_missing_fn missing, void *ctx);

#endif /* VMMON_VMX_CAPS_H */
