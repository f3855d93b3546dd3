// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/vmx/vmx_caps.c, built natively against made-up
 * capability MSRs: which CPUs vmmon accepts, what it says is missing,
 * and the control words it computes.
 */
#include <stdio.h>
#include <linux/bits.h>
#include <linux/types.h>
#include "vmmon_harness.h"
#include "vmx_arch.h"
#include "vmx_caps.h"

#define CTL_MSR(allowed0, allowed1)	(((u64)(allowed1) << 32) | (allowed0))

/* A Haswell-like CPU: IA32_VMX_BASIC as Bochs's corei7_haswell_4770. */
static struct vmx_msrs good_msrs(void)
{
	struct vmx_msrs m = {
		.basic = 0x00d810000000002bULL,
		.pinbased = CTL_MSR(0x00000016, 0x0000007f),
		.procbased = CTL_MSR(0x04006172, 0xfff9fffe),
		.procbased2 = CTL_MSR(0, 0x001010ff),
		.exit = CTL_MSR(0x00036dfb, 0x007fffff),
		.entry = CTL_MSR(0x000011fb, 0x0000ffff),
		.misc = 0x00000000000401e5ULL,
		.ept_vpid = VMX_EPT_CAP_EXECUTE_ONLY | VMX_EPT_CAP_WALK_LENGTH_4 |
			    VMX_EPT_CAP_MEMTYPE_UC | VMX_EPT_CAP_MEMTYPE_WB |
			    VMX_EPT_CAP_2M_PAGES | VMX_EPT_CAP_INVEPT |
			    VMX_EPT_CAP_AD_FLAGS | VMX_EPT_CAP_INVEPT_SINGLE_CTX |
			    VMX_EPT_CAP_INVEPT_ALL_CTX | VMX_VPID_CAP_INVVPID |
			    VMX_VPID_CAP_INVVPID_ADDR |
			    VMX_VPID_CAP_INVVPID_SINGLE_CTX |
			    VMX_VPID_CAP_INVVPID_ALL_CTX,
	};
	return m;
}

/* Collects what vmx_caps_compute() reports missing. */
struct missing_log {
	int count;
	char names[16][128];
};

static void log_missing(void *ctx, const char *what)
{
	struct missing_log *log = ctx;

	if (log->count < 16)
		snprintf(log->names[log->count], sizeof(log->names[0]), "%s",
			 what);
	log->count++;
}

static int compute(const struct vmx_msrs *m, struct vmx_caps *caps,
		   struct missing_log *log)
{
	memset(log, 0, sizeof(*log));
	return vmx_caps_compute(m, caps, log_missing, log);
}

TEST(full_caps_accepted)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	ASSERT_EQ(compute(&m, &caps, &log), 0);
	EXPECT_EQ(log.count, 0);
	EXPECT_EQ(caps.revision, 0x2bu);
	EXPECT_EQ(caps.preemption_timer_shift, 5);
	EXPECT_NE(0u, caps.pin & VMX_PIN_PREEMPTION_TIMER);
	EXPECT_NE(0u, caps.proc & VMX_PROC_SECONDARY_CONTROLS);
	EXPECT_NE(0u, caps.proc2 & VMX_PROC2_ENABLE_EPT);
	EXPECT_NE(0u, caps.proc2 & VMX_PROC2_UNRESTRICTED_GUEST);
	EXPECT_NE(0u, caps.exit & VMX_EXIT_HOST_ADDR_SPACE_SIZE);
	/* Interrupts stay pending across an exit, for the host to take. */
	EXPECT_EQ(caps.exit & VMX_EXIT_ACK_INTR_ON_EXIT, 0u);
	EXPECT_NE(0u, caps.entry & VMX_ENTRY_LOAD_EFER);
	EXPECT_EQ(caps.ept_vpid, m.ept_vpid);
}

TEST(must_be_one_controls_kept)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	ASSERT_EQ(compute(&m, &caps, &log), 0);
	EXPECT_EQ(caps.pin & 0x16, 0x16u);
	EXPECT_EQ(caps.proc & 0x04006172, 0x04006172u);
	EXPECT_EQ(caps.exit & 0x00036dfb, 0x00036dfbu);
	/* Entry's must-be-one bits, but IA-32e mode is left to each entry. */
	EXPECT_EQ(caps.entry & 0x000011fb, 0x000011fbu);
	EXPECT_EQ(caps.entry & VMX_ENTRY_IA32E_MODE_GUEST, 0u);
}

