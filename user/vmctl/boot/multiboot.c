// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot (version 1) kernels, as QEMU's -kernel loads them: the
 * header in the first 8 KiB, the image from its ELF32 program headers or
 * the header's a.out-kludge addresses, the initrd as module 0, and the
 * vCPU entering in flat 32-bit protected mode with EAX holding the boot
 * loader magic and EBX the multiboot information.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "boot/boot.h"
#include "vmctl.h"

#define MB_HEADER_MAGIC		0x1badb002
#define MB_LOADER_MAGIC		0x2badb002
#define MB_SEARCH_END		8192
#define MB_HDR_AOUT_KLUDGE	(1U << 16)
#define MB_HDR_REQUIRED_MASK	0xffffU	/* bits a loader must understand */
#define MB_HDR_PAGE_ALIGN	(1U << 0)
#define MB_HDR_MEMORY_INFO	(1U << 1)

#define MB_INFO_MEMORY		(1U << 0)
#define MB_INFO_CMDLINE		(1U << 2)
#define MB_INFO_MODS		(1U << 3)
#define MB_INFO_MEM_MAP		(1U << 6)
#define MB_INFO_LOADER_NAME	(1U << 9)

#define MB_MODS			(BOOT_MBI + 0x100)
#define MB_MMAP			(BOOT_MBI + 0x200)
#define MB_LOADER_NAME		(BOOT_MBI + 0x300)
#define MB_MOD_CMDLINE		(BOOT_MBI + 0x320)

#define CODE32			0x08
#define DATA32			0x10
#define GDT_CODE32		0x00cf9b000000ffffULL
#define GDT_DATA32		0x00cf93000000ffffULL
#define AR_CODE32		0xc09b
#define AR_DATA32		0xc093
#define AR_TSS32_BUSY		0x008b
#define X86_CR0_PE		0x1ULL
#define X86_CR0_ET		0x10ULL

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static const struct mb_header *mb_find(const uint8_t *k, size_t size,
				       size_t *offset)
{
	const struct mb_header *h;
	size_t off;

	for (off = 0; off + sizeof(*h) <= size && off < MB_SEARCH_END; off += 4) {
		h = (const void *)(k + off);
		if (h->magic == MB_HEADER_MAGIC &&
		    h->magic + h->flags + h->checksum == 0) {
			*offset = off;
			return h;
		}
	}
	return NULL;
}

/* Copy [@src, @src + @filesz) to guest @dst, zero up to @memsz. */
static int mb_place(struct vm *vm, uint64_t dst, const uint8_t *src,
		    uint64_t filesz, uint64_t memsz, uint64_t *end)
{
	uint8_t *p = guest_mem_ptr(&vm->mem, dst, memsz);

	if (!p || filesz > memsz || dst < BOOT_HIGH) {
		vmctl_err("%s: a segment at %#llx (%llu bytes) is not in guest RAM above 1 MiB",
			  vm->opts->kernel, (unsigned long long)dst,
			  (unsigned long long)memsz);
		return -1;
	}
	memcpy(p, src, filesz);
	memset(p + filesz, 0, memsz - filesz);
	if (dst + memsz > *end)
		*end = dst + memsz;
	return 0;
}

static int mb_load_elf(struct vm *vm, const uint8_t *k, size_t size,
		       uint32_t *entry, uint64_t *end)
{
	const Elf32_Ehdr *eh = (const void *)k;
	Elf32_Phdr ph;
	unsigned int i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		vmctl_err("%s: a multiboot kernel without the a.out kludge must be ELF",
			  vm->opts->kernel);
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_machine != EM_386) {
		vmctl_err("%s: multiboot kernels must be 32-bit x86 ELF (as for QEMU -kernel)",
			  vm->opts->kernel);
		return -1;
	}
	if (eh->e_phentsize != sizeof(ph) || eh->e_phoff > size ||
	    (uint64_t)eh->e_phnum * sizeof(ph) > size - eh->e_phoff) {
		vmctl_err("%s: bad ELF program headers", vm->opts->kernel);
		return -1;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		/* Copied out: e_phoff need not be aligned. */
		memcpy(&ph, k + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset) {
			vmctl_err("%s: ELF segment %u lies past the end of the file",
				  vm->opts->kernel, i);
			return -1;
		}
		if (mb_place(vm, ph.p_paddr, k + ph.p_offset, ph.p_filesz,
			     ph.p_memsz, end))
			return -1;
	}
	*entry = eh->e_entry;
	return 0;
}

static int mb_load_aout(struct vm *vm, const uint8_t *k, size_t size,
			const struct mb_header *h, size_t hoff,
			uint64_t *end)
{
	uint64_t file_off, load_end, bss_end, filesz;

	if (h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > hoff) {
		vmctl_err("%s: multiboot header addresses are inconsistent",
			  vm->opts->kernel);
		return -1;
	}
	file_off = hoff - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr :
				      h->load_addr + (size - file_off);
	bss_end = h->bss_end_addr > load_end ? h->bss_end_addr : load_end;
	if (load_end < h->load_addr || load_end - h->load_addr > size - file_off) {
		vmctl_err("%s: multiboot load addresses run past the file",
			  vm->opts->kernel);
		return -1;
	}
	filesz = load_end - h->load_addr;
	return mb_place(vm, h->load_addr, k + file_off, filesz,
			bss_end - h->load_addr, end);
}

