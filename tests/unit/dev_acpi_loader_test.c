// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl's ACPI tables as the firmware gets them (boot/acpi.c through
 * fw_cfg): the etc/table-loader script run here as SeaBIOS runs it
 * (src/fw/romfile_loader.c: allocate each blob in its zone, add blob
 * addresses to pointers, fix checksums) over etc/acpi/rsdp and
 * etc/acpi/tables, then the installed tables walked as an OS walks them:
 * every checksum, every pointer to the table it should reach.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include "boot/acpi.c"
#include "vmmon_harness.h"

#define MEM_SIZE	0x100000
#define HIGH_BASE	0x40000		/* where "high" blobs go here */
#define FSEG_BASE	0xf5000		/* where FSEG blobs go */

static struct {
	struct vm vm;
	struct fw_cfg fw;
	uint8_t *mem;
	uint64_t high_next, fseg_next;
	struct { char name[ACPI_LOADER_FILE_LEN]; uint64_t addr; uint32_t size; } blobs[4];
	unsigned int nr;
} t;

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static int blob(const char *name)
{
	unsigned int i;

	for (i = 0; i < t.nr; i++)
		if (!strncmp(t.blobs[i].name, name, ACPI_LOADER_FILE_LEN))
			return i;
	return -1;
}

static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* One command of the script, as SeaBIOS does it; -1 for a bad one. */
static int run_command(const uint8_t *e)
{
	const struct fw_cfg_item *item;
	uint64_t *next, p;
	uint32_t align, off, start, len;
	int key, b, s;
	uint8_t size;

	switch (le32_at(e)) {
	case ACPI_LOADER_ALLOCATE:
		key = fw_cfg_file_key(&t.fw, (const char *)e + 4);
		if (key < 0 || t.nr == 4)
			return -1;
		item = &t.fw.items[key];
		align = le32_at(e + 60);
		next = e[64] == ACPI_LOADER_ZONE_FSEG ? &t.fseg_next : &t.high_next;
		*next = (*next + align - 1) & ~(uint64_t)(align - 1);
		memcpy(t.blobs[t.nr].name, e + 4, ACPI_LOADER_FILE_LEN);
		t.blobs[t.nr].addr = *next;
		t.blobs[t.nr].size = item->size;
		memcpy(t.mem + *next, item->data, item->size);
		*next += item->size;
		t.nr++;
		return 0;
	case ACPI_LOADER_ADD_POINTER:
		b = blob((const char *)e + 4);
		s = blob((const char *)e + 60);
		off = le32_at(e + 116);
		size = e[120];
		if (b < 0 || s < 0 || off + size > t.blobs[b].size)
			return -1;
		p = 0;
		memcpy(&p, t.mem + t.blobs[b].addr + off, size);
		p = le64toh(p) + t.blobs[s].addr;
		p = htole64(p);
		memcpy(t.mem + t.blobs[b].addr + off, &p, size);
		return 0;
	case ACPI_LOADER_ADD_CHECKSUM:
		b = blob((const char *)e + 4);
		off = le32_at(e + 60);
		start = le32_at(e + 64);
		len = le32_at(e + 68);
		if (b < 0 || off >= t.blobs[b].size ||
		    start + len > t.blobs[b].size)
			return -1;
		t.mem[t.blobs[b].addr + off] -=
			sum(t.mem + t.blobs[b].addr + start, len);
		return 0;
	}
	return -1;
}

static void setup(struct __test_metadata *_metadata, unsigned int cpus)
{
	memset(&t, 0, sizeof(t));
	t.mem = calloc(1, MEM_SIZE);
	ASSERT_TRUE(t.mem != NULL);
	t.high_next = HIGH_BASE;
	t.fseg_next = FSEG_BASE;
	t.vm.nr_vcpus = cpus;
	ASSERT_EQ(fw_cfg_init(&t.fw, &t.vm.mem), 0);
	ASSERT_EQ(boot_acpi_fw_cfg(&t.vm, &t.fw), 0);
}

static void run_script(struct __test_metadata *_metadata)
{
	int key = fw_cfg_file_key(&t.fw, "etc/table-loader");
	const struct fw_cfg_item *script;
	uint32_t i;

	ASSERT_GE(key, 0);
	script = &t.fw.items[key];
	ASSERT_EQ(script->size % ACPI_LOADER_ENTRY_LEN, 0u);
	for (i = 0; i < script->size; i += ACPI_LOADER_ENTRY_LEN)
		ASSERT_EQ(run_command(script->data + i), 0);
}

