// SPDX-License-Identifier: GPL-2.0
/* The APIC bus: destination decoding and MSI, between the APIC models. */
#include <endian.h>
#include <string.h>
#include "hw/apic_bus.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"

static bool apic_bus_targets(const struct lapic *l, unsigned int cpu,
			     uint32_t dest, bool logical, bool x2apic_dest,
			     unsigned int shorthand, unsigned int src_cpu)
{
	/* Disabled in IA32_APIC_BASE, an APIC is off the bus. */
	if (!lapic_hw_enabled(l))
		return false;
	switch (shorthand) {
	case APIC_SH_SELF:
		return cpu == src_cpu;
	case APIC_SH_ALL:
		return true;
	case APIC_SH_OTHERS:
		return cpu != src_cpu;
	default:
		return lapic_match_dest(l, dest, logical, x2apic_dest);
	}
}

static unsigned int apic_bus_send(struct apic_bus *bus, uint32_t dest,
				  bool logical, bool x2apic_dest,
				  unsigned int delivery_mode, uint8_t vector,
				  bool level_trigger, unsigned int shorthand,
				  unsigned int src_cpu)
{
	bool lowest = delivery_mode == APIC_DM_LOWEST;
	unsigned int cpu, accepted = 0;

	for (cpu = 0; cpu < bus->nr_cpus && cpu < APIC_BUS_MAX_CPUS; cpu++) {
		struct lapic *l = bus->lapics[cpu];

		if (!l || !apic_bus_targets(l, cpu, dest, logical, x2apic_dest,
					    shorthand, src_cpu))
			continue;
		/*
		 * Lowest priority goes to one APIC: the first that can take
		 * it, which the SDM allows (the choice is model-specific).
		 */
		if (lowest && !lapic_enabled(l))
			continue;
		if (lapic_receive(l, delivery_mode, vector, level_trigger))
			accepted++;
		if (lowest)
			break;
	}
	return accepted;
}

unsigned int apic_bus_deliver(struct apic_bus *bus, uint32_t dest,
			      bool logical, unsigned int delivery_mode,
			      uint8_t vector, bool level_trigger,
			      unsigned int shorthand, unsigned int src_cpu)
{
	return apic_bus_send(bus, dest & APIC_DEST_BROADCAST, logical, false,
			     delivery_mode, vector, level_trigger, shorthand,
			     src_cpu);
}

unsigned int apic_bus_deliver_x2apic(struct apic_bus *bus, uint32_t dest,
				     bool logical, unsigned int delivery_mode,
				     uint8_t vector, bool level_trigger,
				     unsigned int shorthand,
				     unsigned int src_cpu)
{
	return apic_bus_send(bus, dest, logical, true, delivery_mode, vector,
			     level_trigger, shorthand, src_cpu);
}

void apic_bus_msi(struct apic_bus *bus, uint64_t addr, uint32_t data)
{
	if ((addr & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE)
		return;
	/* The redirection hint (bit 3) only allows lowest priority: unused. */
	apic_bus_deliver(bus,
			 (addr >> MSI_ADDR_DEST_SHIFT) & MSI_ADDR_DEST_MASK,
			 addr & MSI_ADDR_DM_LOGICAL,
			 (data >> MSI_DATA_DM_SHIFT) & MSI_DATA_DM_MASK,
			 data & MSI_DATA_VECTOR_MASK,
			 data & MSI_DATA_TRIGGER_LEVEL, APIC_SH_NONE, 0);
}

void apic_bus_eoi(struct apic_bus *bus, uint8_t vector)
{
	if (bus->ioapic)
		ioapic_eoi(bus->ioapic, vector);
}

bool apic_mmio_start(void *data, unsigned int len, bool is_write,
		     uint32_t *val)
{
	if (!is_write)
		memset(data, 0, len);
	if (len != sizeof(*val))
		return false;
	if (is_write) {
		memcpy(val, data, sizeof(*val));
		*val = le32toh(*val);
	}
	return true;
}

void apic_mmio_reply(void *data, uint32_t val)
{
	val = htole32(val);
	memcpy(data, &val, sizeof(val));
}
