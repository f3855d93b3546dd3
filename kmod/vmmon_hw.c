// SPDX-License-Identifier: GPL-2.0
/*
 * Root operation on every online CPU while at least one VM exists.
 *
 * As KVM does, vmmon holds VMX only while it has a VM, so that another
 * hypervisor can use the CPUs the rest of the time.  The transitions
 * follow the CPUs: a CPU coming online while VMs exist enters, one going
 * offline leaves, and suspend, hibernation and reboot leave on all CPUs.
 *
 * Every use of VMX by a vCPU (from loading its VMCS on a CPU to clearing
 * it, preemption off, never sleeping) is a section between
 * vmmon_hw_section_begin() and vmmon_hw_section_end(), a read side of
 * vmmon_hw_sections.  Suspend and reboot set vmmon_hw_blocked, make every
 * running guest exit (its run loop ends the section at the next exit),
 * and take the write side, which waits for the sections to end, before
 * VMXOFF; a section cannot begin meanwhile, and its vCPU ioctl waits,
 * freezable and without the vCPU's lock, in vmmon_hw_wait() until resume.
 * So no VMX instruction runs after VMXOFF, every VMCS was cleared to
 * memory before it, and a guest goes on after resume as if nothing
 * happened.  (PM notifiers run before tasks freeze, reboot notifiers with
 * every task alive.)
 *
 * Locking: cpus_read_lock() before vmmon_hw_mutex.  CPU hotplug callbacks
 * run with the hotplug lock held for writing and take only the mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/sched/signal.h>
#include <linux/freezer.h>
#include <linux/percpu-rwsem.h>
#include <linux/smp.h>
#include <linux/suspend.h>
#include <linux/wait.h>
#include <asm/reboot.h>
#include "vmmon_core.h"

static const struct vmmon_hw_ops *hw;
static DEFINE_MUTEX(vmmon_hw_mutex);
/* Under vmmon_hw_mutex: VMs that want root operation ... */
static unsigned int vmmon_hw_users;
/* ... whether every online CPU is in it ... */
static bool vmmon_hw_active;
/*
 * ... and whether suspend or reboot keeps every CPU out of it (written
 * under the mutex, read by vCPUs without it).
 */
static bool vmmon_hw_blocked;
DEFINE_STATIC_PERCPU_RWSEM(vmmon_hw_sections);
static DECLARE_WAIT_QUEUE_HEAD(vmmon_hw_unblocked);
static enum cpuhp_state vmmon_hw_cpuhp;

static DEFINE_PER_CPU(bool, vmmon_hw_on);
static atomic_t vmmon_hw_nr_on = ATOMIC_INIT(0);
/* First error of an on_each_cpu() enable round. */
static atomic_t vmmon_hw_enable_err = ATOMIC_INIT(0);

static int vmmon_hw_enable_this_cpu(void)
{
	int err;

	if (__this_cpu_read(vmmon_hw_on))
		return 0;
	err = hw->cpu_enable();
	if (err)
		return err;
	__this_cpu_write(vmmon_hw_on, true);
	atomic_inc(&vmmon_hw_nr_on);
	return 0;
}

static void vmmon_hw_disable_this_cpu(void)
{
	if (!__this_cpu_read(vmmon_hw_on))
		return;
	hw->cpu_disable();
	__this_cpu_write(vmmon_hw_on, false);
	atomic_dec(&vmmon_hw_nr_on);
}

static void vmmon_hw_enable_ipi(void *unused)
{
	int err = vmmon_hw_enable_this_cpu();

	if (err)
		atomic_cmpxchg(&vmmon_hw_enable_err, 0, err);
}

static void vmmon_hw_disable_ipi(void *unused)
{
	vmmon_hw_disable_this_cpu();
}

/*
 * Panic, kdump and emergency reboot leave VMX root only through the one
 * callback cpu_emergency_register_virt_callback() takes (6.5+, and
 * Debian's 6.1): a CPU left in it ignores INIT, and the kdump kernel
 * faults when it clears CR4.VMXE.  The callback runs on every CPU.
 */
static void vmmon_hw_emergency(void)
{
	hw->cpu_emergency_disable();
}

/*
 * There is one such callback, and a second registration is refused with
 * a warning (a panic under panic_on_warn).  kvm_intel registers its own
 * while it is loaded (6.1) or while it holds VT-x (6.12), and KVM's also
 * takes out of VMX root the CPUs vmmon put there (it goes by CR4.VMXE).
 * So vmmon registers only while kvm.ko is not loaded: otherwise KVM
 * taking VT-x while vmmon holds it (which then fails anyway) would warn.
 * The price, on 6.12 with kvm.ko loaded but not holding VT-x
 * (kvm.enable_virt_at_load=0, or kvm_intel unloaded and kvm.ko left),
 * is no callback at all while vmmon runs guests.
 */
static bool vmmon_hw_emergency_registered;

