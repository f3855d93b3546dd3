/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O APIC: an 82093AA (version 0x11) with 24 pins.  It has no EOI
 * register (version 0x20 parts do): Remote IRR is cleared by the local
 * APICs' EOI messages, or by turning the pin to edge-triggered.
 */
#ifndef VMCTL_DEV_IOAPIC_H
#define VMCTL_DEV_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/apic_bus.h"

#define IOAPIC_MMIO_BASE	0xfec00000ULL
#define IOAPIC_MMIO_SIZE	0x1000
#define IOAPIC_NR_PINS		24

/* MMIO offsets. */
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WINDOW		0x10

/* Registers through IOREGSEL. */
#define IOAPIC_REGSEL_MASK	0xff
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10	/* each pin: low, then high half */

#define IOAPIC_ID_MASK		0x0f000000u
#define IOAPIC_VERSION_ID	0x11
#define IOAPIC_MAX_REDIR_SHIFT	16
#define IOAPIC_VERSION_VALUE	((IOAPIC_NR_PINS - 1) << \
				 IOAPIC_MAX_REDIR_SHIFT | IOAPIC_VERSION_ID)

/*
 * Redirection table entry.  Delivery status (bit 12) always reads idle:
 * messages are delivered the moment they are sent.
 */
#define IOAPIC_RTE_VECTOR	0xffULL
#define IOAPIC_RTE_DM_SHIFT	8
#define IOAPIC_RTE_DM_MASK	0x7ULL
#define IOAPIC_RTE_DM_BITS	(IOAPIC_RTE_DM_MASK << IOAPIC_RTE_DM_SHIFT)
#define IOAPIC_RTE_LOGICAL	(1ULL << 11)
#define IOAPIC_RTE_ACTIVE_LOW	(1ULL << 13)
#define IOAPIC_RTE_REMOTE_IRR	(1ULL << 14)
#define IOAPIC_RTE_LEVEL	(1ULL << 15)
#define IOAPIC_RTE_MASKED	(1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT	56
#define IOAPIC_RTE_DEST		(0xffULL << IOAPIC_RTE_DEST_SHIFT)
#define IOAPIC_RTE_WRITABLE	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DM_BITS | \
				 IOAPIC_RTE_LOGICAL | IOAPIC_RTE_ACTIVE_LOW | \
				 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | \
				 IOAPIC_RTE_DEST)

struct ioapic {
	struct apic_bus *bus;
	uint32_t regsel;
	uint32_t id;			/* the register: ID in 27:24 */
	uint64_t rte[IOAPIC_NR_PINS];
	uint32_t asserted;			/* pin bitmap: line levels */
};

/* Reset state (every pin masked, ID 0), registered as @bus->ioapic. */
void ioapic_init(struct ioapic *io, struct apic_bus *bus);

/*
 * The MMIO page (bus_access_fn, opaque = the struct ioapic); only aligned
 * 32-bit accesses reach registers.  A redirection entry write may
 * deliver, hence call kick, init or sipi through the bus.
 */
void ioapic_mmio(void *opaque, uint64_t offset, void *data, unsigned int len,
		 bool is_write);

/*
 * Drive input @pin (out of range: ignored) to @level, 1 for asserted.
 * The level is the line's logical state: sources say "asserted", never
 * "electrically low", so the polarity bit is kept for the guest but does
 * not invert.  Edge pins deliver on 0 -> 1 (an edge on a masked pin is
 * lost); level pins deliver while asserted, unmasked and Remote IRR is
 * clear, so assertions while it is set are one interrupt.  May kick,
 * init or sipi.
 */
void ioapic_set_irq(struct ioapic *io, unsigned int pin, int level);

/*
 * A local APIC's EOI of level-triggered @vector (via apic_bus_eoi): clear
 * Remote IRR of the pins with that vector, and re-deliver the ones still
 * asserted.  May kick, init or sipi.
 */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif /* VMCTL_DEV_IOAPIC_H */
