// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the kernel loaders, the one place where vmctl
 * parses a file the user hands it (--kernel): the bzImage, multiboot
 * ELF and multiboot a.out-kludge loaders, through boot_probe() on a
 * path and boot_load() into guest RAM, with an --initrd and --append.
 *
 * The input is an 8-byte head (RAM size, vCPUs, --append length, the
 * initrd's size) and the kernel file.  RAM runs from 1 MiB, which the
 * loaders' own data below BOOT_HIGH needs, to 32 MiB, so that both
 * "does not fit" and "fits" are in reach of the header fields
 * (pref_address, init_size, ELF addresses).  vmctl run gives at least
 * 16 MiB, but the loaders check every address against RAM themselves,
 * so they are held to that below 16 MiB too.  RAM is followed by a
 * PROT_NONE guard and the RAM above 4 GiB, when there is some, is one
 * page between guards: the loaders may only write into guest RAM
 * through guest_mem_ptr().
 *
 * There is no vmmon here: vCPU 0's fd is -1, so boot_enter() fails with
 * its message, which tells the harness that a load went all the way.
 * Besides ASan and UBSan, the harness checks that every refusal comes
 * with a message, and that a Linux kernel that loaded fits, with the
 * span it unpacks into, in RAM (review vmctl.md #4).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <asm/bootparam.h>
#include "boot/boot.h"
#include "vmctl.h"

#define MIB		(1ULL << 20)
#define RAM_MIN		MIB
#define RAM_PAGES	7936		/* up to 31 MiB more */
#define PAGE		4096ULL
#define GUARD		PAGE
#define APPEND_MAX	(BOOT_CMDLINE_MAX + 1024)
/* The message boot_enter() gives when the load itself went through. */
#define ENTERED		"vmmon refused the kernel's entry state"

#define F_INITRD	0x01
#define F_HIGH_RAM	0x02

struct head {
	uint16_t ram_pages;	/* RAM above 1 MiB, in pages */
	uint8_t flags;
	uint8_t vcpus;
	uint8_t append;		/* --append's length, coarse above 127 */
	uint8_t reserved;
	uint16_t initrd;	/* the initrd's size, in 256-byte units */
} __attribute__((packed));

static struct {
	uint8_t *reserve;
	int kernel_fd, initrd_fd;
	char kernel_path[32], initrd_path[32];
	char append[APPEND_MAX + 1];
	bool verbose;
	unsigned int messages;
	bool entered;
	struct vm_options opts;
	struct vm vm;
} f;

#define BROKEN(what) do { \
	fprintf(stderr, "fuzz_boot: broken invariant: %s\n", what); \
	abort(); \
} while (0)

/* The loaders' one way to say why they refuse: count, say if asked. */
void vmctl_err(const char *fmt, ...)
{
	va_list ap;

	f.messages++;
	if (!strncmp(fmt, ENTERED, strlen(ENTERED)))
		f.entered = true;
	if (!f.verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len = GUEST_MEM_HIGH_START + PAGE + GUARD;

	(void)argc;
	(void)argv;
	f.verbose = getenv("FUZZ_BOOT_VERBOSE");
	f.reserve = mmap(NULL, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	f.kernel_fd = memfd_create("fuzz_boot_kernel", 0);
	f.initrd_fd = memfd_create("fuzz_boot_initrd", 0);
	if (f.reserve == MAP_FAILED || f.kernel_fd < 0 || f.initrd_fd < 0)
		abort();
	snprintf(f.kernel_path, sizeof(f.kernel_path), "/proc/self/fd/%d",
		 f.kernel_fd);
	snprintf(f.initrd_path, sizeof(f.initrd_path), "/proc/self/fd/%d",
		 f.initrd_fd);
	memset(f.append, 'a', APPEND_MAX);
	return 0;
}

/* Low RAM of @low bytes, and a page above 4 GiB if @high. */
static void ram_map(uint64_t low, bool high)
{
	if (mprotect(f.reserve, low, PROT_READ | PROT_WRITE) ||
	    mprotect(f.reserve + low, RAM_MIN + RAM_PAGES * PAGE - low,
		     PROT_NONE) ||
	    mprotect(f.reserve + GUEST_MEM_HIGH_START, PAGE,
		     high ? PROT_READ | PROT_WRITE : PROT_NONE))
		abort();
	f.vm.mem = (struct guest_mem){ .base = f.reserve, .low_size = low,
				       .high_size = high ? PAGE : 0 };
}

static void file_set(int fd, const uint8_t *data, size_t size, size_t len)
{
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) !=
				 (ssize_t)size) ||
	    ftruncate(fd, len))
		abort();
}

/*
 * The span boot_linux() copies to (1 MiB on) and the one the kernel
 * unpacks into (from pref_address if relocatable) must both be RAM.
 */
static void check_linux(const struct boot_image *img)
{
	const struct setup_header *h = (const void *)(img->data + 0x1f1);
	uint64_t setup = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512ULL;
	uint64_t start = h->relocatable_kernel && h->pref_address > BOOT_HIGH ?
			 h->pref_address : BOOT_HIGH;
	uint64_t low = f.vm.mem.low_size;

	if (setup > img->size || img->size - setup > low - BOOT_HIGH)
		BROKEN("a bzImage loaded whose payload does not fit in RAM");
	if (start > low || h->init_size > low - start)
		BROKEN("a bzImage loaded that unpacks beyond RAM");
	if (memcmp(f.reserve + BOOT_HIGH, img->data + setup,
		   img->size - setup))
		BROKEN("a bzImage loaded but its payload is not at 1 MiB");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_image img = { 0 };
	struct head h = { 0 };
	size_t append;
	int ret;

	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	data += size < sizeof(h) ? size : sizeof(h);
	size -= size < sizeof(h) ? size : sizeof(h);

	append = h.append < 128 ? h.append : (h.append - 127) * 520ULL;
	f.append[append] = '\0';
	f.opts = (struct vm_options){
		.kernel = f.kernel_path,
		.initrd = h.flags & F_INITRD ? f.initrd_path : NULL,
		.append = f.append,
		.mem_size = RAM_MIN + h.ram_pages % (RAM_PAGES + 1) * PAGE,
		.nr_vcpus = 1 + h.vcpus % VM_MAX_VCPUS,
	};
	memset(&f.vm, 0, sizeof(f.vm));
	f.vm.opts = &f.opts;
	f.vm.nr_vcpus = f.opts.nr_vcpus;
	f.vm.vcpus[0].fd = -1;
	ram_map(f.opts.mem_size, h.flags & F_HIGH_RAM);
	file_set(f.kernel_fd, data, size, size);
	if (h.flags & F_INITRD)
		file_set(f.initrd_fd, NULL, 0, h.initrd * 256ULL);
	f.messages = 0;
	f.entered = false;

	ret = boot_probe(&img, f.kernel_path);
	if (ret && !f.messages)
		BROKEN("boot_probe() refused a kernel without saying why");
	if (!ret) {
		if (!img.data || img.size != size)
			BROKEN("boot_probe() accepted a kernel it did not read");
		ret = boot_load(&f.vm, &img);
		if (ret && !f.messages)
			BROKEN("boot_load() refused a kernel without saying why");
		if (f.entered && img.kind == BOOT_LINUX)
			check_linux(&img);
		boot_image_free(&img);
	}
	f.append[append] = 'a';
	return 0;
}
