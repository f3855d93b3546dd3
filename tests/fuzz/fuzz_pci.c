// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for PCI as the guest sees it: the host bridge's
 * configuration ports (0xcf8, 0xcfc-0xcff, any width) and two virtio-blk
 * functions behind it (one read-write, one read-only, each on a small
 * memfd), then their BAR's regions wherever the guest moved it: common
 * config with any queue_select, ISR, device config, notify, the MSI-X
 * table with any entries, and the PBA.  fuzz_virtq covers what the
 * rings hold; here guest RAM is small and only poked.  A third function
 * has the BAR kinds virtio lacks, I/O and 32-bit memory, so that BARs
 * also move on the port bus, over 0xcf8 and the rest.
 *
 * The input is a script of 8-byte ops: a config space access through
 * a CONFIG_ADDRESS of the op's making (bus, device, function, register,
 * enable bit), a raw access to any of 0xcf8-0xd00, an access to a BAR
 * (a region of either disk, or the third function's), or a store to
 * guest RAM.
 *
 * Besides ASan and UBSan, the harness checks that both buses stay sets
 * of disjoint ranges, each a BAR mapped where its registers say with its
 * decoding on (or what was there from the start), that a BAR's handler
 * sees only accesses within the BAR, that no MSI goes out while MSI-X is
 * off or the function masked, that INTx is never up while MSI-X is on,
 * and that the images keep their size.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "virtio/blk.h"

#define RAM_SIZE	0x4000
#define NR_DISKS	2
#define MAX_OPS		1024
#define MEM_WINDOW	0xe0000000ULL
#define MEM_WINDOW_END	0xfec00000ULL
#define IO_WINDOW	0xc000
#define IO_WINDOW_END	0x10000
/* What else a PC decodes in MMIO, for BARs to collide with. */
#define IOAPIC_BASE	0xfec00000ULL
#define IOAPIC_SIZE	0x1000
/* Every vector of both disks at once, plus INTx changes. */
#define WORK_MAX	(NR_DISKS * (VIRTIO_PCI_MAX_VECTORS + 2))

enum { OP_CFG_WRITE, OP_CFG_READ, OP_PORT, OP_BAR_WRITE, OP_BAR_READ,
       OP_POKE, NR_OPS };

struct op {
	uint8_t kind;		/* OP_* in bits 0-3, width in bits 4-5 */
	uint8_t flags;
	uint16_t where;
	uint32_t value;
} __attribute__((packed));

/* OP_CFG_* flags: CONFIG_ADDRESS beyond the devices that exist. */
#define CFG_NO_ENABLE	0x01
#define CFG_BUS_1	0x02
#define CFG_ANY_SLOT	0x04	/* else slots 0-3: bridge, disks, other */
#define CFG_FUNCTION	0x08	/* else function 0 */

static const uint64_t disk_size[NR_DISKS] = {
	16 * VIRTIO_BLK_SECTOR_SIZE, 8 * VIRTIO_BLK_SECTOR_SIZE
};

/* The third function's BARs: 0 is I/O, 1 is 32-bit memory. */
#define OTHER_IO_SIZE	0x40
#define OTHER_MEM_SIZE	0x1000

static struct {
	uint8_t *ram;
	struct guest_mem mem;
	struct bus port, mmio;
	struct pci_bus pci;
	struct {
		int fd;
		struct virtio_blk blk;
		bool intx;
	} disk[NR_DISKS];
	struct pci_device other;
	unsigned int work;
} f;

/* Every BAR there is, and the bus it goes on. */
static struct pci_bar *bar_of(unsigned int i, struct bus **bus)
{
	*bus = i == NR_DISKS ? &f.port : &f.mmio;
	if (i < NR_DISKS)
		return &f.disk[i].blk.vp.pci.bars[VIRTIO_PCI_BAR];
	return &f.other.bars[i - NR_DISKS];
}

#define NR_BARS		(NR_DISKS + 2)

#define BROKEN(what) do { \
	fprintf(stderr, "fuzz_pci: broken invariant: %s\n", what); \
	abort(); \
} while (0)

static uint16_t msix_flags(const struct virtio_pci *vp)
{
	uint16_t v;

	memcpy(&v, &vp->pci.config[vp->msix_cap + PCI_MSIX_FLAGS], 2);
	return v;
}

static void work(void)
{
	if (++f.work > WORK_MAX)
		BROKEN("one op did unbounded work");
}

/* Any address and data: the APIC bus drops what is no interrupt. */
static void msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	unsigned int d = (uintptr_t)opaque;
	uint16_t flags = msix_flags(&f.disk[d].blk.vp);

	(void)addr;
	(void)data;
	work();
	if (!(flags & PCI_MSIX_FLAGS_ENABLE) || (flags & PCI_MSIX_FLAGS_MASKALL))
		BROKEN("an MSI went out while MSI-X was off or masked");
}

static void intx_set(void *opaque, unsigned int gsi, int level)
{
	(void)gsi;
	work();
	f.disk[(uintptr_t)opaque].intx = level;
}

