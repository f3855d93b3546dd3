// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the MC146818 model with an injected wall clock: the
 * formats register B selects, setting the time as Linux's
 * mc146818_set_time() does, register C, and SeaBIOS's RAM size bytes.
 */
#include <stdio.h>
#include "vmmon_harness.h"
#include "hw/rtc.h"

#define B_SET		0x80
#define B_UIE		0x10
#define B_BINARY	0x04
#define B_24H		0x02

static struct {
	struct rtc rtc;
	time_t now;
} t;

static time_t fake_now(void)
{
	return t.now;
}

static time_t utc(int year, int mon, int day, int h, int m, int s)
{
	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
		.tm_hour = h, .tm_min = m, .tm_sec = s,
	};

	return timegm(&tm);
}

static void setup(void)
{
	memset(&t, 0, sizeof(t));
	t.now = utc(2026, 11, 23, 21, 5, 9);	/* a Monday */
	rtc_init(&t.rtc, fake_now);
}

static uint8_t rd(uint8_t reg)
{
	uint8_t v = 0;

	rtc_io(&t.rtc, 0, &reg, 1, true);
	rtc_io(&t.rtc, 1, &v, 1, false);
	return v;
}

static void wr(uint8_t reg, uint8_t v)
{
	rtc_io(&t.rtc, 0, &reg, 1, true);
	rtc_io(&t.rtc, 1, &v, 1, true);
}

TEST(bcd_by_default)
{
	setup();
	EXPECT_EQ(rd(0x0b), B_24H);
	EXPECT_EQ(rd(0x00), 0x09);
	EXPECT_EQ(rd(0x02), 0x05);
	EXPECT_EQ(rd(0x04), 0x21);
	EXPECT_EQ(rd(0x06), 0x02);		/* Sunday is 1 */
	EXPECT_EQ(rd(0x07), 0x23);
	EXPECT_EQ(rd(0x08), 0x11);
	EXPECT_EQ(rd(0x09), 0x26);
	EXPECT_EQ(rd(RTC_CENTURY), 0x20);
	t.now += 60;
	EXPECT_EQ(rd(0x02), 0x06);		/* it runs */
}

TEST(binary_mode)
{
	setup();
	wr(0x0b, B_24H | B_BINARY);
	EXPECT_EQ(rd(0x00), 9);
	EXPECT_EQ(rd(0x04), 21);
	EXPECT_EQ(rd(0x07), 23);
	EXPECT_EQ(rd(0x09), 26);
	EXPECT_EQ(rd(RTC_CENTURY), 20);
}

TEST(twelve_hour_mode)
{
	setup();
	wr(0x0b, 0);				/* BCD, 12 h */
	EXPECT_EQ(rd(0x04), 0x80 | 0x09);	/* 9 PM */
	wr(0x0b, B_BINARY);
	EXPECT_EQ(rd(0x04), 0x80 | 9);
	t.now = utc(2026, 1, 1, 0, 30, 0);
	EXPECT_EQ(rd(0x04), 12);		/* 12 AM */
	t.now = utc(2026, 1, 1, 12, 30, 0);
	EXPECT_EQ(rd(0x04), 0x80 | 12);		/* 12 PM */
	/* Writing 11 PM in 12-hour BCD. */
	wr(0x0b, 0);
	wr(0x04, 0x80 | 0x11);
	wr(0x0b, B_24H);
	EXPECT_EQ(rd(0x04), 0x23);
	wr(0x0b, 0);
	wr(0x04, 0x12);				/* 12 AM */
	wr(0x0b, B_24H);
	EXPECT_EQ(rd(0x04), 0x00);
}

/* mc146818_set_time(): SET, year to seconds, clear SET. */
TEST(set_time_with_set_bit)
{
	setup();
	t.now = utc(2026, 3, 31, 10, 0, 0);
	wr(0x0b, rd(0x0b) | B_SET | B_UIE);
	EXPECT_EQ(rd(0x0b), B_SET | B_24H);	/* SET clears UIE */
	wr(0x09, 0x24);
	wr(0x08, 0x02);				/* "Feb 31" for a moment */
	wr(0x07, 0x15);
	wr(0x04, 0x08);
	wr(0x02, 0x30);
	wr(0x00, 0x45);
	wr(RTC_CENTURY, 0x20);
	t.now += 100;				/* frozen meanwhile */
	EXPECT_EQ(rd(0x00), 0x45);
	EXPECT_EQ(rd(0x06), 0x05);		/* 2024-02-15: Thursday */
	wr(0x0b, B_24H);
	t.now += 10;
	EXPECT_EQ(rd(0x00), 0x55);
	EXPECT_EQ(rd(0x02), 0x30);
	EXPECT_EQ(rd(0x04), 0x08);
	EXPECT_EQ(rd(0x07), 0x15);
	EXPECT_EQ(rd(0x08), 0x02);
	EXPECT_EQ(rd(0x09), 0x24);

	/* In binary mode, and a write while running moves it too. */
	wr(0x0b, B_24H | B_BINARY);
	wr(RTC_CENTURY, 21);
	EXPECT_EQ(rd(0x09), 24);
	EXPECT_EQ(rd(RTC_CENTURY), 21);
}

