// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID: the host CPU's leaves, less what vmmon does not
 * virtualize (so the guest never reaches for an instruction or MSR that
 * would #UD or #GP), plus this vCPU's APIC id and topology, and the
 * local APIC's features, which vmctl's model has whatever the host CPU
 * has: x2APIC, and TSC-deadline where the TSC's rate is known; and
 * vmmon's hypervisor leaves unless --no-balloon.  vmmon returns exactly
 * this table (zeros for a leaf not in it); only OSXSAVE and APIC follow
 * the guest's CR4 and IA32_APIC_BASE.
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <uapi/vmmon_balloon.h>
#include "vm/vm.h"
#include "vmctl.h"

#define B(n)	(1U << (n))

/* CPUID.1 */
#define C1_ECX_DROP	(B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | \
			 B(15) | B(18) | B(27))
/* DTES64 MONITOR DS-CPL VMX SMX EST TM2 PDCM DCA OSXSAVE */
#define C1_ECX_X2APIC		B(21)
#define C1_ECX_TSC_DEADLINE	B(24)
#define C1_ECX_HYPERVISOR	B(31)
#define C1_EDX_DROP	(B(18) | B(21) | B(22) | B(29) | B(31))
/* PSN DS ACPI TM PBE: no thermal or debug-store MSRs (vmmon has MCA's) */
#define C1_EDX_HTT	B(28)
/* CPUID.7.0 */
#define C7_EBX_DROP	(B(2) | B(12) | B(14) | B(15) | B(25))
/* SGX PQM MPX PQE PT (vmmon has TSC_ADJUST, and INVPCID where the CPU does) */
#define C7_ECX_DROP	(B(3) | B(4) | B(5) | B(16))
/* PKU OSPKE WAITPKG LA57 */
#define C7_EDX_DROP	(B(26) | B(27) | B(28) | B(29) | B(30) | B(31))
/* IBRS/IBPB STIBP L1D_FLUSH ARCH_CAPABILITIES CORE_CAPABILITIES SSBD */
/* CPUID.0xD: the XCR0 bits vmmon lets a guest set (x87 SSE AVX AVX-512) */
#define CD_XCR0_ALLOWED	(B(0) | B(1) | B(2) | B(5) | B(6) | B(7))
#define CD1_EAX_XSAVES	B(3)
#define XSAVE_LEGACY_AND_HEADER	576

#define LEAF_XSAVE	0xd
#define LEAF_TSC	0x15	/* the guest's last basic leaf */
#define LEAF_TOPOLOGY	0xb
#define TOPO_LEVEL_SMT	1
#define TOPO_LEVEL_CORE	2

struct cpuid_table {
	struct vmmon_cpuid hdr;
	struct vmmon_cpuid_entry e[VMMON_MAX_CPUID_ENTRIES];
};

static struct vmmon_cpuid_entry *add(struct cpuid_table *t, uint32_t fn,
				     uint32_t index, bool indexed)
{
	struct vmmon_cpuid_entry *e = &t->e[t->hdr.nent++];
	unsigned int r[4];

	__cpuid_count(fn, index, r[0], r[1], r[2], r[3]);
	e->function = fn;
	e->index = index;
	e->flags = indexed ? VMMON_CPUID_FLAG_INDEX : 0;
	e->eax = r[0];
	e->ebx = r[1];
	e->ecx = r[2];
	e->edx = r[3];
	return e;
}

static unsigned int order_base_2(unsigned int n)
{
	unsigned int s = 0;

	while ((1U << s) < n)
		s++;
	return s;
}

