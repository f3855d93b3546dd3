// SPDX-License-Identifier: GPL-2.0
/*
 * One thread per vCPU: decide which interrupt to inject, RUN, and handle
 * the exit by handing it to a device.  Everything but RUN itself happens
 * under the machine lock.
 *
 * Kicks: another thread that makes an interrupt pending for this vCPU
 * (with the lock held) wakes it from its condition variable when it is
 * halted, or sends it SIGUSR1 when it is between deciding and RUN's
 * return.  The signal handler sets the run page's immediate_exit, so a
 * kick that lands just before RUN makes RUN return at once instead of
 * being lost until the guest's next exit.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include "vm/vm.h"
#include "vmctl.h"

static __thread struct vmmon_run *current_run;

static void vcpu_kick_handler(int sig)
{
	(void)sig;
	if (current_run)
		current_run->immediate_exit = 1;
}

#define VCPU_NO_IRQ	(-1)	/* as lapic_pending() says */
#define VCPU_PIC_IRQ	(-2)	/* the PIC's INTR: its vector comes at INTA */

/* What vCPU @v should take next: a LAPIC vector, the PIC, or none. */
static int vcpu_next_irq(struct vcpu *v)
{
	int vec = lapic_pending(&v->lapic);

	if (vec == VCPU_NO_IRQ && v->id == 0 && pic_output(&v->vm->pic) &&
	    lapic_accepts_pic(&v->lapic))
		return VCPU_PIC_IRQ;
	return vec;
}

/*
 * An NMI the LAPIC latched goes to vmmon at once: vmmon holds one (a
 * second merges with it, as in the CPU's NMI latch) and delivers it
 * when the guest is not blocking NMIs, so there is no window to ask for.
 */
static int vcpu_inject_nmi(struct vcpu *v)
{
	if (!lapic_take_nmi(&v->lapic))
		return 0;
	if (!ioctl(v->fd, VMMON_NMI, 0))
		return 0;
	vmctl_err("vCPU %u: vmmon refused an NMI: %s", v->id, strerror(errno));
	return -1;
}

/*
 * Hand vmmon a pending NMI and the next interrupt, or ask to hear when
 * the guest can take the interrupt.
 */
static int vcpu_inject(struct vcpu *v)
{
	struct vmmon_interrupt irq = { 0 };
	int next;

	if (vcpu_inject_nmi(v))
		return -1;
	next = vcpu_next_irq(v);
	v->run->request_interrupt_window = 0;
	if (next == VCPU_NO_IRQ)
		return 0;
	if (!v->run->ready_for_interrupt) {
		v->run->request_interrupt_window = 1;
		return 0;
	}
	irq.vector = next == VCPU_PIC_IRQ ? pic_acknowledge(&v->vm->pic) : next;
	if (ioctl(v->fd, VMMON_INTERRUPT, &irq)) {
		if (errno == EBUSY) {
			v->run->request_interrupt_window = 1;
			return 0;
		}
		vmctl_err("vCPU %u: vmmon refused interrupt vector %u: %s",
			  v->id, irq.vector, strerror(errno));
		return -1;
	}
	v->vm->injected++;
	if (next != VCPU_PIC_IRQ)
		lapic_accept(&v->lapic, next);
	/* More waiting: come back as soon as the guest can take it. */
	v->run->request_interrupt_window = vcpu_next_irq(v) != VCPU_NO_IRQ;
	return 0;
}

/*
 * An AP waits for INIT-SIPI-SIPI; the STARTUP vector says where it
 * starts, in real mode at vector << 12 (SDM 3A 10.4.4.1).
 */
