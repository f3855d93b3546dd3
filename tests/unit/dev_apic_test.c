// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the local APIC, I/O APIC and APIC bus models, with a
 * fake clock.  The guest side is driven the way Linux 6.1 programs the
 * xAPIC (flat logical mode, one LDR bit per CPU), through the same MMIO
 * bus dispatch the machine uses; x2APIC mode through the MSR interface
 * vm/msr.c calls, with IA32_APIC_BASE changed as vmmon's notices do;
 * the TSC-deadline timer against a guest TSC derived from the fake clock.
 */
#include <string.h>
#include "hw/apic_bus.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "vmmon_harness.h"
#include "machine/machine.h"

#define NR_CPUS		2

/* What Linux writes: APIC enabled, spurious vector 0xff. */
#define SVR_ON		(LAPIC_SVR_ENABLE | 0xff)

/* ICR low words as Linux builds them. */
#define ICR_FIXED(v)	(APIC_DM_FIXED << LAPIC_ICR_DM_SHIFT | (v))
#define ICR_SH(sh)	((uint32_t)(sh) << LAPIC_ICR_SH_SHIFT)
#define ICR_INIT_ASSERT	(APIC_DM_INIT << LAPIC_ICR_DM_SHIFT | \
			 LAPIC_ICR_TRIGGER_LEVEL | LAPIC_ICR_ASSERT)
#define ICR_INIT_DEASSERT (APIC_DM_INIT << LAPIC_ICR_DM_SHIFT | \
			   LAPIC_ICR_TRIGGER_LEVEL)
#define ICR_SIPI(v)	(APIC_DM_STARTUP << LAPIC_ICR_DM_SHIFT | (v))
#define ICR_NMI		(APIC_DM_NMI << LAPIC_ICR_DM_SHIFT)

/* Timer LVT modes. */
#define TIMER_ONESHOT(v)	(v)
#define TIMER_PERIODIC(v)	(LAPIC_LVT_PERIODIC | (v))
#define DIV_16			0x3	/* divide configuration code */

/* Redirection entry words. */
#define RTE_LEVEL(v)	(IOAPIC_RTE_LEVEL | (v))
#define RTE_EDGE(v)	(v)

/* The EOI register of version 0x20 I/O APICs, which the model is not. */
#define IOAPIC_V20_EOI	0x40

/* LVT words: LINT delivery modes as Linux's setup_local_APIC() writes. */
#define LVT_DM(mode)	((uint32_t)(mode) << LAPIC_LVT_DM_SHIFT)
#define LVT_FIXED_LEVEL(v) (LVT_DM(APIC_DM_FIXED) | LAPIC_LVT_TRIGGER_LEVEL | (v))

static struct {
	struct vm_clock clock;
	struct apic_bus apic_bus;
	struct lapic lapic[NR_CPUS];
	struct ioapic ioapic;
	struct bus mmio[NR_CPUS];	/* each vCPU sees its own APIC page */
	unsigned int kicks[NR_CPUS];
	unsigned int inits[NR_CPUS];
	unsigned int sipis[NR_CPUS];
	uint8_t sipi_vector[NR_CPUS];
} t;

static void on_kick(void *opaque, unsigned int cpu)
{
	(void)opaque;
	t.kicks[cpu]++;
}

static void on_init(void *opaque, unsigned int cpu)
{
	(void)opaque;
	t.inits[cpu]++;
}

static void on_sipi(void *opaque, unsigned int cpu, uint8_t vector)
{
	(void)opaque;
	t.sipis[cpu]++;
	t.sipi_vector[cpu] = vector;
}

/* A fresh machine: vCPU n has APIC ID @ids[n]. */
static void setup_ids(uint8_t id0, uint8_t id1)
{
	const uint8_t ids[NR_CPUS] = { id0, id1 };
	unsigned int cpu;

	memset(&t, 0, sizeof(t));
	vm_clock_init_fake(&t.clock);
	t.apic_bus.kick = on_kick;
	t.apic_bus.init = on_init;
	t.apic_bus.sipi = on_sipi;
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		lapic_init(&t.lapic[cpu], cpu, ids[cpu], &t.apic_bus, &t.clock);
		t.mmio[cpu].name = "mmio";
		bus_register(&t.mmio[cpu], LAPIC_MMIO_BASE, LAPIC_MMIO_SIZE,
			     lapic_mmio, &t.lapic[cpu]);
		bus_register(&t.mmio[cpu], IOAPIC_MMIO_BASE, IOAPIC_MMIO_SIZE,
			     ioapic_mmio, &t.ioapic);
	}
	ioapic_init(&t.ioapic, &t.apic_bus);
}

static void setup(void)
{
	setup_ids(0, 1);
}

static uint32_t rd(unsigned int cpu, unsigned int reg)
{
	uint32_t val;

	bus_access(&t.mmio[cpu], LAPIC_MMIO_BASE + reg, &val, sizeof(val),
		   false);
	return val;
}

static void wr(unsigned int cpu, unsigned int reg, uint32_t val)
{
	bus_access(&t.mmio[cpu], LAPIC_MMIO_BASE + reg, &val, sizeof(val),
		   true);
}

/* What @reg of vCPU 0 reads after a write of @val. */
static uint32_t wr_rd(unsigned int reg, uint32_t val)
{
	wr(0, reg, val);
	return rd(0, reg);
}

/* Bit @vector of a 256-bit ISR/TMR/IRR read through MMIO. */
static bool vec_bit(unsigned int cpu, unsigned int base, uint8_t vector)
{
	return rd(cpu, base + vector / 32 * LAPIC_REG_STRIDE) &
	       1u << (vector % 32);
}

#define CPU0		(1u << 0)
#define CPU1		(1u << 1)
#define BOTH		(CPU0 | CPU1)

/* The vCPUs with @vector in IRR: CPU0, CPU1, both or none (0). */
static unsigned int irr_cpus(uint8_t vector)
{
	unsigned int cpu, cpus = 0;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		if (vec_bit(cpu, LAPIC_IRR, vector))
			cpus |= 1u << cpu;
	return cpus;
}

/* What Linux's setup_local_APIC() leaves in flat logical mode. */
static void linux_setup(unsigned int cpu)
{
	wr(cpu, LAPIC_DFR, 0xffffffff);
	wr(cpu, LAPIC_LDR, 1u << (LAPIC_LDR_SHIFT + cpu));
	wr(cpu, LAPIC_TPR, 0);
	wr(cpu, LAPIC_SVR, SVR_ON);
}

/* A fresh machine (as setup_ids()) with both APICs set up by Linux. */
static void setup_linux(uint8_t id0, uint8_t id1)
{
	setup_ids(id0, id1);
	linux_setup(0);
	linux_setup(1);
}

/* A fixed, edge-triggered message without shorthand. */
static void deliver_fixed(uint32_t dest, bool logical, uint8_t vector)
{
	apic_bus_deliver(&t.apic_bus, dest, logical, APIC_DM_FIXED, vector,
			 false, APIC_SH_NONE, 0);
}

static void send_ipi(unsigned int cpu, uint8_t dest, uint32_t low)
{
	wr(cpu, LAPIC_ICR_HIGH, (uint32_t)dest << LAPIC_ICR_DEST_SHIFT);
	wr(cpu, LAPIC_ICR_LOW, low);
}

/* The vCPU takes what is pending, as the machine does before entry. */
static int take(unsigned int cpu)
{
	int vector = lapic_pending(&t.lapic[cpu]);

	if (vector >= 0)
		lapic_accept(&t.lapic[cpu], vector);
	return vector;
}

static void io_wr(unsigned int reg, uint32_t val)
{
	uint32_t sel = reg;

	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_REGSEL, &sel,
		   sizeof(sel), true);
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_WINDOW, &val,
		   sizeof(val), true);
}

static uint32_t io_rd(unsigned int reg)
{
	uint32_t sel = reg, val;

	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_REGSEL, &sel,
		   sizeof(sel), true);
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_WINDOW, &val,
		   sizeof(val), false);
	return val;
}

/* Route @pin to @vector on the APIC with physical ID @dest. */
static void route(unsigned int pin, uint32_t low, uint8_t dest)
{
	io_wr(IOAPIC_REG_REDTBL + 2 * pin + 1,
	      (uint32_t)dest << (IOAPIC_RTE_DEST_SHIFT - 32));
	io_wr(IOAPIC_REG_REDTBL + 2 * pin, low);
}

static uint32_t rte_low(unsigned int pin)
{
	return io_rd(IOAPIC_REG_REDTBL + 2 * pin);
}

TEST(lapic_reset_values)
{
	unsigned int i;

	setup_ids(0, 7);
	EXPECT_EQ(rd(0, LAPIC_ID), 0u);
	EXPECT_EQ(rd(1, LAPIC_ID), 0x07000000u);
	EXPECT_EQ(rd(1, LAPIC_VERSION), 0x00050014u);
	EXPECT_EQ(rd(1, LAPIC_TPR), 0u);
	EXPECT_EQ(rd(1, LAPIC_APR), 0u);
	EXPECT_EQ(rd(1, LAPIC_PPR), 0u);
	EXPECT_EQ(rd(1, LAPIC_LDR), 0u);
	EXPECT_EQ(rd(1, LAPIC_DFR), 0xffffffff);
	EXPECT_EQ(rd(1, LAPIC_SVR), 0xffu);
	EXPECT_EQ(rd(1, LAPIC_ESR), 0u);
	EXPECT_EQ(rd(1, LAPIC_ICR_LOW), 0u);
	EXPECT_EQ(rd(1, LAPIC_ICR_HIGH), 0u);
	for (i = 0; i < LAPIC_VEC_REGS; i++) {
		EXPECT_EQ(rd(1, LAPIC_ISR + i * LAPIC_REG_STRIDE), 0u);
		EXPECT_EQ(rd(1, LAPIC_TMR + i * LAPIC_REG_STRIDE), 0u);
		EXPECT_EQ(rd(1, LAPIC_IRR + i * LAPIC_REG_STRIDE), 0u);
	}
	for (i = LAPIC_LVT_TIMER; i <= LAPIC_LVT_ERROR; i += LAPIC_REG_STRIDE)
		EXPECT_EQ(rd(1, i), LAPIC_LVT_MASKED);
	EXPECT_EQ(rd(1, LAPIC_TIMER_INIT), 0u);
	EXPECT_EQ(rd(1, LAPIC_TIMER_CUR), 0u);
	EXPECT_EQ(rd(1, LAPIC_TIMER_DIV), 0u);
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
	/* Virtual wire until the OS sets the APIC up. */
	EXPECT_TRUE(lapic_accepts_pic(&t.lapic[0]));
}

TEST(lapic_register_masks)
{
	setup();
	EXPECT_EQ(wr_rd(LAPIC_DFR, 0), 0x0fffffffu);
	EXPECT_EQ(wr_rd(LAPIC_LDR, 0xffffffff), 0xff000000);
	EXPECT_EQ(wr_rd(LAPIC_TPR, 0xffffffff), 0xffu);
	EXPECT_EQ(wr_rd(LAPIC_SVR, 0xffffffff), 0x3ffu);
	/* No TSC deadline mode. */
	EXPECT_EQ(wr_rd(LAPIC_LVT_TIMER, 0xffffffff), 0x300ffu);
	EXPECT_EQ(wr_rd(LAPIC_LVT_LINT0, 0xffffffff), 0x1a7ffu);
	EXPECT_EQ(wr_rd(LAPIC_LVT_ERROR, 0xffffffff), 0x100ffu);
	EXPECT_EQ(wr_rd(LAPIC_TIMER_DIV, 0xffffffff), 0xbu);
	EXPECT_EQ(wr_rd(LAPIC_ICR_HIGH, 0xffffffff), 0xff000000);
	/* Read-only registers. */
	EXPECT_EQ(wr_rd(LAPIC_VERSION, 0), 0x00050014u);
	EXPECT_EQ(wr_rd(LAPIC_PPR, 0x40), 0xffu);
	EXPECT_EQ(wr_rd(LAPIC_IRR + 0x70, 0xffffffff), 0u);
	EXPECT_EQ(wr_rd(LAPIC_TIMER_CUR, 1234), 0u);
}

