// SPDX-License-Identifier: GPL-2.0
/*
 * i8259A pair, after the Intel 8259A data sheet and the PIIX ELCR.
 *
 * Edge-triggered inputs latch IRR on a rising edge and keep it until
 * acknowledged, so a device may pulse its line; level-triggered ones
 * (ELCR) have IRR follow the line.  The slave's INT output feeds the
 * master's IRQ 2 as a level, so a slave interrupt still pending after
 * the master's EOI is delivered again without needing a new edge.
 */
#include "hw/pic.h"

#define PIC_CMD		0	/* port A: ICW1, OCW2, OCW3; IRR/ISR */
#define PIC_DATA	1	/* port B: ICW2-4, OCW1 (IMR) */

#define ICW1_IC4	0x01	/* ICW4 follows */
#define ICW1_SNGL	0x02	/* single, no ICW3 */
#define ICW1_INIT	0x10	/* distinguishes ICW1 from OCW2/3 */
#define ICW2_VECTOR	0xf8
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10

#define OCW_SELECT	0x18	/* 0x00: OCW2, 0x08: OCW3 */
#define OCW_IS_OCW3	0x08
#define OCW2_LEVEL	0x07
#define OCW2_CMD_SHIFT	5
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
#define POLL_IRQ	0x80	/* poll result: an interrupt is pending */

/* OCW2 commands, R/SL/EOI. */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* ICWs port B expects after ICW1. */
enum { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

/* IRQ 0-2 (master) and 8 and 13 (slave) are always edge on a PIIX. */
#define ELCR_MASTER_MASK	0xf8
#define ELCR_SLAVE_MASK		0xde

#define CHIP_IRQS	8
#define NR_PRIO		CHIP_IRQS	/* priorities 0 (highest) - 7 */
#define SPURIOUS_IRQ	7
#define CASCADE_BIT	(1 << PIC_CASCADE_IRQ)

/* The priority (0 highest) of the best IRQ in @mask; NR_PRIO: none. */
static unsigned int chip_priority(const struct pic_chip *c, uint8_t mask)
{
	unsigned int prio;

	for (prio = 0; prio < NR_PRIO; prio++)
		if (mask & (1 << ((prio + c->top_irq) % CHIP_IRQS)))
			break;
	return prio;
}

/* The IRQ the chip would interrupt with now, or -1. */
static int chip_pending(const struct pic_chip *c, bool master)
{
	unsigned int prio = chip_priority(c, c->irr & ~c->imr);
	uint8_t in_service = c->isr;

	if (prio == NR_PRIO)
		return -1;
	/* Special mask mode: masked IRQs in service do not block others. */
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Fully nested: the slave may interrupt within its own service. */
	if (master && c->special_fully_nested)
		in_service &= ~CASCADE_BIT;
	if (prio >= chip_priority(c, in_service))
		return -1;
	return (prio + c->top_irq) % CHIP_IRQS;
}

static void chip_set_pin(struct pic_chip *c, unsigned int irq, int level)
{
	uint8_t bit = 1 << irq;

	if (level) {
		if (!(c->pins & bit) || (c->elcr & bit))
			c->irr |= bit;
		c->pins |= bit;
	} else {
		c->pins &= ~bit;
		if (c->elcr & bit)
			c->irr &= ~bit;
	}
}

/* Propagate the slave to the master, the master to the CPU. */
static void pic_update(struct pic *p)
{
	bool slave = chip_pending(&p->slave, false) >= 0;
	bool intr;

	p->master.pins = (p->master.pins & ~CASCADE_BIT) |
			 (slave ? CASCADE_BIT : 0);
	p->master.irr = (p->master.irr & ~CASCADE_BIT) |
			(slave ? CASCADE_BIT : 0);
	intr = chip_pending(&p->master, true) >= 0;
	if (intr == p->intr)
		return;
	p->intr = intr;
	p->output(p->opaque, intr);
}

/* INTA for @irq: in service (unless auto-EOI), edge request consumed. */
static void chip_intack(struct pic_chip *c, unsigned int irq)
{
	uint8_t bit = 1 << irq;

	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_auto_eoi)
		c->top_irq = (irq + 1) % CHIP_IRQS;
	if (!(c->elcr & bit))
		c->irr &= ~bit;
}

int pic_acknowledge(struct pic *p)
{
	int irq = chip_pending(&p->master, true), slave_irq;
	int vector;

	if (irq < 0) {
		vector = p->master.vector_base + SPURIOUS_IRQ;
	} else if (irq == PIC_CASCADE_IRQ) {
		slave_irq = chip_pending(&p->slave, false);
		if (slave_irq >= 0)
			chip_intack(&p->slave, slave_irq);
		else
			slave_irq = SPURIOUS_IRQ;
		vector = p->slave.vector_base + slave_irq;
		chip_intack(&p->master, irq);
	} else {
		vector = p->master.vector_base + irq;
		chip_intack(&p->master, irq);
	}
	pic_update(p);
	return vector;
}

/* ICW1: the chip restarts; ELCR and the input levels are not its own. */
static void chip_icw1(struct pic_chip *c, uint8_t val)
{
	*c = (struct pic_chip) {
		.pins = c->pins,
		/* Edges seen before must be seen again. */
		.irr = c->irr & c->elcr,
		.elcr = c->elcr,
		.elcr_mask = c->elcr_mask,
		.init_step = INIT_ICW2,
		.icw4_needed = val & ICW1_IC4,
		.single = val & ICW1_SNGL,
	};
}

