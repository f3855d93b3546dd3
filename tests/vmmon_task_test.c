// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches (issue 11), which VT-x leaves to vmmon: a
 * 32-bit protected-mode guest whose GDT, IDT and TSSs this program
 * builds in guest RAM.  JMP to a TSS, CALL through a task gate and IRET
 * back (NT, the back link, the busy flags), a #GP and a #DF through task
 * gates in the IDT (the error code on the new task's stack), the faults
 * of a bad switch with their error codes (before the switch, taken by
 * the old task; after it, by the new one, whose state VM entry must
 * still take, at CPL 0 and at CPL 3), NMI blocking through a gate, and
 * the switches vmmon refuses (a 16-bit TSS, memory it cannot get), which
 * leave the guest as it was.  The guest reports through its registers
 * at HLT, and the TSSs and descriptors in its memory.
 *
 * The CPU itself checks a TSS descriptor's type, P flag and (Bochs at
 * least) its limit before the exit: not_present_tss_is_np and
 * tss_limit_too_small_is_ts pass without vmmon's emulation too; they
 * show the guest sees what a CPU does.  The others fail without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"
#include "vmmon_util.h"

#define GUEST_RAM	(1 << 20)

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

/* Guest-physical layout (paging off). */
#define GDT		0x10000
#define IDT		0x11000
#define TSS_A		0x12000		/* the task the guest starts in */
#define TSS_B		0x12100
#define TSS_C		0x12200
#define TSS_D		0x12300
#define TSS_E		0x12400
#define LDT		0x13000
#define NOTE		0x20000		/* what task B writes down */
#define STACK_B		0x30000
#define STACK_C		0x31000
#define STACK_D		0x32000
#define STACK_E		0x33000
#define NMI_COUNT	(NOTE + 8)
/* Page tables of the paging tests, and the two pages behind LA_PROBE. */
#define PT_DIR_A	0x40000		/* PAE: the PDPT, then its PD */
#define PT_DIR_B	0x42000
#define PT_LOW		0x44000		/* identity, the first MiB */
#define PT_PROBE_A	0x45000
#define PT_PROBE_B	0x46000
#define PAGE_A		0x50000
#define PAGE_B		0x51000
#define TSS_UNTOUCHED	0x60000		/* a page nothing touches */
#define UNTOUCHED_END	0x70000		/* pages from here: filler */
#define LA_PROBE	0x400000
#define PROBE_A		0xaaaa0001u
#define PROBE_B		0xbbbb0002u

/* The GDT. */
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_TSS_A	0x18
#define SEL_TSS_B	0x20
#define SEL_TSS_C	0x28
#define SEL_TSS_NP	0x30		/* not present */
#define SEL_TSS_SMALL	0x38		/* limit 0x50 */
#define SEL_GATE_B	0x40		/* task gate to TSS B */
#define SEL_TSS_D	0x48
#define SEL_TSS_E	0x50		/* its CS is outside the GDT */
#define SEL_TSS16	0x58		/* a 16-bit TSS */
#define SEL_LDT		0x60		/* an LDT at LDT */
#define SEL_LDT_FAR	0x68		/* an LDT outside guest RAM */
#define SEL_UCODE	0x70		/* DPL 3 */
#define SEL_UDATA	0x78		/* DPL 3 */
#define GDT_ENTRIES	16
#define RPL3		3
#define SEL_LDT_DATA	0x0c		/* the LDT's entry 1 */
#define LA_FAR		0xfff00000u
#define SEL_BAD		0x7f8		/* beyond the GDT's limit */

/* Descriptor types (byte 5: P, DPL 0, type). */
#define TYPE_TSS_AVAIL	0x89
#define TYPE_TSS_BUSY	0x8b
#define TYPE_TSS16	0x81
#define TYPE_TASK_GATE	0x85
#define TYPE_LDT	0x82
#define TYPE_INTR_GATE	0x8e
#define TSS_LIMIT	0x67

/* The 32-bit TSS's fields. */
#define TSS_LINK	0x00
#define TSS_CR3		0x1c
#define TSS_T		0x64
#define TSS_EIP		0x20
#define TSS_EFLAGS	0x24
#define TSS_EAX		0x28
#define TSS_GPRS_ECX	0x2c
#define TSS_ESP		0x38
#define TSS_SEGS	0x48
#define TSS_LDT		0x60
#define TSS_IOMAP	0x66

#define EFLAGS_IF	(1u << 9)
#define EFLAGS_NT	(1u << 14)
#define EFLAGS_VM	(1u << 17)
#define DR6_BT		(1u << 15)
#define CR4_PAE		(1u << 5)
#define PTE_P		1u
#define PTE_RW		2u
#define CR0_TS		(1u << 3)

#define VEC_DB		1
#define VEC_NMI		2
#define VEC_DF		8
#define VEC_TS		10
#define VEC_NP		11
#define VEC_GP		13
#define VEC_PF		14
#define VEC_TASK_INT	0x40
#define VEC_TASK_IRQ	0x41
#define IDT_VECTORS	0x42

#define SEL_TI		0x4
#define ERR_EXT		0x1

#define PORT_NMI_IN	0x10
#define PORT_NMI_OUT	0x11

