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
#include <linux/types.h>
#include <asm/asm.h>

enum vmx_insn_status {
	VMX_INSN_OK,
	VMX_INSN_FAIL_INVALID,	/* CF: no current VMCS, or bad operand */
	VMX_INSN_FAIL_VALID,	/* ZF: error number in the current VMCS */
	VMX_INSN_FAULT,		/* #UD or #GP */
};

/*
 * For an instruction at local label 1 inside asm goto: branch on its
 * outcome, then turn the branch into an enum vmx_insn_status.
 */
#define VMX_INSN_BRANCHES					\
	"jc %l[fail_invalid]\n\t"				\
	"jz %l[fail_valid]\n\t"					\
	_ASM_EXTABLE(1b, %l[fault])
#define VMX_INSN_LABELS		fail_invalid, fail_valid, fault
#define VMX_INSN_RETURN_STATUS					\
	return VMX_INSN_OK;					\
fail_invalid:							\
	return VMX_INSN_FAIL_INVALID;				\
fail_valid:							\
	return VMX_INSN_FAIL_VALID;				\
fault:								\
	return VMX_INSN_FAULT

static __always_inline enum vmx_insn_status vmx_vmxon(u64 region_pa)
{
	asm goto("1: vmxon %[pa]\n\t" VMX_INSN_BRANCHES
		 : : [pa] "m"(region_pa) : "cc", "memory" : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

static __always_inline enum vmx_insn_status vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t" VMX_INSN_BRANCHES
		 : : : "cc", "memory" : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

/* Make the VMCS at @vmcs_pa inactive and not current, flushed to memory. */
static __always_inline enum vmx_insn_status vmx_vmclear(u64 vmcs_pa)
{
	asm goto("1: vmclear %[pa]\n\t" VMX_INSN_BRANCHES
		 : : [pa] "m"(vmcs_pa) : "cc", "memory" : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

/* Make the VMCS at @vmcs_pa current (and active) on this CPU. */
static __always_inline enum vmx_insn_status vmx_vmptrld(u64 vmcs_pa)
{
	asm goto("1: vmptrld %[pa]\n\t" VMX_INSN_BRANCHES
		 : : [pa] "m"(vmcs_pa) : "cc", "memory" : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

static __always_inline enum vmx_insn_status vmx_vmwrite(unsigned long field,
							  u64 value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t" VMX_INSN_BRANCHES
		 : : [field] "r"(field), [value] "rm"(value) : "cc"
		 : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

/* INVVPID types, SDM 3C 31.3 */
#define VMX_INVVPID_SINGLE_CONTEXT	1
#define VMX_INVVPID_ALL_CONTEXT		2
/* INVEPT types (SDM 3C 31.3) */
#define VMX_INVEPT_SINGLE_CONTEXT	1
#define VMX_INVEPT_ALL_CONTEXT		2

/* Invalidate the TLB entries tagged with @vpid (or all, by @type). */
static __always_inline enum vmx_insn_status vmx_invvpid(unsigned long type,
							  u16 vpid)
{
	struct {
		u64 vpid;
		u64 linear_address;
	} desc = { .vpid = vpid };

	asm goto("1: invvpid %[desc], %[type]\n\t" VMX_INSN_BRANCHES
		 : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory"
		 : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

static __always_inline enum vmx_insn_status vmx_invept(unsigned long type,
							 u64 eptp)
{
	struct {
		u64 eptp;
		u64 reserved;
	} desc = { .eptp = eptp };

	asm goto("1: invept %[desc], %[type]\n\t" VMX_INSN_BRANCHES
		 : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory"
		 : VMX_INSN_LABELS);
	VMX_INSN_RETURN_STATUS;
}

/*
 * VMREAD has an output, and asm goto with outputs needs a newer compiler
 * than the kernels' minimum: read the flags with SETcc instead.
 */
static __always_inline enum vmx_insn_status vmx_vmread(unsigned long field,
							 u64 *value)
{
	u8 cf = 0, zf = 0, faulted = 1;
	u64 v = 0;

	asm volatile("1: vmread %[field], %[v]\n\t"
		     "setc %[cf]\n\t"
		     "setz %[zf]\n\t"
		     "movb $0, %[faulted]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [v] "+r"(v), [cf] "+qm"(cf), [zf] "+qm"(zf),
		       [faulted] "+qm"(faulted)
		     : [field] "r"(field) : "cc");
	*value = v;
	if (faulted)
		return VMX_INSN_FAULT;
	if (cf)
		return VMX_INSN_FAIL_INVALID;
	if (zf)
		return VMX_INSN_FAIL_VALID;
	return VMX_INSN_OK;
}

#endif /* VMMON_VMX_INSN_H */
