// SPDX-License-Identifier: GPL-2.0
/*
 * Exits of 64-bit guests written in C (tests/lib/vmmon_guest.h runs
 * functions of this program in long mode, with paging): "hello" through
 * OUT and through REP OUTSB from a string the guest's page tables map
 * away from its guest-physical address, CPUID from the table, #GP for an
 * unknown MSR caught by the guest's own handler, MMIO loads and stores
 * of several sizes through a device page, and VMCALL.  And the host
 * state a guest must not reach or change (review kmod.md): the VMM's
 * hardware breakpoints, TSC_AUX and PKRU, CR4.MCE; vCPUs beyond the
 * last VPID.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"
#include "vmmon_ucall_test.h"
#include "vmmon_util.h"

#define COM1		0x3f8
#define DEVICE_GVA	0x40000000ULL
#define DEVICE_GPA	0xd0000000ULL

static const char *io_data(const struct vmmon_guest *g)
{
	return (const char *)g->run + g->run->io.data_offset;
}

static void guest_hello(void)
{
	const char *s = "hello";
	uint64_t n = 5;

	while (*s)
		guest_outb(COM1, *s++);
	s = "hello";
	asm volatile("cld; rep outsb" : "+S"(s), "+c"(n) : "d"(COM1) : "memory");
	GUEST_SYNC((uint64_t)s, n);
	GUEST_DONE();
}

VMMON_TEST(hello_out_and_rep_outsb)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	int i;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_hello, 0, 0));
	for (i = 0; i < 5; i++) {
		if (!run_to_exit(_metadata, &g, VMMON_EXIT_IO))
			break;
		EXPECT_EQ(g.run->io.port, COM1);
		EXPECT_EQ(g.run->io.count, 1u);
		EXPECT_EQ(io_data(&g)[0], "hello"[i]);
	}
	/* The string sits in this program's image, which the guest's page
	 * tables map at its address here, not at its guest-physical one. */
	if (run_to_exit(_metadata, &g, VMMON_EXIT_IO)) {
		EXPECT_EQ(g.run->io.port, COM1);
		EXPECT_EQ(g.run->io.size, 1);
		EXPECT_EQ(g.run->io.count, 5u);
		EXPECT_EQ(memcmp(io_data(&g), "hello", 5), 0);
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[1], 0u);	/* RCX counted down */
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

static void cpuid_of(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

static void guest_cpuid(void)
{
	uint32_t r[4];

	cpuid_of(0, 0, r);
	GUEST_SYNC(r[0], r[1], r[2], r[3]);
	cpuid_of(0xd, 1, r);
	GUEST_SYNC(r[0], r[1], r[2], r[3]);
	cpuid_of(0xd, 2, r);		/* not in the table */
	GUEST_SYNC(r[0], r[1], r[2], r[3]);
	GUEST_DONE();
}

VMMON_TEST(cpuid_exactly_the_table)
{
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[2];
	} t = { .hdr.nent = 2, .e = {
		{ .function = 0, .eax = 0xd, .ebx = 0x6d6d7600,
		  .ecx = 0x1, .edx = 0x2 },
		{ .function = 0xd, .index = 1, .flags = VMMON_CPUID_FLAG_INDEX,
		  .eax = 0xa, .ebx = 0xb, .ecx = 0xc, .edx = 0xd },
	} };
	const uint64_t want[3][4] = {
		{ 0xd, 0x6d6d7600, 1, 2 }, { 0xa, 0xb, 0xc, 0xd }, { 0 },
	};
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	int i, j;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_cpuid, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	for (i = 0; i < 3; i++) {
		if (!run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
			break;
		for (j = 0; j < 4; j++)
			EXPECT_EQ(uc.args[j], want[i][j]);
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

static volatile uint64_t gp_count;

/* #GP from RDMSR or WRMSR (2 bytes): count it and go on. */
static void guest_gp_handler(struct vmmon_guest_frame *frame)
{
	gp_count++;
	frame->rip += 2;
	frame->rax = 0x5a5a;
}

static void guest_msrs(void)
{
	uint32_t lo, hi;

	guest_install_handler(13, guest_gp_handler);
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x12345678));
	asm volatile("wrmsr" : : "a"(1), "d"(0), "c"(0x12345678));
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));	/* EFER */
	GUEST_SYNC(gp_count, lo);
	asm volatile("wrmsr" : : "a"(0xfff0), "d"(0), "c"(0xc0000102));
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000102));
	GUEST_SYNC(gp_count, lo);
	GUEST_DONE();
}

