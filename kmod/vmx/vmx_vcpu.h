/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A vCPU's VT-x state, shared by vmx_vcpu.c (the VMCS and the run loop),
 * vmx_exit.c (exit handling) and vmx_msr.c (the emulated MSRs).
 */
#ifndef VMMON_VMX_VCPU_H
#define VMMON_VMX_VCPU_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/types.h>
#include <asm/trapnr.h>
#include "x86/vmmon_fpu.h"
#include "x86/x86_decode.h"
#include "x86/x86_walk.h"
#include "vmx.h"
#include "vmx_emulate.h"
#include "vmx_regs.h"
#include "vmx_task.h"
#include "vmx_vmcs.h"

struct vmmon_ept;
struct vmmon_run;
struct vmmon_vcpu;
struct page;

#define VMX_RESET_DR6		0xffff0ff0ULL
/* The flags RFLAGS defines (SDM 1 3.4.3): not bits 1, 3, 5, 15 or 22-63. */
#define VMX_RFLAGS_DEFINED	0x3f7fd5ULL
#define VMX_RESET_DR7		0x400
/* DR6 (SDM 3B 18.2.3): what a #DB reports; the rest reads as fixed. */
#define VMX_DR6_TRAP_BITS	GENMASK_ULL(3, 0)	/* B0-B3 */
#define VMX_DR6_BD		BIT_ULL(13)	/* debug-register access (GD) */
#define VMX_DR6_BS		BIT_ULL(14)	/* single step */
#define VMX_DR6_BT		BIT_ULL(15)	/* task switch */
#define VMX_DR6_WRITABLE	(VMX_DR6_TRAP_BITS | VMX_DR6_BD | \
				 VMX_DR6_BS | VMX_DR6_BT)
/* The machine-check banks a guest with MCA gets, as QEMU gives: 10. */
#define VMX_MCE_BANKS		10
#define VMX_MCE_BANK_MSRS	4	/* CTL, STATUS, ADDR, MISC */
/* CR0 and CR4 bits the guest must keep set in VMX operation; it sees them
 * through the read shadows as it left them (SDM 3C 23.8). */
#define VMX_CR0_HOST_OWNED	X86_CR0_NE
#define VMX_CR4_HOST_OWNED	X86_CR4_VMXE
/*
 * CR4.MCE is in the CPU as the host has it, whatever the guest writes
 * (KVM does the same): with it clear, a machine check while the guest
 * runs would shut the CPU down instead of reaching the host's handler.
 * vmx_cr4_mce is the host's value.
 *
 * CR4 bits vmmon does not give a guest (vmx_cr4_refused: VMXE, and
 * these): their state lives in MSRs vmmon does not switch (CET, PKS,
 * FRED, LAM), or the feature is the host's (SMX, Key Locker, user
 * interrupts); PKE too where the host does not use protection keys,
 * since vmmon then cannot read the guest's PKRU back.  Setting one
 * exits (they are in the guest/host mask) and faults.
 */
#define VMX_CR4_SMXE		BIT_ULL(14)
#define VMX_CR4_KL		BIT_ULL(19)
#define VMX_CR4_CET		BIT_ULL(23)
#define VMX_CR4_PKS		BIT_ULL(24)
#define VMX_CR4_UINTR		BIT_ULL(25)
#define VMX_CR4_LAM_SUP		BIT_ULL(28)
#define VMX_CR4_FRED		BIT_ULL(32)
#define VMX_CR4_NOT_GIVEN	(VMX_CR4_SMXE | VMX_CR4_KL | VMX_CR4_CET | \
				 VMX_CR4_PKS | VMX_CR4_UINTR | \
				 VMX_CR4_LAM_SUP | VMX_CR4_FRED)
extern unsigned long vmx_cr4_mce, vmx_cr4_refused;
#define VMX_CR4_GUEST_HOST_MASK	(vmx_cr4_refused | X86_CR4_MCE)

/*
 * CR0 and CR4 as the guest sees them: the bits it owns change without
 * an exit, so they come from the guest fields, the host-owned ones from
 * the read shadows.  The VMCS must be loaded.
 */
static inline unsigned long vmx_guest_cr0(void)
{
	return (vmcs_readl(VMCS_GUEST_CR0) & ~VMX_CR0_HOST_OWNED) |
	       (vmcs_readl(VMCS_CR0_READ_SHADOW) & VMX_CR0_HOST_OWNED);
}

