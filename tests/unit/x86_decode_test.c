// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/x86/x86_decode.c and x86_alu.c, built natively.
 * The encodings are what GNU as emits for the AT&T text beside them
 * (checked with objdump), except the rows marked "by hand", which follow
 * SDM vol. 2 section 2.2.1 for prefix orders as has no syntax for.
 *
 * The strongest checks run the host CPU: x86_alu() against the real
 * instructions on register operands (every pair of byte operands, edge
 * and random values for the wider ones), and decode-then-emulate against
 * the real instruction with a memory operand, assembled here, run on a
 * host buffer with every register and flag compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/types.h>
#include "vmmon_harness.h"
#include "x86_decode.h"

#define X86_MAX_INSN_BYTES	15

#define LD	X86_MMIO_LOAD
#define ST	X86_MMIO_STORE

struct decode_case {
	const char *text;
	enum x86_cpu_mode mode;
	u8 bytes[15];
	u8 len;
	u8 kind, alu, size, dst_size, reg;
	bool high8, sign_extend, has_imm, mem_dst, lock, rep;
	u8 addr_size, src_seg;
	u64 imm;
};

/* A register load or store; .dst_size is given for loads only. */
#define LOAD(sz, dst, r)	.kind = LD, .size = sz, .dst_size = dst, .reg = r
#define STORE(sz, r)		.kind = ST, .size = sz, .reg = r
#define STORE_IMM(sz, v)	.kind = ST, .size = sz, .has_imm = true, .imm = v
/* ALU: memory destination and register source, or the other way round. */
#define ALU_MR(op, sz, r)	.kind = X86_MMIO_ALU, .alu = X86_ALU_##op, \
				.size = sz, .reg = r, .mem_dst = true
#define ALU_RM(op, sz, r)	.kind = X86_MMIO_ALU, .alu = X86_ALU_##op, \
				.size = sz, .dst_size = sz, .reg = r
/* ALU on memory and an immediate, or on memory alone. */
#define ALU_MI(op, sz, v)	.kind = X86_MMIO_ALU, .alu = X86_ALU_##op, \
				.size = sz, .mem_dst = true, .has_imm = true, .imm = v
#define ALU_M(op, sz)		.kind = X86_MMIO_ALU, .alu = X86_ALU_##op, \
				.size = sz, .mem_dst = true
#define XCHG(sz, r)		.kind = X86_MMIO_XCHG, .size = sz, .dst_size = sz, .reg = r
#define STRING(k, sz, as, seg)	.kind = X86_MMIO_##k, .size = sz, .addr_size = as, \
				.src_seg = X86_SEG_##seg
#define MOFFS64		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11

static const struct decode_case mode64[] = {
	{ "movl %eax,(%rdx)", X86_MODE_64, { 0x89, 0x02 }, 2, STORE(4, 0) },
	{ "movq %rax,(%rdx)", X86_MODE_64, { 0x48, 0x89, 0x02 }, 3, STORE(8, 0) },
	{ "movw %ax,(%rdx)", X86_MODE_64, { 0x66, 0x89, 0x02 }, 3, STORE(2, 0) },
	{ "movb %al,(%rdx)", X86_MODE_64, { 0x88, 0x02 }, 2, STORE(1, 0) },
	{ "movb %ah,(%rbx)", X86_MODE_64, { 0x88, 0x23 }, 2, STORE(1, 0), .high8 = true },
	{ "movb %sil,(%rdx)", X86_MODE_64, { 0x40, 0x88, 0x32 }, 3, STORE(1, 6) },
	{ "movb %r8b,(%rax)", X86_MODE_64, { 0x44, 0x88, 0x00 }, 3, STORE(1, 8) },
	{ "movb %ch,0x1000(%rip)", X86_MODE_64,
	  { 0x88, 0x2d, 0x00, 0x10, 0x00, 0x00 }, 6, STORE(1, 1), .high8 = true },
	{ "movl (%rdx),%ecx", X86_MODE_64, { 0x8b, 0x0a }, 2, LOAD(4, 4, 1) },
	{ "movq 0x10(%rdi),%r9", X86_MODE_64, { 0x4c, 0x8b, 0x4f, 0x10 }, 4, LOAD(8, 8, 9) },
	{ "movl %r10d,(%r12)", X86_MODE_64, { 0x45, 0x89, 0x14, 0x24 }, 4, STORE(4, 10) },
	{ "movq %r8,0x0(%r13)", X86_MODE_64, { 0x4d, 0x89, 0x45, 0x00 }, 4, STORE(8, 8) },
	{ "movb 0x0(%r13),%dil", X86_MODE_64, { 0x41, 0x8a, 0x7d, 0x00 }, 4, LOAD(1, 1, 7) },
	{ "movb (%rcx),%bh", X86_MODE_64, { 0x8a, 0x39 }, 2, LOAD(1, 1, 3), .high8 = true },
	{ "movw 0x10(%r12),%ax", X86_MODE_64,
	  { 0x66, 0x41, 0x8b, 0x44, 0x24, 0x10 }, 6, LOAD(2, 2, 0) },
	{ "movw 0x1000(%rbp),%ax", X86_MODE_64,
	  { 0x66, 0x8b, 0x85, 0x00, 0x10, 0x00, 0x00 }, 7, LOAD(2, 2, 0) },
	{ "movl 0x12345678(%rax,%rbx,4),%esi", X86_MODE_64,
	  { 0x8b, 0xb4, 0x98, 0x78, 0x56, 0x34, 0x12 }, 7, LOAD(4, 4, 6) },
	{ "movl (%rax,%r9,1),%eax", X86_MODE_64, { 0x42, 0x8b, 0x04, 0x08 }, 4, LOAD(4, 4, 0) },
	{ "movl 0x100(%rbp,%rax,1),%eax", X86_MODE_64,
	  { 0x8b, 0x84, 0x05, 0x00, 0x01, 0x00, 0x00 }, 7, LOAD(4, 4, 0) },
	{ "movl 0x1000(%rip),%eax", X86_MODE_64,
	  { 0x8b, 0x05, 0x00, 0x10, 0x00, 0x00 }, 6, LOAD(4, 4, 0) },
	{ "movl 0x0(,%rcx,8),%eax", X86_MODE_64,
	  { 0x8b, 0x04, 0xcd, 0x00, 0x00, 0x00, 0x00 }, 7, LOAD(4, 4, 0) },
	{ "movl 0x12345678,%eax (SIB, no base)", X86_MODE_64,
	  { 0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12 }, 7, LOAD(4, 4, 0) },
	{ "movl 0x7f(%rbp),%eax", X86_MODE_64, { 0x8b, 0x45, 0x7f }, 3, LOAD(4, 4, 0) },
	{ "movl %eax,(%esi)", X86_MODE_64, { 0x67, 0x89, 0x06 }, 3, STORE(4, 0) },
	{ "movl %eax,0x10(%ebx,%ecx,2)", X86_MODE_64,
	  { 0x67, 0x89, 0x44, 0x4b, 0x10 }, 5, STORE(4, 0) },
	{ "movl %eax,%fs:(%rax)", X86_MODE_64, { 0x64, 0x89, 0x00 }, 3, STORE(4, 0) },
	{ "movb $0x80,(%rax)", X86_MODE_64, { 0xc6, 0x00, 0x80 }, 3,
	  STORE_IMM(1, 0xffffffffffffff80ULL) },
	{ "movb $0x7f,%gs:0x10(%rcx,%rdx,8)", X86_MODE_64,
	  { 0x65, 0xc6, 0x44, 0xd1, 0x10, 0x7f }, 6, STORE_IMM(1, 0x7f) },
	{ "movw $0x8001,(%rax)", X86_MODE_64, { 0x66, 0xc7, 0x00, 0x01, 0x80 }, 5,
	  STORE_IMM(2, 0xffffffffffff8001ULL) },
	{ "movl $0x80000001,(%rax)", X86_MODE_64,
	  { 0xc7, 0x00, 0x01, 0x00, 0x00, 0x80 }, 6, STORE_IMM(4, 0xffffffff80000001ULL) },
	{ "movq $-2,(%rax)", X86_MODE_64,
	  { 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff }, 7, STORE_IMM(8, 0xfffffffffffffffeULL) },
	{ "movq $0x7fffffff,0x100(%rax)", X86_MODE_64,
	  { 0x48, 0xc7, 0x80, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f }, 11,
	  STORE_IMM(8, 0x7fffffff) },
	{ "movl $0x11223344,0x55667788(%rip)", X86_MODE_64,
	  { 0xc7, 0x05, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }, 10,
	  STORE_IMM(4, 0x11223344) },
	{ "movzbl (%rax),%eax", X86_MODE_64, { 0x0f, 0xb6, 0x00 }, 3, LOAD(1, 4, 0) },
	{ "movzbw (%rax),%ax", X86_MODE_64, { 0x66, 0x0f, 0xb6, 0x00 }, 4, LOAD(1, 2, 0) },
	{ "movzbq (%rax),%r15", X86_MODE_64, { 0x4c, 0x0f, 0xb6, 0x38 }, 4, LOAD(1, 8, 15) },
	{ "movzwl (%rax),%ecx", X86_MODE_64, { 0x0f, 0xb7, 0x08 }, 3, LOAD(2, 4, 1) },
	{ "movzwq (%rax),%rcx", X86_MODE_64, { 0x48, 0x0f, 0xb7, 0x08 }, 4, LOAD(2, 8, 1) },
	{ "movsbl (%rax),%eax", X86_MODE_64, { 0x0f, 0xbe, 0x00 }, 3, LOAD(1, 4, 0),
	  .sign_extend = true },
	{ "movsbq (%rax),%rax", X86_MODE_64, { 0x48, 0x0f, 0xbe, 0x00 }, 4, LOAD(1, 8, 0),
	  .sign_extend = true },
	{ "movswl (%rax),%edx", X86_MODE_64, { 0x0f, 0xbf, 0x10 }, 3, LOAD(2, 4, 2),
	  .sign_extend = true },
	{ "movsbw (%rax),%dx", X86_MODE_64, { 0x66, 0x0f, 0xbe, 0x10 }, 4, LOAD(1, 2, 2),
	  .sign_extend = true },
	{ "movswq (%rax),%r8", X86_MODE_64, { 0x4c, 0x0f, 0xbf, 0x00 }, 4, LOAD(2, 8, 8),
	  .sign_extend = true },
	{ "movabs 0x1122334455667788,%al", X86_MODE_64, { 0xa0, MOFFS64 }, 9, LOAD(1, 1, 0) },
	{ "movabs 0x1122334455667788,%eax", X86_MODE_64, { 0xa1, MOFFS64 }, 9, LOAD(4, 4, 0) },
	{ "movabs 0x1122334455667788,%rax", X86_MODE_64, { 0x48, 0xa1, MOFFS64 }, 10,
	  LOAD(8, 8, 0) },
	{ "movabs %al,0x1122334455667788", X86_MODE_64, { 0xa2, MOFFS64 }, 9, STORE(1, 0) },
	{ "movabs %rax,0x1122334455667788", X86_MODE_64, { 0x48, 0xa3, MOFFS64 }, 10,
	  STORE(8, 0) },
	{ "addr32 movl 0x11223344,%eax", X86_MODE_64,
	  { 0x67, 0xa1, 0x44, 0x33, 0x22, 0x11 }, 6, LOAD(4, 4, 0) },
	{ "by hand: REX then 66, REX ignored: movw %ax,(%rdx)", X86_MODE_64,
	  { 0x48, 0x66, 0x89, 0x02 }, 4, STORE(2, 0) },
	{ "by hand: two REX, the last counts: movb %spl,(%rdx)", X86_MODE_64,
	  { 0x44, 0x40, 0x88, 0x22 }, 4, STORE(1, 4) },
	{ "by hand: 66 and REX.W: movq $-2,(%rax)", X86_MODE_64,
	  { 0x66, 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff }, 8,
	  STORE_IMM(8, 0xfffffffffffffffeULL) },
	{ "by hand: REX.W on a byte store: movb %al,(%rdx)", X86_MODE_64,
	  { 0x48, 0x88, 0x02 }, 3, STORE(1, 0) },
	{ "by hand: REX.W on a byte immediate: movb $0x80,(%rax)", X86_MODE_64,
	  { 0x48, 0xc6, 0x00, 0x80 }, 4, STORE_IMM(1, 0xffffffffffffff80ULL) },
	{ "by hand: REX.B, mod=0 rm=5 stays RIP-relative", X86_MODE_64,
	  { 0x41, 0x8b, 0x05, 0x00, 0x10, 0x00, 0x00 }, 7, LOAD(4, 4, 0) },
	{ "by hand: REX.B, SIB base=5 mod=0 stays disp32", X86_MODE_64,
	  { 0x41, 0x8b, 0x04, 0x2d, 0x78, 0x56, 0x34, 0x12 }, 8, LOAD(4, 4, 0) },
	{ "by hand: 67, mod=0 rm=5 is EIP-relative disp32", X86_MODE_64,
	  { 0x67, 0x8b, 0x05, 0x00, 0x10, 0x00, 0x00 }, 7, LOAD(4, 4, 0) },
	{ "by hand: every segment override", X86_MODE_64,
	  { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x89, 0x02 }, 8, STORE(4, 0) },
	{ "by hand: 13 prefixes, 15 bytes", X86_MODE_64,
	  { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x89, 0x02 }, 15, STORE(2, 0) },
};