TEST(ia32e_kept_when_forced)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	m.entry |= VMX_ENTRY_IA32E_MODE_GUEST;	/* allowed-0: must be 1 */
	ASSERT_EQ(compute(&m, &caps, &log), 0);
	EXPECT_NE(0u, caps.entry & VMX_ENTRY_IA32E_MODE_GUEST);
}

TEST(optional_controls_follow_cpu)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	ASSERT_EQ(compute(&m, &caps, &log), 0);
	EXPECT_NE(0u, caps.proc2 & VMX_PROC2_ENABLE_RDTSCP);
	EXPECT_NE(0u, caps.proc2 & VMX_PROC2_ENABLE_INVPCID);
	/* Not in the set vmmon asks for, though the CPU allows them:
	 * guest XSAVES would reach the host's IA32_XSS. */
	EXPECT_EQ(caps.proc2 & BIT(0), 0u);
	EXPECT_EQ(caps.proc2 & VMX_PROC2_ENABLE_XSAVES, 0u);

	m.procbased2 &= ~((u64)(VMX_PROC2_ENABLE_RDTSCP |
				VMX_PROC2_ENABLE_INVPCID) << 32);
	ASSERT_EQ(compute(&m, &caps, &log), 0);
	EXPECT_EQ(caps.proc2 & VMX_PROC2_ENABLE_RDTSCP, 0u);
	EXPECT_EQ(caps.proc2 & VMX_PROC2_ENABLE_INVPCID, 0u);
}

TEST(ctl_adjust_reports_absent)
{
	u32 ctl;

	EXPECT_EQ(vmx_ctl_adjust(CTL_MSR(0x1, 0xff), 0x10, 0x100, &ctl), 0u);
	EXPECT_EQ(ctl, 0x11u);
	EXPECT_EQ(vmx_ctl_adjust(CTL_MSR(0x1, 0xff), 0x300, 0, &ctl), 0x300u);
	EXPECT_EQ(vmx_ctl_adjust(CTL_MSR(0x0, 0x0), 0, 0xffffffff, &ctl), 0u);
	EXPECT_EQ(ctl, 0u);
}

/* One requirement removed from one MSR, and the line it must produce. */
struct removal {
	size_t offset;		/* of the u64 in struct vmx_msrs */
	u64 clear;
	const char *name;
};

#define MSR_OFF(f)	offsetof(struct vmx_msrs, f)
#define ALLOWED1(bit)	((u64)(bit) << 32)