asm(".pushsection .rodata.task_guest, \"a\"\n"
"	.code32\n"
"task_guest:\n"
"jmp_entry:\n"
"	mov $0xaaaa, %eax\n"
"jmp_insn:\n"
"	ljmp $" __stringify(SEL_TSS_B) ", $0\n"
"jmp_after:\n"
"	hlt\n"
"call_entry:\n"
"	mov $0x5555, %eax\n"
"	lcall $" __stringify(SEL_GATE_B) ", $0\n"
"	hlt\n"
"call_after:\n"
"fault_entry:\n"
"	mov $" __stringify(SEL_BAD) ", %ax\n"
"fault_insn:\n"
"	mov %ax, %ds\n"
"	hlt\n"
"np_entry:\n"
"	ljmp $" __stringify(SEL_TSS_NP) ", $0\n"
"	hlt\n"
"small_entry:\n"
"	ljmp $" __stringify(SEL_TSS_SMALL) ", $0\n"
"	hlt\n"
"bad_cs_entry:\n"
"	ljmp $" __stringify(SEL_TSS_E) ", $0\n"
"bad_cs_after:\n"
"	hlt\n"
"tss16_entry:\n"
"	ljmp $" __stringify(SEL_TSS16) ", $0\n"
"	hlt\n"
/* Task B, entered by JMP: stops. */
"task_b_hlt:\n"
"	mov $0x77, %ebx\n"
"	hlt\n"
"task_b_hlt_after:\n"
/* Task B, entered by CALL: notes its EFLAGS and TR, returns. */
"task_b_iret:\n"
"	pushf\n"
"	pop %esi\n"
"	mov %esi, " __stringify(NOTE) "\n"
"	str %ax\n"
"	mov %ax, " __stringify(NOTE + 4) "\n"
"	iret\n"
"task_b_after_iret:\n"
/* A task gate's NMI handler: counts, reports twice, returns. */
"nmi_task:\n"
"	incl " __stringify(NMI_COUNT) "\n"
"	out %al, $" __stringify(PORT_NMI_IN) "\n"
"	out %al, $" __stringify(PORT_NMI_OUT) "\n"
"	iret\n"
"	jmp nmi_task\n"
/* Task A waits for interrupts; INT n through a task gate. */
"wait_entry:\n"
"	hlt\n"
"	jmp wait_entry\n"
"int_entry:\n"
"	int $" __stringify(VEC_TASK_INT) "\n"
"int_after:\n"
"	hlt\n"
/* Paging on (CR4 from EDI, CR3 from ESI), then to B in another space. */
"paging_entry:\n"
"	mov %edi, %cr4\n"
"	mov %esi, %cr3\n"
"	mov %cr0, %eax\n"
"	or $0x80000000, %eax\n"
"	mov %eax, %cr0\n"
"	mov " __stringify(LA_PROBE) ", %ecx\n"
"	ljmp $" __stringify(SEL_TSS_B) ", $0\n"
"paging_fault_entry:\n"
"	mov %edi, %cr4\n"
"	mov %esi, %cr3\n"
"	mov %cr0, %eax\n"
"	or $0x80000000, %eax\n"
"	mov %eax, %cr0\n"
"	jmp fault_entry\n"
"paging_b:\n"
"	mov " __stringify(LA_PROBE) ", %ebx\n"
"	hlt\n"
/* The #DB handler: DR6 to EAX, stop. */
"dr6_hlt:\n"
"	mov %dr6, %eax\n"
"	hlt\n"
/* A handler (task or interrupt gate): its error code to EAX, stop. */
"pop_hlt:\n"
"	pop %eax\n"
"	hlt\n"
"pop_hlt_after:\n"
/* The same, then a port write once it runs on. */
"pop_hlt_out:\n"
"	pop %eax\n"
"	hlt\n"
"	out %al, $" __stringify(PORT_NMI_OUT) "\n"
"	hlt\n"
"task_guest_end:\n"
"	.code64\n"
"	.popsection\n");

extern const uint8_t task_guest[], task_guest_end[], jmp_entry[],
	call_entry[], fault_entry[], np_entry[], small_entry[],
	bad_cs_entry[], tss16_entry[], task_b_hlt[], task_b_iret[],
	pop_hlt[], jmp_after[], call_after[], fault_insn[], bad_cs_after[],
	task_b_hlt_after[], task_b_after_iret[], pop_hlt_after[],
	nmi_task[], wait_entry[], int_entry[], int_after[], paging_entry[],
	paging_b[], dr6_hlt[], jmp_insn[], pop_hlt_out[],
	paging_fault_entry[];

#define AT(label)	(VMMON_GUEST_CODE + (uint32_t)((label) - task_guest))

/* The last RUN of @g ended with exit @reason; if not, show the exit. */
#define EXPECT_EXIT(g, reason)						\
	EXPECT_EQ((g)->run->exit_reason, (__u32)(reason))		\
		vmmon_show_exit((g)->run)

static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t type,
			   uint8_t flags)
{
	return (limit & 0xffffULL) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)type << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)flags << 52 | (uint64_t)(base >> 24) << 56;
}

static uint64_t gate(uint16_t sel, uint32_t offset, uint8_t type)
{
	return (offset & 0xffffULL) | (uint64_t)sel << 16 |
	       (uint64_t)type << 40 | (uint64_t)(offset >> 16) << 48;
}

static void put32(struct vmmon_guest *g, uint32_t gpa, uint32_t v)
{
	memcpy(g->ram + gpa, &v, sizeof(v));
}

static uint32_t get32(const struct vmmon_guest *g, uint32_t gpa)
{
	uint32_t v;

	memcpy(&v, g->ram + gpa, sizeof(v));
	return v;
}