VMMON_TEST(unknown_msr_is_gp_in_guest)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_msrs, 0, 0));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 2u);		/* both #GP caught */
		EXPECT_EQ(uc.args[1] & 0x500, 0x500u);	/* EFER.LME, LMA */
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 2u);
		EXPECT_EQ(uc.args[1], 0xfff0u);		/* KERNEL_GS_BASE kept */
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

static void guest_mmio(void)
{
	volatile uint8_t *dev8 = (volatile uint8_t *)DEVICE_GVA;
	uint64_t q;
	uint32_t b;
	int16_t w;

	*(volatile uint32_t *)(dev8 + 0x10) = 0xcafef00d;
	q = *(volatile uint64_t *)(dev8 + 0x20);
	b = dev8[1];				/* MOVZX */
	w = *(volatile int16_t *)(dev8 + 0x30);	/* 16-bit load */
	*(volatile uint8_t *)(dev8 + 0x40) = 0x7f;	/* immediate store */
	GUEST_SYNC(q, b, (uint64_t)(int64_t)w);
	GUEST_DONE();
}

static bool expect_mmio(struct __test_metadata *_metadata,
			struct vmmon_guest *g, uint64_t addr, uint32_t len,
			int is_write)
{
	if (!run_to_exit(_metadata, g, VMMON_EXIT_MMIO))
		return false;
	EXPECT_EQ(g->run->mmio.phys_addr, addr);
	EXPECT_EQ(g->run->mmio.len, len);
	EXPECT_EQ(g->run->mmio.is_write, is_write);
	return true;
}

VMMON_TEST(mmio_from_long_mode)
{
	const uint64_t q = 0x1122334455667788ULL;
	const uint16_t w = 0x8001;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	uint32_t d;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_mmio, 0, 0));
	ASSERT_OK(vmmon_guest_map_device(&g, DEVICE_GVA, DEVICE_GPA));
	if (expect_mmio(_metadata, &g, DEVICE_GPA + 0x10, 4, 1)) {
		memcpy(&d, g.run->mmio.data, 4);
		EXPECT_EQ(d, 0xcafef00d);
	}
	if (expect_mmio(_metadata, &g, DEVICE_GPA + 0x20, 8, 0))
		memcpy(g.run->mmio.data, &q, 8);
	if (expect_mmio(_metadata, &g, DEVICE_GPA + 0x1, 1, 0))
		g.run->mmio.data[0] = 0x9a;
	if (expect_mmio(_metadata, &g, DEVICE_GPA + 0x30, 2, 0))
		memcpy(g.run->mmio.data, &w, 2);
	if (expect_mmio(_metadata, &g, DEVICE_GPA + 0x40, 1, 1))
		EXPECT_EQ(g.run->mmio.data[0], 0x7f);
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], q);
		EXPECT_EQ(uc.args[1], 0x9au);
		EXPECT_EQ(uc.args[2], (uint64_t)(int64_t)(int16_t)w);
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

static void guest_vmcall(uint64_t a, uint64_t b)
{
	uint64_t ret;

	asm volatile("vmcall" : "=a"(ret)
		     : "a"(42), "b"(a), "c"(b), "d"(3), "S"(4) : "memory");
	GUEST_SYNC(ret);
	GUEST_DONE();
}