#define vmx_guest_cr4(vx)						\
	((vmcs_readl(VMCS_GUEST_CR4) & ~(vx)->cr4_mask) |		\
	 (vmcs_readl(VMCS_CR4_READ_SHADOW) & (vx)->cr4_mask))

/* The CR4 the CPU holds for a guest that sees @cr4. */
static inline unsigned long vmx_hw_cr4(unsigned long cr4)
{
	return (cr4 & ~X86_CR4_MCE) | VMX_CR4_HOST_OWNED | vmx_cr4_mce;
}

/*
 * Whether the guest may see @cr4: no bit vmmon refuses, none of a
 * feature its CPUID table hides (@hidden), none the CPU does not allow
 * in VMX operation (the mode rules are the callers').
 */
static inline bool vmx_cr4_valid(u64 cr4, u64 hidden)
{
	return !(cr4 & (vmx_cr4_refused | hidden)) && !(cr4 >> 32) &&
	       !(vmx_hw_cr4(cr4) & ~vmx_caps.cr4_fixed1);
}

/*
 * The MSRs SYSCALL, SWAPGS and 64-bit code use, and the one RDTSCP and
 * RDPID read, switched around the guest.  TSC_AUX (last) only where the
 * guest may execute RDTSCP.
 */
enum vmx_switched_msr {
	VMX_MSR_STAR,
	VMX_MSR_LSTAR,
	VMX_MSR_CSTAR,
	VMX_MSR_SFMASK,
	VMX_MSR_KERNEL_GS_BASE,
	VMX_MSR_TSC_AUX,
	VMX_NR_SWITCHED_MSRS,
};

/* What RUN must finish with userspace's answer before entering again. */
enum vmx_pending {
	VMX_PENDING_NONE,
	VMX_PENDING_IN,		/* IN: the data goes to RAX */
	VMX_PENDING_INS,	/* INS: the data goes to guest memory */
	VMX_PENDING_MMIO_READ,	/* an MMIO read: vmx_mmio_complete() finishes
				 * the instruction (a register, RAM for MOVS,
				 * or the write of a read-modify-write) */
	VMX_PENDING_HYPERCALL,	/* VMCALL: the result goes to RAX */
	VMX_PENDING_MSR_READ,	/* RDMSR for userspace: EDX:EAX, or #GP */
	VMX_PENDING_MSR_WRITE,	/* WRMSR for userspace: done, or #GP */
	VMX_PENDING_MSR_NOTICE,	/* WRMSR done here, userspace told */
};

/* An event for the next VM entry (SDM 3C 26.6). */
struct vmx_event {
	u32 info;		/* VM-entry interruption information; 0: none */
	u32 error_code;
	u32 insn_len;		/* software interrupts and exceptions */
};

/* The guest's paging state and segments, for walking its page tables. */
struct vmx_paging_state {
	struct x86_paging p;
	u64 cs_base;
	u32 cs_ar, ss_ar;
};

/* A string I/O instruction between its exit and its completion. */
struct vmx_string_io {
	u64 gla;		/* linear address of the first item */
	u64 count;		/* items this exit moves */
	u8 size;
	u8 addr_size;		/* 2, 4 or 8 bytes */
	u32 insn_len;
	bool rep;
	bool down;		/* RFLAGS.DF */
};