/* The table at guest address @addr, checked: signature and checksum. */
static const uint8_t *table(struct __test_metadata *_metadata,
			    uint64_t addr, const char *sig)
{
	const uint8_t *p;

	EXPECT_TRUE(addr >= HIGH_BASE && addr < MEM_SIZE - ACPI_HDR_LEN);
	if (addr < HIGH_BASE || addr >= MEM_SIZE - ACPI_HDR_LEN)
		return NULL;
	p = t.mem + addr;
	EXPECT_EQ(memcmp(p, sig, 4), 0);
	if (strcmp(sig, "FACS"))
		EXPECT_EQ(sum(p, le32_at(p + 4)), 0);
	return p;
}

TEST(loader_installs_tables_that_point_at_each_other)
{
	const uint8_t *rsdp, *xsdt, *rsdt, *fadt;
	uint64_t addr;

	setup(_metadata, 2);
	run_script(_metadata);
	EXPECT_EQ(t.nr, 2u);
	/* The RSDP in the F segment, on 16 bytes, both checksums good. */
	ASSERT_EQ(blob("etc/acpi/rsdp"), 0);
	EXPECT_EQ(t.blobs[0].addr % 16, 0u);
	rsdp = t.mem + t.blobs[0].addr;
	EXPECT_EQ(memcmp(rsdp, "RSD PTR ", 8), 0);
	EXPECT_EQ(sum(rsdp, RSDP_V1_LEN), 0);
	EXPECT_EQ(sum(rsdp, RSDP_LEN), 0);
	/* The tables blob holds no second RSDP for a scan to find. */
	EXPECT_NE(memcmp(t.mem + t.blobs[1].addr, "RSD PTR ", 8), 0);
	rsdt = table(_metadata, le32_at(rsdp + RSDP_RSDT), "RSDT");
	xsdt = table(_metadata, le64_at(rsdp + RSDP_XSDT), "XSDT");
	ASSERT_TRUE(rsdt && xsdt);
	fadt = table(_metadata, le64_at(xsdt + ACPI_HDR_LEN), "FACP");
	table(_metadata, le64_at(xsdt + ACPI_HDR_LEN + 8), "APIC");
	EXPECT_EQ(le32_at(rsdt + ACPI_HDR_LEN), le64_at(xsdt + ACPI_HDR_LEN));
	EXPECT_EQ(le32_at(rsdt + ACPI_HDR_LEN + 4),
		  le64_at(xsdt + ACPI_HDR_LEN + 8));
	ASSERT_TRUE(fadt != NULL);
	table(_metadata, le32_at(fadt + FADT_DSDT), "DSDT");
	table(_metadata, le64_at(fadt + FADT_X_DSDT), "DSDT");
	addr = le64_at(fadt + FADT_X_FIRMWARE_CTRL);
	EXPECT_EQ(addr % 64, 0u);
	table(_metadata, addr, "FACS");
	EXPECT_EQ(le32_at(fadt + FADT_FIRMWARE_CTRL), addr);
	fw_cfg_free(&t.fw);
	free(t.mem);
}

/* The same tables as the direct boot's, but for the pointers. */
TEST(same_tables_as_the_direct_boot)
{
	static uint8_t direct[ACPI_AREA];
	const uint8_t *blob1;
	uint64_t rsdp;

	setup(_metadata, 3);
	t.vm.mem = (struct guest_mem){ .base = t.mem, .low_size = MEM_SIZE };
	ASSERT_EQ(boot_acpi_build(&t.vm, &rsdp), 0);
	EXPECT_EQ(rsdp, (uint64_t)BOOT_ACPI);
	memcpy(direct, t.mem + BOOT_ACPI, ACPI_AREA);
	memset(t.mem, 0, MEM_SIZE);
	run_script(_metadata);
	blob1 = t.mem + t.blobs[1].addr;
	/* MADT and DSDT carry no pointers: byte for byte the same. */
	EXPECT_EQ(memcmp(blob1 + MADT_OFF, direct + MADT_OFF,
			 DSDT_OFF - MADT_OFF), 0);
	EXPECT_EQ(memcmp(blob1 + DSDT_OFF, direct + DSDT_OFF,
			 ACPI_AREA - DSDT_OFF), 0);
	/* Three vCPUs: three Processor Local APIC entries. */
	EXPECT_EQ(blob1[MADT_OFF + ACPI_HDR_LEN + 8 + 2 * 8 + 3], 2);
	fw_cfg_free(&t.fw);
	free(t.mem);
}

TEST_HARNESS_MAIN
