// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the APICs: two vCPUs' local APICs, the I/O
 * APIC and the APIC bus between them, with MSI writes from "devices"
 * and a fake clock for the LAPIC timers.  The machine is wired here as
 * vm/board.c wires it (each vCPU reaches its own LAPIC page directly,
 * the I/O APIC sits on the MMIO bus), without vm.h or threads.
 *
 * The input is a script of 8-byte ops: a vCPU's access to its LAPIC
 * page, an access to the I/O APIC window, an MSI with any address and
 * data, an EOI, an I/O APIC input line, a clock advance, a vCPU taking
 * its pending interrupt as vm/vcpu.c does (lapic_pending(), then
 * lapic_accept()), and what vm/msr.c hands the LAPIC: an x2APIC
 * register's RDMSR or WRMSR, an IA32_APIC_BASE change (only those
 * vmmon lets through: disabled, xAPIC, x2APIC, SDM 11.12.5), and a
 * TSC-deadline write against a guest TSC that runs at 3 GHz of the fake
 * clock.
 *
 * Besides ASan and UBSan, the harness checks that a pending vector is
 * one the guest programmed (and never 0-15, which the model refuses),
 * that it beats the processor priority, that taking it moves it from
 * IRR to ISR, that no interrupt becomes pending on a vCPU without a
 * kick (a vCPU asleep in HLT would never see it), that each op does
 * bounded work, that an armed TSC deadline has its timer armed, and that
 * a hardware-disabled APIC has nothing pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hw/apic_bus.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"

#define NR_CPUS		2
#define MAX_OPS		1024
#define ADVANCE_STEPS	16
/* A broadcast reaches every vCPU once; an EOI may re-deliver 24 pins. */
#define KICKS_MAX	(4 * NR_CPUS + IOAPIC_NR_PINS)
#define TSC_KHZ		3000000u	/* the guest TSC: 3 cycles a ns */
#define TSC_PER_NS	(TSC_KHZ / 1000000)

enum {
	OP_LAPIC_WRITE, OP_LAPIC_READ, OP_IOAPIC_WRITE, OP_IOAPIC_READ,
	OP_IOAPIC_RTE, OP_MSI, OP_EOI, OP_PIN, OP_ADVANCE, OP_TAKE,
	OP_MSR_WRITE, OP_MSR_READ, OP_APIC_BASE, OP_DEADLINE, NR_OPS
};

struct op {
	uint8_t kind;		/* OP_* in bits 0-3, access shape in 4-5 */
	uint8_t target;		/* vCPU, pin, register or shift */
	uint16_t offset;
	uint32_t value;
} __attribute__((packed));

static struct {
	struct vm_clock clock;
	struct bus mmio;
	struct apic_bus apic_bus;
	struct lapic lapic[NR_CPUS];
	struct ioapic ioapic;

	/* Vectors the guest wrote anywhere an interrupt's vector goes. */
	uint32_t programmed[LAPIC_VEC_REGS];
	/*
	 * The vCPU will look at its LAPIC before it sleeps: it was kicked,
	 * or the op was its own (it injects after every exit).
	 */
	bool aware[NR_CPUS];
	unsigned int kicks;
} f;

#define BROKEN(what) do { \
	fprintf(stderr, "fuzz_apic: broken invariant: %s\n", what); \
	abort(); \
} while (0)

static void kick(void *opaque, unsigned int cpu)
{
	(void)opaque;
	if (cpu >= NR_CPUS)
		BROKEN("a kick for a vCPU that does not exist");
	if (++f.kicks > KICKS_MAX)
		BROKEN("one op did unbounded work");
	f.aware[cpu] = true;
}

static void init_ipi(void *opaque, unsigned int cpu)
{
	kick(opaque, cpu);
}

static void sipi(void *opaque, unsigned int cpu, uint8_t vector)
{
	(void)vector;
	kick(opaque, cpu);
}

static void programmed(uint32_t value)
{
	uint8_t v = value;

	f.programmed[v / 32] |= 1u << (v % 32);
}

static bool is_programmed(int v)
{
	return f.programmed[v / 32] & 1u << (v % 32);
}

static void machine_init(void)
{
	unsigned int cpu;

	memset(&f, 0, sizeof(f));
	vm_clock_init_fake(&f.clock);
	f.apic_bus.tsc_khz = TSC_KHZ;
	f.apic_bus.kick = kick;
	f.apic_bus.init = init_ipi;
	f.apic_bus.sipi = sipi;
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		lapic_init(&f.lapic[cpu], cpu, cpu, &f.apic_bus, &f.clock);
	ioapic_init(&f.ioapic, &f.apic_bus);
	if (bus_register(&f.mmio, IOAPIC_MMIO_BASE, IOAPIC_MMIO_SIZE,
			 ioapic_mmio, &f.ioapic))
		abort();
}

