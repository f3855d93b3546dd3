/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's two i8259A interrupt controllers: the master at ports
 * 0x20-0x21 delivering IRQ 0-7, the slave at 0xa0-0xa1 delivering IRQ
 * 8-15 through the master's IRQ 2, and the PIIX edge/level control
 * registers (ELCR) at 0x4d0-0x4d1.
 */
#ifndef VMCTL_DEV_PIC_H
#define VMCTL_DEV_PIC_H

#include <stdbool.h>
#include <stdint.h>
#include "machine/machine.h"

#define PIC_MASTER_BASE	0x20
#define PIC_SLAVE_BASE	0xa0
#define PIC_ELCR_BASE	0x4d0
#define PIC_IO_LEN	2	/* each of the three ranges */
#define PIC_NR_IRQS	16
#define PIC_CASCADE_IRQ	2	/* the master input the slave drives */

/* One i8259A. */
struct pic_chip {
	uint8_t pins;		/* input levels */
	uint8_t irr;		/* interrupt request register */
	uint8_t imr;		/* interrupt mask register */
	uint8_t isr;		/* in-service register */
	uint8_t elcr;		/* 1 = level-triggered input */
	uint8_t elcr_mask;	/* inputs that may be level-triggered */
	uint8_t vector_base;	/* ICW2 */
	uint8_t top_irq;	/* the highest-priority input (rotation) */
	uint8_t init_step;	/* which ICW port B expects next, 0 = none */
	bool icw4_needed;
	bool single;		/* no cascade (ICW1 SNGL) */
	bool auto_eoi;
	bool rotate_on_auto_eoi;
	bool special_fully_nested;
	bool special_mask;
	bool read_isr;		/* OCW3 RR/RIS: port A reads ISR, not IRR */
	bool poll;		/* OCW3 P: next read is a poll */
};

struct pic {
	struct pic_chip master;
	struct pic_chip slave;
	void (*output)(void *opaque, int level);
	void *opaque;
	bool intr;		/* the INTR pin, as last told to output() */
};

/*
 * @output is the INTR pin to the CPU, called when it changes, from
 * within any pic_* call below except pic_output().
 */
void pic_init(struct pic *p, void (*output)(void *opaque, int level),
	      void *opaque);

/*
 * Drive input @irq (0-15) to @level.  Other numbers, including 2 (the
 * cascade, wired to the slave on a PC), are ignored.
 */
void pic_set_irq(struct pic *p, unsigned int irq, int level);

bool pic_output(const struct pic *p);

/*
 * The CPU's interrupt acknowledge cycle: returns the vector to deliver,
 * IRQ 7's (master) or 15's (slave) when the request went away meanwhile,
 * as the hardware does: a spurious interrupt.
 */
int pic_acknowledge(struct pic *p);

/* bus_access_fn for the three ranges; @opaque is the struct pic. */
void pic_master_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write);
void pic_slave_io(void *opaque, uint64_t offset, void *data,
		  unsigned int len, bool is_write);
void pic_elcr_io(void *opaque, uint64_t offset, void *data,
		 unsigned int len, bool is_write);

#endif /* VMCTL_DEV_PIC_H */