static void ioapic_stub(void *opaque, uint64_t offset, void *data,
			unsigned int len, bool is_write)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
	(void)is_write;
}

/* @opaque is the BAR's size: the bus must keep accesses inside. */
static void other_bar(void *opaque, uint64_t offset, void *data,
		      unsigned int len, bool is_write)
{
	if (offset >= (uintptr_t)opaque || len > (uintptr_t)opaque - offset)
		BROKEN("an access beyond a BAR reached its device");
	if (!is_write)
		memset(data, 0x5a, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int d;

	(void)argc;
	(void)argv;
	/* A guard page after RAM: a stray host access past it faults. */
	f.ram = mmap(NULL, RAM_SIZE + 0x1000, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.ram == MAP_FAILED ||
	    mprotect(f.ram, RAM_SIZE, PROT_READ | PROT_WRITE))
		abort();
	for (d = 0; d < NR_DISKS; d++) {
		f.disk[d].fd = memfd_create("fuzz_pci_disk", 0);
		if (f.disk[d].fd < 0 || ftruncate(f.disk[d].fd, disk_size[d]))
			abort();
	}
	return 0;
}

static void machine_init(void)
{
	unsigned int d;

	memset(f.ram, 0, RAM_SIZE);
	f.mem = (struct guest_mem){ .base = f.ram, .low_size = RAM_SIZE };
	memset(&f.port, 0, sizeof(f.port));
	memset(&f.mmio, 0, sizeof(f.mmio));
	if (pci_bus_init(&f.pci, &f.port, &f.mmio, MEM_WINDOW, MEM_WINDOW_END,
			 IO_WINDOW, IO_WINDOW_END) ||
	    bus_register(&f.mmio, IOAPIC_BASE, IOAPIC_SIZE, ioapic_stub, NULL))
		abort();
	for (d = 0; d < NR_DISKS; d++) {
		struct virtio_pci_host host = {
			.mem = &f.mem,
			.msi = { msi_send, (void *)(uintptr_t)d },
			.intx = { intx_set, (void *)(uintptr_t)d, 10 + d },
		};

		f.disk[d].intx = false;
		if (virtio_blk_init(&f.disk[d].blk, f.disk[d].fd, d == 1,
				    "fuzz", &host) ||
		    pci_bus_add_device(&f.pci, &f.disk[d].blk.vp.pci) < 0)
			abort();
	}
	pci_device_init(&f.other, 0x1234, 0x5678, 0, 0xff0000, 0, 0);
	if (pci_device_add_bar(&f.other, 0, PCI_BAR_IO, OTHER_IO_SIZE,
			       other_bar, (void *)OTHER_IO_SIZE) ||
	    pci_device_add_bar(&f.other, 1, PCI_BAR_MEM32, OTHER_MEM_SIZE,
			       other_bar, (void *)OTHER_MEM_SIZE) ||
	    pci_bus_add_device(&f.pci, &f.other) < 0)
		abort();
}

static unsigned int width(const struct op *op)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };

	return widths[(op->kind >> 4) & 3];
}

/* CONFIG_ADDRESS, then the data port at the register's byte. */
static void cfg_access(const struct op *op, bool is_write)
{
	unsigned int slot = op->where >> 8 & 0x1f, fn = op->where >> 13;
	unsigned int reg = op->where & 0xff, len = width(op);
	uint32_t a, v = op->value;

	if (!(op->flags & CFG_ANY_SLOT))
		slot &= 3;
	if (!(op->flags & CFG_FUNCTION))
		fn = 0;
	a = (op->flags & CFG_NO_ENABLE ? 0 : PCI_CONF1_ENABLE) |
	    (op->flags & CFG_BUS_1 ? 1u << PCI_CONF1_BUS_SHIFT : 0) |
	    slot << PCI_CONF1_DEV_SHIFT | fn << PCI_CONF1_FN_SHIFT | reg;
	if (len == 8)
		len = 4;
	bus_access(&f.port, PCI_CONFIG_ADDRESS_PORT, &a, 4, true);
	bus_access(&f.port, PCI_CONFIG_DATA_PORT + (reg & 3), &v, len,
		   is_write);
}

static void port_access(const struct op *op)
{
	uint32_t v = op->value;
	unsigned int len = width(op);

	if (len == 8)
		len = 4;
	bus_access(&f.port, PCI_CONFIG_ADDRESS_PORT + op->where % 9, &v, len,
		   op->flags & 1);
}

/*
 * Where the BAR decodes now, as the guest moved it (an unmapped BAR at
 * its last place all the same).  A disk's BAR is reached by region
 * (flag 4 clear) and offset, small unless flag 2 says otherwise; the
 * third function's BARs up to just past their end.
 */
