/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmmon ABI: the only header shared by vmmon.ko and its userspace
 * (vmctl, the tests).  Userspace must not include anything else from
 * the module.
 *
 * Objects and their file descriptors
 *   /dev/vmmon          the system: version, capabilities, VM creation.
 *   VM fd               one virtual machine, returned by VMMON_CREATE_VM.
 *                       The VM is destroyed when the last reference to
 *                       the fd is dropped (close, exit, or the last dup),
 *                       and each mapping and vCPU fd holds one.
 *   vCPU fd             one virtual CPU, returned by VMMON_CREATE_VCPU.
 *                       vCPUs live as long as their VM.
 *
 * Conventions
 *   - Every ioctl returns 0 (or a new fd) on success and -1 with errno
 *     set on failure.  An ioctl number the object does not know gives
 *     ENOTTY; a bad user pointer gives EFAULT; a reserved field that is
 *     not zero, or an unknown flag, gives EINVAL.
 *   - Structures have explicit padding so that their layout is the same
 *     for 32- and 64-bit userspace; padding must be zero.
 *
 * Guest memory is owned by the module (as ESX's pmap): each guest-physical
 * page is backed by a host page allocated on first touch, charged to the
 * memory cgroup of the process that touched it, and freed with the VM.
 * Userspace reaches it by mmap() of the VM fd with MAP_SHARED, where the
 * file offset is the guest-physical address; a page outside every region
 * set with VMMON_SET_MEMORY_REGION gives SIGBUS.
 *
 * Observable state (sysfs, read-only, decimal):
 *   /sys/class/misc/vmmon/vms          number of live VMs
 *   /sys/class/misc/vmmon/vmx_cpus     number of CPUs in VMX root operation
 *   /sys/class/misc/vmmon/guest_pages  guest pages resident, all VMs
 *   /sys/class/misc/vmmon/vcpus        number of vCPUs, all VMs
 * VMX root operation is entered on every online CPU when the first VM is
 * created and left on all of them when the last VM is destroyed, so that
 * vmmon coexists with other hypervisors while it has no VM.
 */
#ifndef _UAPI_VMMON_H
#define _UAPI_VMMON_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VMMON_API_VERSION	1

/*
 * ioctl type byte.  Not registered in ioctl-number.rst: commands are only
 * understood by vmmon's own files, and each encodes its size and direction.
 */
#define VMMON_IOCTL_TYPE	0xB7

/*
 * struct vmmon_version - VMMON_GET_API_VERSION
 * @api: VMMON_API_VERSION of the running module.  Userspace built
 *       against a different version must refuse to run.
 * @pad: zero.
 */
struct vmmon_version {
	__u32 api;
	__u32 pad;
};

/* Optional capabilities, for VMMON_CHECK_CAP. */
enum vmmon_cap {
	VMMON_CAP_EPT_AD_BITS	= 1,	/* EPT accessed/dirty flags */
	VMMON_CAP_EPT_2M_PAGES	= 2,	/* EPT 2 MiB mappings */
	VMMON_CAP_EPT_1G_PAGES	= 3,	/* EPT 1 GiB mappings */
	VMMON_CAP_NR_CPUS	= 4,	/* value: CPUs that can run vCPUs */
	VMMON_CAP_APIC_TIMER	= 5,	/* VMMON_APIC_TIMER_IN_KERNEL */
	VMMON_CAP_APIC_IPI	= 6,	/* VMMON_APIC_IPI_IN_KERNEL */
	VMMON_CAP_HLT_WAIT	= 7,	/* VMMON_APIC_HLT_IN_KERNEL */
	VMMON_CAP_XAPIC_IPI	= 8,	/* and in xAPIC mode (@apic.flat_id) */
};

/*
 * struct vmmon_cap_query - VMMON_CHECK_CAP
 * @cap:   in, one of enum vmmon_cap.
 * @pad:   in, zero.
 * @value: out, 0 when the capability is absent, otherwise nonzero (1, or
 *         the figure the capability documents).  A capability number
 *         this module does not know reads as absent, so that newer
 *         userspace can probe an older module.
 */
struct vmmon_cap_query {
	__u32 cap;
	__u32 pad;
	__u64 value;
};

/*
 * struct vmmon_create_vm - VMMON_CREATE_VM
 * @flags: in, zero (no flags are defined yet).
 * @pad:   in, zero.
 * Returns a new VM fd (O_CLOEXEC).  Fails with EBUSY when another
 * hypervisor owns VMX on one of the CPUs (the kernel log names the CPU),
 * ENOMEM when memory is short.
 */
struct vmmon_create_vm {
	__u32 flags;
	__u32 pad;
};

/*
 * struct vmmon_name - VMMON_SET_NAME, on a VM fd
 * @name: NUL-terminated, 1 to VMMON_NAME_MAX - 1 characters from
 *        [A-Za-z0-9._-], not all digits (a number is a VM id, see
 *        vmmon_genl.h).  EINVAL for any other, EEXIST when another VM
 *        of the same owner has it.  Replaces the VM's name.
 */
#define VMMON_NAME_MAX		32
struct vmmon_name {
	char name[VMMON_NAME_MAX];
};

/*
 * VMMON_SET_SHARE_GROUP (struct vmmon_name, on a VM fd): put the VM in
 * its owner's page-sharing group @name (same rules as a VM name), whose
 * VMs may back equal pages with one host page.  Without it a VM shares
 * pages only within itself.  EBUSY while pages of the VM are shared
 * (set it before the guest runs).
 */

/* vCPUs of one VM have ids 0 .. VMMON_MAX_VCPUS - 1. */
#define VMMON_MAX_VCPUS		64

/*
 * struct vmmon_create_vcpu - VMMON_CREATE_VCPU, on a VM fd
 * @id:    in, the vCPU's id (its initial APIC id), below VMMON_MAX_VCPUS.
 * @flags: in, zero.
 * Returns a new vCPU fd (O_CLOEXEC).  EINVAL for a bad id or flags,
 * EEXIST when the VM has a vCPU with that id.
 */
struct vmmon_create_vcpu {
	__u32 id;
	__u32 flags;
};

/*
 * struct vmmon_regs - VMMON_GET_REGS / VMMON_SET_REGS, on a vCPU fd
 * The general registers, RIP and RFLAGS.
 */
struct vmmon_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * struct vmmon_segment - one segment register, as the VMCS holds it
 * @ar: access rights (SDM 3C 25.4.1): type in bits 3:0, S 4, DPL 6:5,
 *      P 7, AVL 12, L 13, D/B 14, G 15.
 * @unusable: 1 for a null (unusable) segment.
 */
struct vmmon_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 ar;
	__u32 unusable;
	__u32 pad;
};