VMMON_TEST(vmcall_from_long_mode)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_vmcall, 1, 2));
	if (run_to_exit(_metadata, &g, VMMON_EXIT_HYPERCALL)) {
		EXPECT_EQ(g.run->hypercall.nr, 42u);
		EXPECT_EQ(g.run->hypercall.args[0], 1u);
		EXPECT_EQ(g.run->hypercall.args[1], 2u);
		EXPECT_EQ(g.run->hypercall.args[2], 3u);
		EXPECT_EQ(g.run->hypercall.args[3], 4u);
		g.run->hypercall.ret = 0x600dcafe;
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], 0x600dcafeu);
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

#define MSR_MISC_ENABLE		0x1a0
#define MSR_UCODE_REV		0x8b
#define CPUID1_ECX_OSXSAVE	(1U << 27)
#define CPUID1_ECX_XSAVE	(1U << 26)	/* without it, CR4.OSXSAVE #GPs */
#define CR4_OSXSAVE		(1ULL << 18)
#define MSR_MTRRCAP		0xfe
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MTRR_DEF_ENABLED_WB	0xc06

static uint32_t guest_cpuid1_ecx(void)
{
	uint32_t a = 1, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return c;
}

/*
 * What Linux touches unchecked at boot: MISC_ENABLE (read, written back
 * unchanged) and UCODE_REV (written 0, read); and CPUID.1:ECX.OSXSAVE
 * following CR4.OSXSAVE both ways.
 */
static void guest_linux_msrs(void)
{
	uint32_t lo, hi, misc;
	uint64_t cr4;

	guest_install_handler(13, guest_gp_handler);
	asm volatile("rdmsr" : "=a"(misc), "=d"(hi) : "c"(MSR_MISC_ENABLE));
	asm volatile("wrmsr" : : "a"(misc), "d"(0), "c"(MSR_MISC_ENABLE));
	asm volatile("wrmsr" : : "a"(0), "d"(0), "c"(MSR_UCODE_REV));
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_UCODE_REV));
	GUEST_SYNC(gp_count, misc, hi);
	/* BTS unavailable (bit 11) is read-only. */
	asm volatile("wrmsr" : : "a"(misc ^ (1 << 11)), "d"(0), "c"(MSR_MISC_ENABLE));
	GUEST_SYNC(gp_count);
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	GUEST_SYNC(!!(cr4 & CR4_OSXSAVE), !!(guest_cpuid1_ecx() & CPUID1_ECX_OSXSAVE));
	cr4 ^= CR4_OSXSAVE;
	asm volatile("mov %0, %%cr4" : : "r"(cr4));
	GUEST_SYNC(!!(cr4 & CR4_OSXSAVE), !!(guest_cpuid1_ecx() & CPUID1_ECX_OSXSAVE));
	/* MTRRs: none but the default type, which takes only MTRR types. */
	guest_wrmsr(MSR_MTRR_DEF_TYPE, MTRR_DEF_ENABLED_WB);
	guest_wrmsr(MSR_MTRR_DEF_TYPE, MTRR_DEF_ENABLED_WB | 7);
	GUEST_SYNC(guest_rdmsr(MSR_MTRRCAP), guest_rdmsr(MSR_MTRR_DEF_TYPE),
		   gp_count);
	GUEST_DONE();
}

VMMON_TEST(linux_msrs_and_osxsave)
{
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[1];
	} t = { .hdr.nent = 1,
		.e = { { .function = 1, .ecx = 1 | CPUID1_ECX_XSAVE } } };
	struct vmmon_sregs sregs;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	int i;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_linux_msrs, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	gp_count = 0;
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 0u);		/* no #GP */
		EXPECT_EQ(uc.args[1] & 1, 1u);		/* fast strings */
		EXPECT_EQ(uc.args[2], 0u);		/* no microcode loaded */
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], 1u);		/* a change is refused */
	for (i = 0; i < 2; i++) {
		if (!run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
			break;
		EXPECT_EQ(uc.args[0], uc.args[1]);
		/* GET_SREGS sees the guest's own CR4 writes too. */
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
		EXPECT_EQ((uint64_t)!!(sregs.cr4 & CR4_OSXSAVE), uc.args[0]);
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 0u);
		EXPECT_EQ(uc.args[1], (uint64_t)MTRR_DEF_ENABLED_WB);
		EXPECT_EQ(uc.args[2], 2u);	/* UC- (7) refused */
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/* immediate_exit: RUN returns EINTR at once, the guest not entered. */
VMMON_TEST(immediate_exit_skips_entry)
{
	struct vmmon_regs before, after;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_hello, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &before));
	g.run->immediate_exit = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_RUN, 0), EINTR);
	EXPECT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_INTR);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &after));
	EXPECT_EQ(after.rip, before.rip);
	g.run->immediate_exit = 0;
	/* Now it runs, to its first OUT. */
	if (run_to_exit(_metadata, &g, VMMON_EXIT_IO))
		EXPECT_EQ(io_data(&g)[0], 'h');
	vmmon_guest_destroy(&g);
}

