// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches (SDM 3A chapter 8), which VT-x never carries out
 * in a guest: CALL or JMP to a TSS or a task gate, IRET with NT set, an
 * interrupt or exception through a task gate in the IDT each exit
 * (TASK_SWITCH, SDM 3C 26.4.2) with the new TSS's selector and the
 * source in the qualification, the event being delivered in the
 * IDT-vectoring information.  vmmon does the switch as the CPU would:
 * the checks of SDM 3A table 8-1 before anything changes (their faults
 * taken by the old task), the old task's state saved in its TSS, the busy
 * flags and the back link, then the new task loaded (TR, CR3 and under
 * PAE its PDPTEs, EIP, EFLAGS, the general registers, LDTR and the
 * segments with their descriptors' checks, whose faults the new task
 * takes), CR0.TS set, the local breakpoints of DR7 cleared, the T flag's
 * #DB, and an exception's error code pushed on the new task's stack.
 *
 * Everything the new task needs is read and checked before the VMCS
 * changes (vmx_ts_prepare), so that a refusal leaves the guest as it
 * was, and a fault of the new task leaves a state VM entry takes: the
 * registers whose load failed hold their new selectors, unusable (as a
 * failed load leaves them), or the virtual-8086 segments, which need no
 * descriptor; the others are loaded, as the CPU loads the whole new
 * task before it delivers the fault.
 *
 * 32-bit TSSs only: a 16-bit one (80286 tasks) stops the guest with
 * VMMON_INTERNAL_TASK_SWITCH, as does a TSS or descriptor table outside
 * RAM.  Every value read from the guest is checked before use; the
 * accessed flag of each segment descriptor the new task loads is set in
 * memory, as the CPU sets it (SDM 3A 3.4.5.1), and in the hidden parts,
 * as VM entry wants.
 *
 * The switch is decided and loaded into the VMCS at the exit; its writes
 * to guest memory wait for vmx_exit_task_writes() (vmx_task.h), and it
 * commits only once the pages they write are ready (vmx_ts_ready()).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_task.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

/* Exit qualification (SDM 3C table 28-2): the selector, the source. */
#define VMX_TS_QUAL_SEL_MASK	0xffff
#define VMX_TS_QUAL_SRC_SHIFT	30
#define VMX_TS_QUAL_SRC_MASK	3
enum vmx_ts_source {
	VMX_TS_CALL,
	VMX_TS_IRET,
	VMX_TS_JMP,
	VMX_TS_GATE,		/* through a task gate in the IDT */
};

/* The 32-bit TSS (SDM 3A 8.2.1). */
#define TS_TSS32_LINK		0x00
#define TS_TSS32_CR3		0x1c
#define TS_TSS32_EIP		0x20	/* the state a switch saves: to GS */
#define TS_TSS32_EFLAGS		0x24
#define TS_TSS32_GPRS		0x28	/* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
#define TS_TSS32_SEGS		0x48	/* ES, CS, SS, DS, FS, GS, 4 bytes each */
#define TS_TSS32_LDT		0x60
#define TS_TSS32_TRAP		0x64	/* bit 0: T, a #DB on entry to the task */
#define TS_TSS32_SIZE		0x68
#define TS_TSS32_MIN_LIMIT		(TS_TSS32_SIZE - 1)
/* What the old TSS must hold: the saved state ends at GS (SDM 3A 8.3). */
#define TS_TSS32_OLD_MIN_LIMIT	(TS_TSS32_LDT - 1)
#define TS_TSS32_STATE_LEN		(TS_TSS32_LDT - TS_TSS32_EIP)
#define TS_TSS32_NR_GPRS		8
#define TS_TSS32_NR_SEGS		6

/* Segment descriptors (SDM 3A 3.4.5). */
#define TS_DESC_TYPE(d)		((unsigned int)((d) >> 40) & 0xf)
#define TS_DESC_S			BIT_ULL(44)
#define TS_DESC_DPL(d)		((unsigned int)((d) >> 45) & 3)
#define TS_DESC_P			BIT_ULL(47)
#define TS_DESC_G			BIT_ULL(55)
#define TS_DESC_TYPE_BYTE		5	/* type, S, DPL, P */
#define TS_DESC_SIZE		8
/* System types. */
#define TS_DESC_LDT		0x2
#define TS_DESC_TSS32_BUSY		0xb
#define TS_DESC_TSS_BUSY_NR	1	/* the bit in the type byte */
#define TS_DESC_TSS_BUSY_BIT	BIT(TS_DESC_TSS_BUSY_NR)
/* Code and data types (S set). */
#define TS_SEG_ACCESSED_NR	0	/* the bit in the type byte */
#define TS_SEG_ACCESSED		BIT(TS_SEG_ACCESSED_NR)
#define TS_SEG_WRITABLE		0x2	/* data */
#define TS_SEG_READABLE		0x2	/* code */
#define TS_SEG_CONFORMING		0x4	/* code */
#define TS_SEG_EXPAND_DOWN		0x4	/* data */
#define TS_SEG_CODE		0x8
/* VMCS access rights: descriptor byte 5, then bits 15:12 its flags. */
#define TS_AR_S			BIT(4)
#define TS_AR_DPL_SHIFT		5
#define TS_AR_DPL(ar)		(((ar) >> TS_AR_DPL_SHIFT) & 3)
#define TS_AR_P			BIT(7)
#define TS_AR_DB			BIT(14)
#define TS_AR_VM86			0xf3	/* every segment in virtual-8086 mode */

#define TS_SEL_TI			0x4	/* in the LDT */
#define TS_SEL_RPL(s)		((s) & 3)
#define TS_SEL_ERROR(s)		((s) & 0xfffc)	/* an error code naming it */
#define TS_SEL_NULL(s)		(!((s) & ~3))
/* Error codes: the fault came while delivering an external event. */
#define TS_ERR_EXT			0x1