static void bar_access(const struct op *op, bool is_write)
{
	unsigned int i = op->flags & 4 ? NR_DISKS + (op->flags & 1) :
					 op->flags & 1;
	struct bus *bus;
	const struct pci_bar *bar = bar_of(i, &bus);
	uint64_t off = op->where % (bar->size + 8);
	uint8_t data[8] = { 0 };

	if (i < NR_DISKS)
		off = (op->where >> 12 & 7) * VIRTIO_PCI_REGION_SIZE +
		      (op->where & (op->flags & 2 ? 0xfff : 0xff));
	memcpy(data, &op->value, 4);
	if (width(op) == 8)
		memcpy(data + 4, &op->value, 4);
	bus_access(bus, bar->mapped_at + off, data, width(op), is_write);
}

static void poke(const struct op *op)
{
	memcpy(f.ram + op->where % (RAM_SIZE / 4) * 4, &op->value, 4);
}

/* A range is a BAR's, or one of those there from the start. */
static bool known_range(const struct bus *bus, const struct bus_range *r)
{
	struct bus *b;
	unsigned int i;

	if (bus == &f.mmio && r->fn == ioapic_stub)
		return true;
	if (bus == &f.port && r->opaque == &f.pci &&
	    (r->base == PCI_CONFIG_ADDRESS_PORT ||
	     r->base == PCI_CONFIG_DATA_PORT))
		return true;
	for (i = 0; i < NR_BARS; i++)
		if (r->opaque == bar_of(i, &b) && bus == b)
			return true;
	return false;
}

static void check_bus(const struct bus *bus)
{
	unsigned int i, j;

	for (i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (r->base + r->len < r->base)
			BROKEN("a bus range wraps around");
		for (j = 0; j < i; j++)
			if (r->base < bus->ranges[j].base + bus->ranges[j].len &&
			    bus->ranges[j].base < r->base + r->len)
				BROKEN("two ranges of a bus overlap");
		if (!known_range(bus, r))
			BROKEN("a bus range that is no BAR");
	}
}

/* Where a BAR's registers say it is, and whether they let it decode. */
static bool bar_decodes(unsigned int i, uint64_t *addr)
{
	const struct pci_device *dev = i < NR_DISKS ?
		&f.disk[i].blk.vp.pci : &f.other;
	unsigned int reg = PCI_BASE_ADDRESS_0 +
			   4 * (i < NR_DISKS ? VIRTIO_PCI_BAR : i - NR_DISKS);
	uint32_t lo, hi = 0;
	uint16_t cmd;

	memcpy(&lo, &dev->config[reg], 4);
	memcpy(&cmd, &dev->config[PCI_COMMAND], 2);
	if (i == NR_DISKS) {
		*addr = lo & PCI_BASE_ADDRESS_IO_MASK;
		return cmd & PCI_COMMAND_IO;
	}
	if (i < NR_DISKS)
		memcpy(&hi, &dev->config[reg + 4], 4);
	*addr = (lo & PCI_BASE_ADDRESS_MEM_MASK) | (uint64_t)hi << 32;
	return cmd & PCI_COMMAND_MEMORY;
}

static void check(void)
{
	unsigned int i, d;

	check_bus(&f.port);
	check_bus(&f.mmio);
	for (i = 0; i < NR_BARS; i++) {
		struct bus *bus;
		const struct pci_bar *bar = bar_of(i, &bus);
		uint64_t addr;
		unsigned int r, on_bus = 0;

		if (bar->mapped &&
		    (!bar_decodes(i, &addr) || addr != bar->mapped_at))
			BROKEN("a BAR decodes where its registers do not say");
		for (r = 0; r < bus->nr; r++)
			if (bus->ranges[r].opaque == bar &&
			    (++on_bus > 1 || !bar->mapped ||
			     bus->ranges[r].base != bar->mapped_at ||
			     bus->ranges[r].len != bar->size))
				BROKEN("a BAR is on its bus but not as mapped");
		if (bar->mapped && !on_bus)
			BROKEN("a mapped BAR is not on its bus");
	}
	for (d = 0; d < NR_DISKS; d++) {
		struct virtio_pci *vp = &f.disk[d].blk.vp;

		if (f.disk[d].intx &&
		    (msix_flags(vp) & PCI_MSIX_FLAGS_ENABLE))
			BROKEN("INTx is up while MSI-X is on");
		if (lseek(f.disk[d].fd, 0, SEEK_END) != (off_t)disk_size[d])
			BROKEN("an image changed size");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i, n = size / sizeof(struct op);

	machine_init();
	for (i = 0; i < n && i < MAX_OPS; i++) {
		struct op op;

		memcpy(&op, data + i * sizeof(op), sizeof(op));
		f.work = 0;
		switch ((op.kind & 0xf) % NR_OPS) {
		case OP_CFG_WRITE:
			cfg_access(&op, true);
			break;
		case OP_CFG_READ:
			cfg_access(&op, false);
			break;
		case OP_PORT:
			port_access(&op);
			break;
		case OP_BAR_WRITE:
			bar_access(&op, true);
			break;
		case OP_BAR_READ:
			bar_access(&op, false);
			break;
		case OP_POKE:
			poke(&op);
			break;
		}
		check();
	}
	return 0;
}
