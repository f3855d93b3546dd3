// SPDX-License-Identifier: GPL-2.0
/*
 * A guest sees a real x86 CPU (issue 11): its debug registers with the
 * CPU's checks (DR4/DR5, DR7.GD), instruction and data breakpoints,
 * single-step over instructions the CPU runs and over those vmmon or
 * userspace complete (CPUID, RDMSR, MOV DR, OUT), also in a MOV SS
 * shadow; ICEBP; a watchpoint hit by MOV SS with INT3, ICEBP or CPUID
 * in its shadow; breakpoints at CPL 3; the host's breakpoints and the
 * guest's apart; NMIs (VMMON_NMI) held while a handler runs, until its
 * IRET, and posted in an STI shadow; SET_REGS ending a shadow; RF in
 * the frame of a fault vmmon injects; the MSRs a CPU with MCA and
 * TSC_ADJUST has; SYSCALL; and the features a CPUID table hides faulting
 * as on a CPU without them.  The guests are C functions of this program
 * in long mode (tests/lib/vmmon_guest.h), at CPL 0.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"
#include "vmmon_ucall_test.h"
#include "vmmon_util.h"

#define VEC_DB		1
#define VEC_NMI		2
#define VEC_BP		3
#define VEC_UD		6
#define VEC_GP		13
#define NO_FAULT	0xff

#define RFLAGS_TF	(1ULL << 8)
#define RFLAGS_RF	(1ULL << 16)

#define DR6_FIXED	0xffff0ff0ULL
#define DR6_B0		(1ULL << 0)
#define DR6_B1		(1ULL << 1)
#define DR6_B2		(1ULL << 2)
#define DR6_B_ALL	0xfULL
#define DR6_BD		(1ULL << 13)
#define DR6_BS		(1ULL << 14)
#define DR7_FIXED	0x400ULL
#define DR7_L0		(1ULL << 0)
#define DR7_L1		(1ULL << 2)
#define DR7_L2		(1ULL << 4)
#define DR7_L3		(1ULL << 6)
#define DR7_RW0_RW	(3ULL << 16)	/* 11b: reads and writes */
#define DR7_LEN0_8	(2ULL << 18)
#define DR7_RW2_WRITE	(1ULL << 24)
#define DR7_LEN2_8	(2ULL << 26)
#define DR7_GD		(1ULL << 13)
#define DR7_RW1_WRITE	(1ULL << 20)
#define DR7_LEN1_8	(2ULL << 22)	/* 10b: 8 bytes */

#define CR4_DE		(1ULL << 3)
#define CR4_FSGSBASE	(1ULL << 16)
#define CR4_PCIDE	(1ULL << 17)
#define CR4_OSXSAVE	(1ULL << 18)
#define CR4_SMEP	(1ULL << 20)

#define MSR_TSC			0x10
#define MSR_APIC_BASE		0x1b
#define APIC_BASE_ENABLE	(1ULL << 11)
#define MSR_TSC_ADJUST		0x3b
#define MSR_MCG_CAP		0x179
#define MSR_MCG_STATUS		0x17a
#define MSR_MISC_ENABLE		0x1a0
#define MISC_FAST_STRING	(1ULL << 0)
#define MISC_BTS_UNAVAIL	(1ULL << 11)
#define MSR_DEBUGCTL		0x1d9
#define DEBUGCTL_LBR		(1ULL << 0)
#define DEBUGCTL_BTF		(1ULL << 1)
#define MSR_MC_CTL(i)		(0x400 + 4 * (i))
#define MSR_MC_STATUS(i)	(0x401 + 4 * (i))
#define MSR_EFER		0xc0000080
#define EFER_SCE		(1ULL << 0)
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_SFMASK		0xc0000084
#define MSR_TSC_AUX		0xc0000103
#define MCE_BANKS		10	/* what vmmon gives, as QEMU */
#define APIC_BASE_EXTD		(1ULL << 10)	/* x2APIC mode */
#define MSR_TSC_DEADLINE	0x6e0
#define MSR_X2APIC_ID		0x802
#define MSR_X2APIC_EOI		0x80b
#define MSR_X2APIC_ICR		0x830

#define CPUID1_ECX_XSAVE	(1U << 26)
#define CPUID1_ECX_X2APIC	(1U << 21)
#define CPUID1_ECX_TSC_DEADLINE	(1U << 24)
#define CPUID1_EDX_MCE		(1U << 7)
#define CPUID1_EDX_APIC		(1U << 9)
#define CPUID1_EDX_MCA		(1U << 14)
#define CPUID7_EBX_TSC_ADJUST	(1U << 1)
#define CPUID_EXT1_EDX_RDTSCP	(1U << 27)

#define DEBUG_PORT	0x80	/* an OUT the host answers by running on */

/*
 * Faults the guest provokes on purpose: the handler notes the vector,
 * the faulting RIP and the pushed RFLAGS, and resumes at recover_rip,
 * which each probe sets to the end of its instruction.
 */
static volatile uint64_t fault_vector, fault_rip, fault_rflags;
/* Named in PROBE's assembly, which writes it. */
static volatile uint64_t recover_rip __attribute__((used));

static void guest_catch(struct vmmon_guest_frame *f)
{
	fault_vector = f->vector;
	fault_rip = f->rip;
	fault_rflags = f->rflags;
	f->rip = recover_rip;
}

static void guest_catch_all(void)
{
	guest_install_handler(VEC_UD, guest_catch);
	guest_install_handler(VEC_GP, guest_catch);
	guest_install_handler(VEC_DB, guest_catch);
}

/* Run @insn with recovery after it; evaluates to the vector or NO_FAULT. */
#define PROBE(insn, ...) ({						\
	fault_vector = NO_FAULT;					\
	asm volatile("leaq 1f(%%rip), %%r11\n\t"			\
		     "movq %%r11, recover_rip(%%rip)\n\t"		\
		     insn "\n1:" __VA_ARGS__);				\
	fault_vector;							\
})

static uint64_t try_rdmsr(uint32_t index, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	uint64_t v = PROBE("rdmsr", : "=a"(lo), "=d"(hi) : "c"(index)
			   : "r11", "memory");

	*val = (uint64_t)hi << 32 | lo;
	return v;
}

static uint64_t try_wrmsr(uint32_t index, uint64_t val)
{
	return PROBE("wrmsr", : : "a"((uint32_t)val),
		     "d"((uint32_t)(val >> 32)), "c"(index) : "r11", "memory");
}

static uint64_t rdmsr(uint32_t index)
{
	uint64_t v;

	GUEST_ASSERT_EQ(try_rdmsr(index, &v), NO_FAULT);
	return v;
}

static uint64_t read_cr4(void)
{
	uint64_t cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	return cr4;
}

static uint64_t try_write_cr4(uint64_t cr4)
{
	return PROBE("mov %0, %%cr4", : : "r"(cr4) : "r11", "memory");
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define READ_DR(n) ({							\
	uint64_t __v;							\
	asm volatile("mov %%dr" #n ", %0" : "=r"(__v));			\
	__v;								\
})
#define WRITE_DR(n, v) asm volatile("mov %0, %%dr" #n : : "r"((uint64_t)(v)))

/* Host side: the guest's CPUID table, from up to 4 entries. */
struct cpuid_table {
	struct vmmon_cpuid hdr;
	struct vmmon_cpuid_entry e[4];
};

/* A LAPIC with the TSC-deadline timer mode. */
static const struct cpuid_table cpuid_tsc_deadline = {
	.hdr.nent = 1,
	.e = { { .function = 1, .edx = CPUID1_EDX_APIC,
		 .ecx = CPUID1_ECX_TSC_DEADLINE } },
};

/*
 * Run to the next ucall, running on past OUTs to DEBUG_PORT and past the
 * notices of IA32_APIC_BASE changes (no LAPIC model here to tell).
 */
static int run_past_debug_port(struct vmmon_guest *g, struct vmmon_ucall *uc)
{
	const struct vmmon_run *run = g->run;
	int kind;

	for (;;) {
		kind = vmmon_guest_run_ucall(g, uc);
		if (kind != VMMON_UCALL_NONE)
			return kind;
		if (run->exit_reason == VMMON_EXIT_IO &&
		    run->io.port == DEBUG_PORT)
			continue;
		if (run->exit_reason == VMMON_EXIT_MSR &&
		    run->msr.index == MSR_APIC_BASE && run->msr.is_write)
			continue;
		return kind;
	}
}

/* The guest asserts; the host only runs it to its end. */
static void run_guest_to_done(struct __test_metadata *_metadata,
			      const void *entry,
			      const struct cpuid_table *cpuid)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	char buf[256];

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, entry, 0, 0));
	if (cpuid)
		ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, cpuid));
	EXPECT_EQ(run_past_debug_port(&g, &uc), VMMON_UCALL_DONE) {
		show_exit(_metadata, &g);
		TH_LOG("%s", vmmon_ucall_describe(&uc, buf, sizeof(buf)));
	}
	vmmon_guest_destroy(&g);
}

static void guest_debug_registers(void)
{
	static const uint64_t dr[4] = {
		0x1000, 0xffffffff80001234ULL, 0x7ffff000, 0x123456789aULL,
	};
	uint64_t v;

	guest_catch_all();
	WRITE_DR(0, dr[0]);
	WRITE_DR(1, dr[1]);
	WRITE_DR(2, dr[2]);
	WRITE_DR(3, dr[3]);
	GUEST_ASSERT_EQ(READ_DR(0), dr[0]);
	GUEST_ASSERT_EQ(READ_DR(1), dr[1]);
	GUEST_ASSERT_EQ(READ_DR(2), dr[2]);
	GUEST_ASSERT_EQ(READ_DR(3), dr[3]);
	/* DR6: B0-B3, BD, BS, BT take writes; the rest reads as fixed. */
	WRITE_DR(6, 0);
	GUEST_ASSERT_EQ(READ_DR(6), DR6_FIXED);
	WRITE_DR(6, DR6_B1 | DR6_BS);
	GUEST_ASSERT_EQ(READ_DR(6), DR6_FIXED | DR6_B1 | DR6_BS);
	/* DR7: bit 10 reads as 1; no breakpoint enabled here. */
	WRITE_DR(7, 0x00f00300);
	GUEST_ASSERT_EQ(READ_DR(7), 0x00f00300 | DR7_FIXED);
	/* DR4 and DR5 alias DR6 and DR7 while CR4.DE is clear. */
	GUEST_ASSERT_EQ(READ_DR(4), DR6_FIXED | DR6_B1 | DR6_BS);
	GUEST_ASSERT_EQ(READ_DR(5), 0x00f00300 | DR7_FIXED);
	WRITE_DR(5, 0);
	GUEST_ASSERT_EQ(READ_DR(7), DR7_FIXED);
	/* DR7 bits 63:32 #GP. */
	GUEST_ASSERT_EQ(PROBE("mov %0, %%dr7", : : "r"(1ULL << 32)
			      : "r11", "memory"), VEC_GP);
	/* With CR4.DE, DR4 and DR5 #UD. */
	GUEST_ASSERT_EQ(try_write_cr4(read_cr4() | CR4_DE), NO_FAULT);
	GUEST_ASSERT_EQ(PROBE("mov %%dr4, %0", : "=r"(v) : : "r11", "memory"),
			VEC_UD);
	GUEST_ASSERT_EQ(PROBE("mov %0, %%dr5", : : "r"(0ULL) : "r11", "memory"),
			VEC_UD);
	GUEST_ASSERT_EQ(try_write_cr4(read_cr4() & ~CR4_DE), NO_FAULT);
	GUEST_DONE();
}

VMMON_TEST(debug_registers_read_back_as_on_a_cpu)
{
	run_guest_to_done(_metadata, guest_debug_registers, NULL);
}

/*
 * DR7.GD: the next debug-register access is a #DB fault (RIP on the MOV,
 * RF pushed set, DR6.BD), and the CPU clears GD for the handler.
 */
static void guest_general_detect(void)
{
	uint64_t v = 0, start;

	guest_catch_all();
	WRITE_DR(6, 0);
	WRITE_DR(7, DR7_GD);
	asm volatile("leaq 2f(%%rip), %0" : "=r"(start));
	GUEST_ASSERT_EQ(PROBE("2: mov %%dr0, %0", : "=r"(v) : : "r11", "memory"),
			VEC_DB);
	GUEST_ASSERT_EQ(fault_rip, start);
	GUEST_ASSERT(fault_rflags & RFLAGS_RF);
	GUEST_ASSERT_EQ(READ_DR(7), DR7_FIXED);
	GUEST_ASSERT_EQ(READ_DR(6), DR6_FIXED | DR6_BD);
	GUEST_DONE();
}

VMMON_TEST(dr7_gd_faults_the_next_access)
{
	run_guest_to_done(_metadata, guest_general_detect, NULL);
}

/* Breakpoints: the handler counts hits and sets RF to go on. */
static volatile uint64_t bp_hits, bp_rip, bp_dr6, bp_rflags;

static void guest_bp_handler(struct vmmon_guest_frame *f)
{
	bp_hits++;
	bp_rip = f->rip;
	bp_rflags = f->rflags;
	bp_dr6 = READ_DR(6);
	WRITE_DR(6, 0);
	f->rflags |= RFLAGS_RF;
}

asm(".pushsection .text\n"
    ".globl bp_target\n"
    "bp_target:\n"
    "	nop\n"
    "	ret\n"
    ".popsection");
void bp_target(void);

static volatile uint64_t watched __attribute__((aligned(8)));

static void guest_breakpoints(void)
{
	uint64_t after_store, v;

	guest_install_handler(VEC_DB, guest_bp_handler);
	WRITE_DR(6, 0);
	/* An instruction breakpoint: a fault on the instruction, RF clear. */
	WRITE_DR(0, (uintptr_t)bp_target);
	WRITE_DR(7, DR7_L0);
	bp_target();
	GUEST_ASSERT_EQ(bp_hits, 1);
	GUEST_ASSERT_EQ(bp_rip, (uintptr_t)bp_target);
	GUEST_ASSERT_EQ(bp_rflags & RFLAGS_RF, 0);
	GUEST_ASSERT_EQ(bp_dr6 & 0xf, DR6_B0);
	bp_target();
	GUEST_ASSERT_EQ(bp_hits, 2);
	/* A data breakpoint on writes: a trap after the store. */
	WRITE_DR(7, 0);
	WRITE_DR(1, (uintptr_t)&watched);
	WRITE_DR(7, DR7_L1 | DR7_RW1_WRITE | DR7_LEN1_8);
	v = watched;
	GUEST_ASSERT_EQ(bp_hits, 2);		/* reads do not hit */
	asm volatile("movq %2, %0\n3:\n\tleaq 3b(%%rip), %1"
		     : "=m"(watched), "=r"(after_store) : "r"(v + 1));
	GUEST_ASSERT_EQ(bp_hits, 3);
	GUEST_ASSERT_EQ(bp_rip, after_store);
	GUEST_ASSERT_EQ(bp_dr6 & 0xf, DR6_B1);
	WRITE_DR(7, 0);
	watched = 0;
	GUEST_ASSERT_EQ(bp_hits, 3);
	GUEST_DONE();
}

