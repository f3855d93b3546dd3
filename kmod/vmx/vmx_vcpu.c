// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU on VT-x: its VMCS (controls from the capability MSRs, a VPID,
 * the reset state), its registers, and the run loop around the world
 * switch.  Exits are handled in vmx_exit.c.
 *
 * A vCPU's VMCS stays active on the CPU where it last ran, across
 * returns to userspace, sleeps and other threads' turns, as KVM keeps
 * its VMCSs: the next RUN on that CPU finds it there, needing at most a
 * VMPTRLD (when another VMCS was loaded meanwhile) and no host state but
 * the task's.  When its thread moves to another CPU, an IPI to the old
 * one clears it there first (a VMCS may be active on one CPU only).
 * Each CPU keeps a list of the VMCSs active on it, which it clears
 * before it leaves VMX operation (suspend, reboot, hotplug, the last VM
 * gone, a crash): the CPU may hold a VMCS's state inside until VMCLEAR
 * writes it back (SDM 3C 25.11.1).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <asm/cpufeatures.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#ifdef X86_FEATURE_FRED
#include <asm/fred.h>
#endif
#include <asm/irq_vectors.h>
#include <asm/io.h>
#include <asm/mce.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_regs.h"
#include "vmx_spec.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

/* Where VM exits land, in vmx_switch.S. */
extern const char vmx_vmexit[];

/* Armed only while an event waits for its window. */
#define VMX_PROC_WINDOW_EXITS	(VMX_PROC_INTR_WINDOW_EXITING | \
				 VMX_PROC_NMI_WINDOW_EXITING)

/* VPID 0 is the host's (SDM 28.1); 16 bits wide. */
#define VMX_VPID_FIRST	1
#define VMX_VPID_LAST	0xffff

/*
 * The highest VPID handed out.  When none is left a vCPU runs without
 * one, as KVM's do: VM entry and exit then flush its translations, which
 * is slower but correct, where failing CREATE_VCPU would let one user
 * who holds every VPID keep all others from running a guest.  Lowered
 * by the tests, to reach that path with a few vCPUs.
 */
static unsigned int vmx_max_vpid = VMX_VPID_LAST;

static int vmx_max_vpid_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err = kstrtouint(val, 0, &v);

	if (err)
		return err;
	if (v < VMX_VPID_FIRST || v > VMX_VPID_LAST)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops vmx_max_vpid_ops = {
	.set = vmx_max_vpid_set,
	.get = param_get_uint,
};
module_param_cb(max_vpid, &vmx_max_vpid_ops, &vmx_max_vpid, 0644);
MODULE_PARM_DESC(max_vpid, "highest VPID given to a vCPU (1-65535, default 65535); vCPUs beyond it run without one, flushing their TLB at each entry and exit");

/*
 * Preemption-timer ticks per entry: the guest exits at least this often
 * (scaled by IA32_VMX_MISC's rate), so the host can reschedule and see
 * signals even when no interrupt comes.
 */
#define VMX_TIMER_SLICE	0x100000

/* x86 reset state (SDM 3A 9.1.1) and the values VT-x requires. */
#define VMX_RESET_RIP		0xfff0
#define VMX_RESET_CS_SELECTOR	0xf000
#define VMX_RESET_CS_BASE	0xffff0000
#define VMX_RESET_RFLAGS	X86_EFLAGS_FIXED
#define VMX_RESET_CR0		X86_CR0_ET
#define VMX_RESET_PAT		0x0007040600070406ULL
#define VMX_AR_CODE		0x9b	/* present, S, execute/read, accessed */
#define VMX_AR_DATA		0x93	/* present, S, read/write, accessed */
#define VMX_AR_LDT		0x82	/* present, LDT */
#define VMX_AR_TSS_BUSY		0x8b	/* present, busy 32-bit TSS */
static DEFINE_IDA(vmx_vpid_ida);
unsigned long vmx_cr4_mce, vmx_cr4_refused;
/* Every bit set: every RDMSR and WRMSR of every guest exits (SDM 25.6.9). */
static struct page *vmx_msr_bitmap;

/*
 * The VMCSs active on each CPU (vx->active_link), and the one current
 * there (the last VMPTRLD).  The list and vx->cpu change only on that
 * CPU, with interrupts off: in the vCPU's run loop, in the IPI of
 * vmx_vmcs_clear(), and where the CPU leaves VMX operation.
 */
static DEFINE_PER_CPU(struct list_head, vmx_active_vmcss);
static DEFINE_PER_CPU(struct vmx_vcpu *, vmx_current_vmcs);

int vmx_vcpus_setup(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(vmx_active_vmcss, cpu));
	vmmon_fpu_setup();
	vmx_cr4_mce = cr4_read_shadow() & X86_CR4_MCE;
	vmx_cr4_refused = VMX_CR4_HOST_OWNED | VMX_CR4_NOT_GIVEN;
	if (!cpu_feature_enabled(X86_FEATURE_OSPKE))
		vmx_cr4_refused |= X86_CR4_PKE;
	vmx_msr_setup();
	vmx_pmu_setup();
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	if (!vmx_msr_bitmap)
		return -ENOMEM;
	memset(page_address(vmx_msr_bitmap), 0xff, PAGE_SIZE);
	return 0;
}

void vmx_vcpus_teardown(void)
{
	__free_page(vmx_msr_bitmap);
}

void vmx_vmcs_error(const char *op, unsigned long field,
		    enum vmx_insn_status st)
{
	u64 err = 0;

	if (st == VMX_INSN_FAIL_VALID)
		vmx_vmread(VMCS_VM_INSTRUCTION_ERROR, &err);
	WARN_ONCE(1, "vmmon: %s of VMCS field 0x%lx failed: %s, VM-instruction error %llu\n",
		  op, field, vmx_insn_status_name(st), err);
}

