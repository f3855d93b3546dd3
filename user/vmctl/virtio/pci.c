// SPDX-License-Identifier: GPL-2.0
/*
 * Modern virtio-pci (virtio spec 4.1): capabilities, the common config
 * registers, ISR, notifications, and MSI-X with INTx as the fallback.
 */
#include <endian.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include "virtio/pci.h"

#define FEATURE_WORDS		2	/* feature bits 0-63 */
#define MSIX_TABLE_SIZE(vp)	((vp)->msix_vectors * PCI_MSIX_ENTRY_SIZE)
/* The MSI-X capability: ID, next, message control, table, PBA. */
#define MSIX_CAP_LEN		PCI_CAP_MSIX_SIZEOF
/* ISR's used-buffer bit; the uapi header only names the config bit. */
#define VIRTIO_PCI_ISR_QUEUE	0x1
/* INTA#, the pin a single-function device uses. */
#define PCI_INTERRUPT_PIN_INTA	1

static uint16_t msix_control(const struct virtio_pci *vp)
{
	uint16_t v;

	memcpy(&v, &vp->pci.config[vp->msix_cap + PCI_MSIX_FLAGS], 2);
	return le16toh(v);
}

static bool msix_enabled(const struct virtio_pci *vp)
{
	return msix_control(vp) & PCI_MSIX_FLAGS_ENABLE;
}

static uint32_t msix_entry_word(const struct virtio_pci *vp,
				unsigned int vector, unsigned int field)
{
	uint32_t v;

	memcpy(&v, &vp->msix_table[vector * PCI_MSIX_ENTRY_SIZE + field], 4);
	return le32toh(v);
}

