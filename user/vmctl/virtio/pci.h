/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio 1.x PCI transport, modern only (virtio spec 4.1): one 64-bit
 * memory BAR holds the common, ISR, device and notify regions and the
 * MSI-X table and PBA; vendor capabilities point at them.  A device type
 * (virtio-blk; virtio-balloon later) plugs in with struct virtio_device_ops
 * and is notified with the machine lock held; it may serve its queues
 * from a thread of its own, which takes that lock to touch the transport.
 */
#ifndef VMCTL_DEV_VIRTIO_PCI_H
#define VMCTL_DEV_VIRTIO_PCI_H

#include "pci/pci.h"
#include "virtio/ring.h"

#define VIRTIO_PCI_VENDOR		0x1af4
/* Modern device IDs are this plus the virtio device type. */
#define VIRTIO_PCI_DEVICE_MODERN	0x1040
#define VIRTIO_PCI_REVISION_MODERN	1

/* The BAR and its layout: a page per region, as QEMU does. */
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_REGION_SIZE		0x1000
#define VIRTIO_PCI_COMMON_OFFSET	0x0000
#define VIRTIO_PCI_ISR_OFFSET		0x1000
#define VIRTIO_PCI_DEVICE_OFFSET	0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET	0x3000
#define VIRTIO_PCI_MSIX_TABLE_OFFSET	0x4000
#define VIRTIO_PCI_MSIX_PBA_OFFSET	0x5000
/* Queue n is notified at NOTIFY_OFFSET + n * this. */
#define VIRTIO_PCI_NOTIFY_MULTIPLIER	4

#define VIRTIO_PCI_MAX_QUEUES		8
/* One vector per queue and one for configuration changes. */
#define VIRTIO_PCI_MAX_VECTORS		(VIRTIO_PCI_MAX_QUEUES + 1)

/* What a device type provides; all called with the machine lock held. */
struct virtio_device_ops {
	/* Device config space, @offset + @len within config_len. */
	void (*config_read)(void *opaque, uint64_t offset, void *data,
			    unsigned int len);
	/* NULL when the config space is read-only. */
	void (*config_write)(void *opaque, uint64_t offset, const void *data,
			     unsigned int len);
	/*
	 * The driver notified an enabled @queue of a live device: process
	 * it, then virtio_pci_queue_interrupt() or virtio_pci_fail().
	 */
	void (*queue_notify)(void *opaque, unsigned int queue);
	/* The driver reset the device: forget per-driver state (or NULL). */
	void (*reset)(void *opaque);
	/*
	 * Bus mastering was turned off: finish the memory accesses under
	 * way before returning (or NULL); queues are not served meanwhile.
	 */
	void (*quiesce)(void *opaque);
};

/* A device type's description of itself, for virtio_pci_init(). */
struct virtio_pci_info {
	uint16_t device_type;		/* VIRTIO_ID_* */
	uint32_t class_code;		/* PCI class, subclass, prog-if */
	uint64_t features;		/* VIRTIO_F_VERSION_1 is added */
	unsigned int num_queues;	/* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_size;		/* largest, a power of two */
	unsigned int config_len;	/* device config space bytes */
	const struct virtio_device_ops *ops;
	void *opaque;
};

/* What the machine gives a virtio device. */
struct virtio_pci_host {
	const struct guest_mem *mem;
	struct msi_sink msi;
	struct irq_line intx;		/* .set NULL: MSI-X only, pin 0 */
};

struct virtio_pci_queue {
	struct virtq vq;		/* valid while @enabled */
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, avail, used;	/* as the driver writes them */
};

struct virtio_pci {
	struct pci_device pci;
	struct virtio_pci_host host;
	const struct virtio_device_ops *ops;
	void *opaque;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t device_feature_select;
	uint32_t driver_feature_select;
	uint16_t msix_config;
	uint8_t status;
	uint16_t queue_select;
	uint8_t isr;
	bool intx_level;
	bool bus_master;		/* PCI_COMMAND_MASTER as last seen */
	unsigned int num_queues;
	uint16_t queue_max;
	unsigned int config_len;
	struct virtio_pci_queue queues[VIRTIO_PCI_MAX_QUEUES];
	unsigned int msix_cap;		/* config space offset */
	unsigned int msix_vectors;
	uint8_t msix_table[VIRTIO_PCI_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint64_t msix_pba;		/* bit n: vector n pending */
};

/*
 * Build the PCI function for the device @info describes; then add
 * &vp->pci to the bus with pci_bus_add_device().  Returns 0, or -1 for
 * a description out of range.
 */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_info *info,
		    const struct virtio_pci_host *host);

/*
 * Give the function INTA, wired to @intx: for when the line depends on
 * the slot, known once the device is on the bus.
 */
void virtio_pci_set_intx(struct virtio_pci *vp, struct irq_line intx);

/* Whether the driver runs the device and @queue: it may be served. */
bool virtio_pci_queue_live(const struct virtio_pci *vp, unsigned int queue);

/* Used buffers were pushed on @queue: interrupt if the driver wants it. */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int queue);

/*
 * The driver broke a ring: set DEVICE_NEEDS_RESET, tell the driver with
 * a configuration change interrupt and ignore notifies until a reset.
 */
void virtio_pci_fail(struct virtio_pci *vp);

#endif /* VMCTL_DEV_VIRTIO_PCI_H */
