// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of fw_cfg (ports, file directory, DMA with hostile access
 * structures) and of the BIOS linker/loader script's byte layout.
 */
#include <endian.h>
#include <stdlib.h>
#include "vmmon_harness.h"
#include "hw/acpi_loader.h"
#include "hw/fw_cfg.h"

#define RAM_SIZE	0x10000
#define ACCESS_GPA	0x1000
#define BUF_GPA		0x2000

static struct {
	struct fw_cfg fw;
	struct guest_mem mem;
	uint8_t *ram;
} t;

static void setup(struct __test_metadata *_metadata)
{
	t.ram = calloc(1, RAM_SIZE);
	ASSERT_TRUE(t.ram != NULL);
	t.mem = (struct guest_mem){ .base = t.ram, .low_size = RAM_SIZE };
	ASSERT_EQ(fw_cfg_init(&t.fw, &t.mem), 0);
}

static void teardown(void)
{
	fw_cfg_free(&t.fw);
	free(t.ram);
}

static void select_key(uint16_t key)
{
	uint16_t v = htole16(key);

	fw_cfg_io(&t.fw, FW_CFG_SEL_OFFSET, &v, 2, true);
}

static uint8_t data_in(void)
{
	uint8_t v = 0;

	fw_cfg_io(&t.fw, FW_CFG_DATA_OFFSET, &v, 1, false);
	return v;
}

static uint32_t read_u32(uint16_t key)
{
	uint32_t v = 0;
	unsigned int i;

	select_key(key);
	for (i = 0; i < 4; i++)
		v |= (uint32_t)data_in() << (8 * i);
	return v;
}

/* Write a DMA access structure at @gpa and start it with the low half. */
static void dma(uint64_t gpa, uint32_t control, uint32_t length,
		uint64_t addr)
{
	uint32_t c = htobe32(control), l = htobe32(length), low;
	uint64_t a = htobe64(addr);

	if (gpa + FW_CFG_DMA_ACCESS_LEN <= RAM_SIZE) {
		memcpy(t.ram + gpa, &c, 4);
		memcpy(t.ram + gpa + 4, &l, 4);
		memcpy(t.ram + gpa + 8, &a, 8);
	}
	low = htobe32((uint32_t)gpa);
	fw_cfg_dma_io(&t.fw, 4, &low, 4, true);
}

static uint32_t dma_status(uint64_t gpa)
{
	uint32_t c;

	memcpy(&c, t.ram + gpa, 4);
	return be32toh(c);
}

TEST(signature_and_id)
{
	setup(_metadata);
	select_key(FW_CFG_SIGNATURE);
	EXPECT_EQ(data_in(), 'Q');
	EXPECT_EQ(data_in(), 'E');
	EXPECT_EQ(data_in(), 'M');
	EXPECT_EQ(data_in(), 'U');
	EXPECT_EQ(data_in(), 0);		/* past the end */
	EXPECT_EQ(read_u32(FW_CFG_ID), (uint32_t)(FW_CFG_VERSION | FW_CFG_VERSION_DMA));
	/* A new selection starts at offset 0 again. */
	select_key(FW_CFG_SIGNATURE);
	EXPECT_EQ(data_in(), 'Q');
	teardown();
}

TEST(unknown_and_arch_keys_read_zero)
{
	setup(_metadata);
	ASSERT_EQ(fw_cfg_set_u16(&t.fw, FW_CFG_NB_CPUS, 3), 0);
	EXPECT_EQ(read_u32(FW_CFG_NB_CPUS), 3u);
	EXPECT_EQ(read_u32(0x8000 | FW_CFG_NB_CPUS), 0u);
	EXPECT_EQ(read_u32(0x3fff), 0u);
	EXPECT_EQ(read_u32(FW_CFG_FILE_FIRST), 0u);	/* no file yet */
	/* The directory and the files are not fixed keys. */
	EXPECT_EQ(fw_cfg_set(&t.fw, FW_CFG_FILE_DIR, "x", 1), -1);
	EXPECT_EQ(fw_cfg_set(&t.fw, FW_CFG_FILE_FIRST, "x", 1), -1);
	teardown();
}