/* The fields that do not change while the vCPU lives. */
static void vmx_vmcs_write_controls(struct vmx_vcpu *vx, u64 eptp)
{
	vmcs_write16(VMCS_VPID, vx->vpid);
	vmcs_write64(VMCS_EPT_POINTER, eptp);
	vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_caps.pin);
	/* The window exits are armed only when an event waits for one. */
	vx->proc = vmx_caps.proc & ~VMX_PROC_WINDOW_EXITS;
	vmcs_write32(VMCS_PROC_BASED_CONTROLS, vx->proc);
	vmcs_write32(VMCS_EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write32(VMCS_ENTRY_CONTROLS, vmx_caps.entry);
	/*
	 * Machine checks are the host's (vmx_machine_check()); debug
	 * exceptions vmmon delivers itself, to keep the guest's DR6
	 * (vmx_debug.c).
	 */
	vmcs_write32(VMCS_EXCEPTION_BITMAP, BIT(X86_TRAP_MC) | BIT(X86_TRAP_DB));
	vmcs_write64(VMCS_MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	vmcs_write64(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
	vmcs_write64(VMCS_TSC_OFFSET, 0);
	vmcs_write32(VMCS_PAGE_FAULT_ERROR_MASK, 0);
	vmcs_write32(VMCS_PAGE_FAULT_ERROR_MATCH, 0);
	vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmx_pmu_write_controls(vx);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_writel(VMCS_CR0_GUEST_HOST_MASK, VMX_CR0_HOST_OWNED);
	vmcs_writel(VMCS_HOST_RIP, (unsigned long)vmx_vmexit);
}

/* Each segment of struct vmmon_sregs and its VMCS fields. */
static const struct {
	size_t offset;
	u16 selector, limit, ar, base;
} vmx_seg_fields[] = {
		{ offsetof(struct vmmon_sregs, cs), VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR, VMCS_GUEST_CS_BASE },
		{ offsetof(struct vmmon_sregs, ds), VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, VMCS_GUEST_DS_BASE },
		{ offsetof(struct vmmon_sregs, es), VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, VMCS_GUEST_ES_BASE },
		{ offsetof(struct vmmon_sregs, fs), VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, VMCS_GUEST_FS_BASE },
		{ offsetof(struct vmmon_sregs, gs), VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, VMCS_GUEST_GS_BASE },
		{ offsetof(struct vmmon_sregs, ss), VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, VMCS_GUEST_SS_BASE },
		{ offsetof(struct vmmon_sregs, tr), VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_AR, VMCS_GUEST_TR_BASE },
		{ offsetof(struct vmmon_sregs, ldt), VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_LDTR_AR, VMCS_GUEST_LDTR_BASE },
};

static void vmx_write_segment(unsigned int i, const struct vmmon_segment *seg)
{
	vmcs_write16(vmx_seg_fields[i].selector, seg->selector);
	vmcs_write32(vmx_seg_fields[i].limit, seg->limit);
	vmcs_write32(vmx_seg_fields[i].ar,
		     seg->unusable ? VMX_AR_UNUSABLE : seg->ar);
	vmcs_writel(vmx_seg_fields[i].base, seg->base);
}

static void vmx_read_segment(unsigned int i, struct vmmon_segment *seg)
{
	u32 ar = vmcs_read32(vmx_seg_fields[i].ar);

	seg->selector = vmcs_read16(vmx_seg_fields[i].selector);
	seg->limit = vmcs_read32(vmx_seg_fields[i].limit);
	seg->base = vmcs_readl(vmx_seg_fields[i].base);
	seg->unusable = !!(ar & VMX_AR_UNUSABLE);
	seg->ar = ar & 0xffff;
}

#define VMX_NR_SEGMENTS	ARRAY_SIZE(vmx_seg_fields)

/*
 * Host state (SDM 3C 25.5) as this CPU and task have it now: what VM exit
 * loads.  Written when the VMCS arrives on a CPU; what may change while
 * it stays (CR3, CR4, the task's FS base) is checked before each entry
 * or batch of entries.
 */
static void vmx_write_host_state(struct vmx_vcpu *vx)
{
	struct ldttss_desc *tss;
	struct desc_ptr gdt, idt;
	u64 msr;

	native_store_gdt(&gdt);
	store_idt(&idt);
	tss = (struct ldttss_desc *)(gdt.address + GDT_ENTRY_TSS * 8);

	vmcs_writel(VMCS_HOST_CR0, read_cr0());
	vx->host_cr3 = __get_current_cr3_fast();
	vmcs_writel(VMCS_HOST_CR3, vx->host_cr3);
	vx->host_cr4 = cr4_read_shadow();
	vmcs_writel(VMCS_HOST_CR4, vx->host_cr4);
	vmcs_write16(VMCS_HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(VMCS_HOST_SS_SELECTOR, __KERNEL_DS);
	/* Restored by hand after the exit where they were not null. */
	vmcs_write16(VMCS_HOST_DS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_ES_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_writel(VMCS_HOST_TR_BASE, tss->base0 | (u64)tss->base1 << 16 |
		    (u64)tss->base2 << 24 | (u64)tss->base3 << 32);
	vmcs_writel(VMCS_HOST_GDTR_BASE, gdt.address);
	vmcs_writel(VMCS_HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_FS_BASE, vx->host_fs_base);
	vmcs_writel(VMCS_HOST_FS_BASE, vx->host_fs_base);
	rdmsrl(MSR_GS_BASE, msr);
	vmcs_writel(VMCS_HOST_GS_BASE, msr);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write32(VMCS_HOST_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_writel(VMCS_HOST_SYSENTER_ESP, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_writel(VMCS_HOST_SYSENTER_EIP, msr);
	rdmsrl(MSR_EFER, msr);
	vmcs_write64(VMCS_HOST_EFER, msr);
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmcs_write64(VMCS_HOST_PAT, msr);
}

/* On the CPU where @vx's VMCS is active, interrupts off. */
static void vmx_vmcs_clear_here(struct vmx_vcpu *vx)
{
	enum vmx_insn_status st = vmx_vmclear(page_to_phys(vx->vmcs));

	if (st != VMX_INSN_OK)
		pr_err("cannot clear a VMCS: %s\n", vmx_insn_status_name(st));
	list_del_rcu(&vx->active_link);
	if (__this_cpu_read(vmx_current_vmcs) == vx)
		__this_cpu_write(vmx_current_vmcs, NULL);
	/* Off the list before another CPU may see -1 and take it. */
	smp_wmb();
	WRITE_ONCE(vx->cpu, -1);
}

static void vmx_vmcs_clear_ipi(void *arg)
{
	struct vmx_vcpu *vx = arg;

	/* It may have been cleared since: the CPU left VMX operation. */
	if (READ_ONCE(vx->cpu) == smp_processor_id())
		vmx_vmcs_clear_here(vx);
}

/*
 * Make @vx's VMCS inactive wherever it is active, so that another CPU
 * may load it, or its memory be freed.  Interrupts on; the vCPU's ioctls
 * are serialized, so nothing else makes it active meanwhile.
 */
static void vmx_vmcs_clear(struct vmx_vcpu *vx)
{
	int cpu = READ_ONCE(vx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_vmcs_clear_ipi, vx, 1);
	/* Pairs with vmx_vmcs_clear_here(): its list change is seen. */
	smp_rmb();
}

/*
 * Where this CPU leaves VMX operation: write every VMCS active on it
 * back to memory.  The vCPUs load theirs again wherever they run next.
 */
void vmx_vmcs_clear_all_here(void)
{
	struct vmx_vcpu *vx, *next;
	unsigned long flags;

	local_irq_save(flags);
	list_for_each_entry_safe(vx, next, this_cpu_ptr(&vmx_active_vmcss),
				 active_link)
		vmx_vmcs_clear_here(vx);
	local_irq_restore(flags);
}

/*
 * Panic or kdump, maybe in NMI context and in the middle of a list
 * change: VMCLEAR what the list shows, for the dump, and change nothing.
 * The list changes as RCU lists do (an entry is complete before it is
 * linked, and keeps its next pointer when unlinked), so a walk from an
 * NMI never follows a half-made link.
 */
void vmx_vmcs_clear_all_emergency(void)
{
	struct list_head *head = this_cpu_ptr(&vmx_active_vmcss), *pos;
	struct vmx_vcpu *vx;

	for (pos = READ_ONCE(head->next); pos != head;
	     pos = READ_ONCE(pos->next)) {
		vx = list_entry(pos, struct vmx_vcpu, active_link);
		vmx_vmclear(page_to_phys(vx->vmcs));
	}
}

/*
 * Make the VMCS current on this CPU, preemption off, beginning a VMX
 * section (vmmon_hw_section_begin): -EAGAIN when suspend, reboot or CPU
 * hotplug keeps VMX off here.  A VMCS active on another CPU is cleared
 * there first; one that arrives here gets this CPU's host state and is
 * launched afresh.  Pairs with vmx_put().
 */
static int vmx_load(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	int cpu = smp_processor_id();
	enum vmx_insn_status st = VMX_INSN_OK;

	if (!vmmon_hw_section_begin())
		return -EAGAIN;
	if (likely(READ_ONCE(vx->cpu) == cpu)) {
		if (__this_cpu_read(vmx_current_vmcs) != vx) {
			st = vmx_vmptrld(page_to_phys(vx->vmcs));
			if (st == VMX_INSN_OK)
				__this_cpu_write(vmx_current_vmcs, vx);
		}
	} else {
		vmx_vmcs_clear(vx);
		local_irq_disable();
		st = vmx_vmptrld(page_to_phys(vx->vmcs));
		if (st == VMX_INSN_OK) {
			__this_cpu_write(vmx_current_vmcs, vx);
			list_add_rcu(&vx->active_link,
				     this_cpu_ptr(&vmx_active_vmcss));
			WRITE_ONCE(vx->cpu, cpu);
		}
		local_irq_enable();
		if (st == VMX_INSN_OK) {
			vx->launched = false;
			vmx_write_host_state(vx);
			WRITE_ONCE(vcpu->loads, vcpu->loads + 1);
		}
	}
	if (st != VMX_INSN_OK) {
		vmmon_hw_section_end();
		pr_err("cannot load a VMCS: %s\n", vmx_insn_status_name(st));
		return -EIO;
	}
	if (unlikely(vx->cpuid_gen != vcpu->cpuid_gen))
		vmx_cpuid_apply(vcpu);
	return 0;
}

/* End the section; the VMCS stays active, and current until another's load. */
static void vmx_put(void)
{
	vmmon_hw_section_end();
}

/*
 * The guest's IA32_EFER; the VMCS is loaded.  The guest is in IA-32e mode
 * exactly when EFER.LMA says so, and VM entry checks that the entry
 * control agrees.
 */
void vmx_set_efer(u64 efer)
{
	u32 entry = vmx_caps.entry & ~VMX_ENTRY_IA32E_MODE_GUEST;

	if (efer & EFER_LMA)
		entry |= VMX_ENTRY_IA32E_MODE_GUEST;
	vmcs_write64(VMCS_GUEST_EFER, efer);
	vmcs_write32(VMCS_ENTRY_CONTROLS, entry);
}

/* The guest state of SET_SREGS, in the VMCS; the VMCS is loaded. */
static void vmx_write_sregs(struct vmx_vcpu *vx, const struct vmmon_sregs *sregs)
{
	unsigned int i;

	for (i = 0; i < VMX_NR_SEGMENTS; i++)
		vmx_write_segment(i, (const void *)sregs +
				     vmx_seg_fields[i].offset);
	vmcs_write32(VMCS_GUEST_GDTR_LIMIT, sregs->gdt.limit);
	vmcs_writel(VMCS_GUEST_GDTR_BASE, sregs->gdt.base);
	vmcs_write32(VMCS_GUEST_IDTR_LIMIT, sregs->idt.limit);
	vmcs_writel(VMCS_GUEST_IDTR_BASE, sregs->idt.base);
	vmcs_writel(VMCS_GUEST_CR0, sregs->cr0 | VMX_CR0_HOST_OWNED);
	vmcs_writel(VMCS_CR0_READ_SHADOW, sregs->cr0);
	vmcs_writel(VMCS_GUEST_CR3, sregs->cr3);
	vmcs_writel(VMCS_GUEST_CR4, vmx_hw_cr4(sregs->cr4));
	vmcs_writel(VMCS_CR4_READ_SHADOW, sregs->cr4);
	vmx_set_efer(sregs->efer);
}

static void vmx_read_sregs(struct vmx_vcpu *vx, struct vmmon_sregs *sregs)
{
	unsigned int i;

	for (i = 0; i < VMX_NR_SEGMENTS; i++)
		vmx_read_segment(i, (void *)sregs + vmx_seg_fields[i].offset);
	sregs->gdt.limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	sregs->gdt.base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	sregs->idt.limit = vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	sregs->idt.base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
	sregs->cr0 = vmx_guest_cr0();
	sregs->cr3 = vmcs_readl(VMCS_GUEST_CR3);
	sregs->cr4 = vmx_guest_cr4(vx);
	sregs->efer = vmcs_read64(VMCS_GUEST_EFER);
}

/* The x86 reset state (SDM 3A table 9-1), in real mode. */
static void vmx_write_reset_state(struct vmx_vcpu *vx)
{
	struct vmmon_segment data = { .limit = 0xffff, .ar = VMX_AR_DATA };
	struct vmmon_sregs sregs = {
		.cs = { .selector = VMX_RESET_CS_SELECTOR,
			.base = VMX_RESET_CS_BASE, .limit = 0xffff,
			.ar = VMX_AR_CODE },
		.ds = data, .es = data, .fs = data, .gs = data, .ss = data,
		.tr = { .limit = 0xffff, .ar = VMX_AR_TSS_BUSY },
		.ldt = { .limit = 0xffff, .ar = VMX_AR_LDT },
		.gdt = { .limit = 0xffff },
		.idt = { .limit = 0xffff },
		.cr0 = VMX_RESET_CR0,
	};

	vmx_write_sregs(vx, &sregs);
	vmcs_writel(VMCS_GUEST_DR7, VMX_RESET_DR7);
	vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write64(VMCS_GUEST_PAT, VMX_RESET_PAT);
	vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_writel(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_writel(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_writel(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vx->rip = VMX_RESET_RIP;
	vx->rflags = VMX_RESET_RFLAGS;
	vx->dr6 = VMX_RESET_DR6;
	vx->dr7 = VMX_RESET_DR7;
	vx->debugctl = 0;
}

static int vmx_vmcs_setup(struct vmmon_vcpu *vcpu, u64 eptp)
{
	struct vmx_vcpu *vx = vcpu->hw;
	enum vmx_insn_status st;
	int err;

	preempt_disable();
	if (!vmmon_hw_section_begin()) {
		preempt_enable();
		return -EAGAIN;
	}
	/* VMCLEAR first: it sets the launch state a new VMCS needs. */
	st = vmx_vmclear(page_to_phys(vx->vmcs));
	vmmon_hw_section_end();
	err = st == VMX_INSN_OK ? vmx_load(vcpu) : -EIO;
	if (!err) {
		vmx_vmcs_write_controls(vx, eptp);
		/* An empty CPUID table: no optional feature yet. */
		vx->cr4_mask = VMX_CR4_GUEST_HOST_MASK;
		vmcs_writel(VMCS_CR4_GUEST_HOST_MASK, vx->cr4_mask);
		vmx_write_reset_state(vx);
		vmx_cpuid_apply(vcpu);
		vmx_put();
	}
	preempt_enable();
	return err;
}

/* Register @n of an exit qualification's numbering (SDM 3C table 28-3). */
u64 *vmx_gpr(struct vmx_vcpu *vx, unsigned int n)
{
	struct vmx_guest_regs *g = &vx->regs;
	u64 *const regs[16] = {
		&g->rax, &g->rcx, &g->rdx, &g->rbx, &vx->rsp, &g->rbp,
		&g->rsi, &g->rdi, &g->r8, &g->r9, &g->r10, &g->r11,
		&g->r12, &g->r13, &g->r14, &g->r15,
	};

	return regs[n & 15];
}

/*
 * Exceptions that are faults (SDM 3A table 6-1), whose delivery pushes
 * RFLAGS with RF set, so that an instruction breakpoint does not fire
 * again when the handler returns to the instruction (SDM 3A 2.3,
 * EFLAGS.RF, and 3B 18.3.1.1).  #DB is a fault or a trap by its cause:
 * vmx_debug.c sets RF itself for the faults.
 */
#define VMX_FAULT_VECTORS	(BIT(X86_TRAP_DE) | BIT(X86_TRAP_BR) | \
				 BIT(X86_TRAP_UD) | BIT(X86_TRAP_NM) | \
				 BIT(X86_TRAP_OLD_MF) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
				 BIT(X86_TRAP_MF) | BIT(X86_TRAP_AC) | \
				 BIT(X86_TRAP_XF) | BIT(X86_TRAP_VE) | \
				 BIT(X86_TRAP_CP))

/*
 * An exception the guest takes at its next entry: a fault instead of
 * its instruction, or a trap after it.
 */
void vmx_queue_exception(struct vmx_vcpu *vx, u8 vector, bool has_error,
			 u32 error_code)
{
	vx->event.info = VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE_HW_EXCEPTION |
			 vector | (has_error ? VMX_INTR_INFO_DELIVER_CODE : 0);
	vx->event.error_code = error_code;
	vx->event.insn_len = 0;
	if (vector < 32 && (BIT(vector) & VMX_FAULT_VECTORS))
		vx->rflags |= X86_EFLAGS_RF;
}

/*
 * An STI or MOV SS shadow ends (the instruction it covered is done, or
 * the guest's registers were replaced, or a #DB handler starts): written
 * back to the VMCS at the next entry.
 */
void vmx_end_shadow(struct vmx_vcpu *vx)
{
	if (vx->interruptibility & (VMX_INTERRUPTIBILITY_STI |
				    VMX_INTERRUPTIBILITY_MOV_SS)) {
		vx->interruptibility &= ~(VMX_INTERRUPTIBILITY_STI |
					  VMX_INTERRUPTIBILITY_MOV_SS);
		vx->interruptibility_dirty = true;
	}
}

/*
 * The instruction at RIP is done, emulated or completed by vmmon: move
 * past it as the CPU would.  RF and an interrupt shadow (STI, MOV SS)
 * last one instruction, this one; a single-step trap (RFLAGS.TF) is due
 * after it, which the exit took away (without BTF, which steps on
 * branches only, and vmmon emulates none).  Needs no VMCS.
 */
void vmx_insn_done(struct vmx_vcpu *vx, u32 len)
{
	vx->rip += len;
	vx->rflags &= ~X86_EFLAGS_RF;
	vmx_end_shadow(vx);
	if ((vx->rflags & X86_EFLAGS_TF) &&
	    !(vx->debugctl & DEBUGCTLMSR_BTF) && !vx->event.info)
		vmx_queue_db(vx, VMX_DR6_BS);
}

/*
 * An IRET that faulted (or hit an EPT violation) after it had unblocked
 * NMIs: the exit says so, and NMIs must be blocked again since the IRET
 * runs again (SDM 3C 28.2.3 and 28.2.2, qualification bit 12).  Not when
 * the exit was a double fault, nor during the delivery of an event.
 */
static bool vmx_exit_unblocked_nmi(const struct vmx_exit *exit, u32 basic,
				   u32 idt)
{
	if (idt & VMX_INTR_INFO_VALID)
		return false;
	if (basic == VMX_EXIT_EPT_VIOLATION)
		return exit->qualification & VMX_EPT_QUAL_NMI_UNBLOCKED;
	return basic == VMX_EXIT_EXCEPTION_NMI &&
	       (exit->intr_info & VMX_INTR_INFO_NMI_UNBLOCKED) &&
	       (exit->intr_info & VMX_INTR_INFO_VECTOR_MASK) != X86_TRAP_DF;
}

/*
 * With virtual NMIs, only the delivery of an NMI that vmmon injected
 * blocks NMIs in the guest; only IRET, or an entry that says so, unblocks
 * them.  An exit that reports them blocked after an entry that had them
 * unblocked and delivered none reports the state of something else:
 * Bochs 2.7 keeps virtual-NMI blocking per emulated CPU, not per VMCS,
 * and hands the blocking of a guest that ended inside its NMI handler to
 * the next guest entered on that CPU, whose NMIs then waited for ever.
 * Such blocking is not the guest's, and is dropped (a CPU never
 * reports it).
 */
static void vmx_drop_foreign_nmi_blocking(struct vmx_vcpu *vx, u32 reason)
{
	if (vx->nmi_may_block ||
	    !(vx->interruptibility & VMX_INTERRUPTIBILITY_NMI))
		return;
	pr_warn_once("the CPU reported NMI blocking that no NMI caused (interruptibility %#x at exit %#x; an emulator's?): ignored\n",
		     vx->interruptibility, reason);
	vx->interruptibility &= ~VMX_INTERRUPTIBILITY_NMI;
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vx->interruptibility);
}

static void vmx_read_exit(struct vmx_vcpu *vx, struct vmx_exit *exit)
{
	u32 basic, idt;

	vx->rip = vmcs_readl(VMCS_GUEST_RIP);
	vx->rsp = vmcs_readl(VMCS_GUEST_RSP);
	vx->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	vx->interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	exit->reason = vmcs_read32(VMCS_EXIT_REASON);
	vmx_drop_foreign_nmi_blocking(vx, exit->reason);
	/*
	 * A failed entry updates the reason and qualification only (SDM 3C
	 * 27.8): the other exit fields are an older exit's, already taken.
	 */
	if (exit->reason & VMX_EXIT_REASON_ENTRY_FAILED) {
		exit->qualification = vmcs_readl(VMCS_EXIT_QUALIFICATION);
		return;
	}
	exit->insn_len = vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN);
	exit->intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
	exit->qualification = vmcs_readl(VMCS_EXIT_QUALIFICATION);

	/* An event cut short by the exit is delivered again at the next entry. */
	idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	if (idt & VMX_INTR_INFO_VALID) {
		vx->event.info = idt & ~VMX_INTR_INFO_NMI_UNBLOCKED;
		vx->event.error_code = idt & VMX_INTR_INFO_DELIVER_CODE ?
			vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE) : 0;
		vx->event.insn_len = exit->insn_len;
		/*
		 * An NMI cut short left NMIs blocked, and VM entry refuses to
		 * inject one then (SDM 3C 27.1, 26.3.1.5): as KVM, unblock.
		 */
		if ((idt & VMX_INTR_INFO_TYPE_MASK) == VMX_INTR_INFO_TYPE_NMI &&
		    (vx->interruptibility & VMX_INTERRUPTIBILITY_NMI)) {
			vx->interruptibility &= ~VMX_INTERRUPTIBILITY_NMI;
			vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
				     vx->interruptibility);
		}
	}

	basic = exit->reason & VMX_EXIT_REASON_BASIC_MASK;
	/* An IRET unblocks only what was blocked (Bochs 2.7 says otherwise). */
	if (vx->nmi_may_block && vmx_exit_unblocked_nmi(exit, basic, idt)) {
		vx->interruptibility |= VMX_INTERRUPTIBILITY_NMI;
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vx->interruptibility);
	}
	if (!vmx_exit_needs_paging(basic))
		return;
	/* What the handlers that run after vmx_put() need to know. */
	exit->gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);
	exit->gla = vmcs_readl(VMCS_GUEST_LINEAR_ADDRESS);
	exit->insn_info = vmcs_read32(VMCS_EXIT_INSTRUCTION_INFO);
	exit->paging.p.cr0 = vmcs_readl(VMCS_GUEST_CR0);
	exit->paging.p.cr3 = vmcs_readl(VMCS_GUEST_CR3);
	exit->paging.p.cr4 = vmcs_readl(VMCS_GUEST_CR4);
	exit->paging.p.efer = vmcs_read64(VMCS_GUEST_EFER);
	exit->paging.cs_base = vmcs_readl(VMCS_GUEST_CS_BASE);
	exit->paging.cs_ar = vmcs_read32(VMCS_GUEST_CS_AR);
	exit->paging.ss_ar = vmcs_read32(VMCS_GUEST_SS_AR);
}

/* Drop this CPU's TLB entries of the guest; the VMCS is loaded. */
void vmx_flush_guest_tlb(struct vmx_vcpu *vx)
{
	unsigned long type = vmx_caps.ept_vpid & VMX_VPID_CAP_INVVPID_SINGLE_CTX ?
			     VMX_INVVPID_SINGLE_CONTEXT : VMX_INVVPID_ALL_CONTEXT;
	enum vmx_insn_status st;

	/* Without a VPID, entry and exit flush (SDM 3C 29.4.3.3). */
	if (!vx->vpid)
		return;
	st = vmx_invvpid(type, vx->vpid);
	if (st != VMX_INSN_OK)
		pr_err_ratelimited("INVVPID failed: %s\n",
				   vmx_insn_status_name(st));
}

/*
 * TLB entries tagged with the vCPU's VPID that this CPU kept from an
 * earlier run may be stale: the guest may have changed its page tables
 * and flushed on another CPU since.  Drop them when the vCPU arrives.
 */
static void vmx_flush_tlb_on_migration(struct vmx_vcpu *vx)
{
	int cpu = smp_processor_id();

	if (vx->last_cpu == cpu)
		return;
	vmx_flush_guest_tlb(vx);
	vx->last_cpu = cpu;
	/* Another vCPU of the VM may have left EPT translations here. */
	vx->ept_gen = -1;
}

/*
 * Drop this CPU's EPT translations if entries were removed since the
 * last flush here.  Called with interrupts off just before the entry:
 * a removal after this point sends an IPI that makes the guest exit, and
 * the next entry comes back here.
 */
static void vmx_flush_ept_if_changed(struct vmx_vcpu *vx)
{
	unsigned long type = vmx_caps.ept_vpid & VMX_EPT_CAP_INVEPT_SINGLE_CTX ?
			     VMX_INVEPT_SINGLE_CONTEXT : VMX_INVEPT_ALL_CONTEXT;
	s64 gen = atomic64_read(&vx->ept->flush_gen);
	enum vmx_insn_status st;

	if (gen == vx->ept_gen)
		return;
	st = vmx_invept(type, vmmon_ept_pointer(vx->ept));
	if (st != VMX_INSN_OK)
		pr_err_ratelimited("INVEPT failed: %s\n", vmx_insn_status_name(st));
	vx->ept_gen = gen;
}

bool vmx_can_take_interrupt(const struct vmx_vcpu *vx)
{
	return (vx->rflags & X86_EFLAGS_IF) &&
	       !(vx->interruptibility &
		 (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS));
}

/*
 * Virtual-NMI blocking (an NMI handler runs until its IRET) and MOV SS
 * block an NMI; so does STI here, as in KVM, since some CPUs refuse to
 * enter with an NMI injected in an STI shadow (SDM 3C 27.3.1.5).
 */
bool vmx_can_take_nmi(const struct vmx_vcpu *vx)
{
	return !(vx->interruptibility &
		 (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS |
		  VMX_INTERRUPTIBILITY_NMI));
}

static void vmx_inject(u32 info)
{
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
}

#define VMX_EVENT_DB	(VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE_HW_EXCEPTION | \
			 X86_TRAP_DB)

/* An exception vmmon queued, or an event the last exit cut short. */
static void vmx_inject_event(struct vmx_vcpu *vx)
{
	/* Real mode pushes no error code (SDM 3C 27.2.1.3). */
	if (!(vmcs_readl(VMCS_GUEST_CR0) & X86_CR0_PE))
		vx->event.info &= ~VMX_INTR_INFO_DELIVER_CODE;
	if ((vx->event.info & ~VMX_INTR_INFO_DELIVER_CODE) == VMX_EVENT_DB)
		vmx_debug_deliver(vx);
	vmx_inject(vx->event.info);
	vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, vx->event.error_code);
	vmcs_write32(VMCS_ENTRY_INSTRUCTION_LEN, vx->event.insn_len);
	vx->entry_event = vx->event;
	vx->entry_event_queued = true;
	vx->event.info = 0;
}