struct vmmon_dtable {
	__u64 base;
	__u32 limit;
	__u32 pad;
};

/*
 * struct vmmon_sregs - VMMON_GET_SREGS / VMMON_SET_SREGS, on a vCPU fd
 * Segments, descriptor tables and control registers.  A new vCPU starts
 * in the x86 reset state: real mode, CS.base 0xffff0000, RIP 0xfff0.
 * SET_SREGS gives EINVAL for a state VT-x cannot enter (the entry checks
 * of SDM 3C 27.3.1 that vmmon verifies): CR0.PG without CR0.PE, EFER.LMA
 * without CR0.PG and CR4.PAE, or EFER.LMA unlike EFER.LME with paging on.
 */
struct vmmon_sregs {
	struct vmmon_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct vmmon_dtable gdt, idt;
	__u64 cr0, cr3, cr4, efer;
};

/* Why VMMON_RUN returned: vmmon_run.exit_reason. */
enum vmmon_exit_reason {
	VMMON_EXIT_NONE		= 0,
	VMMON_EXIT_IO		= 1,	/* port I/O: run.io */
	VMMON_EXIT_HLT		= 2,	/* HLT; RIP is past it.  Not for
					 * one that what vmmon holds ends:
					 * an interrupt the guest can take,
					 * an NMI it does not block, an
					 * exception (a single step's #DB) */
	VMMON_EXIT_SHUTDOWN	= 3,	/* triple fault: the guest is dead */
	VMMON_EXIT_FAIL_ENTRY	= 4,	/* VM entry failed: run.fail_entry */
	VMMON_EXIT_INTR		= 5,	/* RUN gave EINTR: a signal is pending,
					 * or the kernel has work for the
					 * return to user mode (task work,
					 * memory.high), or another vCPU's
					 * IPI is in run.apic.irr: call RUN
					 * again */
	VMMON_EXIT_INTERNAL	= 6,	/* vmmon cannot go on: run.internal */
	VMMON_EXIT_MMIO		= 7,	/* access outside RAM: run.mmio */
	VMMON_EXIT_HYPERCALL	= 8,	/* VMCALL: run.hypercall; RIP is past it */
	VMMON_EXIT_IRQ_WINDOW	= 9,	/* the guest can take an interrupt now */
	VMMON_EXIT_MSR		= 10,	/* RDMSR/WRMSR for userspace: run.msr */
	VMMON_EXIT_EOI		= 11,	/* vmmon took an EOI and IRR is not
					 * empty: run.apic; RIP is past the
					 * guest's instruction */
	VMMON_EXIT_APIC_TIMER	= 12,	/* the guest's TSC reached
					 * run.apic.tsc_deadline, which
					 * vmmon cleared */
};

#define VMMON_IO_OUT		0
#define VMMON_IO_IN		1

/* run.internal.suberror */
enum vmmon_internal_error {
	VMMON_INTERNAL_UNHANDLED_EXIT	= 1,	/* data[0]: hardware reason, [1]: qualification */
	VMMON_INTERNAL_NO_MEMORY	= 2,	/* data[0]: guest-physical address,
						 * [1]: ENOMEM, or EDQUOT: the
						 * VM creator's RLIMIT_MEMLOCK */
	VMMON_INTERNAL_ENTRY_INSN_FAILED = 4,	/* data[0]: VM-instruction error (SDM 3C 31.4) */
	VMMON_INTERNAL_EMULATION	= 5,	/* data[0]: guest-physical address (0 for
						 * string I/O), [1]: RIP, [2] and [3]: the
						 * instruction, little-endian from the low
						 * byte of data[2]: bytes 0-14, then in bits
						 * 63:56 of data[3] how many of them vmmon
						 * could fetch (0: none); an MMIO instruction
						 * vmmon cannot emulate, or guest memory it
						 * cannot reach */
	VMMON_INTERNAL_TASK_SWITCH	= 6,	/* data[0]: the exit qualification
						 * (new TSS selector, bits 31:30
						 * the source), [1]: EOPNOTSUPP
						 * for a 16-bit TSS, ENOENT for
						 * a TSS, descriptor or stack
						 * outside RAM, EINVAL for a
						 * switch the CPU should have
						 * refused */
};