static void vmmon_hw_emergency_register(void)
{
	if (__symbol_get("kvm_rebooting")) {
		__symbol_put("kvm_rebooting");
		pr_info_once("KVM is loaded: its emergency callback takes the CPUs out of VMX root on panic, kdump and emergency reboot\n");
		return;
	}
	cpu_emergency_register_virt_callback(vmmon_hw_emergency);
	vmmon_hw_emergency_registered = true;
}

static void vmmon_hw_emergency_unregister(void)
{
	if (!vmmon_hw_emergency_registered)
		return;
	cpu_emergency_unregister_virt_callback(vmmon_hw_emergency);
	vmmon_hw_emergency_registered = false;
}

/*
 * All online CPUs enter, or none stays in.  cpus_read_lock() and
 * vmmon_hw_mutex are held.
 */
static int vmmon_hw_enable_all(void)
{
	int err;

	/* Before the first VMXON: no moment in VMX root without it. */
	vmmon_hw_emergency_register();
	atomic_set(&vmmon_hw_enable_err, 0);
	on_each_cpu(vmmon_hw_enable_ipi, NULL, 1);
	err = atomic_read(&vmmon_hw_enable_err);
	if (err) {
		on_each_cpu(vmmon_hw_disable_ipi, NULL, 1);
		vmmon_hw_emergency_unregister();
		pr_err("cannot enter %s root operation on all CPUs (%d)\n",
		       hw->name, err);
		return err;
	}
	vmmon_hw_active = true;
	pr_debug("entered %s root operation on %u CPUs\n", hw->name,
		 atomic_read(&vmmon_hw_nr_on));
	return 0;
}

static void vmmon_hw_disable_all(void)
{
	on_each_cpu(vmmon_hw_disable_ipi, NULL, 1);
	vmmon_hw_active = false;
	vmmon_hw_emergency_unregister();
	pr_debug("left %s root operation on all CPUs\n", hw->name);
}

/*
 * Called by each new VM: enter root operation unless already in (or kept
 * out by suspend, until resume).  Also retries after a failed resume.
 */
int vmmon_hw_get(void)
{
	int err = 0;

	cpus_read_lock();
	mutex_lock(&vmmon_hw_mutex);
	if (!vmmon_hw_active && !vmmon_hw_blocked)
		err = vmmon_hw_enable_all();
	if (!err)
		vmmon_hw_users++;
	mutex_unlock(&vmmon_hw_mutex);
	cpus_read_unlock();
	return err;
}

/* Called by each VM destroyed: leave root operation after the last. */
void vmmon_hw_put(void)
{
	cpus_read_lock();
	mutex_lock(&vmmon_hw_mutex);
	if (--vmmon_hw_users == 0 && vmmon_hw_active)
		vmmon_hw_disable_all();
	mutex_unlock(&vmmon_hw_mutex);
	cpus_read_unlock();
}

unsigned int vmmon_hw_cpus_on(void)
{
	return atomic_read(&vmmon_hw_nr_on);
}

/*
 * Begin a vCPU's VMX section on this CPU; preemption is off.  false when
 * suspend or reboot is leaving root operation, or this CPU is out of it
 * (going offline): the caller gives up with EAGAIN, and its ioctl calls
 * vmmon_hw_wait() and tries again.
 */
bool vmmon_hw_section_begin(void)
{
	if (!percpu_down_read_trylock(&vmmon_hw_sections))
		return false;
	if (READ_ONCE(vmmon_hw_blocked) || !__this_cpu_read(vmmon_hw_on)) {
		percpu_up_read(&vmmon_hw_sections);
		return false;
	}
	return true;
}

void vmmon_hw_section_end(void)
{
	percpu_up_read(&vmmon_hw_sections);
}

/* For a run loop: end the section now, suspend or reboot is waiting. */
bool vmmon_hw_leave_requested(void)
{
	return READ_ONCE(vmmon_hw_blocked);
}

/*
 * After a section could not begin: wait until root operation is back,
 * freezable (the caller holds no lock).  0 to try again, -EINTR for a
 * signal, -EIO after a resume that could not enter root operation again.
 */
int vmmon_hw_wait(void)
{
	if (READ_ONCE(vmmon_hw_blocked))
		return wait_event_freezable(vmmon_hw_unblocked,
					    !READ_ONCE(vmmon_hw_blocked)) ?
		       -EINTR : 0;
	if (!atomic_read(&vmmon_hw_nr_on))
		return -EIO;
	/* This CPU is going offline: the task moves off it soon. */
	schedule_timeout_interruptible(1);
	return signal_pending(current) ? -EINTR : 0;
}

u64 vmmon_hw_cap(u32 cap)
{
	return hw->cap(cap);
}

/* The backend, for the vCPU calls. */
const struct vmmon_hw_ops *vmmon_hw(void)
{
	return hw;
}