/* A 32-bit TSS for a task at @eip on @esp, flat segments. */
static void tss32(struct vmmon_guest *g, uint32_t tss, uint32_t eip,
		  uint32_t esp, uint16_t cs)
{
	int i;

	memset(g->ram + tss, 0, TSS_LIMIT + 1);
	put32(g, tss + TSS_EIP, eip);
	put32(g, tss + TSS_EFLAGS, 2);
	put32(g, tss + TSS_ESP, esp);
	for (i = 0; i < 6; i++)
		put32(g, tss + TSS_SEGS + 4 * i, i == 1 ? cs : SEL_DATA);
	g->ram[tss + TSS_IOMAP] = TSS_LIMIT + 1;
}

static uint8_t desc_type(const struct vmmon_guest *g, uint16_t sel)
{
	return g->ram[GDT + sel + 5];
}

/*
 * The guest in task A at @entry, the GDT above, B entered at @b_eip,
 * C and D the pop_hlt handler; the IDT empty (not present).
 */
static int task_guest_create(struct vmmon_guest *g, uint32_t entry,
			     uint32_t b_eip)
{
	const uint64_t gdt[GDT_ENTRIES] = {
		[SEL_CODE / 8] = descriptor(0, 0xfffff, 0x9b, 0xc),
		[SEL_DATA / 8] = descriptor(0, 0xfffff, 0x93, 0xc),
		[SEL_TSS_A / 8] = descriptor(TSS_A, TSS_LIMIT, TYPE_TSS_BUSY, 0),
		[SEL_TSS_B / 8] = descriptor(TSS_B, TSS_LIMIT, TYPE_TSS_AVAIL, 0),
		[SEL_TSS_C / 8] = descriptor(TSS_C, TSS_LIMIT, TYPE_TSS_AVAIL, 0),
		[SEL_TSS_NP / 8] = descriptor(TSS_B, TSS_LIMIT,
					      TYPE_TSS_AVAIL & 0x7f, 0),
		[SEL_TSS_SMALL / 8] = descriptor(TSS_B, 0x50, TYPE_TSS_AVAIL, 0),
		[SEL_GATE_B / 8] = gate(SEL_TSS_B, 0, TYPE_TASK_GATE),
		[SEL_TSS_D / 8] = descriptor(TSS_D, TSS_LIMIT, TYPE_TSS_AVAIL, 0),
		[SEL_TSS_E / 8] = descriptor(TSS_E, TSS_LIMIT, TYPE_TSS_AVAIL, 0),
		[SEL_TSS16 / 8] = descriptor(TSS_B, 0x2b, TYPE_TSS16, 0),
		[SEL_LDT / 8] = descriptor(LDT, 0xf, TYPE_LDT, 0),
		[SEL_LDT_FAR / 8] = descriptor(LA_FAR, 0xf, TYPE_LDT, 0),
		[SEL_UCODE / 8] = descriptor(0, 0xfffff, 0xfb, 0xc),
		[SEL_UDATA / 8] = descriptor(0, 0xfffff, 0xf3, 0xc),
	};
	struct vmmon_regs regs;
	struct vmmon_sregs sregs;

	if (vmmon_guest_create_prot32(g, dev, GUEST_RAM, task_guest,
				      task_guest_end - task_guest))
		return -1;
	memcpy(g->ram + GDT, gdt, sizeof(gdt));
	tss32(g, TSS_A, 0, 0, SEL_CODE);
	tss32(g, TSS_B, b_eip, STACK_B, SEL_CODE);
	tss32(g, TSS_C, AT(pop_hlt), STACK_C, SEL_CODE);
	tss32(g, TSS_D, AT(pop_hlt), STACK_D, SEL_CODE);
	tss32(g, TSS_E, AT(pop_hlt), STACK_E, SEL_BAD);
	put32(g, TSS_B + TSS_EAX, 0x1234);
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs))
		return -1;
	sregs.gdt.base = GDT;
	sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs.idt.base = IDT;
	sregs.idt.limit = IDT_VECTORS * 8 - 1;
	sregs.cs.selector = SEL_CODE;
	sregs.ds.selector = sregs.es.selector = sregs.fs.selector =
		sregs.gs.selector = sregs.ss.selector = SEL_DATA;
	sregs.tr = (struct vmmon_segment){ .base = TSS_A, .limit = TSS_LIMIT,
					   .selector = SEL_TSS_A,
					   .ar = TYPE_TSS_BUSY };
	if (ioctl(g->vcpu, VMMON_SET_SREGS, &sregs) ||
	    ioctl(g->vcpu, VMMON_GET_REGS, &regs))
		return -1;
	regs.rip = entry;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

static void set_idt(struct vmmon_guest *g, int vec, uint64_t desc)
{
	memcpy(g->ram + IDT + 8 * vec, &desc, sizeof(desc));
}

/* An interrupt gate to pop_hlt, on the interrupted task's stack. */
static void handler_gate(struct vmmon_guest *g, int vec)
{
	set_idt(g, vec, gate(SEL_CODE, AT(pop_hlt), TYPE_INTR_GATE));
}

struct after {
	struct vmmon_regs regs;
	struct vmmon_sregs sregs;
};

static int state(struct vmmon_guest *g, struct after *a)
{
	if (ioctl(g->vcpu, VMMON_GET_REGS, &a->regs))
		return -1;
	return ioctl(g->vcpu, VMMON_GET_SREGS, &a->sregs);
}

/*
 * JMP to an available TSS: A's state saved (EIP after the JMP, EAX),
 * B's loaded, A's busy flag cleared and B's set, no back link, NT
 * clear, CR0.TS set.
 */