TEST(lapic_sw_disable_masks_lvts)
{
	setup();
	wr(0, LAPIC_LVT_LINT0, APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
	/* Software-disabled: the mask cannot be cleared. */
	EXPECT_EQ(rd(0, LAPIC_LVT_LINT0),
		  LAPIC_LVT_MASKED | APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
	wr(0, LAPIC_SVR, SVR_ON);
	EXPECT_TRUE(!lapic_accepts_pic(&t.lapic[0]));
	wr(0, LAPIC_LVT_LINT0, APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
	EXPECT_EQ(rd(0, LAPIC_LVT_LINT0),
		  (uint32_t)(APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT));
	EXPECT_TRUE(lapic_accepts_pic(&t.lapic[0]));
	wr(0, LAPIC_LVT_TIMER, 0x30);
	EXPECT_EQ(rd(0, LAPIC_LVT_TIMER), 0x30u);
	/* Disabling sets every mask bit again. */
	wr(0, LAPIC_SVR, 0xff);
	EXPECT_EQ(rd(0, LAPIC_LVT_TIMER), LAPIC_LVT_MASKED | 0x30);
	EXPECT_EQ(rd(0, LAPIC_LVT_LINT0),
		  LAPIC_LVT_MASKED | APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
	/* A fixed interrupt does not reach a disabled APIC. */
	deliver_fixed(0, false, 0x40);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x40));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
}

TEST(flat_logical_delivery)
{
	setup_linux(0, 1);
	EXPECT_EQ(rd(1, LAPIC_LDR), 0x02000000u);
	deliver_fixed(0x02, true, 0x41);
	EXPECT_EQ(irr_cpus(0x41), CPU1);
	deliver_fixed(0x03, true, 0x42);
	EXPECT_EQ(irr_cpus(0x42), BOTH);
	/* Lowest priority: one of the two only. */
	apic_bus_deliver(&t.apic_bus, 0x03, true, APIC_DM_LOWEST, 0x43, false,
			 APIC_SH_NONE, 1);
	EXPECT_EQ(vec_bit(0, LAPIC_IRR, 0x43) + vec_bit(1, LAPIC_IRR, 0x43), 1);
	/* No LDR bit in common: nobody. */
	deliver_fixed(0x04, true, 0x44);
	EXPECT_EQ(irr_cpus(0x44), 0u);
	/* Logical 0xff reaches all. */
	deliver_fixed(0xff, true, 0x45);
	EXPECT_EQ(irr_cpus(0x45), BOTH);
}

TEST(cluster_logical_delivery)
{
	setup();
	wr(0, LAPIC_SVR, SVR_ON);
	wr(1, LAPIC_SVR, SVR_ON);
	wr(0, LAPIC_DFR, LAPIC_DFR_CLUSTER);
	wr(1, LAPIC_DFR, LAPIC_DFR_CLUSTER);
	wr(0, LAPIC_LDR, 0x11000000);	/* cluster 1, member 0 */
	wr(1, LAPIC_LDR, 0x21000000);	/* cluster 2, member 0 */
	deliver_fixed(0x21, true, 0x50);
	EXPECT_EQ(irr_cpus(0x50), CPU1);
	/* Right cluster, other member. */
	deliver_fixed(0x12, true, 0x51);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x51));
	deliver_fixed(0x1f, true, 0x52);
	EXPECT_EQ(irr_cpus(0x52), CPU0);
}

TEST(physical_delivery)
{
	setup_linux(0, 5);
	/* By APIC ID, not vCPU index. */
	deliver_fixed(1, false, 0x60);
	EXPECT_EQ(irr_cpus(0x60), 0u);
	deliver_fixed(5, false, 0x61);
	EXPECT_TRUE(vec_bit(1, LAPIC_IRR, 0x61));
	EXPECT_EQ(t.kicks[1], 1u);
	EXPECT_EQ(t.kicks[0], 0u);
	/* Only the low 8 bits of a destination count. */
	deliver_fixed(0x105, false, 0x62);
	EXPECT_TRUE(vec_bit(1, LAPIC_IRR, 0x62));
	deliver_fixed(0xff, false, 0x63);
	EXPECT_EQ(irr_cpus(0x63), BOTH);
}

TEST(ipi_fixed_physical)
{
	setup_linux(0, 1);
	send_ipi(0, 1, ICR_FIXED(0xfd));
	EXPECT_EQ(t.kicks[1], 1u);
	EXPECT_EQ(t.kicks[0], 0u);
	EXPECT_EQ(irr_cpus(0xfd), CPU1);
	EXPECT_TRUE(!vec_bit(1, LAPIC_TMR, 0xfd));
	/* Delivery status reads idle at once. */
	EXPECT_EQ(rd(0, LAPIC_ICR_LOW), (uint32_t)ICR_FIXED(0xfd));
	EXPECT_EQ(rd(0, LAPIC_ICR_HIGH), 0x01000000u);
	EXPECT_EQ(lapic_pending(&t.lapic[1]), 0xfd);
	EXPECT_EQ(take(1), 0xfd);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0xfd));
	EXPECT_TRUE(vec_bit(1, LAPIC_ISR, 0xfd));
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
	wr(1, LAPIC_EOI, 0);
	EXPECT_TRUE(!vec_bit(1, LAPIC_ISR, 0xfd));
}

TEST(ipi_fixed_logical)
{
	setup_linux(0, 1);
	send_ipi(0, 0x02, ICR_FIXED(0xfb) | LAPIC_ICR_DEST_LOGICAL);
	EXPECT_EQ(irr_cpus(0xfb), CPU1);
	send_ipi(1, 0x01, ICR_FIXED(0xfa) | LAPIC_ICR_DEST_LOGICAL);
	EXPECT_EQ(irr_cpus(0xfa), CPU0);
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(t.kicks[1], 1u);
}

TEST(ipi_shorthands)
{
	setup_linux(0, 1);
	/* The destination field is ignored with a shorthand. */
	send_ipi(1, 0, ICR_FIXED(0xf0) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(irr_cpus(0xf0), CPU1);
	send_ipi(0, 0, ICR_FIXED(0xf1) | ICR_SH(APIC_SH_OTHERS));
	EXPECT_EQ(irr_cpus(0xf1), CPU1);
	send_ipi(1, 0, ICR_FIXED(0xf2) | ICR_SH(APIC_SH_OTHERS));
	EXPECT_EQ(irr_cpus(0xf2), CPU0);
	send_ipi(0, 0, ICR_FIXED(0xf3) | ICR_SH(APIC_SH_ALL));
	EXPECT_EQ(irr_cpus(0xf3), BOTH);
}

TEST(ipi_nmi)
{
	setup_linux(0, 1);
	send_ipi(0, 1, ICR_NMI);
	EXPECT_EQ(t.kicks[1], 1u);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[0]));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
}

/* Linux's wakeup_secondary_cpu_via_init(): INIT, INIT de-assert, 2 SIPIs. */
TEST(init_sipi_sequence)
{
	setup_linux(0, 1);
	send_ipi(0, 1, ICR_FIXED(0x70));
	send_ipi(0, 1, ICR_INIT_ASSERT);
	EXPECT_EQ(t.inits[1], 1u);
	EXPECT_EQ(t.inits[0], 0u);
	/* INIT reset the target's APIC, but not its ID. */
	EXPECT_EQ(rd(1, LAPIC_SVR), 0xffu);
	EXPECT_EQ(rd(1, LAPIC_LDR), 0u);
	EXPECT_EQ(rd(1, LAPIC_ID), 0x01000000u);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x70));
	send_ipi(0, 1, ICR_INIT_DEASSERT);
	EXPECT_EQ(t.inits[1], 1u);
	send_ipi(0, 1, ICR_SIPI(0x9a));
	EXPECT_EQ(t.sipis[1], 1u);
	EXPECT_EQ(t.sipi_vector[1], 0x9a);
	send_ipi(0, 1, ICR_SIPI(0x9b));
	EXPECT_EQ(t.sipis[1], 1u);
	EXPECT_EQ(t.sipi_vector[1], 0x9a);
	EXPECT_EQ(t.sipis[0], 0u);
	EXPECT_EQ(t.inits[1], 1u);
	/* A new INIT re-arms the SIPI. */
	send_ipi(0, 1, ICR_INIT_ASSERT);
	send_ipi(0, 1, ICR_SIPI(0x10));
	EXPECT_EQ(t.inits[1], 2u);
	EXPECT_EQ(t.sipis[1], 2u);
	EXPECT_EQ(t.sipi_vector[1], 0x10);
	/* vCPU 0 (the BSP) never waits for a SIPI it was not INITed for. */
	send_ipi(1, 0, ICR_SIPI(0x20));
	EXPECT_EQ(t.sipis[0], 0u);
}

/* An AP powers up in wait-for-SIPI: a SIPI without INIT starts it. */
TEST(sipi_at_power_up)
{
	setup();
	send_ipi(0, 1, ICR_SIPI(0x08));
	EXPECT_EQ(t.sipis[1], 1u);
	EXPECT_EQ(t.sipi_vector[1], 0x08);
	EXPECT_EQ(t.inits[1], 0u);
}

TEST(tpr_masks_lower_classes)
{
	setup();
	linux_setup(0);
	wr(0, LAPIC_TPR, 0x50);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0x50u);
	send_ipi(0, 0, ICR_FIXED(0x5f) | ICR_SH(APIC_SH_SELF));
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x5f));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	EXPECT_EQ(t.kicks[0], 0u);
	send_ipi(0, 0, ICR_FIXED(0x60) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), 0x60);
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(take(0), 0x60);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0x60u);
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0x50u);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Lowering TPR lets 0x5f in, and says so. */
	wr(0, LAPIC_TPR, 0x40);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), 0x5f);
	EXPECT_EQ(t.kicks[0], 2u);
}

TEST(isr_nesting_eoi_order)
{
	setup();
	linux_setup(0);
	send_ipi(0, 0, ICR_FIXED(0x41) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(take(0), 0x41);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0x40u);
	/* Same class: blocked while 0x41 is in service. */
	send_ipi(0, 0, ICR_FIXED(0x4f) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Higher class nests. */
	send_ipi(0, 0, ICR_FIXED(0x81) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(take(0), 0x81);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0x80u);
	EXPECT_TRUE(vec_bit(0, LAPIC_ISR, 0x41));
	EXPECT_TRUE(vec_bit(0, LAPIC_ISR, 0x81));
	/* EOI retires the highest in service first. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!vec_bit(0, LAPIC_ISR, 0x81));
	EXPECT_TRUE(vec_bit(0, LAPIC_ISR, 0x41));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!vec_bit(0, LAPIC_ISR, 0x41));
	EXPECT_EQ(rd(0, LAPIC_PPR), 0u);
	/* TPR in the class in service: PPR is all of TPR. */
	EXPECT_EQ(take(0), 0x4f);
	wr(0, LAPIC_TPR, 0x45);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0x45u);
	wr(0, LAPIC_TPR, 0);
	wr(0, LAPIC_EOI, 0);
	/* EOI with nothing in service is harmless. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(rd(0, LAPIC_PPR), 0u);
	/* accept() of a vector not requested changes nothing. */
	lapic_accept(&t.lapic[0], 0x99);
	EXPECT_TRUE(!vec_bit(0, LAPIC_ISR, 0x99));
}

/*
 * ISR, TMR and IRR moved to memory the module shares (the run page):
 * the state comes along, and a bit the module clears there (its EOI) is
 * what the model sees.
 */
