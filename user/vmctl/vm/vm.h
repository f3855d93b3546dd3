/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One virtual machine as `vmctl run` builds it: the VM and vCPU fds of
 * vmmon, guest RAM, the PC's devices, and the threads that drive them:
 * one per vCPU, one I/O thread per disk queue, the console's writer, and
 * the main thread's event loop (signals, timers, console input, the end).
 */
#ifndef VMCTL_VM_H
#define VMCTL_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uapi/vmmon.h>
#include "machine/machine.h"
#include "vm/device.h"
#include "hw/acpi_pm.h"
#include "hw/apic_bus.h"
#include "hw/fw_cfg.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "pci/pci.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "hw/rtc.h"
#include "hw/sysctl.h"
#include "hw/uart.h"
#include "virtio/blk.h"

#define VM_MAX_VCPUS		16
#define VM_MAX_DISKS		4
/*
 * The firmware image ends at 4 GiB (the reset vector is its last 16
 * bytes), and its top 128 KiB is also the BIOS area below 1 MiB.
 */
#define VM_FIRMWARE_END		(1ULL << 32)
#define VM_BIOS_AREA		0xe0000ULL
#define VM_BIOS_AREA_SIZE	0x20000ULL
/* RAM below 4 GiB ends here; the rest of it goes above 4 GiB. */
#define VM_LOW_RAM_MAX		0xc0000000ULL
#define VM_PCI_MMIO_START	0xe0000000ULL
#define VM_PCI_MMIO_END		0xfec00000ULL
#define VM_IOAPIC_BASE		0xfec00000ULL
#define VM_LAPIC_BASE		0xfee00000ULL
#define VM_COM1_PORT		0x3f8
#define VM_FWLOG_PORT		0x402	/* --firmware-log (vm/fwlog.c) */
#define VM_COM1_IRQ		4
#define VM_SCI_IRQ		9
/* --test-irqs: QEMU's pc-testdev interrupt lines, one port per GSI. */
#define VM_TEST_IRQ_PORT	0x2000
#define VM_TEST_IRQ_LINES	24
/*
 * PCI INTA of slot s goes to I/O APIC pin (GSI) 16 + s % 8, as the DSDT's
 * _PRT says: pins no ISA device uses, one per slot for the first eight.
 */
#define VM_PCI_GSI_BASE		16
#define VM_PCI_GSI_COUNT	8
#define VM_PCI_GSI(slot)	(VM_PCI_GSI_BASE + (slot) % VM_PCI_GSI_COUNT)

/* How `vmctl run` ends: its exit status (documented in vmctl.1). */
enum vm_end {
	VM_END_NONE = -1,
	VM_END_POWEROFF = 0,	/* the guest powered off */
	VM_END_ERROR = 1,	/* setup failed, or vmmon stopped the guest */
	VM_END_RESET = 3,	/* the guest reset itself or triple-faulted */
	VM_END_QUIT = 4,	/* Ctrl-A x on the console */
	VM_END_DEBUG_EXIT = 5,	/* status (value << 1) | 1 */
	VM_END_NO_BOOT = 6,	/* the firmware found nothing to boot */
	VM_END_SIGNAL = 128,	/* + the signal number */
};

enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_WAIT_SIPI,		/* an AP after reset or INIT */
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct vmmon_run *run;
	pthread_t thread;
	pthread_cond_t wake;		/* with vm->lock: halted or waiting */
	enum vcpu_state state;
	bool in_run;			/* between deciding and RUN returning */
	bool sipi_pending;
	uint8_t sipi_vector;
	struct vmmon_sregs reset_sregs;	/* as vmmon created it */
	struct lapic lapic;
};

/* What a host I/O error on a disk's image does (--disk FILE,error=). */
enum vm_disk_error {
	VM_DISK_ERROR_REPORT,	/* say it, fail the request to the guest */
	VM_DISK_ERROR_STOP,	/* say it, pause the VM until SIGCONT, retry */
};

struct vm_disk {
	struct vm *vm;
	const char *path;
	bool read_only;
	enum vm_disk_error on_error;
	int fd;
	unsigned int errnos_said;	/* VM_DISK_SAID_* already printed */
	char serial[24];		/* what GET_ID returns: vmmon-diskN */
	struct virtio_blk blk;
};

