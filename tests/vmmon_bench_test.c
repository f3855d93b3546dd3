// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks, not pass/fail timings: each prints emulated TSC cycles per
 * event as a "# bench:" line, and fails only when the guest does not do
 * what the measurement assumes.
 *   port I/O round trip: an OUT exit handled in userspace, 10,000 times,
 *   with the mitigations the kernel asks for and without the L1D flush;
 *   RUN without entry: the system call and vmmon's checks alone;
 *   EPT fault-in: an exit handled in the kernel (a first touch of a guest
 *   page: allocate, zero, map), 128 times;
 *   CPUID: an exit answered in the kernel from the vCPU's table, without
 *   leaving the VMCS loaded section (VMRESUME), 10,000 times;
 *   x2APIC EOI: a WRMSR to 0x80b answered in userspace, 10,000 times,
 *   then taken in the kernel against ISR in the run page, 240 times;
 *   xAPIC IPI: what sending one costs the sender, as Linux sends (poll
 *   the ICR's delivery status, write its high half, then its low half),
 *   every access answered here (three exits), then with the ICR in the
 *   run page (VMMON_APIC_ICR_IN_KERNEL: the low half's write alone
 *   exits), IPI_ROUNDS times each;
 *   x2APIC IPI: a WRMSR to the ICR sending a fixed IPI to a second vCPU
 *   that spins, answered in userspace, then taken in vmmon
 *   (VMMON_APIC_IPI_IN_KERNEL: the vector into vCPU 1's IRR and a kick
 *   that ends its RUN), X2IPI_ROUNDS times each;
 *   x2APIC IPI to a halted vCPU: the same WRMSR, paced so that vCPU 1 is
 *   halted when it comes, answered here as vmctl does (IRR set, the
 *   halted thread woken from its condition variable), then with vCPU 1's
 *   HLT waiting in vmmon (VMMON_APIC_HLT_IN_KERNEL), HALT_ROUNDS each;
 *   discard: 64 MiB of resident guest pages given back in one
 *   VMMON_DISCARD_MEMORY (the balloon's path), with the function-call
 *   IPIs all CPUs took meanwhile;
 *   against kvm_intel: the CPUID and OUT loops under vmmon, then the same
 *   code under KVM (loaded from the image's modules) in this boot, with
 *   the same mitigations, in emulated ns and as a ratio.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"
#include "vmmon_util.h"

#define GUEST_RAM	(1024 * 1024)
#define IO_ROUNDS	10000
#define FAULT_PAGES	128

/*
 * A figure: a "# bench: ..." line on stdout, flushed at once, since the
 * harness ends each test's process with _exit(), which drops what stdio
 * still holds (stdout is a pipe under make check-host).
 */
#define BENCH(fmt, ...) do {						\
	ksft_print_msg(fmt "\n", ##__VA_ARGS__);			\
	fflush(stdout);							\
} while (0)

/*
 * The loops of 10,000 exits: as long as tests/suite.sh gives the whole
 * suite, since the emulated PC runs them about 100 times slower than
 * real hardware and nothing measured them against the harness's bound.
 */
#define LOOP_TIMEOUT	300

/* l: out 0x80,al; jmp l */
static const uint8_t io_loop[] = { 0xe6, 0x80, 0xeb, 0xfc };

/* IO_ROUNDS exits to userspace: TSC cycles per round trip, 0 on a bad exit. */
static uint64_t io_round_trip(struct vmmon_guest *g)
{
	uint64_t t0, t1;
	int i;

	t0 = __rdtsc();
	for (i = 0; i < IO_ROUNDS; i++) {
		if (vmmon_guest_run(g) ||
		    g->run->exit_reason != VMMON_EXIT_IO || g->run->io.port != 0x80)
			return 0;
	}
	t1 = __rdtsc();
	return (t1 - t0) / IO_ROUNDS;
}

#define L1D_PARAM	"/sys/module/vmmon/parameters/l1d_flush"

/*
 * As loaded (the mitigations the kernel asks for), then without the L1D
 * flush, which is the one that costs most where it applies (a software
 * flush: 64 KiB read before every entry that follows the VMM).
 */
VMMON_TEST_TIMEOUT(bench_port_io_round_trip, LOOP_TIMEOUT)
{
	char mode[16] = "", active[256] = "";
	uint64_t as_loaded, no_flush;
	struct vmmon_guest g;
	FILE *f;

	f = fopen(L1D_PARAM, "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(mode, sizeof(mode), f));
	fclose(f);
	mode[strcspn(mode, "\n")] = '\0';
	f = fopen(VMMON_SYSFS "mitigations/active", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(active, sizeof(active), f));
	fclose(f);
	active[strcspn(active, "\n")] = '\0';
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, io_loop, sizeof(io_loop)));
	/* The first exits fault the code page in: not part of the figure. */
	ASSERT_OK(vmmon_guest_run(&g));
	as_loaded = io_round_trip(&g);
	ASSERT_OK(write_file(L1D_PARAM, "never"));
	no_flush = io_round_trip(&g);
	ASSERT_OK(write_file(L1D_PARAM, mode));
	EXPECT_NE(as_loaded, 0u);
	EXPECT_NE(no_flush, 0u);
	BENCH("bench: port I/O round trip (OUT to userspace and back): %llu TSC cycles, over %d exits (mitigations: %s)",
	      (unsigned long long)as_loaded, IO_ROUNDS, active);
	BENCH("bench: port I/O round trip with l1d_flush=never: %llu TSC cycles (the flush: %lld)",
	      (unsigned long long)no_flush,
	      (long long)as_loaded - (long long)no_flush);
	vmmon_guest_destroy(&g);
}

/*
 * The part of the round trip that is not the guest's: RUN with
 * immediate_exit set comes back at once (EINTR) without entering, after
 * the system call, the vCPU's lock and the checks before an entry.
 */
VMMON_TEST_TIMEOUT(bench_run_without_entry, LOOP_TIMEOUT)
{
	struct vmmon_version version;
	struct vmmon_guest g;
	uint64_t t0, t1;
	int i, bad = 0;

	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, io_loop, sizeof(io_loop)));
	g.run->immediate_exit = 1;
	t0 = __rdtsc();
	for (i = 0; i < IO_ROUNDS; i++)
		if (ioctl(g.vcpu, VMMON_RUN, 0) != -1 || errno != EINTR)
			bad++;
	t1 = __rdtsc();
	EXPECT_EQ(bad, 0);
	BENCH("bench: RUN that enters no guest (immediate_exit): %llu TSC cycles, over %d calls",
	      (unsigned long long)(t1 - t0) / IO_ROUNDS, IO_ROUNDS);
	/* For scale: the cheapest ioctl of /dev/vmmon. */
	t0 = __rdtsc();
	for (i = 0; i < IO_ROUNDS; i++)
		if (ioctl(dev, VMMON_GET_API_VERSION, &version))
			bad++;
	t1 = __rdtsc();
	EXPECT_EQ(bad, 0);
	BENCH("bench: GET_API_VERSION ioctl: %llu TSC cycles",
	      (unsigned long long)(t1 - t0) / IO_ROUNDS);
	vmmon_guest_destroy(&g);
}

