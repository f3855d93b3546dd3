// SPDX-License-Identifier: GPL-2.0
/* virtio-blk (virtio spec 5.2) on a raw image. */
#define _GNU_SOURCE		/* pthread_timedjoin_np */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_ids.h>
#include "virtio/blk.h"

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

/*
 * pread/pwrite all of it, through EINTR and short transfers; 0 or the
 * errno.
 */
static int file_io_plain(int fd, uint8_t *buf, size_t len, uint64_t off,
			 bool write)
{
	while (len) {
		ssize_t r = write ? pwrite(fd, buf, len, off) :
			pread(fd, buf, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		/* Nothing moved: the image shrank under us. */
		if (!r)
			return EIO;
		buf += r;
		len -= r;
		off += r;
	}
	return 0;
}

#define BLK_BOUNCE_SIZE		65536

/*
 * Guest RAM is mapped with special PTEs (the module owns its pages), which
 * file systems that pin user pages refuse with EFAULT: an O_DIRECT image,
 * 9p, FUSE direct_io, CIFS with cache=none.  Such a transfer goes through
 * a buffer of vmctl's own, at the cost of a copy.
 */
static int file_io_bounced(int fd, uint8_t *buf, size_t len, uint64_t off,
			   bool write)
{
	static __thread uint8_t bounce[BLK_BOUNCE_SIZE]
		__attribute__((aligned(4096)));
	size_t n;
	int err;

	while (len) {
		n = len < sizeof(bounce) ? len : sizeof(bounce);
		if (write)
			memcpy(bounce, buf, n);
		err = file_io_plain(fd, bounce, n, off, write);
		if (err)
			return err;
		if (!write)
			memcpy(buf, bounce, n);
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int file_io(int fd, uint8_t *buf, size_t len, uint64_t off,
		   bool write)
{
	int err = file_io_plain(fd, buf, len, off, write);

	return err == EFAULT ? file_io_bounced(fd, buf, len, off, write) : err;
}

/* Move @len bytes between the file at @off and the buffers, @skip in. */
static int blk_rw(struct virtio_blk *b, const struct virtq_buf *bufs,
		  unsigned int n, uint64_t skip, uint64_t len, uint64_t off,
		  bool write)
{
	struct iov_iter it = { bufs, n, skip };
	uint8_t *ptr;
	size_t chunk;
	int err;

	while ((chunk = iov_next(&it, len, &ptr))) {
		err = file_io(b->fd, ptr, chunk, off, write);
		if (err)
			return err;
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
	return r ? errno : 0;
}

/* Whether @len bytes from @sector are a whole number of sectors on disk. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector,
			 uint64_t len)
{
	uint64_t nsec = len / VIRTIO_BLK_SECTOR_SIZE;

	return !(len % VIRTIO_BLK_SECTOR_SIZE) && sector <= b->capacity &&
		nsec <= b->capacity - sector;
}

/* Why a request failed on the host's side, for the error handler. */
struct blk_host_error {
	const char *op;
	int err;
};

/*
 * Serve one request.  The layout is the driver's choice (virtio 1.x has
 * no framing rules): the header is the first 16 readable bytes, the
 * status the last writable byte and data what lies between.  Returns -1
 * for a chain too short to hold a header and a status, else 0 with the
 * bytes written to the guest in @written, and in @host what failed on
 * the image file (err 0: nothing).  Touches only @req, the image and
 * guest memory: it runs without the machine lock.
 */
static int blk_handle(struct virtio_blk *b, struct virtq_req *req,
		      uint32_t *written, struct blk_host_error *host)
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
		host->op = "read";
		if (!blk_range_ok(b, sector, in_data))
			status = VIRTIO_BLK_S_IOERR;
		else
			host->err = blk_rw(b, in, req->nr_in, 0, in_data,
					   sector * VIRTIO_BLK_SECTOR_SIZE,
					   false);
		if (status == VIRTIO_BLK_S_OK && !host->err)
			*written += in_data;
		break;
	case VIRTIO_BLK_T_OUT:
		host->op = "write";
		len = req->out_len - BLK_HDR_LEN;
		if (b->read_only || !blk_range_ok(b, sector, len))
			status = VIRTIO_BLK_S_IOERR;
		else
			host->err = blk_rw(b, req->bufs, req->nr_out,
					   BLK_HDR_LEN, len,
					   sector * VIRTIO_BLK_SECTOR_SIZE,
					   true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* Completion promises the data is on the host's disk. */
		host->op = "flush";
		host->err = blk_fdatasync(b->fd);
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
	if (host->err)
		status = VIRTIO_BLK_S_IOERR;
	iov_copy(in, req->nr_in, in_data, &status, BLK_STATUS_LEN, true);
	return 0;
}

static void blk_lock(struct virtio_blk *b)
{
	if (b->lock)
		pthread_mutex_lock(b->lock);
}

static void blk_unlock(struct virtio_blk *b)
{
	if (b->lock)
		pthread_mutex_unlock(b->lock);
}

/*
 * One request's I/O, out of the machine lock when there is an I/O
 * thread (busy tells a reset to wait for it).  Returns as blk_handle(),
 * and whether the request is still wanted in @keep (not after stop).
 */
static int blk_serve_one(struct virtio_blk *b, unsigned int queue,
			 uint32_t *written, bool *keep)
{
	unsigned int resets = b->resets;
	struct blk_host_error host;
	int r;

	for (;;) {
		host = (struct blk_host_error){ NULL, 0 };
		b->busy = true;
		blk_unlock(b);
		r = blk_handle(b, &b->req, written, &host);
		blk_lock(b);
		b->busy = false;
		if (b->lock)
			pthread_cond_broadcast(&b->idle);
		*keep = !b->stop;
		if (r || !host.err || !*keep)
			return r;
		b->host_errors++;
		if (!b->on_error ||
		    !b->on_error(b->error_opaque, b, host.op, host.err))
			return 0;
		/*
		 * Resumed (error=stop): the same request again, unless the
		 * driver reset the device or turned bus mastering off while
		 * the VM waited.
		 */
		*keep = !b->stop && b->resets == resets &&
			virtio_pci_queue_live(&b->vp, queue);
		if (!*keep)
			return 0;
	}
}

/*
 * Serve queue @queue: at most one queue's worth of requests per call,
 * so that one notify is bounded however the driver fills the ring.
 * Machine lock held (dropped around each request's I/O by the thread).
 */
static void blk_serve(struct virtio_blk *b, unsigned int queue)
{
	struct virtq *vq = &b->vp.queues[queue].vq;
	const struct guest_mem *mem = b->vp.host.mem;
	unsigned int budget = vq->size, served = 0;
	bool keep = true;
	uint32_t written = 0;
	int r = 0;

	while (served < budget && !b->draining && !b->stop &&
	       virtio_pci_queue_live(&b->vp, queue)) {
		r = virtq_pop(vq, mem, &b->req);
		if (r <= 0)
			break;
		r = blk_serve_one(b, queue, &written, &keep);
		/* Stopped, or bus mastering went off: no more DMA. */
		if (!keep || !virtio_pci_queue_live(&b->vp, queue))
			return;
		if (r || virtq_push(vq, mem, b->req.head, written)) {
			r = -1;
			break;
		}
		served++;
		b->requests++;
	}
	if (served > b->max_batch)
		b->max_batch = served;
	if (served)
		virtio_pci_queue_interrupt(&b->vp, queue);
	if (r < 0)
		virtio_pci_fail(&b->vp);
}

/*
 * The I/O thread: one batch per notify; kicks during a batch are one
 * more batch, so a request the driver announced is never left waiting.
 */
static void *blk_thread(void *arg)
{
	struct virtio_blk *b = arg;

	pthread_mutex_lock(b->lock);
	while (!b->stop) {
		if (!b->kicked) {
			pthread_cond_wait(&b->kick, b->lock);
			continue;
		}
		b->kicked = false;
		blk_serve(b, 0);
	}
	b->exited = true;
	pthread_cond_broadcast(&b->idle);
	pthread_mutex_unlock(b->lock);
	return NULL;
}

static void virtio_blk_notify(void *opaque, unsigned int queue)
{
	struct virtio_blk *b = opaque;

	if (b->stop)
		return;		/* the machine is going away */
	if (!b->lock) {
		blk_serve(b, queue);
		return;
	}
	b->kicked = true;
	pthread_cond_signal(&b->kick);
}

/*
 * The driver resets the device: a request whose I/O is under way ends
 * first, as the guest may reuse its buffers once the reset is done.  The
 * wait lets go of the machine lock; draining keeps the thread from
 * taking more meanwhile.
 */
static void virtio_blk_quiesce(void *opaque)
{
	struct virtio_blk *b = opaque;

	if (!b->lock)
		return;
	b->draining = true;
	while (b->busy && !b->stop)
		pthread_cond_wait(&b->idle, b->lock);
	b->draining = false;
}

static void virtio_blk_reset(void *opaque)
{
	struct virtio_blk *b = opaque;

	b->kicked = false;
	b->resets++;
	virtio_blk_quiesce(b);
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
	.reset = virtio_blk_reset,
	.quiesce = virtio_blk_quiesce,
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

void virtio_blk_set_error_handler(struct virtio_blk *b, virtio_blk_error_fn fn,
				  void *opaque)
{
	b->on_error = fn;
	b->error_opaque = opaque;
}

int virtio_blk_start(struct virtio_blk *b, pthread_mutex_t *lock)
{
	int err;

	pthread_cond_init(&b->kick, NULL);
	pthread_cond_init(&b->idle, NULL);
	b->lock = lock;
	err = pthread_create(&b->thread, NULL, blk_thread, b);
	if (err) {
		b->lock = NULL;
		pthread_cond_destroy(&b->kick);
		pthread_cond_destroy(&b->idle);
	}
	return err;
}

bool virtio_blk_stop(struct virtio_blk *b, unsigned int timeout_ms)
{
	struct timespec ts;
	bool exited;

	if (!b->lock || b->joined)
		return true;
	pthread_mutex_lock(b->lock);
	b->stop = true;
	pthread_cond_broadcast(&b->kick);
	pthread_cond_broadcast(&b->idle);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += timeout_ms % 1000 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!b->exited)
		if (pthread_cond_timedwait(&b->idle, b->lock, &ts))
			break;
	exited = b->exited;
	pthread_mutex_unlock(b->lock);
	if (!exited) {
		pthread_detach(b->thread);
		return false;
	}
	/* The conditions stay: a vCPU may still notify (and see stop). */
	pthread_join(b->thread, NULL);
	b->joined = true;
	return true;
}