/*
 * struct vmmon_run - the page at offset 0 of a vCPU fd's mmap
 * Written by VMMON_RUN on its return, except for the fields marked "in",
 * which userspace sets before RUN.
 *
 * VMMON_EXIT_IO: @io.count items of @io.size bytes each sit at
 * @io.data_offset in this page, in the order the guest accessed them:
 * for OUT, what the guest wrote; for IN, what userspace puts there before
 * the next RUN, which hands them to the guest.  A string instruction
 * (OUTS/INS, with or without REP) may take several exits; each moves up
 * to VMMON_IO_DATA_MAX bytes and vmmon steps RSI/RDI/RCX as the CPU would.
 *
 * VMMON_EXIT_MMIO: the guest read or wrote @mmio.len bytes at guest-
 * physical @mmio.phys_addr, which no RAM region backs.  For a write,
 * @mmio.data holds them (little-endian); for a read, userspace puts them
 * there before the next RUN, which completes the guest's instruction.
 * vmmon emulates MOV, MOVZX, MOVSX, MOVNTI, the ALU instructions (ADD,
 * OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, NOT, NEG, INC, DEC), XCHG, BT,
 * BTS, BTR, BTC, and STOS and MOVS with or without REP, flags as the CPU
 * sets them.  An instruction that reads and writes device memory (ADD..
 * XOR, NOT, NEG, INC, DEC, BTS, BTR, BTC, XCHG, LOCK-prefixed or not)
 * exits twice: the read, then the RUN that hands back its data returns
 * at once, without entering the guest, with the write (is_write = 1);
 * the instruction is complete, registers and RIP included, when that
 * write is reported.  A REP string store or move (STOS, MOVS) exits once
 * per item; vmmon steps RSI, RDI and RCX as the CPU would.  With
 * @immediate_exit set, RUN still returns such a write before EINTR.
 * Anything else is VMMON_EXIT_INTERNAL, VMMON_INTERNAL_EMULATION.
 *
 * VMMON_EXIT_MSR: the guest's RDMSR or WRMSR of an MSR that userspace's
 * interrupt controller answers; RIP is still on the instruction.
 * @msr.index is the MSR; for a write @msr.data holds the value.  Before
 * the next RUN userspace puts a read's value in @msr.data, or sets
 * @msr.error (in) to give the guest #GP instead; otherwise the
 * instruction completes.  These MSRs come here:
 *   0x800-0x8ff (x2APIC)    while the guest's IA32_APIC_BASE has x2APIC
 *                           mode on (EXTD, bit 10), which it may set only
 *                           when its CPUID offers x2APIC (leaf 1 ECX bit
 *                           21); else they #GP without an exit
 *   IA32_TSC_DEADLINE (0x6e0) when CPUID offers TSC-deadline (leaf 1
 *                           ECX bit 24); else #GP
 *   IA32_APIC_BASE (0x1b)   a write that changes it, after vmmon checked
 *                           it (#GP for a reserved bit, EXTD without
 *                           x2APIC in CPUID, or a transition the CPU
 *                           refuses, SDM 3A 11.12.5) and took it: a
 *                           notice so that the LAPIC follows (enabled,
 *                           disabled, x2APIC mode); @msr.error is ignored
 *
 * The guest's EOI stays in vmmon when userspace keeps its local APIC's
 * ISR, TMR and IRR in @apic and sets VMMON_APIC_EOI_IN_KERNEL there: in
 * x2APIC mode a WRMSR of 0 to 0x80b, in xAPIC mode a 32-bit MOV to
 * offset 0xb0 of the page IA32_APIC_BASE names.  vmmon clears the
 * highest ISR bit itself, as the APIC does (SDM 3A 11.8.5), and enters
 * the guest again, unless that vector's TMR bit is set (a level-
 * triggered EOI, which the I/O APIC must hear of: VMMON_EXIT_MSR or
 * VMMON_EXIT_MMIO as without the flag, ISR left alone) or IRR holds a
 * vector after the clear (VMMON_EXIT_EOI: the EOI is done, userspace
 * injects what may now be deliverable).  For the EOI vmmon only
 * reads TMR and IRR and only clears ISR bits, and only inside RUN; the
 * vCPU's own thread moves vectors from IRR to ISR between RUNs.  A
 * thread that sets an IRR bit while the vCPU runs and then reads ISR to
 * decide whether to kick it must order the two with a full barrier:
 * vmmon clears ISR with a locked instruction before it reads IRR, so
 * one side always sees the other's write.
 *
 * In xAPIC mode the guest's accesses to the ICR's high half and its
 * reads of the low half stay in vmmon too when userspace keeps the ICR
 * in @apic.icr_low and @apic.icr_high and sets VMMON_APIC_ICR_IN_KERNEL:
 * a guest writes the destination and polls the delivery status around
 * each IPI, and only the write of the low half sends it.  vmmon takes a
 * 32-bit MOV to offset 0x310 by storing its destination field (bits
 * 31:24, the rest reserved) in @apic.icr_high, and answers a 32-bit read
 * of offset 0x300 that writes nothing back with @apic.icr_low, which
 * userspace keeps as the guest reads it (delivery status idle when it
 * delivers at once).  Other accesses to the ICR (sizes, the low half's
 * writes but the IPIs vmmon sends, below, x2APIC's MSR) still exit.
 * Both fields are the vCPU's own thread's between RUNs and vmmon's
 * inside RUN.
 *
 * The guest's IA32_TSC_DEADLINE stays in vmmon too where
 * VMMON_CHECK_CAP offers VMMON_CAP_APIC_TIMER and userspace sets
 * VMMON_APIC_TIMER_IN_KERNEL, which it does only while its LAPIC timer
 * is in TSC-deadline mode: a tickless guest writes the deadline each
 * time it programs its next timer event.  vmmon answers the guest's
 * RDMSR and WRMSR of 0x6e0 with @apic.tsc_deadline (0: disarmed), and
 * returns VMMON_EXIT_APIC_TIMER, with the field cleared, as soon as the
 * guest's TSC reaches a nonzero deadline: RUN checks it before each
 * entry and bounds each stay in the guest by it.  Userspace then raises
 * the timer's interrupt (unless the LVT masks it).  The field is
 * userspace's between RUNs (a mode change or a reset clears it there)
 * and vmmon's inside RUN; while RUN is not called (a HLT that sleeps in
 * userspace) userspace times the deadline itself.
 *
 * The guest's fixed IPIs to another vCPU of the VM stay in vmmon too
 * where VMMON_CHECK_CAP offers VMMON_CAP_APIC_IPI and both vCPUs' run
 * pages set VMMON_APIC_IPI_IN_KERNEL, which userspace may do only while
 * that vCPU's local APIC is enabled (IA32_APIC_BASE and SVR) in x2APIC
 * mode, so that it accepts fixed interrupts, and only if its x2APIC ID
 * is the id the vCPU was created with: vmmon finds the target by that
 * id.  A WRMSR to the x2APIC ICR (0x830) with no reserved bit set, fixed
 * delivery, edge trigger, physical destination and no shorthand, a
 * vector of 16 or more and another vCPU's id as destination, while that
 * vCPU is inside RUN: vmmon clears the vector in that vCPU's @apic.tmr
 * and sets it in its @apic.irr, each with a locked instruction, stores
 * the ICR in the sender's @apic.icr_low and @apic.icr_high, and makes
 * that vCPU's RUN return before it enters its guest again: with
 * VMMON_EXIT_INTR (EINTR), or with the exit it was making anyway.  So
 * userspace must look at IRR after every return of RUN, whatever it
 * says, and inject what is deliverable.  When that vCPU is
 * not inside RUN, the sender's WRMSR exits (VMMON_EXIT_MSR) as without
 * the flag, nothing sent: only userspace can wake a thread it put to
 * sleep.  So threads that write IRR or TMR bits of a vCPU that has the
 * flag must write them with locked instructions too.  A thread that
 * resets such a vCPU's APIC while it runs (another vCPU's INIT) clears
 * the flag with a locked instruction before it clears IRR: vmmon reads
 * the flag again after it set the bit, and takes the bit back if the
 * flag went.
 *
 * In xAPIC mode too where VMMON_CHECK_CAP offers VMMON_CAP_XAPIC_IPI:
 * userspace may then also set VMMON_APIC_IPI_IN_KERNEL while the local
 * APIC is enabled in xAPIC mode with its APIC ID (bits 31:24 of offset
 * 0x20) equal to the vCPU's id, together with VMMON_APIC_ICR_IN_KERNEL.
 * Each vCPU with the flag keeps in @apic.flat_id its APIC's logical ID
 * (bits 31:24 of its LDR, offset 0xd0) while its DFR (0xe0) selects the
 * flat model in xAPIC mode, else VMMON_APIC_NOT_FLAT (any value with
 * that bit); it stores the ID before it sets the flag (a release),
 * changes it only between its vCPU's RUNs, and leaves it when it clears
 * the flag.  The guest's 32-bit MOV to the ICR's low half (0x300) with
 * fixed delivery, edge trigger, no shorthand, a vector of 16 or more and
 * a destination (in @apic.icr_high) other than 0xff (broadcast, in
 * either mode) goes as above when every vCPU of the VM has the flag and
 * the destination names exactly one of them, not the sender: in
 * physical mode the vCPU of that id, in logical mode the one whose
 * @apic.flat_id shares a bit with it, where none is VMMON_APIC_NOT_FLAT.
 * vmmon stores the write in @apic.icr_low, its read-only and reserved
 * bits clear (delivery status idle).  Every other write exits
 * (VMMON_EXIT_MMIO) as without the flag.  An x2APIC sender's WRMSR
 * (above) reaches a vCPU that has the flag in xAPIC mode by its id
 * alone: APICs in both modes at once are outside the architecture.
 *
 * A HLT waits inside RUN where VMMON_CHECK_CAP offers VMMON_CAP_HLT_WAIT
 * and userspace sets VMMON_APIC_HLT_IN_KERNEL, so that the IPIs above
 * reach a halted vCPU too: an idle guest halts, and an IPI to a vCPU
 * whose thread sleeps in userspace is userspace's.  A HLT that nothing
 * vmmon holds can end (see VMMON_EXIT_HLT) while @request_interrupt_window
 * is clear does not return at once: RUN waits until another vCPU's IPI
 * sets a bit in @apic.irr, a signal comes, or the TSC deadline that
 * vmmon keeps (VMMON_APIC_TIMER_IN_KERNEL) is due, and then returns
 * VMMON_EXIT_HLT, RIP past the HLT, as it would have without the flag;
 * userspace then does what it does for any HLT.  The deadline is timed
 * on the host's clock, so the guest's TSC may fall a little short of it
 * when the wait ends: userspace times what is left, as it does for a
 * HLT it sleeps in.  Userspace may set the flag only where every other
 * thread that makes an event pending for the vCPU signals its thread
 * while it is inside RUN, as a kick must anyway.
 *
 * VMMON_EXIT_HYPERCALL: the guest executed VMCALL with @hypercall.nr in
 * RAX and its arguments in RBX, RCX, RDX, RSI (KVM's convention); the
 * next RUN puts @hypercall.ret (in) into RAX.
 *
 * Interrupts (userspace emulates the interrupt controller): set
 * @request_interrupt_window (in) to make RUN return VMMON_EXIT_IRQ_WINDOW
 * as soon as the guest can take an external interrupt, then inject one
 * with VMMON_INTERRUPT.  @ready_for_interrupt (out) says whether the
 * guest could take one when RUN returned, and @if_flag its RFLAGS.IF.
 *
 * @immediate_exit (in): when set, RUN completes a pending I/O or MMIO
 * read and returns VMMON_EXIT_INTR (EINTR) without entering the guest.
 * A launcher's signal handler sets it, so that a kick that lands just
 * before RUN is not lost (a signal that lands during RUN ends it anyway).
 * The completion of an exit (an IN's or MMIO read's data, an MSR's RIP
 * past the instruction, as KVM's) is the next RUN's, whatever registers
 * VMMON_SET_REGS put meanwhile: a VMM that moves RIP after such an exit
 * completes it this way first.
 */
