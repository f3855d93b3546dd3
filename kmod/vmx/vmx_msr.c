// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs a guest must have, emulated inside vmmon: every RDMSR and
 * WRMSR of the guest exits (the MSR bitmap is all ones), so the guest
 * never reaches a host MSR, and one it is not given here gets #GP.
 * The same code serves VMMON_GET_MSRS and VMMON_SET_MSRS.  The VMCS is
 * loaded on this CPU whenever these run.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_caps.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

#define VMX_APIC_BASE_DEFAULT	0xfee00000ULL
/* IA32_APIC_BASE: BSP flag, x2APIC mode (with CPUID x2APIC), global enable. */
#define VMX_APIC_BASE_VALID	(MSR_IA32_APICBASE_BSP | \
				 MSR_IA32_APICBASE_ENABLE | \
				 MSR_IA32_APICBASE_BASE)
#define VMX_APIC_BASE_EXTD	BIT_ULL(10)	/* x2APIC mode */
#define VMX_APIC_MODE		(MSR_IA32_APICBASE_ENABLE | VMX_APIC_BASE_EXTD)
/* The x2APIC registers' MSRs (SDM 3A 11.12.1.2). */
#define VMX_X2APIC_FIRST	0x800
#define VMX_X2APIC_LAST		0x8ff
#define VMX_EFER_VALID		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
/*
 * MTRRs: none variable or fixed, only the default type, which the guest
 * may set (enable bits and a memory type); EPT decides the real type.
 */
#define VMX_MTRR_DEF_TYPE_TYPE	0xffULL
#define VMX_MTRR_DEF_TYPE_FE	BIT_ULL(10)
#define VMX_MTRR_DEF_TYPE_E	BIT_ULL(11)
#define VMX_MTRR_DEF_TYPE_VALID	(VMX_MTRR_DEF_TYPE_E | VMX_MTRR_DEF_TYPE_FE | \
				 VMX_MTRR_DEF_TYPE_TYPE)
#define VMX_MTRR_DEF_TYPE_RESET	0
#define VMX_MEMTYPE_UC_MINUS	7	/* PAT only */

/*
 * IA32_MISC_ENABLE as the guest sees it: fast strings on, no branch trace
 * or PEBS.  Linux reads it with a plain RDMSR on every Intel CPU and
 * writes back what it read, or toggles fast strings; the bits a CPU lets
 * software change are the guest's to change (they change nothing else
 * here), the others must keep their value (SDM 4 table 2-2).
 */
#define VMX_MISC_ENABLE		(MSR_IA32_MISC_ENABLE_FAST_STRING | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
#define VMX_MISC_ENABLE_WRITABLE (MSR_IA32_MISC_ENABLE_FAST_STRING | \
				  MSR_IA32_MISC_ENABLE_TCC | \
				  MSR_IA32_MISC_ENABLE_ENHANCED_SPEEDSTEP | \
				  MSR_IA32_MISC_ENABLE_XTPR_DISABLE)

/*
 * Machine-check architecture, where CPUID offers MCA: VMX_MCE_BANKS
 * banks, no MCG_CTL, no CMCI (SDM 3B 16.3).  No error is ever reported
 * into them; they hold what the guest writes, as a CPU without errors.
 */
#define VMX_MCG_CAP		VMX_MCE_BANKS
#define VMX_MCG_STATUS_VALID	GENMASK_ULL(2, 0)	/* RIPV, EIPV, MCIP */
#define VMX_MC_FIRST		MSR_IA32_MC0_CTL
#define VMX_MC_LAST		(MSR_IA32_MC0_CTL + \
				 VMX_MCE_BANKS * VMX_MCE_BANK_MSRS - 1)
enum { VMX_MC_CTL, VMX_MC_STATUS, VMX_MC_ADDR, VMX_MC_MISC };

