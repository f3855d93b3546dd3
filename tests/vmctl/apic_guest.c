// SPDX-License-Identifier: GPL-2.0
/*
 * A multiboot (v1) test kernel for vmctl's I/O APIC and local APIC:
 * edge and level delivery, Remote IRR and EOI, coalescing, masking,
 * destinations and the TMR, first with the LAPIC in xAPIC mode (EOI by
 * MMIO), then in x2APIC mode (EOI by WRMSR) when CPUID offers it.
 *
 * Run with vmctl run --test-irqs --debug-exit: the guest raises its own
 * interrupt lines through the pc-testdev ports (as kvm-unit-tests'
 * ioapic test does), prints one "ok N NAME" or "not ok N NAME" line per
 * case on COM1, and writes its failure count to the debug-exit port
 * (vmctl's status: 2 * failures + 1).  An unexpected exception or
 * interrupt vector writes 0x7f.
 *
 * Built freestanding, 32-bit, no paging: the APICs are reached at their
 * physical addresses.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define MB_MAGIC		0x1badb002
#define MB_FLAGS		0x00000003
#define MB_LOADER		0x2badb002

#define COM1			0x3f8
#define DEBUG_EXIT		0xf4
#define EXIT_UNEXPECTED		0x7f
#define PORT_POST		0x80
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_DATA		0xa1
#define TEST_IRQ_PORT		0x2000	/* vmctl --test-irqs */

#define IOAPIC_BASE		0xfec00000
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WINDOW		0x10
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))
#define RTE_LOGICAL		(1u << 11)
#define RTE_REMOTE_IRR		(1u << 14)
#define RTE_LEVEL		(1u << 15)
#define RTE_MASKED		(1u << 16)
#define RTE_DEST_SHIFT		24	/* in the high half */

#define LAPIC_BASE		0xfee00000
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0b0
#define LAPIC_LDR		0x0d0
#define LAPIC_DFR		0x0e0
#define LAPIC_SVR		0x0f0
#define LAPIC_TMR		0x180
#define LAPIC_ESR		0x280
#define LAPIC_ICR_LOW		0x300
#define ICR_SELF		(1u << 18)	/* shorthand: self */
#define ESR_SEND_ILLEGAL	(1u << 5)
#define VEC_ILLEGAL		0x0f	/* 0-15 are (SDM 11.5.2) */
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_DIV		0x3e0
#define LVT_MASKED		(1u << 16)
#define TIMER_DIV_1		0xb
#define TIMER_COUNT		1000000	/* bus clocks: 1 ms at vmctl's 1 GHz */
#define SVR_ENABLE		0x1ff	/* software enable, spurious 0xff */
#define DFR_FLAT		0xffffffff
#define LDR_SHIFT		24

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_EXTD		(1u << 10)
#define APIC_BASE_EN		(1u << 11)
#define X2APIC_MSR(reg)		(0x800 + ((reg) >> 4))
#define CPUID1_ECX_X2APIC	(1u << 21)

#define EFLAGS_IF		(1u << 9)
#define GATE_INTR32		0x8e00
#define NR_VECTORS		256
#define SETTLE_EXITS		20	/* port reads that let vmctl inject */

/* The pins: 14 and 15 are ISA lines (also at the masked PIC), 18 a PCI one. */
#define PIN_A			14
#define PIN_B			15
#define PIN_PCI			18
#define NO_SUCH_APIC		5

/* Vectors, one per handler's job. */
#define VEC_COUNT		0x60	/* counts, lowers the line, EOIs */
#define VEC_KEEP		0x61	/* lowers the line only on its 2nd run */
#define VEC_EDGE_LOW		0x64	/* counts, EOIs; records the order */
#define VEC_LEVEL_HIGH		0x65	/* same, for the level pin */
#define VEC_REEDGE		0x66	/* clears Remote IRR through edge mode */

/* First in .text (built with -fno-toplevel-reorder): the loader looks
 * for the header in the file's first 8 KiB. */