static const struct decode_case mode32[] = {
	{ "movl %eax,(%edx)", X86_MODE_32, { 0x89, 0x02 }, 2, STORE(4, 0) },
	{ "movw %ax,(%edx)", X86_MODE_32, { 0x66, 0x89, 0x02 }, 3, STORE(2, 0) },
	{ "movb %dh,(%ebx)", X86_MODE_32, { 0x88, 0x33 }, 2, STORE(1, 2), .high8 = true },
	{ "movb %ah,0x12345678", X86_MODE_32, { 0x88, 0x25, 0x78, 0x56, 0x34, 0x12 }, 6,
	  STORE(1, 0), .high8 = true },
	{ "movl 0x12345678,%ecx", X86_MODE_32, { 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12 }, 6,
	  LOAD(4, 4, 1) },
	{ "movl 0x12345678(%eax,%ebx,4),%esi", X86_MODE_32,
	  { 0x8b, 0xb4, 0x98, 0x78, 0x56, 0x34, 0x12 }, 7, LOAD(4, 4, 6) },
	{ "movl 0x0(,%ecx,8),%eax", X86_MODE_32,
	  { 0x8b, 0x04, 0xcd, 0x00, 0x00, 0x00, 0x00 }, 7, LOAD(4, 4, 0) },
	{ "movl 0x7f(%ebp),%eax", X86_MODE_32, { 0x8b, 0x45, 0x7f }, 3, LOAD(4, 4, 0) },
	{ "movl %ebp,0x80(%esp)", X86_MODE_32,
	  { 0x89, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00 }, 7, STORE(4, 5) },
	{ "movl $0x80000001,(%eax)", X86_MODE_32,
	  { 0xc7, 0x00, 0x01, 0x00, 0x00, 0x80 }, 6, STORE_IMM(4, 0xffffffff80000001ULL) },
	{ "movw $0xfffe,%es:(%eax)", X86_MODE_32,
	  { 0x26, 0x66, 0xc7, 0x00, 0xfe, 0xff }, 6, STORE_IMM(2, 0xfffffffffffffffeULL) },
	{ "movb $0x12,(%eax)", X86_MODE_32, { 0xc6, 0x00, 0x12 }, 3, STORE_IMM(1, 0x12) },
	{ "movzbl (%eax),%eax", X86_MODE_32, { 0x0f, 0xb6, 0x00 }, 3, LOAD(1, 4, 0) },
	{ "movzwl (%eax),%ebx", X86_MODE_32, { 0x0f, 0xb7, 0x18 }, 3, LOAD(2, 4, 3) },
	{ "movsbw (%eax),%cx", X86_MODE_32, { 0x66, 0x0f, 0xbe, 0x08 }, 4, LOAD(1, 2, 1),
	  .sign_extend = true },
	{ "movswl (%eax),%edi", X86_MODE_32, { 0x0f, 0xbf, 0x38 }, 3, LOAD(2, 4, 7),
	  .sign_extend = true },
	{ "movl 0x12345678,%eax", X86_MODE_32, { 0xa1, 0x78, 0x56, 0x34, 0x12 }, 5,
	  LOAD(4, 4, 0) },
	{ "movb %al,0x11223344", X86_MODE_32, { 0xa2, 0x44, 0x33, 0x22, 0x11 }, 5,
	  STORE(1, 0) },
	{ "movw 0x11223344,%ax", X86_MODE_32, { 0x66, 0xa1, 0x44, 0x33, 0x22, 0x11 }, 6,
	  LOAD(2, 2, 0) },
	{ "addr16 movl 0x1234,%eax", X86_MODE_32, { 0x67, 0xa1, 0x34, 0x12 }, 4,
	  LOAD(4, 4, 0) },
	{ "movl %eax,(%bx,%si)", X86_MODE_32, { 0x67, 0x89, 0x00 }, 3, STORE(4, 0) },
	{ "movl 0x0(%bp),%eax", X86_MODE_32, { 0x67, 0x8b, 0x46, 0x00 }, 4, LOAD(4, 4, 0) },
	{ "movl %eax,0x12(%bx,%di)", X86_MODE_32, { 0x67, 0x89, 0x41, 0x12 }, 4,
	  STORE(4, 0) },
	{ "movb $0x80,0x1234(%si)", X86_MODE_32, { 0x67, 0xc6, 0x84, 0x34, 0x12, 0x80 }, 6,
	  STORE_IMM(1, 0xffffffffffffff80ULL) },
	{ "by hand: addr16 movl 0x1234,%eax (ModRM disp16)", X86_MODE_32,
	  { 0x67, 0x8b, 0x06, 0x34, 0x12 }, 5, LOAD(4, 4, 0) },
};

static const struct decode_case mode16[] = {
	{ "movw %ax,(%bx,%si)", X86_MODE_16, { 0x89, 0x00 }, 2, STORE(2, 0) },
	{ "movw 0x1234,%bx", X86_MODE_16, { 0x8b, 0x1e, 0x34, 0x12 }, 4, LOAD(2, 2, 3) },
	{ "movw 0x12(%bp),%cx", X86_MODE_16, { 0x8b, 0x4e, 0x12 }, 3, LOAD(2, 2, 1) },
	{ "movw %dx,0x1234(%bx,%di)", X86_MODE_16, { 0x89, 0x91, 0x34, 0x12 }, 4,
	  STORE(2, 2) },
	{ "movb %ah,(%di)", X86_MODE_16, { 0x88, 0x25 }, 2, STORE(1, 0), .high8 = true },
	{ "movl %eax,(%bx)", X86_MODE_16, { 0x66, 0x89, 0x07 }, 3, STORE(4, 0) },
	{ "movw $0x8000,(%bx)", X86_MODE_16, { 0xc7, 0x07, 0x00, 0x80 }, 4,
	  STORE_IMM(2, 0xffffffffffff8000ULL) },
	{ "movl $0x80000000,(%bx)", X86_MODE_16,
	  { 0x66, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x80 }, 7,
	  STORE_IMM(4, 0xffffffff80000000ULL) },
	{ "movb $0xff,0x10(%si)", X86_MODE_16, { 0xc6, 0x44, 0x10, 0xff }, 4,
	  STORE_IMM(1, ~0ULL) },
	{ "movzbw (%bx),%ax", X86_MODE_16, { 0x0f, 0xb6, 0x07 }, 3, LOAD(1, 2, 0) },
	{ "movzbl (%bx),%eax", X86_MODE_16, { 0x66, 0x0f, 0xb6, 0x07 }, 4, LOAD(1, 4, 0) },
	{ "movsbw (%bx),%dx", X86_MODE_16, { 0x0f, 0xbe, 0x17 }, 3, LOAD(1, 2, 2),
	  .sign_extend = true },
	{ "movswl (%bx),%esi", X86_MODE_16, { 0x66, 0x0f, 0xbf, 0x37 }, 4, LOAD(2, 4, 6),
	  .sign_extend = true },
	{ "movb 0x1234,%al", X86_MODE_16, { 0xa0, 0x34, 0x12 }, 3, LOAD(1, 1, 0) },
	{ "movw 0x1234,%ax", X86_MODE_16, { 0xa1, 0x34, 0x12 }, 3, LOAD(2, 2, 0) },
	{ "movl 0x1234,%eax", X86_MODE_16, { 0x66, 0xa1, 0x34, 0x12 }, 4, LOAD(4, 4, 0) },
	{ "movw %ax,0x1234", X86_MODE_16, { 0xa3, 0x34, 0x12 }, 3, STORE(2, 0) },
	{ "movl (%eax),%ecx", X86_MODE_16, { 0x67, 0x66, 0x8b, 0x08 }, 4, LOAD(4, 4, 1) },
	{ "movl 0x12345678(%eax,%ebx,4),%ecx", X86_MODE_16,
	  { 0x67, 0x66, 0x8b, 0x8c, 0x98, 0x78, 0x56, 0x34, 0x12 }, 9, LOAD(4, 4, 1) },
	{ "addr32 movw 0x12345678,%ax", X86_MODE_16,
	  { 0x67, 0xa1, 0x78, 0x56, 0x34, 0x12 }, 6, LOAD(2, 2, 0) },
	{ "movw %ax,%cs:(%bx,%si)", X86_MODE_16, { 0x2e, 0x89, 0x00 }, 3, STORE(2, 0) },
};