TEST(shared_vectors_follow_the_module)
{
	struct lapic_vectors shared;

	setup();
	linux_setup(0);
	send_ipi(0, 0, ICR_FIXED(0x41) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(take(0), 0x41);
	send_ipi(0, 0, ICR_FIXED(0x42) | ICR_SH(APIC_SH_SELF));
	memset(&shared, 0xa5, sizeof(shared));
	lapic_share_vectors(&t.lapic[0], &shared);
	EXPECT_TRUE(vec_bit(0, LAPIC_ISR, 0x41));
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x42));
	EXPECT_TRUE(!vec_bit(0, LAPIC_ISR, 0x42));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* The module's EOI of 0x41: 0x42 is deliverable. */
	shared.isr[0x41 / 32] &= ~(1u << (0x41 % 32));
	EXPECT_EQ(rd(0, LAPIC_PPR), 0u);
	EXPECT_EQ(take(0), 0x42);
	EXPECT_TRUE(((shared.isr[0x42 / 32] >> (0x42 % 32)) & 1) != 0);
	/* A level-triggered vector lands in the shared TMR. */
	wr(0, LAPIC_LVT_LINT0, LVT_FIXED_LEVEL(0x43));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_TRUE(((shared.tmr[0x43 / 32] >> (0x43 % 32)) & 1) != 0);
	EXPECT_TRUE(((shared.irr[0x43 / 32] >> (0x43 % 32)) & 1) != 0);
}

/*
 * The ICR moves to the shared memory too: the module takes the xAPIC
 * writes of its high half there, and the low half's write (the IPI, the
 * model's) goes where that says; the module answers reads of the low
 * half from there.
 */
TEST(shared_icr_follows_the_module)
{
	struct lapic_vectors shared;

	setup_linux(0, 1);
	wr(0, LAPIC_ICR_HIGH, 1u << LAPIC_ICR_DEST_SHIFT);
	lapic_share_vectors(&t.lapic[0], &shared);
	EXPECT_EQ(shared.icr_high, 1u << LAPIC_ICR_DEST_SHIFT);
	/* The module's write of the high half: back to APIC 0. */
	shared.icr_high = 0;
	wr(0, LAPIC_ICR_LOW, ICR_FIXED(0x51));
	EXPECT_EQ(take(0), 0x51);
	EXPECT_EQ(take(1), -1);
	EXPECT_EQ(shared.icr_low, (uint32_t)ICR_FIXED(0x51));
	shared.icr_high = 1u << LAPIC_ICR_DEST_SHIFT;
	EXPECT_EQ(rd(0, LAPIC_ICR_HIGH), 1u << LAPIC_ICR_DEST_SHIFT);
	wr(0, LAPIC_ICR_LOW, ICR_FIXED(0x52));
	EXPECT_EQ(take(1), 0x52);
}

TEST(illegal_vectors)
{
	setup_linux(0, 1);
	wr(1, LAPIC_LVT_ERROR, 0xfe);
	send_ipi(0, 1, ICR_FIXED(0x0f));
	EXPECT_EQ(rd(1, LAPIC_IRR), 0u);
	wr(0, LAPIC_ESR, 0);
	EXPECT_EQ(rd(0, LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL);
	/* Latched: the next write clears it. */
	wr(0, LAPIC_ESR, 0);
	EXPECT_EQ(rd(0, LAPIC_ESR), 0u);
	/* Received through MSI: the receiver's error, through LVT Error. */
	apic_bus_msi(&t.apic_bus, 0xfee01000, 0x0005);
	EXPECT_EQ(rd(1, LAPIC_IRR), 0u);
	EXPECT_EQ(lapic_pending(&t.lapic[1]), 0xfe);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(1, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
}

/* NMI IPIs with a shorthand reach the sender too (a self-NMI). */
TEST(ipi_self_nmi)
{
	setup_linux(0, 1);
	send_ipi(0, 0, ICR_NMI | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(t.kicks[1], 0u);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
	send_ipi(1, 0, ICR_NMI | ICR_SH(APIC_SH_ALL));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	send_ipi(1, 0, ICR_NMI | ICR_SH(APIC_SH_OTHERS));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
	/* Two before the vCPU looks are one: the CPU latches one NMI. */
	send_ipi(0, 0, ICR_NMI | ICR_SH(APIC_SH_SELF));
	send_ipi(1, 0, ICR_NMI);
	EXPECT_TRUE(lapic_nmi_pending(&t.lapic[0]));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	EXPECT_TRUE(!lapic_nmi_pending(&t.lapic[0]));
	/* The vector field means nothing to an NMI: no illegal vector. */
	send_ipi(0, 1, ICR_NMI | 0x05);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	wr(0, LAPIC_ESR, 0);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(0, LAPIC_ESR), 0u);
	EXPECT_EQ(rd(1, LAPIC_ESR), 0u);
	/* Nor does an NMI go through IRR. */
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
}

/*
 * SDM 11.4.7.2: software-disabled, the APIC keeps IRR and ISR, takes
 * no new fixed interrupt but NMI, INIT and SIPI, and keeps its LVT
 * entries masked; enabled again, what it held is delivered.
 */
TEST(lapic_sw_disable_holds_pending)
{
	setup_linux(0, 1);
	send_ipi(0, 0, ICR_FIXED(0x41) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(take(0), 0x41);
	send_ipi(0, 0, ICR_FIXED(0x81) | ICR_SH(APIC_SH_SELF));
	wr(0, LAPIC_SVR, 0xff);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x81));
	EXPECT_TRUE(vec_bit(0, LAPIC_ISR, 0x41));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* No new fixed interrupt, from an IPI, a self-IPI, an MSI. */
	send_ipi(1, 0, ICR_FIXED(0x90));
	send_ipi(0, 0, ICR_FIXED(0x91) | ICR_SH(APIC_SH_SELF));
	apic_bus_msi(&t.apic_bus, 0xfee00000, 0x0092);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x90));
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x91));
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x92));
	/* It can still send. */
	send_ipi(0, 1, ICR_FIXED(0x93));
	EXPECT_TRUE(vec_bit(1, LAPIC_IRR, 0x93));
	/* NMIs still arrive. */
	send_ipi(1, 0, ICR_NMI);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	/* Mask bits cannot be cleared, whatever the entry. */
	wr(0, LAPIC_LVT_TIMER, TIMER_PERIODIC(0x30));
	wr(0, LAPIC_LVT_LINT1, LVT_DM(APIC_DM_NMI));
	wr(0, LAPIC_LVT_ERROR, 0x33);
	EXPECT_EQ(rd(0, LAPIC_LVT_TIMER), LAPIC_LVT_MASKED | TIMER_PERIODIC(0x30));
	EXPECT_EQ(rd(0, LAPIC_LVT_LINT1),
		  LAPIC_LVT_MASKED | LVT_DM(APIC_DM_NMI));
	EXPECT_EQ(rd(0, LAPIC_LVT_ERROR), LAPIC_LVT_MASKED | 0x33);
	/* EOI still retires what is in service. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!vec_bit(0, LAPIC_ISR, 0x41));
	/* Enabled again: the held vector comes, the LVTs stay masked. */
	t.kicks[0] = 0;
	wr(0, LAPIC_SVR, SVR_ON);
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(take(0), 0x81);
	EXPECT_NE(0u, rd(0, LAPIC_LVT_TIMER) & LAPIC_LVT_MASKED);
	/* INIT reaches a disabled APIC too. */
	wr(0, LAPIC_SVR, 0xff);
	send_ipi(1, 0, ICR_INIT_ASSERT);
	EXPECT_EQ(t.inits[0], 1u);
}

/* ICR fixed or lowest priority with vector 0-15: refused at the sender. */
TEST(illegal_vector_sent)
{
	setup_linux(0, 1);
	wr(0, LAPIC_LVT_ERROR, 0xfe);
	send_ipi(0, 1, ICR_FIXED(0x0f));
	send_ipi(0, 1, APIC_DM_LOWEST << LAPIC_ICR_DM_SHIFT | 0x01);
	send_ipi(0, 0, ICR_FIXED(0x00) | ICR_SH(APIC_SH_SELF));
	send_ipi(0, 0, ICR_FIXED(0x0e) | ICR_SH(APIC_SH_ALL));
	EXPECT_EQ(rd(0, LAPIC_IRR) & 0xffff, 0u);
	EXPECT_EQ(rd(1, LAPIC_IRR), 0u);
	EXPECT_EQ(t.kicks[1], 0u);
	/* The sender's LVT Error interrupts; the receiver saw nothing. */
	EXPECT_EQ(take(0), 0xfe);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(1, LAPIC_ESR), 0u);
	/* ESR shows what the last write latched: nothing yet. */
	EXPECT_EQ(rd(0, LAPIC_ESR), 0u);
	wr(0, LAPIC_ESR, 0);
	EXPECT_EQ(rd(0, LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL);
	/* Reading does not clear; the next write latches what came since. */
	EXPECT_EQ(rd(0, LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL);
	wr(0, LAPIC_ESR, 0xffffffff);
	EXPECT_EQ(rd(0, LAPIC_ESR), 0u);
	/* INIT and STARTUP carry no interrupt vector: no error. */
	send_ipi(0, 1, ICR_INIT_ASSERT);
	send_ipi(0, 1, ICR_SIPI(0x01));
	EXPECT_EQ(t.sipi_vector[1], 0x01);
	wr(0, LAPIC_ESR, 0);
	EXPECT_EQ(rd(0, LAPIC_ESR), 0u);
}

/* Vectors 0-15 from the I/O APIC or an LVT: refused by the receiver. */
TEST(illegal_vector_received)
{
	setup_linux(0, 1);
	wr(1, LAPIC_LVT_ERROR, 0xfe);
	route(9, RTE_LEVEL(0x05), 1);
	ioapic_set_irq(&t.ioapic, 9, 1);
	EXPECT_EQ(rd(1, LAPIC_IRR) & 0xffff, 0u);
	/* Nobody took it, so no EOI will come: Remote IRR stays clear. */
	EXPECT_TRUE(!(rte_low(9) & IOAPIC_RTE_REMOTE_IRR));
	EXPECT_EQ(take(1), 0xfe);
	wr(1, LAPIC_EOI, 0);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(1, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	/*
	 * Fixed (masked first: each write to an unmasked entry of an
	 * asserted line sends again), it delivers the line still asserted.
	 */
	io_wr(IOAPIC_REG_REDTBL + 2 * 9, RTE_LEVEL(0x39) | IOAPIC_RTE_MASKED);
	route(9, RTE_LEVEL(0x39), 1);
	EXPECT_EQ(take(1), 0x39);
	EXPECT_NE(0u, rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	ioapic_set_irq(&t.ioapic, 9, 0);
	wr(1, LAPIC_EOI, 0);
	/* From the timer's LVT entry. */
	wr(1, LAPIC_LVT_TIMER, TIMER_ONESHOT(0x0e));
	wr(1, LAPIC_TIMER_INIT, 10);
	vm_clock_fake_advance(&t.clock, 1000);
	EXPECT_EQ(rd(1, LAPIC_IRR) & 0xffff, 0u);
	EXPECT_EQ(take(1), 0xfe);
	wr(1, LAPIC_EOI, 0);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(1, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	/* LVT Error masked: the error is recorded, nothing interrupts. */
	wr(1, LAPIC_LVT_ERROR, LAPIC_LVT_MASKED | 0xfe);
	apic_bus_msi(&t.apic_bus, 0xfee01000, 0x0005);
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(1, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	/* LVT Error's own vector illegal: recorded, no loop of errors. */
	wr(1, LAPIC_LVT_ERROR, 0x02);
	apic_bus_msi(&t.apic_bus, 0xfee01000, 0x0005);
	EXPECT_EQ(rd(1, LAPIC_IRR), 0u);
	wr(1, LAPIC_ESR, 0);
	EXPECT_EQ(rd(1, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
}

/* LINT1, where a PC wires NMI: Linux's BSP entry is DM NMI, edge. */
TEST(lint1_nmi)
{
	setup_linux(0, 1);
	wr(0, LAPIC_LVT_LINT1, LVT_DM(APIC_DM_NMI));
	lapic_set_lint(&t.lapic[0], LVT_LINT1, 1);
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Edge-triggered: held high, no second NMI; high again, one. */
	lapic_set_lint(&t.lapic[0], LVT_LINT1, 1);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT1, 0);
	lapic_set_lint(&t.lapic[0], LVT_LINT1, 1);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT1, 0);
	/* Masked (as on Linux's APs): nothing. */
	lapic_set_lint(&t.lapic[1], LVT_LINT1, 1);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
	EXPECT_EQ(t.kicks[1], 0u);
	/* Software-disabled, the entry is masked. */
	wr(0, LAPIC_SVR, 0xff);
	lapic_set_lint(&t.lapic[0], LVT_LINT1, 1);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[0]));
	/* Level-triggered fixed is not supported on LINT1: edge. */
	wr(1, LAPIC_LVT_LINT1, LVT_FIXED_LEVEL(0x61));
	lapic_set_lint(&t.lapic[1], LVT_LINT1, 0);
	lapic_set_lint(&t.lapic[1], LVT_LINT1, 1);
	EXPECT_EQ(take(1), 0x61);
	EXPECT_TRUE(!(rd(1, LAPIC_LVT_LINT1) & LAPIC_LVT_REMOTE_IRR));
	wr(1, LAPIC_EOI, 0);
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
}

/* LINT0: the PIC's INTR in ExtINT mode, or any other delivery mode. */
TEST(lint0_modes)
{
	setup_ids(0, 1);
	/* Software-disabled (reset): the PC's virtual wire to the PIC. */
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_TRUE(lapic_accepts_pic(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	linux_setup(0);
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_EXTINT));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(t.kicks[0], 2u);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	/* Masked ExtINT, as Linux leaves it with an I/O APIC: nothing. */
	wr(0, LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | LVT_DM(APIC_DM_EXTINT));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(t.kicks[0], 2u);
	EXPECT_TRUE(!lapic_accepts_pic(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	/* NMI mode: the rising edge is an NMI, and the PIC is not polled. */
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_NMI));
	EXPECT_TRUE(!lapic_accepts_pic(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[0]));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	/* Fixed, edge: the entry's vector on each rising edge. */
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_FIXED) | 0x60);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_TRUE(!vec_bit(0, LAPIC_TMR, 0x60));
	EXPECT_EQ(take(0), 0x60);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	wr(0, LAPIC_EOI, 0);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	/* A vector 0-15 there: Receive Illegal Vector. */
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_FIXED) | 0x07);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(rd(0, LAPIC_IRR), 0u);
	wr(0, LAPIC_ESR, 0);
	EXPECT_EQ(rd(0, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	/* SMI: no SMM, dropped. */
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_SMI));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[0]));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	/* INIT on the rising edge. */
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_INIT));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(t.inits[0], 1u);
	EXPECT_EQ(rd(0, LAPIC_SVR), 0xffu);
	/* Not a LINT entry: ignored. */
	lapic_set_lint(&t.lapic[1], LVT_TIMER, 1);
	lapic_set_lint(&t.lapic[1], LVT_COUNT, 1);
	EXPECT_EQ(t.kicks[1], 0u);
}

