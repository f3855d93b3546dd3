// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the 16550A model: the register sequences Linux's 8250
 * driver uses (autoconfig, startup, interrupt handling), checked against
 * the PC16550D data sheet.
 */
#include <stdio.h>
#include "ktap.h"
#include "dev_uart.h"

#define RBR	0
#define THR	0
#define DLL	0
#define IER	1
#define DLM	1
#define IIR	2
#define FCR	2
#define LCR	3
#define MCR	4
#define LSR	5
#define MSR	6
#define SCR	7

static struct {
	struct uart uart;
	int level;		/* the IRQ line */
	int irq_calls;
	uint8_t tx[64];
	unsigned int tx_len;
} t;

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	EXPECT_TRUE(opaque == &t);
	EXPECT_EQ(gsi, UART_COM1_IRQ);
	/* The line is only ever told about a change. */
	EXPECT_TRUE(level != t.level);
	t.level = level;
	t.irq_calls++;
}

static void tx(void *opaque, uint8_t byte)
{
	EXPECT_TRUE(opaque == &t);
	if (t.tx_len < sizeof(t.tx))
		t.tx[t.tx_len++] = byte;
}

static struct uart *setup(void)
{
	struct irq_line irq = { irq_set, &t, UART_COM1_IRQ };

	memset(&t, 0, sizeof(t));
	uart_init(&t.uart, irq, tx, &t);
	return &t.uart;
}

static uint8_t in(unsigned int reg)
{
	uint8_t v = 0;

	uart_io(&t.uart, reg, &v, 1, false);
	return v;
}

static void out(unsigned int reg, uint8_t v)
{
	uart_io(&t.uart, reg, &v, 1, true);
}

/* The probes of Linux's autoconfig() and autoconfig_16550a(). */
static enum ktap_result linux_autoconfig_finds_16550a(void)
{
	setup();

	/* Existence test: IER bits 0-3 writable, 4-7 read 0. */
	out(IER, 0);
	EXPECT_EQ(in(IER) & 0x0f, 0);
	out(IER, 0x0f);
	EXPECT_EQ(in(IER) & 0x0f, 0x0f);
	out(IER, 0xff);
	EXPECT_EQ(in(IER), 0x0f);
	out(IER, 0);

	/* Loopback test: MCR LOOP|OUT2|RTS shows DCD|CTS. */
	out(MCR, 0x10 | 0x0a);
	EXPECT_EQ(in(MSR) & 0xf0, 0x90);
	out(MCR, 0);

	/* FIFO test, with LCR 0xbf: IIR bits 7-6 both set = 16550A. */
	out(LCR, 0xbf);
	out(FCR, 0x01);
	EXPECT_EQ(in(IIR) >> 6, 3);
	/* Not an EFR-bearing 16650: offset 2 still reads IIR. */
	EXPECT_TRUE(in(2) != 0);

	/* Not a TI16750: no 64-byte FIFO bit 5, with or without DLAB. */
	out(LCR, 0);
	out(FCR, 0x01 | 0x20);
	EXPECT_EQ(in(IIR) & 0xe0, 0xc0);
	out(LCR, 0x80);
	out(FCR, 0x01 | 0x20);
	EXPECT_EQ(in(IIR) & 0xe0, 0xc0);
	out(LCR, 0);

	/* Not an XScale: the UUE bit (IER 6) does not stick. */
	out(IER, 0x40);
	EXPECT_EQ(in(IER) & 0x40, 0);

	out(SCR, 0xa5);
	EXPECT_EQ(in(SCR), 0xa5);
	EXPECT_EQ(t.irq_calls, 0);
	EXPECT_EQ(t.tx_len, 0);
	return KTAP_PASS;
}

static enum ktap_result transmit_is_instant(void)
{
	setup();
	out(LCR, 0x03);
	EXPECT_EQ(in(LSR), 0x60);	/* THRE | TEMT */
	out(THR, 'h');
	out(THR, 'i');
	EXPECT_EQ(in(LSR), 0x60);
	ASSERT_EQ(t.tx_len, 2);
	EXPECT_EQ(t.tx[0], 'h');
	EXPECT_EQ(t.tx[1], 'i');
	return KTAP_PASS;
}