struct vmx_vcpu {
	struct page *vmcs;
	int cpu;			/* where the VMCS is active, or -1 */
	struct list_head active_link;	/* on that CPU's vmx_active_vmcss */
	bool launched;			/* VMRESUME, not VMLAUNCH, enters */
	int vpid;			/* 0: none was left (see max_vpid) */
	int last_cpu;			/* where the guest ran last, or -1 */
	struct vmmon_ept *ept;
	s64 ept_gen;			/* ept->flush_gen at the last INVEPT here */
	struct vmx_guest_regs regs;	/* saved by vmx_switch.S */
	u64 rip, rsp, rflags;		/* swapped with the VMCS at each entry */
	u64 cr2;			/* not in the VMCS: swapped by hand */
	/* HOST_CR3, HOST_CR4, HOST_FS_BASE as last written to the VMCS. */
	unsigned long host_cr3, host_cr4, host_fs_base;
	u32 interruptibility;		/* as the last exit left it */
	bool interruptibility_dirty;	/* changed by vmmon: write it back */
	/* NMIs were blocked at the last entry, or it injected one. */
	bool nmi_may_block;
	/* What the last entry injected, and whether from @event. */
	struct vmx_event entry_event;
	bool entry_event_queued;
	u32 proc;			/* the processor-based controls in the VMCS */
	u32 proc2;			/* the secondary ones, per the CPUID table */
	/* What the guest's CPUID table offers (vmx_cpuid.c). */
	unsigned int cpuid_gen;		/* vcpu->cpuid_gen it was derived from */
	u64 cr4_hidden;			/* CR4 bits of features it hides */
	u64 cr4_mask;			/* CR4 guest/host mask in the VMCS */
	bool has_rdtscp, has_tsc_adjust, has_mca;
	bool has_x2apic, has_tsc_deadline;
	struct vmx_event event;
	struct vmmon_fpu fpu;
	u32 pkru;			/* the guest's, where the host has PKU */
	struct page *pmu_lists;		/* vmx_pmu.c's MSR-load lists */
	unsigned int pmu_nr;		/* MSRs in each, as in the VMCS */
	/* Emulated state that the VMCS does not hold. */
	u64 msrs[VMX_NR_SWITCHED_MSRS];
	/*
	 * msrs[] are in the CPU (between vmx_msr_load_guest() and
	 * vmx_msr_load_host()): the guest's SWAPGS changes KERNEL_GS_BASE
	 * there without an exit, and WRMSR must reach the CPU at once.
	 */
	bool msrs_loaded;
	/*
	 * Names the values of msrs[] but KERNEL_GS_BASE: a new one at each
	 * change, so a CPU that still holds this key holds these values
	 * (they stay in a CPU until it returns to user mode).
	 */
	u64 msrs_key;
	u64 apic_base;
	u64 misc_enable;
	u64 mtrr_def_type;
	u64 tsc_offset;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST, where offered */
	u64 cr8;
	/*
	 * The debug registers as the guest wrote them.  DR7 and DEBUGCTL
	 * are also in the VMCS, DR0-DR3 in the CPU while the guest runs
	 * with a breakpoint enabled; DR6 never is: every #DB exits and is
	 * delivered by vmmon, which updates this copy (vmx_debug.c).
	 */
	u64 dr[4], dr6, dr7;
	u64 debugctl;
	/* Machine-check architecture, where CPUID offers MCA (vmx_msr.c). */
	u64 mcg_status;
	u64 mce_banks[VMX_MCE_BANKS][VMX_MCE_BANK_MSRS];
	/* An exit userspace completes at the next RUN. */
	enum vmx_pending pending;
	struct vmx_string_io sio;	/* IN and INS */
	u32 msr_insn_len;		/* RDMSR, WRMSR */
	struct vmx_mmio_op mmio;	/* an MMIO instruction between its exits */
	struct vmx_paging_state paging;	/* INS and MOVS from a device: to
					 * translate the RAM address */
	struct vmx_task_writes task;	/* a task switch's memory writes */
};

/*
 * What the run loop read from the VMCS about an exit.  The paging
 * state is read only for the exits handled after the VMCS is put away.
 */
struct vmx_exit {
	u32 reason;
	u32 insn_len;
	u32 insn_info;
	u32 intr_info;
	u64 qualification;
	u64 gpa;
	u64 gla;
	u32 insn_error;		/* VM-instruction error when the entry failed */
	bool entry_insn_failed;
	struct vmx_paging_state paging;
};

/* What an exit handler asks the run loop to do next. */
enum vmx_next {
	VMX_NEXT_RESUME,	/* enter the guest again at once */
	VMX_NEXT_YIELD,		/* enter again after a look at the scheduler */
	VMX_NEXT_SLEEPABLE,	/* finish in vmx_exit_sleepable() */
	VMX_NEXT_USER,		/* return to userspace; vcpu->run says why */
};

/* A machine check exited the guest or stopped its entry: the host's. */
static inline bool vmx_exit_is_machine_check(const struct vmx_exit *exit)
{
	u32 basic = exit->reason & VMX_EXIT_REASON_BASIC_MASK;

	if (basic == VMX_EXIT_MCE_DURING_VMENTRY)
		return true;
	return basic == VMX_EXIT_EXCEPTION_NMI &&
	       (exit->intr_info & VMX_INTR_INFO_VALID) &&
	       (exit->intr_info & VMX_INTR_INFO_TYPE_MASK) ==
			VMX_INTR_INFO_TYPE_HW_EXCEPTION &&
	       (exit->intr_info & VMX_INTR_INFO_VECTOR_MASK) == X86_TRAP_MC;
}