VMMON_TEST(instruction_and_data_breakpoints_fire_in_the_guest)
{
	run_guest_to_done(_metadata, guest_breakpoints, NULL);
}

/*
 * Single-step: the handler notes where each #DB came from and DR6, and
 * clears DR6 so that each trap must set BS anew.
 */
#define MAX_STEPS	16
static volatile uint64_t step_rip[MAX_STEPS], step_dr6[MAX_STEPS], steps;
static volatile uint64_t step_cpl;	/* of the last trap's code */

static void guest_step_handler(struct vmmon_guest_frame *f)
{
	if (steps < MAX_STEPS) {
		step_rip[steps] = f->rip;
		step_dr6[steps] = READ_DR(6);
	}
	step_cpl = f->cs & 3;
	steps++;
	WRITE_DR(6, 0);
}

/*
 * TF on, then instructions the CPU runs (NOP, XOR, MOV, PUSHF...), vmmon
 * completes (CPUID, RDMSR of the TSC, MOV from DR7) and userspace
 * completes (OUT): a #DB after each, RIP past it, BS in DR6.  The POPF
 * that sets TF traps only after the next instruction; the one that
 * clears it still traps.
 */
asm(".pushsection .text\n"
    ".globl step_body, s_nop, s_xor, s_cpuid, s_mov, s_rdmsr, s_movdr, s_out, s_pushf, s_and, s_popf\n"
    "step_body:\n"
    "	push %rbx\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "	nop\n"
    "s_nop:	xor %eax, %eax\n"
    "s_xor:	cpuid\n"
    "s_cpuid: mov $0x10, %ecx\n"
    "s_mov:	rdmsr\n"
    "s_rdmsr: mov %dr7, %rax\n"
    "s_movdr: out %al, $0x80\n"
    "s_out:	pushfq\n"
    "s_pushf: andq $~0x100, (%rsp)\n"
    "s_and:	popfq\n"
    "s_popf: pop %rbx\n"
    "	ret\n"
    ".popsection");
void step_body(void);
extern const char s_nop[], s_xor[], s_cpuid[], s_mov[], s_rdmsr[], s_movdr[],
	s_out[], s_pushf[], s_and[], s_popf[];

/* MOV SS (and an exit) in the shadow: the trap comes one instruction late. */
asm(".pushsection .text\n"
    ".globl mss_body, m_movfrom, m_nop, m_cpuid, m_pushf, m_and, m_popf\n"
    "mss_body:\n"
    "	push %rbx\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "	mov %ss, %eax\n"
    "m_movfrom: mov %eax, %ss\n"
    "	nop\n"
    "m_nop:	mov %eax, %ss\n"
    "	cpuid\n"
    "m_cpuid: pushfq\n"
    "m_pushf: andq $~0x100, (%rsp)\n"
    "m_and:	popfq\n"
    "m_popf: pop %rbx\n"
    "	ret\n"
    ".popsection");
void mss_body(void);

/* A step over STI: its shadow must not survive into the #DB's entry. */
asm(".pushsection .text\n"
    ".globl sti_body, t_sti, t_nop, t_cli, t_pushf, t_and, t_popf\n"
    "sti_body:\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "	sti\n"
    "t_sti:	nop\n"
    "t_nop:	cli\n"
    "t_cli:	pushfq\n"
    "t_pushf: andq $~0x100, (%rsp)\n"
    "t_and:	popfq\n"
    "t_popf: ret\n"
    ".popsection");
void sti_body(void);
extern const char t_sti[], t_nop[], t_cli[], t_pushf[], t_and[], t_popf[];

/* A step over HLT, IF clear: the #DB resumes it (SDM 3A 6.9, HLT). */
asm(".pushsection .text\n"
    ".globl hlt_body, h_nop, h_hlt, h_pushf, h_and, h_popf\n"
    "hlt_body:\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "	nop\n"
    "h_nop:	hlt\n"
    "h_hlt:	pushfq\n"
    "h_pushf: andq $~0x100, (%rsp)\n"
    "h_and:	popfq\n"
    "h_popf: ret\n"
    ".popsection");
void hlt_body(void);
extern const char h_nop[], h_hlt[], h_pushf[], h_and[], h_popf[];
extern const char m_movfrom[], m_nop[], m_cpuid[], m_pushf[], m_and[],
	m_popf[];

static void guest_check_steps(const char *const *want, uint64_t n)
{
	uint64_t i;

	GUEST_ASSERT_EQ(steps, n);
	for (i = 0; i < n; i++) {
		GUEST_ASSERT_EQ(step_rip[i], (uintptr_t)want[i]);
		GUEST_ASSERT_EQ(step_dr6[i], DR6_FIXED | DR6_BS);
	}
}

/* Run @body under the step handler: its @n traps must come at @want. */
static void guest_step_through(void (*body)(void), const char *const *want,
			       uint64_t n)
{
	guest_install_handler(VEC_DB, guest_step_handler);
	WRITE_DR(6, 0);
	steps = 0;
	body();
	guest_check_steps(want, n);
	GUEST_DONE();
}

static void guest_single_step(void)
{
	const char *const plain[] = {
		s_nop, s_xor, s_cpuid, s_mov, s_rdmsr, s_movdr, s_out,
		s_pushf, s_and, s_popf,
	};

	guest_step_through(step_body, plain, 10);
}

VMMON_TEST(single_step_traps_after_every_instruction)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_single_step, 0, 0));
	EXPECT_EQ(run_past_debug_port(&g, &uc), VMMON_UCALL_DONE) {
		char buf[256];

		show_exit(_metadata, &g);
		TH_LOG("%s", vmmon_ucall_describe(&uc, buf, sizeof(buf)));
	}
	vmmon_guest_destroy(&g);
}

static void guest_step_mov_ss(void)
{
	const char *const want[] = {
		m_movfrom, m_nop, m_cpuid, m_pushf, m_and, m_popf,
	};

	guest_step_through(mss_body, want, 6);
}

VMMON_TEST(single_step_waits_out_the_mov_ss_shadow)
{
	run_guest_to_done(_metadata, guest_step_mov_ss, NULL);
}

static void guest_step_sti(void)
{
	const char *const want[] = {
		t_sti, t_nop, t_cli, t_pushf, t_and, t_popf,
	};

	guest_step_through(sti_body, want, 6);
}

/* Unlike MOV SS, STI holds back interrupts, not the single-step trap. */
VMMON_TEST(single_step_over_sti)
{
	run_guest_to_done(_metadata, guest_step_sti, NULL);
}

static void guest_step_hlt(void)
{
	const char *const want[] = { h_nop, h_hlt, h_pushf, h_and, h_popf };

	guest_step_through(hlt_body, want, 5);
}

/*
 * The #DB of a step over HLT wakes it at once: vmmon delivers it, and
 * does not return VMMON_EXIT_HLT (nor, with VMMON_APIC_HLT_IN_KERNEL,
 * wait: the same check comes first; a guest with IF clear would wait
 * for ever, so it is not run here).
 */
VMMON_TEST(single_step_over_hlt)
{
	run_guest_to_done(_metadata, guest_step_hlt, NULL);
}

/* The same at CPL 3, with CPUID (vmmon-completed) among the steps. */
asm(".pushsection .text\n"
    ".globl user_step_body, u_nop, u_xor, u_cpuid, u_pushf, u_and, u_popf\n"
    "user_step_body:\n"
    "	push %rbx\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "	nop\n"
    "u_nop:	xor %eax, %eax\n"
    "u_xor:	cpuid\n"
    "u_cpuid: pushfq\n"
    "u_pushf: andq $~0x100, (%rsp)\n"
    "u_and:	popfq\n"
    "u_popf: pop %rbx\n"
    "	ret\n"
    ".popsection");
void user_step_body(void);
extern const char u_nop[], u_xor[], u_cpuid[], u_pushf[], u_and[], u_popf[];

static volatile uint64_t user_cs, user_vmcall_fault;

static void user_mode_body(void)
{
	uint16_t cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	user_cs = cs;
	user_step_body();
	/* VMCALL is the guest kernel's: #UD from user mode. */
	user_vmcall_fault = PROBE("vmcall", : : : "rax", "r11", "memory");
}

static void guest_user_mode(void)
{
	const char *const want[] = {
		u_nop, u_xor, u_cpuid, u_pushf, u_and, u_popf,
	};

	guest_catch_all();
	guest_install_handler(VEC_DB, guest_step_handler);
	WRITE_DR(6, 0);
	steps = 0;
	guest_user_call(user_mode_body);
	GUEST_ASSERT_EQ(user_cs, VMMON_GUEST_SEL_USER_CODE64 | 3);
	GUEST_ASSERT_EQ(user_vmcall_fault, VEC_UD);
	guest_check_steps(want, 6);
	GUEST_ASSERT_EQ(step_cpl, 3);
	GUEST_DONE();
}

/*
 * User mode (SYSRET there, SYSCALL back): single-step traps after each
 * instruction, the CPUID vmmon completes included, #DB frames at CPL 3,
 * VMCALL #UD.
 */
VMMON_TEST(single_step_and_sysret_in_user_mode)
{
	run_guest_to_done(_metadata, guest_user_mode, NULL);
}

/* ICEBP (INT1): a #DB trap after it, no DR6 condition bit. */
static void guest_icebp(void)
{
	uint64_t after;

	guest_install_handler(VEC_DB, guest_bp_handler);
	WRITE_DR(6, 0);
	bp_hits = 0;
	asm volatile(".byte 0xf1\n4:\n\tleaq 4b(%%rip), %0" : "=r"(after));
	GUEST_ASSERT_EQ(bp_hits, 1);
	GUEST_ASSERT_EQ(bp_rip, after);
	GUEST_ASSERT_EQ(bp_dr6, DR6_FIXED);
	GUEST_DONE();
}

VMMON_TEST(icebp_is_a_debug_trap)
{
	run_guest_to_done(_metadata, guest_icebp, NULL);
}

/* The guest's IDT gates (VMMON_GUEST_IDT, identity-mapped and writable). */
struct idt_gate {
	uint16_t offset0, selector;
	uint8_t ist, type;
	uint16_t offset1;
	uint32_t offset2, reserved;
} __attribute__((packed));

static volatile struct idt_gate *idt_gate(unsigned int vector)
{
	return (volatile struct idt_gate *)(uintptr_t)VMMON_GUEST_IDT + vector;
}

/* Where the guest library's stub for @vector starts. */
static uint64_t idt_stub(unsigned int vector)
{
	volatile struct idt_gate *g = idt_gate(vector);

	return g->offset0 | (uint64_t)g->offset1 << 16 |
	       (uint64_t)g->offset2 << 32;
}

/*
 * Every #DB, in the order its handler ran: RIP, DR6 (cleared after each,
 * so that each must set its bits anew) and CPL.  RF set on the way out,
 * for the instruction breakpoints (faults).
 */
#define MAX_DBS		4
static volatile uint64_t db_rip[MAX_DBS], db_dr6[MAX_DBS], db_cpl[MAX_DBS];
static volatile uint64_t dbs;

static void guest_db_log(struct vmmon_guest_frame *f)
{
	if (dbs < MAX_DBS) {
		db_rip[dbs] = f->rip;
		db_dr6[dbs] = READ_DR(6);
		db_cpl[dbs] = f->cs & 3;
	}
	dbs++;
	WRITE_DR(6, 0);
	f->rflags |= RFLAGS_RF;
}

static volatile uint64_t bp_vec_hits, bp_vec_rip;

static void guest_bp_log(struct vmmon_guest_frame *f)
{
	bp_vec_hits++;
	bp_vec_rip = f->rip;
}

/*
 * MOV SS loads SS from a watched word: the data breakpoint's #DB is held
 * for one instruction (SDM 3A 6.8.3, "Masking Exceptions and Interrupts
 * When Switching Stacks"), here INT3, ICEBP or CPUID.
 */
static volatile uint64_t ss_sel __attribute__((aligned(8), used));

asm(".pushsection .text\n"
    ".globl mss_watch_int3, mw_int3, mss_watch_icebp, mw_icebp\n"
    ".globl mss_watch_cpuid, mw_cpuid\n"
    "mss_watch_int3:\n"
    "	movw ss_sel(%rip), %ss\n"
    "	int3\n"
    "mw_int3: ret\n"
    "mss_watch_icebp:\n"
    "	movw ss_sel(%rip), %ss\n"
    "	.byte 0xf1\n"
    "mw_icebp: ret\n"
    "mss_watch_cpuid:\n"
    "	push %rbx\n"
    "	xor %eax, %eax\n"
    "	movw ss_sel(%rip), %ss\n"
    "	cpuid\n"
    "mw_cpuid: pop %rbx\n"
    "	ret\n"
    ".popsection");
void mss_watch_int3(void);
void mss_watch_icebp(void);
void mss_watch_cpuid(void);
extern const char mw_int3[], mw_icebp[], mw_cpuid[];

/* @body with DR0 watching SS's selector for reads and writes. */
static void guest_mov_ss_watched(void (*body)(void))
{
	uint16_t ss;

	asm volatile("mov %%ss, %0" : "=r"(ss));
	ss_sel = ss;
	/*
	 * The same load once unwatched first.  Its first run exits (Bochs)
	 * before it completes, and Bochs saves the aborted load's B0 as a
	 * pending debug exception, which comes as a #DB on the MOV SS: a
	 * CPU recognises data breakpoints of completed instructions only.
	 */
	asm volatile("movw ss_sel(%%rip), %%ss" : : : "memory");
	guest_install_handler(VEC_DB, guest_db_log);
	guest_install_handler(VEC_BP, guest_bp_log);
	/*
	 * A #DB that comes on the first instruction of another handler
	 * (its own, or #BP's) must not take the IST stack that handler's
	 * frame is on: the #DB gate switches no stack.
	 */
	idt_gate(VEC_DB)->ist = 0;
	WRITE_DR(6, 0);
	WRITE_DR(0, (uintptr_t)&ss_sel);
	WRITE_DR(7, DR7_L0 | DR7_RW0_RW | DR7_LEN0_8);
	body();
	WRITE_DR(7, 0);
}

/*
 * INT3 in the shadow: the SDM has the #DB delivered after INT3's
 * transfer, on the #BP handler's first instruction, with B0.  No exit
 * comes between (vmmon does not intercept #BP): the #DB's own exit is
 * the only one, and vmmon must deliver it once, where it came.  Bochs
 * 2.7 drops the held #DB when it delivers the #BP (no #DB at all), so
 * here it is at most one; that there is exactly one only make
 * check-host on a real CPU settles.
 */
