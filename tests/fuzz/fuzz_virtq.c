// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the virtqueue path: the input is queue
 * parameters, a short sequence of guest pokes and notifies, and a guest
 * RAM image; a driver-style init sets up a virtio-blk (on a small
 * memfd image) with those rings, then each notify makes the device walk
 * whatever the image holds.
 *
 * Guest RAM is laid out as on the real machine, a low part and a part
 * at 4 GiB, inside one reservation whose hole and ends are PROT_NONE: a
 * host access outside guest RAM faults, one past the end of a part hits
 * the guard.  ASan and UBSan watch the rest.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include "virtio/blk.h"

#define FUZZ_LOW_SIZE	0x4000
#define FUZZ_HIGH_SIZE	0x1000
#define FUZZ_GUARD	0x1000
#define FUZZ_DISK_SECTORS 16
#define FUZZ_MAX_STEPS	4

#define MEM_WINDOW	0xe0000000ULL
#define MEM_WINDOW_END	0xfec00000ULL
#define IO_WINDOW	0xc000
#define IO_WINDOW_END	0x10000

/* flags */
#define FUZZ_F_MSIX		0x01	/* MSI-X on, else INTx */
#define FUZZ_F_READ_ONLY	0x02
#define FUZZ_F_MASK_QUEUE	0x04	/* queue vector masked */
#define FUZZ_F_RESET		0x08	/* re-init before the last step */

#define MSI_ADDR	0xfee00000u
#define VEC_CONFIG	0
#define VEC_QUEUE	1

struct fuzz_step {
	uint16_t poke_offset;	/* a guest store racing the device... */
	uint16_t poke_value;
	uint16_t notify_offset;	/* ...then a notify at this offset */
	uint16_t reserved;
};

/* The input's head; guest RAM (low, then high) follows. */
struct fuzz_head {
	uint64_t desc, avail, used;
	uint16_t queue_size;
	uint8_t flags;
	uint8_t nr_steps;
	struct fuzz_step steps[FUZZ_MAX_STEPS];
} __attribute__((packed));

static struct {
	uint8_t *reserve;
	struct guest_mem mem;
	int disk;
	struct bus port, mmio;
	struct pci_bus pci;
	struct virtio_blk blk;
	uint64_t bar;
	unsigned int msis;
	int intx;
} f;

static void msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	if (addr != MSI_ADDR || data > VEC_QUEUE)
		abort();
	f.msis++;
}

static void intx_set(void *opaque, unsigned int gsi, int level)
{
	(void)opaque;
	(void)gsi;
	f.intx = level;
}

static void wr(uint64_t off, uint32_t v, unsigned int len)
{
	bus_access(&f.mmio, f.bar + off, &v, len, true);
}

static uint32_t rd(uint64_t off, unsigned int len)
{
	uint32_t v = 0;

	bus_access(&f.mmio, f.bar + off, &v, len, false);
	return v;
}

/* Config space of the device, through the conf1 ports as a guest does. */
static void cfg_write(unsigned int reg, uint32_t v, unsigned int len)
{
	uint32_t a = PCI_CONF1_ADDRESS(f.blk.vp.pci.slot, reg);

	bus_access(&f.port, PCI_CONFIG_ADDRESS_PORT, &a, 4, true);
	bus_access(&f.port, PCI_CONFIG_DATA_PORT + (reg & 3), &v, len, true);
}

static void common_wr(unsigned int field, uint32_t v, unsigned int len)
{
	wr(VIRTIO_PCI_COMMON_OFFSET + field, v, len);
}

