/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pieces every device model of vmctl plugs into: guest memory, the
 * port and MMIO buses, interrupt lines, MSI delivery and the clock.
 *
 * Locking: one machine lock (as QEMU's big lock) is held around every
 * call into a device: bus accesses from vCPU threads, timer callbacks
 * from the timer thread, console input.  Device models therefore keep no
 * locks of their own, and may call each other (a UART raising its IRQ
 * line, the IRQ router poking the I/O APIC) directly.
 *
 * Everything here is plain C without the module's ABI, so that device
 * models are unit-tested natively (tests/unit/) with a fake clock.
 */
#ifndef VMCTL_MACHINE_H
#define VMCTL_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Guest RAM as vmctl sees it: the VM fd mapped at @base, where offset ==
 * guest-physical address.  RAM is [0, @low_size) and, above 4 GiB,
 * [4 GiB, 4 GiB + @high_size); the hole below 4 GiB is for MMIO.
 */
struct guest_mem {
	uint8_t *base;
	uint64_t low_size;
	uint64_t high_size;
};

#define GUEST_MEM_HIGH_START	(1ULL << 32)

/*
 * A host pointer to [@gpa, @gpa + @len) when that range lies wholly in
 * guest RAM, else NULL.  The only way devices reach guest memory: every
 * address that comes from the guest goes through here, overflow-checked.
 */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/*
 * A bus access: @len is 1, 2, 4 or 8 bytes at @offset from the start of
 * the range the device registered; @data is little-endian.  For a read
 * the handler fills @data; a handler that does not implement a register
 * reads as zero and ignores writes (the bus has zeroed @data first).
 */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, void *data,
			      unsigned int len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn fn;
	void *opaque;
};

#define BUS_MAX_RANGES	64

struct bus {
	const char *name;		/* "port" or "mmio", for messages */
	unsigned int nr;
	struct bus_range ranges[BUS_MAX_RANGES];
};

/* Add a range; -1 when it overlaps another, is empty or the bus is full. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 bus_access_fn fn, void *opaque);
/* Move or remove (@len 0) the range registered with @opaque at @old_base. */
int bus_move(struct bus *bus, void *opaque, uint64_t old_base,
	     uint64_t new_base, uint64_t len);
/*
 * Dispatch an access.  An access that no range claims, or that crosses
 * the end of its range, reads as all ones and is dropped (as on a PC);
 * returns false for it so the caller can count or log it.
 */
bool bus_access(struct bus *bus, uint64_t addr, void *data,
		unsigned int len, bool is_write);

/*
 * An interrupt line from a device to the interrupt router (the PICs and
 * the I/O APIC).  @level 1 asserts, 0 deasserts; edge-triggered sources
 * pulse it.
 */
struct irq_line {
	void (*set)(void *opaque, unsigned int gsi, int level);
	void *opaque;
	unsigned int gsi;
};

static inline void irq_line_set(const struct irq_line *line, int level)
{
	if (line->set)
		line->set(line->opaque, line->gsi, level);
}

/* A message-signalled interrupt (PCI MSI/MSI-X) written by a device. */
struct msi_sink {
	void (*send)(void *opaque, uint64_t addr, uint32_t data);
	void *opaque;
};

/*
 * Time, in nanoseconds of CLOCK_MONOTONIC (a fake clock in unit tests).
 * Timers fire from the timer thread with the machine lock held; a timer
 * callback may re-arm its own timer.
 */
struct vm_timer;

struct vm_clock {
	uint64_t (*now)(struct vm_clock *clock);
	/* Called when the earliest deadline may have moved earlier. */
	void (*changed)(struct vm_clock *clock);
	struct vm_timer *timers;	/* armed ones, unordered */
	uint64_t fake_now;		/* for vm_clock_fake_now() */
};

struct vm_timer {
	struct vm_clock *clock;
	void (*fire)(void *opaque, uint64_t now);
	void *opaque;
	uint64_t deadline;
	bool armed;
	struct vm_timer *next;
};

void vm_timer_init(struct vm_timer *timer, struct vm_clock *clock,
		   void (*fire)(void *opaque, uint64_t now), void *opaque);
void vm_timer_arm(struct vm_timer *timer, uint64_t deadline);
void vm_timer_cancel(struct vm_timer *timer);
static inline uint64_t vm_clock_now(struct vm_clock *clock)
{
	return clock->now(clock);
}
/* Fire every timer due at @now; returns the next deadline or UINT64_MAX. */
uint64_t vm_clock_run(struct vm_clock *clock, uint64_t now);
/* The earliest armed deadline, UINT64_MAX when none is. */
uint64_t vm_clock_next(const struct vm_clock *clock);

/* A clock that only moves when told (unit tests). */
void vm_clock_init_fake(struct vm_clock *clock);
/* Set the fake time and fire what is due. */
void vm_clock_fake_advance(struct vm_clock *clock, uint64_t now);

#endif /* VMCTL_MACHINE_H */
