/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arithmetic, logic and bit instructions vmmon carries out for a
 * guest whose operand is device memory, with the RFLAGS arithmetic flags
 * the CPU leaves (SDM vol. 1 appendix A, vol. 2 per instruction).  Pure
 * logic, unit-tested natively against the host CPU's own instructions
 * (tests/unit/x86_decode_test.c).
 */
#ifndef VMMON_X86_ALU_H
#define VMMON_X86_ALU_H

#include <linux/types.h>

/*
 * RFLAGS bits (SDM vol. 1 3.4.3).  Own names: the kernel's X86_EFLAGS_*
 * are not available to the native build.
 */
#define X86_RFLAGS_CF		0x0001ULL
#define X86_RFLAGS_PF		0x0004ULL
#define X86_RFLAGS_AF		0x0010ULL
#define X86_RFLAGS_ZF		0x0040ULL
#define X86_RFLAGS_SF		0x0080ULL
#define X86_RFLAGS_OF		0x0800ULL
#define X86_RFLAGS_ARITH	(X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | \
				 X86_RFLAGS_ZF | X86_RFLAGS_SF | X86_RFLAGS_OF)

/*
 * The operations.  The first eight are in the order of bits 5:3 of
 * opcodes 00-3D and of the ModRM reg field of 80-83; BT..BTC in the
 * order of the reg field of 0F BA /4../7.
 */
enum x86_alu_op {
	X86_ALU_ADD,
	X86_ALU_OR,
	X86_ALU_ADC,
	X86_ALU_SBB,
	X86_ALU_AND,
	X86_ALU_SUB,
	X86_ALU_XOR,
	X86_ALU_CMP,
	X86_ALU_TEST,
	X86_ALU_NOT,
	X86_ALU_NEG,
	X86_ALU_INC,
	X86_ALU_DEC,
	X86_ALU_BT,
	X86_ALU_BTS,
	X86_ALU_BTR,
	X86_ALU_BTC,
	X86_ALU_NR_OPS
};

/*
 * @op on the destination operand's value @dst and the source @src, both
 * @size bytes (1, 2, 4 or 8; higher bits are ignored): returns the
 * result, @size bytes, which is @dst itself for the operations that do
 * not write it (CMP, TEST, BT), and updates the arithmetic flags in
 * *@rflags.  NOT, NEG, INC and DEC ignore @src; for BT..BTC @src is the
 * bit offset, taken modulo the operand's width as the CPU does for a
 * register operand or an immediate.
 *
 * Flags the SDM leaves undefined get the values CPUs give them (and
 * Bochs, which models Intel's): AND, OR, XOR and TEST clear AF; BT..BTC
 * change CF only, leaving OF, SF, AF and PF as they were.
 */
u64 x86_alu(enum x86_alu_op op, unsigned int size, u64 dst, u64 src,
	    u64 *rflags);

/* Whether @op writes its destination: all but CMP, TEST and BT. */
bool x86_alu_writes(enum x86_alu_op op);

#endif /* VMMON_X86_ALU_H */
