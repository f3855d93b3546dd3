// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the system ports (each reset path, debug exit) and of
 * the ACPI PM registers (PM timer on a fake clock, S5, status bits).
 */
#include <stdio.h>
#include "vmmon_harness.h"
#include "hw/acpi_pm.h"
#include "hw/sysctl.h"

static struct {
	struct __test_metadata *test;	/* the running test, for callbacks */
	struct sysctl sysctl;
	struct acpi_pm pm;
	struct vm_clock clock;
	int resets;
	int exits;
	uint32_t exit_value;
	int poweroffs;
} t;

static void reset(void *opaque)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	t.resets++;
}

static void debug_exit(void *opaque, uint32_t value)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	t.exits++;
	t.exit_value = value;
}

static void poweroff(void *opaque)
{
	struct __test_metadata *_metadata = t.test;

	EXPECT_TRUE(opaque == &t);
	t.poweroffs++;
}

static const struct sysctl_ops ops = {
	.reset = reset,
	.debug_exit = debug_exit,
};

static void setup(struct __test_metadata *_metadata)
{
	memset(&t, 0, sizeof(t));
	t.test = _metadata;
	sysctl_init(&t.sysctl, &ops, &t);
	vm_clock_init_fake(&t.clock);
	acpi_pm_init(&t.pm, &t.clock, poweroff, &t);
}

static uint8_t in8(bus_access_fn fn, uint64_t offset)
{
	uint8_t v = 0xaa;

	fn(&t.sysctl, offset, &v, 1, false);
	return v;
}

static void out8(bus_access_fn fn, uint64_t offset, uint8_t v)
{
	fn(&t.sysctl, offset, &v, 1, true);
}

TEST(port92_fast_reset)
{
	setup(_metadata);
	EXPECT_EQ(in8(sysctl_port92_io, 0), 0x02);	/* A20 on */
	out8(sysctl_port92_io, 0, 0x02);		/* A20 only */
	EXPECT_EQ(t.resets, 0);
	out8(sysctl_port92_io, 0, 0x03);
	EXPECT_EQ(t.resets, 1);
}

TEST(cf9_reset_control)
{
	setup(_metadata);
	EXPECT_EQ(in8(sysctl_cf9_io, 0), 0);
	out8(sysctl_cf9_io, 0, 0x02);			/* SYS_RST alone */
	EXPECT_EQ(t.resets, 0);
	EXPECT_EQ(in8(sysctl_cf9_io, 0), 0x02);
	/* Linux's reboot=pci: SYS_RST, then SYS_RST | RST_CPU. */
	out8(sysctl_cf9_io, 0, 0x06);
	EXPECT_EQ(t.resets, 1);
	EXPECT_EQ(in8(sysctl_cf9_io, 0), 0x02);		/* RST_CPU clears */
	out8(sysctl_cf9_io, 0, SYSCTL_CF9_RESET_VALUE);
	EXPECT_EQ(t.resets, 2);
	out8(sysctl_cf9_io, 0, 0x0e);
	EXPECT_EQ(in8(sysctl_cf9_io, 0), 0x0a);		/* FULL_RST kept */
}

TEST(keyboard_controller_reset)
{
	setup(_metadata);
	EXPECT_EQ(in8(sysctl_kbc_cmd_io, 0), 0);	/* no data, IBF 0 */
	EXPECT_EQ(in8(sysctl_kbc_data_io, 0), 0);
	out8(sysctl_kbc_cmd_io, 0, 0x20);		/* read CTR: ignored */
	out8(sysctl_kbc_data_io, 0, 0xfe);		/* data, not command */
	out8(sysctl_kbc_cmd_io, 0, 0xd1);
	EXPECT_EQ(t.resets, 0);
	EXPECT_EQ(in8(sysctl_kbc_cmd_io, 0), 0);
	out8(sysctl_kbc_cmd_io, 0, 0xfe);
	EXPECT_EQ(t.resets, 1);
	out8(sysctl_port80_io, 0, 0xfe);
	EXPECT_EQ(t.resets, 1);
}

TEST(debug_exit_values)
{
	uint32_t v32 = 0x12345678;
	uint16_t v16 = 0xbeef;
	uint64_t v64 = ~0ULL;

	setup(_metadata);
	out8(sysctl_debug_exit_io, 0, 0x10);
	EXPECT_EQ(t.exits, 1);
	EXPECT_EQ(t.exit_value, 0x10u);
	EXPECT_EQ(sysctl_debug_exit_status(t.exit_value), 0x21u);
	sysctl_debug_exit_io(&t.sysctl, 0, &v16, 2, true);
	EXPECT_EQ(t.exit_value, 0xbeefu);
	sysctl_debug_exit_io(&t.sysctl, 0, &v32, 4, true);
	EXPECT_EQ(t.exit_value, 0x12345678u);
	EXPECT_EQ(t.exits, 3);
	EXPECT_EQ(sysctl_debug_exit_status(0), 1u);
	/* Reads, and sizes other than 1, 2, 4, do nothing. */
	sysctl_debug_exit_io(&t.sysctl, 0, &v64, 8, true);
	sysctl_debug_exit_io(&t.sysctl, 0, &v64, 3, true);
	sysctl_debug_exit_io(&t.sysctl, 0, &v64, 0, true);
	sysctl_debug_exit_io(&t.sysctl, 0, &v64, 4, false);
	EXPECT_EQ(t.exits, 3);
}