/*
 * A failed entry delivered nothing, and left the event it was to inject
 * valid in the VMCS (SDM 3C 27.8): the event goes back where it came
 * from, and the VMCS forgets it, so that the next entry injects what
 * vmx_prepare_entry() then decides (and counts an NMI it injects).
 */
static void vmx_take_back_injection(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 info = vx->entry_event.info;

	if (!info)
		return;
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	if (vx->entry_event_queued)
		vx->event = vx->entry_event;
	else if ((info & VMX_INTR_INFO_TYPE_MASK) == VMX_INTR_INFO_TYPE_NMI)
		vcpu->nmi_pending = true;
	else
		vcpu->irq_pending = info & VMX_INTR_INFO_VECTOR_MASK;
	vx->entry_event.info = 0;
}

/*
 * The guest state vmmon keeps outside the VMCS, and the event to deliver,
 * by priority: a re-delivered or queued exception, an NMI, the interrupt
 * userspace injected, each if the guest can take it now.  While an NMI
 * or an interrupt waits (or userspace asked for the window), the guest
 * exits as soon as it can take one; in any case after @slice ticks of
 * the preemption timer.
 */
static void vmx_prepare_entry(struct vmmon_vcpu *vcpu, u32 slice)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u32 proc = vmx_caps.proc & ~VMX_PROC_WINDOW_EXITS;
	struct vmx_event *ev = &vx->entry_event;

	vmcs_writel(VMCS_GUEST_RIP, vx->rip);
	vmcs_writel(VMCS_GUEST_RSP, vx->rsp);
	vmcs_writel(VMCS_GUEST_RFLAGS, vx->rflags);
	vmcs_write32(VMCS_PREEMPTION_TIMER_VALUE, slice);
	ev->info = 0;
	vx->entry_event_queued = false;
	if (vx->event.info) {
		vmx_inject_event(vx);
	} else if (vcpu->nmi_pending && vmx_can_take_nmi(vx)) {
		ev->info = VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE_NMI |
			   X86_TRAP_NMI;
		vmx_inject(ev->info);
		vcpu->nmi_pending = false;
	} else if (vcpu->irq_pending >= 0 && vmx_can_take_interrupt(vx)) {
		ev->info = VMX_INTR_INFO_VALID | VMX_INTR_INFO_TYPE_EXT_INTR |
			   vcpu->irq_pending;
		vmx_inject(ev->info);
		vcpu->irq_pending = -1;
	}
	/* After the injection, which may end a shadow (a #DB). */
	if (vx->interruptibility_dirty) {
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vx->interruptibility);
		vx->interruptibility_dirty = false;
	}
	vx->nmi_may_block = (vx->interruptibility & VMX_INTERRUPTIBILITY_NMI) ||
			    (ev->info & VMX_INTR_INFO_TYPE_MASK) ==
			    VMX_INTR_INFO_TYPE_NMI;
	/*
	 * An NMI waits for the handler's IRET or the end of a MOV SS shadow
	 * (the NMI window), or for the end of an STI shadow, which the NMI
	 * window need not wait for (SDM 3C 26.7.6): the interrupt window
	 * does, IF being set in an STI shadow.  As KVM does.
	 */
	if (vcpu->nmi_pending)
		proc |= vx->interruptibility & VMX_INTERRUPTIBILITY_STI ?
			VMX_PROC_INTR_WINDOW_EXITING :
			VMX_PROC_NMI_WINDOW_EXITING;
	if (vcpu->irq_pending >= 0 || READ_ONCE(vcpu->run->request_interrupt_window))
		proc |= VMX_PROC_INTR_WINDOW_EXITING;
	/* The VMCS keeps the field across VMCLEAR: write it when it changes. */
	if (proc != vx->proc) {
		vmcs_write32(VMCS_PROC_BASED_CONTROLS, proc);
		vx->proc = proc;
	}
}