/* LINT0 fixed and level-triggered: Remote IRR in the entry until EOI. */
TEST(lint0_level)
{
	setup();
	linux_setup(0);
	wr(0, LAPIC_LVT_LINT0, LVT_FIXED_LEVEL(0x62));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_TRUE(vec_bit(0, LAPIC_TMR, 0x62));
	EXPECT_NE(0u, rd(0, LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR);
	EXPECT_EQ(take(0), 0x62);
	/* Asserted again while in service: nothing more. */
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Remote IRR is read-only: a rewrite of the entry keeps it. */
	wr(0, LAPIC_LVT_LINT0, LVT_FIXED_LEVEL(0x62));
	EXPECT_NE(0u, rd(0, LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* The EOI with the line still asserted: delivered again. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(take(0), 0x62);
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 0);
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!(rd(0, LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Masked while asserted: unmasking delivers. */
	wr(0, LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | LVT_FIXED_LEVEL(0x62));
	lapic_set_lint(&t.lapic[0], LVT_LINT0, 1);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	wr(0, LAPIC_LVT_LINT0, LVT_FIXED_LEVEL(0x62));
	EXPECT_EQ(take(0), 0x62);
	/* Turned to edge, the entry has no Remote IRR. */
	wr(0, LAPIC_LVT_LINT0, LVT_DM(APIC_DM_FIXED) | 0x62);
	EXPECT_TRUE(!(rd(0, LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR));
}

TEST(bad_offsets_and_sizes)
{
	uint64_t v64 = 0x1234;
	uint16_t v16 = 0x1234;
	uint8_t v8 = 0x12;
	uint32_t v32;

	setup();
	linux_setup(0);
	/* Other sizes: read 0, writes dropped. */
	bus_access(&t.mmio[0], LAPIC_MMIO_BASE + LAPIC_TPR, &v64, 8, false);
	EXPECT_EQ(v64, 0u);
	bus_access(&t.mmio[0], LAPIC_MMIO_BASE + LAPIC_SVR, &v16, 2, false);
	EXPECT_EQ(v16, 0);
	v16 = 0x50;
	bus_access(&t.mmio[0], LAPIC_MMIO_BASE + LAPIC_TPR, &v16, 2, true);
	bus_access(&t.mmio[0], LAPIC_MMIO_BASE + LAPIC_TPR, &v8, 1, true);
	v64 = 0x50;
	bus_access(&t.mmio[0], LAPIC_MMIO_BASE + LAPIC_TPR, &v64, 8, true);
	EXPECT_EQ(rd(0, LAPIC_TPR), 0u);
	/* Unaligned and in-between offsets. */
	EXPECT_EQ(rd(0, LAPIC_SVR + 4), 0u);
	EXPECT_EQ(rd(0, LAPIC_SVR + 1), 0u);
	wr(0, LAPIC_TPR + 4, 0x50);
	wr(0, LAPIC_TPR + 2, 0x50);
	EXPECT_EQ(rd(0, LAPIC_TPR), 0u);
	/* Reserved registers and the top of the page. */
	EXPECT_EQ(rd(0, 0x3f0), 0u);
	EXPECT_EQ(rd(0, 0xff0), 0u);
	wr(0, 0xff0, 0xffffffff);
	EXPECT_EQ(rd(0, LAPIC_MMIO_SIZE - 4), 0u);
	/* Called directly (as vCPU threads do), reads are zeroed too. */
	v32 = 0xaaaaaaaa;
	lapic_mmio(&t.lapic[0], LAPIC_SVR + 4, &v32, 4, false);
	EXPECT_EQ(v32, 0u);
	v64 = ~0ULL;
	lapic_mmio(&t.lapic[0], LAPIC_SVR, &v64, 8, false);
	EXPECT_EQ(v64, 0u);
	v32 = 0xaaaaaaaa;
	ioapic_mmio(&t.ioapic, IOAPIC_V20_EOI, &v32, 4, false);
	EXPECT_EQ(v32, 0u);
	/* The bus refuses what crosses the page; the model holds anyway. */
	v32 = 0xffffffff;
	lapic_mmio(&t.lapic[0], LAPIC_MMIO_SIZE, &v32, 4, true);
	lapic_mmio(&t.lapic[0], UINT64_MAX - 0xf, &v32, 4, true);
	v32 = 0;
	lapic_mmio(&t.lapic[0], UINT64_MAX - 0xf, &v32, 4, false);
	EXPECT_EQ(v32, 0u);
	EXPECT_EQ(rd(0, LAPIC_SVR), SVR_ON);
}

TEST(timer_oneshot_divide16)
{
	setup();
	linux_setup(0);
	vm_clock_fake_advance(&t.clock, 1000);
	wr(0, LAPIC_TIMER_DIV, DIV_16);
	wr(0, LAPIC_LVT_TIMER, TIMER_ONESHOT(0xec));
	wr(0, LAPIC_TIMER_INIT, 1000);	/* 16000 ticks of 1 ns */
	EXPECT_EQ(rd(0, LAPIC_TIMER_INIT), 1000u);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 1000u);
	vm_clock_fake_advance(&t.clock, 1000 + 8000);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 500u);
	vm_clock_fake_advance(&t.clock, 1000 + 15999);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 1u);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	EXPECT_EQ(t.kicks[0], 0u);
	vm_clock_fake_advance(&t.clock, 1000 + 16000);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0xec));
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	/* It does not fire again. */
	EXPECT_EQ(take(0), 0xec);
	vm_clock_fake_advance(&t.clock, 1000000);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
}

TEST(timer_periodic)
{
	setup();
	linux_setup(0);
	wr(0, LAPIC_TIMER_DIV, DIV_16);
	wr(0, LAPIC_LVT_TIMER, TIMER_PERIODIC(0xec));
	wr(0, LAPIC_TIMER_INIT, 10000);	/* a period of 160000 ns */
	vm_clock_fake_advance(&t.clock, 160000);
	EXPECT_EQ(take(0), 0xec);
	wr(0, LAPIC_EOI, 0);
	/* Counting down again from the top. */
	vm_clock_fake_advance(&t.clock, 160000 + 40000);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 7500u);
	vm_clock_fake_advance(&t.clock, 319999);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	vm_clock_fake_advance(&t.clock, 320000);
	EXPECT_EQ(take(0), 0xec);
	wr(0, LAPIC_EOI, 0);
	/* A late timer thread skips the missed periods, staying in phase. */
	vm_clock_fake_advance(&t.clock, 800000 + 5);
	EXPECT_EQ(take(0), 0xec);
	EXPECT_EQ(t.lapic[0].timer.deadline, 960000u);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 10000u);
	/* Initial count 0 stops it. */
	wr(0, LAPIC_TIMER_INIT, 0);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
}

TEST(timer_periodic_rate_limited)
{
	setup();
	linux_setup(0);
	wr(0, LAPIC_LVT_TIMER, TIMER_PERIODIC(0xec));
	wr(0, LAPIC_TIMER_DIV, 0xb);	/* divide by 1 */
	wr(0, LAPIC_TIMER_INIT, 10);
	vm_clock_fake_advance(&t.clock, 10);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0xec));
	/* Not every 10 ns: the timer thread would never rest. */
	EXPECT_EQ(t.lapic[0].timer.deadline, 10 + 100000u);
	/* The guest's count still runs at its own rate. */
	vm_clock_fake_advance(&t.clock, 23);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 7u);
}

TEST(timer_masked_sets_no_irr)
{
	setup();
	linux_setup(0);
	wr(0, LAPIC_LVT_TIMER, TIMER_ONESHOT(0xec) | LAPIC_LVT_MASKED);
	wr(0, LAPIC_TIMER_INIT, 100);
	vm_clock_fake_advance(&t.clock, 200);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	EXPECT_EQ(t.kicks[0], 0u);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 0u);
	/* Divide 2 (code 0) is the reset value. */
	wr(0, LAPIC_LVT_TIMER, TIMER_PERIODIC(0xec) | LAPIC_LVT_MASKED);
	wr(0, LAPIC_TIMER_INIT, 100000);
	vm_clock_fake_advance(&t.clock, 200 + 100000);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 50000u);
	vm_clock_fake_advance(&t.clock, 200 + 600000);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	/* Still counting: unmasked, the next period delivers. */
	EXPECT_TRUE(t.lapic[0].timer.armed);
	wr(0, LAPIC_LVT_TIMER, TIMER_PERIODIC(0xec));
	vm_clock_fake_advance(&t.clock, 200 + 800000);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0xec));
}

TEST(divide_values)
{
	static const struct {
		uint32_t conf;
		unsigned int div;
	} divs[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	unsigned int i;

	setup();
	linux_setup(0);
	for (i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
		uint64_t start = i * 1000000;

		vm_clock_fake_advance(&t.clock, start);
		wr(0, LAPIC_TIMER_DIV, divs[i].conf);
		wr(0, LAPIC_TIMER_INIT, 1000);
		vm_clock_fake_advance(&t.clock, start + 100 * divs[i].div);
		EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 900u);
	}
}