#define VMMON_IO_DATA_MAX	2048

/* run.apic.flags (in): vmmon takes the guest's EOIs against run.apic. */
#define VMMON_APIC_EOI_IN_KERNEL	(1U << 0)
/* run.apic.flags (in): and xAPIC ICR accesses but IPIs (run.apic.icr_*). */
#define VMMON_APIC_ICR_IN_KERNEL	(1U << 1)
/* run.apic.flags (in): and IA32_TSC_DEADLINE (run.apic.tsc_deadline). */
#define VMMON_APIC_TIMER_IN_KERNEL	(1U << 2)
/* run.apic.flags (in): and fixed IPIs between such vCPUs. */
#define VMMON_APIC_IPI_IN_KERNEL	(1U << 3)
/* run.apic.flags (in): and a HLT waits in RUN for an IPI or a signal. */
#define VMMON_APIC_HLT_IN_KERNEL	(1U << 4)
#define VMMON_APIC_VEC_WORDS		8	/* 256 vectors, 32 a word */
/* run.apic.flat_id (in): a logical ID that is not flat (see above). */
#define VMMON_APIC_NOT_FLAT		(1U << 31)

/*
 * struct vmmon_apic_vectors - run.apic: a local APIC's in-service,
 * trigger-mode and request registers, vector v in bit v % 32 of word
 * v / 32, its interrupt command register and its timer's TSC deadline,
 * shared with vmmon (see VMMON_EXIT_EOI above).
 */
