// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 64-bit Linux boot protocol (Documentation/arch/x86/boot.rst):
 * the protected-mode kernel at 1 MiB, a zero page built from the bzImage's
 * setup header, and the vCPU entering startup_64 in long mode with an
 * identity map, flat __BOOT_CS/__BOOT_DS and RSI pointing at the zero page.
 */
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>
#include "boot/boot.h"
#include "vmctl.h"

#define SETUP_HDR_OFFSET	0x1f1
#define SETUP_HDR_MAGIC		0x53726448	/* "HdrS" */
#define SETUP_BOOT_FLAG		0xaa55
#define SETUP_SECTS_DEFAULT	4
#define SETUP_VERSION_MIN	0x020c		/* 2.12: XLF_KERNEL_64 */
#define LOADER_TYPE_UNKNOWN	0xff
#define STARTUP_64_OFFSET	0x200
#define INITRD_ADDR_MAX_LEGACY	0x37ffffff

/* Descriptors of the boot GDT: entry 2 is __BOOT_CS, 3 is __BOOT_DS. */
#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define GDT_CODE64		0x00af9b000000ffffULL
#define GDT_DATA		0x00cf93000000ffffULL
#define AR_CODE64		0xa09b	/* G, L, P, S, code exec/read accessed */
#define AR_DATA			0xc093	/* G, D/B, P, S, data read/write accessed */
#define AR_TSS64_BUSY		0x008b

#define PTE_P			0x1ULL
#define PTE_RW			0x2ULL
#define PTE_PS			0x80ULL

#define X86_CR0_PE		0x1ULL
#define X86_CR0_ET		0x10ULL
#define X86_CR0_PG		0x80000000ULL
#define X86_CR4_PAE		0x20ULL
#define EFER_LME		0x100ULL
#define EFER_LMA		0x400ULL

/* A bzImage this loader can boot; *err set (and said) for a bad one. */
bool boot_linux_probe(const char *path, const uint8_t *kernel, size_t size,
		      int *err)
{
	const struct setup_header *h;
	size_t setup_size;

	if (size < SETUP_HDR_OFFSET + sizeof(*h))
		return false;
	h = (const void *)(kernel + SETUP_HDR_OFFSET);
	if (h->header != SETUP_HDR_MAGIC || h->boot_flag != SETUP_BOOT_FLAG)
		return false;
	*err = 1;
	if (h->version < SETUP_VERSION_MIN || !(h->xloadflags & XLF_KERNEL_64)) {
		vmctl_err("%s: boot protocol %u.%02u without a 64-bit entry point; vmctl needs 2.12 or later (Linux 3.8+)",
			  path, h->version >> 8, h->version & 0xff);
		return false;
	}
	setup_size = ((h->setup_sects ? h->setup_sects : SETUP_SECTS_DEFAULT) +
		      1) * 512ULL;
	if (setup_size >= size || 0x202U + kernel[0x201] > setup_size) {
		vmctl_err("%s: truncated bzImage", path);
		return false;
	}
	/*
	 * syssize: the protected-mode kernel's length in 16-byte units,
	 * rounded up (the file need not hold the rounding).
	 */
	if ((uint64_t)h->syssize * 16 > size - setup_size + 15) {
		vmctl_err("%s: truncated bzImage: its header says %llu bytes of kernel after the setup, the file holds %zu",
			  path, (unsigned long long)h->syssize * 16,
			  size - setup_size);
		return false;
	}
	/* Where it unpacks, checked against RAM later: no wrap here. */
	if (h->relocatable_kernel && h->pref_address > UINT64_MAX - h->init_size) {
		vmctl_err("%s: malformed bzImage: pref_address %#llx plus init_size %#x wraps around",
			  path, (unsigned long long)h->pref_address, h->init_size);
		return false;
	}
	*err = 0;
	return true;
}

static void *gpa(struct vm *vm, uint64_t addr, uint64_t len)
{
	return guest_mem_ptr(&vm->mem, addr, len);
}

/* Identity map of 0-4 GiB in 2 MiB pages: enough for the kernel's entry. */
static void boot_page_tables(struct vm *vm)
{
	uint64_t *pml4 = gpa(vm, BOOT_PML4, 4096);
	uint64_t *pdpt = gpa(vm, BOOT_PDPT, 4096);
	uint64_t *pd = gpa(vm, BOOT_PD, 4 * 4096);
	unsigned int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD + i * 4096ULL) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
}

static int boot_enter_64(struct vm *vm, uint64_t entry)
{
	uint64_t *gdt = gpa(vm, BOOT_GDT, 4 * 8);
	struct vmmon_sregs s = vm->vcpus[0].reset_sregs;
	struct vmmon_regs r = { .rip = entry, .rsi = BOOT_PARAMS,
				.rflags = 2 };

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = GDT_CODE64;
	gdt[3] = GDT_DATA;
	boot_page_tables(vm);
	boot_flat_segment(&s.cs, BOOT_CS, AR_CODE64);
	boot_flat_segment(&s.ds, BOOT_DS, AR_DATA);
	s.es = s.ds;
	s.ss = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.tr = (struct vmmon_segment){ .limit = 0x67, .ar = AR_TSS64_BUSY };
	s.gdt.base = BOOT_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	s.cr3 = BOOT_PML4;
	s.cr4 = X86_CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	return boot_enter(vm, &s, &r);
}

