// SPDX-License-Identifier: GPL-2.0
/*
 * The PC around the vCPUs: which device sits at which port and address,
 * how interrupt lines reach the PICs and the I/O APIC, how the machine
 * wakes vCPUs, pauses, and how the VM ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "vm/device.h"
#include "vm/vm.h"
#include "vmctl.h"

#define PCI_IO_START		0xc000
#define PCI_IO_END		0x10000
#define PORT_POST		0x80
#define PORT_A20		0x92
#define PORT_RTC		0x70
#define PORT_PIT		0x40
#define PORT_SPEAKER		0x61
#define PORT_PIC_MASTER		0x20
#define PORT_PIC_SLAVE		0xa0
#define PORT_ELCR		0x4d0
#define ISA_IRQ_PIT		0
#define IOAPIC_PIN_PIT		2	/* the MADT's interrupt source override */
#define ISA_IRQS		16
#define PCI_CONF1_PORT		0xcf8	/* CONFIG_ADDRESS, CONFIG_DATA */
#define PCI_CONF1_LEN		8
#define NSEC_PER_SEC		1000000000ULL

void vm_wake_loop(struct vm *vm)
{
	uint64_t one = 1;
	/* Only a counter at its maximum refuses, and it is readable then. */
	ssize_t r = write(vm->wake_fd, &one, sizeof(one));

	(void)r;
}

void vm_request_end(struct vm *vm, enum vm_end end, int detail)
{
	unsigned int i;

	if (vm->end != VM_END_NONE)
		return;
	vm->end = end;
	vm->end_detail = detail;
	for (i = 0; i < vm->nr_vcpus; i++)
		vm_kick(vm, i);
	pthread_cond_broadcast(&vm->resume);
	vm_wake_loop(vm);
}

static void vm_shutdown_timeout(void *opaque, uint64_t now)
{
	struct vm *vm = opaque;

	(void)now;
	vmctl_err("the guest did not power off within %u s of the power button: stopping it",
		  vm->opts->shutdown_timeout);
	vm_request_end(vm, vm->shutdown_end, vm->shutdown_detail);
}

void vm_request_shutdown(struct vm *vm, enum vm_end end, int detail)
{
	if (vm->end != VM_END_NONE)
		return;
	if (vm->shutdown_pending || vm->paused ||
	    !vm->opts->shutdown_timeout) {
		vm_request_end(vm, end, detail);
		return;
	}
	if (!acpi_pm_power_button(&vm->acpi_pm)) {
		vmctl_err("the guest does not listen to the power button (no ACPI driver yet): stopping it");
		vm_request_end(vm, end, detail);
		return;
	}
	vm->shutdown_pending = true;
	vm->shutdown_end = end;
	vm->shutdown_detail = detail;
	vm_timer_arm(&vm->shutdown_timer, vm_clock_now(&vm->clock) +
		     vm->opts->shutdown_timeout * NSEC_PER_SEC);
	vmctl_err("pressed the guest's power button; it has %u s to power off (once more: stop it now)",
		  vm->opts->shutdown_timeout);
}

void vm_pause(struct vm *vm)
{
	unsigned int i;

	if (vm->paused)
		return;
	vm->paused = true;
	for (i = 0; i < vm->nr_vcpus; i++)
		vm_kick(vm, i);
}

void vm_resume(struct vm *vm)
{
	unsigned int i;

	if (!vm->paused)
		return;
	vm->paused = false;
	pthread_cond_broadcast(&vm->resume);
	for (i = 0; i < vm->nr_vcpus; i++)
		vm_kick(vm, i);
}

void vm_kick(struct vm *vm, unsigned int cpu)
{
	struct vcpu *v;

	if (cpu >= vm->nr_vcpus)
		return;
	v = &vm->vcpus[cpu];
	pthread_cond_signal(&v->wake);
	if (v->in_run)
		pthread_kill(v->thread, SIGUSR1);
}

/* ISA IRQs reach both PICs and the I/O APIC; PCI ones only the latter. */
static void vm_irq_set(void *opaque, unsigned int gsi, int level)
{
	struct vm *vm = opaque;

	if (gsi < ISA_IRQS)
		pic_set_irq(&vm->pic, gsi, level);
	ioapic_set_irq(&vm->ioapic, gsi == ISA_IRQ_PIT ? IOAPIC_PIN_PIT : gsi,
		       level);
}

