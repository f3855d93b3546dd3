/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX instructions vmmon uses outside the world switch, each in one
 * inline function that reports how it failed (SDM 3C 31.2, "Conventions"):
 * VMfailInvalid sets CF, VMfailValid sets ZF, and a fault (#UD or #GP,
 * e.g. VMX disabled under us) is caught through the exception table
 * instead of crashing the host.
 */
#ifndef VMMON_VMX_INSN_H
#define VMMON_VMX_INSN_H

#include <linux/compiler.h>
#include <asm/asm.h>

enum vmx_insn_status {
	VMX_INSN_OK,
	VMX_INSN_FAIL_INVALID,	/* CF: no current VMCS, or bad operand */
	VMX_INSN_FAIL_VALID,	/* ZF: error number in the current VMCS */
	VMX_INSN_FAULT,		/* #UD or #GP */
};

static __always_inline enum vmx_insn_status vmx_vmxon(u64 region_pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jc %l[fail_invalid]\n\t"
		 "jz %l[fail_valid]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m"(region_pa) : "cc", "memory"
		 : fail_invalid, fail_valid, fault);
	return VMX_INSN_OK;
fail_invalid:
	return VMX_INSN_FAIL_INVALID;
fail_valid:
	return VMX_INSN_FAIL_VALID;
fault:
	return VMX_INSN_FAULT;
}

static __always_inline enum vmx_insn_status vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 "jc %l[fail_invalid]\n\t"
		 "jz %l[fail_valid]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory"
		 : fail_invalid, fail_valid, fault);
	return VMX_INSN_OK;
fail_invalid:
	return VMX_INSN_FAIL_INVALID;
fail_valid:
	return VMX_INSN_FAIL_VALID;
fault:
	return VMX_INSN_FAULT;
}

#endif /* VMMON_VMX_INSN_H */
