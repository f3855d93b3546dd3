/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMCS fields (SDM 3C appendix B) and typed access to them.
 *
 * A field's encoding carries its width in bits 14:13; each accessor
 * checks at build time that it is used on a field of its own width, so
 * a 32-bit field written with vmcs_write64() does not compile.  A failed
 * VMREAD or VMWRITE is reported in one place, vmx_vmcs_error().
 */
#ifndef VMMON_VMX_VMCS_H
#define VMMON_VMX_VMCS_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include "vmx_insn.h"

/* Encoding bits 14:13, SDM B.1-B.4 */
#define VMCS_WIDTH_MASK		0x6000
#define VMCS_WIDTH_16		0x0000
#define VMCS_WIDTH_64		0x2000
#define VMCS_WIDTH_32		0x4000
#define VMCS_WIDTH_NATURAL	0x6000

/* 16-bit control fields */
#define VMCS_VPID				0x0000

/* 16-bit guest-state fields: selectors, ES CS SS DS FS GS LDTR TR */
#define VMCS_GUEST_ES_SELECTOR			0x0800
#define VMCS_GUEST_CS_SELECTOR			0x0802
#define VMCS_GUEST_SS_SELECTOR			0x0804
#define VMCS_GUEST_DS_SELECTOR			0x0806
#define VMCS_GUEST_FS_SELECTOR			0x0808
#define VMCS_GUEST_GS_SELECTOR			0x080a
#define VMCS_GUEST_LDTR_SELECTOR		0x080c
#define VMCS_GUEST_TR_SELECTOR			0x080e

/* 16-bit host-state fields */
#define VMCS_HOST_ES_SELECTOR			0x0c00
#define VMCS_HOST_CS_SELECTOR			0x0c02
#define VMCS_HOST_SS_SELECTOR			0x0c04
#define VMCS_HOST_DS_SELECTOR			0x0c06
#define VMCS_HOST_FS_SELECTOR			0x0c08
#define VMCS_HOST_GS_SELECTOR			0x0c0a
#define VMCS_HOST_TR_SELECTOR			0x0c0c

/* 64-bit control fields */
#define VMCS_MSR_BITMAP				0x2004
#define VMCS_EXIT_MSR_STORE_ADDR		0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR			0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR		0x200a
#define VMCS_TSC_OFFSET				0x2010
#define VMCS_EPT_POINTER			0x201a

/* 64-bit read-only data fields */
#define VMCS_GUEST_PHYSICAL_ADDRESS		0x2400

/* 64-bit guest-state fields */
#define VMCS_LINK_POINTER			0x2800
#define VMCS_GUEST_DEBUGCTL			0x2802
#define VMCS_GUEST_PAT				0x2804
#define VMCS_GUEST_EFER				0x2806
#define VMCS_GUEST_PDPTE0			0x280a	/* PDPTE1..3 follow, 2 apart */

/* 64-bit host-state fields */
#define VMCS_HOST_PAT				0x2c00
#define VMCS_HOST_EFER				0x2c02

/* 32-bit control fields */
#define VMCS_PIN_BASED_CONTROLS			0x4000
#define VMCS_PROC_BASED_CONTROLS		0x4002
#define VMCS_EXCEPTION_BITMAP			0x4004
#define VMCS_PAGE_FAULT_ERROR_MASK		0x4006
#define VMCS_PAGE_FAULT_ERROR_MATCH		0x4008
#define VMCS_CR3_TARGET_COUNT			0x400a
#define VMCS_EXIT_CONTROLS			0x400c
#define VMCS_EXIT_MSR_STORE_COUNT		0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT		0x4010
#define VMCS_ENTRY_CONTROLS			0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT		0x4014
#define VMCS_ENTRY_INTR_INFO			0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE		0x4018
#define VMCS_ENTRY_INSTRUCTION_LEN		0x401a
#define VMCS_PROC_BASED_CONTROLS2		0x401e

