/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A local APIC in xAPIC mode (SDM vol. 3 chapter 11), one per vCPU,
 * reached through its 4 KiB MMIO page at LAPIC_MMIO_BASE.  The APIC base
 * MSR stays in the kernel module, which keeps the default base.  The
 * timer offers one-shot and periodic modes; TSC-deadline is not offered.
 */
#ifndef VMCTL_DEV_LAPIC_H
#define VMCTL_DEV_LAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/apic_bus.h"
#include "machine/machine.h"

#define LAPIC_MMIO_BASE		0xfee00000ULL
#define LAPIC_MMIO_SIZE		0x1000

/*
 * The timer's input clock.  Linux calibrates the timer against the PIT,
 * so any rate works; 1 GHz makes one tick a nanosecond.
 */
#define LAPIC_TIMER_HZ		1000000000ULL

/* Register offsets in the MMIO page. */
#define LAPIC_ID		0x020
#define LAPIC_VERSION		0x030
#define LAPIC_TPR		0x080
#define LAPIC_APR		0x090
#define LAPIC_PPR		0x0a0
#define LAPIC_EOI		0x0b0
#define LAPIC_RRD		0x0c0
#define LAPIC_LDR		0x0d0
#define LAPIC_DFR		0x0e0
#define LAPIC_SVR		0x0f0
#define LAPIC_ISR		0x100	/* 8 registers, 16 bytes apart */
#define LAPIC_TMR		0x180
#define LAPIC_IRR		0x200
#define LAPIC_ESR		0x280
#define LAPIC_ICR_LOW		0x300
#define LAPIC_ICR_HIGH		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_THERMAL	0x330
#define LAPIC_LVT_PERF		0x340
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3e0

#define LAPIC_REG_STRIDE	0x10
/* ISR, TMR and IRR: 256 bits each, in 8 registers. */
#define LAPIC_VEC_REGS		8

/* Version register: integrated APIC 0x14, six LVT entries (max 5). */
#define LAPIC_VERSION_VALUE	0x00050014

#define LAPIC_ID_SHIFT		24
#define LAPIC_ID_MASK		0xff000000u
#define LAPIC_TPR_MASK		0xff
#define LAPIC_PRIO_CLASS	0xf0	/* a vector's priority class */
#define LAPIC_LDR_MASK		0xff000000u
#define LAPIC_LDR_SHIFT		24
#define LAPIC_DFR_MODEL_MASK	0xf0000000u
#define LAPIC_DFR_RESERVED	0x0fffffffu	/* read as ones */
#define LAPIC_DFR_FLAT		0xf0000000u
#define LAPIC_DFR_CLUSTER	0x00000000u

#define LAPIC_SVR_VECTOR	0xff
#define LAPIC_SVR_ENABLE	(1u << 8)
#define LAPIC_SVR_FOCUS_OFF	(1u << 9)
#define LAPIC_SVR_MASK		(LAPIC_SVR_VECTOR | LAPIC_SVR_ENABLE | \
				 LAPIC_SVR_FOCUS_OFF)
#define LAPIC_SVR_RESET		0xff

/* ESR bits the model reports. */
#define LAPIC_ESR_SEND_ILLEGAL	(1u << 5)
#define LAPIC_ESR_RECV_ILLEGAL	(1u << 6)

/* Vectors 0-15 are reserved: the APIC refuses them. */
#define LAPIC_FIRST_VALID_VEC	16

/* ICR fields. */
#define LAPIC_ICR_VECTOR	0xff
#define LAPIC_ICR_DM_SHIFT	8
#define LAPIC_ICR_DM_MASK	0x7
#define LAPIC_ICR_DEST_LOGICAL	(1u << 11)
#define LAPIC_ICR_ASSERT	(1u << 14)
#define LAPIC_ICR_TRIGGER_LEVEL	(1u << 15)
#define LAPIC_ICR_SH_SHIFT	18
#define LAPIC_ICR_SH_MASK	0x3
/* Delivery status (bit 12) always reads idle: IPIs are delivered at once. */
#define LAPIC_ICR_LOW_MASK	0x000ccfffu
#define LAPIC_ICR_DEST_SHIFT	24
#define LAPIC_ICR_HIGH_MASK	0xff000000u

/* LVT fields. */
#define LAPIC_LVT_VECTOR	0xff
#define LAPIC_LVT_DM_SHIFT	8
#define LAPIC_LVT_DM_MASK	0x7
#define LAPIC_LVT_MASKED	(1u << 16)
#define LAPIC_LVT_PERIODIC	(1u << 17)
#define LAPIC_LVT_TIMER_MASK	(LAPIC_LVT_VECTOR | LAPIC_LVT_MASKED | \
				 LAPIC_LVT_PERIODIC)
#define LAPIC_LVT_DM_BITS	(LAPIC_LVT_DM_MASK << LAPIC_LVT_DM_SHIFT)
#define LAPIC_LVT_LOCAL_MASK	(LAPIC_LVT_VECTOR | LAPIC_LVT_DM_BITS | \
				 LAPIC_LVT_MASKED)
#define LAPIC_LVT_POLARITY	(1u << 13)
#define LAPIC_LVT_REMOTE_IRR	(1u << 14)	/* LINT0, fixed and level */
#define LAPIC_LVT_TRIGGER_LEVEL	(1u << 15)
#define LAPIC_LVT_LINT_MASK	(LAPIC_LVT_LOCAL_MASK | \
				 LAPIC_LVT_POLARITY | LAPIC_LVT_TRIGGER_LEVEL)
