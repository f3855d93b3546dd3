// SPDX-License-Identifier: GPL-2.0
/*
 * The exits for which vmmon carries out part of a guest instruction:
 * MMIO (an access to guest-physical memory that no RAM backs, whose
 * instruction is fetched and decoded: the MOVs, the ALU and bit
 * instructions, XCHG, STOS and MOVS of x86_decode.h; vmx_emulate.h says
 * how its accesses become exits) and string port I/O (OUTS and INS,
 * whose data lives in guest memory).  Both reach guest memory through
 * the guest's own page tables; every value they take from the guest is
 * checked before use.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_emulate.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

/* Longest x86 instruction. */
#define VMX_MAX_INSN_LEN	15
/*
 * VMMON_INTERNAL_EMULATION shows the instruction in run.internal.data[2]
 * and [3]: 16 bytes, little-endian from the low byte of data[2], the
 * first 15 the instruction's and the last how many of them were fetched.
 */
#define VMX_INSN_SHOWN_FIRST	2	/* run.internal.data[2] */
#define VMX_INSN_SHOWN_WORDS	2
#define VMX_INSN_SHOWN_COUNT	15	/* the byte that holds the count */
/*
 * A completion that returns -EFAULT makes vmx_vcpu_run() return to
 * userspace without entering the guest: the run page holds the next exit
 * (an internal error, or the write of a read-modify-write).
 */
#define VMX_COMPLETE_TO_USER	(-EFAULT)
/* Segment access rights: L (64-bit code) and D/B (32-bit default size). */
#define VMX_AR_L		BIT(13)
#define VMX_AR_DB		BIT(14)
#define VMX_AR_DPL(ar)		(((ar) >> 5) & 3)

static int vmx_read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	return vmmon_vm_read_phys(opaque, gpa, buf, len);
}

/*
 * Whether the guest page at @gpa is RAM: a read of one byte, which
 * allocates nothing.  So a write checked before a device access cannot
 * fail for want of RAM after it.
 */
static int vmx_probe_ram(struct vmmon_vm *vm, u64 gpa)
{
	u8 byte;

	return vmmon_vm_read_phys(vm, gpa, &byte, 1);
}

/*
 * Copy @len bytes at guest linear address @la, page by page (or, with
 * @buf NULL, only check that the guest could and that it is RAM): 0,
 * -EFAULT with *@pf_error and *@fault_la for a guest page fault, or
 * another negative errno (-ENOENT: the page tables or data are not RAM;
 * -ERANGE: @la is not canonical).
 */
static int vmx_access_linear(struct vmmon_vcpu *vcpu,
			     const struct vmx_paging_state *ps, u64 la,
			     void *buf, unsigned int len, unsigned int access,
			     u32 *pf_error, u64 *fault_la)
{
	unsigned int n;
	u64 gpa;
	int err;

	if (VMX_AR_DPL(ps->ss_ar) == 3)
		access |= X86_WALK_USER;
	while (len) {
		err = x86_walk(&ps->p, la, access, vmx_read_phys, vcpu->vm,
			       &gpa, pf_error);
		if (err) {
			*fault_la = la;
			return err;
		}
		n = min_t(unsigned int, len, PAGE_SIZE - offset_in_page(la));
		if (!buf)
			err = vmx_probe_ram(vcpu->vm, gpa);
		else if (access & X86_WALK_WRITE)
			err = vmmon_vm_write_phys(vcpu->vm, gpa, buf, n);
		else
			err = vmmon_vm_read_phys(vcpu->vm, gpa, buf, n);
		if (err)
			return err;
		la += n;
		len -= n;
		if (buf)
			buf += n;
	}
	return 0;
}

/* A page fault the guest takes instead of the instruction. */
static void vmx_inject_page_fault(struct vmx_vcpu *vx, u64 la, u32 error)
{
	vx->cr2 = la;
	vmx_queue_exception(vx, X86_TRAP_PF, true, error);
}

/*
 * The fault the guest takes for an access vmx_access_linear() refused
 * (@err): a page fault, or for a non-canonical address #GP(0), #SS(0)
 * through SS.  False for the errors that are vmmon's (not RAM, LA57).
 */
static bool vmx_linear_fault(struct vmx_vcpu *vx, int err, u64 fault_la,
			     u32 pf_error, bool stack)
{
	if (err == -EFAULT) {
		vmx_inject_page_fault(vx, fault_la, pf_error);
		return true;
	}
	if (err == -ERANGE) {
		vmx_queue_exception(vx, stack ? X86_TRAP_SS : X86_TRAP_GP, true, 0);
		return true;
	}
	return false;
}

