// SPDX-License-Identifier: GPL-2.0
/*
 * The exits vmmon handles itself (CPUID from the table userspace set,
 * the emulated MSRs with #GP for the rest, XSETBV) and those it hands to
 * userspace with their data (VMCALL, string port I/O, interrupt windows),
 * with interrupt injection (an interrupt held in vmmon wakes HLT; RUN's
 * if_flag and ready_for_interrupt are current after a signal too), the guest's
 * own FPU state and the exit counters; the speculation mitigations of the world switch, counted
 * against what the kernel decided for this CPU.  The guests are real-mode code in .code16 blocks of this
 * file, copied to guest-physical VMMON_GUEST_CODE; their exception
 * handlers sit in the real-mode interrupt vector table at address 0.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"
#include "vmmon_util.h"

#define GUEST_RAM	(64 * 1024)
#define GUEST_CODE	VMMON_GUEST_CODE
/* A word the #GP handler adds to the faulting IP: the length to skip. */
#define GP_SKIP		0x500
#define DATA		0x2000
#define DATA2		0x3000

/*
 * Real-mode guest code, between NAME_start and NAME_end in .rodata.
 * Addresses of labels inside are relative to NAME_start.
 */
#define GUEST16(name, body)						\
	asm(".pushsection .rodata." #name ", \"a\"\n"			\
	    ".code16\n" #name "_start:\n" body "\n" #name "_end:\n"	\
	    ".code64\n.popsection\n");					\
	extern const uint8_t name##_start[], name##_end[]

#define GUEST_LABEL(name, label) \
	(GUEST_CODE + (uint16_t)(label - name##_start))

static int guest16(struct vmmon_guest *g, const uint8_t *start,
		   const uint8_t *end)
{
	return vmmon_guest_create(g, dev, GUEST_RAM, start, end - start);
}

/* The last RUN of @g ended with exit @reason; if not, show the exit. */
#define EXPECT_EXIT(g, reason)						\
	EXPECT_EQ((g)->run->exit_reason, (__u32)(reason))		\
		vmmon_show_exit((g)->run)

/* Real-mode interrupt vector @vec points at guest address @ip. */
static void set_ivt(struct vmmon_guest *g, int vec, uint16_t ip)
{
	uint16_t entry[2] = { ip, 0 };

	memcpy(g->ram + vec * 4, entry, sizeof(entry));
}

static uint64_t reg_after(struct vmmon_guest *g, size_t offset)
{
	struct vmmon_regs regs;

	if (ioctl(g->vcpu, VMMON_GET_REGS, &regs))
		return ~0ULL;
	return *(uint64_t *)((char *)&regs + offset);
}

#define REG(g, r)	reg_after(g, offsetof(struct vmmon_regs, r))

static uint64_t exits(struct vmmon_guest *g, enum vmmon_stat_exit kind)
{
	struct vmmon_vcpu_stats st;

	if (ioctl(g->vcpu, VMMON_GET_VCPU_STATS, &st))
		return ~0ULL;
	return st.exits.count[kind];
}

GUEST16(cpuid_guest, "cpuid\n hlt\n");

/* A table with an indexed leaf, a leaf for any ECX, and what is missing. */
VMMON_TEST(cpuid_answers_from_table)
{
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[2];
	} t = {
		.hdr.nent = 2,
		.e = {
			{ .function = 7, .index = 3,
			  .flags = VMMON_CPUID_FLAG_INDEX,
			  .eax = 0x11, .ebx = 0x22, .ecx = 0x33, .edx = 0x44 },
			{ .function = 0x40000000, .eax = 0xa1, .ebx = 0xb2,
			  .ecx = 0xc3, .edx = 0xd4 },
		},
	};
	static const uint32_t ask[][2] = {
		{ 7, 3 }, { 0x40000000, 99 }, { 7, 0 }, { 1, 0 },
	};
	static const uint32_t want[][4] = {
		{ 0x11, 0x22, 0x33, 0x44 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0, 0, 0, 0 }, { 0, 0, 0, 0 },
	};
	struct vmmon_regs regs;
	struct vmmon_guest g;
	unsigned int i;

	ASSERT_OK(guest16(&g, cpuid_guest_start, cpuid_guest_end));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	for (i = 0; i < 4; i++) {
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
		regs.rip = GUEST_CODE;
		regs.rax = ask[i][0];
		regs.rcx = ask[i][1];
		regs.rbx = regs.rdx = 0xdead;
		ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &regs));
		ASSERT_OK(vmmon_guest_run(&g));
		EXPECT_EXIT(&g, VMMON_EXIT_HLT);
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
		EXPECT_EQ(regs.rax, want[i][0]);
		EXPECT_EQ(regs.rbx, want[i][1]);
		EXPECT_EQ(regs.rcx, want[i][2]);
		EXPECT_EQ(regs.rdx, want[i][3]);
	}
	/* Handled inside vmmon: four CPUID exits, none seen here. */
	EXPECT_EQ(exits(&g, VMMON_STAT_EXIT_CPUID), 4u);
	vmmon_guest_destroy(&g);
}

VMMON_TEST(cpuid_ioctls_validate)
{
	struct {
		struct vmmon_cpuid hdr;
		struct vmmon_cpuid_entry e[3];
	} t = { .hdr.nent = 2, .e = { { .function = 1, .eax = 5 },
				      { .function = 2, .edx = 6 } } }, out;
	struct vmmon_guest g;

	ASSERT_OK(guest16(&g, cpuid_guest_start, cpuid_guest_end));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	memset(&out, 0xff, sizeof(out));
	out.hdr.nent = 3;
	out.hdr.pad = 0;
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_CPUID, &out));
	EXPECT_EQ(out.hdr.nent, 2u);
	EXPECT_EQ(memcmp(out.e, t.e, 2 * sizeof(t.e[0])), 0);
	/* Too little room: E2BIG, and nent says how much is needed. */
	out.hdr.nent = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_CPUID, &out), E2BIG);
	EXPECT_EQ(out.hdr.nent, 2u);

	t.e[1].function = 1;		/* the same leaf twice */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_CPUID, &t), EINVAL);
	t.e[1].function = 2;
	t.e[1].index = 1;		/* an index without the flag */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_CPUID, &t), EINVAL);
	t.e[1].index = 0;
	t.e[1].flags = 2;		/* an unknown flag */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_CPUID, &t), EINVAL);
	t.e[1].flags = 0;
	t.hdr.nent = VMMON_MAX_CPUID_ENTRIES + 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_CPUID, &t), EINVAL);
	t.hdr.nent = 2;
	t.hdr.pad = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_CPUID, &t), EINVAL);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_CPUID, NULL), EFAULT);
	/* The failed calls left the table as it was. */
	out.hdr.nent = 3;
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_CPUID, &out));
	EXPECT_EQ(out.hdr.nent, 2u);
	EXPECT_EQ(out.e[1].edx, 6u);
	vmmon_guest_destroy(&g);
}