/* The forms beyond MOV. */
static const struct decode_case mode64_ops[] = {
	{ "addl %ecx,(%rdx)", X86_MODE_64, { 0x01, 0x0a }, 2,
	  ALU_MR(ADD, 4, 1) },
	{ "addb %ah,(%rdx)", X86_MODE_64, { 0x00, 0x22 }, 2,
	  ALU_MR(ADD, 1, 0), .high8 = true },
	{ "lock orq %r9,0x10(%rdi)", X86_MODE_64, { 0xf0, 0x4c, 0x09, 0x4f, 0x10 }, 5,
	  ALU_MR(OR, 8, 9), .lock = true },
	{ "adcw %si,(%rax,%rbx,2)", X86_MODE_64, { 0x66, 0x11, 0x34, 0x58 }, 4,
	  ALU_MR(ADC, 2, 6) },
	{ "sbbb %dil,(%rdx)", X86_MODE_64, { 0x40, 0x18, 0x3a }, 3,
	  ALU_MR(SBB, 1, 7) },
	{ "lock andl %eax,(%rdx)", X86_MODE_64, { 0xf0, 0x21, 0x02 }, 3,
	  ALU_MR(AND, 4, 0), .lock = true },
	{ "subq %r15,0x12345678(%rip)", X86_MODE_64,
	  { 0x4c, 0x29, 0x3d, 0x78, 0x56, 0x34, 0x12 }, 7,
	  ALU_MR(SUB, 8, 15) },
	{ "xorb %bh,(%rcx)", X86_MODE_64, { 0x30, 0x39 }, 2,
	  ALU_MR(XOR, 1, 3), .high8 = true },
	{ "cmpl %ecx,(%rdx)", X86_MODE_64, { 0x39, 0x0a }, 2,
	  ALU_MR(CMP, 4, 1) },
	{ "addl (%rdx),%ecx", X86_MODE_64, { 0x03, 0x0a }, 2,
	  ALU_RM(ADD, 4, 1) },
	{ "orb (%rdx),%ch", X86_MODE_64, { 0x0a, 0x2a }, 2,
	  ALU_RM(OR, 1, 1), .high8 = true },
	{ "adcq (%rdx),%r12", X86_MODE_64, { 0x4c, 0x13, 0x22 }, 3,
	  ALU_RM(ADC, 8, 12) },
	{ "sbbw (%rdx),%r8w", X86_MODE_64, { 0x66, 0x44, 0x1b, 0x02 }, 4,
	  ALU_RM(SBB, 2, 8) },
	{ "andl (%rdx),%r13d", X86_MODE_64, { 0x44, 0x23, 0x2a }, 3,
	  ALU_RM(AND, 4, 13) },
	{ "subb (%rdx),%sil", X86_MODE_64, { 0x40, 0x2a, 0x32 }, 3,
	  ALU_RM(SUB, 1, 6) },
	{ "xorq (%rdx),%rax", X86_MODE_64, { 0x48, 0x33, 0x02 }, 3,
	  ALU_RM(XOR, 8, 0) },
	{ "cmpw (%rdx),%bx", X86_MODE_64, { 0x66, 0x3b, 0x1a }, 3,
	  ALU_RM(CMP, 2, 3) },
	{ "addb $0x80,(%rdx)", X86_MODE_64, { 0x80, 0x02, 0x80 }, 3,
	  ALU_MI(ADD, 1, 0xffffffffffffff80ULL) },
	{ "orw $0x8001,(%rdx)", X86_MODE_64, { 0x66, 0x81, 0x0a, 0x01, 0x80 }, 5,
	  ALU_MI(OR, 2, 0xffffffffffff8001ULL) },
	{ "lock orl $0x4,(%rdx)", X86_MODE_64, { 0xf0, 0x83, 0x0a, 0x04 }, 4,
	  ALU_MI(OR, 4, 4), .lock = true },
	{ "andl $0x7ffffff0,0x40(%rdi)", X86_MODE_64,
	  { 0x81, 0x67, 0x40, 0xf0, 0xff, 0xff, 0x7f }, 7,
	  ALU_MI(AND, 4, 0x7ffffff0) },
	{ "subq $-0x100,(%rdx)", X86_MODE_64, { 0x48, 0x81, 0x2a, 0x00, 0xff, 0xff, 0xff }, 7,
	  ALU_MI(SUB, 8, 0xffffffffffffff00ULL) },
	{ "lock xorq $0x7fffffff,(%rdx)", X86_MODE_64,
	  { 0xf0, 0x48, 0x81, 0x32, 0xff, 0xff, 0xff, 0x7f }, 8,
	  ALU_MI(XOR, 8, 0x7fffffff), .lock = true },
	{ "cmpb $0xff,(%rdx)", X86_MODE_64, { 0x80, 0x3a, 0xff }, 3,
	  ALU_MI(CMP, 1, ~0ULL) },
	{ "cmpq $-1,(%rdx)", X86_MODE_64, { 0x48, 0x83, 0x3a, 0xff }, 4,
	  ALU_MI(CMP, 8, ~0ULL) },
	{ "adcl $0x7f,(%rdx)", X86_MODE_64, { 0x83, 0x12, 0x7f }, 3,
	  ALU_MI(ADC, 4, 0x7f) },
	{ "sbbw $-2,(%rdx)", X86_MODE_64, { 0x66, 0x83, 0x1a, 0xfe }, 4,
	  ALU_MI(SBB, 2, 0xfffffffffffffffeULL) },
	{ "testl %ecx,(%rdx)", X86_MODE_64, { 0x85, 0x0a }, 2,
	  ALU_MR(TEST, 4, 1) },
	{ "testb %dh,(%rax)", X86_MODE_64, { 0x84, 0x30 }, 2,
	  ALU_MR(TEST, 1, 2), .high8 = true },
	{ "testb $0x1,(%rdx)", X86_MODE_64, { 0xf6, 0x02, 0x01 }, 3,
	  ALU_MI(TEST, 1, 1) },
	{ "testl $0x80000000,0x8(%rdx)", X86_MODE_64,
	  { 0xf7, 0x42, 0x08, 0x00, 0x00, 0x00, 0x80 }, 7,
	  ALU_MI(TEST, 4, 0xffffffff80000000ULL) },
	{ "testw $0x8000,(%rdx)", X86_MODE_64, { 0x66, 0xf7, 0x02, 0x00, 0x80 }, 5,
	  ALU_MI(TEST, 2, 0xffffffffffff8000ULL) },
	{ "testq $0x10,(%rdx)", X86_MODE_64, { 0x48, 0xf7, 0x02, 0x10, 0x00, 0x00, 0x00 }, 7,
	  ALU_MI(TEST, 8, 0x10) },
	{ "xchgl %ecx,(%rdx)", X86_MODE_64, { 0x87, 0x0a }, 2,
	  XCHG(4, 1) },
	{ "xchgb %ah,(%rdx)", X86_MODE_64, { 0x86, 0x22 }, 2,
	  XCHG(1, 0), .high8 = true },
	{ "lock xchgq %r14,(%rdx)", X86_MODE_64, { 0xf0, 0x4c, 0x87, 0x32 }, 4,
	  XCHG(8, 14), .lock = true },
	{ "xchgw %si,(%rdx)", X86_MODE_64, { 0x66, 0x87, 0x32 }, 3,
	  XCHG(2, 6) },
	{ "notb (%rdx)", X86_MODE_64, { 0xf6, 0x12 }, 2,
	  ALU_M(NOT, 1) },
	{ "lock notq (%rdx)", X86_MODE_64, { 0xf0, 0x48, 0xf7, 0x12 }, 4,
	  ALU_M(NOT, 8), .lock = true },
	{ "negl (%rdx)", X86_MODE_64, { 0xf7, 0x1a }, 2,
	  ALU_M(NEG, 4) },
	{ "negw (%rdx)", X86_MODE_64, { 0x66, 0xf7, 0x1a }, 3,
	  ALU_M(NEG, 2) },
	{ "incb (%rdx)", X86_MODE_64, { 0xfe, 0x02 }, 2,
	  ALU_M(INC, 1) },
	{ "lock incl (%rdx)", X86_MODE_64, { 0xf0, 0xff, 0x02 }, 3,
	  ALU_M(INC, 4), .lock = true },
	{ "decq 0x8(%rdx)", X86_MODE_64, { 0x48, 0xff, 0x4a, 0x08 }, 4,
	  ALU_M(DEC, 8) },
	{ "decw (%rdx)", X86_MODE_64, { 0x66, 0xff, 0x0a }, 3,
	  ALU_M(DEC, 2) },
	{ "btl %ecx,(%rdx)", X86_MODE_64, { 0x0f, 0xa3, 0x0a }, 3,
	  ALU_MR(BT, 4, 1) },
	{ "lock btsq %rax,(%rdi)", X86_MODE_64, { 0xf0, 0x48, 0x0f, 0xab, 0x07 }, 5,
	  ALU_MR(BTS, 8, 0), .lock = true },
	{ "btrw %r9w,(%rdx)", X86_MODE_64, { 0x66, 0x44, 0x0f, 0xb3, 0x0a }, 5,
	  ALU_MR(BTR, 2, 9) },
	{ "btcl %esi,(%rdx)", X86_MODE_64, { 0x0f, 0xbb, 0x32 }, 3,
	  ALU_MR(BTC, 4, 6) },
	{ "btl $5,(%rdx)", X86_MODE_64, { 0x0f, 0xba, 0x22, 0x05 }, 4,
	  ALU_MI(BT, 4, 5) },
	{ "lock btsq $63,(%rdx)", X86_MODE_64, { 0xf0, 0x48, 0x0f, 0xba, 0x2a, 0x3f }, 6,
	  ALU_MI(BTS, 8, 63), .lock = true },
	{ "btrw $15,(%rdx)", X86_MODE_64, { 0x66, 0x0f, 0xba, 0x32, 0x0f }, 5,
	  ALU_MI(BTR, 2, 15) },
	{ "btcl $0x80,(%rdx)", X86_MODE_64, { 0x0f, 0xba, 0x3a, 0x80 }, 4,
	  ALU_MI(BTC, 4, 0xffffffffffffff80ULL) },
	{ "movnti %ecx,(%rdx)", X86_MODE_64, { 0x0f, 0xc3, 0x0a }, 3,
	  STORE(4, 1) },
	{ "movnti %r10,(%rdx)", X86_MODE_64, { 0x4c, 0x0f, 0xc3, 0x12 }, 4,
	  STORE(8, 10) },
	{ "stosb", X86_MODE_64, { 0xaa }, 1,
	  STRING(STOS, 1, 8, DS) },
	{ "rep stosl", X86_MODE_64, { 0xf3, 0xab }, 2,
	  STRING(STOS, 4, 8, DS), .rep = true },
	{ "rep stosq", X86_MODE_64, { 0xf3, 0x48, 0xab }, 3,
	  STRING(STOS, 8, 8, DS), .rep = true },
	{ "addr32 rep stosw", X86_MODE_64, { 0x67, 0x66, 0xf3, 0xab }, 4,
	  STRING(STOS, 2, 4, DS), .rep = true },
	{ "movsb", X86_MODE_64, { 0xa4 }, 1,
	  STRING(MOVS, 1, 8, DS) },
	{ "rep movsq", X86_MODE_64, { 0xf3, 0x48, 0xa5 }, 3,
	  STRING(MOVS, 8, 8, DS), .rep = true },
	{ "rep movsw %fs:(%rsi),%es:(%rdi)", X86_MODE_64, { 0x64, 0x66, 0xf3, 0xa5 }, 4,
	  STRING(MOVS, 2, 8, FS), .rep = true },
	{ "addr32 movsl", X86_MODE_64, { 0x67, 0xa5 }, 2,
	  STRING(MOVS, 4, 4, DS) },
};

static const struct decode_case mode32_ops[] = {
	{ "addl %ecx,(%edx)", X86_MODE_32, { 0x01, 0x0a }, 2,
	  ALU_MR(ADD, 4, 1) },
	{ "lock orw %ax,0x10(%ebx)", X86_MODE_32, { 0x66, 0xf0, 0x09, 0x43, 0x10 }, 5,
	  ALU_MR(OR, 2, 0), .lock = true },
	{ "addb (%edx),%dh", X86_MODE_32, { 0x02, 0x32 }, 2,
	  ALU_RM(ADD, 1, 2), .high8 = true },
	{ "orl $0x80000000,0x12345678", X86_MODE_32,
	  { 0x81, 0x0d, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x80 }, 10,
	  ALU_MI(OR, 4, 0xffffffff80000000ULL) },
	{ "lock andl $0xfffffffe,(%eax)", X86_MODE_32, { 0xf0, 0x83, 0x20, 0xfe }, 4,
	  ALU_MI(AND, 4, 0xfffffffffffffffeULL), .lock = true },
	{ "cmpw $0x1234,(%esi)", X86_MODE_32, { 0x66, 0x81, 0x3e, 0x34, 0x12 }, 5,
	  ALU_MI(CMP, 2, 0x1234) },
	{ "testb $0x80,(%eax)", X86_MODE_32, { 0xf6, 0x00, 0x80 }, 3,
	  ALU_MI(TEST, 1, 0xffffffffffffff80ULL) },
	{ "xchgl %ebp,(%eax)", X86_MODE_32, { 0x87, 0x28 }, 2,
	  XCHG(4, 5) },
	{ "lock btsl %ecx,(%eax)", X86_MODE_32, { 0xf0, 0x0f, 0xab, 0x08 }, 4,
	  ALU_MR(BTS, 4, 1), .lock = true },
	{ "btrl $3,(%bx,%si)", X86_MODE_32, { 0x67, 0x0f, 0xba, 0x30, 0x03 }, 5,
	  ALU_MI(BTR, 4, 3) },
	{ "incw (%eax)", X86_MODE_32, { 0x66, 0xff, 0x00 }, 3,
	  ALU_M(INC, 2) },
	{ "negb 0x7f(%ebp)", X86_MODE_32, { 0xf6, 0x5d, 0x7f }, 3,
	  ALU_M(NEG, 1) },
	{ "movnti %edi,(%eax)", X86_MODE_32, { 0x0f, 0xc3, 0x38 }, 3,
	  STORE(4, 7) },
	{ "rep stosl", X86_MODE_32, { 0xf3, 0xab }, 2,
	  STRING(STOS, 4, 4, DS), .rep = true },
	{ "rep movsb", X86_MODE_32, { 0xf3, 0xa4 }, 2,
	  STRING(MOVS, 1, 4, DS), .rep = true },
	{ "addr16 rep movsw %es:(%si),%es:(%di)", X86_MODE_32,
	  { 0x26, 0x67, 0x66, 0xf3, 0xa5 }, 5,
	  STRING(MOVS, 2, 2, ES), .rep = true },
	{ "82 /1 in 32-bit mode is OR (by hand)", X86_MODE_32, { 0x82, 0x0a, 0x01 }, 3,
	  ALU_MI(OR, 1, 1) },
};