/*
 * vmmon cannot carry out the instruction at RIP: an internal error with
 * the first @avail bytes fetched there (@bytes, or none), so that the
 * user sees which instruction it was.
 */
static enum vmx_next vmx_emulation_failed(struct vmmon_vcpu *vcpu, u64 gpa,
					  const u8 *bytes, unsigned int avail)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	u8 shown[VMX_INSN_SHOWN_WORDS * sizeof(u64)] = { };
	unsigned int i, j;
	u64 word;

	vmx_exit_internal(vcpu, VMMON_INTERNAL_EMULATION, gpa, vx->rip);
	avail = min_t(unsigned int, avail, VMX_MAX_INSN_LEN);
	if (avail)
		memcpy(shown, bytes, avail);
	shown[VMX_INSN_SHOWN_COUNT] = avail;
	for (i = 0; i < VMX_INSN_SHOWN_WORDS; i++) {
		word = 0;
		for (j = sizeof(u64); j > 0; j--)
			word = word << 8 | shown[i * sizeof(u64) + j - 1];
		run->internal.data[VMX_INSN_SHOWN_FIRST + i] = word;
	}
	return VMX_NEXT_USER;
}

static enum x86_cpu_mode vmx_cpu_mode(const struct vmx_paging_state *ps)
{
	if ((ps->p.efer & EFER_LMA) && (ps->cs_ar & VMX_AR_L))
		return X86_MODE_64;
	return ps->cs_ar & VMX_AR_DB ? X86_MODE_32 : X86_MODE_16;
}

/*
 * Fetch the instruction at CS:RIP: as many of its 15 possible bytes as
 * are mapped; the decoder says if it needed more.
 */
static int vmx_fetch(struct vmmon_vcpu *vcpu, const struct vmx_paging_state *ps,
		     u8 *bytes, unsigned int *avail)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 la = ps->cs_base + vx->rip, fault_la;
	unsigned int first = min_t(unsigned int, VMX_MAX_INSN_LEN,
				   PAGE_SIZE - offset_in_page(la));
	u32 pf_error;
	int err;

	if (vmx_cpu_mode(ps) != X86_MODE_64)
		la = (u32)la;
	err = vmx_access_linear(vcpu, ps, la, bytes, first, X86_WALK_FETCH,
				&pf_error, &fault_la);
	if (err)
		return err;
	*avail = first;
	if (first < VMX_MAX_INSN_LEN &&
	    !vmx_access_linear(vcpu, ps, la + first, bytes + first,
			       VMX_MAX_INSN_LEN - first, X86_WALK_FETCH,
			       &pf_error, &fault_la))
		*avail = VMX_MAX_INSN_LEN;
	return 0;
}

/* Add @delta to the part of @reg that the address size uses. */
static void vmx_step_reg(u64 *reg, s64 delta, unsigned int addr_size)
{
	if (addr_size == 8)
		*reg += delta;
	else if (addr_size == 4)
		*reg = (u32)(*reg + delta);	/* 32-bit writes clear 63:32 */
	else
		*reg = (*reg & ~0xffffULL) | (u16)(*reg + delta);
}

static u64 vmx_addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* One access of an MMIO instruction, for userspace. */
static void vmx_mmio_exit(struct vmmon_run *run, u64 gpa, unsigned int size,
			  bool is_write, u64 data)
{
	run->exit_reason = VMMON_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = size;
	run->mmio.is_write = is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (is_write)
		memcpy(run->mmio.data, &data, size);	/* little-endian */
}

/*
 * The access that faulted must be one the instruction makes, or the
 * guest changed the bytes since (another vCPU): a read must not have
 * faulted as a write, nor a write as a read.  A read-modify-write may
 * report either, and MOVS says by it which side is the device.
 */
static bool vmx_mmio_fault_fits(const struct x86_mmio_insn *insn, bool write)
{
	if (!x86_mmio_writes(insn))
		return !write;
	if (!x86_mmio_reads(insn))
		return write;
	return true;
}

/* MOV, MOVNTI: the write is the whole instruction. */
static enum vmx_next vmx_mmio_store(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	const struct vmx_mmio_op *op = &vx->mmio;
	u64 data = x86_mmio_store_data(&op->insn, *vmx_gpr(vx, op->insn.reg));
	enum vmx_next next;

	if (vmx_apic_is_xapic_eoi(vx, op->gpa, op->insn.size) &&
	    vmx_apic_eoi(vcpu, op->insn.len, &next))
		return next;
	next = VMX_NEXT_RESUME;
	if (!vmx_apic_xapic_icr_store(vcpu, op->gpa, op->insn.size, data)) {
		vmx_mmio_exit(vcpu->run, op->gpa, op->insn.size, true, data);
		next = VMX_NEXT_USER;
	}
	vmx_insn_done(vx, op->insn.len);
	return next;
}

