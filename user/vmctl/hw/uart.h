/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART (PC COM1: port 0x3f8, IRQ 4), enough for Linux's 8250
 * driver: FIFOs, interrupts, loopback as its autoconfig probes it.
 * Transmission is instant: each byte written to THR goes straight to the
 * tx callback.
 */
#ifndef VMCTL_DEV_UART_H
#define VMCTL_DEV_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "machine/machine.h"

#define UART_COM1_BASE	0x3f8
#define UART_COM1_IRQ	4
#define UART_LEN	8	/* ports */
#define UART_FIFO_SIZE	16

struct uart {
	struct irq_line irq;
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
	void (*rx_room)(void *opaque);	/* NULL: nobody waits for room */
	void *rx_room_opaque;

	uint8_t rx_fifo[UART_FIFO_SIZE];	/* ring */
	unsigned int rx_head;			/* oldest byte */
	unsigned int rx_count;

	uint8_t ier;
	uint8_t lcr;
	uint8_t mcr;
	uint8_t lsr_errors;	/* OE, the only error a model can make */
	uint8_t msr_delta;	/* DCTS, DDSR, TERI, DDCD */
	uint8_t scr;
	uint8_t fcr;		/* FIFO enable and trigger level */
	uint8_t dll;		/* divisor latch, low and high byte */
	uint8_t dlm;
	bool thr_ipending;	/* THRE interrupt not yet acknowledged */
	bool irq_level;		/* what the IRQ line was last set to */
};

/*
 * @irq is set to 1/0 when the interrupt output changes (only then); @tx
 * is called from uart_io() for each byte the guest sends.
 */
void uart_init(struct uart *u, struct irq_line irq,
	       void (*tx)(void *opaque, uint8_t byte), void *tx_opaque);

/* bus_access_fn for the UART_LEN ports; @opaque is the struct uart. */
void uart_io(void *opaque, uint64_t offset, void *data, unsigned int len,
	     bool is_write);

/*
 * Host input: queue up to @len bytes into the receive FIFO; returns how
 * many were taken (fewer when the FIFO fills: keep the rest and retry
 * when uart_rx_space() says there is room, e.g. after a guest read).
 * None are taken in loopback mode, where the receiver listens only to
 * the transmitter.
 */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
size_t uart_rx_space(const struct uart *u);

/*
 * @room is called at the end of each guest access after which the
 * receive FIFO has room, so that input held back can follow at once
 * (it may call uart_receive()).
 */
void uart_set_rx_room(struct uart *u, void (*room)(void *opaque),
		      void *opaque);

#endif /* VMCTL_DEV_UART_H */