#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

/*
 * SWAPGS changes KERNEL_GS_BASE in the CPU without an exit: vmmon must
 * read it back there, not from its copy (Linux's first return to user
 * mode died of this).
 */
static void guest_swapgs(void)
{
	guest_wrmsr(MSR_KERNEL_GS_BASE, 0xaaaa000);
	guest_wrmsr(MSR_GS_BASE, 0xbbbb000);
	asm volatile("swapgs");
	GUEST_SYNC(guest_rdmsr(MSR_KERNEL_GS_BASE), guest_rdmsr(MSR_GS_BASE));
	asm volatile("swapgs");
	GUEST_SYNC(guest_rdmsr(MSR_KERNEL_GS_BASE), guest_rdmsr(MSR_GS_BASE));
	GUEST_DONE();
}

VMMON_TEST(swapgs_kept)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e = { { .index = MSR_KERNEL_GS_BASE } } };
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_swapgs, 0, 0));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 0xbbbb000u);
		EXPECT_EQ(uc.args[1], 0xaaaa000u);
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_MSRS, &m));
		EXPECT_EQ(m.e[0].data, 0xbbbb000u);
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 0xaaaa000u);
		EXPECT_EQ(uc.args[1], 0xbbbb000u);
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * The VMM's hardware breakpoints stay the host's (review kmod.md section
 * 3, DR7/DEBUGCTL): the guest runs with its own DR7, so its write of the
 * watched address (the guest runs this program's image at the same
 * addresses) raises no #DB in the guest and is no hit for the VMM, and
 * the breakpoint still fires in the VMM after RUN.
 */
static volatile uint64_t watched;

static void guest_write_watched(void)
{
	watched = 1;
	GUEST_DONE();
}

static uint64_t breakpoint_hits(int fd)
{
	uint64_t hits;

	return read(fd, &hits, sizeof(hits)) == sizeof(hits) ? hits : ~0ULL;
}

VMMON_TEST(host_breakpoints_stay_out_of_the_guest)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (uintptr_t)&watched,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	uint64_t hits;
	int fd;

	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		SKIP(return, "no hardware breakpoints: %s", strerror(errno));
	watched = 2;
	hits = breakpoint_hits(fd);
	if (hits != 1) {
		close(fd);
		SKIP(return, "this CPU's data breakpoints do not fire (%llu hits)",
		     (unsigned long long)hits);
	}
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_write_watched, 0, 0));
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	EXPECT_EQ(breakpoint_hits(fd), 1u);
	watched = 3;
	EXPECT_EQ(breakpoint_hits(fd), 2u);
	vmmon_guest_destroy(&g);
	close(fd);
}

#define MSR_TSC_AUX		0xc0000103
#define TSC_AUX_GUEST		0x5a5
#define CPUID_EXT1_EDX_RDTSCP	(1U << 27)	/* RDTSCP #UDs without it */
/* Linux's TSC_AUX: the node number above bit 12, the CPU below. */
#define TSC_AUX_CPU_MASK	0xfff

static uint32_t rdtscp_aux(void)
{
	uint32_t aux;

	asm volatile("rdtscp" : "=c"(aux) : : "eax", "edx");
	return aux;
}

