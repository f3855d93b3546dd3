// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the i8254 model on a fake clock: IRQ 0 timing in the
 * modes Linux's clockevent uses, counter reads as its TSC calibration
 * does them, port 0x61.
 */
#include <stdio.h>
#include "vmmon_harness.h"
#include "hw/pit.h"

#define CH0		0
#define CH2		2
#define CONTROL		3

/* Control words */
#define CH0_MODE2	0x34	/* Linux periodic: ch0, LSB/MSB, mode 2 */
#define CH0_MODE4	0x38	/* Linux oneshot: ch0, LSB/MSB, mode 4 */
#define CH0_MODE0	0x30
#define CH0_LATCH	0x00
#define CH2_MODE0	0xb0	/* TSC calibration: ch2, LSB/MSB, mode 0 */
#define CH2_MODE3	0xb6

#define GATE2		0x01
#define OUT2		0x20
#define REFRESH		0x10

static struct {
	struct __test_metadata *test;	/* the running test, for irq0() */
	struct vm_clock clock;
	struct pit pit;
	int level;
	int pulses;
} t;

static void irq0(void *opaque, unsigned int gsi, int level)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	EXPECT_EQ(gsi, (unsigned int)PIT_IRQ);
	EXPECT_TRUE(level != t.level);
	t.level = level;
	if (level)
		t.pulses++;
}

static void setup(struct __test_metadata *_metadata)
{
	struct irq_line line = { irq0, &t, PIT_IRQ };

	memset(&t, 0, sizeof(t));
	t.test = _metadata;
	vm_clock_init_fake(&t.clock);
	pit_init(&t.pit, &t.clock, line);
}

static void out(unsigned int port, uint8_t v)
{
	pit_io(&t.pit, port, &v, 1, true);
}

static uint8_t in(unsigned int port)
{
	uint8_t v = 0;

	pit_io(&t.pit, port, &v, 1, false);
	return v;
}

static void out61(uint8_t v)
{
	pit_port61_io(&t.pit, 0, &v, 1, true);
}

static uint8_t in61(void)
{
	uint8_t v = 0;

	pit_port61_io(&t.pit, 0, &v, 1, false);
	return v;
}

static void load(unsigned int port, uint16_t count)
{
	out(port, count & 0xff);
	out(port, count >> 8);
}

static uint16_t read16(unsigned int port)
{
	uint16_t lsb = in(port);

	return lsb | in(port) << 8;
}

/* The first nanosecond at which @ticks input clocks have passed. */
static uint64_t at(uint64_t ticks)
{
	return (ticks * 1000000000ULL + PIT_HZ - 1) / PIT_HZ;
}

static void advance(uint64_t ns)
{
	vm_clock_fake_advance(&t.clock, ns);
}

TEST(mode2_periodic_irq)
{
	setup(_metadata);
	out(CONTROL, CH0_MODE2);
	load(CH0, 1000);
	EXPECT_EQ(t.pulses, 0);
	advance(at(1000) - 1);
	EXPECT_EQ(t.pulses, 0);
	advance(at(1000));
	EXPECT_EQ(t.pulses, 1);
	EXPECT_EQ(t.level, 0);			/* a pulse, not a level */
	advance(at(2000) - 1);
	EXPECT_EQ(t.pulses, 1);
	advance(at(2000));
	EXPECT_EQ(t.pulses, 2);
	/* Late by many periods: one interrupt, then back on schedule. */
	advance(at(10500));
	EXPECT_EQ(t.pulses, 3);
	advance(at(11000) - 1);
	EXPECT_EQ(t.pulses, 3);
	advance(at(11000));
	EXPECT_EQ(t.pulses, 4);
	/* A new mode stops it. */
	out(CONTROL, CH0_MODE2);
	advance(at(20000));
	EXPECT_EQ(t.pulses, 4);
	EXPECT_TRUE(!t.pit.timer.armed);
}

/* A tiny period must not flood the timer thread: at most 5 kHz. */
TEST(irq_rate_is_bounded)
{
	uint64_t ns;

	setup(_metadata);
	out(CONTROL, CH0_MODE2);
	load(CH0, 2);
	for (ns = 0; ns <= 10000000; ns += 1000)
		advance(ns);
	EXPECT_TRUE(t.pulses >= 45 && t.pulses <= 51);
	/* Linux's fastest periodic tick (HZ=1000) is unaffected. */
	advance(at(20000));
	out(CONTROL, CH0_MODE2);
	load(CH0, 1193);
	t.pulses = 0;
	advance(at(20000 + 1193) - 1);
	EXPECT_EQ(t.pulses, 0);
	advance(at(20000 + 1193));
	EXPECT_EQ(t.pulses, 1);
	advance(at(20000 + 2 * 1193));
	EXPECT_EQ(t.pulses, 2);
}

