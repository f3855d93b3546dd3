// SPDX-License-Identifier: GPL-2.0
/*
 * --firmware-log FILE: the firmware's debug port (0x402, where SeaBIOS
 * and OVMF write their log a byte at a time, QEMU's isa-debugcon) copied
 * to a file.  Without the option the port is not there and the bytes are
 * dropped, as on a PC without the device.  The file is written from the
 * first boot on; a reboot appends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "vm/device.h"
#include "vm/vm.h"
#include "vmctl.h"

/*
 * What a read of the port gives on QEMU's isa-debugcon: SeaBIOS writes
 * its log there only when it reads this back (qemu_debug_preinit()).
 */
#define FWLOG_READBACK		0xe9

static FILE *fwlog_file;

static void fwlog_io(void *opaque, uint64_t offset, void *data,
		     unsigned int len, bool is_write)
{
	(void)opaque;
	if (offset || len != 1)
		return;
	if (is_write)
		fputc(*(uint8_t *)data, fwlog_file);
	else
		*(uint8_t *)data = FWLOG_READBACK;
}

static int fwlog_init(struct vm *vm)
{
	const char *path = vm->opts->firmware_log;

	if (!path)
		return 0;
	fwlog_file = fopen(path, vm->reboots ? "ae" : "we");
	if (!fwlog_file) {
		vmctl_err("cannot write the firmware's log to %s: %s", path,
			  strerror(errno));
		return -1;
	}
	/* Line by line: a vmctl killed mid-boot leaves the log so far. */
	setvbuf(fwlog_file, NULL, _IOLBF, 0);
	if (bus_register(&vm->pio, VM_FWLOG_PORT, 1, fwlog_io, NULL)) {
		vmctl_err("the PC's port map has a clash (a bug)");
		fclose(fwlog_file);
		fwlog_file = NULL;
		return -1;
	}
	return 0;
}

static bool fwlog_stop(struct vm *vm)
{
	(void)vm;
	if (fwlog_file)
		fclose(fwlog_file);
	fwlog_file = NULL;
	return true;
}

static const struct vm_device vm_fwlog = {
	.name = "firmware log",
	.init = fwlog_init,
	.stop = fwlog_stop,
};
VM_DEVICE(vm_fwlog);