static void guest_tsc_aux(void)
{
	GUEST_SYNC(rdtscp_aux(), guest_rdmsr(MSR_TSC_AUX));
	guest_wrmsr(MSR_TSC_AUX, TSC_AUX_GUEST);
	GUEST_SYNC(rdtscp_aux(), guest_rdmsr(MSR_TSC_AUX));
	GUEST_DONE();
}

/*
 * RDTSCP in the guest reads the guest's TSC_AUX (0 at reset, then what
 * it wrote), not the host CPU's number, and the VMM's getcpu() keeps
 * its own (review kmod.md section 3, TSC_AUX).  On CPU 1 where there is
 * one, so that the host's value is not 0 as the guest's is.
 */
VMMON_TEST(rdtscp_reads_the_guests_tsc_aux)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e = { { .index = MSR_TSC_AUX } } };
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[1];
	} t = { .hdr.nent = 1,
		.e = { { .function = 0x80000001, .edx = CPUID_EXT1_EDX_RDTSCP } } };
	int cpu = online_cpus() > 1 ? 1 : 0;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	cpu_set_t set;

	if (!cpuinfo_has_flag("rdtscp"))
		SKIP(return, "the CPU has no RDTSCP");
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_OK(sched_setaffinity(0, sizeof(set), &set));
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_tsc_aux, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], 0u);
		EXPECT_EQ(uc.args[1], 0u);
	}
	EXPECT_EQ(rdtscp_aux() & TSC_AUX_CPU_MASK, (uint32_t)cpu);
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], (uint64_t)TSC_AUX_GUEST);
		EXPECT_EQ(uc.args[1], (uint64_t)TSC_AUX_GUEST);
	}
	EXPECT_EQ(rdtscp_aux() & TSC_AUX_CPU_MASK, (uint32_t)cpu);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_MSRS, &m));
	EXPECT_EQ(m.e[0].data, (uint64_t)TSC_AUX_GUEST);
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
	CPU_ZERO(&set);
	for (cpu = 0; cpu < online_cpus(); cpu++)
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

#define CR4_PKE			(1ULL << 22)
#define CPUID7_ECX_PKU		(1U << 3)	/* CR4.PKE #GPs without it */
/* Access and write disabled for key 1: the guest's pages have key 0. */
#define PKRU_GUEST		0xc

static uint32_t rdpkru(void)
{
	uint32_t pkru;

	asm volatile("rdpkru" : "=a"(pkru) : "c"(0) : "edx");
	return pkru;
}

static void guest_pkru(void)
{
	uint64_t cr4;

	GUEST_SYNC(0);
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PKE));
	asm volatile("wrpkru" : : "a"(PKRU_GUEST), "c"(0), "d"(0));
	GUEST_SYNC(rdpkru());
	GUEST_DONE();
}

/*
 * The guest's PKRU never reaches the VMM (review kmod.md F7): neither
 * its reset value 0 (all keys open) nor one it wrote, and the VMM's
 * own protection keys hold after RUN.  Needs a CPU with protection keys
 * (Bochs' Haswell has none: check-host).
 */
VMMON_TEST(pkru_stays_the_vmms)
{
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[1];
	} t = { .hdr.nent = 1,
		.e = { { .function = 7, .ecx = CPUID7_ECX_PKU } } };
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	uint32_t before;
	int fds[2];
	char c = 0;
	int pkey;

	if (!cpuinfo_has_flag("ospke"))
		SKIP(return, "no protection keys in this CPU (check-host on one with PKU)");
	pkey = pkey_alloc(0, PKEY_DISABLE_WRITE);
	ASSERT_GE(pkey, 1);
	before = rdpkru();
	ASSERT_NE(before, 0u);
	ASSERT_OK(pipe(fds));
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_pkru, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(rdpkru(), before);
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], (uint64_t)PKRU_GUEST);
		EXPECT_EQ(rdpkru(), before);
	}
	ASSERT_EQ(write(fds[1], "x", 1), 1);
	EXPECT_EQ(read(fds[0], &c, 1), 1);
	EXPECT_EQ(c, 'x');
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	EXPECT_EQ(rdpkru(), before);
	vmmon_guest_destroy(&g);
	close(fds[0]);
	close(fds[1]);
	pkey_free(pkey);
}