struct vmmon_apic_vectors {
	__u32 flags;
	__u32 pad;
	__u32 isr[VMMON_APIC_VEC_WORDS];
	__u32 tmr[VMMON_APIC_VEC_WORDS];
	__u32 irr[VMMON_APIC_VEC_WORDS];
	__u32 icr_low;		/* VMMON_APIC_ICR_IN_KERNEL and
				 * VMMON_APIC_IPI_IN_KERNEL: ICR 31:0 */
	__u32 icr_high;		/* and 63:32, the xAPIC offset 0x310 */
	__u64 tsc_deadline;	/* VMMON_APIC_TIMER_IN_KERNEL: 0 disarmed */
	__u32 flat_id;		/* VMMON_APIC_IPI_IN_KERNEL: flat logical
				 * ID (LDR 31:24), or VMMON_APIC_NOT_FLAT */
	__u32 pad2;
};

struct vmmon_run {
	__u32 exit_reason;
	__u8 request_interrupt_window;	/* in */
	__u8 ready_for_interrupt;
	__u8 if_flag;
	__u8 immediate_exit;		/* in */
	union {
		struct {
			__u16 port;
			__u8 size;		/* 1, 2 or 4 */
			__u8 direction;		/* VMMON_IO_OUT or _IN */
			__u32 count;		/* items at data_offset */
			__u64 data_offset;
		} io;
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;		/* 1, 2, 4 or 8 */
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		struct {
			__u64 nr;
			__u64 args[4];
			__u64 ret;		/* in */
		} hypercall;
		struct {
			__u32 index;
			__u8 is_write;
			__u8 error;		/* in: 1 gives the guest #GP */
			__u8 pad[2];
			__u64 data;		/* in for a read */
		} msr;
		struct {
			__u32 hw_reason;	/* the exit reason, bit 31 set */
			__u32 pad;
			__u64 qualification;
		} fail_entry;
		struct {
			__u32 suberror;
			__u32 pad;
			__u64 data[4];
		} internal;
		__u8 padding[256];
	};
	__u8 data[VMMON_IO_DATA_MAX];	/* I/O data lands here (io.data_offset) */
	struct vmmon_apic_vectors apic;	/* in and out: see above */
};

