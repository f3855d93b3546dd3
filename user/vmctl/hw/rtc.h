/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MC146818 real-time clock and its CMOS memory, at ports 0x70
 * (index, bit 7 the NMI mask) and 0x71 (data).  The time runs with the
 * host's wall clock, shifted by what the guest sets.
 */
#ifndef VMCTL_DEV_RTC_H
#define VMCTL_DEV_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_BASE	0x70
#define RTC_LEN		2
#define RTC_CMOS_SIZE	128
#define RTC_CENTURY	0x32	/* the FADT's CENTURY field names it */

struct rtc {
	time_t (*now)(void);
	time_t offset;		/* guest time minus host time, seconds */
	struct tm frozen;	/* the time while register B's SET is set */
	time_t last_c_read;	/* host time register C was last read */
	uint8_t index;		/* without the NMI mask bit */
	uint8_t cmos[RTC_CMOS_SIZE];
};

/* @now gives the host's wall clock; NULL for time(NULL). */
void rtc_init(struct rtc *r, time_t (*now)(void));

/*
 * Record guest RAM sizes in the CMOS bytes SeaBIOS reads: @low_bytes
 * below 4 GiB, @high_bytes above.
 */
void rtc_set_mem_size(struct rtc *r, uint64_t low_bytes,
		      uint64_t high_bytes);

/* bus_access_fn for RTC_BASE; @opaque is the struct rtc. */
void rtc_io(void *opaque, uint64_t offset, void *data, unsigned int len,
	    bool is_write);

#endif /* VMCTL_DEV_RTC_H */
