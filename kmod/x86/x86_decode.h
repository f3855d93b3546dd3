/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the instructions a guest reaches device memory with.
 * An EPT violation on a guest-physical address no RAM backs gives the
 * address but neither the instruction's length nor its operands, so the
 * exit handler fetches the bytes at the guest's RIP and decodes them here.
 * Pure logic, unit-tested natively (tests/unit/x86_decode_test.c).
 */
#ifndef VMMON_X86_DECODE_H
#define VMMON_X86_DECODE_H

#include <linux/types.h>
#include "x86_alu.h"

/*
 * Default operand and address size of the code segment: 16 in real and
 * virtual-8086 mode and when CS.D=0, 32 when CS.D=1, 64 in IA-32e mode
 * with CS.L=1 (compatibility mode follows CS.D like protected mode).
 */
enum x86_cpu_mode { X86_MODE_16, X86_MODE_32, X86_MODE_64 };

/* What an instruction does with its memory operand. */
enum x86_mmio_kind {
	X86_MMIO_LOAD,	/* MOV, MOVZX, MOVSX to a register: one read */
	X86_MMIO_STORE,	/* MOV, MOVNTI of a register or immediate: one write */
	/*
	 * An operation (@alu) on the memory operand and a register or an
	 * immediate: a read, then a write when @mem_dst and the operation
	 * writes its destination.
	 */
	X86_MMIO_ALU,
	X86_MMIO_XCHG,	/* a read, then a write of the register */
	X86_MMIO_STOS,	/* rAX to ES:rDI: one write an item */
	X86_MMIO_MOVS,	/* DS:rSI to ES:rDI: a read and a write an item */
};

/* Segment registers, in the order of their encoding (SDM vol. 3 3.4.2). */
enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS,
	       X86_SEG_FS, X86_SEG_GS };

struct x86_mmio_insn {
	u8 len;		/* instruction length in bytes, 1..15 */
	u8 kind;	/* enum x86_mmio_kind */
	u8 alu;		/* ALU: enum x86_alu_op */
	u8 size;	/* bytes accessed in memory: 1, 2, 4 or 8 */
	/*
	 * Bytes of the register the instruction writes: > size for MOVZX
	 * and MOVSX, = size for the other loads, ALU with a register
	 * destination and XCHG; 0 when no register is written.
	 */
	u8 dst_size;
	/*
	 * The general-purpose register that holds the register operand:
	 * 0=rAX 1=rCX 2=rDX 3=rBX 4=rSP 5=rBP 6=rSI 7=rDI 8..15=r8..r15.
	 * For AH/CH/DH/BH it is the register they are part of (0..3) and
	 * high8 is set, so that it can index the saved registers directly.
	 * rAX for STOS; 0 (unused) with an immediate operand and for MOVS.
	 */
	u8 reg;
	bool high8;	/* the operand is bits 15:8 of reg (AH..BH, no REX) */
	bool sign_extend;	/* MOVSX */
	bool has_imm;	/* the other operand is the immediate @imm */
	/*
	 * ALU: the memory operand is the destination (00/01-style forms,
	 * 80-83, F6/F7, FE/FF, BT*), not the register (02/03-style forms).
	 */
	bool mem_dst;
	bool lock;	/* LOCK prefix: only on the forms that allow it */
	bool rep;	/* STOS, MOVS: REP (F3) or REPNE (F2), the same here */
	u8 addr_size;	/* STOS, MOVS: 2, 4 or 8 bytes of rSI, rDI, rCX */
	u8 src_seg;	/* MOVS: enum x86_seg of the source (DS or override) */
	u64 imm;	/* the immediate, sign-extended to 64 bits */
};

