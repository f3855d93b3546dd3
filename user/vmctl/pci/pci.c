// SPDX-License-Identifier: GPL-2.0
/*
 * PCI bus 0, configuration mechanism #1, and the device framework: config
 * space with write masks, capabilities, BARs mapped on the buses.
 */
#include <endian.h>
#include <string.h>
#include "pci/pci.h"

/* The command register bits a device lets the guest change. */
#define PCI_COMMAND_WRITABLE	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | \
				 PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | \
				 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_BAR_REG(i)		(PCI_BASE_ADDRESS_0 + 4 * (i))
#define PCI_BARS_END		(PCI_BASE_ADDRESS_5 + 4)
/* The PCI spec's smallest BARs, and the largest I/O one. */
#define PCI_BAR_MEM_MIN		16
#define PCI_BAR_IO_MIN		4
#define PCI_BAR_IO_MAX		256
/* x86 port addresses are 16 bits; I/O BARs decode no more. */
#define PCI_IO_ADDR_MASK	0xfffcu

static uint32_t cfg_get(const struct pci_device *dev, unsigned int offset,
			unsigned int len)
{
	uint32_t v = 0;

	memcpy(&v, &dev->config[offset], len);
	return le32toh(v);
}

static void cfg_put(struct pci_device *dev, unsigned int offset,
		    uint32_t val, unsigned int len)
{
	val = htole32(val);
	memcpy(&dev->config[offset], &val, len);
}

void pci_device_set_wmask(struct pci_device *dev, unsigned int offset,
			  uint32_t mask, unsigned int len)
{
	mask = htole32(mask);
	memcpy(&dev->wmask[offset], &mask, len);
}