static int mb_module(struct vm *vm, struct mb_info *mbi, uint64_t end)
{
	struct mb_module *mod = guest_mem_ptr(&vm->mem, MB_MODS, sizeof(*mod));
	uint64_t start = (end + 0xfff) & ~0xfffULL;
	uint8_t *data, *dst;
	size_t size;

	if (boot_read_file(vm->opts->initrd, "initrd", &data, &size))
		return -1;
	dst = guest_mem_ptr(&vm->mem, start, size);
	if (!dst || start + size > 0xffffffffULL) {
		vmctl_err("initrd %s does not fit in guest RAM after the kernel: give the guest more memory (-m)",
			  vm->opts->initrd);
		free(data);
		return -1;
	}
	memcpy(dst, data, size);
	free(data);
	strcpy(guest_mem_ptr(&vm->mem, MB_MOD_CMDLINE, 1), "");
	*mod = (struct mb_module){ .mod_start = start, .mod_end = start + size,
				   .string = MB_MOD_CMDLINE };
	mbi->flags |= MB_INFO_MODS;
	mbi->mods_count = 1;
	mbi->mods_addr = MB_MODS;
	return 0;
}

static void mb_info(struct vm *vm, struct mb_info *mbi)
{
	struct boot_mem_range r[BOOT_MAX_RANGES];
	struct mb_mmap_entry *e;
	unsigned int i, n = boot_memory_map(vm, r);
	const char *append = vm->opts->append ? vm->opts->append : "";

	e = guest_mem_ptr(&vm->mem, MB_MMAP, n * sizeof(*e));
	for (i = 0; i < n; i++)
		e[i] = (struct mb_mmap_entry){ .size = sizeof(*e) - 4,
					       .addr = r[i].addr,
					       .len = r[i].size,
					       .type = r[i].type };
	mbi->flags |= MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP |
		      MB_INFO_LOADER_NAME;
	mbi->mem_lower = BOOT_EBDA >> 10;
	mbi->mem_upper = (vm->mem.low_size - BOOT_HIGH) >> 10;
	mbi->mmap_length = n * sizeof(*e);
	mbi->mmap_addr = MB_MMAP;
	strcpy(guest_mem_ptr(&vm->mem, MB_LOADER_NAME, 6), "vmctl");
	mbi->boot_loader_name = MB_LOADER_NAME;
	strcpy(guest_mem_ptr(&vm->mem, BOOT_CMDLINE, strlen(append) + 1),
	       append);
	mbi->cmdline = BOOT_CMDLINE;
}

static int mb_enter(struct vm *vm, uint32_t entry)
{
	uint64_t *gdt = guest_mem_ptr(&vm->mem, BOOT_GDT, 3 * 8);
	struct vmmon_sregs s = vm->vcpus[0].reset_sregs;
	struct vmmon_regs r = { .rip = entry, .rax = MB_LOADER_MAGIC,
				.rbx = BOOT_MBI, .rflags = 2 };

	gdt[0] = 0;
	gdt[1] = GDT_CODE32;
	gdt[2] = GDT_DATA32;
	boot_flat_segment(&s.cs, CODE32, AR_CODE32);
	boot_flat_segment(&s.ds, DATA32, AR_DATA32);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct vmmon_segment){ .limit = 0x67, .ar = AR_TSS32_BUSY };
	s.gdt.base = BOOT_GDT;
	s.gdt.limit = 3 * 8 - 1;
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	return boot_enter(vm, &s, &r);
}

bool boot_multiboot_probe(const char *path, const uint8_t *k, size_t size,
			  int *err)
{
	const struct mb_header *h;
	size_t hoff;

	h = mb_find(k, size, &hoff);
	if (!h)
		return false;
	if (h->flags & MB_HDR_REQUIRED_MASK &
	    ~(MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO)) {
		vmctl_err("%s asks for multiboot features vmctl lacks (flags %#x)",
			  path, h->flags);
		*err = 1;
		return false;
	}
	return true;
}

int boot_multiboot(struct vm *vm, const uint8_t *k, size_t size)
{
	struct mb_info *mbi = guest_mem_ptr(&vm->mem, BOOT_MBI, sizeof(*mbi));
	const char *append = vm->opts->append ? vm->opts->append : "";
	const struct mb_header *h;
	uint64_t end = 0, rsdp;
	uint32_t entry;
	size_t hoff = 0;

	h = mb_find(k, size, &hoff);	/* boot_multiboot_probe() found it */
	if (strlen(append) >= BOOT_CMDLINE_MAX) {
		vmctl_err("--append is longer than %u bytes", BOOT_CMDLINE_MAX - 1);
		return -1;
	}
	memset(mbi, 0, sizeof(*mbi));
	if (h->flags & MB_HDR_AOUT_KLUDGE) {
		if (mb_load_aout(vm, k, size, h, hoff, &end))
			return -1;
		entry = h->entry_addr;
	} else if (mb_load_elf(vm, k, size, &entry, &end)) {
		return -1;
	}
	mb_info(vm, mbi);
	if (vm->opts->initrd && mb_module(vm, mbi, end))
		return -1;
	/* Tables for a guest that looks for them (CPUs, power-off). */
	if (boot_acpi_build(vm, &rsdp))
		return -1;
	return mb_enter(vm, entry);
}