TEST(file_directory_is_big_endian)
{
	uint8_t dir[4 + 2 * FW_CFG_DIR_ENTRY_LEN];
	unsigned int i;

	setup(_metadata);
	EXPECT_EQ(read_u32(FW_CFG_FILE_DIR), 0u);
	EXPECT_EQ(fw_cfg_add_file(&t.fw, "etc/e820", "0123456789", 10),
		  FW_CFG_FILE_FIRST);
	EXPECT_EQ(fw_cfg_add_file(&t.fw, "bootorder", NULL, 0),
		  FW_CFG_FILE_FIRST + 1);
	select_key(FW_CFG_FILE_DIR);
	for (i = 0; i < sizeof(dir); i++)
		dir[i] = data_in();
	EXPECT_EQ(dir[3], 2);
	EXPECT_EQ(dir[0] | dir[1] | dir[2], 0);
	EXPECT_EQ(dir[4 + 3], 10);			/* size */
	EXPECT_EQ(dir[4 + 4], 0);			/* select, BE */
	EXPECT_EQ(dir[4 + 5], FW_CFG_FILE_FIRST);
	EXPECT_STREQ((char *)dir + 4 + 8, "etc/e820");
	EXPECT_EQ(dir[4 + FW_CFG_DIR_ENTRY_LEN + 5], FW_CFG_FILE_FIRST + 1);
	EXPECT_STREQ((char *)dir + 4 + FW_CFG_DIR_ENTRY_LEN + 8, "bootorder");
	/* Replaced by name, same key; the directory has the new size. */
	EXPECT_EQ(fw_cfg_add_file(&t.fw, "etc/e820", "ab", 2),
		  FW_CFG_FILE_FIRST);
	select_key(FW_CFG_FILE_DIR);
	for (i = 0; i < 8; i++)
		dir[i] = data_in();
	EXPECT_EQ(dir[3], 2);
	EXPECT_EQ(dir[7], 2);
	EXPECT_EQ(fw_cfg_file_key(&t.fw, "bootorder"), FW_CFG_FILE_FIRST + 1);
	EXPECT_EQ(fw_cfg_file_key(&t.fw, "nothing"), -1);
	teardown();
}

TEST(file_names_and_directory_limits)
{
	char name[FW_CFG_NAME_LEN + 1];
	unsigned int i;

	setup(_metadata);
	memset(name, 'a', sizeof(name));
	name[FW_CFG_NAME_LEN] = 0;
	EXPECT_EQ(fw_cfg_add_file(&t.fw, name, "x", 1), -1);
	name[FW_CFG_NAME_LEN - 1] = 0;			/* 55 bytes: fits */
	EXPECT_EQ(fw_cfg_add_file(&t.fw, name, "x", 1), FW_CFG_FILE_FIRST);
	EXPECT_EQ(fw_cfg_add_file(&t.fw, "", "x", 1), -1);
	for (i = 1; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		EXPECT_EQ(fw_cfg_add_file(&t.fw, name, "x", 1),
			  (int)(FW_CFG_FILE_FIRST + i));
	}
	EXPECT_EQ(fw_cfg_add_file(&t.fw, "one-too-many", "x", 1), -1);
	/* The count, big-endian, read as a little-endian u32. */
	EXPECT_EQ(read_u32(FW_CFG_FILE_DIR), htobe32(FW_CFG_MAX_FILES));
	teardown();
}