static bool msix_masked(const struct virtio_pci *vp, unsigned int vector)
{
	return (msix_control(vp) & PCI_MSIX_FLAGS_MASKALL) ||
		(msix_entry_word(vp, vector, PCI_MSIX_ENTRY_VECTOR_CTRL) &
		 PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/*
 * Bus Master Enable: without it the device makes no memory access, its
 * rings, buffers and MSI-X messages included (PCI 3.0 6.2.2).  Linux
 * clears it at shutdown and kexec, so that a request in flight cannot
 * land in the next kernel's memory.
 */
static bool bus_master(const struct virtio_pci *vp)
{
	uint16_t cmd;

	memcpy(&cmd, &vp->pci.config[PCI_COMMAND], 2);
	return le16toh(cmd) & PCI_COMMAND_MASTER;
}

/* Without bus mastering the message is a write the device cannot make. */
static void msix_send(struct virtio_pci *vp, unsigned int vector)
{
	uint64_t addr = msix_entry_word(vp, vector, PCI_MSIX_ENTRY_LOWER_ADDR) |
		(uint64_t)msix_entry_word(vp, vector,
					  PCI_MSIX_ENTRY_UPPER_ADDR) << 32;

	if (vp->host.msi.send && bus_master(vp))
		vp->host.msi.send(vp->host.msi.opaque, addr,
				  msix_entry_word(vp, vector,
						  PCI_MSIX_ENTRY_DATA));
}

/* A masked vector's message waits in the PBA until it is unmasked. */
static void msix_notify(struct virtio_pci *vp, uint16_t vector)
{
	if (vector >= vp->msix_vectors)
		return;
	if (msix_masked(vp, vector)) {
		vp->msix_pba |= 1ULL << vector;
		return;
	}
	msix_send(vp, vector);
}

static void msix_deliver_pending(struct virtio_pci *vp)
{
	unsigned int v;

	if (!msix_enabled(vp))
		return;
	for (v = 0; v < vp->msix_vectors; v++)
		if ((vp->msix_pba & 1ULL << v) && !msix_masked(vp, v)) {
			vp->msix_pba &= ~(1ULL << v);
			msix_send(vp, v);
		}
}

/*
 * INTx is asserted while ISR has bits and MSI-X is off; the PCI status
 * register shows it even when the command register disables the pin.
 */
static void virtio_pci_update_intx(struct virtio_pci *vp)
{
	uint8_t *status = &vp->pci.config[PCI_STATUS];
	uint16_t cmd;
	bool pending = vp->isr && !msix_enabled(vp);
	bool level;

	memcpy(&cmd, &vp->pci.config[PCI_COMMAND], 2);
	level = pending && !(le16toh(cmd) & PCI_COMMAND_INTX_DISABLE);
	if (pending)
		*status |= PCI_STATUS_INTERRUPT;
	else
		*status &= ~PCI_STATUS_INTERRUPT;
	if (level != vp->intx_level) {
		vp->intx_level = level;
		irq_line_set(&vp->host.intx, level);
	}
}

/*
 * ISR's configuration bit is set for every configuration interrupt, its
 * queue bit only when there is no MSI-X to say which queue it was.
 */
static void virtio_pci_interrupt(struct virtio_pci *vp, uint16_t vector,
				 uint8_t isr_bit)
{
	if (msix_enabled(vp)) {
		if (isr_bit == VIRTIO_PCI_ISR_CONFIG)
			vp->isr |= isr_bit;
		msix_notify(vp, vector);
		return;
	}
	vp->isr |= isr_bit;
	virtio_pci_update_intx(vp);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int queue)
{
	struct virtio_pci_queue *q = &vp->queues[queue];

	if (virtq_should_interrupt(&q->vq, vp->host.mem))
		virtio_pci_interrupt(vp, q->msix_vector, VIRTIO_PCI_ISR_QUEUE);
}

void virtio_pci_fail(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* The spec asks for the interrupt only once the driver is running. */
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_pci_interrupt(vp, vp->msix_config,
				     VIRTIO_PCI_ISR_CONFIG);
}

/* The transport's side of a reset, also its state at power-on. */
static void virtio_pci_reset(struct virtio_pci *vp)
{
	unsigned int i;

	vp->driver_features = 0;
	vp->device_feature_select = 0;
	vp->driver_feature_select = 0;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vp->status = 0;
	vp->queue_select = 0;
	vp->isr = 0;
	vp->msix_pba = 0;
	for (i = 0; i < vp->num_queues; i++) {
		struct virtio_pci_queue *q = &vp->queues[i];

		memset(q, 0, sizeof(*q));
		q->size = vp->queue_max;
		q->msix_vector = VIRTIO_MSI_NO_VECTOR;
	}
	virtio_pci_update_intx(vp);
}

/* Vectors the table lacks read back as NO_VECTOR, which drivers check. */
static uint16_t virtio_pci_vector(const struct virtio_pci *vp, uint16_t v)
{
	return v < vp->msix_vectors ? v : VIRTIO_MSI_NO_VECTOR;
}

static bool features_acceptable(const struct virtio_pci *vp)
{
	return !(vp->driver_features & ~vp->device_features) &&
		(vp->driver_features & 1ULL << VIRTIO_F_VERSION_1);
}

static void virtio_pci_set_status(struct virtio_pci *vp, uint8_t val)
{
	if (!val) {
		if (vp->ops->reset)
			vp->ops->reset(vp->opaque);
		virtio_pci_reset(vp);
		return;
	}
	/* FEATURES_OK that does not stick tells the driver "refused". */
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(vp->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !features_acceptable(vp))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	vp->status = val | (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static struct virtio_pci_queue *selected_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->num_queues ?
		&vp->queues[vp->queue_select] : NULL;
}

static void queue_enable(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	if (!virtq_rings_valid(vp->host.mem, q->size, q->desc, q->avail,
			       q->used)) {
		virtio_pci_fail(vp);
		return;
	}
	virtq_init(&q->vq, q->size, q->desc, q->avail, q->used);
	q->enabled = true;
}

static void set_half(uint64_t *v, bool high, uint32_t half)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)half << 32;
	else
		*v = (*v & ~0xffffffffULL) | half;
}

static uint32_t get_half(uint64_t v, bool high)
{
	return high ? v >> 32 : (uint32_t)v;
}

static uint32_t feature_word(uint64_t features, uint32_t select)
{
	return select < FEATURE_WORDS ? get_half(features, select) : 0;
}

/* The field at @offset if it is @len bytes wide (the spec's access rule). */
struct common_field {
	unsigned int offset;
	unsigned int len;
};

static const struct common_field common_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 }, { VIRTIO_PCI_COMMON_DF, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 }, { VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 }, { VIRTIO_PCI_COMMON_NUMQ, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 }, { VIRTIO_PCI_COMMON_CFGGENERATION, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 }, { VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 }, { VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_NOFF, 2 }, { VIRTIO_PCI_COMMON_Q_DESCLO, 4 },
	{ VIRTIO_PCI_COMMON_Q_DESCHI, 4 }, { VIRTIO_PCI_COMMON_Q_AVAILLO, 4 },
	{ VIRTIO_PCI_COMMON_Q_AVAILHI, 4 }, { VIRTIO_PCI_COMMON_Q_USEDLO, 4 },
	{ VIRTIO_PCI_COMMON_Q_USEDHI, 4 },
};