/* 32-bit read-only data fields */
#define VMCS_VM_INSTRUCTION_ERROR		0x4400
#define VMCS_EXIT_REASON			0x4402
#define VMCS_EXIT_INTR_INFO			0x4404
#define VMCS_EXIT_INTR_ERROR_CODE		0x4406
#define VMCS_IDT_VECTORING_INFO			0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE		0x440a
#define VMCS_EXIT_INSTRUCTION_LEN		0x440c
#define VMCS_EXIT_INSTRUCTION_INFO		0x440e

/* 32-bit guest-state fields */
#define VMCS_GUEST_ES_LIMIT			0x4800
#define VMCS_GUEST_CS_LIMIT			0x4802
#define VMCS_GUEST_SS_LIMIT			0x4804
#define VMCS_GUEST_DS_LIMIT			0x4806
#define VMCS_GUEST_FS_LIMIT			0x4808
#define VMCS_GUEST_GS_LIMIT			0x480a
#define VMCS_GUEST_LDTR_LIMIT			0x480c
#define VMCS_GUEST_TR_LIMIT			0x480e
#define VMCS_GUEST_GDTR_LIMIT			0x4810
#define VMCS_GUEST_IDTR_LIMIT			0x4812
#define VMCS_GUEST_ES_AR			0x4814
#define VMCS_GUEST_CS_AR			0x4816
#define VMCS_GUEST_SS_AR			0x4818
#define VMCS_GUEST_DS_AR			0x481a
#define VMCS_GUEST_FS_AR			0x481c
#define VMCS_GUEST_GS_AR			0x481e
#define VMCS_GUEST_LDTR_AR			0x4820
#define VMCS_GUEST_TR_AR			0x4822
#define VMCS_GUEST_INTERRUPTIBILITY		0x4824
#define VMCS_GUEST_ACTIVITY_STATE		0x4826
#define VMCS_GUEST_SYSENTER_CS			0x482a
#define VMCS_PREEMPTION_TIMER_VALUE		0x482e

/* 32-bit host-state field */
#define VMCS_HOST_SYSENTER_CS			0x4c00

/* Natural-width control fields */
#define VMCS_CR0_GUEST_HOST_MASK		0x6000
#define VMCS_CR4_GUEST_HOST_MASK		0x6002
#define VMCS_CR0_READ_SHADOW			0x6004
#define VMCS_CR4_READ_SHADOW			0x6006

/* Natural-width read-only data fields */
#define VMCS_EXIT_QUALIFICATION			0x6400
#define VMCS_GUEST_LINEAR_ADDRESS		0x640a

/* Natural-width guest-state fields */
#define VMCS_GUEST_CR0				0x6800
#define VMCS_GUEST_CR3				0x6802
#define VMCS_GUEST_CR4				0x6804
#define VMCS_GUEST_ES_BASE			0x6806
#define VMCS_GUEST_CS_BASE			0x6808
#define VMCS_GUEST_SS_BASE			0x680a
#define VMCS_GUEST_DS_BASE			0x680c
#define VMCS_GUEST_FS_BASE			0x680e
#define VMCS_GUEST_GS_BASE			0x6810
#define VMCS_GUEST_LDTR_BASE			0x6812
#define VMCS_GUEST_TR_BASE			0x6814
#define VMCS_GUEST_GDTR_BASE			0x6816
#define VMCS_GUEST_IDTR_BASE			0x6818
#define VMCS_GUEST_DR7				0x681a
#define VMCS_GUEST_RSP				0x681c
#define VMCS_GUEST_RIP				0x681e
#define VMCS_GUEST_RFLAGS			0x6820
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS	0x6822
#define VMCS_GUEST_SYSENTER_ESP			0x6824
#define VMCS_GUEST_SYSENTER_EIP			0x6826