#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(".text\n"
	".align 4\n"
	".long " STR(MB_MAGIC) ", " STR(MB_FLAGS) ", -(" STR(MB_MAGIC) " + " STR(MB_FLAGS) ")\n"
	".globl _start\n"
	"_start:\n"
	"	mov $stack_top, %esp\n"
	"	push %ebx\n"
	"	push %eax\n"
	"	call guest_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	".bss\n"
	".align 16\n"
	".space 8192\n"
	"stack_top:\n"
	".text\n");

struct interrupt_frame;

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti; nop" ::: "memory");
}

static void puts(const char *s)
{
	for (; *s; s++)
		outb(COM1, *s);
}

static void putu(unsigned int v)
{
	char buf[12];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts(buf + i);
}

static void debug_exit(u32 v)
{
	outl(DEBUG_EXIT, v);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The IDT: every vector reports itself as unexpected until set. */
struct gate {
	u16 off_lo, sel, flags, off_hi;
};

static struct gate idt[NR_VECTORS];

static void set_gate(unsigned int vec, void *fn)
{
	u32 off = (u32)fn;
	u16 cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vec] = (struct gate){ .off_lo = off, .sel = cs,
				  .flags = GATE_INTR32, .off_hi = off >> 16 };
}

__attribute__((interrupt)) static void unexpected(struct interrupt_frame *f)
{
	(void)f;
	puts("apic guest: unexpected exception or interrupt\n");
	debug_exit(EXIT_UNEXPECTED);
}

/* Exceptions that push an error code need their own prototype. */
__attribute__((interrupt)) static void unexpected_err(struct interrupt_frame *f,
						     u32 err)
{
	(void)f;
	(void)err;
	puts("apic guest: unexpected exception with an error code\n");
	debug_exit(EXIT_UNEXPECTED);
}

static void load_idt(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u32)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* The local APIC, in either mode. */
static int x2apic;

static u32 lapic_read(u32 reg)
{
	if (x2apic)
		return rdmsr(X2APIC_MSR(reg));
	return *(volatile u32 *)(LAPIC_BASE + reg);
}

static void lapic_write(u32 reg, u32 v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		*(volatile u32 *)(LAPIC_BASE + reg) = v;
}

static void eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static int tmr_set(unsigned int vec)
{
	return lapic_read(LAPIC_TMR + (vec / 32) * 0x10) >> (vec % 32) & 1;
}

/* The I/O APIC. */
static u32 ioapic_read(u32 reg)
{
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	return *(volatile u32 *)(IOAPIC_BASE + IOAPIC_WINDOW);
}

static void ioapic_write(u32 reg, u32 v)
{
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	*(volatile u32 *)(IOAPIC_BASE + IOAPIC_WINDOW) = v;
}

static void rte_set(unsigned int pin, u32 low, u32 dest)
{
	ioapic_write(IOAPIC_REDTBL(pin) + 1, dest << RTE_DEST_SHIFT);
	ioapic_write(IOAPIC_REDTBL(pin), low);
}

static u32 rte_low(unsigned int pin)
{
	return ioapic_read(IOAPIC_REDTBL(pin));
}

static void line(unsigned int pin, int level)
{
	outb(TEST_IRQ_PORT + pin, level);
}

/* A few exits: vmctl injects what is pending at each entry. */
static void settle(void)
{
	int i;

	for (i = 0; i < SETTLE_EXITS; i++)
		inb(PORT_POST);
}

/* What the handlers saw. */
static volatile unsigned int count, cur_pin, order_len;
static volatile unsigned int order[4];
static volatile int saw_tmr, saw_remote_irr, saw_cleared;

static void record(unsigned int vec)
{
	count++;
	saw_tmr = tmr_set(vec);
	saw_remote_irr = !!(rte_low(cur_pin) & RTE_REMOTE_IRR);
	if (order_len < sizeof(order) / sizeof(order[0]))
		order[order_len++] = vec;
}

__attribute__((interrupt)) static void on_count(struct interrupt_frame *f)
{
	(void)f;
	record(VEC_COUNT);
	line(cur_pin, 0);
	eoi();
}

