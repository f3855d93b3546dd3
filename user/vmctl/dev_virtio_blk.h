/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk over a raw image file, on the modern virtio-pci transport.
 * Requests are served synchronously in the notify handler with
 * pread/pwrite on the image, so a completed write is in the host's page
 * cache and a completed FLUSH is on its disk.
 */
#ifndef VMCTL_DEV_VIRTIO_BLK_H
#define VMCTL_DEV_VIRTIO_BLK_H

#include <linux/virtio_blk.h>
#include "dev_virtio_pci.h"

#define VIRTIO_BLK_SECTOR_SIZE		512
#define VIRTIO_BLK_QUEUE_SIZE		256
/* PCI class: mass storage controller, other. */
#define VIRTIO_BLK_PCI_CLASS		0x018000u

struct virtio_blk {
	struct virtio_pci vp;		/* add &vp.pci to the PCI bus */
	int fd;
	bool read_only;
	uint64_t capacity;		/* in 512-byte sectors */
	/* NUL-padded; a 20-byte serial has no terminator. */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;
	struct virtq_req req;		/* the request being served */
};

/*
 * A disk of @fd's size (rounded down to sectors) on @fd, an open raw
 * image the caller opened, locked and closes; @read_only refuses writes
 * (and is offered as VIRTIO_BLK_F_RO).  @serial is what GET_ID returns,
 * up to 20 bytes.  Returns 0, or -1 with errno when @fd has no size.
 */
int virtio_blk_init(struct virtio_blk *b, int fd, bool read_only,
		    const char *serial, const struct virtio_pci_host *host);

#endif /* VMCTL_DEV_VIRTIO_BLK_H */