/* A register as the guest reads it: by MSR in x2APIC mode. */
static uint32_t lapic_reg(unsigned int cpu, unsigned int offset)
{
	uint64_t v64;
	uint32_t v;

	if (lapic_x2apic_mode(&f.lapic[cpu])) {
		if (!lapic_rdmsr(&f.lapic[cpu], LAPIC_X2APIC_MSR_FIRST +
				 (offset >> LAPIC_X2APIC_MSR_SHIFT), &v64))
			BROKEN("an x2APIC register read gave #GP");
		return v64;
	}
	lapic_mmio(&f.lapic[cpu], offset, &v, 4, false);
	return v;
}

static bool vec_bit(uint32_t reg, int v)
{
	return reg & 1u << (v % 32);
}

/*
 * Shape 0 is an aligned 32-bit register, the way the guest's drivers
 * do it; the others are 1, 4 or 8 bytes at any offset in the page (what
 * vmmon may hand over from an odd instruction).
 */
static void lapic_access(const struct op *op, bool is_write)
{
	static const unsigned int lens[] = { 4, 1, 4, 8 };
	unsigned int shape = (op->kind >> 4) & 3;
	unsigned int cpu = op->target % NR_CPUS;
	uint64_t offset = op->offset % LAPIC_MMIO_SIZE;
	uint8_t data[8];

	if (!shape)
		offset &= ~(uint64_t)(LAPIC_REG_STRIDE - 1);
	memset(data, 0, sizeof(data));
	memcpy(data, &op->value, 4);
	if (is_write && lens[shape] == 4)
		programmed(op->value);
	lapic_mmio(&f.lapic[cpu], offset, data, lens[shape], is_write);
	f.aware[cpu] = true;
}

/* Shape 0 reaches IOREGSEL, IOWIN and EOI (0x00-0x70, aligned). */
static void ioapic_access(const struct op *op, bool is_write)
{
	static const unsigned int lens[] = { 4, 1, 4, 8 };
	unsigned int shape = (op->kind >> 4) & 3;
	uint64_t offset = op->offset % (IOAPIC_MMIO_SIZE + 8);
	uint8_t data[8];

	if (!shape)
		offset = (op->offset & 7) * 0x10;
	memset(data, 0, sizeof(data));
	memcpy(data, &op->value, 4);
	if (is_write && lens[shape] == 4)
		programmed(op->value);
	bus_access(&f.mmio, IOAPIC_MMIO_BASE + offset, data, lens[shape],
		   is_write);
}

/* IOREGSEL then IOWIN, the two writes that set half an entry. */
static void ioapic_rte(const struct op *op)
{
	uint32_t sel = op->target, v = op->value;

	programmed(v);
	bus_access(&f.mmio, IOAPIC_MMIO_BASE + IOAPIC_REGSEL, &sel, 4, true);
	bus_access(&f.mmio, IOAPIC_MMIO_BASE + IOAPIC_WINDOW, &v, 4, true);
}

/*
 * Mostly well-formed messages (destination, logical and redirection
 * hint bits from the op); bit 7 of target moves the address out of
 * 0xfee00000-0xfeefffff, where it is no interrupt.
 */
static void msi(const struct op *op)
{
	uint64_t addr = MSI_ADDR_BASE | (uint64_t)op->offset << 4 |
			(op->target & 0xf);

	if (op->target & 0x80)
		addr ^= (uint64_t)(op->target & 0x70) << 28;
	programmed(op->value);
	apic_bus_msi(&f.apic_bus, addr, op->value);
}

/*
 * An x2APIC register: offset picks the MSR, value its low half; bits 6
 * and 7 of kind put 0xffffffff or the target byte in the high half (an
 * ICR destination, or a reserved bit elsewhere).
 */
static void msr_access(const struct op *op, bool is_write)
{
	unsigned int cpu = op->target % NR_CPUS;
	uint32_t msr = LAPIC_X2APIC_MSR_FIRST + op->offset % 0x100;
	uint64_t val = op->value;

	if (op->kind & 0x40)
		val |= (uint64_t)UINT32_MAX << 32;
	else if (op->kind & 0x80)
		val |= (uint64_t)op->target << 32;
	if (is_write) {
		programmed(op->value);
		lapic_wrmsr(&f.lapic[cpu], msr, val);
	} else {
		lapic_rdmsr(&f.lapic[cpu], msr, &val);
	}
	f.aware[cpu] = true;
}

/* The IA32_APIC_BASE modes vmmon lets the guest move between. */
static bool apic_base_allowed(uint64_t old, uint64_t new)
{
	uint64_t mode = LAPIC_BASE_EN | LAPIC_BASE_EXTD;

	old &= mode;
	new &= mode;
	if (new == LAPIC_BASE_EXTD)
		return false;		/* EXTD without EN: invalid */
	if (old == new || !new)
		return true;
	if (new == mode)
		return old == LAPIC_BASE_EN;
	return !old;
}

/* value bits 0-1: disabled, xAPIC, x2APIC; bit 2 moves the base. */
static void apic_base(const struct op *op)
{
	static const uint64_t modes[] = {
		0, LAPIC_BASE_EN, LAPIC_BASE_EN | LAPIC_BASE_EXTD,
		LAPIC_BASE_EN,
	};
	unsigned int cpu = op->target % NR_CPUS;
	uint64_t base = (op->value & 4 ? 0xfed00000 : LAPIC_MMIO_BASE) |
			modes[op->value & 3];

	if (apic_base_allowed(f.lapic[cpu].apic_base, base))
		lapic_set_base(&f.lapic[cpu], base);
	f.aware[cpu] = true;
}