/* Leaves the line up the first time: the EOI must deliver it again. */
__attribute__((interrupt)) static void on_keep(struct interrupt_frame *f)
{
	(void)f;
	record(VEC_KEEP);
	if (count >= 2)
		line(cur_pin, 0);
	eoi();
}

__attribute__((interrupt)) static void on_edge_low(struct interrupt_frame *f)
{
	(void)f;
	count++;
	order[order_len++ & 3] = VEC_EDGE_LOW;
	eoi();
}

__attribute__((interrupt)) static void on_level_high(struct interrupt_frame *f)
{
	(void)f;
	count++;
	order[order_len++ & 3] = VEC_LEVEL_HIGH;
	line(PIN_B, 0);
	eoi();
}

/*
 * Linux's way out of a stuck Remote IRR on an I/O APIC without an EOI
 * register: switch the pin to edge and back, then EOI.
 */
__attribute__((interrupt)) static void on_reedge(struct interrupt_frame *f)
{
	u32 low = rte_low(cur_pin);

	(void)f;
	record(VEC_REEDGE);
	line(cur_pin, 0);
	ioapic_write(IOAPIC_REDTBL(cur_pin), (low & ~RTE_LEVEL) | RTE_MASKED);
	ioapic_write(IOAPIC_REDTBL(cur_pin), low & ~RTE_REMOTE_IRR);
	saw_cleared = !(rte_low(cur_pin) & RTE_REMOTE_IRR);
	eoi();
}

static void reset_seen(unsigned int pin)
{
	count = 0;
	order_len = 0;
	saw_tmr = saw_remote_irr = saw_cleared = -1;
	cur_pin = pin;
}

/* Each case: 1 if it passed; the pins it used left masked and low. */
static int pin_done(unsigned int pin)
{
	line(pin, 0);
	rte_set(pin, RTE_MASKED, 0);
	return 1;
}

static int edge(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT, 0);
	line(PIN_A, 1);
	settle();
	line(PIN_A, 0);
	return pin_done(PIN_A) && count == 1 && saw_tmr == 0 &&
	       saw_remote_irr == 0;
}

static int level(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, 0);
	line(PIN_A, 1);
	settle();
	return count == 1 && saw_tmr == 1 && saw_remote_irr == 1 &&
	       !(rte_low(PIN_A) & RTE_REMOTE_IRR) && pin_done(PIN_A);
}

static int level_retrigger(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_KEEP | RTE_LEVEL, 0);
	line(PIN_A, 1);
	settle();
	return count == 2 && !(rte_low(PIN_A) & RTE_REMOTE_IRR) &&
	       pin_done(PIN_A);
}

static int level_sequential(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, 0);
	line(PIN_A, 1);
	settle();
	line(PIN_A, 1);
	settle();
	return count == 2 && pin_done(PIN_A);
}

/* Two assertions while the first waits (IF clear) make one interrupt. */
static int level_coalesce(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, 0);
	cli();
	line(PIN_A, 1);
	line(PIN_A, 0);
	line(PIN_A, 1);
	settle();
	sti();
	settle();
	return count == 1 && pin_done(PIN_A);
}

static int edge_coalesce(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT, 0);
	cli();
	line(PIN_A, 1);
	line(PIN_A, 0);
	line(PIN_A, 1);
	line(PIN_A, 0);
	settle();
	sti();
	settle();
	return count == 1 && pin_done(PIN_A);
}

/* A masked level pin delivers when unmasked; a masked edge is lost. */
static int level_masked_then_unmasked(void)
{
	int quiet;

	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL | RTE_MASKED, 0);
	line(PIN_A, 1);
	settle();
	quiet = count == 0;
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, 0);
	settle();
	return quiet && count == 1 && pin_done(PIN_A);
}

static int edge_masked_is_lost(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT | RTE_MASKED, 0);
	line(PIN_A, 1);
	line(PIN_A, 0);
	settle();
	rte_set(PIN_A, VEC_COUNT, 0);
	settle();
	return count == 0 && pin_done(PIN_A);
}