TEST(mode4_oneshot_irq)
{
	setup(_metadata);
	out(CONTROL, CH0_MODE4);
	load(CH0, 100);
	/* OUT strobes low at terminal count, rises a tick later. */
	advance(at(100));
	EXPECT_EQ(t.pulses, 0);
	advance(at(101));
	EXPECT_EQ(t.pulses, 1);
	advance(at(100000));
	EXPECT_EQ(t.pulses, 1);
	/* Linux's next_event: rewriting the count re-arms it. */
	load(CH0, 50);
	advance(at(100000 + 51));
	EXPECT_EQ(t.pulses, 2);
}

TEST(mode0_irq_once)
{
	setup(_metadata);
	out(CONTROL, CH0_MODE0);
	load(CH0, 0);				/* 65536 */
	advance(at(65535));
	EXPECT_EQ(t.pulses, 0);
	advance(at(65536));
	EXPECT_EQ(t.pulses, 1);
	advance(at(3 * 65536));
	EXPECT_EQ(t.pulses, 1);
}

TEST(latch_reads_counter)
{
	setup(_metadata);
	advance(at(7));
	out(CONTROL, CH0_MODE2);
	load(CH0, 1000);
	advance(at(7 + 250));
	out(CONTROL, CH0_LATCH);
	advance(at(7 + 400));
	out(CONTROL, CH0_LATCH);		/* ignored: one is pending */
	EXPECT_EQ(read16(CH0), 750);
	EXPECT_EQ(read16(CH0), 600);		/* live again */
	/* Mode 2 reloads: count never reads 0. */
	advance(at(7 + 1000));
	EXPECT_EQ(read16(CH0), 1000);
	advance(at(7 + 1999));
	EXPECT_EQ(read16(CH0), 1);

	/* Mode 0 counts through 0 and wraps. */
	out(CONTROL, CH0_MODE0);
	load(CH0, 0x1234);
	advance(at(7 + 1999 + 0x234));
	EXPECT_EQ(read16(CH0), 0x1000);
	advance(at(7 + 1999 + 0x1235));
	EXPECT_EQ(read16(CH0), 0xffff);
}

TEST(access_modes_and_flip_flop)
{
	setup(_metadata);
	out(CONTROL, 0x10);			/* ch0, LSB only, mode 0 */
	out(CH0, 0x80);
	EXPECT_EQ(in(CH0), 0x80);
	EXPECT_EQ(in(CH0), 0x80);		/* no MSB step */
	out(CONTROL, 0x20);			/* MSB only */
	out(CH0, 0x02);
	advance(at(1));
	EXPECT_EQ(in(CH0), 0x01);		/* 0x1ff */
	EXPECT_EQ(in(CH0), 0x01);

	/* LSB/MSB: the write flip-flop pairs bytes... */
	out(CONTROL, CH0_MODE0);
	out(CH0, 0x34);
	EXPECT_EQ(t.pit.ch[0].loaded, false);	/* waits for the MSB */
	out(CH0, 0x12);
	EXPECT_EQ(t.pit.ch[0].count, 0x1234u);
	/* ...and the read one alternates, even across a latch. */
	EXPECT_EQ(in(CH0), 0x34);
	out(CONTROL, CH0_LATCH);
	EXPECT_EQ(in(CH0), 0x12);
	EXPECT_EQ(in(CH0), 0x34);
	/* A control word resets both. */
	out(CH0, 0x99);
	out(CONTROL, CH0_MODE0);
	load(CH0, 0x5678);
	EXPECT_EQ(read16(CH0), 0x5678);
}

TEST(read_back_command)
{
	setup(_metadata);
	out(CONTROL, CH2_MODE0);
	out(CONTROL, 0xe8);			/* status of ch2 */
	EXPECT_EQ(in(CH2), 0x40 | 0x30);	/* null count, OUT low */
	load(CH2, 150);
	out61(GATE2);
	advance(at(100));
	out(CONTROL, 0xe8);
	EXPECT_EQ(in(CH2), 0x30);		/* counting, mode 0 */
	/* Count and status of ch0 and ch2: status first. */
	out(CONTROL, CH0_MODE2);
	load(CH0, 500);
	advance(at(200));
	out(CONTROL, 0xc0 | 0x02 | 0x08);
	advance(at(700));
	EXPECT_EQ(in(CH0), 0x80 | 0x34);	/* OUT high, mode 2 */
	EXPECT_EQ(read16(CH0), 400);
	EXPECT_EQ(in(CH2), 0x80 | 0x30);	/* past 150: OUT high */
	EXPECT_EQ(read16(CH2), (uint16_t)(150 - 200));
	/* Count only, latched at tick 700, 600 after the load. */
	out(CONTROL, 0xd0 | 0x02);
	advance(at(800));
	EXPECT_EQ(read16(CH0), 400);
	EXPECT_EQ(read16(CH0), 300);
	/* A pending count latch is kept until read. */
	out(CONTROL, 0xc0 | 0x08);
	EXPECT_EQ(in(CH2), 0x80 | 0x30);
	out(CONTROL, 0xc0 | 0x08);
	advance(at(900));
	EXPECT_EQ(in(CH2), 0x80 | 0x30);
	EXPECT_EQ(read16(CH2), (uint16_t)(150 - 800));
}

