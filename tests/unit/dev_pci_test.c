// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0 through configuration mechanism #1, as a guest sees it: the
 * scan, read-only fields, BAR placement and the sizing protocol, BARs
 * that move or stop decoding, and the capability list.
 */
#include <stdio.h>
#include "vmmon_harness.h"
#include "pci/pci.h"

#define MEM_WINDOW	0xe0000000ULL
#define MEM_WINDOW_END	0xfec00000ULL
#define IO_WINDOW	0xc000
#define IO_WINDOW_END	0x10000

#define TEST_VENDOR	0x1234u
#define TEST_DEVICE	0x5678u
#define TEST_CLASS	0x028000u	/* network, other */
#define TEST_REVISION	7
#define TEST_SUBVENDOR	0xabcdu
#define TEST_SUBSYS	0xef01u

#define BAR0_SIZE	0x1000		/* 32-bit memory */
#define BAR1_SIZE	0x20		/* I/O */
#define BAR2_SIZE	0x4000		/* 64-bit memory, BARs 2 and 3 */

#define TEST_CAP_ID_A	0x09
#define TEST_CAP_ID_B	0x11

static struct bus port_bus, mmio_bus;
static struct pci_bus pci;
static struct pci_device dev;

/* What the test device last saw. */
static struct {
	int bar;
	uint64_t offset;
	unsigned int len;
	bool is_write;
	uint32_t value;
	unsigned int count;
} seen;

static int bar_ids[PCI_STD_NUM_BARS] = { 0, 1, 2, 3, 4, 5 };

static void test_bar_access(void *opaque, uint64_t offset, void *data,
			    unsigned int len, bool is_write)
{
	uint32_t v = 0;

	seen.bar = *(int *)opaque;
	seen.offset = offset;
	seen.len = len;
	seen.is_write = is_write;
	seen.count++;
	if (is_write) {
		memcpy(&v, data, len < 4 ? len : 4);
		seen.value = v;
	} else {
		/* A value that tells BAR and offset apart. */
		v = 0xb0000000u | seen.bar << 16 | (uint32_t)offset;
		memcpy(data, &v, len < 4 ? len : 4);
	}
}

static void outl(uint16_t port, uint32_t v)
{
	bus_access(&port_bus, port, &v, 4, true);
}

static uint32_t in(uint16_t port, unsigned int len)
{
	uint32_t v = 0;

	bus_access(&port_bus, port, &v, len, false);
	return v;
}

static void out(uint16_t port, uint32_t v, unsigned int len)
{
	bus_access(&port_bus, port, &v, len, true);
}

static uint32_t cfg_read(unsigned int slot, unsigned int reg,
			 unsigned int len)
{
	outl(PCI_CONFIG_ADDRESS_PORT, PCI_CONF1_ADDRESS(slot, reg));
	return in(PCI_CONFIG_DATA_PORT + (reg & 3), len);
}

static void cfg_write(unsigned int slot, unsigned int reg, uint32_t v,
		      unsigned int len)
{
	outl(PCI_CONFIG_ADDRESS_PORT, PCI_CONF1_ADDRESS(slot, reg));
	out(PCI_CONFIG_DATA_PORT + (reg & 3), v, len);
}

static bool mmio_read(uint64_t addr, uint32_t *v)
{
	*v = 0;
	return bus_access(&mmio_bus, addr, v, 4, false);
}

