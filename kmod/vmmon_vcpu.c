// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects.  As in KVM, a vCPU lives as long as its VM: its fd holds
 * a reference to the VM's file, and the VM frees its vCPUs when it goes.
 * The backend keeps its per-vCPU state (the VMCS) in vcpu->hw.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include "vmmon_core.h"
#include "vmmon_vm.h"

static atomic_t vmmon_nr_vcpus = ATOMIC_INIT(0);

unsigned int vmmon_vcpu_count(void)
{
	return atomic_read(&vmmon_nr_vcpus);
}

static int vmmon_vcpu_release(struct inode *inode, struct file *file)
{
	struct vmmon_vcpu *vcpu = file->private_data;

	fput(vcpu->vm->file);
	return 0;
}

/* Page 0 of a vCPU mapping is its struct vmmon_run. */
static vm_fault_t vmmon_vcpu_fault(struct vm_fault *vmf)
{
	struct vmmon_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vmmon_vcpu_vm_ops = {
	.fault = vmmon_vcpu_fault,
};

static int vmmon_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_ops = &vmmon_vcpu_vm_ops;
	return 0;
}

static long vmmon_vcpu_get_regs(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_regs regs;

	vmmon_hw()->vcpu_get_regs(vcpu, &regs);
	return copy_to_user(uarg, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static long vmmon_vcpu_set_regs(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_regs regs;

	if (copy_from_user(&regs, uarg, sizeof(regs)))
		return -EFAULT;
	vmmon_hw()->vcpu_set_regs(vcpu, &regs);
	return 0;
}

static long vmmon_vcpu_get_sregs(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_sregs sregs;
	int err;

	memset(&sregs, 0, sizeof(sregs));
	err = vmmon_hw()->vcpu_get_sregs(vcpu, &sregs);
	if (err)
		return err;
	return copy_to_user(uarg, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long vmmon_vcpu_set_sregs(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_sregs sregs;

	if (copy_from_user(&sregs, uarg, sizeof(sregs)))
		return -EFAULT;
	return vmmon_hw()->vcpu_set_sregs(vcpu, &sregs);
}

static long vmmon_vcpu_msrs(struct vmmon_vcpu *vcpu, void __user *uarg,
			    bool write)
{
	struct vmmon_msrs __user *umsrs = uarg;
	struct vmmon_msr_entry *e;
	struct vmmon_msrs hdr;
	size_t size;
	long err;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad || !hdr.nmsrs || hdr.nmsrs > VMMON_MAX_MSR_ENTRIES)
		return -EINVAL;
	size = hdr.nmsrs * sizeof(*e);
	e = memdup_user(umsrs->entries, size);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = vmmon_hw()->vcpu_msrs(vcpu, e, hdr.nmsrs, write);
	if (!err && !write && copy_to_user(umsrs->entries, e, size))
		err = -EFAULT;
	kfree(e);
	return err;
}

static long vmmon_vcpu_interrupt(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_interrupt irq;

	if (copy_from_user(&irq, uarg, sizeof(irq)))
		return -EFAULT;
	/*
	 * Any vector, as hardware delivers an external interrupt with any
	 * (SDM 3C 27.2.1.3 restricts only NMIs and exceptions): a real-mode
	 * BIOS programs the PIC to put IRQ 0 at vector 8.
	 */
	if (irq.pad || irq.vector > 255)
		return -EINVAL;
	if (vcpu->irq_pending >= 0)
		return -EBUSY;
	vcpu->irq_pending = irq.vector;
	return 0;
}

void vmmon_vcpu_read_stats(const struct vmmon_vcpu *vcpu,
			   struct vmmon_exit_stats *sum)
{
	unsigned int i;

	sum->total += READ_ONCE(vcpu->stats.total);
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		sum->count[i] += READ_ONCE(vcpu->stats.count[i]);
}

/* The sum of the exits of @vm's vCPUs; vm->lock is held. */
void vmmon_vcpu_sum_stats(struct vmmon_vm *vm, struct vmmon_exit_stats *sum)
{
	unsigned int i;

	for (i = 0; i < VMMON_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vmmon_vcpu_read_stats(vm->vcpus[i], sum);
}

static long vmmon_vcpu_get_stats(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_vcpu_stats stats = {};

	vmmon_vcpu_read_stats(vcpu, &stats.exits);
	stats.loads = READ_ONCE(vcpu->loads);
	return copy_to_user(uarg, &stats, sizeof(stats)) ? -EFAULT : 0;
}

/*
 * The clock of time in RUN, less a HLT's wait there (vmmon_vcpu_halt()):
 * started and stopped by the vCPU's thread, read by netlink while a RUN
 * is in progress (a guest whose exits all stay in vmmon may be in one
 * RUN for minutes).
 */
static void vmmon_vcpu_run_clock(struct vmmon_vcpu *vcpu, bool start)
{
	u64 now = ktime_get_ns();

	preempt_disable();
	write_seqcount_begin(&vcpu->run_seq);
	if (start) {
		vcpu->run_since = now;
	} else {
		vcpu->run_ns += now - vcpu->run_since;
		vcpu->run_since = 0;
	}
	write_seqcount_end(&vcpu->run_seq);
	preempt_enable();
}

u64 vmmon_vcpu_run_ns(const struct vmmon_vcpu *vcpu)
{
	unsigned int seq;
	u64 ns, since;

	do {
		seq = read_seqcount_begin(&vcpu->run_seq);
		ns = vcpu->run_ns;
		since = vcpu->run_since;
	} while (read_seqcount_retry(&vcpu->run_seq, seq));
	return since ? ns + ktime_get_ns() - since : ns;
}

/*
 * Under ipi_lock, which RUN takes to set and clear runner: the bit goes
 * in only while the vCPU is inside RUN, and its thread reads IRR only
 * after its RUN returned, so it sees the bit and injects it; a sender
 * that finds it out of RUN leaves the IPI to userspace whole, so that it
 * is never delivered twice.  Userspace clears the flag of a vCPU whose
 * APIC another vCPU's INIT resets, while it runs, and then clears IRR:
 * the flag is read again after the bit is set, so that either the reset
 * comes after the bit or the bit is taken back.
 */
bool vmmon_vcpu_deliver_ipi(struct vmmon_vcpu *vcpu, unsigned int vector)
{
	struct vmmon_apic_vectors *apic = &vcpu->run->apic;
	bool sent = false;

	/* set_bit() and clear_bit() below work on the bits as longs. */
	BUILD_BUG_ON(offsetof(struct vmmon_run, apic.irr) % sizeof(long));
	BUILD_BUG_ON(offsetof(struct vmmon_run, apic.tmr) % sizeof(long));

	raw_spin_lock(&vcpu->ipi_lock);
	if (!vcpu->runner || !vmmon_vcpu_takes_ipis(vcpu))
		goto out;
	/* Edge, and said so before the thread can see the IRR bit. */
	clear_bit(vector, (unsigned long *)apic->tmr);
	set_bit(vector, (unsigned long *)apic->irr);
	smp_mb__after_atomic();
	if (!vmmon_vcpu_takes_ipis(vcpu)) {
		clear_bit(vector, (unsigned long *)apic->irr);
		goto out;
	}
	/*
	 * An IPI if it runs now; else it looks before its next entry.  The
	 * barrier orders the kick before kick_process()'s look at whether
	 * the thread runs, as KVM orders its request before the vCPU mode.
	 */
	smp_store_mb(vcpu->irr_kick, true);
	kick_process(vcpu->runner);
	/* And if it waits in a HLT, it wakes (a full barrier first). */
	rcuwait_wake_up(&vcpu->halt_wait);
	sent = true;
out:
	raw_spin_unlock(&vcpu->ipi_lock);
	return sent;
}

/*
 * The waiter sets its state, with a full barrier, before it looks at the
 * kick; the sender sets the kick, with one, before it looks for a
 * waiter: one of the two sees the other.  No timer slack: the deadline
 * is the guest's timer interrupt.
 */
void vmmon_vcpu_halt(struct vmmon_vcpu *vcpu, ktime_t timeout_ns)
{
	ktime_t expires = ktime_add_safe(ktime_get(), timeout_ns);

	vmmon_vcpu_run_clock(vcpu, false);
	prepare_to_rcuwait(&vcpu->halt_wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (vmmon_vcpu_irr_kicked(vcpu) || signal_pending(current))
			break;
		/* 0: the deadline passed; -EINTR: woken. */
		if (!schedule_hrtimeout_range(timeout_ns == KTIME_MAX ?
					      NULL : &expires, 0,
					      HRTIMER_MODE_ABS))
			break;
	}
	finish_rcuwait(&vcpu->halt_wait);
	vmmon_vcpu_run_clock(vcpu, true);
}

struct vmmon_vcpu *vmmon_vcpu_peer(struct vmmon_vcpu *vcpu, u32 id)
{
	if (id >= VMMON_MAX_VCPUS)
		return NULL;
	/* Published whole by vmmon_vcpu_create(), freed with the VM. */
	return smp_load_acquire(&vcpu->vm->vcpus[id]);
}

/* Out of RUN; the kick dropped with @drop_kick (userspace looks now). */
static void vmmon_vcpu_end_run(struct vmmon_vcpu *vcpu, bool drop_kick)
{
	raw_spin_lock(&vcpu->ipi_lock);
	vcpu->runner = NULL;
	if (drop_kick)
		WRITE_ONCE(vcpu->irr_kick, false);
	raw_spin_unlock(&vcpu->ipi_lock);
}

/*
 * RUN, with what netlink shows of it: the VM's state, the time spent in
 * RUN, and an event for a guest that shut down or stopped with an
 * internal error.
 */
static long vmmon_vcpu_run(struct vmmon_vcpu *vcpu)
{
	struct vmmon_vm *vm = vcpu->vm;
	long ret;

	vcpu->ran = true;
	WRITE_ONCE(vm->ran, true);
	atomic_inc(&vm->nr_running);
	vmmon_vcpu_run_clock(vcpu, true);
	raw_spin_lock(&vcpu->ipi_lock);
	vcpu->runner = current;
	raw_spin_unlock(&vcpu->ipi_lock);
	ret = vmmon_hw()->vcpu_run(vcpu);
	/*
	 * Suspend's retry (EAGAIN) calls RUN again without a return to
	 * userspace: the kick stays for it, which then returns at once.
	 */
	vmmon_vcpu_end_run(vcpu, ret != -EAGAIN);
	vmmon_vcpu_run_clock(vcpu, false);
	atomic_dec(&vm->nr_running);
	/*
	 * Once per stop: RUN called again and again on a guest that stays
	 * dead does not flood the listeners.
	 */
	if (vcpu->stopped && vcpu->stopped != vcpu->last_stopped)
		vmmon_genl_event(vm, vcpu->stopped);
	vcpu->last_stopped = vcpu->stopped;
	vcpu->stopped = 0;
	return ret;
}

static long vmmon_vcpu_dispatch(struct vmmon_vcpu *vcpu, unsigned int cmd,
				unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case VMMON_RUN:
		if (arg)
			return -EINVAL;
		ret = vmmon_vcpu_run(vcpu);
		break;
	case VMMON_GET_REGS:
		ret = vmmon_vcpu_get_regs(vcpu, uarg);
		break;
	case VMMON_SET_REGS:
		ret = vmmon_vcpu_set_regs(vcpu, uarg);
		break;
	case VMMON_GET_SREGS:
		ret = vmmon_vcpu_get_sregs(vcpu, uarg);
		break;
	case VMMON_SET_SREGS:
		ret = vmmon_vcpu_set_sregs(vcpu, uarg);
		break;
	case VMMON_SET_CPUID:
		ret = vmmon_cpuid_set(vcpu, uarg);
		break;
	case VMMON_GET_CPUID:
		ret = vmmon_cpuid_get(vcpu, uarg);
		break;
	case VMMON_GET_MSRS:
		ret = vmmon_vcpu_msrs(vcpu, uarg, false);
		break;
	case VMMON_SET_MSRS:
		ret = vmmon_vcpu_msrs(vcpu, uarg, true);
		break;
	case VMMON_INTERRUPT:
		ret = vmmon_vcpu_interrupt(vcpu, uarg);
		break;
	case VMMON_GET_VCPU_STATS:
		ret = vmmon_vcpu_get_stats(vcpu, uarg);
		break;
	case VMMON_NMI:
		/* One NMI latched, as the CPU's NMI input latches one. */
		if (arg)
			return -EINVAL;
		vcpu->nmi_pending = true;
		ret = 0;
		break;
	default:
		ret = -ENOTTY;
	}
	return ret;
}

/*
 * EAGAIN from the backend: the CPU the call ran on had left root
 * operation (suspend or reboot began, or the CPU is going offline).  The
 * call is made again once VMX is back, waiting without the vCPU's lock
 * so that suspend can freeze every thread of the VMM, and userspace
 * never sees EAGAIN.
 */
static long vmmon_vcpu_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct vmmon_vcpu *vcpu = file->private_data;
	long ret;

	for (;;) {
		if (mutex_lock_killable(&vcpu->lock))
			return -EINTR;
		ret = vmmon_vcpu_dispatch(vcpu, cmd, arg);
		mutex_unlock(&vcpu->lock);
		if (ret != -EAGAIN)
			return ret;
		ret = vmmon_hw_wait();
		if (ret) {
			if (cmd == VMMON_RUN) {
				/* The kick kept for the retry: seen now. */
				vmmon_vcpu_end_run(vcpu, true);
				if (ret == -EINTR)
					vcpu->run->exit_reason =
						VMMON_EXIT_INTR;
			}
			return ret;
		}
	}
}

static const struct file_operations vmmon_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = vmmon_vcpu_release,
	.unlocked_ioctl = vmmon_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vmmon_vcpu_mmap,
	.llseek = noop_llseek,
};

/* Called by the VM's destruction only. */
void vmmon_vcpu_destroy(struct vmmon_vcpu *vcpu)
{
	vmmon_hw()->vcpu_fini(vcpu);
	atomic_dec(&vmmon_nr_vcpus);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu->cpuid);
	kfree(vcpu);
}