struct irq_line vm_irq_line(struct vm *vm, unsigned int gsi)
{
	return (struct irq_line){ .set = vm_irq_set, .opaque = vm, .gsi = gsi };
}

/*
 * --test-irqs, as QEMU's pc-testdev: a write of V to VM_TEST_IRQ_PORT + N
 * sets interrupt line N to V != 0, so that a conformance guest (kvm-unit-
 * tests' ioapic test, vmctl_run's apic guest) drives edge and level
 * interrupts itself.  Reads give 0.
 */
static void vm_test_irq_io(void *opaque, uint64_t offset, void *data,
			   unsigned int len, bool is_write)
{
	const uint8_t *bytes = data;
	int level = 0;
	unsigned int i;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	for (i = 0; i < len; i++)
		level |= bytes[i] != 0;
	vm_irq_set(opaque, offset, level);
}

/*
 * The PIC's INTR pin is vCPU 0's LINT0, delivered as its LVT entry says:
 * ExtINT (or the APIC disabled) kicks the vCPU, which takes the vector
 * from the PIC; fixed and NMI entries deliver through the LAPIC.
 */
static void vm_pic_output(void *opaque, int level)
{
	struct vm *vm = opaque;

	/* Not before vm_apics() made the LAPIC (the PIC is made first). */
	if (vm->apic_bus.lapics[0])
		lapic_set_lint(vm->apic_bus.lapics[0], LVT_LINT0, level);
}

static void vm_apic_kick(void *opaque, unsigned int cpu)
{
	vm_kick(opaque, cpu);
}

static void vm_apic_init(void *opaque, unsigned int cpu)
{
	struct vm *vm = opaque;

	if (cpu >= vm->nr_vcpus)
		return;
	/*
	 * INIT software-disables the APIC, and lapic_reset() then clears
	 * IRR: the module must stop putting IPIs in it first, not when the
	 * vCPU's RUN returns (see VMMON_APIC_IPI_IN_KERNEL).
	 */
	if (vm->vcpus[cpu].run)
		__atomic_fetch_and(&vm->vcpus[cpu].run->apic.flags,
				   ~VMMON_APIC_IPI_IN_KERNEL, __ATOMIC_SEQ_CST);
	vm->vcpus[cpu].state = VCPU_WAIT_SIPI;
	vm->vcpus[cpu].sipi_pending = false;
	vm_kick(vm, cpu);
}

static void vm_apic_sipi(void *opaque, unsigned int cpu, uint8_t vector)
{
	struct vm *vm = opaque;

	if (cpu >= vm->nr_vcpus)
		return;
	vm->vcpus[cpu].sipi_pending = true;
	vm->vcpus[cpu].sipi_vector = vector;
	vm_kick(vm, cpu);
}

static void vm_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;

	apic_bus_msi(&vm->apic_bus, addr, data);
}

struct msi_sink vm_msi_sink(struct vm *vm)
{
	return (struct msi_sink){ .send = vm_msi, .opaque = vm };
}

static void vm_poweroff(void *opaque)
{
	vm_request_end(opaque, VM_END_POWEROFF, 0);
}

static void vm_reset(void *opaque)
{
	vm_request_end(opaque, VM_END_RESET, 0);
}

static void vm_debug_exit(void *opaque, uint32_t value)
{
	vm_request_end(opaque, VM_END_DEBUG_EXIT, value);
}

static const struct sysctl_ops vm_sysctl_ops = {
	.reset = vm_reset,
	.debug_exit = vm_debug_exit,
};

