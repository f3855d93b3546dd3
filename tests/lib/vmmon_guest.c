// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of test guests (see vmmon_guest.h): VM, RAM and vCPU,
 * the state of each mode, and for long mode the copy of this program,
 * its page tables, descriptor tables and the ucall decoding.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kselftest.h"
#include "vmmon_guest.h"
#include "vmmon_util.h"

#define PAGE_SIZE	4096ULL
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)	/* every page: guest_user_call() */
#define PTE_ADDR	0x000ffffffffff000ULL

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define RFLAGS_FIXED	2

/* Access rights as struct vmmon_segment has them (and, shifted, a GDT). */
#define AR_CODE64	0xa09b	/* G, L, present, code: execute/read, accessed */
#define AR_CODE32	0xc09b	/* G, D, the same */
#define AR_DATA		0xc093	/* G, B, present, data: read/write, accessed */
#define AR_TSS64_BUSY	0x008b	/* present, busy 64-bit TSS */
#define TSS_LIMIT	0x67	/* a 64-bit TSS without I/O bitmap */
#define TSS_IST1	0x24
#define TSS_IOMAP_BASE	0x66
#define IDT_GATE_INTR	0x8e	/* present, 64-bit interrupt gate */
#define AR_DPL3		0x0060
/* null, code64, data, code32, TSS (two), user code32, data, code64 */
#define GDT_ENTRIES	9
/* glibc's x86-64 tcbhead_t: tcb, self and stack_guard. */
#define TCB_SELF0	0x00
#define TCB_SELF	0x10
#define TCB_STACK_GUARD	0x28
#define GUEST_CANARY	0x5eed0fca11ab1e00ULL	/* low byte 0, as glibc's */

/* In vmmon_guest_code.c, with the rest of what the guest runs. */
extern const char vmmon_guest_isr_stubs[];
extern const char vmmon_guest_return[];

static int guest_fail(struct vmmon_guest *g, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int guest_fail(struct vmmon_guest *g, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->error, sizeof(g->error), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

/* A VM with @ram_size bytes of RAM at guest-physical 0, and one vCPU. */
static int guest_open(struct vmmon_guest *g, int devfd, size_t ram_size)
{
	struct vmmon_memory_region r = { .size = ram_size };
	struct vmmon_create_vcpu c = { 0 };

	memset(g, 0, sizeof(*g));
	g->ram = MAP_FAILED;
	g->run = MAP_FAILED;
	g->vcpu = -1;
	g->ram_size = ram_size;
	g->vm = vmmon_create_vm(devfd);
	if (g->vm < 0 || ioctl(g->vm, VMMON_SET_MEMORY_REGION, &r))
		return -1;
	g->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vm, 0);
	g->vcpu = ioctl(g->vm, VMMON_CREATE_VCPU, &c);
	if (g->ram == MAP_FAILED || g->vcpu < 0)
		return -1;
	g->run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		return -1;
	return 0;
}

static int guest_load_code(struct vmmon_guest *g, const uint8_t *code,
			   size_t len)
{
	if (len > g->ram_size || VMMON_GUEST_CODE > g->ram_size - len)
		return guest_fail(g, E2BIG, "%zu bytes of code do not fit", len);
	memcpy(g->ram + VMMON_GUEST_CODE, code, len);
	return 0;
}

int vmmon_guest_create(struct vmmon_guest *g, int devfd, size_t ram_size,
		       const uint8_t *code, size_t len)
{
	struct vmmon_regs regs = { .rip = VMMON_GUEST_CODE, .rflags = 2 };
	struct vmmon_sregs sregs;

	if (guest_open(g, devfd, ram_size) || guest_load_code(g, code, len))
		return -1;
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs))
		return -1;
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	if (ioctl(g->vcpu, VMMON_SET_SREGS, &sregs))
		return -1;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

static struct vmmon_segment segment(uint16_t selector, uint64_t base,
				    uint32_t limit, uint16_t ar)
{
	return (struct vmmon_segment){ .base = base, .limit = limit,
				       .selector = selector, .ar = ar };
}