void pci_device_init(struct pci_device *dev, uint16_t vendor,
		     uint16_t device, uint8_t revision, uint32_t class_code,
		     uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(dev, 0, sizeof(*dev));
	cfg_put(dev, PCI_VENDOR_ID, vendor, 2);
	cfg_put(dev, PCI_DEVICE_ID, device, 2);
	cfg_put(dev, PCI_CLASS_REVISION, class_code << 8 | revision, 4);
	dev->config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg_put(dev, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor, 2);
	cfg_put(dev, PCI_SUBSYSTEM_ID, subsys_id, 2);

	pci_device_set_wmask(dev, PCI_COMMAND, PCI_COMMAND_WRITABLE, 2);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	/* Firmware and OS note the routed IRQ here; the device ignores it. */
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;

	dev->cap_free = PCI_CAP_START;
	dev->cap_link = PCI_CAPABILITY_LIST;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int pci_device_add_bar(struct pci_device *dev, unsigned int index,
		       enum pci_bar_type type, uint64_t size,
		       bus_access_fn fn, void *opaque)
{
	struct pci_bar *bar;
	uint32_t flags;

	if (index >= PCI_STD_NUM_BARS ||
	    dev->bars[index].type != PCI_BAR_UNUSED ||
	    (index && dev->bars[index - 1].type == PCI_BAR_MEM64) ||
	    !is_pow2(size))
		return -1;
	switch (type) {
	case PCI_BAR_IO:
		if (size < PCI_BAR_IO_MIN || size > PCI_BAR_IO_MAX)
			return -1;
		flags = PCI_BASE_ADDRESS_SPACE_IO;
		pci_device_set_wmask(dev, PCI_BAR_REG(index),
				     PCI_IO_ADDR_MASK & ~(size - 1), 4);
		break;
	case PCI_BAR_MEM32:
		if (size < PCI_BAR_MEM_MIN || size > 1ULL << 31)
			return -1;
		flags = PCI_BASE_ADDRESS_MEM_TYPE_32;
		pci_device_set_wmask(dev, PCI_BAR_REG(index),
				     (uint32_t)PCI_BASE_ADDRESS_MEM_MASK &
				     ~(uint32_t)(size - 1), 4);
		break;
	case PCI_BAR_MEM64:
		if (size < PCI_BAR_MEM_MIN || index + 1 >= PCI_STD_NUM_BARS ||
		    dev->bars[index + 1].type != PCI_BAR_UNUSED)
			return -1;
		flags = PCI_BASE_ADDRESS_MEM_TYPE_64;
		pci_device_set_wmask(dev, PCI_BAR_REG(index),
				     (uint32_t)PCI_BASE_ADDRESS_MEM_MASK &
				     ~(uint32_t)(size - 1), 4);
		pci_device_set_wmask(dev, PCI_BAR_REG(index + 1),
				     ~(uint32_t)((size - 1) >> 32), 4);
		break;
	default:
		return -1;
	}
	cfg_put(dev, PCI_BAR_REG(index), flags, 4);
	bar = &dev->bars[index];
	bar->type = type;
	bar->size = size;
	bar->fn = fn;
	bar->opaque = opaque;
	return 0;
}

int pci_device_add_capability(struct pci_device *dev, uint8_t id,
			      const void *data, unsigned int len)
{
	/* Capability pointers are dword aligned (the low bits are reserved). */
	unsigned int off = (dev->cap_free + 3) & ~3u;

	if (len < PCI_CAP_FLAGS || off + len > PCI_CFG_SPACE_SIZE)
		return -1;
	memcpy(&dev->config[off], data, len);
	dev->config[off + PCI_CAP_LIST_ID] = id;
	dev->config[off + PCI_CAP_LIST_NEXT] = 0;
	dev->config[dev->cap_link] = off;
	dev->cap_link = off + PCI_CAP_LIST_NEXT;
	dev->cap_free = off + len;
	cfg_put(dev, PCI_STATUS,
		cfg_get(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST, 2);
	return off;
}

static void pci_bar_access(void *opaque, uint64_t offset, void *data,
			   unsigned int len, bool is_write)
{
	struct pci_bar *bar = opaque;

	bar->fn(bar->opaque, offset, data, len, is_write);
}

/* The address BAR @index is programmed with, and whether it decodes. */
static bool bar_decodes(const struct pci_device *dev, unsigned int index,
			uint64_t *addr)
{
	const struct pci_bar *bar = &dev->bars[index];
	uint16_t cmd = cfg_get(dev, PCI_COMMAND, 2);
	uint32_t lo = cfg_get(dev, PCI_BAR_REG(index), 4);

	switch (bar->type) {
	case PCI_BAR_IO:
		*addr = lo & PCI_BASE_ADDRESS_IO_MASK;
		return cmd & PCI_COMMAND_IO;
	case PCI_BAR_MEM32:
		*addr = lo & PCI_BASE_ADDRESS_MEM_MASK;
		return cmd & PCI_COMMAND_MEMORY;
	case PCI_BAR_MEM64:
		*addr = (lo & PCI_BASE_ADDRESS_MEM_MASK) |
			(uint64_t)cfg_get(dev, PCI_BAR_REG(index + 1), 4) << 32;
		return cmd & PCI_COMMAND_MEMORY;
	default:
		return false;
	}
}

/*
 * Make the buses match the BARs and the command register.  Address 0 is
 * "not assigned" (as firmware and QEMU take it), and a BAR that would
 * collide with another range stays unmapped, like a decode conflict.
 */
static void pci_update_mappings(struct pci_device *dev)
{
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];
		struct bus *bus = bar->type == PCI_BAR_IO ? dev->bus->port_bus :
			dev->bus->mmio_bus;
		uint64_t addr = 0;
		bool want;

		if (bar->type == PCI_BAR_UNUSED)
			continue;
		want = bar_decodes(dev, i, &addr) && addr;
		if (bar->mapped && want && addr == bar->mapped_at)
			continue;
		if (bar->mapped && want &&
		    !bus_move(bus, bar, bar->mapped_at, addr, bar->size)) {
			bar->mapped_at = addr;
			continue;
		}
		if (bar->mapped) {
			bus_move(bus, bar, bar->mapped_at, 0, 0);
			bar->mapped = false;
		}
		if (want && !bus_register(bus, addr, bar->size, pci_bar_access,
					  bar)) {
			bar->mapped = true;
			bar->mapped_at = addr;
		}
	}
}