/*
 * mov cx,128; mov ax,0x2000; l: mov es,ax; mov byte [es:0],1;
 * add ax,0x100; loop l; hlt -- one first touch per 4 KiB page.
 */
static const uint8_t touch_loop[] = {
	0xb9, FAULT_PAGES, 0x00, 0xb8, 0x00, 0x20, 0x8e, 0xc0,
	0x26, 0xc6, 0x06, 0x00, 0x00, 0x01, 0x05, 0x00, 0x01,
	0xe2, 0xf3, 0xf4,
};

/*
 * A guest of @code that runs to HLT in one RUN (its exits all handled in
 * the kernel): the TSC cycles that RUN took, or 0 when it did not halt.
 */
static uint64_t cycles_to_hlt(struct vmmon_guest *g, const uint8_t *code,
			      size_t len)
{
	uint64_t t0, t1;

	if (vmmon_guest_create(g, dev, GUEST_RAM, code, len))
		return 0;
	t0 = __rdtsc();
	if (vmmon_guest_run(g) || g->run->exit_reason != VMMON_EXIT_HLT)
		return 0;
	t1 = __rdtsc();
	return t1 - t0;
}

VMMON_TEST(bench_ept_fault_in)
{
	struct vmmon_vm_stats st;
	struct vmmon_guest g;
	uint64_t cycles = cycles_to_hlt(&g, touch_loop, sizeof(touch_loop));

	ASSERT_TRUE(cycles != 0);
	ASSERT_OK(ioctl(g.vm, VMMON_GET_VM_STATS, &st));
	EXPECT_EQ(st.pages_resident, 1ULL + FAULT_PAGES);
	BENCH("bench: EPT fault-in of a guest page (in the kernel): %llu TSC cycles, over %d pages",
	      (unsigned long long)cycles / FAULT_PAGES, FAULT_PAGES);
	vmmon_guest_destroy(&g);
}

#define CPUID_ROUNDS	10000

/* mov edi,CPUID_ROUNDS; l: xor eax,eax; cpuid; dec edi; jnz l; hlt */
static const uint8_t cpuid_loop[] = {
	0x66, 0xbf, CPUID_ROUNDS & 0xff, CPUID_ROUNDS >> 8, 0, 0,
	0x66, 0x31, 0xc0, 0x0f, 0xa2, 0x66, 0x4f, 0x75, 0xf7, 0xf4,
};

VMMON_TEST_TIMEOUT(bench_cpuid_in_kernel, LOOP_TIMEOUT)
{
	struct vmmon_vcpu_stats st;
	struct vmmon_guest g;
	uint64_t cycles = cycles_to_hlt(&g, cpuid_loop, sizeof(cpuid_loop));

	ASSERT_TRUE(cycles != 0);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st));
	EXPECT_EQ(st.exits.count[VMMON_STAT_EXIT_CPUID], (__u64)CPUID_ROUNDS);
	BENCH("bench: CPUID exit handled in the kernel: %llu TSC cycles, over %d exits (%llu exits in all)",
	      (unsigned long long)cycles / CPUID_ROUNDS, CPUID_ROUNDS,
	      (unsigned long long)st.exits.total);
	vmmon_guest_destroy(&g);
}

#define DISCARD_RAM	(64UL << 20)

