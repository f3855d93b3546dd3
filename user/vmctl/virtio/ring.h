/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device side of a virtio 1.x split virtqueue.  Every ring and
 * buffer address comes from the guest and is reached only through
 * guest_mem_ptr(); anything the driver got wrong makes virtq_pop() or
 * virtq_push() fail, and the caller puts the device in its error state.
 *
 * Neither VIRTIO_RING_F_INDIRECT_DESC nor VIRTIO_RING_F_EVENT_IDX is
 * offered, so a chain lives in the descriptor table and interrupts
 * follow VRING_AVAIL_F_NO_INTERRUPT.
 */
#ifndef VMCTL_DEV_VIRTIO_RING_H
#define VMCTL_DEV_VIRTIO_RING_H

#include "machine/machine.h"

/* The largest queue offered; a chain is never longer than its queue. */
#define VIRTQ_MAX_SIZE	256

struct virtq {
	uint16_t size;			/* a power of two, at most 256 */
	uint64_t desc_addr;
	uint64_t avail_addr;
	uint64_t used_addr;
	uint16_t last_avail;		/* next avail ring entry to take */
	uint16_t used_idx;		/* next used ring entry to fill */
};

/* One guest buffer of a chain, in host memory. */
struct virtq_buf {
	uint8_t *ptr;
	uint32_t len;
};

/*
 * A popped chain: the @nr_out device-readable buffers come first in
 * @bufs, then the @nr_in device-writable ones.
 */
struct virtq_req {
	uint16_t head;
	unsigned int nr_out;
	unsigned int nr_in;
	uint64_t out_len;
	uint64_t in_len;
	struct virtq_buf bufs[VIRTQ_MAX_SIZE];
};

/*
 * Whether the rings of @size entries at these addresses are aligned as
 * the spec requires and lie wholly in guest RAM.
 */
bool virtq_rings_valid(const struct guest_mem *mem, uint16_t size,
		       uint64_t desc, uint64_t avail, uint64_t used);

/* Start a queue at these rings, with both indices at zero. */
void virtq_init(struct virtq *vq, uint16_t size, uint64_t desc,
		uint64_t avail, uint64_t used);

/*
 * Take the next available chain into @req.  Returns 1 when one was taken,
 * 0 when the ring is empty, -1 when the driver broke the ring or the
 * chain (see virtio/ring.c for the list); nothing is consumed then.
 */
int virtq_pop(struct virtq *vq, const struct guest_mem *mem,
	      struct virtq_req *req);

/*
 * Return chain @head with @written bytes written into it to the used
 * ring and publish it.  Returns 0, or -1 when the used ring has left
 * guest RAM.
 */
int virtq_push(struct virtq *vq, const struct guest_mem *mem, uint16_t head,
	       uint32_t written);

/* After pushes: whether the driver wants an interrupt for them. */
bool virtq_should_interrupt(const struct virtq *vq,
			    const struct guest_mem *mem);

#endif /* VMCTL_DEV_VIRTIO_RING_H */