VMMON_TEST(jmp_to_a_tss_switches_tasks)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rip, (uint64_t)AT(task_b_hlt_after));
	EXPECT_EQ(a.regs.rax, 0x1234u);		/* from B's TSS */
	EXPECT_EQ(a.regs.rbx, 0x77u);
	EXPECT_EQ(a.regs.rsp, (uint64_t)STACK_B);
	EXPECT_EQ(a.regs.rflags & EFLAGS_NT, 0u);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_B);
	EXPECT_EQ(a.sregs.tr.base, (uint64_t)TSS_B);
	EXPECT_EQ(a.sregs.tr.ar & 0xfu, 0xbu);
	EXPECT_NE(a.sregs.cr0 & CR0_TS, 0u);
	EXPECT_EQ(a.sregs.cs.selector, SEL_CODE);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EIP), AT(jmp_after));
	EXPECT_EQ(get32(&g, TSS_A + TSS_EAX), 0xaaaau);
	EXPECT_EQ(get32(&g, TSS_A + TSS_SEGS + 4), (uint32_t)SEL_CODE);
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), TYPE_TSS_AVAIL);
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), TYPE_TSS_BUSY);
	EXPECT_EQ(get32(&g, TSS_B + TSS_LINK), 0u);
	vmmon_guest_destroy(&g);
}

/*
 * The descriptors the new task loads get their accessed flags set in
 * memory, as the CPU sets them: B's CS and SS-GS from the GDT, whose
 * flags the test clears, and FS from B's LDT; the other bits of each
 * type byte stay.
 */
VMMON_TEST(task_switch_sets_the_accessed_flags)
{
	const uint64_t ldt_data = descriptor(0, 0xfffff, 0x92, 0xc);
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	g.ram[GDT + SEL_CODE + 5] = 0x9a;
	g.ram[GDT + SEL_DATA + 5] = 0x92;
	memcpy(g.ram + LDT + (SEL_LDT_DATA & ~7), &ldt_data,
	       sizeof(ldt_data));
	put32(&g, TSS_B + TSS_LDT, SEL_LDT);
	put32(&g, TSS_B + TSS_SEGS + 4 * 4, SEL_LDT_DATA);	/* FS */
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_B);
	EXPECT_EQ(a.sregs.fs.selector, SEL_LDT_DATA);
	EXPECT_EQ(desc_type(&g, SEL_CODE), 0x9b);
	EXPECT_EQ(desc_type(&g, SEL_DATA), 0x93);
	EXPECT_EQ(g.ram[LDT + (SEL_LDT_DATA & ~7) + 5], 0x93);
	vmmon_guest_destroy(&g);
}

/*
 * CALL through a task gate: B runs with NT set and A in its back link,
 * both busy; B's IRET returns to A after the CALL with A's registers,
 * NT clear, B no longer busy.
 */
VMMON_TEST(call_through_a_task_gate_and_iret_back)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(call_entry), AT(task_b_iret)));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rip, (uint64_t)AT(call_after));
	EXPECT_EQ(a.regs.rax, 0x5555u);
	EXPECT_EQ(a.regs.rflags & EFLAGS_NT, 0u);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_A);
	/* What B saw. */
	EXPECT_NE(get32(&g, NOTE) & EFLAGS_NT, 0u);
	EXPECT_EQ(get32(&g, NOTE + 4) & 0xffff, (uint32_t)SEL_TSS_B);
	EXPECT_EQ(get32(&g, TSS_B + TSS_LINK), (uint32_t)SEL_TSS_A);
	/* B's IRET saved B with NT clear, after its IRET. */
	EXPECT_EQ(get32(&g, TSS_B + TSS_EIP), AT(task_b_after_iret));
	EXPECT_EQ(get32(&g, TSS_B + TSS_EFLAGS) & EFLAGS_NT, 0u);
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), TYPE_TSS_BUSY);
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), TYPE_TSS_AVAIL);
	vmmon_guest_destroy(&g);
}

/*
 * A #GP (a selector beyond the GDT loaded into DS) through a task gate:
 * task C gets the error code on its stack, A's saved EIP is the
 * faulting instruction, C's back link A.
 */
VMMON_TEST(gp_through_a_task_gate_pushes_its_error_code)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(fault_entry), 0));
	set_idt(&g, VEC_GP, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_BAD);
	EXPECT_EQ(a.regs.rsp, (uint64_t)STACK_C);
	EXPECT_EQ(a.regs.rip, (uint64_t)AT(pop_hlt_after));
	EXPECT_NE(a.regs.rflags & EFLAGS_NT, 0u);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(get32(&g, TSS_C + TSS_LINK), (uint32_t)SEL_TSS_A);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EIP), AT(fault_insn));
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), TYPE_TSS_BUSY);
	EXPECT_EQ(desc_type(&g, SEL_TSS_C), TYPE_TSS_BUSY);
	vmmon_guest_destroy(&g);
}

/*
 * A #DF through a task gate, as Linux i386 handles them: the #GP finds
 * its IDT entry not present (#NP while delivering it: a double fault),
 * the #DF's gate switches to task D, which finds error code 0.
 */
VMMON_TEST(double_fault_through_a_task_gate)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(fault_entry), 0));
	set_idt(&g, VEC_DF, gate(SEL_TSS_D, 0, TYPE_TASK_GATE));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_D);
	EXPECT_EQ(a.regs.rax, 0u);
	EXPECT_EQ(a.regs.rsp, (uint64_t)STACK_D);
	EXPECT_EQ(get32(&g, TSS_D + TSS_LINK), (uint32_t)SEL_TSS_A);
	vmmon_guest_destroy(&g);
}