static const struct decode_case mode16_ops[] = {
	{ "addw %ax,(%bx,%si)", X86_MODE_16, { 0x01, 0x00 }, 2,
	  ALU_MR(ADD, 2, 0) },
	{ "orl %eax,(%bx)", X86_MODE_16, { 0x66, 0x09, 0x07 }, 3,
	  ALU_MR(OR, 4, 0) },
	{ "lock orw $0x10,0x1234", X86_MODE_16, { 0xf0, 0x83, 0x0e, 0x34, 0x12, 0x10 }, 6,
	  ALU_MI(OR, 2, 0x10), .lock = true },
	{ "andw $0x8000,(%di)", X86_MODE_16, { 0x81, 0x25, 0x00, 0x80 }, 4,
	  ALU_MI(AND, 2, 0xffffffffffff8000ULL) },
	{ "testw $0x1,(%bx)", X86_MODE_16, { 0xf7, 0x07, 0x01, 0x00 }, 4,
	  ALU_MI(TEST, 2, 1) },
	{ "xchgb %ch,(%bx)", X86_MODE_16, { 0x86, 0x2f }, 2,
	  XCHG(1, 1), .high8 = true },
	{ "btw $7,(%si)", X86_MODE_16, { 0x0f, 0xba, 0x24, 0x07 }, 4,
	  ALU_MI(BT, 2, 7) },
	{ "decl (%bx)", X86_MODE_16, { 0x66, 0xff, 0x0f }, 3,
	  ALU_M(DEC, 4) },
	{ "notw (%bx)", X86_MODE_16, { 0xf7, 0x17 }, 2,
	  ALU_M(NOT, 2) },
	{ "movnti %eax,(%bx)", X86_MODE_16, { 0x0f, 0xc3, 0x07 }, 3,
	  STORE(4, 0) },
	{ "rep stosb", X86_MODE_16, { 0xf3, 0xaa }, 2,
	  STRING(STOS, 1, 2, DS), .rep = true },
	{ "rep stosl", X86_MODE_16, { 0x66, 0xf3, 0xab }, 3,
	  STRING(STOS, 4, 2, DS), .rep = true },
	{ "movsw", X86_MODE_16, { 0xa5 }, 1,
	  STRING(MOVS, 2, 2, DS) },
	{ "addr32 rep movsb", X86_MODE_16, { 0x67, 0xf3, 0xa4 }, 3,
	  STRING(MOVS, 1, 4, DS), .rep = true },
};

/* Decodes from a heap copy of exactly @avail bytes, so ASan sees over-reads. */
static int decode(const u8 *bytes, unsigned int avail, enum x86_cpu_mode mode,
		  struct x86_mmio_insn *insn)
{
	u8 *copy = malloc(avail ? avail : 1);
	int ret;

	memcpy(copy, bytes, avail);
	ret = x86_decode_mmio(copy, avail, mode, insn);
	free(copy);
	return ret;
}

/* A check of the table case @c: a failure names the case. */
#define CASE_EQ(a, b)	EXPECT_EQ(a, b) TH_LOG("in: %s", c->text)

static void check_case(struct __test_metadata *_metadata,
		       const struct decode_case *c)
{
	struct x86_mmio_insn insn;
	unsigned int avail;

	CASE_EQ(decode(c->bytes, c->len, c->mode, &insn), 0);
	CASE_EQ(insn.len, c->len);
	CASE_EQ(insn.kind, c->kind);
	CASE_EQ(insn.alu, c->alu);
	CASE_EQ(insn.size, c->size);
	CASE_EQ(insn.dst_size, c->dst_size);
	CASE_EQ(insn.reg, c->reg);
	CASE_EQ(insn.high8, c->high8);
	CASE_EQ(insn.sign_extend, c->sign_extend);
	CASE_EQ(insn.has_imm, c->has_imm);
	CASE_EQ(insn.imm, c->imm);
	CASE_EQ(insn.mem_dst, c->mem_dst);
	CASE_EQ(insn.lock, c->lock);
	CASE_EQ(insn.rep, c->rep);
	CASE_EQ(insn.addr_size, c->addr_size);
	CASE_EQ(insn.src_seg, c->src_seg);
	/* With the 15 bytes a caller fetches, whatever follows is not read. */
	CASE_EQ(x86_decode_mmio(c->bytes, sizeof(c->bytes), c->mode, &insn), 0);
	CASE_EQ(insn.len, c->len);
	for (avail = 0; avail < c->len; avail++) {
		EXPECT_EQ(decode(c->bytes, avail, c->mode, &insn), -ENODATA)
			TH_LOG("in: %s, of which %u bytes given", c->text,
			       avail);
	}
}
#undef CASE_EQ

static void check_table(struct __test_metadata *_metadata,
			const struct decode_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_case(_metadata, &cases[i]);
	ksft_print_msg("%zu encodings\n", n);
}

TEST(decodes_64bit_forms)
{
	check_table(_metadata, mode64, sizeof(mode64) / sizeof(mode64[0]));
}

TEST(decodes_32bit_forms)
{
	check_table(_metadata, mode32, sizeof(mode32) / sizeof(mode32[0]));
}

TEST(decodes_16bit_forms)
{
	check_table(_metadata, mode16, sizeof(mode16) / sizeof(mode16[0]));
}

TEST(decodes_alu_xchg_bit_string_forms)
{
	check_table(_metadata, mode64_ops, ARRAY_SIZE(mode64_ops));
	check_table(_metadata, mode32_ops, ARRAY_SIZE(mode32_ops));
	check_table(_metadata, mode16_ops, ARRAY_SIZE(mode16_ops));
}

struct reject_case {
	const char *text;
	enum x86_cpu_mode mode;
	u8 bytes[17];
	u8 avail;
	int err;
};