TEST(dma_select_and_read)
{
	setup(_metadata);
	ASSERT_EQ(fw_cfg_add_file(&t.fw, "etc/sercon-port", "\xf8\x03", 2),
		  FW_CFG_FILE_FIRST);
	memset(t.ram + BUF_GPA, 0xee, 8);
	dma(ACCESS_GPA, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 4, BUF_GPA);
	EXPECT_EQ(dma_status(ACCESS_GPA), 0u);
	EXPECT_EQ(t.ram[BUF_GPA], 0xf8);
	EXPECT_EQ(t.ram[BUF_GPA + 1], 0x03);
	/* Past the item's end: zeros, as QEMU; the rest untouched. */
	EXPECT_EQ(t.ram[BUF_GPA + 2], 0);
	EXPECT_EQ(t.ram[BUF_GPA + 3], 0);
	EXPECT_EQ(t.ram[BUF_GPA + 4], 0xee);
	EXPECT_EQ(t.fw.dma_transfers, 1u);
	teardown();
}

TEST(dma_skip_then_read_goes_on_where_it_stopped)
{
	setup(_metadata);
	ASSERT_EQ(fw_cfg_add_file(&t.fw, "f", "abcdefgh", 8), FW_CFG_FILE_FIRST);
	dma(ACCESS_GPA, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_SKIP, 3, 0);
	EXPECT_EQ(dma_status(ACCESS_GPA), 0u);
	dma(ACCESS_GPA, FW_CFG_DMA_CTL_READ, 2, BUF_GPA);
	EXPECT_EQ(memcmp(t.ram + BUF_GPA, "de", 2), 0);
	/* The data port follows the same offset. */
	EXPECT_EQ(data_in(), 'f');
	/* A skip past the end stops there; reads give zeros. */
	dma(ACCESS_GPA, FW_CFG_DMA_CTL_SKIP, 100, 0);
	EXPECT_EQ(data_in(), 0);
	teardown();
}

TEST(dma_refuses_buffers_outside_ram)
{
	setup(_metadata);
	ASSERT_EQ(fw_cfg_add_file(&t.fw, "f", "abcdefgh", 8), FW_CFG_FILE_FIRST);
	/* Wholly outside, running past the end, wrapping around. */
	dma(ACCESS_GPA, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 8, RAM_SIZE);
	EXPECT_EQ(dma_status(ACCESS_GPA), (uint32_t)FW_CFG_DMA_CTL_ERROR);
	dma(ACCESS_GPA, FW_CFG_DMA_CTL_READ, 8, RAM_SIZE - 4);
	EXPECT_EQ(dma_status(ACCESS_GPA), (uint32_t)FW_CFG_DMA_CTL_ERROR);
	dma(ACCESS_GPA, FW_CFG_DMA_CTL_READ, 0xffffffff, BUF_GPA);
	EXPECT_EQ(dma_status(ACCESS_GPA), (uint32_t)FW_CFG_DMA_CTL_ERROR);
	dma(ACCESS_GPA, FW_CFG_DMA_CTL_READ, 0x100, 0xffffffffffffff80ULL);
	EXPECT_EQ(dma_status(ACCESS_GPA), (uint32_t)FW_CFG_DMA_CTL_ERROR);
	/* Nothing was consumed: a good read still starts at 'a'. */
	dma(ACCESS_GPA, FW_CFG_DMA_CTL_READ, 1, BUF_GPA);
	EXPECT_EQ(dma_status(ACCESS_GPA), 0u);
	EXPECT_EQ(t.ram[BUF_GPA], 'a');
	teardown();
}

TEST(dma_access_structure_outside_ram_is_dropped)
{
	setup(_metadata);
	dma(RAM_SIZE - 8, FW_CFG_DMA_CTL_READ, 1, BUF_GPA);
	dma(RAM_SIZE, FW_CFG_DMA_CTL_READ, 1, BUF_GPA);
	EXPECT_EQ(t.fw.dma_transfers, 0u);
	teardown();
}