uint64_t pci_bar_address(const struct pci_device *dev, unsigned int index)
{
	if (index >= PCI_STD_NUM_BARS || !dev->bars[index].mapped)
		return 0;
	return dev->bars[index].mapped_at;
}

static bool ranges_touch(unsigned int a, unsigned int alen, unsigned int b,
			 unsigned int blen)
{
	return a < b + blen && b < a + alen;
}

static void pci_config_write(struct pci_device *dev, unsigned int offset,
			     uint32_t val, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		uint8_t m = dev->wmask[offset + i];
		uint8_t b = val >> (8 * i);

		dev->config[offset + i] = (dev->config[offset + i] & ~m) |
					  (b & m);
	}
	if (ranges_touch(offset, len, PCI_COMMAND, 2) ||
	    ranges_touch(offset, len, PCI_BASE_ADDRESS_0,
			 PCI_BARS_END - PCI_BASE_ADDRESS_0))
		pci_update_mappings(dev);
	if (dev->config_written)
		dev->config_written(dev);
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/* Firmware's job: give every BAR a naturally aligned place in its window. */
static int pci_place_bars(struct pci_bus *pci, struct pci_device *dev)
{
	uint16_t cmd = cfg_get(dev, PCI_COMMAND, 2);
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];
		uint64_t *next = bar->type == PCI_BAR_IO ? &pci->io_next :
			&pci->mem_next;
		uint64_t end = bar->type == PCI_BAR_IO ? pci->io_end :
			pci->mem_end;
		uint64_t addr;

		if (bar->type == PCI_BAR_UNUSED)
			continue;
		addr = align_up(*next, bar->size);
		if (addr < *next || addr > end || bar->size > end - addr)
			return -1;
		*next = addr + bar->size;
		cfg_put(dev, PCI_BAR_REG(i),
			cfg_get(dev, PCI_BAR_REG(i), 4) | (uint32_t)addr, 4);
		if (bar->type == PCI_BAR_MEM64)
			cfg_put(dev, PCI_BAR_REG(i + 1), addr >> 32, 4);
		cmd |= bar->type == PCI_BAR_IO ? PCI_COMMAND_IO :
			PCI_COMMAND_MEMORY;
	}
	cfg_put(dev, PCI_COMMAND, cmd, 2);
	return 0;
}

int pci_bus_add_device(struct pci_bus *pci, struct pci_device *dev)
{
	unsigned int slot, i;

	for (slot = 0; slot < PCI_MAX_SLOTS && pci->slots[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS || pci_place_bars(pci, dev))
		return -1;
	dev->bus = pci;
	dev->slot = slot;
	pci_update_mappings(dev);
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (dev->bars[i].type != PCI_BAR_UNUSED &&
		    !dev->bars[i].mapped) {
			/* A clash with another range: take back what mapped. */
			cfg_put(dev, PCI_COMMAND, 0, 2);
			pci_update_mappings(dev);
			dev->bus = NULL;
			return -1;
		}
	pci->slots[slot] = dev;
	return slot;
}

/* The device CONFIG_ADDRESS selects, or NULL: no such device reads ~0. */
static struct pci_device *pci_selected(struct pci_bus *pci)
{
	uint32_t a = pci->config_address;

	if (!(a & PCI_CONF1_ENABLE) ||
	    (a >> PCI_CONF1_BUS_SHIFT & PCI_CONF1_BUS_MASK) ||
	    (a >> PCI_CONF1_FN_SHIFT & PCI_CONF1_FN_MASK))
		return NULL;
	return pci->slots[a >> PCI_CONF1_DEV_SHIFT & PCI_CONF1_DEV_MASK];
}

/*
 * CONFIG_ADDRESS latches only on dword accesses; narrower ones are other
 * chipset registers: the byte at 0xCF9 is the reset control register
 * (PIIX, ICH), handed to pci->reset_control; the rest (such as Linux's
 * probe byte at 0xCFB) are not emulated.
 */
static void pci_address_access(void *opaque, uint64_t offset, void *data,
			       unsigned int len, bool is_write)
{
	struct pci_bus *pci = opaque;
	uint32_t v;

	if (offset == PCI_RESET_CONTROL_OFFSET && len == 1) {
		if (pci->reset_control)
			pci->reset_control(pci->reset_opaque, 0, data, 1,
					   is_write);
		return;
	}
	if (offset || len != 4)
		return;
	if (is_write) {
		memcpy(&v, data, 4);
		pci->config_address = le32toh(v) & PCI_CONF1_ADDR_MASK;
	} else {
		v = htole32(pci->config_address);
		memcpy(data, &v, 4);
	}
}

static void pci_data_access(void *opaque, uint64_t offset, void *data,
			    unsigned int len, bool is_write)
{
	struct pci_bus *pci = opaque;
	struct pci_device *dev = pci_selected(pci);
	unsigned int reg = (pci->config_address & PCI_CONF1_REG_MASK) + offset;
	uint32_t v = 0;

	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		memcpy(&v, data, len);
		pci_config_write(dev, reg, le32toh(v), len);
	} else {
		memcpy(data, &dev->config[reg], len);
	}
}

