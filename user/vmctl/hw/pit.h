/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i8254 programmable interval timer at ports 0x40-0x43 (channel 0
 * drives IRQ 0, channel 2 the speaker and the OUT2 bit of port 0x61),
 * and port 0x61 itself (NMI status and control, "port B").
 */
#ifndef VMCTL_DEV_PIT_H
#define VMCTL_DEV_PIT_H

#include <stdbool.h>
#include <stdint.h>
#include "machine/machine.h"

#define PIT_BASE	0x40
#define PIT_LEN		4
#define PIT_PORT61	0x61
#define PIT_PORT61_LEN	1
#define PIT_IRQ		0
#define PIT_HZ		1193182
#define PIT_CHANNELS	3

/*
 * Counters are not stepped: a channel remembers at which tick of the
 * input clock (PIT_HZ since vm_clock time 0) it started counting and
 * derives its count and OUT from the clock.
 */
struct pit_channel {
	uint32_t count;		/* the initial count, 1-65536 */
	uint8_t mode;		/* 0-5 */
	uint8_t access;		/* read/write: LSB, MSB or LSB then MSB */
	bool gate;
	bool loaded;		/* a count was written after the mode */
	uint64_t start;		/* input tick it last (re)started at */
	uint64_t counted;	/* ticks already counted then */

	bool write_msb;		/* flip-flop: next count byte is the MSB */
	uint8_t write_lsb;
	bool read_msb;		/* flip-flop: next read byte is the MSB */
	bool count_latched;
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct vm_clock *clock;
	struct irq_line irq0;
	struct vm_timer timer;		/* channel 0's next rising OUT edge */
	uint64_t next_edge;		/* that edge, in channel 0 ticks */
	struct pit_channel ch[PIT_CHANNELS];
	uint8_t port61;			/* the writable bits */
	bool refresh;			/* the toggling refresh bit */
};

/*
 * IRQ 0 is pulsed (set to 1 then 0) on each rising edge of channel 0's
 * OUT, from the timer's callback (vm_clock_run()).
 */
void pit_init(struct pit *p, struct vm_clock *clock, struct irq_line irq0);

/* bus_access_fn for PIT_BASE and for PIT_PORT61; @opaque is the pit. */
void pit_io(void *opaque, uint64_t offset, void *data, unsigned int len,
	    bool is_write);
void pit_port61_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write);

#endif /* VMCTL_DEV_PIT_H */