static int vcpu_wait_sipi(struct vcpu *v)
{
	struct vmmon_sregs s = v->reset_sregs;
	struct vmmon_regs r = { .rflags = 2 };

	while (!v->sipi_pending && v->vm->end == VM_END_NONE)
		pthread_cond_wait(&v->wake, &v->vm->lock);
	if (v->vm->end != VM_END_NONE)
		return 0;
	v->sipi_pending = false;
	s.cs.selector = v->sipi_vector << 8;
	s.cs.base = (uint64_t)v->sipi_vector << 12;
	s.cs.limit = 0xffff;
	if (ioctl(v->fd, VMMON_SET_SREGS, &s) ||
	    ioctl(v->fd, VMMON_SET_REGS, &r))
		goto err;
	v->state = VCPU_RUNNABLE;
	v->run->ready_for_interrupt = 0;
	return 0;
err:
	vmctl_err("vCPU %u: cannot start at the SIPI vector: %s", v->id,
		  strerror(errno));
	return -1;
}

/*
 * HLT: sleep until an interrupt can wake the guest, an NMI (whatever IF
 * says: cli; hlt waits for one), INIT, or the end.  Each of these kicks,
 * and vm_request_end() kicks every vCPU, so a guest halted for ever does
 * not hold up vmctl's end.
 */
static void vcpu_halt(struct vcpu *v)
{
	struct vm *vm = v->vm;

	for (;;) {
		if (vm->end != VM_END_NONE || v->state == VCPU_WAIT_SIPI)
			return;
		if (lapic_nmi_pending(&v->lapic))
			return;
		if (v->run->if_flag && vcpu_next_irq(v) != VCPU_NO_IRQ)
			return;
		/*
		 * IF set but not ready: HLT ended any shadow, so vmmon holds
		 * an interrupt vmctl injected (its vector is in ISR already).
		 * A module since 3b434a3 resumes such a HLT itself; this is
		 * for older ones.
		 */
		if (v->run->if_flag && !v->run->ready_for_interrupt)
			return;
		pthread_cond_wait(&v->wake, &vm->lock);
	}
}

/* The page lapic_mmio_claims(): wherever IA32_APIC_BASE put it. */
static void vcpu_lapic_access(struct vcpu *v, struct vmmon_run *run)
{
	uint64_t offset = run->mmio.phys_addr & (LAPIC_MMIO_SIZE - 1);

	v->vm->lapic_exits++;
	if (run->mmio.is_write)
		vcpu_count_lapic_write(v->vm, offset);
	lapic_mmio(&v->lapic, offset, run->mmio.data, run->mmio.len,
		   run->mmio.is_write);
}

static void vcpu_io(struct vcpu *v, struct vmmon_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int i;

	for (i = 0; i < run->io.count; i++, data += run->io.size)
		if (!bus_access(&v->vm->pio, run->io.port, data, run->io.size,
				run->io.direction == VMMON_IO_OUT))
			v->vm->unclaimed_io++;
}

static void vcpu_report(struct vcpu *v, const struct vmmon_run *run)
{
	struct vmmon_regs r;

	if (ioctl(v->fd, VMMON_GET_REGS, &r))
		memset(&r, 0, sizeof(r));
	switch (run->exit_reason) {
	case VMMON_EXIT_FAIL_ENTRY:
		vmctl_err("vCPU %u: VM entry failed (reason %#x, qualification %#llx) at RIP %#llx",
			  v->id, run->fail_entry.hw_reason,
			  (unsigned long long)run->fail_entry.qualification,
			  (unsigned long long)r.rip);
		break;
	case VMMON_EXIT_INTERNAL:
		if (run->internal.suberror == VMMON_INTERNAL_NO_MEMORY &&
		    run->internal.data[1] == EDQUOT) {
			vmctl_err("vCPU %u: guest RAM is locked memory, and RLIMIT_MEMLOCK is reached at guest address %#llx: raise it (ulimit -l, /etc/security/limits.d) or give vmctl CAP_IPC_LOCK",
				  v->id, (unsigned long long)run->internal.data[0]);
			break;
		}
		vmctl_err("vCPU %u: vmmon cannot go on (internal error %u: %#llx %#llx) at RIP %#llx",
			  v->id, run->internal.suberror,
			  (unsigned long long)run->internal.data[0],
			  (unsigned long long)run->internal.data[1],
			  (unsigned long long)r.rip);
		break;
	default:
		vmctl_err("vCPU %u: unexpected exit %u at RIP %#llx", v->id,
			  run->exit_reason, (unsigned long long)r.rip);
	}
}