static uint64_t vm_monotonic_ns(struct vm_clock *clock)
{
	struct timespec ts;

	(void)clock;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void vm_clock_changed(struct vm_clock *clock)
{
	vm_timer_update((struct vm *)((char *)clock -
				      offsetof(struct vm, clock)));
}

/*
 * The PC's fixed ports: where each legacy device sits, its struct in
 * struct vm.  Also what a --debug-exit port must not overlap, checked
 * before anything is set up (vm_port_owner()).
 */
struct vm_port_range {
	uint16_t base, len;
	bus_access_fn fn;
	size_t dev;			/* offsetof(struct vm, the device) */
	const char *name;
};

static const struct vm_port_range vm_fixed_ports[] = {
	{ PORT_PIC_MASTER, 2, pic_master_io, offsetof(struct vm, pic),
	  "the master PIC" },
	{ PORT_PIC_SLAVE, 2, pic_slave_io, offsetof(struct vm, pic),
	  "the slave PIC" },
	{ PORT_ELCR, 2, pic_elcr_io, offsetof(struct vm, pic),
	  "the PICs' ELCR" },
	{ PORT_PIT, 4, pit_io, offsetof(struct vm, pit), "the PIT" },
	{ PORT_SPEAKER, 1, pit_port61_io, offsetof(struct vm, pit),
	  "port 0x61" },
	{ PORT_RTC, 2, rtc_io, offsetof(struct vm, rtc), "the RTC" },
	{ VM_COM1_PORT, UART_LEN, uart_io, offsetof(struct vm, uart),
	  "COM1" },
	{ ACPI_PM_BASE, ACPI_PM_LEN, acpi_pm_io, offsetof(struct vm, acpi_pm),
	  "the ACPI PM registers" },
	{ PORT_POST, 1, sysctl_port80_io, offsetof(struct vm, sysctl),
	  "the POST port" },
	{ PORT_A20, 1, sysctl_port92_io, offsetof(struct vm, sysctl),
	  "port 0x92" },
	{ SYSCTL_KBC_DATA, 1, sysctl_kbc_data_io, offsetof(struct vm, sysctl),
	  "the keyboard controller" },
	{ SYSCTL_KBC_CMD, 1, sysctl_kbc_cmd_io, offsetof(struct vm, sysctl),
	  "the keyboard controller" },
	/* On every PC, as on QEMU's; only the firmware boot fills it. */
	{ FW_CFG_PORT, FW_CFG_PORT_LEN, fw_cfg_io, offsetof(struct vm, fw_cfg),
	  "fw_cfg" },
	{ FW_CFG_PORT_DMA, FW_CFG_PORT_DMA_LEN, fw_cfg_dma_io,
	  offsetof(struct vm, fw_cfg), "fw_cfg's DMA" },
};

const char *vm_port_owner(unsigned int base, unsigned int len)
{
	size_t i;

	for (i = 0; i < sizeof(vm_fixed_ports) / sizeof(vm_fixed_ports[0]);
	     i++)
		if (base < vm_fixed_ports[i].base + vm_fixed_ports[i].len &&
		    vm_fixed_ports[i].base < base + len)
			return vm_fixed_ports[i].name;
	/* Kept for firmware boots and --test-irqs, given or not. */
	if (base <= VM_FWLOG_PORT && VM_FWLOG_PORT < base + len)
		return "the firmware's debug port (0x402)";
	if (base < VM_TEST_IRQ_PORT + VM_TEST_IRQ_LINES &&
	    VM_TEST_IRQ_PORT < base + len)
		return "the test interrupt lines (--test-irqs)";
	if (base < PCI_CONF1_PORT + PCI_CONF1_LEN &&
	    PCI_CONF1_PORT < base + len)
		return "the PCI configuration ports";
	if (base + len > PCI_IO_START)
		return "the PCI I/O window";
	return NULL;
}

static int vm_legacy_devices(struct vm *vm)
{
	size_t i;

	pic_init(&vm->pic, vm_pic_output, vm);
	pit_init(&vm->pit, &vm->clock, vm_irq_line(vm, ISA_IRQ_PIT));
	rtc_init(&vm->rtc, NULL);
	rtc_set_mem_size(&vm->rtc, vm->mem.low_size, vm->mem.high_size);
	uart_init(&vm->uart, vm_irq_line(vm, VM_COM1_IRQ), vm_console_output,
		  vm);
	acpi_pm_init(&vm->acpi_pm, &vm->clock, vm_poweroff, vm);
	acpi_pm_set_sci(&vm->acpi_pm, vm_irq_line(vm, VM_SCI_IRQ));
	vm_timer_init(&vm->shutdown_timer, &vm->clock, vm_shutdown_timeout, vm);
	sysctl_init(&vm->sysctl, &vm_sysctl_ops, vm);
	if (fw_cfg_init(&vm->fw_cfg, &vm->mem)) {
		vmctl_err("no memory for fw_cfg");
		return -1;
	}

	for (i = 0; i < sizeof(vm_fixed_ports) / sizeof(vm_fixed_ports[0]);
	     i++) {
		const struct vm_port_range *r = &vm_fixed_ports[i];

		if (bus_register(&vm->pio, r->base, r->len, r->fn,
				 (char *)vm + r->dev))
			goto clash;
	}
	/* vm_port_owner() refused clashes when the option was parsed. */
	if (vm->opts->debug_exit_port >= 0 &&
	    bus_register(&vm->pio, vm->opts->debug_exit_port,
			 SYSCTL_DEBUG_EXIT_LEN, sysctl_debug_exit_io,
			 &vm->sysctl))
		goto clash;
	if (vm->opts->test_irqs &&
	    bus_register(&vm->pio, VM_TEST_IRQ_PORT, VM_TEST_IRQ_LINES,
			 vm_test_irq_io, vm))
		goto clash;
	return 0;
clash:
	vmctl_err("the PC's port map has a clash (a bug)");
	return -1;
}

static int vm_apics(struct vm *vm)
{
	unsigned int i;

	vm->apic_bus.kick = vm_apic_kick;
	vm->apic_bus.init = vm_apic_init;
	vm->apic_bus.sipi = vm_apic_sipi;
	vm->apic_bus.opaque = vm;
	/* The rate CPUID.15H gives the guest: TSC-deadline mode needs it. */
	vm->apic_bus.tsc_khz = vm->tsc_khz;
	for (i = 0; i < vm->nr_vcpus; i++) {
		lapic_init(&vm->vcpus[i].lapic, i, i, &vm->apic_bus, &vm->clock);
		vcpu_share_apic_vectors(&vm->vcpus[i]);
	}
	ioapic_init(&vm->ioapic, &vm->apic_bus);
	return bus_register(&vm->mmio, VM_IOAPIC_BASE, IOAPIC_MMIO_SIZE,
			    ioapic_mmio, &vm->ioapic);
}

/* The devices that registered themselves (vm/device.h), in link order. */
extern const struct vm_device *const __start_vm_devices[];
extern const struct vm_device *const __stop_vm_devices[];

static int vm_registered_init(struct vm *vm)
{
	const struct vm_device *const *d;

	if (__stop_vm_devices - __start_vm_devices > VM_DEVICES_MAX) {
		vmctl_err("more devices than VM_DEVICES_MAX (a build bug)");
		return -1;
	}
	for (d = __start_vm_devices; d < __stop_vm_devices; d++)
		if ((*d)->init(vm))
			return -1;
	return 0;
}

int vm_devices_start(struct vm *vm)
{
	const struct vm_device *const *d;

	for (d = __start_vm_devices; d < __stop_vm_devices; d++)
		if ((*d)->start && (*d)->start(vm))
			return -1;
	return 0;
}

bool vm_devices_stop(struct vm *vm)
{
	const struct vm_device *const *d;
	bool clean = true;

	for (d = __start_vm_devices; d < __stop_vm_devices; d++)
		if ((*d)->stop && !(*d)->stop(vm))
			clean = false;
	return clean;
}

int vm_devices_init(struct vm *vm)
{
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->resume, NULL);
	vm->timer_deadline = UINT64_MAX;
	/* vm_devices_exit() after a failure here closes what was made. */
	vm->wake_fd = vm->timer_fd = -1;
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->wake_fd < 0 || vm->timer_fd < 0) {
		vmctl_err("cannot make the event loop's fds: %s",
			  strerror(errno));
		return -1;
	}
	vm->clock = (struct vm_clock){ .now = vm_monotonic_ns,
				       .changed = vm_clock_changed };
	vm->pio.name = "port";
	vm->mmio.name = "mmio";
	if (vm_legacy_devices(vm) || vm_apics(vm))
		return -1;
	if (pci_bus_init(&vm->pci, &vm->pio, &vm->mmio, VM_PCI_MMIO_START,
			 VM_PCI_MMIO_END, PCI_IO_START, PCI_IO_END)) {
		vmctl_err("cannot set up the PCI bus");
		return -1;
	}
	vm->pci.reset_control = sysctl_cf9_io;
	vm->pci.reset_opaque = &vm->sysctl;
	return vm_registered_init(vm);
}

void vm_devices_exit(struct vm *vm)
{
	fw_cfg_free(&vm->fw_cfg);
	if (vm->timer_fd >= 0)
		close(vm->timer_fd);
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	pthread_cond_destroy(&vm->resume);
	pthread_mutex_destroy(&vm->lock);
}
