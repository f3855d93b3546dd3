// SPDX-License-Identifier: GPL-2.0
/* The BIOS linker/loader script: one 128-byte entry per command. */
#include <endian.h>
#include <string.h>
#include "hw/acpi_loader.h"

/* Field offsets in an entry, after the 4-byte command. */
#define CMD_ARGS		4
#define ALLOC_ALIGN		(CMD_ARGS + ACPI_LOADER_FILE_LEN)
#define ALLOC_ZONE		(ALLOC_ALIGN + 4)
#define PTR_SRC			(CMD_ARGS + ACPI_LOADER_FILE_LEN)
#define PTR_OFFSET		(PTR_SRC + ACPI_LOADER_FILE_LEN)
#define PTR_SIZE		(PTR_OFFSET + 4)
#define CSUM_OFFSET		(CMD_ARGS + ACPI_LOADER_FILE_LEN)
#define CSUM_START		(CSUM_OFFSET + 4)
#define CSUM_LEN		(CSUM_START + 4)

void acpi_loader_init(struct acpi_loader *l)
{
	memset(l, 0, sizeof(*l));
}

static void put32(uint8_t *e, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(e + off, &v, 4);
}

static int put_name(uint8_t *e, size_t off, const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= ACPI_LOADER_FILE_LEN)
		return -1;
	memcpy(e + off, name, len);
	return 0;
}

/* A zeroed entry for @cmd naming @file, or NULL. */
static uint8_t *acpi_loader_entry(struct acpi_loader *l, uint32_t cmd,
				  const char *file)
{
	uint8_t *e;

	if (l->nr == ACPI_LOADER_MAX_ENTRIES)
		return NULL;
	e = l->script + l->nr * ACPI_LOADER_ENTRY_LEN;
	memset(e, 0, ACPI_LOADER_ENTRY_LEN);
	if (put_name(e, CMD_ARGS, file))
		return NULL;
	put32(e, 0, cmd);
	return e;
}

int acpi_loader_allocate(struct acpi_loader *l, const char *file,
			 uint32_t align, uint8_t zone)
{
	uint8_t *e = acpi_loader_entry(l, ACPI_LOADER_ALLOCATE, file);

	if (!e)
		return -1;
	put32(e, ALLOC_ALIGN, align);
	e[ALLOC_ZONE] = zone;
	l->nr++;
	return 0;
}

int acpi_loader_add_pointer(struct acpi_loader *l, const char *dest,
			    const char *src, uint32_t offset, uint8_t size)
{
	uint8_t *e = acpi_loader_entry(l, ACPI_LOADER_ADD_POINTER, dest);

	if (!e || (size != 1 && size != 2 && size != 4 && size != 8) ||
	    put_name(e, PTR_SRC, src))
		return -1;
	put32(e, PTR_OFFSET, offset);
	e[PTR_SIZE] = size;
	l->nr++;
	return 0;
}

int acpi_loader_add_checksum(struct acpi_loader *l, const char *file,
			     uint32_t offset, uint32_t start, uint32_t len)
{
	uint8_t *e = acpi_loader_entry(l, ACPI_LOADER_ADD_CHECKSUM, file);

	if (!e)
		return -1;
	put32(e, CSUM_OFFSET, offset);
	put32(e, CSUM_START, start);
	put32(e, CSUM_LEN, len);
	l->nr++;
	return 0;
}