static const struct reject_case rejects[] = {
	{ "movl %eax,%eax (mod=3)", X86_MODE_64, { 0x89, 0xc0 }, 2, -EINVAL },
	{ "movl %ecx,%eax (mod=3)", X86_MODE_64, { 0x8b, 0xc1 }, 2, -EINVAL },
	{ "movb %ah,%al (mod=3)", X86_MODE_32, { 0x88, 0xe0 }, 2, -EINVAL },
	{ "movb $0x12,%al (mod=3)", X86_MODE_64, { 0xc6, 0xc0, 0x12 }, 3, -EINVAL },
	{ "movl $1,%eax (C7, mod=3)", X86_MODE_64, { 0xc7, 0xc0, 0x01, 0, 0, 0 }, 6, -EINVAL },
	{ "movzbl %al,%eax (mod=3)", X86_MODE_64, { 0x0f, 0xb6, 0xc0 }, 3, -EINVAL },
	{ "movswl %ax,%eax (mod=3)", X86_MODE_16, { 0x0f, 0xbf, 0xc0 }, 3, -EINVAL },
	{ "lock movl %eax,(%rdx)", X86_MODE_64, { 0xf0, 0x89, 0x02 }, 3, -EINVAL },
	{ "repne movl %eax,(%rdx)", X86_MODE_64, { 0xf2, 0x89, 0x02 }, 3, -EINVAL },
	{ "rep movl %eax,(%rdx)", X86_MODE_64, { 0xf3, 0x89, 0x02 }, 3, -EINVAL },
	{ "leal (%rdx),%eax", X86_MODE_64, { 0x8d, 0x02 }, 2, -EINVAL },
	{ "movw %ds,(%rax)", X86_MODE_64, { 0x8c, 0x18 }, 2, -EINVAL },
	{ "movw (%rax),%ds", X86_MODE_64, { 0x8e, 0x18 }, 2, -EINVAL },
	{ "C6 /1", X86_MODE_64, { 0xc6, 0x08, 0x12 }, 3, -EINVAL },
	{ "C7 /1", X86_MODE_32, { 0xc7, 0x48, 0x10, 1, 0, 0, 0 }, 7, -EINVAL },
	{ "0F B8 without F3", X86_MODE_64, { 0x0f, 0xb8, 0x00 }, 3, -EINVAL },
	{ "syscall", X86_MODE_64, { 0x0f, 0x05 }, 2, -EINVAL },
	{ "nop", X86_MODE_16, { 0x90 }, 1, -EINVAL },
	{ "decl %eax; ... (48 is no REX in 32-bit mode)", X86_MODE_32,
	  { 0x48, 0x89, 0x02 }, 3, -EINVAL },
	{ "incw %ax; ... (40 is no REX in 16-bit mode)", X86_MODE_16,
	  { 0x40, 0x88, 0x02 }, 3, -EINVAL },
	{ "14 prefixes, 16 bytes", X86_MODE_64,
	  { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x89, 0x02 }, 16, -EINVAL },
	{ "14 prefixes, 15 bytes given", X86_MODE_64,
	  { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x89, 0x02 }, 15, -EINVAL },
	{ "14 prefixes, 14 bytes given", X86_MODE_64,
	  { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x89, 0x02 }, 14, -ENODATA },
	{ "movq $0x7fffffff,%gs:0x100(%rsp) and 4 more prefixes, 17 bytes", X86_MODE_64,
	  { 0x26, 0x2e, 0x36, 0x3e, 0x65, 0x48, 0xc7, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00,
	    0xff, 0xff, 0xff, 0x7f }, 15, -EINVAL },
	{ "addl %eax,%ecx", X86_MODE_64, { 0x01, 0xc1 }, 2, -EINVAL },
	{ "by hand: lock addl %eax,%ecx", X86_MODE_64, { 0xf0, 0x01, 0xc1 }, 3, -EINVAL },
	{ "btl %eax,%ecx", X86_MODE_64, { 0x0f, 0xa3, 0xc1 }, 3, -EINVAL },
	{ "btsl $3,%ecx", X86_MODE_64, { 0x0f, 0xba, 0xe9, 0x03 }, 4, -EINVAL },
	{ "xchgl %eax,%ecx", X86_MODE_64, { 0x91 }, 1, -EINVAL },
	{ "negl %ecx", X86_MODE_64, { 0xf7, 0xd9 }, 2, -EINVAL },
	{ "incl %ecx", X86_MODE_64, { 0xff, 0xc1 }, 2, -EINVAL },
	{ "testl $1,%ecx", X86_MODE_64, { 0xf7, 0xc1, 0x01, 0x00, 0x00, 0x00 }, 6, -EINVAL },
	{ "by hand: lock cmpl %eax,(%rdx)", X86_MODE_64, { 0xf0, 0x39, 0x02 }, 3, -EINVAL },
	{ "by hand: lock testl %eax,(%rdx)", X86_MODE_64, { 0xf0, 0x85, 0x02 }, 3, -EINVAL },
	{ "by hand: lock btl %eax,(%rdx)", X86_MODE_64, { 0xf0, 0x0f, 0xa3, 0x02 }, 4, -EINVAL },
	{ "by hand: lock btl $1,(%rdx)", X86_MODE_64, { 0xf0, 0x0f, 0xba, 0x22, 0x01 }, 5, -EINVAL },
	{ "by hand: lock addl (%rdx),%eax", X86_MODE_64, { 0xf0, 0x03, 0x02 }, 3, -EINVAL },
	{ "by hand: lock cmpl $1,(%rdx)", X86_MODE_64, { 0xf0, 0x83, 0x3a, 0x01 }, 4, -EINVAL },
	{ "by hand: lock stosb", X86_MODE_64, { 0xf0, 0xaa }, 2, -EINVAL },
	{ "by hand: rep addl %eax,(%rdx)", X86_MODE_64, { 0xf3, 0x01, 0x02 }, 3, -EINVAL },
	{ "by hand: repne orl $1,(%rdx)", X86_MODE_64, { 0xf2, 0x83, 0x0a, 0x01 }, 4, -EINVAL },
	{ "by hand: rep xchgl %eax,(%rdx)", X86_MODE_64, { 0xf3, 0x87, 0x02 }, 3, -EINVAL },
	{ "by hand: rep btsl %eax,(%rdx)", X86_MODE_64, { 0xf3, 0x0f, 0xab, 0x02 }, 4, -EINVAL },
	{ "by hand: rep movnti %eax,(%rdx)", X86_MODE_64, { 0xf3, 0x0f, 0xc3, 0x02 }, 4, -EINVAL },
	{ "by hand: 66 0F C3 (movnti, #UD)", X86_MODE_64, { 0x66, 0x0f, 0xc3, 0x02 }, 4, -EINVAL },
	{ "mull (%rdx)", X86_MODE_64, { 0xf7, 0x22 }, 2, -EINVAL },
	{ "imull (%rdx)", X86_MODE_64, { 0xf7, 0x2a }, 2, -EINVAL },
	{ "divl (%rdx)", X86_MODE_64, { 0xf7, 0x32 }, 2, -EINVAL },
	{ "idivb (%rdx)", X86_MODE_64, { 0xf6, 0x3a }, 2, -EINVAL },
	{ "call *(%rdx)", X86_MODE_64, { 0xff, 0x12 }, 2, -EINVAL },
	{ "jmp *(%rdx)", X86_MODE_64, { 0xff, 0x22 }, 2, -EINVAL },
	{ "pushq (%rdx)", X86_MODE_64, { 0xff, 0x32 }, 2, -EINVAL },
	{ "popq (%rdx)", X86_MODE_64, { 0x8f, 0x02 }, 2, -EINVAL },
	{ "FE /2 (by hand)", X86_MODE_64, { 0xfe, 0x12 }, 2, -EINVAL },
	{ "F6 /1 (by hand)", X86_MODE_64, { 0xf6, 0x0a, 0x01 }, 3, -EINVAL },
	{ "0F BA /0 (by hand)", X86_MODE_64, { 0x0f, 0xba, 0x02, 0x01 }, 4, -EINVAL },
	{ "82 /1 in 64-bit mode (by hand)", X86_MODE_64, { 0x82, 0x0a, 0x01 }, 3, -EINVAL },
	{ "cmpsb", X86_MODE_64, { 0xa6 }, 1, -EINVAL },
	{ "scasl", X86_MODE_64, { 0xaf }, 1, -EINVAL },
	{ "lodsb", X86_MODE_64, { 0xac }, 1, -EINVAL },
	{ "rep insb", X86_MODE_64, { 0xf3, 0x6c }, 2, -EINVAL },
	{ "outsb", X86_MODE_64, { 0x6e }, 1, -EINVAL },
	{ "cmpxchgl %ecx,(%rdx)", X86_MODE_64, { 0x0f, 0xb1, 0x0a }, 3, -EINVAL },
	{ "xaddl %ecx,(%rdx)", X86_MODE_64, { 0x0f, 0xc1, 0x0a }, 3, -EINVAL },
	{ "shll $1,(%rdx)", X86_MODE_64, { 0xd1, 0x22 }, 2, -EINVAL },
	{ "rorb (%rdx)", X86_MODE_64, { 0xd0, 0x0a }, 2, -EINVAL },
	{ "sete (%rdx)", X86_MODE_64, { 0x0f, 0x94, 0x02 }, 3, -EINVAL },
	{ "popcntl (%rdx),%eax", X86_MODE_64, { 0xf3, 0x0f, 0xb8, 0x02 }, 4, -EINVAL },
	{ "tzcntl (%rdx),%eax", X86_MODE_64, { 0xf3, 0x0f, 0xbc, 0x02 }, 4, -EINVAL },
	{ "bsfl (%rdx),%eax", X86_MODE_64, { 0x0f, 0xbc, 0x02 }, 3, -EINVAL },
	{ "cmovel (%rdx),%eax", X86_MODE_64, { 0x0f, 0x44, 0x02 }, 3, -EINVAL },
	{ "movdqa (%rdx),%xmm0", X86_MODE_64, { 0x66, 0x0f, 0x6f, 0x02 }, 4, -EINVAL },
	{ "movbe (%rdx),%eax", X86_MODE_64, { 0x0f, 0x38, 0xf0, 0x02 }, 4, -EINVAL },
	{ "addl $1,%eax", X86_MODE_64, { 0x83, 0xc0, 0x01 }, 3, -EINVAL },
	{ "nothing", X86_MODE_64, { 0 }, 0, -ENODATA },
};

TEST(rejects_other_forms)
{
	struct x86_mmio_insn insn;
	size_t i;

	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const struct reject_case *c = &rejects[i];

		EXPECT_EQ(decode(c->bytes, c->avail, c->mode, &insn), c->err)
			TH_LOG("in: %s", c->text);
	}
}

/* Decodes @bytes, a complete instruction that must be of @kind. */
static bool decode_kind(struct __test_metadata *_metadata, const u8 *bytes,
			unsigned int len, enum x86_cpu_mode mode,
			enum x86_mmio_kind kind, struct x86_mmio_insn *insn)
{
	int ret = x86_decode_mmio(bytes, len, mode, insn);

	EXPECT_EQ(ret, 0);
	if (ret)
		return false;
	EXPECT_EQ(insn->kind, kind);
	return insn->kind == kind;
}

static u64 load(struct __test_metadata *_metadata, const u8 *bytes,
		unsigned int len, enum x86_cpu_mode mode, u64 old, u64 data)
{
	struct x86_mmio_insn insn;

	if (!decode_kind(_metadata, bytes, len, mode, X86_MMIO_LOAD, &insn))
		return 0xdead;
	return x86_mmio_load_result(&insn, old, data);
}

static u64 store(struct __test_metadata *_metadata, const u8 *bytes,
		 unsigned int len, enum x86_cpu_mode mode, u64 reg)
{
	struct x86_mmio_insn insn;

	if (!decode_kind(_metadata, bytes, len, mode, X86_MMIO_STORE, &insn))
		return 0xdead;
	return x86_mmio_store_data(&insn, reg);
}

#define LOAD_OF(mode, old, data, ...) ({				\
	static const u8 __b[] = { __VA_ARGS__ };			\
	load(_metadata, __b, sizeof(__b), mode, old, data);		\
})

#define STORE_OF(mode, reg, ...) ({					\
	static const u8 __b[] = { __VA_ARGS__ };			\
	store(_metadata, __b, sizeof(__b), mode, reg);			\
})

#define OLD	0x1111222233334444ULL

TEST(load_writes_register_as_cpu)
{
	/* movl (%rdx),%ecx: a 32-bit write clears bits 63:32 */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, ~0ULL, 0x12345678, 0x8b, 0x0a), 0x12345678u);
	/* movq 0x10(%rdi),%r9 */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0x8877665544332211ULL, 0x4c, 0x8b, 0x4f, 0x10),
		  0x8877665544332211ULL);
	/* movw 0x10(%r12),%ax merges */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0xabcd, 0x66, 0x41, 0x8b, 0x44, 0x24, 0x10),
		  0x111122223333abcdULL);
	/* movb 0x0(%r13),%dil merges the low byte */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0xab, 0x41, 0x8a, 0x7d, 0x00),
		  0x11112222333344abULL);
	/* movb (%rcx),%bh merges bits 15:8 of rbx */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0xab, 0x8a, 0x39), 0x111122223333ab44ULL);
	/* Bits above the access size in @data are not the memory's. */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0xffffff80, 0x8a, 0x39), 0x1111222233338044ULL);
	/* movzbl (%rax),%eax */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, ~0ULL, 0xffffff80, 0x0f, 0xb6, 0x00), 0x80u);
	/* movzbw (%rax),%ax */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0x80, 0x66, 0x0f, 0xb6, 0x00),
		  0x1111222233330080ULL);
	/* movzwq (%rax),%rcx */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, ~0ULL, 0x8000, 0x48, 0x0f, 0xb7, 0x08), 0x8000u);
	/* movsbl (%rax),%eax: sign-extended to 32 bits, then zero-extended */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, ~0ULL, 0x80, 0x0f, 0xbe, 0x00), 0xffffff80ULL);
	EXPECT_EQ(LOAD_OF(X86_MODE_64, ~0ULL, 0x7f, 0x0f, 0xbe, 0x00), 0x7fu);
	/* movsbq (%rax),%rax */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, 0, 0x80, 0x48, 0x0f, 0xbe, 0x00),
		  0xffffffffffffff80ULL);
	/* movsbw (%rax),%dx merges */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, OLD, 0x80, 0x66, 0x0f, 0xbe, 0x10),
		  0x111122223333ff80ULL);
	/* movswq (%rax),%r8 */
	EXPECT_EQ(LOAD_OF(X86_MODE_64, 0, 0x8000, 0x4c, 0x0f, 0xbf, 0x00),
		  0xffffffffffff8000ULL);
	/* movb 0x1234,%al in real mode */
	EXPECT_EQ(LOAD_OF(X86_MODE_16, OLD, 0x5a, 0xa0, 0x34, 0x12), 0x111122223333445aULL);
	/* movw 0x1234,%ax in real mode */
	EXPECT_EQ(LOAD_OF(X86_MODE_16, OLD, 0x5a5a, 0xa1, 0x34, 0x12), 0x1111222233335a5aULL);
	/* movswl (%bx),%esi in real mode */
	EXPECT_EQ(LOAD_OF(X86_MODE_16, OLD, 0x8001, 0x66, 0x0f, 0xbf, 0x37), 0xffff8001ULL);
}

