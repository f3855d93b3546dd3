// SPDX-License-Identifier: GPL-2.0
/*
 * fw_cfg: the items, the two legacy ports and the DMA interface.  Every
 * DMA request comes from the guest: the access structure and the buffer
 * it names are reached only through guest_mem_ptr(), so an address
 * outside guest RAM, or a length that runs past it, sets the error bit
 * (or, for an access structure that is not in RAM, is dropped: there is
 * nowhere to report it).
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include "hw/fw_cfg.h"

#define FW_CFG_SIG		"QEMU"
#define FW_CFG_SIG_LEN		4
/* What a read of the DMA port gives: "QEMU CFG", big-endian. */
#define FW_CFG_DMA_SIG		"QEMU CFG"
#define FW_CFG_KEY_WRITE	0x4000	/* the selector's write-channel bit */
#define FW_CFG_KEY_ARCH		0x8000	/* an architecture's own keys */
#define FW_CFG_KEY_MASK		0x3fff
#define FW_CFG_DMA_HIGH		0	/* offsets in the DMA port range */
#define FW_CFG_DMA_LOW		4
#define FW_CFG_DMA_SELECT_SHIFT	16

static struct fw_cfg_item *fw_cfg_current(struct fw_cfg *fw)
{
	unsigned int key = fw->selector & FW_CFG_KEY_MASK;

	/* This PC has no architecture keys: they read as empty. */
	if (fw->selector & FW_CFG_KEY_ARCH || key >= FW_CFG_KEYS)
		return NULL;
	return &fw->items[key];
}

static int fw_cfg_item_set(struct fw_cfg_item *item, const void *data,
			   uint32_t size)
{
	uint8_t *copy = NULL;

	if (size) {
		copy = malloc(size);
		if (!copy)
			return -1;
		memcpy(copy, data, size);
	}
	free(item->data);
	item->data = copy;
	item->size = size;
	return 0;
}

/* FW_CFG_FILE_DIR: a big-endian count, then one entry per file. */
static int fw_cfg_update_dir(struct fw_cfg *fw)
{
	uint8_t dir[4 + FW_CFG_MAX_FILES * FW_CFG_DIR_ENTRY_LEN] = { 0 };
	uint32_t be32v;
	uint16_t be16v;
	unsigned int i;
	uint8_t *e;

	be32v = htobe32(fw->nr_files);
	memcpy(dir, &be32v, 4);
	for (i = 0; i < fw->nr_files; i++) {
		e = dir + 4 + i * FW_CFG_DIR_ENTRY_LEN;
		be32v = htobe32(fw->items[FW_CFG_FILE_FIRST + i].size);
		memcpy(e, &be32v, 4);
		be16v = htobe16(FW_CFG_FILE_FIRST + i);
		memcpy(e + 4, &be16v, 2);
		memcpy(e + 8, fw->names[i], FW_CFG_NAME_LEN);
	}
	return fw_cfg_item_set(&fw->items[FW_CFG_FILE_DIR], dir,
			       4 + fw->nr_files * FW_CFG_DIR_ENTRY_LEN);
}

int fw_cfg_init(struct fw_cfg *fw, const struct guest_mem *mem)
{
	memset(fw, 0, sizeof(*fw));
	fw->mem = mem;
	if (fw_cfg_set(fw, FW_CFG_SIGNATURE, FW_CFG_SIG, FW_CFG_SIG_LEN) ||
	    fw_cfg_set_u16(fw, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA) ||
	    fw_cfg_update_dir(fw)) {
		fw_cfg_free(fw);
		return -1;
	}
	return 0;
}

void fw_cfg_free(struct fw_cfg *fw)
{
	unsigned int i;

	for (i = 0; i < FW_CFG_KEYS; i++) {
		free(fw->items[i].data);
		fw->items[i].data = NULL;
		fw->items[i].size = 0;
	}
	fw->nr_files = 0;
}

int fw_cfg_set(struct fw_cfg *fw, uint16_t key, const void *data,
	       uint32_t size)
{
	/* The directory is the device's own, the files go by name. */
	if (key >= FW_CFG_FILE_FIRST || key == FW_CFG_FILE_DIR)
		return -1;
	return fw_cfg_item_set(&fw->items[key], data, size);
}

int fw_cfg_set_u16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
	v = htole16(v);
	return fw_cfg_set(fw, key, &v, sizeof(v));
}

int fw_cfg_set_u64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
	v = htole64(v);
	return fw_cfg_set(fw, key, &v, sizeof(v));
}

