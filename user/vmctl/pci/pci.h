/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0 behind a host bridge, reached with configuration mechanism
 * #1 (ports 0xCF8 and 0xCFC-0xCFF), and the small framework its devices
 * are built on: a 256-byte configuration space with a write mask, a
 * capability list, and BARs that the framework places as firmware would
 * and keeps mapped on the port or MMIO bus as the guest reprograms them.
 *
 * Linux finds the devices with the legacy conf1 scan (no ACPI PCI root,
 * no MCFG) and keeps the BAR addresses it finds, so the placement done
 * here at registration is the one the guest uses.
 */
#ifndef VMCTL_DEV_PCI_H
#define VMCTL_DEV_PCI_H

#include <linux/pci_regs.h>
#include "machine/machine.h"

#define PCI_CONFIG_ADDRESS_PORT	0xcf8
#define PCI_CONFIG_DATA_PORT	0xcfc
#define PCI_RESET_CONTROL_OFFSET 1	/* port 0xcf9 */

/* CONFIG_ADDRESS: enable, bus, device, function, dword register. */
#define PCI_CONF1_ENABLE	0x80000000u
#define PCI_CONF1_BUS_SHIFT	16
#define PCI_CONF1_BUS_MASK	0xffu
#define PCI_CONF1_DEV_SHIFT	11
#define PCI_CONF1_DEV_MASK	0x1fu
#define PCI_CONF1_FN_SHIFT	8
#define PCI_CONF1_FN_MASK	0x7u
#define PCI_CONF1_REG_MASK	0xfcu
/* The bits that exist: bits 30:24 are reserved and 1:0 read as zero. */
#define PCI_CONF1_ADDR_MASK	0x80fffffcu

#define PCI_CONF1_ADDRESS(dev, reg) \
	(PCI_CONF1_ENABLE | ((dev) << PCI_CONF1_DEV_SHIFT) | \
	 ((reg) & PCI_CONF1_REG_MASK))

#define PCI_MAX_SLOTS		32
/* Capabilities live after the standard header. */
#define PCI_CAP_START		PCI_STD_HEADER_SIZEOF

/* The host bridge: an Intel 440FX, which Linux treats as ordinary. */
#define PCI_VENDOR_INTEL	0x8086
#define PCI_DEVICE_INTEL_82441	0x1237
#define PCI_82441_REVISION	0x02
#define PCI_CLASS_HOST_BRIDGE	0x060000u
/*
 * QEMU's subsystem ID on its host bridge: SeaBIOS reads fw_cfg only on
 * a bridge that carries it (src/fw/paravirt.c, qemu_detect()).
 */
#define PCI_SUBVENDOR_REDHAT	0x1af4
#define PCI_SUBDEVICE_QEMU	0x1100
/*
 * The 82441's PAM registers: PAM0 (0x59) holds the 0xF0000-0xFFFFF
 * segment's read/write enables in bits 5:4, PAM1-PAM6 two 16 KiB
 * segments of 0xC0000-0xEFFFF each, in bits 1:0 and 5:4.
 */
#define I440FX_PAM0		0x59
#define I440FX_PAM_COUNT	7
#define I440FX_PAM0_WMASK	0x30
#define I440FX_PAM_WMASK	0x33

enum pci_bar_type {
	PCI_BAR_UNUSED,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
};

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;			/* a power of two */
	bool mapped;			/* on its bus, at @mapped_at */
	uint64_t mapped_at;
	bus_access_fn fn;		/* offsets are from the BAR's start */
	void *opaque;
};

struct pci_device {
	struct pci_bus *bus;		/* set once added */
	unsigned int slot;
	uint8_t config[PCI_CFG_SPACE_SIZE];
	/* Bits the guest may change; the rest are read-only. */
	uint8_t wmask[PCI_CFG_SPACE_SIZE];
	/* Where the next capability goes, and the last one's next pointer. */
	unsigned int cap_free;
	unsigned int cap_link;
	struct pci_bar bars[PCI_STD_NUM_BARS];
	/* Told after every guest write to config space, once applied. */
	void (*config_written)(struct pci_device *dev);
	void *opaque;
};

struct pci_bus {
	struct bus *port_bus;
	struct bus *mmio_bus;
	uint32_t config_address;
	/*
	 * Port 0xCF9 (reset control), a byte inside CONFIG_ADDRESS, goes
	 * here (offset 0) when set: set after pci_bus_init().
	 */
	bus_access_fn reset_control;
	void *reset_opaque;
	struct pci_device *slots[PCI_MAX_SLOTS];
	struct pci_device host_bridge;
	/* Firmware-style BAR placement: next free address, end (exclusive). */
	uint64_t mem_next, mem_end;
	uint64_t io_next, io_end;
};

/*
 * Start bus 0 with its host bridge in slot 0 and claim 0xCF8-0xCFB and
 * 0xCFC-0xCFF on @port_bus.  Memory BARs are placed in
 * [@mem_base, @mem_end), I/O BARs in [@io_base, @io_end).  Returns 0, or
 * -1 when the ports are taken.
 */
int pci_bus_init(struct pci_bus *pci, struct bus *port_bus,
		 struct bus *mmio_bus, uint64_t mem_base, uint64_t mem_end,
		 uint64_t io_base, uint64_t io_end);

/* A function-0, header-type-0 device with these identities. */
void pci_device_init(struct pci_device *dev, uint16_t vendor,
		     uint16_t device, uint8_t revision, uint32_t class_code,
		     uint16_t subsys_vendor, uint16_t subsys_id);

/*
 * Declare BAR @index (a 64-bit BAR also takes @index + 1) of @size bytes,
 * a power of two (at least 16 for memory, 4 for I/O); accesses within it
 * go to @fn with @opaque.  Before pci_bus_add_device().  Returns 0 or -1.
 */
int pci_device_add_bar(struct pci_device *dev, unsigned int index,
		       enum pci_bar_type type, uint64_t size,
		       bus_access_fn fn, void *opaque);

/*
 * Append a capability of @len bytes from @data (its first two bytes, ID
 * and next pointer, are filled in here) to the list.  Returns its offset
 * in config space, or -1 when it does not fit.
 */
int pci_device_add_capability(struct pci_device *dev, uint8_t id,
			      const void *data, unsigned int len);

/* Let the guest change @mask at @offset (up to 4 bytes, little-endian). */
void pci_device_set_wmask(struct pci_device *dev, unsigned int offset,
			  uint32_t mask, unsigned int len);

/*
 * Plug @dev into the first free slot: its BARs get addresses from the
 * windows, are mapped, and decoding is enabled in the command register,
 * as firmware leaves it.  Returns the slot, or -1 when the bus, a window
 * or a bus range table is full.
 */
int pci_bus_add_device(struct pci_bus *pci, struct pci_device *dev);

/* Where BAR @index decodes now: its address, or 0 when unmapped. */
uint64_t pci_bar_address(const struct pci_device *dev, unsigned int index);

#endif /* VMCTL_DEV_PCI_H */