TEST(store_takes_operand_bytes)
{
	const u64 reg = 0x1122334455667788ULL;

	/* movl %eax,(%rdx) */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x89, 0x02), 0x55667788u);
	/* movq %rax,(%rdx) */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x48, 0x89, 0x02), reg);
	/* movw %ax,(%rdx) */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x66, 0x89, 0x02), 0x7788u);
	/* movb %al,(%rdx) */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x88, 0x02), 0x88u);
	/* movb %ah,(%rbx) */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x88, 0x23), 0x77u);
	/* movb %sil,(%rdx): with REX, reg 6 is SIL, its low byte */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x40, 0x88, 0x32), 0x88u);
	/* movabs %rax,moffs */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x48, 0xa3, MOFFS64), reg);
	/* Immediates: the register value is not used. */
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0xc6, 0x00, 0x80), 0x80u);
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x66, 0xc7, 0x00, 0x01, 0x80), 0x8001u);
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0xc7, 0x00, 0x01, 0x00, 0x00, 0x80),
		  0x80000001);
	EXPECT_EQ(STORE_OF(X86_MODE_64, reg, 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
		  0xfffffffffffffffeULL);
	EXPECT_EQ(STORE_OF(X86_MODE_16, reg, 0xc7, 0x07, 0x00, 0x80), 0x8000u);
	/* movw %dx,0x1234(%bx,%di) in real mode */
	EXPECT_EQ(STORE_OF(X86_MODE_16, reg, 0x89, 0x91, 0x34, 0x12), 0x7788u);
}

/*
 * The host CPU as the reference.  host_run() loads every general-purpose
 * register but RSP and RFLAGS from a struct host_state, calls a stub
 * (one instruction and RET, assembled below), and stores them back.
 */
struct host_state {
	u64 gpr[16];	/* x86 order, as insn->reg; [4] (RSP) is not loaded */
	u64 rflags;
};

#define GPR_RCX		1
#define GPR_RDX		2
#define GPR_RSP		4
#define GPR_RSI		6
#define GPR_RDI		7
#define RFLAGS_DF	0x400ULL

void host_run(struct host_state *s, const void *code);
asm(".text\n"
    "host_run:\n"
    "	push %rbp\n	push %rbx\n	push %r12\n	push %r13\n"
    "	push %r14\n	push %r15\n"
    "	push %rdi\n"		/* the state, at 0x18(%rsp) after the call */
    "	push %rsi\n"		/* the stub, at (%rsp) when called */
    "	push 0x80(%rdi)\n"
    "	mov 0x00(%rdi), %rax\n	mov 0x08(%rdi), %rcx\n"
    "	mov 0x10(%rdi), %rdx\n	mov 0x18(%rdi), %rbx\n"
    "	mov 0x28(%rdi), %rbp\n	mov 0x30(%rdi), %rsi\n"
    "	mov 0x40(%rdi), %r8\n	mov 0x48(%rdi), %r9\n"
    "	mov 0x50(%rdi), %r10\n	mov 0x58(%rdi), %r11\n"
    "	mov 0x60(%rdi), %r12\n	mov 0x68(%rdi), %r13\n"
    "	mov 0x70(%rdi), %r14\n	mov 0x78(%rdi), %r15\n"
    "	mov 0x38(%rdi), %rdi\n"
    "	popf\n"
    "	call *(%rsp)\n"
    "	pushf\n"
    "	cld\n"			/* the ABI's DF, the stub may have set it */
    "	push %rdi\n"
    "	mov 0x18(%rsp), %rdi\n"
    "	mov %rax, 0x00(%rdi)\n	mov %rcx, 0x08(%rdi)\n"
    "	mov %rdx, 0x10(%rdi)\n	mov %rbx, 0x18(%rdi)\n"
    "	mov %rbp, 0x28(%rdi)\n	mov %rsi, 0x30(%rdi)\n"
    "	mov %r8, 0x40(%rdi)\n	mov %r9, 0x48(%rdi)\n"
    "	mov %r10, 0x50(%rdi)\n	mov %r11, 0x58(%rdi)\n"
    "	mov %r12, 0x60(%rdi)\n	mov %r13, 0x68(%rdi)\n"
    "	mov %r14, 0x70(%rdi)\n	mov %r15, 0x78(%rdi)\n"
    "	pop 0x38(%rdi)\n"
    "	pop 0x80(%rdi)\n"
    "	add $16, %rsp\n"
    "	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n"
    "	pop %rbx\n	pop %rbp\n"
    "	ret\n");

