// SPDX-License-Identifier: GPL-2.0
/*
 * Local APIC (SDM vol. 3 chapter 11), in xAPIC or x2APIC mode.  The vCPU
 * takes interrupts through lapic_pending()/lapic_accept(); everything
 * the guest does goes through the MMIO page (xAPIC) or the MSRs
 * (x2APIC), both on the same registers.  Interrupts are delivered the
 * moment they are sent, so delivery status bits always read idle.
 */
#include <assert.h>
#include <string.h>
#include "hw/lapic.h"

#define NSEC_PER_SEC		1000000000ULL
#define NSEC_PER_MSEC		1000000ULL
_Static_assert(NSEC_PER_SEC % LAPIC_TIMER_HZ == 0,
	       "the timer tick must be a whole number of nanoseconds");
#define LAPIC_NS_PER_TICK	(NSEC_PER_SEC / LAPIC_TIMER_HZ)

/*
 * A periodic timer fires at most this often, whatever the guest asks:
 * a period of a few ticks would otherwise keep the timer thread (and the
 * machine lock) busy.  The count the guest reads back is not affected.
 */
#define LAPIC_TIMER_MIN_PERIOD_NS	100000ULL

/*
 * A TSC deadline further away than this (146 years) is taken as this
 * far: the device clock's nanoseconds must not overflow.
 */
#define LAPIC_TSC_DEADLINE_MAX_NS	(1ULL << 62)

/* Logical destinations in the cluster model: cluster 7:4, members 3:0. */
#define LAPIC_CLUSTER_SHIFT	4
#define LAPIC_CLUSTER_MEMBERS	0xf

#define VEC_REG_BITS		32

/*
 * What the guest may write in each LVT entry; the rest is read-only.
 * The timer's TSC-deadline mode bit is added where it is offered.
 */
static const uint32_t lvt_write_mask[LVT_COUNT] = {
	[LVT_TIMER]	= LAPIC_LVT_TIMER_MASK,
	[LVT_THERMAL]	= LAPIC_LVT_LOCAL_MASK,
	[LVT_PERF]	= LAPIC_LVT_LOCAL_MASK,
	[LVT_LINT0]	= LAPIC_LVT_LINT_MASK,
	[LVT_LINT1]	= LAPIC_LVT_LINT_MASK,
	[LVT_ERROR]	= LAPIC_LVT_ERROR_MASK,
};

bool lapic_hw_enabled(const struct lapic *l)
{
	return l->apic_base & LAPIC_BASE_EN;
}

bool lapic_x2apic_mode(const struct lapic *l)
{
	return lapic_hw_enabled(l) && (l->apic_base & LAPIC_BASE_EXTD);
}

static bool lapic_xapic_mode(const struct lapic *l)
{
	return lapic_hw_enabled(l) && !(l->apic_base & LAPIC_BASE_EXTD);
}

/* The x2APIC logical ID (SDM 11.12.10.2): read-only, from the x2APIC ID. */
static uint32_t x2apic_ldr(const struct lapic *l)
{
	uint32_t id = l->initial_id;

	return (id >> LAPIC_X2APIC_MEMBER_BITS) << LAPIC_X2APIC_CLUSTER_SHIFT |
	       1u << (id & ((1u << LAPIC_X2APIC_MEMBER_BITS) - 1));
}

static uint32_t lapic_lvt_write_mask(const struct lapic *l,
				     enum lapic_lvt lvt)
{
	uint32_t mask = lvt_write_mask[lvt];

	if (lvt == LVT_TIMER && l->bus->tsc_khz)
		mask |= LAPIC_LVT_TSC_DEADLINE;
	return mask;
}

static unsigned int lapic_timer_mode(const struct lapic *l)
{
	return (l->lvt[LVT_TIMER] >> LAPIC_LVT_TIMER_MODE_SHIFT) &
	       LAPIC_LVT_TIMER_MODE_MASK;
}

bool lapic_tsc_deadline_mode(const struct lapic *l)
{
	return lapic_timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE;
}

/*
 * Locked: with VMMON_APIC_IPI_IN_KERNEL the module sets IRR and clears
 * TMR bits of this APIC while any thread of ours writes them too.
 */
static void vec_set(uint32_t *bits, uint8_t vector)
{
	__atomic_fetch_or(&bits[vector / VEC_REG_BITS],
			  1u << (vector % VEC_REG_BITS), __ATOMIC_SEQ_CST);
}

static void vec_clear(uint32_t *bits, uint8_t vector)
{
	__atomic_fetch_and(&bits[vector / VEC_REG_BITS],
			   ~(1u << (vector % VEC_REG_BITS)), __ATOMIC_SEQ_CST);
}

static uint32_t vec_word(const uint32_t *bits, unsigned int i)
{
	return __atomic_load_n(&bits[i], __ATOMIC_RELAXED);
}

