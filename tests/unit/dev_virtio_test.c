// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk on modern virtio-pci, driven as Linux's virtio_pci_modern
 * and virtio_blk drive it: found by the conf1 scan, capabilities walked,
 * initialised, disk I/O through a temporary image, MSI-X and INTx, the
 * malformed rings a broken or hostile driver can produce, the bound on
 * one notify's work, the I/O thread racing another vCPU, and host I/O
 * errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include "vmmon_harness.h"
#include "virtio/blk.h"

#define RAM_SIZE	(1u << 20)
#define DESC_GPA	0x10000
#define AVAIL_GPA	0x11000
#define USED_GPA	0x12000
#define HDR_GPA		0x20000
#define STATUS_GPA	0x20100
#define ID_GPA		0x20200
#define HDR_DATA_GPA	0x21000	/* header and data in one buffer */
#define DATA_GPA	0x30000

#define DISK_SECTORS	64
#define QSIZE		16	/* what the driver lowers the queue to */
#define SERIAL		"vmmon-blk0"

#define MEM_WINDOW	0xe0000000ULL
#define MEM_WINDOW_END	0xfec00000ULL
#define IO_WINDOW	0xc000
#define IO_WINDOW_END	0x10000
#define INTX_GSI	11

/* MSI-X: vector 0 for configuration changes, 1 for the queue. */
#define MSI_ADDR	0xfee01000ULL
#define MSI_DATA_CONFIG	0x41
#define MSI_DATA_QUEUE	0x42
#define VEC_CONFIG	0
#define VEC_QUEUE	1

#define STATUS_INIT	(VIRTIO_CONFIG_S_ACKNOWLEDGE | \
			 VIRTIO_CONFIG_S_DRIVER)
#define DRIVER_FEATURES	(1ULL << VIRTIO_F_VERSION_1 | \
			 1ULL << VIRTIO_BLK_F_FLUSH | \
			 1ULL << VIRTIO_BLK_F_SEG_MAX | \
			 1ULL << VIRTIO_BLK_F_BLK_SIZE)

static struct {
	struct bus port, mmio;
	uint8_t *ram;
	struct guest_mem mem;
	struct pci_bus pci;
	struct virtio_blk blk;
	int fd;
	unsigned int slot;
	uint64_t bar;
	/* Where the capabilities put the regions, as offsets in the BAR. */
	uint32_t common, isr, device, notify, notify_mult;
	unsigned int msix_cap;
	uint16_t avail_idx;
	/* What the machine got. */
	unsigned int msi_count;
	uint64_t msi_addr;
	uint32_t msi_data;
	int intx_level;
	unsigned int intx_raises;
} t;

static void msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	t.msi_count++;
	t.msi_addr = addr;
	t.msi_data = data;
}

static void intx_set(void *opaque, unsigned int gsi, int level)
{
	(void)opaque;
	if (gsi == INTX_GSI) {
		t.intx_raises += level && !t.intx_level;
		t.intx_level = level;
	}
}

static uint8_t disk_byte(uint64_t sector, unsigned int i)
{
	return sector * 13 + i * 7 + 1;
}

/* Config space through the ports, as the guest does. */
static uint32_t cfg_read(unsigned int slot, unsigned int reg,
			 unsigned int len)
{
	uint32_t a = PCI_CONF1_ADDRESS(slot, reg), v = 0;

	bus_access(&t.port, PCI_CONFIG_ADDRESS_PORT, &a, 4, true);
	bus_access(&t.port, PCI_CONFIG_DATA_PORT + (reg & 3), &v, len, false);
	return v;
}

static void cfg_write(unsigned int slot, unsigned int reg, uint32_t v,
		      unsigned int len)
{
	uint32_t a = PCI_CONF1_ADDRESS(slot, reg);

	bus_access(&t.port, PCI_CONFIG_ADDRESS_PORT, &a, 4, true);
	bus_access(&t.port, PCI_CONFIG_DATA_PORT + (reg & 3), &v, len, true);
}

static uint32_t rd(uint32_t off, unsigned int len)
{
	uint32_t v = 0;

	bus_access(&t.mmio, t.bar + off, &v, len, false);
	return v;
}

static void wr(uint32_t off, uint32_t v, unsigned int len)
{
	bus_access(&t.mmio, t.bar + off, &v, len, true);
}

static uint32_t common_rd(unsigned int field, unsigned int len)
{
	return rd(t.common + field, len);
}

static void common_wr(unsigned int field, uint32_t v, unsigned int len)
{
	wr(t.common + field, v, len);
}

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, t.ram + USED_GPA + offsetof(struct vring_used, idx), 2);
	return v;
}

static struct vring_used_elem used_elem(uint16_t idx)
{
	struct vring_used_elem e;

	memcpy(&e, t.ram + USED_GPA + offsetof(struct vring_used, ring) +
	       (idx % QSIZE) * sizeof(e), sizeof(e));
	return e;
}

/*
 * A machine with the host bridge and a virtio-blk on @image, or on a
 * temporary DISK_SECTORS image when NULL, and the regions found by
 * walking the capabilities.  Each test runs in a process of its own: its
 * machine, and the image, unlinked at once, go when it ends.
 */
static bool setup_image(bool read_only, bool with_intx, const char *image)
{
	struct virtio_pci_host host = {
		.mem = &t.mem,
		.msi = { msi_send, NULL },
	};
	uint8_t sector[VIRTIO_BLK_SECTOR_SIZE];
	char path[] = "/tmp/dev_virtio_test.XXXXXX";
	unsigned int s, i, pos;
	int slot;

	memset(&t, 0, sizeof(t));
	t.port.name = "port";
	t.mmio.name = "mmio";
	t.ram = aligned_alloc(4096, RAM_SIZE);
	if (!t.ram)
		return false;
	memset(t.ram, 0, RAM_SIZE);
	t.mem.base = t.ram;
	t.mem.low_size = RAM_SIZE;
	if (with_intx)
		host.intx = (struct irq_line){ intx_set, NULL, INTX_GSI };

	if (image) {
		t.fd = open(image, O_RDWR);
		if (t.fd < 0)
			return false;
	} else {
		t.fd = mkstemp(path);
		if (t.fd < 0)
			return false;
		unlink(path);
	}
	for (s = 0; !image && s < DISK_SECTORS; s++) {
		for (i = 0; i < sizeof(sector); i++)
			sector[i] = disk_byte(s, i);
		if (pwrite(t.fd, sector, sizeof(sector), s * sizeof(sector)) !=
		    sizeof(sector))
			return false;
	}

	if (pci_bus_init(&t.pci, &t.port, &t.mmio, MEM_WINDOW, MEM_WINDOW_END,
			 IO_WINDOW, IO_WINDOW_END) ||
	    virtio_blk_init(&t.blk, t.fd, read_only, SERIAL, &host))
		return false;
	slot = pci_bus_add_device(&t.pci, &t.blk.vp.pci);
	if (slot < 0)
		return false;
	t.slot = slot;
	t.bar = (cfg_read(t.slot, PCI_BASE_ADDRESS_0, 4) &
		 PCI_BASE_ADDRESS_MEM_MASK) |
		(uint64_t)cfg_read(t.slot, PCI_BASE_ADDRESS_1, 4) << 32;

	/* virtio_pci_find_capability(): the first of each type wins. */
	for (pos = cfg_read(t.slot, PCI_CAPABILITY_LIST, 1); pos;
	     pos = cfg_read(t.slot, pos + PCI_CAP_LIST_NEXT, 1)) {
		uint32_t off = cfg_read(t.slot, pos + VIRTIO_PCI_CAP_OFFSET, 4);

		if (cfg_read(t.slot, pos, 1) == PCI_CAP_ID_MSIX) {
			t.msix_cap = pos;
			continue;
		}
		switch (cfg_read(t.slot, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1)) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			t.common = off;
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			t.isr = off;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			t.device = off;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			t.notify = off;
			t.notify_mult = cfg_read(t.slot, pos +
						 VIRTIO_PCI_NOTIFY_CAP_MULT, 4);
			break;
		}
	}
	return t.msix_cap && t.notify;
}

