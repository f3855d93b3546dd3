/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk over a raw image file, on the modern virtio-pci transport.
 * A completed write is in the host's page cache and a completed FLUSH
 * is on its disk.
 *
 * Requests are served by an I/O thread of the disk's own once
 * virtio_blk_start() gave it the machine lock (vmctl), else inline in
 * the notify (unit tests, fuzzers).  Either way one notify serves at
 * most one queue's worth of requests (review vmctl.md #2: a guest that
 * keeps re-offering a chain from another vCPU cannot hold a thread).
 * The I/O thread holds the machine lock only to take a request and to
 * complete it, never during pread/pwrite/fdatasync, so a slow or hung
 * image file stalls only its own queue.
 */
#ifndef VMCTL_DEV_VIRTIO_BLK_H
#define VMCTL_DEV_VIRTIO_BLK_H

#include <pthread.h>
#include <linux/virtio_blk.h>
#include "virtio/pci.h"

#define VIRTIO_BLK_SECTOR_SIZE		512
#define VIRTIO_BLK_QUEUE_SIZE		256
/* PCI class: mass storage controller, other. */
#define VIRTIO_BLK_PCI_CLASS		0x018000u

/*
 * A host I/O error on the image (ENOSPC, EIO, EFBIG...): called with the
 * machine lock held, @op "read", "write" or "flush".  Return true to try
 * the request again (after the VM was paused and resumed: error=stop),
 * false to fail it to the guest.
 */
struct virtio_blk;
typedef bool (*virtio_blk_error_fn)(void *opaque, struct virtio_blk *b,
				    const char *op, int err);

struct virtio_blk {
	struct virtio_pci vp;		/* add &vp.pci to the PCI bus */
	int fd;
	bool read_only;
	uint64_t capacity;		/* in 512-byte sectors */
	/* NUL-padded; a 20-byte serial has no terminator. */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;
	struct virtq_req req;		/* the request being served */
	virtio_blk_error_fn on_error;	/* NULL: fail the request */
	void *error_opaque;

	/* The I/O thread, all under *lock. */
	pthread_mutex_t *lock;		/* the machine lock; NULL: inline */
	pthread_t thread;
	pthread_cond_t kick;		/* a notify came, or stop */
	pthread_cond_t idle;		/* the request out of the lock is back */
	bool kicked;
	bool busy;			/* a request's I/O runs without lock */
	bool draining;			/* a reset waits for busy to clear */
	bool stop;
	bool exited;			/* the thread returned */
	bool joined;
	unsigned int resets;		/* by the driver, counted */

	/* Figures, under the machine lock. */
	uint64_t requests;		/* served, all kinds */
	uint64_t host_errors;		/* failed on the image file */
	unsigned int max_batch;		/* most requests served for one notify */
};

/*
 * A disk of @fd's size (rounded down to sectors) on @fd, an open raw
 * image the caller opened, locked and closes; @read_only refuses writes
 * (and is offered as VIRTIO_BLK_F_RO).  @serial is what GET_ID returns,
 * up to 20 bytes.  Returns 0, or -1 with errno when @fd has no size.
 */
int virtio_blk_init(struct virtio_blk *b, int fd, bool read_only,
		    const char *serial, const struct virtio_pci_host *host);

/* Who hears of host I/O errors (default: nobody, the guest gets IOERR). */
void virtio_blk_set_error_handler(struct virtio_blk *b, virtio_blk_error_fn fn,
				  void *opaque);

/*
 * Serve the queue from an I/O thread from now on; @lock is the machine
 * lock, which the caller does not hold.  Returns 0 or an errno.
 */
int virtio_blk_start(struct virtio_blk *b, pthread_mutex_t *lock);

/*
 * Stop the I/O thread (lock not held): a request in flight is not
 * completed to the guest.  Waits up to @timeout_ms for it to return
 * from the image file; returns false if it did not (a hung file: the
 * thread is left behind, and the machine lock and guest RAM must then
 * stay as they are until the process exits).
 */
bool virtio_blk_stop(struct virtio_blk *b, unsigned int timeout_ms);

#endif /* VMCTL_DEV_VIRTIO_BLK_H */
