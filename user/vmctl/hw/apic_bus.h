/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The APIC bus: how interrupt messages travel between the local APICs
 * (one per vCPU), the I/O APIC and PCI MSI writes.  Messages carry 8-bit
 * xAPIC destinations, but the IPIs of a local APIC in x2APIC mode, which
 * carry 32-bit ones (SDM 11.12.10); the I/O APIC and MSI (without
 * interrupt remapping) have 8 bits only.
 *
 * The machine zeroes a struct apic_bus, fills in the callbacks and
 * @opaque, then calls lapic_init() for each vCPU and ioapic_init(); both
 * register themselves here.  Every callback may be NULL.  They are
 * called with the machine lock held, from inside the model calls listed
 * at each, and must not call back into the APIC models.
 */
#ifndef VMCTL_DEV_APIC_BUS_H
#define VMCTL_DEV_APIC_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_BUS_MAX_CPUS	64

/* Delivery modes of ICR, I/O APIC redirection entries and MSI data. */
#define APIC_DM_FIXED		0
#define APIC_DM_LOWEST		1
#define APIC_DM_SMI		2
#define APIC_DM_NMI		4
#define APIC_DM_INIT		5
#define APIC_DM_STARTUP		6
#define APIC_DM_EXTINT		7

/* Destination shorthands of the ICR. */
#define APIC_SH_NONE		0
#define APIC_SH_SELF		1
#define APIC_SH_ALL		2
#define APIC_SH_OTHERS		3

/* The xAPIC destination that every local APIC accepts. */
#define APIC_DEST_BROADCAST	0xff
/* The x2APIC one (SDM 11.12.10), in physical and logical mode alike. */
#define APIC_X2APIC_BROADCAST	0xffffffffu

/* MSI address and data layout (SDM vol. 3 section 11.11). */
#define MSI_ADDR_BASE		0xfee00000ULL
/* All 64 address bits are compared: 0x1_fee00000 is no MSI. */
#define MSI_ADDR_BASE_MASK	(~0xfffffULL)
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DEST_MASK	0xff
#define MSI_ADDR_DM_LOGICAL	(1u << 2)
#define MSI_DATA_VECTOR_MASK	0xff
#define MSI_DATA_DM_SHIFT	8
#define MSI_DATA_DM_MASK	0x7
#define MSI_DATA_TRIGGER_LEVEL	(1u << 15)

struct lapic;
struct ioapic;

struct apic_bus {
	struct lapic *lapics[APIC_BUS_MAX_CPUS];	/* by vCPU index */
	unsigned int nr_cpus;		/* highest registered index + 1 */
	struct ioapic *ioapic;		/* receives EOI broadcasts */
	/*
	 * The guest TSC's rate in kHz, for the LAPICs' TSC-deadline mode,
	 * which is offered only when it is known (not 0).
	 */
	uint32_t tsc_khz;

	/*
	 * vCPU @cpu has something new to act on: lapic_pending() >= 0, a
	 * pending NMI (lapic_take_nmi(), which wakes a vCPU halted with
	 * IF=0 too), the PIC's INTR on LINT0 (lapic_set_lint()), or just
	 * took INIT or STARTUP.
	 * The machine wakes the vCPU thread if halted, or makes it exit
	 * if it is running guest code, so that it injects.
	 */
	void (*kick)(void *opaque, unsigned int cpu);
	/*
	 * INIT reached vCPU @cpu: the model has already reset the local
	 * APIC (all but its ID) and put it in wait-for-SIPI; the machine
	 * resets the vCPU and parks it.
	 */
	void (*init)(void *opaque, unsigned int cpu);
	/*
	 * The first STARTUP IPI since INIT (or since power-up for vCPUs
	 * other than 0) reached @cpu: the machine starts it in real mode at
	 * CS = @vector << 8, IP = 0.  The model drops further SIPIs until
	 * the next INIT, as a CPU not in wait-for-SIPI ignores them.
	 */
	void (*sipi)(void *opaque, unsigned int cpu, uint8_t vector);
	void *opaque;
};

/*
 * Send one interrupt message: @dest is an xAPIC destination (the low 8
 * bits are used), physical (APIC ID, 0xff to all) or @logical (flat or
 * cluster per each target's DFR; 0xff to all).  @shorthand other than
 * APIC_SH_NONE replaces @dest, relative to @src_cpu (read only then).
 * Fixed and lowest-priority messages set IRR (and TMR when
 * @level_trigger) and kick; NMI, INIT and STARTUP act as described at
 * struct apic_bus.  SMI and ExtINT messages are dropped: there is no
 * SMM, and the PIC reaches the CPU through lapic_accepts_pic() instead.
 * Returns how many local APICs accepted the message (lapic_receive()):
 * a fixed one is refused by a software-disabled APIC and for a vector
 * 0-15, and the I/O APIC sets Remote IRR only for an accepted one.
 */
unsigned int apic_bus_deliver(struct apic_bus *bus, uint32_t dest,
			      bool logical, unsigned int delivery_mode,
			      uint8_t vector, bool level_trigger,
			      unsigned int shorthand, unsigned int src_cpu);

/*
 * The same for an IPI from a local APIC in x2APIC mode: @dest is 32 bits
 * wide, physical (x2APIC ID, 0xffffffff to all) or @logical (cluster in
 * 31:16, members in 15:0; 0xffffffff to all); see lapic_match_dest().
 */
unsigned int apic_bus_deliver_x2apic(struct apic_bus *bus, uint32_t dest,
				     bool logical, unsigned int delivery_mode,
				     uint8_t vector, bool level_trigger,
				     unsigned int shorthand,
				     unsigned int src_cpu);

/*
 * A PCI MSI/MSI-X write: decoded and delivered as above.  A write outside
 * 0xfee00000-0xfeefffff is not an interrupt and is dropped.
 */
void apic_bus_msi(struct apic_bus *bus, uint64_t addr, uint32_t data);

/*
 * A local APIC took an EOI for a level-triggered @vector: pass it on to
 * the I/O APIC, which re-delivers lines still asserted.
 */
void apic_bus_eoi(struct apic_bus *bus, uint8_t vector);

/*
 * The start of an MMIO access to either APIC model, whose registers are
 * 32 bits wide: @data is zeroed for a read (what no register fills reads
 * as 0), and false returned for another size.  A write's value is put
 * in *@val in host order.
 */
bool apic_mmio_start(void *data, unsigned int len, bool is_write,
		     uint32_t *val);

/* The end of a read: register value @val, in the guest's byte order. */
void apic_mmio_reply(void *data, uint32_t val);

#endif /* VMCTL_DEV_APIC_BUS_H */
