// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the PC's legacy devices as one machine: the
 * PICs and ELCR, the PIT and port 0x61, the RTC, COM1, ACPI PM, the
 * system control ports and the PCI host bridge's ports (0xcf9 is the
 * reset register), on one port bus with a fake clock.  They are wired
 * here as vm/board.c wires them, without vm.h: no threads, no vmmon,
 * and time that moves only when the input says so.
 *
 * The input is a script of 8-byte ops, each a port access of 1, 2 or 4
 * bytes (a write or a read), a clock advance, host input to COM1 (what
 * it cannot take is held back and offered again when it says it has
 * room, as the console does), an ISA IRQ line driven from outside (PCI
 * INTx), a press of the ACPI power button, the CPU's interrupt
 * acknowledge cycle, or up to 255 repeats of the last port access (as a
 * guest's loop would).  Port accesses name a device range by index, so
 * the fuzzer need not guess port numbers, or any 16-bit port.
 *
 * Besides ASan and UBSan, the harness checks that each op does bounded
 * work, that the INTR pin the CPU was told of is the PIC's, that the
 * PIC offers only vectors the guest programmed, that COM1 takes no
 * more input than it said it had room for, that the SCI is up exactly
 * while the power button event is both set and enabled, and that the PM
 * timer counts with the clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hw/acpi_pm.h"
#include "pci/pci.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "hw/rtc.h"
#include "hw/sysctl.h"
#include "hw/uart.h"

#define NSEC_PER_SEC	1000000000ULL
/* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN (ACPI 6.5 4.8.3.1). */
#define ACPI_PM1_PWRBTN	0x0100
/* Any fixed date: the RTC runs from it with the fake clock. */
#define RTC_EPOCH	1796083200	/* 2026-12-01 00:00:00 UTC */
#define ISA_IRQS	16
#define SCI_IRQ		9	/* as vm/board.c and the FADT have it */
#define HELD_MAX	64	/* host input COM1 could not take yet */
#define MAX_OPS		1024
/*
 * Timer deadlines an advance steps through before it jumps to its end,
 * as a timer thread running late would.
 */
#define ADVANCE_STEPS	16
/* Callbacks one op may cause: a 4-byte access touches 4 registers. */
#define WORK_MAX	32

/*
 * A guest loops over a port longer than an input can spell out (the
 * RTC's date walked back by month 0 writes, review vmctl.md #12).  Kind
 * 15 only: repeats cost time, and most scripts need none.
 */
#define REPEAT_MAX	255

enum { OP_OUT, OP_IN, OP_ADVANCE, OP_INTA, OP_RX, OP_IRQ, OP_BUTTON,
       NR_OPS, OP_REPEAT = 15 };

struct op {
	uint8_t kind;		/* OP_* in bits 0-3, width in bits 4-5 */
	uint8_t target;		/* a range below, or any port */
	uint16_t port;		/* offset in the range, or the port */
	uint32_t value;
} __attribute__((packed));

static struct {
	struct vm_clock clock;
	struct bus port, mmio;
	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct uart uart;
	struct acpi_pm pm;
	struct sysctl sysctl;
	struct pci_bus pci;

	bool intr;		/* what the PIC last told the CPU */
	bool sci;
	uint8_t held[HELD_MAX];
	size_t nr_held;
	unsigned int work;	/* callbacks during this op */
	unsigned int irq0_edges;
	/* Per PIC (master, slave): its ICW2 base as the guest set it. */
	struct {
		uint8_t base;
		bool icw2_next;
	} shadow[2];
} f;

struct range {
	uint16_t base, len;
	bus_access_fn fn;	/* NULL: registered by pci_bus_init() */
	void *opaque;
};

static const struct range ranges[] = {
	{ PIC_MASTER_BASE, PIC_IO_LEN, pic_master_io, &f.pic },
	{ PIC_SLAVE_BASE, PIC_IO_LEN, pic_slave_io, &f.pic },
	{ PIC_ELCR_BASE, PIC_IO_LEN, pic_elcr_io, &f.pic },
	{ PIT_BASE, PIT_LEN, pit_io, &f.pit },
	{ PIT_PORT61, PIT_PORT61_LEN, pit_port61_io, &f.pit },
	{ RTC_BASE, RTC_LEN, rtc_io, &f.rtc },
	{ UART_COM1_BASE, UART_LEN, uart_io, &f.uart },
	{ ACPI_PM_BASE, ACPI_PM_LEN, acpi_pm_io, &f.pm },
	{ SYSCTL_PORT80, 1, sysctl_port80_io, &f.sysctl },
	{ SYSCTL_PORT92, 1, sysctl_port92_io, &f.sysctl },
	{ SYSCTL_KBC_DATA, 1, sysctl_kbc_data_io, &f.sysctl },
	{ SYSCTL_KBC_CMD, 1, sysctl_kbc_cmd_io, &f.sysctl },
	{ SYSCTL_DEBUG_EXIT_BASE, SYSCTL_DEBUG_EXIT_LEN,
	  sysctl_debug_exit_io, &f.sysctl },
	{ PCI_CONFIG_ADDRESS_PORT, 4, NULL, NULL },
	{ PCI_CONFIG_DATA_PORT, 4, NULL, NULL },
};

#define NR_RANGES	(sizeof(ranges) / sizeof(ranges[0]))

#define BROKEN(what) do { \
	fprintf(stderr, "fuzz_legacy: broken invariant: %s\n", what); \
	abort(); \
} while (0)