TEST(ioapic_registers)
{
	unsigned int pin;

	setup();
	EXPECT_EQ(io_rd(IOAPIC_REG_VERSION), 0x00170011u);
	EXPECT_EQ(io_rd(IOAPIC_REG_ID), 0u);
	io_wr(IOAPIC_REG_ID, 0xffffffff);
	EXPECT_EQ(io_rd(IOAPIC_REG_ID), 0x0f000000u);
	EXPECT_EQ(io_rd(IOAPIC_REG_ARB), 0x0f000000u);
	io_wr(IOAPIC_REG_VERSION, 0);
	EXPECT_EQ(io_rd(IOAPIC_REG_VERSION), 0x00170011u);
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		EXPECT_EQ(rte_low(pin), IOAPIC_RTE_MASKED);
		EXPECT_EQ(io_rd(IOAPIC_REG_REDTBL + 2 * pin + 1), 0u);
	}
	/* Delivery status and Remote IRR are read-only. */
	io_wr(IOAPIC_REG_REDTBL + 2 * 23, 0xffffffff);
	EXPECT_EQ(rte_low(23), 0x1afffu);
	io_wr(IOAPIC_REG_REDTBL + 2 * 23 + 1, 0xffffffff);
	EXPECT_EQ(io_rd(IOAPIC_REG_REDTBL + 2 * 23 + 1), 0xff000000);
	/* Past the table, and IOREGSEL's own width. */
	io_wr(IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS, 0xffffffff);
	EXPECT_EQ(io_rd(IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS), 0u);
	EXPECT_EQ(io_rd(0xff), 0u);
	io_wr(0x1234, 0);	/* IOREGSEL keeps 8 bits: 0x34 */
	EXPECT_EQ(t.ioapic.regsel, 0x34u);
	EXPECT_EQ(io_rd(0x03), 0u);
}

TEST(ioapic_bad_accesses)
{
	uint64_t v64 = 0;
	uint8_t v8 = IOAPIC_REG_VERSION;
	uint32_t v32 = 0x12345678;

	setup();
	/* Only 32-bit accesses at the three registers do anything. */
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_REGSEL, &v8, 1, true);
	EXPECT_EQ(t.ioapic.regsel, 0u);
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_WINDOW, &v64, 8,
		   false);
	EXPECT_EQ(v64, 0u);
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + 0x20, &v32, 4, false);
	EXPECT_EQ(v32, 0u);
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_V20_EOI, &v32, 4,
		   false);
	EXPECT_EQ(v32, 0u);
	v32 = 0xffffffff;
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + 0x04, &v32, 4, true);
	EXPECT_EQ(t.ioapic.regsel, 0u);
	ioapic_mmio(&t.ioapic, UINT64_MAX, &v32, 4, true);
	/* Out-of-range pins are ignored. */
	ioapic_set_irq(&t.ioapic, IOAPIC_NR_PINS, 1);
	ioapic_set_irq(&t.ioapic, UINT32_MAX, 1);
	EXPECT_EQ(t.ioapic.asserted, 0u);
}

TEST(ioapic_level_redelivered_after_eoi)
{
	setup_linux(0, 1);
	route(9, RTE_LEVEL(0x39), 1);
	ioapic_set_irq(&t.ioapic, 9, 1);
	EXPECT_NE(0u, rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	EXPECT_TRUE(vec_bit(1, LAPIC_TMR, 0x39));
	EXPECT_EQ(take(1), 0x39);
	EXPECT_EQ(t.kicks[1], 1u);
	/* Line still high: the EOI brings it back. */
	wr(1, LAPIC_EOI, 0);
	EXPECT_EQ(t.kicks[1], 2u);
	EXPECT_NE(0u, rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	EXPECT_EQ(take(1), 0x39);
	/* Lowered before the EOI: done. */
	ioapic_set_irq(&t.ioapic, 9, 0);
	wr(1, LAPIC_EOI, 0);
	EXPECT_TRUE(!(rte_low(9) & IOAPIC_RTE_REMOTE_IRR));
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
	EXPECT_EQ(t.kicks[1], 2u);
}

TEST(ioapic_remote_irr_blocks)
{
	setup();
	linux_setup(0);
	route(10, RTE_LEVEL(0x3a), 0);
	ioapic_set_irq(&t.ioapic, 10, 1);
	EXPECT_EQ(take(0), 0x3a);
	/* Toggling the line while in service sends nothing. */
	ioapic_set_irq(&t.ioapic, 10, 0);
	ioapic_set_irq(&t.ioapic, 10, 1);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x3a));
	EXPECT_EQ(t.kicks[0], 1u);
	/* Rewriting the entry (Linux does, on affinity changes) keeps it. */
	io_wr(IOAPIC_REG_REDTBL + 2 * 10, RTE_LEVEL(0x3a));
	EXPECT_NE(0u, rte_low(10) & IOAPIC_RTE_REMOTE_IRR);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x3a));
	/* The EOI lets the still-high line through again. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x3a));
	EXPECT_EQ(take(0), 0x3a);
	/* Switching to edge and back clears a stuck Remote IRR (Linux). */
	io_wr(IOAPIC_REG_REDTBL + 2 * 10, RTE_EDGE(0x3a) | IOAPIC_RTE_MASKED);
	EXPECT_TRUE(!(rte_low(10) & IOAPIC_RTE_REMOTE_IRR));
	ioapic_set_irq(&t.ioapic, 10, 0);
}

/*
 * Version 0x11 has no EOI register: a write at 0x40 is no EOI (Linux
 * clears a stuck Remote IRR through edge mode on these instead).
 */
TEST(ioapic_no_eoi_register)
{
	uint32_t vector = 0x3b;

	setup();
	linux_setup(0);
	route(11, RTE_LEVEL(0x3b), 0);
	ioapic_set_irq(&t.ioapic, 11, 1);
	EXPECT_EQ(take(0), 0x3b);
	ioapic_set_irq(&t.ioapic, 11, 0);
	bus_access(&t.mmio[0], IOAPIC_MMIO_BASE + IOAPIC_V20_EOI, &vector,
		   sizeof(vector), true);
	EXPECT_NE(0u, rte_low(11) & IOAPIC_RTE_REMOTE_IRR);
	/* An EOI message for another vector leaves Remote IRR alone. */
	ioapic_eoi(&t.ioapic, 0x3c);
	EXPECT_NE(0u, rte_low(11) & IOAPIC_RTE_REMOTE_IRR);
	/* The local APIC's EOI of the vector is what clears it. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!(rte_low(11) & IOAPIC_RTE_REMOTE_IRR));
}

TEST(ioapic_masked_pin)
{
	setup();
	linux_setup(0);
	route(4, RTE_LEVEL(0x34) | IOAPIC_RTE_MASKED, 0);
	ioapic_set_irq(&t.ioapic, 4, 1);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x34));
	EXPECT_TRUE(!(rte_low(4) & IOAPIC_RTE_REMOTE_IRR));
	/* Unmasking an asserted level pin delivers it. */
	route(4, RTE_LEVEL(0x34), 0);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x34));
	/* A masked edge pin loses its edge, even once unmasked. */
	route(5, RTE_EDGE(0x35) | IOAPIC_RTE_MASKED, 0);
	ioapic_set_irq(&t.ioapic, 5, 1);
	route(5, RTE_EDGE(0x35), 0);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x35));
}

TEST(ioapic_edge_pin)
{
	setup_linux(0, 1);
	/* Logical destination, as Linux routes in flat mode. */
	route(1, RTE_EDGE(0x31) | IOAPIC_RTE_LOGICAL, 0x02);
	ioapic_set_irq(&t.ioapic, 1, 1);
	EXPECT_TRUE(vec_bit(1, LAPIC_IRR, 0x31));
	EXPECT_TRUE(!vec_bit(1, LAPIC_TMR, 0x31));
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x31));
	EXPECT_TRUE(!(rte_low(1) & IOAPIC_RTE_REMOTE_IRR));
	EXPECT_EQ(take(1), 0x31);
	/* Still high: no new edge. */
	ioapic_set_irq(&t.ioapic, 1, 1);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x31));
	/* EOI of an edge vector is not broadcast: nothing happens. */
	wr(1, LAPIC_EOI, 0);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x31));
	ioapic_set_irq(&t.ioapic, 1, 0);
	ioapic_set_irq(&t.ioapic, 1, 1);
	EXPECT_TRUE(vec_bit(1, LAPIC_IRR, 0x31));
	EXPECT_EQ(t.kicks[1], 2u);
}

/* Only the EOI of a level-triggered vector (TMR) reaches the I/O APIC. */
TEST(edge_eoi_not_broadcast)
{
	setup_linux(0, 1);
	route(9, RTE_LEVEL(0x39), 0);
	ioapic_set_irq(&t.ioapic, 9, 1);
	ioapic_set_irq(&t.ioapic, 9, 0);
	EXPECT_NE(0u, rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	/* The same vector as an edge IPI on vCPU 1, EOIed there. */
	send_ipi(0, 1, ICR_FIXED(0x39));
	EXPECT_EQ(take(1), 0x39);
	wr(1, LAPIC_EOI, 0);
	EXPECT_NE(0u, rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	/* vCPU 0's EOI of the level one is. */
	EXPECT_EQ(take(0), 0x39);
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!(rte_low(9) & IOAPIC_RTE_REMOTE_IRR));
}

/* Polarity is kept for the guest; the level given is the logical one. */
TEST(ioapic_active_low)
{
	setup();
	linux_setup(0);
	route(12, RTE_LEVEL(0x3c) | IOAPIC_RTE_ACTIVE_LOW, 0);
	EXPECT_NE(0u, rte_low(12) & IOAPIC_RTE_ACTIVE_LOW);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0x3c));
	ioapic_set_irq(&t.ioapic, 12, 1);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x3c));
}

/* A level pin asserted again and again while Remote IRR is set: one. */
TEST(ioapic_level_coalesce)
{
	setup();
	linux_setup(0);
	route(14, RTE_LEVEL(0x85), 0);
	ioapic_set_irq(&t.ioapic, 14, 1);
	ioapic_set_irq(&t.ioapic, 14, 1);
	/* A second device on the shared line, while the first is pending. */
	ioapic_set_irq(&t.ioapic, 14, 0);
	ioapic_set_irq(&t.ioapic, 14, 1);
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(take(0), 0x85);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* The handler serves both and the line goes down before EOI. */
	ioapic_set_irq(&t.ioapic, 14, 0);
	wr(0, LAPIC_EOI, 0);
	EXPECT_TRUE(!(rte_low(14) & IOAPIC_RTE_REMOTE_IRR));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	EXPECT_EQ(t.kicks[0], 1u);
}

/* One level interrupt after the other: each is delivered. */
TEST(ioapic_level_sequential)
{
	setup();
	linux_setup(0);
	route(14, RTE_LEVEL(0x86), 0);
	/* Handler lowers the line, then EOIs. */
	ioapic_set_irq(&t.ioapic, 14, 1);
	EXPECT_EQ(take(0), 0x86);
	ioapic_set_irq(&t.ioapic, 14, 0);
	wr(0, LAPIC_EOI, 0);
	ioapic_set_irq(&t.ioapic, 14, 1);
	EXPECT_EQ(take(0), 0x86);
	EXPECT_EQ(t.kicks[0], 2u);
	/* Handler EOIs first, the line still asserted: once more, at EOI. */
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(t.kicks[0], 3u);
	ioapic_set_irq(&t.ioapic, 14, 0);
	/* ... and a new assertion while that one waits adds nothing. */
	ioapic_set_irq(&t.ioapic, 14, 1);
	EXPECT_EQ(t.kicks[0], 3u);
	EXPECT_EQ(take(0), 0x86);
	ioapic_set_irq(&t.ioapic, 14, 0);
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	EXPECT_TRUE(!(rte_low(14) & IOAPIC_RTE_REMOTE_IRR));
	EXPECT_EQ(t.kicks[0], 3u);
}

/* Edge pins: one interrupt per rising edge, no Remote IRR, no EOI wait. */
TEST(ioapic_edge_sequential)
{
	setup();
	linux_setup(0);
	route(3, RTE_EDGE(0x33), 0);
	ioapic_set_irq(&t.ioapic, 3, 1);
	ioapic_set_irq(&t.ioapic, 3, 0);
	EXPECT_EQ(take(0), 0x33);
	/* A new edge while the first is in service: pending behind it. */
	ioapic_set_irq(&t.ioapic, 3, 1);
	ioapic_set_irq(&t.ioapic, 3, 0);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x33));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Two edges before the vCPU takes the first: IRR holds one. */
	ioapic_set_irq(&t.ioapic, 3, 1);
	ioapic_set_irq(&t.ioapic, 3, 0);
	EXPECT_EQ(t.kicks[0], 1u);
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(take(0), 0x33);
	wr(0, LAPIC_EOI, 0);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	EXPECT_TRUE(!(rte_low(3) & IOAPIC_RTE_REMOTE_IRR));
}

