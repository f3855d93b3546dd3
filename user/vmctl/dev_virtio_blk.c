// SPDX-License-Identifier: GPL-2.0
/* virtio-blk (virtio spec 5.2) on a raw image. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_ids.h>
#include "dev_virtio_blk.h"

#define BLK_HDR_LEN	sizeof(struct virtio_blk_outhdr)
#define BLK_STATUS_LEN	1
/* A request's data and its header and status share one chain. */
#define BLK_SEG_MAX	(VIRTIO_BLK_QUEUE_SIZE - 2)

/* A walk over the bytes of a chain's buffers, from @skip bytes in. */
struct iov_iter {
	const struct virtq_buf *bufs;
	unsigned int n;
	uint64_t skip;
};

/*
 * The next piece of the buffers, up to @len bytes: its length, with its
 * start in @ptr; 0 when the buffers or @len are used up.
 */
static size_t iov_next(struct iov_iter *it, uint64_t len, uint8_t **ptr)
{
	uint64_t chunk;

	while (it->n && it->skip >= it->bufs->len) {
		it->skip -= it->bufs->len;
		it->bufs++;
		it->n--;
	}
	if (!it->n)
		return 0;
	chunk = it->bufs->len - it->skip;
	if (chunk > len)
		chunk = len;
	*ptr = it->bufs->ptr + it->skip;
	it->skip += chunk;
	return chunk;
}

/*
 * Copy @len bytes between @mem and the @n buffers at @bufs, starting
 * @skip bytes into them; the caller has checked that they hold as much.
 */
static void iov_copy(const struct virtq_buf *bufs, unsigned int n,
		     uint64_t skip, void *mem, size_t len, bool to_guest)
{
	struct iov_iter it = { bufs, n, skip };
	uint8_t *p = mem, *ptr;
	size_t chunk;

	while ((chunk = iov_next(&it, len, &ptr))) {
		if (to_guest)
			memcpy(ptr, p, chunk);
		else
			memcpy(p, ptr, chunk);
		p += chunk;
		len -= chunk;
	}
}