VMMON_TEST_TIMEOUT(bench_discard_64mib, LOOP_TIMEOUT)
{
	struct vmmon_memory_region region = { .size = DISCARD_RAM };
	struct vmmon_memory_range all = { .size = DISCARD_RAM };
	struct timespec t0, t1;
	long ipis, pages = DISCARD_RAM >> 12;
	uint64_t c0, c1;
	double ns;
	uint8_t *ram;
	int vm;

	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	ASSERT_OK(ioctl(vm, VMMON_SET_MEMORY_REGION, &region));
	ram = mmap(NULL, DISCARD_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, vm, 0);
	ASSERT_NE(MAP_FAILED, ram);
	memset(ram, 1, DISCARD_RAM);		/* every page resident */
	ipis = cpu_interrupts("CAL", -1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = __rdtsc();
	ASSERT_OK(ioctl(vm, VMMON_DISCARD_MEMORY, &all));
	c1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ipis = cpu_interrupts("CAL", -1) - ipis;
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	BENCH("bench: discard of 64 MiB (%ld resident pages): %llu TSC cycles, %llu per page, %.0f pages per emulated second, %ld function-call IPIs",
	      pages, (unsigned long long)(c1 - c0),
	      (unsigned long long)((c1 - c0) / pages), pages / (ns / 1e9), ipis);
	EXPECT_EQ(0, vmmon_counter("guest_pages"));
	munmap(ram, DISCARD_RAM);
	close(vm);
}

/*
 * The same two loops under vmmon and under kvm_intel, in this boot: a
 * real-mode guest at VMMON_GUEST_CODE in 1 MiB of RAM, one vCPU.  Only
 * one hypervisor holds VT-x at a time (each takes it while it has a VM).
 */
#define VS_ROUNDS	2000

/* mov edi,VS_ROUNDS; l: xor eax,eax; cpuid; dec edi; jnz l; hlt */
static const uint8_t cpuid_loop_vs[] = {
	0x66, 0xbf, VS_ROUNDS & 0xff, VS_ROUNDS >> 8, 0, 0,
	0x66, 0x31, 0xc0, 0x0f, 0xa2, 0x66, 0x4f, 0x75, 0xf7, 0xf4,
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* vmmon: emulated ns per CPUID and per OUT round trip; 0 on failure. */
static int vmmon_loops(double *cpuid_ns, double *out_ns)
{
	struct vmmon_guest g;
	double t0;
	int i;

	if (vmmon_guest_create(&g, dev, GUEST_RAM, cpuid_loop_vs,
			       sizeof(cpuid_loop_vs)))
		return -1;
	t0 = now_ns();
	if (vmmon_guest_run(&g) || g.run->exit_reason != VMMON_EXIT_HLT) {
		vmmon_guest_destroy(&g);
		return -1;
	}
	*cpuid_ns = (now_ns() - t0) / VS_ROUNDS;
	vmmon_guest_destroy(&g);

	if (vmmon_guest_create(&g, dev, GUEST_RAM, io_loop, sizeof(io_loop)))
		return -1;
	vmmon_guest_run(&g);	/* faults the code page in */
	t0 = now_ns();
	for (i = 0; i < VS_ROUNDS; i++)
		if (vmmon_guest_run(&g) || g.run->exit_reason != VMMON_EXIT_IO)
			break;
	*out_ns = (now_ns() - t0) / VS_ROUNDS;
	vmmon_guest_destroy(&g);
	return i == VS_ROUNDS ? 0 : -1;
}

/* A KVM VM with @code at VMMON_GUEST_CODE, real mode, one vCPU. */
struct kvm_guest {
	int vm, vcpu;
	void *ram;
	struct kvm_run *run;
	size_t run_size;
};

static void kvm_guest_destroy(struct kvm_guest *k)
{
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->ram)
		munmap(k->ram, GUEST_RAM);
	if (k->vcpu >= 0)
		close(k->vcpu);
	if (k->vm >= 0)
		close(k->vm);
}

static int kvm_guest_create(struct kvm_guest *k, int kvm,
			    const uint8_t *code, size_t len)
{
	struct kvm_userspace_memory_region region = {
		.memory_size = GUEST_RAM,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = VMMON_GUEST_CODE, .rflags = 2,
	};
	int size;

	*k = (struct kvm_guest){ .vm = -1, .vcpu = -1 };
	k->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	k->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k->vm < 0 || k->ram == MAP_FAILED) {
		k->ram = NULL;
		goto fail;
	}
	memcpy((uint8_t *)k->ram + VMMON_GUEST_CODE, code, len);
	region.userspace_addr = (uintptr_t)k->ram;
	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &region) ||
	    k->vcpu < 0 || size <= 0)
		goto fail;
	k->run_size = size;
	k->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      k->vcpu, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		goto fail;
	}
	if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs))
		goto fail;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(k->vcpu, KVM_SET_SREGS, &sregs) ||
	    ioctl(k->vcpu, KVM_SET_REGS, &regs))
		goto fail;
	return 0;
fail:
	kvm_guest_destroy(k);
	return -1;
}

/* kvm_intel: the same figures as vmmon_loops(). */
static int kvm_loops(int kvm, double *cpuid_ns, double *out_ns)
{
	struct kvm_guest k;
	double t0;
	int i;

	if (kvm_guest_create(&k, kvm, cpuid_loop_vs, sizeof(cpuid_loop_vs)))
		return -1;
	t0 = now_ns();
	if (ioctl(k.vcpu, KVM_RUN, 0) || k.run->exit_reason != KVM_EXIT_HLT) {
		kvm_guest_destroy(&k);
		return -1;
	}
	*cpuid_ns = (now_ns() - t0) / VS_ROUNDS;
	kvm_guest_destroy(&k);

	if (kvm_guest_create(&k, kvm, io_loop, sizeof(io_loop)))
		return -1;
	ioctl(k.vcpu, KVM_RUN, 0);	/* faults the code page in */
	t0 = now_ns();
	for (i = 0; i < VS_ROUNDS; i++)
		if (ioctl(k.vcpu, KVM_RUN, 0) || k.run->exit_reason != KVM_EXIT_IO)
			break;
	*out_ns = (now_ns() - t0) / VS_ROUNDS;
	kvm_guest_destroy(&k);
	return i == VS_ROUNDS ? 0 : -1;
}

#define EOI_ROUNDS	10000
#define EOI_ROUNDS_AT	18	/* where eoi_loop[] holds its count */
#define EOI_FIRST_VEC	16	/* vectors 0-15 never reach ISR */
#define EOI_VECTORS	(256 - EOI_FIRST_VEC)

/*
 * mov ecx,0x1b; rdmsr; or eax,0x400; wrmsr (x2APIC mode: a notice);
 * mov edi,N; l: mov ecx,0x80b; xor eax,eax; xor edx,edx; wrmsr (EOI);
 * dec edi; jnz l; hlt
 */
static const uint8_t eoi_loop[] = {
	0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, 0x0f, 0x32,
	0x66, 0x0d, 0x00, 0x04, 0x00, 0x00, 0x0f, 0x30,
	0x66, 0xbf, 0, 0, 0, 0,
	0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00, 0x66, 0x31, 0xc0,
	0x66, 0x31, 0xd2, 0x0f, 0x30, 0x66, 0x4f, 0x75, 0xee, 0xf4,
};

/*
 * A real-mode loop whose count is the 16-bit value at @rounds_at in its
 * code, and a CPUID leaf 1 with the LAPIC (EDX bit 9) and @ecx.
 */
static int loop_guest(struct vmmon_guest *g, const uint8_t *loop, size_t len,
		      size_t rounds_at, uint16_t rounds, uint32_t ecx)
{
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[1];
	} cpuid = {
		.hdr.nent = 1,
		.e = { { .function = 1, .edx = 1U << 9, .ecx = ecx } },
	};
	uint8_t code[64];

	if (len > sizeof(code))
		return -1;
	memcpy(code, loop, len);
	code[rounds_at] = rounds & 0xff;
	code[rounds_at + 1] = rounds >> 8;
	if (vmmon_guest_create(g, dev, GUEST_RAM, code, len))
		return -1;
	if (ioctl(g->vcpu, VMMON_SET_CPUID, &cpuid)) {
		vmmon_guest_destroy(g);
		return -1;
	}
	return 0;
}

/* eoi_loop with @rounds EOIs (x2APIC), up to its notice of x2APIC mode. */
static int eoi_guest(struct vmmon_guest *g, uint16_t rounds)
{
	if (loop_guest(g, eoi_loop, sizeof(eoi_loop), EOI_ROUNDS_AT, rounds,
		       1U << 21))
		return -1;
	if (vmmon_guest_run(g) || g->run->exit_reason != VMMON_EXIT_MSR) {
		vmmon_guest_destroy(g);
		return -1;
	}
	return 0;
}

