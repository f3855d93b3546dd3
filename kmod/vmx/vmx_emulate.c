// SPDX-License-Identifier: GPL-2.0
/*
 * The exits for which vmmon carries out part of a guest instruction:
 * MMIO (a MOV to or from guest-physical memory that no RAM backs, whose
 * bytes are fetched and decoded to learn the register and size) and
 * string port I/O (OUTS and INS, whose data lives in guest memory).
 * Both reach guest memory through the guest's own page tables; every
 * value they take from the guest is checked before use.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmmon_backend.h"
#include "vmx.h"
#include "vmx_vcpu.h"
#include "vmx_vmcs.h"

/* Longest x86 instruction. */
#define VMX_MAX_INSN_LEN	15
/* Segment access rights: L (64-bit code) and D/B (32-bit default size). */
#define VMX_AR_L		BIT(13)
#define VMX_AR_DB		BIT(14)
#define VMX_AR_DPL(ar)		(((ar) >> 5) & 3)

static int vmx_read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	return vmmon_vm_read_phys(opaque, gpa, buf, len);
}

/*
 * Copy @len bytes at guest linear address @la, page by page (or, with
 * @buf NULL, only check that the guest could): 0, -EFAULT with
 * *@pf_error and *@fault_la for a guest page fault, or another negative
 * errno (-ENOENT: the page tables or data are not RAM).
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
			err = 0;
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

static enum vmx_next vmx_emulation_failed(struct vmmon_vcpu *vcpu, u64 gpa)
{
	struct vmx_vcpu *vx = vcpu->hw;

	vmx_exit_internal(vcpu->run, VMMON_INTERNAL_EMULATION, gpa, vx->rip);
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

/* A guest load or store at @exit->gpa, which is not RAM: to userspace. */
enum vmx_next vmx_exit_mmio(struct vmmon_vcpu *vcpu,
			    const struct vmx_exit *exit)
{
	struct vmx_vcpu *vx = vcpu->hw;
	struct vmmon_run *run = vcpu->run;
	struct x86_mmio_insn *insn = &vx->mmio;
	u8 bytes[VMX_MAX_INSN_LEN];
	unsigned int avail;
	u64 data;

	vmmon_vcpu_count_exit(vcpu, VMMON_STAT_EXIT_MMIO);
	/* Code cannot run from a device, nor can an event be delivered. */
	if (exit->qualification & VMX_EPT_QUAL_FETCH || vx->event.info ||
	    vmx_fetch(vcpu, &exit->paging, bytes, &avail) ||
	    x86_decode_mmio(bytes, avail, vmx_cpu_mode(&exit->paging), insn))
		return vmx_emulation_failed(vcpu, exit->gpa);
	/* The decoded access must be the one that faulted. */
	if ((insn->dir == X86_MMIO_STORE) !=
	    !!(exit->qualification & VMX_EPT_QUAL_WRITE))
		return vmx_emulation_failed(vcpu, exit->gpa);

	run->exit_reason = VMMON_EXIT_MMIO;
	run->mmio.phys_addr = exit->gpa;
	run->mmio.len = insn->size;
	run->mmio.is_write = insn->dir == X86_MMIO_STORE;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (run->mmio.is_write) {
		data = x86_mmio_store_data(insn, *vmx_gpr(vx, insn->reg));
		memcpy(run->mmio.data, &data, insn->size);
	} else {
		vx->pending = VMX_PENDING_MMIO_READ;
	}
	vx->rip += insn->len;
	return VMX_NEXT_USER;
}

/* The data of an MMIO read, from the run page, into the register. */
int vmx_mmio_complete(struct vmmon_vcpu *vcpu)
{
	struct vmx_vcpu *vx = vcpu->hw;
	u64 *reg = vmx_gpr(vx, vx->mmio.reg), data = 0;

	memcpy(&data, vcpu->run->mmio.data, vx->mmio.size);
	*reg = x86_mmio_load_result(&vx->mmio, *reg, data);
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

/*
 * After @sio.count items: step RSI or RDI and RCX, and move past the
 * instruction unless a REP has items left (it then exits again).
 */
static void vmx_string_io_done(struct vmx_vcpu *vx, u64 *index_reg)
{
	const struct vmx_string_io *sio = &vx->sio;
	s64 bytes = sio->count * sio->size;

	vmx_step_reg(index_reg, sio->down ? -bytes : bytes, sio->addr_size);
	if (sio->rep) {
		vmx_step_reg(&vx->regs.rcx, -(s64)sio->count, sio->addr_size);
		if (vx->regs.rcx & vmx_addr_mask(sio->addr_size))
			return;
	}
	vx->rip += sio->insn_len;
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
		return vmx_emulation_failed(vcpu, 0);
	sio->size = (q & VMX_IO_QUAL_SIZE_MASK) + 1;
	sio->addr_size = 2 << addr_code;
	sio->rep = q & VMX_IO_QUAL_REP;
	sio->down = vx->rflags & X86_EFLAGS_DF;
	sio->gla = exit->gla;
	sio->insn_len = exit->insn_len;
	count = sio->rep ? vx->regs.rcx & vmx_addr_mask(sio->addr_size) : 1;
	if (!count) {
		vx->rip += exit->insn_len;
		return VMX_NEXT_RESUME;
	}
	sio->count = min_t(u64, count, VMMON_IO_DATA_MAX / sio->size);

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
		return vmx_emulation_failed(vcpu, 0);

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
		vmx_emulation_failed(vcpu, 0);
		return -EFAULT;
	}
	vmx_string_io_done(vx, &vx->regs.rdi);
	return 0;
}