/* A GDT descriptor for what segment() describes (SDM 3A 3.4.5). */
static uint64_t gdt_descriptor(uint64_t base, uint32_t limit, uint16_t ar)
{
	if (ar & 0x8000)	/* G: the limit counts 4 KiB pages */
		limit >>= 12;
	return (limit & 0xffffULL) | (base & 0xffffffULL) << 16 |
	       (uint64_t)(ar & 0xff) << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)((ar >> 12) & 0xf) << 52 |
	       ((base >> 24) & 0xffULL) << 56;
}

/*
 * The same GDT for both protected modes, so that a segment reload (IRETQ
 * reloads CS and SS) finds what SET_SREGS put in the hidden parts.
 */
static void write_gdt(struct vmmon_guest *g, uint64_t gpa)
{
	uint64_t gdt[GDT_ENTRIES] = {
		[VMMON_GUEST_SEL_CODE64 / 8] =
			gdt_descriptor(0, 0xffffffff, AR_CODE64),
		[VMMON_GUEST_SEL_DATA / 8] =
			gdt_descriptor(0, 0xffffffff, AR_DATA),
		[VMMON_GUEST_SEL_CODE32 / 8] =
			gdt_descriptor(0, 0xffffffff, AR_CODE32),
		[VMMON_GUEST_SEL_TSS / 8] =
			gdt_descriptor(VMMON_GUEST_TSS, TSS_LIMIT,
				       AR_TSS64_BUSY),
		[VMMON_GUEST_SEL_TSS / 8 + 1] = (uint64_t)VMMON_GUEST_TSS >> 32,
		/* In the order SYSRET wants them (SDM 2B, SYSRET). */
		[VMMON_GUEST_SEL_USER_CODE32 / 8] =
			gdt_descriptor(0, 0xffffffff, AR_CODE32 | AR_DPL3),
		[VMMON_GUEST_SEL_USER_DATA / 8] =
			gdt_descriptor(0, 0xffffffff, AR_DATA | AR_DPL3),
		[VMMON_GUEST_SEL_USER_CODE64 / 8] =
			gdt_descriptor(0, 0xffffffff, AR_CODE64 | AR_DPL3),
	};

	memcpy(g->ram + gpa, gdt, sizeof(gdt));
}

/* Flat segments of one kind of code and of data, in *sregs. */
static void set_flat_segments(struct vmmon_sregs *sregs, uint16_t code_sel,
			      uint16_t code_ar, uint64_t gdt)
{
	struct vmmon_segment data = segment(VMMON_GUEST_SEL_DATA, 0,
					    0xffffffff, AR_DATA);

	sregs->cs = segment(code_sel, 0, 0xffffffff, code_ar);
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->gdt.base = gdt;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
}

/* The GDT sits below the code, which starts at VMMON_GUEST_CODE. */
#define PROT32_GDT	0x800

int vmmon_guest_add_vcpu(struct vmmon_guest *g, unsigned int id,
			 uint64_t rip, uint64_t rflags,
			 struct vmmon_run **run)
{
	struct vmmon_create_vcpu c = { .id = id };
	struct vmmon_regs regs = { .rip = rip, .rflags = rflags };
	struct vmmon_sregs sregs;
	int fd, err;

	fd = ioctl(g->vm, VMMON_CREATE_VCPU, &c);
	if (fd < 0)
		return guest_fail(g, errno, "VMMON_CREATE_VCPU %u", id);
	*run = mmap(NULL, sizeof(**run), PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (*run == MAP_FAILED) {
		guest_fail(g, errno, "mmap of vCPU %u's run page", id);
		goto close_fd;
	}
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs) ||
	    ioctl(fd, VMMON_SET_SREGS, &sregs) ||
	    ioctl(fd, VMMON_SET_REGS, &regs)) {
		guest_fail(g, errno, "vCPU %u's registers", id);
		goto unmap;
	}
	return fd;
unmap:
	munmap(*run, sizeof(**run));