struct vm_options {
	const char *kernel;
	const char *firmware;		/* without --kernel: the BIOS image */
	uint64_t firmware_size;		/* its size, known before the VM */
	const char *firmware_log;	/* its port 0x402 output, or NULL */
	const char *initrd;
	const char *append;
	uint64_t mem_size;
	unsigned int nr_vcpus;
	unsigned int nr_disks;
	struct {
		const char *path;
		bool read_only;
		enum vm_disk_error on_error;
	} disks[VM_MAX_DISKS];
	int debug_exit_port;		/* -1: none */
	bool test_irqs;			/* the VM_TEST_IRQ_PORT lines */
	unsigned int shutdown_timeout;	/* seconds for the power button */
	bool no_reboot;
	bool stats;
	bool no_balloon;		/* hide the vmmon CPUID leaves */
	const char *name;		/* VMMON_SET_NAME after creation */
	uint32_t mem_shares;		/* the memory policy's; 0: default */
	uint64_t mem_reserve;		/* pages; 0: none */
	const char *share_group;	/* VMMON_SET_SHARE_GROUP, or NULL */
	bool verbose;			/* say what was chosen */
};

struct vm {
	const struct vm_options *opts;
	int dev_fd, vm_fd;
	struct guest_mem mem;
	size_t map_size;
	uint32_t tsc_khz;		/* the host's, measured */

	pthread_mutex_t lock;		/* the machine lock (machine/machine.h) */
	struct vm_clock clock;
	int wake_fd;			/* eventfd: the event loop has work */
	int timer_fd;			/* timerfd: the next device timer */
	uint64_t timer_deadline;	/* what timer_fd holds; UINT64_MAX none */
	enum vm_end end;		/* set once, under lock */
	int end_detail;			/* debug-exit status, signal number */
	/* A power button press in progress: how to end if it goes unheard. */
	bool shutdown_pending;
	struct vm_timer shutdown_timer;	/* --shutdown-timeout after the press */
	enum vm_end shutdown_end;
	int shutdown_detail;
	bool paused;			/* a disk error stopped the VM */
	pthread_cond_t resume;		/* with lock: paused cleared, or the end */

	struct bus pio, mmio;
	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct uart uart;
	struct ioapic ioapic;
	struct apic_bus apic_bus;
	struct acpi_pm acpi_pm;
	struct sysctl sysctl;
	struct fw_cfg fw_cfg;		/* with firmware only */
	struct pci_bus pci;
	unsigned int nr_disks;
	struct vm_disk disks[VM_MAX_DISKS];

	unsigned int nr_vcpus;
	unsigned int nr_started;	/* vCPU threads running */
	struct vcpu vcpus[VM_MAX_VCPUS];
	uint64_t unclaimed_io;		/* accesses no device took */
	uint64_t lapic_exits;		/* MMIO exits to a local APIC */
	uint64_t lapic_msr_exits;	/* MSR exits (VMMON_EXIT_MSR) */
	/*
	 * Of the two, writes to EOI, ICR (either half) and the timer (LVT,
	 * initial count, TSC deadline).
	 */
	uint64_t lapic_eoi, lapic_icr, lapic_timer;
	uint64_t eoi_exits;		/* VMMON_EXIT_EOI: the module's EOI */
	uint64_t timer_exits;		/* VMMON_EXIT_APIC_TIMER */
	bool apic_timer_in_kernel;	/* VMMON_CAP_APIC_TIMER */
	bool apic_ipi_in_kernel;	/* VMMON_CAP_APIC_IPI */
	bool hlt_wait_in_kernel;	/* VMMON_CAP_HLT_WAIT */
	bool xapic_ipi_in_kernel;	/* VMMON_CAP_XAPIC_IPI */
	uint64_t injected;		/* interrupts handed to vmmon */
	unsigned int reboots;
};

/* create.c */
int vm_create(struct vm *vm, const struct vm_options *opts,
	      const char *device);
void vm_destroy(struct vm *vm);

/* board.c */
int vm_devices_init(struct vm *vm);
/*
 * What owns a port in [@base, @base + @len) on every vmctl PC (a name to
 * print), or NULL: --debug-exit must take a free one.
 */
const char *vm_port_owner(unsigned int base, unsigned int len);
/*
 * Start the registered devices' threads (vm/device.h): after boot_load,
 * before the vCPUs.
 */
int vm_devices_start(struct vm *vm);
/*
 * Stop them (lock not held); false if one is stuck (a disk in its image
 * file), and then the machine must not be torn down (the process ends).
 */