/*
 * Slot 0: the i440FX as QEMU presents it.  The PAM registers are kept
 * (the firmware reads back what it wrote) but switch nothing: vmctl
 * keeps RAM at 0xC0000-0xFFFFF whatever they say, and loads the
 * firmware's top 128 KiB into it (boot/firmware.c).  That is enough for
 * SeaBIOS: its make_bios_writable() sees PAM0's read-enable clear at
 * reset, runs the unlock code from the image below 4 GiB, sets the PAMs
 * to RAM read/write and copies the image's top down to 0xE0000 - where
 * the same bytes already are, so the writes it made to its own data
 * before the copy are undone, as when they went to ROM.  What vmctl does
 * not give: writes reaching the RAM while the PAMs say read-only (after
 * SeaBIOS's make_bios_readonly() the guest can still write its BIOS
 * area; nothing there relies on those writes being dropped), and a
 * reset that brings the ROM back (a reboot builds a new machine and
 * loads the image again).
 */
static void pci_host_bridge_init(struct pci_device *bridge)
{
	unsigned int i;

	pci_device_init(bridge, PCI_VENDOR_INTEL, PCI_DEVICE_INTEL_82441,
			PCI_82441_REVISION, PCI_CLASS_HOST_BRIDGE,
			PCI_SUBVENDOR_REDHAT, PCI_SUBDEVICE_QEMU);
	bridge->wmask[I440FX_PAM0] = I440FX_PAM0_WMASK;
	for (i = 1; i < I440FX_PAM_COUNT; i++)
		bridge->wmask[I440FX_PAM0 + i] = I440FX_PAM_WMASK;
}

int pci_bus_init(struct pci_bus *pci, struct bus *port_bus,
		 struct bus *mmio_bus, uint64_t mem_base, uint64_t mem_end,
		 uint64_t io_base, uint64_t io_end)
{
	memset(pci, 0, sizeof(*pci));
	pci->port_bus = port_bus;
	pci->mmio_bus = mmio_bus;
	pci->mem_next = mem_base;
	pci->mem_end = mem_end;
	pci->io_next = io_base;
	pci->io_end = io_end;
	if (bus_register(port_bus, PCI_CONFIG_ADDRESS_PORT, 4,
			 pci_address_access, pci))
		return -1;
	if (bus_register(port_bus, PCI_CONFIG_DATA_PORT, 4, pci_data_access,
			 pci)) {
		bus_move(port_bus, pci, PCI_CONFIG_ADDRESS_PORT, 0, 0);
		return -1;
	}
	pci_host_bridge_init(&pci->host_bridge);
	pci_bus_add_device(pci, &pci->host_bridge);
	return 0;
}