static bool vec_test(const uint32_t *bits, uint8_t vector)
{
	return vec_word(bits, vector / VEC_REG_BITS) &
	       (1u << (vector % VEC_REG_BITS));
}

/* The highest vector set in a 256-bit register, or -1. */
static int vec_highest(const uint32_t *bits)
{
	uint32_t word;
	int i;

	for (i = LAPIC_VEC_REGS - 1; i >= 0; i--) {
		word = vec_word(bits, i);
		if (word)
			return i * VEC_REG_BITS + VEC_REG_BITS - 1 -
			       __builtin_clz(word);
	}
	return -1;
}

/* SDM 11.8.3.1: the higher of TPR and the class of the highest ISR bit. */
static uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->vec->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & LAPIC_PRIO_CLASS;

	if ((l->tpr & LAPIC_PRIO_CLASS) >= isr_class)
		return l->tpr;
	return isr_class;
}

bool lapic_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

bool lapic_xapic_as_made(const struct lapic *l)
{
	return lapic_hw_enabled(l) && !lapic_x2apic_mode(l) &&
	       lapic_enabled(l) && l->id >> LAPIC_ID_SHIFT == l->initial_id;
}

int lapic_flat_id(const struct lapic *l)
{
	if (lapic_x2apic_mode(l) ||
	    (l->dfr & LAPIC_DFR_MODEL_MASK) != LAPIC_DFR_FLAT)
		return -1;
	return l->ldr >> LAPIC_LDR_SHIFT;
}

int lapic_pending(const struct lapic *l)
{
	int vector;

	if (!lapic_hw_enabled(l) || !lapic_enabled(l))
		return -1;
	vector = vec_highest(l->vec->irr);
	if (vector < 0 ||
	    ((uint32_t)vector & LAPIC_PRIO_CLASS) <=
	    (lapic_ppr(l) & LAPIC_PRIO_CLASS))
		return -1;
	return vector;
}

static void lapic_kick(struct lapic *l)
{
	if (l->bus->kick)
		l->bus->kick(l->bus->opaque, l->cpu);
}

/* After anything that may have made an interrupt deliverable. */
static void lapic_update(struct lapic *l)
{
	if (lapic_pending(l) >= 0)
		lapic_kick(l);
}

static unsigned int lvt_mode(uint32_t lvt)
{
	return (lvt >> LAPIC_LVT_DM_SHIFT) & LAPIC_LVT_DM_MASK;
}

static void lapic_error(struct lapic *l, uint32_t error);

/*
 * An interrupt for this APIC: into IRR, TMR saying how it was triggered.
 * Vectors 0-15 are refused (SDM 11.5.3, Receive Illegal Vector), from a
 * message or from an LVT entry alike.  Returns whether IRR was set.
 */