/*
 * A level interrupt nobody accepts (the target software-disabled) sets
 * no Remote IRR: no EOI will ever come for it.
 */
TEST(ioapic_level_unaccepted)
{
	setup_linux(0, 1);
	wr(1, LAPIC_SVR, 0xff);
	route(15, RTE_LEVEL(0x3f), 1);
	ioapic_set_irq(&t.ioapic, 15, 1);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x3f));
	EXPECT_TRUE(!(rte_low(15) & IOAPIC_RTE_REMOTE_IRR));
	/* Nobody at that destination either. */
	route(15, RTE_LEVEL(0x3f), 7);
	EXPECT_TRUE(!(rte_low(15) & IOAPIC_RTE_REMOTE_IRR));
	/* Enabled, the next assertion is delivered and waits for EOI. */
	wr(1, LAPIC_SVR, SVR_ON);
	route(15, RTE_LEVEL(0x3f) | IOAPIC_RTE_MASKED, 1);
	route(15, RTE_LEVEL(0x3f), 1);
	EXPECT_EQ(take(1), 0x3f);
	EXPECT_NE(0u, rte_low(15) & IOAPIC_RTE_REMOTE_IRR);
	ioapic_set_irq(&t.ioapic, 15, 0);
	wr(1, LAPIC_EOI, 0);
	EXPECT_TRUE(!(rte_low(15) & IOAPIC_RTE_REMOTE_IRR));
}

TEST(msi_decode)
{
	setup_linux(0, 3);
	/* Physical destination 3, fixed, edge. */
	apic_bus_msi(&t.apic_bus, 0xfee03000, 0x0041);
	EXPECT_EQ(irr_cpus(0x41), CPU1);
	EXPECT_TRUE(!vec_bit(1, LAPIC_TMR, 0x41));
	/* Logical destination 0x01 (vCPU 0's LDR), level-triggered. */
	apic_bus_msi(&t.apic_bus, 0xfee01004, 0x8042);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0x42));
	EXPECT_TRUE(vec_bit(0, LAPIC_TMR, 0x42));
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x42));
	/* Lowest priority to both: one gets it. */
	apic_bus_msi(&t.apic_bus, 0xfee03004, 0x0143);
	EXPECT_EQ(vec_bit(0, LAPIC_IRR, 0x43) + vec_bit(1, LAPIC_IRR, 0x43), 1);
	/* NMI by MSI. */
	apic_bus_msi(&t.apic_bus, 0xfee03000, 0x0400);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	/* Not the MSI window: dropped. */
	apic_bus_msi(&t.apic_bus, 0xfed03000, 0x0044);
	apic_bus_msi(&t.apic_bus, 0x1fee03000ULL, 0x0044);
	apic_bus_msi(&t.apic_bus, 0xfef03000, 0x0044);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x44));
	/* Top of the window, broadcast. */
	apic_bus_msi(&t.apic_bus, 0xfeeff000 | 0xffc, 0x0045);
	EXPECT_EQ(irr_cpus(0x45), BOTH);
	/* SMI and ExtINT messages do nothing. */
	apic_bus_msi(&t.apic_bus, 0xfee03000, 0x0246);
	apic_bus_msi(&t.apic_bus, 0xfee03000, 0x0746);
	EXPECT_TRUE(!vec_bit(1, LAPIC_IRR, 0x46));
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
}

/*
 * x2APIC mode (SDM 11.12) and the APIC base MSR: the module's notices
 * reach the model through lapic_set_base(), the guest's RDMSR/WRMSR
 * of 0x800-0x8ff through lapic_rdmsr()/lapic_wrmsr().
 */
#define X2(reg)		(LAPIC_X2APIC_MSR_FIRST + \
			 ((reg) >> LAPIC_X2APIC_MSR_SHIFT))
#define GP		0xdeadbeefdeadbeefULL	/* what rdmsr() gives for #GP */
#define BASE_XAPIC	(LAPIC_MMIO_BASE | LAPIC_BASE_EN)
#define BASE_X2APIC	(BASE_XAPIC | LAPIC_BASE_EXTD)
#define BASE_OFF	LAPIC_MMIO_BASE		/* EN clear: hardware-disabled */

/* x2APIC ICR: destination in 63:32. */
#define ICR64(dest, low) ((uint64_t)(dest) << 32 | (low))

static uint64_t rdmsr(unsigned int cpu, uint32_t msr)
{
	uint64_t val;

	return lapic_rdmsr(&t.lapic[cpu], msr, &val) ? val : GP;
}

static bool wrmsr(unsigned int cpu, uint32_t msr, uint64_t val)
{
	return lapic_wrmsr(&t.lapic[cpu], msr, val);
}

static void set_base(unsigned int cpu, uint64_t base)
{
	lapic_set_base(&t.lapic[cpu], base);
}

static void send_ipi_x2(unsigned int cpu, uint32_t dest, uint32_t low)
{
	wrmsr(cpu, X2(LAPIC_ICR_LOW), ICR64(dest, low));
}

/* Bit @vector of ISR, TMR or IRR: through MSRs in x2APIC mode, else MMIO. */
static bool vec_bit_x2(unsigned int cpu, unsigned int base, uint8_t vector)
{
	unsigned int reg = base + vector / 32 * LAPIC_REG_STRIDE;

	if (!lapic_x2apic_mode(&t.lapic[cpu]))
		return vec_bit(cpu, base, vector);
	return rdmsr(cpu, X2(reg)) & 1u << (vector % 32);
}

/* irr_cpus(), each vCPU read in its own mode. */
static unsigned int irr_cpus_x2(uint8_t vector)
{
	unsigned int cpu, cpus = 0;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		if (vec_bit_x2(cpu, LAPIC_IRR, vector))
			cpus |= 1u << cpu;
	return cpus;
}

/* Both APICs in x2APIC mode, enabled with TPR 0 (Linux's x2apic_phys). */
static void setup_x2apic(uint8_t id0, uint8_t id1)
{
	unsigned int cpu;

	setup_ids(id0, id1);
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		set_base(cpu, BASE_X2APIC);
		wrmsr(cpu, X2(LAPIC_TPR), 0);
		wrmsr(cpu, X2(LAPIC_SVR), SVR_ON);
	}
}

/* Every register of the page reads all ones, for MMIO that is no APIC. */
static bool page_all_ones(unsigned int cpu)
{
	unsigned int off;

	for (off = 0; off < LAPIC_MMIO_SIZE; off += LAPIC_REG_STRIDE)
		if (rd(cpu, off) != 0xffffffff)
			return false;
	return true;
}

TEST(x2apic_registers)
{
	setup_ids(0, 0x25);
	wr(1, LAPIC_ID, 0x07000000);	/* an xAPIC ID the guest changed */
	wr(1, LAPIC_LDR, 0x80000000);
	/* Not in x2APIC mode: every MSR is #GP. */
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ID)), GP);
	EXPECT_TRUE(!wrmsr(1, X2(LAPIC_TPR), 0));
	set_base(1, BASE_X2APIC);
	EXPECT_TRUE(lapic_x2apic_mode(&t.lapic[1]));
	/* The 32-bit x2APIC ID is the initial one; LDR follows from it. */
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ID)), 0x25u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LDR)), (2u << 16) | (1u << 5));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_VERSION)), 0x00050014u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_SVR)), 0xffu);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_SVR), SVR_ON));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_SVR)), (uint64_t)SVR_ON);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_TPR), 0x30));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TPR)), 0x30u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_PPR)), 0x30u);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_LVT_LINT0), LVT_DM(APIC_DM_EXTINT)));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LVT_LINT0)),
		  (uint64_t)LVT_DM(APIC_DM_EXTINT));
	/* Delivery status and Remote IRR are read-only bits, not reserved. */
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_LVT_LINT1),
			  LAPIC_LVT_PENDING | LAPIC_LVT_REMOTE_IRR | 0x44));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LVT_LINT1)), 0x44u);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_TIMER_DIV), DIV_16));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TIMER_DIV)), (uint64_t)DIV_16);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_LVT_TIMER), TIMER_ONESHOT(0xec)));
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_TIMER_INIT), 1000));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TIMER_INIT)), 1000u);
	vm_clock_fake_advance(&t.clock, 1600);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TIMER_CUR)), 900u);
	/* IRR, ISR and TMR through their MSRs. */
	deliver_fixed(0x25, false, 0x61);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_IRR + 3 * LAPIC_REG_STRIDE)), 2u);
	EXPECT_EQ(take(1), 0x61);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ISR + 3 * LAPIC_REG_STRIDE)), 2u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TMR + 3 * LAPIC_REG_STRIDE)), 0u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_PPR)), 0x60u);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_EOI), 0));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ISR + 3 * LAPIC_REG_STRIDE)), 0u);
	/* ESR: a write of 0 latches. */
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_SELF_IPI), 0x05));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ESR)), 0u);
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_ESR), 0));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ESR)), (uint64_t)LAPIC_ESR_SEND_ILLEGAL);
	/* The xAPIC page is not the APIC's in x2APIC mode. */
	EXPECT_TRUE(page_all_ones(1));
	wr(1, LAPIC_TPR, 0x70);
	wr(1, LAPIC_EOI, 0);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TPR)), 0x30u);
	EXPECT_TRUE(!lapic_mmio_claims(&t.lapic[1], LAPIC_MMIO_BASE));
	/* vCPU 0 stays in xAPIC mode, its page its own. */
	EXPECT_EQ(rd(0, LAPIC_VERSION), 0x00050014u);
	EXPECT_TRUE(lapic_mmio_claims(&t.lapic[0], LAPIC_MMIO_BASE + 0xff0));
}

/* SDM 11.12.1.2-3: what RDMSR and WRMSR refuse with #GP. */
TEST(x2apic_gp)
{
	static const unsigned int no_read[] = {
		LAPIC_EOI, LAPIC_SELF_IPI, LAPIC_APR, LAPIC_RRD, LAPIC_DFR,
		LAPIC_ICR_HIGH, 0x2f0 /* CMCI */, 0x000, 0x010, 0x040,
		0x290, 0x3a0, 0xff0,
	};
	static const unsigned int read_only[] = {
		LAPIC_ID, LAPIC_VERSION, LAPIC_LDR, LAPIC_PPR, LAPIC_ISR,
		LAPIC_TMR + 0x70, LAPIC_IRR + 0x30, LAPIC_TIMER_CUR,
		LAPIC_APR, LAPIC_RRD, LAPIC_DFR, LAPIC_ICR_HIGH, 0x2f0, 0xff0,
	};
	unsigned int i;

	setup_x2apic(0, 1);
	for (i = 0; i < sizeof(no_read) / sizeof(no_read[0]); i++)
		EXPECT_EQ(rdmsr(0, X2(no_read[i])), GP);
	for (i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		EXPECT_TRUE(!wrmsr(0, X2(read_only[i]), 0));
	/* The ID stays what it is. */
	EXPECT_EQ(rdmsr(0, X2(LAPIC_ID)), 0u);
	/* Nonzero EOI and ESR writes. */
	send_ipi_x2(0, 0, ICR_FIXED(0x50) | ICR_SH(APIC_SH_SELF));
	EXPECT_EQ(take(0), 0x50);
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_EOI), 1));
	EXPECT_TRUE(vec_bit_x2(0, LAPIC_ISR, 0x50));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_ESR), 1));
	/* Reserved bits: 63:32 of any register but ICR, and each one's own. */
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_TPR), 1ULL << 32));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_TPR), 0x100));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_SVR), SVR_ON | 1u << 12));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_LVT_ERROR), LVT_DM(APIC_DM_NMI) | 0xfe));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_LVT_TIMER), LAPIC_LVT_TSC_DEADLINE));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_LVT_LINT0), 1u << 17));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_TIMER_DIV), 0x4));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_TIMER_INIT), 1ULL << 32));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_SELF_IPI), 0x150));
	/* ICR: no delivery status (bit 12), nor 13, 16, 17, 20-31. */
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(1, ICR_FIXED(0x51) |
							  1u << 12)));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(1, ICR_FIXED(0x51) |
							  1u << 13)));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(1, ICR_FIXED(0x51) |
							  1u << 16)));
	EXPECT_TRUE(!wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(1, ICR_FIXED(0x51) |
							  1u << 31)));
	EXPECT_EQ(irr_cpus_x2(0x51), 0u);
	/* A refused write changed nothing. */
	EXPECT_EQ(rdmsr(0, X2(LAPIC_TPR)), 0u);
	EXPECT_EQ(rdmsr(0, X2(LAPIC_SVR)), (uint64_t)SVR_ON);
	EXPECT_EQ(rdmsr(0, X2(LAPIC_LVT_ERROR)), (uint64_t)LAPIC_LVT_MASKED);
	EXPECT_EQ(rdmsr(0, X2(LAPIC_ICR_LOW)),
		  ICR64(0, ICR_FIXED(0x50) | ICR_SH(APIC_SH_SELF)));
	/* Outside 0x800-0x8ff: not the APIC's. */
	EXPECT_TRUE(!wrmsr(0, 0x7ff, 0));
	EXPECT_TRUE(!wrmsr(0, 0x900, 0));
	EXPECT_EQ(rdmsr(0, 0x900), GP);
}