/* Every vCPU a core of one package, one thread each. */
static void add_topology(struct cpuid_table *t, unsigned int id,
			 unsigned int nr)
{
	struct vmmon_cpuid_entry *e;

	e = add(t, LEAF_TOPOLOGY, 0, true);
	e->eax = 0;
	e->ebx = 1;
	e->ecx = TOPO_LEVEL_SMT << 8;
	e->edx = id;
	e = add(t, LEAF_TOPOLOGY, 1, true);
	e->eax = order_base_2(nr);
	e->ebx = nr;
	e->ecx = (TOPO_LEVEL_CORE << 8) | 1;
	e->edx = id;
	e = add(t, LEAF_TOPOLOGY, 2, true);
	e->eax = 0;
	e->ebx = 0;
	e->ecx = 2;
	e->edx = id;
}

/* Deterministic cache parameters: sharing as the topology above says. */
static void add_caches(struct cpuid_table *t, unsigned int nr)
{
	unsigned int i, level;
	struct vmmon_cpuid_entry *e;

	for (i = 0; i < 8; i++) {
		e = add(t, 4, i, true);
		if (!(e->eax & 0x1f))
			break;
		level = (e->eax >> 5) & 7;
		e->eax &= 0x3ff;
		e->eax |= ((1U << order_base_2(nr)) - 1) << 26;
		if (level == 3)
			e->eax |= (nr - 1) << 14;
	}
}

/*
 * XSAVE leaves for the features a guest may enable.  The area sizes are
 * those of every such feature enabled, which is what Linux does (and
 * checks against its own sum).
 */
static void add_xsave(struct cpuid_table *t)
{
	struct vmmon_cpuid_entry *e0, *e;
	uint32_t size = XSAVE_LEGACY_AND_HEADER;
	unsigned int i;

	e0 = add(t, 0xd, 0, true);
	e0->eax &= CD_XCR0_ALLOWED;
	e0->edx = 0;
	e = add(t, 0xd, 1, true);
	e->eax &= ~CD1_EAX_XSAVES;
	e->ecx = 0;
	e->edx = 0;
	for (i = 2; i < 8; i++) {
		if (!(e0->eax & B(i)))
			continue;
		e = add(t, 0xd, i, true);
		if (e->eax + e->ebx > size)
			size = e->eax + e->ebx;
	}
	e0->ebx = size;
	e0->ecx = size;
}

/*
 * CPUID.15H: the TSC's frequency as crystal clock x EBX / EAX, with the
 * crystal being the local APIC timer's clock.  Linux then neither
 * calibrates the TSC against the PIT (whose port reads cost an exit to
 * vmctl each, far too slow for its loop) nor the APIC timer.  Linux
 * multiplies crystal kHz by EBX in 32 bits, so EBX is kept below
 * 2^32 / crystal kHz and EAX chosen to match: the ratio is then good to
 * about 1 / EAX (10 ppm at 50 MHz, 250 ppm at 3 GHz).
 */
static void add_tsc(struct cpuid_table *t, uint32_t tsc_khz)
{
	struct vmmon_cpuid_entry *e = &t->e[t->hdr.nent++];
	const uint64_t crystal_khz = LAPIC_TIMER_HZ / 1000;
	uint64_t ebx = UINT32_MAX / crystal_khz;

	*e = (struct vmmon_cpuid_entry){ .function = LEAF_TSC,
					 .ecx = LAPIC_TIMER_HZ };
	if (!tsc_khz)
		return;		/* unknown: Linux calibrates instead */
	e->ebx = ebx;
	e->eax = (ebx * crystal_khz + tsc_khz / 2) / tsc_khz;
}

/*
 * The local APIC's features, which vmctl's model (hw/lapic.h) has
 * whatever the host CPU has.  x2APIC: Linux enables it only with
 * interrupt remapping or on a hypervisor it knows, neither of which
 * vmctl is, so Linux stays in xAPIC mode (saying "x2apic: IRQ remapping
 * doesn't support X2APIC mode"); other guests may use it.  TSC-deadline:
 * deadlines become device-clock time at the TSC's rate, so only with
 * that rate known (also what CPUID.15H says); Linux then uses it for its
 * timer ("lapic-deadline") instead of the count.
 */