static void guest_watch_int3(void)
{
	guest_mov_ss_watched(mss_watch_int3);
	GUEST_ASSERT_EQ(bp_vec_hits, 1);
	GUEST_ASSERT_EQ(bp_vec_rip, (uintptr_t)mw_int3);
	GUEST_ASSERT(dbs <= 1);
	if (dbs) {
		GUEST_ASSERT_EQ(db_dr6[0] & DR6_B_ALL, DR6_B0);
		GUEST_ASSERT_EQ(db_rip[0], idt_stub(VEC_BP));
	}
	GUEST_DONE();
}

VMMON_TEST(mov_ss_watchpoint_then_int3_no_stray_debug_trap)
{
	run_guest_to_done(_metadata, guest_watch_int3, NULL);
}

/*
 * ICEBP in the shadow exits (its #DB), with the watchpoint's #DB pending
 * in the VMCS: B0 must reach the guest once, neither lost nor repeated.
 * vmmon delivers one #DB for both, after ICEBP, with B0; a real CPU may
 * deliver the watchpoint's as a second #DB on the first instruction of
 * the #DB handler (which then runs first): both are accepted here, and
 * only make check-host on a real CPU sees which one a CPU does.
 */
static void guest_watch_icebp(void)
{
	uint64_t i, with_b0 = 0, at_icebp = 0;

	guest_mov_ss_watched(mss_watch_icebp);
	GUEST_ASSERT(dbs == 1 || dbs == 2);
	for (i = 0; i < dbs; i++) {
		with_b0 += (db_dr6[i] & DR6_B_ALL) == DR6_B0;
		if (db_rip[i] == (uintptr_t)mw_icebp)
			at_icebp++;
		else
			GUEST_ASSERT_EQ(db_rip[i], idt_stub(VEC_DB));
	}
	GUEST_ASSERT_EQ(with_b0, 1);
	GUEST_ASSERT_EQ(at_icebp, 1);
	GUEST_DONE();
}

VMMON_TEST(mov_ss_watchpoint_then_icebp_reports_b0_once)
{
	run_guest_to_done(_metadata, guest_watch_icebp, NULL);
}

/*
 * CPUID in the shadow: an exit vmmon completes.  The watchpoint's #DB,
 * pending across that exit, comes once, after CPUID, with B0.
 */
static void guest_watch_cpuid(void)
{
	guest_mov_ss_watched(mss_watch_cpuid);
	GUEST_ASSERT_EQ(dbs, 1);
	GUEST_ASSERT_EQ(db_rip[0], (uintptr_t)mw_cpuid);
	GUEST_ASSERT_EQ(db_dr6[0] & DR6_B_ALL, DR6_B0);
	GUEST_DONE();
}

VMMON_TEST(mov_ss_watchpoint_then_cpuid_traps_after_the_exit)
{
	run_guest_to_done(_metadata, guest_watch_cpuid, NULL);
}

/* At CPL 3: an instruction breakpoint, then a store to a watched word. */
static volatile uint64_t user_watched __attribute__((aligned(8), used));

asm(".pushsection .text\n"
    ".globl user_bp_body, ub_stored\n"
    "user_bp_body:\n"
    "	call bp_target\n"
    "	movq %rsp, user_watched(%rip)\n"
    "ub_stored: ret\n"
    ".popsection");
void user_bp_body(void);
extern const char ub_stored[];

static void guest_user_breakpoints(void)
{
	guest_install_handler(VEC_DB, guest_db_log);
	WRITE_DR(6, 0);
	WRITE_DR(0, (uintptr_t)bp_target);
	WRITE_DR(1, (uintptr_t)&user_watched);
	WRITE_DR(7, DR7_L0 | DR7_L1 | DR7_RW1_WRITE | DR7_LEN1_8);
	guest_user_call(user_bp_body);
	WRITE_DR(7, 0);
	GUEST_ASSERT_EQ(dbs, 2);
	GUEST_ASSERT_EQ(db_rip[0], (uintptr_t)bp_target);
	GUEST_ASSERT_EQ(db_cpl[0], 3);
	GUEST_ASSERT_EQ(db_dr6[0] & DR6_B_ALL, DR6_B0);
	GUEST_ASSERT_EQ(db_rip[1], (uintptr_t)ub_stored);
	GUEST_ASSERT_EQ(db_cpl[1], 3);
	GUEST_ASSERT_EQ(db_dr6[1] & DR6_B_ALL, DR6_B1);
	GUEST_DONE();
}

VMMON_TEST(breakpoints_fire_in_user_mode)
{
	run_guest_to_done(_metadata, guest_user_breakpoints, NULL);
}

/* A #GP vmmon injects (unknown MSR, refused CR4 bit) pushes RF set. */
static void guest_fault_rf(void)
{
	uint64_t v;

	guest_catch_all();
	GUEST_ASSERT_EQ(try_rdmsr(0x12345678, &v), VEC_GP);
	GUEST_ASSERT(fault_rflags & RFLAGS_RF);
	fault_rflags = 0;
	GUEST_ASSERT_EQ(try_write_cr4(read_cr4() | CR4_FSGSBASE), VEC_GP);
	GUEST_ASSERT(fault_rflags & RFLAGS_RF);
	GUEST_DONE();
}

VMMON_TEST(injected_faults_push_rf)
{
	run_guest_to_done(_metadata, guest_fault_rf, NULL);
}

/*
 * NMIs: delivered at once with IF clear, held while the handler runs
 * (the handler's ucall lets the host send a second), delivered after
 * its IRET; one wakes a HLT; two sent together are one.
 */
static volatile uint64_t nmi_count, nmi_seen_inside;

static void guest_nmi_handler(struct vmmon_guest_frame *f __attribute__((unused)))
{
	uint64_t n = ++nmi_count;

	if (n == 1) {
		GUEST_SYNC(2);
		nmi_seen_inside = nmi_count;
	}
}

static void guest_nmi(void)
{
	guest_install_handler(VEC_NMI, guest_nmi_handler);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_ASSERT_EQ(nmi_seen_inside, 1);
	asm volatile("hlt");
	GUEST_ASSERT_EQ(nmi_count, 3);
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(nmi_count, 4);
	GUEST_DONE();
}

/*
 * guest_nmi from its first NMI on (the host sent it): inside the handler
 * a second must wait for its IRET, a third wakes the HLT, and two sent
 * together are one, latched as the CPU's NMI input.
 */
static void nmi_from_the_first_handler(struct __test_metadata *_metadata,
				       struct vmmon_guest *g)
{
	struct vmmon_ucall uc;

	if (run_to_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], 2u);
	EXPECT_EQ(ioctl(g->vcpu, VMMON_NMI, 0), 0);
	if (run_to_exit(_metadata, g, VMMON_EXIT_HLT))
		EXPECT_EQ(ioctl(g->vcpu, VMMON_NMI, 0), 0);
	if (run_to_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], 3u);
	EXPECT_EQ(ioctl(g->vcpu, VMMON_NMI, 0), 0);
	EXPECT_EQ(ioctl(g->vcpu, VMMON_NMI, 0), 0);
	run_to_ucall(_metadata, g, &uc, VMMON_UCALL_DONE);
}

VMMON_TEST(nmi_waits_for_the_handlers_iret)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_nmi, 0, 0));
	EXPECT_EQ(ioctl(g.vcpu, VMMON_NMI, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], 1u);
	ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	nmi_from_the_first_handler(_metadata, &g);
	vmmon_guest_destroy(&g);
}

/*
 * An entry that fails (an unusable TR) delivers nothing: the NMI it was
 * to inject waits for the next entry, is delivered once, and blocks
 * NMIs until its handler's IRET as any other.
 */
VMMON_TEST(nmi_survives_a_failed_entry)
{
	struct vmmon_sregs sregs, bad;
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_nmi, 0, 0));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], 1u);
	ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	bad = sregs;
	bad.tr.unusable = 1;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &bad));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_FAIL_ENTRY);
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	nmi_from_the_first_handler(_metadata, &g);
	vmmon_guest_destroy(&g);
}

/*
 * An NMI posted while the guest sits in an STI shadow.  The handler
 * notes where each NMI came; the first may send a ucall, during which
 * the host posts another: it must wait for the handler's IRET.
 */
static volatile uint64_t nmi_hits, nmi_first_rip, nmi_last_rip;
static volatile uint64_t nmi_sync, nmi_hits_inside;

static void guest_nmi_log(struct vmmon_guest_frame *f)
{
	uint64_t n = ++nmi_hits;

	nmi_last_rip = f->rip;
	if (n != 1)
		return;
	nmi_first_rip = f->rip;
	if (nmi_sync) {
		GUEST_SYNC(VEC_NMI);
		nmi_hits_inside = nmi_hits;
	}
}

asm(".pushsection .text\n"
    ".globl sti_hlt, sh_after\n"
    "sti_hlt:\n"
    "	cli\n"
    "	sti\n"
    "	hlt\n"
    "sh_after: cli\n"
    "	ret\n"
    ".popsection");
void sti_hlt(void);
extern const char sh_after[];

static void guest_nmi_sti_hlt(void)
{
	guest_install_handler(VEC_NMI, guest_nmi_log);
	nmi_sync = 1;
	sti_hlt();
	GUEST_ASSERT_EQ(nmi_hits, 2);
	GUEST_ASSERT_EQ(nmi_first_rip, (uintptr_t)sh_after);
	GUEST_ASSERT_EQ(nmi_hits_inside, 1);
	GUEST_ASSERT_EQ(nmi_last_rip, (uintptr_t)sh_after);
	GUEST_DONE();
}

/*
 * STI; HLT, and an NMI posted at the HLT exit: taken once, after the
 * HLT (the instruction STI's shadow covered), and a second one posted
 * while its handler runs waits for the handler's IRET.
 */
VMMON_TEST(nmi_after_sti_hlt_once_and_blocked_until_iret)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_nmi_sti_hlt, 0, 0));
	if (run_to_exit(_metadata, &g, VMMON_EXIT_HLT))
		ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
		ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

static volatile uint64_t gp_hits, nmi_hits_at_gp;

static void guest_gp_after_nmi(struct vmmon_guest_frame *f)
{
	nmi_hits_at_gp = nmi_hits;
	gp_hits++;
	f->rip = recover_rip;
}

/* STI, then a WRMSR (of TSC_DEADLINE: the host answers) in its shadow. */
asm(".pushsection .text\n"
    ".globl sti_wrmsr, sw_after\n"
    "sti_wrmsr:\n"
    "	cli\n"
    "	mov $0x6e0, %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	sti\n"
    "	wrmsr\n"
    "sw_after: cli\n"
    "	ret\n"
    ".popsection");
void sti_wrmsr(void);
extern const char sw_after[];

static void guest_nmi_sti_fault(void)
{
	guest_install_handler(VEC_NMI, guest_nmi_log);
	guest_install_handler(VEC_GP, guest_gp_after_nmi);
	/* The NMI comes on the #GP stub: not onto the IST stack it is on. */
	idt_gate(VEC_NMI)->ist = 0;
	recover_rip = (uintptr_t)sw_after;
	sti_wrmsr();
	GUEST_ASSERT_EQ(gp_hits, 1);
	GUEST_ASSERT_EQ(nmi_hits, 1);
	GUEST_ASSERT_EQ(nmi_hits_at_gp, 1);
	GUEST_ASSERT_EQ(nmi_first_rip, idt_stub(VEC_GP));
	GUEST_DONE();
}

/*
 * The instruction in STI's shadow faults (the host refuses the WRMSR)
 * while an NMI waits: the fault's delivery ends the shadow, so the NMI
 * comes on the #GP handler's first instruction, as on a CPU, not once
 * the handler sets IF again (the interrupt window).  Bochs leaves vmmon
 * the NMI window here; whether a real CPU saves STI blocking at the
 * WRMSR exit, which would make vmmon wait for the interrupt window,
 * only make check-host shows.
 */
VMMON_TEST(nmi_in_sti_shadow_comes_before_the_fault_handler)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_nmi_sti_fault, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &cpuid_tsc_deadline));
	if (run_to_exit(_metadata, &g, VMMON_EXIT_MSR)) {
		EXPECT_EQ(g.run->msr.index, (uint32_t)MSR_TSC_DEADLINE);
		ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
		g.run->msr.error = 1;
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * The host's and the guest's debug registers never meet.  The host
 * holds two breakpoints (perf): a write watchpoint on host_watched and
 * an execution breakpoint on host_bp_func.  The guest reads its debug
 * registers as at reset and writes its own copy of host_watched (same
 * address) without a #DB; then it points DR0, DR1 and DR3 at a function
 * the host runs between loading the guest's DR0-DR3 and the VM entry
 * (rcu_note_context_switch, vmx_world_switch()) and DR2 at host_watched2,
 * which the host writes after each exit: the host's DR7 must be off
 * while the guest's addresses are loaded (else its execution breakpoint
 * fires on the kernel function), and the guest's DR7 never live in the
 * host (else a SIGTRAP); the host's watchpoint still fires after the
 * exits, and the guest's DR2 in the guest.
 */
static volatile uint64_t host_watched __attribute__((aligned(8)));
static volatile uint64_t host_watched2 __attribute__((aligned(8)));
#define HOST_DR_ROUNDS	3

static void __attribute__((noinline)) host_bp_func(void)
{
	asm volatile("" ::: "memory");
}

static void guest_debug_regs_apart(uint64_t kaddr)
{
	uint64_t i;

	guest_install_handler(VEC_DB, guest_db_log);
	GUEST_ASSERT_EQ(READ_DR(0), 0);
	GUEST_ASSERT_EQ(READ_DR(1), 0);
	GUEST_ASSERT_EQ(READ_DR(2), 0);
	GUEST_ASSERT_EQ(READ_DR(3), 0);
	GUEST_ASSERT_EQ(READ_DR(7), DR7_FIXED);
	host_watched = 1;
	GUEST_ASSERT_EQ(dbs, 0);
	WRITE_DR(0, kaddr);
	WRITE_DR(1, kaddr);
	WRITE_DR(2, (uintptr_t)&host_watched2);
	WRITE_DR(3, kaddr);
	WRITE_DR(7, DR7_L0 | DR7_L1 | DR7_L2 | DR7_L3 | DR7_RW2_WRITE |
		    DR7_LEN2_8);
	for (i = 0; i < HOST_DR_ROUNDS; i++)
		GUEST_SYNC(i);
	host_watched = 2;
	GUEST_ASSERT_EQ(dbs, 0);
	host_watched2 = 1;
	GUEST_ASSERT_EQ(dbs, 1);
	GUEST_ASSERT_EQ(db_dr6[0] & DR6_B_ALL, DR6_B2);
	WRITE_DR(7, 0);
	GUEST_DONE();
}

