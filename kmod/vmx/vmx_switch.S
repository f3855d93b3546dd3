/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch, with the speculation barriers that must sit inside
 * it (vmx_spec.c says which apply), the one instruction it leaves to
 * redo after it (LLDT), and the software L1D flush: the only assembly
 * in vmmon besides the VMX and XSAVE instruction wrappers.
 *
 * int __vmx_vcpu_run(struct vmx_guest_regs *regs, bool launched)
 *   %rdi = regs, %sil = launched: VMRESUME when the current VMCS was
 *   launched since it was last loaded (VMPTRLD after VMCLEAR), VMLAUNCH
 *   otherwise.  Returns 0 after a VM exit, with the guest's general
 *   registers saved in *regs and cleared from the CPU; 1 when VMLAUNCH
 *   or VMRESUME failed, with the host's callee-saved registers intact.
 *
 * Register contract: the C calling convention.  Callee-saved registers
 * and the regs pointer are pushed before entry; HOST_RSP points at them,
 * so at vmx_vmexit the stack is exactly as it was at VMLAUNCH.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/nospec-branch.h>
#include <asm/page_types.h>
#include <asm/unwind_hints.h>
#include "vmx_regs.h"

#define VMCS_HOST_RSP	0x6c14

.section .text, "ax"

SYM_FUNC_START(__vmx_vcpu_run)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdi			/* regs, for after the exit */

	mov  $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe  .Lfail_noguest

	/* CF = launched: it survives the MOVs and VERW (which sets ZF). */
	bt $0, %esi
	mov VMX_REG_RAX(%rdi), %rax
	mov VMX_REG_RBX(%rdi), %rbx
	mov VMX_REG_RCX(%rdi), %rcx
	mov VMX_REG_RDX(%rdi), %rdx
	mov VMX_REG_RSI(%rdi), %rsi
	mov VMX_REG_RBP(%rdi), %rbp
	mov VMX_REG_R8(%rdi),  %r8
	mov VMX_REG_R9(%rdi),  %r9
	mov VMX_REG_R10(%rdi), %r10
	mov VMX_REG_R11(%rdi), %r11
	mov VMX_REG_R12(%rdi), %r12
	mov VMX_REG_R13(%rdi), %r13
	mov VMX_REG_R14(%rdi), %r14
	mov VMX_REG_R15(%rdi), %r15
	mov VMX_REG_RDI(%rdi), %rdi

	UNWIND_HINT_SAVE
	/*
	 * MDS and its kin: nothing of the host's may be left in the CPU's
	 * buffers for the guest to sample, so VERW comes last.
	 */
	VM_CLEAR_CPU_BUFFERS
	jc .Lresume
	vmlaunch
	/* Only reached when VMLAUNCH failed: %rbp is the guest's now. */
	jmp .Lfail
.Lresume:
	vmresume
	jmp .Lfail

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push %rax			/* guest RAX */
	mov  8(%rsp), %rax		/* regs */
	mov  %rbx, VMX_REG_RBX(%rax)
	mov  %rcx, VMX_REG_RCX(%rax)
	mov  %rdx, VMX_REG_RDX(%rax)
	mov  %rsi, VMX_REG_RSI(%rax)
	mov  %rdi, VMX_REG_RDI(%rax)
	mov  %rbp, VMX_REG_RBP(%rax)
	mov  %r8,  VMX_REG_R8(%rax)
	mov  %r9,  VMX_REG_R9(%rax)
	mov  %r10, VMX_REG_R10(%rax)
	mov  %r11, VMX_REG_R11(%rax)
	mov  %r12, VMX_REG_R12(%rax)
	mov  %r13, VMX_REG_R13(%rax)
	mov  %r14, VMX_REG_R14(%rax)
	mov  %r15, VMX_REG_R15(%rax)
	pop  VMX_REG_RAX(%rax)

	/*
	 * No guest value may linger for speculation to find (the callee-
	 * saved ones come back from the stack at .Lout, after the calls
	 * below, which must not see the guest's RBP as a frame).
	 */
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d

	/*
	 * Before the first RET (or unbalanced call) after the exit: the
	 * return stack buffer holds the guest's predictions; legacy IBRS
	 * must be written again after a switch from a less privileged
	 * mode; then the branch history the guest left is overwritten.
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	ALTERNATIVE "", "call vmx_spec_ctrl_restore_host", X86_FEATURE_KERNEL_IBRS
	CLEAR_BRANCH_HISTORY_VMEXIT
	xor %eax, %eax
	jmp .Lout

.Lfail:
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
.Lfail_noguest:
	mov $1, %eax
.Lout:
	pop %rdi
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)

/*
 * void vmx_load_ldt(u16 sel): LDTR, which VM exit nulls, loaded again
 * from the descriptor the CPU's GDT still holds (%di = selector).
 */
SYM_FUNC_START(vmx_load_ldt)
	lldt %di
	RET
SYM_FUNC_END(vmx_load_ldt)

/*
 * void vmx_l1d_flush_sw(void *buf, unsigned long size): evict the L1
 * data cache where the CPU has no IA32_FLUSH_CMD, by reading one byte of
 * every 64-byte line of @buf (twice the largest L1D).  Each page is
 * touched first and CPUID serialises, so that the second pass only
 * fills the cache and waits for no page walk.
 */
#define VMX_L1D_LINE	64

SYM_FUNC_START(vmx_l1d_flush_sw)
	push %rbx
	xor %eax, %eax
.Ltouch_pages:
	movzbl (%rdi, %rax), %ecx
	add $PAGE_SIZE, %rax
	cmp %rsi, %rax
	jb .Ltouch_pages
	xor %eax, %eax
	cpuid
	xor %eax, %eax
.Lread_lines:
	movzbl (%rdi, %rax), %ecx
	add $VMX_L1D_LINE, %rax
	cmp %rsi, %rax
	jb .Lread_lines
	lfence
	pop %rbx
	RET
SYM_FUNC_END(vmx_l1d_flush_sw)