close_fd:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int vmmon_guest_create_prot32(struct vmmon_guest *g, int devfd,
			      size_t ram_size, const uint8_t *code,
			      size_t len)
{
	struct vmmon_regs regs = { .rip = VMMON_GUEST_CODE,
				   .rsp = ram_size & ~15ULL,
				   .rflags = RFLAGS_FIXED };
	struct vmmon_sregs sregs;

	if (guest_open(g, devfd, ram_size) || guest_load_code(g, code, len))
		return -1;
	if (ram_size > 1ULL << 32)
		return guest_fail(g, EINVAL, "prot32 RAM above 4 GiB");
	write_gdt(g, PROT32_GDT);
	/* TR and LDTR stay as at reset: a usable busy TSS, as VT-x wants. */
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs))
		return -1;
	set_flat_segments(&sregs, VMMON_GUEST_SEL_CODE32, AR_CODE32,
			  PROT32_GDT);
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(g->vcpu, VMMON_SET_SREGS, &sregs))
		return -1;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

/*
 * Through the library's record of the mappings, which the guest cannot
 * change (its page tables it can).
 */
int vmmon_guest_gva_to_gpa(const struct vmmon_guest *g, uint64_t gva,
			   uint64_t *gpa)
{
	int i;

	for (i = 0; i < g->nr_maps; i++) {
		const struct vmmon_guest_map *m = &g->maps[i];

		if (gva - m->gva < m->size) {
			*gpa = m->gpa + (gva - m->gva);
			return 0;
		}
	}
	errno = EFAULT;
	return -1;
}

static int add_map(struct vmmon_guest *g, uint64_t gva, uint64_t gpa,
		   uint64_t size)
{
	struct vmmon_guest_map *m;

	if (g->nr_maps) {
		m = &g->maps[g->nr_maps - 1];
		if (m->gva + m->size == gva && m->gpa + m->size == gpa) {
			m->size += size;
			return 0;
		}
	}
	if (g->nr_maps == VMMON_GUEST_MAX_MAPS)
		return guest_fail(g, ENOSPC, "more than %d guest mappings",
				  VMMON_GUEST_MAX_MAPS);
	g->maps[g->nr_maps++] = (struct vmmon_guest_map){ gva, gpa, size };
	return 0;
}

static uint64_t alloc_table(struct vmmon_guest *g)
{
	uint64_t gpa = g->next_pt;

	if (gpa >= VMMON_GUEST_PT_POOL_END)
		return 0;
	g->next_pt += PAGE_SIZE;
	memset(g->ram + gpa, 0, PAGE_SIZE);
	return gpa;
}