/*
 * Host state that VM exit does not restore: DS/ES, DEBUGCTL and PKRU are
 * put back after each exit with interrupts off; the task's FS/GS selectors
 * and LDT, which matter only in user mode, once RUN leaves the guest.
 */
struct vmx_host_extra {
	unsigned short ds, es;
	unsigned short fs, gs;
	u64 fs_base;
	u64 debugctl;
	u32 pkru;
	u64 kernel_gs_base;
};

/*
 * VM exit loads null FS/GS selectors and a null LDTR.  A 64-bit task
 * usually has all three null; a 32-bit task keeps its TLS in %gs, a task
 * that called modify_ldt() has an LDT, and each would fault in user mode
 * on a segment it no longer has.  As KVM does: the LDT (the mm's as it is
 * now: another thread may have installed one meanwhile, whose descriptor
 * modify_ldt's IPI put in this CPU's GDT), GS through load_gs_index(),
 * FS, each with its base as it was (the user's GS base is
 * KERNEL_GS_BASE, so after vmx_msr_load_host() read the guest's back).
 */
static void vmx_restore_user_segments(const struct vmx_host_extra *host)
{
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	if (READ_ONCE(current->mm->context.ldt))
		vmx_load_ldt(GDT_ENTRY_LDT * 8);
#endif
	if (host->gs) {
		load_gs_index(host->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, host->kernel_gs_base);
	}
	if (host->fs) {
		loadsegment(fs, host->fs);
		wrmsrl(MSR_FS_BASE, host->fs_base);
	}
}

