// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walk (SDM vol. 3A chapter 4): one loop over the levels
 * of the paging mode in use, from the table CR3 points at down to the
 * entry that maps the page, gathering the permissions of every level
 * (4.6) on the way.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trap_pf.h>
#include "x86_walk.h"

#define X86_PTE_P		BIT_ULL(0)
#define X86_PTE_RW		BIT_ULL(1)
#define X86_PTE_US		BIT_ULL(2)
#define X86_PTE_PS		BIT_ULL(7)
#define X86_PTE_XD		BIT_ULL(63)
/* Bits 51:12; those above MAXPHYADDR are not known here, so kept. */
#define X86_PTE_ADDR		(BIT_ULL(52) - BIT_ULL(12))
#define X86_PTE32_ADDR		0xfffff000ULL
/* A 4 MiB page: bits 20:13 of its entry are bits 39:32 of the address. */
#define X86_PDE32_4M_RSVD	BIT_ULL(21)
#define X86_PDE32_4M_HIGH(e)	((((e) >> 13) & 0xff) << 32)
#define X86_PAE_CR3_ADDR	0xffffffe0ULL

/* Where a walk is: the table to index and the linear-address bits it covers. */
struct x86_walk_level {
	u64 table;
	unsigned int shift;		/* lowest linear-address bit of the index */
	unsigned int index_bits;
	unsigned int entry_size;	/* 4 for 32-bit paging, else 8 */
};

static int x86_read_entry(x86_read_phys_fn read, void *opaque,
			  const struct x86_walk_level *l, u64 la, u64 *entry)
{
	u64 index = (la >> l->shift) & (BIT_ULL(l->index_bits) - 1);
	u64 gpa = l->table + index * l->entry_size;
	u32 entry32;
	int err;

	if (l->entry_size == 8)
		return read(opaque, gpa, entry, 8);
	err = read(opaque, gpa, &entry32, 4);
	*entry = entry32;
	return err;
}

/* The error code of a page fault by @access, @cause being PROT and RSVD. */
static u32 x86_pf_error(const struct x86_paging *p, unsigned int access,
			u32 cause)
{
	u32 code = cause;

	if (access & X86_WALK_WRITE)
		code |= X86_PF_WRITE;
	if (access & X86_WALK_USER)
		code |= X86_PF_USER;
	/* I/D is only reported where a fetch can fault for being one. */
	if ((access & X86_WALK_FETCH) &&
	    ((p->cr4 & X86_CR4_SMEP) ||
	     ((p->cr4 & X86_CR4_PAE) && (p->efer & EFER_NX))))
		code |= X86_PF_INSTR;
	return code;
}

/* Whether @entry at level @l maps a page rather than pointing at a table. */
static bool x86_is_leaf(const struct x86_paging *p,
			const struct x86_walk_level *l, u64 entry)
{
	if (l->shift == 12)
		return true;
	if (!(entry & X86_PTE_PS))
		return false;
	if (l->entry_size == 4)
		return p->cr4 & X86_CR4_PSE;
	return l->shift == 21 || (l->shift == 30 && (p->efer & EFER_LMA));
}

/*
 * PAE PDPTEs have neither permission bits nor a page size; the CPU checks
 * their reserved bits when it loads them, at CR3 writes.
 */
static bool x86_is_pae_pdpte(const struct x86_walk_level *l)
{
	return l->index_bits == 2;
}

static bool x86_entry_reserved(const struct x86_paging *p,
			       const struct x86_walk_level *l, u64 entry,
			       bool leaf)
{
	if (l->entry_size == 4)
		return leaf && l->shift == 22 && (entry & X86_PDE32_4M_RSVD);
	if (x86_is_pae_pdpte(l))
		return false;
	if ((entry & X86_PTE_XD) && !(p->efer & EFER_NX))
		return true;
	if (l->shift == 39)
		return entry & X86_PTE_PS;
	/* Between the PAT bit (12) and the large page's address */
	return leaf && l->shift > 12 &&
	       (entry & (BIT_ULL(l->shift) - BIT_ULL(13)));
}

