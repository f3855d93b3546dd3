/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test guests: a VM with RAM at guest-physical 0, one vCPU in real mode
 * at CS:IP 0:VMMON_GUEST_CODE, and machine code copied there.
 */
#ifndef VMMON_GUEST_H
#define VMMON_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <uapi/vmmon.h>

#define VMMON_GUEST_CODE	0x1000

struct vmmon_guest {
	int vm, vcpu;
	uint8_t *ram;		/* all of guest RAM, mapped */
	size_t ram_size;
	struct vmmon_run *run;
};

int vmmon_guest_create(struct vmmon_guest *g, int devfd, size_t ram_size,
		       const uint8_t *code, size_t len);
void vmmon_guest_destroy(struct vmmon_guest *g);
int vmmon_guest_run(struct vmmon_guest *g);

#endif /* VMMON_GUEST_H */