/*
 * CR3 and CR4 may change between two exits of one run, with interrupts
 * on: a PCID switch, or an IPI that sets CR4.PCE for rdpmc.  VM exit must
 * load them as they are now, so they are read right before each entry
 * (as KVM does) and written when they changed.
 */
static void vmx_update_host_cr3_cr4(struct vmx_vcpu *vx)
{
	unsigned long cr3 = __get_current_cr3_fast(), cr4 = cr4_read_shadow();

	if (unlikely(cr3 != vx->host_cr3)) {
		vmcs_writel(VMCS_HOST_CR3, cr3);
		vx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vx->host_cr4)) {
		vmcs_writel(VMCS_HOST_CR4, cr4);
		vx->host_cr4 = cr4;
	}
}

/*
 * PKRU: XSAVE leaves it out (the kernel switches it itself, at context
 * switch), and the guest may change it without an exit once it sets
 * CR4.PKE.  In the host it limits what the kernel may do to this task's
 * user pages (copy_to_user() honours it), so the guest's value is in the
 * register only while the guest runs, as KVM does.
 */
static void vmx_pkru_load_guest(struct vmx_vcpu *vx,
				const struct vmx_host_extra *host)
{
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && vx->pkru != host->pkru)
		wrpkru(vx->pkru);
}