static bool setup(bool read_only, bool with_intx)
{
	return setup_image(read_only, with_intx, NULL);
}

static void msix_entry(unsigned int vector, uint32_t data, bool masked)
{
	uint32_t e = VIRTIO_PCI_MSIX_TABLE_OFFSET +
		vector * PCI_MSIX_ENTRY_SIZE;

	wr(e + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)MSI_ADDR, 4);
	wr(e + PCI_MSIX_ENTRY_UPPER_ADDR, MSI_ADDR >> 32, 4);
	wr(e + PCI_MSIX_ENTRY_DATA, data, 4);
	wr(e + PCI_MSIX_ENTRY_VECTOR_CTRL,
	   masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0, 4);
}

static void msix_control(uint16_t flags)
{
	cfg_write(t.slot, t.msix_cap + PCI_MSIX_FLAGS, flags, 2);
}

/* The status after FEATURES_OK, so callers can see a refusal. */
static uint8_t negotiate(uint64_t features)
{
	common_wr(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	if (common_rd(VIRTIO_PCI_COMMON_STATUS, 1))
		return 0;
	common_wr(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	common_wr(VIRTIO_PCI_COMMON_STATUS, STATUS_INIT, 1);
	common_wr(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	common_wr(VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
	common_wr(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	common_wr(VIRTIO_PCI_COMMON_GF, features >> 32, 4);
	common_wr(VIRTIO_PCI_COMMON_STATUS,
		  STATUS_INIT | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	return common_rd(VIRTIO_PCI_COMMON_STATUS, 1);
}

static void set_queue_rings(uint64_t desc, uint64_t avail, uint64_t used)
{
	common_wr(VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)desc, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_DESCHI, desc >> 32, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)avail, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_AVAILHI, avail >> 32, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)used, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_USEDHI, used >> 32, 4);
}

/* Linux's order: features, MSI-X vectors, queue 0, DRIVER_OK. */
static bool driver_init(bool msix)
{
	uint8_t status;

	memset(t.ram + DESC_GPA, 0, USED_GPA + 0x1000 - DESC_GPA);
	t.avail_idx = 0;
	/* pci_enable_device() and pci_set_master(), as virtio_pci_probe(). */
	cfg_write(t.slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  2);
	if (!(negotiate(DRIVER_FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	if (msix) {
		msix_control(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
		msix_entry(VEC_CONFIG, MSI_DATA_CONFIG, false);
		msix_entry(VEC_QUEUE, MSI_DATA_QUEUE, false);
		msix_control(PCI_MSIX_FLAGS_ENABLE);
		common_wr(VIRTIO_PCI_COMMON_MSIX, VEC_CONFIG, 2);
		if (common_rd(VIRTIO_PCI_COMMON_MSIX, 2) != VEC_CONFIG)
			return false;
	}
	common_wr(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	if (common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2) != VIRTIO_BLK_QUEUE_SIZE)
		return false;
	common_wr(VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
	set_queue_rings(DESC_GPA, AVAIL_GPA, USED_GPA);
	if (msix) {
		common_wr(VIRTIO_PCI_COMMON_Q_MSIX, VEC_QUEUE, 2);
		if (common_rd(VIRTIO_PCI_COMMON_Q_MSIX, 2) != VEC_QUEUE)
			return false;
	}
	common_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	status = common_rd(VIRTIO_PCI_COMMON_STATUS, 1);
	common_wr(VIRTIO_PCI_COMMON_STATUS,
		  status | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	return common_rd(VIRTIO_PCI_COMMON_STATUS, 1) ==
		(STATUS_INIT | VIRTIO_CONFIG_S_FEATURES_OK |
		 VIRTIO_CONFIG_S_DRIVER_OK);
}

static void put_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc d = {
		.addr = addr, .len = len, .flags = flags, .next = next,
	};

	memcpy(t.ram + DESC_GPA + i * sizeof(d), &d, sizeof(d));
}

/* Offer @head and notify queue 0, as virtqueue_add() + kick. */
static void kick(uint16_t head)
{
	uint8_t *avail = t.ram + AVAIL_GPA;

	memcpy(avail + offsetof(struct vring_avail, ring) +
	       (t.avail_idx % QSIZE) * 2, &head, 2);
	t.avail_idx++;
	memcpy(avail + offsetof(struct vring_avail, idx), &t.avail_idx, 2);
	wr(t.notify + 0 * t.notify_mult, 0, 2);
}

struct seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

/* A chain of @n segments from descriptor 0, offered and kicked. */
static void submit(const struct seg *segs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put_desc(i, segs[i].addr, segs[i].len,
			 segs[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			 i + 1);
	kick(0);
}

static void put_hdr(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	memcpy(t.ram + HDR_GPA, &h, sizeof(h));
}

/*
 * One request the way virtio_blk sends it: header, data (device-writable
 * for IN and GET_ID), status.  Returns the status byte, or -1 when the
 * device did not complete it; *@used_len gets the used element's length.
 */
static int blk_request(uint32_t type, uint64_t sector, uint64_t data,
		       uint32_t len, uint32_t *used_len)
{
	bool to_guest = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct seg segs[3] = {
		{ HDR_GPA, sizeof(struct virtio_blk_outhdr), 0 },
	};
	uint16_t before = used_idx();
	struct vring_used_elem e;
	unsigned int n = 1;

	put_hdr(type, sector);
	t.ram[STATUS_GPA] = 0xff;
	if (len)
		segs[n++] = (struct seg){ data, len,
			to_guest ? VRING_DESC_F_WRITE : 0 };
	segs[n++] = (struct seg){ STATUS_GPA, 1, VRING_DESC_F_WRITE };
	submit(segs, n);
	if (used_idx() != (uint16_t)(before + 1))
		return -1;
	e = used_elem(before);
	if (e.id != 0)
		return -1;
	if (used_len)
		*used_len = e.len;
	return t.ram[STATUS_GPA];
}

static bool sector_matches(const uint8_t *buf, uint64_t sector)
{
	unsigned int i;

	for (i = 0; i < VIRTIO_BLK_SECTOR_SIZE; i++)
		if (buf[i] != disk_byte(sector, i))
			return false;
	return true;
}

TEST(scan_finds_blk)
{
	unsigned int slot, found = 0;

	ASSERT_TRUE(setup(false, false));
	for (slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		uint32_t id = cfg_read(slot, PCI_VENDOR_ID, 4);

		if (id == 0xffffffffu)
			continue;
		found++;
		if (slot == 0) {
			EXPECT_EQ(id, (uint32_t)PCI_DEVICE_INTEL_82441 << 16 |
				  PCI_VENDOR_INTEL);
			EXPECT_EQ(cfg_read(slot, PCI_CLASS_REVISION, 4) >> 8,
				  PCI_CLASS_HOST_BRIDGE);
			continue;
		}
		EXPECT_EQ(slot, t.slot);
		EXPECT_EQ(id, 0x1042u << 16 | 0x1af4);
		EXPECT_EQ(cfg_read(slot, PCI_REVISION_ID, 1), 1u);
		EXPECT_EQ(cfg_read(slot, PCI_CLASS_REVISION, 4) >> 8,
			  0x018000u);
		EXPECT_EQ(cfg_read(slot, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4u);
		EXPECT_EQ(cfg_read(slot, PCI_HEADER_TYPE, 1),
			  (uint32_t)PCI_HEADER_TYPE_NORMAL);
		EXPECT_EQ(cfg_read(slot, PCI_BASE_ADDRESS_0, 4) &
			  ~PCI_BASE_ADDRESS_MEM_MASK,
			  (unsigned long)PCI_BASE_ADDRESS_MEM_TYPE_64);
		EXPECT_NE(0u, cfg_read(slot, PCI_COMMAND, 2) &
			      PCI_COMMAND_MEMORY);
		/* MSI-X only: no INTx pin. */
		EXPECT_EQ(cfg_read(slot, PCI_INTERRUPT_PIN, 1), 0u);
	}
	EXPECT_EQ(found, 2u);
	EXPECT_EQ(t.slot, 1u);
}

TEST(capabilities_as_linux_probes)
{
	unsigned int pos, types = 0, ttl = 48;
	uint32_t lo, bar_size, table, pba;

	ASSERT_TRUE(setup(false, false));
	/* The BAR's size, by the sizing protocol (decode off meanwhile). */
	cfg_write(t.slot, PCI_COMMAND, 0, 2);
	lo = cfg_read(t.slot, PCI_BASE_ADDRESS_0, 4);
	cfg_write(t.slot, PCI_BASE_ADDRESS_0, 0xffffffffu, 4);
	bar_size = ~(cfg_read(t.slot, PCI_BASE_ADDRESS_0, 4) &
		     PCI_BASE_ADDRESS_MEM_MASK) + 1;
	cfg_write(t.slot, PCI_BASE_ADDRESS_0, lo, 4);
	cfg_write(t.slot, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(bar_size, (uint32_t)VIRTIO_PCI_BAR_SIZE);
	EXPECT_NE(0u, cfg_read(t.slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);

	for (pos = cfg_read(t.slot, PCI_CAPABILITY_LIST, 1); pos && ttl--;
	     pos = cfg_read(t.slot, pos + PCI_CAP_LIST_NEXT, 1)) {
		unsigned int type, bar, cap_len;
		uint32_t off, len;

		ASSERT_TRUE(pos >= PCI_STD_HEADER_SIZEOF && !(pos & 3));
		if (cfg_read(t.slot, pos, 1) != PCI_CAP_ID_VNDR)
			continue;
		type = cfg_read(t.slot, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
		bar = cfg_read(t.slot, pos + VIRTIO_PCI_CAP_BAR, 1);
		cap_len = cfg_read(t.slot, pos + VIRTIO_PCI_CAP_LEN, 1);
		off = cfg_read(t.slot, pos + VIRTIO_PCI_CAP_OFFSET, 4);
		len = cfg_read(t.slot, pos + VIRTIO_PCI_CAP_LENGTH, 4);
		/* vp_modern_map_capability()'s checks. */
		EXPECT_EQ(bar, 0u);
		EXPECT_TRUE(cap_len >= sizeof(struct virtio_pci_cap));
		EXPECT_TRUE((uint64_t)off + len <= bar_size);
		types |= 1u << type;
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			EXPECT_TRUE(len >=
				    sizeof(struct virtio_pci_common_cfg));
			EXPECT_EQ(off % 4, 0u);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			EXPECT_TRUE(len >= 1);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			EXPECT_EQ(off % 4, 0u);
			EXPECT_EQ(len, sizeof(struct virtio_blk_config));
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			EXPECT_TRUE(cap_len >=
				    sizeof(struct virtio_pci_notify_cap));
			EXPECT_EQ(off % 2, 0u);
			EXPECT_EQ(cfg_read(t.slot,
					   pos + VIRTIO_PCI_NOTIFY_CAP_MULT, 4),
				  4u);
			/* Queue 0's notify_off * multiplier + 2 fits. */
			EXPECT_TRUE(len >= 2);
			break;
		default:
			ASSERT_TRUE(false)
				TH_LOG("unexpected cfg_type %u", type);
		}
	}
	EXPECT_EQ(types, 1u << VIRTIO_PCI_CAP_COMMON_CFG |
		  1u << VIRTIO_PCI_CAP_ISR_CFG |
		  1u << VIRTIO_PCI_CAP_DEVICE_CFG |
		  1u << VIRTIO_PCI_CAP_NOTIFY_CFG);

	/* MSI-X: a vector per queue plus config, table and PBA in BAR 0. */
	ASSERT_NE(0u, t.msix_cap);
	EXPECT_EQ(cfg_read(t.slot, t.msix_cap + PCI_MSIX_FLAGS, 2), 1u);
	table = cfg_read(t.slot, t.msix_cap + PCI_MSIX_TABLE, 4);
	pba = cfg_read(t.slot, t.msix_cap + PCI_MSIX_PBA, 4);
	EXPECT_EQ(table & PCI_MSIX_TABLE_BIR, 0u);
	EXPECT_EQ(pba & PCI_MSIX_PBA_BIR, 0u);
	EXPECT_EQ(table & PCI_MSIX_TABLE_OFFSET,
		  (uint32_t)VIRTIO_PCI_MSIX_TABLE_OFFSET);
	EXPECT_EQ(pba & PCI_MSIX_PBA_OFFSET,
		  (uint32_t)VIRTIO_PCI_MSIX_PBA_OFFSET);
	EXPECT_TRUE(VIRTIO_PCI_MSIX_PBA_OFFSET + 8 <= bar_size);
	/* Entries come up masked. */
	EXPECT_EQ(rd(VIRTIO_PCI_MSIX_TABLE_OFFSET + PCI_MSIX_ENTRY_VECTOR_CTRL,
		     4), (uint32_t)PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

TEST(driver_init_and_io)
{
	uint8_t buf[2 * VIRTIO_BLK_SECTOR_SIZE];
	uint32_t lo, hi, used_len;
	uint64_t features, cap;
	unsigned int i;

	ASSERT_TRUE(setup(false, false));
	common_wr(VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = common_rd(VIRTIO_PCI_COMMON_DF, 4);
	common_wr(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	hi = common_rd(VIRTIO_PCI_COMMON_DF, 4);
	features = lo | (uint64_t)hi << 32;
	EXPECT_EQ(features, DRIVER_FEATURES);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_NUMQ, 2), 1u);
	common_wr(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0u);
	/* Config space, read in halves as virtio_cread64() may. */
	cap = rd(t.device + offsetof(struct virtio_blk_config, capacity), 4) |
		(uint64_t)rd(t.device + offsetof(struct virtio_blk_config,
						 capacity) + 4, 4) << 32;
	EXPECT_EQ(cap, (uint64_t)DISK_SECTORS);
	EXPECT_EQ(rd(t.device + offsetof(struct virtio_blk_config, blk_size),
		     4), (uint32_t)VIRTIO_BLK_SECTOR_SIZE);
	EXPECT_EQ(rd(t.device + offsetof(struct virtio_blk_config, seg_max),
		     4), VIRTIO_BLK_QUEUE_SIZE - 2u);
	ASSERT_TRUE(driver_init(true));
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_NOFF, 2), 0u);

	/* Read sector 0 and 1. */
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA,
			      2 * VIRTIO_BLK_SECTOR_SIZE, &used_len),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(used_len, 2 * VIRTIO_BLK_SECTOR_SIZE + 1u);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 0));
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA + 512, 1));

	/* Write sectors 5-6, flush, find them in the image. */
	for (i = 0; i < sizeof(buf); i++)
		t.ram[DATA_GPA + i] = i ^ 0x5a;
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_OUT, 5, DATA_GPA, sizeof(buf),
			      &used_len), VIRTIO_BLK_S_OK);
	EXPECT_EQ(used_len, 1u);
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL),
		  VIRTIO_BLK_S_OK);
	ASSERT_EQ(pread(t.fd, buf, sizeof(buf), 5 * VIRTIO_BLK_SECTOR_SIZE),
		  (ssize_t)sizeof(buf));
	EXPECT_TRUE(!memcmp(buf, t.ram + DATA_GPA, sizeof(buf)));

	/* And back through the device. */
	memset(t.ram + DATA_GPA, 0, sizeof(buf));
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 5, DATA_GPA, sizeof(buf), NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(!memcmp(buf, t.ram + DATA_GPA, sizeof(buf)));
	/* The neighbours are untouched. */
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 4, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 4));
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 7, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 7));

	/* GET_ID: the serial, NUL-padded to 20 bytes. */
	memset(t.ram + ID_GPA, 0xee, VIRTIO_BLK_ID_BYTES);
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_GET_ID, 0, ID_GPA,
			      VIRTIO_BLK_ID_BYTES, &used_len),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(used_len, VIRTIO_BLK_ID_BYTES + 1u);
	EXPECT_TRUE(!memcmp(t.ram + ID_GPA, SERIAL, sizeof(SERIAL)));
	EXPECT_EQ(t.ram[ID_GPA + VIRTIO_BLK_ID_BYTES - 1], 0);
	EXPECT_EQ(used_idx(), 7);
	/* Every completion interrupted on the queue's vector. */
	EXPECT_EQ(t.msi_count, 7u);
	EXPECT_EQ(t.msi_addr, MSI_ADDR);
	EXPECT_EQ(t.msi_data, (uint32_t)MSI_DATA_QUEUE);
}