static const u32 vmx_switched_msr_index[VMX_NR_SWITCHED_MSRS] = {
	[VMX_MSR_STAR] = MSR_STAR,
	[VMX_MSR_LSTAR] = MSR_LSTAR,
	[VMX_MSR_CSTAR] = MSR_CSTAR,
	[VMX_MSR_SFMASK] = MSR_SYSCALL_MASK,
	[VMX_MSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
	[VMX_MSR_TSC_AUX] = MSR_TSC_AUX,
};

/* How many of them are switched: TSC_AUX only with RDTSCP enabled. */
static int vmx_nr_switched;

/*
 * The guest's STAR, LSTAR, CSTAR, SFMASK and TSC_AUX stay in a CPU from
 * the vCPU's first entry there until the CPU next returns to user mode,
 * whatever the kernel does in between: handling exits, sleeping, other
 * threads' turns (the kernel itself uses none of them: its paranoid
 * entries find the CPU number without RDPID for this reason).  A
 * user-return notifier, armed while they are in, puts the host's back
 * before any task on this CPU returns to user mode (a context switch
 * hands the notification on to the next task), as KVM's user-return
 * MSRs do; so even a run loop that never ends (an oops inside it) does
 * not leave them to the next task's system calls.  @loaded names the
 * guest values in the CPU (vx->msrs_key), so the next batch of entries
 * of the same vCPU writes none.
 *
 * KERNEL_GS_BASE is the task's user GS base, which a context switch saves
 * from the CPU: the guest's is in the CPU only inside a batch.
 */
struct vmx_msr_guard {
	struct user_return_notifier urn;
	bool armed;
	u64 loaded;
	u64 tsc_aux;
};

static DEFINE_PER_CPU(struct vmx_msr_guard, vmx_msr_guard);
/* vx->msrs_key values: 0 names no values; a u64 does not wrap. */
static atomic64_t vmx_msr_keys = ATOMIC64_INIT(0);

void vmx_msr_init(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vx->apic_base = VMX_APIC_BASE_DEFAULT | MSR_IA32_APICBASE_ENABLE |
			(vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	vx->misc_enable = VMX_MISC_ENABLE;
	vx->mtrr_def_type = VMX_MTRR_DEF_TYPE_RESET;
	vx->mcg_status = 0;
	memset(vx->mce_banks, 0, sizeof(vx->mce_banks));
	vx->msrs_key = atomic64_inc_return(&vmx_msr_keys);
}

static int vmx_switched_msr(u32 index)
{
	int i;

	for (i = 0; i < vmx_nr_switched; i++)
		if (vmx_switched_msr_index[i] == index)
			return i;
	return -1;
}

static bool vmx_canonical(u64 v)
{
	return (u64)((s64)(v << 16) >> 16) == v;
}

/* UC, WC, WT, WP, WB, or (for PAT only) UC- */
static bool vmx_memory_type_valid(u8 type)
{
	return type != 2 && type != 3 && type <= 7;
}

static bool vmx_pat_valid(u64 pat)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		if (!vmx_memory_type_valid(pat >> (i * 8)))
			return false;
	return true;
}

/* The MSRs whose guest values live in the VMCS (EFER: vmx_set_efer()). */
static const struct {
	u32 index;
	u16 field;
} vmx_vmcs_msrs[] = {
	{ MSR_IA32_SYSENTER_CS, VMCS_GUEST_SYSENTER_CS },
	{ MSR_IA32_SYSENTER_ESP, VMCS_GUEST_SYSENTER_ESP },
	{ MSR_IA32_SYSENTER_EIP, VMCS_GUEST_SYSENTER_EIP },
	{ MSR_IA32_CR_PAT, VMCS_GUEST_PAT },
	{ MSR_EFER, VMCS_GUEST_EFER },
	{ MSR_FS_BASE, VMCS_GUEST_FS_BASE },
	{ MSR_GS_BASE, VMCS_GUEST_GS_BASE },
};

static int vmx_vmcs_msr(u32 index)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vmx_vmcs_msrs); i++)
		if (vmx_vmcs_msrs[i].index == index)
			return i;
	return -1;
}