TEST(registers_a_c_d)
{
	setup();
	EXPECT_EQ(rd(0x0a), 0x26);
	wr(0x0a, 0xff);
	EXPECT_EQ(rd(0x0a), 0x7f);		/* UIP stays clear */
	EXPECT_EQ(rd(0x0d), 0x80);		/* VRT */
	wr(0x0d, 0);
	EXPECT_EQ(rd(0x0d), 0x80);

	EXPECT_EQ(rd(0x0c), 0);
	t.now++;
	EXPECT_EQ(rd(0x0c), 0x10);		/* update ended */
	EXPECT_EQ(rd(0x0c), 0);			/* read clears */
	wr(0x0b, B_24H | B_UIE);
	t.now++;
	EXPECT_EQ(rd(0x0c), 0x90);		/* and IRQF with UIE */
	wr(0x0c, 0xff);
	t.now++;
	wr(0x0b, B_24H | B_SET);
	EXPECT_EQ(rd(0x0c), 0);			/* no updates while SET */
}

TEST(cmos_memory_and_index)
{
	unsigned int i;

	setup();
	for (i = 0x0e; i < RTC_CMOS_SIZE; i++)
		if (i != RTC_CENTURY)
			wr(i, i ^ 0x5a);
	for (i = 0x0e; i < RTC_CMOS_SIZE; i++)
		if (i != RTC_CENTURY)
			EXPECT_EQ(rd(i), i ^ 0x5a);
	/* Bit 7 of the index masks NMIs: not part of the address. */
	wr(0x80 | 0x40, 0x77);
	EXPECT_EQ(rd(0x40), 0x77);
	EXPECT_EQ(rd(0xff), 0x7f ^ 0x5a);
}

TEST(mem_size_bytes)
{
	setup();
	rtc_set_mem_size(&t.rtc, 512ULL << 20, 1ULL << 30);
	EXPECT_EQ(rd(0x15) | rd(0x16) << 8, 640);
	EXPECT_EQ(rd(0x17) | rd(0x18) << 8, 0xffff);	/* capped */
	EXPECT_EQ(rd(0x30) | rd(0x31) << 8, 0xffff);
	EXPECT_EQ(rd(0x34) | rd(0x35) << 8, (512 - 16) * 16);
	EXPECT_EQ(rd(0x5b), 0x00);
	EXPECT_EQ(rd(0x5c), 0x40);			/* 16384 * 64 KiB */
	EXPECT_EQ(rd(0x5d), 0x00);

	rtc_set_mem_size(&t.rtc, 8ULL << 20, 0);
	EXPECT_EQ(rd(0x17) | rd(0x18) << 8, 7 * 1024);
	EXPECT_EQ(rd(0x30) | rd(0x31) << 8, 7 * 1024);
	EXPECT_EQ(rd(0x34) | rd(0x35) << 8, 0);
	EXPECT_EQ(rd(0x5c), 0);

	rtc_set_mem_size(&t.rtc, 3ULL << 30, 1ULL << 39);
	EXPECT_EQ(rd(0x34) | rd(0x35) << 8, 0xbf00);
	EXPECT_EQ(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 1 << 23);
	rtc_set_mem_size(&t.rtc, 3ULL << 30, 1ULL << 40);	/* capped */
	EXPECT_EQ(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 0xffffff);
}

TEST(malformed_accesses)
{
	uint64_t v = ~0ULL;

	setup();
	rtc_io(&t.rtc, 0, &v, 8, true);		/* index 0x7f, data 0xff */
	EXPECT_EQ(rd(0x7f), 0xff);
	rtc_io(&t.rtc, 2, &v, 1, true);
	rtc_io(&t.rtc, ~0ULL, &v, 4, false);
	rtc_io(&t.rtc, 1, &v, 8, false);
	/* BCD garbage in every time register. */
	wr(0x0b, B_SET);
	for (v = 0; v < 10; v++)
		wr(v, 0xff);
	wr(RTC_CENTURY, 0xff);
	wr(0x0b, B_24H);
	for (v = 0; v < 10; v++)
		rd(v);
}

/*
 * Month 0 normalizes to December of the year before: a guest that writes
 * it over and over walks the date back past year 0 (review vmctl.md
 * #12: a negative year made the century's BCD encoding shift a negative
 * value).  The registers stop at year 0.
 */
TEST(year_stays_representable)
{
	int i;

	setup();
	for (i = 0; i < 4000; i++)
		wr(0x08, 0x00);			/* month 0 */
	EXPECT_EQ(rd(0x32), 0x00);		/* century 00 */
	EXPECT_EQ(rd(0x09), 0x00);		/* year 00 */
}

TEST_HARNESS_MAIN