/*
 * An x2APIC EOI as vmctl's LAPIC model had it, an exit to userspace
 * each (EOI_ROUNDS), and as vmmon takes it with the model's ISR in the
 * run page (VMMON_APIC_EOI_IN_KERNEL): ISR holds every vector, so that
 * each EOI clears one and scans IRR, as a guest's does.
 */
VMMON_TEST_TIMEOUT(bench_x2apic_eoi, LOOP_TIMEOUT)
{
	uint64_t c0, user_cycles, kernel_cycles;
	double t0, user_ns, kernel_ns;
	struct vmmon_guest g;
	unsigned int i;

	ASSERT_OK(eoi_guest(&g, EOI_ROUNDS));
	c0 = __rdtsc();
	t0 = now_ns();
	for (i = 0; i < EOI_ROUNDS; i++)
		if (vmmon_guest_run(&g) ||
		    g.run->exit_reason != VMMON_EXIT_MSR ||
		    g.run->msr.index != 0x80b)
			break;
	user_ns = (now_ns() - t0) / EOI_ROUNDS;
	user_cycles = (__rdtsc() - c0) / EOI_ROUNDS;
	ASSERT_EQ(i, (unsigned int)EOI_ROUNDS);
	vmmon_guest_destroy(&g);

	ASSERT_OK(eoi_guest(&g, EOI_VECTORS));
	g.run->apic.flags = VMMON_APIC_EOI_IN_KERNEL;
	memset(g.run->apic.isr, 0xff, sizeof(g.run->apic.isr));
	g.run->apic.isr[0] &= ~0xffffU;		/* vectors 0-15 */
	c0 = __rdtsc();
	t0 = now_ns();
	ASSERT_OK(vmmon_guest_run(&g));
	kernel_ns = (now_ns() - t0) / EOI_VECTORS;
	kernel_cycles = (__rdtsc() - c0) / EOI_VECTORS;
	ASSERT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_HLT);
	for (i = 0; i < VMMON_APIC_VEC_WORDS; i++)
		EXPECT_EQ(g.run->apic.isr[i], 0u);
	BENCH("bench: x2APIC EOI: to userspace and back %llu TSC cycles (%.0f ns), taken in vmmon %llu TSC cycles (%.0f ns), over %d and %d EOIs",
	      (unsigned long long)user_cycles, user_ns,
	      (unsigned long long)kernel_cycles, kernel_ns, EOI_ROUNDS,
	      EOI_VECTORS);
	vmmon_guest_destroy(&g);
}

#define TIMER_ROUNDS		10000
#define TIMER_ROUNDS_AT		2	/* where deadline_loop[] holds its count */
#define MSR_TSC			0x10
#define FAR_DEADLINE		0x7fffffff00000000ULL

/*
 * mov edi,N; l: mov ecx,0x6e0; xor eax,eax; mov edx,0x7fffffff; wrmsr
 * (IA32_TSC_DEADLINE, far ahead: it never fires); dec edi; jnz l; hlt
 */
static const uint8_t deadline_loop[] = {
	0x66, 0xbf, 0, 0, 0, 0,
	0x66, 0xb9, 0xe0, 0x06, 0x00, 0x00, 0x66, 0x31, 0xc0,
	0x66, 0xba, 0xff, 0xff, 0xff, 0x7f, 0x0f, 0x30,
	0x66, 0x4f, 0x75, 0xeb, 0xf4,
};

static int deadline_guest(struct vmmon_guest *g)
{
	return loop_guest(g, deadline_loop, sizeof(deadline_loop),
			  TIMER_ROUNDS_AT, TIMER_ROUNDS, 1U << 24);
}

/*
 * A write of the TSC deadline, as a tickless guest makes at each timer
 * event: answered in userspace as vmctl did (an exit, then its read of
 * the guest's TSC to time the deadline), and taken in vmmon against the
 * run page (VMMON_APIC_TIMER_IN_KERNEL).
 */
VMMON_TEST_TIMEOUT(bench_tsc_deadline_write, LOOP_TIMEOUT)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[1];
	} tsc = { .hdr.nmsrs = 1, .e[0].index = MSR_TSC };
	uint64_t c0, user_cycles, kernel_cycles;
	double t0, user_ns, kernel_ns;
	struct vmmon_guest g;
	unsigned int i;

	ASSERT_OK(deadline_guest(&g));
	c0 = __rdtsc();
	t0 = now_ns();
	for (i = 0; i < TIMER_ROUNDS; i++)
		if (vmmon_guest_run(&g) ||
		    g.run->exit_reason != VMMON_EXIT_MSR ||
		    g.run->msr.index != 0x6e0 ||
		    ioctl(g.vcpu, VMMON_GET_MSRS, &tsc))
			break;
	user_ns = (now_ns() - t0) / TIMER_ROUNDS;
	user_cycles = (__rdtsc() - c0) / TIMER_ROUNDS;
	ASSERT_EQ(i, (unsigned int)TIMER_ROUNDS);
	vmmon_guest_destroy(&g);

	ASSERT_OK(deadline_guest(&g));
	g.run->apic.flags = VMMON_APIC_TIMER_IN_KERNEL;
	c0 = __rdtsc();
	t0 = now_ns();
	ASSERT_OK(vmmon_guest_run(&g));
	kernel_ns = (now_ns() - t0) / TIMER_ROUNDS;
	kernel_cycles = (__rdtsc() - c0) / TIMER_ROUNDS;
	ASSERT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_HLT);
	EXPECT_EQ(g.run->apic.tsc_deadline, FAR_DEADLINE);
	BENCH("bench: TSC deadline write: to userspace and back with the guest's TSC read %llu TSC cycles (%.0f ns), taken in vmmon %llu TSC cycles (%.0f ns), over %d writes each",
	      (unsigned long long)user_cycles, user_ns,
	      (unsigned long long)kernel_cycles, kernel_ns, TIMER_ROUNDS);
	vmmon_guest_destroy(&g);
}

/*
 * vCPU 1: RUN again after each kick, until told to stop; @kicks counts
 * the RUNs that returned with a vector in IRR (not the stop's, nor
 * those ended for the kernel's own return-to-user work).
 */
struct x2ipi_target {
	int vcpu;
	struct vmmon_run *run;
	unsigned int kicks;
	int stop, failed;	/* __atomic */
};