int fw_cfg_file_key(const struct fw_cfg *fw, const char *name)
{
	unsigned int i;

	for (i = 0; i < fw->nr_files; i++)
		if (!strcmp(fw->names[i], name))
			return FW_CFG_FILE_FIRST + i;
	return -1;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    uint32_t size)
{
	size_t len = strlen(name);
	int key = fw_cfg_file_key(fw, name);

	if (!len || len >= FW_CFG_NAME_LEN)
		return -1;
	if (key < 0) {
		if (fw->nr_files == FW_CFG_MAX_FILES)
			return -1;
		key = FW_CFG_FILE_FIRST + fw->nr_files;
		memset(fw->names[fw->nr_files], 0, FW_CFG_NAME_LEN);
		memcpy(fw->names[fw->nr_files], name, len);
		fw->nr_files++;
	}
	if (fw_cfg_item_set(&fw->items[key], data, size) ||
	    fw_cfg_update_dir(fw))
		return -1;
	return key;
}

static void fw_cfg_select(struct fw_cfg *fw, uint16_t selector)
{
	fw->selector = selector;
	fw->offset = 0;
}

/* The bytes of the current item left to read, at most @want. */
static uint32_t fw_cfg_avail(struct fw_cfg *fw, uint32_t want,
			     const uint8_t **src)
{
	struct fw_cfg_item *item = fw_cfg_current(fw);
	uint32_t left;

	if (!item || fw->offset >= item->size)
		return 0;
	left = item->size - fw->offset;
	*src = item->data + fw->offset;
	return want < left ? want : left;
}

/*
 * A 16-bit write at offset 0 selects an item; byte reads at offset 1
 * walk it, zeros past its end.  Anything else is dropped (data writes
 * too: nothing here is writable), reads giving 0.
 */
void fw_cfg_io(void *opaque, uint64_t offset, void *data,
	       unsigned int len, bool is_write)
{
	struct fw_cfg *fw = opaque;
	const uint8_t *src;
	uint16_t v;

	if (is_write && offset == FW_CFG_SEL_OFFSET && len == sizeof(v)) {
		memcpy(&v, data, sizeof(v));
		fw_cfg_select(fw, le16toh(v));
	} else if (!is_write && offset == FW_CFG_DATA_OFFSET && len == 1 &&
		   fw_cfg_avail(fw, 1, &src)) {
		*(uint8_t *)data = *src;
		fw->offset++;
	}
}

/*
 * One transfer as the guest's access structure at @addr asks: select,
 * then read (zeros past the item's end, as QEMU) or skip.  Nothing is
 * writable here, so a write fails.  The control word goes back as 0, or
 * FW_CFG_DMA_CTL_ERROR.
 */
static void fw_cfg_dma(struct fw_cfg *fw, uint64_t addr)
{
	uint8_t *acc = guest_mem_ptr(fw->mem, addr, FW_CFG_DMA_ACCESS_LEN);
	uint32_t control, length, n, result = 0;
	const uint8_t *src = NULL;
	uint64_t buf;
	uint8_t *dst;

	if (!acc)
		return;
	fw->dma_transfers++;
	memcpy(&control, acc, 4);
	memcpy(&length, acc + 4, 4);
	memcpy(&buf, acc + 8, 8);
	control = be32toh(control);
	length = be32toh(length);
	buf = be64toh(buf);
	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(fw, control >> FW_CFG_DMA_SELECT_SHIFT);
	if (control & FW_CFG_DMA_CTL_READ) {
		dst = guest_mem_ptr(fw->mem, buf, length);
		if (!dst) {
			result = FW_CFG_DMA_CTL_ERROR;
		} else {
			n = fw_cfg_avail(fw, length, &src);
			if (n)
				memcpy(dst, src, n);
			memset(dst + n, 0, length - n);
			fw->offset += n;
		}
	} else if (control & FW_CFG_DMA_CTL_WRITE) {
		result = FW_CFG_DMA_CTL_ERROR;
	} else if (control & FW_CFG_DMA_CTL_SKIP) {
		fw->offset += fw_cfg_avail(fw, length, &src);
	}
	result = htobe32(result);
	memcpy(acc, &result, 4);
}

/*
 * The address's high half at offset 0, the low half at 4 (which starts
 * the transfer and clears the latched high half: SeaBIOS, a 32-bit
 * firmware, writes only the low one), or all 8 bytes at once.
 */
void fw_cfg_dma_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write)
{
	struct fw_cfg *fw = opaque;
	uint32_t half;
	uint64_t whole;

	if (!is_write) {
		if (offset + len <= FW_CFG_PORT_DMA_LEN)
			memcpy(data, &FW_CFG_DMA_SIG[offset], len);
		return;
	}
	if (len == 8 && offset == FW_CFG_DMA_HIGH) {
		memcpy(&whole, data, 8);
		fw->dma_high = 0;
		fw_cfg_dma(fw, be64toh(whole));
		return;
	}
	if (len != 4)
		return;
	memcpy(&half, data, 4);
	half = be32toh(half);
	if (offset == FW_CFG_DMA_HIGH) {
		fw->dma_high = half;
	} else if (offset == FW_CFG_DMA_LOW) {
		whole = (uint64_t)fw->dma_high << 32 | half;
		fw->dma_high = 0;
		fw_cfg_dma(fw, whole);
	}
}