/* Both pending at once: the higher vector first, each taken once. */
static int simultaneous(void)
{
	reset_seen(PIN_B);
	rte_set(PIN_A, VEC_EDGE_LOW, 0);
	rte_set(PIN_B, VEC_LEVEL_HIGH | RTE_LEVEL, 0);
	cli();
	line(PIN_A, 1);
	line(PIN_B, 1);
	settle();
	sti();
	settle();
	pin_done(PIN_A);
	return count == 2 && order_len == 2 && order[0] == VEC_LEVEL_HIGH &&
	       order[1] == VEC_EDGE_LOW && pin_done(PIN_B);
}

/*
 * A level message nobody accepts sets no Remote IRR: the pin works
 * again once it names an APIC that exists.
 */
static int level_no_destination(void)
{
	int quiet;

	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, NO_SUCH_APIC);
	line(PIN_A, 1);
	settle();
	quiet = count == 0 && !(rte_low(PIN_A) & RTE_REMOTE_IRR);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, 0);
	settle();
	return quiet && count == 1 && pin_done(PIN_A);
}

static int remote_irr_cleared_by_edge_mode(void)
{
	reset_seen(PIN_A);
	rte_set(PIN_A, VEC_REEDGE | RTE_LEVEL, 0);
	line(PIN_A, 1);
	settle();
	return count == 1 && saw_remote_irr == 1 && saw_cleared == 1 &&
	       pin_done(PIN_A);
}

/* Pins 16-23 reach only the I/O APIC (PCI INTx in vmctl's board). */
static int level_pci_pin(void)
{
	reset_seen(PIN_PCI);
	rte_set(PIN_PCI, VEC_COUNT | RTE_LEVEL, 0);
	line(PIN_PCI, 1);
	settle();
	return count == 1 && saw_tmr == 1 && pin_done(PIN_PCI);
}

/*
 * sti; hlt until the LAPIC timer's one-shot interrupt, which vmctl's
 * event loop raises from another thread: in x2APIC mode the HLT waits in
 * vmmon (VMMON_APIC_HLT_IN_KERNEL), so that thread's kick must reach the
 * vCPU inside RUN; in xAPIC mode vmctl's own HLT sleep.  The handler
 * counts it (its line write and EOI harmless here).
 */
static int halt_until_timer(void)
{
	reset_seen(PIN_A);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, VEC_COUNT);
	cli();
	lapic_write(LAPIC_TIMER_INIT, TIMER_COUNT);
	__asm__ volatile("sti; hlt" ::: "memory");
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	return count == 1;
}

/* The TPR holds back a vector of its class or below until lowered. */
static int tpr_defers(void)
{
	int quiet;

	reset_seen(PIN_A);
	lapic_write(LAPIC_TPR, VEC_COUNT & 0xf0);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL, 0);
	line(PIN_A, 1);
	settle();
	quiet = count == 0;
	lapic_write(LAPIC_TPR, 0);
	settle();
	return quiet && count == 1 && pin_done(PIN_A);
}

/*
 * An IPI of an illegal vector is not delivered (every vector's gate is
 * unexpected() but VEC_COUNT's), and the sender's ESR says so once a
 * write latched it.
 */
static int illegal_vector(void)
{
	u32 esr;

	reset_seen(PIN_A);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ICR_LOW, ICR_SELF | VEC_ILLEGAL);
	settle();
	lapic_write(LAPIC_ESR, 0);
	esr = lapic_read(LAPIC_ESR);
	lapic_write(LAPIC_ESR, 0);
	return (esr & ESR_SEND_ILLEGAL) && count == 0;
}

/* Flat logical destination: the APIC's LDR bit names it (xAPIC only). */
static int logical_flat(void)
{
	reset_seen(PIN_A);
	lapic_write(LAPIC_DFR, DFR_FLAT);
	lapic_write(LAPIC_LDR, 1u << LDR_SHIFT);
	rte_set(PIN_A, VEC_COUNT | RTE_LEVEL | RTE_LOGICAL, 1);
	line(PIN_A, 1);
	settle();
	return count == 1 && pin_done(PIN_A);
}