static bool vmx_is_mc_bank_msr(u32 index)
{
	return index >= VMX_MC_FIRST && index <= VMX_MC_LAST;
}

static u64 *vmx_mc_bank_msr(struct vmx_vcpu *vx, u32 index)
{
	unsigned int i = index - VMX_MC_FIRST;

	return &vx->mce_banks[i / VMX_MCE_BANK_MSRS][i % VMX_MCE_BANK_MSRS];
}

/*
 * Whether the guest's CPUID table offers MSR @index: those of a feature
 * it hides #GP in the guest as on a CPU without the feature.  Userspace
 * reaches them all (GET/SET_MSRS), to save and restore a vCPU.
 */
bool vmx_msr_offered(struct vmmon_vcpu *vcpu, u32 index)
{
	const struct vmx_vcpu *vx = vcpu->hw;

	switch (index) {
	case MSR_TSC_AUX:
		return vx->has_rdtscp;
	case MSR_IA32_TSC_ADJUST:
		return vx->has_tsc_adjust;
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
		return vx->has_mca;
	}
	return !vmx_is_mc_bank_msr(index) || vx->has_mca;
}

/*
 * Whether userspace's interrupt controller answers the guest's access
 * to @index (VMMON_EXIT_MSR): the x2APIC registers in x2APIC mode, the
 * LAPIC timer's TSC deadline where CPUID offers it.
 */
bool vmx_msr_for_user(struct vmmon_vcpu *vcpu, u32 index)
{
	const struct vmx_vcpu *vx = vcpu->hw;

	if (index == MSR_IA32_TSC_DEADLINE)
		return vx->has_tsc_deadline;
	return index >= VMX_X2APIC_FIRST && index <= VMX_X2APIC_LAST &&
	       (vx->apic_base & VMX_APIC_MODE) == VMX_APIC_MODE;
}

/*
 * The APIC modes (EN, EXTD) and the changes between them the CPU
 * allows (SDM 3A 11.12.5): disabled, xAPIC, x2APIC; x2APIC only from
 * xAPIC, xAPIC only from disabled; EXTD without EN is invalid.
 */
static bool vmx_apic_base_valid(const struct vmx_vcpu *vx, u64 data, bool host)
{
	u64 valid = VMX_APIC_BASE_VALID |
		    (vx->has_x2apic ? VMX_APIC_BASE_EXTD : 0);
	u64 old = vx->apic_base & VMX_APIC_MODE, new = data & VMX_APIC_MODE;

	if (data & ~valid || new == VMX_APIC_BASE_EXTD)
		return false;
	if (host || old == new || !new)
		return true;
	if (new == VMX_APIC_MODE)
		return old == MSR_IA32_APICBASE_ENABLE;
	return !old;
}

/* 0, or -EINVAL when @index is not an MSR vmmon emulates. */
int vmx_msr_read(struct vmmon_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vx = vcpu->hw;
	int sw = vmx_switched_msr(index), vm = vmx_vmcs_msr(index);

	if (sw >= 0) {
		if (vx->msrs_loaded && sw == VMX_MSR_KERNEL_GS_BASE)
			rdmsrl(index, vx->msrs[sw]);	/* SWAPGS moved it */
		*data = vx->msrs[sw];
		return 0;
	}
	if (vm >= 0) {
		*data = __vmcs_read(vmx_vmcs_msrs[vm].field);
		return 0;
	}
	switch (index) {
	case MSR_IA32_TSC:
		*data = rdtsc() + vx->tsc_offset;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vx->apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vx->misc_enable;
		return 0;
	case MSR_IA32_UCODE_REV:
		/* No microcode update was loaded (Linux reads it unchecked). */
	case MSR_MTRRcap:
		*data = 0;
		return 0;
	case MSR_MTRRdefType:
		*data = vx->mtrr_def_type;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*data = vx->tsc_adjust;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = vx->debugctl;
		return 0;
	case MSR_IA32_MCG_CAP:
		*data = VMX_MCG_CAP;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = vx->mcg_status;
		return 0;
	}
	if (vmx_is_mc_bank_msr(index)) {
		*data = *vmx_mc_bank_msr(vx, index);
		return 0;
	}
	return -EINVAL;
}

