// SPDX-License-Identifier: GPL-2.0
/* Port and MMIO dispatch, and the one gate to guest RAM. */
#include <string.h>
#include "machine/machine.h"

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (end < gpa)
		return NULL;
	if (end <= mem->low_size)
		return mem->base + gpa;
	if (gpa >= GUEST_MEM_HIGH_START &&
	    end - GUEST_MEM_HIGH_START <= mem->high_size)
		return mem->base + gpa;
	return NULL;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int bus_overlaps(const struct bus *bus, uint64_t base, uint64_t len,
			const struct bus_range *skip)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++)
		if (&bus->ranges[i] != skip &&
		    ranges_overlap(base, len, bus->ranges[i].base,
				   bus->ranges[i].len))
			return 1;
	return 0;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 bus_access_fn fn, void *opaque)
{
	struct bus_range *r;

	if (!len || base + len < base || bus->nr == BUS_MAX_RANGES ||
	    bus_overlaps(bus, base, len, NULL))
		return -1;
	r = &bus->ranges[bus->nr++];
	r->base = base;
	r->len = len;
	r->fn = fn;
	r->opaque = opaque;
	return 0;
}

int bus_move(struct bus *bus, void *opaque, uint64_t old_base,
	     uint64_t new_base, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (r->opaque != opaque || r->base != old_base)
			continue;
		if (!len) {
			*r = bus->ranges[--bus->nr];
			return 0;
		}
		if (new_base + len < new_base ||
		    bus_overlaps(bus, new_base, len, r))
			return -1;
		r->base = new_base;
		r->len = len;
		return 0;
	}
	return -1;
}

bool bus_access(struct bus *bus, uint64_t addr, void *data,
		unsigned int len, bool is_write)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (addr < r->base || addr - r->base >= r->len)
			continue;
		if (len > r->len - (addr - r->base))
			break;
		if (!is_write)
			memset(data, 0, len);
		r->fn(r->opaque, addr - r->base, data, len, is_write);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}
