// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of long-mode test guests (see vmmon_guest.h): code that
 * runs in the guest, from the guest's copy of the test program, and never
 * in this process.  So: no libc, and loops written so that gcc cannot
 * turn them into calls to it (the empty asm hides the pattern).
 */
#include <stdint.h>
#include "vmmon_guest.h"

/* Written only in the guest's copy (or by the host through it). */
vmmon_guest_handler_t vmmon_guest_handlers[VMMON_GUEST_NR_VECTORS];

/*
 * 32 exception stubs, 16 bytes apart from vmmon_guest_isr_stubs (the host
 * fills the IDT from that), each pushing a zero where the CPU pushes no
 * error code, then the vector, and going to the common part: it saves the
 * general registers (struct vmmon_guest_frame) and the SSE state, calls
 * the dispatcher with the frame and returns to what the frame says.  On
 * IST1, RSP is 16-aligned before the CPU's five words; with the error
 * code, the vector and 15 registers the frame ends 16-aligned again.
 *
 * vmmon_guest_return is where the guest's entry function returns to.
 */
asm(
"	.pushsection .text, \"ax\", @progbits\n"
"	.balign 16\n"
"	.globl vmmon_guest_isr_stubs\n"
"vmmon_guest_isr_stubs:\n"
"	.set vmmon_vec, 0\n"
"	.rept 32\n"
"	.balign 16\n"
"	.set vmmon_has_error_code, 0\n"
"	.irp v, 8, 10, 11, 12, 13, 14, 17, 21, 29, 30\n"
"	.if vmmon_vec == \\v\n"
"	.set vmmon_has_error_code, 1\n"
"	.endif\n"
"	.endr\n"
"	.if vmmon_has_error_code == 0\n"
"	push $0\n"
"	.endif\n"
"	push $vmmon_vec\n"
"	jmp vmmon_guest_isr_common\n"
"	.set vmmon_vec, vmmon_vec + 1\n"
"	.endr\n"
"vmmon_guest_isr_common:\n"
"	push %rax\n"
"	push %rbx\n"
"	push %rcx\n"
"	push %rdx\n"
"	push %rsi\n"
"	push %rdi\n"
"	push %rbp\n"
"	push %r8\n"
"	push %r9\n"
"	push %r10\n"
"	push %r11\n"
"	push %r12\n"
"	push %r13\n"
"	push %r14\n"
"	push %r15\n"
"	mov %rsp, %rbx\n"
"	sub $512, %rsp\n"
"	and $-16, %rsp\n"
"	fxsave64 (%rsp)\n"
"	mov %rbx, %rdi\n"
"	cld\n"
"	call vmmon_guest_dispatch\n"
"	fxrstor64 (%rsp)\n"
"	mov %rbx, %rsp\n"
"	pop %r15\n"
"	pop %r14\n"
"	pop %r13\n"
"	pop %r12\n"
"	pop %r11\n"
"	pop %r10\n"
"	pop %r9\n"
"	pop %r8\n"
"	pop %rbp\n"
"	pop %rdi\n"
"	pop %rsi\n"
"	pop %rdx\n"
"	pop %rcx\n"
"	pop %rbx\n"
"	pop %rax\n"
"	add $16, %rsp\n"
"	iretq\n"
"\n"
"	.globl vmmon_guest_return\n"
"vmmon_guest_return:\n"
"	and $-16, %rsp\n"
"	call guest_done\n"
"	.popsection\n"
);

size_t guest_strlen(const char *s)
{
	size_t n = 0;

	while (s[n]) {
		asm("" : "+r"(n));
		n++;
	}
	return n;
}

/* @src after the string in @dst, as much as fits in @size with a NUL. */
static void guest_append(char *dst, size_t size, const char *src)
{
	size_t i = guest_strlen(dst);

	for (; *src && i < size - 1; src++, i++) {
		asm("" : "+r"(i));
		dst[i] = *src;
	}
	dst[i] = 0;
}

/* The tail of @src that fits, so that a long path keeps its file name. */
static void guest_copy_tail(char *dst, size_t size, const char *src)
{
	size_t len = guest_strlen(src);

	if (len >= size)
		src += len - (size - 1);
	dst[0] = 0;
	guest_append(dst, size, src);
}

static void guest_append_hex(char *dst, size_t size, uint64_t v)
{
	char digits[19];
	int i = sizeof(digits) - 1, shift = 0;

	digits[i] = 0;
	do {
		digits[--i] = "0123456789abcdef"[(v >> shift) & 0xf];
		shift += 4;
	} while (shift < 64 && v >> shift);
	digits[--i] = 'x';
	digits[--i] = '0';
	guest_append(dst, size, digits + i);
}

void guest_install_handler(unsigned int vector, vmmon_guest_handler_t h)
{
	if (vector < VMMON_GUEST_NR_VECTORS)
		vmmon_guest_handlers[vector] = h;
}

static uint64_t guest_ucall_send(struct vmmon_ucall *uc)
{
	uint64_t reply = 0;

	asm volatile("outb %%al, %[port]"
		     : "+a"(reply)
		     : [port] "i"(VMMON_UCALL_PORT), "D"(uc)
		     : "memory");
	return reply;
}

/* Not an initializer: gcc may zero a whole struct with memset. */
static void guest_ucall_init(struct vmmon_ucall *uc, uint32_t cmd,
			     uint32_t nargs, uint64_t a0, uint64_t a1,
			     uint64_t a2, uint64_t a3)
{
	uc->cmd = cmd;
	uc->nargs = nargs;
	uc->args[0] = a0;
	uc->args[1] = a1;
	uc->args[2] = a2;
	uc->args[3] = a3;
	uc->line = 0;
	uc->pad = 0;
	uc->file[0] = 0;
	uc->text[0] = 0;
}

