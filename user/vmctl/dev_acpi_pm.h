/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI fixed hardware for the FADT: the PM1a event and control blocks
 * and the PM timer, in one port range.  The machine runs in ACPI mode
 * from the start (FADT SMI_CMD = 0), there is no SCI, and only S5 (soft
 * off) is a sleep state.
 */
#ifndef VMCTL_DEV_ACPI_PM_H
#define VMCTL_DEV_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>
#include "machine.h"

#define ACPI_PM_BASE		0x600
#define ACPI_PM_LEN		12

/* Offsets in the range, lengths for the FADT's *_LEN fields */
#define ACPI_PM1_EVT_OFFSET	0	/* PM1_STS then PM1_EN */
#define ACPI_PM1_EVT_LEN	4
#define ACPI_PM1_CNT_OFFSET	4
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR_OFFSET	8
#define ACPI_PM_TMR_LEN		4

#define ACPI_PM1_EVT_PORT	(ACPI_PM_BASE + ACPI_PM1_EVT_OFFSET)
#define ACPI_PM1_CNT_PORT	(ACPI_PM_BASE + ACPI_PM1_CNT_OFFSET)
#define ACPI_PM_TMR_PORT	(ACPI_PM_BASE + ACPI_PM_TMR_OFFSET)

/* The PM timer: 24 bits (FADT flag TMR_VAL_EXT clear). */
#define ACPI_PM_TMR_HZ		3579545
#define ACPI_PM_TMR_BITS	24

/* SLP_TYP of S5; the DSDT's _S5 package must give this value. */
#define ACPI_SLP_TYP_S5		0

struct acpi_pm {
	struct vm_clock *clock;
	void (*poweroff)(void *opaque);
	void *opaque;
	uint64_t tmr_sts_epoch;	/* timer bit 23 periods seen by TMR_STS */
	uint16_t en;		/* PM1_EN */
	uint16_t cnt;		/* PM1_CNT's read/write bits */
};

/*
 * @poweroff is called from within acpi_pm_io() when the guest enters
 * S5: the VM should stop.
 */
void acpi_pm_init(struct acpi_pm *pm, struct vm_clock *clock,
		  void (*poweroff)(void *opaque), void *opaque);

/* bus_access_fn for ACPI_PM_BASE, ACPI_PM_LEN; @opaque is the acpi_pm. */
void acpi_pm_io(void *opaque, uint64_t offset, void *data, unsigned int len,
		bool is_write);

#endif /* VMCTL_DEV_ACPI_PM_H */
