// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the i8259A pair: Linux's i8259 driver sequences (probe,
 * init, mask/ack, spurious check), priorities, cascade, trigger modes.
 */
#include <stdio.h>
#include "vmmon_harness.h"
#include "hw/pic.h"

#define MASTER_CMD	0x20
#define MASTER_IMR	0x21
#define SLAVE_CMD	0xa0
#define SLAVE_IMR	0xa1
#define ELCR_MASTER	0x4d0
#define ELCR_SLAVE	0x4d1

#define VEC_MASTER	0x30	/* Linux's ISA_IRQ_VECTOR(0) on x86-64 */
#define VEC_SLAVE	0x38

#define OCW3_READ_IRR	0x0a
#define OCW3_READ_ISR	0x0b
#define OCW3_POLL	0x0c
#define EOI		0x20
#define SPECIFIC_EOI	0x60

static struct {
	struct __test_metadata *test;	/* the running test, for output() */
	struct pic pic;
	int intr;
	int calls;
} t;

static void output(void *opaque, int level)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	EXPECT_TRUE(level != t.intr);	/* only changes are told */
	t.intr = level;
	t.calls++;
}

/* A byte access to @port, through the model's I/O handler for it. */
static void io(unsigned int port, uint8_t *v, bool is_write)
{
	if (port >= ELCR_MASTER)
		pic_elcr_io(&t.pic, port - ELCR_MASTER, v, 1, is_write);
	else if (port >= SLAVE_CMD)
		pic_slave_io(&t.pic, port - SLAVE_CMD, v, 1, is_write);
	else
		pic_master_io(&t.pic, port - MASTER_CMD, v, 1, is_write);
}

static void out(unsigned int port, uint8_t v)
{
	io(port, &v, true);
}

static uint8_t in(unsigned int port)
{
	uint8_t v = 0;

	io(port, &v, false);
	return v;
}

/* OCW3 @ocw3 to the chip at @cmd, then what its command port reads. */
static uint8_t ocw3_read(unsigned int cmd, uint8_t ocw3)
{
	out(cmd, ocw3);
	return in(cmd);
}

/* The chip at @cmd initialised: ICW1, then ICW2 (@vector) to ICW4. */
static void init_chip(unsigned int cmd, uint8_t vector, uint8_t icw3,
		      uint8_t icw4)
{
	out(cmd, 0x11);				/* ICW1: edge, cascade, ICW4 */
	out(cmd + 1, vector);
	out(cmd + 1, icw3);
	out(cmd + 1, icw4);
}

/* Linux's init_8259A(false) after probe_8259A(), all IRQs unmasked. */
static void linux_program(struct __test_metadata *_metadata,
			  uint8_t master_icw4)
{
	out(MASTER_IMR, 0xff);
	out(SLAVE_IMR, 0xff);
	out(MASTER_IMR, 0xfb);			/* probe */
	ASSERT_EQ(in(MASTER_IMR), 0xfb);
	out(MASTER_IMR, 0xff);

	/* ICW3: the slave is on IR2, and has ID 2; ICW4: 8086 mode. */
	init_chip(MASTER_CMD, VEC_MASTER, 1 << 2, master_icw4);
	init_chip(SLAVE_CMD, VEC_SLAVE, 2, 0x01);

	out(MASTER_IMR, 0);
	out(SLAVE_IMR, 0);
	EXPECT_EQ(in(MASTER_IMR), 0);
	EXPECT_EQ(t.calls, 0);
}

static void linux_init(struct __test_metadata *_metadata,
		       uint8_t master_icw4)
{
	memset(&t, 0, sizeof(t));
	t.test = _metadata;
	pic_init(&t.pic, output, &t);
	linux_program(_metadata, master_icw4);
}

TEST(init_sequence_and_vectors)
{
	linux_init(_metadata, 0x01);
	pic_set_irq(&t.pic, 0, 1);
	EXPECT_EQ(t.intr, 1);
	EXPECT_TRUE(pic_output(&t.pic));
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER);
	EXPECT_EQ(t.intr, 0);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0x01);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_IRR), 0);
	out(MASTER_CMD, SPECIFIC_EOI + 0);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0);
}