TEST(x2apic_self_ipi)
{
	setup_x2apic(0, 1);
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(1, ICR_FIXED(0x70)));
	EXPECT_EQ(irr_cpus_x2(0x70), CPU1);
	EXPECT_TRUE(wrmsr(0, X2(LAPIC_SELF_IPI), 0x71));
	EXPECT_EQ(irr_cpus_x2(0x71), CPU0);
	EXPECT_TRUE(!vec_bit_x2(0, LAPIC_TMR, 0x71));
	EXPECT_EQ(t.kicks[0], 1u);
	/* ICR keeps the last IPI sent through it. */
	EXPECT_EQ(rdmsr(0, X2(LAPIC_ICR_LOW)), ICR64(1, ICR_FIXED(0x70)));
	EXPECT_EQ(take(0), 0x71);
	EXPECT_TRUE(wrmsr(0, X2(LAPIC_EOI), 0));
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* A vector 0-15 is refused at the sender (Send Illegal Vector). */
	wrmsr(0, X2(LAPIC_LVT_ERROR), 0xfe);
	EXPECT_TRUE(wrmsr(0, X2(LAPIC_SELF_IPI), 0x0f));
	EXPECT_TRUE(!vec_bit_x2(0, LAPIC_IRR, 0x0f));
	wrmsr(0, X2(LAPIC_ESR), 0);
	EXPECT_EQ(rdmsr(0, X2(LAPIC_ESR)), (uint64_t)LAPIC_ESR_SEND_ILLEGAL);
	EXPECT_EQ(take(0), 0xfe);
	/* Software-disabled: no fixed interrupt, not even its own. */
	wrmsr(0, X2(LAPIC_EOI), 0);
	wrmsr(0, X2(LAPIC_SVR), 0xff);
	EXPECT_TRUE(wrmsr(0, X2(LAPIC_SELF_IPI), 0x72));
	EXPECT_TRUE(!vec_bit_x2(0, LAPIC_IRR, 0x72));
}

/* SDM 11.12.9-10: 32-bit destinations, physical and logical (cluster). */
TEST(x2apic_icr_destinations)
{
	setup_x2apic(0, 0x21);	/* LDRs 0x00000001 and 0x00020002 */
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LDR)), 0x00020002u);
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x21, ICR_FIXED(0x40)));
	EXPECT_EQ(irr_cpus_x2(0x40), CPU1);
	EXPECT_EQ(rdmsr(0, X2(LAPIC_ICR_LOW)), ICR64(0x21, ICR_FIXED(0x40)));
	/* All 32 bits count: 0x121 is nobody (8 bits would be 0x21). */
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x121, ICR_FIXED(0x41)));
	EXPECT_EQ(irr_cpus_x2(0x41), 0u);
	/* 0xff is no broadcast in x2APIC mode; 0xffffffff is. */
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0xff, ICR_FIXED(0x42)));
	EXPECT_EQ(irr_cpus_x2(0x42), 0u);
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0xffffffff, ICR_FIXED(0x43)));
	EXPECT_EQ(irr_cpus_x2(0x43), BOTH);
	/* Logical: cluster 2, member bit 1. */
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x00020002, ICR_FIXED(0x44) |
					   LAPIC_ICR_DEST_LOGICAL));
	EXPECT_EQ(irr_cpus_x2(0x44), CPU1);
	/* Right member in the wrong cluster, or the other way round. */
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x00000002, ICR_FIXED(0x45) |
					   LAPIC_ICR_DEST_LOGICAL));
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x00020001, ICR_FIXED(0x45) |
					   LAPIC_ICR_DEST_LOGICAL));
	EXPECT_EQ(irr_cpus_x2(0x45), 0u);
	wrmsr(1, X2(LAPIC_ICR_LOW), ICR64(0x00000001, ICR_FIXED(0x46) |
					   LAPIC_ICR_DEST_LOGICAL));
	EXPECT_EQ(irr_cpus_x2(0x46), CPU0);
	wrmsr(1, X2(LAPIC_ICR_LOW), ICR64(0xffffffff, ICR_FIXED(0x47) |
					   LAPIC_ICR_DEST_LOGICAL));
	EXPECT_EQ(irr_cpus_x2(0x47), BOTH);
	/* NMI, INIT and SIPI the same way. */
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x21, ICR_NMI));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x21, ICR_INIT_ASSERT));
	EXPECT_EQ(t.inits[1], 1u);
	wrmsr(0, X2(LAPIC_ICR_LOW), ICR64(0x21, ICR_SIPI(0x9a)));
	EXPECT_EQ(t.sipi_vector[1], 0x9a);
	/* INIT kept x2APIC mode and the derived LDR (11.12.5.1). */
	EXPECT_TRUE(lapic_x2apic_mode(&t.lapic[1]));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LDR)), 0x00020002u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_SVR)), 0xffu);
}

/*
 * The I/O APIC and MSI still send 8-bit destinations: an x2APIC-mode
 * APIC takes them by its x2APIC ID, 0xff as all, logical as cluster 0.
 */
TEST(x2apic_ioapic_and_msi)
{
	setup_x2apic(0, 1);
	route(3, RTE_EDGE(0x33), 1);
	ioapic_set_irq(&t.ioapic, 3, 1);
	EXPECT_EQ(irr_cpus_x2(0x33), CPU1);
	route(4, RTE_LEVEL(0x34), 0xff);
	ioapic_set_irq(&t.ioapic, 4, 1);
	EXPECT_EQ(irr_cpus_x2(0x34), BOTH);
	route(5, RTE_EDGE(0x35) | IOAPIC_RTE_LOGICAL, 0x02);
	ioapic_set_irq(&t.ioapic, 5, 1);
	EXPECT_EQ(irr_cpus_x2(0x35), CPU1);
	apic_bus_msi(&t.apic_bus, 0xfee00000, 0x0036);
	EXPECT_EQ(irr_cpus_x2(0x36), CPU0);
	apic_bus_msi(&t.apic_bus, 0xfee0f000, 0x0037);	/* ID 0x0f: none */
	EXPECT_EQ(irr_cpus_x2(0x37), 0u);
	/* A level one is EOIed through the x2APIC EOI MSR. */
	EXPECT_EQ(take(0), 0x36);
	wrmsr(0, X2(LAPIC_EOI), 0);
	EXPECT_EQ(take(0), 0x34);
	EXPECT_NE(0u, rte_low(4) & IOAPIC_RTE_REMOTE_IRR);
	ioapic_set_irq(&t.ioapic, 4, 0);
	wrmsr(0, X2(LAPIC_EOI), 0);
	EXPECT_TRUE(!(rte_low(4) & IOAPIC_RTE_REMOTE_IRR));
}

/* xAPIC to x2APIC (11.12.5.1): the state stays, ID and LDR change. */
TEST(apic_base_to_x2apic)
{
	setup_linux(0, 1);
	wr(1, LAPIC_ID, 0x05000000);
	wr(1, LAPIC_TPR, 0x20);
	wr(1, LAPIC_LVT_LINT1, LVT_DM(APIC_DM_NMI));
	send_ipi(0, 5, ICR_FIXED(0x61));
	send_ipi(0, 5, ICR_FIXED(0x91));
	EXPECT_EQ(take(1), 0x91);
	set_base(1, BASE_X2APIC);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ID)), 1u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LDR)), 0x2u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TPR)), 0x20u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_SVR)), (uint64_t)SVR_ON);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_LVT_LINT1)), (uint64_t)LVT_DM(APIC_DM_NMI));
	EXPECT_TRUE(vec_bit_x2(1, LAPIC_IRR, 0x61));
	EXPECT_TRUE(vec_bit_x2(1, LAPIC_ISR, 0x91));
	wrmsr(1, X2(LAPIC_EOI), 0);
	EXPECT_EQ(take(1), 0x61);
	/* Its new ID is what messages now name. */
	deliver_fixed(1, false, 0x62);
	EXPECT_EQ(irr_cpus_x2(0x62), CPU1);
	EXPECT_TRUE(page_all_ones(1));
}

/*
 * EN cleared (SDM 11.4.3): power-up state, no messages, no page, LINT0
 * and LINT1 as INTR and NMI; set again, the APIC starts afresh.
 */
