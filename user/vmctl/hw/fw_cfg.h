/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's firmware configuration device (fw_cfg, QEMU docs/specs/fw_cfg.rst)
 * as SeaBIOS reads it: a 16-bit selector at 0x510, a byte-wide data port
 * at 0x511 (inside the selector's word, as on QEMU) and the DMA interface at 0x514 (a big-endian 64-bit address in
 * two 32-bit halves; the write of the low half at 0x518 starts the
 * transfer).  Items are read-only byte strings: fixed keys below
 * FW_CFG_FILE_FIRST, and named files listed in the big-endian directory at
 * FW_CFG_FILE_DIR.  The device keeps its own copy of every item.
 */
#ifndef VMCTL_DEV_FW_CFG_H
#define VMCTL_DEV_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include "machine/machine.h"

/* One range: the 16-bit selector at offset 0, the data byte at 1. */
#define FW_CFG_PORT		0x510
#define FW_CFG_PORT_LEN		2
#define FW_CFG_SEL_OFFSET	0
#define FW_CFG_DATA_OFFSET	1
#define FW_CFG_PORT_DMA		0x514
#define FW_CFG_PORT_DMA_LEN	8

/* Fixed keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20
#define FW_CFG_MAX_FILES	32
#define FW_CFG_KEYS		(FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)

/* FW_CFG_ID bits */
#define FW_CFG_VERSION		0x01	/* the traditional interface */
#define FW_CFG_VERSION_DMA	0x02

/* The DMA access structure's control word (big-endian in guest RAM). */
#define FW_CFG_DMA_CTL_ERROR	0x01
#define FW_CFG_DMA_CTL_READ	0x02
#define FW_CFG_DMA_CTL_SKIP	0x04
#define FW_CFG_DMA_CTL_SELECT	0x08
#define FW_CFG_DMA_CTL_WRITE	0x10
#define FW_CFG_DMA_ACCESS_LEN	16	/* control, length, address */

/* A file directory entry's name field, NUL included. */
#define FW_CFG_NAME_LEN		56
#define FW_CFG_DIR_ENTRY_LEN	(4 + 2 + 2 + FW_CFG_NAME_LEN)

struct fw_cfg_item {
	uint8_t *data;			/* malloc'ed, or NULL when empty */
	uint32_t size;
};

struct fw_cfg {
	const struct guest_mem *mem;	/* where DMA reads and writes */
	uint16_t selector;
	uint32_t offset;		/* into the selected item */
	uint32_t dma_high;		/* the address's high half, latched */
	unsigned int nr_files;
	char names[FW_CFG_MAX_FILES][FW_CFG_NAME_LEN];
	struct fw_cfg_item items[FW_CFG_KEYS];
	uint64_t dma_transfers;		/* for --stats and tests */
};

/*
 * An empty device with the signature, the ID (DMA offered) and an empty
 * file directory, doing DMA into @mem.  0, or -1 without memory.
 */
int fw_cfg_init(struct fw_cfg *fw, const struct guest_mem *mem);
void fw_cfg_free(struct fw_cfg *fw);

/* Set fixed key @key (below FW_CFG_FILE_FIRST) to a copy of @data. */
int fw_cfg_set(struct fw_cfg *fw, uint16_t key, const void *data,
	       uint32_t size);
/* Little-endian integers, as QEMU's fw_cfg_add_i16/i32/i64. */
int fw_cfg_set_u16(struct fw_cfg *fw, uint16_t key, uint16_t v);
int fw_cfg_set_u64(struct fw_cfg *fw, uint16_t key, uint64_t v);
/*
 * Add file @name (1 to FW_CFG_NAME_LEN - 1 bytes) with a copy of @data,
 * or replace the file of that name.  Returns its key, or -1 when the
 * name is bad, the directory is full or memory runs out.
 */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    uint32_t size);
/* The key of file @name, or -1. */
int fw_cfg_file_key(const struct fw_cfg *fw, const char *name);

/* bus_access_fns for the two port ranges; @opaque is the fw_cfg. */
void fw_cfg_io(void *opaque, uint64_t offset, void *data,
	       unsigned int len, bool is_write);
void fw_cfg_dma_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write);

#endif /* VMCTL_DEV_FW_CFG_H */