/*
 * A bank MSR: CTL takes all ones or all zeros (errors reported or not),
 * STATUS only 0 from the guest (it clears an error it handled; setting
 * one is the CPU's), ADDR and MISC anything (SDM 3B 16.3.2).
 */
static bool vmx_mc_bank_valid(u32 index, u64 data, bool host)
{
	switch ((index - VMX_MC_FIRST) % VMX_MCE_BANK_MSRS) {
	case VMX_MC_CTL:
		return !data || data == ~0ULL;
	case VMX_MC_STATUS:
		return host || !data;
	}
	return true;
}

/*
 * Whether the guest (or, with @host, userspace) may give MSR @index the
 * value @data: the checks the CPU makes before #GP, so that no value
 * that would fault on the host's WRMSR reaches it.
 */
static bool vmx_msr_valid(struct vmmon_vcpu *vcpu, u32 index, u64 data,
			  bool host)
{
	const struct vmx_vcpu *vx = vcpu->hw;
	u64 efer;

	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		return vmx_canonical(data);
	case MSR_STAR:
	case MSR_SYSCALL_MASK:
		return index == MSR_STAR || !(data >> 32);
	case MSR_IA32_TSC:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return true;
	case MSR_IA32_SYSENTER_CS:
		return !(data >> 32);
	case MSR_TSC_AUX:
		/* The guest has it only with RDTSCP (vmx_msr_setup()). */
		return vmx_switched_msr(index) >= 0 && !(data >> 32);
	case MSR_IA32_APICBASE:
		return vmx_apic_base_valid(vx, data, host);
	case MSR_IA32_CR_PAT:
		return vmx_pat_valid(data);
	case MSR_IA32_MISC_ENABLE:
		return !((data ^ vx->misc_enable) & ~VMX_MISC_ENABLE_WRITABLE);
	case MSR_IA32_TSC_ADJUST:
		return true;
	case MSR_IA32_DEBUGCTLMSR:
		/* Single-step on branches; no LBR or BTS (no way to read them). */
		return !(data & ~DEBUGCTLMSR_BTF);
	case MSR_IA32_MCG_CAP:
		/* Read-only: userspace may write what it read. */
		return host && data == VMX_MCG_CAP;
	case MSR_IA32_MCG_STATUS:
		return !(data & ~VMX_MCG_STATUS_VALID);
	case MSR_MTRRdefType:
		return !(data & ~VMX_MTRR_DEF_TYPE_VALID) &&
		       vmx_memory_type_valid(data & VMX_MTRR_DEF_TYPE_TYPE) &&
		       (data & VMX_MTRR_DEF_TYPE_TYPE) != VMX_MEMTYPE_UC_MINUS;
	case MSR_IA32_UCODE_REV:
		/* Writing 0 before CPUID is how a revision is read. */
		return !host && !data;
	case MSR_EFER:
		if (data & ~VMX_EFER_VALID)
			return false;
		if (host)
			return true;
		/* LMA is the CPU's to set; LME may not change under paging. */
		efer = vmcs_read64(VMCS_GUEST_EFER);
		return (data & EFER_LMA) == (efer & EFER_LMA) &&
		       (!(vmcs_readl(VMCS_GUEST_CR0) & X86_CR0_PG) ||
			(data & EFER_LME) == (efer & EFER_LME));
	}
	return vmx_is_mc_bank_msr(index) && vmx_mc_bank_valid(index, data, host);
}