static int vmx_mmio_finish(struct vmmon_vcpu *vcpu, u64 data);

/*
 * The read comes first; vmx_mmio_complete() goes on with its data.  A
 * read of the xAPIC ICR that writes nothing back is answered here.
 */
static enum vmx_next vmx_mmio_read(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 data;

	if (!x86_mmio_writes(&vx->mmio.insn) &&
	    vmx_apic_xapic_icr_load(vcpu, vx->mmio.gpa, vx->mmio.insn.size,
				    &data)) {
		vmx_mmio_finish(vcpu, data);
		return VMX_NEXT_RESUME;
	}
	vmx_mmio_exit(vcpu->run, vx->mmio.gpa, vx->mmio.insn.size, false, 0);
	vx->pending = VMX_PENDING_MMIO_READ;
	return VMX_NEXT_USER;
}

/*
 * STOS or MOVS moved one item.  With REP and items left RIP stays: the
 * guest runs the instruction again for the next item (at full speed
 * where it is RAM), and takes interrupts and the single-step trap in
 * between, as the CPU does after each iteration.
 */
static void vmx_mmio_string_done(struct vmx_vcpu *vx)
{
	const struct x86_mmio_insn *insn = &vx->mmio.insn;
	bool done = x86_string_step(insn, vx->rflags & X86_EFLAGS_DF,
				    &vx->regs.rsi, &vx->regs.rdi, &vx->regs.rcx);

	vmx_insn_done(vx, done ? insn->len : 0);
}

/*
 * MOVS: the linear address of the side in RAM, the source DS:rSI (or its
 * override) when the device is the destination, else ES:rDI.  The
 * segment bases are known here in 64-bit mode only, where those of ES,
 * CS, SS and DS are 0; FS and GS and the other modes are refused.
 */
static bool vmx_movs_ram_la(const struct vmx_vcpu *vx,
			    const struct vmx_paging_state *ps, bool to_device,
			    u64 *la)
{
	const struct x86_mmio_insn *insn = &vx->mmio.insn;
	u64 index = to_device ? vx->regs.rsi : vx->regs.rdi;

	if (vmx_cpu_mode(ps) != X86_MODE_64)
		return false;
	if (to_device &&
	    (insn->src_seg == X86_SEG_FS || insn->src_seg == X86_SEG_GS))
		return false;
	*la = index & vmx_addr_mask(insn->addr_size);
	return true;
}

/*
 * One item of STOS or of MOVS with one side in RAM.  MOVS reads its RAM
 * source now, or checks now that its RAM destination can be written,
 * so that a fault comes before the device access, as on the CPU.
 */
static enum vmx_next vmx_mmio_string(struct vmmon_vcpu *vcpu,
				     const struct vmx_exit *exit, bool write,
				     const u8 *bytes, unsigned int avail)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmx_mmio_op *op = &vx->mmio;
	const struct x86_mmio_insn *insn = &op->insn;
	u64 data = 0, fault_la;
	u32 pf_error;
	int err;

	/* REP with rCX = 0 accesses nothing: these bytes did not fault. */
	if (insn->rep && !(vx->regs.rcx & vmx_addr_mask(insn->addr_size)))
		return vmx_emulation_failed(vcpu, exit->gpa, bytes, avail);
	if (insn->kind == X86_MMIO_MOVS) {
		if (!vmx_movs_ram_la(vx, &exit->paging, write, &op->ram_la))
			return vmx_emulation_failed(vcpu, exit->gpa, bytes, avail);
		err = vmx_access_linear(vcpu, &exit->paging, op->ram_la,
					write ? &data : NULL, insn->size,
					write ? 0 : X86_WALK_WRITE, &pf_error,
					&fault_la);
		if (vmx_linear_fault(vx, err, fault_la, pf_error,
				     write && insn->src_seg == X86_SEG_SS))
			return VMX_NEXT_RESUME;
		if (err)
			return vmx_emulation_failed(vcpu, exit->gpa, bytes, avail);
		if (!write) {
			vx->paging = exit->paging;
			return vmx_mmio_read(vcpu);
		}
	} else {
		data = x86_mmio_store_data(insn, vx->regs.rax);
	}
	vmx_mmio_exit(vcpu->run, op->gpa, insn->size, true, data);
	vmx_mmio_string_done(vx);
	return VMX_NEXT_USER;
}

