/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The script of QEMU's BIOS linker/loader ("etc/table-loader" in fw_cfg,
 * QEMU hw/acpi/bios-linker-loader.c), with which firmware installs ACPI
 * tables a VMM built: allocate each blob (a fw_cfg file) in a memory
 * zone, add a blob's final address to pointers inside another, then fix
 * up checksums.  Commands are 128-byte little-endian entries, run in
 * order by SeaBIOS (src/fw/romfile_loader.c).
 */
#ifndef VMCTL_DEV_ACPI_LOADER_H
#define VMCTL_DEV_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_LOADER_ENTRY_LEN		128
#define ACPI_LOADER_MAX_ENTRIES		32
#define ACPI_LOADER_FILE_LEN		56	/* as fw_cfg's names */

#define ACPI_LOADER_ALLOCATE		1
#define ACPI_LOADER_ADD_POINTER		2
#define ACPI_LOADER_ADD_CHECKSUM	3

/* Where ALLOCATE puts a blob. */
#define ACPI_LOADER_ZONE_HIGH		1	/* high memory (any RAM) */
#define ACPI_LOADER_ZONE_FSEG		2	/* 0xf0000-0xfffff: the RSDP */

struct acpi_loader {
	unsigned int nr;
	uint8_t script[ACPI_LOADER_MAX_ENTRIES * ACPI_LOADER_ENTRY_LEN];
};

void acpi_loader_init(struct acpi_loader *l);
/* Each appends one command; -1 when a name is too long or the script full. */
int acpi_loader_allocate(struct acpi_loader *l, const char *file,
			 uint32_t align, uint8_t zone);
/*
 * Add the address of blob @src to the @size-byte (1, 2, 4 or 8)
 * little-endian pointer at @offset in blob @dest.
 */
int acpi_loader_add_pointer(struct acpi_loader *l, const char *dest,
			    const char *src, uint32_t offset, uint8_t size);
/* Make bytes [@start, @start + @len) of @file sum to 0 with the byte at @offset. */
int acpi_loader_add_checksum(struct acpi_loader *l, const char *file,
			     uint32_t offset, uint32_t start, uint32_t len);
static inline size_t acpi_loader_size(const struct acpi_loader *l)
{
	return (size_t)l->nr * ACPI_LOADER_ENTRY_LEN;
}

#endif /* VMCTL_DEV_ACPI_LOADER_H */