/* For SET_MSRS: 0 when userspace may write @data to @index. */
int vmx_msr_check(struct vmmon_vcpu *vcpu, u32 index, u64 data)
{
	return vmx_msr_valid(vcpu, index, data, true) ? 0 : -EINVAL;
}

/*
 * One of msrs[] changes (the value checked by vmx_msr_valid()).  Any CPU
 * that holds the old values holds them under the old key, so none uses
 * them for this vCPU again; this one, inside a batch, gets the new value
 * and key at once.
 */
static void vmx_msr_set_switched(struct vmx_vcpu *vx, int sw, u64 data)
{
	vx->msrs[sw] = data;
	if (sw != VMX_MSR_KERNEL_GS_BASE)
		vx->msrs_key = atomic64_inc_return(&vmx_msr_keys);
	if (!vx->msrs_loaded)
		return;
	wrmsrl(vmx_switched_msr_index[sw], data);
	if (sw != VMX_MSR_KERNEL_GS_BASE)
		this_cpu_ptr(&vmx_msr_guard)->loaded = vx->msrs_key;
}

static void vmx_set_tsc_offset(struct vmx_vcpu *vx, u64 offset)
{
	vx->tsc_offset = offset;
	vmcs_write64(VMCS_TSC_OFFSET, offset);
}

/* 0, or -EINVAL for an MSR vmmon does not emulate or a bad value. */
int vmx_msr_write(struct vmmon_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vmx_vcpu *vx = vcpu->hw;
	int sw = vmx_switched_msr(index), vm = vmx_vmcs_msr(index);

	if (!vmx_msr_valid(vcpu, index, data, host))
		return -EINVAL;
	if (sw >= 0) {
		vmx_msr_set_switched(vx, sw, data);
	} else if (index == MSR_EFER) {
		vmx_set_efer(data);	/* only userspace can change LMA */
	} else if (vm >= 0) {
		__vmcs_write(vmx_vmcs_msrs[vm].field, data);
	} else if (index == MSR_IA32_TSC) {
		/* The guest's WRMSR moves TSC_ADJUST as much (SDM 3B 18.17.3). */
		if (!host)
			vx->tsc_adjust += data - (rdtsc() + vx->tsc_offset);
		vmx_set_tsc_offset(vx, data - rdtsc());
	} else if (index == MSR_IA32_TSC_ADJUST) {
		/* Userspace restores both: its TSC write set the offset. */
		if (!host)
			vmx_set_tsc_offset(vx, vx->tsc_offset + data -
					   vx->tsc_adjust);
		vx->tsc_adjust = data;
	} else if (index == MSR_IA32_APICBASE) {
		vx->apic_base = data;
	} else if (index == MSR_MTRRdefType) {
		vx->mtrr_def_type = data;
	} else if (index == MSR_IA32_MISC_ENABLE) {
		vx->misc_enable = data;
	} else if (index == MSR_IA32_DEBUGCTLMSR) {
		vx->debugctl = data;
		vmcs_write64(VMCS_GUEST_DEBUGCTL, data);
	} else if (index == MSR_IA32_MCG_STATUS) {
		vx->mcg_status = data;
	} else if (vmx_is_mc_bank_msr(index)) {
		*vmx_mc_bank_msr(vx, index) = data;
	}
	/* UCODE_REV and MCG_CAP: only their current values are valid. */
	return 0;
}


/*
 * The host's values of STAR, LSTAR, CSTAR and SFMASK: set once at boot,
 * the same on every CPU (syscall_init()), so read once.  KERNEL_GS_BASE
 * (the current task's user GS base) and TSC_AUX (this CPU's number, for
 * the vDSO's getcpu()) are read at each switch, into vmx_msr_guard.
 */
static u64 vmx_host_msrs[VMX_NR_SWITCHED_MSRS];