static void vmx_pkru_load_host(struct vmx_vcpu *vx,
			       const struct vmx_host_extra *host)
{
	if (!cpu_feature_enabled(X86_FEATURE_OSPKE))
		return;
	vx->pkru = rdpkru();
	if (vx->pkru != host->pkru)
		wrpkru(host->pkru);
}

/*
 * An NMI that exited the guest is the host's: its handler runs now, with
 * interrupts off, as if the NMI had come here.  A software INT 2 does
 * that on an IDT kernel; a FRED kernel treats INT n from ring 0 as a
 * fatal event, and takes a FRED frame with the NMI bit set (the entry
 * the kernel exports for KVM), as kvm_intel does.
 */
static void vmx_deliver_nmi(void)
{
#ifdef X86_FEATURE_FRED
	if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		fred_entry_from_kvm(EVENT_TYPE_NMI, NMI_VECTOR);
		return;
	}
#endif
	asm volatile("int $" __stringify(NMI_VECTOR));
}

/*
 * A machine check that exited the guest or stopped an entry: the host's
 * handler takes it at once, on this CPU, whose MCA banks still hold it.
 * As KVM does, from a made-up user-mode context, so that an error in
 * guest memory is handled as one in a user page (the VMM gets SIGBUS),
 * not as one in the kernel (a panic).
 */
static void vmx_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