/* An NMI exited the guest: it is the host's, delivered at once. */
static inline bool vmx_exit_is_nmi(const struct vmx_exit *exit)
{
	return (exit->reason & VMX_EXIT_REASON_BASIC_MASK) ==
		       VMX_EXIT_EXCEPTION_NMI &&
	       (exit->intr_info & VMX_INTR_INFO_VALID) &&
	       (exit->intr_info & VMX_INTR_INFO_TYPE_MASK) == VMX_INTR_INFO_TYPE_NMI;
}

/* vmx_vcpu.c */
u64 *vmx_gpr(struct vmx_vcpu *vx, unsigned int n);
void vmx_set_efer(u64 efer);
void vmx_flush_guest_tlb(struct vmx_vcpu *vx);
void vmx_queue_exception(struct vmx_vcpu *vx, u8 vector, bool has_error,
			 u32 error_code);
void vmx_insn_done(struct vmx_vcpu *vx, u32 len);
void vmx_end_shadow(struct vmx_vcpu *vx);
bool vmx_can_take_interrupt(const struct vmx_vcpu *vx);
bool vmx_can_take_nmi(const struct vmx_vcpu *vx);

/* A fault instead of the instruction (#GP with error code 0). */
static inline enum vmx_next vmx_fault(struct vmx_vcpu *vx, u8 vector)
{
	vmx_queue_exception(vx, vector, vector == X86_TRAP_GP, 0);
	return VMX_NEXT_RESUME;
}

/* The guest's privilege level: SS.DPL (SDM 3A 5.5); the VMCS is loaded. */
static inline unsigned int vmx_guest_cpl(void)
{
	return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3;
}

/* vmx_debug.c: debug registers and #DB */
void vmx_queue_db(struct vmx_vcpu *vx, u64 dr6_bits);
enum vmx_next vmx_exit_dr(struct vmmon_vcpu *vcpu, const struct vmx_exit *exit);
enum vmx_next vmx_exit_db(struct vmmon_vcpu *vcpu, const struct vmx_exit *exit);
void vmx_debug_before_entry(struct vmx_vcpu *vx);
void vmx_debug_deliver(struct vmx_vcpu *vx);

/* vmx_cpuid.c: what the guest's CPUID table offers; the VMCS is loaded */
void vmx_cpuid_apply(struct vmmon_vcpu *vcpu);

/* vmx_exit.c: the VMCS is loaded and preemption is off. */
/* An exit handler of vmx_exit.c's table. */
typedef enum vmx_next (*vmx_exit_fn)(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit);

enum vmx_next vmx_exit_atomic(struct vmmon_vcpu *vcpu, struct vmx_exit *exit);
bool vmx_exit_needs_paging(u32 basic);
/* vmx_exit.c: after the VMCS is put away; may sleep. */
enum vmx_next vmx_exit_sleepable(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit);
int vmx_exit_complete(struct vmmon_vcpu *vcpu);
void vmx_exit_internal(struct vmmon_vcpu *vcpu, u32 suberror, u64 d0, u64 d1);
int vmx_load_pdptes(struct vmmon_vcpu *vcpu, u64 cr3);
#define VMX_NR_PDPTES	4
int vmx_read_pdptes(struct vmmon_vcpu *vcpu, u64 cr3,
		    u64 pdpte[VMX_NR_PDPTES]);
void vmx_write_pdptes(const u64 pdpte[VMX_NR_PDPTES]);

/* vmx_emulate.c: MMIO and string I/O, which need guest memory. */
enum vmx_next vmx_exit_mmio(struct vmmon_vcpu *vcpu,
			    const struct vmx_exit *exit);
enum vmx_next vmx_exit_string_io(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit);
int vmx_mmio_complete(struct vmmon_vcpu *vcpu);
int vmx_string_in_complete(struct vmmon_vcpu *vcpu);

/* vmx_task_switch.c: hardware task switches. */
enum vmx_next vmx_exit_task_switch(struct vmmon_vcpu *vcpu,
				   const struct vmx_exit *exit);