/* A guest access at @exit->gpa, which is not RAM: to userspace. */
enum vmx_next vmx_exit_mmio(struct vmmon_vcpu *vcpu,
			    const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmx_mmio_op *op = &vx->mmio;
	struct x86_mmio_insn *insn = &op->insn;
	bool write = exit->qualification & VMX_EPT_QUAL_WRITE;
	u8 bytes[VMX_MAX_INSN_LEN];
	unsigned int avail = 0;

	vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_MMIO);
	/* Code cannot run from a device, nor can an event be delivered. */
	if (exit->qualification & VMX_EPT_QUAL_FETCH || vx->event.info ||
	    vmx_fetch(vcpu, &exit->paging, bytes, &avail))
		return vmx_emulation_failed(vcpu, exit->gpa, NULL, 0);
	/* Of BT..BTC with a register offset, only the operand's own bits. */
	if (x86_decode_mmio(bytes, avail, vmx_cpu_mode(&exit->paging), insn) ||
	    !vmx_mmio_fault_fits(insn, write) ||
	    !x86_mmio_bit_inside(insn, *vmx_gpr(vx, insn->reg)))
		return vmx_emulation_failed(vcpu, exit->gpa, bytes, avail);
	op->gpa = exit->gpa;
	if (insn->kind == X86_MMIO_STOS || insn->kind == X86_MMIO_MOVS)
		return vmx_mmio_string(vcpu, exit, write, bytes, avail);
	if (!x86_mmio_reads(insn))
		return vmx_mmio_store(vcpu);
	return vmx_mmio_read(vcpu);
}

/*
 * A load, ALU or XCHG instruction whose read userspace answered with
 * @data: the register, RFLAGS and RIP as the CPU leaves them.
 */
static int vmx_mmio_finish(struct vmmon_vcpu *vcpu, u64 data)
{
	struct vmx_vcpu *vx = vcpu->hw;
	const struct vmx_mmio_op *op = &vx->mmio;
	u64 *reg = vmx_gpr(vx, op->insn.reg);
	struct x86_mmio_result res;

	x86_mmio_execute(&op->insn, data, *reg, vx->rflags, &res);
	if (res.write_reg)
		*reg = res.reg;
	vx->rflags = res.rflags;
	vmx_insn_done(vx, op->insn.len);
	if (!res.write_mem)
		return 0;
	/*
	 * The write of a read-modify-write: the instruction is complete,
	 * as at a plain store's exit, and userspace gets the write before
	 * the guest runs again.  Nothing of this vCPU comes between the two
	 * accesses; against other vCPUs, LOCK is the device model's to keep.
	 */
	vmx_mmio_exit(vcpu->run, op->gpa, op->insn.size, true, res.mem);
	return VMX_COMPLETE_TO_USER;
}

/*
 * MOVS from the device: the item userspace read goes to RAM, which was
 * checked at the exit.  If the guest's page tables changed since (another
 * vCPU), it takes the fault and runs MOVS again, device read included,
 * as after a fault of the CPU's own write.
 */
static int vmx_movs_from_device(struct vmmon_vcpu *vcpu, u64 data)
{
	struct vmx_vcpu *vx = vcpu->hw;
	const struct vmx_mmio_op *op = &vx->mmio;
	u64 fault_la;
	u32 pf_error;
	int err;

	err = vmx_access_linear(vcpu, &vx->paging, op->ram_la, &data,
				op->insn.size, X86_WALK_WRITE, &pf_error,
				&fault_la);
	if (vmx_linear_fault(vx, err, fault_la, pf_error, false))
		return 0;
	if (err) {
		vmx_emulation_failed(vcpu, op->gpa, NULL, 0);
		return VMX_COMPLETE_TO_USER;
	}
	vmx_mmio_string_done(vx);
	return 0;
}

/* The data of an MMIO read, from the run page: the instruction goes on. */
int vmx_mmio_complete(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 data = 0;

	memcpy(&data, vcpu->run->mmio.data, vx->mmio.insn.size);
	if (vx->mmio.insn.kind == X86_MMIO_MOVS)
		return vmx_movs_from_device(vcpu, data);
	return vmx_mmio_finish(vcpu, data);
}

/*
 * After @sio.count items: step RSI or RDI and RCX, and move past the
 * instruction unless a REP has items left (it then exits again; the
 * iterations done count for the interrupt shadow and single-step).
 */
