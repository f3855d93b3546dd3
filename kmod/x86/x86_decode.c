// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instruction decoding (SDM vol. 2, chapter 2 and the MOV, MOVZX
 * and MOVSX pages).  Only the forms compilers emit for device accesses
 * (readl()/writel() and plain structure stores) are accepted: the exit
 * handler reports anything else instead of guessing.  The memory
 * operand's address is skipped over, not computed, as VT-x gives the
 * guest-physical address; only the length of its encoding matters.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include "x86_decode.h"

/* Longer instructions raise #GP on hardware. */
#define X86_MAX_INSN_LEN	15

#define X86_REX_W		BIT(3)
#define X86_REX_R		BIT(2)

struct x86_decoder {
	const u8 *bytes;
	unsigned int avail;
	unsigned int pos;
};

/*
 * Consumes @n bytes.  The 15-byte limit is checked first so that the
 * answer for a caller that has 15 bytes is final.
 */
static int x86_take(struct x86_decoder *d, unsigned int n)
{
	if (d->pos + n > X86_MAX_INSN_LEN)
		return -EINVAL;
	if (d->pos + n > d->avail)
		return -ENODATA;
	d->pos += n;
	return 0;
}

static int x86_next(struct x86_decoder *d, u8 *byte)
{
	int err = x86_take(d, 1);

	if (!err)
		*byte = d->bytes[d->pos - 1];
	return err;
}

static u64 x86_size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : BIT_ULL(bytes * 8) - 1;
}

static u64 x86_sign_extend(u64 val, unsigned int bytes)
{
	u64 sign = BIT_ULL(bytes * 8 - 1);

	return ((val & x86_size_mask(bytes)) ^ sign) - sign;
}

/* A little-endian immediate of @n bytes, sign-extended to 64 bits. */
static int x86_take_imm(struct x86_decoder *d, unsigned int n, u64 *imm)
{
	int err = x86_take(d, n);
	u64 val = 0;
	unsigned int i;

	if (err)
		return err;
	for (i = 0; i < n; i++)
		val |= (u64)d->bytes[d->pos - n + i] << (8 * i);
	*imm = x86_sign_extend(val, n);
	return 0;
}

/*
 * Skips the SIB byte and displacement of a memory operand (SDM vol. 2
 * tables 2-1 to 2-3).  REX.B and REX.X do not change these lengths:
 * r12 as base still needs a SIB byte and r13 with mod=0 is still disp32.
 */
static int x86_skip_mem_operand(struct x86_decoder *d, u8 modrm,
				unsigned int addr_size)
{
	static const u8 disp32_by_mod[] = { 0, 1, 4 }, disp16_by_mod[] = { 0, 1, 2 };
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	u8 sib;
	int err;

	if (addr_size == 2)
		return x86_take(d, mod == 0 && rm == 6 ? 2 : disp16_by_mod[mod]);
	if (rm == 4) {
		err = x86_next(d, &sib);
		if (err)
			return err;
		if (mod == 0 && (sib & 7) == 5)
			return x86_take(d, 4);
	} else if (mod == 0 && rm == 5) {
		/* disp32, relative to the next instruction in 64-bit mode */
		return x86_take(d, 4);
	}
	return x86_take(d, disp32_by_mod[mod]);
}

/*
 * Consumes the prefixes and the opcode byte.  A REX prefix counts only
 * right before the opcode: one followed by a legacy prefix is ignored.
 * LOCK and REP are not taken as prefixes, so they end up rejected as
 * unknown opcodes.
 */
static int x86_take_prefixes(struct x86_decoder *d, enum x86_cpu_mode mode,
			     bool *opsize, bool *adsize, u8 *rex, u8 *op)
{
	int err;

	for (;;) {
		err = x86_next(d, op);
		if (err)
			return err;
		if (mode == X86_MODE_64 && (*op & 0xf0) == 0x40) {
			*rex = *op;
			continue;
		}
		switch (*op) {
		case 0x66:
			*opsize = true;
			break;
		case 0x67:
			*adsize = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			break;
		default:
			return 0;
		}
		*rex = 0;
	}
}

