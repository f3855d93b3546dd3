// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-blk disks on the board: one PCI function each, its I/O
 * thread, and what a host error on its image does (error=report|stop).
 * The images are opened and locked by `vmctl run` before the VM exists
 * and stay open across reboots (vm->disks).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "vm/device.h"
#include "vm/vm.h"
#include "vmctl.h"

/* Each errno a disk has printed, so that a flood of errors says it once. */
#define VM_DISK_SAID_ENOSPC	(1U << 0)
#define VM_DISK_SAID_EIO	(1U << 1)
#define VM_DISK_SAID_OTHER	(1U << 2)
/* How long the end waits for a disk's I/O thread to leave the file. */
#define VM_DISK_STOP_MS		5000

static unsigned int vm_disk_said_bit(int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return VM_DISK_SAID_ENOSPC;
	return err == EIO ? VM_DISK_SAID_EIO : VM_DISK_SAID_OTHER;
}

/*
 * A disk's image failed (machine lock held, on its I/O thread).  Said
 * once per kind with the disk's name; error=stop pauses the VM until
 * SIGCONT (vm/loop.c) and then has the request tried again, as QEMU's
 * werror=stop.
 */
static bool vm_disk_error(void *opaque, struct virtio_blk *b, const char *op,
			  int err)
{
	struct vm_disk *d = opaque;
	struct vm *vm = d->vm;
	unsigned int bit = vm_disk_said_bit(err);

	if (!(d->errnos_said & bit)) {
		d->errnos_said |= bit;
		vmctl_err("disk %s: %s failed on the host: %s%s", d->path, op,
			  strerror(err),
			  d->on_error == VM_DISK_ERROR_STOP ? "" :
			  " (the guest sees an I/O error; error=stop would pause the VM)");
	}
	if (d->on_error != VM_DISK_ERROR_STOP || vm->end != VM_END_NONE)
		return false;
	vm_pause(vm);
	vmctl_err("disk %s: the VM is paused; fix the cause, then resume it with kill -CONT %d (or quit: Ctrl-A x, SIGINT)",
		  d->path, (int)getpid());
	while (vm->paused && vm->end == VM_END_NONE && !b->stop)
		pthread_cond_wait(&vm->resume, &vm->lock);
	return vm->end == VM_END_NONE && !b->stop;
}

static int vm_disks_init(struct vm *vm)
{
	const struct virtio_pci_host host = {
		.mem = &vm->mem,
		.msi = vm_msi_sink(vm),
	};
	unsigned int i;
	int slot;

	for (i = 0; i < vm->nr_disks; i++) {
		struct vm_disk *d = &vm->disks[i];

		d->vm = vm;
		snprintf(d->serial, sizeof(d->serial), "vmmon-disk%u", i);
		if (virtio_blk_init(&d->blk, d->fd, d->read_only, d->serial,
				    &host)) {
			vmctl_err("disk %s: %s", d->path, strerror(errno));
			return -1;
		}
		virtio_blk_set_error_handler(&d->blk, vm_disk_error, d);
		slot = pci_bus_add_device(&vm->pci, &d->blk.vp.pci);
		if (slot < 0) {
			vmctl_err("no room on the PCI bus for disk %s", d->path);
			return -1;
		}
		/* For guests without MSI-X (pci=nomsi, older systems). */
		virtio_pci_set_intx(&d->blk.vp,
				    vm_irq_line(vm, VM_PCI_GSI(slot)));
	}
	return 0;
}

static int vm_disks_start(struct vm *vm)
{
	unsigned int i;
	int err;

	for (i = 0; i < vm->nr_disks; i++) {
		err = virtio_blk_start(&vm->disks[i].blk, &vm->lock);
		if (err) {
			vmctl_err("cannot start disk %s's I/O thread: %s",
				  vm->disks[i].path, strerror(err));
			return -1;
		}
	}
	return 0;
}

static bool vm_disks_stop(struct vm *vm)
{
	bool all = true;
	unsigned int i;

	for (i = 0; i < vm->nr_disks; i++) {
		struct vm_disk *d = &vm->disks[i];

		if (!virtio_blk_stop(&d->blk, VM_DISK_STOP_MS)) {
			vmctl_err("disk %s: its I/O did not return within %u s (a hung file system?): exiting without it",
				  d->path, VM_DISK_STOP_MS / 1000);
			all = false;
		}
		if (d->blk.host_errors)
			vmctl_err("disk %s: %llu requests failed on the host",
				  d->path,
				  (unsigned long long)d->blk.host_errors);
	}
	return all;
}

static const struct vm_device vm_disks = {
	.name = "virtio-blk",
	.init = vm_disks_init,
	.start = vm_disks_start,
	.stop = vm_disks_stop,
};
VM_DEVICE(vm_disks);