/*
 * Each vCPU on a CPU of its own where there are two, so that a kick is
 * the IPI to a running guest it is meant for, not a look at a flag
 * when the scheduler lets the other thread in.
 */
static void x2ipi_pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *x2ipi_target_loop(void *arg)
{
	struct x2ipi_target *t = arg;
	unsigned int i;

	x2ipi_pin(1);

	while (!__atomic_load_n(&t->stop, __ATOMIC_SEQ_CST)) {
		if (!ioctl(t->vcpu, VMMON_RUN, 0) || errno != EINTR) {
			__atomic_store_n(&t->failed, 1, __ATOMIC_SEQ_CST);
			break;
		}
		for (i = 0; i < VMMON_APIC_VEC_WORDS; i++)
			if (t->run->apic.irr[i])
				break;
		t->kicks += i < VMMON_APIC_VEC_WORDS;
		memset(t->run->apic.irr, 0, sizeof(t->run->apic.irr));
	}
	return NULL;
}

static void x2ipi_no_op(int sig)
{
	(void)sig;
}

static void x2ipi_target_stop(struct x2ipi_target *t, pthread_t thread)
{
	__atomic_store_n(&t->stop, 1, __ATOMIC_SEQ_CST);
	t->run->immediate_exit = 1;
	pthread_kill(thread, SIGUSR1);
	pthread_join(thread, NULL);
}

#define IPI_ROUNDS		2000
#define APIC_PAGE_GVA		0x50000000ULL
#define APIC_PAGE_GPA		0xfee00000ULL
#define XAPIC_ICR_LOW		0x300
#define XAPIC_ICR_HIGH		0x310
#define XAPIC_ICR_BUSY		0x1000u		/* delivery status */
#define IPI_ICR_HIGH		0x01000000u	/* APIC ID 1 */
#define IPI_ICR_LOW		0x000040f2u	/* fixed, assert, 0xf2 */

#define IPI_PASSES		3
#define IPI_TARGET_STACK	0x100000	/* below vCPU 0's stack */

/* IPI_ROUNDS IPIs as Linux's xAPIC driver sends them, IPI_PASSES times. */
static void guest_xapic_ipis(void)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_PAGE_GVA;
	unsigned int pass, i;

	for (pass = 0; pass < IPI_PASSES; pass++) {
		GUEST_SYNC(pass);
		for (i = 0; i < IPI_ROUNDS; i++) {
			while (apic[XAPIC_ICR_LOW / 4] & XAPIC_ICR_BUSY)
				;
			apic[XAPIC_ICR_HIGH / 4] = IPI_ICR_HIGH;
			apic[XAPIC_ICR_LOW / 4] = IPI_ICR_LOW;
		}
	}
}

static uint8_t ipi_target_mark;

/* vCPU 1, the IPIs' target: marks, spins, IF set; no return address. */
static void __attribute__((noreturn)) guest_ipi_target(void)
{
	for (;;) {
		*(volatile uint8_t *)&ipi_target_mark = 1;
		asm volatile("pause");
	}
}

/* Whether vCPU 1's guest runs (its mark at @mark) within 5 s. */
static bool ipi_target_runs(volatile uint8_t *mark)
{
	struct timespec nap = { .tv_nsec = 1000000 };
	int i;

	for (i = 0; i < 5000 && !*mark; i++)
		nanosleep(&nap, NULL);
	return *mark;
}

/*
 * Run the guest's IPI_ROUNDS IPIs to its next ucall, answering its ICR
 * accesses as vmctl's LAPIC does (delivery status idle); TSC cycles per
 * IPI, or 0 when the guest did something else.  *@exits: MMIO exits;
 * *@sent: those of them that were the IPI (the low half's write).
 */
static uint64_t ipi_pass(struct vmmon_guest *g, unsigned int *exits,
			 unsigned int *sent)
{
	struct vmmon_run *run = g->run;
	struct vmmon_ucall uc;
	uint64_t c0 = __rdtsc();
	int kind;
	__u32 val;

	*exits = *sent = 0;
	while ((kind = vmmon_guest_run_ucall(g, &uc)) == VMMON_UCALL_NONE &&
	       run->exit_reason == VMMON_EXIT_MMIO && run->mmio.len == 4) {
		++*exits;
		if (!run->mmio.is_write) {
			memcpy(run->mmio.data, &run->apic.icr_low, 4);
			continue;
		}
		memcpy(&val, run->mmio.data, 4);
		if (run->mmio.phys_addr == APIC_PAGE_GPA + XAPIC_ICR_HIGH) {
			run->apic.icr_high = val;
		} else {
			run->apic.icr_low = val;
			++*sent;
		}
	}
	if (kind != VMMON_UCALL_SYNC && kind != VMMON_UCALL_DONE)
		return 0;
	return (__rdtsc() - c0) / IPI_ROUNDS;
}

/*
 * What an xAPIC IPI costs its sender: every ICR access exits to
 * userspace; then with the ICR in the run page (the poll and the high
 * half in vmmon, the low half's write exits); then with vCPU 1 in RUN on
 * another thread and both offering the IPI to vmmon (no exit, but for
 * IPIs that find vCPU 1 between two RUNs).
 */
