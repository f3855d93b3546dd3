// SPDX-License-Identifier: GPL-2.0
/*
 * The host's performance monitoring while a guest runs.  perf says which
 * of its MSRs must hold other values in the guest (perf_guest_get_msrs(),
 * as kvm_intel asks): PERF_GLOBAL_CTRL without the counters of events
 * that exclude the guest, and PEBS_ENABLE at 0 where PEBS could write a
 * record through the guest's translation.  The CPU switches them at each
 * entry and exit, from the VMCS's MSR-load lists (SDM 3C 26.4, 27.6).
 *
 * vmmon gives its guests no PMU, so it has no guest PEBS state to give
 * perf, which then leaves one case out: a CPU whose PEBS writes through
 * EPT (Ice Lake and later) keeps the host's PEBS counters running in the
 * guest, for KVM to point them at the guest's DS area.  vmmon turns
 * PEBS_ENABLE off for the guest there too.
 *
 * Intel PT needs nothing: as with kvm_intel's default (pt_mode=0), the
 * host's trace goes on in the guest, into the host's buffers, which PT
 * addresses by physical address.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/perf_event.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

/* Each list's room: perf asks for 2 MSRs, at most 1 per counter. */
#define VMX_PMU_MAX_MSRS	32

/* An entry of an MSR-load list (SDM 3C table 25-15). */
struct vmx_msr_slot {
	u32 index;
	u32 reserved;
	u64 value;
};

static_assert(2 * VMX_PMU_MAX_MSRS * sizeof(struct vmx_msr_slot) <= PAGE_SIZE);

/* perf drives a PMU on this CPU; without one its switch list is empty. */
bool vmx_pmu_present;
static bool vmx_pmu_has_pebs;

void vmx_pmu_setup(void)
{
	struct x86_pmu_capability cap;
	u64 misc;

	perf_get_x86_pmu_capability(&cap);
	vmx_pmu_present = cap.version > 0;
	if (!vmx_pmu_present || !boot_cpu_has(X86_FEATURE_DS))
		return;
	rdmsrl(MSR_IA32_MISC_ENABLE, misc);
	vmx_pmu_has_pebs = !(misc & MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL);
}

/* The guest's values, then the host's, in one page. */
int vmx_pmu_init(struct vmx_vcpu *vx)
{
	vx->pmu_lists = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	return vx->pmu_lists ? 0 : -ENOMEM;
}

void vmx_pmu_fini(struct vmx_vcpu *vx)
{
	__free_page(vx->pmu_lists);
}

/* The VMCS is loaded: where the lists are; both empty until needed. */
void vmx_pmu_write_controls(struct vmx_vcpu *vx)
{
	phys_addr_t pa = page_to_phys(vx->pmu_lists);

	vmcs_write64(VMCS_ENTRY_MSR_LOAD_ADDR, pa);
	vmcs_write64(VMCS_EXIT_MSR_LOAD_ADDR,
		     pa + VMX_PMU_MAX_MSRS * sizeof(struct vmx_msr_slot));
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vx->pmu_nr = 0;
}

static void vmx_pmu_add(struct vmx_msr_slot *slots, unsigned int *n,
			u32 index, u64 guest, u64 host)
{
	if (WARN_ON_ONCE(*n == VMX_PMU_MAX_MSRS))
		return;
	slots[*n] = (struct vmx_msr_slot){ .index = index, .value = guest };
	slots[VMX_PMU_MAX_MSRS + *n] =
		(struct vmx_msr_slot){ .index = index, .value = host };
	(*n)++;
}

/*
 * Interrupts off, right before the entry, where there is a PMU: the
 * lists as perf wants them now (an event may have started or stopped
 * since the last entry).
 */
void vmx_pmu_load_lists(struct vmx_vcpu *vx)
{
	struct vmx_msr_slot *slots = page_address(vx->pmu_lists);
	struct perf_guest_switch_msr *m;
	bool pebs_switched = false;
	unsigned int n = 0;
	int nr = 0, i;
	u64 pebs;

	m = perf_guest_get_msrs(&nr, NULL);
	for (i = 0; m && i < nr; i++) {
		if (m[i].msr == MSR_IA32_PEBS_ENABLE)
			pebs_switched = true;
		if (m[i].host != m[i].guest)
			vmx_pmu_add(slots, &n, m[i].msr, m[i].guest,
				    m[i].host);
	}
	if (vmx_pmu_has_pebs && !pebs_switched) {
		rdmsrl(MSR_IA32_PEBS_ENABLE, pebs);
		if (pebs)
			vmx_pmu_add(slots, &n, MSR_IA32_PEBS_ENABLE, 0, pebs);
	}
	if (n == vx->pmu_nr)
		return;
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, n);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, n);
	vx->pmu_nr = n;
}