/*
 * WRMSR and RDMSR of STAR, then RDMSR of an MSR vmmon does not have,
 * which must raise #GP in the guest: its handler (IVT vector 13) sets BX
 * and skips the instruction by the length the host put at GP_SKIP.
 */
GUEST16(msr_guest,
	"mov $0xc0000081, %ecx\n"
	"mov $0x11223344, %eax\n"
	"mov $0x55667788, %edx\n"
	"wrmsr\n"
	"xor %eax, %eax\n"
	"xor %edx, %edx\n"
	"rdmsr\n"
	"mov %eax, %esi\n"
	"mov %edx, %edi\n"
	"mov $0x12345678, %ecx\n"
	"rdmsr\n"
	"hlt\n"
	"msr_guest_gp:\n"
	"mov $0x600d, %bx\n"
	"push %bp\n"
	"mov %sp, %bp\n"
	"push %ax\n"
	"mov " "0x500" ", %ax\n"
	"add %ax, 2(%bp)\n"
	"pop %ax\n"
	"pop %bp\n"
	"iret\n");
extern const uint8_t msr_guest_gp[];

static int set_msr(int vcpu, uint32_t index, uint64_t data)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e = { .index = index, .data = data } };

	return ioctl(vcpu, VMMON_SET_MSRS, &m);
}

static uint64_t get_msr(int vcpu, uint32_t index)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e = { .index = index } };

	if (ioctl(vcpu, VMMON_GET_MSRS, &m))
		return ~0ULL;
	return m.e.data;
}

VMMON_TEST(msrs_emulated_unknown_is_gp)
{
	struct vmmon_guest g;
	uint16_t skip = 2;	/* rdmsr is 0f 32 */

	ASSERT_OK(guest16(&g, msr_guest_start, msr_guest_end));
	set_ivt(&g, 13, GUEST_LABEL(msr_guest, msr_guest_gp));
	memcpy(g.ram + GP_SKIP, &skip, sizeof(skip));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	EXPECT_EQ(REG(&g, rsi) & 0xffffffff, 0x11223344u);
	EXPECT_EQ(REG(&g, rdi) & 0xffffffff, 0x55667788u);
	EXPECT_EQ(REG(&g, rbx) & 0xffff, 0x600du);	/* the guest's #GP handler ran */
	EXPECT_EQ(get_msr(g.vcpu, 0xc0000081), 0x5566778811223344ULL);
	EXPECT_EQ(exits(&g, VMMON_STAT_EXIT_MSR), 3u);
	vmmon_guest_destroy(&g);
}

VMMON_TEST(msr_ioctls_all_or_nothing)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[2];
	} m = { .hdr.nmsrs = 2, .e = { { .index = 0xc0000082, .data = 0x1000 },
				       { .index = 0x12345678 } } };
	struct vmmon_guest g;

	ASSERT_OK(guest16(&g, cpuid_guest_start, cpuid_guest_end));
	/* vCPU 0 is the bootstrap processor, its APIC at the usual place. */
	EXPECT_EQ(get_msr(g.vcpu, 0x1b), 0xfee00900);
	EXPECT_EQ(get_msr(g.vcpu, 0x277), 0x0007040600070406ULL);	/* PAT */
	EXPECT_EQ(get_msr(g.vcpu, 0x12345678), ~0ULL);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_MSRS, &m), EINVAL);
	EXPECT_EQ(get_msr(g.vcpu, 0xc0000082), 0u);	/* LSTAR untouched */
	m.e[1].index = 0xc0000084;			/* SFMASK */
	m.e[1].data = 0x700;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_MSRS, &m));
	EXPECT_EQ(get_msr(g.vcpu, 0xc0000082), 0x1000u);
	EXPECT_EQ(get_msr(g.vcpu, 0xc0000084), 0x700u);
	/* Values the CPU would refuse are refused. */
	EXPECT_ERRNO(set_msr(g.vcpu, 0xc0000082, 0x0000800000000000ULL), EINVAL);
	EXPECT_ERRNO(set_msr(g.vcpu, 0x277, 0x0202020202020202ULL), EINVAL);
	EXPECT_ERRNO(set_msr(g.vcpu, 0xc0000080, 1ULL << 20), EINVAL);
	ASSERT_OK(set_msr(g.vcpu, 0x174, 0x10));	/* SYSENTER_CS */
	EXPECT_EQ(get_msr(g.vcpu, 0x174), 0x10u);
	m.hdr.nmsrs = 0;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_MSRS, &m), EINVAL);
	m.hdr.nmsrs = VMMON_MAX_MSR_ENTRIES + 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_MSRS, &m), EINVAL);
	m.hdr.nmsrs = 1;
	m.e[0].pad = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_MSRS, &m), EINVAL);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_MSRS, NULL), EFAULT);
	vmmon_guest_destroy(&g);
}

/*
 * Sum the 4096 bytes at DATA, report the sum with VMCALL (number 0x1234),
 * store what the host answered at DATA2.
 */
/*
 * A guest's WBINVD exits (review kmod.md F10): the CPU's whole cache
 * hierarchy is the host's, so vmmon skips it in the kernel and counts it.
 */
GUEST16(wbinvd_guest, "mov $1000, %cx\n 1: wbinvd\n loop 1b\n invd\n hlt\n");

VMMON_TEST(wbinvd_exits_and_is_skipped)
{
	struct vmmon_guest g;

	ASSERT_OK(guest16(&g, wbinvd_guest_start, wbinvd_guest_end));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	EXPECT_EQ(REG(&g, rcx), 0u);
	EXPECT_EQ(exits(&g, VMMON_STAT_EXIT_CACHE), 1001u);
	vmmon_guest_destroy(&g);
}

