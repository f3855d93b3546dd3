// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks, not pass/fail timings: each prints emulated TSC cycles per
 * event as a "# bench:" line, and fails only when the guest does not do
 * what the measurement assumes.
 *   port I/O round trip: an OUT exit handled in userspace, 10,000 times;
 *   EPT fault-in: an exit handled in the kernel (a first touch of a guest
 *   page: allocate, zero, map), 128 times;
 *   CPUID: an exit answered in the kernel from the vCPU's table, without
 *   leaving the VMCS loaded section (VMRESUME), 10,000 times.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <x86intrin.h>
#include <uapi/vmmon.h>
#include "ktap.h"
#include "vmmon_guest.h"
#include "vmmon_util.h"

#define GUEST_RAM	(1024 * 1024)
#define IO_ROUNDS	10000
#define FAULT_PAGES	128

static int dev = -1;

/* l: out 0x80,al; jmp l */
static const uint8_t io_loop[] = { 0xe6, 0x80, 0xeb, 0xfc };

static enum ktap_result bench_port_io_round_trip(void)
{
	uint64_t t0, t1;
	struct vmmon_guest g;
	int i, bad = 0;

	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, io_loop, sizeof(io_loop)));
	/* The first exits fault the code page in: not part of the figure. */
	ASSERT_OK(ioctl(g.vcpu, VMMON_RUN, 0));
	t0 = __rdtsc();
	for (i = 0; i < IO_ROUNDS; i++) {
		if (ioctl(g.vcpu, VMMON_RUN, 0) ||
		    g.run->exit_reason != VMMON_EXIT_IO || g.run->io.port != 0x80)
			bad++;
	}
	t1 = __rdtsc();
	EXPECT_EQ(bad, 0);
	ktap_diag("bench: port I/O round trip (OUT to userspace and back): %llu TSC cycles, over %d exits",
		  (unsigned long long)(t1 - t0) / IO_ROUNDS, IO_ROUNDS);
	vmmon_guest_destroy(&g);
	return KTAP_PASS;
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
	if (ioctl(g->vcpu, VMMON_RUN, 0) || g->run->exit_reason != VMMON_EXIT_HLT)
		return 0;
	t1 = __rdtsc();
	return t1 - t0;
}

static enum ktap_result bench_ept_fault_in(void)
{
	struct vmmon_vm_stats st;
	struct vmmon_guest g;
	uint64_t cycles = cycles_to_hlt(&g, touch_loop, sizeof(touch_loop));

	ASSERT_TRUE(cycles != 0);
	ASSERT_OK(ioctl(g.vm, VMMON_GET_VM_STATS, &st));
	EXPECT_EQ(st.pages_resident, 1 + FAULT_PAGES);
	ktap_diag("bench: EPT fault-in of a guest page (in the kernel): %llu TSC cycles, over %d pages",
		  (unsigned long long)cycles / FAULT_PAGES, FAULT_PAGES);
	vmmon_guest_destroy(&g);
	return KTAP_PASS;
}

#define CPUID_ROUNDS	10000

/* mov edi,CPUID_ROUNDS; l: xor eax,eax; cpuid; dec edi; jnz l; hlt */
static const uint8_t cpuid_loop[] = {
	0x66, 0xbf, CPUID_ROUNDS & 0xff, CPUID_ROUNDS >> 8, 0, 0,
	0x66, 0x31, 0xc0, 0x0f, 0xa2, 0x66, 0x4f, 0x75, 0xf7, 0xf4,
};

static enum ktap_result bench_cpuid_in_kernel(void)
{
	struct vmmon_vcpu_stats st;
	struct vmmon_guest g;
	uint64_t cycles = cycles_to_hlt(&g, cpuid_loop, sizeof(cpuid_loop));

	ASSERT_TRUE(cycles != 0);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st));
	EXPECT_EQ(st.exits.count[VMMON_STAT_EXIT_CPUID], CPUID_ROUNDS);
	ktap_diag("bench: CPUID exit handled in the kernel: %llu TSC cycles, over %d exits (%llu exits in all)",
		  (unsigned long long)cycles / CPUID_ROUNDS, CPUID_ROUNDS,
		  (unsigned long long)st.exits.total);
	vmmon_guest_destroy(&g);
	return KTAP_PASS;
}

static enum ktap_result unload_clean(void)
{
	return vmmon_unload_clean(&dev);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(bench_port_io_round_trip),
	KTAP_CASE(bench_ept_fault_in),
	KTAP_CASE(bench_cpuid_in_kernel),
	KTAP_CASE(unload_clean),
};

int main(int argc, char **argv)
{
	return vmmon_suite_main(argc, argv, &dev, cases,
				sizeof(cases) / sizeof(cases[0]));
}