static uint64_t kernel_symbol(const char *name)
{
	unsigned long long addr;
	char line[256], sym[128], type;
	FILE *f = fopen("/proc/kallsyms", "r");
	uint64_t found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

static int open_breakpoint(uint64_t addr, unsigned int type, uint64_t len)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = type,
		.bp_addr = addr,
		.bp_len = len,
		.exclude_hv = 1,
	};

	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static uint64_t breakpoint_hits(int fd)
{
	uint64_t hits;

	return read(fd, &hits, sizeof(hits)) == sizeof(hits) ? hits : ~0ULL;
}

VMMON_TEST(host_and_guest_debug_registers_stay_apart)
{
	void (*volatile call)(void) = host_bp_func;
	uint64_t kaddr = kernel_symbol("rcu_note_context_switch");
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	int wfd, xfd;
	uint64_t i;

	if (!kaddr)
		SKIP(return, "no address for rcu_note_context_switch in /proc/kallsyms");
	wfd = open_breakpoint((uintptr_t)&host_watched, HW_BREAKPOINT_W,
			      HW_BREAKPOINT_LEN_8);
	if (wfd < 0)
		SKIP(return, "no hardware breakpoints: %s", strerror(errno));
	xfd = open_breakpoint((uintptr_t)host_bp_func, HW_BREAKPOINT_X,
			      sizeof(long));
	ASSERT_GE(xfd, 0) TH_LOG("execution breakpoint: %s", strerror(errno));
	host_watched = 1;
	ASSERT_EQ(breakpoint_hits(wfd), 1u);
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_debug_regs_apart,
					  kaddr, 0));
	for (i = 0; i < HOST_DR_ROUNDS; i++) {
		if (!run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC))
			break;
		host_watched2 = i;
		host_watched = i;
		EXPECT_EQ(breakpoint_hits(wfd), i + 2);
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	EXPECT_EQ(breakpoint_hits(xfd), 0u);
	call();
	EXPECT_EQ(breakpoint_hits(xfd), 1u);
	vmmon_guest_destroy(&g);
	close(xfd);
	close(wfd);
}

/* With MCA, TSC_ADJUST and RDTSCP offered: what such a CPU answers. */
static const struct cpuid_table full_cpuid = {
	.hdr.nent = 3,
	.e = {
		{ .function = 1, .edx = CPUID1_EDX_MCE | CPUID1_EDX_MCA |
					CPUID1_EDX_APIC },
		{ .function = 7, .ebx = CPUID7_EBX_TSC_ADJUST },
		{ .function = 0x80000001, .edx = CPUID_EXT1_EDX_RDTSCP },
	},
};

asm(".pushsection .text\n"
    ".globl syscall_entry\n"
    "syscall_entry:\n"
    "	mov $0x5ca11, %eax\n"
    "	push %r11\n"
    "	popfq\n"
    "	jmp *%rcx\n"
    ".popsection");
void syscall_entry(void);

static uint32_t cpuid1_edx(void)
{
	uint32_t a = 1, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d;
}

static void guest_msrs(void)
{
	uint64_t misc, t0, t1, adj, rax;

	guest_catch_all();
	/* Machine-check banks: CTL all or nothing, STATUS cleared only. */
	GUEST_ASSERT_EQ(rdmsr(MSR_MCG_CAP), MCE_BANKS);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MCG_CAP, 0), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MC_CTL(0), ~0ULL), NO_FAULT);
	GUEST_ASSERT_EQ(rdmsr(MSR_MC_CTL(0)), ~0ULL);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MC_CTL(MCE_BANKS - 1), 0), NO_FAULT);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MC_CTL(0), 1), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MC_CTL(MCE_BANKS), 0), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MC_STATUS(3), 0), NO_FAULT);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MC_STATUS(3), 1), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MCG_STATUS, 0), NO_FAULT);
	/* MISC_ENABLE: fast strings may change, BTS-unavailable not. */
	misc = rdmsr(MSR_MISC_ENABLE);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MISC_ENABLE, misc ^ MISC_FAST_STRING),
			NO_FAULT);
	GUEST_ASSERT_EQ(rdmsr(MSR_MISC_ENABLE), misc ^ MISC_FAST_STRING);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_MISC_ENABLE, misc ^ MISC_BTS_UNAVAIL),
			VEC_GP);
	/* DEBUGCTL: BTF, no LBR. */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_DEBUGCTL, DEBUGCTL_BTF), NO_FAULT);
	GUEST_ASSERT_EQ(rdmsr(MSR_DEBUGCTL), DEBUGCTL_BTF);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_DEBUGCTL, DEBUGCTL_LBR), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_DEBUGCTL, 0), NO_FAULT);
	/* TSC_ADJUST moves the TSC; a TSC write moves TSC_ADJUST. */
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_ADJUST), 0);
	t0 = rdtsc();
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_ADJUST, 1ULL << 40), NO_FAULT);
	t1 = rdtsc();
	GUEST_ASSERT(t1 - t0 >= 1ULL << 40);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_ADJUST), 1ULL << 40);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC, rdtsc() + (1ULL << 36)), NO_FAULT);
	adj = rdmsr(MSR_TSC_ADJUST) - (1ULL << 40);
	GUEST_ASSERT(adj > (1ULL << 35) && adj <= (1ULL << 36));
	/* RDTSCP and its TSC_AUX. */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_AUX, 7), NO_FAULT);
	GUEST_ASSERT_EQ(PROBE("rdtscp", : : : "rax", "rcx", "rdx", "r11",
			      "memory"), NO_FAULT);
	/* The APIC bit of CPUID follows IA32_APIC_BASE's enable. */
	GUEST_ASSERT(cpuid1_edx() & CPUID1_EDX_APIC);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE,
				  rdmsr(MSR_APIC_BASE) & ~APIC_BASE_ENABLE),
			NO_FAULT);
	GUEST_ASSERT_EQ(cpuid1_edx() & CPUID1_EDX_APIC, 0);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE,
				  rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE),
			NO_FAULT);
	GUEST_ASSERT(cpuid1_edx() & CPUID1_EDX_APIC);
	/* SYSCALL through the guest's STAR, LSTAR, SFMASK and EFER.SCE. */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE),
			NO_FAULT);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_STAR, (uint64_t)VMMON_GUEST_SEL_CODE64 << 32),
			NO_FAULT);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry), NO_FAULT);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_SFMASK, RFLAGS_TF), NO_FAULT);
	asm volatile("syscall" : "=a"(rax) : : "rcx", "r11", "memory");
	GUEST_ASSERT_EQ(rax, 0x5ca11);
	GUEST_DONE();
}

VMMON_TEST(msrs_answer_as_a_cpu_with_those_features)
{
	run_guest_to_done(_metadata, guest_msrs, &full_cpuid);
}

/*
 * Userspace restoring TSC and TSC_ADJUST (in the order GET_MSRS gives
 * them) does not move the TSC by the adjustment again.
 */
VMMON_TEST(host_tsc_adjust_write_keeps_the_tsc)
{
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[2];
	} m = { .hdr.nmsrs = 2, .e = { { .index = MSR_TSC },
				       { .index = MSR_TSC_ADJUST } } };
	struct vmmon_guest g;
	uint64_t t0;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_msrs, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &full_cpuid));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_MSRS, &m));
	t0 = m.e[0].data;
	m.e[1].data = 1ULL << 40;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_MSRS, &m));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_MSRS, &m));
	EXPECT_LT(m.e[0].data - t0, 1ULL << 39);
	EXPECT_EQ(m.e[1].data, 1ULL << 40);
	vmmon_guest_destroy(&g);
}

/* After RUN the CPUID table is fixed: the same one again, or EBUSY. */
VMMON_TEST(cpuid_fixed_after_the_first_run)
{
	struct cpuid_table other = full_cpuid;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_msrs, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &full_cpuid));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &other));	/* not run yet */
	g.run->immediate_exit = 1;
	EXPECT_EQ(ioctl(g.vcpu, VMMON_RUN, 0), -1);
	EXPECT_EQ(errno, EINTR);
	g.run->immediate_exit = 0;
	EXPECT_EQ(ioctl(g.vcpu, VMMON_SET_CPUID, &full_cpuid), 0);
	other.e[1].ebx = 0;
	EXPECT_EQ(ioctl(g.vcpu, VMMON_SET_CPUID, &other), -1);
	EXPECT_EQ(errno, EBUSY);
	other.hdr.nent = 2;
	EXPECT_EQ(ioctl(g.vcpu, VMMON_SET_CPUID, &other), -1);
	EXPECT_EQ(errno, EBUSY);
	vmmon_guest_destroy(&g);
}

/* An empty CPUID table: each feature faults as on a CPU without it. */
static void guest_hidden_features(void)
{
	uint64_t v, desc[2] = { 0, 0 };
	uint64_t cr4 = read_cr4();

	guest_catch_all();
	GUEST_ASSERT_EQ(PROBE("rdtscp", : : : "rax", "rcx", "rdx", "r11",
			      "memory"), VEC_UD);
	GUEST_ASSERT_EQ(PROBE("invpcid %0, %%rax", : : "m"(desc), "a"(2ULL)
			      : "r11", "memory"), VEC_UD);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_TSC_AUX, &v), VEC_GP);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_TSC_ADJUST, &v), VEC_GP);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_MCG_CAP, &v), VEC_GP);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_MC_CTL(0), &v), VEC_GP);
	GUEST_ASSERT_EQ(try_write_cr4(cr4 | CR4_FSGSBASE), VEC_GP);
	GUEST_ASSERT_EQ(try_write_cr4(cr4 | CR4_PCIDE), VEC_GP);
	GUEST_ASSERT_EQ(try_write_cr4(cr4 | CR4_SMEP), VEC_GP);
	GUEST_ASSERT_EQ(try_write_cr4(cr4 | CR4_OSXSAVE), VEC_GP);
	GUEST_ASSERT_EQ(read_cr4(), cr4);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_TSC_DEADLINE, &v), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE,
				  rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD), VEC_GP);
	GUEST_DONE();
}

VMMON_TEST(hidden_features_fault)
{
	struct cpuid_table t = { .hdr.nent = 0 };
	struct vmmon_sregs sregs;
	struct vmmon_guest g;

	run_guest_to_done(_metadata, guest_hidden_features, &t);
	/* Userspace cannot give the guest a hidden CR4 bit either. */
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_hidden_features,
					  0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_FSGSBASE;
	EXPECT_EQ(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), -1);
	EXPECT_EQ(errno, EINVAL);
	vmmon_guest_destroy(&g);
}

/* Offered, and the CPU has them: the same instructions work. */
static void guest_offered_features(void)
{
	uint64_t desc[2] = { 0, 0 };
	uint64_t cr4 = read_cr4();

	guest_catch_all();
	GUEST_ASSERT_EQ(PROBE("invpcid %0, %%rax", : : "m"(desc), "a"(2ULL)
			      : "r11", "memory"), NO_FAULT);
	GUEST_ASSERT_EQ(try_write_cr4(cr4 | CR4_FSGSBASE), NO_FAULT);
	GUEST_ASSERT_EQ(try_write_cr4(cr4), NO_FAULT);
	GUEST_DONE();
}

VMMON_TEST(offered_features_work)
{
	const struct cpuid_table t = {
		.hdr.nent = 1,
		.e = { { .function = 7,
			 .ebx = (1U << 0) | (1U << 10) } },	/* FSGSBASE, INVPCID */
	};

	if (!cpuinfo_has_flag("invpcid") || !cpuinfo_has_flag("fsgsbase"))
		SKIP(return, "the CPU lacks INVPCID or FSGSBASE");
	run_guest_to_done(_metadata, guest_offered_features, &t);
}

/*
 * The LAPIC's MSRs go to userspace (VMMON_EXIT_MSR): x2APIC registers in
 * x2APIC mode only, TSC_DEADLINE; IA32_APIC_BASE changes are checked
 * against the CPU's mode transitions and then told.
 */
static void guest_user_msrs(void)
{
	uint64_t v, base;

	guest_catch_all();
	base = rdmsr(MSR_APIC_BASE);
	/* xAPIC mode: no x2APIC registers, and no exit for them. */
	GUEST_ASSERT_EQ(try_rdmsr(MSR_X2APIC_ID, &v), VEC_GP);
	/* EXTD without EN is invalid. */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, (base & ~APIC_BASE_ENABLE) |
				  APIC_BASE_EXTD), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD),
			NO_FAULT);			/* told: 1 */
	GUEST_ASSERT_EQ(try_rdmsr(MSR_X2APIC_ID, &v), NO_FAULT);
	GUEST_ASSERT_EQ(v, 0x42);			/* answered: 2 */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 0), NO_FAULT);	/* 3 */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_ICR, 0x12345678ULL << 32 | 0x4fd),
			VEC_GP);			/* refused: 4 */
	/* x2APIC to xAPIC directly is refused; through disabled it is not. */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, base), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_ENABLE),
			NO_FAULT);			/* told: 5 */
	GUEST_ASSERT_EQ(try_rdmsr(MSR_X2APIC_ID, &v), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD), VEC_GP);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, base), NO_FAULT);	/* 6 */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_DEADLINE, 0x1234), NO_FAULT);	/* 7 */
	GUEST_DONE();
}

