// SPDX-License-Identifier: GPL-2.0
/*
 * i8254 PIT, after the Intel 82C54 data sheet, and PC port 0x61.
 *
 * A channel's state is a function of the ticks of the 1.193182 MHz
 * input clock since it was loaded, computed from vm_clock time when the
 * guest looks; only channel 0 arms a timer, for the next rising edge of
 * its OUT, the moment IRQ 0 is due.  The count is loaded on the write
 * itself rather than on the next input clock edge.  BCD counting is not
 * offered: the BCD bit is ignored and reads back as 0 in the status.
 */
#include "hw/pit.h"

#define PIT_CONTROL	3	/* port offset of the control word */

/* Control word */
#define CW_SELECT_SHIFT	6
#define CW_READ_BACK	3	/* select value of a read-back command */
#define CW_ACCESS_SHIFT	4
#define CW_ACCESS_MASK	3
#define CW_MODE_SHIFT	1
#define CW_MODE_MASK	7

/* Access modes */
#define ACCESS_LATCH	0
#define ACCESS_LSB	1
#define ACCESS_MSB	2
#define ACCESS_WORD	3

/* Modes 6 and 7 are aliases of 2 and 3. */
#define MODE_ALIAS	4
#define NR_MODES	6

/* Read-back command */
#define RB_NO_COUNT	0x20
#define RB_NO_STATUS	0x10
#define RB_CHANNEL(n)	(0x02 << (n))

/* Status byte */
#define STATUS_OUT	0x80
#define STATUS_NULL	0x40

/* Port 0x61 */
#define P61_GATE2	0x01
#define P61_SPEAKER	0x02
#define P61_PARITY_OFF	0x04	/* RAM parity check disable */
#define P61_IOCHK_OFF	0x08	/* I/O channel check disable */
#define P61_WRITABLE	(P61_GATE2 | P61_SPEAKER | P61_PARITY_OFF | \
			 P61_IOCHK_OFF)
#define P61_REFRESH	0x10
#define P61_OUT2	0x20

#define NSEC_PER_SEC	1000000000ULL
#define COUNT_MAX	0x10000	/* a count of 0 means 65536 */
#define COUNT_MASK	0xffff
#define BYTE_BITS	8
#define BYTE_MASK	0xff
#define NO_EDGE		UINT64_MAX
#define MIN_IRQ_PERIOD_NS 200000ULL	/* KVM's min_timer_period_us */

/* Floor, without overflowing for any plausible uptime. */
static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NSEC_PER_SEC * PIT_HZ +
	       ns % NSEC_PER_SEC * PIT_HZ / NSEC_PER_SEC;
}

/* Ceiling, so that at the returned time the tick has been reached. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks / PIT_HZ * NSEC_PER_SEC +
	       (ticks % PIT_HZ * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

/*
 * GATE low stops counting in modes 0, 2, 3 and 4; in modes 1 and 5 it
 * only triggers (its rising edge), so they count on regardless.
 */
static bool pit_running(const struct pit_channel *c)
{
	return c->loaded && (c->gate || c->mode == 1 || c->mode == 5);
}

/* Ticks counted by @now; the input clock is common to all channels. */
static uint64_t pit_ticks(const struct pit_channel *c, uint64_t now)
{
	uint64_t tick = ns_to_ticks(now);

	if (!pit_running(c) || tick < c->start)
		return c->counted;
	return c->counted + tick - c->start;
}

static bool pit_out(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = pit_ticks(c, now);

	if (!c->loaded)
		return c->mode != 0;	/* mode 0 sets OUT low at once */
	switch (c->mode) {
	case 0:
	case 1:
		return d >= c->count;
	case 2:
		/* Low for the one tick before each reload. */
		return !c->gate || d % c->count != c->count - 1;
	case 3:
		/* High for the first (larger) half of each period. */
		return !c->gate || d % c->count < (c->count + 1) / 2;
	default:
		/* Modes 4 and 5: a one-tick low strobe at terminal count. */
		return d != c->count;
	}
}