/* The leaf PTE for @gva, making the tables above it; NULL when full. */
static uint64_t *pte_of(struct vmmon_guest *g, uint64_t gva)
{
	uint64_t *table = (uint64_t *)(g->ram + g->cr3);
	uint64_t *e;
	int level;

	for (level = 3; level > 0; level--) {
		e = &table[(gva >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			uint64_t t = alloc_table(g);

			if (!t)
				return NULL;
			/* What a page allows is decided at the leaf. */
			*e = t | PTE_P | PTE_RW | PTE_US;
		}
		table = (uint64_t *)(g->ram + (*e & PTE_ADDR));
	}
	return &table[(gva >> 12) & 511];
}

static int map_page(struct vmmon_guest *g, uint64_t gva, uint64_t gpa,
		    bool writable)
{
	uint64_t *pte = pte_of(g, gva);

	if (!pte)
		return guest_fail(g, ENOMEM, "guest page-table pool full");
	*pte = gpa | PTE_P | PTE_US | (writable ? PTE_RW : 0);
	return add_map(g, gva, gpa, PAGE_SIZE);
}

int vmmon_guest_map_device(struct vmmon_guest *g, uint64_t gva, uint64_t gpa)
{
	uint64_t *pte;

	if (gpa < g->ram_size || (gpa | gva) & (PAGE_SIZE - 1))
		return guest_fail(g, EINVAL, "device page %#llx is RAM or unaligned",
				       (unsigned long long)gpa);
	pte = pte_of(g, gva);
	if (!pte)
		return guest_fail(g, ENOMEM, "guest page-table pool full");
	/* Not in g->maps: the host library never reads it as RAM. */
	*pte = gpa | PTE_P | PTE_RW;
	return 0;
}

int vmmon_guest_map_ram(struct vmmon_guest *g, uint64_t gva, uint64_t gpa,
			uint64_t size)
{
	uint64_t off;

	if ((gpa | gva | size) & (PAGE_SIZE - 1) || gpa > g->ram_size ||
	    size > g->ram_size - gpa)
		return guest_fail(g, EINVAL, "%#llx bytes at %#llx are not pages of RAM",
				  (unsigned long long)size,
				  (unsigned long long)gpa);
	for (off = 0; off < size; off += PAGE_SIZE)
		if (map_page(g, gva + off, gpa + off, true))
			return -1;
	return 0;
}

static int map_identity(struct vmmon_guest *g, uint64_t start, uint64_t end)
{
	for (; start < end; start += PAGE_SIZE)
		if (map_page(g, start, start, true))
			return -1;
	return 0;
}

struct program_headers {
	ElfW(Addr) bias;
	const ElfW(Phdr) *phdr;
	int phnum;
};

/* The first object dl_iterate_phdr reports is the program itself. */
static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct program_headers *ph = data;

	(void)size;
	ph->bias = info->dlpi_addr;
	ph->phdr = info->dlpi_phdr;
	ph->phnum = info->dlpi_phnum;
	return 1;
}

/*
 * One page of the program at @va, copied and mapped, or made writable
 * when an earlier segment already brought it.
 */
static int copy_program_page(struct vmmon_guest *g, uint64_t va,
			     bool writable)
{
	uint64_t gpa;

	if (!vmmon_guest_gva_to_gpa(g, va, &gpa)) {
		if (writable)
			*pte_of(g, va) |= PTE_RW;
		return 0;
	}
	if (va < VMMON_GUEST_LOW_END)
		return guest_fail(g, EEXIST,
				  "program page %#llx overlaps the guest's low memory",
				       (unsigned long long)va);
	gpa = g->next_gpa;
	if (gpa + PAGE_SIZE > g->ram_size)
		return guest_fail(g, ENOMEM,
				  "%zu bytes of guest RAM do not hold the program",
				  g->ram_size);
	g->next_gpa += PAGE_SIZE;
	memcpy(g->ram + gpa, (const void *)(uintptr_t)va, PAGE_SIZE);
	return map_page(g, va, gpa, writable);
}

/*
 * Copy the program's PT_LOAD segments, bss included, which the program
 * headers describe better than /proc/self/maps does (the tail of bss is
 * an anonymous mapping there, with no path).  PT_TLS is left out: its
 * initial image lies in a PT_LOAD anyway, and guest code has no TLS.
 */
static int copy_program(struct vmmon_guest *g)
{
	struct program_headers ph = { 0 };
	uint64_t va, end;
	int i;

	dl_iterate_phdr(first_object, &ph);
	if (!ph.phdr)
		return guest_fail(g, ENOENT, "no program headers");
	for (i = 0; i < ph.phnum; i++) {
		const ElfW(Phdr) *p = &ph.phdr[i];

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		va = (ph.bias + p->p_vaddr) & PAGE_MASK;
		end = (ph.bias + p->p_vaddr + p->p_memsz + PAGE_SIZE - 1) &
		      PAGE_MASK;
		for (; va < end; va += PAGE_SIZE)
			if (copy_program_page(g, va, p->p_flags & PF_W))
				return -1;
	}
	return 0;
}

static void put64(struct vmmon_guest *g, uint64_t gpa, uint64_t v)
{
	memcpy(g->ram + gpa, &v, sizeof(v));
}

