/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-x architectural constants, named after the Intel SDM volume 3C
 * (appendix A, "VMX capability reporting facility", and chapter 25,
 * "Virtual-machine control structures").  Only definitions: no code, no
 * kernel dependencies beyond BIT(), so that the capability logic built on
 * them can also be compiled and tested in userspace.
 *
 * The kernel's own <asm/vmx.h> is deliberately not used: its names and
 * layout changed between 6.1 and 6.12, and it cannot be built outside
 * the kernel.
 */
#ifndef VMMON_VMX_ARCH_H
#define VMMON_VMX_ARCH_H

/* CPUID.1:ECX */
#define VMX_CPUID1_ECX_VMX		BIT(5)

/* IA32_VMX_BASIC (MSR 0x480), SDM A.1 */
#define VMX_BASIC_REVISION_MASK		0x7fffffffULL
#define VMX_BASIC_REGION_SIZE_SHIFT	32
#define VMX_BASIC_REGION_SIZE_MASK	0x1fffULL
#define VMX_BASIC_PHYS_32BIT		BIT_ULL(48)
#define VMX_BASIC_MEMTYPE_SHIFT		50
#define VMX_BASIC_MEMTYPE_MASK		0xfULL
#define VMX_BASIC_INOUT_INFO		BIT_ULL(54)
#define VMX_BASIC_TRUE_CONTROLS		BIT_ULL(55)

/* Memory types, SDM A.1 and 29.3.7 */
#define VMX_MEMTYPE_UC			0
#define VMX_MEMTYPE_WB			6

/*
 * A control capability MSR holds the allowed 0-settings in bits 31:0 (a 1
 * there means the control must be 1) and the allowed 1-settings in bits
 * 63:32 (a 0 there means the control must be 0), SDM A.3-A.5.
 */
#define VMX_CTL_ALLOWED0(msr)		((u32)(msr))
#define VMX_CTL_ALLOWED1(msr)		((u32)((msr) >> 32))

/* Pin-based VM-execution controls, SDM 25.6.1 */
#define VMX_PIN_EXT_INTR_EXITING	BIT(0)
#define VMX_PIN_NMI_EXITING		BIT(3)
#define VMX_PIN_VIRTUAL_NMIS		BIT(5)
#define VMX_PIN_PREEMPTION_TIMER	BIT(6)

/* Primary processor-based VM-execution controls, SDM 25.6.2 */
#define VMX_PROC_INTR_WINDOW_EXITING	BIT(2)
#define VMX_PROC_USE_TSC_OFFSETTING	BIT(3)
#define VMX_PROC_HLT_EXITING		BIT(7)
#define VMX_PROC_MWAIT_EXITING		BIT(10)
#define VMX_PROC_RDPMC_EXITING		BIT(11)
#define VMX_PROC_CR8_LOAD_EXITING	BIT(19)
#define VMX_PROC_CR8_STORE_EXITING	BIT(20)
#define VMX_PROC_MOV_DR_EXITING		BIT(23)
#define VMX_PROC_MONITOR_EXITING	BIT(29)
#define VMX_PROC_NMI_WINDOW_EXITING	BIT(22)
#define VMX_PROC_UNCOND_IO_EXITING	BIT(24)
#define VMX_PROC_USE_MSR_BITMAPS	BIT(28)
#define VMX_PROC_SECONDARY_CONTROLS	BIT(31)

/* Secondary processor-based VM-execution controls, SDM 25.6.2 */
#define VMX_PROC2_ENABLE_EPT		BIT(1)
#define VMX_PROC2_ENABLE_RDTSCP		BIT(3)
#define VMX_PROC2_ENABLE_VPID		BIT(5)
#define VMX_PROC2_WBINVD_EXITING	BIT(6)
#define VMX_PROC2_UNRESTRICTED_GUEST	BIT(7)
#define VMX_PROC2_ENABLE_INVPCID	BIT(12)
#define VMX_PROC2_ENABLE_XSAVES		BIT(20)

/* VM-exit controls, SDM 25.7.1 */
#define VMX_EXIT_SAVE_DEBUG_CONTROLS	BIT(2)
#define VMX_EXIT_HOST_ADDR_SPACE_SIZE	BIT(9)
#define VMX_EXIT_ACK_INTR_ON_EXIT	BIT(15)
#define VMX_EXIT_SAVE_PAT		BIT(18)
#define VMX_EXIT_LOAD_PAT		BIT(19)
#define VMX_EXIT_SAVE_EFER		BIT(20)
#define VMX_EXIT_LOAD_EFER		BIT(21)

/* VM-entry controls, SDM 25.8.1 */
#define VMX_ENTRY_LOAD_DEBUG_CONTROLS	BIT(2)
#define VMX_ENTRY_IA32E_MODE_GUEST	BIT(9)
#define VMX_ENTRY_LOAD_PAT		BIT(14)
#define VMX_ENTRY_LOAD_EFER		BIT(15)

/* IA32_VMX_MISC (MSR 0x485), SDM A.6 */
#define VMX_MISC_PREEMPT_TIMER_SHIFT_MASK	0x1fULL

/* IA32_VMX_EPT_VPID_CAP (MSR 0x48c), SDM A.10 */
#define VMX_EPT_CAP_EXECUTE_ONLY	BIT_ULL(0)
#define VMX_EPT_CAP_WALK_LENGTH_4	BIT_ULL(6)
#define VMX_EPT_CAP_MEMTYPE_UC		BIT_ULL(8)
#define VMX_EPT_CAP_MEMTYPE_WB		BIT_ULL(14)
#define VMX_EPT_CAP_2M_PAGES		BIT_ULL(16)
#define VMX_EPT_CAP_1G_PAGES		BIT_ULL(17)
#define VMX_EPT_CAP_INVEPT		BIT_ULL(20)
#define VMX_EPT_CAP_AD_FLAGS		BIT_ULL(21)
#define VMX_EPT_CAP_INVEPT_SINGLE_CTX	BIT_ULL(25)
#define VMX_EPT_CAP_INVEPT_ALL_CTX	BIT_ULL(26)
#define VMX_VPID_CAP_INVVPID		BIT_ULL(32)
#define VMX_VPID_CAP_INVVPID_ADDR	BIT_ULL(40)
#define VMX_VPID_CAP_INVVPID_SINGLE_CTX	BIT_ULL(41)
#define VMX_VPID_CAP_INVVPID_ALL_CTX	BIT_ULL(42)

#endif /* VMMON_VMX_ARCH_H */