/* One VM entry and exit; interrupts are off. */
static void vmx_world_switch(struct vmx_vcpu *vx, struct vmx_exit *exit,
			     const struct vmx_host_extra *host)
{
	vmx_update_host_cr3_cr4(vx);
	vmx_pmu_before_entry(vx);
	vmmon_fpu_before_entry(&vx->fpu);
	vmx_pkru_load_guest(vx, host);
	vmx_debug_before_entry(vx);
	vmx_flush_ept_if_changed(vx);
	if (native_read_cr2() != vx->cr2)
		native_write_cr2(vx->cr2);
	/*
	 * Guest mode is a quiescent state for RCU, as user mode is (and as
	 * KVM reports it): vmmon holds no RCU reference across the entry,
	 * and a vCPU that runs for long would otherwise hold up every grace
	 * period (a discard waits for one).
	 */
	rcu_note_context_switch(false);
	vmx_spec_before_entry();
	exit->entry_insn_failed = __vmx_vcpu_run(&vx->regs, vx->launched);
	vmmon_fpu_after_exit(&vx->fpu);
	vmx_pkru_load_host(vx, host);
	vx->cr2 = native_read_cr2();
	if (!exit->entry_insn_failed) {
		vmx_spec_after_exit();
		vmx_read_exit(vx, exit);
		/* VMLAUNCH that failed on the guest state did not launch. */
		if (!(exit->reason & VMX_EXIT_REASON_ENTRY_FAILED))
			vx->launched = true;
	} else {
		exit->insn_error = vmcs_read32(VMCS_VM_INSTRUCTION_ERROR);
	}
	if (vmx_exit_is_nmi(exit))
		vmx_deliver_nmi();
	else if (vmx_exit_is_machine_check(exit))
		vmx_machine_check();
	if (host->ds | host->es) {
		loadsegment(ds, host->ds);
		loadsegment(es, host->es);
	}
	/* VM exit clears DEBUGCTL and DR7 (SDM 3C 28.5.1). */
	if (host->debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, host->debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}

/*
 * Work the kernel does only on the way back to user mode, which a guest
 * whose exits all stay in the kernel would otherwise escape: signals,
 * task work (on x86 that is what fires POSIX CPU timers and enforces
 * RLIMIT_CPU) and memory.high throttling.  KVM runs it before every
 * entry; vmmon leaves RUN with EINTR for it.  Not TIF_NOTIFY_RESUME as
 * such: rseq sets it at every preemption of a thread that registered
 * (glibc's threads all do), and its work concerns user mode only.
 */
bool vmx_user_work_pending(void)
{
	/* Task work for user mode (TWA_RESUME) comes with NOTIFY_RESUME. */
	if (signal_pending(current) || (task_work_pending(current) &&
					test_thread_flag(TIF_NOTIFY_RESUME)))
		return true;
#ifdef CONFIG_MEMCG
	if (current->memcg_nr_pages_over_high)
		return true;
#endif
	return false;
}

/*
 * Run the guest on this CPU until an exit that userspace must see, that
 * may sleep, or that gives the scheduler a turn.  The guest's SYSCALL
 * MSRs stay in the CPU across the exits handled here (and after, until
 * this CPU returns to user mode).  Returns the handler's verdict or a
 * negative errno.
 */
static int vmx_run_on_cpu(struct vmmon_vcpu *vcpu, struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmx_host_extra host;
	enum vmx_next next;
	u32 slice;
	int err;

	preempt_disable();
	err = vmx_load(vcpu);
	if (err)
		goto out;
	vmx_flush_tlb_on_migration(vx);
	vmx_spec_vcpu_load(vx->ept->serial);
	/* Seen by vmx_flush_ept() before this CPU reads flush_gen to enter. */
	cpumask_set_cpu(smp_processor_id(), vx->ept->running);
	smp_mb__after_atomic();
	savesegment(ds, host.ds);
	savesegment(es, host.es);
	savesegment(fs, host.fs);
	savesegment(gs, host.gs);
	rdmsrl(MSR_FS_BASE, host.fs_base);
	/* Another thread of the VMM may run the vCPU now. */
	if (unlikely(host.fs_base != vx->host_fs_base)) {
		vmcs_writel(VMCS_HOST_FS_BASE, host.fs_base);
		vx->host_fs_base = host.fs_base;
	}
	rdmsrl(MSR_IA32_DEBUGCTLMSR, host.debugctl);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		host.pkru = rdpkru();

	host.kernel_gs_base = vmx_msr_load_guest(vx);
	do {
		local_irq_disable();
		/*
		 * Checked with interrupts off: a kick (the IPI of a signal,
		 * of the scheduler or of a suspend) taken with them on just
		 * before would not make the guest exit, which would run on
		 * until its next exit; one that comes after this check
		 * makes the entry exit at once.  As KVM does.  Another
		 * vCPU's IPI kicks too (vmmon_vcpu_deliver_ipi()).
		 */
		if (need_resched() || vmx_user_work_pending() ||
		    vmmon_hw_leave_requested() || vmmon_vcpu_irr_kicked(vcpu)) {
			local_irq_enable();
			next = VMX_NEXT_RESUME;
			break;
		}
		slice = VMX_TIMER_SLICE;
		if (vmx_apic_timer_due(vcpu, &slice)) {
			local_irq_enable();
			next = VMX_NEXT_USER;
			break;
		}
		memset(exit, 0, sizeof(*exit));
		vmx_prepare_entry(vcpu, slice);
		vmx_world_switch(vx, exit, &host);
		if (exit->entry_insn_failed ||
		    (exit->reason & VMX_EXIT_REASON_ENTRY_FAILED))
			vmx_take_back_injection(vcpu);
		/* External interrupts that exited the guest are taken here. */
		local_irq_enable();
		next = vmx_exit_atomic(vcpu, exit);
	} while (next == VMX_NEXT_RESUME);
	vmx_msr_load_host(vx, host.kernel_gs_base);
	vmx_restore_user_segments(&host);
	/*
	 * VM exit left the TR limit at 0x67 (no I/O bitmap for ioperm()
	 * users) and the GDTR limit at 0xffff (SDM 3C 28.5.2): as KVM does,
	 * have the TSS limit reloaded before it matters, and reload the GDT.
	 */
	invalidate_tss_limit();
	load_fixmap_gdt(smp_processor_id());
	cpumask_clear_cpu(smp_processor_id(), vx->ept->running);
	vmx_spec_vcpu_put();
	vmx_put();
	err = next;
out:
	preempt_enable();
	return err;
}

/*
 * Whether RUN must return before the next batch: -EINTR for a signal,
 * the kernel's return-to-user work, immediate_exit or another vCPU's
 * IPI; -EAGAIN while suspend or reboot waits (the core calls RUN again
 * later).
 */
static int vmx_run_must_return(struct vmmon_vcpu *vcpu)
{
	struct vmmon_run *run = vcpu->run;

	if (vmx_user_work_pending() || READ_ONCE(run->immediate_exit) ||
	    vmmon_vcpu_irr_kicked(vcpu)) {
		run->exit_reason = VMMON_EXIT_INTR;
		return -EINTR;
	}
	return vmmon_hw_leave_requested() ? -EAGAIN : 0;
}

int vmx_vcpu_run(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	struct vmx_exit exit;
	int next;

	next = vmx_exit_complete(vcpu);
	if (next) {
		next = next == -EFAULT ? 0 : next;
		goto out;
	}
	run->exit_reason = VMMON_EXIT_NONE;
	next = vmx_run_must_return(vcpu);
	if (next)
		goto out;
	vmmon_fpu_enter(&vx->fpu);
	for (;;) {
		cond_resched();
		next = vmx_run_on_cpu(vcpu, &exit);
		if (next == VMX_NEXT_SLEEPABLE)
			next = vmx_exit_sleepable(vcpu, &exit);
		if (next < 0 || next == VMX_NEXT_USER)
			break;
		next = vmx_run_must_return(vcpu);
		if (next)
			break;
	}
	vmmon_fpu_leave(&vx->fpu);
out:
	/*
	 * On every return, EINTR and EAGAIN too: the guest may have run
	 * since the last exit userspace saw, and a stale ready_for_interrupt
	 * had vmctl inject while IF was 0; a following sti; hlt then halted
	 * with the interrupt held here and its vector in ISR.
	 */
	run->if_flag = !!(vx->rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt = vmx_can_take_interrupt(vx) &&
				   vcpu->irq_pending < 0;
	return next < 0 ? next : 0;
}

void vmx_vcpu_get_regs(struct vmmon_vcpu *vcpu, struct vmmon_regs *r)
{
	struct vmx_vcpu *vx = vcpu->hw;
	const struct vmx_guest_regs *g = &vx->regs;

	*r = (struct vmmon_regs){
		.rax = g->rax, .rbx = g->rbx, .rcx = g->rcx, .rdx = g->rdx,
		.rsi = g->rsi, .rdi = g->rdi, .rbp = g->rbp, .rsp = vx->rsp,
		.r8 = g->r8, .r9 = g->r9, .r10 = g->r10, .r11 = g->r11,
		.r12 = g->r12, .r13 = g->r13, .r14 = g->r14, .r15 = g->r15,
		.rip = vx->rip, .rflags = vx->rflags,
	};
}

void vmx_vcpu_set_regs(struct vmmon_vcpu *vcpu,
			      const struct vmmon_regs *r)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vx->regs = (struct vmx_guest_regs){
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp,
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
		.r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
	};
	/*
	 * A shadow (STI, MOV SS) belongs to the instruction the guest was
	 * at: new registers end it, so that VM entry finds no shadow with
	 * IF clear, nor one with TF set and no single step pending (SDM 3C
	 * 26.3.1.5).
	 */
	vmx_end_shadow(vx);
	vx->rsp = r->rsp;
	vx->rip = r->rip;
	/* Bit 1 is always set; the reserved bits stay clear. */
	vx->rflags = (r->rflags & VMX_RFLAGS_DEFINED) | X86_EFLAGS_FIXED;
}

int vmx_vcpu_get_sregs(struct vmmon_vcpu *vcpu,
			      struct vmmon_sregs *sregs)
{
	int err;

	preempt_disable();
	err = vmx_load(vcpu);
	if (!err) {
		vmx_read_sregs(vcpu->hw, sregs);
		vmx_put();
	}
	preempt_enable();
	return err;
}

/*
 * The control-register checks of VM entry (SDM 3C 27.3.1.1) that hold
 * for an unrestricted guest: paging needs protection; IA-32e mode (the
 * entry control follows EFER.LMA) needs paging and PAE; with paging on,
 * EFER.LMA equals EFER.LME.
 */
static bool vmx_sregs_cr_valid(const struct vmmon_sregs *sregs)
{
	bool pg = sregs->cr0 & X86_CR0_PG, lma = sregs->efer & EFER_LMA;

	if (pg && !(sregs->cr0 & X86_CR0_PE))
		return false;
	if (lma && (!pg || !(sregs->cr4 & X86_CR4_PAE)))
		return false;
	return !pg || lma == !!(sregs->efer & EFER_LME);
}

static bool vmx_sregs_valid(const struct vmmon_sregs *sregs)
{
	const struct vmmon_segment *seg;
	unsigned int i;

	for (i = 0; i < VMX_NR_SEGMENTS; i++) {
		seg = (const void *)sregs + vmx_seg_fields[i].offset;
		if (seg->pad || seg->unusable > 1)
			return false;
	}
	return !sregs->gdt.pad && !sregs->idt.pad &&
	       sregs->gdt.limit <= 0xffff && sregs->idt.limit <= 0xffff &&
	       !(sregs->cr0 >> 32) && vmx_sregs_cr_valid(sregs);
}

int vmx_vcpu_set_sregs(struct vmmon_vcpu *vcpu,
			      const struct vmmon_sregs *sregs)
{
	struct vmx_vcpu *vx = vcpu->hw;
	int err;

	if (!vmx_sregs_valid(sregs))
		return -EINVAL;
	preempt_disable();
	err = vmx_load(vcpu);
	if (!err) {
		/* After the load: it derives the hidden bits from CPUID. */
		if (vmx_cr4_valid(sregs->cr4, vx->cr4_hidden))
			vmx_write_sregs(vx, sregs);
		else
			err = -EINVAL;
		vmx_put();
	}
	preempt_enable();
	return err;
}

int vmx_vcpu_init(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx;
	int err;

	vx = kzalloc(sizeof(*vx), GFP_KERNEL_ACCOUNT);
	if (!vx)
		return -ENOMEM;
	vx->vmcs = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vx->vmcs) {
		err = -ENOMEM;
		goto free_vx;
	}
	*(u32 *)page_address(vx->vmcs) = vmx_caps.revision;
	vx->cpu = -1;
	vx->last_cpu = -1;
	vx->vpid = ida_alloc_range(&vmx_vpid_ida, VMX_VPID_FIRST,
				   READ_ONCE(vmx_max_vpid), GFP_KERNEL);
	if (vx->vpid == -ENOSPC) {
		pr_info_ratelimited("no VPID left (max_vpid %u): a vCPU runs without one, flushing its TLB at each entry\n",
				    READ_ONCE(vmx_max_vpid));
		vx->vpid = 0;
	} else if (vx->vpid < 0) {
		err = vx->vpid;
		goto free_vmcs;
	}
	err = vmmon_fpu_init(&vx->fpu);
	if (err)
		goto free_vpid;
	err = vmx_pmu_init(vx);
	if (err)
		goto free_fpu;
	vcpu->hw = vx;
	err = vmx_vmcs_setup(vcpu, vmmon_ept_pointer(vmmon_vm_ept(vcpu->vm)));
	if (err)
		goto free_pmu;
	vx->ept = vmmon_vm_ept(vcpu->vm);
	vx->ept_gen = -1;
	vmx_msr_init(vcpu);
	return 0;

free_pmu:
	vcpu->hw = NULL;
	vmx_pmu_fini(vx);
free_fpu:
	vmmon_fpu_fini(&vx->fpu);
free_vpid:
	if (vx->vpid)
		ida_free(&vmx_vpid_ida, vx->vpid);
free_vmcs:
	__free_page(vx->vmcs);
free_vx:
	kfree(vx);
	return err;
}