#define MAX_VPID_PARAM	"/sys/module/vmmon/parameters/max_vpid"
#define NR_VPID_GUESTS	3

/*
 * When no VPID is left a vCPU still runs, without one (review kmod.md
 * F13), and the log says so; max_vpid takes only VPIDs the CPU has.
 * With max_vpid 2 at most two of three new vCPUs get one.
 */
VMMON_TEST(vcpus_beyond_max_vpid_run)
{
	struct vmmon_guest g[NR_VPID_GUESTS];
	long old = read_long_file(MAX_VPID_PARAM);
	char text[24];
	int i, mark;

	ASSERT_GE(old, 1);
	EXPECT_NE(write_file(MAX_VPID_PARAM, "0"), 0);
	EXPECT_NE(write_file(MAX_VPID_PARAM, "65536"), 0);
	EXPECT_EQ(read_long_file(MAX_VPID_PARAM), old);
	mark = log_mark();
	ASSERT_OK(write_file(MAX_VPID_PARAM, "2"));
	for (i = 0; i < NR_VPID_GUESTS; i++)
		ASSERT_OK(vmmon_guest_create_long(&g[i], dev, 0, guest_hello,
						  0, 0));
	snprintf(text, sizeof(text), "%ld", old);
	ASSERT_OK(write_file(MAX_VPID_PARAM, text));
	EXPECT_TRUE(log_since(mark, "no VPID left"));
	for (i = 0; i < NR_VPID_GUESTS; i++) {
		if (run_to_exit(_metadata, &g[i], VMMON_EXIT_IO))
			EXPECT_EQ(io_data(&g[i])[0], 'h');
		if (run_to_exit(_metadata, &g[i], VMMON_EXIT_IO))
			EXPECT_EQ(io_data(&g[i])[0], 'e');
	}
	for (i = 0; i < NR_VPID_GUESTS; i++)
		vmmon_guest_destroy(&g[i]);
}

#define CR4_MCE			(1ULL << 6)
#define CR4_PGE			(1ULL << 7)

static uint64_t guest_read_cr4(void)
{
	uint64_t cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	return cr4;
}

static void guest_write_cr4(uint64_t cr4)
{
	asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

static void guest_cr4_mce(void)
{
	uint64_t cr4 = guest_read_cr4();

	GUEST_SYNC(cr4);
	guest_write_cr4(cr4 ^ CR4_MCE);
	GUEST_SYNC(guest_read_cr4());
	guest_write_cr4(guest_read_cr4() ^ CR4_PGE);
	GUEST_SYNC(guest_read_cr4());
	guest_write_cr4(cr4);
	GUEST_DONE();
}

static uint64_t cr_exits(const struct vmmon_guest *g)
{
	struct vmmon_vcpu_stats st;

	if (ioctl(g->vcpu, VMMON_GET_VCPU_STATS, &st))
		return ~0ULL;
	return st.exits.count[VMMON_STAT_EXIT_CR];
}

/*
 * CR4.MCE stays the host's in the CPU (review kmod.md F5): the guest's
 * change of it exits and is kept in the read shadow, where the guest
 * and GET_SREGS see it; a change of a bit the guest owns (PGE) does not
 * exit.  That a machine check in the guest reaches the host's handler
 * needs error injection on real hardware (EINJ): check-host, by hand.
 */
VMMON_TEST(cr4_mce_is_the_hosts)
{
	struct vmmon_sregs sregs;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	uint64_t cr4 = 0, crs = 0;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_cr4_mce, 0, 0));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		cr4 = uc.args[0];
		crs = cr_exits(&g);
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], cr4 ^ CR4_MCE);
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
		EXPECT_EQ(sregs.cr4, cr4 ^ CR4_MCE);
		EXPECT_EQ(cr_exits(&g), crs + 1);
		crs = cr_exits(&g);
	}
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], cr4 ^ CR4_MCE ^ CR4_PGE);
		EXPECT_EQ(cr_exits(&g), crs);
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

VMMON_TEST_MAIN