/*
 * VMCALL from guest user mode (review kmod.md F15) faults with #UD in the
 * guest and never reaches userspace.  A 32-bit protected-mode guest
 * starts at CPL 3 (CS and SS with DPL 3); its IDT sends #UD to a ring-0
 * handler through the reset TSS at address 0 (SS0:ESP0), which reports
 * the vector on port 0x10.
 */
#define UD_IDT		0x600
#define UD_HANDLER	0x1800
#define UD_STACK	0x8000

VMMON_TEST(vmcall_from_user_mode_is_ud)
{
	/* vmcall; hlt */
	static const uint8_t user_code[] = { 0x0f, 0x01, 0xc1, 0xf4 };
	/* mov al,6; out 0x10,al; hlt */
	static const uint8_t handler[] = { 0xb0, 0x06, 0xe6, 0x10, 0xf4 };
	/* 32-bit interrupt gate, present, DPL 0, to the flat ring-0 code. */
	const uint64_t gate = (UD_HANDLER & 0xffffULL) |
			      (uint64_t)VMMON_GUEST_SEL_CODE32 << 16 |
			      0x8eULL << 40 |
			      (uint64_t)(UD_HANDLER >> 16) << 48;
	const uint32_t tss_esp0 = UD_STACK, tss_ss0 = VMMON_GUEST_SEL_DATA;
	struct vmmon_sregs sregs;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_prot32(&g, dev, GUEST_RAM, user_code,
					    sizeof(user_code)));
	memcpy(g.ram + UD_HANDLER, handler, sizeof(handler));
	memcpy(g.ram + UD_IDT + 6 * 8, &gate, sizeof(gate));
	memcpy(g.ram + 4, &tss_esp0, 4);	/* TSS.ESP0 */
	memcpy(g.ram + 8, &tss_ss0, 4);		/* TSS.SS0 */
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	ASSERT_EQ(0u, sregs.tr.base);	/* the reset TSS */
	sregs.idt.base = UD_IDT;
	sregs.idt.limit = 8 * 32 - 1;
	sregs.cs.selector |= 3;
	sregs.cs.ar |= 3 << 5;			/* DPL 3 */
	sregs.ss.selector |= 3;
	sregs.ss.ar |= 3 << 5;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x10u);
	EXPECT_EQ(((uint8_t *)g.run)[g.run->io.data_offset], 6u);
	vmmon_guest_destroy(&g);
}

GUEST16(vmcall_guest,
	"xor %ebx, %ebx\n"
	"mov $0x2000, %si\n"
	"mov $4096, %cx\n"
	"1: movzbl (%si), %eax\n"
	"add %eax, %ebx\n"
	"inc %si\n"
	"loop 1b\n"
	"mov $0x1234, %eax\n"
	"mov $7, %ecx\n"
	"vmcall\n"
	"mov %eax, 0x3000\n"
	"hlt\n");

VMMON_TEST(hypercall_checksum)
{
	struct vmmon_guest g;
	uint32_t sum = 0, answer;
	int i;

	ASSERT_OK(guest16(&g, vmcall_guest_start, vmcall_guest_end));
	for (i = 0; i < 4096; i++) {
		g.ram[DATA + i] = (uint8_t)(i * 7 + 3);
		sum += g.ram[DATA + i];
	}
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HYPERCALL);
	EXPECT_EQ(g.run->hypercall.nr, 0x1234u);
	EXPECT_EQ(g.run->hypercall.args[0], sum);	/* RBX */
	EXPECT_EQ(g.run->hypercall.args[1], 7u);		/* RCX */
	g.run->hypercall.ret = 0xbeef;
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	memcpy(&answer, g.ram + DATA2, sizeof(answer));
	EXPECT_EQ(answer, 0xbeefu);
	EXPECT_EQ(exits(&g, VMMON_STAT_EXIT_HYPERCALL), 1u);
	vmmon_guest_destroy(&g);
}

/* "hello" from DATA to port 0x3f8 with REP OUTSB, then backwards (DF=1). */
GUEST16(outs_guest,
	"mov $0x3f8, %dx\n"
	"mov $0x2000, %si\n"
	"mov $5, %cx\n"
	"cld\n"
	"rep outsb\n"
	"mov $0x2004, %si\n"
	"mov $5, %cx\n"
	"std\n"
	"rep outsb\n"
	"cld\n"
	"hlt\n");

VMMON_TEST(rep_outsb_hello)
{
	struct vmmon_guest g;
	const char *data;

	ASSERT_OK(guest16(&g, outs_guest_start, outs_guest_end));
	memcpy(g.ram + DATA, "hello", 5);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	data = (const char *)g.run + g.run->io.data_offset;
	EXPECT_EQ(g.run->io.port, 0x3f8);
	EXPECT_EQ(g.run->io.direction, VMMON_IO_OUT);
	EXPECT_EQ(g.run->io.size, 1);
	EXPECT_EQ(g.run->io.count, 5u);
	EXPECT_EQ(memcmp(data, "hello", 5), 0);
	EXPECT_EQ(REG(&g, rsi) & 0xffff, DATA + 5u);
	EXPECT_EQ(REG(&g, rcx) & 0xffff, 0u);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.count, 5u);
	EXPECT_EQ(memcmp(data, "olleh", 5), 0);		/* in the guest's order */
	EXPECT_EQ(REG(&g, rsi) & 0xffff, DATA - 1u);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	vmmon_guest_destroy(&g);
}

/* 5000 words out (more than one exit carries), then 4 bytes in with REP INSB. */
GUEST16(big_string_guest,
	"mov $0x60, %dx\n"
	"mov $0x4000, %si\n"
	"mov $5000, %cx\n"
	"rep outsw\n"
	"mov $0x3000, %di\n"
	"mov $4, %cx\n"
	"rep insb\n"
	"hlt\n");