/*
 * A TSC deadline (or its read, bit 6 of kind): value << (target >> 4)
 * ahead of the guest's TSC, or behind it with bit 7; 0 disarms.
 */
static void deadline(const struct op *op)
{
	unsigned int cpu = op->target % NR_CPUS;
	uint64_t tsc = f.clock.fake_now * TSC_PER_NS;
	uint64_t delta = (uint64_t)op->value << (op->target >> 4);

	f.aware[cpu] = true;
	if (op->kind & 0x40) {
		lapic_tsc_deadline_read(&f.lapic[cpu]);
		return;
	}
	lapic_tsc_deadline_write(&f.lapic[cpu], op->kind & 0x80 ?
				 tsc - delta : tsc + delta, tsc);
}

static void advance(const struct op *op)
{
	uint64_t end = f.clock.fake_now + ((uint64_t)op->value <<
					   (op->target & 15));
	uint64_t next = vm_clock_run(&f.clock, f.clock.fake_now);
	unsigned int step;

	for (step = 0; step <= ADVANCE_STEPS; step++) {
		if (step == ADVANCE_STEPS || next > end)
			next = end;
		f.clock.fake_now = next;
		f.kicks = 0;
		next = vm_clock_run(&f.clock, next);
		if (f.clock.fake_now == end)
			break;
	}
}

/* What vcpu_inject() does with the vector it hands to vmmon. */
static void take(unsigned int cpu)
{
	struct lapic *l = &f.lapic[cpu];
	int v = lapic_pending(l);
	unsigned int reg;

	lapic_take_nmi(l);
	f.aware[cpu] = true;
	if (v < 0)
		return;
	if (v < LAPIC_FIRST_VALID_VEC || v > 0xff || !is_programmed(v))
		BROKEN("a pending vector the guest did not program");
	if ((v & LAPIC_PRIO_CLASS) <=
	    (lapic_reg(cpu, LAPIC_PPR) & LAPIC_PRIO_CLASS))
		BROKEN("a pending vector at or below the processor priority");
	lapic_accept(l, v);
	reg = v / 32 * LAPIC_REG_STRIDE;
	if (!vec_bit(lapic_reg(cpu, LAPIC_ISR + reg), v) ||
	    vec_bit(lapic_reg(cpu, LAPIC_IRR + reg), v))
		BROKEN("an accepted vector did not move from IRR to ISR");
}

static void check(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		int v = lapic_pending(&f.lapic[cpu]);

		if (v >= 0 && (v < LAPIC_FIRST_VALID_VEC || !is_programmed(v)))
			BROKEN("a pending vector the guest did not program");
		if (v >= 0 && !f.aware[cpu])
			BROKEN("an interrupt is pending on a vCPU nobody kicked");
		/* Nothing to do: the vCPU may sleep until kicked. */
		if (v < 0)
			f.aware[cpu] = false;
		if (lapic_tsc_deadline_read(&f.lapic[cpu]) &&
		    !f.lapic[cpu].timer.armed)
			BROKEN("an armed TSC deadline without its timer");
		if (!lapic_hw_enabled(&f.lapic[cpu]) &&
		    (v >= 0 || f.lapic[cpu].timer.armed))
			BROKEN("a hardware-disabled APIC with work to do");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i, n = size / sizeof(struct op);

	machine_init();
	for (i = 0; i < n && i < MAX_OPS; i++) {
		struct op op;

		memcpy(&op, data + i * sizeof(op), sizeof(op));
		f.kicks = 0;
		switch ((op.kind & 0xf) % NR_OPS) {
		case OP_LAPIC_WRITE:
			lapic_access(&op, true);
			break;
		case OP_LAPIC_READ:
			lapic_access(&op, false);
			break;
		case OP_IOAPIC_WRITE:
			ioapic_access(&op, true);
			break;
		case OP_IOAPIC_READ:
			ioapic_access(&op, false);
			break;
		case OP_IOAPIC_RTE:
			ioapic_rte(&op);
			break;
		case OP_MSI:
			msi(&op);
			break;
		case OP_EOI:
			lapic_mmio(&f.lapic[op.target % NR_CPUS], LAPIC_EOI,
				   &op.value, 4, true);
			f.aware[op.target % NR_CPUS] = true;
			break;
		case OP_PIN:
			/* Past the last pin too: those are ignored. */
			ioapic_set_irq(&f.ioapic, op.target % 32,
				       op.value & 1);
			break;
		case OP_ADVANCE:
			advance(&op);
			break;
		case OP_TAKE:
			take(op.target % NR_CPUS);
			break;
		case OP_MSR_WRITE:
			msr_access(&op, true);
			break;
		case OP_MSR_READ:
			msr_access(&op, false);
			break;
		case OP_APIC_BASE:
			apic_base(&op);
			break;
		case OP_DEADLINE:
			deadline(&op);
			break;
		}
		check();
	}
	return 0;
}
