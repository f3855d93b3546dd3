// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART, after the National Semiconductor PC16550D data sheet.
 *
 * The transmitter is infinitely fast: THR and the shift register are
 * always empty again by the time the guest looks, so LSR always has THRE
 * and TEMT, and the THRE interrupt comes back right after each THR
 * write.  The receive FIFO is fed by uart_receive() (or, in loopback, by
 * the transmitter).  No receive errors except overrun can happen.
 */
#include "hw/uart.h"

/* Register offsets; DLL/DLM replace RBR/THR and IER while LCR.DLAB is set. */
#define UART_RBR	0	/* read */
#define UART_THR	0	/* write */
#define UART_DLL	0
#define UART_IER	1
#define UART_DLM	1
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* THR empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */
#define IER_MASK	0x0f	/* the rest reads 0 on a 16550A */

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_RX_TIMEOUT	0x0c
#define IIR_FIFO_ON	0xc0	/* both bits set: a working 16550A FIFO */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_TRIGGER	0xc0
#define FCR_TRIGGER_SHIFT 6

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08	/* enables the IRQ driver on a PC */
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80
#define MSR_DELTA_SHIFT	4	/* a status bit >> 4 is its delta bit */

static const unsigned int uart_trigger_levels[] = { 1, 4, 8, 14 };

static bool uart_fifo_on(const struct uart *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned int uart_rx_capacity(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static unsigned int uart_rx_trigger(const struct uart *u)
{
	return uart_trigger_levels[(u->fcr & FCR_TRIGGER) >> FCR_TRIGGER_SHIFT];
}

/*
 * The interrupt source IIR reports, highest priority first.  Data below
 * the FIFO trigger level is reported as a character timeout at once:
 * with nothing more arriving, that is what the driver would see a few
 * character times later anyway.
 */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && u->lsr_errors)
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		if (uart_fifo_on(u) && u->rx_count < uart_rx_trigger(u))
			return IIR_RX_TIMEOUT;
		return IIR_RDI;
	}
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && u->msr_delta)
		return IIR_MSI;
	return IIR_NO_INT;
}

/*
 * On a PC, OUT2 gates the UART's interrupt output onto the ISA bus, and
 * in loopback mode the OUT2 pin is forced inactive.
 */
static void uart_update_irq(struct uart *u)
{
	bool level = uart_iir_id(u) != IIR_NO_INT &&
		     (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_line_set(&u->irq, level);
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* A byte reaches the receiver; with no room it is lost: overrun. */
static void uart_rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count == uart_rx_capacity(u)) {
		u->lsr_errors |= LSR_OE;
		return;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

/* Modem status inputs: in loopback, the MCR outputs wired back. */
static uint8_t uart_msr_inputs(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) |
	       (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
}

static void uart_write_mcr(struct uart *u, uint8_t val)
{
	uint8_t old = uart_msr_inputs(u), new;

	u->mcr = val & MCR_MASK;
	new = uart_msr_inputs(u);
	/* CTS, DSR and DCD flag any change; RI only its trailing edge. */
	u->msr_delta |= (((old ^ new) & (MSR_CTS | MSR_DSR | MSR_DCD)) |
			 (old & ~new & MSR_RI)) >> MSR_DELTA_SHIFT;
}

static void uart_write_thr(struct uart *u, uint8_t val)
{
	if (u->mcr & MCR_LOOP)
		uart_rx_push(u, val);
	else
		u->tx(u->tx_opaque, val);
	/*
	 * The write acknowledges a THRE interrupt; the byte then leaves at
	 * once and THR is empty again, which raises it anew: the line
	 * drops and comes back, an edge for an edge-triggered PIC.
	 */
	u->thr_ipending = false;
	uart_update_irq(u);
	u->thr_ipending = true;
}

static void uart_write_ier(struct uart *u, uint8_t val)
{
	/* Enabling it with THR empty (always) makes a THRE interrupt. */
	if ((val & IER_THRI) && !(u->ier & IER_THRI))
		u->thr_ipending = true;
	u->ier = val & IER_MASK;
}

/* Changing FIFO enable empties the FIFOs; other bits need it set. */
static void uart_write_fcr(struct uart *u, uint8_t val)
{
	bool enable = val & FCR_ENABLE;

	if (enable != uart_fifo_on(u) || (enable && (val & FCR_CLEAR_RX)))
		uart_rx_clear(u);
	u->fcr = enable ? val & (FCR_ENABLE | FCR_TRIGGER) : 0;
}

static void uart_write(struct uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			uart_write_thr(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		uart_write_mcr(u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	/* LSR and MSR are read-only. */
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t id = uart_iir_id(u);

	/* Reading IIR acknowledges a THRE interrupt it reports. */
	if (id == IIR_THRI)
		u->thr_ipending = false;
	return id | (uart_fifo_on(u) ? IIR_FIFO_ON : 0);
}

static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t lsr = LSR_THRE | LSR_TEMT | u->lsr_errors;

	if (u->rx_count)
		lsr |= LSR_DR;
	u->lsr_errors = 0;
	return lsr;
}

static uint8_t uart_read_msr(struct uart *u)
{
	uint8_t msr = uart_msr_inputs(u) | u->msr_delta;

	u->msr_delta = 0;
	return msr;
}

static uint8_t uart_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	default:
		return u->scr;
	}
}

/* Wider accesses reach consecutive byte registers, as on the ISA bus. */
void uart_io(void *opaque, uint64_t offset, void *data, unsigned int len,
	     bool is_write)
{
	struct uart *u = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	if (offset >= UART_LEN)
		return;
	if (len > UART_LEN - offset)
		len = UART_LEN - offset;
	for (i = 0; i < len; i++) {
		if (is_write)
			uart_write(u, offset + i, bytes[i]);
		else
			bytes[i] = uart_read(u, offset + i);
		uart_update_irq(u);
	}
	if (u->rx_room && uart_rx_space(u))
		u->rx_room(u->rx_room_opaque);
}

void uart_set_rx_room(struct uart *u, void (*room)(void *opaque),
		      void *opaque)
{
	u->rx_room = room;
	u->rx_room_opaque = opaque;
}

size_t uart_rx_space(const struct uart *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return uart_rx_capacity(u) - u->rx_count;
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = uart_rx_space(u), i;

	if (n > len)
		n = len;
	for (i = 0; i < n; i++)
		uart_rx_push(u, buf[i]);
	uart_update_irq(u);
	return n;
}

void uart_init(struct uart *u, struct irq_line irq,
	       void (*tx)(void *opaque, uint8_t byte), void *tx_opaque)
{
	*u = (struct uart) {
		.irq = irq,
		.tx = tx,
		.tx_opaque = tx_opaque,
	};
}