/* JMP to a TSS whose descriptor is not present: #NP(selector) in A. */
VMMON_TEST(not_present_tss_is_np)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(np_entry), 0));
	handler_gate(&g, VEC_NP);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_TSS_NP);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_A);
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), TYPE_TSS_BUSY);
	vmmon_guest_destroy(&g);
}

/* JMP to a TSS whose limit is below 0x67: #TS(selector) in A. */
VMMON_TEST(tss_limit_too_small_is_ts)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(small_entry), 0));
	handler_gate(&g, VEC_TS);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_TSS_SMALL);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_A);
	EXPECT_EQ(desc_type(&g, SEL_TSS_SMALL), TYPE_TSS_AVAIL);
	vmmon_guest_destroy(&g);
}

/*
 * The current TSS too small for the state a switch saves (limit below
 * 0x5f): #TS naming it, taken by A; nothing changed.
 */
VMMON_TEST(old_tss_too_small_is_ts)
{
	struct vmmon_guest g;
	struct vmmon_sregs sregs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	handler_gate(&g, VEC_TS);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.tr.limit = 0x50;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_TSS_A);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_A);
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), TYPE_TSS_AVAIL);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EAX), 0u);
	vmmon_guest_destroy(&g);
}

/*
 * A new task whose CS selector is outside the GDT: the switch is done
 * (TR is E) and E takes #TS naming the selector.
 */
VMMON_TEST(bad_cs_in_new_tss_is_ts_in_the_new_task)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(bad_cs_entry), 0));
	handler_gate(&g, VEC_TS);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_BAD);
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_E);
	EXPECT_EQ(desc_type(&g, SEL_TSS_E), TYPE_TSS_BUSY);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EIP), AT(bad_cs_after));
	vmmon_guest_destroy(&g);
}

/* A 16-bit TSS: vmmon says it does not switch to one. */
VMMON_TEST(tss16_is_refused_with_an_internal_error)
{
	struct vmmon_guest g;

	ASSERT_OK(task_guest_create(&g, AT(tss16_entry), 0));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_INTERNAL);
	EXPECT_EQ(g.run->internal.suberror, (uint32_t)VMMON_INTERNAL_TASK_SWITCH);
	EXPECT_EQ(g.run->internal.data[0] & 0xffff, (uint64_t)SEL_TSS16);
	EXPECT_EQ(g.run->internal.data[1], (uint64_t)EOPNOTSUPP);
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), TYPE_TSS_BUSY);
	vmmon_guest_destroy(&g);
}

/*
 * The T flag of the new TSS: a #DB (DR6.BT) before the new task's first
 * instruction.
 */
VMMON_TEST(tss_t_flag_traps_on_entry_to_the_task)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	g.ram[TSS_B + TSS_T] = 1;
	set_idt(&g, VEC_DB, gate(SEL_CODE, AT(dr6_hlt), TYPE_INTR_GATE));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_B);
	EXPECT_NE(a.regs.rax & DR6_BT, 0u);
	EXPECT_NE(a.regs.rbx, 0x77u);		/* B's first instruction: not yet */
	vmmon_guest_destroy(&g);
}

/*
 * INT n through a task gate: A's saved EIP is after the INT (a software
 * interrupt completes); an external interrupt through one: before the
 * instruction it came at.
 */
VMMON_TEST(int_n_through_a_task_gate_saves_the_next_eip)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(int_entry), 0));
	put32(&g, TSS_C + TSS_EIP, AT(task_b_hlt));
	set_idt(&g, VEC_TASK_INT, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(a.regs.rbx, 0x77u);
	EXPECT_EQ(a.regs.rsp, (uint64_t)STACK_C);	/* no error code */
	EXPECT_NE(a.regs.rflags & EFLAGS_NT, 0u);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EIP), AT(int_after));
	EXPECT_EQ(get32(&g, TSS_C + TSS_LINK), (uint32_t)SEL_TSS_A);
	vmmon_guest_destroy(&g);
}

VMMON_TEST(external_interrupt_through_a_task_gate)
{
	struct vmmon_interrupt irq = { .vector = VEC_TASK_IRQ };
	struct vmmon_guest g;
	struct vmmon_regs regs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(wait_entry), 0));
	put32(&g, TSS_C + TSS_EIP, AT(task_b_hlt));
	set_idt(&g, VEC_TASK_IRQ, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	regs.rflags |= EFLAGS_IF;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &regs));
	ASSERT_OK(ioctl(g.vcpu, VMMON_INTERRUPT, &irq));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(a.regs.rbx, 0x77u);
	EXPECT_EQ(a.regs.rsp, (uint64_t)STACK_C);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EIP), AT(wait_entry));
	EXPECT_NE(get32(&g, TSS_A + TSS_EFLAGS) & EFLAGS_IF, 0u);
	vmmon_guest_destroy(&g);
}

/*
 * An NMI through a task gate (task C): NMIs stay blocked while C runs,
 * a second one waits; C's IRET back to A unblocks them, and the second
 * enters C again, after its IRET (C's saved EIP), where it loops back.
 */
