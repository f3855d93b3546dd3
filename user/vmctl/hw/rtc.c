// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818 RTC, after the Motorola data sheet, with the PC's CMOS
 * layout for the bytes past register D.
 *
 * The clock is never seen mid-update (UIP stays 0), and it raises no
 * interrupts: the periodic, alarm and update-ended interrupts would need
 * IRQ 8, which Linux does not need to boot and keep time (it uses the
 * RTC only to read and set the wall clock).  Register C still reports
 * the update-ended flag for guests that poll it.
 */
#include <string.h>
#include "hw/rtc.h"

#define RTC_INDEX	0	/* port offsets */
#define RTC_DATA	1
#define INDEX_NMI_MASK	0x80

/* Registers */
#define REG_SECONDS	0x00
#define REG_MINUTES	0x02
#define REG_HOURS	0x04
#define REG_WEEKDAY	0x06
#define REG_DAY		0x07
#define REG_MONTH	0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d

#define A_UIP		0x80	/* update in progress: read-only */
#define A_DEFAULT	0x26	/* 32.768 kHz time base, 1024 Hz rate */
#define B_SET		0x80	/* stops updates, so the guest can set */
#define B_UIE		0x10
#define B_DM_BINARY	0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_UF		0x10	/* update ended */
#define D_VRT		0x80	/* valid RAM and time: battery good */
#define HOUR_PM		0x80	/* in 12-hour mode */

/*
 * CMOS bytes SeaBIOS (and QEMU) use for the RAM size, little-endian:
 * 16 bits each, 24 for the memory above 4 GiB.
 */
#define CMOS_BASE_KB		0x15	/* below 1 MiB, KiB (<= 640) */
#define CMOS_EXT_KB		0x17	/* 1 MiB - 65 MiB, KiB */
#define CMOS_EXT_KB2		0x30	/* the same again */
#define CMOS_MEM16M		0x34	/* 16 MiB - 4 GiB, 64 KiB units */
#define CMOS_HIGH		0x5b	/* above 4 GiB, 64 KiB units */
#define CMOS_HIGH_BYTES		3
#define FIELD24_MAX		0xffffff

#define KIB			1024ULL
#define MIB			(KIB * KIB)
#define BASE_MEM_KB		640
#define MEM16M_START		(16 * MIB)
#define FIELD16_MAX		0xffff
#define UNITS_64K		(64 * KIB)
#define BYTE_BITS		8
#define TM_YEAR_BASE		1900
#define RTC_YEAR_MAX		9999	/* century and year registers: 99, 99 */
#define HOURS_HALF_DAY		12

static time_t rtc_host_time(struct rtc *r)
{
	return r->now ? r->now() : time(NULL);
}

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[REG_B] & B_DM_BINARY;
}

static uint8_t rtc_encode(const struct rtc *r, int v)
{
	return rtc_binary(r) ? v : (v / 10) << 4 | v % 10;
}

/* Guest BCD may have digits above 9: they count as written. */
static int rtc_decode(const struct rtc *r, uint8_t v)
{
	return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 0xf);
}

/*
 * While SET holds the clock, the fields are kept as written: the guest
 * writes them one at a time, and the date may be invalid in between.
 */
static void rtc_guest_time(struct rtc *r, struct tm *tm)
{
	time_t t = rtc_host_time(r) + r->offset;
	struct tm normal;

	if (r->cmos[REG_B] & B_SET) {
		*tm = r->frozen;
		normal = *tm;
		timegm(&normal);
		tm->tm_wday = normal.tm_wday;
	} else if (!gmtime_r(&t, tm)) {
		memset(tm, 0, sizeof(*tm));
	}
}

static uint8_t rtc_encode_hour(const struct rtc *r, int hour)
{
	int h12 = hour % HOURS_HALF_DAY ? hour % HOURS_HALF_DAY :
		  HOURS_HALF_DAY;

	if (r->cmos[REG_B] & B_24H)
		return rtc_encode(r, hour);
	return rtc_encode(r, h12) | (hour >= HOURS_HALF_DAY ? HOUR_PM : 0);
}

