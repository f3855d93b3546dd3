/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the MOV instructions a guest reaches device memory with.
 * An EPT violation on a guest-physical address no RAM backs gives the
 * address but neither the instruction's length nor its register, so the
 * exit handler fetches the bytes at the guest's RIP and decodes them here.
 * Pure logic, unit-tested natively (tests/unit/x86_decode_test.c).
 */
#ifndef VMMON_X86_DECODE_H
#define VMMON_X86_DECODE_H

#include <linux/types.h>

/*
 * Default operand and address size of the code segment: 16 in real and
 * virtual-8086 mode and when CS.D=0, 32 when CS.D=1, 64 in IA-32e mode
 * with CS.L=1 (compatibility mode follows CS.D like protected mode).
 */
enum x86_cpu_mode { X86_MODE_16, X86_MODE_32, X86_MODE_64 };

enum x86_mmio_dir { X86_MMIO_LOAD, X86_MMIO_STORE };

struct x86_mmio_insn {
	u8 len;		/* instruction length in bytes, 1..15 */
	u8 dir;		/* enum x86_mmio_dir */
	u8 size;	/* bytes accessed in memory: 1, 2, 4 or 8 */
	u8 dst_size;	/* LOAD: bytes of the register written, > size for MOVZX/MOVSX */
	/*
	 * The general-purpose register that holds the register operand:
	 * 0=rAX 1=rCX 2=rDX 3=rBX 4=rSP 5=rBP 6=rSI 7=rDI 8..15=r8..r15.
	 * For AH/CH/DH/BH it is the register they are part of (0..3) and
	 * high8 is set, so that it can index the saved registers directly.
	 * 0 (unused) for a store of an immediate.
	 */
	u8 reg;
	bool high8;	/* the operand is bits 15:8 of reg (AH..BH, no REX) */
	bool sign_extend;	/* MOVSX */
	bool has_imm;	/* STORE of an immediate (C6 /0, C7 /0) */
	u64 imm;	/* that immediate, sign-extended to 64 bits */
};

/*
 * Decodes the instruction in @bytes[0..@avail) into @insn.  Accepted:
 * MOV 88/89/8A/8B and C6 /0, C7 /0 with a memory operand, A0-A3 (moffs),
 * MOVZX 0F B6/B7 and MOVSX 0F BE/BF; prefixes 66, 67, segment overrides
 * (ignored: VT-x gives the address) and REX in 64-bit mode.
 *
 * Returns 0; -EINVAL for anything else (a register operand, LOCK or REP,
 * another opcode, more than 15 bytes); -ENODATA when the instruction goes
 * on past @avail bytes, which is never the case when @avail >= 15.  No
 * byte at or past @avail is read; *@insn is only meaningful after 0.
 */
int x86_decode_mmio(const u8 *bytes, unsigned int avail,
		    enum x86_cpu_mode mode, struct x86_mmio_insn *insn);

/*
 * The new 64-bit value of register @insn->reg, holding @old, after the
 * LOAD of @data (the @insn->size bytes read): zero- or sign-extended to
 * dst_size, then 32-bit writes zero the upper half and 8/16-bit writes
 * leave the other bits of @old alone.
 */
u64 x86_mmio_load_result(const struct x86_mmio_insn *insn, u64 old, u64 data);

/* The @insn->size bytes a STORE writes, given the value @reg of insn->reg. */
u64 x86_mmio_store_data(const struct x86_mmio_insn *insn, u64 reg);

#endif /* VMMON_X86_DECODE_H */