/* The TSS for IST1, the IDT's 32 gates to the stubs, and the TCB. */
static void write_tables(struct vmmon_guest *g)
{
	uint64_t stub, gate[2];
	uint16_t iomap = TSS_LIMIT + 1;
	int v;

	write_gdt(g, VMMON_GUEST_GDT);
	put64(g, VMMON_GUEST_TSS + TSS_IST1, VMMON_GUEST_XSTACK_TOP);
	memcpy(g->ram + VMMON_GUEST_TSS + TSS_IOMAP_BASE, &iomap,
	       sizeof(iomap));
	for (v = 0; v < VMMON_GUEST_NR_VECTORS; v++) {
		stub = (uintptr_t)vmmon_guest_isr_stubs + 16 * v;
		gate[0] = (stub & 0xffff) |
			  (uint64_t)VMMON_GUEST_SEL_CODE64 << 16 |
			  1ULL << 32 |			/* IST1 */
			  (uint64_t)IDT_GATE_INTR << 40 |
			  ((stub >> 16) & 0xffff) << 48;
		gate[1] = stub >> 32;
		memcpy(g->ram + VMMON_GUEST_IDT + 16 * v, gate, sizeof(gate));
	}
	put64(g, VMMON_GUEST_TCB + TCB_SELF0, VMMON_GUEST_TCB);
	put64(g, VMMON_GUEST_TCB + TCB_SELF, VMMON_GUEST_TCB);
	put64(g, VMMON_GUEST_TCB + TCB_STACK_GUARD, GUEST_CANARY);
}

static int set_long_mode(struct vmmon_guest *g)
{
	struct vmmon_sregs sregs = {
		.tr = segment(VMMON_GUEST_SEL_TSS, VMMON_GUEST_TSS, TSS_LIMIT,
			      AR_TSS64_BUSY),
		.ldt = { .unusable = 1 },
		.idt = { .base = VMMON_GUEST_IDT,
			 .limit = VMMON_GUEST_NR_VECTORS * 16 - 1 },
		.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
		.cr3 = g->cr3,
		/* SSE on: gcc's code uses it. */
		.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT,
		.efer = EFER_LME | EFER_LMA,
	};

	set_flat_segments(&sregs, VMMON_GUEST_SEL_CODE64, AR_CODE64,
			  VMMON_GUEST_GDT);
	sregs.fs.base = VMMON_GUEST_TCB;
	return ioctl(g->vcpu, VMMON_SET_SREGS, &sregs);
}