/*
 * The top level for @p's paging mode.  Returns 0, -ERANGE for a
 * non-canonical @la, -EINVAL under 5-level paging.  Outside IA-32e mode
 * the index and offset masks take nothing above bit 31 of @la, which is
 * the 32-bit linear address.
 */
static int x86_top_level(const struct x86_paging *p, u64 la,
			 struct x86_walk_level *l)
{
	u64 sign = BIT_ULL(47);

	if (p->efer & EFER_LMA) {
		if (p->cr4 & X86_CR4_LA57)
			return -EINVAL;
		/* Bits 63:48 must copy bit 47. */
		if ((((la & (BIT_ULL(48) - 1)) ^ sign) - sign) != la)
			return -ERANGE;
		*l = (struct x86_walk_level){ p->cr3 & X86_PTE_ADDR, 39, 9, 8 };
		return 0;
	}
	if (p->cr4 & X86_CR4_PAE)
		*l = (struct x86_walk_level){ p->cr3 & X86_PAE_CR3_ADDR, 30, 2, 8 };
	else
		*l = (struct x86_walk_level){ p->cr3 & X86_PTE32_ADDR, 22, 10, 4 };
	return 0;
}

/* SDM vol. 3A 4.6: @allowed holds the R/W and U/S bits every level has. */
static bool x86_access_denied(const struct x86_paging *p, unsigned int access,
			      u64 allowed, bool xd)
{
	bool user = access & X86_WALK_USER;

	if (user && !(allowed & X86_PTE_US))
		return true;
	if ((access & X86_WALK_WRITE) && !(allowed & X86_PTE_RW) &&
	    (user || (p->cr0 & X86_CR0_WP)))
		return true;
	if (!(access & X86_WALK_FETCH))
		return false;
	return xd || (!user && (allowed & X86_PTE_US) &&
		      (p->cr4 & X86_CR4_SMEP));
}

int x86_walk(const struct x86_paging *p, u64 la, unsigned int access,
	     x86_read_phys_fn read, void *opaque, u64 *gpa, u32 *pf_error)
{
	u64 entry, allowed = X86_PTE_RW | X86_PTE_US, page_mask, addr;
	struct x86_walk_level l;
	bool xd = false, leaf;
	int err;

	/* Without paging there is no IA-32e mode either. */
	if (!(p->cr0 & X86_CR0_PG)) {
		*gpa = (u32)la;
		return 0;
	}
	err = x86_top_level(p, la, &l);
	if (err)
		return err;

	for (;;) {
		err = x86_read_entry(read, opaque, &l, la, &entry);
		if (err)
			return err;
		if (!(entry & X86_PTE_P)) {
			*pf_error = x86_pf_error(p, access, 0);
			return -EFAULT;
		}
		leaf = x86_is_leaf(p, &l, entry);
		if (x86_entry_reserved(p, &l, entry, leaf)) {
			*pf_error = x86_pf_error(p, access,
						 X86_PF_PROT | X86_PF_RSVD);
			return -EFAULT;
		}
		if (!x86_is_pae_pdpte(&l)) {
			allowed &= entry;
			xd |= l.entry_size == 8 && (entry & X86_PTE_XD);
		}
		if (leaf)
			break;
		l.table = entry & (l.entry_size == 8 ? X86_PTE_ADDR : X86_PTE32_ADDR);
		l.index_bits = l.entry_size == 8 ? 9 : 10;
		l.shift -= l.index_bits;
	}

	if (x86_access_denied(p, access, allowed, xd)) {
		*pf_error = x86_pf_error(p, access, X86_PF_PROT);
		return -EFAULT;
	}

	page_mask = BIT_ULL(l.shift) - 1;
	if (l.entry_size == 8) {
		addr = entry & X86_PTE_ADDR;
	} else {
		addr = entry & X86_PTE32_ADDR;
		if (l.shift == 22)
			addr |= X86_PDE32_4M_HIGH(entry);
	}
	*gpa = (addr & ~page_mask) | (la & page_mask);
	return 0;
}