/* Runs on @cpu itself, in its hotplug thread. */
static int vmmon_hw_cpu_online(unsigned int cpu)
{
	int err = 0;

	mutex_lock(&vmmon_hw_mutex);
	if (vmmon_hw_active) {
		preempt_disable();
		err = vmmon_hw_enable_this_cpu();
		preempt_enable();
	}
	mutex_unlock(&vmmon_hw_mutex);
	if (err)
		pr_err("CPU %u cannot come online: it cannot enter %s root operation (%d)\n",
		       cpu, hw->name, err);
	return err;
}

static int vmmon_hw_cpu_offline(unsigned int cpu)
{
	mutex_lock(&vmmon_hw_mutex);
	preempt_disable();
	vmmon_hw_disable_this_cpu();
	preempt_enable();
	mutex_unlock(&vmmon_hw_mutex);
	return 0;
}

/* The interrupt alone does the work: a guest running there exits. */
static void vmmon_hw_kick_ipi(void *unused)
{
}

/*
 * Make the guests running on the CPUs of @cpus exit, and wait until they
 * have: the CPU's next look at what changed comes before its next entry.
 */
void vmmon_hw_kick(const struct cpumask *cpus)
{
	on_each_cpu_mask(cpus, vmmon_hw_kick_ipi, NULL, true);
}

/*
 * Leave root operation everywhere until vmmon_hw_unblock(), once no vCPU
 * uses VMX any more: running guests are made to exit, and their run
 * loops end their sections when they see vmmon_hw_blocked.
 */
static void vmmon_hw_block(const char *why)
{
	mutex_lock(&vmmon_hw_mutex);
	WRITE_ONCE(vmmon_hw_blocked, true);
	mutex_unlock(&vmmon_hw_mutex);
	vmmon_hw_kick(cpu_online_mask);
	/* Sections that began before end at their guest's next exit. */
	percpu_down_write(&vmmon_hw_sections);
	percpu_up_write(&vmmon_hw_sections);

	cpus_read_lock();
	mutex_lock(&vmmon_hw_mutex);
	if (vmmon_hw_active) {
		vmmon_hw_disable_all();
		pr_info("%s: left %s root operation\n", why, hw->name);
	}
	mutex_unlock(&vmmon_hw_mutex);
	cpus_read_unlock();
}

static void vmmon_hw_unblock(const char *why)
{
	cpus_read_lock();
	mutex_lock(&vmmon_hw_mutex);
	if (vmmon_hw_users && !vmmon_hw_enable_all())
		pr_info("%s: back in %s root operation on %u CPU(s)\n", why,
			hw->name, atomic_read(&vmmon_hw_nr_on));
	WRITE_ONCE(vmmon_hw_blocked, false);
	mutex_unlock(&vmmon_hw_mutex);
	cpus_read_unlock();
	wake_up_all(&vmmon_hw_unblocked);
}

/*
 * Before tasks freeze: vmmon_hw_block() waits for the vCPUs to leave VMX
 * (the freezer then finds them waiting in vmmon_hw_wait()), and leaving
 * on every CPU here also covers the boot CPU, which is never taken
 * offline.
 */
static int vmmon_hw_pm_notify(struct notifier_block *nb, unsigned long event,
			      void *unused)
{
	switch (event) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		vmmon_hw_block("suspend");
		break;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		vmmon_hw_unblock("resume");
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block vmmon_hw_pm_nb = {
	.notifier_call = vmmon_hw_pm_notify,
};

/* A CPU in VMX root operation blocks INIT, which a reboot relies on. */
static int vmmon_hw_reboot_notify(struct notifier_block *nb,
				  unsigned long event, void *unused)
{
	vmmon_hw_block("reboot");
	return NOTIFY_DONE;
}

static struct notifier_block vmmon_hw_reboot_nb = {
	.notifier_call = vmmon_hw_reboot_notify,
};

int vmmon_hw_setup(const struct vmmon_hw_ops *ops)
{
	int ret;

	hw = ops;
	/* No VM exists yet, so the callbacks need not run for present CPUs. */
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vmmon:online",
					vmmon_hw_cpu_online,
					vmmon_hw_cpu_offline);
	if (ret < 0)
		return ret;
	vmmon_hw_cpuhp = ret;

	ret = register_pm_notifier(&vmmon_hw_pm_nb);
	if (ret)
		goto remove_cpuhp;
	ret = register_reboot_notifier(&vmmon_hw_reboot_nb);
	if (ret)
		goto unregister_pm;
	return 0;

unregister_pm:
	unregister_pm_notifier(&vmmon_hw_pm_nb);
remove_cpuhp:
	cpuhp_remove_state_nocalls(vmmon_hw_cpuhp);
	return ret;
}

/* Every VM is gone (each held a module reference), so no CPU is in. */
void vmmon_hw_teardown(void)
{
	unregister_reboot_notifier(&vmmon_hw_reboot_nb);
	unregister_pm_notifier(&vmmon_hw_pm_nb);
	cpuhp_remove_state_nocalls(vmmon_hw_cpuhp);
	WARN_ON(vmmon_hw_users || atomic_read(&vmmon_hw_nr_on));
}
