// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instruction decoding (SDM vol. 2, chapter 2 and the pages of
 * each instruction).  Only the forms guests use on device memory are
 * accepted: MOV for readl()/writel() and structure accesses, the ALU
 * and bit instructions for read-modify-writes of registers (set_bit(),
 * `lock or`, `test`), XCHG, and string stores and moves for
 * memset_io()/memcpy_toio().  The exit handler reports anything else
 * instead of guessing.  The memory operand's address is skipped over,
 * not computed, as VT-x gives the guest-physical address; only the
 * length of its encoding matters.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include "x86_decode.h"

/* Longer instructions raise #GP on hardware. */
#define X86_MAX_INSN_LEN	15

#define X86_REX_W		BIT(3)
#define X86_REX_R		BIT(2)

/* Prefixes (SDM vol. 2 2.1.1). */
#define X86_PREFIX_OPSIZE	0x66
#define X86_PREFIX_ADSIZE	0x67
#define X86_PREFIX_LOCK		0xf0
#define X86_PREFIX_REPNE	0xf2
#define X86_PREFIX_REP		0xf3
#define X86_PREFIX_ES		0x26
#define X86_PREFIX_CS		0x2e
#define X86_PREFIX_SS		0x36
#define X86_PREFIX_DS		0x3e
#define X86_PREFIX_FS		0x64
#define X86_PREFIX_GS		0x65
#define X86_REX_MASK		0xf0
#define X86_REX			0x40
#define X86_OPCODE_2BYTE	0x0f

#define X86_MODRM_MOD(modrm)	((modrm) >> 6)
#define X86_MODRM_REG(modrm)	(((modrm) >> 3) & 7)
#define X86_MODRM_RM(modrm)	((modrm) & 7)
#define X86_MOD_REGISTER	3

/* The ModRM forms of ADD..CMP: 00-03, 08-0B, ..., 38-3B. */
#define X86_ALU_OPCODE_END	0x40
#define X86_ALU_FORM(op)	((op) & 7)
#define X86_ALU_FORM_MODRM_END	4
#define X86_ALU_TO_REG		BIT(1)	/* 02/03: the register is the destination */
/* 0F A3/AB/B3/BB: bits 4:3 say BT, BTS, BTR or BTC, as 0F BA /4../7. */
#define X86_BT_OP(op)		(((op) >> 3) & 3)
#define X86_BT_GROUP_FIRST	4

struct x86_decoder {
	const u8 *bytes;
	unsigned int avail;
	unsigned int pos;
	enum x86_cpu_mode mode;
	unsigned int op_size, addr_size;
	u8 rex;
	bool opsize, adsize, lock, rep;
	u8 seg;			/* enum x86_seg of the last override, else DS */
};