VMMON_TEST(nmi_through_a_task_gate_blocks_nmis_until_iret)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(wait_entry), 0));
	put32(&g, TSS_C + TSS_EIP, AT(nmi_task));
	set_idt(&g, VEC_NMI, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, PORT_NMI_IN);
	EXPECT_EQ(get32(&g, NMI_COUNT), 1u);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EIP), AT(wait_entry));
	/* Held while C runs. */
	ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, PORT_NMI_OUT);
	EXPECT_EQ(get32(&g, NMI_COUNT), 1u);
	/* C's IRET: back to A, and the NMI comes. */
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, PORT_NMI_IN);
	EXPECT_EQ(get32(&g, NMI_COUNT), 2u);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(desc_type(&g, SEL_TSS_C), TYPE_TSS_BUSY);
	vmmon_guest_destroy(&g);
}

/*
 * Page tables that map LA_PROBE to @page, the first MiB to itself, at
 * @dir: 32-bit paging, or PAE (the PDPT at @dir, its PD 4 KiB above).
 */
static void page_tables(struct vmmon_guest *g, bool pae, uint32_t dir,
			uint32_t probe_pt, uint32_t page)
{
	uint32_t pd = pae ? dir + 0x1000 : dir, i;
	unsigned int pte = pae ? 8 : 4;
	uint64_t e;

	memset(g->ram + dir, 0, 0x2000);
	memset(g->ram + probe_pt, 0, 0x1000);
	for (i = 0; i < 256; i++) {
		e = i * 0x1000 | PTE_P | PTE_RW;
		memcpy(g->ram + PT_LOW + i * pte, &e, pte);
	}
	e = page | PTE_P | PTE_RW;
	memcpy(g->ram + probe_pt, &e, pte);
	if (pae) {
		e = pd | PTE_P;			/* a PDPTE: no RW */
		memcpy(g->ram + dir, &e, 8);
	}
	e = PT_LOW | PTE_P | PTE_RW;
	memcpy(g->ram + pd, &e, pte);
	e = probe_pt | PTE_P | PTE_RW;
	memcpy(g->ram + pd + (LA_PROBE >> (pae ? 21 : 22)) * pte, &e, pte);
}

/*
 * A JMP to a task in another address space: CR3 from its TSS (and under
 * PAE the PDPTEs it names), so that B reads its own page at LA_PROBE
 * where A, just before, read A's.
 */
static void paging_switch(struct __test_metadata *_metadata, bool pae)
{
	struct vmmon_guest g;
	struct vmmon_regs regs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(paging_entry), AT(paging_b)));
	page_tables(&g, pae, PT_DIR_A, PT_PROBE_A, PAGE_A);
	page_tables(&g, pae, PT_DIR_B, PT_PROBE_B, PAGE_B);
	put32(&g, PAGE_A, PROBE_A);
	put32(&g, PAGE_B, PROBE_B);
	put32(&g, TSS_B + TSS_CR3, PT_DIR_B);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	regs.rsi = PT_DIR_A;
	regs.rdi = pae ? CR4_PAE : 0;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &regs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_B);
	EXPECT_EQ(a.sregs.cr3, (uint64_t)PT_DIR_B);
	EXPECT_EQ(a.regs.rbx, PROBE_B);
	EXPECT_EQ(get32(&g, TSS_A + TSS_GPRS_ECX), PROBE_A);
	vmmon_guest_destroy(&g);
}

VMMON_TEST(jmp_to_a_task_in_another_address_space)
{
	paging_switch(_metadata, false);
}

VMMON_TEST(jmp_to_a_task_in_another_pae_address_space)
{
	paging_switch(_metadata, true);
}

#define PF_ERR_WRITE	0x2

/*
 * A #GP through a task gate to D, whose stack's top 4 bytes straddle
 * LA_PROBE's page (present, PAGE_A) and the page above (not present):
 * pushing the error code faults on its second half, D takes #PF (through
 * a gate to C) and the first half is not written either.  vmmon once
 * kept that half queued and wrote it (review R1 L1).
 */
VMMON_TEST(error_code_push_that_faults_halfway_writes_nothing)
{
	struct vmmon_guest g;
	struct vmmon_regs regs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(paging_fault_entry), 0));
	page_tables(&g, false, PT_DIR_A, PT_PROBE_A, PAGE_A);
	put32(&g, TSS_D + TSS_ESP, LA_PROBE + 0x1002);
	put32(&g, TSS_D + TSS_CR3, PT_DIR_A);
	put32(&g, TSS_C + TSS_CR3, PT_DIR_A);
	set_idt(&g, VEC_GP, gate(SEL_TSS_D, 0, TYPE_TASK_GATE));
	set_idt(&g, VEC_PF, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	regs.rsi = PT_DIR_A;
	regs.rdi = 0;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &regs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(a.regs.rax, (uint64_t)PF_ERR_WRITE);
	EXPECT_EQ(get32(&g, TSS_C + TSS_LINK), (uint32_t)SEL_TSS_D);
	EXPECT_EQ(get32(&g, TSS_D + TSS_ESP), (uint32_t)LA_PROBE + 0x1002);
	EXPECT_EQ(get32(&g, PAGE_A + 0xffc), 0u);
	vmmon_guest_destroy(&g);
}

/*
 * A bad LDT selector in the new TSS (TI set: an LDT cannot be in an
 * LDT) while the old task has a usable LDT: the switch is done, B takes
 * #TS through a task gate to C.  VM entry refused the LDTR that vmmon
 * once left behind (the new selector, TI set, with the old descriptor).
 */