/* A chain the way a driver free to lay out buffers might send it. */
TEST(any_layout)
{
	struct seg segs[] = {
		{ HDR_GPA, 4, 0 },
		{ HDR_GPA + 4, 12, 0 },
		{ DATA_GPA, 100, VRING_DESC_F_WRITE },
		{ DATA_GPA + 100, 412, VRING_DESC_F_WRITE },
		{ DATA_GPA + 512, 1, VRING_DESC_F_WRITE },
	};

	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	put_hdr(VIRTIO_BLK_T_IN, 9);
	t.ram[DATA_GPA + 512] = 0xff;
	submit(segs, sizeof(segs) / sizeof(segs[0]));
	ASSERT_EQ(used_idx(), 1);
	EXPECT_EQ(used_elem(0).len, 513u);
	EXPECT_EQ(t.ram[DATA_GPA + 512], VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 9));

	/*
	 * Header and half the data in one buffer, the rest elsewhere (after
	 * the first buffer lies junk); then data and status in one buffer.
	 */
	put_hdr(VIRTIO_BLK_T_OUT, 10);
	memcpy(t.ram + HDR_DATA_GPA, t.ram + HDR_GPA, 16);
	memcpy(t.ram + HDR_DATA_GPA + 16, t.ram + DATA_GPA, 256);
	memset(t.ram + HDR_DATA_GPA + 16 + 256, 0xee, 256);
	memcpy(t.ram + ID_GPA, t.ram + DATA_GPA + 256, 256);
	segs[0] = (struct seg){ HDR_DATA_GPA, 16 + 256, 0 };
	segs[1] = (struct seg){ ID_GPA, 256, 0 };
	segs[2] = (struct seg){ STATUS_GPA, 1, VRING_DESC_F_WRITE };
	t.ram[STATUS_GPA] = 0xff;
	submit(segs, 3);
	ASSERT_EQ(used_idx(), 2);
	EXPECT_EQ(t.ram[STATUS_GPA], VIRTIO_BLK_S_OK);
	put_hdr(VIRTIO_BLK_T_IN, 10);
	memset(t.ram + DATA_GPA, 0, 513);
	segs[0] = (struct seg){ HDR_GPA, 16, 0 };
	segs[1] = (struct seg){ DATA_GPA, 513, VRING_DESC_F_WRITE };
	submit(segs, 2);
	ASSERT_EQ(used_idx(), 3);
	EXPECT_EQ(t.ram[DATA_GPA + 512], VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 9));
}