/* Returns the new vCPU's fd, or a negative errno. */
int vmmon_vcpu_create(struct vmmon_vm *vm, void __user *uarg)
{
	struct vmmon_create_vcpu args;
	struct vmmon_vcpu *vcpu;
	struct file *file;
	int err, fd;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.id >= VMMON_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = args.id;
	vcpu->irq_pending = -1;
	mutex_init(&vcpu->lock);
	raw_spin_lock_init(&vcpu->ipi_lock);
	rcuwait_init(&vcpu->halt_wait);
	seqcount_init(&vcpu->run_seq);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		err = -ENOMEM;
		goto free_vcpu;
	}

	for (;;) {
		mutex_lock(&vm->lock);
		if (vm->vcpus[args.id]) {
			err = -EEXIST;
			goto unlock;
		}
		err = vmmon_hw()->vcpu_init(vcpu);
		if (err != -EAGAIN)
			break;
		/* VMX is off for now: wait for it without the VM's lock. */
		mutex_unlock(&vm->lock);
		err = vmmon_hw_wait();
		if (err)
			goto free_run;
	}
	if (err)
		goto unlock;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto fini_hw;
	}
	file = anon_inode_getfile("vmmon-vcpu", &vmmon_vcpu_fops, vcpu,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto put_fd;
	}
	get_file(vm->file);
	/* Whole before vmmon_vcpu_peer() can find it without the lock. */
	smp_store_release(&vm->vcpus[args.id], vcpu);
	atomic_inc(&vmmon_nr_vcpus);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

put_fd:
	put_unused_fd(fd);
fini_hw:
	vmmon_hw()->vcpu_fini(vcpu);
unlock:
	mutex_unlock(&vm->lock);
free_run:
	free_page((unsigned long)vcpu->run);
free_vcpu:
	kfree(vcpu);
	return err;
}