VMMON_TEST(bad_ldt_in_new_tss_is_ts_in_the_new_task)
{
	struct vmmon_guest g;
	struct vmmon_sregs sregs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	put32(&g, TSS_B + TSS_LDT, SEL_LDT | SEL_TI);
	set_idt(&g, VEC_TS, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.ldt = (struct vmmon_segment){ .base = LDT, .limit = 0xf,
					    .selector = SEL_LDT,
					    .ar = TYPE_LDT };
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_LDT | SEL_TI);
	EXPECT_EQ(get32(&g, TSS_C + TSS_LINK), (uint32_t)SEL_TSS_B);
	EXPECT_EQ(get32(&g, TSS_B + TSS_EIP), AT(task_b_hlt));
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), TYPE_TSS_BUSY);
	vmmon_guest_destroy(&g);
}

/*
 * A virtual-8086 task whose LDT selector names a data segment: #TS in
 * that task, through a task gate to C.  vmmon once set EFLAGS.VM before
 * the LDT's fault and left the protected-mode segments, which VM entry
 * refuses with VM set.
 */
VMMON_TEST(bad_ldt_in_a_vm86_task_is_ts_in_the_new_task)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	put32(&g, TSS_B + TSS_EFLAGS, EFLAGS_VM | 2);
	put32(&g, TSS_B + TSS_LDT, SEL_DATA);
	set_idt(&g, VEC_TS, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_DATA);
	EXPECT_EQ(get32(&g, TSS_C + TSS_LINK), (uint32_t)SEL_TSS_B);
	EXPECT_NE(get32(&g, TSS_B + TSS_EFLAGS) & EFLAGS_VM, 0u);
	vmmon_guest_destroy(&g);
}

/*
 * A refusal (B's DS is in an LDT outside guest RAM, which vmmon cannot
 * read) stops the guest as it was before the JMP: task A at the JMP,
 * nothing written.  vmmon once refused with B half loaded.
 */
VMMON_TEST(refused_switch_leaves_the_old_task)
{
	struct vmmon_guest g;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)));
	put32(&g, TSS_B + TSS_LDT, SEL_LDT_FAR);
	put32(&g, TSS_B + TSS_SEGS + 4 * 3, SEL_LDT_DATA);	/* DS */
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_INTERNAL);
	EXPECT_EQ(g.run->internal.suberror, (uint32_t)VMMON_INTERNAL_TASK_SWITCH);
	EXPECT_EQ(g.run->internal.data[1], (uint64_t)ENOENT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_A);
	EXPECT_EQ(a.regs.rip, (uint64_t)AT(jmp_insn));
	EXPECT_EQ(a.regs.rax, 0xaaaau);
	EXPECT_NE(a.sregs.ldt.selector, SEL_LDT_FAR);
	EXPECT_EQ(a.sregs.cr0 & CR0_TS, 0u);
	EXPECT_EQ(get32(&g, TSS_A + TSS_EAX), 0u);
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), TYPE_TSS_BUSY);
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), TYPE_TSS_AVAIL);
	vmmon_guest_destroy(&g);
}

/*
 * An NMI through a task gate whose switch faults before it begins (A's
 * TSS too small): A takes the #TS, and NMIs stay blocked, as the NMI was
 * delivered.  A second NMI waits: the handler runs on to its port write.
 * vmmon sets that blocking itself now; before, it kept what the exit
 * saved, which under Bochs was the same (this passed then too).
 */
VMMON_TEST(nmi_through_a_task_gate_that_faults_blocks_nmis)
{
	struct vmmon_guest g;
	struct vmmon_sregs sregs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(wait_entry), 0));
	set_idt(&g, VEC_NMI, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	set_idt(&g, VEC_TS, gate(SEL_CODE, AT(pop_hlt_out), TYPE_INTR_GATE));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.tr.limit = 0x50;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_A);
	EXPECT_EQ(a.regs.rax, (uint64_t)SEL_TSS_A | ERR_EXT);
	ASSERT_OK(ioctl(g.vcpu, VMMON_NMI, 0));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.port, PORT_NMI_OUT);
	vmmon_guest_destroy(&g);
}

/*
 * A's TSS laid over the GDT so that saving A's state writes over both
 * TSS descriptors (EIP's low byte on A's type byte, EAX's on B's): the
 * CPU clears A's busy flag before the save and sets B's after it, each
 * bit alone (SDM 3A 8.3, steps 7-11), so the bytes end as A's EIP and
 * B's EAX with the busy bit.  vmmon once wrote whole type bytes from the
 * descriptors it had read, after the save.
 */
VMMON_TEST(busy_flags_change_alone_in_the_cpu_order)
{
	const uint32_t tss_a = GDT + SEL_TSS_B + 5 - TSS_EAX;
	struct vmmon_guest g;
	struct vmmon_sregs sregs;
	struct vmmon_regs regs;
	struct after a;

	ASSERT_OK(task_guest_create(&g, AT(jmp_insn), AT(task_b_hlt)));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.tr.base = tss_a;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	regs.rax = 0x41;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_REGS, &regs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_B);
	EXPECT_EQ(get32(&g, tss_a + TSS_EIP), AT(jmp_after));
	EXPECT_EQ(desc_type(&g, SEL_TSS_A), (uint8_t)AT(jmp_after));
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), 0x41 | (TYPE_TSS_BUSY ^ TYPE_TSS_AVAIL));
	vmmon_guest_destroy(&g);
}

/*
 * A user task (CPL 3) in B whose segment @bad fails its load: B takes
 * #TS naming it, through a task gate to C.  The VMCS holds B with the
 * failed register unloaded at CPL 3 (vmx_ts_seg_unloaded()), which VM
 * entry must take to deliver the #TS.  Every other test runs at CPL 0,
 * where DPL 0 is right by chance: an unloaded CS of DPL 0 fails the
 * entry here (bad_cs_..., measured); Bochs takes an unusable SS of DPL 0
 * beside CS DPL 3, so bad_ss_... checks SS's load at CPL 3 (RPL and DPL
 * must be 3), not the unloaded SS's DPL.
 */