VMMON_TEST(lapic_msrs_go_to_userspace)
{
	static const struct {
		uint32_t index, is_write;
		uint64_t data;
	} want[] = {
		{ MSR_APIC_BASE, 1, 0xfee00000 | (1 << 8) | APIC_BASE_ENABLE |
				    APIC_BASE_EXTD },
		{ MSR_X2APIC_ID, 0, 0 },
		{ MSR_X2APIC_EOI, 1, 0 },
		{ MSR_X2APIC_ICR, 1, 0x12345678ULL << 32 | 0x4fd },
		{ MSR_APIC_BASE, 1, 0xfee00000 | (1 << 8) },
		{ MSR_APIC_BASE, 1, 0xfee00000 | (1 << 8) | APIC_BASE_ENABLE },
		{ MSR_TSC_DEADLINE, 1, 0x1234 },
	};
	const struct cpuid_table t = {
		.hdr.nent = 1,
		.e = { { .function = 1, .edx = CPUID1_EDX_APIC,
			 .ecx = CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE } },
	};
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	unsigned int i;
	int kind;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_user_msrs, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		kind = vmmon_guest_run_ucall(&g, &uc);
		ASSERT_EQ(kind, (int)VMMON_UCALL_NONE) {
			char buf[256];

			TH_LOG("%s", vmmon_ucall_describe(&uc, buf, sizeof(buf)));
		}
		ASSERT_EQ(g.run->exit_reason, (__u32)VMMON_EXIT_MSR)
			show_exit(_metadata, &g);
		EXPECT_EQ(g.run->msr.index, want[i].index);
		EXPECT_EQ((uint32_t)g.run->msr.is_write, want[i].is_write);
		if (want[i].is_write) {
			EXPECT_EQ(g.run->msr.data, want[i].data);
		} else {
			g.run->msr.data = 0x42;
		}
		g.run->msr.error = want[i].index == MSR_X2APIC_ICR;
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * x2APIC EOIs taken in vmmon (VMMON_APIC_EOI_IN_KERNEL): the host plays
 * the LAPIC model, keeping ISR, TMR and IRR in the run page.  Each EOI
 * below is one step; the host sets the registers before it and checks
 * what vmmon did after it.
 */
enum eoi_step {
	EOI_EDGE_IN_KERNEL = 1,	/* ISR 0x51, 0x31: 0x51 cleared, no exit */
	EOI_LEVEL_TO_USER,	/* ISR 0x31 level: VMMON_EXIT_MSR, ISR kept */
	EOI_IRR_WAITING,	/* ISR 0x52, IRR 0x22: cleared, VMMON_EXIT_EOI */
	EOI_NONE_IN_SERVICE,	/* ISR empty: no exit; EOI of 1 still #GPs */
	EOI_SHARING_OFF,	/* flags 0: VMMON_EXIT_MSR */
};

static void guest_x2apic_eoi(void)
{
	guest_catch_all();
	GUEST_ASSERT_EQ(try_wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) |
				  APIC_BASE_EXTD), NO_FAULT);
	GUEST_SYNC(EOI_EDGE_IN_KERNEL);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 0), NO_FAULT);
	GUEST_SYNC(EOI_LEVEL_TO_USER);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 0), NO_FAULT);
	GUEST_SYNC(EOI_IRR_WAITING);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 0), NO_FAULT);
	GUEST_SYNC(EOI_NONE_IN_SERVICE);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 0), NO_FAULT);
	/* A nonzero EOI is the LAPIC model's to refuse: an exit, then #GP. */
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 1), VEC_GP);
	GUEST_SYNC(EOI_SHARING_OFF);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_X2APIC_EOI, 0), NO_FAULT);
	GUEST_DONE();
}

static void vec_set(__u32 *bits, unsigned int vector)
{
	bits[vector / 32] |= 1U << (vector % 32);
}

static bool vec_only(const __u32 *bits, int vector)
{
	unsigned int i;

	for (i = 0; i < VMMON_APIC_VEC_WORDS; i++)
		if (bits[i] != (vector >= 0 && (unsigned int)vector / 32 == i ?
				1U << (vector % 32) : 0))
			return false;
	return true;
}

/* Run to GUEST_SYNC(@step), with no exit to userspace on the way. */
static void eoi_step_sync(struct __test_metadata *_metadata,
			  struct vmmon_guest *g, uint64_t step)
{
	struct vmmon_ucall uc;

	if (run_to_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC))
		EXPECT_EQ(uc.args[0], step);
}

VMMON_TEST(x2apic_eoi_taken_in_vmmon)
{
	const struct cpuid_table t = {
		.hdr.nent = 1,
		.e = { { .function = 1, .edx = CPUID1_EDX_APIC,
			 .ecx = CPUID1_ECX_X2APIC } },
	};
	struct vmmon_apic_vectors *apic;
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_x2apic_eoi, 0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &t));
	apic = &g.run->apic;
	apic->flags = VMMON_APIC_EOI_IN_KERNEL;
	/* The notice of x2APIC mode, then the first step. */
	ASSERT_TRUE(run_to_exit(_metadata, &g, VMMON_EXIT_MSR));
	EXPECT_EQ(g.run->msr.index, (__u32)MSR_APIC_BASE);
	eoi_step_sync(_metadata, &g, EOI_EDGE_IN_KERNEL);

	vec_set(apic->isr, 0x51);
	vec_set(apic->isr, 0x31);
	vec_set(apic->tmr, 0x31);
	eoi_step_sync(_metadata, &g, EOI_LEVEL_TO_USER);
	EXPECT_TRUE(vec_only(apic->isr, 0x31));

	/* Level-triggered: the model's, with ISR as it was. */
	ASSERT_TRUE(run_to_exit(_metadata, &g, VMMON_EXIT_MSR));
	EXPECT_EQ(g.run->msr.index, (__u32)MSR_X2APIC_EOI);
	EXPECT_TRUE(g.run->msr.is_write);
	EXPECT_TRUE(vec_only(apic->isr, 0x31));
	apic->isr[0x31 / 32] = 0;		/* the model's EOI */
	apic->tmr[0x31 / 32] = 0;
	eoi_step_sync(_metadata, &g, EOI_IRR_WAITING);

	vec_set(apic->isr, 0x52);
	vec_set(apic->irr, 0x22);
	ASSERT_TRUE(run_to_exit(_metadata, &g, VMMON_EXIT_EOI));
	EXPECT_TRUE(vec_only(apic->isr, -1));
	EXPECT_TRUE(vec_only(apic->irr, 0x22));
	apic->irr[0x22 / 32] = 0;
	eoi_step_sync(_metadata, &g, EOI_NONE_IN_SERVICE);

	/* The nonzero write: the model refuses it. */
	ASSERT_TRUE(run_to_exit(_metadata, &g, VMMON_EXIT_MSR));
	EXPECT_EQ(g.run->msr.index, (__u32)MSR_X2APIC_EOI);
	EXPECT_EQ(g.run->msr.data, 1u);
	g.run->msr.error = 1;
	eoi_step_sync(_metadata, &g, EOI_SHARING_OFF);

	apic->flags = 0;
	vec_set(apic->isr, 0x53);
	ASSERT_TRUE(run_to_exit(_metadata, &g, VMMON_EXIT_MSR));
	EXPECT_EQ(g.run->msr.index, (__u32)MSR_X2APIC_EOI);
	EXPECT_TRUE(vec_only(apic->isr, 0x53));
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * The same in xAPIC mode, where EOI is a 32-bit MOV to the APIC page
 * (0xfee000b0): taken in vmmon; other registers, other sizes, and the
 * EOI without VMMON_APIC_EOI_IN_KERNEL remain MMIO exits.
 */
#define APIC_PAGE_GVA	0x50000000ULL
#define APIC_PAGE_GPA	0xfee00000ULL
#define XAPIC_TPR	0x80
#define XAPIC_EOI	0xb0

enum xapic_eoi_step {
	XAPIC_EOI_IN_KERNEL = 1,
	XAPIC_OTHER_WRITES,
	XAPIC_EOI_SHARING_OFF,
};

static void guest_xapic_eoi(void)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_PAGE_GVA;

	GUEST_SYNC(XAPIC_EOI_IN_KERNEL);
	apic[XAPIC_EOI / 4] = 0;
	GUEST_SYNC(XAPIC_OTHER_WRITES);
	apic[XAPIC_TPR / 4] = 0x10;
	*(volatile uint8_t *)(APIC_PAGE_GVA + XAPIC_EOI) = 0;
	GUEST_SYNC(XAPIC_EOI_SHARING_OFF);
	apic[XAPIC_EOI / 4] = 0;
	GUEST_DONE();
}

/* Run to the guest's next MMIO write: @offset in the APIC page, @len bytes. */
static void expect_apic_write(struct __test_metadata *_metadata,
			      struct vmmon_guest *g, unsigned int offset,
			      unsigned int len)
{
	if (!run_to_exit(_metadata, g, VMMON_EXIT_MMIO))
		return;
	EXPECT_EQ(g->run->mmio.phys_addr, APIC_PAGE_GPA + offset);
	EXPECT_EQ(g->run->mmio.len, len);
	EXPECT_TRUE(g->run->mmio.is_write);
}

VMMON_TEST(xapic_eoi_taken_in_vmmon)
{
	struct vmmon_apic_vectors *apic;
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_xapic_eoi, 0, 0));
	ASSERT_OK(vmmon_guest_map_device(&g, APIC_PAGE_GVA, APIC_PAGE_GPA));
	apic = &g.run->apic;
	apic->flags = VMMON_APIC_EOI_IN_KERNEL;
	eoi_step_sync(_metadata, &g, XAPIC_EOI_IN_KERNEL);
	vec_set(apic->isr, 0x61);
	eoi_step_sync(_metadata, &g, XAPIC_OTHER_WRITES);
	EXPECT_TRUE(vec_only(apic->isr, -1));

	vec_set(apic->isr, 0x62);
	expect_apic_write(_metadata, &g, XAPIC_TPR, 4);
	expect_apic_write(_metadata, &g, XAPIC_EOI, 1);
	EXPECT_TRUE(vec_only(apic->isr, 0x62));
	eoi_step_sync(_metadata, &g, XAPIC_EOI_SHARING_OFF);

	apic->flags = 0;
	expect_apic_write(_metadata, &g, XAPIC_EOI, 4);
	EXPECT_TRUE(vec_only(apic->isr, 0x62));
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * The xAPIC ICR with the ICR in the run page (VMMON_APIC_ICR_IN_KERNEL):
 * a 32-bit write of the high half and reads of the low half (MOV, TEST)
 * stay in vmmon; the low half's write (the IPI), a read-modify-write, a
 * byte write, and all of it without the flag are MMIO exits.
 */
#define XAPIC_ICR_LOW		0x300
#define XAPIC_ICR_HIGH		0x310
#define XAPIC_ICR_DEST		0xff000000u
#define XAPIC_ICR_BUSY		0x1000u		/* delivery status */
#define ICR_SENT		0x000040f2u	/* fixed, assert, vector 0xf2 */
#define FLAGS_CF		(1ULL << 0)
#define FLAGS_ZF		(1ULL << 6)

enum xapic_icr_step {
	XAPIC_ICR_IN_KERNEL = 1,
	XAPIC_ICR_READ,
	XAPIC_ICR_TO_USER,
	XAPIC_ICR_SHARING_OFF,
};

static void guest_xapic_icr(void)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_PAGE_GVA;
	volatile uint32_t *icr = &apic[XAPIC_ICR_LOW / 4];
	uint64_t flags;
	uint32_t low;

	GUEST_SYNC(XAPIC_ICR_IN_KERNEL);
	apic[XAPIC_ICR_HIGH / 4] = 0x01abcdef;
	low = *icr;
	asm volatile("testl %2, %1; pushfq; popq %0"
		     : "=r"(flags) : "m"(*icr), "i"(XAPIC_ICR_BUSY) : "cc");
	GUEST_SYNC(XAPIC_ICR_READ, low, flags & FLAGS_ZF);
	*icr = ICR_SENT;
	asm volatile("orl $0, %0" : "+m"(*icr) : : "cc");
	*(volatile uint8_t *)(APIC_PAGE_GVA + XAPIC_ICR_HIGH + 3) = 2;
	GUEST_SYNC(XAPIC_ICR_SHARING_OFF);
	apic[XAPIC_ICR_HIGH / 4] = 0x03000000;
	low = *icr;
	GUEST_SYNC(XAPIC_ICR_TO_USER, low);
	GUEST_DONE();
}

/* Run to the guest's next MMIO read of @len bytes at @offset; answer @val. */
static void answer_apic_read(struct __test_metadata *_metadata,
			     struct vmmon_guest *g, unsigned int offset,
			     unsigned int len, uint32_t val)
{
	if (!run_to_exit(_metadata, g, VMMON_EXIT_MMIO))
		return;
	EXPECT_EQ(g->run->mmio.phys_addr, APIC_PAGE_GPA + offset);
	EXPECT_EQ(g->run->mmio.len, len);
	EXPECT_FALSE(g->run->mmio.is_write);
	memcpy(g->run->mmio.data, &val, len);
}

VMMON_TEST(xapic_icr_taken_in_vmmon)
{
	struct vmmon_apic_vectors *apic;
	struct vmmon_ucall uc;
	struct vmmon_guest g;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_xapic_icr, 0, 0));
	ASSERT_OK(vmmon_guest_map_device(&g, APIC_PAGE_GVA, APIC_PAGE_GPA));
	apic = &g.run->apic;
	apic->flags = VMMON_APIC_ICR_IN_KERNEL;
	eoi_step_sync(_metadata, &g, XAPIC_ICR_IN_KERNEL);
	apic->icr_low = ICR_SENT;
	apic->icr_high = 0;
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], (uint64_t)XAPIC_ICR_READ);
		EXPECT_EQ(uc.args[1], (uint64_t)ICR_SENT);
		EXPECT_EQ(uc.args[2], FLAGS_ZF);	/* delivery idle */
	}
	/* The destination field only: 55:32 are reserved. */
	EXPECT_EQ(apic->icr_high, 0x01abcdefu & XAPIC_ICR_DEST);

	expect_apic_write(_metadata, &g, XAPIC_ICR_LOW, 4);
	EXPECT_EQ(*(__u32 *)g.run->mmio.data, ICR_SENT);
	answer_apic_read(_metadata, &g, XAPIC_ICR_LOW, 4, ICR_SENT);
	expect_apic_write(_metadata, &g, XAPIC_ICR_LOW, 4);
	expect_apic_write(_metadata, &g, XAPIC_ICR_HIGH + 3, 1);
	EXPECT_EQ(apic->icr_high, 0x01000000u);
	eoi_step_sync(_metadata, &g, XAPIC_ICR_SHARING_OFF);

	apic->flags = 0;
	expect_apic_write(_metadata, &g, XAPIC_ICR_HIGH, 4);
	EXPECT_EQ(apic->icr_high, 0x01000000u);
	answer_apic_read(_metadata, &g, XAPIC_ICR_LOW, 4, 0x4031);
	if (run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_SYNC)) {
		EXPECT_EQ(uc.args[0], (uint64_t)XAPIC_ICR_TO_USER);
		EXPECT_EQ(uc.args[1], 0x4031u);
	}
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * IA32_TSC_DEADLINE taken in vmmon (VMMON_APIC_TIMER_IN_KERNEL): the
 * guest's WRMSR and RDMSR of it make no exit; RUN returns
 * VMMON_EXIT_APIC_TIMER, the field cleared, once the guest's TSC passed
 * a deadline, at once for one already past, never for one written 0;
 * without the flag, the MSR is userspace's again.
 */
#define TIMER_CYCLES	200000ULL	/* TSC cycles to a deadline */

enum timer_step {
	TIMER_ARMED = 1,	/* a deadline written: the host reads it */
	TIMER_FIRED,		/* it passed while the guest spun */
	TIMER_PAST,		/* a deadline already past */
	TIMER_DISARMED,		/* one written 0 before it came */
	TIMER_TO_USER,		/* the flag cleared */
};

static void guest_spin_past(uint64_t tsc)
{
	while (rdtsc() < tsc)
		asm volatile("pause");
}

