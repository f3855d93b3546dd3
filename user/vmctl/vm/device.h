/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Devices the board does not name.  The PC's fixed chipset (PICs, PIT,
 * RTC, COM1, ACPI PM, the APICs, the PCI host bridge) is wired by
 * board.c; every other device is a file in vm/ that describes itself
 * with VM_DEVICE() and is found by the board in the vm_devices section,
 * as kvmtool's device_init() does.  Adding one is a new file: no edit
 * of board.c or of struct vm (one machine per vmctl process: its state
 * can live in its file).  The disks (disks.c) are the first.
 */
#ifndef VMCTL_VM_DEVICE_H
#define VMCTL_VM_DEVICE_H

#include <stdbool.h>

struct vm;

struct vm_device {
	const char *name;
	/* After the fixed devices and the PCI bus; lock not held. */
	int (*init)(struct vm *vm);
	/* Its threads, after the kernel is loaded (or NULL). */
	int (*start)(struct vm *vm);
	/*
	 * Stop its threads, lock not held (or NULL); false when one cannot
	 * be stopped (then the machine must stay as it is until exit).
	 */
	bool (*stop)(struct vm *vm);
};

/* A sanity bound on the section's size, checked at start. */
#define VM_DEVICES_MAX		32

#define VM_DEVICE(dev)							\
	static const struct vm_device *const vm_device_##dev		\
	__attribute__((section("vm_devices"), used)) = &(dev)

#endif /* VMCTL_VM_DEVICE_H */