TEST(malformed_sysctl_accesses)
{
	uint64_t v = ~0ULL;

	setup(_metadata);
	sysctl_port92_io(&t.sysctl, 1, &v, 1, true);
	sysctl_cf9_io(&t.sysctl, 3, &v, 1, true);
	sysctl_kbc_cmd_io(&t.sysctl, ~0ULL, &v, 8, true);
	sysctl_kbc_data_io(&t.sysctl, 4, &v, 8, false);
	sysctl_port92_io(&t.sysctl, 0, &v, 0, true);
	EXPECT_EQ(t.resets, 0);
	sysctl_cf9_io(&t.sysctl, 0, &v, 8, true);	/* low byte 0xff */
	EXPECT_EQ(t.resets, 1);
}

static uint32_t pm_in(unsigned int offset, unsigned int len)
{
	uint32_t v = 0;

	acpi_pm_io(&t.pm, offset, &v, len, false);
	return v;
}

static void pm_out(unsigned int offset, uint32_t v, unsigned int len)
{
	acpi_pm_io(&t.pm, offset, &v, len, true);
}

/* ns at which the PM timer has counted @ticks. */
static uint64_t tmr_at(uint64_t ticks)
{
	return (ticks * 1000000000ULL + ACPI_PM_TMR_HZ - 1) / ACPI_PM_TMR_HZ;
}

TEST(pm_timer_counts)
{
	setup(_metadata);
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET, 4), 0u);
	vm_clock_fake_advance(&t.clock, 1000000000ULL);
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET, 4), (uint32_t)ACPI_PM_TMR_HZ);
	vm_clock_fake_advance(&t.clock, tmr_at(12345678));
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET, 4), 12345678u);
	/* 24 bits: it wraps. */
	vm_clock_fake_advance(&t.clock, tmr_at((1 << 24) + 5));
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET, 4), 5u);
	/* Bytewise, and read-only. */
	vm_clock_fake_advance(&t.clock, tmr_at(0x123456));
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET + 1, 1), 0x34u);
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET + 2, 2), 0x12u);
	pm_out(ACPI_PM_TMR_OFFSET, 0, 4);
	EXPECT_EQ(pm_in(ACPI_PM_TMR_OFFSET, 4), 0x123456u);
}

TEST(pm1_status_write_one_clears)
{
	setup(_metadata);
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 2), 0u);
	vm_clock_fake_advance(&t.clock, tmr_at(1 << 23));
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 2), 0x0001u);	/* TMR_STS */
	pm_out(ACPI_PM1_EVT_OFFSET, 0xfffe, 2);
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 2), 0x0001u);	/* 0 keeps */
	pm_out(ACPI_PM1_EVT_OFFSET, 0x0001, 2);
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 2), 0u);
	vm_clock_fake_advance(&t.clock, tmr_at(2 << 23));
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 1), 0x01u);

	/* Enables read back, reserved bits 0. */
	pm_out(ACPI_PM1_EVT_OFFSET + 2, 0xffff, 2);
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET + 2, 2), 0x4721u);
	/* A 32-bit access covers status and enable. */
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 4), 0x47210001u);
	pm_out(ACPI_PM1_EVT_OFFSET, 0x00000001, 4);
	EXPECT_EQ(pm_in(ACPI_PM1_EVT_OFFSET, 4), 0u);
}

TEST(pm1_control_and_s5)
{
	setup(_metadata);
	EXPECT_EQ(pm_in(ACPI_PM1_CNT_OFFSET, 2), 0x0001u);	/* SCI_EN */
	/* ACPICA's sleep: SLP_TYP first, then SLP_TYP | SLP_EN. */
	pm_out(ACPI_PM1_CNT_OFFSET, 5 << 10, 2);
	EXPECT_EQ(pm_in(ACPI_PM1_CNT_OFFSET, 2), 0x1401u);
	pm_out(ACPI_PM1_CNT_OFFSET, 5 << 10 | 1 << 13, 2);	/* not S5 */
	EXPECT_EQ(t.poweroffs, 0);
	pm_out(ACPI_PM1_CNT_OFFSET, ACPI_SLP_TYP_S5 << 10, 2);
	EXPECT_EQ(t.poweroffs, 0);
	EXPECT_EQ(pm_in(ACPI_PM1_CNT_OFFSET, 2), 0x0001u);	/* SLP_EN 0 */
	pm_out(ACPI_PM1_CNT_OFFSET, ACPI_SLP_TYP_S5 << 10 | 1 << 13, 2);
	EXPECT_EQ(t.poweroffs, 1);
	/* The high byte alone does it too. */
	pm_out(ACPI_PM1_CNT_OFFSET + 1, (ACPI_SLP_TYP_S5 << 2) | 0x20, 1);
	EXPECT_EQ(t.poweroffs, 2);
	/* SCI_EN cannot be turned off. */
	pm_out(ACPI_PM1_CNT_OFFSET, 0, 1);
	EXPECT_EQ(pm_in(ACPI_PM1_CNT_OFFSET, 1), 0x01u);
}

TEST(malformed_pm_accesses)
{
	uint64_t v = ~0ULL;
	unsigned int off;

	setup(_metadata);
	acpi_pm_io(&t.pm, ACPI_PM_LEN, &v, 1, true);
	acpi_pm_io(&t.pm, ~0ULL, &v, 4, false);
	acpi_pm_io(&t.pm, ACPI_PM_LEN - 1, &v, 8, false);
	for (off = 0; off < ACPI_PM_LEN; off++)
		acpi_pm_io(&t.pm, off, &v, 8, false);
	v = 0;
	acpi_pm_io(&t.pm, 6, &v, 2, true);		/* reserved */
	EXPECT_EQ(pm_in(6, 2), 0u);
	EXPECT_EQ(t.poweroffs, 0);
}

TEST_HARNESS_MAIN