/* Limits of one VM's guest-physical memory. */
#define VMMON_MAX_MEM_REGIONS	8
#define VMMON_MAX_GUEST_MEMORY	(64ULL << 30)

/*
 * struct vmmon_memory_region - VMMON_SET_MEMORY_REGION, on a VM fd
 * @guest_phys: in, guest-physical start, page-aligned.
 * @size:       in, bytes, page-aligned, not zero.
 * @flags:      in, zero.
 * @pad:        in, zero.
 * Adds RAM to the guest.  EINVAL for misalignment, a zero size, an end
 * past 2^48 (what 4-level EPT maps) or nonzero flags/pad; EEXIST when it overlaps a region;
 * ENOSPC past VMMON_MAX_MEM_REGIONS; E2BIG past VMMON_MAX_GUEST_MEMORY in
 * all; ENOMEM when the module's map of the region (8 bytes a page)
 * cannot be had.
 */
struct vmmon_memory_region {
	__u64 guest_phys;
	__u64 size;
	__u32 flags;
	__u32 pad;
};

/*
 * struct vmmon_memory_range - VMMON_DISCARD_MEMORY, on a VM fd
 * @guest_phys, @size: in, page-aligned, not zero, inside guest RAM.
 * @flags, @pad:       in, zero.
 * Gives the host pages behind the range back (as the guest's balloon
 * will): the guest and userspace's mappings find zeroed pages there at
 * their next touch, allocated anew.  EINVAL when the range is misaligned
 * or not all RAM.  Safe while vCPUs run: every CPU drops its cached
 * translations of those pages before they are freed.
 */
struct vmmon_memory_range {
	__u64 guest_phys;
	__u64 size;
	__u32 flags;
	__u32 pad;
};

/*
 * struct vmmon_accessed - VMMON_SAMPLE_ACCESSED, on a VM fd
 * @guest_phys: in, page-aligned start, inside guest RAM.
 * @nr_pages:   in, 1 .. VMMON_MAX_SAMPLE_PAGES, all of them RAM.
 * @bitmap:     in, user pointer to (nr_pages + 7) / 8 bytes: bit i set
 *              when the guest touched page i since the last sample.
 * @flags, @pad: in, zero.
 * Reads and clears the accessed flags of the hardware's page tables, as
 * ESX samples idle memory.  EOPNOTSUPP when the CPU has no EPT A/D flags
 * (VMMON_CAP_EPT_AD_BITS); EINVAL for a range that is not all RAM;
 * EFAULT for a bitmap it cannot write, after which the flags of the range
 * may have been cleared already.
 */
#define VMMON_MAX_SAMPLE_PAGES	(1U << 20)

struct vmmon_accessed {
	__u64 guest_phys;
	__u64 nr_pages;
	__u64 bitmap;
	__u32 flags;
	__u32 pad;
};

/*
 * Exits counted by reason, per vCPU and per VM (the sum of its vCPUs):
 * the index into vmmon_exit_stats.count.  Exits handled inside vmmon
 * count as well as those that reach userspace.
 */
enum vmmon_stat_exit {
	VMMON_STAT_EXIT_IO		= 0,	/* port I/O (each exit, not each item) */
	VMMON_STAT_EXIT_MMIO		= 1,
	VMMON_STAT_EXIT_HLT		= 2,
	VMMON_STAT_EXIT_HYPERCALL	= 3,
	VMMON_STAT_EXIT_CPUID		= 4,
	VMMON_STAT_EXIT_MSR		= 5,	/* RDMSR and WRMSR */
	VMMON_STAT_EXIT_CR		= 6,	/* control-register accesses */
	VMMON_STAT_EXIT_EPT_FAULT	= 7,	/* a RAM page mapped on first use */
	VMMON_STAT_EXIT_EXT_INTR	= 8,	/* a host interrupt */
	VMMON_STAT_EXIT_PREEMPT		= 9,	/* the time slice ran out */
	VMMON_STAT_EXIT_IRQ_WINDOW	= 10,
	VMMON_STAT_EXIT_OTHER		= 11,	/* XSETBV, NMI, failures */
	VMMON_STAT_EXIT_CACHE		= 12,	/* WBINVD, INVD: skipped */
	VMMON_STAT_EXIT_NR		= 16,	/* room for more */
};