/* The ring layer alone, as a device model sees it. */
TEST(ring_pop_and_push)
{
	static struct virtq_req req;
	struct virtq vq;

	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(virtq_rings_valid(&t.mem, QSIZE, DESC_GPA, AVAIL_GPA,
				      USED_GPA));
	EXPECT_TRUE(!virtq_rings_valid(&t.mem, 3, DESC_GPA, AVAIL_GPA,
				       USED_GPA));
	EXPECT_TRUE(!virtq_rings_valid(&t.mem, 2 * VIRTQ_MAX_SIZE, DESC_GPA,
				       AVAIL_GPA, USED_GPA));
	EXPECT_TRUE(!virtq_rings_valid(&t.mem, QSIZE, DESC_GPA, AVAIL_GPA + 1,
				       USED_GPA));
	virtq_init(&vq, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA);
	EXPECT_EQ(virtq_pop(&vq, &t.mem, &req), 0);

	put_desc(5, HDR_GPA, 16, VRING_DESC_F_NEXT, 2);
	put_desc(2, DATA_GPA, 0, VRING_DESC_F_NEXT, 9);
	put_desc(9, DATA_GPA + 512, 300, VRING_DESC_F_WRITE, 0);
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, ring),
	       "\5\0", 2);
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, idx),
	       "\1\0", 2);
	ASSERT_EQ(virtq_pop(&vq, &t.mem, &req), 1);
	EXPECT_EQ(req.head, 5);
	EXPECT_EQ(req.nr_out, 2u);
	EXPECT_EQ(req.nr_in, 1u);
	EXPECT_EQ(req.out_len, 16u);
	EXPECT_EQ(req.in_len, 300u);
	EXPECT_TRUE(req.bufs[0].ptr == t.ram + HDR_GPA);
	EXPECT_TRUE(req.bufs[2].ptr == t.ram + DATA_GPA + 512);
	EXPECT_EQ(req.bufs[2].len, 300u);
	EXPECT_EQ(virtq_pop(&vq, &t.mem, &req), 0);
	ASSERT_EQ(virtq_push(&vq, &t.mem, 5, 123), 0);
	EXPECT_EQ(used_idx(), 1);
	EXPECT_EQ(used_elem(0).id, 5u);
	EXPECT_EQ(used_elem(0).len, 123u);

	/* Zero bytes in all is no request, and is not consumed. */
	put_desc(5, HDR_GPA, 0, VRING_DESC_F_NEXT, 2);
	put_desc(2, DATA_GPA, 0, 0, 0);
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, ring) + 2,
	       "\5\0", 2);
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, idx),
	       "\2\0", 2);
	EXPECT_EQ(virtq_pop(&vq, &t.mem, &req), -1);
	EXPECT_EQ(vq.last_avail, 1);
	/* A used ring that is not in RAM takes nothing. */
	vq.used_addr = RAM_SIZE;
	EXPECT_EQ(virtq_push(&vq, &t.mem, 5, 1), -1);
}