VMMON_TEST(string_io_in_pieces)
{
	uint16_t *words = malloc(5000 * 2), got[5000];
	struct vmmon_guest g;
	unsigned int n = 0, rounds = 0;

	ASSERT_TRUE(words != NULL);
	ASSERT_OK(guest16(&g, big_string_guest_start, big_string_guest_end));
	for (n = 0; n < 5000; n++)
		words[n] = n * 3 + 1;
	memcpy(g.ram + 0x4000, words, 5000 * 2);
	n = 0;
	while (n < 5000 && rounds++ < 10) {
		ASSERT_OK(vmmon_guest_run(&g));
		EXPECT_EXIT(&g, VMMON_EXIT_IO);
		if (g.run->exit_reason != VMMON_EXIT_IO)
			break;
		EXPECT_EQ(g.run->io.size, 2);
		EXPECT_TRUE(g.run->io.count * 2 <= VMMON_IO_DATA_MAX);
		EXPECT_TRUE(n + g.run->io.count <= 5000);
		if (n + g.run->io.count > 5000)
			break;
		memcpy(got + n, (char *)g.run + g.run->io.data_offset,
		       g.run->io.count * 2);
		n += g.run->io.count;
	}
	EXPECT_EQ(n, 5000u);
	EXPECT_EQ(memcmp(got, words, sizeof(got)), 0);
	EXPECT_TRUE(rounds >= 5);	/* 10,000 bytes in 2,048-byte exits */
	free(words);

	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.direction, VMMON_IO_IN);
	EXPECT_EQ(g.run->io.count, 4u);
	memcpy((char *)g.run + g.run->io.data_offset, "abcd", 4);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	EXPECT_EQ(memcmp(g.ram + DATA2, "abcd", 4), 0);
	EXPECT_EQ(REG(&g, rdi) & 0xffff, DATA2 + 4u);
	vmmon_guest_destroy(&g);
}

/*
 * With interrupts off the guest reports on port 0x10; it then enables
 * them (STI, NOP) and halts.  The interrupt injected at the first exit
 * must wait for the window and then run its handler (vector 0x40: OUT
 * to port 0x11).  Then port 0x13 with interrupts off again, STI, NOP,
 * HLT, for userspace's own window request.
 */
GUEST16(irq_guest,
	"cli\n"
	"out %al, $0x10\n"
	"sti\n"
	"nop\n"
	"hlt\n"
	"cli\n"
	"out %al, $0x13\n"
	"sti\n"
	"nop\n"
	"hlt\n"
	"irq_guest_handler:\n"
	"out %al, $0x11\n"
	"iret\n");
extern const uint8_t irq_guest_handler[];

VMMON_TEST(interrupt_waits_for_window)
{
	struct vmmon_interrupt irq = { .vector = 0x40 };
	struct vmmon_guest g;

	ASSERT_OK(guest16(&g, irq_guest_start, irq_guest_end));
	set_ivt(&g, 0x40, GUEST_LABEL(irq_guest, irq_guest_handler));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x10);
	EXPECT_EQ(g.run->if_flag, 0);
	EXPECT_EQ(g.run->ready_for_interrupt, 0);
	ASSERT_OK(ioctl(g.vcpu, VMMON_INTERRUPT, &irq));
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_INTERRUPT, &irq), EBUSY);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x11);		/* the handler ran */
	EXPECT_TRUE(exits(&g, VMMON_STAT_EXIT_IRQ_WINDOW) >= 1);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	EXPECT_EQ(REG(&g, rip), GUEST_CODE + 6u);	/* past the first HLT */

	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x13);
	g.run->request_interrupt_window = 1;
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IRQ_WINDOW);
	EXPECT_EQ(g.run->if_flag, 1);
	EXPECT_EQ(g.run->ready_for_interrupt, 1);
	g.run->request_interrupt_window = 0;
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);

	irq.vector = 256;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_INTERRUPT, &irq), EINVAL);
	irq.vector = 0x40;
	irq.pad = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_INTERRUPT, &irq), EINVAL);
	vmmon_guest_destroy(&g);
}

/*
 * A real-mode BIOS puts IRQ 0 at vector 8 (its PIC base), as hardware
 * lets it: an external interrupt may have any vector, and runs that
 * vector's handler (review vmctl.md #7: vmmon refused vectors below 32,
 * which ended the VM and kept firmware from booting).
 */
VMMON_TEST(bios_irq0_at_vector_8)
{
	struct vmmon_interrupt irq = { .vector = 8 };
	struct vmmon_guest g;

	ASSERT_OK(guest16(&g, irq_guest_start, irq_guest_end));
	set_ivt(&g, 8, GUEST_LABEL(irq_guest, irq_guest_handler));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x10);
	ASSERT_OK(ioctl(g.vcpu, VMMON_INTERRUPT, &irq));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x11);		/* vector 8's handler */
	vmmon_guest_destroy(&g);
}

/*
 * RUN sets run->if_flag and run->ready_for_interrupt on every return,
 * EINTR too: the guest may have run since the last exit.  This one
 * reports with IF=1 (port 0x10), then clears IF, says so in DATA and
 * spins until a signal ends RUN.  Flags left from the exit said "ready",
 * and vmctl injected an interrupt the guest could not take for good
 * (3b434a3: a 2-vCPU Linux guest locked up in insmod).
 */
GUEST16(ready_guest,
	"sti\n"
	"nop\n"
	"out %al, $0x10\n"
	"cli\n"
	"movb $1, 0x2000\n"
	"1: jmp 1b\n");

static void on_usr1(int sig)
{
	(void)sig;
	vmmon_run_interrupt();
}

struct runner {
	struct vmmon_guest *g;
	int ret, err;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->ret = vmmon_guest_run(r->g);
	r->err = errno;
	return NULL;
}

VMMON_TEST(ready_flags_after_signal)
{
	struct timespec tick = { .tv_nsec = 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	volatile uint8_t *flag;
	struct runner r = { 0 };
	struct vmmon_guest g;
	pthread_t t;
	int i;

	ASSERT_OK(guest16(&g, ready_guest_start, ready_guest_end));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x10);
	/* The exit's flags, which a stale return would keep. */
	EXPECT_EQ(g.run->if_flag, 1);
	EXPECT_EQ(g.run->ready_for_interrupt, 1);
	r.g = &g;
	flag = g.ram + DATA;
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
	/* Until the guest has run its CLI, 10 s at most. */
	for (i = 0; i < 10000 && !*flag; i++)
		nanosleep(&tick, NULL);
	EXPECT_EQ(*flag, 1);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(r.ret, -1);
	EXPECT_EQ(r.err, EINTR);
	EXPECT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_INTR);
	EXPECT_EQ(g.run->if_flag, 0);
	EXPECT_EQ(g.run->ready_for_interrupt, 0);
	vmmon_guest_destroy(&g);
}