static bool common_field_ok(uint64_t offset, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]); i++)
		if (common_fields[i].offset == offset &&
		    common_fields[i].len == len)
			return true;
	return false;
}

static uint32_t common_read(struct virtio_pci *vp, uint64_t offset)
{
	struct virtio_pci_queue *q = selected_queue(vp);

	switch (offset) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return feature_word(vp->device_features,
				    vp->device_feature_select);
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		return feature_word(vp->driver_features,
				    vp->driver_feature_select);
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vp->num_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return vp->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		/* No device here changes its config space under the driver. */
		return 0;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	}
	/* No such queue: size 0 is how drivers learn that. */
	if (!q)
		return offset == VIRTIO_PCI_COMMON_Q_MSIX ?
			VIRTIO_MSI_NO_VECTOR : 0;
	switch (offset) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q->msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vp->queue_select;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return get_half(q->desc, offset == VIRTIO_PCI_COMMON_Q_DESCHI);
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return get_half(q->avail,
				offset == VIRTIO_PCI_COMMON_Q_AVAILHI);
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return get_half(q->used, offset == VIRTIO_PCI_COMMON_Q_USEDHI);
	}
	return 0;
}

/* Queue registers of an enabled queue are frozen until reset. */
static void queue_write(struct virtio_pci *vp, uint64_t offset, uint32_t val)
{
	struct virtio_pci_queue *q = selected_queue(vp);

	if (!q)
		return;
	if (offset == VIRTIO_PCI_COMMON_Q_MSIX) {
		q->msix_vector = virtio_pci_vector(vp, val);
		return;
	}
	if (q->enabled)
		return;
	switch (offset) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		/* The driver may only shrink it, to another power of two. */
		if (val && val <= vp->queue_max && !(val & (val - 1)))
			q->size = val;
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1)
			queue_enable(vp, q);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		set_half(&q->desc, offset == VIRTIO_PCI_COMMON_Q_DESCHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		set_half(&q->avail, offset == VIRTIO_PCI_COMMON_Q_AVAILHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		set_half(&q->used, offset == VIRTIO_PCI_COMMON_Q_USEDHI, val);
		break;
	}
}

