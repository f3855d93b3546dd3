// SPDX-License-Identifier: GPL-2.0
/*
 * The VT-x backend: checks that the CPU can run vmmon's VMs, and enters
 * and leaves VMX root operation on one CPU at a time for the core.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/io.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <uapi/vmmon.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_arch.h"
#include "vmx_spec.h"

struct vmx_caps vmx_caps;
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);
static char vmx_summary[160];

static u64 vmx_rdmsr(u32 msr)
{
	u64 val;

	return rdmsrl_safe(msr, &val) ? 0 : val;
}

/*
 * Read the capability MSRs the way SDM appendix A says they exist: the
 * TRUE_ ones only with IA32_VMX_BASIC[55], the secondary controls only
 * when they can be activated, EPT/VPID only when one of them can be on.
 */
static void vmx_read_msrs(void *data)
{
	struct vmx_msrs *m = data;
	bool true_ctls;

	memset(m, 0, sizeof(*m));
	m->basic = vmx_rdmsr(MSR_IA32_VMX_BASIC);
	true_ctls = m->basic & VMX_BASIC_TRUE_CONTROLS;
	m->pinbased = vmx_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
					    MSR_IA32_VMX_PINBASED_CTLS);
	m->procbased = vmx_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					     MSR_IA32_VMX_PROCBASED_CTLS);
	m->exit = vmx_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
					MSR_IA32_VMX_EXIT_CTLS);
	m->entry = vmx_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
					 MSR_IA32_VMX_ENTRY_CTLS);
	m->misc = vmx_rdmsr(MSR_IA32_VMX_MISC);
	m->cr4_fixed1 = vmx_rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	if (VMX_CTL_ALLOWED1(m->procbased) & VMX_PROC_SECONDARY_CONTROLS)
		m->procbased2 = vmx_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (VMX_CTL_ALLOWED1(m->procbased2) &
	    (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID))
		m->ept_vpid = vmx_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

static void vmx_report_missing(void *ctx, const char *what)
{
	pr_err("VT-x capability missing: %s\n", what);
}

/* The core assumes one set of controls for all CPUs. */
static int vmx_check_cpus_agree(const struct vmx_msrs *boot)
{
	struct vmx_msrs m;
	int cpu;

	for_each_online_cpu(cpu) {
		smp_call_function_single(cpu, vmx_read_msrs, &m, 1);
		if (memcmp(&m, boot, sizeof(m))) {
			pr_err("CPU %d reports other VT-x capabilities than CPU %d\n",
			       cpu, smp_processor_id());
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int vmx_probe(void)
{
	struct vmx_msrs msrs;
	u64 feat_ctl;
	int missing, err;

	if (!(cpuid_ecx(1) & VMX_CPUID1_ECX_VMX)) {
		pr_err("CPU has no VT-x (CPUID.1:ECX.VMX is 0)\n");
		return -ENODEV;
	}
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl))
		feat_ctl = 0;
	if (!(feat_ctl & FEAT_CTL_LOCKED) ||
	    !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VT-x is disabled by the firmware (IA32_FEATURE_CONTROL 0x%llx: locked %d, VMX outside SMX %d); enable it in the BIOS setup\n",
		       feat_ctl, !!(feat_ctl & FEAT_CTL_LOCKED),
		       !!(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX));
		return -EOPNOTSUPP;
	}

	get_cpu();
	vmx_read_msrs(&msrs);
	missing = vmx_caps_compute(&msrs, &vmx_caps, vmx_report_missing, NULL);
	err = missing ? -EOPNOTSUPP : vmx_check_cpus_agree(&msrs);
	put_cpu();
	if (missing)
		pr_err("%d required VT-x capabilities missing\n", missing);
	return err;
}

static void vmx_free_vmxon_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmx_vmxon_page, cpu)) {
			__free_page(per_cpu(vmx_vmxon_page, cpu));
			per_cpu(vmx_vmxon_page, cpu) = NULL;
		}
	}
}

/* One VMXON region per CPU that may ever come online (SDM 24.11.5). */
static int vmx_alloc_vmxon_pages(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_free_vmxon_pages();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = vmx_caps.revision;
		per_cpu(vmx_vmxon_page, cpu) = page;
	}
	return 0;
}

static int vmx_init(void)
{
	int err;

	err = vmx_probe();
	if (err)
		return err;
	err = vmx_alloc_vmxon_pages();
	if (err)
		return err;
	err = vmx_vcpus_setup();
	if (err)
		goto free_vmxon;
	err = vmx_spec_setup();
	if (err)
		goto teardown_vcpus;
	vmx_spec_log();

	snprintf(vmx_summary, sizeof(vmx_summary),
		 "VMCS revision 0x%x, EPT 4-level WB%s%s%s, VPID, unrestricted guest, preemption timer TSC/%u",
		 vmx_caps.revision,
		 vmx_caps.ept_vpid & VMX_EPT_CAP_AD_FLAGS ? ", A/D flags" : "",
		 vmx_caps.ept_vpid & VMX_EPT_CAP_2M_PAGES ? ", 2M pages" : "",
		 vmx_caps.ept_vpid & VMX_EPT_CAP_1G_PAGES ? ", 1G pages" : "",
		 1U << vmx_caps.preemption_timer_shift);
	return 0;

teardown_vcpus:
	vmx_vcpus_teardown();
free_vmxon:
	vmx_free_vmxon_pages();
	return err;
}