static enum ktap_result dlab_selects_divisor(void)
{
	setup();
	out(IER, 0x05);
	out(LCR, 0x80 | 0x03);
	out(DLL, 0x0c);
	out(DLM, 0x01);
	EXPECT_EQ(in(DLL), 0x0c);
	EXPECT_EQ(in(DLM), 0x01);
	EXPECT_EQ(t.tx_len, 0);
	out(LCR, 0x03);
	EXPECT_EQ(in(IER), 0x05);
	EXPECT_EQ(in(LCR), 0x03);
	out(LCR, 0x83);
	EXPECT_EQ(in(DLL), 0x0c);
	return KTAP_PASS;
}

static enum ktap_result loopback_returns_data(void)
{
	setup();
	out(MCR, 0x10);
	out(THR, 0x5a);
	EXPECT_EQ(t.tx_len, 0);
	EXPECT_EQ(in(LSR) & 0x01, 0x01);
	EXPECT_EQ(in(RBR), 0x5a);
	EXPECT_EQ(in(LSR) & 0x01, 0);
	/* The receiver hears only the transmitter now. */
	EXPECT_EQ(uart_rx_space(&t.uart), 0);
	EXPECT_EQ(uart_receive(&t.uart, (const uint8_t *)"x", 1), 0);
	out(MCR, 0);
	EXPECT_EQ(uart_rx_space(&t.uart), 1);
	return KTAP_PASS;
}

static enum ktap_result loopback_modem_status(void)
{
	setup();
	out(MCR, 0x10 | 0x01 | 0x04);		/* DTR, OUT1 */
	/* DSR, RI; and leaving CTS/DSR/DCD all high flagged deltas. */
	EXPECT_EQ(in(MSR), 0x20 | 0x40 | 0x01 | 0x08);
	EXPECT_EQ(in(MSR), 0x60);		/* deltas clear on read */
	out(MCR, 0x10 | 0x01);			/* RI trailing edge */
	EXPECT_EQ(in(MSR), 0x20 | 0x04);
	out(MCR, 0);
	EXPECT_EQ(in(MSR) & 0xf0, 0xb0);	/* CTS DSR DCD */
	return KTAP_PASS;
}

static enum ktap_result fifo_fills_and_overruns(void)
{
	uint8_t buf[20];
	unsigned int i;

	setup();
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	/* Without FIFOs, the holding register takes one byte. */
	EXPECT_EQ(uart_receive(&t.uart, buf, sizeof(buf)), 1);
	out(FCR, 0x01);				/* FIFO on empties it */
	EXPECT_EQ(in(LSR) & 0x01, 0);
	EXPECT_EQ(uart_rx_space(&t.uart), UART_FIFO_SIZE);
	EXPECT_EQ(uart_receive(&t.uart, buf, sizeof(buf)), UART_FIFO_SIZE);
	EXPECT_EQ(uart_rx_space(&t.uart), 0);
	EXPECT_EQ(in(LSR), 0x61);		/* no overrun: host kept it */

	/* A looped-back byte into the full FIFO is an overrun. */
	out(MCR, 0x10);
	out(THR, 0xee);
	EXPECT_EQ(in(LSR), 0x63);
	EXPECT_EQ(in(LSR), 0x61);		/* OE clears on read */
	out(MCR, 0);
	for (i = 0; i < UART_FIFO_SIZE; i++)
		EXPECT_EQ(in(RBR), i);
	EXPECT_EQ(in(LSR), 0x60);
	EXPECT_EQ(uart_rx_space(&t.uart), UART_FIFO_SIZE);

	/* FCR clear-RX empties it. */
	EXPECT_EQ(uart_receive(&t.uart, buf, 3), 3);
	out(FCR, 0x01 | 0x02);
	EXPECT_EQ(in(LSR) & 0x01, 0);
	return KTAP_PASS;
}

static enum ktap_result thre_interrupt(void)
{
	setup();
	out(FCR, 0x01);
	out(MCR, 0x08);				/* OUT2 */
	EXPECT_EQ(in(IIR), 0xc1);
	out(IER, 0x02);
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(in(IIR), 0xc2);		/* acknowledges it */
	EXPECT_EQ(t.level, 0);
	EXPECT_EQ(in(IIR), 0xc1);

	/* Linux's UART_BUG_THRE test: re-enabling re-raises it. */
	out(IER, 0);
	out(IER, 0x02);
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(in(IIR), 0xc2);

	/* Each THR write is followed by THR empty: a new edge. */
	out(IER, 0x02);				/* no change: no new one */
	EXPECT_EQ(in(IIR), 0xc1);
	t.irq_calls = 0;
	out(THR, 'a');
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(t.irq_calls, 1);
	out(THR, 'b');
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(t.irq_calls, 3);		/* dropped and came back */
	out(IER, 0);
	EXPECT_EQ(t.level, 0);
	return KTAP_PASS;
}