/* How an opcode goes on after its last opcode byte. */
enum x86_operands {
	X86_OPS_DONE,		/* no ModRM: the instruction is all taken */
	X86_OPS_REG,		/* ModRM whose reg field is a register operand */
	X86_OPS_GROUP,		/* ModRM whose reg field extends the opcode */
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
	unsigned int mod = X86_MODRM_MOD(modrm), rm = X86_MODRM_RM(modrm);
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
 */
static int x86_take_prefixes(struct x86_decoder *d, u8 *op)
{
	int err;

	for (;;) {
		err = x86_next(d, op);
		if (err)
			return err;
		if (d->mode == X86_MODE_64 && (*op & X86_REX_MASK) == X86_REX) {
			d->rex = *op;
			continue;
		}
		switch (*op) {
		case X86_PREFIX_OPSIZE:
			d->opsize = true;
			break;
		case X86_PREFIX_ADSIZE:
			d->adsize = true;
			break;
		case X86_PREFIX_LOCK:
			d->lock = true;
			break;
		case X86_PREFIX_REPNE:
		case X86_PREFIX_REP:
			d->rep = true;
			break;
		case X86_PREFIX_ES:
			d->seg = X86_SEG_ES;
			break;
		case X86_PREFIX_CS:
			d->seg = X86_SEG_CS;
			break;
		case X86_PREFIX_SS:
			d->seg = X86_SEG_SS;
			break;
		case X86_PREFIX_DS:
			d->seg = X86_SEG_DS;
			break;
		case X86_PREFIX_FS:
			d->seg = X86_SEG_FS;
			break;
		case X86_PREFIX_GS:
			d->seg = X86_SEG_GS;
			break;
		default:
			return 0;
		}
		d->rex = 0;
	}
}

static void x86_set_sizes(struct x86_decoder *d)
{
	if (d->rex & X86_REX_W)
		d->op_size = 8;
	else if (d->mode == X86_MODE_16)
		d->op_size = d->opsize ? 4 : 2;
	else
		d->op_size = d->opsize ? 2 : 4;
	if (d->mode == X86_MODE_64)
		d->addr_size = d->adsize ? 4 : 8;
	else if (d->mode == X86_MODE_32)
		d->addr_size = d->adsize ? 2 : 4;
	else
		d->addr_size = d->adsize ? 4 : 2;
}

static void x86_set_alu(struct x86_mmio_insn *insn, enum x86_alu_op alu,
			bool mem_dst)
{
	insn->kind = X86_MMIO_ALU;
	insn->alu = alu;
	insn->mem_dst = mem_dst;
	if (!mem_dst)
		insn->dst_size = insn->size;
}

/* MOVS and STOS: no ModRM, the operands are rSI, rDI and rAX. */
static void x86_set_string(const struct x86_decoder *d,
			   struct x86_mmio_insn *insn, enum x86_mmio_kind kind)
{
	insn->kind = kind;
	insn->rep = d->rep;
	insn->addr_size = d->addr_size;
	insn->src_seg = d->seg;
}

/* The one-byte opcodes; insn->size is set from bit 0 already. */
static int x86_decode_1byte(struct x86_decoder *d, u8 op,
			    struct x86_mmio_insn *insn,
			    enum x86_operands *ops)
{
	*ops = X86_OPS_REG;
	/* 82 is 80's alias, gone in 64-bit mode. */
	if (op == 0x82 && d->mode == X86_MODE_64)
		return -EINVAL;
	if (op < X86_ALU_OPCODE_END &&
	    X86_ALU_FORM(op) < X86_ALU_FORM_MODRM_END) {
		x86_set_alu(insn, op >> 3, !(op & X86_ALU_TO_REG));
		return 0;
	}
	switch (op) {
	case 0x80: case 0x81: case 0x82: case 0x83:
	case 0xf6: case 0xf7: case 0xfe: case 0xff:
		*ops = X86_OPS_GROUP;
		return 0;
	case 0x84: case 0x85:
		x86_set_alu(insn, X86_ALU_TEST, true);
		return 0;
	case 0x86: case 0x87:
		insn->kind = X86_MMIO_XCHG;
		insn->dst_size = insn->size;
		return 0;
	case 0x88: case 0x89:
		insn->kind = X86_MMIO_STORE;
		return 0;
	case 0x8a: case 0x8b:
		insn->kind = X86_MMIO_LOAD;
		insn->dst_size = insn->size;
		return 0;
	case 0xc6: case 0xc7:
		insn->kind = X86_MMIO_STORE;
		*ops = X86_OPS_GROUP;
		return 0;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		/* AL/rAX and an offset of the address size, no ModRM */
		insn->kind = op & 2 ? X86_MMIO_STORE : X86_MMIO_LOAD;
		if (insn->kind == X86_MMIO_LOAD)
			insn->dst_size = insn->size;
		*ops = X86_OPS_DONE;
		return x86_take(d, d->addr_size);
	case 0xa4: case 0xa5:
		x86_set_string(d, insn, X86_MMIO_MOVS);
		*ops = X86_OPS_DONE;
		return 0;
	case 0xaa: case 0xab:
		x86_set_string(d, insn, X86_MMIO_STOS);
		*ops = X86_OPS_DONE;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The opcodes after 0F. */
static int x86_decode_0f(struct x86_decoder *d, struct x86_mmio_insn *insn,
			 u8 *op, enum x86_operands *ops)
{
	int err = x86_next(d, op);

	if (err)
		return err;
	*ops = X86_OPS_REG;
	switch (*op) {
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		/* MOVZX, MOVSX */
		insn->kind = X86_MMIO_LOAD;
		insn->size = *op & 1 ? 2 : 1;
		insn->dst_size = d->op_size;
		insn->sign_extend = *op & 8;
		return 0;
	case 0xa3: case 0xab: case 0xb3: case 0xbb:
		insn->size = d->op_size;
		x86_set_alu(insn, X86_ALU_BT + X86_BT_OP(*op), true);
		return 0;
	case 0xba:
		insn->size = d->op_size;
		*ops = X86_OPS_GROUP;
		return 0;
	case 0xc3:
		/* MOVNTI: 32 or 64 bits; a 66 prefix makes it #UD */
		if (d->opsize)
			return -EINVAL;
		insn->kind = X86_MMIO_STORE;
		insn->size = d->rex & X86_REX_W ? 8 : 4;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * An opcode whose ModRM reg field (@ext) says the operation, the other
 * operand being an immediate or none: sets the operation and returns
 * the immediate's size, or -EINVAL for the extensions not emulated.
 * @op is the last opcode byte (BA for 0F BA).
 */
static int x86_decode_group(u8 op, unsigned int ext,
			    struct x86_mmio_insn *insn)
{
	/* A 64-bit operation takes a 32-bit immediate, sign-extended. */
	int imm_full = insn->size > 4 ? 4 : insn->size;

	switch (op) {
	case 0x80: case 0x82: case 0x83:
		x86_set_alu(insn, ext, true);
		return 1;
	case 0x81:
		x86_set_alu(insn, ext, true);
		return imm_full;
	case 0xc6: case 0xc7:
		/* MOV; another reg field is not */
		return ext ? -EINVAL : imm_full;
	case 0xf6: case 0xf7:
		if (ext == 0) {
			x86_set_alu(insn, X86_ALU_TEST, true);
			return imm_full;
		}
		if (ext == 2 || ext == 3) {
			x86_set_alu(insn, ext == 2 ? X86_ALU_NOT : X86_ALU_NEG, true);
			return 0;
		}
		return -EINVAL;	/* /1 (undocumented TEST), MUL, IMUL, DIV, IDIV */
	case 0xfe: case 0xff:
		if (ext > 1)
			return -EINVAL;	/* CALL, JMP, PUSH (FF) or #UD (FE) */
		x86_set_alu(insn, ext ? X86_ALU_DEC : X86_ALU_INC, true);
		return 0;
	case 0xba:
		if (ext < X86_BT_GROUP_FIRST)
			return -EINVAL;
		x86_set_alu(insn, X86_ALU_BT + ext - X86_BT_GROUP_FIRST, true);
		return 1;
	default:
		return -EINVAL;
	}
}

/* The register operand named by the ModRM reg field (and REX.R). */
static void x86_set_reg_operand(const struct x86_decoder *d, u8 modrm,
				struct x86_mmio_insn *insn)
{
	unsigned int reg_size = insn->dst_size ? insn->dst_size : insn->size;

	insn->reg = X86_MODRM_REG(modrm) | (d->rex & X86_REX_R ? 8 : 0);
	/* Without REX, byte registers 4..7 are AH..BH, not SPL..DIL. */
	if (!d->rex && reg_size == 1 && insn->reg >= 4) {
		insn->high8 = true;
		insn->reg -= 4;
	}
}

/*
 * LOCK on anything but a read-modify-write of memory, and REP on
 * anything but a string instruction, are #UD or another instruction
 * (F3 0F B8 is POPCNT): refused.
 */
static bool x86_prefixes_fit(const struct x86_decoder *d,
			     const struct x86_mmio_insn *insn)
{
	bool string = insn->kind == X86_MMIO_STOS || insn->kind == X86_MMIO_MOVS;
	bool rmw = insn->kind == X86_MMIO_XCHG ||
		   (insn->kind == X86_MMIO_ALU && x86_mmio_writes(insn));

	if (d->rep && !string)
		return false;
	return !d->lock || rmw;
}

/* ModRM with a memory operand, its address bytes and any immediate. */
static int x86_take_modrm(struct x86_decoder *d, u8 op,
			  enum x86_operands ops, struct x86_mmio_insn *insn)
{
	int imm_size = 0, err;
	u8 modrm;

	err = x86_next(d, &modrm);
	if (err)
		return err;
	if (X86_MODRM_MOD(modrm) == X86_MOD_REGISTER)
		return -EINVAL;
	if (ops == X86_OPS_GROUP) {
		imm_size = x86_decode_group(op, X86_MODRM_REG(modrm), insn);
		if (imm_size < 0)
			return imm_size;
		insn->has_imm = imm_size > 0;
	} else {
		x86_set_reg_operand(d, modrm, insn);
	}
	err = x86_skip_mem_operand(d, modrm, d->addr_size);
	if (err || !imm_size)
		return err;
	return x86_take_imm(d, imm_size, &insn->imm);
}

int x86_decode_mmio(const u8 *bytes, unsigned int avail,
		    enum x86_cpu_mode mode, struct x86_mmio_insn *insn)
{
	struct x86_decoder d = {
		.bytes = bytes, .avail = avail, .mode = mode, .seg = X86_SEG_DS,
	};
	enum x86_operands ops;
	u8 op;
	int err;

	err = x86_take_prefixes(&d, &op);
	if (err)
		return err;
	x86_set_sizes(&d);

	*insn = (struct x86_mmio_insn){ };
	/* In every one-byte opcode here, bit 0 selects a byte operand. */
	insn->size = op & 1 ? d.op_size : 1;
	if (op == X86_OPCODE_2BYTE)
		err = x86_decode_0f(&d, insn, &op, &ops);
	else
		err = x86_decode_1byte(&d, op, insn, &ops);
	if (!err && ops != X86_OPS_DONE)
		err = x86_take_modrm(&d, op, ops, insn);
	if (err)
		return err;
	if (!x86_prefixes_fit(&d, insn))
		return -EINVAL;
	insn->lock = d.lock;
	insn->len = d.pos;
	return 0;
}

bool x86_mmio_writes(const struct x86_mmio_insn *insn)
{
	switch (insn->kind) {
	case X86_MMIO_LOAD:
		return false;
	case X86_MMIO_ALU:
		return insn->mem_dst && x86_alu_writes(insn->alu);
	default:
		return true;
	}
}

bool x86_mmio_reads(const struct x86_mmio_insn *insn)
{
	return insn->kind != X86_MMIO_STORE && insn->kind != X86_MMIO_STOS;
}

bool x86_mmio_bit_inside(const struct x86_mmio_insn *insn, u64 reg)
{
	if (insn->kind != X86_MMIO_ALU || insn->has_imm ||
	    insn->alu < X86_ALU_BT || insn->alu > X86_ALU_BTC)
		return true;
	/* Signed: a negative offset, read unsigned, is past the end too. */
	return (reg & x86_size_mask(insn->size)) < insn->size * 8u;
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

/* The register operand's value: bits 15:8 for AH..BH. */
static u64 x86_reg_operand(const struct x86_mmio_insn *insn, u64 reg)
{
	return (insn->high8 ? reg >> 8 : reg) & x86_size_mask(insn->size);
}

u64 x86_mmio_store_data(const struct x86_mmio_insn *insn, u64 reg)
{
	if (insn->has_imm)
		return insn->imm & x86_size_mask(insn->size);
	return x86_reg_operand(insn, reg);
}

void x86_mmio_execute(const struct x86_mmio_insn *insn, u64 mem, u64 reg,
		      u64 rflags, struct x86_mmio_result *res)
{
	u64 other = insn->has_imm ? insn->imm : x86_reg_operand(insn, reg), val;

	*res = (struct x86_mmio_result){ .rflags = rflags };
	mem &= x86_size_mask(insn->size);
	switch (insn->kind) {
	case X86_MMIO_LOAD:
		res->reg = x86_mmio_load_result(insn, reg, mem);
		res->write_reg = true;
		break;
	case X86_MMIO_XCHG:
		res->mem = other;
		res->write_mem = true;
		res->reg = x86_mmio_load_result(insn, reg, mem);
		res->write_reg = true;
		break;
	case X86_MMIO_ALU:
		if (insn->mem_dst) {
			res->mem = x86_alu(insn->alu, insn->size, mem, other,
					   &res->rflags);
			res->write_mem = x86_alu_writes(insn->alu);
		} else {
			val = x86_alu(insn->alu, insn->size, other, mem,
				      &res->rflags);
			res->reg = x86_mmio_load_result(insn, reg, val);
			res->write_reg = x86_alu_writes(insn->alu);
		}
		break;
	default:
		break;
	}
}

/* @reg + @delta in an address-size register (32-bit writes zero-extend). */
static u64 x86_addr_add(u64 reg, u64 delta, unsigned int addr_size)
{
	u64 mask = x86_size_mask(addr_size);

	if (addr_size == 4)
		return (reg + delta) & mask;
	return (reg & ~mask) | ((reg + delta) & mask);
}

bool x86_string_step(const struct x86_mmio_insn *insn, bool down, u64 *rsi,
		     u64 *rdi, u64 *rcx)
{
	u64 delta = down ? -(u64)insn->size : insn->size;

	*rdi = x86_addr_add(*rdi, delta, insn->addr_size);
	if (insn->kind == X86_MMIO_MOVS)
		*rsi = x86_addr_add(*rsi, delta, insn->addr_size);
	if (!insn->rep)
		return true;
	*rcx = x86_addr_add(*rcx, -1ULL, insn->addr_size);
	return !(*rcx & x86_size_mask(insn->addr_size));
}
