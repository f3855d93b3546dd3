/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A local APIC (SDM vol. 3 chapter 11), one per vCPU, in the mode its
 * IA32_APIC_BASE says: xAPIC, reached through its 4 KiB MMIO page;
 * x2APIC, reached through MSRs 0x800-0x8ff (SDM 11.12); or disabled.
 * The MSR itself stays in the kernel module, which checks the guest's
 * writes and tells vmctl of each change (lapic_set_base()).  The timer
 * offers one-shot, periodic and, when the bus knows the TSC's rate,
 * TSC-deadline modes.
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

/* IA32_APIC_BASE (SDM 11.4.4, 11.12.1). */
#define LAPIC_BASE_BSP		(1ULL << 8)
#define LAPIC_BASE_EXTD		(1ULL << 10)	/* x2APIC mode */
#define LAPIC_BASE_EN		(1ULL << 11)	/* APIC global enable */
#define LAPIC_BASE_ADDR_MASK	(~0xfffULL)

/*
 * x2APIC mode: the register at MMIO offset o is MSR 0x800 + (o >> 4)
 * (SDM 11.12.1.2), 64 bits wide, the upper half reserved but in ICR.
 */
#define LAPIC_X2APIC_MSR_FIRST	0x800
#define LAPIC_X2APIC_MSR_LAST	0x8ff
#define LAPIC_X2APIC_MSR_SHIFT	4

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
#define LAPIC_SELF_IPI		0x3f0	/* x2APIC mode only: MSR 0x83f */

#define LAPIC_REG_STRIDE	0x10
/* ISR, TMR and IRR: 256 bits each, in 8 registers. */
#define LAPIC_VEC_REGS		8

/* Version register: integrated APIC 0x14, six LVT entries (max 5). */
#define LAPIC_VERSION_VALUE	0x00050014

#define LAPIC_ID_SHIFT		24
#define LAPIC_ID_MASK		0xff000000u
/* x2APIC logical ID (SDM 11.12.10.2): cluster in 31:16, one bit in 15:0. */
#define LAPIC_X2APIC_CLUSTER_SHIFT	16
#define LAPIC_X2APIC_MEMBER_BITS	4
#define LAPIC_X2APIC_MEMBER_MASK	0xffffu
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
/* Timer mode, bits 18:17 (SDM 11.5.1); 11b is reserved, taken as one-shot. */
#define LAPIC_LVT_TIMER_MODE_SHIFT	17
#define LAPIC_LVT_TIMER_MODE_MASK	0x3
#define LAPIC_TIMER_ONESHOT	0
#define LAPIC_TIMER_PERIODIC	1
#define LAPIC_TIMER_TSC_DEADLINE 2
#define LAPIC_LVT_PERIODIC	(LAPIC_TIMER_PERIODIC << \
				 LAPIC_LVT_TIMER_MODE_SHIFT)
#define LAPIC_LVT_TSC_DEADLINE	(LAPIC_TIMER_TSC_DEADLINE << \
				 LAPIC_LVT_TIMER_MODE_SHIFT)
#define LAPIC_LVT_TIMER_MASK	(LAPIC_LVT_VECTOR | LAPIC_LVT_MASKED | \
				 LAPIC_LVT_PERIODIC)
#define LAPIC_LVT_DM_BITS	(LAPIC_LVT_DM_MASK << LAPIC_LVT_DM_SHIFT)
#define LAPIC_LVT_LOCAL_MASK	(LAPIC_LVT_VECTOR | LAPIC_LVT_DM_BITS | \
				 LAPIC_LVT_MASKED)
#define LAPIC_LVT_PENDING	(1u << 12)	/* delivery status: idle */
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

/*
 * In-service, trigger-mode and request registers, vector v in bit v % 32,
 * and the interrupt command register: what the module may share.
 */
struct lapic_vectors {
	uint32_t isr[LAPIC_VEC_REGS];
	uint32_t tmr[LAPIC_VEC_REGS];
	uint32_t irr[LAPIC_VEC_REGS];
	uint32_t icr_low;
	uint32_t icr_high;
};

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

	uint32_t initial_id;		/* from the hardware: the x2APIC ID */
	uint64_t apic_base;		/* IA32_APIC_BASE, as the module said */
	uint32_t id;			/* xAPIC register: APIC ID in 31:24 */
	uint32_t tpr;
	uint32_t ldr;
	uint32_t dfr;
	uint32_t svr;
	struct lapic_vectors own;	/* until lapic_share_vectors() */
	struct lapic_vectors *vec;	/* own, or the module's run page */
	uint32_t esr;			/* latched by the last ESR write */
	uint32_t esr_pending;		/* errors seen since */
	uint32_t lvt[LVT_COUNT];
	uint32_t div_conf;
	uint32_t timer_initial;
	uint64_t timer_start;		/* ns when the count was loaded */
	uint64_t timer_tick_ns;		/* ns per count, set at load */
	uint64_t tsc_deadline;		/* IA32_TSC_DEADLINE: 0 disarmed */
	struct vm_timer timer;		/* the count or the TSC deadline */

	bool nmi_pending;
	bool wait_for_sipi;
	uint8_t lint_asserted;		/* LINT0/LINT1 input levels, bit 0/1 */
};