/*
 * An interrupt injected while IF=0 waits in vmmon; sti; hlt halts in the
 * STI shadow before any window opens.  As on a CPU, the held interrupt
 * wakes the HLT: the handler (port 0x11) runs, then the code after the
 * HLT (port 0x12).  Before 3b434a3 RUN returned VMMON_EXIT_HLT with
 * ready_for_interrupt 0, and a VMM that sleeps on HLT slept for good.
 */
GUEST16(hlt_guest,
	"cli\n"
	"out %al, $0x10\n"
	"sti\n"
	"hlt\n"
	"out %al, $0x12\n"
	"1: hlt\n"
	"jmp 1b\n"
	"hlt_guest_handler:\n"
	"out %al, $0x11\n"
	"iret\n");
extern const uint8_t hlt_guest_handler[];

VMMON_TEST(hlt_wakes_for_held_interrupt)
{
	struct vmmon_interrupt irq = { .vector = 0x40 };
	struct vmmon_guest g;

	ASSERT_OK(guest16(&g, hlt_guest_start, hlt_guest_end));
	set_ivt(&g, 0x40, GUEST_LABEL(hlt_guest, hlt_guest_handler));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x10);
	EXPECT_EQ(g.run->if_flag, 0);
	ASSERT_OK(ioctl(g.vcpu, VMMON_INTERRUPT, &irq));	/* held: IF=0 */
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x11)				/* the handler */
		TH_LOG("ready_for_interrupt %u", g.run->ready_for_interrupt);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, 0x12);		/* past the HLT */
	vmmon_guest_destroy(&g);
}

/*
 * XMM0 from DATA, an exit, XMM0 to DATA + 16; then XCR0 from DATA2 with
 * XSETBV, read back with XGETBV to DATA2 + 8, and XSETBV of 0, which is
 * #GP (handler as in msr_guest, 3 bytes to skip).
 */
GUEST16(fpu_guest,
	"movups 0x2000, %xmm0\n"
	"out %al, $0x10\n"
	"movups %xmm0, 0x2010\n"
	"xor %ecx, %ecx\n"
	"mov 0x3000, %eax\n"
	"xor %edx, %edx\n"
	"xsetbv\n"
	"xgetbv\n"
	"mov %eax, 0x3008\n"
	"xor %eax, %eax\n"
	"xsetbv\n"
	"hlt\n"
	"fpu_guest_gp:\n"
	"mov $0x600d, %bx\n"
	"push %bp\n"
	"mov %sp, %bp\n"
	"addw $3, 2(%bp)\n"
	"pop %bp\n"
	"iret\n");
extern const uint8_t fpu_guest_gp[];

static const struct {
	struct vmmon_cpuid hdr;
	struct vmmon_cpuid_entry e[1];
} xsave_cpuid = { .hdr.nent = 1, .e = { { .function = 1, .ecx = 1 << 26 } } };

VMMON_TEST(guest_fpu_state_is_its_own)
{
	static const uint8_t guest_xmm[16] = "guest's xmm0 !!";
	static const uint8_t host_xmm[16] = "host's xmm0 ...";
	uint8_t now[16];
	struct vmmon_sregs sregs;
	struct vmmon_guest g;
	uint32_t xcr0, back;

	ASSERT_OK(guest16(&g, fpu_guest_start, fpu_guest_end));
	/* CR4.OSXSAVE needs XSAVE in the guest's CPUID. */
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &xsave_cpuid));
	set_ivt(&g, 13, GUEST_LABEL(fpu_guest, fpu_guest_gp));
	memcpy(g.ram + DATA, guest_xmm, 16);
	asm volatile("xgetbv" : "=a"(xcr0) : "c"(0) : "edx");
	xcr0 &= 0xe7;	/* x87, SSE, AVX, AVX-512: what vmmon lets a guest have */
	memcpy(g.ram + DATA2, &xcr0, 4);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.cr4 |= 1 << 9 | 1 << 10 | 1 << 18;	/* OSFXSR, OSXMMEXCPT, OSXSAVE */
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);

	/* The host uses XMM0 between the exits; the guest must not see it. */
	asm volatile("movups %0, %%xmm0" : : "m"(host_xmm) : "xmm0");
	ASSERT_OK(vmmon_guest_run(&g));
	asm volatile("movups %%xmm0, %0" : "=m"(now) : : "xmm0");
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	EXPECT_EQ(memcmp(g.ram + DATA + 16, guest_xmm, 16), 0);
	EXPECT_EQ(memcmp(now, host_xmm, 16), 0);	/* and the other way */
	memcpy(&back, g.ram + DATA2 + 8, 4);
	EXPECT_EQ(back, xcr0);				/* XSETBV took */
	EXPECT_EQ(REG(&g, rbx) & 0xffff, 0x600du);	/* XSETBV of 0: #GP */
	ksft_print_msg("host XCR0 %#x\n", xcr0);
	vmmon_guest_destroy(&g);
}

/*
 * A counter kept in BX and in XMM0 (XMM1 holds the step, from DATA),
 * shown in SI at each exit: both must survive the exits, whatever CPU
 * the vCPU's thread moved to and whichever other VMCS was loaded there.
 */
GUEST16(count_guest,
	"movups 0x2000, %xmm1\n"
	"1:\n"
	"inc %bx\n"
	"paddd %xmm1, %xmm0\n"
	"movd %xmm0, %esi\n"
	"out %al, $0x10\n"
	"jmp 1b\n");

static int count_guest_create(struct vmmon_guest *g)
{
	static const uint32_t step[4] = { 1, 0, 0, 0 };
	struct vmmon_sregs sregs;

	if (guest16(g, count_guest_start, count_guest_end))
		return -1;
	memcpy(g->ram + DATA, step, sizeof(step));
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs))
		return -1;
	sregs.cr4 |= 1 << 9;	/* OSFXSR */
	return ioctl(g->vcpu, VMMON_SET_SREGS, &sregs);
}

/* One more count: RUN to the OUT, with BX and SI both @want. */
static bool count_once(struct __test_metadata *_metadata,
		       struct vmmon_guest *g, uint64_t want)
{
	struct vmmon_regs regs;