static void user_task_fault(struct __test_metadata *_metadata,
			    uint16_t cs, uint16_t ss, uint16_t bad)
{
	struct vmmon_guest g;
	struct after a;
	int i;

	ASSERT_OK(task_guest_create(&g, AT(jmp_entry), 0));
	tss32(&g, TSS_B, AT(task_b_hlt), STACK_B, cs);
	for (i = 0; i < 6; i++)
		if (i != 1)
			put32(&g, TSS_B + TSS_SEGS + 4 * i,
			      i == 2 ? ss : SEL_UDATA | RPL3);
	set_idt(&g, VEC_TS, gate(SEL_TSS_C, 0, TYPE_TASK_GATE));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(&g, VMMON_EXIT_HLT);
	ASSERT_OK(state(&g, &a));
	EXPECT_EQ(a.sregs.tr.selector, SEL_TSS_C);
	EXPECT_EQ(a.regs.rax, (uint64_t)(bad & ~3));
	EXPECT_EQ(get32(&g, TSS_C + TSS_LINK), (uint32_t)SEL_TSS_B);
	/* B's state as the #TS found it: its selectors, at its entry. */
	EXPECT_EQ(get32(&g, TSS_B + TSS_EIP), AT(task_b_hlt));
	EXPECT_EQ(get32(&g, TSS_B + TSS_SEGS + 4), (uint32_t)cs);
	EXPECT_EQ(get32(&g, TSS_B + TSS_SEGS + 8), (uint32_t)ss);
	EXPECT_EQ(desc_type(&g, SEL_TSS_B), TYPE_TSS_BUSY);
	vmmon_guest_destroy(&g);
}

/* SS at RPL 0 in a task at CPL 3: #TS(SS) in the new task. */
VMMON_TEST(bad_ss_in_a_user_task_is_ts_in_the_new_task)
{
	user_task_fault(_metadata, SEL_UCODE | RPL3, SEL_DATA, SEL_DATA);
}

/* CS outside the GDT at RPL 3: #TS(CS) in the new task, at CPL 3. */
VMMON_TEST(bad_cs_in_a_user_task_is_ts_in_the_new_task)
{
	user_task_fault(_metadata, SEL_BAD | RPL3, SEL_UDATA | RPL3, SEL_BAD);
}

#define MEMLOCK_LIMIT	(64 * 1024)
#define PAGE		4096

/*
 * The child of switch_without_memory_leaves_the_old_task: its exit
 * status says which step went wrong.
 */
static int no_memory_child(void)
{
	struct rlimit lim = { .rlim_cur = MEMLOCK_LIMIT,
			      .rlim_max = MEMLOCK_LIMIT };
	struct vmmon_sregs sregs;
	struct vmmon_regs regs;
	struct vmmon_guest g;
	uint32_t gpa;

	drop_capability(CAP_IPC_LOCK);
	if (setrlimit(RLIMIT_MEMLOCK, &lim) ||
	    task_guest_create(&g, AT(jmp_entry), AT(task_b_hlt)) ||
	    ioctl(g.vcpu, VMMON_GET_SREGS, &sregs))
		return 10;
	sregs.tr.base = TSS_UNTOUCHED;
	if (ioctl(g.vcpu, VMMON_SET_SREGS, &sregs))
		return 11;
	for (gpa = UNTOUCHED_END; gpa < GUEST_RAM; gpa += PAGE)
		if (touch_faults(g.ram + gpa))
			break;
	if (gpa == UNTOUCHED_END || gpa == GUEST_RAM)
		return 12;			/* the limit not where it should be */
	if (vmmon_guest_run(&g) ||
	    g.run->exit_reason != VMMON_EXIT_INTERNAL ||
	    g.run->internal.suberror != VMMON_INTERNAL_NO_MEMORY ||
	    g.run->internal.data[1] != EDQUOT)
		return 13;			/* not stopped for the memory */
	if (ioctl(g.vcpu, VMMON_GET_SREGS, &sregs) ||
	    ioctl(g.vcpu, VMMON_GET_REGS, &regs))
		return 14;
	if (sregs.tr.selector != SEL_TSS_A || sregs.cr0 & CR0_TS)
		return 15;			/* switched to B */
	if (regs.rip != AT(jmp_insn) || regs.rax != 0xaaaa)
		return 16;			/* not at the JMP */
	if (desc_type(&g, SEL_TSS_A) != TYPE_TSS_BUSY ||
	    desc_type(&g, SEL_TSS_B) != TYPE_TSS_AVAIL)
		return 17;			/* busy flags changed */
	vmmon_guest_destroy(&g);
	return 0;
}

/*
 * A switch whose old TSS is on a page the VM creator's RLIMIT_MEMLOCK
 * has no room for (a child without CAP_IPC_LOCK fills it through its
 * mapping until SIGBUS): vmmon stops the guest with NO_MEMORY and
 * EDQUOT before the switch, TR still A at the JMP, the busy flags as
 * they were.  vmmon once committed B to the VMCS, then found it could
 * not save A's state (review R1 M2).
 */
VMMON_TEST(switch_without_memory_leaves_the_old_task)
{
	int status;
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (pid == 0)
		_exit(no_memory_child());
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x: the step numbered in the test", status);
}

VMMON_TEST_MAIN