VMMON_TEST_TIMEOUT(bench_xapic_ipi_send, LOOP_TIMEOUT)
{
	struct sigaction sa = { .sa_handler = x2ipi_no_op };
	uint64_t user_cycles, kernel_cycles, taken_cycles;
	unsigned int user_exits, kernel_exits, taken_exits, sent;
	struct x2ipi_target t = { 0 };
	struct vmmon_regs regs;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	pthread_t thread;
	uint64_t mark;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_xapic_ipis, 0, 0));
	ASSERT_OK(vmmon_guest_map_device(&g, APIC_PAGE_GVA, APIC_PAGE_GPA));
	ASSERT_EQ(vmmon_guest_run_ucall(&g, &uc), VMMON_UCALL_SYNC);
	user_cycles = ipi_pass(&g, &user_exits, &sent);
	ASSERT_NE(user_cycles, 0u);
	ASSERT_EQ(sent, (unsigned int)IPI_ROUNDS);
	ASSERT_EQ(user_exits, 3u * IPI_ROUNDS);
	g.run->apic.flags = VMMON_APIC_ICR_IN_KERNEL;
	kernel_cycles = ipi_pass(&g, &kernel_exits, &sent);
	ASSERT_NE(kernel_cycles, 0u);
	ASSERT_EQ(sent, (unsigned int)IPI_ROUNDS);
	EXPECT_EQ(kernel_exits, (unsigned int)IPI_ROUNDS);
	EXPECT_EQ(g.run->apic.icr_high, IPI_ICR_HIGH);

	/* vCPU 1 as in bench_x2apic_ipi_send, in long mode: own stack. */
	t.vcpu = vmmon_guest_add_vcpu(&g, 1, (uintptr_t)guest_ipi_target,
				      0x202, &t.run);
	ASSERT_GE(t.vcpu, 0) TH_LOG("%s", g.error);
	ASSERT_OK(ioctl(t.vcpu, VMMON_GET_REGS, &regs));
	regs.rsp = IPI_TARGET_STACK;
	ASSERT_OK(ioctl(t.vcpu, VMMON_SET_REGS, &regs));
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	x2ipi_pin(0);
	g.run->apic.flags |= VMMON_APIC_IPI_IN_KERNEL;
	t.run->apic.flags = VMMON_APIC_IPI_IN_KERNEL;
	ASSERT_OK(vmmon_guest_gva_to_gpa(&g, (uintptr_t)&ipi_target_mark,
					 &mark));
	ASSERT_OK(pthread_create(&thread, NULL, x2ipi_target_loop, &t));
	/* Not before it runs: the first IPIs would all find it out of RUN. */
	if (!ipi_target_runs(&g.ram[mark])) {
		x2ipi_target_stop(&t, thread);
		ASSERT_TRUE(false) TH_LOG("vCPU 1 did not run in 5 s");
	}
	taken_cycles = ipi_pass(&g, &taken_exits, &sent);
	x2ipi_target_stop(&t, thread);
	ASSERT_NE(taken_cycles, 0u);
	EXPECT_FALSE(t.failed);
	/* Only the low half's writes exit, those that found no RUN. */
	EXPECT_EQ(taken_exits, sent);
	ASSERT_LT(sent, (unsigned int)IPI_ROUNDS);
	EXPECT_GE(t.kicks, 1u);
	EXPECT_LE(t.kicks, IPI_ROUNDS - sent);
	EXPECT_EQ(g.run->apic.icr_low, IPI_ICR_LOW);
	BENCH("bench: xAPIC IPI sent: ICR all in userspace %llu TSC cycles (%u exits), ICR in the run page %llu TSC cycles (%u exits), taken in vmmon to a running vCPU %llu TSC cycles on average (%u exits: IPIs that found vCPU 1 between two RUNs; %u RUNs of vCPU 1 ended by a kick with the vector), over %d IPIs each",
	      (unsigned long long)user_cycles, user_exits,
	      (unsigned long long)kernel_cycles, kernel_exits,
	      (unsigned long long)taken_cycles, taken_exits, t.kicks,
	      IPI_ROUNDS);
	munmap(t.run, 4096);
	close(t.vcpu);
	vmmon_guest_destroy(&g);
}

#define X2IPI_ROUNDS		2000
#define X2IPI_LOOP		16	/* where x2ipi_loop[]'s IPIs begin */
#define X2IPI_ROUNDS_AT		18	/* where it holds their count */
#define X2IPI_SPIN		47	/* and where vCPU 1's loop starts */
#define X2IPI_VECTOR		0xf2

/*
 * mov ecx,0x1b; rdmsr; or eax,0xc00; wrmsr (x2APIC mode: a notice);
 * mov edi,N; l: mov ecx,0x830; mov eax,0xf2; mov edx,1; wrmsr (fixed
 * IPI to APIC ID 1).  Both IPI loops begin so.
 */
#define X2IPI_SEND_CODE							\
	0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, 0x0f, 0x32,			\
	0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00, 0x0f, 0x30,			\
	0x66, 0xbf, 0, 0, 0, 0,						\
	0x66, 0xb9, 0x30, 0x08, 0x00, 0x00,				\
	0x66, 0xb8, X2IPI_VECTOR, 0x00, 0x00, 0x00,			\
	0x66, 0xba, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x30

/* Then dec edi; jnz l; hlt.  Then vCPU 1's jmp $. */
static const uint8_t x2ipi_loop[] = {
	X2IPI_SEND_CODE,
	0x66, 0x4f, 0x75, 0xe8, 0xf4,
	0xeb, 0xfe,
};


/*
 * vCPU 0's X2IPI_ROUNDS IPIs to its HLT, the writes that exit answered
 * at once; TSC cycles per IPI, or 0 when the guest did something else.
 * *@exits: its ICR exits.
 */
static uint64_t x2ipi_pass(struct vmmon_guest *g, unsigned int *exits)
{
	struct vmmon_run *run = g->run;
	uint64_t c0 = __rdtsc();

	*exits = 0;
	while (!vmmon_guest_run(g) && run->exit_reason == VMMON_EXIT_MSR &&
	       run->msr.index == 0x830)
		++*exits;
	if (run->exit_reason != VMMON_EXIT_HLT)
		return 0;
	return (__rdtsc() - c0) / X2IPI_ROUNDS;
}

/*
 * What a fixed x2APIC IPI costs its sender, with the target vCPU in RUN
 * on another thread: a WRMSR exit to userspace each, then with both run
 * pages offering VMMON_APIC_IPI_IN_KERNEL.  A write whose target is
 * between two RUNs still exits: counted.
 */