static uint32_t apic_features(uint32_t ecx, uint32_t tsc_khz)
{
	ecx |= C1_ECX_X2APIC;
	if (tsc_khz)
		ecx |= C1_ECX_TSC_DEADLINE;
	else
		ecx &= ~C1_ECX_TSC_DEADLINE;
	return ecx;
}

/*
 * The hypervisor leaves (uapi/vmmon_balloon.h): vmmon's signature and
 * the balloon's feature bit, which the guest's balloon driver probes.
 * vmctl's own values: the host's leaves there (another hypervisor's)
 * are never passed on.
 */
static void add_hypervisor(struct cpuid_table *t)
{
	struct vmmon_cpuid_entry *e = &t->e[t->hdr.nent++];

	*e = (struct vmmon_cpuid_entry){ .function = VMMON_CPUID_SIGNATURE,
					 .eax = VMMON_CPUID_FEATURES,
					 .ebx = VMMON_CPUID_SIG_EBX,
					 .ecx = VMMON_CPUID_SIG_ECX,
					 .edx = VMMON_CPUID_SIG_EDX };
	e = &t->e[t->hdr.nent++];
	*e = (struct vmmon_cpuid_entry){ .function = VMMON_CPUID_FEATURES,
					 .eax = VMMON_FEAT_BALLOON };
}

int vm_cpuid_set(struct vm *vm, struct vcpu *v)
{
	static struct cpuid_table t;
	struct vmmon_cpuid_entry *e;
	unsigned int max, fn;

	memset(&t, 0, sizeof(t));
	e = add(&t, 0, 0, false);
	max = e->eax < LEAF_XSAVE ? e->eax : LEAF_XSAVE;
	e->eax = LEAF_TSC;
	add_tsc(&t, vm->tsc_khz);
	for (fn = 1; fn <= max; fn++) {
		switch (fn) {
		case 1:
			e = add(&t, 1, 0, false);
			e->ebx = (e->ebx & 0xffff) | (v->id << 24) |
				 (vm->opts->nr_vcpus << 16);
			e->ecx = (e->ecx & ~C1_ECX_DROP) | C1_ECX_HYPERVISOR;
			e->ecx = apic_features(e->ecx, vm->tsc_khz);
			e->edx &= ~C1_EDX_DROP;
			if (vm->opts->nr_vcpus > 1)
				e->edx |= C1_EDX_HTT;
			else
				e->edx &= ~C1_EDX_HTT;
			break;
		case 4:
			add_caches(&t, vm->opts->nr_vcpus);
			break;
		case 7:
			e = add(&t, 7, 0, true);
			e->eax = 0;	/* no subleaves past 0 */
			e->ebx &= ~C7_EBX_DROP;
			e->ecx &= ~C7_ECX_DROP;
			e->edx &= ~C7_EDX_DROP;
			break;
		case LEAF_TOPOLOGY:
			add_topology(&t, v->id, vm->opts->nr_vcpus);
			break;
		case 0xd:
			add_xsave(&t);
			break;
		case 5:		/* MONITOR/MWAIT: not offered */
		case 6:		/* thermal and power management */
		case 0xa:	/* architectural performance monitoring */
			break;
		default:
			add(&t, fn, 0, false);
			break;
		}
	}
	e = add(&t, 0x80000000, 0, false);
	max = e->eax < 0x80000008 ? e->eax : 0x80000008;
	e->eax = max;
	/* RDTSCP and RDPID stay: vmmon keeps the guest's TSC_AUX. */
	for (fn = 0x80000001; fn <= max; fn++)
		add(&t, fn, 0, false);
	/* Without them vmmon answers zeros there: no hypervisor leaves. */
	if (!vm->opts->no_balloon)
		add_hypervisor(&t);
	if (ioctl(v->fd, VMMON_SET_CPUID, &t)) {
		vmctl_err("vmmon refused the CPUID table of vCPU %u: %s",
			  v->id, strerror(errno));
		return -1;
	}
	return 0;
}