/* DR7's local enables (L0-L3, LE), which a task switch clears. */
#define TS_DR7_LOCAL_ENABLES	0x155

/* The segments of a TSS in its order, and their VMCS fields. */
enum { TS_ES, TS_CS, TS_SS, TS_DS, TS_FS, TS_GS };
static const struct {
	u16 sel, limit, ar, base;
} vmx_ts_seg[TS_TSS32_NR_SEGS] = {
	{ VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, VMCS_GUEST_ES_BASE },
	{ VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR, VMCS_GUEST_CS_BASE },
	{ VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, VMCS_GUEST_SS_BASE },
	{ VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, VMCS_GUEST_DS_BASE },
	{ VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, VMCS_GUEST_FS_BASE },
	{ VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, VMCS_GUEST_GS_BASE },
};

/* Contributory exceptions, for the double-fault rule (SDM 3A table 6-5). */
#define TS_CONTRIBUTORY	(BIT(X86_TRAP_DE) | BIT(X86_TRAP_TS) | \
			 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
			 BIT(X86_TRAP_GP))

/* A check failed: the guest takes ts->vector (a fault, not an error). */
#define TS_FAULT	1

struct vmx_ts_seg {
	u16 sel;
	u32 base, limit, ar;
};

/* The new task, checked and ready for the VMCS. */
#define TS_GPR_ESP	4		/* in the TSS's order */
struct vmx_ts_new {
	u32 eip, eflags, gpr[TS_TSS32_NR_GPRS];
	bool load_cr3, pae;
	u32 cr3;
	u64 pdpte[VMX_NR_PDPTES];
	struct vmx_ts_seg ldtr, seg[TS_TSS32_NR_SEGS];
};

struct vmx_ts {
	struct vmmon_vcpu *vcpu;
	struct vmx_vcpu *vx;
	struct x86_paging p;
	u64 gdt_base, ldt_base;
	u32 gdt_limit, ldt_limit;
	bool ldt_usable;
	u32 event;		/* the event the gate delivers, or 0 */
	u32 ext;		/* TS_ERR_EXT when it is external */
	/* The first fault a check raised (TS_FAULT), the one delivered. */
	bool faulted;
	u8 vector;
	u32 error;
	u64 cr2;
	u64 busy_gpa;		/* the new TSS descriptor's type byte */
};

static int vmx_ts_fault(struct vmx_ts *ts, u8 vector, u32 error)
{
	if (ts->faulted)
		return TS_FAULT;
	ts->faulted = true;
	ts->vector = vector;
	ts->error = vector == X86_TRAP_PF ? error : error | ts->ext;
	return TS_FAULT;
}

static int vmx_ts_read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	return vmmon_vm_read_phys(opaque, gpa, buf, len);
}

/* An implicit supervisor access, or the new task's stack at CPL 3. */
static int vmx_ts_translate(struct vmx_ts *ts, u32 la, unsigned int access,
			    u64 *gpa)
{
	u32 pf_error;
	int err;

	err = x86_walk(&ts->p, la, access, vmx_ts_read_phys, ts->vcpu->vm,
		       gpa, &pf_error);
	if (err == -EFAULT) {
		if (!ts->faulted)
			ts->cr2 = la;
		return vmx_ts_fault(ts, X86_TRAP_PF, pf_error);
	}
	return err;
}

