// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/x86/x86_decode.c, built natively.  The encodings are
 * what GNU as emits for the AT&T text beside them (checked with objdump),
 * except the rows marked "by hand", which follow SDM vol. 2 section 2.2.1
 * for prefix orders as has no syntax for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>
#include "vmmon_harness.h"
#include "x86_decode.h"

#define LD	X86_MMIO_LOAD
#define ST	X86_MMIO_STORE

struct decode_case {
	const char *text;
	enum x86_cpu_mode mode;
	u8 bytes[15];
	u8 len;
	u8 dir, size, dst_size, reg;
	bool high8, sign_extend, has_imm;
	u64 imm;
};

/* A register load or store; .dst_size is given for loads only. */
#define LOAD(sz, dst, r)	.dir = LD, .size = sz, .dst_size = dst, .reg = r
#define STORE(sz, r)		.dir = ST, .size = sz, .reg = r
#define STORE_IMM(sz, v)	.dir = ST, .size = sz, .has_imm = true, .imm = v
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
	CASE_EQ(insn.dir, c->dir);
	CASE_EQ(insn.size, c->size);
	CASE_EQ(insn.dst_size, c->dst_size);
	CASE_EQ(insn.reg, c->reg);
	CASE_EQ(insn.high8, c->high8);
	CASE_EQ(insn.sign_extend, c->sign_extend);
	CASE_EQ(insn.has_imm, c->has_imm);
	CASE_EQ(insn.imm, c->imm);
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
	{ "rep movsl", X86_MODE_32, { 0xf3, 0xa5 }, 2, -EINVAL },
	{ "movsb", X86_MODE_64, { 0xa4 }, 1, -EINVAL },
	{ "addl %eax,(%rdx)", X86_MODE_64, { 0x01, 0x02 }, 2, -EINVAL },
	{ "leal (%rdx),%eax", X86_MODE_64, { 0x8d, 0x02 }, 2, -EINVAL },
	{ "movw %ds,(%rax)", X86_MODE_64, { 0x8c, 0x18 }, 2, -EINVAL },
	{ "movw (%rax),%ds", X86_MODE_64, { 0x8e, 0x18 }, 2, -EINVAL },
	{ "C6 /1", X86_MODE_64, { 0xc6, 0x08, 0x12 }, 3, -EINVAL },
	{ "C7 /1", X86_MODE_32, { 0xc7, 0x48, 0x10, 1, 0, 0, 0 }, 7, -EINVAL },
	{ "incl (%rax)", X86_MODE_64, { 0xff, 0x00 }, 2, -EINVAL },
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

/* Decodes @bytes, a complete instruction that must access memory in @dir. */
static bool decode_dir(struct __test_metadata *_metadata, const u8 *bytes,
		       unsigned int len, enum x86_cpu_mode mode,
		       enum x86_mmio_dir dir, struct x86_mmio_insn *insn)
{
	int ret = x86_decode_mmio(bytes, len, mode, insn);

	EXPECT_EQ(ret, 0);
	if (ret)
		return false;
	EXPECT_EQ(insn->dir, dir);
	return insn->dir == dir;
}

static u64 load(struct __test_metadata *_metadata, const u8 *bytes,
		unsigned int len, enum x86_cpu_mode mode, u64 old, u64 data)
{
	struct x86_mmio_insn insn;

	if (!decode_dir(_metadata, bytes, len, mode, X86_MMIO_LOAD, &insn))
		return 0xdead;
	return x86_mmio_load_result(&insn, old, data);
}

static u64 store(struct __test_metadata *_metadata, const u8 *bytes,
		 unsigned int len, enum x86_cpu_mode mode, u64 reg)
{
	struct x86_mmio_insn insn;

	if (!decode_dir(_metadata, bytes, len, mode, X86_MMIO_STORE, &insn))
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

TEST_HARNESS_MAIN