static void common_write(struct virtio_pci *vp, uint64_t offset, uint32_t val)
{
	switch (offset) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->device_feature_select = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->driver_feature_select = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		/* Features are fixed once FEATURES_OK was accepted. */
		if (!(vp->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    vp->driver_feature_select < FEATURE_WORDS)
			set_half(&vp->driver_features,
				 vp->driver_feature_select, val);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->msix_config = virtio_pci_vector(vp, val);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		virtio_pci_set_status(vp, val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = val;
		break;
	default:
		queue_write(vp, offset, val);
		break;
	}
}

static void common_access(struct virtio_pci *vp, uint64_t offset, void *data,
			  unsigned int len, bool is_write)
{
	uint32_t v = 0;

	if (!common_field_ok(offset, len))
		return;
	if (is_write) {
		memcpy(&v, data, len);
		common_write(vp, offset, le32toh(v));
	} else {
		v = htole32(common_read(vp, offset));
		memcpy(data, &v, len);
	}
}

bool virtio_pci_queue_live(const struct virtio_pci *vp, unsigned int queue)
{
	return queue < vp->num_queues && vp->queues[queue].enabled &&
		bus_master(vp) && (vp->status & (VIRTIO_CONFIG_S_DRIVER_OK |
			       VIRTIO_CONFIG_S_NEEDS_RESET)) ==
		VIRTIO_CONFIG_S_DRIVER_OK;
}

static void notify_access(struct virtio_pci *vp, uint64_t offset,
			  bool is_write)
{
	uint64_t queue = offset / VIRTIO_PCI_NOTIFY_MULTIPLIER;

	if (is_write && queue < vp->num_queues &&
	    virtio_pci_queue_live(vp, queue))
		vp->ops->queue_notify(vp->opaque, queue);
}

/* Reading ISR acknowledges the interrupt (and lowers INTx). */
static void isr_access(struct virtio_pci *vp, uint64_t offset, void *data,
		       bool is_write)
{
	if (is_write || offset)
		return;
	*(uint8_t *)data = vp->isr;
	vp->isr = 0;
	virtio_pci_update_intx(vp);
}

static void device_access(struct virtio_pci *vp, uint64_t offset, void *data,
			  unsigned int len, bool is_write)
{
	if (offset + len > vp->config_len)
		return;
	if (!is_write)
		vp->ops->config_read(vp->opaque, offset, data, len);
	else if (vp->ops->config_write)
		vp->ops->config_write(vp->opaque, offset, data, len);
}

static void msix_table_access(struct virtio_pci *vp, uint64_t offset,
			      void *data, unsigned int len, bool is_write)
{
	if (offset + len > MSIX_TABLE_SIZE(vp))
		return;
	if (!is_write) {
		memcpy(data, &vp->msix_table[offset], len);
		return;
	}
	memcpy(&vp->msix_table[offset], data, len);
	/* An unmask lets a pending message go. */
	msix_deliver_pending(vp);
}

static void msix_pba_access(struct virtio_pci *vp, uint64_t offset,
			    void *data, unsigned int len, bool is_write)
{
	uint64_t pba = htole64(vp->msix_pba);

	if (is_write || offset + len > sizeof(pba))
		return;
	memcpy(data, (uint8_t *)&pba + offset, len);
}

static void virtio_pci_bar_access(void *opaque, uint64_t offset, void *data,
				  unsigned int len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint64_t region = offset & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1);
	uint64_t off = offset - region;

	switch (region) {
	case VIRTIO_PCI_COMMON_OFFSET:
		common_access(vp, off, data, len, is_write);
		break;
	case VIRTIO_PCI_ISR_OFFSET:
		isr_access(vp, off, data, is_write);
		break;
	case VIRTIO_PCI_DEVICE_OFFSET:
		device_access(vp, off, data, len, is_write);
		break;
	case VIRTIO_PCI_NOTIFY_OFFSET:
		notify_access(vp, off, is_write);
		break;
	case VIRTIO_PCI_MSIX_TABLE_OFFSET:
		msix_table_access(vp, off, data, len, is_write);
		break;
	case VIRTIO_PCI_MSIX_PBA_OFFSET:
		msix_pba_access(vp, off, data, len, is_write);
		break;
	}
}

/* MSI-X enable, function mask and INTx disable change where IRQs go. */
static void virtio_pci_config_written(struct pci_device *dev)
{
	struct virtio_pci *vp = dev->opaque;
	bool master = bus_master(vp);

	/* Bus mastering off: the device's memory accesses end first. */
	if (vp->bus_master && !master && vp->ops->quiesce)
		vp->ops->quiesce(vp->opaque);
	vp->bus_master = master;
	virtio_pci_update_intx(vp);
	msix_deliver_pending(vp);
}

static int add_virtio_cap(struct virtio_pci *vp, uint8_t cfg_type,
			  uint32_t offset, uint32_t length)
{
	struct virtio_pci_cap cap = {
		.cap_len = sizeof(cap),
		.cfg_type = cfg_type,
		.bar = VIRTIO_PCI_BAR,
		.offset = htole32(offset),
		.length = htole32(length),
	};

	return pci_device_add_capability(&vp->pci, PCI_CAP_ID_VNDR, &cap,
					 sizeof(cap)) < 0 ? -1 : 0;
}