/* The counting element, as a latch or an unlatched read sees it. */
static uint16_t pit_counter(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = pit_ticks(c, now);

	if (!c->loaded)
		return c->count & COUNT_MASK;
	switch (c->mode) {
	case 2:
		return (c->count - d % c->count) & COUNT_MASK;
	case 3:
		/* Counts down by two, twice per period. */
		return (c->count - 2 * d % c->count) & COUNT_MASK;
	default:
		/* After terminal count it wraps and goes on. */
		return (c->count - d) & COUNT_MASK;
	}
}

/* The tick of the first rising edge of OUT after tick @d, or NO_EDGE. */
static uint64_t pit_next_edge(const struct pit_channel *c, uint64_t d)
{
	if (!pit_running(c))
		return NO_EDGE;
	switch (c->mode) {
	case 0:
	case 1:
		return d < c->count ? c->count : NO_EDGE;
	case 2:
	case 3:
		return (d / c->count + 1) * c->count;
	default:
		return d <= c->count ? c->count + 1 : NO_EDGE;
	}
}

static void pit_arm(struct pit *p, uint64_t now)
{
	struct pit_channel *c = &p->ch[0];

	p->next_edge = pit_next_edge(c, pit_ticks(c, now));
	if (p->next_edge == NO_EDGE) {
		vm_timer_cancel(&p->timer);
		return;
	}
	vm_timer_arm(&p->timer,
		     ticks_to_ns(c->start + p->next_edge - c->counted));
}

/*
 * IRQ 0 is edge-triggered on the PIC and I/O APIC: a pulse is an edge.
 * Edges closer together than MIN_IRQ_PERIOD_NS merge into one, or a tiny
 * periodic count would keep the timer thread and the machine lock busy.
 */
static void pit_fire(void *opaque, uint64_t now)
{
	struct pit *p = opaque;

	if (pit_ticks(&p->ch[0], now) >= p->next_edge) {
		irq_line_set(&p->irq0, 1);
		irq_line_set(&p->irq0, 0);
	}
	pit_arm(p, now);
	if (p->timer.armed && p->timer.deadline < now + MIN_IRQ_PERIOD_NS)
		vm_timer_arm(&p->timer, now + MIN_IRQ_PERIOD_NS);
}

static void pit_load(struct pit *p, unsigned int n, uint32_t count)
{
	struct pit_channel *c = &p->ch[n];
	uint64_t now = vm_clock_now(p->clock);

	c->count = count ? count : COUNT_MAX;
	c->loaded = true;
	c->start = ns_to_ticks(now);
	c->counted = 0;
	if (n == 0)
		pit_arm(p, now);
}

static void pit_write_count(struct pit *p, unsigned int n, uint8_t val)
{
	struct pit_channel *c = &p->ch[n];

	switch (c->access) {
	case ACCESS_LSB:
		pit_load(p, n, val);
		break;
	case ACCESS_MSB:
		pit_load(p, n, val << BYTE_BITS);
		break;
	default:
		if (!c->write_msb)
			c->write_lsb = val;
		else
			pit_load(p, n, c->write_lsb | val << BYTE_BITS);
		c->write_msb = !c->write_msb;
		break;
	}
}

static void pit_latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;
	c->latch = pit_counter(c, now);
	c->count_latched = true;
}

static void pit_latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = (pit_out(c, now) ? STATUS_OUT : 0) |
		    (c->loaded ? 0 : STATUS_NULL) |
		    c->access << CW_ACCESS_SHIFT | c->mode << CW_MODE_SHIFT;
	c->status_latched = true;
}

static void pit_read_back(struct pit *p, uint8_t val, uint64_t now)
{
	unsigned int n;

	for (n = 0; n < PIT_CHANNELS; n++) {
		if (!(val & RB_CHANNEL(n)))
			continue;
		if (!(val & RB_NO_COUNT))
			pit_latch_count(&p->ch[n], now);
		if (!(val & RB_NO_STATUS))
			pit_latch_status(&p->ch[n], now);
	}
}