/*
 * Decodes the instruction in @bytes[0..@avail) into @insn.  Accepted,
 * each with a memory operand:
 *   MOV 88/89/8A/8B, C6 /0, C7 /0, A0-A3 (moffs); MOVZX 0F B6/B7, MOVSX
 *   0F BE/BF; MOVNTI 0F C3;
 *   ADD, OR, ADC, SBB, AND, SUB, XOR, CMP: the ModRM forms 00-03, 08-0B,
 *   ... 38-3B, and 80, 81, 83 /0../7 (82 outside 64-bit mode);
 *   TEST 84/85, F6/F7 /0;
 *   NOT, NEG F6/F7 /2, /3; INC, DEC FE/FF /0, /1; XCHG 86/87;
 *   BT, BTS, BTR, BTC 0F A3/AB/B3/BB and 0F BA /4../7;
 *   STOS AA/AB and MOVS A4/A5, with or without REP;
 * with prefixes 66, 67, segment overrides, REX in 64-bit mode, LOCK on
 * the read-modify-write forms that allow it, F2/F3 on STOS and MOVS.
 *
 * Returns 0; -EINVAL for anything else (a register operand, a prefix
 * the form does not take, another opcode, more than 15 bytes);
 * -ENODATA when the instruction goes on past @avail bytes, which is
 * never the case when @avail >= 15.  No byte at or past @avail is read;
 * *@insn is only meaningful after 0.
 */
int x86_decode_mmio(const u8 *bytes, unsigned int avail,
		    enum x86_cpu_mode mode, struct x86_mmio_insn *insn);

/*
 * Whether the instruction writes memory (STORE, STOS, MOVS, XCHG, and
 * ALU when the memory operand is the destination and the operation
 * writes it), and whether it reads memory (all but STORE and STOS).
 */
bool x86_mmio_writes(const struct x86_mmio_insn *insn);
bool x86_mmio_reads(const struct x86_mmio_insn *insn);

/*
 * BT..BTC with a register bit offset, @reg: whether the bit is inside
 * the operand.  The offset is signed and may address any bit around the
 * operand; only those inside are emulated (always true for the other
 * instructions and for an immediate offset, taken modulo the width).
 */
bool x86_mmio_bit_inside(const struct x86_mmio_insn *insn, u64 reg);

/*
 * The new 64-bit value of register @insn->reg, holding @old, after the
 * LOAD of @data (the @insn->size bytes read): zero- or sign-extended to
 * dst_size, then 32-bit writes zero the upper half and 8/16-bit writes
 * leave the other bits of @old alone.
 */
u64 x86_mmio_load_result(const struct x86_mmio_insn *insn, u64 old, u64 data);

/*
 * The @insn->size bytes a STORE or STOS writes, given the value @reg of
 * insn->reg.
 */
u64 x86_mmio_store_data(const struct x86_mmio_insn *insn, u64 reg);

/*
 * STOS or MOVS moved one item: steps rDI (and rSI for MOVS) by the item
 * size, down when RFLAGS.DF is set (@down), and with REP counts rCX
 * down, each in the address size (a 32-bit one zero-extends the
 * register, a 16-bit one keeps its bits 63:16).  Returns whether the
 * instruction is complete: without REP, or when rCX reached 0.
 */
bool x86_string_step(const struct x86_mmio_insn *insn, bool down, u64 *rsi,
		     u64 *rdi, u64 *rcx);

/* What a LOAD, ALU or XCHG instruction does once its read is done. */
struct x86_mmio_result {
	u64 mem;	/* the @insn->size bytes to write, when write_mem */
	u64 reg;	/* the new value of insn->reg, when write_reg */
	u64 rflags;	/* RFLAGS after the instruction */
	bool write_mem;
	bool write_reg;
};

/*
 * The effect of @insn given @mem, the bytes read, @reg, the value of
 * insn->reg (unused with an immediate), and @rflags before it.
 */
void x86_mmio_execute(const struct x86_mmio_insn *insn, u64 mem, u64 reg,
		      u64 rflags, struct x86_mmio_result *res);

#endif /* VMMON_X86_DECODE_H */