static void guest_tsc_deadline(void)
{
	uint64_t d, v;

	guest_catch_all();
	d = rdtsc() + TIMER_CYCLES;
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_DEADLINE, d), NO_FAULT);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_TSC_DEADLINE, &v), NO_FAULT);
	GUEST_ASSERT_EQ(v, d);
	GUEST_SYNC(TIMER_ARMED);
	guest_spin_past(d + TIMER_CYCLES);
	GUEST_ASSERT_EQ(try_rdmsr(MSR_TSC_DEADLINE, &v), NO_FAULT);
	GUEST_ASSERT_EQ(v, 0);
	GUEST_SYNC(TIMER_FIRED);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_DEADLINE, 1), NO_FAULT);
	GUEST_SYNC(TIMER_PAST);
	d = rdtsc() + TIMER_CYCLES;
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_DEADLINE, d), NO_FAULT);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_DEADLINE, 0), NO_FAULT);
	guest_spin_past(d + TIMER_CYCLES);
	GUEST_SYNC(TIMER_DISARMED);
	GUEST_ASSERT_EQ(try_wrmsr(MSR_TSC_DEADLINE, d), NO_FAULT);
	GUEST_SYNC(TIMER_TO_USER);
	GUEST_DONE();
}

VMMON_TEST(tsc_deadline_taken_in_vmmon)
{
	struct vmmon_cap_query q = { .cap = VMMON_CAP_APIC_TIMER };
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[1];
	} tsc = { .hdr.nmsrs = 1, .e[0].index = MSR_TSC };
	struct vmmon_apic_vectors *apic;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	__u64 deadline;

	ASSERT_OK(ioctl(dev, VMMON_CHECK_CAP, &q));
	EXPECT_EQ(q.value, 1u);
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_tsc_deadline,
					  0, 0));
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_CPUID, &cpuid_tsc_deadline));
	apic = &g.run->apic;
	apic->flags = VMMON_APIC_TIMER_IN_KERNEL;
	eoi_step_sync(_metadata, &g, TIMER_ARMED);
	deadline = apic->tsc_deadline;
	EXPECT_NE(deadline, 0u);
	/* Not before the guest's TSC reached it. */
	if (run_to_exit(_metadata, &g, VMMON_EXIT_APIC_TIMER)) {
		EXPECT_EQ(apic->tsc_deadline, 0u);
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_MSRS, &tsc));
		EXPECT_GE(tsc.e[0].data, deadline);
	}
	eoi_step_sync(_metadata, &g, TIMER_FIRED);
	if (run_to_exit(_metadata, &g, VMMON_EXIT_APIC_TIMER))
		EXPECT_EQ(apic->tsc_deadline, 0u);
	eoi_step_sync(_metadata, &g, TIMER_PAST);
	eoi_step_sync(_metadata, &g, TIMER_DISARMED);
	EXPECT_EQ(apic->tsc_deadline, 0u);
	apic->flags = 0;
	if (run_to_exit(_metadata, &g, VMMON_EXIT_MSR)) {
		EXPECT_EQ(g.run->msr.index, (__u32)MSR_TSC_DEADLINE);
		EXPECT_TRUE(g.run->msr.is_write);
	}
	eoi_step_sync(_metadata, &g, TIMER_TO_USER);
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	vmmon_guest_destroy(&g);
}

/*
 * Fixed x2APIC IPIs to another vCPU taken in vmmon
 * (VMMON_APIC_IPI_IN_KERNEL), two real-mode vCPUs of one VM.  vCPU 0
 * turns x2APIC on, then writes the ICR the host put in EDX:EAX; vCPU 1
 * marks a word of RAM and spins.  Taken: no exit for vCPU 0, the vector
 * in vCPU 1's IRR (TMR cleared: edge), vCPU 1's RUN back with EINTR, the
 * ICR stored, and the kick spent.  The forms vmmon leaves to userspace,
 * either flag off, and any IPI to a vCPU not inside RUN exit as before
 * with IRR untouched (sent twice otherwise, here and by userspace), and
 * do not kick.
 */
#define IPI_VECTOR	0xf0
#define IPI_SEND	0x11	/* offset of the ICR write in ipi_guest */
#define IPI_SPIN	0x1a	/* and of vCPU 1's loop */
#define IPI_HALT	0x21	/* and of its halting one */
#define IPI_HALTED	0x27	/* past that one's HLT */
#define IPI_MARK	0x800	/* the byte vCPU 1 sets there */
#define IPI_STARTING	0x5a	/* its values */
#define IPI_RUNNING	0xa5
#define IPI_WAIT_MS	5000	/* a kick later than this is lost */
#define IPI_RUN_ON_MS	50	/* how long a RUN not kicked must go on */

static const uint8_t ipi_guest[] = {
	0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00,	/* mov ecx, IA32_APIC_BASE */
	0x0f, 0x32,				/* rdmsr */
	0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00,	/* or eax, EN | EXTD */
	0x0f, 0x30,				/* wrmsr */
	0xf4,					/* hlt */
	0x66, 0xb9, 0x30, 0x08, 0x00, 0x00,	/* IPI_SEND: mov ecx, ICR */
	0x0f, 0x30,				/* wrmsr */
	0xf4,					/* hlt */
	0xc6, 0x06, 0x00, 0x08, IPI_RUNNING,	/* IPI_SPIN: mov [IPI_MARK], */
	0xeb, 0xfe,				/* jmp $ */
	0xc6, 0x06, 0x00, 0x08, IPI_RUNNING,	/* IPI_HALT: mov [IPI_MARK], */
	0xf4,					/* hlt */
	0xeb, 0xf8,				/* jmp IPI_HALT */
};

static const struct cpuid_table cpuid_x2apic = {
	.hdr.nent = 1,
	.e = { { .function = 1, .edx = CPUID1_EDX_APIC,
		 .ecx = CPUID1_ECX_X2APIC } },
};

struct ipi_target {
	int vcpu;
	struct vmmon_run *run;
	uint64_t code;		/* where its guest code starts */
	uint8_t *mark;		/* the byte it sets once it runs */
	pthread_t thread;
	pid_t tid;		/* __atomic, for its /proc state */
	int rc, err;
	int done;		/* __atomic */
};

