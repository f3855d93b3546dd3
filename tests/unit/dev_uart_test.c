// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the 16550A model: the register sequences Linux's 8250
 * driver uses (autoconfig, startup, interrupt handling), checked against
 * the PC16550D data sheet.
 */
#include <stdio.h>
#include "vmmon_harness.h"
#include "hw/uart.h"

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
	struct __test_metadata *test;	/* the running test, for callbacks */
	struct uart uart;
	int level;		/* the IRQ line */
	int irq_calls;
	uint8_t tx[64];
	unsigned int tx_len;
} t;

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	EXPECT_EQ(gsi, (unsigned int)UART_COM1_IRQ);
	/* The line is only ever told about a change. */
	EXPECT_TRUE(level != t.level);
	t.level = level;
	t.irq_calls++;
}

static void tx(void *opaque, uint8_t byte)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	if (t.tx_len < sizeof(t.tx))
		t.tx[t.tx_len++] = byte;
}

static struct uart *setup(struct __test_metadata *_metadata)
{
	struct irq_line irq = { irq_set, &t, UART_COM1_IRQ };

	memset(&t, 0, sizeof(t));
	t.test = _metadata;
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
TEST(linux_autoconfig_finds_16550a)
{
	setup(_metadata);

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
	EXPECT_EQ(t.tx_len, 0u);
}

TEST(transmit_is_instant)
{
	setup(_metadata);
	out(LCR, 0x03);
	EXPECT_EQ(in(LSR), 0x60);	/* THRE | TEMT */
	out(THR, 'h');
	out(THR, 'i');
	EXPECT_EQ(in(LSR), 0x60);
	ASSERT_EQ(t.tx_len, 2u);
	EXPECT_EQ(t.tx[0], 'h');
	EXPECT_EQ(t.tx[1], 'i');
}

TEST(dlab_selects_divisor)
{
	setup(_metadata);
	out(IER, 0x05);
	out(LCR, 0x80 | 0x03);
	out(DLL, 0x0c);
	out(DLM, 0x01);
	EXPECT_EQ(in(DLL), 0x0c);
	EXPECT_EQ(in(DLM), 0x01);
	EXPECT_EQ(t.tx_len, 0u);
	out(LCR, 0x03);
	EXPECT_EQ(in(IER), 0x05);
	EXPECT_EQ(in(LCR), 0x03);
	out(LCR, 0x83);
	EXPECT_EQ(in(DLL), 0x0c);
}

TEST(loopback_returns_data)
{
	setup(_metadata);
	out(MCR, 0x10);
	out(THR, 0x5a);
	EXPECT_EQ(t.tx_len, 0u);
	EXPECT_EQ(in(LSR) & 0x01, 0x01);
	EXPECT_EQ(in(RBR), 0x5a);
	EXPECT_EQ(in(LSR) & 0x01, 0);
	/* The receiver hears only the transmitter now. */
	EXPECT_EQ(uart_rx_space(&t.uart), 0u);
	EXPECT_EQ(uart_receive(&t.uart, (const uint8_t *)"x", 1), 0u);
	out(MCR, 0);
	EXPECT_EQ(uart_rx_space(&t.uart), 1u);
}

TEST(loopback_modem_status)
{
	setup(_metadata);
	out(MCR, 0x10 | 0x01 | 0x04);		/* DTR, OUT1 */
	/* DSR, RI; and leaving CTS/DSR/DCD all high flagged deltas. */
	EXPECT_EQ(in(MSR), 0x20 | 0x40 | 0x01 | 0x08);
	EXPECT_EQ(in(MSR), 0x60);		/* deltas clear on read */
	out(MCR, 0x10 | 0x01);			/* RI trailing edge */
	EXPECT_EQ(in(MSR), 0x20 | 0x04);
	out(MCR, 0);
	EXPECT_EQ(in(MSR) & 0xf0, 0xb0);	/* CTS DSR DCD */
}

TEST(fifo_fills_and_overruns)
{
	uint8_t buf[20];
	unsigned int i;

	setup(_metadata);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	/* Without FIFOs, the holding register takes one byte. */
	EXPECT_EQ(uart_receive(&t.uart, buf, sizeof(buf)), 1u);
	out(FCR, 0x01);				/* FIFO on empties it */
	EXPECT_EQ(in(LSR) & 0x01, 0);
	EXPECT_EQ(uart_rx_space(&t.uart), (size_t)UART_FIFO_SIZE);
	EXPECT_EQ(uart_receive(&t.uart, buf, sizeof(buf)),
		  (size_t)UART_FIFO_SIZE);
	EXPECT_EQ(uart_rx_space(&t.uart), 0u);
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
	EXPECT_EQ(uart_rx_space(&t.uart), (size_t)UART_FIFO_SIZE);

	/* FCR clear-RX empties it. */
	EXPECT_EQ(uart_receive(&t.uart, buf, 3), 3u);
	out(FCR, 0x01 | 0x02);
	EXPECT_EQ(in(LSR) & 0x01, 0);
}

TEST(thre_interrupt)
{
	setup(_metadata);
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
}

TEST(interrupt_priorities)
{
	setup(_metadata);
	out(FCR, 0x01);
	out(MCR, 0x08);
	out(MCR, 0x18);				/* loopback: deltas */
	out(MCR, 0x08);
	EXPECT_EQ(uart_receive(&t.uart, (const uint8_t *)"ab", 2), 2u);
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
}

TEST(rx_trigger_level_and_timeout)
{
	uint8_t buf[UART_FIFO_SIZE] = { 0 };

	setup(_metadata);
	out(FCR, 0xc1);				/* trigger at 14 */
	out(MCR, 0x08);
	out(IER, 0x01);
	EXPECT_EQ(t.level, 0);
	EXPECT_EQ(uart_receive(&t.uart, buf, 1), 1u);
	EXPECT_EQ(t.level, 1);
	EXPECT_EQ(in(IIR), 0xcc);		/* below trigger: timeout */
	EXPECT_EQ(uart_receive(&t.uart, buf, 13), 13u);
	EXPECT_EQ(in(IIR), 0xc4);
	while (in(LSR) & 0x01)
		in(RBR);
	EXPECT_EQ(in(IIR), 0xc1);
	EXPECT_EQ(t.level, 0);

	/* Without FIFOs there is no timeout, and no FIFO bits. */
	out(FCR, 0);
	EXPECT_EQ(uart_receive(&t.uart, buf, 2), 1u);
	EXPECT_EQ(in(IIR), 0x04);
}

TEST(out2_and_loopback_gate_irq)
{
	setup(_metadata);
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
}

TEST(malformed_accesses)
{
	uint8_t buf[8];
	uint64_t v;

	setup(_metadata);
	memset(buf, 0x11, sizeof(buf));
	uart_io(&t.uart, 0, buf, 8, true);	/* SCR ends up 0x11 */
	EXPECT_EQ(in(SCR), 0x11);
	uart_io(&t.uart, 6, &v, 8, false);	/* past the end */
	uart_io(&t.uart, 6, &v, 8, true);
	uart_io(&t.uart, 8, &v, 1, true);
	uart_io(&t.uart, ~0ULL, &v, 4, false);
	uart_io(&t.uart, 100, &v, 4, false);
	EXPECT_EQ(uart_receive(&t.uart, NULL, 0), 0u);
}

TEST_HARNESS_MAIN