VMMON_TEST_TIMEOUT(bench_x2apic_ipi_send, LOOP_TIMEOUT)
{
	struct sigaction sa = { .sa_handler = x2ipi_no_op };
	struct vmmon_regs regs = { .rip = VMMON_GUEST_CODE + X2IPI_LOOP,
				   .rflags = 2 };
	uint64_t user_cycles, kernel_cycles;
	double taken_cycles;
	unsigned int user_exits, kernel_exits;
	struct x2ipi_target t = { 0 };
	struct vmmon_vcpu_stats s0, s1;
	struct vmmon_guest g;
	pthread_t thread;

	ASSERT_OK(loop_guest(&g, x2ipi_loop, sizeof(x2ipi_loop),
			     X2IPI_ROUNDS_AT, X2IPI_ROUNDS, 1U << 21));
	/*
	 * vCPU 1 with IF set, though nothing is injected: Bochs 2.7 takes no
	 * external-interrupt exit from a guest entered with IF clear (its
	 * interrupt mask is the host's at VM entry), so the kick would wait
	 * for the preemption timer there.
	 */
	t.vcpu = vmmon_guest_add_vcpu(&g, 1, VMMON_GUEST_CODE + X2IPI_SPIN,
				      0x202, &t.run);
	ASSERT_GE(t.vcpu, 0) TH_LOG("%s", g.error);
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	/* Not while vCPU 1 is in RUN: its ioctls wait for each other. */
	ASSERT_OK(ioctl(t.vcpu, VMMON_GET_VCPU_STATS, &s0));
	x2ipi_pin(0);
	ASSERT_OK(pthread_create(&thread, NULL, x2ipi_target_loop, &t));
	/* The notice of x2APIC mode. */
	ASSERT_OK(vmmon_guest_run(&g));
	ASSERT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_MSR);

	user_cycles = x2ipi_pass(&g, &user_exits);
	EXPECT_EQ(user_exits, (unsigned int)X2IPI_ROUNDS);
	/* Again, the same loop, both pages offering the IPI to vmmon. */
	g.run->apic.flags = VMMON_APIC_IPI_IN_KERNEL;
	t.run->apic.flags = VMMON_APIC_IPI_IN_KERNEL;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &regs));
	kernel_cycles = x2ipi_pass(&g, &kernel_exits);

	x2ipi_target_stop(&t, thread);
	ASSERT_OK(ioctl(t.vcpu, VMMON_GET_VCPU_STATS, &s1));
	ASSERT_NE(user_cycles, 0u);
	ASSERT_NE(kernel_cycles, 0u);
	EXPECT_FALSE(t.failed);
	ASSERT_LT(kernel_exits, (unsigned int)X2IPI_ROUNDS);
	/*
	 * Each IPI vmmon took kicked vCPU 1, kicks merging while it runs;
	 * none outlives the RUN it ended.
	 */
	EXPECT_GE(t.kicks, 1u);
	EXPECT_LE(t.kicks, X2IPI_ROUNDS - kernel_exits);
	EXPECT_EQ(g.run->apic.icr_low, (__u32)X2IPI_VECTOR);
	/* The pass's IPIs that went to userspace cost what the first's did. */
	taken_cycles = ((double)kernel_cycles * X2IPI_ROUNDS -
			(double)user_cycles * kernel_exits) /
		       (X2IPI_ROUNDS - kernel_exits);
	BENCH("bench: x2APIC IPI sent to a running vCPU: to userspace and back %llu TSC cycles (%u exits); with vmmon's %llu TSC cycles on average, of which %u IPIs found vCPU 1 between two RUNs and exited, so about %.0f TSC cycles each taken in vmmon; %u RUNs of vCPU 1 ended by a kick; over %d IPIs each",
	      (unsigned long long)user_cycles, user_exits,
	      (unsigned long long)kernel_cycles, kernel_exits,
	      taken_cycles, t.kicks, X2IPI_ROUNDS);
	BENCH("bench: x2APIC IPI: vCPU 1 over both: %llu exits, %llu of them host interrupts, %llu preemption-timer slices",
	      (unsigned long long)(s1.exits.total - s0.exits.total),
	      (unsigned long long)(s1.exits.count[VMMON_STAT_EXIT_EXT_INTR] -
				   s0.exits.count[VMMON_STAT_EXIT_EXT_INTR]),
	      (unsigned long long)(s1.exits.count[VMMON_STAT_EXIT_PREEMPT] -
				   s0.exits.count[VMMON_STAT_EXIT_PREEMPT]));
	munmap(t.run, 4096);
	close(t.vcpu);
	vmmon_guest_destroy(&g);
}

#define HALT_ROUNDS		300
#define HALT_PACE		60000	/* LOOP turns after each IPI */
#define HALT_TARGET		56	/* where vCPU 1's loop starts */

/*
 * As x2ipi_loop, with mov ecx,HALT_PACE; loop $ (ECX: 0x67) after each
 * IPI, so that vCPU 1 halts again before the next; then vCPU 1's
 * l: hlt; jmp l.
 */
static const uint8_t halt_ipi_loop[] = {
	X2IPI_SEND_CODE,
	0x66, 0xb9, HALT_PACE & 0xff, (HALT_PACE >> 8) & 0xff,
	(HALT_PACE >> 16) & 0xff, 0x00,
	0x67, 0xe2, 0xfd,
	0x66, 0x4f, 0x75, 0xdf, 0xf4,
	0xf4, 0xeb, 0xfd,
};

/*
 * vCPU 1, halting: RUN again after each return.  Without the wait in
 * vmmon its thread sleeps on @wake after each HLT until the sender's
 * exit sets @pending, as vmctl's vcpu_halt() does.
 */
struct halt_target {
	int vcpu;
	struct vmmon_run *run;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool pending, stop;	/* under lock */
	unsigned int halts, woken, kicks;
	int failed;
};