static void work(void)
{
	if (++f.work > WORK_MAX)
		BROKEN("one op did unbounded work");
}

static void irq_set(void *opaque, unsigned int gsi, int level)
{
	(void)opaque;
	work();
	if (gsi == PIT_IRQ && level)
		f.irq0_edges++;
	if (gsi == SCI_IRQ)
		f.sci = level;
	pic_set_irq(&f.pic, gsi, level);
}

static void pic_out(void *opaque, int level)
{
	(void)opaque;
	work();
	f.intr = level;
}

static void uart_tx(void *opaque, uint8_t byte)
{
	(void)opaque;
	(void)byte;
	work();
}

/* The machine would end; the devices must stay sane meanwhile. */
static void ended(void *opaque)
{
	(void)opaque;
	work();
}

static void debug_exit(void *opaque, uint32_t value)
{
	(void)value;
	ended(opaque);
}

static const struct sysctl_ops sysctl_ops = {
	.reset = ended,
	.debug_exit = debug_exit,
};

/* Offer what was held back; from within uart_io(), as vm/console.c. */
static void uart_room(void *opaque)
{
	size_t took;

	(void)opaque;
	work();
	if (!uart_rx_space(&f.uart))
		BROKEN("COM1 said it had room and had none");
	took = uart_receive(&f.uart, f.held, f.nr_held);
	if (took > f.nr_held)
		BROKEN("COM1 took more input than it was given");
	memmove(f.held, f.held + took, f.nr_held - took);
	f.nr_held -= took;
}

static time_t rtc_now(void)
{
	return RTC_EPOCH + f.clock.fake_now / NSEC_PER_SEC;
}

static struct irq_line isa_irq(unsigned int gsi)
{
	return (struct irq_line){ .set = irq_set, .gsi = gsi };
}

static void machine_init(void)
{
	unsigned int i;

	memset(&f, 0, sizeof(f));
	vm_clock_init_fake(&f.clock);
	pic_init(&f.pic, pic_out, NULL);
	pit_init(&f.pit, &f.clock, isa_irq(PIT_IRQ));
	rtc_init(&f.rtc, rtc_now);
	rtc_set_mem_size(&f.rtc, 512ULL << 20, 0);
	uart_init(&f.uart, isa_irq(UART_COM1_IRQ), uart_tx, NULL);
	uart_set_rx_room(&f.uart, uart_room, NULL);
	acpi_pm_init(&f.pm, &f.clock, ended, NULL);
	acpi_pm_set_sci(&f.pm, isa_irq(SCI_IRQ));
	sysctl_init(&f.sysctl, &sysctl_ops, NULL);
	for (i = 0; i < NR_RANGES; i++)
		if (ranges[i].fn &&
		    bus_register(&f.port, ranges[i].base, ranges[i].len,
				 ranges[i].fn, ranges[i].opaque))
			abort();
	if (pci_bus_init(&f.pci, &f.port, &f.mmio, 0xe0000000, 0xfec00000,
			 0xc000, 0x10000))
		abort();
	f.pci.reset_control = sysctl_cf9_io;
	f.pci.reset_opaque = &f.sysctl;
}

/*
 * Follow the 8259A's init sequence in the guest's writes: the data-port
 * byte after an ICW1 is ICW2, the vector base; ICW1 itself leaves the
 * chip with base 0 (its power-up state) until then.
 */
static void shadow_pic_byte(uint16_t port, uint8_t v)
{
	unsigned int chip = port >= PIC_SLAVE_BASE;

	if (port == PIC_MASTER_BASE || port == PIC_SLAVE_BASE) {
		if (v & 0x10) {
			f.shadow[chip].base = 0;
			f.shadow[chip].icw2_next = true;
		}
	} else if (port == PIC_MASTER_BASE + 1 || port == PIC_SLAVE_BASE + 1) {
		if (f.shadow[chip].icw2_next)
			f.shadow[chip].base = v & 0xf8;
		f.shadow[chip].icw2_next = false;
	}
}

/* The bus hands a device the bytes of an access that fits its range. */
static void shadow_write(uint16_t port, const uint8_t *bytes, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		uint16_t base = i ? PIC_SLAVE_BASE : PIC_MASTER_BASE;
		unsigned int b;

		if (port < base || port - base + len > PIC_IO_LEN)
			continue;
		for (b = 0; b < len; b++)
			shadow_pic_byte(port + b, bytes[b]);
	}
}