static void vmx_fini(void)
{
	vmx_spec_teardown();
	vmx_vcpus_teardown();
	vmx_free_vmxon_pages();
}

static const char *vmx_describe(void)
{
	return vmx_summary;
}

static u64 vmx_cap(u32 cap)
{
	switch (cap) {
	case VMMON_CAP_EPT_AD_BITS:
		return !!(vmx_caps.ept_vpid & VMX_EPT_CAP_AD_FLAGS);
	case VMMON_CAP_EPT_2M_PAGES:
		return !!(vmx_caps.ept_vpid & VMX_EPT_CAP_2M_PAGES);
	case VMMON_CAP_EPT_1G_PAGES:
		return !!(vmx_caps.ept_vpid & VMX_EPT_CAP_1G_PAGES);
	case VMMON_CAP_APIC_TIMER:
		return 1;	/* the preemption timer is required */
	case VMMON_CAP_APIC_IPI:
		return 1;	/* the MSR bitmap sends the ICR's WRMSR here */
	case VMMON_CAP_HLT_WAIT:
		return 1;	/* HLT exiting is required */
	case VMMON_CAP_XAPIC_IPI:
		return 1;	/* the APIC page is MMIO, not APIC-access */
	default:
		return 0;
	}
}

static const char *const vmx_insn_status_names[] = {
	[VMX_INSN_OK] = "success",
	[VMX_INSN_FAIL_INVALID] = "VMfailInvalid",
	[VMX_INSN_FAIL_VALID] = "VMfailValid",
	[VMX_INSN_FAULT] = "fault",
};

const char *vmx_insn_status_name(enum vmx_insn_status st)
{
	return vmx_insn_status_names[st];
}

static int vmx_cpu_enable(void)
{
	int cpu = smp_processor_id();
	enum vmx_insn_status st;

	/* Whoever set CR4.VMXE (KVM, VirtualBox, ...) owns VMX here. */
	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("CPU %d: VT-x is in use by another hypervisor (CR4.VMXE is set)\n",
		       cpu);
		return -EBUSY;
	}
	cr4_set_bits(X86_CR4_VMXE);
	st = vmx_vmxon(page_to_phys(per_cpu(vmx_vmxon_page, cpu)));
	if (st == VMX_INSN_OK)
		return 0;

	cr4_clear_bits(X86_CR4_VMXE);
	pr_err("CPU %d: VMXON failed: %s\n", cpu, vmx_insn_status_name(st));
	return st == VMX_INSN_FAIL_VALID ? -EBUSY : -EIO;
}

static void vmx_cpu_disable(void)
{
	enum vmx_insn_status st;

	vmx_vmcs_clear_all_here();
	vmx_msr_drop_guest();
	st = vmx_vmxoff();

	if (st != VMX_INSN_OK)
		pr_err("CPU %d: VMXOFF failed: %s\n", smp_processor_id(),
		       vmx_insn_status_name(st));
	cr4_clear_bits(X86_CR4_VMXE);
}

/*
 * Panic, kdump or emergency reboot, at any moment, maybe in NMI context,
 * on every CPU: write the VMCSs active here back to memory (for the
 * dump) and leave VMX operation, so that INIT works again and the next
 * kernel may clear CR4.VMXE.  By CR4.VMXE, not vmmon's own flag, which
 * VMXON and VMXOFF do not set in the same instant; a VMX instruction
 * that faults (the CPU is not in VMX operation after all) is harmless:
 * each has an exception fixup.
 */
static void vmx_cpu_emergency_disable(void)
{
	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	vmx_vmcs_clear_all_emergency();
	vmx_vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
}

const struct vmmon_hw_ops vmx_hw_ops = {
	.name = "VT-x",
	.init = vmx_init,
	.fini = vmx_fini,
	.describe = vmx_describe,
	.cap = vmx_cap,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.cpu_emergency_disable = vmx_cpu_emergency_disable,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_fini = vmx_vcpu_fini,
	.vcpu_run = vmx_vcpu_run,
	.vcpu_get_regs = vmx_vcpu_get_regs,
	.vcpu_set_regs = vmx_vcpu_set_regs,
	.vcpu_get_sregs = vmx_vcpu_get_sregs,
	.vcpu_set_sregs = vmx_vcpu_set_sregs,
	.vcpu_msrs = vmx_vcpu_msrs,
	.flush_ept = vmx_flush_ept,
	.mitigations = vmx_spec_active,
	.counter = vmx_spec_counter,
	.sysfs_group = &vmx_spec_group,
};