uint64_t guest_ucall(uint32_t cmd, uint32_t nargs, uint64_t a0, uint64_t a1,
		     uint64_t a2, uint64_t a3)
{
	struct vmmon_ucall uc;

	guest_ucall_init(&uc, cmd, nargs, a0, a1, a2, a3);
	return guest_ucall_send(&uc);
}

uint64_t guest_ucall_text(uint32_t cmd, const char *text)
{
	struct vmmon_ucall uc;

	guest_ucall_init(&uc, cmd, 0, 0, 0, 0, 0);
	guest_copy_tail(uc.text, sizeof(uc.text), text);
	return guest_ucall_send(&uc);
}

/*
 * User mode: SYSRET to the caller's @fn at CPL 3 on the same stack (every
 * page is a user page), aligned as for a call; @fn's return runs SYSCALL,
 * which lands at vmmon_guest_user_return at CPL 0, where the kernel
 * stack pointer and the callee-saved registers come back.  Not nested.
 */
#define MSR_EFER	0xc0000080
#define EFER_SCE	(1ULL << 0)
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084
#define RFLAGS_TF	(1ULL << 8)

uint64_t vmmon_guest_user_rsp __attribute__((used));
void vmmon_guest_enter_user(void (*fn)(void));
extern const char vmmon_guest_user_return[];

asm(
".pushsection .text\n"
"	.globl vmmon_guest_enter_user, vmmon_guest_user_return\n"
"vmmon_guest_enter_user:\n"
"	push %rbx\n"
"	push %rbp\n"
"	push %r12\n"
"	push %r13\n"
"	push %r14\n"
"	push %r15\n"
"	mov %rsp, vmmon_guest_user_rsp(%rip)\n"
"	lea 1f(%rip), %rcx\n"
"	mov $0x3002, %r11\n"		/* IOPL 3, IF clear */
"	sysretq\n"
"1:	sub $8, %rsp\n"
"	call *%rdi\n"
"	syscall\n"
"vmmon_guest_user_return:\n"
"	mov vmmon_guest_user_rsp(%rip), %rsp\n"
"	pop %r15\n"
"	pop %r14\n"
"	pop %r13\n"
"	pop %r12\n"
"	pop %rbp\n"
"	pop %rbx\n"
"	ret\n"
".popsection\n");

void guest_user_call(void (*fn)(void))
{
	guest_wrmsr(MSR_EFER, guest_rdmsr(MSR_EFER) | EFER_SCE);
	guest_wrmsr(MSR_STAR,
		    (uint64_t)VMMON_GUEST_SEL_USER_CODE32 << 48 |
		    (uint64_t)VMMON_GUEST_SEL_CODE64 << 32);
	guest_wrmsr(MSR_LSTAR, (uintptr_t)vmmon_guest_user_return);
	guest_wrmsr(MSR_SFMASK, RFLAGS_TF);
	vmmon_guest_enter_user(fn);
}

static void __attribute__((noreturn)) guest_halt(void)
{
	for (;;)
		asm volatile("hlt");
}

void guest_done(void)
{
	guest_ucall(VMMON_UCALL_DONE, 0, 0, 0, 0, 0);
	guest_halt();
}

static void __attribute__((noreturn))
guest_abort_uc(struct vmmon_ucall *uc, const char *file, int line)
{
	uc->line = line;
	guest_copy_tail(uc->file, sizeof(uc->file), file);
	guest_ucall_send(uc);
	guest_halt();
}

void guest_abort(const char *file, int line, const char *text,
		 uint32_t nargs, uint64_t a0, uint64_t a1, uint64_t a2,
		 uint64_t a3)
{
	struct vmmon_ucall uc;

	guest_ucall_init(&uc, VMMON_UCALL_ABORT, nargs, a0, a1, a2, a3);
	guest_copy_tail(uc.text, sizeof(uc.text), text);
	guest_abort_uc(&uc, file, line);
}

static const char *const guest_exception_names[VMMON_GUEST_NR_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "coprocessor segment overrun", "#TS", "#NP", "#SS", "#GP",
	"#PF", "reserved", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	"reserved", "reserved", "reserved", "reserved", "reserved",
	"reserved", "#HV", "#VC", "#SX", "reserved",
};

/*
 * Called by the stubs.  Without a handler: ABORT with args vector, error
 * code, RIP and (for #PF) CR2, and a text saying the same.
 */
void vmmon_guest_dispatch(struct vmmon_guest_frame *f)
{
	vmmon_guest_handler_t h = vmmon_guest_handlers[f->vector];
	struct vmmon_ucall uc;
	uint64_t cr2 = 0;

	if (h) {
		h(f);
		return;
	}
	if (f->vector == 14)
		asm volatile("mov %%cr2, %0" : "=r"(cr2));
	guest_ucall_init(&uc, VMMON_UCALL_ABORT, 4, f->vector, f->error_code,
			 f->rip, cr2);
	guest_append(uc.text, sizeof(uc.text), "unhandled exception ");
	guest_append(uc.text, sizeof(uc.text),
		     guest_exception_names[f->vector]);
	guest_append(uc.text, sizeof(uc.text), ", error code ");
	guest_append_hex(uc.text, sizeof(uc.text), f->error_code);
	guest_append(uc.text, sizeof(uc.text), ", rip ");
	guest_append_hex(uc.text, sizeof(uc.text), f->rip);
	if (f->vector == 14) {
		guest_append(uc.text, sizeof(uc.text), ", cr2 ");
		guest_append_hex(uc.text, sizeof(uc.text), cr2);
	}
	guest_abort_uc(&uc, __FILE__, __LINE__);
}