	if (vmmon_guest_run(g) || g->run->exit_reason != VMMON_EXIT_IO ||
	    ioctl(g->vcpu, VMMON_GET_REGS, &regs)) {
		TH_LOG("count %llu: RUN failed (%s, exit %u)",
		       (unsigned long long)want, strerror(errno),
		       g->run->exit_reason);
		return false;
	}
	if ((regs.rbx & 0xffff) == want && (uint32_t)regs.rsi == want)
		return true;
	TH_LOG("count %llu: BX %#llx, SI %#llx", (unsigned long long)want,
	       (unsigned long long)regs.rbx, (unsigned long long)regs.rsi);
	return false;
}

static uint64_t vcpu_loads(struct vmmon_guest *g)
{
	struct vmmon_vcpu_stats st;

	return ioctl(g->vcpu, VMMON_GET_VCPU_STATS, &st) ? ~0ULL : st.loads;
}

/* Run this thread on @cpu only, or on every CPU for -1. */
static int pin_to_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < online_cpus(); i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

#define COUNT_ROUNDS	200

/*
 * A return to userspace leaves the vCPU's state on the CPU (issue 8): a
 * thread that stays on one CPU loads it there once, however many RUNs.
 */
VMMON_TEST(vmcs_stays_loaded_across_returns)
{
	struct vmmon_guest g;
	int i;

	ASSERT_OK(pin_to_cpu(sched_getcpu()));
	ASSERT_OK(count_guest_create(&g));
	for (i = 1; i <= COUNT_ROUNDS; i++)
		if (!count_once(_metadata, &g, i))
			break;
	EXPECT_EQ(i, COUNT_ROUNDS + 1);
	EXPECT_EQ(vcpu_loads(&g), 1u);
	ksft_print_msg("%d RUNs, %llu load(s)\n", COUNT_ROUNDS,
		       (unsigned long long)vcpu_loads(&g));
	vmmon_guest_destroy(&g);
	pin_to_cpu(-1);
}

#define MOVE_ROUNDS	40

/*
 * The thread moves between CPUs 0 and 1 every round, and a second VM's
 * vCPU runs between two RUNs of the first on each CPU: the first's
 * VMCS is cleared on the CPU it left (an IPI), loaded where it arrives,
 * and loaded again (not launched again) after the second's.  The guest's
 * registers and SSE state count on as if nothing happened.
 */
VMMON_TEST(vcpu_follows_its_thread_across_cpus)
{
	struct vmmon_guest a, b;
	uint64_t want = 0, loads;
	int i;

	if (online_cpus() < 2)
		SKIP(return, "vcpu_follows_its_thread_across_cpus: needs 2 CPUs");
	ASSERT_OK(count_guest_create(&a));
	ASSERT_OK(count_guest_create(&b));
	for (i = 0; i < MOVE_ROUNDS; i++) {
		ASSERT_OK(pin_to_cpu(i % 2));
		if (!count_once(_metadata, &a, ++want) ||
		    !count_once(_metadata, &b, i + 1) ||
		    !count_once(_metadata, &a, ++want))
			break;
	}
	EXPECT_EQ(i, MOVE_ROUNDS);
	loads = vcpu_loads(&a);
	/* One per move, one at creation, and none for the other VM's turn. */
	EXPECT_GE(loads, (uint64_t)MOVE_ROUNDS);
	EXPECT_LE(loads, (uint64_t)MOVE_ROUNDS + 1);
	ksft_print_msg("%d moves: %llu loads\n", MOVE_ROUNDS,
		       (unsigned long long)loads);
	vmmon_guest_destroy(&a);
	vmmon_guest_destroy(&b);
	pin_to_cpu(-1);
}

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

/*
 * CPU 1 goes offline while the vCPU's state is on it: it leaves VMX
 * operation only after writing that state back (VMCLEAR), and the vCPU
 * goes on on CPU 0, then on CPU 1 once it is back, launched afresh each
 * time (VMLAUNCH of a VMCS not cleared fails).
 */
VMMON_TEST(vcpu_survives_its_cpu_going_offline)
{
	struct vmmon_guest g;
	uint64_t loads;

	if (online_cpus() < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "vcpu_survives_its_cpu_going_offline: needs a second CPU that can go offline");
	ASSERT_OK(pin_to_cpu(1));
	ASSERT_OK(count_guest_create(&g));
	EXPECT_TRUE(count_once(_metadata, &g, 1));
	loads = vcpu_loads(&g);
	ASSERT_OK(pin_to_cpu(0));
	ASSERT_OK(write_file(CPU1_ONLINE, "0"));
	EXPECT_TRUE(count_once(_metadata, &g, 2));
	EXPECT_TRUE(count_once(_metadata, &g, 3));
	EXPECT_EQ(vcpu_loads(&g), loads + 1);
	ASSERT_OK(write_file(CPU1_ONLINE, "1"));
	ASSERT_OK(pin_to_cpu(1));
	EXPECT_TRUE(count_once(_metadata, &g, 4));
	EXPECT_EQ(vcpu_loads(&g), loads + 2);
	vmmon_guest_destroy(&g);
	pin_to_cpu(-1);
}

VMMON_TEST(vm_stats_sum_vcpus)
{
	struct vmmon_vm_stats vst;
	struct vmmon_vcpu_stats cst;
	struct vmmon_guest g;
	unsigned int i;

	ASSERT_OK(guest16(&g, cpuid_guest_start, cpuid_guest_end));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &cst));
	ASSERT_OK(ioctl(g.vm, VMMON_GET_VM_STATS, &vst));
	EXPECT_EQ(cst.exits.count[VMMON_STAT_EXIT_CPUID], 1u);
	EXPECT_EQ(cst.exits.count[VMMON_STAT_EXIT_HLT], 1u);
	EXPECT_TRUE(cst.exits.count[VMMON_STAT_EXIT_EPT_FAULT] >= 1);
	EXPECT_EQ(vst.exits.total, cst.exits.total);
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		EXPECT_EQ(vst.exits.count[i], cst.exits.count[i]);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, NULL), EFAULT);
	vmmon_guest_destroy(&g);
}