static void chip_eoi(struct pic_chip *c, unsigned int irq, bool rotate)
{
	c->isr &= ~(1 << irq);
	if (rotate)
		c->top_irq = (irq + 1) % CHIP_IRQS;
}

static void chip_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned int level = val & OCW2_LEVEL;
	unsigned int prio = chip_priority(c, c->isr);
	unsigned int cmd = val >> OCW2_CMD_SHIFT;

	switch (cmd) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_auto_eoi = cmd == OCW2_ROTATE_AEOI_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		/* Non-specific: the highest priority IRQ in service. */
		if (prio != NR_PRIO)
			chip_eoi(c, (prio + c->top_irq) % CHIP_IRQS,
				 cmd == OCW2_ROTATE_EOI);
		break;
	case OCW2_SPECIFIC_EOI:
	case OCW2_ROTATE_SPECIFIC_EOI:
		chip_eoi(c, level, cmd == OCW2_ROTATE_SPECIFIC_EOI);
		break;
	case OCW2_SET_PRIORITY:
		/* @level becomes the lowest priority. */
		c->top_irq = (level + 1) % CHIP_IRQS;
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & OCW3_POLL)
		c->poll = true;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
}

/* Port B during initialisation; ICW3 only names the cascade IRQ 2. */
static void chip_icw(struct pic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case INIT_ICW2:
		c->vector_base = val & ICW2_VECTOR;
		if (!c->single)
			c->init_step = INIT_ICW3;
		else
			c->init_step = c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		c->init_step = c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	default:
		c->auto_eoi = val & ICW4_AEOI;
		c->special_fully_nested = val & ICW4_SFNM;
		c->init_step = INIT_DONE;
		break;
	}
}

/*
 * ICW1's LTIM (all inputs level) is ignored: a PIIX takes the trigger
 * mode from the ELCR alone.
 */
static void chip_write(struct pic_chip *c, unsigned int port, uint8_t val)
{
	if (port == PIC_DATA) {
		if (c->init_step != INIT_DONE)
			chip_icw(c, val);
		else
			c->imr = val;
	} else if (val & ICW1_INIT) {
		chip_icw1(c, val);
	} else if ((val & OCW_SELECT) == OCW_IS_OCW3) {
		chip_ocw3(c, val);
	} else if (!(val & OCW_SELECT)) {
		chip_ocw2(c, val);
	}
}

/* A poll read is an acknowledge by the CPU without INTA cycles. */
static uint8_t chip_read(struct pic_chip *c, bool master, unsigned int port)
{
	int irq;

	if (c->poll) {
		c->poll = false;
		irq = chip_pending(c, master);
		if (irq < 0)
			return 0;
		chip_intack(c, irq);
		return POLL_IRQ | irq;
	}
	if (port == PIC_DATA)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

/*
 * How many of the @len bytes from @offset are the chip's two ports:
 * wider accesses reach consecutive byte ports, as on the ISA bus.
 */
static unsigned int pic_io_len(uint64_t offset, unsigned int len)
{
	if (offset >= PIC_IO_LEN)
		return 0;
	return len < PIC_IO_LEN - offset ? len : PIC_IO_LEN - offset;
}

static void pic_chip_io(struct pic *p, struct pic_chip *c, uint64_t offset,
			uint8_t *bytes, unsigned int len, bool is_write)
{
	unsigned int i;

	len = pic_io_len(offset, len);
	for (i = 0; i < len; i++) {
		if (is_write)
			chip_write(c, offset + i, bytes[i]);
		else
			bytes[i] = chip_read(c, c == &p->master, offset + i);
		pic_update(p);
	}
}

void pic_master_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write)
{
	struct pic *p = opaque;

	pic_chip_io(p, &p->master, offset, data, len, is_write);
}

void pic_slave_io(void *opaque, uint64_t offset, void *data,
		  unsigned int len, bool is_write)
{
	struct pic *p = opaque;

	pic_chip_io(p, &p->slave, offset, data, len, is_write);
}

/* A new ELCR applies at once: a level input's IRR is its line. */
static void chip_write_elcr(struct pic_chip *c, uint8_t val)
{
	c->elcr = val & c->elcr_mask;
	c->irr = (c->irr & ~c->elcr) | (c->pins & c->elcr);
}

void pic_elcr_io(void *opaque, uint64_t offset, void *data,
		 unsigned int len, bool is_write)
{
	struct pic *p = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	len = pic_io_len(offset, len);
	if (!len)
		return;
	for (i = 0; i < len; i++) {
		struct pic_chip *c = offset + i ? &p->slave : &p->master;

		if (is_write)
			chip_write_elcr(c, bytes[i]);
		else
			bytes[i] = c->elcr;
	}
	pic_update(p);
}

void pic_set_irq(struct pic *p, unsigned int irq, int level)
{
	if (irq >= PIC_NR_IRQS || irq == PIC_CASCADE_IRQ)
		return;
	if (irq < CHIP_IRQS)
		chip_set_pin(&p->master, irq, level);
	else
		chip_set_pin(&p->slave, irq - CHIP_IRQS, level);
	pic_update(p);
}

bool pic_output(const struct pic *p)
{
	return p->intr;
}

void pic_init(struct pic *p, void (*output)(void *opaque, int level),
	      void *opaque)
{
	*p = (struct pic) {
		.master.elcr_mask = ELCR_MASTER_MASK,
		.slave.elcr_mask = ELCR_SLAVE_MASK,
		.output = output,
		.opaque = opaque,
	};
}
