/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a virtualization backend (kmod/vmx/) may use of the core, and all
 * of it: the vCPU fields named below, guest memory through the VM's
 * functions, the VM's EPT (kmod/ept/), the exit counters, the vCPU's
 * CPUID table, and the VMX sections and kicks of vmmon_hw.c
 * (vmmon_core.h).  The core reaches a backend only through struct
 * vmmon_hw_ops.  Backend files include this header and no other of the
 * core's.
 */
#ifndef VMMON_BACKEND_H
#define VMMON_BACKEND_H

#include <linux/compiler.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rcuwait.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_genl.h>
#include "ept/ept.h"
#include "vmmon_core.h"

struct task_struct;

struct vmmon_vm;

/*
 * A vCPU.  The backend may use @vm (through the functions below), @id,
 * @run, @hw, @irq_pending, @nmi_pending, @cpuid_gen (and the table
 * through vmmon_cpuid_lookup()), @stopped; the rest is the core's.
 */
struct vmmon_vcpu {
	struct vmmon_vm *vm;
	unsigned int id;
	struct mutex lock;	/* one ioctl at a time */
	struct vmmon_run *run;	/* shared with userspace (mmap) */
	void *hw;		/* the backend's state (struct vmx_vcpu) */
	/* The guest's CPUID table (VMMON_SET_CPUID); replaced whole. */
	struct vmmon_cpuid_entry *cpuid;
	unsigned int cpuid_nent;
	/* One more at each SET_CPUID: what the backend derived is stale. */
	unsigned int cpuid_gen;
	bool ran;		/* RUN was called: the table is fixed */
	/* VMMON_INTERRUPT's vector until the guest takes it, or -1. */
	int irq_pending;
	/* VMMON_NMI was called and the guest has not taken the NMI yet. */
	bool nmi_pending;
	/* Written by the vCPU's thread only; read by the stats ioctls. */
	struct vmmon_exit_stats stats;
	u64 loads;		/* vmmon_vcpu_stats.loads */
	/* The core's: time in VMMON_RUN, read live (vmmon_vcpu_run_ns()). */
	seqcount_t run_seq;
	u64 run_ns;		/* RUNs that returned */
	u64 run_since;		/* when the RUN in progress began, or 0 */
	/*
	 * Set by the backend when RUN ends with a guest that cannot go on
	 * (enum vmmon_event: SHUTDOWN, INTERNAL_ERROR), for the core's
	 * event: the run page's exit_reason is userspace's to write too.
	 */
	u32 stopped;
	u32 last_stopped;	/* the core's: the event sent for the last RUN */
	/*
	 * Written under ipi_lock: the thread inside VMMON_RUN now, or
	 * NULL, and whether another vCPU's IPI wants that RUN to return
	 * (vmmon_vcpu_deliver_ipi()), which the run loop reads without it.
	 * A raw lock: the sender takes it in its exit handler, with
	 * preemption off, also on PREEMPT_RT.
	 */
	raw_spinlock_t ipi_lock;
	struct task_struct *runner;
	bool irr_kick;
	/*
	 * The thread of a HLT waiting inside RUN (vmmon_vcpu_halt()).  Not
	 * a wait queue: the sender wakes it from its exit handler, with
	 * preemption off, where a wait queue's lock may sleep (PREEMPT_RT).
	 */
	struct rcuwait halt_wait;
};

/* Whether @vcpu's userspace lets vmmon send and take its IPIs. */
static inline bool vmmon_vcpu_takes_ipis(const struct vmmon_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->apic.flags) & VMMON_APIC_IPI_IN_KERNEL;
}

/*
 * Another vCPU's fixed, edge-triggered IPI of @vector for @vcpu: into
 * its run.apic.irr, and its RUN made to return before it enters the
 * guest again.  False, IRR untouched, unless @vcpu is inside RUN with
 * VMMON_APIC_IPI_IN_KERNEL set: only userspace can wake a thread that
 * is not, and only userspace knows its APIC then.
 */
bool vmmon_vcpu_deliver_ipi(struct vmmon_vcpu *vcpu, unsigned int vector);

/* Whether the RUN in progress must return for vmmon_vcpu_deliver_ipi(). */
static inline bool vmmon_vcpu_irr_kicked(const struct vmmon_vcpu *vcpu)
{
	return READ_ONCE(vcpu->irr_kick);
}

/*
 * The guest's HLT waits (VMMON_APIC_HLT_IN_KERNEL), from the backend's
 * sleepable exit path: until vmmon_vcpu_deliver_ipi() kicks, a signal
 * comes, or @timeout_ns (KTIME_MAX: none) passes.  Not RUN's time.
 */
void vmmon_vcpu_halt(struct vmmon_vcpu *vcpu, ktime_t timeout_ns);

/* The vCPU of @vcpu's VM (@vcpu too) of @id (its APIC ID), or NULL. */
struct vmmon_vcpu *vmmon_vcpu_peer(struct vmmon_vcpu *vcpu, u32 id);

/* Count one exit of the kind @stat. */
static inline void vmmon_vcpu_count_exit(struct vmmon_vcpu *vcpu,
					 enum vmmon_stat_exit stat)
{
	WRITE_ONCE(vcpu->stats.total, vcpu->stats.total + 1);
	WRITE_ONCE(vcpu->stats.count[stat], vcpu->stats.count[stat] + 1);
}

/* vmmon_vm.c: the guest's memory, as the guest sees it */
struct vmmon_ept *vmmon_vm_ept(struct vmmon_vm *vm);
int vmmon_vm_fault_in(struct vmmon_vm *vm, u64 gpa, bool write);
int vmmon_vm_read_phys(struct vmmon_vm *vm, u64 gpa, void *buf,
		       unsigned int len);
int vmmon_vm_write_phys(struct vmmon_vm *vm, u64 gpa, const void *buf,
			unsigned int len);
int vmmon_vm_change_bit_phys(struct vmmon_vm *vm, u64 gpa, unsigned int nr,
			     bool set);
bool vmmon_vm_trylock_mmu(struct vmmon_vm *vm);
void vmmon_vm_unlock_mmu(struct vmmon_vm *vm);
bool vmmon_vm_page_ready(struct vmmon_vm *vm, u64 gpa);
int vmmon_vm_test_and_set_bit_ready(struct vmmon_vm *vm, u64 gpa,
				    unsigned int nr);

/*
 * vmmon_hypercall.c: a VMCALL of the guest kernel (RAX @nr, RBX RCX RDX
 * RSI @args), where the vCPU's thread may sleep: true when the core
 * served it, with RAX's new value in *@ret; false for userspace's.
 */
bool vmmon_hypercall(struct vmmon_vcpu *vcpu, u64 nr, const u64 args[4],
		     u64 *ret);

/* vmmon_cpuid.c: the answer of the vCPU's table */
void vmmon_cpuid_lookup(struct vmmon_vcpu *vcpu, u32 function, u32 index,
			u32 out[4]);

#endif /* VMMON_BACKEND_H */