/* As Linux's quick_pit_calibrate() and pit_calibrate_tsc() do it. */
TEST(channel2_gate_and_out2)
{
	unsigned int i;

	setup(_metadata);
	EXPECT_EQ(in61() & (GATE2 | OUT2), 0);
	out61((in61() & ~0x02) | GATE2);
	out(CONTROL, CH2_MODE0);
	load(CH2, 0xffff);
	EXPECT_EQ(in61() & OUT2, 0);
	for (i = 0; i < 64; i++) {
		advance(at(i * 256 + 1));
		in(CH2);			/* LSB, ignored */
		EXPECT_EQ(in(CH2), 0xff - i);
	}

	/* 50 ms as pit_calibrate_tsc() sets it. */
	setup(_metadata);
	out61(GATE2);
	out(CONTROL, CH2_MODE0);
	load(CH2, 59659);
	advance(at(59658));
	EXPECT_EQ(in61() & OUT2, 0);
	advance(at(59659));
	EXPECT_EQ(in61() & OUT2, OUT2);
	EXPECT_EQ(t.pulses, 0);			/* channel 2 has no IRQ */

	/* Gate low stops mode 0 counting, high resumes it. */
	out(CONTROL, CH2_MODE0);
	load(CH2, 1000);
	advance(at(59659 + 100));
	out61(0);
	advance(at(59659 + 900));
	EXPECT_EQ(read16(CH2), 900);
	out61(GATE2);
	advance(at(59659 + 1700));
	EXPECT_EQ(read16(CH2), 100);
	EXPECT_EQ(in61() & OUT2, 0);
}

TEST(mode3_square_wave)
{
	uint64_t base;

	setup(_metadata);
	out61(GATE2);
	base = at(5);
	advance(base);
	out(CONTROL, CH2_MODE3);
	load(CH2, 10);
	/* High for half the period, low for the other half. */
	advance(base + at(4));
	EXPECT_EQ(in61() & OUT2, OUT2);
	EXPECT_EQ(read16(CH2), 2);		/* counts down by 2 */
	advance(base + at(6));
	EXPECT_EQ(in61() & OUT2, 0);
	advance(base + at(11));
	EXPECT_EQ(in61() & OUT2, OUT2);
	/* Gate low forces OUT high; rising restarts the period. */
	advance(base + at(17));
	EXPECT_EQ(in61() & OUT2, 0);
	out61(0);
	EXPECT_EQ(in61() & OUT2, OUT2);
	out61(GATE2);
	EXPECT_EQ(read16(CH2), 10);
}

TEST(port61_bits)
{
	uint8_t a, b;

	setup(_metadata);
	out61(0xff);
	a = in61();
	b = in61();
	EXPECT_EQ(a & 0x0f, 0x0f);
	EXPECT_EQ((a ^ b) & REFRESH, REFRESH);	/* toggles per read */
	EXPECT_EQ(a & 0xc0, 0);			/* no NMI sources */
	out61(0x02);
	EXPECT_EQ(in61() & 0x0f, 0x02);
}

TEST(malformed_accesses)
{
	uint64_t v = ~0ULL;

	setup(_metadata);
	pit_io(&t.pit, 4, &v, 1, true);
	pit_io(&t.pit, ~0ULL, &v, 8, false);
	pit_io(&t.pit, 2, &v, 8, true);		/* count ch2, control 0xff */
	pit_io(&t.pit, 0, &v, 8, false);
	pit_port61_io(&t.pit, 1, &v, 1, true);
	pit_port61_io(&t.pit, 0, &v, 0, false);
	/* Every control word, then counts of 0 and 1 in every mode. */
	for (v = 0; v < 0x100; v++) {
		uint8_t cw = v;

		pit_io(&t.pit, CONTROL, &cw, 1, true);
		load(CH0, v & 1);
		load(CH2, v & 1);
		advance(at(v * 3));
		in(CH0);
		in61();
	}
}

TEST_HARNESS_MAIN