static int boot_initrd(struct vm *vm, struct boot_params *bp,
		       uint64_t kernel_end)
{
	const struct setup_header *h = &bp->hdr;
	uint64_t max, addr;
	uint8_t *data;
	size_t size;

	if (boot_read_file(vm->opts->initrd, "initrd", &data, &size))
		return -1;
	max = h->version >= 0x0203 ? h->initrd_addr_max :
				     INITRD_ADDR_MAX_LEGACY;
	if (max >= vm->mem.low_size)
		max = vm->mem.low_size - 1;
	addr = ((max + 1 - size) & ~0xfffULL);
	if (size > max + 1 || addr < kernel_end) {
		vmctl_err("initrd %s (%zu bytes) does not fit in guest RAM below %#llx after the kernel: give the guest more memory (-m)",
			  vm->opts->initrd, size, (unsigned long long)max + 1);
		free(data);
		return -1;
	}
	memcpy(gpa(vm, addr, size), data, size);
	free(data);
	bp->hdr.ramdisk_image = addr;
	bp->hdr.ramdisk_size = size;
	return 0;
}

static void boot_e820(struct vm *vm, struct boot_params *bp)
{
	struct boot_mem_range r[BOOT_MAX_RANGES];
	unsigned int i, n = boot_memory_map(vm, r);

	for (i = 0; i < n; i++) {
		bp->e820_table[i].addr = r[i].addr;
		bp->e820_table[i].size = r[i].size;
		bp->e820_table[i].type = r[i].type;
	}
	bp->e820_entries = n;
}

int boot_linux(struct vm *vm, const uint8_t *kernel, size_t size)
{
	const char *append = vm->opts->append ? vm->opts->append : "";
	const struct setup_header *h = (const void *)(kernel + SETUP_HDR_OFFSET);
	struct boot_params *bp = gpa(vm, BOOT_PARAMS, sizeof(*bp));
	size_t setup_size, hdr_end, cmdline_max, payload;
	unsigned int sects = h->setup_sects ? h->setup_sects :
					      SETUP_SECTS_DEFAULT;
	uint64_t kernel_end, unpack_end, rsdp;
	void *dst;

	/* boot_linux_probe() checked the header (no wrap in what follows). */
	setup_size = (sects + 1) * 512ULL;
	hdr_end = 0x202 + kernel[0x201];
	payload = size - setup_size;
	/*
	 * The kernel is copied to 1 MiB and unpacks itself from there, at
	 * pref_address if it is relocatable (16 MiB for Debian's), over
	 * init_size bytes: RAM must hold both, and the initrd stay clear.
	 */
	kernel_end = BOOT_HIGH + payload;
	unpack_end = (h->relocatable_kernel && h->pref_address > BOOT_HIGH ?
		      h->pref_address : BOOT_HIGH) + h->init_size;
	if (unpack_end > kernel_end)
		kernel_end = unpack_end;
	dst = gpa(vm, BOOT_HIGH, payload);
	if (kernel_end > vm->mem.low_size || !dst) {
		vmctl_err("%s needs %llu MiB of RAM to unpack; give the guest more memory (-m)",
			  vm->opts->kernel, (unsigned long long)(kernel_end >> 20) + 1);
		return -1;
	}
	memcpy(dst, kernel + setup_size, payload);

	memset(bp, 0, sizeof(*bp));
	memcpy((uint8_t *)bp + SETUP_HDR_OFFSET, kernel + SETUP_HDR_OFFSET,
	       hdr_end - SETUP_HDR_OFFSET);
	bp->hdr.type_of_loader = LOADER_TYPE_UNKNOWN;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.code32_start = BOOT_HIGH;

	cmdline_max = h->cmdline_size < BOOT_CMDLINE_MAX ? h->cmdline_size :
							    BOOT_CMDLINE_MAX - 1;
	if (strlen(append) > cmdline_max) {
		vmctl_err("--append is %zu bytes; this kernel takes at most %zu",
			  strlen(append), cmdline_max);
		return -1;
	}
	strcpy(gpa(vm, BOOT_CMDLINE, BOOT_CMDLINE_MAX), append);
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE;

	if (vm->opts->initrd && boot_initrd(vm, bp, kernel_end))
		return -1;
	boot_e820(vm, bp);
	if (boot_acpi_build(vm, &rsdp))
		return -1;
	bp->acpi_rsdp_addr = rsdp;
	return boot_enter_64(vm, BOOT_HIGH + STARTUP_64_OFFSET);
}