static int add_caps(struct virtio_pci *vp)
{
	struct virtio_pci_notify_cap notify = {
		.cap.cap_len = sizeof(notify),
		.cap.cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG,
		.cap.bar = VIRTIO_PCI_BAR,
		.cap.offset = htole32(VIRTIO_PCI_NOTIFY_OFFSET),
		.cap.length = htole32(vp->num_queues *
				      VIRTIO_PCI_NOTIFY_MULTIPLIER),
		.notify_off_multiplier = htole32(VIRTIO_PCI_NOTIFY_MULTIPLIER),
	};
	uint8_t msix[MSIX_CAP_LEN] = { 0 };
	uint16_t ctrl = htole16(vp->msix_vectors - 1);
	uint32_t table = htole32(VIRTIO_PCI_MSIX_TABLE_OFFSET | VIRTIO_PCI_BAR);
	uint32_t pba = htole32(VIRTIO_PCI_MSIX_PBA_OFFSET | VIRTIO_PCI_BAR);
	int off;

	if (add_virtio_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG,
			   VIRTIO_PCI_COMMON_OFFSET,
			   sizeof(struct virtio_pci_common_cfg)) ||
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFFSET,
			   1) ||
	    (vp->config_len &&
	     add_virtio_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG,
			    VIRTIO_PCI_DEVICE_OFFSET, vp->config_len)) ||
	    pci_device_add_capability(&vp->pci, PCI_CAP_ID_VNDR, &notify,
				      sizeof(notify)) < 0)
		return -1;

	memcpy(&msix[PCI_MSIX_FLAGS], &ctrl, 2);
	memcpy(&msix[PCI_MSIX_TABLE], &table, 4);
	memcpy(&msix[PCI_MSIX_PBA], &pba, 4);
	off = pci_device_add_capability(&vp->pci, PCI_CAP_ID_MSIX, msix,
					sizeof(msix));
	if (off < 0)
		return -1;
	vp->msix_cap = off;
	pci_device_set_wmask(&vp->pci, off + PCI_MSIX_FLAGS,
			     PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	return 0;
}

void virtio_pci_set_intx(struct virtio_pci *vp, struct irq_line intx)
{
	vp->host.intx = intx;
	vp->pci.config[PCI_INTERRUPT_PIN] = PCI_INTERRUPT_PIN_INTA;
	/* What a BIOS would write: the GSI the ACPI _PRT routes INTA to. */
	vp->pci.config[PCI_INTERRUPT_LINE] = intx.gsi;
}

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_info *info,
		    const struct virtio_pci_host *host)
{
	unsigned int v;

	if (!info->num_queues || info->num_queues > VIRTIO_PCI_MAX_QUEUES ||
	    !info->queue_size || info->queue_size > VIRTQ_MAX_SIZE ||
	    (info->queue_size & (info->queue_size - 1)) ||
	    info->config_len > VIRTIO_PCI_REGION_SIZE)
		return -1;
	memset(vp, 0, sizeof(*vp));
	vp->host = *host;
	vp->ops = info->ops;
	vp->opaque = info->opaque;
	vp->device_features = info->features | 1ULL << VIRTIO_F_VERSION_1;
	vp->num_queues = info->num_queues;
	vp->queue_max = info->queue_size;
	vp->config_len = info->config_len;
	vp->msix_vectors = info->num_queues + 1;
	/* Vectors start masked, as the MSI-X spec has it. */
	for (v = 0; v < vp->msix_vectors; v++)
		vp->msix_table[v * PCI_MSIX_ENTRY_SIZE +
			       PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;

	pci_device_init(&vp->pci, VIRTIO_PCI_VENDOR,
			VIRTIO_PCI_DEVICE_MODERN + info->device_type,
			VIRTIO_PCI_REVISION_MODERN, info->class_code,
			VIRTIO_PCI_VENDOR, info->device_type);
	vp->pci.opaque = vp;
	vp->pci.config_written = virtio_pci_config_written;
	if (host->intx.set)
		virtio_pci_set_intx(vp, host->intx);
	if (pci_device_add_bar(&vp->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64,
			       VIRTIO_PCI_BAR_SIZE, virtio_pci_bar_access,
			       vp) ||
	    add_caps(vp))
		return -1;
	virtio_pci_reset(vp);
	return 0;
}