static void *ipi_target_run(void *arg)
{
	struct ipi_target *t = arg;

	__atomic_store_n(&t->tid, (pid_t)syscall(SYS_gettid),
			 __ATOMIC_SEQ_CST);
	t->rc = ioctl(t->vcpu, VMMON_RUN, 0);
	t->err = errno;
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void ipi_no_op(int sig)
{
	(void)sig;
}

/* Whether vCPU 1's RUN returned within @ms of emulated time. */
static bool ipi_target_returned(struct ipi_target *t, int ms)
{
	struct timespec nap = { .tv_nsec = 1000000 };
	int i;

	for (i = 0; i < ms && !__atomic_load_n(&t->done, __ATOMIC_SEQ_CST);
	     i++)
		nanosleep(&nap, NULL);
	return __atomic_load_n(&t->done, __ATOMIC_SEQ_CST);
}

/*
 * vCPU 1 into RUN on a thread of its own, from @start (IPI_SPIN or
 * IPI_HALT; 0 for xipi_target) again; true once its guest runs.
 */
static bool ipi_target_start(struct ipi_target *t, unsigned int start)
{
	struct timespec nap = { .tv_nsec = 1000000 };
	struct vmmon_regs regs;
	int i;

	t->done = 0;
	t->tid = 0;
	*t->mark = IPI_STARTING;
	if (ioctl(t->vcpu, VMMON_GET_REGS, &regs))
		return false;
	regs.rip = t->code + start;
	if (ioctl(t->vcpu, VMMON_SET_REGS, &regs) ||
	    pthread_create(&t->thread, NULL, ipi_target_run, t))
		return false;
	for (i = 0; i < IPI_WAIT_MS &&
	     __atomic_load_n(t->mark, __ATOMIC_SEQ_CST) != IPI_RUNNING; i++)
		nanosleep(&nap, NULL);
	return __atomic_load_n(t->mark, __ATOMIC_SEQ_CST) == IPI_RUNNING;
}

/*
 * End vCPU 1's RUN if no kick did, as vmctl's SIGUSR1 does; false if it
 * did not end (the test fails at once rather than hang in the join).
 */
static bool ipi_target_stop(struct ipi_target *t)
{
	if (!__atomic_load_n(&t->done, __ATOMIC_SEQ_CST)) {
		t->run->immediate_exit = 1;
		pthread_kill(t->thread, SIGUSR1);
	}
	if (!ipi_target_returned(t, IPI_WAIT_MS))
		return false;
	pthread_join(t->thread, NULL);
	t->run->immediate_exit = 0;
	return true;
}

/*
 * An IPI taken in vmmon reached vCPU 1: its RUN came back with EINTR,
 * the vector in IRR alone, TMR cleared (edge).
 */
static void ipi_target_kicked(struct __test_metadata *_metadata,
			      struct ipi_target *t)
{
	struct vmmon_apic_vectors *apic1 = &t->run->apic;

	EXPECT_TRUE(ipi_target_returned(t, IPI_WAIT_MS))
		TH_LOG("vCPU 1 not kicked in %d ms", IPI_WAIT_MS);
	ASSERT_TRUE(ipi_target_stop(t));
	EXPECT_EQ(t->rc, -1);
	EXPECT_EQ(t->err, EINTR);
	EXPECT_EQ(t->run->exit_reason, (__u32)VMMON_EXIT_INTR);
	EXPECT_TRUE(vec_only(apic1->irr, IPI_VECTOR));
	EXPECT_TRUE(vec_only(apic1->tmr, -1));
}

/* vCPU 0 from IPI_SEND with EDX:EAX = @icr; its exit reason. */
static __u32 ipi_send(struct vmmon_guest *g, __u64 icr)
{
	struct vmmon_regs regs;

	if (ioctl(g->vcpu, VMMON_GET_REGS, &regs))
		return ~0U;
	regs.rip = VMMON_GUEST_CODE + IPI_SEND;
	regs.rax = (__u32)icr;
	regs.rdx = icr >> 32;
	if (ioctl(g->vcpu, VMMON_SET_REGS, &regs) || vmmon_guest_run(g))
		return ~0U;
	return g->run->exit_reason;
}

/*
 * An ICR write vmmon must leave to userspace: the WRMSR exits, vCPU 1's
 * IRR stays empty; answered, vCPU 0 runs on to its HLT.
 */
static void ipi_to_user(struct __test_metadata *_metadata,
			struct vmmon_guest *g, struct ipi_target *t,
			__u64 icr, const char *what)
{
	const struct vmmon_run *run = g->run;
	__u32 reason = ipi_send(g, icr);

	EXPECT_TRUE(reason == VMMON_EXIT_MSR &&
		    run->msr.index == MSR_X2APIC_ICR && run->msr.is_write &&
		    run->msr.data == icr) {
		show_exit(_metadata, g);
		TH_LOG("%s: ICR 0x%llx", what, (unsigned long long)icr);
	}
	EXPECT_TRUE(vec_only(t->run->apic.irr, -1)) TH_LOG("%s", what);
	if (reason == VMMON_EXIT_MSR) {
		g->run->msr.error = 0;
		EXPECT_TRUE(run_to_exit(_metadata, g, VMMON_EXIT_HLT));
	}
}

#define IPI_FIXED_TO_1	0x1000000f0ULL	/* fixed, edge, physical, vCPU 1 */

/*
 * The VM of both tests: vCPU 0 at its HLT in x2APIC mode, vCPU 1 made
 * with IF set and nothing injected (under Bochs 2.7 a kick's IPI exits
 * only such a guest), not started.
 */
static bool ipi_vm(struct __test_metadata *_metadata, struct vmmon_guest *g,
		   struct ipi_target *t)
{
	struct sigaction sa = { .sa_handler = ipi_no_op };

	if (sigaction(SIGUSR1, &sa, NULL) ||
	    vmmon_guest_create(g, dev, 1 << 20, ipi_guest, sizeof(ipi_guest)))
		return false;
	if (ioctl(g->vcpu, VMMON_SET_CPUID, &cpuid_x2apic))
		goto err;
	t->vcpu = vmmon_guest_add_vcpu(g, 1, VMMON_GUEST_CODE + IPI_SPIN,
				       0x202, &t->run);
	if (t->vcpu < 0) {
		TH_LOG("%s", g->error);
		goto err;
	}
	t->code = VMMON_GUEST_CODE;
	t->mark = &g->ram[IPI_MARK];
	/* The notice of x2APIC mode, then the HLT. */
	if (run_to_exit(_metadata, g, VMMON_EXIT_MSR) &&
	    g->run->msr.index == MSR_APIC_BASE &&
	    run_to_exit(_metadata, g, VMMON_EXIT_HLT))
		return true;
	munmap(t->run, 4096);
	close(t->vcpu);
err:
	vmmon_guest_destroy(g);
	return false;
}

static void ipi_vm_destroy(struct vmmon_guest *g, struct ipi_target *t)
{
	munmap(t->run, 4096);
	close(t->vcpu);
	vmmon_guest_destroy(g);
}

VMMON_TEST(x2apic_ipi_taken_in_vmmon)
{
	static const struct {
		__u64 icr;
		const char *what;
	} to_user[] = {
		{ 0x1000001f0ULL, "lowest priority" },
		{ 0x1000004f0ULL, "NMI" },
		{ 0x1000008f0ULL, "logical" },
		{ 0x10000c0f0ULL, "level-triggered" },
		{ 0x0000c00f0ULL, "all but self" },
		{ 0x10000000fULL, "illegal vector" },
		{ 0x0000000f0ULL, "to itself" },
		{ 0x5000000f0ULL, "to no vCPU" },
		{ 0x1000010f0ULL, "reserved bit 12" },
	};
	struct vmmon_cap_query q = { .cap = VMMON_CAP_APIC_IPI };
	struct vmmon_apic_vectors *apic0, *apic1;
	struct ipi_target t;
	struct vmmon_guest g;
	unsigned int i;

	ASSERT_OK(ioctl(dev, VMMON_CHECK_CAP, &q));
	EXPECT_EQ(q.value, 1u);
	ASSERT_TRUE(ipi_vm(_metadata, &g, &t));
	apic0 = &g.run->apic;
	apic1 = &t.run->apic;

	/* While vCPU 1 runs: the forms vmmon leaves, and either flag off. */
	apic0->flags = VMMON_APIC_IPI_IN_KERNEL;
	apic1->flags = VMMON_APIC_IPI_IN_KERNEL;
	ASSERT_TRUE(ipi_target_start(&t, IPI_SPIN));
	for (i = 0; i < sizeof(to_user) / sizeof(to_user[0]); i++)
		ipi_to_user(_metadata, &g, &t, to_user[i].icr,
			    to_user[i].what);
	apic0->flags = 0;
	ipi_to_user(_metadata, &g, &t, IPI_FIXED_TO_1, "sender's flag off");
	apic0->flags = VMMON_APIC_IPI_IN_KERNEL;
	apic1->flags = 0;
	ipi_to_user(_metadata, &g, &t, IPI_FIXED_TO_1, "target's flag off");
	apic1->flags = VMMON_APIC_IPI_IN_KERNEL;
	EXPECT_FALSE(ipi_target_returned(&t, 0)) TH_LOG("vCPU 1 kicked");

	/* Taken: no exit, vCPU 1's RUN back at once, IRR and TMR. */
	vec_set(apic1->tmr, IPI_VECTOR);
	vec_set(apic1->isr, 0x31);
	EXPECT_EQ(ipi_send(&g, IPI_FIXED_TO_1), (__u32)VMMON_EXIT_HLT)
		show_exit(_metadata, &g);
	ipi_target_kicked(_metadata, &t);
	EXPECT_TRUE(vec_only(apic1->isr, 0x31));
	EXPECT_EQ(apic0->icr_low, 0xf0u);
	EXPECT_EQ(apic0->icr_high, 1u);

	/* The kick was spent: vCPU 1's next RUN goes on. */
	ASSERT_TRUE(ipi_target_start(&t, IPI_SPIN));
	EXPECT_FALSE(ipi_target_returned(&t, IPI_RUN_ON_MS))
		TH_LOG("vCPU 1's RUN returned again: rc %d, errno %d", t.rc,
		       t.err);
	ASSERT_TRUE(ipi_target_stop(&t));

	/* Out of RUN: userspace's, whole (else it would be sent twice). */
	memset(apic1->irr, 0, sizeof(apic1->irr));
	ipi_to_user(_metadata, &g, &t, IPI_FIXED_TO_1, "vCPU 1 out of RUN");
	ipi_vm_destroy(&g, &t);
}

/* Whether vCPU 1's thread sleeps (in the kernel) within @ms. */
static bool ipi_target_sleeps(struct ipi_target *t, int ms)
{
	struct timespec nap = { .tv_nsec = 1000000 };
	char path[64], stat[256], *state;
	pid_t tid;
	FILE *f;
	int i;

	for (i = 0; i < ms && !__atomic_load_n(&t->done, __ATOMIC_SEQ_CST);
	     i++, nanosleep(&nap, NULL)) {
		tid = __atomic_load_n(&t->tid, __ATOMIC_SEQ_CST);
		if (!tid)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
		f = fopen(path, "re");
		if (!f)
			continue;
		state = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
		fclose(f);
		if (state && state[1] == ' ' && state[2] == 'S')
			return true;
	}
	return false;
}

/* The host's TSC cycles in a millisecond, over 20 ms of sleep. */
static __u64 tsc_per_ms(void)
{
	struct timespec nap = { .tv_nsec = 20000000 }, a, b;
	__u64 t0, t1, ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&nap, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
	return (t1 - t0) * 1000000 / ns;
}

/* vCPU 1's RUN returned its HLT, RIP past it. */
static void ipi_target_halted(struct __test_metadata *_metadata,
			      struct ipi_target *t, const char *what)
{
	struct vmmon_regs regs;

	EXPECT_EQ(t->rc, 0) TH_LOG("%s: errno %d", what, t->err);
	EXPECT_EQ(t->run->exit_reason, (__u32)VMMON_EXIT_HLT)
		TH_LOG("%s", what);
	ASSERT_OK(ioctl(t->vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rip, (__u64)(VMMON_GUEST_CODE + IPI_HALTED))
		TH_LOG("%s", what);
}

/* vCPU 1 halted in RUN until a signal ends the wait. */
static void ipi_target_signalled(struct __test_metadata *_metadata,
				 struct ipi_target *t, const char *what)
{
	ASSERT_TRUE(ipi_target_start(t, IPI_HALT));
	EXPECT_TRUE(ipi_target_sleeps(t, IPI_WAIT_MS)) TH_LOG("%s", what);
	pthread_kill(t->thread, SIGUSR1);
	EXPECT_TRUE(ipi_target_returned(t, IPI_WAIT_MS))
		TH_LOG("%s: the signal did not end the wait", what);
	ASSERT_TRUE(ipi_target_stop(t));
	ipi_target_halted(_metadata, t, what);
}

/*
 * A HLT that waits in vmmon (VMMON_APIC_HLT_IN_KERNEL), so that the IPIs
 * vmmon takes reach a halted vCPU: vCPU 1 marks RAM and halts, IF set.
 * Without the flag its RUN returns the HLT at once.  With it RUN waits;
 * vCPU 0's IPI is taken in vmmon (no exit) and ends the wait: RUN
 * returns the HLT, RIP past it, the vector in IRR.  A signal ends the
 * wait too, and the TSC deadline vmmon keeps, not before it is due (and
 * the farthest one the guest can write is no limit, nor a fault); an
 * interrupt window userspace asked for means no wait.
 */
#define HALT_DEADLINE_MS	200	/* the deadline, from the RUN's start */

VMMON_TEST(x2apic_ipi_wakes_halted_vcpu)
{
	struct vmmon_cap_query q = { .cap = VMMON_CAP_HLT_WAIT };
	struct {
		struct vmmon_msrs hdr;
		struct vmmon_msr_entry e[1];
	} tsc = { .hdr.nmsrs = 1, .e[0].index = MSR_TSC };
	struct vmmon_apic_vectors *apic1;
	struct vmmon_regs regs;
	struct ipi_target t;
	struct vmmon_guest g;
	__u64 deadline, rate;

	ASSERT_OK(ioctl(dev, VMMON_CHECK_CAP, &q));
	EXPECT_EQ(q.value, 1u);
	ASSERT_TRUE(ipi_vm(_metadata, &g, &t));
	/* vmmon keeps the deadline only of a vCPU CPUID offers it to. */
	ASSERT_OK(ioctl(t.vcpu, VMMON_SET_CPUID, &cpuid_tsc_deadline));
	apic1 = &t.run->apic;
	g.run->apic.flags = VMMON_APIC_IPI_IN_KERNEL;

	apic1->flags = VMMON_APIC_IPI_IN_KERNEL;
	ASSERT_TRUE(ipi_target_start(&t, IPI_HALT));
	EXPECT_TRUE(ipi_target_returned(&t, IPI_WAIT_MS));
	ASSERT_TRUE(ipi_target_stop(&t));
	ipi_target_halted(_metadata, &t, "without the flag");

	apic1->flags = VMMON_APIC_IPI_IN_KERNEL | VMMON_APIC_HLT_IN_KERNEL;
	ASSERT_TRUE(ipi_target_start(&t, IPI_HALT));
	EXPECT_TRUE(ipi_target_sleeps(&t, IPI_WAIT_MS));
	EXPECT_FALSE(ipi_target_returned(&t, IPI_RUN_ON_MS))
		TH_LOG("the HLT did not wait");
	EXPECT_EQ(ipi_send(&g, IPI_FIXED_TO_1), (__u32)VMMON_EXIT_HLT)
		show_exit(_metadata, &g);
	EXPECT_TRUE(ipi_target_returned(&t, IPI_WAIT_MS))
		TH_LOG("the IPI did not end the wait in %d ms", IPI_WAIT_MS);
	ASSERT_TRUE(ipi_target_stop(&t));
	ipi_target_halted(_metadata, &t, "IPI");
	EXPECT_TRUE(vec_only(apic1->irr, IPI_VECTOR));
	memset(apic1->irr, 0, sizeof(apic1->irr));

	ipi_target_signalled(_metadata, &t, "signal");
	EXPECT_TRUE(vec_only(apic1->irr, -1));

	/* Left to userspace in the run page: it times what may be left. */
	rate = tsc_per_ms();
	ASSERT_OK(ioctl(t.vcpu, VMMON_GET_MSRS, &tsc));
	deadline = tsc.e[0].data + HALT_DEADLINE_MS * rate;
	apic1->flags |= VMMON_APIC_TIMER_IN_KERNEL;
	apic1->tsc_deadline = deadline;
	ASSERT_TRUE(ipi_target_start(&t, IPI_HALT));
	EXPECT_TRUE(ipi_target_returned(&t, IPI_WAIT_MS))
		TH_LOG("the deadline did not end the wait");
	ASSERT_TRUE(ipi_target_stop(&t));
	ipi_target_halted(_metadata, &t, "deadline");
	EXPECT_EQ(apic1->tsc_deadline, deadline);
	ASSERT_OK(ioctl(t.vcpu, VMMON_GET_MSRS, &tsc));
	EXPECT_GE(tsc.e[0].data, deadline - rate)
		TH_LOG("ended %llu TSC cycles before the deadline",
		       (unsigned long long)(deadline - tsc.e[0].data));
	/* One no wait reaches (the guest writes any): not a limit. */
	apic1->tsc_deadline = ~0ULL;
	ipi_target_signalled(_metadata, &t, "deadline ~0");
	apic1->flags &= ~VMMON_APIC_TIMER_IN_KERNEL;
	apic1->tsc_deadline = 0;

	/* cli; hlt with an interrupt held in userspace for IF. */
	ASSERT_OK(ioctl(t.vcpu, VMMON_GET_REGS, &regs));
	regs.rflags = 2;
	ASSERT_OK(ioctl(t.vcpu, VMMON_SET_REGS, &regs));
	t.run->request_interrupt_window = 1;
	ASSERT_TRUE(ipi_target_start(&t, IPI_HALT));
	EXPECT_TRUE(ipi_target_returned(&t, IPI_WAIT_MS))
		TH_LOG("the HLT waited with a window asked for");
	ASSERT_TRUE(ipi_target_stop(&t));
	ipi_target_halted(_metadata, &t, "window asked for");
	ipi_vm_destroy(&g, &t);
}

/*
 * The same in xAPIC mode (VMMON_CAP_XAPIC_IPI), as Linux sends them
 * under a hypervisor it does not know: the destination written to the
 * ICR's high half (taken in vmmon, VMMON_APIC_ICR_IN_KERNEL), then the
 * low half written, physical by APIC ID or flat logical by each run
 * page's flat_id.  vCPU 0 (long mode, C) writes the ICRs the host
 * answers its syncs with; vCPU 1 spins with IF set.  Taken: no exit for
 * vCPU 0, the vector in vCPU 1's IRR, vCPU 1's RUN back with EINTR, the
 * low half stored without its reserved bits.  The forms vmmon leaves,
 * a destination of several vCPUs, any while a vCPU's ID is unknown (a
 * third vCPU without the flag, a logical ID not flat), broadcasts,
 * either flag off, and vCPU 1 out of RUN: an MMIO exit, IRR untouched,
 * the sender's stored ICR too, no kick.
 */
#define XIPI_TARGET_STACK	0x100000	/* below vCPU 0's stack */
#define XIPI_FIXED_TO_1		0x01000000000000f0ULL	/* APIC ID 1 */
#define XIPI_FLAT_TO_1		0x02000000000008f0ULL	/* flat ID 2 */
#define XIPI_FLAT_RESERVED	0x02000000fff338f0ULL	/* and reserved bits */
#define XIPI_NEXT		1

enum xipi_result { XIPI_TAKEN, XIPI_TO_USER, XIPI_OTHER };

static uint8_t xipi_mark;

/* vCPU 0: the ICR the host answers each sync with, 0 to end. */
static void guest_xipi_send(void)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_PAGE_GVA;
	uint64_t icr;

	while ((icr = GUEST_SYNC(XIPI_NEXT))) {
		apic[XAPIC_ICR_HIGH / 4] = icr >> 32;
		apic[XAPIC_ICR_LOW / 4] = (uint32_t)icr;
	}
}

/* vCPU 1: the mark, then a spin; never returns (no return address). */
static void __attribute__((noreturn)) guest_xipi_target(void)
{
	for (;;) {
		*(volatile uint8_t *)&xipi_mark = IPI_RUNNING;
		asm volatile("pause");
	}
}

/* vCPU 0 writes @icr; what became of the write of its low half. */
static enum xipi_result xipi_send(struct __test_metadata *_metadata,
				  struct vmmon_guest *g, __u64 icr)
{
	const struct vmmon_run *run = g->run;
	struct vmmon_ucall uc;
	__u32 data;

	if (vmmon_guest_ucall_reply(g, icr))
		return XIPI_OTHER;
	if (vmmon_guest_run_ucall(g, &uc) == VMMON_UCALL_SYNC)
		return XIPI_TAKEN;
	memcpy(&data, run->mmio.data, sizeof(data));
	if (run->exit_reason != VMMON_EXIT_MMIO ||
	    run->mmio.phys_addr != APIC_PAGE_GPA + XAPIC_ICR_LOW ||
	    !run->mmio.is_write || run->mmio.len != 4 || data != (__u32)icr) {
		show_exit(_metadata, g);
		return XIPI_OTHER;
	}
	return run_to_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC) ?
	       XIPI_TO_USER : XIPI_OTHER;
}

/* Left to userspace: the sender's stored ICR low half untouched too. */
static void xipi_to_user(struct __test_metadata *_metadata,
			 struct vmmon_guest *g, struct ipi_target *t,
			 __u64 icr, const char *what)
{
	__u32 low = g->run->apic.icr_low;

	EXPECT_TRUE(xipi_send(_metadata, g, icr) == XIPI_TO_USER)
		TH_LOG("%s: ICR 0x%llx", what, (unsigned long long)icr);
	EXPECT_TRUE(vec_only(t->run->apic.irr, -1)) TH_LOG("%s", what);
	EXPECT_EQ(g->run->apic.icr_low, low) TH_LOG("%s", what);
}

/* Taken: vCPU 1 kicked out of RUN with the vector in IRR alone. */
static void xipi_taken(struct __test_metadata *_metadata,
		       struct vmmon_guest *g, struct ipi_target *t, __u64 icr)
{
	struct vmmon_apic_vectors *apic1 = &t->run->apic;

	EXPECT_TRUE(xipi_send(_metadata, g, icr) == XIPI_TAKEN)
		TH_LOG("ICR 0x%llx", (unsigned long long)icr);
	ipi_target_kicked(_metadata, t);
	memset(apic1->irr, 0, sizeof(apic1->irr));
}

/*
 * Both vCPUs in long mode, vCPU 0 at its first sync, vCPU 1 made with
 * IF set on a stack of its own, not started.
 */
static bool xipi_vm(struct __test_metadata *_metadata, struct vmmon_guest *g,
		    struct ipi_target *t)
{
	struct sigaction sa = { .sa_handler = ipi_no_op };
	struct vmmon_ucall uc;
	struct vmmon_regs regs;
	uint64_t gpa;

	if (sigaction(SIGUSR1, &sa, NULL) ||
	    vmmon_guest_create_long(g, dev, 0, guest_xipi_send, 0, 0))
		return false;
	if (vmmon_guest_map_device(g, APIC_PAGE_GVA, APIC_PAGE_GPA) ||
	    vmmon_guest_gva_to_gpa(g, (uintptr_t)&xipi_mark, &gpa))
		goto err;
	t->code = (uintptr_t)guest_xipi_target;
	t->mark = &g->ram[gpa];
	t->vcpu = vmmon_guest_add_vcpu(g, 1, t->code, 0x202, &t->run);
	if (t->vcpu < 0)
		goto err;
	regs.rsp = 0;
	if (!ioctl(t->vcpu, VMMON_GET_REGS, &regs)) {
		regs.rsp = XIPI_TARGET_STACK;
		if (!ioctl(t->vcpu, VMMON_SET_REGS, &regs) &&
		    run_to_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC))
			return true;
	}
	ipi_vm_destroy(g, t);
	return false;
