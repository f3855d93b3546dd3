// SPDX-License-Identifier: GPL-2.0
/*
 * Integer instructions on a memory operand, computed in C with the flags
 * the CPU leaves.  The carry and borrow out of each bit position are
 * recovered from the operands and the result (a carry leaves bit i when
 * two of a_i, b_i and the carry into it are set, and res_i is their
 * sum modulo 2), so no wider type is needed for 64-bit operands and one
 * formula serves ADD and ADC, another SUB, SBB, CMP and NEG:
 *   carries = (a & b) | ((a | b) & ~res)     CF = carry out of the top bit
 *   borrows = (~a & b) | (~(a ^ b) & res)    CF = borrow out of the top bit
 * AF is the carry or borrow out of bit 3, which is bit 4 of a ^ b ^ res.
 */
#include <linux/types.h>
#include "x86_alu.h"

/* AF reports the carry into bit 4 (BCD arithmetic's nibble carry). */
#define X86_AF_BIT		0x10ULL

static u64 x86_alu_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 x86_alu_sign(unsigned int size)
{
	return 1ULL << (size * 8 - 1);
}

/* PF: set when the low byte of the result has an even number of ones. */
static u64 x86_parity_flag(u64 res)
{
	u8 b = res;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return b & 1 ? 0 : X86_RFLAGS_PF;
}

/* SF, ZF and PF, which every arithmetic and logic result sets alike. */
static u64 x86_result_flags(u64 res, unsigned int size)
{
	u64 flags = x86_parity_flag(res);

	if (!(res & x86_alu_mask(size)))
		flags |= X86_RFLAGS_ZF;
	if (res & x86_alu_sign(size))
		flags |= X86_RFLAGS_SF;
	return flags;
}

static u64 x86_add(u64 a, u64 b, u64 carry_in, unsigned int size, u64 *flags)
{
	u64 mask = x86_alu_mask(size), sign = x86_alu_sign(size);
	u64 res = (a + b + carry_in) & mask;
	u64 carries = (a & b) | ((a | b) & ~res);

	*flags = x86_result_flags(res, size);
	if (carries & sign)
		*flags |= X86_RFLAGS_CF;
	/* Signed overflow: both operands have a sign the result has not. */
	if ((a ^ res) & (b ^ res) & sign)
		*flags |= X86_RFLAGS_OF;
	if ((a ^ b ^ res) & X86_AF_BIT)
		*flags |= X86_RFLAGS_AF;
	return res;
}

static u64 x86_sub(u64 a, u64 b, u64 borrow_in, unsigned int size, u64 *flags)
{
	u64 mask = x86_alu_mask(size), sign = x86_alu_sign(size);
	u64 res = (a - b - borrow_in) & mask;
	u64 borrows = (~a & b) | (~(a ^ b) & res);

	*flags = x86_result_flags(res, size);
	if (borrows & sign)
		*flags |= X86_RFLAGS_CF;
	/* Signed overflow: operands of unlike signs, result unlike a's. */
	if ((a ^ b) & (a ^ res) & sign)
		*flags |= X86_RFLAGS_OF;
	if ((a ^ b ^ res) & X86_AF_BIT)
		*flags |= X86_RFLAGS_AF;
	return res;
}

/* AND, OR, XOR, TEST: CF and OF cleared, AF too (undefined by the SDM). */
static u64 x86_logic(u64 res, unsigned int size, u64 *flags)
{
	res &= x86_alu_mask(size);
	*flags = x86_result_flags(res, size);
	return res;
}

/* BT..BTC: CF is the selected bit; the other flags stay. */
static u64 x86_bit_op(enum x86_alu_op op, unsigned int size, u64 dst, u64 src,
		      u64 *rflags)
{
	u64 bit = 1ULL << (src & (size * 8 - 1));

	*rflags &= ~X86_RFLAGS_CF;
	if (dst & bit)
		*rflags |= X86_RFLAGS_CF;
	switch (op) {
	case X86_ALU_BTS:
		return dst | bit;
	case X86_ALU_BTR:
		return dst & ~bit;
	case X86_ALU_BTC:
		return dst ^ bit;
	default:
		return dst;
	}
}

u64 x86_alu(enum x86_alu_op op, unsigned int size, u64 dst, u64 src,
	    u64 *rflags)
{
	u64 mask = x86_alu_mask(size), cf = *rflags & X86_RFLAGS_CF;
	u64 flags = 0, res;

	dst &= mask;
	src &= mask;
	switch (op) {
	case X86_ALU_ADD:
		res = x86_add(dst, src, 0, size, &flags);
		break;
	case X86_ALU_ADC:
		res = x86_add(dst, src, cf ? 1 : 0, size, &flags);
		break;
	case X86_ALU_SUB:
	case X86_ALU_CMP:
		res = x86_sub(dst, src, 0, size, &flags);
		break;
	case X86_ALU_SBB:
		res = x86_sub(dst, src, cf ? 1 : 0, size, &flags);
		break;
	case X86_ALU_NEG:
		res = x86_sub(0, dst, 0, size, &flags);
		break;
	case X86_ALU_INC:
		/* INC and DEC leave CF alone, so that loops can carry it. */
		res = x86_add(dst, 1, 0, size, &flags);
		flags = (flags & ~X86_RFLAGS_CF) | cf;
		break;
	case X86_ALU_DEC:
		res = x86_sub(dst, 1, 0, size, &flags);
		flags = (flags & ~X86_RFLAGS_CF) | cf;
		break;
	case X86_ALU_OR:
		res = x86_logic(dst | src, size, &flags);
		break;
	case X86_ALU_AND:
	case X86_ALU_TEST:
		res = x86_logic(dst & src, size, &flags);
		break;
	case X86_ALU_XOR:
		res = x86_logic(dst ^ src, size, &flags);
		break;
	case X86_ALU_NOT:
		/* NOT changes no flag. */
		return ~dst & mask;
	case X86_ALU_BT:
	case X86_ALU_BTS:
	case X86_ALU_BTR:
	case X86_ALU_BTC:
		return x86_bit_op(op, size, dst, src, rflags) & mask;
	default:
		return dst;
	}
	*rflags = (*rflags & ~X86_RFLAGS_ARITH) | flags;
	return x86_alu_writes(op) ? res : dst;
}

bool x86_alu_writes(enum x86_alu_op op)
{
	return op != X86_ALU_CMP && op != X86_ALU_TEST && op != X86_ALU_BT;
}
