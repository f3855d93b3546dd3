// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit VMM (this program is built with -m32): every ioctl it needs
 * goes through the kernel's compat path with the same structures, and
 * the state of a 32-bit process survives RUN (review kmod.md F11: VM
 * exit loads null FS/GS selectors and LDTR; an i386 process keeps its
 * thread-local storage in %gs, so it would fault at its first TLS access
 * after RUN).  The guest is real-mode code that does OUT and HLT.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <asm/ldt.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_test.h"
#include "vmmon_util.h"

#define GUEST_RAM	(64 * 1024)
#define GUEST_CODE	0x1000
#define ROUNDS		100

/* l: out 0x80,al; inc al; hlt; jmp l */
static const uint8_t out_hlt_loop[] = { 0xe6, 0x80, 0xfe, 0xc0, 0xf4, 0xeb, 0xf9 };

static __thread int tls_word = 0x3232;

/*
 * The VM of tests/lib/vmmon_guest.c, made here again: that library also
 * holds the long-mode guests, whose guest code is 64-bit and does not
 * build with -m32.
 */
struct guest32 {
	int vm, vcpu;
	uint8_t *ram;
	struct vmmon_run *run;
};

static int guest32_create(struct guest32 *g)
{
	struct vmmon_memory_region r = { .size = GUEST_RAM };
	struct vmmon_create_vcpu c = { 0 };
	struct vmmon_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
	struct vmmon_sregs sregs;

	g->vm = vmmon_create_vm(dev);
	if (g->vm < 0 || ioctl(g->vm, VMMON_SET_MEMORY_REGION, &r))
		return -1;
	g->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vm, 0);
	g->vcpu = ioctl(g->vm, VMMON_CREATE_VCPU, &c);
	if (g->ram == MAP_FAILED || g->vcpu < 0)
		return -1;
	g->run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		return -1;
	memcpy(g->ram + GUEST_CODE, out_hlt_loop, sizeof(out_hlt_loop));
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs))
		return -1;
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	if (ioctl(g->vcpu, VMMON_SET_SREGS, &sregs))
		return -1;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

/* RUN, made again after the kernel's own return-to-user work (EINTR). */
static int run32(struct guest32 *g)
{
	int err;

	do
		err = ioctl(g->vcpu, VMMON_RUN, 0);
	while (err && errno == EINTR);
	return err;
}

static void guest32_destroy(struct guest32 *g)
{
	munmap(g->run, 4096);
	munmap(g->ram, GUEST_RAM);
	close(g->vcpu);
	close(g->vm);
}

/*
 * The guest's OUTs and HLTs reach this 32-bit process with their data,
 * and after each RUN its %gs (TLS) and an LDT segment in %fs still work.
 */
VMMON_TEST(vmm32_runs_a_guest_and_keeps_its_segments)
{
	struct user_desc ldt = {
		.entry_number = 0, .base_addr = (uintptr_t)&tls_word,
		.limit = 0xfff, .seg_32bit = 1,
	};
	struct vmmon_vcpu_stats st;
	struct vmmon_regs regs;
	struct guest32 g;
	uint16_t fs = 0x7;		/* LDT entry 0, RPL 3 */
	int i, bad = 0, word;

	ASSERT_EQ(sizeof(void *), 4u);
	ASSERT_OK(syscall(SYS_modify_ldt, 1, &ldt, sizeof(ldt)));
	asm volatile("mov %0, %%fs" : : "r"(fs));
	ASSERT_OK(guest32_create(&g));
	for (i = 0; i < ROUNDS; i++) {
		if (run32(&g) || g.run->exit_reason != VMMON_EXIT_IO ||
		    g.run->io.port != 0x80 ||
		    ((uint8_t *)g.run)[g.run->io.data_offset] != (uint8_t)i)
			bad++;
		if (run32(&g) || g.run->exit_reason != VMMON_EXIT_HLT)
			bad++;
		/* TLS through %gs, the LDT segment through %fs. */
		if (tls_word != 0x3232 + i)
			bad++;
		tls_word++;
		asm volatile("movl %%fs:0, %0" : "=r"(word));
		if (word != tls_word)
			bad++;
	}
	EXPECT_EQ(bad, 0);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rip, (uint64_t)GUEST_CODE + 5);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st));
	EXPECT_EQ(st.exits.count[VMMON_STAT_EXIT_IO], (uint64_t)ROUNDS);
	EXPECT_EQ(st.exits.count[VMMON_STAT_EXIT_HLT], (uint64_t)ROUNDS);
	guest32_destroy(&g);
	asm volatile("mov %0, %%fs" : : "r"(0));
}

VMMON_TEST_MAIN