#define LAPIC_LVT_ERROR_MASK	(LAPIC_LVT_VECTOR | LAPIC_LVT_MASKED)

/* Divide configuration: bits 0, 1 and 3 select 2, 4, ... 128, or 1. */
#define LAPIC_DIV_MASK		0xb
#define LAPIC_DIV_LOW		0x3
#define LAPIC_DIV_HIGH		0x8
#define LAPIC_DIV_BY_1		0x7	/* 3-bit code of divide by 1 */

enum lapic_lvt {
	LVT_TIMER,
	LVT_THERMAL,
	LVT_PERF,
	LVT_LINT0,
	LVT_LINT1,
	LVT_ERROR,
	LVT_COUNT
};

struct lapic {
	unsigned int cpu;
	struct apic_bus *bus;
	struct vm_clock *clock;

	uint32_t id;			/* the register: APIC ID in 31:24 */
	uint32_t tpr;
	uint32_t ldr;
	uint32_t dfr;
	uint32_t svr;
	uint32_t isr[LAPIC_VEC_REGS];
	uint32_t tmr[LAPIC_VEC_REGS];
	uint32_t irr[LAPIC_VEC_REGS];
	uint32_t esr;			/* latched by the last ESR write */
	uint32_t esr_pending;		/* errors seen since */
	uint32_t icr_low;
	uint32_t icr_high;
	uint32_t lvt[LVT_COUNT];
	uint32_t div_conf;
	uint32_t timer_initial;
	uint64_t timer_start;		/* ns when the count was loaded */
	uint64_t timer_tick_ns;		/* ns per count, set at load */
	struct vm_timer timer;

	bool nmi_pending;
	bool wait_for_sipi;
	uint8_t lint_asserted;		/* LINT0/LINT1 input levels, bit 0/1 */
};

/*
 * Power-up state for vCPU @cpu (< APIC_BUS_MAX_CPUS) with @apic_id, and
 * registration in @bus->lapics[@cpu].  vCPUs other than 0 start in
 * wait-for-SIPI, as application processors do.
 */
void lapic_init(struct lapic *l, unsigned int cpu, uint8_t apic_id,
		struct apic_bus *bus, struct vm_clock *clock);

/*
 * The MMIO page (bus_access_fn, opaque = the struct lapic), also called
 * directly with the offset in the page and @len bytes at @data.  Only
 * aligned 32-bit accesses reach a register; others read 0 or are dropped.
 * May call, through the bus: kick (TPR, EOI, SVR and LINT LVT writes on
 * this vCPU; ICR writes on the targets), init and sipi (ICR writes), and
 * through EOI the I/O APIC, which may kick any vCPU.
 */
void lapic_mmio(void *opaque, uint64_t offset, void *data, unsigned int len,
		bool is_write);

/*
 * The vector the vCPU would take now: the highest in IRR whose priority
 * class is above PPR's, or -1 (also when the APIC is software-disabled).
 */
int lapic_pending(const struct lapic *l);

/* The vCPU took @vector (from lapic_pending()): IRR to ISR. */
void lapic_accept(struct lapic *l, uint8_t vector);

/*
 * Returns and clears the pending-NMI flag: the vCPU hands the NMI to
 * vmmon, which holds one until the guest can take it.
 */
bool lapic_take_nmi(struct lapic *l);

/* Whether an NMI waits for lapic_take_nmi(): it ends HLT even with IF=0. */
bool lapic_nmi_pending(const struct lapic *l);

/*
 * Whether PIC interrupts (ExtINT through LINT0) reach this vCPU: when
 * LINT0 is unmasked in ExtINT mode, or while the APIC is software-
 * disabled (the PC's virtual-wire mode until the OS sets up the APIC).
 */
bool lapic_accepts_pic(const struct lapic *l);

/* For the bus: whether @dest (physical or @logical) names this APIC. */
bool lapic_match_dest(const struct lapic *l, uint8_t dest, bool logical);

/*
 * For the bus: an interrupt message arrived.  Fixed and lowest-priority
 * messages set IRR (TMR for @level_trigger), unless the APIC is
 * software-disabled or the vector illegal (0-15: Receive Illegal Vector
 * in ESR); NMI, INIT and STARTUP are taken in any case.  Returns whether
 * the message was accepted.  Calls kick, init and sipi.
 */
bool lapic_receive(struct lapic *l, unsigned int delivery_mode,
		   uint8_t vector, bool level_trigger);

/*
 * Drive input pin LINT0 (@lint = LVT_LINT0) or LINT1 (LVT_LINT1) to
 * @level, 1 for asserted, delivered as its LVT entry says (SDM 11.5.1):
 * fixed on the rising edge, or for LINT0 with the level trigger bit
 * while asserted and the entry's Remote IRR is clear (set until the EOI
 * of its vector); NMI and INIT on the rising edge; ExtINT (and any mode
 * while the APIC is software-disabled, LINT0 being the PC's virtual
 * wire) as a kick, the vCPU taking the vector from the PIC.  A masked
 * entry delivers nothing; SMI and reserved modes are dropped.  Other
 * LVT entries are ignored.  May call kick and init.
 */
void lapic_set_lint(struct lapic *l, enum lapic_lvt lint, int level);

/* For the bus: whether the APIC is software-enabled (SVR bit 8). */
bool lapic_enabled(const struct lapic *l);

#endif /* VMCTL_DEV_LAPIC_H */