static enum ktap_result interrupt_priorities(void)
{
	setup();
	out(FCR, 0x01);
	out(MCR, 0x08);
	out(MCR, 0x18);				/* loopback: deltas */
	out(MCR, 0x08);
	EXPECT_EQ(uart_receive(&t.uart, (const uint8_t *)"ab", 2), 2);
	out(MCR, 0x18);
	out(THR, 'c');
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		out(THR, 'd');			/* overrun */
	out(MCR, 0x08);
	out(IER, 0x0f);
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(in(IIR), 0xc6);		/* line status */
	EXPECT_EQ(in(LSR) & 0x03, 0x03);
	EXPECT_EQ(in(IIR), 0xc4);		/* data, at trigger level 1 */
	while (in(LSR) & 0x01)
		in(RBR);
	EXPECT_EQ(in(IIR), 0xc2);		/* THR empty */
	EXPECT_EQ(in(IIR), 0xc0);		/* modem status */
	EXPECT_EQ(t.level, 1);
	in(MSR);
	EXPECT_EQ(in(IIR), 0xc1);
	EXPECT_EQ(t.level, 0);
	return KTAP_PASS;
}

static enum ktap_result rx_trigger_level_and_timeout(void)
{
	uint8_t buf[UART_FIFO_SIZE] = { 0 };

	setup();
	out(FCR, 0xc1);				/* trigger at 14 */
	out(MCR, 0x08);
	out(IER, 0x01);
	EXPECT_EQ(t.level, 0);
	EXPECT_EQ(uart_receive(&t.uart, buf, 1), 1);
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(in(IIR), 0xcc);		/* below trigger: timeout */
	EXPECT_EQ(uart_receive(&t.uart, buf, 13), 13);
	EXPECT_EQ(in(IIR), 0xc4);
	while (in(LSR) & 0x01)
		in(RBR);
	EXPECT_EQ(in(IIR), 0xc1);
	EXPECT_EQ(t.level, 0);

	/* Without FIFOs there is no timeout, and no FIFO bits. */
	out(FCR, 0);
	EXPECT_EQ(uart_receive(&t.uart, buf, 2), 1);
	EXPECT_EQ(in(IIR), 0x04);
	return KTAP_PASS;
}

static enum ktap_result out2_and_loopback_gate_irq(void)
{
	setup();
	out(IER, 0x02);
	EXPECT_EQ(t.irq_calls, 0);
	out(MCR, 0x08);
	EXPECT_EQ(t.level, 1);
	out(MCR, 0x18);
	EXPECT_EQ(t.level, 0);
	out(MCR, 0x0b);
	EXPECT_EQ(t.level, 1);
	out(MCR, 0x03);
	EXPECT_EQ(t.level, 0);
	/* Still pending inside: IIR reports it. */
	EXPECT_EQ(in(IIR), 0x02);
	EXPECT_EQ(t.irq_calls, 4);
	return KTAP_PASS;
}

static enum ktap_result malformed_accesses(void)
{
	uint8_t buf[8];
	uint64_t v;

	setup();
	memset(buf, 0x11, sizeof(buf));
	uart_io(&t.uart, 0, buf, 8, true);	/* SCR ends up 0x11 */
	EXPECT_EQ(in(SCR), 0x11);
	uart_io(&t.uart, 6, &v, 8, false);	/* past the end */
	uart_io(&t.uart, 6, &v, 8, true);
	uart_io(&t.uart, 8, &v, 1, true);
	uart_io(&t.uart, ~0ULL, &v, 4, false);
	uart_io(&t.uart, 100, &v, 4, false);
	EXPECT_EQ(uart_receive(&t.uart, NULL, 0), 0);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(linux_autoconfig_finds_16550a),
	KTAP_CASE(transmit_is_instant),
	KTAP_CASE(dlab_selects_divisor),
	KTAP_CASE(loopback_returns_data),
	KTAP_CASE(loopback_modem_status),
	KTAP_CASE(fifo_fills_and_overruns),
	KTAP_CASE(thre_interrupt),
	KTAP_CASE(interrupt_priorities),
	KTAP_CASE(rx_trigger_level_and_timeout),
	KTAP_CASE(out2_and_loopback_gate_irq),
	KTAP_CASE(malformed_accesses),
};

int main(void)
{
	return ktap_run(cases, sizeof(cases) / sizeof(cases[0]));
}
