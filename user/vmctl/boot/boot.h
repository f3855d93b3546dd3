/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the loaders put things in guest RAM (below 1 MiB, as a PC BIOS
 * would), shared by boot/linux.c, boot/multiboot.c and boot/acpi.c.
 */
#ifndef VMCTL_BOOT_H
#define VMCTL_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vm/vm.h"

#define BOOT_GDT		0x0500
#define BOOT_MBI		0x1000	/* multiboot information */
#define BOOT_PARAMS		0x7000	/* Linux's zero page */
#define BOOT_PML4		0x9000	/* identity map of the first 4 GiB */
#define BOOT_PDPT		0xa000
#define BOOT_PD			0xb000	/* four pages of 2 MiB entries */
#define BOOT_CMDLINE		0x20000
#define BOOT_CMDLINE_MAX	0x10000
#define BOOT_EBDA		0x9fc00	/* reserved from here to 1 MiB */
#define BOOT_ACPI		0xe0000	/* ACPI tables, RSDP first */
#define BOOT_ACPI_END		0x100000
#define BOOT_HIGH		0x100000	/* where kernels load */

/* e820 memory types (ACPI 6.4 table 15.4) */
#define E820_RAM		1
#define E820_RESERVED		2

/* The guest's memory map: fill @addr/@size/@type, returns the count. */
struct boot_mem_range {
	uint64_t addr, size;
	uint32_t type;
};
#define BOOT_MAX_RANGES		4
unsigned int boot_memory_map(const struct vm *vm,
			     struct boot_mem_range ranges[BOOT_MAX_RANGES]);

/* Whether @path is a file vmctl can load, said when not (before the VM). */
int boot_check_file(const char *path, const char *what);
/* A whole file read into malloc'ed memory; -1 with a message on error. */
int boot_read_file(const char *path, const char *what, uint8_t **data,
		   size_t *size);

/* A flat 4 GiB segment with access rights @ar (VMCS format). */
void boot_flat_segment(struct vmmon_segment *s, uint16_t selector,
		       uint16_t ar);
/* Give vCPU 0 the kernel's entry state; -1 with a message. */
int boot_enter(struct vm *vm, const struct vmmon_sregs *s,
	       const struct vmmon_regs *r);

enum boot_kind { BOOT_LINUX, BOOT_MULTIBOOT, BOOT_FIRMWARE };

/* --kernel or the firmware, read and recognised before the VM exists. */
struct boot_image {
	enum boot_kind kind;
	uint8_t *data;
	size_t size;
};

/* Read @path and check it is a kernel vmctl can boot; -1 with a message. */
int boot_probe(struct boot_image *img, const char *path);
void boot_image_free(struct boot_image *img);
/* Load it into guest RAM and set up the boot vCPU. */
int boot_load(struct vm *vm, const struct boot_image *img);

bool boot_linux_probe(const char *path, const uint8_t *kernel, size_t size,
		      int *err);
int boot_linux(struct vm *vm, const uint8_t *kernel, size_t size);
bool boot_multiboot_probe(const char *path, const uint8_t *kernel,
			  size_t size, int *err);
int boot_multiboot(struct vm *vm, const uint8_t *kernel, size_t size);

/* firmware.c: a BIOS image (--firmware) and what it reads over fw_cfg. */
int boot_firmware_probe(struct boot_image *img, const char *path);
int boot_firmware(struct vm *vm, const uint8_t *image, size_t size);
/* The firmware vmctl uses without --kernel or --firmware, or NULL. */
const char *boot_firmware_default(void);

/* acpi.c: the ACPI tables; their RSDP's address in @rsdp_addr. */
int boot_acpi_build(struct vm *vm, uint64_t *rsdp_addr);
/* The same tables as fw_cfg files, with the loader script to install them. */
int boot_acpi_fw_cfg(struct vm *vm, struct fw_cfg *fw);

#endif /* VMCTL_BOOT_H */
