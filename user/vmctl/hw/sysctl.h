/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's small system ports, as far as a guest uses them to reset the
 * machine or, in tests, to end it: POST port 0x80, system control port A
 * (0x92), the reset control register (0xcf9), the keyboard controller
 * (0x60 and 0x64) and QEMU's isa-debug-exit.
 */
#ifndef VMCTL_DEV_SYSCTL_H
#define VMCTL_DEV_SYSCTL_H

#include <stdbool.h>
#include <stdint.h>

#define SYSCTL_PORT80		0x80	/* each of these one port long */
#define SYSCTL_PORT92		0x92
#define SYSCTL_CF9		0xcf9
#define SYSCTL_KBC_DATA		0x60
#define SYSCTL_KBC_CMD		0x64
/* Where QEMU tests usually put isa-debug-exit (iobase=0xf4,iosize=4). */
#define SYSCTL_DEBUG_EXIT_BASE	0xf4
#define SYSCTL_DEBUG_EXIT_LEN	4

/* FADT RESET_REG: a write of this value to SYSCTL_CF9. */
#define SYSCTL_CF9_RESET_VALUE	0x06

struct sysctl_ops {
	/* The guest asked for a reset (of the whole machine). */
	void (*reset)(void *opaque);
	/* The guest wrote @value to isa-debug-exit. */
	void (*debug_exit)(void *opaque, uint32_t value);
};

struct sysctl {
	const struct sysctl_ops *ops;
	void *opaque;
	uint8_t cf9;		/* the reset control bits that stay */
};

/* The exit status QEMU gives for isa-debug-exit @value. */
static inline uint32_t sysctl_debug_exit_status(uint32_t value)
{
	return value << 1 | 1;
}

/* Both ops are required; they are called from within the *_io calls. */
void sysctl_init(struct sysctl *s, const struct sysctl_ops *ops,
		 void *opaque);

/* bus_access_fns, one port each but debug exit; @opaque is the sysctl. */
void sysctl_port80_io(void *opaque, uint64_t offset, void *data,
		      unsigned int len, bool is_write);
void sysctl_port92_io(void *opaque, uint64_t offset, void *data,
		      unsigned int len, bool is_write);
void sysctl_cf9_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write);
void sysctl_kbc_data_io(void *opaque, uint64_t offset, void *data,
			unsigned int len, bool is_write);
void sysctl_kbc_cmd_io(void *opaque, uint64_t offset, void *data,
		       unsigned int len, bool is_write);
void sysctl_debug_exit_io(void *opaque, uint64_t offset, void *data,
			  unsigned int len, bool is_write);

#endif /* VMCTL_DEV_SYSCTL_H */