static int rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_24H)
		return rtc_decode(r, v);
	return rtc_decode(r, v & ~HOUR_PM) % HOURS_HALF_DAY +
	       (v & HOUR_PM ? HOURS_HALF_DAY : 0);
}

static bool rtc_is_time_reg(unsigned int reg)
{
	switch (reg) {
	case REG_SECONDS:
	case REG_MINUTES:
	case REG_HOURS:
	case REG_WEEKDAY:
	case REG_DAY:
	case REG_MONTH:
	case REG_YEAR:
	case RTC_CENTURY:
		return true;
	}
	return false;
}

/*
 * The guest's time in @tm; returns its year, with the century, as the
 * registers can hold it (0 to 9999): writes of month 0 or day 0 move the
 * date back, and a guest that repeats them must not reach a year the
 * BCD encoding cannot represent.
 */
static int rtc_guest_year(struct rtc *r, struct tm *tm)
{
	int year;

	rtc_guest_time(r, tm);
	year = tm->tm_year + TM_YEAR_BASE;
	return year < 0 ? 0 : year > RTC_YEAR_MAX ? RTC_YEAR_MAX : year;
}

static uint8_t rtc_read_time(struct rtc *r, unsigned int reg)
{
	struct tm tm;
	int year = rtc_guest_year(r, &tm);

	switch (reg) {
	case REG_SECONDS:
		return rtc_encode(r, tm.tm_sec);
	case REG_MINUTES:
		return rtc_encode(r, tm.tm_min);
	case REG_HOURS:
		return rtc_encode_hour(r, tm.tm_hour);
	case REG_WEEKDAY:
		return rtc_encode(r, tm.tm_wday + 1);
	case REG_DAY:
		return rtc_encode(r, tm.tm_mday);
	case REG_MONTH:
		return rtc_encode(r, tm.tm_mon + 1);
	case REG_YEAR:
		return rtc_encode(r, year % 100);
	default:
		return rtc_encode(r, year / 100);
	}
}

/*
 * While SET holds the clock, writes change the frozen time; otherwise
 * they move the running clock at once.  The weekday is derived from the
 * date, so writes to it are dropped.
 */
static void rtc_write_time(struct rtc *r, unsigned int reg, uint8_t v)
{
	struct tm tm;
	int year = rtc_guest_year(r, &tm);

	switch (reg) {
	case REG_SECONDS:
		tm.tm_sec = rtc_decode(r, v);
		break;
	case REG_MINUTES:
		tm.tm_min = rtc_decode(r, v);
		break;
	case REG_HOURS:
		tm.tm_hour = rtc_decode_hour(r, v);
		break;
	case REG_DAY:
		tm.tm_mday = rtc_decode(r, v);
		break;
	case REG_MONTH:
		tm.tm_mon = rtc_decode(r, v) - 1;
		break;
	case REG_YEAR:
		tm.tm_year = year / 100 * 100 + rtc_decode(r, v) - TM_YEAR_BASE;
		break;
	case RTC_CENTURY:
		tm.tm_year = rtc_decode(r, v) * 100 + year % 100 - TM_YEAR_BASE;
		break;
	default:
		return;
	}
	if (r->cmos[REG_B] & B_SET)
		r->frozen = tm;
	else
		r->offset = timegm(&tm) - rtc_host_time(r);
}

/* Setting SET freezes the clock (and clears UIE); clearing restarts it. */
static void rtc_write_b(struct rtc *r, uint8_t v)
{
	if ((v & B_SET) && !(r->cmos[REG_B] & B_SET)) {
		rtc_guest_time(r, &r->frozen);
		v &= ~B_UIE;
	} else if (!(v & B_SET) && (r->cmos[REG_B] & B_SET)) {
		r->offset = timegm(&r->frozen) - rtc_host_time(r);
	}
	r->cmos[REG_B] = v;
}