/* pread/pwrite all of it, through EINTR and short transfers. */
static int file_io(int fd, uint8_t *buf, size_t len, uint64_t off,
		   bool write)
{
	while (len) {
		ssize_t r = write ? pwrite(fd, buf, len, off) :
			pread(fd, buf, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		/* Nothing moved: the image shrank under us, or a real error. */
		if (r <= 0)
			return -1;
		buf += r;
		len -= r;
		off += r;
	}
	return 0;
}

/* Move @len bytes between the file at @off and the buffers, @skip in. */
static int blk_rw(struct virtio_blk *b, const struct virtq_buf *bufs,
		  unsigned int n, uint64_t skip, uint64_t len, uint64_t off,
		  bool write)
{
	struct iov_iter it = { bufs, n, skip };
	uint8_t *ptr;
	size_t chunk;

	while ((chunk = iov_next(&it, len, &ptr))) {
		if (file_io(b->fd, ptr, chunk, off, write))
			return -1;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

static int blk_fdatasync(int fd)
{
	int r;

	do
		r = fdatasync(fd);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Whether @len bytes from @sector are a whole number of sectors on disk. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector,
			 uint64_t len)
{
	uint64_t nsec = len / VIRTIO_BLK_SECTOR_SIZE;

	return !(len % VIRTIO_BLK_SECTOR_SIZE) && sector <= b->capacity &&
		nsec <= b->capacity - sector;
}

/*
 * Serve one request.  The layout is the driver's choice (virtio 1.x has
 * no framing rules): the header is the first 16 readable bytes, the
 * status the last writable byte and data what lies between.  Returns -1
 * for a chain too short to hold a header and a status, else 0 with the
 * bytes written to the guest in @written.
 */
static int blk_handle(struct virtio_blk *b, struct virtq_req *req,
		      uint32_t *written)
{
	const struct virtq_buf *in = &req->bufs[req->nr_out];
	struct virtio_blk_outhdr hdr;
	uint8_t id[VIRTIO_BLK_ID_BYTES];
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t sector, len, in_data;

	if (req->out_len < BLK_HDR_LEN || req->in_len < BLK_STATUS_LEN)
		return -1;
	in_data = req->in_len - BLK_STATUS_LEN;
	iov_copy(req->bufs, req->nr_out, 0, &hdr, BLK_HDR_LEN, false);
	sector = le64toh(hdr.sector);
	*written = BLK_STATUS_LEN;

	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		if (!blk_range_ok(b, sector, in_data) ||
		    blk_rw(b, in, req->nr_in, 0, in_data,
			   sector * VIRTIO_BLK_SECTOR_SIZE, false))
			status = VIRTIO_BLK_S_IOERR;
		else
			*written += in_data;
		break;
	case VIRTIO_BLK_T_OUT:
		len = req->out_len - BLK_HDR_LEN;
		if (b->read_only || !blk_range_ok(b, sector, len) ||
		    blk_rw(b, req->bufs, req->nr_out, BLK_HDR_LEN, len,
			   sector * VIRTIO_BLK_SECTOR_SIZE, true))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* Completion promises the data is on the host's disk. */
		if (blk_fdatasync(b->fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		len = in_data < sizeof(id) ? in_data : sizeof(id);
		memcpy(id, b->serial, sizeof(id));
		iov_copy(in, req->nr_in, 0, id, len, true);
		*written += len;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	iov_copy(in, req->nr_in, in_data, &status, BLK_STATUS_LEN, true);
	return 0;
}

static void virtio_blk_notify(void *opaque, unsigned int queue)
{
	struct virtio_blk *b = opaque;
	struct virtq *vq = &b->vp.queues[queue].vq;
	const struct guest_mem *mem = b->vp.host.mem;
	bool pushed = false;
	uint32_t written;
	int r;

	while ((r = virtq_pop(vq, mem, &b->req)) > 0) {
		if (blk_handle(b, &b->req, &written) ||
		    virtq_push(vq, mem, b->req.head, written)) {
			r = -1;
			break;
		}
		pushed = true;
	}
	if (pushed)
		virtio_pci_queue_interrupt(&b->vp, queue);
	if (r < 0)
		virtio_pci_fail(&b->vp);
}

static void virtio_blk_config_read(void *opaque, uint64_t offset, void *data,
				   unsigned int len)
{
	struct virtio_blk *b = opaque;

	memcpy(data, (uint8_t *)&b->config + offset, len);
}

static const struct virtio_device_ops virtio_blk_ops = {
	.config_read = virtio_blk_config_read,
	.queue_notify = virtio_blk_notify,
};

int virtio_blk_init(struct virtio_blk *b, int fd, bool read_only,
		    const char *serial, const struct virtio_pci_host *host)
{
	struct virtio_pci_info info = {
		.device_type = VIRTIO_ID_BLOCK,
		.class_code = VIRTIO_BLK_PCI_CLASS,
		.features = 1ULL << VIRTIO_BLK_F_FLUSH |
			1ULL << VIRTIO_BLK_F_SEG_MAX |
			1ULL << VIRTIO_BLK_F_BLK_SIZE,
		.num_queues = 1,
		.queue_size = VIRTIO_BLK_QUEUE_SIZE,
		.config_len = sizeof(b->config),
		.ops = &virtio_blk_ops,
		.opaque = b,
	};
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < 0)
		return -1;
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->read_only = read_only;
	b->capacity = size / VIRTIO_BLK_SECTOR_SIZE;
	/* NUL-padded by the memset; a 20-byte serial has no terminator. */
	memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	b->config.capacity = htole64(b->capacity);
	b->config.seg_max = htole32(BLK_SEG_MAX);
	b->config.blk_size = htole32(VIRTIO_BLK_SECTOR_SIZE);
	if (read_only)
		info.features |= 1ULL << VIRTIO_BLK_F_RO;
	if (virtio_pci_init(&b->vp, &info, host)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
