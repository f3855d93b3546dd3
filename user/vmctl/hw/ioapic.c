// SPDX-License-Identifier: GPL-2.0
/*
 * I/O APIC (82093AA datasheet): interrupt lines in, APIC bus messages
 * out, through a redirection table the guest reaches with IOREGSEL and
 * IOWIN.
 */
#include <string.h>
#include "hw/ioapic.h"

#define RTE_HALF_BITS		32
#define RTE_LOW_HALF		0xffffffffULL

/*
 * Send pin @pin's message.  A level one waits for its EOI in Remote IRR,
 * set when a local APIC accepts it (82093AA datasheet, Remote IRR): one
 * that nobody took (a software-disabled APIC, a vector 0-15, no such
 * destination) will see no EOI, and a Remote IRR set for it would keep
 * the pin silent for ever.
 */
static void ioapic_deliver(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];
	unsigned int mode = (rte >> IOAPIC_RTE_DM_SHIFT) & IOAPIC_RTE_DM_MASK;
	bool level = rte & IOAPIC_RTE_LEVEL;
	unsigned int accepted;

	accepted = apic_bus_deliver(io->bus, rte >> IOAPIC_RTE_DEST_SHIFT,
				    rte & IOAPIC_RTE_LOGICAL, mode,
				    rte & IOAPIC_RTE_VECTOR, level,
				    APIC_SH_NONE, 0);
	/* Only fixed and lowest-priority interrupts are ever EOIed. */
	if (level && accepted &&
	    (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST))
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
}

/* A level pin delivers whenever it is asserted, unmasked and not in service. */
static void ioapic_service(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];

	if ((rte & IOAPIC_RTE_LEVEL) && (io->asserted & 1u << pin) &&
	    !(rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)))
		ioapic_deliver(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned int pin, int level)
{
	uint32_t bit;
	bool was;

	if (pin >= IOAPIC_NR_PINS)
		return;
	bit = 1u << pin;
	was = io->asserted & bit;
	if (!level) {
		io->asserted &= ~bit;
		return;
	}
	io->asserted |= bit;
	if (io->rte[pin] & IOAPIC_RTE_LEVEL)
		ioapic_service(io, pin);
	else if (!was && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		ioapic_deliver(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int pin;

	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		uint64_t rte = io->rte[pin];

		if ((rte & IOAPIC_RTE_VECTOR) != vector ||
		    !(rte & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] = rte & ~IOAPIC_RTE_REMOTE_IRR;
		ioapic_service(io, pin);
	}
}

static void ioapic_write_rte(struct ioapic *io, unsigned int pin, bool high,
			     uint32_t val)
{
	uint64_t old = io->rte[pin];
	uint64_t rte;

	if (high)
		rte = (old & RTE_LOW_HALF) | (uint64_t)val << RTE_HALF_BITS;
	else
		rte = (old & ~RTE_LOW_HALF) | val;
	rte = (rte & IOAPIC_RTE_WRITABLE) | (old & ~IOAPIC_RTE_WRITABLE);
	/*
	 * An edge pin has no Remote IRR.  Linux relies on this to clear a
	 * stuck one on I/O APICs without an EOI register: it switches the
	 * pin to edge and back.
	 */
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	/* Unmasking an asserted level pin delivers it. */
	ioapic_service(io, pin);
}

static uint32_t ioapic_read(const struct ioapic *io)
{
	unsigned int reg = io->regsel;
	unsigned int pin;
	uint64_t rte;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		/* The arbitration ID is loaded from the ID. */
		return io->id;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION_VALUE;
	}
	if (reg < IOAPIC_REG_REDTBL)
		return 0;
	pin = (reg - IOAPIC_REG_REDTBL) / 2;
	if (pin >= IOAPIC_NR_PINS)
		return 0;
	rte = io->rte[pin];
	return reg & 1 ? rte >> RTE_HALF_BITS : rte & RTE_LOW_HALF;
}

static void ioapic_write(struct ioapic *io, uint32_t val)
{
	unsigned int reg = io->regsel;
	unsigned int pin;

	if (reg == IOAPIC_REG_ID) {
		io->id = val & IOAPIC_ID_MASK;
		return;
	}
	/* Version and arbitration ID are read-only. */
	if (reg < IOAPIC_REG_REDTBL)
		return;
	pin = (reg - IOAPIC_REG_REDTBL) / 2;
	if (pin < IOAPIC_NR_PINS)
		ioapic_write_rte(io, pin, reg & 1, val);
}

void ioapic_mmio(void *opaque, uint64_t offset, void *data, unsigned int len,
		 bool is_write)
{
	struct ioapic *io = opaque;
	uint32_t val;

	if (!apic_mmio_start(data, len, is_write, &val))
		return;
	/*
	 * Version 0x11 has these two registers only: the EOI register at
	 * 0x40 came with version 0x20, and Linux uses it only there.
	 */
	if (is_write) {
		if (offset == IOAPIC_REGSEL)
			io->regsel = val & IOAPIC_REGSEL_MASK;
		else if (offset == IOAPIC_WINDOW)
			ioapic_write(io, val);
		return;
	}
	if (offset == IOAPIC_REGSEL)
		val = io->regsel;
	else if (offset == IOAPIC_WINDOW)
		val = ioapic_read(io);
	else
		return;
	apic_mmio_reply(data, val);
}

void ioapic_init(struct ioapic *io, struct apic_bus *bus)
{
	unsigned int pin;

	memset(io, 0, sizeof(*io));
	io->bus = bus;
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_MASKED;
	bus->ioapic = io;
}