/*
 * Power-up state for vCPU @cpu (< APIC_BUS_MAX_CPUS) with @apic_id, and
 * registration in @bus->lapics[@cpu].  IA32_APIC_BASE is what the module
 * starts a vCPU with: the default base, xAPIC mode, BSP on vCPU 0.
 * vCPUs other than 0 start in wait-for-SIPI, as application processors
 * do.  @bus->tsc_khz must be set before (TSC-deadline mode).
 */
void lapic_init(struct lapic *l, unsigned int cpu, uint8_t apic_id,
		struct apic_bus *bus, struct vm_clock *clock);

/*
 * Keep ISR, TMR, IRR and the ICR at @shared from now on (their values
 * move there): the vCPU's run page, where the kernel module takes the
 * guest's EOIs of edge-triggered vectors (x2APIC and xAPIC) by clearing
 * the highest ISR bit itself while the vCPU runs, and in xAPIC mode the
 * writes of the ICR's high half, the reads of its low half, and the
 * writes of the low half that send an IPI the module takes.  For the
 * EOI, lapic_raise() orders its IRR store before its ISR read with a
 * full barrier (see the module's VMMON_EXIT_EOI).
 */
void lapic_share_vectors(struct lapic *l, struct lapic_vectors *shared);

/*
 * The MMIO page (bus_access_fn, opaque = the struct lapic), also called
 * directly with the offset in the page and @len bytes at @data.  Only
 * aligned 32-bit accesses reach a register; others read 0 or are dropped.
 * Outside xAPIC mode (x2APIC mode, or the APIC disabled in
 * IA32_APIC_BASE) the page is not the APIC's (SDM 11.4.3, 11.12.1.2):
 * it reads as all ones, as a PC's unclaimed addresses do, and drops
 * writes.
 * May call, through the bus: kick (TPR, EOI, SVR and LINT LVT writes on
 * this vCPU; ICR writes on the targets), init and sipi (ICR writes), and
 * through EOI the I/O APIC, which may kick any vCPU.
 */
void lapic_mmio(void *opaque, uint64_t offset, void *data, unsigned int len,
		bool is_write);

/*
 * Whether guest-physical @addr is in this APIC's MMIO page: the 4 KiB
 * at IA32_APIC_BASE's address, in xAPIC mode only.  The page takes its
 * own vCPU's accesses before any device (a base moved over RAM is not
 * seen: RAM never exits).
 */
bool lapic_mmio_claims(const struct lapic *l, uint64_t addr);

/*
 * The module's notice of a guest WRMSR that changed IA32_APIC_BASE to
 * @base (it checked the value and the mode transition, SDM 11.12.5).
 * Clearing EN disables the APIC in hardware (SDM 11.4.3): it returns to
 * its power-up state (ID included), takes no message (fixed, NMI, INIT
 * or SIPI) until enabled again, its LINT0 and LINT1 pins become the
 * processor's INTR and NMI (the PIC reaches the vCPU, LINT1 is an NMI
 * on its rising edge), and its page and MSRs are gone.  Setting EXTD
 * enters x2APIC mode (SDM 11.12.5.1): the ID becomes the 32-bit initial
 * (x2APIC) ID and LDR is derived from it; the rest of the state stays.
 */
void lapic_set_base(struct lapic *l, uint64_t base);

bool lapic_x2apic_mode(const struct lapic *l);

/*
 * For the module's IPIs in xAPIC mode (VMMON_CAP_XAPIC_IPI): whether
 * the APIC is enabled in xAPIC mode (IA32_APIC_BASE and SVR) with the
 * APIC ID it was made with; and its flat logical ID, LDR's bits 31:24
 * while DFR selects the flat model in xAPIC mode, else -1 (the logical
 * destinations it takes follow another rule).
 */
bool lapic_xapic_as_made(const struct lapic *l);
int lapic_flat_id(const struct lapic *l);

