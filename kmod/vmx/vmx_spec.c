// SPDX-License-Identifier: GPL-2.0
/*
 * Speculative-execution mitigations of the world switch, each applied as
 * the running kernel decided for this CPU: by its feature flags (which
 * the alternatives in vmx_switch.S are patched by, and which the files
 * in /sys/devices/system/cpu/vulnerabilities are written from), as
 * kvm_intel applies them.
 *
 *   MDS, TAA, MMIO stale data, RFDS: VERW right before entry (switch.S)
 *   Spectre v2 RSB, PBRSB: the RSB filled before the first RET after an
 *       exit (switch.S)
 *   BHI: the branch history cleared after an exit (switch.S)
 *   legacy IBRS: SPEC_CTRL written again after an exit (switch.S)
 *   L1TF: the L1 data cache flushed before entry, as the l1d_flush
 *       parameter says (here)
 *   Spectre v2 between guests: IBPB when a CPU goes from one VM's guest
 *       to another's (here)
 *   VMSCAPE: IBPB before the VMM's userspace runs after a guest did
 *       (here; the kernel's exit to user mode does it)
 *
 * Each is counted in sysfs (mitigations/, summed over the CPUs) beside
 * the number of VM entries, so that a test sees it ran as often as it
 * should: those here as they happen, those in vmx_switch.S as the
 * entries made with their flag set.  The log at load and
 * mitigations/active say which apply.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include "vmx_spec.h"

/* What the l1d_flush parameter takes, in kvm_intel's words. */
enum vmx_l1d_mode {
	VMX_L1D_AUTO,		/* as the kernel's l1tf= decided */
	VMX_L1D_NEVER,
	VMX_L1D_COND,		/* when host code ran since the last entry */
	VMX_L1D_ALWAYS,
};

static const char *const vmx_l1d_mode_names[] = {
	[VMX_L1D_AUTO] = "auto",
	[VMX_L1D_NEVER] = "never",
	[VMX_L1D_COND] = "cond",
	[VMX_L1D_ALWAYS] = "always",
};

/*
 * The software flush reads 64 KiB, twice the largest L1D, one line at a
 * time, after touching each page so that no load waits for a page walk.
 */
#define VMX_L1D_FLUSH_ORDER	4
#define VMX_L1D_FLUSH_SIZE	(PAGE_SIZE << VMX_L1D_FLUSH_ORDER)

static enum vmx_l1d_mode vmx_l1d_param = VMX_L1D_AUTO;
/* The mode in force: never auto. */
static enum vmx_l1d_mode vmx_l1d_mode;
static struct page *vmx_l1d_pages;

/* An interrupt or the host's own work ran on this CPU since the flush. */
static DEFINE_PER_CPU(bool, vmx_l1d_flush_needed);
/*
 * The VM whose guest ran last on this CPU, by a serial number that is
 * never reused (an address would be, by the next VM allocated there).
 */
static DEFINE_PER_CPU(u64, vmx_last_vm);
static DEFINE_PER_CPU(u64 [VMX_SPEC_NR], vmx_spec_count);

static const char *const vmx_spec_names[VMX_SPEC_NR] = {
	[VMX_SPEC_ENTRIES] = "entries",
	[VMX_SPEC_L1D_FLUSH] = "l1d_flush",
	[VMX_SPEC_VERW] = "verw",
	[VMX_SPEC_RSB_FILL] = "rsb_fill",
	[VMX_SPEC_BHB_CLEAR] = "bhb_clear",
	[VMX_SPEC_SPEC_CTRL] = "spec_ctrl",
	[VMX_SPEC_IBPB_SWITCH] = "ibpb_switch",
	[VMX_SPEC_IBPB_EXIT_TO_USER] = "ibpb_exit_to_user",
};

static void vmx_spec_inc(enum vmx_spec_counter c)
{
	this_cpu_inc(vmx_spec_count[c]);
}

/* Whether mitigation @c applies on this host (the kernel's flags). */
static bool vmx_spec_applies(enum vmx_spec_counter c)
{
	switch (c) {
	case VMX_SPEC_L1D_FLUSH:
		return READ_ONCE(vmx_l1d_mode) != VMX_L1D_NEVER;
	case VMX_SPEC_VERW:
		return cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM);
	case VMX_SPEC_RSB_FILL:
		return cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT) ||
		       cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT_LITE);
	case VMX_SPEC_BHB_CLEAR:
		return cpu_feature_enabled(X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT);
	case VMX_SPEC_SPEC_CTRL:
		return cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS);
	case VMX_SPEC_IBPB_SWITCH:
		return cpu_feature_enabled(X86_FEATURE_USE_IBPB);
	case VMX_SPEC_IBPB_EXIT_TO_USER:
		return cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER);
	default:
		return false;
	}
}

/*
 * The mitigations inside vmx_switch.S run at every entry where their
 * flag is set (it is what their alternatives were patched by): their
 * counts are the entries', or 0, and cost the exit path nothing.
 */