/* Handle one exit (lock held); false when the VM must end. */
static bool vcpu_handle_exit(struct vcpu *v, int rc, int err)
{
	struct vmmon_run *run = v->run;
	struct vm *vm = v->vm;

	if (rc && err != EINTR) {
		vmctl_err("vCPU %u: RUN failed: %s", v->id, strerror(err));
		vm_request_end(vm, VM_END_ERROR, 0);
		return false;
	}
	switch (run->exit_reason) {
	case VMMON_EXIT_INTR:
	case VMMON_EXIT_IRQ_WINDOW:
	case VMMON_EXIT_NONE:
		return true;
	case VMMON_EXIT_EOI:
		/* The module took an EOI; IRR waits for vcpu_inject(). */
		vm->eoi_exits++;
		return true;
	case VMMON_EXIT_APIC_TIMER:
		vm->timer_exits++;
		lapic_tsc_deadline_expired(&v->lapic);
		return true;
	case VMMON_EXIT_IO:
		vcpu_io(v, run);
		return true;
	case VMMON_EXIT_MMIO:
		if (lapic_mmio_claims(&v->lapic, run->mmio.phys_addr))
			vcpu_lapic_access(v, run);
		else if (!bus_access(&vm->mmio, run->mmio.phys_addr,
				     run->mmio.data, run->mmio.len,
				     run->mmio.is_write))
			vm->unclaimed_io++;
		return true;
	case VMMON_EXIT_HLT:
		if (!vcpu_timer_before_halt(v)) {
			vm_request_end(vm, VM_END_ERROR, 0);
			return false;
		}
		vcpu_halt(v);
		return true;
	case VMMON_EXIT_HYPERCALL:
		run->hypercall.ret = (uint64_t)-1000;	/* -KVM_ENOSYS */
		return true;
	case VMMON_EXIT_MSR:
		if (vcpu_msr(v, run))
			return true;
		vm_request_end(vm, VM_END_ERROR, 0);
		return false;
	case VMMON_EXIT_SHUTDOWN:
		vm_request_end(vm, VM_END_RESET, 0);
		return false;
	}
	vcpu_report(v, run);
	vm_request_end(vm, VM_END_ERROR, 0);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	int rc, err;

	current_run = v->run;
	pthread_mutex_lock(&vm->lock);
	while (vm->end == VM_END_NONE) {
		if (vm->paused) {
			pthread_cond_wait(&vm->resume, &vm->lock);
			continue;
		}
		if (v->state == VCPU_WAIT_SIPI) {
			if (vcpu_wait_sipi(v))
				break;
			continue;
		}
		v->run->immediate_exit = 0;
		v->in_run = true;
		if (vcpu_inject(v)) {
			/* Nobody may signal this thread once it is joined. */
			v->in_run = false;
			break;
		}
		vcpu_timer_to_run(v);
		vcpu_ipi_to_run(v);
		pthread_mutex_unlock(&vm->lock);
		rc = ioctl(v->fd, VMMON_RUN, 0);
		err = errno;
		pthread_mutex_lock(&vm->lock);
		v->in_run = false;
		vcpu_timer_from_run(v);
		if (!vcpu_handle_exit(v, rc, err))
			break;
	}
	if (vm->end == VM_END_NONE)
		vm_request_end(vm, VM_END_ERROR, 0);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

int vm_vcpus_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	unsigned int i;
	int err;

	/* No SA_RESTART: the signal is there to end RUN with EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < vm->nr_vcpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (err) {
			vmctl_err("cannot start vCPU %u's thread: %s", i,
				  strerror(err));
			pthread_mutex_lock(&vm->lock);
			vm_request_end(vm, VM_END_ERROR, 0);
			pthread_mutex_unlock(&vm->lock);
			vm->nr_started = i;
			return -1;
		}
	}
	vm->nr_started = vm->nr_vcpus;
	return 0;
}

void vm_vcpus_join(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_started; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
}
