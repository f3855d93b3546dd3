/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest registers the world switch saves and restores, as offsets
 * that vmx_switch.S and C share (RSP, RIP and RFLAGS live in the VMCS).
 */
#ifndef VMMON_VMX_REGS_H
#define VMMON_VMX_REGS_H

#define VMX_REG_RAX	0
#define VMX_REG_RBX	8
#define VMX_REG_RCX	16
#define VMX_REG_RDX	24
#define VMX_REG_RSI	32
#define VMX_REG_RDI	40
#define VMX_REG_RBP	48
#define VMX_REG_R8	56
#define VMX_REG_R9	64
#define VMX_REG_R10	72
#define VMX_REG_R11	80
#define VMX_REG_R12	88
#define VMX_REG_R13	96
#define VMX_REG_R14	104
#define VMX_REG_R15	112

#ifndef __ASSEMBLY__
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

struct vmx_guest_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* The offsets above are the struct's: checked at build time. */
#define VMX_REG_CHECK(reg, REG) \
	static_assert(offsetof(struct vmx_guest_regs, reg) == VMX_REG_##REG)
VMX_REG_CHECK(rax, RAX);
VMX_REG_CHECK(rbx, RBX);
VMX_REG_CHECK(rcx, RCX);
VMX_REG_CHECK(rdx, RDX);
VMX_REG_CHECK(rsi, RSI);
VMX_REG_CHECK(rdi, RDI);
VMX_REG_CHECK(rbp, RBP);
VMX_REG_CHECK(r8, R8);
VMX_REG_CHECK(r9, R9);
VMX_REG_CHECK(r10, R10);
VMX_REG_CHECK(r11, R11);
VMX_REG_CHECK(r12, R12);
VMX_REG_CHECK(r13, R13);
VMX_REG_CHECK(r14, R14);
VMX_REG_CHECK(r15, R15);
static_assert(sizeof(struct vmx_guest_regs) == VMX_REG_R15 + 8);

/*
 * Enter the guest with @regs loaded, by VMRESUME if @launched, else
 * VMLAUNCH; returns 0 after a VM exit with the guest's registers saved
 * back into @regs, 1 when the instruction itself failed (VMfailInvalid or
 * VMfailValid).  Interrupts must be off.
 */
int __vmx_vcpu_run(struct vmx_guest_regs *regs, bool launched);

/* Load LDTR with @sel, a selector of this CPU's GDT (0: no LDT). */
void vmx_load_ldt(u16 sel);
#endif

#endif /* VMMON_VMX_REGS_H */