/* Every ioctl with an argument, on the fd it belongs to. */
static const struct {
	unsigned long cmd;
	bool on_vcpu;
} arg_ioctls[] = {
	{ VMMON_SET_MEMORY_REGION, false }, { VMMON_GET_VM_STATS, false },
	{ VMMON_CREATE_VCPU, false }, { VMMON_DISCARD_MEMORY, false },
	{ VMMON_SAMPLE_ACCESSED, false },
	{ VMMON_GET_REGS, true }, { VMMON_SET_REGS, true },
	{ VMMON_GET_SREGS, true }, { VMMON_SET_SREGS, true },
	{ VMMON_SET_CPUID, true }, { VMMON_GET_CPUID, true },
	{ VMMON_GET_MSRS, true }, { VMMON_SET_MSRS, true },
	{ VMMON_INTERRUPT, true }, { VMMON_GET_VCPU_STATS, true },
};

/*
 * Null, unmapped and kernel pointers give EFAULT; an ioctl on the wrong
 * kind of fd gives ENOTTY; a vCPU run before the VM has any memory stops
 * with an internal error.  None of it may hurt the host.
 */
VMMON_TEST(bad_input_to_every_ioctl)
{
	static void *const bad[] = {
		NULL, (void *)1, (void *)0xffffffff81000000ULL,
	};
	struct vmmon_create_vcpu c = { 0 };
	struct vmmon_run *run;
	unsigned int i, j;
	int vm, vcpu, fd, err;
	long r;

	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	vcpu = ioctl(vm, VMMON_CREATE_VCPU, &c);
	ASSERT_OK(vcpu);
	for (i = 0; i < sizeof(arg_ioctls) / sizeof(arg_ioctls[0]); i++) {
		fd = arg_ioctls[i].on_vcpu ? vcpu : vm;
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			r = ioctl(fd, arg_ioctls[i].cmd, bad[j]);
			err = errno;
			EXPECT_TRUE(r == -1 && err == EFAULT)
				TH_LOG("ioctl %#lx, pointer %p: %ld (%s), expected EFAULT",
				       arg_ioctls[i].cmd, bad[j], r,
				       r == -1 ? strerror(err) : "no error");
		}
		EXPECT_ERRNO(ioctl(arg_ioctls[i].on_vcpu ? vm : vcpu,
				   arg_ioctls[i].cmd, bad[0]), ENOTTY);
		EXPECT_ERRNO(ioctl(dev, arg_ioctls[i].cmd, bad[0]), ENOTTY);
	}
	/* No RAM at all: the reset vector is not even fetchable. */
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_TRUE(run != MAP_FAILED);
	ASSERT_OK(vmmon_vcpu_run(vcpu, run));
	EXPECT_EQ(run->exit_reason, (__u32)VMMON_EXIT_INTERNAL);
	EXPECT_EQ(run->internal.suberror, (__u32)VMMON_INTERNAL_EMULATION);
	ksft_print_msg("RUN without memory: internal error %u at %#llx\n",
		       run->internal.suberror,
		       (unsigned long long)run->internal.data[0]);
	munmap(run, 4096);
	close(vcpu);
	close(vm);
}

/*
 * The speculation mitigations of the world switch (review kmod.md F4),
 * counted in /sys/class/misc/vmmon/mitigations/ against VM entries.
 */
enum { M_ENTRIES, M_L1D, M_VERW, M_RSB, M_BHB, M_SPEC_CTRL, M_IBPB_SWITCH,
       M_IBPB_USER, NR_M };

static const char *const m_names[NR_M] = {
	"entries", "l1d_flush", "verw", "rsb_fill", "bhb_clear", "spec_ctrl",
	"ibpb_switch", "ibpb_exit_to_user",
};

#define L1D_PARAM	"/sys/module/vmmon/parameters/l1d_flush"
#define VULN_DIR	"/sys/devices/system/cpu/vulnerabilities/"
#define MIT_ROUNDS	1000

static void mitigation_counts(long *c)
{
	char name[64];
	int i;

	for (i = 0; i < NR_M; i++) {
		snprintf(name, sizeof(name), "mitigations/%s", m_names[i]);
		c[i] = vmmon_counter(name);
	}
}

static void mitigation_deltas(long *c)
{
	long now[NR_M];
	int i;

	mitigation_counts(now);
	for (i = 0; i < NR_M; i++)
		c[i] = now[i] - c[i];
}

/* The kernel's report of @bug mentions @text (a missing file: no). */
static bool vuln_says(const char *bug, const char *text)
{
	char path[128], buf[512] = "";
	FILE *f;

	snprintf(path, sizeof(path), VULN_DIR "%s", bug);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, text) != NULL;
}

/* The kernel's report of @bug, on the test's output. */
static void show_vuln(const char *bug)
{
	char path[128], buf[512] = "";
	FILE *f;

	snprintf(path, sizeof(path), VULN_DIR "%s", bug);
	f = fopen(path, "re");
	if (f && !fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	if (f)
		fclose(f);
	ksft_print_msg("%s: %s%s", bug, buf[0] ? buf : "(none)",
		       buf[0] ? "" : "\n");
}

/* mov si,MIT_ROUNDS; l: xor eax,eax; cpuid; dec si; jnz l; hlt */
GUEST16(cpuid_loop_guest,
	"mov $1000, %si\n"
	"1: xor %eax, %eax\n"
	"cpuid\n"
	"dec %si\n"
	"jnz 1b\n"
	"hlt\n");
/* l: out 0x80,al; jmp l: every RUN is one exit to userspace. */
GUEST16(out_loop_guest, "1: out %al, $0x80\n jmp 1b\n");

/* MIT_ROUNDS CPUID exits in one RUN; the mitigations' counts meanwhile. */
static int cpuid_loop_counts(long *c, uint64_t *exits_total)
{
	struct vmmon_vcpu_stats st;
	struct vmmon_guest g;
	int err;

	err = guest16(&g, cpuid_loop_guest_start, cpuid_loop_guest_end);
	if (err)
		return err;
	mitigation_counts(c);
	err = vmmon_guest_run(&g);
	mitigation_deltas(c);
	if (!err && g.run->exit_reason != VMMON_EXIT_HLT)
		err = -1;
	if (!err)
		err = ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st);
	*exits_total = st.exits.total;
	vmmon_guest_destroy(&g);
	return err;
}

/*
 * Each mitigation ran at every entry where the kernel's report says it
 * applies to this CPU, and never where it does not: VERW (MDS, TAA,
 * RFDS: "Mitigation: Clear CPU buffers"; not where the kernel found no
 * microcode that makes VERW clear them), the RSB fill (spectre_v2 "RSB filling"),
 * the BHB clearing ("KVM: SW loop"), SPEC_CTRL after exit (legacy
 * IBRS).  On one CPU, so that the counts are this guest's.
 */