static bool lapic_raise(struct lapic *l, uint8_t vector, bool level_trigger)
{
	if (vector < LAPIC_FIRST_VALID_VEC) {
		lapic_error(l, LAPIC_ESR_RECV_ILLEGAL);
		return false;
	}
	vec_set(l->vec->irr, vector);
	if (level_trigger)
		vec_set(l->vec->tmr, vector);
	else
		vec_clear(l->vec->tmr, vector);
	/*
	 * The IRR bit before the ISR read in lapic_update(): the module
	 * may clear an ISR bit (the guest's EOI) while this vCPU runs, and
	 * reads IRR after that.  With this barrier either it sees the new
	 * bit and returns to the vCPU's thread, or lapic_update() sees the
	 * ISR bit gone and kicks.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lapic_update(l);
	return true;
}

/* NMIs are not counted: one waits, as the CPU's NMI latch holds one. */
static void lapic_nmi(struct lapic *l)
{
	l->nmi_pending = true;
	lapic_kick(l);
}

/*
 * Record an error for the next ESR write to latch, and signal it through
 * LVT Error.  An illegal vector there is not raised, since raising it
 * would report another error.
 */
static void lapic_error(struct lapic *l, uint32_t error)
{
	uint32_t lvt = l->lvt[LVT_ERROR];
	uint8_t vector = lvt & LAPIC_LVT_VECTOR;

	l->esr_pending |= error;
	if (!(lvt & LAPIC_LVT_MASKED) && vector >= LAPIC_FIRST_VALID_VEC)
		lapic_raise(l, vector, false);
}

/* Power-up state, also what INIT leaves: all but the APIC ID (SDM 11.4.7.3). */
static void lapic_reset(struct lapic *l)
{
	unsigned int i;

	vm_timer_cancel(&l->timer);
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = LAPIC_DFR_FLAT | LAPIC_DFR_RESERVED;
	l->svr = LAPIC_SVR_RESET;
	memset(l->vec->isr, 0, sizeof(l->vec->isr));
	memset(l->vec->tmr, 0, sizeof(l->vec->tmr));
	memset(l->vec->irr, 0, sizeof(l->vec->irr));
	l->esr = 0;
	l->esr_pending = 0;
	l->vec->icr_low = 0;
	l->vec->icr_high = 0;
	for (i = 0; i < LVT_COUNT; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
	l->div_conf = 0;
	l->timer_initial = 0;
	l->timer_start = 0;
	l->timer_tick_ns = 0;
	l->tsc_deadline = 0;
	l->nmi_pending = false;
	/* lint_asserted stays: the pins' levels come from outside. */
}

static unsigned int lapic_timer_divisor(const struct lapic *l)
{
	unsigned int code = (l->div_conf & LAPIC_DIV_LOW) |
			    (l->div_conf & LAPIC_DIV_HIGH) >> 1;

	return code == LAPIC_DIV_BY_1 ? 1 : 2u << code;
}

static uint64_t lapic_timer_period(const struct lapic *l)
{
	return (uint64_t)l->timer_initial * l->timer_tick_ns;
}

/*
 * The timer runs while its vm_timer is armed: from a non-zero initial
 * count until a one-shot expiry, or for ever when periodic.
 */
static uint32_t lapic_timer_current(const struct lapic *l)
{
	uint64_t period = lapic_timer_period(l);
	uint64_t elapsed;

	/* Armed in TSC-deadline mode, the timer has no count (11.5.4.1). */
	if (!l->timer.armed || lapic_tsc_deadline_mode(l))
		return 0;
	elapsed = vm_clock_now(l->clock) - l->timer_start;
	if (lapic_timer_mode(l) == LAPIC_TIMER_PERIODIC)
		elapsed %= period;
	else if (elapsed >= period)
		return 0;	/* expired, the timer thread not yet run */
	return l->timer_initial - elapsed / l->timer_tick_ns;
}

/*
 * The LVT's mode (between one-shot and periodic) and mask are read when
 * the timer fires: a change to them applies from the end of the current
 * count.  A TSC deadline disarms itself as it fires (11.5.4.1), masked
 * or not.
 */
static void lapic_timer_fire(void *opaque, uint64_t now)
{
	struct lapic *l = opaque;
	uint32_t lvt = l->lvt[LVT_TIMER];
	uint64_t period = lapic_timer_period(l);
	uint64_t next;

	if (lapic_tsc_deadline_mode(l))
		l->tsc_deadline = 0;
	if (!(lvt & LAPIC_LVT_MASKED))
		lapic_raise(l, lvt & LAPIC_LVT_VECTOR, false);
	if (lapic_timer_mode(l) != LAPIC_TIMER_PERIODIC)
		return;
	/* Periods missed by a late timer thread are skipped, not queued. */
	if (period < LAPIC_TIMER_MIN_PERIOD_NS)
		next = now + LAPIC_TIMER_MIN_PERIOD_NS;
	else
		next = l->timer_start +
		       ((now - l->timer_start) / period + 1) * period;
	vm_timer_arm(&l->timer, next);
}

/*
 * Writing the initial count (re)starts the timer, 0 stops it.  The
 * divisor is latched here, so a divide configuration written while the
 * timer runs applies from the next start (Linux writes it first).
 */
static void lapic_timer_load(struct lapic *l, uint32_t count)
{
	uint64_t now = vm_clock_now(l->clock);

	/* TSC-deadline mode ignores the initial count (11.5.4.1). */
	if (lapic_tsc_deadline_mode(l))
		return;
	l->timer_initial = count;
	l->timer_start = now;
	l->timer_tick_ns = lapic_timer_divisor(l) * LAPIC_NS_PER_TICK;
	if (!count) {
		vm_timer_cancel(&l->timer);
		return;
	}
	vm_timer_arm(&l->timer, now + lapic_timer_period(l));
}

/* Both the count and the deadline stop: a change of timer mode. */
static void lapic_timer_disarm(struct lapic *l)
{
	vm_timer_cancel(&l->timer);
	l->timer_initial = 0;
	l->tsc_deadline = 0;
}

/*
 * TSC cycles as device-clock nanoseconds, rounded up: the timer must not
 * fire before the guest's TSC reaches its deadline.
 */
static uint64_t lapic_tsc_to_ns(const struct lapic *l, uint64_t cycles)
{
	unsigned __int128 ns = (unsigned __int128)cycles * NSEC_PER_MSEC;
	uint32_t khz = l->bus->tsc_khz;

	ns = (ns + khz - 1) / khz;
	return ns < LAPIC_TSC_DEADLINE_MAX_NS ? (uint64_t)ns :
					       LAPIC_TSC_DEADLINE_MAX_NS;
}

uint64_t lapic_tsc_deadline_hand_over(struct lapic *l)
{
	vm_timer_cancel(&l->timer);
	return l->tsc_deadline;
}

void lapic_tsc_deadline_set(struct lapic *l, uint64_t deadline)
{
	if (lapic_tsc_deadline_mode(l))
		l->tsc_deadline = deadline;
}

void lapic_tsc_deadline_expired(struct lapic *l)
{
	if (lapic_tsc_deadline_mode(l))
		lapic_timer_fire(l, vm_clock_now(l->clock));
}

uint64_t lapic_tsc_deadline_read(const struct lapic *l)
{
	/* Cleared on leaving the mode, and when it fires. */
	return l->tsc_deadline;
}

void lapic_tsc_deadline_write(struct lapic *l, uint64_t deadline,
			      uint64_t tsc_now)
{
	uint64_t now;

	/* The mode needs the TSC's rate, so it is never entered without. */
	if (!lapic_tsc_deadline_mode(l) || !l->bus->tsc_khz)
		return;
	vm_timer_cancel(&l->timer);
	l->tsc_deadline = deadline;
	if (!deadline)
		return;
	now = vm_clock_now(l->clock);
	if (deadline <= tsc_now) {
		lapic_timer_fire(l, now);
		return;
	}
	vm_timer_arm(&l->timer, now + lapic_tsc_to_ns(l, deadline - tsc_now));
}

/*
 * Only LINT0 takes level-triggered fixed interrupts: the SDM (11.5.1)
 * says LINT1 does not support them, and NMI, SMI and INIT are always
 * edge, ExtINT always level (the PIC's INTR, which the PIC path polls).
 */
static bool lapic_lint_is_level(const struct lapic *l, enum lapic_lvt lint)
{
	uint32_t lvt = l->lvt[lint];

	return lint == LVT_LINT0 && lvt_mode(lvt) == APIC_DM_FIXED &&
	       (lvt & LAPIC_LVT_TRIGGER_LEVEL);
}

static bool lapic_lint_high(const struct lapic *l, enum lapic_lvt lint)
{
	return l->lint_asserted & 1u << (lint - LVT_LINT0);
}

/*
 * A level-triggered LINT0 interrupts while its line is asserted and its
 * Remote IRR is clear, and sets Remote IRR until its EOI (11.5.1): the
 * I/O APIC's scheme, inside the local APIC.
 */
static void lapic_lint_service(struct lapic *l, enum lapic_lvt lint)
{
	uint32_t lvt = l->lvt[lint];

	if (!lapic_lint_is_level(l, lint) || !lapic_lint_high(l, lint) ||
	    (lvt & (LAPIC_LVT_MASKED | LAPIC_LVT_REMOTE_IRR)))
		return;
	if (lapic_raise(l, lvt & LAPIC_LVT_VECTOR, true))
		l->lvt[lint] |= LAPIC_LVT_REMOTE_IRR;
}

static void lapic_lint_eoi(struct lapic *l, uint8_t vector)
{
	enum lapic_lvt lint;

	for (lint = LVT_LINT0; lint <= LVT_LINT1; lint++) {
		uint32_t lvt = l->lvt[lint];

		if (!(lvt & LAPIC_LVT_REMOTE_IRR) ||
		    (lvt & LAPIC_LVT_VECTOR) != vector)
			continue;
		l->lvt[lint] = lvt & ~LAPIC_LVT_REMOTE_IRR;
		lapic_lint_service(l, lint);
	}
}

static void lapic_eoi(struct lapic *l)
{
	int vector = vec_highest(l->vec->isr);

	if (vector < 0)
		return;
	vec_clear(l->vec->isr, vector);
	lapic_update(l);
	/* Level-triggered: the sources re-deliver lines still asserted. */
	if (vec_test(l->vec->tmr, vector)) {
		lapic_lint_eoi(l, vector);
		apic_bus_eoi(l->bus, vector);
	}
}

/*
 * Send the IPI that ICR low word @icr describes, to @dest: 8 bits in
 * xAPIC mode, 32 in x2APIC mode.
 */
static void lapic_send_ipi(struct lapic *l, uint32_t icr, uint32_t dest)
{
	unsigned int mode = (icr >> LAPIC_ICR_DM_SHIFT) & LAPIC_ICR_DM_MASK;
	uint8_t vector = icr & LAPIC_ICR_VECTOR;
	bool level_trigger = icr & LAPIC_ICR_TRIGGER_LEVEL;

	/*
	 * INIT level de-assert only resynchronises arbitration IDs on old
	 * APIC buses; Linux still sends it after INIT, and it must not
	 * count as a second INIT.
	 */
	if (mode == APIC_DM_INIT && level_trigger && !(icr & LAPIC_ICR_ASSERT))
		return;
	if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) &&
	    vector < LAPIC_FIRST_VALID_VEC) {
		lapic_error(l, LAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	(lapic_x2apic_mode(l) ? apic_bus_deliver_x2apic : apic_bus_deliver)
		(l->bus, dest, icr & LAPIC_ICR_DEST_LOGICAL, mode, vector,
		 level_trigger, (icr >> LAPIC_ICR_SH_SHIFT) & LAPIC_ICR_SH_MASK,
		 l->cpu);
}

/*
 * SDM 11.4.7.2: a software-disabled APIC keeps every LVT entry masked.
 * A LINT entry keeps Remote IRR (read-only) while it stays fixed and
 * level-triggered, as the I/O APIC keeps its own; unmasking a line
 * that is still asserted then interrupts.
 */
static void lapic_write_lvt(struct lapic *l, enum lapic_lvt lvt, uint32_t val)
{
	uint32_t remote_irr = l->lvt[lvt] & LAPIC_LVT_REMOTE_IRR;
	bool was_deadline = lapic_tsc_deadline_mode(l);

	val &= lapic_lvt_write_mask(l, lvt);
	if (!lapic_enabled(l))
		val |= LAPIC_LVT_MASKED;
	l->lvt[lvt] = val;
	/*
	 * SDM 11.5.4.1: a timer mode change disarms the timer.  As KVM
	 * does, only into or out of TSC-deadline mode: between one-shot
	 * and periodic the count goes on (see lapic_timer_fire()).
	 */
	if (lvt == LVT_TIMER && lapic_tsc_deadline_mode(l) != was_deadline)
		lapic_timer_disarm(l);
	if (lvt != LVT_LINT0 && lvt != LVT_LINT1)
		return;
	if (lapic_lint_is_level(l, lvt))
		l->lvt[lvt] |= remote_irr;
	lapic_lint_service(l, lvt);
}

static void lapic_write_svr(struct lapic *l, uint32_t val)
{
	unsigned int i;

	l->svr = val & LAPIC_SVR_MASK;
	if (!lapic_enabled(l))
		for (i = 0; i < LVT_COUNT; i++)
			l->lvt[i] |= LAPIC_LVT_MASKED;
	lapic_update(l);
}

static uint32_t lapic_read(const struct lapic *l, unsigned int offset)
{
	switch (offset) {
	case LAPIC_ID:
		return l->id;
	case LAPIC_VERSION:
		return LAPIC_VERSION_VALUE;
	case LAPIC_TPR:
		return l->tpr;
	case LAPIC_PPR:
		return lapic_ppr(l);
	case LAPIC_LDR:
		return l->ldr;
	case LAPIC_DFR:
		return l->dfr;
	case LAPIC_SVR:
		return l->svr;
	case LAPIC_ISR ... LAPIC_TMR - 1:
		return l->vec->isr[(offset - LAPIC_ISR) / LAPIC_REG_STRIDE];
	case LAPIC_TMR ... LAPIC_IRR - 1:
		return l->vec->tmr[(offset - LAPIC_TMR) / LAPIC_REG_STRIDE];
	case LAPIC_IRR ... LAPIC_ESR - 1:
		return l->vec->irr[(offset - LAPIC_IRR) / LAPIC_REG_STRIDE];
	case LAPIC_ESR:
		return l->esr;
	case LAPIC_ICR_LOW:
		return l->vec->icr_low;
	case LAPIC_ICR_HIGH:
		return l->vec->icr_high;
	case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
		return l->lvt[(offset - LAPIC_LVT_TIMER) / LAPIC_REG_STRIDE];
	case LAPIC_TIMER_INIT:
		return l->timer_initial;
	case LAPIC_TIMER_CUR:
		return lapic_timer_current(l);
	case LAPIC_TIMER_DIV:
		return l->div_conf;
	default:
		/* APR (no arbitration), EOI, RRD and the reserved rest. */
		return 0;
	}
}

static void lapic_write(struct lapic *l, unsigned int offset, uint32_t val)
{
	switch (offset) {
	case LAPIC_ID:
		l->id = val & LAPIC_ID_MASK;
		break;
	case LAPIC_TPR:
		l->tpr = val & LAPIC_TPR_MASK;
		lapic_update(l);
		break;
	case LAPIC_EOI:
		lapic_eoi(l);
		break;
	case LAPIC_LDR:
		l->ldr = val & LAPIC_LDR_MASK;
		break;
	case LAPIC_DFR:
		l->dfr = (val & LAPIC_DFR_MODEL_MASK) | LAPIC_DFR_RESERVED;
		break;
	case LAPIC_SVR:
		lapic_write_svr(l, val);
		break;
	case LAPIC_ESR:
		/* A write latches the errors seen since the last one. */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case LAPIC_ICR_LOW:
		l->vec->icr_low = val & LAPIC_ICR_LOW_MASK;
		lapic_send_ipi(l, l->vec->icr_low,
			       l->vec->icr_high >> LAPIC_ICR_DEST_SHIFT);
		break;
	case LAPIC_ICR_HIGH:
		l->vec->icr_high = val & LAPIC_ICR_HIGH_MASK;
		break;
	case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
		lapic_write_lvt(l,
				(offset - LAPIC_LVT_TIMER) / LAPIC_REG_STRIDE,
				val);
		break;
	case LAPIC_TIMER_INIT:
		lapic_timer_load(l, val);
		break;
	case LAPIC_TIMER_DIV:
		l->div_conf = val & LAPIC_DIV_MASK;
		break;
	default:
		/* Read-only and reserved registers ignore writes. */
		break;
	}
}

void lapic_mmio(void *opaque, uint64_t offset, void *data, unsigned int len,
		bool is_write)
{
	struct lapic *l = opaque;
	uint32_t val;

	/* Not the APIC's page: nothing there (SDM 11.4.3, 11.12.1.2). */
	if (!lapic_xapic_mode(l)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	/*
	 * apic_mmio_start() zeroes reads here too: vCPU threads call in
	 * directly, not through bus_access(), and what no register fills
	 * reads as 0.
	 */
	if (!apic_mmio_start(data, len, is_write, &val))
		return;
	/* SDM 11.4.1: registers are 32 bits wide, on 16-byte boundaries. */
	if (offset % LAPIC_REG_STRIDE || offset >= LAPIC_MMIO_SIZE)
		return;
	if (is_write)
		lapic_write(l, offset, val);
	else
		apic_mmio_reply(data, lapic_read(l, offset));
}

bool lapic_mmio_claims(const struct lapic *l, uint64_t addr)
{
	return lapic_xapic_mode(l) &&
	       addr - (l->apic_base & LAPIC_BASE_ADDR_MASK) < LAPIC_MMIO_SIZE;
}

static bool x2apic_msr(const struct lapic *l, uint32_t msr)
{
	return lapic_x2apic_mode(l) && msr >= LAPIC_X2APIC_MSR_FIRST &&
	       msr <= LAPIC_X2APIC_MSR_LAST;
}

/* The MMIO offset of the register an x2APIC MSR reaches. */
static unsigned int x2apic_offset(uint32_t msr)
{
	return (msr - LAPIC_X2APIC_MSR_FIRST) << LAPIC_X2APIC_MSR_SHIFT;
}

bool lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val)
{
	unsigned int offset;

	if (!x2apic_msr(l, msr))
		return false;
	offset = x2apic_offset(msr);
	switch (offset) {
	case LAPIC_ID:
		*val = l->initial_id;
		return true;
	case LAPIC_LDR:
		*val = x2apic_ldr(l);
		return true;
	case LAPIC_ICR_LOW:
		*val = (uint64_t)l->vec->icr_high << 32 | l->vec->icr_low;
		return true;
	case LAPIC_VERSION:
	case LAPIC_TPR:
	case LAPIC_PPR:
	case LAPIC_SVR:
	case LAPIC_ISR ... LAPIC_ESR:		/* ISR, TMR, IRR, ESR */
	case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
	case LAPIC_TIMER_INIT:
	case LAPIC_TIMER_CUR:
	case LAPIC_TIMER_DIV:
		*val = lapic_read(l, offset);
		return true;
	default:
		/*
		 * EOI and SELF IPI are write-only; APR, RRD, DFR, the ICR's
		 * high half and CMCI are not in x2APIC mode's map (11.12.1.2).
		 */
		return false;
	}
}

/*
 * The bits a WRMSR may set in the x2APIC register at @offset (11.12.1.3:
 * a nonzero write to a reserved bit is #GP): what the register takes and
 * its read-only bits.  False for a register WRMSR does not reach:
 * read-only or reserved.
 */
static bool x2apic_write_bits(const struct lapic *l, unsigned int offset,
			      uint32_t *bits)
{
	enum lapic_lvt lvt;

	switch (offset) {
	case LAPIC_TPR:
		*bits = LAPIC_TPR_MASK;
		return true;
	case LAPIC_EOI:
	case LAPIC_ESR:
		*bits = 0;		/* a nonzero write is #GP */
		return true;
	case LAPIC_SVR:
		*bits = LAPIC_SVR_MASK;
		return true;
	case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
		lvt = (offset - LAPIC_LVT_TIMER) / LAPIC_REG_STRIDE;
		*bits = lapic_lvt_write_mask(l, lvt) | LAPIC_LVT_PENDING;
		if (lvt == LVT_LINT0 || lvt == LVT_LINT1)
			*bits |= LAPIC_LVT_REMOTE_IRR;
		return true;
	case LAPIC_TIMER_INIT:
		*bits = UINT32_MAX;
		return true;
	case LAPIC_TIMER_DIV:
		*bits = LAPIC_DIV_MASK;
		return true;
	case LAPIC_SELF_IPI:
		*bits = LAPIC_ICR_VECTOR;
		return true;
	default:
		return false;
	}
}

/*
 * ICR in x2APIC mode (11.12.9): one write sends, the destination is in
 * 63:32, and there is no delivery status bit (bit 12 is reserved).
 */
static bool x2apic_write_icr(struct lapic *l, uint64_t val)
{
	uint32_t low = val;

	if (low & ~LAPIC_ICR_LOW_MASK)
		return false;
	l->vec->icr_low = low;
	l->vec->icr_high = val >> 32;
	lapic_send_ipi(l, l->vec->icr_low, l->vec->icr_high);
	return true;
}

bool lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val)
{
	unsigned int offset;
	uint32_t bits;

	if (!x2apic_msr(l, msr))
		return false;
	offset = x2apic_offset(msr);
	if (offset == LAPIC_ICR_LOW)
		return x2apic_write_icr(l, val);
	if (!x2apic_write_bits(l, offset, &bits) || val & ~(uint64_t)bits)
		return false;
	/* SELF IPI (11.12.11): ICR's fixed, edge, self IPI; ICR unchanged. */
	if (offset == LAPIC_SELF_IPI)
		lapic_send_ipi(l, APIC_DM_FIXED << LAPIC_ICR_DM_SHIFT |
			       APIC_SH_SELF << LAPIC_ICR_SH_SHIFT | val, 0);
	else
		lapic_write(l, offset, val);
	return true;
}

/*
 * Disabled in IA32_APIC_BASE: back to the power-up state, the ID too
 * (11.4.3).  The NMI latch and wait-for-SIPI are the processor's and
 * stay.
 */
static void lapic_hw_disable(struct lapic *l)
{
	bool nmi = l->nmi_pending;

	lapic_reset(l);
	l->id = l->initial_id << LAPIC_ID_SHIFT;
	l->nmi_pending = nmi;
}

void lapic_set_base(struct lapic *l, uint64_t base)
{
	bool was_enabled = lapic_hw_enabled(l);

	l->apic_base = base;
	if (was_enabled && !lapic_hw_enabled(l))
		lapic_hw_disable(l);
	/*
	 * Into x2APIC mode the ID and LDR follow from the initial ID, which
	 * lapic_rdmsr() reads; the rest of the state stays (11.12.5.1).
	 * Re-enabled, the APIC starts from the power-up state it was left
	 * in.  The vCPU that wrote the MSR looks at its APIC before it
	 * enters again: no kick.
	 */
}

void lapic_accept(struct lapic *l, uint8_t vector)
{
	/* Only a vector actually requested moves; anything else is a no-op. */
	if (!vec_test(l->vec->irr, vector))
		return;
	vec_clear(l->vec->irr, vector);
	vec_set(l->vec->isr, vector);
}

bool lapic_take_nmi(struct lapic *l)
{
	bool nmi = l->nmi_pending;

	l->nmi_pending = false;
	return nmi;
}

bool lapic_nmi_pending(const struct lapic *l)
{
	return l->nmi_pending;
}

bool lapic_accepts_pic(const struct lapic *l)
{
	uint32_t lint0 = l->lvt[LVT_LINT0];

	if (!lapic_hw_enabled(l) || !lapic_enabled(l))
		return true;
	return !(lint0 & LAPIC_LVT_MASKED) &&
	       lvt_mode(lint0) == APIC_DM_EXTINT;
}

/* An 8-bit destination, this APIC in xAPIC mode: flat or cluster per DFR. */
static bool xapic_match_dest(const struct lapic *l, uint8_t dest, bool logical)
{
	uint8_t ldr = l->ldr >> LAPIC_LDR_SHIFT;

	if (!logical)
		return dest == l->id >> LAPIC_ID_SHIFT;
	if ((l->dfr & LAPIC_DFR_MODEL_MASK) == LAPIC_DFR_FLAT)
		return dest & ldr;
	/* Cluster model (any DFR model but flat: the others are reserved). */
	return dest >> LAPIC_CLUSTER_SHIFT == ldr >> LAPIC_CLUSTER_SHIFT &&
	       dest & ldr & LAPIC_CLUSTER_MEMBERS;
}

/* This APIC in x2APIC mode: by x2APIC ID, or cluster and member bits. */
static bool x2apic_match_dest(const struct lapic *l, uint32_t dest,
			      bool logical)
{
	uint32_t ldr = x2apic_ldr(l);

	if (!logical)
		return dest == l->initial_id;
	return dest >> LAPIC_X2APIC_CLUSTER_SHIFT ==
	       ldr >> LAPIC_X2APIC_CLUSTER_SHIFT &&
	       dest & ldr & LAPIC_X2APIC_MEMBER_MASK;
}

bool lapic_match_dest(const struct lapic *l, uint32_t dest, bool logical,
		      bool x2apic_dest)
{
	if (!lapic_hw_enabled(l))
		return false;
	if (dest == (x2apic_dest ? APIC_X2APIC_BROADCAST : APIC_DEST_BROADCAST))
		return true;
	if (lapic_x2apic_mode(l))
		return x2apic_match_dest(l, dest, logical);
	if (x2apic_dest)
		return !logical && dest == l->id >> LAPIC_ID_SHIFT;
	return xapic_match_dest(l, dest, logical);
}

/* INIT: the local APIC resets (all but its ID) and waits for a SIPI. */
static void lapic_init_signal(struct lapic *l)
{
	/* First: the vCPU stops taking IPIs in the module (vcpu_ipi_to_run). */
	if (l->bus->init)
		l->bus->init(l->bus->opaque, l->cpu);
	lapic_reset(l);
	l->wait_for_sipi = true;
	lapic_kick(l);
}

bool lapic_receive(struct lapic *l, unsigned int delivery_mode,
		   uint8_t vector, bool level_trigger)
{
	if (!lapic_hw_enabled(l))
		return false;
	switch (delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/*
		 * A software-disabled APIC takes only NMI, INIT and SIPI
		 * (11.4.7.2); what IRR and ISR already hold stays there.
		 */
		if (!lapic_enabled(l))
			return false;
		return lapic_raise(l, vector, level_trigger);
	case APIC_DM_NMI:
		lapic_nmi(l);
		return true;
	case APIC_DM_INIT:
		lapic_init_signal(l);
		return true;
	case APIC_DM_STARTUP:
		if (!l->wait_for_sipi)
			return true;
		l->wait_for_sipi = false;
		if (l->bus->sipi)
			l->bus->sipi(l->bus->opaque, l->cpu, vector);
		lapic_kick(l);
		return true;
	default:
		/* SMI (no SMM), ExtINT (the PIC path) and reserved modes. */
		return false;
	}
}

void lapic_set_lint(struct lapic *l, enum lapic_lvt lint, int level)
{
	uint8_t bit;
	uint32_t lvt;
	bool rising;

	if (lint != LVT_LINT0 && lint != LVT_LINT1)
		return;
	bit = 1u << (lint - LVT_LINT0);
	rising = level && !(l->lint_asserted & bit);
	if (!level) {
		l->lint_asserted &= ~bit;
		return;
	}
	l->lint_asserted |= bit;
	/* Hardware-disabled, the pins are the processor's INTR and NMI. */
	if (!lapic_hw_enabled(l)) {
		if (lint == LVT_LINT0)
			lapic_kick(l);
		else if (rising)
			lapic_nmi(l);
		return;
	}
	/* The PIC's INTR: the vCPU polls it (vcpu_next_irq()). */
	if (lint == LVT_LINT0 && lapic_accepts_pic(l)) {
		lapic_kick(l);
		return;
	}
	lvt = l->lvt[lint];
	if (lvt & LAPIC_LVT_MASKED)
		return;
	switch (lvt_mode(lvt)) {
	case APIC_DM_FIXED:
		if (lapic_lint_is_level(l, lint))
			lapic_lint_service(l, lint);
		else if (rising)
			lapic_raise(l, lvt & LAPIC_LVT_VECTOR, false);
		break;
	case APIC_DM_NMI:
		if (rising)
			lapic_nmi(l);
		break;
	case APIC_DM_INIT:
		if (rising)
			lapic_init_signal(l);
		break;
	default:
		/* SMI (no SMM) and the reserved modes. */
		break;
	}
}

void lapic_init(struct lapic *l, unsigned int cpu, uint8_t apic_id,
		struct apic_bus *bus, struct vm_clock *clock)
{
	assert(cpu < APIC_BUS_MAX_CPUS);
	memset(l, 0, sizeof(*l));
	l->vec = &l->own;
	l->cpu = cpu;
	l->bus = bus;
	l->clock = clock;
	l->initial_id = apic_id;
	l->id = (uint32_t)apic_id << LAPIC_ID_SHIFT;
	l->apic_base = LAPIC_MMIO_BASE | LAPIC_BASE_EN |
		       (cpu == 0 ? LAPIC_BASE_BSP : 0);
	vm_timer_init(&l->timer, clock, lapic_timer_fire, l);
	lapic_reset(l);
	l->wait_for_sipi = cpu != 0;
	bus->lapics[cpu] = l;
	if (bus->nr_cpus <= cpu)
		bus->nr_cpus = cpu + 1;
}

void lapic_share_vectors(struct lapic *l, struct lapic_vectors *shared)
{
	*shared = *l->vec;
	l->vec = shared;
}