TEST(apic_base_hw_disable)
{
	unsigned int kicks;

	setup_linux(0, 1);
	wr(1, LAPIC_ID, 0x07000000);
	wr(1, LAPIC_TPR, 0x10);
	wr(1, LAPIC_LVT_TIMER, TIMER_PERIODIC(0xec));
	wr(1, LAPIC_TIMER_INIT, 1000);
	route(9, RTE_LEVEL(0x39), 7);
	send_ipi(0, 7, ICR_FIXED(0x41));
	send_ipi(0, 7, ICR_NMI);
	ioapic_set_irq(&t.ioapic, 9, 1);
	EXPECT_NE(0u, rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	set_base(1, BASE_OFF);
	EXPECT_TRUE(!lapic_hw_enabled(&t.lapic[1]));
	EXPECT_EQ(lapic_pending(&t.lapic[1]), -1);
	EXPECT_TRUE(!t.lapic[1].timer.armed);
	/* The NMI latch is the processor's: it stays. */
	EXPECT_TRUE(lapic_nmi_pending(&t.lapic[1]));
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	/* No page: all ones, writes dropped; no MSRs either. */
	EXPECT_TRUE(page_all_ones(1));
	wr(1, LAPIC_SVR, SVR_ON);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_SVR)), GP);
	EXPECT_TRUE(!lapic_mmio_claims(&t.lapic[1], LAPIC_MMIO_BASE));
	/* No message reaches it, whatever its kind or destination. */
	kicks = t.kicks[1];
	send_ipi(0, 1, ICR_FIXED(0x42));
	send_ipi(0, 0, ICR_FIXED(0x43) | ICR_SH(APIC_SH_OTHERS));
	send_ipi(0, 1, ICR_NMI);
	send_ipi(0, 0xff, ICR_INIT_ASSERT | ICR_SH(APIC_SH_OTHERS));
	send_ipi(0, 1, ICR_SIPI(0x10));
	apic_bus_msi(&t.apic_bus, 0xfee01000, 0x0044);
	EXPECT_EQ(t.kicks[1], kicks);
	EXPECT_EQ(t.inits[1], 0u);
	EXPECT_EQ(t.sipis[1], 0u);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
	/* A level interrupt it cannot take sets no Remote IRR. */
	route(10, RTE_LEVEL(0x3a), 1);
	ioapic_set_irq(&t.ioapic, 10, 1);
	EXPECT_TRUE(!(rte_low(10) & IOAPIC_RTE_REMOTE_IRR));
	/* LINT0 is INTR (the PIC), LINT1 the NMI pin. */
	EXPECT_TRUE(lapic_accepts_pic(&t.lapic[1]));
	lapic_set_lint(&t.lapic[1], LVT_LINT0, 1);
	EXPECT_EQ(t.kicks[1], kicks + 1);
	lapic_set_lint(&t.lapic[1], LVT_LINT1, 1);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	lapic_set_lint(&t.lapic[1], LVT_LINT1, 1);
	EXPECT_TRUE(!lapic_take_nmi(&t.lapic[1]));
	lapic_set_lint(&t.lapic[1], LVT_LINT1, 0);
	lapic_set_lint(&t.lapic[1], LVT_LINT0, 0);
	/* Enabled again: the power-up state, the initial ID. */
	set_base(1, BASE_XAPIC);
	EXPECT_TRUE(lapic_mmio_claims(&t.lapic[1], LAPIC_MMIO_BASE));
	EXPECT_EQ(rd(1, LAPIC_ID), 0x01000000u);
	EXPECT_EQ(rd(1, LAPIC_TPR), 0u);
	EXPECT_EQ(rd(1, LAPIC_SVR), 0xffu);
	EXPECT_EQ(rd(1, LAPIC_LDR), 0u);
	EXPECT_EQ(rd(1, LAPIC_DFR), 0xffffffffu);
	EXPECT_EQ(rd(1, LAPIC_LVT_TIMER), LAPIC_LVT_MASKED);
	EXPECT_EQ(rd(1, LAPIC_TIMER_INIT), 0u);
	EXPECT_EQ(rd(1, LAPIC_IRR + 0x20), 0u);
	EXPECT_EQ(rd(1, LAPIC_ISR + 0x20), 0u);
	/* And it takes messages again: an NMI (it is software-disabled). */
	send_ipi(0, 1, ICR_NMI);
	EXPECT_TRUE(lapic_take_nmi(&t.lapic[1]));
	/* From disabled straight to x2APIC mode is allowed too. */
	set_base(1, BASE_OFF);
	set_base(1, BASE_X2APIC);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_ID)), 1u);
	EXPECT_EQ(rdmsr(1, X2(LAPIC_SVR)), 0xffu);
	/* x2APIC to disabled resets too. */
	wrmsr(1, X2(LAPIC_TPR), 0x30);
	set_base(1, BASE_OFF);
	set_base(1, BASE_XAPIC);
	EXPECT_EQ(rd(1, LAPIC_TPR), 0u);
}

/* The page sits where IA32_APIC_BASE puts it; a BSP-flag change is no reset. */
TEST(apic_base_moves_page)
{
	setup_linux(0, 1);
	EXPECT_TRUE(lapic_mmio_claims(&t.lapic[0], 0xfee00000));
	EXPECT_TRUE(lapic_mmio_claims(&t.lapic[0], 0xfee00fff));
	EXPECT_TRUE(!lapic_mmio_claims(&t.lapic[0], 0xfee01000));
	EXPECT_TRUE(!lapic_mmio_claims(&t.lapic[0], 0xfedfffff));
	set_base(0, 0xfed00000 | LAPIC_BASE_EN | LAPIC_BASE_BSP);
	EXPECT_TRUE(lapic_mmio_claims(&t.lapic[0], 0xfed00020));
	EXPECT_TRUE(!lapic_mmio_claims(&t.lapic[0], 0xfee00020));
	EXPECT_EQ(rd(0, LAPIC_SVR), (uint32_t)SVR_ON);
	EXPECT_EQ(rd(0, LAPIC_LDR), 0x01000000u);
}

/*
 * The TSC-deadline timer (SDM 11.5.4.1), at 2 GHz: a deadline 2000
 * cycles ahead fires in 1000 ns of the device clock.
 */
#define TSC_KHZ		2000000u
#define TSC_AT_START	5000000ULL	/* the guest's TSC at clock 0 */
#define TIMER_DEADLINE(v) (LAPIC_LVT_TSC_DEADLINE | (v))

/* The guest's TSC at the fake clock's now. */
static uint64_t guest_tsc(void)
{
	return TSC_AT_START + t.clock.fake_now * (TSC_KHZ / 1000000);
}

static void deadline(unsigned int cpu, uint64_t tsc)
{
	lapic_tsc_deadline_write(&t.lapic[cpu], tsc, guest_tsc());
}

static uint64_t deadline_rd(unsigned int cpu)
{
	return lapic_tsc_deadline_read(&t.lapic[cpu]);
}

/* One vCPU set up as Linux does, the bus knowing the TSC's rate. */
static void setup_deadline(void)
{
	setup();
	t.apic_bus.tsc_khz = TSC_KHZ;
	linux_setup(0);
	linux_setup(1);
	wr(0, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec));
}

TEST(tsc_deadline_mode_offered)
{
	/* Without the TSC's rate, bit 18 is reserved (read as 0). */
	setup();
	wr(0, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec));
	EXPECT_EQ(rd(0, LAPIC_LVT_TIMER), 0x100ecu);
	EXPECT_TRUE(!lapic_tsc_deadline_mode(&t.lapic[0]));
	deadline(0, 1);
	EXPECT_EQ(deadline_rd(0), 0u);
	setup_deadline();
	EXPECT_EQ(wr_rd(LAPIC_LVT_TIMER, 0xffffffff), 0x700ffu);
	EXPECT_EQ(wr_rd(LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec)), 0x400ecu);
	EXPECT_TRUE(lapic_tsc_deadline_mode(&t.lapic[0]));
}

TEST(tsc_deadline_fires)
{
	setup_deadline();
	vm_clock_fake_advance(&t.clock, 1000);
	deadline(0, guest_tsc() + 2000);
	EXPECT_EQ(deadline_rd(0), guest_tsc() + 2000);
	EXPECT_TRUE(t.lapic[0].timer.armed);
	EXPECT_EQ(t.lapic[0].timer.deadline, 2000u);
	/* No count in this mode. */
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 0u);
	vm_clock_fake_advance(&t.clock, 1999);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	EXPECT_EQ(t.kicks[0], 0u);
	vm_clock_fake_advance(&t.clock, 2000);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0xec));
	EXPECT_EQ(t.kicks[0], 1u);
	/* It disarmed itself: the MSR reads 0, nothing fires again. */
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	EXPECT_EQ(take(0), 0xec);
	wr(0, LAPIC_EOI, 0);
	vm_clock_fake_advance(&t.clock, 1000000);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Rounded up: 3 cycles are 2 ns, not 1. */
	deadline(0, guest_tsc() + 3);
	EXPECT_EQ(t.lapic[0].timer.deadline, 1000000u + 2);
	/* A new deadline replaces the armed one, earlier or later. */
	deadline(0, guest_tsc() + 20000);
	EXPECT_EQ(t.lapic[0].timer.deadline, 1000000u + 10000);
	deadline(0, guest_tsc() + 200);
	EXPECT_EQ(t.lapic[0].timer.deadline, 1000000u + 100);
	vm_clock_fake_advance(&t.clock, 1000000 + 100);
	EXPECT_EQ(take(0), 0xec);
	vm_clock_fake_advance(&t.clock, 1000000 + 20000);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
}

TEST(tsc_deadline_past_and_disarm)
{
	setup_deadline();
	vm_clock_fake_advance(&t.clock, 5000);
	/* Already reached, or passed: at once. */
	deadline(0, guest_tsc());
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0xec));
	EXPECT_EQ(t.kicks[0], 1u);
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	EXPECT_EQ(take(0), 0xec);
	wr(0, LAPIC_EOI, 0);
	deadline(0, 1);
	EXPECT_EQ(take(0), 0xec);
	wr(0, LAPIC_EOI, 0);
	/* 0 disarms. */
	deadline(0, guest_tsc() + 1000);
	deadline(0, 0);
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	vm_clock_fake_advance(&t.clock, 1000000);
	EXPECT_EQ(lapic_pending(&t.lapic[0]), -1);
	/* Masked, as Linux's shutdown leaves it: fires, delivers nothing. */
	deadline(0, guest_tsc() + 1000);
	wr(0, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec) | LAPIC_LVT_MASKED);
	wr(0, LAPIC_TIMER_INIT, 0);
	EXPECT_TRUE(t.lapic[0].timer.armed);
	vm_clock_fake_advance(&t.clock, 1000000 + 500);
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	/* Far away: no overflow of the device clock. */
	deadline(0, UINT64_MAX);
	EXPECT_EQ(deadline_rd(0), UINT64_MAX);
	EXPECT_EQ(t.lapic[0].timer.deadline, 1000500u + (1ULL << 62));
}

/* Changing the timer mode disarms; the count is not in this mode. */
TEST(tsc_deadline_mode_change)
{
	setup_deadline();
	deadline(0, guest_tsc() + 2000);
	wr(0, LAPIC_LVT_TIMER, TIMER_ONESHOT(0xec));
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	vm_clock_fake_advance(&t.clock, 10000);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	/* Outside the mode, the MSR ignores writes and reads 0. */
	deadline(0, guest_tsc() + 2000);
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	/* A running count stops on entering TSC-deadline mode. */
	wr(0, LAPIC_TIMER_INIT, 1000);
	EXPECT_TRUE(t.lapic[0].timer.armed);
	wr(0, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec));
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	EXPECT_EQ(rd(0, LAPIC_TIMER_INIT), 0u);
	EXPECT_EQ(rd(0, LAPIC_TIMER_CUR), 0u);
	/* In the mode, the initial count is ignored. */
	wr(0, LAPIC_TIMER_INIT, 1000);
	EXPECT_EQ(rd(0, LAPIC_TIMER_INIT), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	vm_clock_fake_advance(&t.clock, 1000000);
	EXPECT_TRUE(!vec_bit(0, LAPIC_IRR, 0xec));
	/* Rewriting the entry in the same mode keeps the deadline. */
	deadline(0, guest_tsc() + 2000);
	wr(0, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xed));
	EXPECT_NE(deadline_rd(0), 0u);
	vm_clock_fake_advance(&t.clock, 1001000);
	EXPECT_TRUE(vec_bit(0, LAPIC_IRR, 0xed));
	/* Out to periodic: disarmed. */
	deadline(0, guest_tsc() + 2000);
	wr(0, LAPIC_LVT_TIMER, TIMER_PERIODIC(0xec));
	EXPECT_EQ(deadline_rd(0), 0u);
	EXPECT_TRUE(!t.lapic[0].timer.armed);
	/* INIT and a hardware disable disarm it too. */
	wr(1, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec));
	deadline(1, guest_tsc() + 2000);
	send_ipi(0, 1, ICR_INIT_ASSERT);
	EXPECT_EQ(deadline_rd(1), 0u);
	EXPECT_TRUE(!t.lapic[1].timer.armed);
	wr(1, LAPIC_SVR, SVR_ON);
	wr(1, LAPIC_LVT_TIMER, TIMER_DEADLINE(0xec));
	deadline(1, guest_tsc() + 2000);
	set_base(1, BASE_OFF);
	EXPECT_EQ(deadline_rd(1), 0u);
	EXPECT_TRUE(!t.lapic[1].timer.armed);
}

/* The same through x2APIC MSRs: bit 18 of the LVT is no reserved bit then. */
TEST(tsc_deadline_x2apic)
{
	setup_x2apic(0, 1);
	t.apic_bus.tsc_khz = TSC_KHZ;
	EXPECT_TRUE(wrmsr(1, X2(LAPIC_LVT_TIMER), TIMER_DEADLINE(0xec)));
	deadline(1, guest_tsc() + 4000);
	vm_clock_fake_advance(&t.clock, 2000);
	EXPECT_TRUE(vec_bit_x2(1, LAPIC_IRR, 0xec));
	EXPECT_EQ(rdmsr(1, X2(LAPIC_TIMER_CUR)), 0u);
}

TEST_HARNESS_MAIN