struct vmmon_exit_stats {
	__u64 total;
	__u64 count[VMMON_STAT_EXIT_NR];
};

/*
 * struct vmmon_vm_stats - VMMON_GET_VM_STATS, on a VM fd
 * @pages_resident: guest pages backed by host memory now.
 * @exits:          exits of all its vCPUs.
 */
struct vmmon_vm_stats {
	__u64 pages_resident;
	__u64 reserved[7];		/* zero */
	struct vmmon_exit_stats exits;
};

/*
 * struct vmmon_vcpu_stats - VMMON_GET_VCPU_STATS, on a vCPU fd
 * @exits:    its exits.
 * @loads:    how often its state was loaded onto a CPU: when it was
 *            created, when its thread moved to another CPU, after
 *            suspend or a CPU going offline.  Not at each RUN: the state stays
 *            on the CPU across returns to userspace.
 * @reserved: zero.
 */
struct vmmon_vcpu_stats {
	struct vmmon_exit_stats exits;
	__u64 loads;
	__u64 reserved[7];
};

/*
 * struct vmmon_cpuid - VMMON_SET_CPUID / VMMON_GET_CPUID, on a vCPU fd
 * The guest's CPUID table: CPUID exits are answered from it inside
 * vmmon, exactly as set (no bit is computed but CPUID.1:ECX.OSXSAVE,
 * which follows CR4.OSXSAVE, and CPUID.1:EDX.APIC, which follows
 * IA32_APIC_BASE), and a leaf/subleaf that is not in it reads as all
 * zeros.  A new vCPU's table is empty.  A feature the table hides
 * faults as on a CPU without it: its CR4 bit (OSXSAVE, PCIDE, FSGSBASE,
 * SMEP, SMAP, UMIP, PKE, LA57) #GPs in MOV to CR4 and gives EINVAL in
 * SET_SREGS; RDTSCP and RDPID #UD without CPUID.80000001H:EDX.RDTSCP
 * or CPUID.7.0:ECX.RDPID, INVPCID without CPUID.7.0:EBX.INVPCID; its
 * MSRs #GP (see VMMON_GET_MSRS).  So set the table before SET_SREGS.
 * After the vCPU's first RUN, SET_CPUID takes only the same table again
 * (EBUSY otherwise): the guest may already use what it offered.
 * @nent:    SET: entries that follow (at most VMMON_MAX_CPUID_ENTRIES);
 *           GET: in, room for entries; out, entries written.  E2BIG when
 *           the table holds more than the room given (nent then says how
 *           many it holds).
 * An entry with VMMON_CPUID_FLAG_INDEX matches @function and @index;
 * without it, @function whatever ECX is (and @index must be 0).  Two
 * entries for the same leaf and subleaf give EINVAL.
 */
#define VMMON_MAX_CPUID_ENTRIES	256
#define VMMON_CPUID_FLAG_INDEX	1

struct vmmon_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 pad;
};

struct vmmon_cpuid {
	__u32 nent;
	__u32 pad;
	struct vmmon_cpuid_entry entries[];
};

/*
 * struct vmmon_msrs - VMMON_GET_MSRS / VMMON_SET_MSRS, on a vCPU fd
 * @nmsrs: entries that follow, at most VMMON_MAX_MSR_ENTRIES.
 * All or nothing: EINVAL when one index is not an MSR vmmon emulates, or
 * (SET) when a value is one the guest could not write either; nothing is
 * changed then.  The MSRs vmmon emulates, the guest's RDMSR and WRMSR
 * included (any other gives the guest #GP):
 *   IA32_TSC (0x10)            reads the host TSC plus the guest's offset;
 *                              the guest's write moves TSC_ADJUST too
 *   IA32_APIC_BASE (0x1b)      0xfee00000, enabled, BSP flag on vCPU 0;
 *                              clearing the enable bit clears
 *                              CPUID.1:EDX.APIC; x2APIC mode with
 *                              CPUID x2APIC (see VMMON_EXIT_MSR)
 *   IA32_TSC_ADJUST (0x3b)     with CPUID.7.0:EBX.TSC_ADJUST
 *   IA32_UCODE_REV (0x8b), IA32_MTRRCAP (0xfe), IA32_MTRR_DEF_TYPE (0x2ff)
 *   IA32_SYSENTER_CS/ESP/EIP (0x174-0x176), IA32_PAT (0x277)
 *   IA32_MCG_CAP (0x179, read-only: 10 banks), IA32_MCG_STATUS (0x17a),
 *   IA32_MCi_CTL/STATUS/ADDR/MISC (0x400-0x427)
 *                              with CPUID.1:EDX.MCA; CTL takes 0 or all
 *                              ones, STATUS only 0 from the guest
 *   IA32_MISC_ENABLE (0x1a0)   fast strings, TCC, EIST, xTPR writable
 *   IA32_DEBUGCTL (0x1d9)      BTF only
 *   IA32_EFER (0xc0000080)     SCE, LME, LMA (read-only), NXE
 *   STAR, LSTAR, CSTAR, SFMASK (0xc0000081-0xc0000084)
 *   FS_BASE, GS_BASE, KERNEL_GS_BASE (0xc0000100-0xc0000102)
 *   TSC_AUX (0xc0000103)       with CPUID RDTSCP or RDPID
 * "With CPUID X": the guest's RDMSR and WRMSR #GP unless the vCPU's
 * CPUID table offers X; userspace reaches them always.
 */