static const struct removal removals[] = {
	{ MSR_OFF(basic), VMX_BASIC_TRUE_CONTROLS,
	  "true VMX controls (IA32_VMX_BASIC bit 55)" },
	{ MSR_OFF(pinbased), ALLOWED1(VMX_PIN_EXT_INTR_EXITING),
	  "pin-based control: external-interrupt exiting" },
	{ MSR_OFF(pinbased), ALLOWED1(VMX_PIN_PREEMPTION_TIMER),
	  "pin-based control: VMX-preemption timer" },
	{ MSR_OFF(pinbased), ALLOWED1(VMX_PIN_VIRTUAL_NMIS),
	  "pin-based control: virtual NMIs" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_HLT_EXITING),
	  "processor control: HLT exiting" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_USE_MSR_BITMAPS),
	  "processor control: MSR bitmaps" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_MWAIT_EXITING),
	  "processor control: MWAIT exiting" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_RDPMC_EXITING),
	  "processor control: RDPMC exiting" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_CR8_STORE_EXITING),
	  "processor control: CR8-load and CR8-store exiting" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_MOV_DR_EXITING),
	  "processor control: MOV-DR exiting" },
	{ MSR_OFF(procbased), ALLOWED1(VMX_PROC_MONITOR_EXITING),
	  "processor control: MONITOR exiting" },
	{ MSR_OFF(procbased2), ALLOWED1(VMX_PROC2_ENABLE_EPT),
	  "secondary control: EPT" },
	{ MSR_OFF(procbased2), ALLOWED1(VMX_PROC2_ENABLE_VPID),
	  "secondary control: VPID" },
	{ MSR_OFF(procbased2), ALLOWED1(VMX_PROC2_UNRESTRICTED_GUEST),
	  "secondary control: unrestricted guest" },
	{ MSR_OFF(exit), ALLOWED1(VMX_EXIT_LOAD_EFER),
	  "exit control: save/load IA32_EFER" },
	{ MSR_OFF(entry), ALLOWED1(VMX_ENTRY_IA32E_MODE_GUEST),
	  "entry control: IA-32e mode guest" },
	{ MSR_OFF(entry), ALLOWED1(VMX_ENTRY_LOAD_PAT),
	  "entry control: load IA32_PAT" },
	{ MSR_OFF(ept_vpid), VMX_EPT_CAP_WALK_LENGTH_4,
	  "EPT: 4-level page walk" },
	{ MSR_OFF(ept_vpid), VMX_EPT_CAP_MEMTYPE_WB,
	  "EPT: write-back memory type" },
	{ MSR_OFF(ept_vpid), VMX_EPT_CAP_INVEPT, "EPT: INVEPT instruction" },
	{ MSR_OFF(ept_vpid),
	  VMX_EPT_CAP_INVEPT_SINGLE_CTX | VMX_EPT_CAP_INVEPT_ALL_CTX,
	  "EPT: single- or all-context INVEPT" },
	{ MSR_OFF(ept_vpid), VMX_VPID_CAP_INVVPID, "VPID: INVVPID instruction" },
	{ MSR_OFF(ept_vpid),
	  VMX_VPID_CAP_INVVPID_SINGLE_CTX | VMX_VPID_CAP_INVVPID_ALL_CTX,
	  "VPID: single- or all-context INVVPID" },
};

TEST(each_missing_requirement_named)
{
	struct missing_log log;
	struct vmx_caps caps;
	size_t i;

	for (i = 0; i < sizeof(removals) / sizeof(removals[0]); i++) {
		struct vmx_msrs m = good_msrs();
		u64 *msr = (u64 *)((char *)&m + removals[i].offset);

		*msr &= ~removals[i].clear;
		EXPECT_EQ(compute(&m, &caps, &log), 1)
			TH_LOG("without: %s", removals[i].name);
		if (log.count == 1) {
			EXPECT_STREQ(removals[i].name, log.names[0]);
		}
	}
}

TEST(partial_invept_accepted)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	m.ept_vpid &= ~(VMX_EPT_CAP_INVEPT_SINGLE_CTX |
			VMX_VPID_CAP_INVVPID_ALL_CTX);
	EXPECT_EQ(compute(&m, &caps, &log), 0);
}

TEST(no_secondary_controls)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	/* As vmx_backend.c reads them: no secondary controls, no EPT MSR. */
	m.procbased &= ~ALLOWED1(VMX_PROC_SECONDARY_CONTROLS);
	m.procbased2 = 0;
	m.ept_vpid = 0;
	EXPECT_EQ(compute(&m, &caps, &log), 10);
	EXPECT_STREQ("processor control: secondary controls", log.names[0]);
	EXPECT_STREQ("secondary control: EPT", log.names[1]);
}

TEST(vmcs_region_checked)
{
	struct vmx_msrs m = good_msrs();
	struct missing_log log;
	struct vmx_caps caps;

	m.basic &= ~(VMX_BASIC_MEMTYPE_MASK << VMX_BASIC_MEMTYPE_SHIFT);
	EXPECT_EQ(compute(&m, &caps, &log), 1);
	EXPECT_STREQ("write-back memory type for the VMCS", log.names[0]);

	m = good_msrs();
	m.basic |= VMX_BASIC_PHYS_32BIT;
	EXPECT_EQ(compute(&m, &caps, &log), 1);

	m = good_msrs();
	m.basic |= 0x1001ULL << VMX_BASIC_REGION_SIZE_SHIFT;
	EXPECT_EQ(compute(&m, &caps, &log), 1);
	EXPECT_STREQ("a VMCS region of at most 4096 bytes", log.names[0]);
}

TEST(no_vmx_at_all)
{
	struct vmx_msrs m = { 0 };
	struct missing_log log;
	struct vmx_caps caps;

	/* Every requirement is reported, none twice. */
	EXPECT_EQ(compute(&m, &caps, &log), 35);
}

TEST_HARNESS_MAIN
