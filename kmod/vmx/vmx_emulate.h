/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An MMIO instruction between its exit and its completion, the state
 * vmx_emulate.c keeps in struct vmx_vcpu (its field mmio).
 *
 * Each access to device memory is one exit to userspace.  An
 * instruction that only writes (MOV, MOVNTI, STOS, MOVS to the device)
 * completes at its exit.  One that reads (MOV, the ALU and bit
 * instructions, XCHG, MOVS from the device) leaves the read to
 * userspace and is completed at the next RUN by vmx_mmio_complete():
 * the register, RFLAGS and RIP are updated then, and a read-modify-write
 * (ADD..XOR, NOT, NEG, INC, DEC, BTS..BTC, XCHG) hands its write to
 * userspace as a second exit before the guest runs again.
 */
#ifndef VMMON_VMX_EMULATE_H
#define VMMON_VMX_EMULATE_H

#include <linux/types.h>
#include "x86/x86_decode.h"

struct vmx_mmio_op {
	struct x86_mmio_insn insn;	/* decoded at the exit */
	u64 gpa;			/* the device address that faulted */
	/*
	 * MOVS from the device: the guest-linear address of the RAM
	 * destination, translated again with vx->paging at completion.
	 */
	u64 ram_la;
};

#endif /* VMMON_VMX_EMULATE_H */