static void *halt_target_loop(void *arg)
{
	struct halt_target *t = arg;
	bool waits_here = !(t->run->apic.flags & VMMON_APIC_HLT_IN_KERNEL);
	int rc;

	x2ipi_pin(1);
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		t->pending = false;
		pthread_mutex_unlock(&t->lock);
		rc = ioctl(t->vcpu, VMMON_RUN, 0);
		pthread_mutex_lock(&t->lock);
		if (rc && errno == EINTR) {
			t->kicks++;
		} else if (!rc && t->run->exit_reason == VMMON_EXIT_HLT) {
			t->halts++;
			t->woken += t->run->apic.irr[X2IPI_VECTOR / 32] != 0;
		} else {
			t->failed = 1;
			break;
		}
		memset(t->run->apic.irr, 0, sizeof(t->run->apic.irr));
		while (waits_here && !t->pending && !t->stop)
			pthread_cond_wait(&t->wake, &t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void halt_target_stop(struct halt_target *t)
{
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	t->run->immediate_exit = 1;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_kill(t->thread, SIGUSR1);
	pthread_join(t->thread, NULL);
	t->run->immediate_exit = 0;
}

/*
 * One pass of vCPU 0's HALT_ROUNDS paced IPIs, vCPU 1 halting on its own
 * thread; TSC cycles per round, or 0 when a guest did something else.
 * The IPIs that exit are answered as vmctl does for a halted vCPU.
 * *@exits: those exits.
 */
static uint64_t halt_pass(struct vmmon_guest *g, struct halt_target *t,
			  unsigned int *exits)
{
	struct vmmon_regs regs = { .rip = VMMON_GUEST_CODE + X2IPI_LOOP,
				   .rflags = 2 };
	struct vmmon_run *run = g->run;
	uint64_t c0;

	*exits = 0;
	t->stop = false;
	t->halts = t->woken = t->kicks = 0;
	if (ioctl(g->vcpu, VMMON_SET_REGS, &regs) ||
	    pthread_create(&t->thread, NULL, halt_target_loop, t))
		return 0;
	c0 = __rdtsc();
	while (!vmmon_guest_run(g) && run->exit_reason == VMMON_EXIT_MSR &&
	       run->msr.index == 0x830) {
		++*exits;
		pthread_mutex_lock(&t->lock);
		t->run->apic.irr[X2IPI_VECTOR / 32] |= 1U << (X2IPI_VECTOR % 32);
		t->pending = true;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
	}
	c0 = __rdtsc() - c0;
	halt_target_stop(t);
	return run->exit_reason == VMMON_EXIT_HLT ? c0 / HALT_ROUNDS : 0;
}

/*
 * What a fixed x2APIC IPI to a halted vCPU costs: answered by userspace
 * (the sender exits, its thread sets IRR and wakes the halted thread from
 * its condition variable, which RUNs again), then with both vCPUs' IPIs
 * in vmmon and vCPU 1's HLT waiting there (no exit; vmmon sets IRR and
 * wakes the waiting RUN, which returns the HLT).  The pace between IPIs
 * is the same in both, so their difference is the IPI's.
 */
VMMON_TEST_TIMEOUT(bench_x2apic_ipi_to_halted, LOOP_TIMEOUT)
{
	struct sigaction sa = { .sa_handler = x2ipi_no_op };
	struct halt_target t = { .lock = PTHREAD_MUTEX_INITIALIZER,
				 .wake = PTHREAD_COND_INITIALIZER };
	unsigned int user_exits, kernel_exits, user_woken;
	uint64_t user_cycles, kernel_cycles;
	struct vmmon_guest g;

	ASSERT_OK(loop_guest(&g, halt_ipi_loop, sizeof(halt_ipi_loop),
			     X2IPI_ROUNDS_AT, HALT_ROUNDS, 1U << 21));
	t.vcpu = vmmon_guest_add_vcpu(&g, 1, VMMON_GUEST_CODE + HALT_TARGET,
				      0x202, &t.run);
	ASSERT_GE(t.vcpu, 0) TH_LOG("%s", g.error);
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	x2ipi_pin(0);
	/*
	 * The notice of x2APIC mode, completed (its WRMSR's RIP moves on)
	 * by a RUN that enters no guest: else the next RUN would move on
	 * from the RIP halt_pass() sets.
	 */
	ASSERT_OK(vmmon_guest_run(&g));
	ASSERT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_MSR);
	g.run->immediate_exit = 1;
	ASSERT_EQ(ioctl(g.vcpu, VMMON_RUN, 0), -1);
	ASSERT_EQ(errno, EINTR);
	g.run->immediate_exit = 0;

	user_cycles = halt_pass(&g, &t, &user_exits);
	user_woken = t.halts;
	EXPECT_FALSE(t.failed);
	EXPECT_EQ(user_exits, (unsigned int)HALT_ROUNDS);
	g.run->apic.flags = VMMON_APIC_IPI_IN_KERNEL;
	t.run->apic.flags = VMMON_APIC_IPI_IN_KERNEL | VMMON_APIC_HLT_IN_KERNEL;
	kernel_cycles = halt_pass(&g, &t, &kernel_exits);
	EXPECT_FALSE(t.failed);
	ASSERT_NE(user_cycles, 0u);
	ASSERT_NE(kernel_cycles, 0u);
	/* Most IPIs found vCPU 1 waiting in its HLT and woke it. */
	EXPECT_GE(t.woken, (unsigned int)HALT_ROUNDS / 2);
	EXPECT_LT(kernel_exits, (unsigned int)HALT_ROUNDS / 2);
	BENCH("bench: x2APIC IPI to a halted vCPU, paced %d LOOP turns apart: answered in userspace %llu TSC cycles a round (%u exits, %u HLTs of vCPU 1); with its HLT waiting in vmmon %llu TSC cycles a round (%u exits), %u of vCPU 1's %u HLT waits ended by an IPI, %u RUNs kicked while it ran; the IPI's part: %lld TSC cycles less, over %d IPIs each",
	      HALT_PACE, (unsigned long long)user_cycles, user_exits,
	      user_woken, (unsigned long long)kernel_cycles, kernel_exits,
	      t.woken, t.halts, t.kicks,
	      (long long)(user_cycles - kernel_cycles), HALT_ROUNDS);
	munmap(t.run, 4096);
	close(t.vcpu);
	vmmon_guest_destroy(&g);
}

VMMON_TEST_TIMEOUT(bench_against_kvm_intel, LOOP_TIMEOUT)
{
	double v_cpuid, v_out, k_cpuid, k_out;
	char l1d[16] = "";
	int kvm, vm;
	FILE *f;

	if (!kvm_can_try())
		SKIP(return, "bench_against_kvm_intel: KVM is not available");
	f = fopen(L1D_PARAM, "re");
	if (f && fgets(l1d, sizeof(l1d), f))
		l1d[strcspn(l1d, "\n")] = '\0';
	if (f)
		fclose(f);
	ASSERT_OK(vmmon_loops(&v_cpuid, &v_out));
	/* Loads KVM if needed: its first VM takes VT-x, vmmon has none now. */
	vm = kvm_take_vmx();
	ASSERT_GE(vm, 0)
		TH_LOG("KVM could not take VMX: %s", strerror(errno));
	close(vm);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(kvm, 0);
	ASSERT_OK(kvm_loops(kvm, &k_cpuid, &k_out));
	close(kvm);
	BENCH("bench: CPUID in the kernel: vmmon %.0f ns, kvm_intel %.0f ns: %.2fx (vmmon l1d_flush=%s, kvm_intel vmentry_l1d_flush as loaded)",
	      v_cpuid, k_cpuid, v_cpuid / k_cpuid, l1d);
	BENCH("bench: OUT to userspace and back: vmmon %.0f ns, kvm_intel %.0f ns: %.2fx",
	      v_out, k_out, v_out / k_out);
}

VMMON_UNLOAD_TEST(unload_clean)

/* KVM as it was: loaded by bench_against_kvm_intel only for itself. */
int main(int argc, char **argv)
{
	kvm_remember_loaded();
	atexit(kvm_release);
	return vmmon_test_main(argc, argv);
}