#define VMMON_MAX_MSR_ENTRIES	64

struct vmmon_msr_entry {
	__u32 index;
	__u32 pad;
	__u64 data;
};

struct vmmon_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct vmmon_msr_entry entries[];
};

/*
 * struct vmmon_interrupt - VMMON_INTERRUPT, on a vCPU fd
 * @vector: in, 0..255: an external interrupt, delivered through the
 *          guest's IDT (or real-mode IVT) as soon as RFLAGS.IF and the
 *          interrupt shadow allow (before the guest's next instruction
 *          if they do now).  Any vector, as on hardware: one below 32
 *          runs the handler of that exception's vector, without an
 *          error code (a real-mode BIOS puts IRQ 0 at vector 8).
 * @pad:    in, zero.
 * One interrupt waits at a time: EBUSY while the last one has not been
 * delivered yet, EINVAL for a vector above 255.
 */
struct vmmon_interrupt {
	__u32 vector;
	__u32 pad;
};

/*
 * VMMON_NMI, on a vCPU fd: a non-maskable interrupt for the guest (the
 * LAPIC's NMI delivery mode, LINT1 wired to NMI, a self-NMI), delivered
 * through IDT vector 2 as soon as the guest is not blocking NMIs: not
 * inside an NMI handler (until its IRET), not right after MOV SS or
 * STI.  As on hardware one NMI waits at most: an NMI sent while another
 * waits is merged with it.  Never refused.
 */

#define VMMON_GET_API_VERSION	_IOR(VMMON_IOCTL_TYPE, 0x00, struct vmmon_version)
#define VMMON_CHECK_CAP		_IOWR(VMMON_IOCTL_TYPE, 0x01, struct vmmon_cap_query)
#define VMMON_CREATE_VM		_IOW(VMMON_IOCTL_TYPE, 0x02, struct vmmon_create_vm)

/* On a VM fd */
#define VMMON_SET_MEMORY_REGION	_IOW(VMMON_IOCTL_TYPE, 0x10, struct vmmon_memory_region)
#define VMMON_GET_VM_STATS	_IOR(VMMON_IOCTL_TYPE, 0x11, struct vmmon_vm_stats)
#define VMMON_CREATE_VCPU	_IOW(VMMON_IOCTL_TYPE, 0x12, struct vmmon_create_vcpu)
#define VMMON_DISCARD_MEMORY	_IOW(VMMON_IOCTL_TYPE, 0x13, struct vmmon_memory_range)
#define VMMON_SAMPLE_ACCESSED	_IOW(VMMON_IOCTL_TYPE, 0x14, struct vmmon_accessed)
#define VMMON_SET_NAME		_IOW(VMMON_IOCTL_TYPE, 0x15, struct vmmon_name)
#define VMMON_SET_SHARE_GROUP	_IOW(VMMON_IOCTL_TYPE, 0x16, struct vmmon_name)

/* On a vCPU fd */
#define VMMON_RUN		_IO(VMMON_IOCTL_TYPE, 0x20)
#define VMMON_GET_REGS		_IOR(VMMON_IOCTL_TYPE, 0x21, struct vmmon_regs)
#define VMMON_SET_REGS		_IOW(VMMON_IOCTL_TYPE, 0x22, struct vmmon_regs)
#define VMMON_GET_SREGS		_IOR(VMMON_IOCTL_TYPE, 0x23, struct vmmon_sregs)
#define VMMON_SET_SREGS		_IOW(VMMON_IOCTL_TYPE, 0x24, struct vmmon_sregs)
#define VMMON_SET_CPUID		_IOW(VMMON_IOCTL_TYPE, 0x25, struct vmmon_cpuid)
#define VMMON_GET_CPUID		_IOWR(VMMON_IOCTL_TYPE, 0x26, struct vmmon_cpuid)
#define VMMON_GET_MSRS		_IOWR(VMMON_IOCTL_TYPE, 0x27, struct vmmon_msrs)
#define VMMON_SET_MSRS		_IOW(VMMON_IOCTL_TYPE, 0x28, struct vmmon_msrs)
#define VMMON_INTERRUPT		_IOW(VMMON_IOCTL_TYPE, 0x29, struct vmmon_interrupt)
#define VMMON_GET_VCPU_STATS	_IOR(VMMON_IOCTL_TYPE, 0x2a, struct vmmon_vcpu_stats)
#define VMMON_NMI		_IO(VMMON_IOCTL_TYPE, 0x2b)

#endif /* _UAPI_VMMON_H */