/* A new mode stops the channel until its count is written. */
static void pit_set_mode(struct pit *p, unsigned int n, uint8_t val)
{
	struct pit_channel *c = &p->ch[n];

	c->access = (val >> CW_ACCESS_SHIFT) & CW_ACCESS_MASK;
	c->mode = (val >> CW_MODE_SHIFT) & CW_MODE_MASK;
	if (c->mode >= NR_MODES)
		c->mode -= MODE_ALIAS;
	c->loaded = false;
	c->counted = 0;
	c->write_msb = false;
	c->read_msb = false;
	c->count_latched = false;
	c->status_latched = false;
	if (n == 0)
		pit_arm(p, vm_clock_now(p->clock));
}

static void pit_write_control(struct pit *p, uint8_t val)
{
	unsigned int n = val >> CW_SELECT_SHIFT;
	uint64_t now = vm_clock_now(p->clock);

	if (n == CW_READ_BACK)
		pit_read_back(p, val, now);
	else if (((val >> CW_ACCESS_SHIFT) & CW_ACCESS_MASK) == ACCESS_LATCH)
		pit_latch_count(&p->ch[n], now);
	else
		pit_set_mode(p, n, val);
}

/* A latched status comes first, then a latched count, then live. */
static uint8_t pit_read_count(struct pit *p, unsigned int n)
{
	struct pit_channel *c = &p->ch[n];
	uint16_t value;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	value = c->count_latched ? c->latch :
		pit_counter(c, vm_clock_now(p->clock));
	msb = c->access == ACCESS_MSB ||
	      (c->access == ACCESS_WORD && c->read_msb);
	if (c->access == ACCESS_WORD)
		c->read_msb = !c->read_msb;
	if (c->access != ACCESS_WORD || !c->read_msb)
		c->count_latched = false;
	return msb ? value >> BYTE_BITS : value & BYTE_MASK;
}

/* Wider accesses reach consecutive byte ports, as on the ISA bus. */
void pit_io(void *opaque, uint64_t offset, void *data, unsigned int len,
	    bool is_write)
{
	struct pit *p = opaque;
	uint8_t *bytes = data;
	unsigned int i, port;

	if (offset >= PIT_LEN)
		return;
	if (len > PIT_LEN - offset)
		len = PIT_LEN - offset;
	for (i = 0; i < len; i++) {
		port = offset + i;
		if (port == PIT_CONTROL) {
			/* The control word register is write-only. */
			if (is_write)
				pit_write_control(p, bytes[i]);
		} else if (is_write) {
			pit_write_count(p, port, bytes[i]);
		} else {
			bytes[i] = pit_read_count(p, port);
		}
	}
}

/*
 * Channel 2's GATE: falling, it freezes the count where counting stops;
 * rising, it resumes (modes 0 and 4) or restarts (1, 2, 3, 5) it.
 */
static void pit_set_gate2(struct pit *p, bool gate)
{
	struct pit_channel *c = &p->ch[2];
	uint64_t now = vm_clock_now(p->clock);

	if (gate == c->gate)
		return;
	if (!gate)
		c->counted = pit_ticks(c, now);
	else if (c->mode != 0 && c->mode != 4)
		c->counted = 0;
	c->start = ns_to_ticks(now);
	c->gate = gate;
}

/*
 * Reads show the refresh request bit toggling, as old delay loops
 * expect; the NMI sources (parity, I/O check) never fire.
 */
void pit_port61_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write)
{
	struct pit *p = opaque;
	uint8_t *byte = data;

	if (offset || !len)
		return;
	if (is_write) {
		p->port61 = *byte & P61_WRITABLE;
		pit_set_gate2(p, *byte & P61_GATE2);
		return;
	}
	p->refresh = !p->refresh;
	*byte = p->port61 | (p->refresh ? P61_REFRESH : 0) |
		(pit_out(&p->ch[2], vm_clock_now(p->clock)) ? P61_OUT2 : 0);
}

/* Channels 0 and 1 have GATE tied high; channel 2's starts low. */
void pit_init(struct pit *p, struct vm_clock *clock, struct irq_line irq0)
{
	unsigned int n;

	*p = (struct pit) {
		.clock = clock,
		.irq0 = irq0,
		.next_edge = NO_EDGE,
	};
	for (n = 0; n < PIT_CHANNELS; n++) {
		p->ch[n].count = COUNT_MAX;
		p->ch[n].gate = n != 2;
	}
	vm_timer_init(&p->timer, clock, pit_fire, p);
}
