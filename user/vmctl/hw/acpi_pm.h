/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI fixed hardware for the FADT: the PM1a event and control blocks
 * and the PM timer, in one port range.  The machine runs in ACPI mode
 * from the start (FADT SMI_CMD = 0) and only S5 (soft off) is a sleep
 * state.  The one event is the fixed power button: its status raises
 * the SCI while the guest has it enabled.
 */
#ifndef VMCTL_DEV_ACPI_PM_H
#define VMCTL_DEV_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>
#include "machine/machine.h"

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
	struct irq_line sci;
	uint64_t tmr_sts_epoch;	/* timer bit 23 periods seen by TMR_STS */
	uint16_t sts;		/* PM1_STS's latched bits: PWRBTN_STS */
	uint16_t en;		/* PM1_EN */
	uint16_t cnt;		/* PM1_CNT's read/write bits */
};

/*
 * @poweroff is called from within acpi_pm_io() when the guest enters
 * S5: the VM should stop.
 */
void acpi_pm_init(struct acpi_pm *pm, struct vm_clock *clock,
		  void (*poweroff)(void *opaque), void *opaque);

/* The SCI's line (level, active high as the MADT says). */
void acpi_pm_set_sci(struct acpi_pm *pm, struct irq_line sci);

/*
 * Press the power button: PWRBTN_STS, and the SCI if the guest enabled
 * the event.  Returns whether it did (false: nobody listens, as before
 * the guest's ACPI driver starts or when it has none).
 */
bool acpi_pm_power_button(struct acpi_pm *pm);

/* bus_access_fn for ACPI_PM_BASE, ACPI_PM_LEN; @opaque is the acpi_pm. */
void acpi_pm_io(void *opaque, uint64_t offset, void *data, unsigned int len,
		bool is_write);

#endif /* VMCTL_DEV_ACPI_PM_H */