static uint64_t pm_timer_expected(void)
{
	return (unsigned __int128)f.clock.fake_now * ACPI_PM_TMR_HZ /
	       NSEC_PER_SEC & ((1u << ACPI_PM_TMR_BITS) - 1);
}

static void port_access(const struct op *op, bool is_write)
{
	static const unsigned int widths[] = { 1, 2, 4, 1 };
	unsigned int idx = op->target % (NR_RANGES + 1);
	unsigned int len = widths[(op->kind >> 4) & 3];
	uint16_t port = op->port;
	uint8_t data[4];

	if (idx < NR_RANGES)
		port = ranges[idx].base + op->port % (ranges[idx].len + 1);
	memcpy(data, &op->value, sizeof(data));
	if (is_write)
		shadow_write(port, data, len);
	bus_access(&f.port, port, data, len, is_write);
	if (!is_write && port == ACPI_PM_TMR_PORT && len == 4) {
		uint32_t v;

		memcpy(&v, data, 4);
		if (v != pm_timer_expected())
			BROKEN("the PM timer does not count with the clock");
	}
}

/*
 * The timer thread fires what is due at each deadline on the way, the
 * PIT's channel 0 at most once per run (it merges closer edges).
 */
static void advance(const struct op *op)
{
	uint64_t end = f.clock.fake_now + ((uint64_t)op->value <<
					   (op->target & 15));
	uint64_t next = vm_clock_run(&f.clock, f.clock.fake_now);
	unsigned int step;

	for (step = 0; step <= ADVANCE_STEPS; step++) {
		if (step == ADVANCE_STEPS || next > end)
			next = end;
		f.clock.fake_now = next;
		f.irq0_edges = 0;
		f.work = 0;
		next = vm_clock_run(&f.clock, next);
		if (f.irq0_edges > 1)
			BROKEN("the PIT pulsed IRQ 0 twice in one timer run");
		if (f.clock.fake_now == end)
			break;
	}
}

/* As a vCPU does: acknowledge only when INTR is up. */
static void inta(void)
{
	int vector;

	if (!pic_output(&f.pic))
		return;
	vector = pic_acknowledge(&f.pic);
	if (vector < 0 || vector > 0xff ||
	    ((vector & 0xf8) != f.shadow[0].base &&
	     (vector & 0xf8) != f.shadow[1].base))
		BROKEN("the PIC offered a vector the guest did not program");
}

static void host_input(const struct op *op)
{
	size_t len = op->target % (UART_FIFO_SIZE + 2);
	uint8_t buf[UART_FIFO_SIZE + 1];
	size_t room = uart_rx_space(&f.uart), i, took;

	for (i = 0; i < len; i++)
		buf[i] = op->value >> (i % 4 * 8);
	took = uart_receive(&f.uart, buf, len);
	if (took > len || took > room)
		BROKEN("COM1 took more input than it had room for");
	for (i = took; i < len && f.nr_held < HELD_MAX; i++)
		f.held[f.nr_held++] = buf[i];
}

/* PM1_STS and PM1_EN, read as the guest would (reads change nothing). */
static void check_sci(void)
{
	uint32_t pm1;

	bus_access(&f.port, ACPI_PM1_EVT_PORT, &pm1, 4, false);
	if (f.sci != !!(pm1 & pm1 >> 16 & ACPI_PM1_PWRBTN))
		BROKEN("the SCI is not the power button's enabled status");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i, r, n = size / sizeof(struct op);
	struct op last = { .kind = OP_IN };

	machine_init();
	for (i = 0; i < n && i < MAX_OPS; i++) {
		struct op op;

		memcpy(&op, data + i * sizeof(op), sizeof(op));
		f.work = 0;
		switch ((op.kind & 0xf) == OP_REPEAT ? OP_REPEAT :
			(op.kind & 0xf) % NR_OPS) {
		case OP_OUT:
			port_access(&op, true);
			last = op;
			break;
		case OP_IN:
			port_access(&op, false);
			last = op;
			break;
		case OP_REPEAT:
			for (r = 0; r < op.value % (REPEAT_MAX + 1); r++) {
				f.work = 0;
				port_access(&last, (last.kind & 0xf) %
						    NR_OPS == OP_OUT);
			}
			break;
		case OP_ADVANCE:
			advance(&op);
			break;
		case OP_INTA:
			inta();
			break;
		case OP_RX:
			host_input(&op);
			break;
		case OP_IRQ:
			/* Lines no device here drives: PCI INTx, others. */
			if (op.target % ISA_IRQS != PIT_IRQ &&
			    op.target % ISA_IRQS != UART_COM1_IRQ &&
			    op.target % ISA_IRQS != SCI_IRQ)
				irq_set(NULL, op.target % ISA_IRQS,
					op.value & 1);
			break;
		case OP_BUTTON:
			acpi_pm_power_button(&f.pm);
			break;
		}
		if (f.intr != pic_output(&f.pic))
			BROKEN("the CPU's INTR pin is not the PIC's output");
		check_sci();
	}
	return 0;
}