/*
 * The guest's RDMSR (*@val filled) or WRMSR of x2APIC register @msr
 * (0x800-0x8ff).  False: the guest gets #GP, as the SDM (11.12.1.2,
 * 11.12.1.3) has it for an APIC not in x2APIC mode, a reserved MSR
 * (APR, RRD, DFR, the ICR's high half, CMCI: this APIC has six LVT
 * entries), a read of a write-only register (EOI, SELF IPI), a write
 * to a read-only one (ID, version, LDR, PPR, ISR, TMR, IRR, current
 * count), a nonzero write to EOI or ESR, and a write that sets a
 * reserved bit (bits 63:32 but in ICR).  Writes act as their xAPIC
 * counterparts, and may call what lapic_mmio() calls; ICR (0x830) is
 * one 64-bit register with a 32-bit destination in 63:32 and no
 * delivery status, SELF IPI (0x83f) sends a fixed edge IPI to this APIC
 * alone without touching ICR.
 */
bool lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val);
bool lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val);

/*
 * IA32_TSC_DEADLINE (SDM 11.5.4.1), meaningful while the LVT timer is in
 * TSC-deadline mode (lapic_tsc_deadline_mode()); the mode is writable
 * only when the bus has the TSC's rate (apic_bus.tsc_khz).  A write of a
 * nonzero @deadline arms the timer to fire when the guest's TSC reaches
 * it, @tsc_now being the guest's TSC at the write: the deadline becomes
 * a time of the device clock at the TSC's rate, so a later change of
 * the guest's TSC does not move it.  A deadline not after @tsc_now fires
 * at once; 0 disarms.  Outside TSC-deadline mode writes are ignored and
 * reads return 0.  The read returns the armed deadline, 0 once it fired
 * (it fires, disarming itself, also while masked, delivering nothing).
 * Entering or leaving TSC-deadline mode (an LVT timer write) disarms the
 * timer, deadline and count alike; in the mode, initial-count writes are
 * ignored and the current count reads 0.  A write may call kick.
 */
bool lapic_tsc_deadline_mode(const struct lapic *l);
uint64_t lapic_tsc_deadline_read(const struct lapic *l);
void lapic_tsc_deadline_write(struct lapic *l, uint64_t deadline,
			      uint64_t tsc_now);

/*
 * The deadline timed elsewhere (the kernel module, while the vCPU runs):
 * lapic_tsc_deadline_hand_over() stops this LAPIC's own timer and
 * returns the armed deadline (0: none); lapic_tsc_deadline_set() takes
 * back what became of it without arming the timer (lapic_tsc_deadline_
 * write() arms it, when the guest's TSC is known); lapic_tsc_deadline_
 * expired() is its firing: the deadline cleared, the LVT's interrupt
 * raised unless masked.  In TSC-deadline mode only.
 */
uint64_t lapic_tsc_deadline_hand_over(struct lapic *l);
void lapic_tsc_deadline_set(struct lapic *l, uint64_t deadline);
void lapic_tsc_deadline_expired(struct lapic *l);

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
 * LINT0 is unmasked in ExtINT mode, while the APIC is software-
 * disabled (the PC's virtual-wire mode until the OS sets up the APIC),
 * or hardware-disabled (LINT0 is then the processor's INTR pin).
 */
bool lapic_accepts_pic(const struct lapic *l);

/*
 * For the bus: whether @dest (physical or @logical) names this APIC.
 * @x2apic_dest: a 32-bit destination from an APIC in x2APIC mode
 * (0xffffffff: all), else an 8-bit xAPIC one (the I/O APIC, MSI, an
 * xAPIC-mode ICR; 0xff: all).  An APIC in x2APIC mode takes 8-bit
 * physical destinations as its x2APIC ID and logical ones as cluster 0
 * (KVM's reading; the SDM leaves it to interrupt remapping).  An APIC in
 * xAPIC mode takes a 32-bit destination only when it is 0xffffffff or,
 * physical, its 8-bit ID: the SDM requires every APIC in one mode.  A
 * hardware-disabled APIC is never named.
 */
bool lapic_match_dest(const struct lapic *l, uint32_t dest, bool logical,
		      bool x2apic_dest);

/*
 * For the bus: an interrupt message arrived.  Fixed and lowest-priority
 * messages set IRR (TMR for @level_trigger), unless the APIC is
 * software-disabled or the vector illegal (0-15: Receive Illegal Vector
 * in ESR); NMI, INIT and STARTUP are taken in any case, but by a
 * hardware-disabled APIC, which takes nothing.  Returns whether the
 * message was accepted.  Calls kick, init and sipi.
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
 * LVT entries are ignored.  While the APIC is hardware-disabled the
 * pins bypass it: LINT0 is INTR (a kick for the PIC), LINT1 the NMI
 * pin (an NMI on its rising edge).  May call kick and init.
 */
void lapic_set_lint(struct lapic *l, enum lapic_lvt lint, int level);

/* For the bus: whether the APIC is software-enabled (SVR bit 8). */
bool lapic_enabled(const struct lapic *l);

/* Whether IA32_APIC_BASE enables the APIC (EN, bit 11). */
bool lapic_hw_enabled(const struct lapic *l);

#endif /* VMCTL_DEV_LAPIC_H */