int x86_decode_mmio(const u8 *bytes, unsigned int avail,
		    enum x86_cpu_mode mode, struct x86_mmio_insn *insn)
{
	struct x86_decoder d = { .bytes = bytes, .avail = avail };
	bool opsize = false, adsize = false;
	unsigned int op_size, addr_size, reg_size;
	u8 rex = 0, op, modrm;
	int err;

	err = x86_take_prefixes(&d, mode, &opsize, &adsize, &rex, &op);
	if (err)
		return err;

	if (rex & X86_REX_W)
		op_size = 8;
	else if (mode == X86_MODE_16)
		op_size = opsize ? 4 : 2;
	else
		op_size = opsize ? 2 : 4;
	if (mode == X86_MODE_64)
		addr_size = adsize ? 4 : 8;
	else if (mode == X86_MODE_32)
		addr_size = adsize ? 2 : 4;
	else
		addr_size = adsize ? 4 : 2;

	*insn = (struct x86_mmio_insn){ };
	/* In every one-byte opcode here, bit 0 selects a byte operand. */
	insn->size = op & 1 ? op_size : 1;
	switch (op) {
	case 0x88: case 0x89:
		insn->dir = X86_MMIO_STORE;
		break;
	case 0x8a: case 0x8b:
		insn->dir = X86_MMIO_LOAD;
		insn->dst_size = insn->size;
		break;
	case 0xc6: case 0xc7:
		insn->dir = X86_MMIO_STORE;
		insn->has_imm = true;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		/* AL/rAX and an offset of the address size, no ModRM */
		insn->dir = op & 2 ? X86_MMIO_STORE : X86_MMIO_LOAD;
		if (insn->dir == X86_MMIO_LOAD)
			insn->dst_size = insn->size;
		err = x86_take(&d, addr_size);
		if (err)
			return err;
		insn->len = d.pos;
		return 0;
	case 0x0f:
		err = x86_next(&d, &op);
		if (err)
			return err;
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EINVAL;
		insn->dir = X86_MMIO_LOAD;
		insn->size = op & 1 ? 2 : 1;
		insn->dst_size = op_size;
		insn->sign_extend = op & 8;
		break;
	default:
		return -EINVAL;
	}

	err = x86_next(&d, &modrm);
	if (err)
		return err;
	if (modrm >> 6 == 3)
		return -EINVAL;
	if (insn->has_imm) {
		/* C6 and C7 with another reg field are not MOV */
		if (modrm & 0x38)
			return -EINVAL;
	} else {
		insn->reg = ((modrm >> 3) & 7) | (rex & X86_REX_R ? 8 : 0);
		reg_size = insn->dir == X86_MMIO_LOAD ? insn->dst_size : insn->size;
		/* Without REX, byte registers 4..7 are AH..BH, not SPL..DIL. */
		if (!rex && reg_size == 1 && insn->reg >= 4) {
			insn->high8 = true;
			insn->reg -= 4;
		}
	}
	err = x86_skip_mem_operand(&d, modrm, addr_size);
	if (err)
		return err;
	if (insn->has_imm) {
		/* A 64-bit store takes a 32-bit immediate. */
		err = x86_take_imm(&d, insn->size > 4 ? 4 : insn->size, &insn->imm);
		if (err)
			return err;
	}
	insn->len = d.pos;
	return 0;
}

u64 x86_mmio_load_result(const struct x86_mmio_insn *insn, u64 old, u64 data)
{
	u64 val, mask;

	val = insn->sign_extend ? x86_sign_extend(data, insn->size) :
				  data & x86_size_mask(insn->size);
	/* A 32-bit write zeroes bits 63:32; narrower ones merge. */
	if (insn->dst_size >= 4)
		return val & x86_size_mask(insn->dst_size);
	if (insn->high8)
		return (old & ~0xff00ULL) | (val & 0xff) << 8;
	mask = x86_size_mask(insn->dst_size);
	return (old & ~mask) | (val & mask);
}

u64 x86_mmio_store_data(const struct x86_mmio_insn *insn, u64 reg)
{
	u64 val = reg;

	if (insn->has_imm)
		val = insn->imm;
	else if (insn->high8)
		val = reg >> 8;
	return val & x86_size_mask(insn->size);
}
