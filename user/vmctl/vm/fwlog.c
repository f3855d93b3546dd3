// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware's debug port (0x402, QEMU's isa-debugcon), present when
 * vmctl boots through firmware.  SeaBIOS writes its log there a byte at
 * a time once the port reads back 0xe9.  vmctl reads that log for one
 * line: SeaBIOS's "No bootable device", after which it would reset and
 * try the same disks again for ever; vmctl ends instead, with status
 * VM_END_NO_BOOT, so that `vmctl run disk.img` on a disk nothing can boot
 * is not a hang.  --firmware-log FILE also copies the log to FILE (from
 * the first boot on; a reboot appends).  A firmware that writes no such
 * line (or no log) is reset as any guest, 1 s after SeaBIOS gives up
 * (etc/boot-fail-wait, boot/firmware.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "vm/device.h"
#include "vm/vm.h"
#include "vmctl.h"

/* What a read gives: SeaBIOS logs only when it reads this back. */
#define FWLOG_READBACK		0xe9
/* SeaBIOS's boot_fail(): the line that starts its endless retry. */
#define FWLOG_NO_BOOT		"No bootable device"
#define FWLOG_LINE_MAX		(sizeof(FWLOG_NO_BOOT) - 1)

static struct {
	FILE *file;			/* --firmware-log, or NULL */
	char line[FWLOG_LINE_MAX];	/* the current line's start */
	size_t len;			/* its length so far, capped */
} fwlog;

/*
 * One byte of the log: the line's start kept and compared; a line that
 * says the firmware gives up ends the VM at its end, when the console
 * (sercon writes each character after the debug port) has it whole.
 */
static void fwlog_byte(struct vm *vm, uint8_t c)
{
	if (fwlog.file)
		fputc(c, fwlog.file);
	if (c == '\n') {
		if (fwlog.len == FWLOG_LINE_MAX &&
		    !memcmp(fwlog.line, FWLOG_NO_BOOT, FWLOG_LINE_MAX)) {
			vmctl_err("the firmware found nothing to boot");
			vm_request_end(vm, VM_END_NO_BOOT, 0);
		}
		fwlog.len = 0;
		return;
	}
	if (fwlog.len < FWLOG_LINE_MAX)
		fwlog.line[fwlog.len++] = c;
}

static void fwlog_io(void *opaque, uint64_t offset, void *data,
		     unsigned int len, bool is_write)
{
	if (offset || len != 1)
		return;
	if (is_write)
		fwlog_byte(opaque, *(uint8_t *)data);
	else
		*(uint8_t *)data = FWLOG_READBACK;
}

static bool fwlog_stop(struct vm *vm)
{
	(void)vm;
	if (fwlog.file)
		fclose(fwlog.file);
	fwlog.file = NULL;
	return true;
}

static int fwlog_init(struct vm *vm)
{
	const char *path = vm->opts->firmware_log;

	if (!vm->opts->firmware_size)
		return 0;
	fwlog.len = 0;
	if (path) {
		fwlog.file = fopen(path, vm->reboots ? "ae" : "we");
		if (!fwlog.file) {
			vmctl_err("cannot write the firmware's log to %s: %s",
				  path, strerror(errno));
			return -1;
		}
		/* Line by line: a vmctl killed mid-boot leaves the log so far. */
		setvbuf(fwlog.file, NULL, _IOLBF, 0);
	}
	if (bus_register(&vm->pio, VM_FWLOG_PORT, 1, fwlog_io, vm)) {
		vmctl_err("the PC's port map has a clash (a bug)");
		fwlog_stop(vm);
		return -1;
	}
	return 0;
}

static const struct vm_device vm_fwlog = {
	.name = "firmware debug port",
	.init = fwlog_init,
	.stop = fwlog_stop,
};
VM_DEVICE(vm_fwlog);