err:
	TH_LOG("%s", g->error);
	vmmon_guest_destroy(g);
	return false;
}

VMMON_TEST(xapic_ipi_taken_in_vmmon)
{
	static const struct {
		__u64 icr;
		const char *what;
	} to_user[] = {
		{ 0xff000000000000f0ULL, "physical broadcast" },
		{ 0x00000000000000f0ULL, "to itself" },
		{ 0x05000000000000f0ULL, "to no vCPU" },
		{ 0x03000000000008f0ULL, "logical, itself too" },
		{ 0x04000000000008f0ULL, "logical, to no vCPU" },
		{ 0x01000000000001f0ULL, "lowest priority" },
		{ 0x01000000000004f0ULL, "NMI" },
		{ 0x010000000000c0f0ULL, "level-triggered" },
		{ 0x00000000000c00f0ULL, "all but self" },
		{ 0x010000000000000fULL, "illegal vector" },
	};
	struct vmmon_cap_query q = { .cap = VMMON_CAP_XAPIC_IPI };
	struct vmmon_apic_vectors *apic0, *apic1;
	struct vmmon_run *run2;
	struct vmmon_ucall uc;
	struct ipi_target t;
	struct vmmon_guest g;
	unsigned int i;
	int vcpu2;

	ASSERT_OK(ioctl(dev, VMMON_CHECK_CAP, &q));
	EXPECT_EQ(q.value, 1u);
	ASSERT_TRUE(xipi_vm(_metadata, &g, &t));
	apic0 = &g.run->apic;
	apic1 = &t.run->apic;
	apic0->flags = VMMON_APIC_ICR_IN_KERNEL | VMMON_APIC_IPI_IN_KERNEL;
	apic0->flat_id = 1;
	apic1->flags = VMMON_APIC_IPI_IN_KERNEL;
	apic1->flat_id = 2;

	/* While vCPU 1 runs: the forms vmmon leaves, and either flag off. */
	ASSERT_TRUE(ipi_target_start(&t, 0));
	for (i = 0; i < sizeof(to_user) / sizeof(to_user[0]); i++)
		xipi_to_user(_metadata, &g, &t, to_user[i].icr,
			     to_user[i].what);
	apic1->flat_id = 0;
	xipi_to_user(_metadata, &g, &t, XIPI_FLAT_TO_1, "vCPU 1 LDR 0");
	apic1->flat_id = VMMON_APIC_NOT_FLAT | 2;
	xipi_to_user(_metadata, &g, &t, XIPI_FLAT_TO_1, "vCPU 1 not flat");
	apic1->flat_id = 2;
	apic0->flat_id = VMMON_APIC_NOT_FLAT;
	xipi_to_user(_metadata, &g, &t, XIPI_FLAT_TO_1, "vCPU 0 not flat");
	/* 0xff is all in logical mode too, whatever the flat IDs say. */
	apic0->flat_id = 0;
	xipi_to_user(_metadata, &g, &t, 0xff000000000008f0ULL,
		     "logical broadcast");
	apic0->flat_id = 1;
	apic0->flags = VMMON_APIC_ICR_IN_KERNEL;
	xipi_to_user(_metadata, &g, &t, XIPI_FIXED_TO_1, "sender's flag off");
	apic0->flags |= VMMON_APIC_IPI_IN_KERNEL;
	apic1->flags = 0;
	xipi_to_user(_metadata, &g, &t, XIPI_FIXED_TO_1, "target's flag off");
	xipi_to_user(_metadata, &g, &t, XIPI_FLAT_TO_1,
		     "target's flag off, logical");
	apic1->flags = VMMON_APIC_IPI_IN_KERNEL;
	/* A third vCPU: its flat ID unknown without the flag, then 4. */
	vcpu2 = vmmon_guest_add_vcpu(&g, 2, t.code, 0x202, &run2);
	ASSERT_GE(vcpu2, 0) TH_LOG("%s", g.error);
	xipi_to_user(_metadata, &g, &t, XIPI_FLAT_TO_1, "vCPU 2 unknown");
	xipi_to_user(_metadata, &g, &t, XIPI_FIXED_TO_1,
		     "vCPU 2 unknown, physical");
	run2->apic.flags = VMMON_APIC_IPI_IN_KERNEL;
	run2->apic.flat_id = 4;
	xipi_to_user(_metadata, &g, &t, XIPI_FLAT_TO_1 | 4ULL << 56,
		     "logical, two targets");
	EXPECT_FALSE(ipi_target_returned(&t, 0)) TH_LOG("vCPU 1 kicked");

	/* Physical, then flat logical with reserved bits: taken. */
	vec_set(apic1->tmr, IPI_VECTOR);
	xipi_taken(_metadata, &g, &t, XIPI_FIXED_TO_1);
	EXPECT_EQ(apic0->icr_low, 0xf0u);
	EXPECT_EQ(apic0->icr_high, 0x01000000u);
	ASSERT_TRUE(ipi_target_start(&t, 0));
	xipi_taken(_metadata, &g, &t, XIPI_FLAT_RESERVED);
	EXPECT_EQ(apic0->icr_low, (__u32)XIPI_FLAT_TO_1);
	EXPECT_EQ(apic0->icr_high, 0x02000000u);

	/* Out of RUN: userspace's, whole. */
	xipi_to_user(_metadata, &g, &t, XIPI_FIXED_TO_1, "vCPU 1 out of RUN");
	EXPECT_EQ(vmmon_guest_ucall_reply(&g, 0), 0);
	run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	munmap(run2, sizeof(*run2));
	close(vcpu2);
	ipi_vm_destroy(&g, &t);
}

/*
 * Device memory reached with more than MOV (issue 11, "MMIO
 * instructions"): read-modify-writes, LOCK BTS, TEST, ADD with its
 * flags, XCHG, REP STOS and REP MOVS, each access one exit answered by a
 * small register file here; then an instruction vmmon does not emulate,
 * which ends in an internal error naming its bytes.
 */
#define DEVICE_GVA	0x40000000ULL
#define DEVICE_GPA	0xd0000000ULL

static volatile uint8_t movs_copy[4];

static void guest_mmio_insns(void)
{
	volatile uint8_t *regs = (volatile uint8_t *)DEVICE_GVA;
	uint64_t test_flags, add_flags, one = 1, n;
	uint32_t x = 0x12345678;
	uint8_t cf;
	void *di, *si;

	asm volatile("orl $0x10, (%0)" : : "r"(regs) : "memory", "cc");
	asm volatile("lock btsl $3, 4(%1); setc %0"
		     : "=q"(cf) : "r"(regs) : "memory", "cc");
	asm volatile("testl $1, 8(%1); pushfq; popq %0"
		     : "=r"(test_flags) : "r"(regs) : "memory", "cc");
	asm volatile("addq %2, 16(%1); pushfq; popq %0"
		     : "=r"(add_flags) : "r"(regs), "r"(one) : "memory", "cc");
	asm volatile("xchgl %0, 24(%1)" : "+r"(x) : "r"(regs) : "memory");
	di = (void *)(regs + 32);
	n = 4;
	asm volatile("cld; rep stosl" : "+D"(di), "+c"(n) : "a"(0xa5a5a5a5)
		     : "memory");
	GUEST_ASSERT_EQ(n, 0);
	si = (void *)regs;
	di = (void *)movs_copy;
	n = 3;
	asm volatile("cld; rep movsb" : "+S"(si), "+D"(di), "+c"(n)
		     : : "memory");
	GUEST_ASSERT_EQ(n, 0);
	GUEST_ASSERT_EQ((uintptr_t)si, DEVICE_GVA + 3);
	GUEST_SYNC(cf, test_flags & (FLAGS_CF | FLAGS_ZF),
		   add_flags & (FLAGS_CF | FLAGS_ZF), x);
	GUEST_ASSERT_EQ(movs_copy[0] | movs_copy[1] << 8 | movs_copy[2] << 16,
			0x111111);
	asm volatile("lock cmpxchgl %1, 40(%2)"
		     : "+a"(x) : "r"(0U), "r"(regs) : "memory", "cc");
	GUEST_DONE();
}

VMMON_TEST(mmio_alu_xchg_bit_and_string_instructions)
{
	uint8_t regs[64] = { 0 };
	const uint32_t reg0 = 0x11111101, reg4 = 0x1, reg8 = 0x2;
	const uint64_t reg16 = ~0ULL;
	const uint32_t reg24 = 0xdeadbeef;
	unsigned int reads = 0, writes = 0;
	struct vmmon_run *run;
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	uint64_t off, v64;
	uint32_t v32;
	int kind;

	memcpy(regs, &reg0, 4);
	memcpy(regs + 4, &reg4, 4);
	memcpy(regs + 8, &reg8, 4);
	memcpy(regs + 16, &reg16, 8);
	memcpy(regs + 24, &reg24, 4);
	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_mmio_insns, 0, 0));
	ASSERT_OK(vmmon_guest_map_device(&g, DEVICE_GVA, DEVICE_GPA));
	run = g.run;
	for (;;) {
		kind = vmmon_guest_run_ucall(&g, &uc);
		if (kind != VMMON_UCALL_NONE || run->exit_reason != VMMON_EXIT_MMIO)
			break;
		off = run->mmio.phys_addr - DEVICE_GPA;
		ASSERT_LE(off + run->mmio.len, sizeof(regs));
		if (run->mmio.is_write) {
			memcpy(regs + off, run->mmio.data, run->mmio.len);
			writes++;
		} else {
			memcpy(run->mmio.data, regs + off, run->mmio.len);
			reads++;
		}
	}
	ASSERT_EQ(kind, (int)VMMON_UCALL_SYNC) {
		char buf[256];

		show_exit(_metadata, &g);
		TH_LOG("%s", vmmon_ucall_describe(&uc, buf, sizeof(buf)));
	}
	/* OR, BTS, ADD, XCHG: a read and a write; TEST a read; 4 + 3 items. */
	EXPECT_EQ(reads, 4u + 1 + 3);
	EXPECT_EQ(writes, 4u + 4);
	memcpy(&v32, regs, 4);
	EXPECT_EQ(v32, 0x11111111u);
	memcpy(&v32, regs + 4, 4);
	EXPECT_EQ(v32, 0x9u);
	EXPECT_EQ(uc.args[0], 0u);			/* bit 3 was clear */
	EXPECT_EQ(uc.args[1], FLAGS_ZF);		/* 2 & 1 == 0 */
	EXPECT_EQ(uc.args[2], FLAGS_CF | FLAGS_ZF);	/* ~0 + 1 */
	memcpy(&v64, regs + 16, 8);
	EXPECT_EQ(v64, 0u);
	EXPECT_EQ(uc.args[3], (uint64_t)reg24);
	memcpy(&v32, regs + 24, 4);
	EXPECT_EQ(v32, 0x12345678u);
	memcpy(&v32, regs + 44, 4);
	EXPECT_EQ(v32, 0xa5a5a5a5u);
	/* CMPXCHG on a device: not emulated, and said so with its bytes. */
	kind = vmmon_guest_run_ucall(&g, &uc);
	EXPECT_EQ(kind, (int)VMMON_UCALL_NONE);
	EXPECT_EQ(run->exit_reason, (__u32)VMMON_EXIT_INTERNAL)
		show_exit(_metadata, &g);
	EXPECT_EQ(run->internal.suberror, (__u32)VMMON_INTERNAL_EMULATION);
	/* f0 0f b1 ..: LOCK CMPXCHG, and at least 3 bytes fetched. */
	EXPECT_EQ(run->internal.data[2] & 0xffffff, 0xb10ff0u);
	EXPECT_GE(run->internal.data[3] >> 56, 3u);
	vmmon_guest_destroy(&g);
}

/*
 * SET_REGS on a vCPU stopped inside an STI or MOV SS shadow: the
 * instruction the shadow covers is one vmmon does not emulate on device
 * memory (LOCK CMPXCHG), an internal error, and userspace moves RIP on,
 * as a VMM that emulates or skips it would.  The shadow belonged to the
 * old RIP: an NMI posted with the new registers comes on the new RIP's
 * first instruction.  (STI: the new RFLAGS has IF clear, and a shadow
 * left with it fails VM entry.)
 */
asm(".pushsection .text\n"
    ".globl shadow_then_cmpxchg\n"
    "shadow_then_cmpxchg:\n"
    "	cli\n"
    "	test %edi, %edi\n"
    "	jnz 1f\n"
    "	sti\n"
    "	lock cmpxchg %ecx, (%rsi)\n"
    "	ud2\n"
    "1:	mov %ss, %eax\n"
    "	mov %eax, %ss\n"
    "	lock cmpxchg %ecx, (%rsi)\n"
    "	ud2\n"
    ".popsection");
void shadow_then_cmpxchg(uint64_t mov_ss, uint64_t device);

static void guest_after_set_regs(void)
{
	GUEST_ASSERT_EQ(nmi_hits, 1);
	GUEST_ASSERT_EQ(nmi_first_rip, (uintptr_t)guest_after_set_regs);
	GUEST_DONE();
}

static void guest_shadow_on_device(uint64_t mov_ss)
{
	guest_install_handler(VEC_NMI, guest_nmi_log);
	shadow_then_cmpxchg(mov_ss, DEVICE_GVA);
}

static void set_regs_in_shadow(struct __test_metadata *_metadata,
			       uint64_t mov_ss)
{
	struct vmmon_ucall uc;
	struct vmmon_guest g;
	struct vmmon_regs r;

	ASSERT_OK(vmmon_guest_create_long(&g, dev, 0, guest_shadow_on_device,
					  mov_ss, 0));
	ASSERT_OK(vmmon_guest_map_device(&g, DEVICE_GVA, DEVICE_GPA));
	if (run_to_exit(_metadata, &g, VMMON_EXIT_INTERNAL)) {
		ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &r));
		r.rip = (uintptr_t)guest_after_set_regs;
		r.rsp = (r.rsp & ~0xfULL) - 8;		/* as after a CALL */
		r.rflags = 0x2;				/* IF clear */
		ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &r));
		ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
		run_to_ucall(_metadata, &g, &uc, VMMON_UCALL_DONE);
	}
	vmmon_guest_destroy(&g);
}

VMMON_TEST(set_regs_ends_an_sti_shadow)
{
	set_regs_in_shadow(_metadata, 0);
}

VMMON_TEST(set_regs_ends_a_mov_ss_shadow)
{
	set_regs_in_shadow(_metadata, 1);
}

VMMON_TEST_MAIN