/* A stub: @text, then RET; name_end marks the end of the instruction. */
#define STUB(name, text)						\
	asm(".text\n" #name ":\n\t" text "\n" #name "_end:\n\tret\n");	\
	extern const u8 name[], name##_end[];

/* Deterministic random numbers (xorshift64*), biased to edge values. */
static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Values where carries, borrows and signed overflows change. */
static const u64 edges[] = {
	0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000,
	0x8001, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001,
	0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0x8000000000000001ULL, 0xfffffffffffffffeULL,
	~0ULL,
};

static u64 operand(void)
{
	u64 r = rng();

	switch (r & 7) {
	case 0:
	case 1:
		return edges[(r >> 8) % ARRAY_SIZE(edges)];
	case 2:
		/* an edge value nudged, in one of the four widths */
		return edges[(r >> 8) % ARRAY_SIZE(edges)] + ((r >> 16) & 3) - 1;
	default:
		return rng();
	}
}

/* Random arithmetic flags on the host's other RFLAGS bits (IF, ...). */
static u64 any_flags(u64 base)
{
	return (base & ~(X86_RFLAGS_ARITH | RFLAGS_DF)) | (rng() & X86_RFLAGS_ARITH);
}

/* Each operation on AL/CL, AX/CX, EAX/ECX, RAX/RCX (unary: on AL..RAX). */
#define STUB_BINARY(name, m)						\
	STUB(alu_##name##_1, m "b %cl,%al")				\
	STUB(alu_##name##_2, m "w %cx,%ax")				\
	STUB(alu_##name##_4, m "l %ecx,%eax")				\
	STUB(alu_##name##_8, m "q %rcx,%rax")
#define STUB_UNARY(name, m)						\
	STUB(alu_##name##_1, m "b %al")					\
	STUB(alu_##name##_2, m "w %ax")					\
	STUB(alu_##name##_4, m "l %eax")				\
	STUB(alu_##name##_8, m "q %rax")
/* No byte form: BT's byte slot is a NULL stub. */
#define STUB_BIT(name, m)						\
	STUB(alu_##name##_2, m "w %cx,%ax")				\
	STUB(alu_##name##_4, m "l %ecx,%eax")				\
	STUB(alu_##name##_8, m "q %rcx,%rax")

STUB_BINARY(add, "add") STUB_BINARY(or, "or") STUB_BINARY(adc, "adc")
STUB_BINARY(sbb, "sbb") STUB_BINARY(and, "and") STUB_BINARY(sub, "sub")
STUB_BINARY(xor, "xor") STUB_BINARY(cmp, "cmp") STUB_BINARY(test, "test")
STUB_UNARY(not, "not") STUB_UNARY(neg, "neg") STUB_UNARY(inc, "inc")
STUB_UNARY(dec, "dec")
STUB_BIT(bt, "bt") STUB_BIT(bts, "bts") STUB_BIT(btr, "btr") STUB_BIT(btc, "btc")

#define ALU_ROW(op, name)	[X86_ALU_##op] = { #name, { alu_##name##_1, \
				  alu_##name##_2, alu_##name##_4, alu_##name##_8 } }
#define BIT_ROW(op, name)	[X86_ALU_##op] = { #name, { NULL, \
				  alu_##name##_2, alu_##name##_4, alu_##name##_8 } }

static const struct {
	const char *name;
	const u8 *stub[4];	/* 1, 2, 4, 8 bytes */
} alu_stubs[X86_ALU_NR_OPS] = {
	ALU_ROW(ADD, add), ALU_ROW(OR, or), ALU_ROW(ADC, adc), ALU_ROW(SBB, sbb),
	ALU_ROW(AND, and), ALU_ROW(SUB, sub), ALU_ROW(XOR, xor), ALU_ROW(CMP, cmp),
	ALU_ROW(TEST, test), ALU_ROW(NOT, not), ALU_ROW(NEG, neg),
	ALU_ROW(INC, inc), ALU_ROW(DEC, dec), BIT_ROW(BT, bt), BIT_ROW(BTS, bts),
	BIT_ROW(BTR, btr), BIT_ROW(BTC, btc),
};

/* Logs the first mismatches of a loop, counts them all. */
#define MISMATCH_LOGGED	5

/*
 * One x86_alu() against the host: @dst in RAX, @src in RCX.  Bits of
 * RAX above @size stay; x86_alu() gives the @size-byte result.
 */
static bool alu_matches(struct __test_metadata *_metadata, enum x86_alu_op op,
			unsigned int size_log2, u64 dst, u64 src, u64 rflags,
			unsigned int *mismatches)
{
	unsigned int size = 1u << size_log2;
	u64 mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	struct host_state s = { .rflags = rflags };
	u64 flags = rflags, res;

	s.gpr[0] = dst;
	s.gpr[GPR_RCX] = src;
	host_run(&s, alu_stubs[op].stub[size_log2]);
	res = x86_alu(op, size, dst, src, &flags);
	if ((s.gpr[0] & mask) == res && s.rflags == flags)
		return true;
	if ((*mismatches)++ < MISMATCH_LOGGED)
		TH_LOG("%s%u %#llx, %#llx with flags %#llx: host %#llx flags %#llx, "
		       "x86_alu %#llx flags %#llx", alu_stubs[op].name, size * 8,
		       (unsigned long long)dst, (unsigned long long)src,
		       (unsigned long long)rflags,
		       (unsigned long long)(s.gpr[0] & mask),
		       (unsigned long long)s.rflags, (unsigned long long)res,
		       (unsigned long long)flags);
	return false;
}

/* Every operation, every pair of byte operands, with CF clear and set. */
TEST(alu_flags_match_host_bytes_exhaustive)
{
	u64 base = __builtin_ia32_readeflags_u64();
	unsigned int op, a, b, cf, mismatches = 0, runs = 0;

	for (op = 0; op < X86_ALU_NR_OPS; op++) {
		if (!alu_stubs[op].stub[0])
			continue;
		for (a = 0; a < 256; a++)
			for (b = 0; b < 256; b++)
				for (cf = 0; cf < 2; cf++, runs++) {
					u64 f = (any_flags(base) & ~X86_RFLAGS_CF) |
						(cf ? X86_RFLAGS_CF : 0);

					alu_matches(_metadata, op, 0, a | (rng() << 8),
						    b | (rng() << 8), f, &mismatches);
				}
	}
	EXPECT_EQ(mismatches, 0u);
	ksft_print_msg("%u byte operations against the host, %u mismatches\n",
		       runs, mismatches);
}

/* Edge values crossed, then random ones, at 16, 32 and 64 bits. */
TEST(alu_flags_match_host_wide)
{
	u64 base = __builtin_ia32_readeflags_u64();
	unsigned int op, size_log2, i, j, mismatches = 0, runs = 0;
	const unsigned int randoms = 20000;

	for (op = 0; op < X86_ALU_NR_OPS; op++)
		for (size_log2 = 1; size_log2 < 4; size_log2++) {
			for (i = 0; i < ARRAY_SIZE(edges); i++)
				for (j = 0; j < ARRAY_SIZE(edges); j++, runs += 2) {
					u64 f = any_flags(base);

					alu_matches(_metadata, op, size_log2, edges[i],
						    edges[j], f | X86_RFLAGS_CF,
						    &mismatches);
					alu_matches(_metadata, op, size_log2, edges[i],
						    edges[j], f & ~X86_RFLAGS_CF,
						    &mismatches);
				}
			for (i = 0; i < randoms; i++, runs++)
				alu_matches(_metadata, op, size_log2, operand(),
					    operand(), any_flags(base), &mismatches);
		}
	EXPECT_EQ(mismatches, 0u);
	ksft_print_msg("%u 16/32/64-bit operations against the host, %u mismatches\n",
		       runs, mismatches);
}

/*
 * Whole instructions with a memory operand at (%rdx): decoded from the
 * bytes the assembler made, emulated as vmx_emulate.c does (a read, the
 * register and flags, a write) on a copy, and run by the host CPU.
 */
#define MEM_STUBS(X)							\
	X(m_mov_st32, "movl %ecx,(%rdx)")				\
	X(m_mov_st8h, "movb %ah,(%rdx)")				\
	X(m_mov_ld64, "movq (%rdx),%r9")				\
	X(m_mov_ld16, "movw (%rdx),%si")				\
	X(m_mov_ld8h, "movb (%rdx),%bh")				\
	X(m_movzbl, "movzbl (%rdx),%eax")				\
	X(m_movswq, "movswq (%rdx),%r8")				\
	X(m_movsbw, "movsbw (%rdx),%cx")				\
	X(m_mov_imm32, "movl $0x80000001,(%rdx)")			\
	X(m_mov_imm64, "movq $-2,(%rdx)")				\
	X(m_movnti32, "movnti %ecx,(%rdx)")				\
	X(m_movnti64, "movnti %r10,(%rdx)")				\
	X(m_add8, "addb %cl,(%rdx)")					\
	X(m_add16, "addw %cx,(%rdx)")					\
	X(m_add32, "addl %ecx,(%rdx)")					\
	X(m_add64, "addq %rcx,(%rdx)")					\
	X(m_or8h, "orb %ah,(%rdx)")					\
	X(m_lock_or32, "lock orl %esi,(%rdx)")				\
	X(m_adc64, "adcq %r11,(%rdx)")					\
	X(m_adc8h, "adcb %bh,(%rdx)")					\
	X(m_sbb32, "sbbl %ecx,(%rdx)")					\
	X(m_sbb16, "sbbw %di,(%rdx)")					\
	X(m_and64, "andq %rax,(%rdx)")					\
	X(m_lock_and8, "lock andb %sil,(%rdx)")				\
	X(m_sub32, "subl %ebx,(%rdx)")					\
	X(m_sub64, "subq %r15,(%rdx)")					\
	X(m_xor16, "xorw %bp,(%rdx)")					\
	X(m_lock_xor32, "lock xorl %eax,(%rdx)")			\
	X(m_cmp32, "cmpl %ecx,(%rdx)")					\
	X(m_cmp8h, "cmpb %ch,(%rdx)")					\
	X(m_cmp64, "cmpq %r8,(%rdx)")					\
	X(r_add32, "addl (%rdx),%ecx")					\
	X(r_add8h, "addb (%rdx),%ah")					\
	X(r_adc64, "adcq (%rdx),%r12")					\
	X(r_sbb16, "sbbw (%rdx),%si")					\
	X(r_or32, "orl (%rdx),%eax")					\
	X(r_and8, "andb (%rdx),%dil")					\
	X(r_sub64, "subq (%rdx),%rbx")					\
	X(r_xor32, "xorl (%rdx),%r13d")					\
	X(r_cmp16, "cmpw (%rdx),%cx")					\
	X(r_cmp8, "cmpb (%rdx),%bl")					\
	X(i_add32, "addl $0x7fffffff,(%rdx)")				\
	X(i_add8, "addb $0x80,(%rdx)")					\
	X(i_or16, "orw $0x8001,(%rdx)")					\
	X(i_lock_or32, "lock orl $4,(%rdx)")				\
	X(i_or64, "orq $-0x10,(%rdx)")					\
	X(i_or32s, "orl $0x10,(%rdx)")					\
	X(i_adc16, "adcw $-1,(%rdx)")					\
	X(i_sbb64, "sbbq $0x12345678,(%rdx)")				\
	X(i_and32, "andl $0xfffffffe,(%rdx)")				\
	X(i_lock_and64, "lock andq $-0x100,(%rdx)")			\
	X(i_sub8, "subb $1,(%rdx)")					\
	X(i_xor32, "xorl $0x80000000,(%rdx)")				\
	X(i_cmp32, "cmpl $0x12,(%rdx)")					\
	X(i_cmp64, "cmpq $-1,(%rdx)")					\
	X(i_cmp8, "cmpb $0xff,(%rdx)")					\
	X(i_cmp16, "cmpw $0x1234,(%rdx)")				\
	X(t_test32, "testl %ecx,(%rdx)")				\
	X(t_test8h, "testb %ah,(%rdx)")					\
	X(t_test64, "testq %r9,(%rdx)")					\
	X(t_testi8, "testb $0x1,(%rdx)")				\
	X(t_testi32, "testl $0x80000000,(%rdx)")			\
	X(t_testi16, "testw $0x8000,(%rdx)")				\
	X(t_testi64, "testq $-2,(%rdx)")				\
	X(x_xchg32, "xchgl %ecx,(%rdx)")				\
	X(x_xchg8h, "xchgb %ah,(%rdx)")					\
	X(x_xchg64, "xchgq %r14,(%rdx)")				\
	X(x_xchg16, "xchgw %si,(%rdx)")					\
	X(x_lock_xchg32, "lock xchgl %eax,(%rdx)")			\
	X(u_not8, "notb (%rdx)")					\
	X(u_not32, "notl (%rdx)")					\
	X(u_lock_not64, "lock notq (%rdx)")				\
	X(u_neg16, "negw (%rdx)")					\
	X(u_neg32, "negl (%rdx)")					\
	X(u_lock_neg64, "lock negq (%rdx)")				\
	X(u_neg8, "negb (%rdx)")					\
	X(u_inc8, "incb (%rdx)")					\
	X(u_inc32, "incl (%rdx)")					\
	X(u_lock_inc64, "lock incq (%rdx)")				\
	X(u_dec16, "decw (%rdx)")					\
	X(u_lock_dec32, "lock decl (%rdx)")				\
	X(u_dec64, "decq (%rdx)")					\
	X(b_bt32, "btl %ecx,(%rdx)")					\
	X(b_bts64, "btsq %rax,(%rdx)")					\
	X(b_lock_bts32, "lock btsl %esi,(%rdx)")			\
	X(b_btr16, "btrw %cx,(%rdx)")					\
	X(b_lock_btr64, "lock btrq %rbx,(%rdx)")			\
	X(b_btc32, "btcl %edi,(%rdx)")					\
	X(b_bti32, "btl $5,(%rdx)")					\
	X(b_btsi64, "btsq $63,(%rdx)")					\
	X(b_lock_btsi32, "lock btsl $33,(%rdx)")			\
	X(b_btri16, "btrw $15,(%rdx)")					\
	X(b_btci64, "btcq $0x47,(%rdx)")				\
	X(b_lock_btci16, "lock btcw $1,(%rdx)")

#define MEM_STUB(name, text)	STUB(name, text)
MEM_STUBS(MEM_STUB)
#define MEM_ROW(name, text)	{ text, name, name##_end },

struct host_insn {
	const char *text;
	const u8 *start, *end;
};

static const struct host_insn mem_insns[] = { MEM_STUBS(MEM_ROW) };

/* What vmx_emulate.c does with @insn on the memory at @mem. */
static void emulate_modrm(const struct x86_mmio_insn *insn,
			  struct host_state *s, u8 *mem)
{
	struct x86_mmio_result res;
	u64 val = 0;

	memcpy(&val, mem, insn->size);
	if (insn->kind == X86_MMIO_STORE) {
		val = x86_mmio_store_data(insn, s->gpr[insn->reg]);
		memcpy(mem, &val, insn->size);
		return;
	}
	x86_mmio_execute(insn, val, s->gpr[insn->reg], s->rflags, &res);
	if (res.write_mem)
		memcpy(mem, &res.mem, insn->size);
	if (res.write_reg)
		s->gpr[insn->reg] = res.reg;
	s->rflags = res.rflags;
}

/* Decodes a stub's instruction: its length must be the assembler's. */
static bool decode_stub(struct __test_metadata *_metadata,
			const struct host_insn *h, struct x86_mmio_insn *insn)
{
	unsigned int len = h->end - h->start;
	int ret = decode(h->start, len, X86_MODE_64, insn);

	EXPECT_EQ(ret, 0) TH_LOG("in: %s", h->text);
	if (ret)
		return false;
	EXPECT_EQ(insn->len, len) TH_LOG("in: %s", h->text);
	return insn->len == len;
}

static void compare_states(struct __test_metadata *_metadata, const char *text,
			   const struct host_state *host,
			   const struct host_state *emul, unsigned int *mismatches)
{
	unsigned int r;

	for (r = 0; r < 16; r++) {
		if (r == GPR_RSP || host->gpr[r] == emul->gpr[r])
			continue;
		if ((*mismatches)++ < MISMATCH_LOGGED)
			TH_LOG("%s: register %u host %#llx, emulated %#llx", text, r,
			       (unsigned long long)host->gpr[r],
			       (unsigned long long)emul->gpr[r]);
	}
	if (host->rflags != emul->rflags && (*mismatches)++ < MISMATCH_LOGGED)
		TH_LOG("%s: rflags host %#llx, emulated %#llx", text,
		       (unsigned long long)host->rflags,
		       (unsigned long long)emul->rflags);
}

#define MEM_RUNS	2000

TEST(memory_instructions_match_host)
{
	u64 base = __builtin_ia32_readeflags_u64();
	unsigned int i, n, r, mismatches = 0, runs = 0;

	for (i = 0; i < ARRAY_SIZE(mem_insns); i++) {
		const struct host_insn *h = &mem_insns[i];
		struct x86_mmio_insn insn;

		if (!decode_stub(_metadata, h, &insn))
			continue;
		for (n = 0; n < MEM_RUNS; n++, runs++) {
			/* 16 bytes: the bytes past the operand must stay. */
			u64 host_mem[2] = { operand(), rng() }, emul_mem[2];
			struct host_state host, emul;

			for (r = 0; r < 16; r++)
				host.gpr[r] = operand();
			host.gpr[GPR_RDX] = (unsigned long)host_mem;
			host.rflags = any_flags(base);
			/* A register bit offset: inside the operand only. */
			if (!x86_mmio_bit_inside(&insn, host.gpr[insn.reg]))
				host.gpr[insn.reg] = rng() % (insn.size * 8);
			emul = host;
			memcpy(emul_mem, host_mem, sizeof(emul_mem));
			host_run(&host, h->start);
			emulate_modrm(&insn, &emul, (u8 *)emul_mem);
			compare_states(_metadata, h->text, &host, &emul, &mismatches);
			if (memcmp(host_mem, emul_mem, sizeof(host_mem)) &&
			    mismatches++ < MISMATCH_LOGGED)
				TH_LOG("%s: memory host %#llx, emulated %#llx", h->text,
				       (unsigned long long)host_mem[0],
				       (unsigned long long)emul_mem[0]);
		}
	}
	EXPECT_EQ(mismatches, 0u);
	ksft_print_msg("%zu instructions, %u runs against the host, %u mismatches\n",
		       ARRAY_SIZE(mem_insns), runs, mismatches);
}

/*
 * STOS and MOVS: one item at a time as vmx_emulate.c does (the guest
 * runs the instruction again while a REP has items left), against the
 * host running the whole instruction.  The addr32 forms use buffers
 * below 4 GiB (MAP_32BIT) with junk in bits 63:32 of RSI, RDI and RCX.
 */
#define STRING_STUBS(X)							\
	X(s_stosb, "stosb", false)					\
	X(s_rep_stosb, "rep stosb", false)				\
	X(s_rep_stosw, "rep stosw", false)				\
	X(s_rep_stosl, "rep stosl", false)				\
	X(s_rep_stosq, "rep stosq", false)				\
	X(s_repne_stosl, "repne stosl", false)				\
	X(s_movsb, "movsb", false)					\
	X(s_rep_movsb, "rep movsb", false)				\
	X(s_rep_movsw, "rep movsw", false)				\
	X(s_movsl, "movsl", false)					\
	X(s_rep_movsq, "rep movsq", false)				\
	X(s_a32_rep_stosb, "addr32 rep stosb", true)			\
	X(s_a32_rep_movsl, "addr32 rep movsl", true)

#define STRING_STUB(name, text, low)	STUB(name, text)
STRING_STUBS(STRING_STUB)
#define STRING_ROW(name, text, low)	{ { text, name, name##_end }, low },

static const struct {
	struct host_insn h;
	bool low;
} string_insns[] = { STRING_STUBS(STRING_ROW) };

#define STRING_BUF	256
#define STRING_MID	128	/* room for 8 items of 8 bytes either way */
#define STRING_MAX_ITEMS	8
#define STRING_RUNS	300

/* The offset in a buffer at @buf of the item at index register @reg. */
static unsigned long string_offset(const struct x86_mmio_insn *insn, u64 reg,
				   const u8 *buf)
{
	u64 mask = insn->addr_size == 8 ? ~0ULL : (1ULL << (insn->addr_size * 8)) - 1;

	return (reg & mask) - (unsigned long)buf;
}

static void emulate_string(const struct x86_mmio_insn *insn, struct host_state *s,
			   const u8 *host_src, const u8 *host_dst, u8 *src, u8 *dst)
{
	bool down = s->rflags & RFLAGS_DF, done;
	u64 val;

	do {
		if (insn->kind == X86_MMIO_STOS)
			val = x86_mmio_store_data(insn, s->gpr[insn->reg]);
		else
			memcpy(&val, src + string_offset(insn, s->gpr[GPR_RSI], host_src),
			       insn->size);
		memcpy(dst + string_offset(insn, s->gpr[GPR_RDI], host_dst), &val,
		       insn->size);
		done = x86_string_step(insn, down, &s->gpr[GPR_RSI], &s->gpr[GPR_RDI],
				       &s->gpr[GPR_RCX]);
	} while (!done);
}

TEST(string_instructions_match_host)
{
	u64 base = __builtin_ia32_readeflags_u64();
	unsigned int i, n, r, mismatches = 0, runs = 0;
	u8 *low = mmap(NULL, 2 * STRING_BUF, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	static u8 high[2 * STRING_BUF];

	ASSERT_NE(low, MAP_FAILED);
	for (i = 0; i < ARRAY_SIZE(string_insns); i++) {
		const struct host_insn *h = &string_insns[i].h;
		u8 *buf = string_insns[i].low ? low : high;
		u8 *src = buf, *dst = buf + STRING_BUF;
		u8 emul_src[STRING_BUF], emul_dst[STRING_BUF];
		struct x86_mmio_insn insn;

		if (!decode_stub(_metadata, h, &insn))
			continue;
		for (n = 0; n < STRING_RUNS; n++, runs++) {
			struct host_state host, emul;
			u64 junk = string_insns[i].low ? rng() << 32 : 0;

			for (r = 0; r < 2 * STRING_BUF; r++)
				buf[r] = rng();
			for (r = 0; r < 16; r++)
				host.gpr[r] = operand();
			host.gpr[GPR_RSI] = (unsigned long)(src + STRING_MID) | junk;
			host.gpr[GPR_RDI] = (unsigned long)(dst + STRING_MID) | junk;
			/*
			 * Never 0: REP with rCX = 0 accesses nothing, so it
			 * never exits and vmmon never emulates it.  CPUs differ
			 * there anyway: this rig's AMD hosts left bits 63:32 of
			 * rCX and rDI as they were for addr32, an Intel Xeon
			 * host cleared them.
			 */
			host.gpr[GPR_RCX] = (rng() % STRING_MAX_ITEMS + 1) | junk;
			host.rflags = any_flags(base) | (rng() & 1 ? RFLAGS_DF : 0);
			emul = host;
			memcpy(emul_src, src, STRING_BUF);
			memcpy(emul_dst, dst, STRING_BUF);
			host_run(&host, h->start);
			emulate_string(&insn, &emul, src, dst, emul_src, emul_dst);
			compare_states(_metadata, h->text, &host, &emul, &mismatches);
			if ((memcmp(src, emul_src, STRING_BUF) ||
			     memcmp(dst, emul_dst, STRING_BUF)) &&
			    mismatches++ < MISMATCH_LOGGED)
				TH_LOG("%s: memory differs", h->text);
		}
	}
	munmap(low, 2 * STRING_BUF);
	EXPECT_EQ(mismatches, 0u);
	ksft_print_msg("%zu instructions, %u runs against the host, %u mismatches\n",
		       ARRAY_SIZE(string_insns), runs, mismatches);
}

/* The 16-bit address size wraps rSI/rDI/rCX in their low 16 bits. */
TEST(string_step_in_address_size)
{
	struct x86_mmio_insn insn = {
		.kind = X86_MMIO_MOVS, .size = 2, .addr_size = 2, .rep = true,
	};
	u64 rsi = 0x1234ffffULL, rdi = 0xabcd0000ULL, rcx = 0x55550002ULL;

	EXPECT_FALSE(x86_string_step(&insn, false, &rsi, &rdi, &rcx));
	EXPECT_EQ(rsi, 0x12340001ULL);
	EXPECT_EQ(rdi, 0xabcd0002ULL);
	EXPECT_EQ(rcx, 0x55550001ULL);
	EXPECT_TRUE(x86_string_step(&insn, true, &rsi, &rdi, &rcx));
	EXPECT_EQ(rsi, 0x1234ffffULL);
	EXPECT_EQ(rdi, 0xabcd0000ULL);
	EXPECT_EQ(rcx, 0x55550000ULL);
	/* STOS leaves rSI alone; without REP, rCX too. */
	insn.kind = X86_MMIO_STOS;
	insn.rep = false;
	insn.addr_size = 4;
	rsi = rdi = rcx = 0xffffffff00000010ULL;
	EXPECT_TRUE(x86_string_step(&insn, true, &rsi, &rdi, &rcx));
	EXPECT_EQ(rsi, 0xffffffff00000010ULL);
	EXPECT_EQ(rdi, 0x0000000eULL);
	EXPECT_EQ(rcx, 0xffffffff00000010ULL);
}

/* BT..BTC with a register offset: only bits of the operand itself. */
TEST(bit_offset_inside_operand)
{
	static const u8 bts32[] = { 0x0f, 0xab, 0x02 };		/* btsl %eax,(%rdx) */
	static const u8 bts16[] = { 0x66, 0x0f, 0xab, 0x02 };	/* btsw %ax,(%rdx) */
	static const u8 btsi[] = { 0x0f, 0xba, 0x2a, 0xff };	/* btsl $0xff,(%rdx) */
	struct x86_mmio_insn insn;

	ASSERT_EQ(x86_decode_mmio(bts32, sizeof(bts32), X86_MODE_64, &insn), 0);
	EXPECT_TRUE(x86_mmio_bit_inside(&insn, 0));
	EXPECT_TRUE(x86_mmio_bit_inside(&insn, 31));
	EXPECT_FALSE(x86_mmio_bit_inside(&insn, 32));
	EXPECT_FALSE(x86_mmio_bit_inside(&insn, 0xffffffff));	/* -1 */
	/* The operand size's part of the register: bits 63:32 do not count. */
	EXPECT_TRUE(x86_mmio_bit_inside(&insn, 0x100000005ULL));
	ASSERT_EQ(x86_decode_mmio(bts16, sizeof(bts16), X86_MODE_64, &insn), 0);
	EXPECT_TRUE(x86_mmio_bit_inside(&insn, 0xffff000f));
	EXPECT_FALSE(x86_mmio_bit_inside(&insn, 16));
	/* An immediate is taken modulo the width: always inside. */
	ASSERT_EQ(x86_decode_mmio(btsi, sizeof(btsi), X86_MODE_64, &insn), 0);
	EXPECT_TRUE(x86_mmio_bit_inside(&insn, ~0ULL));
}

/* Which accesses each kind makes, as vmx_emulate.c sequences them. */
TEST(reads_and_writes)
{
	static const struct {
		const char *text;
		u8 bytes[4];
		u8 len;
		bool reads, writes;
	} cases[] = {
		{ "movl (%rdx),%eax", { 0x8b, 0x02 }, 2, true, false },
		{ "movl %eax,(%rdx)", { 0x89, 0x02 }, 2, false, true },
		{ "lock orl %eax,(%rdx)", { 0xf0, 0x09, 0x02 }, 3, true, true },
		{ "orl (%rdx),%eax", { 0x0b, 0x02 }, 2, true, false },
		{ "cmpl %eax,(%rdx)", { 0x39, 0x02 }, 2, true, false },
		{ "testb $1,(%rdx)", { 0xf6, 0x02, 0x01 }, 3, true, false },
		{ "btl %eax,(%rdx)", { 0x0f, 0xa3, 0x02 }, 3, true, false },
		{ "btsl %eax,(%rdx)", { 0x0f, 0xab, 0x02 }, 3, true, true },
		{ "xchgl %eax,(%rdx)", { 0x87, 0x02 }, 2, true, true },
		{ "notl (%rdx)", { 0xf7, 0x12 }, 2, true, true },
		{ "rep stosb", { 0xf3, 0xaa }, 2, false, true },
		{ "movsb", { 0xa4 }, 1, true, true },
	};
	struct x86_mmio_insn insn;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(x86_decode_mmio(cases[i].bytes, cases[i].len, X86_MODE_64,
					  &insn), 0) TH_LOG("in: %s", cases[i].text);
		EXPECT_EQ(x86_mmio_reads(&insn), cases[i].reads)
			TH_LOG("in: %s", cases[i].text);
		EXPECT_EQ(x86_mmio_writes(&insn), cases[i].writes)
			TH_LOG("in: %s", cases[i].text);
	}
}

/*
 * The bytes are the guest's: any of them, cut anywhere, decode without
 * reading past what was given, and what is accepted is in range.
 */
TEST(random_bytes_decode_safely)
{
	/* Prefixes and opcodes of the accepted forms, to get past byte 0. */
	static const u8 likely[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x64, 0x48, 0x41, 0x0f, 0x01,
		0x03, 0x39, 0x80, 0x81, 0x83, 0x84, 0x87, 0x89, 0x8b, 0xa1, 0xa5,
		0xab, 0xc7, 0xf6, 0xf7, 0xff, 0xa3, 0xba, 0xc3, 0xb6, 0x04, 0x05,
		0x44, 0x84, 0x24,
	};
	const unsigned int inputs = 200000;
	unsigned int i, j, accepted = 0, bad = 0;

	for (i = 0; i < inputs; i++) {
		u8 bytes[X86_MAX_INSN_BYTES];
		unsigned int avail = rng() % (sizeof(bytes) + 1);
		enum x86_cpu_mode mode = rng() % 3;
		struct x86_mmio_insn insn;

		for (j = 0; j < sizeof(bytes); j++)
			bytes[j] = rng() & 1 ? likely[rng() % ARRAY_SIZE(likely)] : rng();
		if (decode(bytes, avail, mode, &insn))
			continue;
		accepted++;
		if (insn.len < 1 || insn.len > avail || insn.reg > 15 ||
		    (insn.size != 1 && insn.size != 2 && insn.size != 4 &&
		     insn.size != 8) || insn.dst_size > 8 ||
		    insn.kind > X86_MMIO_MOVS || insn.alu >= X86_ALU_NR_OPS ||
		    insn.src_seg > X86_SEG_GS ||
		    ((insn.kind == X86_MMIO_STOS || insn.kind == X86_MMIO_MOVS) &&
		     insn.addr_size != 2 && insn.addr_size != 4 &&
		     insn.addr_size != 8))
			bad++;
	}
	EXPECT_EQ(bad, 0u);
	ksft_print_msg("%u random inputs, %u accepted, %u out of range\n", inputs,
		       accepted, bad);
}

TEST_HARNESS_MAIN