TEST(priority_and_nesting)
{
	linux_init(_metadata, 0x01);
	pic_set_irq(&t.pic, 4, 1);
	pic_set_irq(&t.pic, 1, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 1);
	/* IRQ 4 waits: IRQ 1, of higher priority, is in service. */
	EXPECT_EQ(t.intr, 0);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_IRR), 0x10);
	out(MASTER_CMD, EOI);
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 4);
	/* But IRQ 0 may interrupt IRQ 4's handler. */
	pic_set_irq(&t.pic, 0, 1);
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0x11);
	out(MASTER_CMD, EOI);			/* the highest: IRQ 0 */
	EXPECT_EQ(in(MASTER_CMD), 0x10);
}

TEST(mask_holds_request)
{
	linux_init(_metadata, 0x01);
	out(MASTER_IMR, 0x08);
	pic_set_irq(&t.pic, 3, 1);
	pic_set_irq(&t.pic, 3, 0);		/* an edge, latched */
	EXPECT_EQ(t.intr, 0);
	out(MASTER_IMR, 0);
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 3);
	out(MASTER_CMD, SPECIFIC_EOI + 3);
	EXPECT_EQ(t.intr, 0);
}

TEST(cascade_irq12)
{
	linux_init(_metadata, 0x01);
	pic_set_irq(&t.pic, 12, 1);
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 4);
	EXPECT_EQ(t.intr, 0);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0x04);
	EXPECT_EQ(ocw3_read(SLAVE_CMD, OCW3_READ_ISR), 0x10);

	/* Another slave IRQ meanwhile waits for both EOIs. */
	pic_set_irq(&t.pic, 12, 0);
	pic_set_irq(&t.pic, 9, 1);
	EXPECT_EQ(t.intr, 0);
	out(SLAVE_CMD, SPECIFIC_EOI + 4);	/* mask_and_ack_8259A order */
	EXPECT_EQ(t.intr, 0);
	out(MASTER_CMD, SPECIFIC_EOI + 2);
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 1);

	/* Masking the cascade masks the whole slave. */
	out(SLAVE_CMD, SPECIFIC_EOI + 1);
	out(MASTER_IMR, 1 << 2);
	out(MASTER_CMD, SPECIFIC_EOI + 2);
	pic_set_irq(&t.pic, 15, 1);
	EXPECT_EQ(t.intr, 0);
	out(MASTER_IMR, 0);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 7);
}

TEST(edge_needs_new_edge)
{
	linux_init(_metadata, 0x01);
	pic_set_irq(&t.pic, 6, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 6);
	out(MASTER_CMD, EOI);
	/* Still high, but no new edge: nothing. */
	EXPECT_EQ(t.intr, 0);
	pic_set_irq(&t.pic, 6, 0);
	pic_set_irq(&t.pic, 6, 1);
	EXPECT_EQ(t.intr, 1);
}

TEST(level_via_elcr)
{
	linux_init(_metadata, 0x01);
	out(ELCR_MASTER, 0xff);
	EXPECT_EQ(in(ELCR_MASTER), 0xf8);	/* IRQ 0-2 always edge */
	out(ELCR_SLAVE, 0xff);
	EXPECT_EQ(in(ELCR_SLAVE), 0xde);	/* IRQ 8 and 13 too */
	out(ELCR_MASTER, 0);
	out(ELCR_SLAVE, 1 << 3);		/* IRQ 11 level */

	pic_set_irq(&t.pic, 11, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 3);
	out(SLAVE_CMD, EOI);
	out(MASTER_CMD, EOI);
	/* The line is still high: requested again. */
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 3);
	pic_set_irq(&t.pic, 11, 0);
	out(SLAVE_CMD, EOI);
	out(MASTER_CMD, EOI);
	EXPECT_EQ(t.intr, 0);
	EXPECT_EQ(ocw3_read(SLAVE_CMD, OCW3_READ_IRR), 0);
}

TEST(spurious_irq7)
{
	linux_init(_metadata, 0x01);
	out(ELCR_MASTER, 1 << 5);
	pic_set_irq(&t.pic, 5, 1);
	EXPECT_EQ(t.intr, 1);
	pic_set_irq(&t.pic, 5, 0);		/* gone before INTA */
	EXPECT_EQ(t.intr, 0);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 7);
	/* Linux's i8259A_irq_real(): ISR bit 7 clear means spurious. */
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0);
}