/* A bus with the host bridge and the test device in slot 1. */
static bool setup(void)
{
	memset(&port_bus, 0, sizeof(port_bus));
	memset(&mmio_bus, 0, sizeof(mmio_bus));
	port_bus.name = "port";
	mmio_bus.name = "mmio";
	memset(&seen, 0, sizeof(seen));
	if (pci_bus_init(&pci, &port_bus, &mmio_bus, MEM_WINDOW,
			 MEM_WINDOW_END, IO_WINDOW, IO_WINDOW_END))
		return false;
	pci_device_init(&dev, TEST_VENDOR, TEST_DEVICE, TEST_REVISION,
			TEST_CLASS, TEST_SUBVENDOR, TEST_SUBSYS);
	return !pci_device_add_bar(&dev, 0, PCI_BAR_MEM32, BAR0_SIZE,
				   test_bar_access, &bar_ids[0]) &&
		!pci_device_add_bar(&dev, 1, PCI_BAR_IO, BAR1_SIZE,
				    test_bar_access, &bar_ids[1]) &&
		!pci_device_add_bar(&dev, 2, PCI_BAR_MEM64, BAR2_SIZE,
				    test_bar_access, &bar_ids[2]) &&
		pci_bus_add_device(&pci, &dev) == 1;
}

TEST(config_address_latch)
{
	ASSERT_TRUE(setup());
	/* Linux's pci_check_type1(): a byte at 0xCFB, then the dword. */
	out(PCI_CONFIG_ADDRESS_PORT + 3, 0x01, 1);
	outl(PCI_CONFIG_ADDRESS_PORT, PCI_CONF1_ENABLE);
	EXPECT_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), PCI_CONF1_ENABLE);
	out(PCI_CONFIG_ADDRESS_PORT + 3, 0x01, 1);
	EXPECT_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), PCI_CONF1_ENABLE);
	out(PCI_CONFIG_ADDRESS_PORT, 0x1234, 2);
	out(PCI_CONFIG_ADDRESS_PORT, 0x56, 1);
	EXPECT_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), PCI_CONF1_ENABLE);
	/* Reserved bits 30:24 and 1:0 do not stick. */
	outl(PCI_CONFIG_ADDRESS_PORT, 0xff0008ffu);
	EXPECT_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), 0x800008fcu);
}

static uint8_t reset_control_reg;

static void reset_control(void *opaque, uint64_t offset, void *data,
			  unsigned int len, bool is_write)
{
	(void)opaque;
	if (offset || len != 1)
		return;
	if (is_write)
		reset_control_reg = *(uint8_t *)data;
	else
		*(uint8_t *)data = reset_control_reg;
}

/* 0xCF9 is a byte register inside CONFIG_ADDRESS's dword. */
TEST(reset_control_port)
{
	ASSERT_TRUE(setup());
	pci.reset_control = reset_control;
	reset_control_reg = 0;
	outl(PCI_CONFIG_ADDRESS_PORT, PCI_CONF1_ENABLE);
	out(PCI_CONFIG_ADDRESS_PORT + PCI_RESET_CONTROL_OFFSET, 0x06, 1);
	EXPECT_EQ(reset_control_reg, 0x06);
	reset_control_reg = 0x0a;
	EXPECT_EQ(in(PCI_CONFIG_ADDRESS_PORT + PCI_RESET_CONTROL_OFFSET, 1),
		  0x0au);
	EXPECT_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), PCI_CONF1_ENABLE);
	/* A dword write is CONFIG_ADDRESS's alone. */
	outl(PCI_CONFIG_ADDRESS_PORT, PCI_CONF1_ADDRESS(1, 0));
	EXPECT_EQ(reset_control_reg, 0x0a);
}

