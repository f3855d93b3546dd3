/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest linear to guest-physical address translation through the guest's
 * own page tables, for the accesses the host carries out on the guest's
 * behalf (string port I/O at DS:RSI and ES:RDI, fetching the instruction
 * behind an MMIO exit).  Pure logic, unit-tested natively
 * (tests/unit/x86_walk_test.c).
 */
#ifndef VMMON_X86_WALK_H
#define VMMON_X86_WALK_H

#include <linux/bits.h>
#include <linux/types.h>

/* The guest's control registers and IA32_EFER, as the VMCS holds them. */
struct x86_paging {
	u64 cr0, cr3, cr4, efer;
};

/*
 * Reads @len (4 or 8) bytes of guest-physical memory at @gpa into @buf;
 * returns 0 or a negative errno other than -EFAULT, which x86_walk()
 * keeps for page faults.
 */
typedef int (*x86_read_phys_fn)(void *opaque, u64 gpa, void *buf,
				unsigned int len);

/* The access to check, for x86_walk(); a fetch is never a write. */
#define X86_WALK_WRITE	BIT(0)
#define X86_WALK_USER	BIT(1)	/* CPL 3, and not an implicit supervisor access */
#define X86_WALK_FETCH	BIT(2)

/*
 * Translates linear address @la for @access in the paging mode @p selects:
 * none (CR0.PG=0), 32-bit (with 4 MiB pages under CR4.PSE, PSE-36
 * included), PAE or 4-level, with their large pages.  @la is truncated
 * to 32 bits outside IA-32e mode.
 *
 * Checks present bits, write permission (for supervisor writes only under
 * CR0.WP), user permission, execute-disable (EFER.NXE), SMEP, and the
 * reserved bits that do not depend on MAXPHYADDR (XD without NXE, PS in a
 * PML4E, the bits inside a large page's address); not SMAP or protection
 * keys.  PAE PDPTEs are read from memory, not from the PDPTE registers
 * the CPU loaded at the last CR3 write, and only their present bit is
 * checked.
 *
 * A read-only walk: it sets no accessed or dirty bit, which a guest
 * that relies on them for pages written this way does not see.
 *
 * Returns 0 with *@gpa set; -EFAULT for a page fault, with *@pf_error
 * set to its error code (X86_PF_* of <asm/trap_pf.h>); -ERANGE for a
 * non-canonical @la in IA-32e mode (a #GP or #SS, which the caller
 * tells apart by segment); -EINVAL under 5-level paging (CR4.LA57),
 * which is not implemented; or the error of @read.
 */
int x86_walk(const struct x86_paging *p, u64 la, unsigned int access,
	     x86_read_phys_fn read, void *opaque, u64 *gpa, u32 *pf_error);

#endif /* VMMON_X86_WALK_H */
