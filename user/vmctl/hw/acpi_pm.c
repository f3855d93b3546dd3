// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI PM1a and PM timer, after ACPI 6.5 section 4.8.
 *
 * With no SCI wired, the enable bits are kept for the guest to read back
 * but signal nothing; the only status the hardware sets is TMR_STS, when
 * the timer's top bit flips.  Registers may be accessed a byte at a time
 * as well as whole.
 */
#include <string.h>
#include "hw/acpi_pm.h"

#define PM1_STS		(ACPI_PM1_EVT_OFFSET)
#define PM1_EN		(ACPI_PM1_EVT_OFFSET + ACPI_PM1_EVT_LEN / 2)

#define STS_TMR		0x0001
#define STS_PWRBTN	0x0100
#define EN_TMR		0x0001
#define EN_GBL		0x0020
#define EN_PWRBTN	0x0100
#define EN_SLPBTN	0x0200
#define EN_RTC		0x0400
#define EN_PCIEXP_WAKE_DIS 0x4000
#define EN_MASK		(EN_TMR | EN_GBL | EN_PWRBTN | EN_SLPBTN | EN_RTC | \
			 EN_PCIEXP_WAKE_DIS)

#define CNT_SCI_EN	0x0001	/* ACPI mode: always on */
#define CNT_BM_RLD	0x0002
#define CNT_SLP_TYP	0x1c00
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_EN	0x2000	/* write-only: enter SLP_TYP */
#define CNT_STORED	(CNT_BM_RLD | CNT_SLP_TYP)

#define TMR_MASK	((1U << ACPI_PM_TMR_BITS) - 1)
#define NSEC_PER_SEC	1000000000ULL
#define BYTE_BITS	8
#define BYTE_MASK	0xff

static uint64_t acpi_pm_ticks(struct acpi_pm *pm)
{
	uint64_t ns = vm_clock_now(pm->clock);

	return ns / NSEC_PER_SEC * ACPI_PM_TMR_HZ +
	       ns % NSEC_PER_SEC * ACPI_PM_TMR_HZ / NSEC_PER_SEC;
}

/* TMR_STS is set each time bit 23 of the counter changes. */
static uint64_t acpi_pm_tmr_epoch(struct acpi_pm *pm)
{
	return acpi_pm_ticks(pm) >> (ACPI_PM_TMR_BITS - 1);
}

static void put_le(uint8_t *p, uint32_t v, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (i * BYTE_BITS);
}

static void acpi_pm_read(struct acpi_pm *pm, uint8_t *regs)
{
	uint16_t sts = pm->sts;

	if (acpi_pm_tmr_epoch(pm) != pm->tmr_sts_epoch)
		sts |= STS_TMR;
	put_le(regs + PM1_STS, sts, sizeof(sts));
	put_le(regs + PM1_EN, pm->en, sizeof(pm->en));
	put_le(regs + ACPI_PM1_CNT_OFFSET, pm->cnt | CNT_SCI_EN,
	       ACPI_PM1_CNT_LEN);
	put_le(regs + ACPI_PM_TMR_OFFSET, acpi_pm_ticks(pm) & TMR_MASK,
	       ACPI_PM_TMR_LEN);
}

/* Replace byte @byte of 16-bit @reg with @v. */
static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	irq_line_set(&pm->sci, !!(pm->sts & pm->en & STS_PWRBTN));
}

static uint16_t set_byte(uint16_t reg, unsigned int byte, uint8_t v)
{
	unsigned int shift = byte * BYTE_BITS;

	return (reg & ~(BYTE_MASK << shift)) | v << shift;
}

static void acpi_pm_write_cnt(struct acpi_pm *pm, unsigned int byte,
			      uint8_t v)
{
	uint16_t cnt = set_byte(pm->cnt, byte, v);

	pm->cnt = cnt & CNT_STORED;
	/* Only S5 exists (the DSDT has no other _Sx): others are no-ops. */
	if ((cnt & CNT_SLP_EN) &&
	    (cnt & CNT_SLP_TYP) >> CNT_SLP_TYP_SHIFT == ACPI_SLP_TYP_S5)
		pm->poweroff(pm->opaque);
}

/* Status bits clear by writing 1; the timer is read-only. */
static void acpi_pm_write(struct acpi_pm *pm, unsigned int off, uint8_t v)
{
	switch (off) {
	case PM1_STS:
		if (v & STS_TMR)
			pm->tmr_sts_epoch = acpi_pm_tmr_epoch(pm);
		break;
	case PM1_STS + 1:
		/* Write 1 to clear. */
		pm->sts &= ~((uint16_t)v << BYTE_BITS);
		acpi_pm_update_sci(pm);
		break;
	case PM1_EN:
	case PM1_EN + 1:
		pm->en = set_byte(pm->en, off - PM1_EN, v) & EN_MASK;
		acpi_pm_update_sci(pm);
		break;
	case ACPI_PM1_CNT_OFFSET:
	case ACPI_PM1_CNT_OFFSET + 1:
		acpi_pm_write_cnt(pm, off - ACPI_PM1_CNT_OFFSET, v);
		break;
	}
}

void acpi_pm_io(void *opaque, uint64_t offset, void *data, unsigned int len,
		bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint8_t regs[ACPI_PM_LEN] = { 0 };
	uint8_t *bytes = data;
	unsigned int i;

	if (offset >= ACPI_PM_LEN)
		return;
	if (len > ACPI_PM_LEN - offset)
		len = ACPI_PM_LEN - offset;
	if (!is_write) {
		/* One snapshot, so a 32-bit timer read is consistent. */
		acpi_pm_read(pm, regs);
		memcpy(bytes, regs + offset, len);
		return;
	}
	for (i = 0; i < len; i++)
		acpi_pm_write(pm, offset + i, bytes[i]);
}

void acpi_pm_init(struct acpi_pm *pm, struct vm_clock *clock,
		  void (*poweroff)(void *opaque), void *opaque)
{
	*pm = (struct acpi_pm) {
		.clock = clock,
		.poweroff = poweroff,
		.opaque = opaque,
	};
	pm->tmr_sts_epoch = acpi_pm_tmr_epoch(pm);
}

void acpi_pm_set_sci(struct acpi_pm *pm, struct irq_line sci)
{
	pm->sci = sci;
}

bool acpi_pm_power_button(struct acpi_pm *pm)
{
	if (!(pm->en & EN_PWRBTN))
		return false;
	pm->sts |= STS_PWRBTN;
	acpi_pm_update_sci(pm);
	return true;
}
