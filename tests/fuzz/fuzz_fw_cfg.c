// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for fw_cfg (hw/fw_cfg.c) as a guest drives it: the
 * selector and data ports, both halves of the DMA address, and writes to
 * a small guest RAM where the guest builds its DMA access structures.
 * The input is a script of 8-byte ops.  Besides ASan and UBSan, each DMA
 * is checked against a shadow of RAM: only the access structure's control
 * word and the buffer it names may change, the control word ends 0 or
 * the error bit, and a read copies exactly the selected item's bytes
 * (zeros past its end).
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hw/fw_cfg.h"

#define RAM_SIZE	4096
#define MAX_OPS		512

enum { OP_SELECT, OP_DATA, OP_DMA_HIGH, OP_DMA_LOW, OP_RAM, OP_PORT_ANY,
       NR_OPS };

struct op {
	uint8_t kind;
	uint8_t len;		/* OP_PORT_ANY: access width and offset */
	uint16_t offset;	/* OP_RAM: where */
	uint32_t value;
} __attribute__((packed));

static struct {
	struct fw_cfg fw;
	struct guest_mem mem;
	uint8_t ram[RAM_SIZE];
	uint8_t shadow[RAM_SIZE];
	uint32_t high;		/* the DMA high half the device latched */
} f;

static const char file_a[] = "etc/sercon-port";
static const char file_b[] = "bootorder";

#define BROKEN(what) do { \
	fprintf(stderr, "fuzz_fw_cfg: broken invariant: %s\n", what); \
	abort(); \
} while (0)

static void machine_init(void)
{
	static uint8_t big[3000];
	size_t i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < sizeof(big); i++)
		big[i] = i * 7 + 1;
	f.mem = (struct guest_mem){ .base = f.ram, .low_size = RAM_SIZE };
	if (fw_cfg_init(&f.fw, &f.mem) ||
	    fw_cfg_set_u16(&f.fw, FW_CFG_NB_CPUS, 2) ||
	    fw_cfg_add_file(&f.fw, file_a, "\xf8\x03", 2) < 0 ||
	    fw_cfg_add_file(&f.fw, file_b, NULL, 0) < 0 ||
	    fw_cfg_add_file(&f.fw, "etc/big", big, sizeof(big)) < 0)
		abort();
}

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* What the item selected before the DMA holds from @offset on. */
struct expect {
	const struct fw_cfg_item *item;
	uint32_t offset;
};

static struct expect selected(uint16_t selector, uint32_t offset)
{
	unsigned int key = selector & 0x3fff;

	if (selector & 0x8000 || key >= FW_CFG_KEYS)
		return (struct expect){ NULL, 0 };
	return (struct expect){ &f.fw.items[key], offset };
}

/* The low half's write, with the RAM shadow checked after it. */
static void dma_low(uint32_t low)
{
	uint64_t addr = (uint64_t)f.high << 32 | low;
	uint32_t control, length, le = htobe32(low), i;
	uint64_t buf = 0;
	struct expect e = selected(f.fw.selector, f.fw.offset);
	bool in_ram = addr <= RAM_SIZE - FW_CFG_DMA_ACCESS_LEN;
	bool reads = false;

	memcpy(f.shadow, f.ram, RAM_SIZE);
	if (in_ram) {
		control = be32_at(f.ram + addr);
		length = be32_at(f.ram + addr + 4);
		buf = be64_at(f.ram + addr + 8);
		if (control & FW_CFG_DMA_CTL_SELECT)
			e = selected(control >> 16, 0);
		reads = control & FW_CFG_DMA_CTL_READ &&
			buf + length >= buf && buf + length <= RAM_SIZE;
	}
	fw_cfg_dma_io(&f.fw, 4, &le, 4, true);
	f.high = 0;
	for (i = 0; i < RAM_SIZE; i++) {
		bool control_word = in_ram && i >= addr && i < addr + 4;
		bool in_buf = reads && i >= buf && i < buf + length;
		uint8_t want;

		if (control_word)
			continue;
		if (!in_buf) {
			if (f.ram[i] != f.shadow[i])
				BROKEN("DMA wrote outside its buffer");
			continue;
		}
		want = e.item && e.offset + (i - buf) < e.item->size ?
		       e.item->data[e.offset + (i - buf)] : 0;
		/* The buffer may hold the structure: its word is written last. */
		if (f.ram[i] != want &&
		    !(i >= addr && i < addr + 4))
			BROKEN("DMA read other bytes than the item's");
	}
	if (in_ram && be32_at(f.ram + addr) & ~FW_CFG_DMA_CTL_ERROR)
		BROKEN("the control word did not end 0 or error");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i, n = size / sizeof(struct op);
	uint8_t bytes[8];
	uint16_t sel;
	uint32_t v;

	machine_init();
	for (i = 0; i < n && i < MAX_OPS; i++) {
		struct op op;

		memcpy(&op, data + i * sizeof(op), sizeof(op));
		switch (op.kind % NR_OPS) {
		case OP_SELECT:
			sel = htole16(op.value);
			fw_cfg_io(&f.fw, FW_CFG_SEL_OFFSET, &sel, 2, true);
			break;
		case OP_DATA:
			bytes[0] = 0;
			fw_cfg_io(&f.fw, FW_CFG_DATA_OFFSET, bytes, 1, false);
			break;
		case OP_DMA_HIGH:
			v = htobe32(op.value);
			fw_cfg_dma_io(&f.fw, 0, &v, 4, true);
			f.high = op.value;
			break;
		case OP_DMA_LOW:
			dma_low(op.value);
			break;
		case OP_RAM:
			if (op.offset + 4U <= RAM_SIZE)
				memcpy(f.ram + op.offset, &op.value, 4);
			break;
		case OP_PORT_ANY:
			/* Odd widths and offsets on both ranges: no DMA here. */
			memcpy(bytes, &op.value, 4);
			memset(bytes + 4, 0, 4);
			if (op.len & 0x80)
				fw_cfg_io(&f.fw, op.len & 1, bytes,
					  1 << (op.len >> 1 & 3), op.len & 0x40);
			else if (!(op.len & 0x40) || (op.len & 7) != 4)
				fw_cfg_dma_io(&f.fw, op.len & 7,
					      bytes, 1 << (op.len >> 3 & 1),
					      op.len & 0x40);
			break;
		}
	}
	fw_cfg_free(&f.fw);
	return 0;
}