/* Natural-width host-state fields */
#define VMCS_HOST_CR0				0x6c00
#define VMCS_HOST_CR3				0x6c02
#define VMCS_HOST_CR4				0x6c04
#define VMCS_HOST_FS_BASE			0x6c06
#define VMCS_HOST_GS_BASE			0x6c08
#define VMCS_HOST_TR_BASE			0x6c0a
#define VMCS_HOST_GDTR_BASE			0x6c0c
#define VMCS_HOST_IDTR_BASE			0x6c0e
#define VMCS_HOST_SYSENTER_ESP			0x6c10
#define VMCS_HOST_SYSENTER_EIP			0x6c12
#define VMCS_HOST_RSP				0x6c14	/* written by vmx_switch.S */
#define VMCS_HOST_RIP				0x6c16

/* Basic exit reasons, SDM 3C appendix C; bit 31 flags a failed entry. */
#define VMX_EXIT_EXCEPTION_NMI			0
#define VMX_EXIT_EXTERNAL_INTERRUPT		1
#define VMX_EXIT_TRIPLE_FAULT			2
#define VMX_EXIT_INTERRUPT_WINDOW		7
#define VMX_EXIT_NMI_WINDOW			8
#define VMX_EXIT_TASK_SWITCH			9
#define VMX_EXIT_CPUID				10
#define VMX_EXIT_GETSEC				11
#define VMX_EXIT_HLT				12
#define VMX_EXIT_INVD				13
#define VMX_EXIT_RDPMC				15
#define VMX_EXIT_VMCALL				18
#define VMX_EXIT_VMCLEAR			19
#define VMX_EXIT_VMLAUNCH			20
#define VMX_EXIT_VMPTRLD			21
#define VMX_EXIT_VMPTRST			22
#define VMX_EXIT_VMREAD				23
#define VMX_EXIT_VMRESUME			24
#define VMX_EXIT_VMWRITE			25
#define VMX_EXIT_VMXOFF				26
#define VMX_EXIT_VMXON				27
#define VMX_EXIT_CR_ACCESS			28
#define VMX_EXIT_DR_ACCESS			29
#define VMX_EXIT_IO_INSTRUCTION			30
#define VMX_EXIT_RDMSR				31
#define VMX_EXIT_WRMSR				32
#define VMX_EXIT_MWAIT				36
#define VMX_EXIT_MCE_DURING_VMENTRY		41
#define VMX_EXIT_MONITOR			39
#define VMX_EXIT_EPT_VIOLATION			48
#define VMX_EXIT_INVEPT				50
#define VMX_EXIT_PREEMPTION_TIMER		52
#define VMX_EXIT_INVVPID			53
#define VMX_EXIT_WBINVD				54
#define VMX_EXIT_XSETBV				55
#define VMX_EXIT_VMFUNC				59
#define VMX_EXIT_REASON_BASIC_MASK		0xffff
#define VMX_EXIT_REASON_ENTRY_FAILED		BIT(31)

/* Exit qualification of I/O instructions, SDM 3C table 28-5 */
#define VMX_IO_QUAL_SIZE_MASK			0x7	/* size - 1 */
#define VMX_IO_QUAL_IN				BIT(3)
#define VMX_IO_QUAL_STRING			BIT(4)
#define VMX_IO_QUAL_REP				BIT(5)
#define VMX_IO_QUAL_PORT_SHIFT			16
/* VM-exit instruction information of INS/OUTS, SDM 3C table 28-8 */
#define VMX_INSN_INFO_ADDR_SIZE_SHIFT		7	/* 0: 16, 1: 32, 2: 64 bits */
#define VMX_INSN_INFO_ADDR_SIZE_MASK		0x7
/* Exit qualification of control-register accesses, SDM 3C table 28-3 */
#define VMX_CR_QUAL_CR_MASK			0xf
#define VMX_CR_QUAL_TYPE_SHIFT			4
#define VMX_CR_QUAL_TYPE_MASK			0x3
#define VMX_CR_QUAL_TYPE_MOV_TO_CR		0
#define VMX_CR_QUAL_TYPE_MOV_FROM_CR		1
#define VMX_CR_QUAL_TYPE_CLTS			2
#define VMX_CR_QUAL_TYPE_LMSW			3
#define VMX_CR_QUAL_GPR_SHIFT			8
#define VMX_CR_QUAL_GPR_MASK			0xf
#define VMX_CR_QUAL_LMSW_SRC_SHIFT		16
/* Exit qualification of debug-register accesses, SDM 3C table 28-4 */
#define VMX_DR_QUAL_DR_MASK			0x7
#define VMX_DR_QUAL_FROM_DR			BIT(4)
#define VMX_DR_QUAL_GPR_SHIFT			8
#define VMX_DR_QUAL_GPR_MASK			0xf
/* Exit qualification of EPT violations, SDM 3C table 28-7 */
#define VMX_EPT_QUAL_WRITE			BIT(1)
#define VMX_EPT_QUAL_FETCH			BIT(2)
#define VMX_EPT_QUAL_NMI_UNBLOCKED		BIT(12)	/* by an IRET */
/* Guest interruptibility state, SDM 3C table 25-3 */
#define VMX_INTERRUPTIBILITY_STI		BIT(0)
#define VMX_INTERRUPTIBILITY_MOV_SS		BIT(1)
#define VMX_INTERRUPTIBILITY_NMI		BIT(3)	/* virtual-NMI blocking */