/* @len bytes at linear @la, page by page; wraps at 4 GiB as the CPU. */
static int vmx_ts_read(struct vmx_ts *ts, u32 la, void *buf, unsigned int len)
{
	unsigned int n;
	u64 gpa;
	int err;

	while (len) {
		n = min_t(unsigned int, len, PAGE_SIZE - offset_in_page(la));
		err = vmx_ts_translate(ts, la, 0, &gpa);
		if (err)
			return err;
		err = vmmon_vm_read_phys(ts->vcpu->vm, gpa, buf, n);
		if (err)
			return err;
		la += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * The guest-physical address of a write to linear @la, translated now (a
 * page fault is the guest's now), and checked to be RAM by a read, which
 * allocates nothing; one more entry in the queue.
 */
static int vmx_ts_plan_page(struct vmx_ts *ts, u32 la, unsigned int len,
			    unsigned int access, u64 *gpa)
{
	struct vmx_task_writes *tw = &ts->vx->task;
	u8 byte;
	int err;

	if (WARN_ON_ONCE(tw->nr == VMX_TASK_MAX_WRITES ||
			 tw->used + len > VMX_TASK_MAX_BYTES))
		return -EOVERFLOW;
	err = vmx_ts_translate(ts, la, access | X86_WALK_WRITE, gpa);
	if (err)
		return err;
	return vmmon_vm_read_phys(ts->vcpu->vm, *gpa, &byte, 1);
}

/* Queue a write of @len bytes to linear @la for vmx_exit_task_writes(). */
static int vmx_ts_plan_write(struct vmx_ts *ts, u32 la, const void *buf,
			     unsigned int len, unsigned int access)
{
	struct vmx_task_writes *tw = &ts->vx->task;
	unsigned int nr = tw->nr, used = tw->used, n;
	u64 gpa;
	int err;

	while (len) {
		n = min_t(unsigned int, len, PAGE_SIZE - offset_in_page(la));
		err = vmx_ts_plan_page(ts, la, n, access, &gpa);
		if (err) {
			/* A fault on its second page: no half write. */
			tw->nr = nr;
			tw->used = used;
			return err;
		}
		tw->w[tw->nr++] = (struct vmx_task_write){
			.gpa = gpa, .off = tw->used, .len = n,
			.op = VMX_TASK_COPY,
		};
		memcpy(tw->data + tw->used, buf, n);
		tw->used += n;
		la += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Queue the change of bit @nr of the type byte of the descriptor @sel
 * names in the table at @table (the GDT or the LDT): that bit alone, at
 * the time of the write (the descriptor read before may have changed
 * since, by this switch's own writes or another vCPU's).  *@gpa: the
 * byte's guest-physical address.
 */
static int vmx_ts_plan_type_bit(struct vmx_ts *ts, u32 table, u16 sel,
				unsigned int nr, bool set, u64 *gpa)
{
	struct vmx_task_writes *tw = &ts->vx->task;
	int err;

	err = vmx_ts_plan_page(ts, table + (sel & ~7) + TS_DESC_TYPE_BYTE,
			       0, 0, gpa);
	if (err)
		return err;
	tw->w[tw->nr++] = (struct vmx_task_write){
		.gpa = *gpa, .off = nr, .len = 1,
		.op = set ? VMX_TASK_SET_BIT : VMX_TASK_CLEAR_BIT,
	};
	return 0;
}

/* The busy flag of the TSS descriptor @sel names in the GDT. */
static int vmx_ts_plan_busy(struct vmx_ts *ts, u16 sel, bool busy)
{
	u64 gpa;
	int err;

	err = vmx_ts_plan_type_bit(ts, ts->gdt_base, sel, TS_DESC_TSS_BUSY_NR,
				   busy, &gpa);
	if (!err && busy)
		ts->busy_gpa = gpa;
	return err;
}

static u32 vmx_desc_base(u64 d)
{
	return ((d >> 16) & 0xffffff) | (u32)(d >> 56) << 24;
}

static u32 vmx_desc_limit(u64 d)
{
	u32 limit = (d & 0xffff) | ((d >> 32) & 0xf0000);

	return d & TS_DESC_G ? limit << 12 | 0xfff : limit;
}

/* The VMCS access rights of a descriptor. */
static u32 vmx_desc_ar(u64 d)
{
	return ((d >> 40) & 0xff) | ((d >> 40) & 0xf000);
}

/*
 * The descriptor @sel names, in the GDT or the LDT: -ERANGE when it is
 * outside the table (each caller has its own fault for that).
 */
static int vmx_ts_desc(struct vmx_ts *ts, u16 sel, u64 *desc)
{
	bool ldt = sel & TS_SEL_TI;
	u64 base = ldt ? ts->ldt_base : ts->gdt_base;
	u32 limit = ldt ? ts->ldt_limit : ts->gdt_limit;

	if ((ldt && !ts->ldt_usable) || (sel | 7) > limit)
		return -ERANGE;
	return vmx_ts_read(ts, base + (sel & ~7), desc, TS_DESC_SIZE);
}

/* The new TSS's descriptor, checked as SDM 3A table 8-1 says. */
static int vmx_ts_new_tss(struct vmx_ts *ts, u16 sel, enum vmx_ts_source src,
			  u64 *desc)
{
	u8 bad_vector = src == VMX_TS_IRET ? X86_TRAP_TS : X86_TRAP_GP;
	unsigned int type;
	int err;

	if (sel & TS_SEL_TI)
		return vmx_ts_fault(ts, bad_vector, TS_SEL_ERROR(sel));
	err = vmx_ts_desc(ts, sel, desc);
	if (err == -ERANGE)
		return vmx_ts_fault(ts, bad_vector, TS_SEL_ERROR(sel));
	if (err)
		return err;
	type = TS_DESC_TYPE(*desc);
	if ((*desc & TS_DESC_S) || (type & ~TS_DESC_TSS_BUSY_BIT & 7) != 1 ||
	    !!(type & TS_DESC_TSS_BUSY_BIT) != (src == VMX_TS_IRET))
		return vmx_ts_fault(ts, bad_vector, TS_SEL_ERROR(sel));
	if (!(*desc & TS_DESC_P))
		return vmx_ts_fault(ts, X86_TRAP_NP, TS_SEL_ERROR(sel));
	if (!(type & TS_SEG_CODE))		/* a 16-bit TSS */
		return -EOPNOTSUPP;
	if (vmx_desc_limit(*desc) < TS_TSS32_MIN_LIMIT)
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
	return 0;
}

/*
 * The new task's LDT (SDM 3A table 8-1: its faults are #TS), into @ldtr,
 * which holds an unusable LDTR until the descriptor passes its checks.
 */
static int vmx_ts_prep_ldt(struct vmx_ts *ts, u16 sel, struct vmx_ts_seg *ldtr)
{
	u64 desc;
	int err;

	ts->ldt_usable = false;
	if (TS_SEL_NULL(sel))
		return 0;
	if (sel & TS_SEL_TI)
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
	err = vmx_ts_desc(ts, sel, &desc);
	if (err == -ERANGE)
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
	if (err)
		return err;
	if ((desc & TS_DESC_S) || TS_DESC_TYPE(desc) != TS_DESC_LDT ||
	    !(desc & TS_DESC_P))
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
	ts->ldt_usable = true;
	ts->ldt_base = vmx_desc_base(desc);
	ts->ldt_limit = vmx_desc_limit(desc);
	ldtr->base = ts->ldt_base;
	ldtr->limit = ts->ldt_limit;
	ldtr->ar = vmx_desc_ar(desc);
	return 0;
}

/*
 * A segment of the new task at @cpl, checked as SDM 3A table 8-1 says
 * (MOV to a segment register's rules for DS-GS).  A null data segment is
 * unusable; CS and SS must not be null.  @seg changes only when the
 * segment passes.
 */
static int vmx_ts_check_seg(struct vmx_ts *ts, unsigned int i, u16 sel,
			    unsigned int cpl, struct vmx_ts_seg *seg)
{
	unsigned int type, dpl;
	u64 desc, gpa;
	int err;

	if (TS_SEL_NULL(sel)) {
		if (i == TS_CS || i == TS_SS)
			return vmx_ts_fault(ts, X86_TRAP_TS, 0);
		*seg = (struct vmx_ts_seg){ .sel = sel, .ar = VMX_AR_UNUSABLE };
		return 0;
	}
	err = vmx_ts_desc(ts, sel, &desc);
	if (err == -ERANGE)
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
	if (err)
		return err;
	type = TS_DESC_TYPE(desc);
	dpl = TS_DESC_DPL(desc);
	if (!(desc & TS_DESC_S))
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
	switch (i) {
	case TS_CS:
		if (!(type & TS_SEG_CODE) ||
		    (type & TS_SEG_CONFORMING ? dpl > TS_SEL_RPL(sel) :
					     dpl != TS_SEL_RPL(sel)))
			return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
		break;
	case TS_SS:
		if ((type & TS_SEG_CODE) || !(type & TS_SEG_WRITABLE) ||
		    TS_SEL_RPL(sel) != cpl || dpl != cpl)
			return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
		if (!(desc & TS_DESC_P))
			return vmx_ts_fault(ts, X86_TRAP_SS, TS_SEL_ERROR(sel));
		break;
	default:
		if ((type & TS_SEG_CODE) && !(type & TS_SEG_READABLE))
			return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
		if ((!(type & TS_SEG_CODE) || !(type & TS_SEG_CONFORMING)) &&
		    dpl < max_t(unsigned int, cpl, TS_SEL_RPL(sel)))
			return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(sel));
		break;
	}
	if (!(desc & TS_DESC_P))
		return vmx_ts_fault(ts, X86_TRAP_NP, TS_SEL_ERROR(sel));
	/* The CPU sets the accessed flag of a descriptor it loads. */
	if (!(type & TS_SEG_ACCESSED)) {
		err = vmx_ts_plan_type_bit(ts, sel & TS_SEL_TI ?
					   ts->ldt_base : ts->gdt_base, sel,
					   TS_SEG_ACCESSED_NR, true, &gpa);
		if (err)
			return err;
	}
	*seg = (struct vmx_ts_seg){ .sel = sel, .base = vmx_desc_base(desc),
				    .limit = vmx_desc_limit(desc),
				    .ar = vmx_desc_ar(desc) | TS_SEG_ACCESSED };
	return 0;
}

static void vmx_ts_write_seg(unsigned int i, const struct vmx_ts_seg *seg)
{
	vmcs_write16(vmx_ts_seg[i].sel, seg->sel);
	vmcs_writel(vmx_ts_seg[i].base, seg->base);
	vmcs_write32(vmx_ts_seg[i].limit, seg->limit);
	vmcs_write32(vmx_ts_seg[i].ar, seg->ar);
}

/*
 * What a segment register holds before its descriptor is loaded, and
 * keeps when that load fails in the new task (the exception handler
 * sees the new selectors, SDM 3A 7.3): in virtual-8086 mode the segment
 * itself, which needs no descriptor; else unusable, as a register whose
 * load failed, but VM entry wants a usable CS, at the new CPL, whose
 * limit 0 fetches nothing, and the CPL in SS's DPL.
 */
static void vmx_ts_seg_unloaded(unsigned int i, u16 sel, bool vm86,
				unsigned int cpl, struct vmx_ts_seg *seg)
{
	*seg = (struct vmx_ts_seg){ .sel = sel };
	if (vm86) {
		seg->base = (u32)sel << 4;
		seg->limit = 0xffff;
		seg->ar = TS_AR_VM86;
	} else if (i == TS_CS) {
		seg->ar = TS_SEG_CODE | TS_SEG_ACCESSED | TS_AR_S |
			  cpl << TS_AR_DPL_SHIFT | TS_AR_P;
	} else {
		seg->ar = VMX_AR_UNUSABLE |
			  (i == TS_SS ? cpl << TS_AR_DPL_SHIFT : 0);
	}
}

/*
 * The new task's segments from the selectors of its TSS, after its LDT:
 * CS, SS, then ES, DS, FS, GS.  After the new task's first fault the
 * CPU loads the rest without faulting again (SDM 3A 7.3 and the #TS
 * page): a segment that fails its checks then, or that vmmon cannot
 * read, stays unloaded.  Before it, that is a refusal.
 */
static int vmx_ts_prep_segs(struct vmx_ts *ts, struct vmx_ts_new *n,
			    unsigned int cpl)
{
	static const unsigned int order[] = { TS_CS, TS_SS, TS_ES, TS_DS,
					      TS_FS, TS_GS };
	unsigned int i, s;
	int err;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		s = order[i];
		err = vmx_ts_check_seg(ts, s, n->seg[s].sel, cpl, &n->seg[s]);
		if (err && err != TS_FAULT && !ts->faulted)
			return err;
	}
	return ts->faulted ? TS_FAULT : 0;
}

/*
 * The exception's error code on the new task's stack, a 32-bit push
 * (SDM 3A 8.3: the TSS is 32-bit); SS's limit as the CPU checks it.
 */
static int vmx_ts_push_error(struct vmx_ts *ts, struct vmx_ts_new *n,
			     u32 error)
{
	const struct vmx_ts_seg *ss = &n->seg[TS_SS];
	u32 *rsp = &n->gpr[TS_GPR_ESP];
	u32 top = ss->ar & TS_AR_DB ? U32_MAX : 0xffff;
	u32 esp = ss->ar & TS_AR_DB ? *rsp - 4 :
		  (*rsp & ~0xffffU) | (u16)(*rsp - 4);
	u32 off = ss->ar & TS_AR_DB ? esp : (u16)esp;
	unsigned int access = TS_AR_DPL(ss->ar) == 3 ? X86_WALK_USER : 0;
	bool ok;
	int err;

	if (ss->ar & TS_SEG_EXPAND_DOWN)
		ok = off > ss->limit && off <= top - 3;
	else
		ok = off <= ss->limit && ss->limit - off >= 3;
	if (!ok)
		return vmx_ts_fault(ts, X86_TRAP_SS, 0);
	err = vmx_ts_plan_write(ts, ss->base + off, &error, sizeof(error),
				access);
	if (err)
		return err;
	*rsp = esp;
	return 0;
}

/*
 * A fault of the switch while the gate delivered an exception: the
 * double-fault rule (SDM 3A table 6-5), or shutdown after a #DF.
 */
static bool vmx_ts_deliver_fault(struct vmx_ts *ts)
{
	u32 type = ts->event & VMX_INTR_INFO_TYPE_MASK;
	u8 first = ts->event & VMX_INTR_INFO_VECTOR_MASK;
	bool first_bad, second_contrib = BIT(ts->vector) & TS_CONTRIBUTORY;

	if (ts->vector == X86_TRAP_PF)
		ts->vx->cr2 = ts->cr2;
	if (ts->event && type == VMX_INTR_INFO_TYPE_HW_EXCEPTION) {
		if (first == X86_TRAP_DF)
			return false;
		first_bad = (BIT(first) & TS_CONTRIBUTORY) ||
			    first == X86_TRAP_PF;
		if (first_bad && (second_contrib ||
				  (first == X86_TRAP_PF &&
				   ts->vector == X86_TRAP_PF))) {
			vmx_queue_exception(ts->vx, X86_TRAP_DF, true, 0);
			return true;
		}
	}
	vmx_queue_exception(ts->vx, ts->vector,
			    ts->vector == X86_TRAP_DF ||
			    ts->vector == X86_TRAP_PF ||
			    (BIT(ts->vector) & TS_CONTRIBUTORY &&
			     ts->vector != X86_TRAP_DE),
			    ts->error);
	return true;
}

/*
 * Everything that must be true before the switch begins: the new TSS's
 * descriptor, the old TSS big enough for the state it takes.  Reads the
 * new TSS into @tss.  0, TS_FAULT, or an errno of vmmon's.
 */
static int vmx_ts_begin(struct vmx_ts *ts, u16 sel, enum vmx_ts_source src,
			u64 *new_desc, u8 *tss)
{
	u16 old_sel = vmcs_read16(VMCS_GUEST_TR_SELECTOR);
	u32 old_ar = vmcs_read32(VMCS_GUEST_TR_AR);
	int err;

	err = vmx_ts_new_tss(ts, sel, src, new_desc);
	if (err)
		return err;
	if ((old_ar & 0xf) != TS_DESC_TSS32_BUSY)
		return -EOPNOTSUPP;
	if (vmcs_read32(VMCS_GUEST_TR_LIMIT) < TS_TSS32_OLD_MIN_LIMIT)
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(old_sel));
	/* JMP and IRET clear the old descriptor's busy flag: in the GDT. */
	if ((src == VMX_TS_JMP || src == VMX_TS_IRET) &&
	    ((old_sel & TS_SEL_TI) || (old_sel | 7) > ts->gdt_limit))
		return vmx_ts_fault(ts, X86_TRAP_TS, TS_SEL_ERROR(old_sel));
	return vmx_ts_read(ts, vmx_desc_base(*new_desc), tss, TS_TSS32_SIZE);
}

/*
 * The old task's state into its TSS, the busy flags and the back link:
 * queued for vmx_exit_task_writes() in the CPU's order (SDM 3A 8.3,
 * steps 7-11), which shows where they overlap.  The new TSS image @tss
 * sees the state saved where the two TSSs overlap (IRET to the task
 * itself).
 */
static int vmx_ts_save(struct vmx_ts *ts, u16 sel, enum vmx_ts_source src,
		       u64 new_desc, u32 eip, u8 *tss)
{
	struct vmx_vcpu *vx = ts->vx;
	u16 old_sel = vmcs_read16(VMCS_GUEST_TR_SELECTOR);
	u32 old_base = vmcs_readl(VMCS_GUEST_TR_BASE);
	u32 new_base = vmx_desc_base(new_desc);
	u32 state[TS_TSS32_STATE_LEN / 4], eflags = vx->rflags;
	u16 link = old_sel;
	unsigned int i;
	u32 delta;
	int err;

	if (src == VMX_TS_JMP || src == VMX_TS_IRET) {
		err = vmx_ts_plan_busy(ts, old_sel, false);
		if (err)
			return err;
	}
	/* IRET saves EFLAGS with NT clear (SDM 3A 8.3, step 7). */
	if (src == VMX_TS_IRET)
		eflags &= ~X86_EFLAGS_NT;
	state[0] = eip;
	state[1] = eflags;
	state[2] = vx->regs.rax;
	state[3] = vx->regs.rcx;
	state[4] = vx->regs.rdx;
	state[5] = vx->regs.rbx;
	state[6] = vx->rsp;
	state[7] = vx->regs.rbp;
	state[8] = vx->regs.rsi;
	state[9] = vx->regs.rdi;
	for (i = 0; i < TS_TSS32_NR_SEGS; i++)
		state[10 + i] = vmcs_read16(vmx_ts_seg[i].sel);
	err = vmx_ts_plan_write(ts, old_base + TS_TSS32_EIP, state,
				sizeof(state), 0);
	if (err)
		return err;
	for (i = 0; i < TS_TSS32_STATE_LEN; i++) {
		delta = old_base + TS_TSS32_EIP + i - new_base;
		if (delta < TS_TSS32_SIZE)
			tss[delta] = ((u8 *)state)[i];
	}
	if (src == VMX_TS_CALL || src == VMX_TS_GATE) {
		err = vmx_ts_plan_write(ts, new_base + TS_TSS32_LINK, &link,
					sizeof(link), 0);
		if (err)
			return err;
		memcpy(tss + TS_TSS32_LINK, &link, sizeof(link));
	}
	if (src != VMX_TS_IRET)
		err = vmx_ts_plan_busy(ts, sel, true);
	return err;
}

static u32 vmx_tss_field(const u8 *tss, unsigned int off)
{
	u32 v;

	memcpy(&v, tss + off, sizeof(v));
	return v;
}

/*
 * The new task (SDM 3A 8.3, steps 12-13) from its TSS @tss into @n,
 * with the descriptors and the PDPTEs it needs, and the error code
 * @push pushes: read and checked before anything changes, so that a
 * refusal (an errno) leaves the guest as it was.  TS_FAULT: the first
 * fault of the new task, which takes it, with the registers that failed
 * unloaded (vmx_ts_seg_unloaded()).
 */
static int vmx_ts_prepare(struct vmx_ts *ts, enum vmx_ts_source src,
			  const u8 *tss, bool push, u32 error,
			  struct vmx_ts_new *n)
{
	u32 eflags = vmx_tss_field(tss, TS_TSS32_EFLAGS);
	u32 cr3 = vmx_tss_field(tss, TS_TSS32_CR3);
	unsigned int i, cpl;
	bool vm86;
	int err;

	if (src == VMX_TS_CALL || src == VMX_TS_GATE)
		eflags |= X86_EFLAGS_NT;
	n->eip = vmx_tss_field(tss, TS_TSS32_EIP);
	n->eflags = (eflags & VMX_RFLAGS_DEFINED) | X86_EFLAGS_FIXED;
	for (i = 0; i < TS_TSS32_NR_GPRS; i++)
		n->gpr[i] = vmx_tss_field(tss, TS_TSS32_GPRS + 4 * i);
	vm86 = eflags & X86_EFLAGS_VM;
	n->seg[TS_CS].sel = (u16)vmx_tss_field(tss, TS_TSS32_SEGS +
					       4 * TS_CS);
	cpl = vm86 ? 3 : TS_SEL_RPL(n->seg[TS_CS].sel);
	for (i = 0; i < TS_TSS32_NR_SEGS; i++)
		vmx_ts_seg_unloaded(i, (u16)vmx_tss_field(tss, TS_TSS32_SEGS +
							  4 * i),
				    vm86, cpl, &n->seg[i]);
	n->ldtr = (struct vmx_ts_seg){
		.sel = (u16)vmx_tss_field(tss, TS_TSS32_LDT),
		.ar = VMX_AR_UNUSABLE,
	};

	/*
	 * Without paging CR3 is read but not loaded (step 12); PDPTEs that
	 * fault leave the old CR3.
	 */
	n->load_cr3 = false;
	n->pae = false;
	if (ts->p.cr0 & X86_CR0_PG) {
		n->pae = ts->p.cr4 & X86_CR4_PAE;
		if (n->pae && vmx_read_pdptes(ts->vcpu, cr3, n->pdpte)) {
			vmx_ts_fault(ts, X86_TRAP_GP, 0);
		} else {
			n->load_cr3 = true;
			n->cr3 = cr3;
			ts->p.cr3 = cr3;
		}
	}
	err = vmx_ts_prep_ldt(ts, n->ldtr.sel, &n->ldtr);
	if (err && err != TS_FAULT && !ts->faulted)
		return err;
	if (!vm86) {
		err = vmx_ts_prep_segs(ts, n, cpl);
		if (err && err != TS_FAULT)
			return err;
	}
	/* A fault of the switch is delivered instead of the exception. */
	if (push && !ts->faulted) {
		err = vmx_ts_push_error(ts, n, error);
		if (err && err != TS_FAULT)
			return err;
	}
	return ts->faulted ? TS_FAULT : 0;
}

/*
 * Before the commit, under mmu_lock: every page the queued writes touch
 * resident and writable, so that those writes, after the commit, neither
 * allocate nor copy and cannot fail (a page charged past RLIMIT_MEMLOCK,
 * a copy on write without memory); and the new TSS's busy flag set by a
 * test-and-set, as the CPU's locked one (SDM 3A 8.3 step 10), so that
 * two vCPUs cannot both dispatch it: the loser takes #GP in the old
 * task.  The flag is set again at its place in the queue, where the old
 * TSS's state may have been written over it.  -EAGAIN: the lock taken or
 * a page not ready; vmx_exit_task_writes() readies them, the guest
 * retries.  What stays open: a discard or a merge of one of the pages
 * between here and vmx_exit_task_writes() makes its write allocate again.
 */
static int vmx_ts_ready(struct vmx_ts *ts, u16 sel, enum vmx_ts_source src)
{
	struct vmx_task_writes *tw = &ts->vx->task;
	struct vmmon_vm *vm = ts->vcpu->vm;
	unsigned int i;
	int err = 0;

	if (!vmmon_vm_trylock_mmu(vm))
		return -EAGAIN;
	for (i = 0; i < tw->nr && !err; i++)
		if (!vmmon_vm_page_ready(vm, tw->w[i].gpa))
			err = -EAGAIN;
	if (!err && src != VMX_TS_IRET) {
		err = vmmon_vm_test_and_set_bit_ready(vm, ts->busy_gpa,
						      TS_DESC_TSS_BUSY_NR);
		if (err > 0) {
			/* The first fault of this switch now. */
			ts->faulted = false;
			err = vmx_ts_fault(ts, X86_TRAP_GP, TS_SEL_ERROR(sel));
		}
	}
	vmmon_vm_unlock_mmu(vm);
	return err;
}

/*
 * The new task into the VMCS (SDM 3A 8.3, steps 11-13): from here a
 * fault is the new task's.  Nothing here can fail.
 */
static void vmx_ts_commit(struct vmx_ts *ts, u16 sel, u64 new_desc,
			  const struct vmx_ts_new *n)
{
	struct vmx_vcpu *vx = ts->vx;
	u64 *gprs[TS_TSS32_NR_GPRS] = {
		&vx->regs.rax, &vx->regs.rcx, &vx->regs.rdx, &vx->regs.rbx,
		&vx->rsp, &vx->regs.rbp, &vx->regs.rsi, &vx->regs.rdi,
	};
	unsigned int i;

	vmcs_write16(VMCS_GUEST_TR_SELECTOR, sel);
	vmcs_writel(VMCS_GUEST_TR_BASE, vmx_desc_base(new_desc));
	vmcs_write32(VMCS_GUEST_TR_LIMIT, vmx_desc_limit(new_desc));
	vmcs_write32(VMCS_GUEST_TR_AR, (vmx_desc_ar(new_desc) & ~0xf) |
		     TS_DESC_TSS32_BUSY);
	vmcs_writel(VMCS_GUEST_CR0, vmcs_readl(VMCS_GUEST_CR0) | X86_CR0_TS);

	vx->rip = n->eip;
	vx->rflags = n->eflags;
	for (i = 0; i < TS_TSS32_NR_GPRS; i++)
		*gprs[i] = n->gpr[i];
	if (n->load_cr3) {
		if (n->pae)
			vmx_write_pdptes(n->pdpte);
		vmcs_writel(VMCS_GUEST_CR3, n->cr3);
		vmx_flush_guest_tlb(vx);
	}
	vmcs_write16(VMCS_GUEST_LDTR_SELECTOR, n->ldtr.sel);
	vmcs_writel(VMCS_GUEST_LDTR_BASE, n->ldtr.base);
	vmcs_write32(VMCS_GUEST_LDTR_LIMIT, n->ldtr.limit);
	vmcs_write32(VMCS_GUEST_LDTR_AR, n->ldtr.ar);
	for (i = 0; i < TS_TSS32_NR_SEGS; i++)
		vmx_ts_write_seg(i, &n->seg[i]);
}

/*
 * An NMI through a task gate blocks NMIs from its delivery on, also when
 * the switch faults (the fault is delivered instead, NMIs stay blocked
 * until an IRET).
 */
static void vmx_ts_block_nmi(struct vmx_ts *ts)
{
	struct vmx_vcpu *vx = ts->vx;

	if ((ts->event & VMX_INTR_INFO_TYPE_MASK) == VMX_INTR_INFO_TYPE_NMI) {
		vx->interruptibility |= VMX_INTERRUPTIBILITY_NMI;
		vx->interruptibility_dirty = true;
	}
}

/* After the switch: interrupt shadows, NMI blocking, DR7. */
static void vmx_ts_finish(struct vmx_ts *ts, enum vmx_ts_source src)
{
	struct vmx_vcpu *vx = ts->vx;

	vmx_end_shadow(vx);
	vmx_ts_block_nmi(ts);
	if (src == VMX_TS_IRET &&
	    (vx->interruptibility & VMX_INTERRUPTIBILITY_NMI)) {
		/* IRET ends NMI blocking, also when it switches tasks. */
		vx->interruptibility &= ~VMX_INTERRUPTIBILITY_NMI;
		vx->interruptibility_dirty = true;
	}
	if (vx->dr7 & TS_DR7_LOCAL_ENABLES) {
		vx->dr7 &= ~TS_DR7_LOCAL_ENABLES;
		vmcs_writel(VMCS_GUEST_DR7, vx->dr7);
	}
}

/* A fault while a #DF was delivered: the CPU shuts down. */
static enum vmx_next vmx_ts_shutdown(struct vmmon_vcpu *vcpu)
{
	vcpu->stopped = VMMON_EVENT_SHUTDOWN;
	vcpu->run->exit_reason = VMMON_EXIT_SHUTDOWN;
	return VMX_NEXT_USER;
}

/*
 * vmmon cannot do this switch: the guest stops, naming it, with nothing
 * changed (the gate's event still pending).
 */
static enum vmx_next vmx_ts_refuse(struct vmmon_vcpu *vcpu,
				   const struct vmx_exit *exit, int err)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vx->task.nr = 0;
	vmx_exit_internal(vcpu, VMMON_INTERNAL_TASK_SWITCH,
			  exit->qualification, -err);
	return VMX_NEXT_USER;
}

/* A fault before the switch: nothing changed, the old task takes it. */
static enum vmx_next vmx_ts_old_fault(struct vmx_ts *ts)
{
	ts->vx->task.nr = 0;
	ts->vx->event.info = 0;
	vmx_ts_block_nmi(ts);
	return vmx_ts_deliver_fault(ts) ? VMX_NEXT_RESUME :
	       vmx_ts_shutdown(ts->vcpu);
}

enum vmx_next vmx_exit_task_switch(struct vmmon_vcpu *vcpu,
				   const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u16 sel = exit->qualification & VMX_TS_QUAL_SEL_MASK;
	enum vmx_ts_source src = (exit->qualification >>
				  VMX_TS_QUAL_SRC_SHIFT) & VMX_TS_QUAL_SRC_MASK;
	struct vmx_ts ts = {
		.vcpu = vcpu, .vx = vx,
		.p = {
			.cr0 = vmcs_readl(VMCS_GUEST_CR0),
			.cr3 = vmcs_readl(VMCS_GUEST_CR3),
			.cr4 = vmcs_readl(VMCS_GUEST_CR4),
			.efer = vmcs_read64(VMCS_GUEST_EFER),
		},
		.gdt_base = vmcs_readl(VMCS_GUEST_GDTR_BASE),
		.gdt_limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT),
		.ldt_base = vmcs_readl(VMCS_GUEST_LDTR_BASE),
		.ldt_limit = vmcs_read32(VMCS_GUEST_LDTR_LIMIT),
		.ldt_usable = !(vmcs_read32(VMCS_GUEST_LDTR_AR) &
				VMX_AR_UNUSABLE),
	};
	struct vmx_ts_new n;
	u8 tss[TS_TSS32_SIZE];
	u64 new_desc;
	u32 eip = vx->rip + exit->insn_len, type;
	bool push = false;
	int err, ready;

	vx->task.nr = vx->task.used = 0;
	vx->task.prefault = false;
	/* The CPU faults on task switches in IA-32e mode (SDM 3C 26.4.2). */
	if (ts.p.efer & EFER_LMA)
		return vmx_ts_refuse(vcpu, exit, -EINVAL);
	if (src == VMX_TS_GATE) {
		if (!(vx->event.info & VMX_INTR_INFO_VALID))
			return vmx_ts_refuse(vcpu, exit, -EINVAL);
		ts.event = vx->event.info;
		type = ts.event & VMX_INTR_INFO_TYPE_MASK;
		if (type != VMX_INTR_INFO_TYPE_SOFT_INTR &&
		    type != VMX_INTR_INFO_TYPE_SOFT_EXC)
			ts.ext = TS_ERR_EXT;
		/* Hardware events come before the instruction at RIP. */
		if (type == VMX_INTR_INFO_TYPE_EXT_INTR ||
		    type == VMX_INTR_INFO_TYPE_NMI ||
		    type == VMX_INTR_INFO_TYPE_HW_EXCEPTION)
			eip = vx->rip;
		push = type == VMX_INTR_INFO_TYPE_HW_EXCEPTION &&
		       (ts.event & VMX_INTR_INFO_DELIVER_CODE);
	}

	err = vmx_ts_begin(&ts, sel, src, &new_desc, tss);
	if (!err)
		err = vmx_ts_save(&ts, sel, src, new_desc, eip, tss);
	if (err == TS_FAULT)
		return vmx_ts_old_fault(&ts);
	if (!err)
		err = vmx_ts_prepare(&ts, src, tss, push, vx->event.error_code,
				     &n);
	if (err && err != TS_FAULT)
		return vmx_ts_refuse(vcpu, exit, err);
	ready = vmx_ts_ready(&ts, sel, src);
	if (ready == -EAGAIN) {
		/* Nothing changed; the gate's event stays pending. */
		vx->task.prefault = true;
		return VMX_NEXT_SLEEPABLE;
	}
	if (ready == TS_FAULT)
		return vmx_ts_old_fault(&ts);
	if (ready)
		return vmx_ts_refuse(vcpu, exit, ready);

	/* The gate delivers the event: it is no longer pending. */
	vx->event.info = 0;
	vmx_ts_commit(&ts, sel, new_desc, &n);
	vmx_ts_finish(&ts, src);
	if (err == TS_FAULT) {
		if (!vmx_ts_deliver_fault(&ts))
			return vmx_ts_shutdown(vcpu);
	} else if (vmx_tss_field(tss, TS_TSS32_TRAP) & 1) {
		vmx_queue_db(vx, VMX_DR6_BT);
	}
	return vx->task.nr ? VMX_NEXT_SLEEPABLE : VMX_NEXT_RESUME;
}