TEST(features_refused)
{
	ASSERT_TRUE(setup(false, false));
	EXPECT_EQ(negotiate(DRIVER_FEATURES & ~(1ULL << VIRTIO_F_VERSION_1)) &
		  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	EXPECT_EQ(negotiate(DRIVER_FEATURES |
			    1ULL << VIRTIO_RING_F_INDIRECT_DESC) &
		  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	EXPECT_EQ(negotiate(DRIVER_FEATURES | 1ULL << VIRTIO_BLK_F_RO) &
		  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	EXPECT_EQ(negotiate(1ULL << VIRTIO_F_VERSION_1),
		  STATUS_INIT | VIRTIO_CONFIG_S_FEATURES_OK);
	/* Once accepted, the features are fixed. */
	common_wr(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	common_wr(VIRTIO_PCI_COMMON_GF, 1u << VIRTIO_BLK_F_FLUSH, 4);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_GF, 4), 0u);
}

TEST(reset_clears_state)
{
	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	common_wr(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_STATUS, 1), 0u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_MSIX, 2),
		  (uint32_t)VIRTIO_MSI_NO_VECTOR);
	common_wr(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_GF, 4), 0u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SELECT, 2), 0u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2),
		  (uint32_t)VIRTIO_BLK_QUEUE_SIZE);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_MSIX, 2),
		  (uint32_t)VIRTIO_MSI_NO_VECTOR);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_USEDLO, 4), 0u);
	/* A notify now finds no live queue. */
	put_hdr(VIRTIO_BLK_T_IN, 0);
	kick(0);
	EXPECT_EQ(used_idx(), 1);
	/* And the driver can start over from index 0. */
	ASSERT_TRUE(driver_init(true));
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 3, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 3));
}

static uint32_t pba(void)
{
	return rd(VIRTIO_PCI_MSIX_PBA_OFFSET, 4);
}

TEST(msix_delivery_and_masking)
{
	uint32_t ctrl = VIRTIO_PCI_MSIX_TABLE_OFFSET +
		VEC_QUEUE * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL;
	uint8_t *avail_flags;

	ASSERT_TRUE(setup(false, false));
	avail_flags = t.ram + AVAIL_GPA;
	ASSERT_TRUE(driver_init(true));
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.msi_count, 1u);
	EXPECT_EQ(t.msi_addr, MSI_ADDR);
	EXPECT_EQ(t.msi_data, (uint32_t)MSI_DATA_QUEUE);
	/* With MSI-X the queue bit stays out of ISR. */
	EXPECT_EQ(rd(t.isr, 1), 0u);

	/* A masked vector: pending in the PBA, sent on unmask. */
	wr(ctrl, PCI_MSIX_ENTRY_CTRL_MASKBIT, 4);
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.msi_count, 1u);
	EXPECT_EQ(pba(), 1u << VEC_QUEUE);
	wr(ctrl, 0, 4);
	EXPECT_EQ(t.msi_count, 2u);
	EXPECT_EQ(t.msi_data, (uint32_t)MSI_DATA_QUEUE);
	EXPECT_EQ(pba(), 0u);

	/* The function mask holds every vector the same way. */
	msix_control(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.msi_count, 2u);
	EXPECT_EQ(pba(), 1u << VEC_QUEUE);
	msix_control(PCI_MSIX_FLAGS_ENABLE);
	EXPECT_EQ(t.msi_count, 3u);
	EXPECT_EQ(pba(), 0u);

	/* The driver may ask for no interrupt. */
	*avail_flags = VRING_AVAIL_F_NO_INTERRUPT;
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.msi_count, 3u);
	*avail_flags = 0;

	/* A vector the table lacks reads back as NO_VECTOR. */
	common_wr(VIRTIO_PCI_COMMON_Q_MSIX, 5, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_MSIX, 2),
		  (uint32_t)VIRTIO_MSI_NO_VECTOR);
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.msi_count, 3u);
}