/* The vCPU never runs again: its VMCS is cleared where it is active. */
void vmx_vcpu_fini(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vmx_vmcs_clear(vx);
	vmx_pmu_fini(vx);
	vmmon_fpu_fini(&vx->fpu);
	if (vx->vpid)
		ida_free(&vmx_vpid_ida, vx->vpid);
	__free_page(vx->vmcs);
	kfree(vx);
}

/*
 * Entries of @ept were removed.  Every vCPU flushes its CPU's cached
 * translations before it enters again (vmx_flush_ept_if_changed); the
 * IPI, waited for, makes those in the guest now exit first, so no guest
 * uses a removed translation once this returns.  Only the CPUs running
 * this VM's guest get it: a CPU that sets its bit in ept->running after
 * the mask is read here reads the new flush_gen before it enters.
 */
void vmx_flush_ept(struct vmmon_ept *ept)
{
	atomic64_inc(&ept->flush_gen);
	smp_mb__after_atomic();
	vmmon_hw_kick(ept->running);
}

/* VMMON_GET_MSRS and VMMON_SET_MSRS: all checked before any is written. */
int vmx_vcpu_msrs(struct vmmon_vcpu *vcpu, struct vmmon_msr_entry *e,
		  unsigned int n, bool write)
{
	unsigned int i;
	u64 old;
	int err;

	for (i = 0; i < n; i++)
		if (e[i].pad)
			return -EINVAL;
	preempt_disable();
	err = vmx_load(vcpu);
	if (err)
		goto out;
	for (i = 0; i < n && !err; i++)
		err = vmx_msr_read(vcpu, e[i].index, write ? &old : &e[i].data);
	for (i = 0; i < n && !err && write; i++)
		err = vmx_msr_check(vcpu, e[i].index, e[i].data);
	for (i = 0; i < n && !err && write; i++)
		vmx_msr_write(vcpu, e[i].index, e[i].data, true);
	vmx_put();
out:
	preempt_enable();
	return err;
}
