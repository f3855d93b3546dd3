// SPDX-License-Identifier: GPL-2.0
/*
 * System ports for reset and exit.  The keyboard controller is modelled
 * only as far as its reset command: it never has data, and its input
 * buffer is always empty, so Linux's reboot code can send 0xfe (its
 * i8042 driver finds no working controller and leaves it alone).
 */
#include "hw/sysctl.h"

#define P92_FAST_RESET	0x01
#define P92_A20		0x02	/* A20 is never masked: reads 1 */

#define CF9_SYS_RST	0x02	/* reset the whole system, not just CPUs */
#define CF9_RST_CPU	0x04	/* the reset happens on this bit */
#define CF9_FULL_RST	0x08	/* cycle power as well */
#define CF9_STORED	(CF9_SYS_RST | CF9_FULL_RST)

#define KBC_CMD_RESET	0xfe	/* pulse the reset line */
#define KBC_CMD_MASK	0xff	/* a command is the whole byte */
#define KBC_STATUS_IDLE	0x00	/* no output, input buffer empty */
#define KBC_DATA_NONE	0x00

#define BYTE_BITS	8

/* Each is one port: only an access at offset 0 reaches it. */
static bool sysctl_port_access(uint64_t offset, unsigned int len)
{
	return offset == 0 && len >= 1;
}

/* Written for delays and POST codes; nothing to show them on. */
void sysctl_port80_io(void *opaque, uint64_t offset, void *data,
		      unsigned int len, bool is_write)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
	(void)is_write;
}

/*
 * A port that reads @value and resets the machine on a write whose bits
 * in @mask are @match.
 */
static void sysctl_reset_port_io(struct sysctl *s, uint64_t offset,
				 uint8_t *byte, unsigned int len,
				 bool is_write, uint8_t value, uint8_t mask,
				 uint8_t match)
{
	if (!sysctl_port_access(offset, len))
		return;
	if (!is_write)
		*byte = value;
	else if ((*byte & mask) == match)
		s->ops->reset(s->opaque);
}

void sysctl_port92_io(void *opaque, uint64_t offset, void *data,
		      unsigned int len, bool is_write)
{
	sysctl_reset_port_io(opaque, offset, data, len, is_write, P92_A20,
			     P92_FAST_RESET, P92_FAST_RESET);
}

void sysctl_cf9_io(void *opaque, uint64_t offset, void *data,
		   unsigned int len, bool is_write)
{
	struct sysctl *s = opaque;
	uint8_t *byte = data;

	if (!sysctl_port_access(offset, len))
		return;
	if (!is_write) {
		*byte = s->cf9;
		return;
	}
	s->cf9 = *byte & CF9_STORED;
	if (*byte & CF9_RST_CPU)
		s->ops->reset(s->opaque);
}

/* Reads 0, no data ever; writes (keyboard commands) are dropped. */
void sysctl_kbc_data_io(void *opaque, uint64_t offset, void *data,
			unsigned int len, bool is_write)
{
	uint8_t *byte = data;

	(void)opaque;
	if (sysctl_port_access(offset, len) && !is_write)
		*byte = KBC_DATA_NONE;
}

void sysctl_kbc_cmd_io(void *opaque, uint64_t offset, void *data,
		       unsigned int len, bool is_write)
{
	sysctl_reset_port_io(opaque, offset, data, len, is_write,
			     KBC_STATUS_IDLE, KBC_CMD_MASK, KBC_CMD_RESET);
}

/* Any write of 1, 2 or 4 bytes ends the VM with its value. */
void sysctl_debug_exit_io(void *opaque, uint64_t offset, void *data,
			  unsigned int len, bool is_write)
{
	struct sysctl *s = opaque;
	const uint8_t *bytes = data;
	uint32_t value = 0;
	unsigned int i;

	(void)offset;
	if (!is_write || (len != 1 && len != 2 && len != 4))
		return;
	for (i = 0; i < len; i++)
		value |= (uint32_t)bytes[i] << (i * BYTE_BITS);
	s->ops->debug_exit(s->opaque, value);
}

void sysctl_init(struct sysctl *s, const struct sysctl_ops *ops,
		 void *opaque)
{
	*s = (struct sysctl) { .ops = ops, .opaque = opaque };
}