TEST(scan_finds_bridge_and_device)
{
	unsigned int slot, found = 0;

	ASSERT_TRUE(setup());
	for (slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		uint32_t id = cfg_read(slot, PCI_VENDOR_ID, 4);

		if (id == 0xffffffffu)
			continue;
		found++;
		if (slot == 0) {
			EXPECT_EQ(id, (uint32_t)PCI_DEVICE_INTEL_82441 << 16 |
				  PCI_VENDOR_INTEL);
			EXPECT_EQ(cfg_read(slot, PCI_CLASS_DEVICE, 2),
				  PCI_CLASS_HOST_BRIDGE >> 8);
			EXPECT_EQ(cfg_read(slot, PCI_REVISION_ID, 1),
				  (uint32_t)PCI_82441_REVISION);
			/* QEMU's: SeaBIOS reads fw_cfg only with it. */
			EXPECT_EQ(cfg_read(slot, PCI_SUBSYSTEM_VENDOR_ID, 4),
				  0x11001af4u);
		} else {
			EXPECT_EQ(slot, 1u);
			EXPECT_EQ(id, TEST_DEVICE << 16 | TEST_VENDOR);
			EXPECT_EQ(cfg_read(slot, PCI_CLASS_REVISION, 4),
				  TEST_CLASS << 8 | TEST_REVISION);
			EXPECT_EQ(cfg_read(slot, PCI_SUBSYSTEM_VENDOR_ID, 4),
				  TEST_SUBSYS << 16 | TEST_SUBVENDOR);
		}
		EXPECT_EQ(cfg_read(slot, PCI_HEADER_TYPE, 1),
			  (uint32_t)PCI_HEADER_TYPE_NORMAL);
	}
	EXPECT_EQ(found, 2u);
	/* Functions 1-7, other buses and a clear enable bit read all ones. */
	outl(PCI_CONFIG_ADDRESS_PORT,
	     PCI_CONF1_ADDRESS(1, 0) | 1 << PCI_CONF1_FN_SHIFT);
	EXPECT_EQ(in(PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
	outl(PCI_CONFIG_ADDRESS_PORT,
	     PCI_CONF1_ADDRESS(1, 0) | 1 << PCI_CONF1_BUS_SHIFT);
	EXPECT_EQ(in(PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
	outl(PCI_CONFIG_ADDRESS_PORT, PCI_CONF1_ADDRESS(1, 0) &
	     ~PCI_CONF1_ENABLE);
	EXPECT_EQ(in(PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
}

/* SeaBIOS's make_bios_writable_intel(): dword writes, read back. */
TEST(host_bridge_pam_registers)
{
	ASSERT_TRUE(setup());
	EXPECT_EQ(cfg_read(0, 0x58, 4), 0u);
	EXPECT_EQ(cfg_read(0, 0x5c, 4), 0u);
	cfg_write(0, 0x58, 0xffffffff, 4);
	cfg_write(0, 0x5c, 0xffffffff, 4);
	cfg_write(0, 0x60, 0xffffffff, 4);
	/* 0x58 is not a PAM; PAM0 has only its high pair. */
	EXPECT_EQ(cfg_read(0, 0x58, 4), 0x33333000u);
	EXPECT_EQ(cfg_read(0, 0x5c, 4), 0x33333333u);
	EXPECT_EQ(cfg_read(0, 0x60, 4), 0u);	/* DRB, not writable here */
	cfg_write(0, I440FX_PAM0, 0x11, 1);
	EXPECT_EQ(cfg_read(0, I440FX_PAM0, 1), 0x10u);
}

TEST(narrow_accesses_and_read_only)
{
	ASSERT_TRUE(setup());
	EXPECT_EQ(cfg_read(1, PCI_DEVICE_ID, 2), TEST_DEVICE);
	EXPECT_EQ(cfg_read(1, PCI_VENDOR_ID + 1, 1), TEST_VENDOR >> 8);
	EXPECT_EQ(cfg_read(1, PCI_CLASS_REVISION + 3, 1), TEST_CLASS >> 16);
	cfg_write(1, PCI_VENDOR_ID, 0xdeadbeef, 4);
	cfg_write(1, PCI_CLASS_REVISION, 0, 4);
	cfg_write(1, PCI_SUBSYSTEM_VENDOR_ID, 0, 4);
	cfg_write(1, PCI_INTERRUPT_PIN, 3, 1);
	EXPECT_EQ(cfg_read(1, PCI_VENDOR_ID, 4),
		  TEST_DEVICE << 16 | TEST_VENDOR);
	EXPECT_EQ(cfg_read(1, PCI_CLASS_REVISION, 4),
		  TEST_CLASS << 8 | TEST_REVISION);
	EXPECT_EQ(cfg_read(1, PCI_SUBSYSTEM_VENDOR_ID, 4),
		  TEST_SUBSYS << 16 | TEST_SUBVENDOR);
	EXPECT_EQ(cfg_read(1, PCI_INTERRUPT_PIN, 1), 0u);
	/* Interrupt Line is the OS's scratch register. */
	cfg_write(1, PCI_INTERRUPT_LINE, 11, 1);
	EXPECT_EQ(cfg_read(1, PCI_INTERRUPT_LINE, 1), 11u);
	/* No expansion ROM: the ROM BAR stays zero. */
	cfg_write(1, PCI_ROM_ADDRESS, 0xffffffffu, 4);
	EXPECT_EQ(cfg_read(1, PCI_ROM_ADDRESS, 4), 0u);
}

TEST(bars_placed_and_enabled)
{
	uint32_t bar0, bar1, bar2, bar3, cmd, v;
	uint64_t base2;

	ASSERT_TRUE(setup());
	cmd = cfg_read(1, PCI_COMMAND, 2);
	EXPECT_EQ(cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO),
		  (uint32_t)(PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	bar0 = cfg_read(1, PCI_BASE_ADDRESS_0, 4);
	bar1 = cfg_read(1, PCI_BASE_ADDRESS_1, 4);
	bar2 = cfg_read(1, PCI_BASE_ADDRESS_2, 4);
	bar3 = cfg_read(1, PCI_BASE_ADDRESS_3, 4);
	EXPECT_EQ(bar0 & ~PCI_BASE_ADDRESS_MEM_MASK,
		  (unsigned long)PCI_BASE_ADDRESS_MEM_TYPE_32);
	EXPECT_EQ(bar1 & ~PCI_BASE_ADDRESS_IO_MASK,
		  (unsigned long)PCI_BASE_ADDRESS_SPACE_IO);
	EXPECT_EQ(bar2 & ~PCI_BASE_ADDRESS_MEM_MASK,
		  (unsigned long)PCI_BASE_ADDRESS_MEM_TYPE_64);
	bar0 &= PCI_BASE_ADDRESS_MEM_MASK;
	bar1 &= PCI_BASE_ADDRESS_IO_MASK;
	base2 = (bar2 & PCI_BASE_ADDRESS_MEM_MASK) | (uint64_t)bar3 << 32;
	/* Naturally aligned, inside the windows. */
	EXPECT_TRUE(bar0 >= MEM_WINDOW && bar0 + BAR0_SIZE <= MEM_WINDOW_END);
	EXPECT_EQ(bar0 % BAR0_SIZE, 0u);
	EXPECT_TRUE(base2 >= MEM_WINDOW && base2 + BAR2_SIZE <= MEM_WINDOW_END);
	EXPECT_EQ(base2 % BAR2_SIZE, 0u);
	EXPECT_TRUE(base2 >= bar0 + BAR0_SIZE || base2 + BAR2_SIZE <= bar0);
	EXPECT_TRUE(bar1 >= IO_WINDOW && bar1 + BAR1_SIZE <= IO_WINDOW_END);
	EXPECT_EQ(bar1 % BAR1_SIZE, 0u);
	EXPECT_EQ(pci_bar_address(&dev, 0), bar0);
	EXPECT_EQ(pci_bar_address(&dev, 2), base2);

	/* Each BAR reaches the device with offsets from its start. */
	ASSERT_TRUE(mmio_read(bar0 + 0x10, &v));
	EXPECT_EQ(v, 0xb0000010u);
	ASSERT_TRUE(mmio_read(base2 + 0x3ffc, &v));
	EXPECT_EQ(v, 0xb0023ffcu);
	EXPECT_EQ(in(bar1 + 4, 2), 0x0004u);
	out(bar1 + 2, 0x5a, 1);
	EXPECT_EQ(seen.bar, 1);
	EXPECT_EQ(seen.offset, 2u);
	EXPECT_EQ(seen.len, 1u);
	EXPECT_TRUE(seen.is_write);
	EXPECT_EQ(seen.value, 0x5au);
}

/* Linux's __pci_read_base(): decode off, write ~0, read, restore. */
static uint64_t size_bar(unsigned int reg, bool is64, uint32_t *flags)
{
	uint32_t cmd = cfg_read(1, PCI_COMMAND, 2);
	uint32_t lo = cfg_read(1, reg, 4), hi = 0, szlo, szhi = 0xffffffffu;
	uint64_t mask;

	cfg_write(1, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO),
		  2);
	cfg_write(1, reg, 0xffffffffu, 4);
	szlo = cfg_read(1, reg, 4);
	cfg_write(1, reg, lo, 4);
	if (is64) {
		hi = cfg_read(1, reg + 4, 4);
		cfg_write(1, reg + 4, 0xffffffffu, 4);
		szhi = cfg_read(1, reg + 4, 4);
		cfg_write(1, reg + 4, hi, 4);
	}
	cfg_write(1, PCI_COMMAND, cmd, 2);
	*flags = szlo & 0xf;
	if (szlo & PCI_BASE_ADDRESS_SPACE_IO)
		mask = (szlo & PCI_BASE_ADDRESS_IO_MASK) | 0xffff0000u;
	else
		mask = szlo & PCI_BASE_ADDRESS_MEM_MASK;
	mask |= (uint64_t)szhi << 32;
	return ~mask + 1;
}

TEST(bar_sizing_protocol)
{
	uint32_t flags, before[4], v;
	unsigned int i;

	ASSERT_TRUE(setup());
	for (i = 0; i < 4; i++)
		before[i] = cfg_read(1, PCI_BASE_ADDRESS_0 + 4 * i, 4);
	EXPECT_EQ(size_bar(PCI_BASE_ADDRESS_0, false, &flags),
		  (uint64_t)BAR0_SIZE);
	EXPECT_EQ(flags, (uint32_t)PCI_BASE_ADDRESS_MEM_TYPE_32);
	EXPECT_EQ(size_bar(PCI_BASE_ADDRESS_1, false, &flags),
		  (uint64_t)BAR1_SIZE);
	EXPECT_EQ(flags & PCI_BASE_ADDRESS_SPACE,
		  (uint32_t)PCI_BASE_ADDRESS_SPACE_IO);
	EXPECT_EQ(size_bar(PCI_BASE_ADDRESS_2, true, &flags),
		  (uint64_t)BAR2_SIZE);
	EXPECT_EQ(flags, (uint32_t)PCI_BASE_ADDRESS_MEM_TYPE_64);
	/* Unused BARs size to nothing. */
	cfg_write(1, PCI_BASE_ADDRESS_4, 0xffffffffu, 4);
	EXPECT_EQ(cfg_read(1, PCI_BASE_ADDRESS_4, 4), 0u);
	/* Restored as they were, and decoding again there. */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(cfg_read(1, PCI_BASE_ADDRESS_0 + 4 * i, 4),
			  before[i]);
	EXPECT_TRUE(mmio_read(before[0] & PCI_BASE_ADDRESS_MEM_MASK, &v));
	EXPECT_EQ(mmio_bus.nr, 2u);
}

TEST(bar_move_reroutes)
{
	uint32_t old, new = 0xf0001000u, v;

	ASSERT_TRUE(setup());
	old = cfg_read(1, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	cfg_write(1, PCI_BASE_ADDRESS_0, new, 4);
	EXPECT_EQ(cfg_read(1, PCI_BASE_ADDRESS_0, 4), new);
	EXPECT_EQ(pci_bar_address(&dev, 0), new);
	EXPECT_TRUE(!mmio_read(old + 8, &v));
	EXPECT_EQ(v, 0xffffffffu);
	ASSERT_TRUE(mmio_read(new + 8, &v));
	EXPECT_EQ(v, 0xb0000008u);
	/* The I/O BAR too. */
	cfg_write(1, PCI_BASE_ADDRESS_1, 0xd000, 4);
	EXPECT_EQ(in(0xd000 + 6, 1), 0x06u);
	EXPECT_EQ(seen.bar, 1);
	/* A 64-bit BAR moved above 4 GiB, one half at a time. */
	cfg_write(1, PCI_BASE_ADDRESS_3, 0x1, 4);
	cfg_write(1, PCI_BASE_ADDRESS_2, 0x40000000, 4);
	ASSERT_TRUE(mmio_read(0x140000000ULL + 0x100, &v));
	EXPECT_EQ(v, 0xb0020100u);
	EXPECT_EQ(mmio_bus.nr, 2u);
	/* Onto another BAR: a decode conflict, so it stops decoding. */
	cfg_write(1, PCI_BASE_ADDRESS_3, 0, 4);
	cfg_write(1, PCI_BASE_ADDRESS_2, new, 4);
	EXPECT_EQ(pci_bar_address(&dev, 2), 0u);
	ASSERT_TRUE(mmio_read(new, &v));
	EXPECT_EQ(seen.bar, 0);
}

TEST(command_disable_unmaps)
{
	uint32_t bar0, bar1, cmd, v;

	ASSERT_TRUE(setup());
	bar0 = cfg_read(1, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	bar1 = cfg_read(1, PCI_BASE_ADDRESS_1, 4) & PCI_BASE_ADDRESS_IO_MASK;
	cmd = cfg_read(1, PCI_COMMAND, 2);
	cfg_write(1, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(mmio_bus.nr, 0u);
	EXPECT_TRUE(!mmio_read(bar0, &v));
	EXPECT_EQ(pci_bar_address(&dev, 0), 0u);
	seen.count = 0;
	EXPECT_EQ(in(bar1, 4), 0xb0010000u);
	EXPECT_EQ(seen.count, 1u);

	cfg_write(1, PCI_COMMAND, cmd & ~PCI_COMMAND_IO, 2);
	EXPECT_TRUE(mmio_read(bar0, &v));
	EXPECT_EQ(in(bar1, 4), 0xffffffffu);
	EXPECT_EQ(seen.count, 2u);
	/* Byte writes to the command register count as well. */
	cfg_write(1, PCI_COMMAND, cmd, 1);
	EXPECT_EQ(in(bar1, 4), 0xb0010000u);
}

TEST(capability_list)
{
	uint8_t a[6] = { 0, 0, 0xaa, 0xbb, 0xcc, 0xdd };
	uint8_t b[12] = { 0, 0, 0x11 };
	uint8_t big[200] = { 0 };
	unsigned int pos, ttl = 48, n = 0;
	int off_a, off_b;

	ASSERT_TRUE(setup());
	EXPECT_EQ(cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0u);
	off_a = pci_device_add_capability(&dev, TEST_CAP_ID_A, a, sizeof(a));
	off_b = pci_device_add_capability(&dev, TEST_CAP_ID_B, b, sizeof(b));
	EXPECT_EQ(off_a, PCI_CAP_START);
	EXPECT_EQ(off_b, PCI_CAP_START + 8);
	EXPECT_EQ(pci_device_add_capability(&dev, 1, big, sizeof(big)), -1);
	EXPECT_NE(0u, cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);

	/* Walk it as pci_find_capability() does. */
	for (pos = cfg_read(1, PCI_CAPABILITY_LIST, 1); pos && ttl--;
	     pos = cfg_read(1, pos + PCI_CAP_LIST_NEXT, 1)) {
		ASSERT_TRUE(pos >= PCI_CAP_START && !(pos & 3));
		if (n == 0) {
			EXPECT_EQ(cfg_read(1, pos, 1), (uint32_t)TEST_CAP_ID_A);
			EXPECT_EQ(cfg_read(1, pos + 2, 2), 0xbbaau);
			EXPECT_EQ(cfg_read(1, pos + 4, 2), 0xddccu);
		} else {
			EXPECT_EQ(cfg_read(1, pos, 1), (uint32_t)TEST_CAP_ID_B);
			EXPECT_EQ(cfg_read(1, pos + 2, 1), 0x11u);
		}
		n++;
	}
	EXPECT_EQ(n, 2u);
	/* Read-only unless the device says otherwise. */
	cfg_write(1, off_a, 0, 4);
	EXPECT_EQ(cfg_read(1, off_a, 4), 0xbbaa0000u | (off_b << 8) |
		  TEST_CAP_ID_A);
	pci_device_set_wmask(&dev, off_a + 2, 0xff00, 2);
	cfg_write(1, off_a + 2, 0x1234, 2);
	EXPECT_EQ(cfg_read(1, off_a + 2, 2), 0x12aau);
}

TEST(bad_bars_and_full_bus)
{
	static struct pci_device more[PCI_MAX_SLOTS];
	struct pci_device d;
	unsigned int i, nr;

	ASSERT_TRUE(setup());
	pci_device_init(&d, TEST_VENDOR, TEST_DEVICE, 0, TEST_CLASS, 0, 0);
	EXPECT_EQ(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 0x3000,
				     test_bar_access, NULL), -1);
	EXPECT_EQ(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 8,
				     test_bar_access, NULL), -1);
	EXPECT_EQ(pci_device_add_bar(&d, 0, PCI_BAR_IO, 0x1000,
				     test_bar_access, NULL), -1);
	EXPECT_EQ(pci_device_add_bar(&d, 5, PCI_BAR_MEM64, 0x1000,
				     test_bar_access, NULL), -1);
	EXPECT_EQ(pci_device_add_bar(&d, 6, PCI_BAR_MEM32, 0x1000,
				     test_bar_access, NULL), -1);
	EXPECT_EQ(pci_device_add_bar(&d, 3, PCI_BAR_MEM64, 0x1000,
				     test_bar_access, NULL), 0);
	EXPECT_EQ(pci_device_add_bar(&d, 4, PCI_BAR_MEM32, 0x1000,
				     test_bar_access, NULL), -1);
	EXPECT_EQ(pci_device_add_bar(&d, 3, PCI_BAR_MEM32, 0x1000,
				     test_bar_access, NULL), -1);

	/* A BAR bigger than what is left of the window maps nothing. */
	pci_device_init(&d, TEST_VENDOR, TEST_DEVICE, 0, TEST_CLASS, 0, 0);
	ASSERT_EQ(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 0x1000,
				     test_bar_access, NULL), 0);
	ASSERT_EQ(pci_device_add_bar(&d, 1, PCI_BAR_MEM32, 1ULL << 31,
				     test_bar_access, NULL), 0);
	nr = mmio_bus.nr;
	EXPECT_EQ(pci_bus_add_device(&pci, &d), -1);
	EXPECT_EQ(mmio_bus.nr, nr);

	/* A BAR that clashes with another range: nothing stays mapped. */
	pci_device_init(&d, TEST_VENDOR, TEST_DEVICE, 0, TEST_CLASS, 0, 0);
	ASSERT_EQ(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 0x1000,
				     test_bar_access, NULL), 0);
	ASSERT_EQ(pci_device_add_bar(&d, 1, PCI_BAR_MEM32, 0x1000,
				     test_bar_access, NULL), 0);
	ASSERT_EQ(bus_register(&mmio_bus,
			       ((pci.mem_next + 0xfff) & ~0xfffULL) + 0x1000,
			       0x1000, test_bar_access, NULL), 0);
	nr = mmio_bus.nr;
	EXPECT_EQ(pci_bus_add_device(&pci, &d), -1);
	EXPECT_EQ(mmio_bus.nr, nr);

	/* 30 more devices fill the bus; the 31st finds no slot. */
	for (i = 0; i < PCI_MAX_SLOTS; i++) {
		pci_device_init(&more[i], TEST_VENDOR, TEST_DEVICE, 0,
				TEST_CLASS, 0, 0);
		EXPECT_EQ(pci_bus_add_device(&pci, &more[i]),
			  i < PCI_MAX_SLOTS - 2 ? (int)i + 2 : -1);
	}
	EXPECT_EQ(cfg_read(31, PCI_VENDOR_ID, 2), TEST_VENDOR);
}

TEST_HARNESS_MAIN