static uint8_t status(void)
{
	return rd(VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_STATUS, 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len = GUEST_MEM_HIGH_START + FUZZ_HIGH_SIZE + FUZZ_GUARD;

	(void)argc;
	(void)argv;
	f.reserve = mmap(NULL, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f.reserve == MAP_FAILED ||
	    mprotect(f.reserve, FUZZ_LOW_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(f.reserve + GUEST_MEM_HIGH_START, FUZZ_HIGH_SIZE,
		     PROT_READ | PROT_WRITE))
		abort();
	f.mem.base = f.reserve;
	f.mem.low_size = FUZZ_LOW_SIZE;
	f.mem.high_size = FUZZ_HIGH_SIZE;
	f.disk = memfd_create("fuzz_virtq_disk", 0);
	if (f.disk < 0 ||
	    ftruncate(f.disk, FUZZ_DISK_SECTORS * VIRTIO_BLK_SECTOR_SIZE))
		abort();
	return 0;
}

/* Linux's init sequence, with the fuzzer's rings and queue size. */
static void driver_init(const struct fuzz_head *h)
{
	uint32_t table = VIRTIO_PCI_MSIX_TABLE_OFFSET;

	/* pci_enable_device() and pci_set_master(), as virtio_pci_probe(). */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	common_wr(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	common_wr(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER, 1);
	common_wr(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	common_wr(VIRTIO_PCI_COMMON_GF, 1u << VIRTIO_BLK_F_FLUSH |
		  1u << VIRTIO_BLK_F_SEG_MAX | 1u << VIRTIO_BLK_F_BLK_SIZE, 4);
	common_wr(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	common_wr(VIRTIO_PCI_COMMON_GF, 1u << (VIRTIO_F_VERSION_1 - 32), 4);
	common_wr(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	if (h->flags & FUZZ_F_MSIX) {
		unsigned int v;

		for (v = VEC_CONFIG; v <= VEC_QUEUE; v++) {
			uint32_t e = table + v * PCI_MSIX_ENTRY_SIZE;
			bool mask = v == VEC_QUEUE &&
				(h->flags & FUZZ_F_MASK_QUEUE);

			wr(e + PCI_MSIX_ENTRY_LOWER_ADDR, MSI_ADDR, 4);
			wr(e + PCI_MSIX_ENTRY_DATA, v, 4);
			wr(e + PCI_MSIX_ENTRY_VECTOR_CTRL,
			   mask ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0, 4);
		}
		cfg_write(f.blk.vp.msix_cap + PCI_MSIX_FLAGS,
			  PCI_MSIX_FLAGS_ENABLE, 2);
		common_wr(VIRTIO_PCI_COMMON_MSIX, VEC_CONFIG, 2);
		common_wr(VIRTIO_PCI_COMMON_Q_MSIX, VEC_QUEUE, 2);
	}
	common_wr(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	common_wr(VIRTIO_PCI_COMMON_Q_SIZE, h->queue_size, 2);
	common_wr(VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)h->desc, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_DESCHI, h->desc >> 32, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)h->avail, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_AVAILHI, h->avail >> 32, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)h->used, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_USEDHI, h->used >> 32, 4);
	common_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	common_wr(VIRTIO_PCI_COMMON_STATUS, status() |
		  VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

/* Requests complete synchronously: a live queue has nothing in flight. */
static void check_invariants(void)
{
	const struct virtio_pci_queue *q = &f.blk.vp.queues[0];

	if (!(status() & VIRTIO_CONFIG_S_NEEDS_RESET) && q->enabled &&
	    q->vq.last_avail != q->vq.used_idx)
		abort();
	if (lseek(f.disk, 0, SEEK_END) !=
	    FUZZ_DISK_SECTORS * VIRTIO_BLK_SECTOR_SIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_pci_host host = {
		.mem = &f.mem,
		.msi = { msi_send, NULL },
		.intx = { intx_set, NULL, 11 },
	};
	struct fuzz_head h = { 0 };
	size_t low, high;
	unsigned int i, steps;

	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	data += size < sizeof(h) ? size : sizeof(h);
	size -= size < sizeof(h) ? size : sizeof(h);
	low = size < FUZZ_LOW_SIZE ? size : FUZZ_LOW_SIZE;
	high = size - low < FUZZ_HIGH_SIZE ? size - low : FUZZ_HIGH_SIZE;
	memset(f.reserve, 0, FUZZ_LOW_SIZE);
	memset(f.reserve + GUEST_MEM_HIGH_START, 0, FUZZ_HIGH_SIZE);
	memcpy(f.reserve, data, low);
	memcpy(f.reserve + GUEST_MEM_HIGH_START, data + low, high);

	memset(&f.port, 0, sizeof(f.port));
	memset(&f.mmio, 0, sizeof(f.mmio));
	f.msis = 0;
	f.intx = 0;
	if (pci_bus_init(&f.pci, &f.port, &f.mmio, MEM_WINDOW, MEM_WINDOW_END,
			 IO_WINDOW, IO_WINDOW_END) ||
	    virtio_blk_init(&f.blk, f.disk, h.flags & FUZZ_F_READ_ONLY,
			    "fuzz", &host) ||
	    pci_bus_add_device(&f.pci, &f.blk.vp.pci) < 0)
		abort();
	f.bar = pci_bar_address(&f.blk.vp.pci, VIRTIO_PCI_BAR);
	driver_init(&h);

	steps = h.nr_steps % (FUZZ_MAX_STEPS + 1);
	for (i = 0; i < steps; i++) {
		const struct fuzz_step *s = &h.steps[i];
		uint16_t off = s->poke_offset % FUZZ_LOW_SIZE & ~1u;

		if ((h.flags & FUZZ_F_RESET) && i == steps - 1)
			driver_init(&h);
		memcpy(f.reserve + off, &s->poke_value, 2);
		wr(VIRTIO_PCI_NOTIFY_OFFSET +
		   s->notify_offset % VIRTIO_PCI_REGION_SIZE, 0, 2);
		check_invariants();
	}
	/* Unmasking delivers what waited; ISR reads lower INTx. */
	wr(VIRTIO_PCI_MSIX_TABLE_OFFSET + VEC_QUEUE * PCI_MSIX_ENTRY_SIZE +
	   PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
	rd(VIRTIO_PCI_ISR_OFFSET, 1);
	if (f.intx || rd(VIRTIO_PCI_MSIX_PBA_OFFSET, 4))
		abort();
	return 0;
}