struct test_case {
	const char *name;
	int (*fn)(void);
	int xapic_only;
};

static const struct test_case cases[] = {
	{ "edge", edge, 0 },
	{ "level", level, 0 },
	{ "level_retrigger", level_retrigger, 0 },
	{ "level_sequential", level_sequential, 0 },
	{ "level_coalesce", level_coalesce, 0 },
	{ "edge_coalesce", edge_coalesce, 0 },
	{ "level_masked_then_unmasked", level_masked_then_unmasked, 0 },
	{ "edge_masked_is_lost", edge_masked_is_lost, 0 },
	{ "simultaneous", simultaneous, 0 },
	{ "remote_irr_cleared_by_edge_mode", remote_irr_cleared_by_edge_mode, 0 },
	{ "tpr_defers", tpr_defers, 0 },
	{ "halt_until_timer", halt_until_timer, 0 },
	{ "illegal_vector", illegal_vector, 0 },
	{ "logical_flat", logical_flat, 1 },
	/* QEMU differs: pc-testdev has lines 0-15 only, Remote IRR is set
	 * whether or not an APIC took the message. */
	{ "level_pci_pin", level_pci_pin, 0 },
	{ "level_no_destination", level_no_destination, 0 },
};

static unsigned int n, failed;

static void report(const char *mode, const char *name, int ok)
{
	n++;
	if (!ok)
		failed++;
	puts(ok ? "ok " : "not ok ");
	putu(n);
	puts(" ");
	puts(mode);
	puts("_");
	puts(name);
	puts("\n");
	if (ok)
		return;
	/* What the handlers saw (-1 as 4294967295: not seen). */
	puts("# interrupts ");
	putu(count);
	puts(", TMR ");
	putu(saw_tmr);
	puts(", Remote IRR in the handler ");
	putu(saw_remote_irr);
	puts(", cleared ");
	putu(saw_cleared);
	puts("\n");
}

static void run_cases(const char *mode)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].xapic_only && x2apic)
			continue;
		report(mode, cases[i].name, cases[i].fn());
	}
}

static int has_x2apic(void)
{
	u32 a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return !!(c & CPUID1_ECX_X2APIC);
}

void guest_main(u32 magic, u32 mbi);

void guest_main(u32 magic, u32 mbi)
{
	unsigned int vec;

	(void)mbi;
	if (magic != MB_LOADER) {
		puts("apic guest: bad loader magic\n");
		debug_exit(EXIT_UNEXPECTED);
	}
	for (vec = 0; vec < NR_VECTORS; vec++)
		set_gate(vec, unexpected);
	/* #DF, #TS, #NP, #SS, #GP, #PF, #AC push an error code. */
	set_gate(8, unexpected_err);
	for (vec = 10; vec <= 14; vec++)
		set_gate(vec, unexpected_err);
	set_gate(17, unexpected_err);
	set_gate(VEC_COUNT, on_count);
	set_gate(VEC_KEEP, on_keep);
	set_gate(VEC_EDGE_LOW, on_edge_low);
	set_gate(VEC_LEVEL_HIGH, on_level_high);
	set_gate(VEC_REEDGE, on_reedge);
	load_idt();
	/* The PICs stay out of the way: all masked (LINT0 is masked too). */
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
	puts("apic guest: xAPIC\n");
	lapic_write(LAPIC_SVR, SVR_ENABLE);
	sti();
	run_cases("xapic");
	if (has_x2apic()) {
		puts("apic guest: x2APIC\n");
		cli();
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN |
				     APIC_BASE_EXTD);
		x2apic = 1;
		lapic_write(LAPIC_SVR, SVR_ENABLE);
		sti();
		run_cases("x2apic");
	} else {
		puts("apic guest: no x2APIC in CPUID\n");
	}
	puts("apic guest: ");
	putu(failed);
	puts(" of ");
	putu(n);
	puts(" failed\n");
	debug_exit(failed);
}