void vmx_msr_setup(void)
{
	int i;

	vmx_nr_switched = VMX_NR_SWITCHED_MSRS;
	if (!(vmx_caps.proc2 & VMX_PROC2_ENABLE_RDTSCP))
		vmx_nr_switched = VMX_MSR_TSC_AUX;
	for (i = 0; i < vmx_nr_switched; i++)
		if (i != VMX_MSR_KERNEL_GS_BASE && i != VMX_MSR_TSC_AUX)
			rdmsrl(vmx_switched_msr_index[i], vmx_host_msrs[i]);
}

static u64 vmx_msr_host_value(const struct vmx_msr_guard *guard, int i)
{
	return i == VMX_MSR_TSC_AUX ? guard->tsc_aux : vmx_host_msrs[i];
}

static void vmx_msr_on_user_return(struct user_return_notifier *urn)
{
	struct vmx_msr_guard *guard =
		container_of(urn, struct vmx_msr_guard, urn);
	unsigned long flags;
	int i;

	local_irq_save(flags);
	if (guard->armed) {
		guard->armed = false;
		guard->loaded = 0;
		user_return_notifier_unregister(urn);
		for (i = 0; i < vmx_nr_switched; i++)
			if (i != VMX_MSR_KERNEL_GS_BASE)
				wrmsrl(vmx_switched_msr_index[i],
				       vmx_msr_host_value(guard, i));
	}
	local_irq_restore(flags);
}

/*
 * This CPU leaves VMX operation (suspend, reboot, going offline, the
 * last VM gone): the host's values back now, and the notifier off.
 * Whatever happens next need not return to user mode first: the CPU may
 * go offline (and its notifier stay listed past the module's unload),
 * resume rewrites the host's values (which a guard still armed would
 * take for the guest's), KVM may take the CPU and record the guest's
 * values as the host's.  Every CPU that ever ran a guest passes here
 * before vmmon unloads.
 */
void vmx_msr_drop_guest(void)
{
	struct vmx_msr_guard *guard = this_cpu_ptr(&vmx_msr_guard);

	vmx_msr_on_user_return(&guard->urn);
}

/*
 * Before a batch of entries, with preemption off: the guest's values in
 * the CPU, unless they are there already.  Returns the host's
 * KERNEL_GS_BASE, the task's user GS base.
 */
u64 vmx_msr_load_guest(struct vmx_vcpu *vx)
{
	struct vmx_msr_guard *guard = this_cpu_ptr(&vmx_msr_guard);
	u64 kernel_gs_base;
	int i;

	rdmsrl(MSR_KERNEL_GS_BASE, kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vx->msrs[VMX_MSR_KERNEL_GS_BASE]);
	vx->msrs_loaded = true;
	if (guard->armed && guard->loaded == vx->msrs_key)
		return kernel_gs_base;
	if (!guard->armed) {
		if (vmx_nr_switched > VMX_MSR_TSC_AUX)
			rdmsrl(MSR_TSC_AUX, guard->tsc_aux);
		guard->urn.on_user_return = vmx_msr_on_user_return;
		guard->armed = true;
		user_return_notifier_register(&guard->urn);
	}
	for (i = 0; i < vmx_nr_switched; i++)
		if (i != VMX_MSR_KERNEL_GS_BASE)
			wrmsrl(vmx_switched_msr_index[i], vx->msrs[i]);
	guard->loaded = vx->msrs_key;
	return kernel_gs_base;
}

/* After the batch: the task's user GS base back; the rest stay. */
void vmx_msr_load_host(struct vmx_vcpu *vx, u64 kernel_gs_base)
{
	rdmsrl(MSR_KERNEL_GS_BASE, vx->msrs[VMX_MSR_KERNEL_GS_BASE]);
	wrmsrl(MSR_KERNEL_GS_BASE, kernel_gs_base);
	vx->msrs_loaded = false;
}