VMMON_TEST(mitigations_follow_the_kernel)
{
	bool verw = vuln_says("mds", "Mitigation: Clear CPU buffers") ||
		    vuln_says("tsx_async_abort", "Mitigation: Clear CPU buffers") ||
		    vuln_says("reg_file_data_sampling", "Mitigation: Clear CPU buffers") ||
		    vuln_says("tsa", "Mitigation: Clear CPU buffers");
	bool rsb = vuln_says("spectre_v2", "RSB filling") ||
		   vuln_says("spectre_v2", "PBRSB-eIBRS: SW sequence");
	bool bhb = vuln_says("spectre_v2", "KVM: SW loop");
	bool ibrs = vuln_says("spectre_v2", "Mitigation: IBRS");
	static const char *const vulns[] = {
		"mds", "tsx_async_abort", "reg_file_data_sampling", "l1tf",
		"spectre_v2", "vmscape",
	};
	uint64_t total;
	long c[NR_M];
	char active[256] = "";
	size_t i;
	FILE *f;

	pin_to_cpu(0);
	ASSERT_OK(cpuid_loop_counts(c, &total));
	pin_to_cpu(-1);
	f = fopen(VMMON_SYSFS "mitigations/active", "re");
	ASSERT_NE(NULL, f);
	if (!fgets(active, sizeof(active), f))
		active[0] = '\0';
	fclose(f);
	ksft_print_msg("active: %s", active);
	for (i = 0; i < sizeof(vulns) / sizeof(vulns[0]); i++)
		show_vuln(vulns[i]);
	ksft_print_msg("entries %ld: l1d_flush %ld, verw %ld, rsb_fill %ld, bhb_clear %ld, spec_ctrl %ld\n",
		       c[M_ENTRIES], c[M_L1D], c[M_VERW], c[M_RSB], c[M_BHB],
		       c[M_SPEC_CTRL]);
	EXPECT_EQ(c[M_ENTRIES], (long)total);
	EXPECT_GE(c[M_ENTRIES], MIT_ROUNDS + 1);
	EXPECT_EQ(c[M_VERW], verw ? c[M_ENTRIES] : 0);
	EXPECT_EQ(c[M_RSB], rsb ? c[M_ENTRIES] : 0);
	EXPECT_EQ(c[M_BHB], bhb ? c[M_ENTRIES] : 0);
	EXPECT_EQ(c[M_SPEC_CTRL], ibrs ? c[M_ENTRIES] : 0);
}

/*
 * l1d_flush: always flushes before every entry, never before none, cond
 * before the first entry of each RUN (the VMM ran) and after
 * interrupts, not after exits handled in the kernel alone (CPUID).
 */
VMMON_TEST(l1d_flush_modes)
{
	char old[16] = "";
	uint64_t total;
	long c[NR_M];
	FILE *f;

	f = fopen(L1D_PARAM, "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	EXPECT_ERRNO(write_file(L1D_PARAM, "sometimes"), EINVAL);
	pin_to_cpu(0);

	ASSERT_OK(write_file(L1D_PARAM, "always"));
	ASSERT_OK(cpuid_loop_counts(c, &total));
	EXPECT_EQ(c[M_L1D], c[M_ENTRIES]);

	ASSERT_OK(write_file(L1D_PARAM, "never"));
	ASSERT_OK(cpuid_loop_counts(c, &total));
	EXPECT_EQ(c[M_L1D], 0);

	ASSERT_OK(write_file(L1D_PARAM, "cond"));
	ASSERT_OK(cpuid_loop_counts(c, &total));
	EXPECT_GE(c[M_L1D], 1);
	EXPECT_LT(c[M_L1D], c[M_ENTRIES] / 2);
	ksft_print_msg("cond: %ld flushes over %ld entries of one RUN\n",
		       c[M_L1D], c[M_ENTRIES]);

	pin_to_cpu(-1);
	ASSERT_OK(write_file(L1D_PARAM, old));
}

/*
 * Two VMs take turns on one CPU: IBPB at each change of VM where the
 * kernel uses IBPB ("IBPB: conditional" or "always-on"), and IBPB on
 * the way to the VMM after each RUN where it reports VMSCAPE mitigated.
 */
#define SWITCH_ROUNDS	10

VMMON_TEST(ibpb_between_vms_and_before_the_vmm)
{
	bool ibpb = vuln_says("spectre_v2", "IBPB: conditional") ||
		    vuln_says("spectre_v2", "IBPB: always-on");
	bool vmscape = vuln_says("vmscape", "IBPB before exit to userspace");
	struct vmmon_guest g[2];
	long c[NR_M];
	int i, bad = 0;

	pin_to_cpu(0);
	ASSERT_OK(guest16(&g[0], out_loop_guest_start, out_loop_guest_end));
	ASSERT_OK(guest16(&g[1], out_loop_guest_start, out_loop_guest_end));
	mitigation_counts(c);
	for (i = 0; i < 2 * SWITCH_ROUNDS; i++)
		if (vmmon_guest_run(&g[i % 2]) ||
		    g[i % 2].run->exit_reason != VMMON_EXIT_IO)
			bad++;
	mitigation_deltas(c);
	pin_to_cpu(-1);
	EXPECT_EQ(bad, 0);
	ksft_print_msg("%d RUNs, VMs alternating: ibpb_switch %ld, ibpb_exit_to_user %ld\n",
		       2 * SWITCH_ROUNDS, c[M_IBPB_SWITCH], c[M_IBPB_USER]);
	/* The first RUN may follow a VM freed at the same address. */
	if (ibpb) {
		EXPECT_GE(c[M_IBPB_SWITCH], 2 * SWITCH_ROUNDS - 1);
	} else {
		EXPECT_EQ(c[M_IBPB_SWITCH], 0);
	}
	/* Each RUN is one batch here: the guest exits to userspace at once. */
	EXPECT_EQ(c[M_IBPB_USER], vmscape ? c[M_ENTRIES] : 0);
	vmmon_guest_destroy(&g[0]);
	vmmon_guest_destroy(&g[1]);
}

VMMON_TEST_MAIN