/* Flags read clear; an update has ended if a second went by since. */
static uint8_t rtc_read_c(struct rtc *r)
{
	time_t now = rtc_host_time(r);
	uint8_t c = 0;

	if (now != r->last_c_read && !(r->cmos[REG_B] & B_SET))
		c |= C_UF;
	if ((c & C_UF) && (r->cmos[REG_B] & B_UIE))
		c |= C_IRQF;
	r->last_c_read = now;
	return c;
}

static uint8_t rtc_read(struct rtc *r)
{
	unsigned int reg = r->index;

	if (rtc_is_time_reg(reg))
		return rtc_read_time(r, reg);
	switch (reg) {
	case REG_C:
		return rtc_read_c(r);
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void rtc_write(struct rtc *r, uint8_t v)
{
	unsigned int reg = r->index;

	if (rtc_is_time_reg(reg)) {
		rtc_write_time(r, reg, v);
		return;
	}
	switch (reg) {
	case REG_A:
		r->cmos[REG_A] = v & ~A_UIP;
		break;
	case REG_B:
		rtc_write_b(r, v);
		break;
	case REG_C:
	case REG_D:
		break;			/* read-only */
	default:
		r->cmos[reg] = v;
		break;
	}
}

/* Wider accesses reach consecutive byte ports, as on the ISA bus. */
void rtc_io(void *opaque, uint64_t offset, void *data, unsigned int len,
	    bool is_write)
{
	struct rtc *r = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	if (offset >= RTC_LEN)
		return;
	if (len > RTC_LEN - offset)
		len = RTC_LEN - offset;
	for (i = 0; i < len; i++) {
		if (offset + i == RTC_INDEX) {
			/* Write-only; the NMI mask is ignored: no NMIs. */
			if (is_write)
				r->index = bytes[i] & ~INDEX_NMI_MASK;
		} else if (is_write) {
			rtc_write(r, bytes[i]);
		} else {
			bytes[i] = rtc_read(r);
		}
	}
}

static void cmos_set16(struct rtc *r, unsigned int reg, uint64_t v)
{
	if (v > FIELD16_MAX)
		v = FIELD16_MAX;
	r->cmos[reg] = v;
	r->cmos[reg + 1] = v >> BYTE_BITS;
}

/* As QEMU's pc_cmos_init(), which SeaBIOS reads. */
void rtc_set_mem_size(struct rtc *r, uint64_t low_bytes, uint64_t high_bytes)
{
	uint64_t base_kb = low_bytes / KIB, ext_kb = 0, mem16m = 0;
	uint64_t high = high_bytes / UNITS_64K;
	unsigned int i;

	if (base_kb > BASE_MEM_KB)
		base_kb = BASE_MEM_KB;
	if (low_bytes > MIB)
		ext_kb = (low_bytes - MIB) / KIB;
	if (low_bytes > MEM16M_START)
		mem16m = (low_bytes - MEM16M_START) / UNITS_64K;
	cmos_set16(r, CMOS_BASE_KB, base_kb);
	cmos_set16(r, CMOS_EXT_KB, ext_kb);
	cmos_set16(r, CMOS_EXT_KB2, ext_kb);
	cmos_set16(r, CMOS_MEM16M, mem16m);
	if (high > FIELD24_MAX)
		high = FIELD24_MAX;
	for (i = 0; i < CMOS_HIGH_BYTES; i++)
		r->cmos[CMOS_HIGH + i] = high >> (i * BYTE_BITS);
}

void rtc_init(struct rtc *r, time_t (*now)(void))
{
	*r = (struct rtc) { .now = now };
	r->cmos[REG_A] = A_DEFAULT;
	r->cmos[REG_B] = B_24H;
	r->last_c_read = rtc_host_time(r);
}