TEST(auto_eoi)
{
	linux_init(_metadata, 0x03);
	pic_set_irq(&t.pic, 1, 1);
	pic_set_irq(&t.pic, 3, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 1);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0);
	/* Nothing in service: IRQ 3 follows without an EOI. */
	EXPECT_EQ(t.intr, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 3);
}

TEST(rotation)
{
	linux_init(_metadata, 0x01);
	out(MASTER_CMD, 0xc0 | 3);		/* IRQ 3 lowest, 4 highest */
	pic_set_irq(&t.pic, 1, 1);
	pic_set_irq(&t.pic, 5, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 5);
	out(MASTER_CMD, 0xa0);			/* rotate on EOI: 5 lowest */
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 1);
	out(MASTER_CMD, 0xe0 | 1);		/* rotate on specific EOI */
	pic_set_irq(&t.pic, 0, 1);
	pic_set_irq(&t.pic, 3, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 3);
}

TEST(special_mask_mode)
{
	linux_init(_metadata, 0x01);
	pic_set_irq(&t.pic, 3, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 3);
	pic_set_irq(&t.pic, 5, 1);
	EXPECT_EQ(t.intr, 0);			/* below IRQ 3 in service */
	out(MASTER_CMD, 0x68);			/* set special mask */
	out(MASTER_IMR, 1 << 3);
	EXPECT_EQ(t.intr, 1);			/* masked: IRQ 3 blocks none */
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_MASTER + 5);
	out(MASTER_CMD, SPECIFIC_EOI + 5);
	pic_set_irq(&t.pic, 5, 0);
	pic_set_irq(&t.pic, 5, 1);
	out(MASTER_CMD, 0x48);			/* reset special mask */
	EXPECT_EQ(t.intr, 0);
}

TEST(poll_mode)
{
	linux_init(_metadata, 0x01);
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_POLL), 0);		/* nothing */
	pic_set_irq(&t.pic, 6, 1);
	out(MASTER_CMD, OCW3_POLL);
	EXPECT_EQ(in(MASTER_IMR), 0x86);
	EXPECT_EQ(t.intr, 0);
	EXPECT_EQ(in(MASTER_IMR), 0);		/* a normal read again */
	EXPECT_EQ(ocw3_read(MASTER_CMD, OCW3_READ_ISR), 0x40);
}

TEST(icw1_forgets_edges)
{
	linux_init(_metadata, 0x01);
	out(MASTER_IMR, 0xff);
	pic_set_irq(&t.pic, 4, 1);
	/* ICW1 clears IRR's edges, and the mask: IRQ 4 would show. */
	out(MASTER_CMD, 0x11);
	EXPECT_EQ(in(MASTER_IMR), 0);
	out(MASTER_IMR, VEC_MASTER);
	out(MASTER_IMR, 1 << 2);
	out(MASTER_IMR, 0x01);
	EXPECT_EQ(t.intr, 0);
	/* Level inputs are still requesting, though. */
	out(ELCR_SLAVE, 1 << 2);
	pic_set_irq(&t.pic, 10, 1);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 2);
	init_chip(SLAVE_CMD, VEC_SLAVE, 2, 0x01);
	out(MASTER_CMD, EOI);
	EXPECT_EQ(pic_acknowledge(&t.pic), VEC_SLAVE + 2);
}

TEST(malformed_accesses)
{
	uint64_t v = ~0ULL;

	linux_init(_metadata, 0x01);
	pic_set_irq(&t.pic, 16, 1);
	pic_set_irq(&t.pic, ~0u, 1);
	pic_set_irq(&t.pic, 2, 1);		/* the cascade is internal */
	EXPECT_EQ(t.intr, 0);
	pic_master_io(&t.pic, 2, &v, 1, true);
	pic_master_io(&t.pic, ~0ULL, &v, 8, false);
	pic_slave_io(&t.pic, 1, &v, 8, false);
	pic_elcr_io(&t.pic, 1, &v, 8, true);
	pic_elcr_io(&t.pic, 7, &v, 4, false);
	/* A word write reaches both ports: OCW3, then the IMR. */
	v = 0xff0b;
	pic_master_io(&t.pic, 0, &v, 2, true);
	EXPECT_EQ(in(MASTER_IMR), 0xff);
}

TEST_HARNESS_MAIN