static bool vmx_spec_in_switch(enum vmx_spec_counter c)
{
	return c == VMX_SPEC_VERW || c == VMX_SPEC_RSB_FILL ||
	       c == VMX_SPEC_BHB_CLEAR || c == VMX_SPEC_SPEC_CTRL;
}

/* auto: what kvm_intel makes of the kernel's L1TF decision. */
static enum vmx_l1d_mode vmx_l1d_auto(void)
{
	u64 arch_cap = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return VMX_L1D_NEVER;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &arch_cap) &&
	    (arch_cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH))
		return VMX_L1D_NEVER;
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_OFF:
		return VMX_L1D_NEVER;
	case L1TF_MITIGATION_FULL:
	case L1TF_MITIGATION_FULL_FORCE:
		return VMX_L1D_ALWAYS;
	default:
		return VMX_L1D_COND;
	}
}

static int vmx_l1d_param_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(vmx_l1d_mode_names, val);

	if (mode < 0)
		return -EINVAL;
	/* Before setup (a load-time parameter), setup resolves it. */
	vmx_l1d_param = mode;
	if (vmx_l1d_pages || boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		WRITE_ONCE(vmx_l1d_mode, mode == VMX_L1D_AUTO ?
			   vmx_l1d_auto() : mode);
	return 0;
}

static int vmx_l1d_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vmx_l1d_mode_names[vmx_l1d_param]);
}

static const struct kernel_param_ops vmx_l1d_param_ops = {
	.set = vmx_l1d_param_set,
	.get = vmx_l1d_param_get,
};
module_param_cb(l1d_flush, &vmx_l1d_param_ops, NULL, 0644);
MODULE_PARM_DESC(l1d_flush, "L1D flush before VM entry against L1TF: auto (as the kernel's l1tf= decided, the default), cond (after host code ran), always, never");

static void vmx_spec_sysfs_init(void);

int vmx_spec_setup(void)
{
	unsigned int i;

	vmx_spec_sysfs_init();
	if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		vmx_l1d_pages = alloc_pages(GFP_KERNEL, VMX_L1D_FLUSH_ORDER);
		if (!vmx_l1d_pages)
			return -ENOMEM;
		/*
		 * Distinct contents, so that a hypervisor below cannot back
		 * the buffer with one shared page (which would not evict).
		 */
		for (i = 0; i < 1u << VMX_L1D_FLUSH_ORDER; i++)
			memset(page_address(vmx_l1d_pages + i), i + 1, PAGE_SIZE);
	}
	/* A write to the parameter file may race with the module's init. */
	kernel_param_lock(THIS_MODULE);
	vmx_l1d_mode = vmx_l1d_param == VMX_L1D_AUTO ? vmx_l1d_auto() :
						       vmx_l1d_param;
	kernel_param_unlock(THIS_MODULE);
	return 0;
}

void vmx_spec_teardown(void)
{
	if (vmx_l1d_pages)
		__free_pages(vmx_l1d_pages, VMX_L1D_FLUSH_ORDER);
	vmx_l1d_pages = NULL;
}

/* Add @word to the list in @buf (of @n characters so far). */
static int vmx_spec_word(char *buf, size_t size, int n, const char *word,
			 const char *arg)
{
	return n + scnprintf(buf + n, size - n, "%s%s%s%s", n ? " " : "",
			     word, arg ? "=" : "", arg ?: "");
}

/*
 * The mitigations that apply, one word each (the counter's name), as
 * mitigations/active says; the L1D flush with its mode, the RSB fill
 * with "lite" where one entry is enough (eIBRS hosts).  Also netlink's
 * VMMON_A_MOD_MITIGATIONS.
 */
int vmx_spec_active(char *buf, size_t size)
{
	const char *arg;
	int n = 0, c;

	for (c = VMX_SPEC_ENTRIES + 1; c < VMX_SPEC_NR; c++) {
		if (!vmx_spec_applies(c))
			continue;
		arg = NULL;
		if (c == VMX_SPEC_L1D_FLUSH)
			arg = vmx_l1d_mode_names[READ_ONCE(vmx_l1d_mode)];
		else if (c == VMX_SPEC_RSB_FILL &&
			 !cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT))
			arg = "lite";
		n = vmx_spec_word(buf, size, n, vmx_spec_names[c], arg);
	}
	if (!n)
		n = vmx_spec_word(buf, size, n, "none", NULL);
	return n;
}

void vmx_spec_log(void)
{
	char buf[160];

	vmx_spec_active(buf, sizeof(buf));
	pr_info("speculation mitigations of the world switch: %s\n", buf);
}

/*
 * A run batch starts on this CPU: the VMM thread, the scheduler and
 * whatever ran before may have left host data in the L1D; a vCPU of
 * another VM may have trained the branch predictors.
 */