/* VM-exit interruption information, SDM 3C 25.9.2 */
#define VMX_INTR_INFO_VECTOR_MASK		0xff
#define VMX_INTR_INFO_TYPE_MASK			0x700
#define VMX_INTR_INFO_TYPE_EXT_INTR		0x000
#define VMX_INTR_INFO_TYPE_NMI			0x200
#define VMX_INTR_INFO_TYPE_HW_EXCEPTION		0x300
#define VMX_INTR_INFO_TYPE_SOFT_INTR		0x400
#define VMX_INTR_INFO_TYPE_PRIV_SOFT_EXC	0x500
#define VMX_INTR_INFO_TYPE_SOFT_EXC		0x600
#define VMX_INTR_INFO_DELIVER_CODE		BIT(11)
#define VMX_INTR_INFO_NMI_UNBLOCKED		BIT(12)
#define VMX_INTR_INFO_VALID			BIT(31)
#define VMX_NMI_VECTOR				2

/* Access rights: bit 16 marks an unusable segment (SDM 3C 25.4.1). */
#define VMX_AR_UNUSABLE				BIT(16)

/* A VMCS link pointer that means "no shadow VMCS" (SDM 26.3.1.5). */
#define VMCS_LINK_POINTER_NONE			(~0ULL)

#define VMCS_CHECK_WIDTH(field, width)					\
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&			\
			 ((field) & VMCS_WIDTH_MASK) != (width),	\
			 "VMCS field used with an accessor of the wrong width")

void vmx_vmcs_error(const char *op, unsigned long field,
		    enum vmx_insn_status st);

static __always_inline void __vmcs_write(unsigned long field, u64 value)
{
	enum vmx_insn_status st = vmx_vmwrite(field, value);

	if (unlikely(st != VMX_INSN_OK))
		vmx_vmcs_error("VMWRITE", field, st);
}

static __always_inline u64 __vmcs_read(unsigned long field)
{
	u64 value;
	enum vmx_insn_status st = vmx_vmread(field, &value);

	if (unlikely(st != VMX_INSN_OK)) {
		vmx_vmcs_error("VMREAD", field, st);
		return 0;
	}
	return value;
}

static __always_inline void vmcs_write16(unsigned long field, u16 value)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_16);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_write32(unsigned long field, u32 value)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_32);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_write64(unsigned long field, u64 value)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_64);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_writel(unsigned long field, u64 value)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_NATURAL);
	__vmcs_write(field, value);
}

static __always_inline u16 vmcs_read16(unsigned long field)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_16);
	return __vmcs_read(field);
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_32);
	return __vmcs_read(field);
}

static __always_inline u64 vmcs_read64(unsigned long field)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_64);
	return __vmcs_read(field);
}

static __always_inline u64 vmcs_readl(unsigned long field)
{
	VMCS_CHECK_WIDTH(field, VMCS_WIDTH_NATURAL);
	return __vmcs_read(field);
}

#endif /* VMMON_VMX_VMCS_H */
