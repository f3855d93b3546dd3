// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues (virtio 1.x, 2.7).  The driver runs on other CPUs and
 * may change the rings while we read them, so each guest field is loaded
 * once, into a local, before it is checked and used.
 */
#include <endian.h>
#include <stddef.h>
#include <linux/virtio_ring.h>
#include "virtio/ring.h"

/* Ring sizes without the EVENT_IDX words, which are never negotiated. */
static uint64_t desc_bytes(uint16_t size)
{
	return (uint64_t)size * sizeof(struct vring_desc);
}

static uint64_t avail_bytes(uint16_t size)
{
	return offsetof(struct vring_avail, ring) +
		(uint64_t)size * sizeof(__virtio16);
}

static uint64_t used_bytes(uint16_t size)
{
	return offsetof(struct vring_used, ring) +
		(uint64_t)size * sizeof(struct vring_used_elem);
}

bool virtq_rings_valid(const struct guest_mem *mem, uint16_t size,
		       uint64_t desc, uint64_t avail, uint64_t used)
{
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return false;
	/* Aligned rings keep every field naturally aligned for the loads. */
	if (desc % VRING_DESC_ALIGN_SIZE || avail % VRING_AVAIL_ALIGN_SIZE ||
	    used % VRING_USED_ALIGN_SIZE)
		return false;
	return guest_mem_ptr(mem, desc, desc_bytes(size)) &&
		guest_mem_ptr(mem, avail, avail_bytes(size)) &&
		guest_mem_ptr(mem, used, used_bytes(size));
}

void virtq_init(struct virtq *vq, uint16_t size, uint64_t desc,
		uint64_t avail, uint64_t used)
{
	vq->size = size;
	vq->desc_addr = desc;
	vq->avail_addr = avail;
	vq->used_addr = used;
	vq->last_avail = 0;
	vq->used_idx = 0;
}

#define LOAD(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n(p, v, __ATOMIC_RELAXED)

/*
 * Walk the chain from @head into @req.  A bad chain: an index outside the
 * table, more links than the table has entries (a loop), an indirect
 * descriptor (not negotiated), a buffer not wholly in guest RAM (which
 * covers addr + len wrapping), a readable buffer after a writable one,
 * or nothing at all to transfer.
 */
static int virtq_walk(const struct virtq *vq, const struct guest_mem *mem,
		      struct vring_desc *table, uint16_t head,
		      struct virtq_req *req)
{
	uint16_t idx = head;
	unsigned int n = 0;

	req->head = head;
	req->nr_out = 0;
	req->nr_in = 0;
	req->out_len = 0;
	req->in_len = 0;
	for (;;) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		uint8_t *ptr;

		if (idx >= vq->size || n == vq->size)
			return -1;
		addr = le64toh(LOAD(&table[idx].addr));
		len = le32toh(LOAD(&table[idx].len));
		flags = le16toh(LOAD(&table[idx].flags));
		if (flags & VRING_DESC_F_INDIRECT)
			return -1;
		ptr = guest_mem_ptr(mem, addr, len);
		if (!ptr)
			return -1;
		if (flags & VRING_DESC_F_WRITE) {
			req->nr_in++;
			req->in_len += len;
		} else {
			if (req->nr_in)
				return -1;
			req->nr_out++;
			req->out_len += len;
		}
		req->bufs[n].ptr = ptr;
		req->bufs[n].len = len;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = le16toh(LOAD(&table[idx].next));
	}
	return req->out_len + req->in_len ? 0 : -1;
}

int virtq_pop(struct virtq *vq, const struct guest_mem *mem,
	      struct virtq_req *req)
{
	struct vring_desc *table = guest_mem_ptr(mem, vq->desc_addr,
						 desc_bytes(vq->size));
	struct vring_avail *avail = guest_mem_ptr(mem, vq->avail_addr,
						  avail_bytes(vq->size));
	uint16_t avail_idx, pending, head;

	if (!table || !avail)
		return -1;
	avail_idx = le16toh(LOAD(&avail->idx));
	pending = avail_idx - vq->last_avail;
	/* More than a ring's worth would mean reusing entries in flight. */
	if (pending > vq->size)
		return -1;
	if (!pending)
		return 0;
	/* The driver wrote the ring entry and descriptors before the index. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = le16toh(LOAD(&avail->ring[vq->last_avail & (vq->size - 1)]));
	if (virtq_walk(vq, mem, table, head, req))
		return -1;
	vq->last_avail++;
	return 1;
}

int virtq_push(struct virtq *vq, const struct guest_mem *mem, uint16_t head,
	       uint32_t written)
{
	struct vring_used *used = guest_mem_ptr(mem, vq->used_addr,
						used_bytes(vq->size));
	struct vring_used_elem *elem;

	if (!used)
		return -1;
	elem = &used->ring[vq->used_idx & (vq->size - 1)];
	STORE(&elem->id, htole32(head));
	STORE(&elem->len, htole32(written));
	vq->used_idx++;
	/* The data and the element must be seen before the new index. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	STORE(&used->idx, htole16(vq->used_idx));
	return 0;
}

bool virtq_should_interrupt(const struct virtq *vq,
			    const struct guest_mem *mem)
{
	struct vring_avail *avail = guest_mem_ptr(mem, vq->avail_addr,
						  avail_bytes(vq->size));

	/*
	 * Order the used index store before the flags load: a driver that
	 * clears NO_INTERRUPT and then rechecks the used ring must either
	 * see our entries or get the interrupt.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !avail ||
		!(le16toh(LOAD(&avail->flags)) & VRING_AVAIL_F_NO_INTERRUPT);
}