enum vmx_next vmx_exit_task_writes(struct vmmon_vcpu *vcpu,
				   const struct vmx_exit *exit);

/* vmx_pmu.c */
void vmx_pmu_setup(void);
int vmx_pmu_init(struct vmx_vcpu *vx);
void vmx_pmu_fini(struct vmx_vcpu *vx);
void vmx_pmu_write_controls(struct vmx_vcpu *vx);
void vmx_pmu_load_lists(struct vmx_vcpu *vx);
extern bool vmx_pmu_present;

/* Inline: without a PMU (and in the emulated PCs) no call per entry. */
static inline void vmx_pmu_before_entry(struct vmx_vcpu *vx)
{
	if (vmx_pmu_present)
		vmx_pmu_load_lists(vx);
}

/* vmx_msr.c */
void vmx_msr_init(struct vmmon_vcpu *vcpu);
bool vmx_msr_offered(struct vmmon_vcpu *vcpu, u32 index);
bool vmx_msr_for_user(struct vmmon_vcpu *vcpu, u32 index);

/*
 * vmx_apic.c: the guest's EOI (an instruction of @insn_len bytes), taken
 * against the ISR userspace keeps in the run page when it lets vmmon
 * (VMMON_APIC_EOI_IN_KERNEL); false when userspace must have it as an
 * exit.  True: the instruction is done, *@next says what follows.
 */
bool vmx_apic_eoi(struct vmmon_vcpu *vcpu, unsigned int insn_len,
		  enum vmx_next *next);
/* Whether a write of @size bytes at @gpa is the xAPIC EOI register. */
bool vmx_apic_is_xapic_eoi(const struct vmx_vcpu *vx, u64 gpa,
			   unsigned int size);
/*
 * An xAPIC ICR access of @size bytes at @gpa taken against the run
 * page's ICR (VMMON_APIC_ICR_IN_KERNEL): a write of @data to the high
 * half, a write to the low half that vmx_apic_xapic_ipi() sends, a read
 * of the low half into *@data.  False when it is not one, or userspace
 * must have it.
 */
bool vmx_apic_xapic_icr_store(struct vmmon_vcpu *vcpu, u64 gpa,
			      unsigned int size, u64 data);
bool vmx_apic_xapic_icr_load(struct vmmon_vcpu *vcpu, u64 gpa,
			     unsigned int size, u64 *data);
/*
 * vmx_apic_ipi.c: the guest's WRMSR of @icr to the x2APIC ICR, sent to
 * another vCPU's run page (VMMON_APIC_IPI_IN_KERNEL); false when
 * userspace must have it as an exit, nothing sent.
 */
bool vmx_apic_ipi(struct vmmon_vcpu *vcpu, u64 icr);
/* And the guest's write of @low to the xAPIC ICR, to destination @dest. */
bool vmx_apic_xapic_ipi(struct vmmon_vcpu *vcpu, u32 low, u8 dest);
/*
 * vmx_apic_timer.c: the guest's IA32_TSC_DEADLINE against the run page
 * (VMMON_APIC_TIMER_IN_KERNEL): a WRMSR of *@data or a RDMSR into it,
 * false when userspace must have it.  Before an entry: whether the
 * deadline is due (then cleared, and RUN returns VMMON_EXIT_APIC_TIMER);
 * if not, *@slice lowered to the preemption-timer value that ends the
 * guest's stay by the deadline.
 */
bool vmx_apic_timer_msr(struct vmmon_vcpu *vcpu, bool write, u64 *data);
bool vmx_apic_timer_due(struct vmmon_vcpu *vcpu, u32 *slice);
ktime_t vmx_apic_timer_left(struct vmmon_vcpu *vcpu);

/* Work for the way back to user mode, which RUN returns for (EINTR). */
bool vmx_user_work_pending(void);

int vmx_msr_read(struct vmmon_vcpu *vcpu, u32 index, u64 *data);
int vmx_msr_check(struct vmmon_vcpu *vcpu, u32 index, u64 data);
int vmx_msr_write(struct vmmon_vcpu *vcpu, u32 index, u64 data, bool host);
void vmx_msr_setup(void);
u64 vmx_msr_load_guest(struct vmx_vcpu *vx);
void vmx_msr_load_host(struct vmx_vcpu *vx, u64 kernel_gs_base);

#endif /* VMMON_VMX_VCPU_H */