TEST(dma_write_is_refused)
{
	setup(_metadata);
	ASSERT_EQ(fw_cfg_add_file(&t.fw, "f", "abcd", 4), FW_CFG_FILE_FIRST);
	memcpy(t.ram + BUF_GPA, "wxyz", 4);
	dma(ACCESS_GPA, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_WRITE, 4, BUF_GPA);
	EXPECT_EQ(dma_status(ACCESS_GPA), (uint32_t)FW_CFG_DMA_CTL_ERROR);
	select_key(FW_CFG_FILE_FIRST);
	EXPECT_EQ(data_in(), 'a');
	teardown();
}

TEST(dma_high_half_latches_until_the_low_half)
{
	uint32_t high = htobe32(1), low;
	char sig[9] = { 0 };

	setup(_metadata);
	ASSERT_EQ(fw_cfg_add_file(&t.fw, "f", "abcd", 4), FW_CFG_FILE_FIRST);
	/* High half 1: the structure is at 4 GiB + ACCESS_GPA, not RAM. */
	fw_cfg_dma_io(&t.fw, 0, &high, 4, true);
	dma(ACCESS_GPA, FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 4, BUF_GPA);
	EXPECT_EQ(t.fw.dma_transfers, 0u);
	/* The trigger cleared it: the low half alone reaches RAM. */
	low = htobe32(ACCESS_GPA);
	fw_cfg_dma_io(&t.fw, 4, &low, 4, true);
	EXPECT_EQ(t.fw.dma_transfers, 1u);
	EXPECT_EQ(memcmp(t.ram + BUF_GPA, "abcd", 4), 0);
	/* Reads give the DMA signature. */
	fw_cfg_dma_io(&t.fw, 0, sig, 8, false);
	EXPECT_STREQ(sig, "QEMU CFG");
	teardown();
}

TEST(loader_script_layout)
{
	struct acpi_loader l;
	const uint8_t *e;
	uint32_t v;

	acpi_loader_init(&l);
	ASSERT_EQ(acpi_loader_allocate(&l, "etc/acpi/rsdp", 16,
				       ACPI_LOADER_ZONE_FSEG), 0);
	ASSERT_EQ(acpi_loader_add_pointer(&l, "etc/acpi/rsdp", "etc/acpi/tables",
					  24, 8), 0);
	ASSERT_EQ(acpi_loader_add_checksum(&l, "etc/acpi/rsdp", 32, 0, 36), 0);
	EXPECT_EQ(acpi_loader_size(&l), 3u * ACPI_LOADER_ENTRY_LEN);
	e = l.script;
	EXPECT_EQ(e[0], ACPI_LOADER_ALLOCATE);
	EXPECT_STREQ((const char *)e + 4, "etc/acpi/rsdp");
	memcpy(&v, e + 60, 4);
	EXPECT_EQ(le32toh(v), 16u);
	EXPECT_EQ(e[64], ACPI_LOADER_ZONE_FSEG);
	e += ACPI_LOADER_ENTRY_LEN;
	EXPECT_EQ(e[0], ACPI_LOADER_ADD_POINTER);
	EXPECT_STREQ((const char *)e + 60, "etc/acpi/tables");
	memcpy(&v, e + 116, 4);
	EXPECT_EQ(le32toh(v), 24u);
	EXPECT_EQ(e[120], 8);
	e += ACPI_LOADER_ENTRY_LEN;
	EXPECT_EQ(e[0], ACPI_LOADER_ADD_CHECKSUM);
	memcpy(&v, e + 60, 4);
	EXPECT_EQ(le32toh(v), 32u);
	memcpy(&v, e + 68, 4);
	EXPECT_EQ(le32toh(v), 36u);
	/* Refusals: pointer size, long names. */
	EXPECT_EQ(acpi_loader_add_pointer(&l, "a", "b", 0, 3), -1);
	EXPECT_EQ(acpi_loader_allocate(&l, "", 16, 1), -1);
	EXPECT_EQ(acpi_loader_size(&l), 3u * ACPI_LOADER_ENTRY_LEN);
}

TEST_HARNESS_MAIN
