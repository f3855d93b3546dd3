// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capability checks and control-word computation (SDM 3C appendix A).
 *
 * Each requirement is a table row with the name the kernel log prints
 * when it is missing, so that a user on an unsuitable CPU or under a
 * limited nested hypervisor learns exactly what is absent.
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include "vmx_arch.h"
#include "vmx_caps.h"

struct vmx_req {
	u64 bits;
	const char *name;
};

static const struct vmx_req pin_required[] = {
	{ VMX_PIN_EXT_INTR_EXITING, "pin-based control: external-interrupt exiting" },
	{ VMX_PIN_NMI_EXITING, "pin-based control: NMI exiting" },
	{ VMX_PIN_VIRTUAL_NMIS, "pin-based control: virtual NMIs" },
	{ VMX_PIN_PREEMPTION_TIMER, "pin-based control: VMX-preemption timer" },
};

static const struct vmx_req proc_required[] = {
	{ VMX_PROC_INTR_WINDOW_EXITING, "processor control: interrupt-window exiting" },
	/* VMMON_NMI waits with it for the guest's NMI handler to IRET. */
	{ VMX_PROC_NMI_WINDOW_EXITING, "processor control: NMI-window exiting" },
	{ VMX_PROC_HLT_EXITING, "processor control: HLT exiting" },
	/* Without these the guest would reach the host's own state. */
	{ VMX_PROC_MWAIT_EXITING, "processor control: MWAIT exiting" },
	{ VMX_PROC_RDPMC_EXITING, "processor control: RDPMC exiting" },
	{ VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING,
	  "processor control: CR8-load and CR8-store exiting" },
	{ VMX_PROC_MOV_DR_EXITING, "processor control: MOV-DR exiting" },
	{ VMX_PROC_MONITOR_EXITING, "processor control: MONITOR exiting" },
	{ VMX_PROC_UNCOND_IO_EXITING, "processor control: unconditional I/O exiting" },
	{ VMX_PROC_USE_MSR_BITMAPS, "processor control: MSR bitmaps" },
	{ VMX_PROC_SECONDARY_CONTROLS, "processor control: secondary controls" },
};

static const struct vmx_req proc2_required[] = {
	{ VMX_PROC2_ENABLE_EPT, "secondary control: EPT" },
	{ VMX_PROC2_ENABLE_VPID, "secondary control: VPID" },
	{ VMX_PROC2_UNRESTRICTED_GUEST, "secondary control: unrestricted guest" },
};

static const struct vmx_req exit_required[] = {
	{ VMX_EXIT_HOST_ADDR_SPACE_SIZE, "exit control: host address-space size" },
	{ VMX_EXIT_SAVE_DEBUG_CONTROLS, "exit control: save debug controls" },
	{ VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT, "exit control: save/load IA32_PAT" },
	{ VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER, "exit control: save/load IA32_EFER" },
};

static const struct vmx_req entry_required[] = {
	/* Without it the guest runs with the host's DR7 and DEBUGCTL. */
	{ VMX_ENTRY_LOAD_DEBUG_CONTROLS, "entry control: load debug controls" },
	{ VMX_ENTRY_IA32E_MODE_GUEST, "entry control: IA-32e mode guest" },
	{ VMX_ENTRY_LOAD_PAT, "entry control: load IA32_PAT" },
	{ VMX_ENTRY_LOAD_EFER, "entry control: load IA32_EFER" },
};

static const struct vmx_req ept_vpid_required[] = {
	{ VMX_EPT_CAP_WALK_LENGTH_4, "EPT: 4-level page walk" },
	{ VMX_EPT_CAP_MEMTYPE_WB, "EPT: write-back memory type" },
	{ VMX_EPT_CAP_INVEPT, "EPT: INVEPT instruction" },
	{ VMX_VPID_CAP_INVVPID, "VPID: INVVPID instruction" },
};

/*
 * Used when present; vmmon works without them.  WBINVD exiting keeps a
 * guest's WBINVD (a write-back of the whole cache hierarchy, milliseconds
 * long and not interruptible, that evicts every core's data from the
 * shared cache) off the host.
 */
#define VMX_PROC_OPTIONAL	VMX_PROC_USE_TSC_OFFSETTING
#define VMX_PROC2_OPTIONAL	(VMX_PROC2_ENABLE_RDTSCP | VMX_PROC2_ENABLE_INVPCID | \
				 VMX_PROC2_WBINVD_EXITING)

/*
 * Compute a control word: every control that must be 1, plus the
 * required and optional ones that may be 1.  Returns the required bits
 * the CPU does not allow (0 when all are there).
 */
u32 vmx_ctl_adjust(u64 cap_msr, u32 required, u32 optional, u32 *ctl)
{
	u32 must_be_one = VMX_CTL_ALLOWED0(cap_msr);
	u32 may_be_one = VMX_CTL_ALLOWED1(cap_msr);

	*ctl = ((required | optional) & may_be_one) | must_be_one;
	return required & ~may_be_one;
}