TEST(intx_and_isr)
{
	ASSERT_TRUE(setup(false, true));
	EXPECT_EQ(cfg_read(t.slot, PCI_INTERRUPT_PIN, 1), 1u);
	EXPECT_EQ(cfg_read(t.slot, PCI_INTERRUPT_LINE, 1), (uint32_t)INTX_GSI);
	ASSERT_TRUE(driver_init(false));
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.intx_level, 1);
	EXPECT_EQ(t.msi_count, 0u);
	EXPECT_NE(0u, cfg_read(t.slot, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* Reading ISR acknowledges: it clears and the line drops. */
	EXPECT_EQ(rd(t.isr, 1), 1u);
	EXPECT_EQ(t.intx_level, 0);
	EXPECT_EQ(rd(t.isr, 1), 0u);
	EXPECT_EQ(cfg_read(t.slot, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0u);

	/* INTx disabled in the command register: status only. */
	cfg_write(t.slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  PCI_COMMAND_INTX_DISABLE, 2);
	ASSERT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.intx_level, 0);
	EXPECT_NE(0u, cfg_read(t.slot, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(t.slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  2);
	EXPECT_EQ(t.intx_level, 1);
	/* Enabling MSI-X takes the pin away. */
	msix_control(PCI_MSIX_FLAGS_ENABLE);
	EXPECT_EQ(t.intx_level, 0);
	EXPECT_EQ(t.intx_raises, 2u);
}

TEST(queue_register_rules)
{
	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(negotiate(DRIVER_FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK);
	common_wr(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	common_wr(VIRTIO_PCI_COMMON_Q_SIZE, 100, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2),
		  (uint32_t)VIRTIO_BLK_QUEUE_SIZE);
	common_wr(VIRTIO_PCI_COMMON_Q_SIZE, 2 * VIRTIO_BLK_QUEUE_SIZE, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2),
		  (uint32_t)VIRTIO_BLK_QUEUE_SIZE);
	common_wr(VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), (uint32_t)QSIZE);
	set_queue_rings(0x123456789000ULL, AVAIL_GPA, USED_GPA);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0x1234u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x56789000u);
	set_queue_rings(DESC_GPA, AVAIL_GPA, USED_GPA);
	common_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1u);
	/* An enabled queue's setup is frozen. */
	common_wr(VIRTIO_PCI_COMMON_Q_SIZE, 4, 2);
	common_wr(VIRTIO_PCI_COMMON_Q_DESCLO, 0x40000, 4);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), (uint32_t)QSIZE);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_DESCLO, 4), (uint32_t)DESC_GPA);
	/* Accesses of the wrong width are dropped. */
	common_wr(VIRTIO_PCI_COMMON_Q_SELECT, 0x0100, 4);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_SELECT, 2), 0u);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_STATUS, 4), 0u);
}

TEST(io_errors)
{
	uint8_t before[512], after[512];

	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, DISK_SECTORS, DATA_GPA, 512,
			      NULL), VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA_GPA,
			      1024, NULL), VIRTIO_BLK_S_IOERR);
	/* sector + length wraps around 2^64. */
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, UINT64_MAX, DATA_GPA, 1024,
			      NULL), VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512, DATA_GPA,
			      512, NULL), VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 100, NULL),
		  VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_DISCARD, 0, DATA_GPA, 16, NULL),
		  VIRTIO_BLK_S_UNSUPP);
	EXPECT_EQ(blk_request(0x7fff, 0, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	/* Writes past the end do not grow the image. */
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, DISK_SECTORS, DATA_GPA, 512,
			      NULL), VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, DATA_GPA,
			      1024, NULL), VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(lseek(t.fd, 0, SEEK_END), DISK_SECTORS * 512);
	/* The last sector is still fine, and nothing got written. */
	ASSERT_EQ(pread(t.fd, before, 512, (DISK_SECTORS - 1) * 512), 512);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA_GPA, 512,
			      NULL), VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, DISK_SECTORS - 1));
	ASSERT_EQ(pread(t.fd, after, 512, (DISK_SECTORS - 1) * 512), 512);
	EXPECT_TRUE(!memcmp(before, after, 512));
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_STATUS, 1) &
		  VIRTIO_CONFIG_S_NEEDS_RESET, 0u);
}

/* A flush the host cannot do is an error, not a silent success. */
TEST(flush_failure_reported)
{
	/* /dev/null: no sectors, and fdatasync() fails with EINVAL. */
	ASSERT_TRUE(setup_image(false, false, "/dev/null"));
	ASSERT_TRUE(driver_init(true));
	EXPECT_EQ(rd(t.device + offsetof(struct virtio_blk_config, capacity),
		     4), 0u);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL),
		  VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_IOERR);
}

TEST(read_only_disk)
{
	uint32_t lo;

	ASSERT_TRUE(setup(true, false));
	common_wr(VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = common_rd(VIRTIO_PCI_COMMON_DF, 4);
	EXPECT_NE(0u, lo & 1u << VIRTIO_BLK_F_RO);
	ASSERT_TRUE(driver_init(true));
	memset(t.ram + DATA_GPA, 0, 512);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, 2, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 2, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 2));
}

/*
 * The device gave up on the ring: NEEDS_RESET, a configuration interrupt,
 * nothing completed and later notifies ignored; a reset brings it back.
 */
static void expect_broken(struct __test_metadata *_metadata)
{
	uint16_t used = used_idx();

	EXPECT_NE(0u, common_rd(VIRTIO_PCI_COMMON_STATUS, 1) &
		      VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(t.msi_count, 1u);
	EXPECT_EQ(t.msi_data, (uint32_t)MSI_DATA_CONFIG);
	EXPECT_EQ(rd(t.isr, 1), (uint32_t)VIRTIO_PCI_ISR_CONFIG);
	EXPECT_EQ(used, 0);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, NULL), -1);
	EXPECT_EQ(t.msi_count, 1u);
	/* The driver's status writes cannot clear the device's bit. */
	common_wr(VIRTIO_PCI_COMMON_STATUS,
		  STATUS_INIT | VIRTIO_CONFIG_S_FEATURES_OK |
		  VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED, 1);
	EXPECT_NE(0u, common_rd(VIRTIO_PCI_COMMON_STATUS, 1) &
		      VIRTIO_CONFIG_S_NEEDS_RESET);

	ASSERT_TRUE(driver_init(true));
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 1, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 1));
}

static bool start(void)
{
	if (!setup(false, false) || !driver_init(true))
		return false;
	put_hdr(VIRTIO_BLK_T_IN, 0);
	return true;
}

/* The chain @segs, offered to a fresh device with an IN header: bad. */
static void expect_chain_broken(struct __test_metadata *_metadata,
				const struct seg *segs, unsigned int n)
{
	ASSERT_TRUE(start());
	submit(segs, n);
	expect_broken(_metadata);
}