bool vm_devices_stop(struct vm *vm);
/* For devices: the interrupt line of @gsi, and the MSI sink. */
struct irq_line vm_irq_line(struct vm *vm, unsigned int gsi);
struct msi_sink vm_msi_sink(struct vm *vm);
void vm_devices_exit(struct vm *vm);
/*
 * End the VM with @end (first caller wins) and wake every thread; lock
 * held.
 */
void vm_request_end(struct vm *vm, enum vm_end end, int detail);
/*
 * Ask the guest to shut down with the ACPI power button, and end the VM
 * with @end after --shutdown-timeout seconds if it has not (at once if
 * it does not listen to the button, or a press is already pending);
 * lock held.
 */
void vm_request_shutdown(struct vm *vm, enum vm_end end, int detail);
/* Stop the vCPUs until vm_resume() (a disk error with error=stop). */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* Wake vCPU @cpu: out of HLT, or out of RUN (machine lock held). */
void vm_kick(struct vm *vm, unsigned int cpu);
/* Have the event loop look at the machine again (any thread, any time). */
void vm_wake_loop(struct vm *vm);
/* The next device timer changed: have the event loop's timer follow. */
void vm_timer_update(struct vm *vm);

/* loop.c: the main thread's events until the VM ends. */
void vm_loop_run(struct vm *vm, int signal_fd);

/* vcpu.c */
int vm_vcpus_start(struct vm *vm);
void vm_vcpus_join(struct vm *vm);

/*
 * msr.c: a VMMON_EXIT_MSR of vCPU @v (its thread, lock held), answered
 * in @run before the next RUN; false when the VM must end.
 */
bool vcpu_msr(struct vcpu *v, struct vmmon_run *run);

/*
 * msr.c: vCPU @v's LAPIC keeps ISR, TMR, IRR and the ICR in the run
 * page, and the module takes the guest's EOIs of edge-triggered
 * vectors, x2APIC and xAPIC alike (VMMON_APIC_EOI_IN_KERNEL), and in
 * xAPIC mode its ICR accesses but the sending write
 * (VMMON_APIC_ICR_IN_KERNEL).  After lapic_init(), before the vCPU runs.
 */
void vcpu_share_apic_vectors(struct vcpu *v);

/*
 * msr.c: the LAPIC timer's TSC deadline in vmmon where it offers that
 * (vm->apic_timer_in_kernel), vCPU thread, lock held: handed to the run
 * page before each RUN, taken back after it; before a HLT's sleep,
 * timed by the LAPIC itself (false: the guest's TSC could not be read,
 * the VM must end).
 */
void vcpu_timer_to_run(struct vcpu *v);
void vcpu_timer_from_run(struct vcpu *v);
bool vcpu_timer_before_halt(struct vcpu *v);

/*
 * msr.c: vmmon sends this vCPU's fixed IPIs and delivers others' to it
 * (VMMON_APIC_IPI_IN_KERNEL) during a RUN in which its LAPIC takes
 * fixed interrupts in x2APIC mode (vm->apic_ipi_in_kernel), or in xAPIC
 * mode with the APIC ID it was made with (vm->xapic_ipi_in_kernel),
 * where the module offers it; and the guest's HLT then waits in the module
 * (VMMON_APIC_HLT_IN_KERNEL, vm->hlt_wait_in_kernel), where those IPIs
 * reach it too.  vCPU thread, lock held, before each RUN.
 */
void vcpu_ipi_to_run(struct vcpu *v);

/* msr.c: a write to the LAPIC register at @offset, for --stats. */
void vcpu_count_lapic_write(struct vm *vm, unsigned int offset);

/* cpuid.c: the guest's CPUID table, from the host's, for vCPU @id. */
int vm_cpuid_set(struct vm *vm, struct vcpu *vcpu);


/* console.c: once per vmctl run; attach each (re)booted machine. */
int vm_console_start(void);
void vm_console_attach(struct vm *vm);
void vm_console_stop(void);
void vm_console_output(void *opaque, uint8_t byte);
/*
 * stdin while it has not ended, else -1; read it with vm_console_input()
 * when it is readable and vm_console_input_wanted() (false while a file
 * or pipe waits for the guest to take what was read).
 */
int vm_console_input_fd(void);
bool vm_console_input_wanted(struct vm *vm);
bool vm_console_input(struct vm *vm);

#endif /* VMCTL_VM_H */