static u64 vmx_reqs_mask(const struct vmx_req *reqs, size_t n)
{
	u64 mask = 0;
	size_t i;

	for (i = 0; i < n; i++)
		mask |= reqs[i].bits;
	return mask;
}

/* Report each requirement with a bit in @absent; return how many. */
static int vmx_reqs_report(const struct vmx_req *reqs, size_t n, u64 absent,
			   vmx_missing_fn missing, void *ctx)
{
	int count = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (reqs[i].bits & absent) {
			missing(ctx, reqs[i].name);
			count++;
		}
	}
	return count;
}

static int vmx_ctl_check(u64 cap_msr, const struct vmx_req *reqs, size_t n,
			 u32 optional, u32 *ctl, vmx_missing_fn missing,
			 void *ctx)
{
	u32 absent = vmx_ctl_adjust(cap_msr, vmx_reqs_mask(reqs, n), optional,
				    ctl);

	return vmx_reqs_report(reqs, n, absent, missing, ctx);
}

static int vmx_basic_check(u64 basic, vmx_missing_fn missing, void *ctx)
{
	u64 size = (basic >> VMX_BASIC_REGION_SIZE_SHIFT) &
		   VMX_BASIC_REGION_SIZE_MASK;
	u64 memtype = (basic >> VMX_BASIC_MEMTYPE_SHIFT) &
		      VMX_BASIC_MEMTYPE_MASK;
	int count = 0;

	if (!(basic & VMX_BASIC_TRUE_CONTROLS)) {
		missing(ctx, "true VMX controls (IA32_VMX_BASIC bit 55)");
		count++;
	}
	if (memtype != VMX_MEMTYPE_WB) {
		missing(ctx, "write-back memory type for the VMCS");
		count++;
	}
	if (basic & VMX_BASIC_PHYS_32BIT) {
		missing(ctx, "VMX structures above 4 GiB (IA32_VMX_BASIC bit 48 is set)");
		count++;
	}
	if (size == 0 || size > 4096) {
		missing(ctx, "a VMCS region of at most 4096 bytes");
		count++;
	}
	return count;
}

static int vmx_ept_vpid_check(u64 cap, vmx_missing_fn missing, void *ctx)
{
	u64 absent = vmx_reqs_mask(ept_vpid_required,
				   ARRAY_SIZE(ept_vpid_required)) & ~cap;
	int count = vmx_reqs_report(ept_vpid_required,
				    ARRAY_SIZE(ept_vpid_required), absent,
				    missing, ctx);

	if (!(cap & (VMX_EPT_CAP_INVEPT_SINGLE_CTX | VMX_EPT_CAP_INVEPT_ALL_CTX))) {
		missing(ctx, "EPT: single- or all-context INVEPT");
		count++;
	}
	if (!(cap & (VMX_VPID_CAP_INVVPID_SINGLE_CTX | VMX_VPID_CAP_INVVPID_ALL_CTX))) {
		missing(ctx, "VPID: single- or all-context INVVPID");
		count++;
	}
	return count;
}

/*
 * Check every requirement and fill @caps.  Returns the number of missing
 * requirements (each reported through @missing); @caps is only meaningful
 * when that is 0.
 */
int vmx_caps_compute(const struct vmx_msrs *m, struct vmx_caps *caps,
		     vmx_missing_fn missing, void *ctx)
{
	int count = vmx_basic_check(m->basic, missing, ctx);

	caps->revision = m->basic & VMX_BASIC_REVISION_MASK;
	count += vmx_ctl_check(m->pinbased, pin_required,
			       ARRAY_SIZE(pin_required), 0, &caps->pin,
			       missing, ctx);
	count += vmx_ctl_check(m->procbased, proc_required,
			       ARRAY_SIZE(proc_required), VMX_PROC_OPTIONAL,
			       &caps->proc, missing, ctx);
	count += vmx_ctl_check(m->procbased2, proc2_required,
			       ARRAY_SIZE(proc2_required), VMX_PROC2_OPTIONAL,
			       &caps->proc2, missing, ctx);
	count += vmx_ctl_check(m->exit, exit_required,
			       ARRAY_SIZE(exit_required), 0, &caps->exit,
			       missing, ctx);
	count += vmx_ctl_check(m->entry, entry_required,
			       ARRAY_SIZE(entry_required), 0, &caps->entry,
			       missing, ctx);
	count += vmx_ept_vpid_check(m->ept_vpid, missing, ctx);

	/*
	 * Whether the guest runs in IA-32e mode is decided at each entry,
	 * unless the CPU insists on it.
	 */
	caps->entry &= ~VMX_ENTRY_IA32E_MODE_GUEST | VMX_CTL_ALLOWED0(m->entry);
	caps->ept_vpid = m->ept_vpid;
	caps->cr4_fixed1 = m->cr4_fixed1;
	caps->preemption_timer_shift = m->misc &
				       VMX_MISC_PREEMPT_TIMER_SHIFT_MASK;
	return count;
}