int vmmon_guest_create_long(struct vmmon_guest *g, int devfd,
			    size_t ram_size, const void *entry,
			    uint64_t arg0, uint64_t arg1)
{
	/* As if called: the return address on a 16-byte aligned stack. */
	struct vmmon_regs regs = {
		.rip = (uintptr_t)entry, .rdi = arg0, .rsi = arg1,
		.rsp = VMMON_GUEST_STACK_TOP - 8, .rflags = RFLAGS_FIXED,
	};
	uint64_t gpa;

	if (!ram_size)
		ram_size = VMMON_GUEST_LONG_RAM;
	if (ram_size < VMMON_GUEST_IMAGE_GPA)
		return guest_fail(g, EINVAL, "long-mode guests need %#x bytes of RAM",
				  VMMON_GUEST_IMAGE_GPA);
	if (guest_open(g, devfd, ram_size))
		return -1;
	g->next_pt = VMMON_GUEST_PT_POOL;
	g->next_gpa = VMMON_GUEST_IMAGE_GPA;
	g->cr3 = alloc_table(g);
	if (map_identity(g, PAGE_SIZE, VMMON_GUEST_PT_POOL_END) ||
	    map_identity(g, VMMON_GUEST_PT_POOL_END + PAGE_SIZE,
			 VMMON_GUEST_XSTACK_TOP) ||
	    map_identity(g, VMMON_GUEST_XSTACK_TOP + PAGE_SIZE,
			 VMMON_GUEST_STACK_TOP))
		return -1;
	put64(g, regs.rsp, (uintptr_t)vmmon_guest_return);
	write_tables(g);
	if (copy_program(g))
		return -1;
	if (vmmon_guest_gva_to_gpa(g, regs.rip, &gpa))
		return guest_fail(g, EINVAL, "entry %p is not in the program",
				  entry);
	if (set_long_mode(g))
		return -1;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

void vmmon_guest_destroy(struct vmmon_guest *g)
{
	if (g->run != MAP_FAILED)
		munmap(g->run, 4096);
	if (g->ram != MAP_FAILED)
		munmap(g->ram, g->ram_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (g->vm >= 0)
		close(g->vm);
}

/* The RUN under way on this thread, for vmmon_run_interrupt(). */
static __thread struct vmmon_run *volatile vmmon_running;
static __thread volatile sig_atomic_t vmmon_run_interrupted;

void vmmon_run_interrupt(void)
{
	struct vmmon_run *run = vmmon_running;

	vmmon_run_interrupted = 1;
	if (run)
		run->immediate_exit = 1;
}

int vmmon_vcpu_run(int vcpu, struct vmmon_run *run)
{
	int r;

	vmmon_running = run;
	do {
		r = ioctl(vcpu, VMMON_RUN, 0);
	} while (r && errno == EINTR && run->exit_reason == VMMON_EXIT_INTR &&
		 !vmmon_run_interrupted);
	vmmon_running = NULL;
	if (vmmon_run_interrupted) {
		vmmon_run_interrupted = 0;
		run->immediate_exit = 0;
	}
	return r;
}

int vmmon_guest_run(struct vmmon_guest *g)
{
	return vmmon_vcpu_run(g->vcpu, g->run);
}

/* Page by page: neighbouring guest pages need not be neighbours in RAM. */
static int guest_copy(const struct vmmon_guest *g, uint64_t gva, void *buf,
		      size_t len, bool to_guest)
{
	uint64_t gpa, n;

	while (len) {
		n = PAGE_SIZE - (gva & ~PAGE_MASK);
		if (n > len)
			n = len;
		if (vmmon_guest_gva_to_gpa(g, gva, &gpa) ||
		    gpa + n > g->ram_size) {
			errno = EFAULT;
			return -1;
		}
		if (to_guest)
			memcpy(g->ram + gpa, buf, n);
		else
			memcpy(buf, g->ram + gpa, n);
		gva += n;
		buf = (uint8_t *)buf + n;
		len -= n;
	}
	return 0;
}

int vmmon_guest_read(const struct vmmon_guest *g, uint64_t gva, void *buf,
		     size_t len)
{
	return guest_copy(g, gva, buf, len, false);
}

int vmmon_guest_write(struct vmmon_guest *g, uint64_t gva, const void *buf,
		      size_t len)
{
	return guest_copy(g, gva, (void *)buf, len, true);
}

int vmmon_guest_install_handler(struct vmmon_guest *g, unsigned int vector,
				vmmon_guest_handler_t handler)
{
	if (vector >= VMMON_GUEST_NR_VECTORS)
		return guest_fail(g, EINVAL, "vector %u has no stub", vector);
	return vmmon_guest_write(g, (uintptr_t)&vmmon_guest_handlers[vector],
				 &handler, sizeof(handler));
}

/*
 * Everything in the guest's struct is the guest's to choose: copy it
 * once (so that it cannot change while it is checked), from mapped
 * memory only, and accept only our commands and counts.
 */
int vmmon_guest_run_ucall(struct vmmon_guest *g, struct vmmon_ucall *uc)
{
	struct vmmon_run *run = g->run;
	struct vmmon_regs regs;

	memset(uc, 0, sizeof(*uc));
	if (vmmon_guest_run(g))
		return guest_fail(g, errno, "VMMON_RUN: %s", strerror(errno));
	if (run->exit_reason != VMMON_EXIT_IO ||
	    run->io.port != VMMON_UCALL_PORT ||
	    run->io.direction != VMMON_IO_OUT)
		return VMMON_UCALL_NONE;
	if (ioctl(g->vcpu, VMMON_GET_REGS, &regs))
		return guest_fail(g, errno, "VMMON_GET_REGS: %s",
				  strerror(errno));
	if (vmmon_guest_read(g, regs.rdi, uc, sizeof(*uc))) {
		memset(uc, 0, sizeof(*uc));
		return guest_fail(g, EFAULT,
				  "ucall at guest address %#llx, which is not mapped",
				       (unsigned long long)regs.rdi);
	}
	uc->file[sizeof(uc->file) - 1] = 0;
	uc->text[sizeof(uc->text) - 1] = 0;
	if (uc->cmd < VMMON_UCALL_SYNC || uc->cmd > VMMON_UCALL_PRINT ||
	    uc->nargs > VMMON_UCALL_MAX_ARGS) {
		guest_fail(g, EINVAL, "ucall with command %u and %u args",
			   uc->cmd, uc->nargs);
		memset(uc, 0, sizeof(*uc));
		return -1;
	}
	return uc->cmd;
}

int vmmon_guest_ucall_reply(struct vmmon_guest *g, uint64_t value)
{
	struct vmmon_regs regs;

	if (ioctl(g->vcpu, VMMON_GET_REGS, &regs))
		return -1;
	regs.rax = value;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

const char *vmmon_ucall_describe(const struct vmmon_ucall *uc, char *buf,
				 size_t size)
{
	static const char *const names[] = {
		[VMMON_UCALL_NONE] = "NONE", [VMMON_UCALL_SYNC] = "SYNC",
		[VMMON_UCALL_DONE] = "DONE", [VMMON_UCALL_ABORT] = "ABORT",
		[VMMON_UCALL_PRINT] = "PRINT",
	};
	size_t n;
	uint32_t i;

	if (!size)
		return buf;
	n = snprintf(buf, size, "%s", uc->cmd <= VMMON_UCALL_PRINT ?
		     names[uc->cmd] : "?");
	if (uc->cmd == VMMON_UCALL_ABORT && n < size)
		n += snprintf(buf + n, size - n, " at %s:%u", uc->file,
			      uc->line);
	if (uc->text[0] && n < size)
		n += snprintf(buf + n, size - n, ": %s", uc->text);
	for (i = 0; i < uc->nargs && i < VMMON_UCALL_MAX_ARGS && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%#llx", i ? ", " : " (",
			      (unsigned long long)uc->args[i]);
	if (uc->nargs && n < size)
		snprintf(buf + n, size - n, ")");
	return buf;
}

/* One diagnostic line on why RUN returned, for a test that did not expect it. */
void vmmon_show_exit(const struct vmmon_run *run)
{
	switch (run->exit_reason) {
	case VMMON_EXIT_IO:
		ksft_print_msg("exit: I/O port %#x, size %u, %s, first byte %#x\n",
			       run->io.port, run->io.size,
			       run->io.direction == VMMON_IO_OUT ? "out" : "in",
			       ((const uint8_t *)run)[run->io.data_offset]);
		break;
	case VMMON_EXIT_FAIL_ENTRY:
		ksft_print_msg("exit: entry failed, reason %#x, qualification %#llx\n",
			       run->fail_entry.hw_reason,
			       (unsigned long long)run->fail_entry.qualification);
		break;
	case VMMON_EXIT_INTERNAL:
		ksft_print_msg("exit: internal error %u, data %#llx %#llx %#llx %#llx\n",
			       run->internal.suberror,
			       (unsigned long long)run->internal.data[0],
			       (unsigned long long)run->internal.data[1],
			       (unsigned long long)run->internal.data[2],
			       (unsigned long long)run->internal.data[3]);
		break;
	case VMMON_EXIT_MMIO:
		ksft_print_msg("exit: MMIO %s of %u bytes at %#llx\n",
			       run->mmio.is_write ? "write" : "read",
			       run->mmio.len,
			       (unsigned long long)run->mmio.phys_addr);
		break;
	case VMMON_EXIT_MSR:
		ksft_print_msg("exit: MSR %#x %s, data %#llx\n", run->msr.index,
			       run->msr.is_write ? "write" : "read",
			       (unsigned long long)run->msr.data);
		break;
	default:
		ksft_print_msg("exit %u\n", run->exit_reason);
	}
}