void vmx_spec_vcpu_load(u64 vm_serial)
{
	this_cpu_write(vmx_l1d_flush_needed, true);
	if (this_cpu_read(vmx_last_vm) == vm_serial)
		return;
	this_cpu_write(vmx_last_vm, vm_serial);
	if (vmx_spec_applies(VMX_SPEC_IBPB_SWITCH)) {
		indirect_branch_prediction_barrier();
		vmx_spec_inc(VMX_SPEC_IBPB_SWITCH);
	}
}

/*
 * Right before an entry, interrupts off.  cond: flush when host code ran
 * since the last entry: the batch started or an exit was handled
 * outside it (vmx_spec_vcpu_load), or an interrupt came (the kernel's
 * interrupt entry sets the flag kvm_intel reads, with CONFIG_KVM_INTEL).
 */
void vmx_spec_before_entry(void)
{
	enum vmx_l1d_mode l1d = READ_ONCE(vmx_l1d_mode);
	bool flush = l1d == VMX_L1D_ALWAYS;

	if (l1d == VMX_L1D_COND) {
		flush = this_cpu_read(vmx_l1d_flush_needed);
#if IS_ENABLED(CONFIG_KVM_INTEL)
		flush |= kvm_get_cpu_l1tf_flush_l1d();
		kvm_clear_cpu_l1tf_flush_l1d();
#endif
	}
	this_cpu_write(vmx_l1d_flush_needed, false);
	if (!flush)
		return;
	if (boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	else
		vmx_l1d_flush_sw(page_address(vmx_l1d_pages), VMX_L1D_FLUSH_SIZE);
	vmx_spec_inc(VMX_SPEC_L1D_FLUSH);
}

/* After an exit: one more entry, for vmx_spec_in_switch()'s counts. */
void vmx_spec_after_exit(void)
{
	vmx_spec_inc(VMX_SPEC_ENTRIES);
}

/* The batch ends: the VMM's userspace may run next. */
void vmx_spec_vcpu_put(void)
{
	if (vmx_spec_applies(VMX_SPEC_IBPB_EXIT_TO_USER)) {
		this_cpu_write(x86_ibpb_exit_to_user, true);
		vmx_spec_inc(VMX_SPEC_IBPB_EXIT_TO_USER);
	}
}

/*
 * Called by vmx_switch.S after an exit, with KERNEL_IBRS only: not to be
 * traced or probed, which would run indirect branches before IBRS is on.
 */
noinstr void vmx_spec_ctrl_restore_host(void)
{
	native_wrmsrl(MSR_IA32_SPEC_CTRL, this_cpu_read(x86_spec_ctrl_current));
	barrier_nospec();
}

/* sysfs: mitigations/<counter>, summed over the CPUs, and active. */
struct vmx_spec_attr {
	struct device_attribute attr;
	enum vmx_spec_counter counter;
};

/* Counter @c summed over the CPUs. */
static u64 vmx_spec_sum(enum vmx_spec_counter c)
{
	u64 sum = 0;
	int cpu;

	if (vmx_spec_in_switch(c)) {
		if (!vmx_spec_applies(c))
			return 0;
		c = VMX_SPEC_ENTRIES;
	}
	for_each_possible_cpu(cpu)
		sum += per_cpu(vmx_spec_count, cpu)[c];
	return sum;
}

/* Counter @i for netlink's VMMON_A_MOD_COUNTERS; false past the last. */
bool vmx_spec_counter(unsigned int i, const char **name, u64 *value)
{
	if (i >= VMX_SPEC_NR)
		return false;
	*name = vmx_spec_names[i];
	*value = vmx_spec_sum(i);
	return true;
}

static ssize_t vmx_spec_count_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	enum vmx_spec_counter c =
		container_of(attr, struct vmx_spec_attr, attr)->counter;

	return sysfs_emit(buf, "%llu\n", vmx_spec_sum(c));
}

static ssize_t active_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	int n = vmx_spec_active(buf, PAGE_SIZE - 1);

	buf[n++] = '\n';
	return n;
}
static DEVICE_ATTR_RO(active);

static struct vmx_spec_attr vmx_spec_attrs[VMX_SPEC_NR];
static struct attribute *vmx_spec_attr_list[VMX_SPEC_NR + 2];

const struct attribute_group vmx_spec_group = {
	.name = "mitigations",
	.attrs = vmx_spec_attr_list,
};

/* The counters' attributes, named from vmx_spec_names. */
static void vmx_spec_sysfs_init(void)
{
	unsigned int i;

	for (i = 0; i < VMX_SPEC_NR; i++) {
		sysfs_attr_init(&vmx_spec_attrs[i].attr.attr);
		vmx_spec_attrs[i].attr.attr.name = vmx_spec_names[i];
		vmx_spec_attrs[i].attr.attr.mode = 0444;
		vmx_spec_attrs[i].attr.show = vmx_spec_count_show;
		vmx_spec_attrs[i].counter = i;
		vmx_spec_attr_list[i] = &vmx_spec_attrs[i].attr.attr;
	}
	vmx_spec_attr_list[VMX_SPEC_NR] = &dev_attr_active.attr;
	vmx_spec_attr_list[VMX_SPEC_NR + 1] = NULL;
}