static void vmx_string_io_done(struct vmx_vcpu *vx, u64 *index_reg)
{
	const struct vmx_string_io *sio = &vx->sio;
	s64 bytes = sio->count * sio->size;

	vmx_step_reg(index_reg, sio->down ? -bytes : bytes, sio->addr_size);
	if (sio->rep) {
		vmx_step_reg(&vx->regs.rcx, -(s64)sio->count, sio->addr_size);
		if (vx->regs.rcx & vmx_addr_mask(sio->addr_size)) {
			vmx_insn_done(vx, 0);
			return;
		}
	}
	vmx_insn_done(vx, sio->insn_len);
}

/*
 * The block of guest memory @sio covers: with RFLAGS.DF the items go
 * down from the first one, so the block starts at the last.
 */
static u64 vmx_string_io_base(const struct vmx_string_io *sio)
{
	return sio->down ? sio->gla - (sio->count - 1) * sio->size : sio->gla;
}

/* Items in the order the guest accessed them <-> memory order. */
static void vmx_string_io_reverse(void *data, const struct vmx_string_io *sio)
{
	u8 *a = data, *b = a + (sio->count - 1) * sio->size, tmp[4];

	for (; a < b; a += sio->size, b -= sio->size) {
		memcpy(tmp, a, sio->size);
		memcpy(a, b, sio->size);
		memcpy(b, tmp, sio->size);
	}
}

enum vmx_next vmx_exit_string_io(struct vmmon_vcpu *vcpu,
				 const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	struct vmx_string_io *sio = &vx->sio;
	u64 q = exit->qualification, count, fault_la;
	unsigned int addr_code = (exit->insn_info >> VMX_INSN_INFO_ADDR_SIZE_SHIFT) &
				 VMX_INSN_INFO_ADDR_SIZE_MASK;
	bool in = q & VMX_IO_QUAL_IN;
	u32 pf_error;
	int err;

	if (addr_code > 2)
		return vmx_emulation_failed(vcpu, 0, NULL, 0);
	sio->size = (q & VMX_IO_QUAL_SIZE_MASK) + 1;
	sio->addr_size = 2 << addr_code;
	sio->rep = q & VMX_IO_QUAL_REP;
	sio->down = vx->rflags & X86_EFLAGS_DF;
	sio->gla = exit->gla;
	sio->insn_len = exit->insn_len;
	count = sio->rep ? vx->regs.rcx & vmx_addr_mask(sio->addr_size) : 1;
	if (!count) {
		vmx_insn_done(vx, exit->insn_len);
		return VMX_NEXT_RESUME;
	}
	sio->count = min_t(u64, count, VMMON_IO_DATA_MAX / sio->size);
	/* Single-stepping traps after each iteration: one item an exit. */
	if (vx->rflags & X86_EFLAGS_TF)
		sio->count = 1;

	/*
	 * OUTS reads its items now; INS checks now that it will be able
	 * to write them, so that a page fault comes before the port access.
	 */
	err = vmx_access_linear(vcpu, &exit->paging, vmx_string_io_base(sio),
				in ? NULL : run->data, sio->count * sio->size,
				in ? X86_WALK_WRITE : 0, &pf_error, &fault_la);
	if (err == -EFAULT) {
		vmx_inject_page_fault(vx, fault_la, pf_error);
		return VMX_NEXT_RESUME;
	}
	if (err)
		return vmx_emulation_failed(vcpu, 0, NULL, 0);

	run->exit_reason = VMMON_EXIT_IO;
	run->io.port = q >> VMX_IO_QUAL_PORT_SHIFT;
	run->io.size = sio->size;
	run->io.count = sio->count;
	run->io.data_offset = offsetof(struct vmmon_run, data);
	run->io.direction = in ? VMMON_IO_IN : VMMON_IO_OUT;
	if (in) {
		vx->pending = VMX_PENDING_INS;
		vx->paging = exit->paging;
		return VMX_NEXT_USER;
	}
	if (sio->down)
		vmx_string_io_reverse(run->data, sio);
	vmx_string_io_done(vx, &vx->regs.rsi);
	return VMX_NEXT_USER;
}

/* INS: the items userspace left in the run page go to guest memory. */
int vmx_string_in_complete(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmx_string_io *sio = &vx->sio;
	u8 *data = vcpu->run->data;
	u64 fault_la;
	u32 pf_error;
	int err;

	if (sio->down)
		vmx_string_io_reverse(data, sio);
	err = vmx_access_linear(vcpu, &vx->paging, vmx_string_io_base(sio),
				data, sio->count * sio->size, X86_WALK_WRITE,
				&pf_error, &fault_la);
	if (err) {
		vmx_emulation_failed(vcpu, 0, NULL, 0);
		return VMX_COMPLETE_TO_USER;
	}
	vmx_string_io_done(vx, &vx->regs.rdi);
	return 0;
}