TEST(bad_descriptor_loop)
{
	ASSERT_TRUE(start());
	put_desc(0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	put_desc(1, DATA_GPA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	put_desc(2, STATUS_GPA, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	kick(0);
	expect_broken(_metadata);
}

/*
 * Past the driver's QSIZE entries lies more of the table's page: make it
 * a chain that would work, so only the index check can refuse it.
 */
static void put_chain_past_table(void)
{
	put_desc(QSIZE, HDR_GPA, 16, VRING_DESC_F_NEXT, QSIZE + 1);
	put_desc(QSIZE + 1, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
}

TEST(bad_next_out_of_range)
{
	ASSERT_TRUE(start());
	put_chain_past_table();
	put_desc(0, HDR_GPA, 16, VRING_DESC_F_NEXT, QSIZE + 1);
	kick(0);
	expect_broken(_metadata);
}

TEST(bad_head_out_of_range)
{
	ASSERT_TRUE(start());
	put_chain_past_table();
	kick(QSIZE);
	expect_broken(_metadata);
}

TEST(bad_buffer_past_ram)
{
	struct seg segs[] = {
		{ HDR_GPA, 16, 0 },
		{ RAM_SIZE - 256, 512, VRING_DESC_F_WRITE },
		{ STATUS_GPA, 1, VRING_DESC_F_WRITE },
	};

	expect_chain_broken(_metadata, segs, 3);
}

TEST(bad_len_wraps)
{
	struct seg segs[] = {
		{ HDR_GPA, 16, 0 },
		{ UINT64_MAX - 255, 512, VRING_DESC_F_WRITE },
		{ STATUS_GPA, 1, VRING_DESC_F_WRITE },
	};

	expect_chain_broken(_metadata, segs, 3);
}

TEST(bad_writable_before_readable)
{
	struct seg segs[] = {
		{ HDR_GPA, 16, 0 },
		{ STATUS_GPA, 1, VRING_DESC_F_WRITE },
		{ DATA_GPA, 512, 0 },
	};

	expect_chain_broken(_metadata, segs, 3);
}

TEST(bad_avail_idx_jump)
{
	uint16_t huge = QSIZE + 1;

	ASSERT_TRUE(start());
	put_desc(0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	put_desc(1, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, idx), &huge, 2);
	wr(t.notify, 0, 2);
	expect_broken(_metadata);
}

TEST(bad_indirect_not_negotiated)
{
	struct seg segs[] = {
		{ HDR_GPA, 16, VRING_DESC_F_INDIRECT },
		{ STATUS_GPA, 1, VRING_DESC_F_WRITE },
	};

	expect_chain_broken(_metadata, segs, 2);
}

TEST(bad_short_header)
{
	struct seg segs[] = {
		{ HDR_GPA, 8, 0 },
		{ DATA_GPA, 512, VRING_DESC_F_WRITE },
		{ STATUS_GPA, 1, VRING_DESC_F_WRITE },
	};

	expect_chain_broken(_metadata, segs, 3);
}

TEST(bad_no_status)
{
	struct seg segs[] = {
		{ HDR_GPA, 16, 0 },
		{ DATA_GPA, 512, 0 },
	};

	ASSERT_TRUE(start());
	put_hdr(VIRTIO_BLK_T_OUT, 0);
	submit(segs, 2);
	expect_broken(_metadata);
}

TEST(bad_empty_chain)
{
	struct seg segs[] = { { HDR_GPA, 0, 0 } };

	expect_chain_broken(_metadata, segs, 1);
}

/* Rings outside RAM are refused when the queue is enabled. */
TEST(bad_rings_outside_ram)
{
	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(negotiate(DRIVER_FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK);
	common_wr(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	set_queue_rings(DESC_GPA, AVAIL_GPA, RAM_SIZE - 16);
	common_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0u);
	EXPECT_NE(0u, common_rd(VIRTIO_PCI_COMMON_STATUS, 1) &
		      VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Misaligned is as bad. */
	ASSERT_TRUE(negotiate(DRIVER_FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK);
	set_queue_rings(DESC_GPA + 8, AVAIL_GPA, USED_GPA);
	common_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	EXPECT_EQ(common_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0u);
	EXPECT_NE(0u, common_rd(VIRTIO_PCI_COMMON_STATUS, 1) &
		      VIRTIO_CONFIG_S_NEEDS_RESET);
}

TEST(bad_chain_after_good_ones)
{
	ASSERT_TRUE(start());
	put_desc(0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	put_desc(1, DATA_GPA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	put_desc(2, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	put_desc(3, HDR_GPA, 16, VRING_DESC_F_NEXT, 3);
	/* Two good requests and a looping one in the same notify. */
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, ring),
	       "\0\0\0\0\3\0", 6);
	t.avail_idx = 3;
	memcpy(t.ram + AVAIL_GPA + offsetof(struct vring_avail, idx),
	       &t.avail_idx, 2);
	wr(t.notify, 0, 2);
	/* The good ones completed and were signalled before the failure. */
	EXPECT_EQ(used_idx(), 2);
	EXPECT_EQ(t.msi_count, 2u);
	EXPECT_EQ(t.msi_data, (uint32_t)MSI_DATA_CONFIG);
	EXPECT_NE(0u, common_rd(VIRTIO_PCI_COMMON_STATUS, 1) &
		      VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * Another vCPU of the guest that keeps the ring full: it re-offers head
 * 0 with plain stores, which make no exit, so the device sees a ring
 * that is never empty (review vmctl.md #2).
 */
static void reoffer_head0(void)
{
	uint8_t *avail = t.ram + AVAIL_GPA;
	uint16_t head = 0;

	memcpy(avail + offsetof(struct vring_avail, ring) +
	       (t.avail_idx % QSIZE) * 2, &head, 2);
	__atomic_store_n(&t.avail_idx, t.avail_idx + 1, __ATOMIC_RELAXED);
	__atomic_store_n((uint16_t *)(avail + offsetof(struct vring_avail, idx)),
			 t.avail_idx, __ATOMIC_RELEASE);
}

/*
 * The device's disk reads, seen from the test: while reoffer_in_pread
 * is set, each one is where the other vCPU's store lands, in the middle
 * of the notify.  This pread() takes the place of libc's in this program.
 */
static bool reoffer_in_pread;
static unsigned long preads;

/*
 * While pinning_file is set, the disk refuses guest RAM as a file system
 * that pins user pages does (O_DIRECT, 9p, FUSE direct_io): vmmon maps
 * guest RAM with special PTEs, which get_user_pages() cannot take.
 */
static bool pinning_file;
static unsigned long refused;

static bool refuse_buffer(const void *buf)
{
	const uint8_t *p = buf;

	if (!pinning_file || p < t.ram || p >= t.ram + RAM_SIZE)
		return false;
	refused++;
	errno = EFAULT;
	return true;
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	if (reoffer_in_pread) {
		reoffer_head0();
		preads++;
	}
	if (refuse_buffer(buf))
		return -1;
	return syscall(SYS_pread64, fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (refuse_buffer(buf))
		return -1;
	return syscall(SYS_pwrite64, fd, buf, len, off);
}

/* A one-sector read at head 0, for the tests that re-offer it. */
static void put_read_chain(void)
{
	put_hdr(VIRTIO_BLK_T_IN, 0);
	put_desc(0, HDR_GPA, sizeof(struct virtio_blk_outhdr), VRING_DESC_F_NEXT,
		 1);
	put_desc(1, DATA_GPA, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	put_desc(2, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
}

/* One notify serves at most one queue's worth, however full the ring. */
TEST(one_notify_serves_one_queue)
{
	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	put_read_chain();
	reoffer_in_pread = true;
	kick(0);
	reoffer_in_pread = false;
	EXPECT_EQ(preads, (unsigned long)QSIZE);
	EXPECT_EQ(t.blk.requests, (uint64_t)QSIZE);
	EXPECT_EQ(used_idx(), QSIZE);
	EXPECT_EQ(t.blk.max_batch, (unsigned int)QSIZE);
	/* The one re-offered last waits for the next notify. */
	wr(t.notify, 0, 2);
	EXPECT_EQ(used_idx(), QSIZE + 1);
	EXPECT_EQ(t.ram[STATUS_GPA], VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 0));
}

/* A disk that refuses guest RAM (EFAULT) still reads and writes. */
TEST(io_through_a_bounce_buffer_when_the_file_refuses_guest_ram)
{
	uint8_t buf[2 * VIRTIO_BLK_SECTOR_SIZE];
	unsigned int i;

	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	pinning_file = true;
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 2, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 2));
	for (i = 0; i < sizeof(buf); i++)
		t.ram[DATA_GPA + i] = i ^ 0xa5;
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, 9, DATA_GPA, sizeof(buf),
			      NULL), VIRTIO_BLK_S_OK);
	pinning_file = false;
	EXPECT_EQ(refused, 2u);
	ASSERT_EQ(pread(t.fd, buf, sizeof(buf), 9 * VIRTIO_BLK_SECTOR_SIZE),
		  (ssize_t)sizeof(buf));
	EXPECT_TRUE(!memcmp(buf, t.ram + DATA_GPA, sizeof(buf)));
}

static pthread_mutex_t machine_lock = PTHREAD_MUTEX_INITIALIZER;
static bool racing;

/* The other vCPU: re-offers head 0 whenever the ring has room. */
static void *racing_vcpu(void *arg)
{
	uint16_t used;

	(void)arg;
	while (__atomic_load_n(&racing, __ATOMIC_ACQUIRE)) {
		used = __atomic_load_n((uint16_t *)(t.ram + USED_GPA +
				offsetof(struct vring_used, idx)),
				__ATOMIC_ACQUIRE);
		if ((uint16_t)(t.avail_idx - used) < QSIZE)
			reoffer_head0();
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * With an I/O thread, a notify returns at once and the thread serves one
 * queue's worth for it, without holding the machine lock during the
 * I/O, while a second vCPU keeps the ring full the whole time.
 */
TEST(io_thread_bounded_while_ring_refilled)
{
	uint64_t t0, worst = 0, start, served;
	pthread_t racer;
	int i;

	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	put_read_chain();
	ASSERT_EQ(virtio_blk_start(&t.blk, &machine_lock), 0);
	/* A full ring at the notify, kept full after it. */
	for (i = 0; i < QSIZE; i++)
		reoffer_head0();
	racing = true;
	ASSERT_EQ(pthread_create(&racer, NULL, racing_vcpu, NULL), 0);

	start = now_ns();
	pthread_mutex_lock(&machine_lock);
	wr(t.notify, 0, 2);		/* the notify, as a vCPU's exit */
	pthread_mutex_unlock(&machine_lock);
	EXPECT_LT(now_ns() - start, 100000000ULL);
	/* Meanwhile the rest of the machine gets the lock. */
	for (i = 0; i < 200; i++) {
		t0 = now_ns();
		pthread_mutex_lock(&machine_lock);
		if (now_ns() - t0 > worst)
			worst = now_ns() - t0;
		pthread_mutex_unlock(&machine_lock);
		usleep(1000);
	}
	__atomic_store_n(&racing, false, __ATOMIC_RELEASE);
	pthread_join(racer, NULL);
	EXPECT_LT(worst, 100000000ULL);

	/* Idle again after one batch: nothing more without a notify. */
	pthread_mutex_lock(&machine_lock);
	served = t.blk.requests;
	EXPECT_FALSE(t.blk.busy);
	pthread_mutex_unlock(&machine_lock);
	usleep(50000);
	pthread_mutex_lock(&machine_lock);
	EXPECT_EQ(t.blk.requests, served);
	EXPECT_EQ(served, (uint64_t)QSIZE);
	EXPECT_EQ(t.blk.max_batch, (unsigned int)QSIZE);
	pthread_mutex_unlock(&machine_lock);
	EXPECT_TRUE(virtio_blk_stop(&t.blk, 1000));
	TH_LOG("longest wait for the machine lock while the ring was refilled: %llu us",
	       (unsigned long long)worst / 1000);
}

/* What the error handler heard, and what it answers. */
static struct {
	unsigned int calls;
	const char *op;
	int err;
	bool retry;
} heard;

static bool error_heard(void *opaque, struct virtio_blk *b, const char *op,
			int err)
{
	struct rlimit rl;

	(void)opaque;
	(void)b;
	heard.calls++;
	heard.op = op;
	heard.err = err;
	if (heard.retry) {
		/* The admin made room: the retry will go through. */
		getrlimit(RLIMIT_FSIZE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	return heard.retry;
}

/*
 * A write the host's file refuses (EFBIG past RLIMIT_FSIZE here, as
 * ENOSPC on a full disk) reaches the error handler with what failed and
 * why; it fails the request (error=report) or has it tried again
 * (error=stop, after the VM was resumed) (review vmctl.md #6).
 */
TEST(host_write_error_heard_and_retried)
{
	struct rlimit rl;

	signal(SIGXFSZ, SIG_IGN);
	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	virtio_blk_set_error_handler(&t.blk, error_heard, NULL);
	ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = 4096;
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);

	memset(t.ram + DATA_GPA, 0x5a, 512);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, 16, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_IOERR);
	EXPECT_EQ(heard.calls, 1u);
	EXPECT_STREQ(heard.op, "write");
	EXPECT_EQ(heard.err, EFBIG);
	EXPECT_EQ(t.blk.host_errors, 1u);
	/* Below the limit all is well, and nothing is heard. */
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, 1, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(heard.calls, 1u);

	heard.retry = true;
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_OUT, 16, DATA_GPA, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(heard.calls, 2u);
	EXPECT_EQ(t.blk.host_errors, 2u);
	EXPECT_EQ(blk_request(VIRTIO_BLK_T_IN, 16, DATA_GPA + 512, 512, NULL),
		  VIRTIO_BLK_S_OK);
	EXPECT_EQ(t.ram[DATA_GPA + 512], 0x5a);
}

/*
 * Without Bus Master Enable the device touches no guest memory: no ring
 * served, no MSI-X message (Linux clears it at shutdown and kexec).
 */
TEST(no_dma_without_bus_master)
{
	ASSERT_TRUE(setup(false, false));
	ASSERT_TRUE(driver_init(true));
	put_read_chain();
	memset(t.ram + DATA_GPA, 0xee, 512);
	cfg_write(t.slot, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	kick(0);
	EXPECT_EQ(used_idx(), 0);
	EXPECT_EQ(t.ram[DATA_GPA], 0xee);
	EXPECT_EQ(t.msi_count, 0u);
	/* A configuration interrupt is a memory write too. */
	wr(t.notify, 0, 2);
	EXPECT_EQ(t.msi_count, 0u);
	cfg_write(t.slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  2);
	wr(t.notify, 0, 2);
	EXPECT_EQ(used_idx(), 1);
	EXPECT_TRUE(sector_matches(t.ram + DATA_GPA, 0));
	EXPECT_EQ(t.msi_count, 1u);
	EXPECT_EQ(t.msi_data, (uint32_t)MSI_DATA_QUEUE);
}

TEST_HARNESS_MAIN