/*
 * A switch not committed (prefault): the pages its writes touch made
 * resident and writable, then the guest retries it (the instruction
 * again, or the gate's event delivered again).  A page that cannot be
 * had stops the guest as it was before the switch.
 */
static enum vmx_next vmx_ts_prefault(struct vmmon_vcpu *vcpu,
				     struct vmx_task_writes *tw)
{
	unsigned int i;
	int err;

	tw->prefault = false;
	for (i = 0; i < tw->nr; i++) {
		err = vmmon_vm_fault_in(vcpu->vm, tw->w[i].gpa, true);
		if (err) {
			tw->nr = 0;
			vmx_exit_internal(vcpu, VMMON_INTERNAL_NO_MEMORY,
					  tw->w[i].gpa, -err);
			return VMX_NEXT_USER;
		}
	}
	tw->nr = 0;
	return VMX_NEXT_RESUME;
}

/* The switch's writes to guest memory, after the VMCS is put away. */
enum vmx_next vmx_exit_task_writes(struct vmmon_vcpu *vcpu,
				   const struct vmx_exit *exit)
{
	struct vmx_task_writes *tw = &((struct vmx_vcpu *)vcpu->hw)->task;
	const struct vmx_task_write *w;
	unsigned int i;
	int err;

	if (tw->prefault)
		return vmx_ts_prefault(vcpu, tw);
	for (i = 0; i < tw->nr; i++) {
		w = &tw->w[i];
		if (w->op == VMX_TASK_COPY)
			err = vmmon_vm_write_phys(vcpu->vm, w->gpa,
						  tw->data + w->off, w->len);
		else
			err = vmmon_vm_change_bit_phys(vcpu->vm, w->gpa, w->off,
						       w->op == VMX_TASK_SET_BIT);
		if (err < 0) {
			tw->nr = 0;
			vmx_exit_internal(vcpu, VMMON_INTERNAL_NO_MEMORY,
					  w->gpa, -err);
			return VMX_NEXT_USER;
		}
	}
	tw->nr = 0;
	return VMX_NEXT_RESUME;
}
