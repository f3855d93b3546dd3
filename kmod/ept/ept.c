// SPDX-License-Identifier: GPL-2.0
/*
 * 4-level EPT tables (SDM 3C 29.3.2): PML4, PDPT, PD and PT, 512 entries
 * of 8 bytes in each 4 KiB table.  Only 4 KiB mappings, read, write and
 * execute, write-back.
 */
#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/io.h>
#include "ept.h"

#define EPT_READ		BIT_ULL(0)
#define EPT_WRITE		BIT_ULL(1)
#define EPT_EXEC		BIT_ULL(2)
#define EPT_RWX			(EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_ACCESSED_BIT	8		/* with EPTP_AD_ENABLE */
#define EPT_MEMTYPE_SHIFT	3
#define EPT_MEMTYPE_WB		6ULL
/*
 * Guest RAM is write-back whatever the guest's PAT says (SDM 3A 11.11.2
 * with EPT): the host maps the same pages WB, and a page cached one way
 * and uncached another is undefined behaviour on CPUs without self-snoop
 * (KVM does the same unless a device does DMA that does not snoop).
 */
#define EPT_IGNORE_PAT		BIT_ULL(6)
#define EPT_ADDR_MASK		GENMASK_ULL(51, 12)
#define EPT_LEVELS		4
#define EPT_INDEX(gpa, level)	(((gpa) >> (12 + 9 * ((level) - 1))) & 511)
/* What one table of leaf entries maps: 512 pages. */
#define EPT_LEAF_TABLE_SHIFT	21

/* EPTP (SDM 25.6.11): memory type WB, page-walk length 4 (encoded 3). */
#define EPTP_MEMTYPE_WB		6ULL
#define EPTP_WALK_4		(3ULL << 3)
#define EPTP_AD_ENABLE		BIT_ULL(6)

/*
 * @ad: the CPU sets accessed and dirty flags in the entries, which
 * idle-memory sampling will read and clear.
 */
static atomic64_t vmmon_ept_serial = ATOMIC64_INIT(0);

int vmmon_ept_init(struct vmmon_ept *ept, bool ad)
{
	ept->ad = ad;
	ept->serial = atomic64_inc_return(&vmmon_ept_serial);
	atomic64_set(&ept->flush_gen, 0);
	if (!zalloc_cpumask_var(&ept->running, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	ept->root = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ept->root) {
		free_cpumask_var(ept->running);
		return -ENOMEM;
	}
	mutex_init(&ept->lock);
	return 0;
}

static void vmmon_ept_free_table(u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < 512; i++)
			if (table[i] & EPT_RWX)
				vmmon_ept_free_table(phys_to_virt(table[i] & EPT_ADDR_MASK),
						     level - 1);
	}
	free_page((unsigned long)table);
}

/* No vCPU of the VM is left to use the tables. */
void vmmon_ept_destroy(struct vmmon_ept *ept)
{
	vmmon_ept_free_table(page_address(ept->root), EPT_LEVELS);
	free_cpumask_var(ept->running);
}

/*
 * Map the 4 KiB guest page at @gpa to host-physical @hpa; read and
 * execute only unless @writable (a page the pmap protects: a write
 * exits with an EPT violation).  Taking write access away from a
 * mapped page needs a flush, as a removal does.
 */
int vmmon_ept_map(struct vmmon_ept *ept, u64 gpa, u64 hpa, bool writable)
{
	u64 *table = page_address(ept->root);
	struct page *page;
	int level;

	mutex_lock(&ept->lock);
	for (level = EPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[EPT_INDEX(gpa, level)];

		if (!(*entry & EPT_RWX)) {
			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page) {
				mutex_unlock(&ept->lock);
				return -ENOMEM;
			}
			*entry = page_to_phys(page) | EPT_RWX;
		}
		table = phys_to_virt(*entry & EPT_ADDR_MASK);
	}
	WRITE_ONCE(table[EPT_INDEX(gpa, 1)], (hpa & EPT_ADDR_MASK) |
		   (writable ? EPT_RWX : EPT_READ | EPT_EXEC) |
		   EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT | EPT_IGNORE_PAT);
	mutex_unlock(&ept->lock);
	return 0;
}

/* The leaf entry for @gpa, or NULL when a table on the way is missing. */
static u64 *vmmon_ept_leaf(struct vmmon_ept *ept, u64 gpa)
{
	u64 *table = page_address(ept->root), *entry;
	int level;

	for (level = EPT_LEVELS; level > 1; level--) {
		entry = &table[EPT_INDEX(gpa, level)];
		if (!(*entry & EPT_RWX))
			return NULL;
		table = phys_to_virt(*entry & EPT_ADDR_MASK);
	}
	return &table[EPT_INDEX(gpa, 1)];
}

/*
 * Whether the guest used the page at @gpa since the last call (the CPU
 * sets the accessed flag of the entry, with A/D flags on), and clear it.
 * The caller flushes the TLBs after a batch, or cached translations keep
 * the flag from being set again.
 */
bool vmmon_ept_test_and_clear_accessed(struct vmmon_ept *ept, u64 gpa)
{
	bool accessed = false;
	u64 *entry;

	mutex_lock(&ept->lock);
	entry = vmmon_ept_leaf(ept, gpa);
	if (entry && (READ_ONCE(*entry) & BIT_ULL(EPT_ACCESSED_BIT))) {
		/* The CPU sets flags atomically; so must the clearing be. */
		clear_bit(EPT_ACCESSED_BIT, (unsigned long *)entry);
		accessed = true;
	}
	mutex_unlock(&ept->lock);
	return accessed;
}

/*
 * Remove the mappings of the @n guest pages at @gfns, if they have one,
 * under one lock of the tables; a run of pages in one 2 MiB region walks
 * the tables once.  The caller flushes the TLBs (vmmon_hw()->flush_ept)
 * before freeing the pages.  Tables stay allocated.  Returns whether an
 * entry was removed.
 */
bool vmmon_ept_unmap(struct vmmon_ept *ept, const u64 *gfns, unsigned int n)
{
	u64 gpa, region, last = U64_MAX, *entry, *table = NULL;
	bool was_mapped = false;
	unsigned int i;

	mutex_lock(&ept->lock);
	for (i = 0; i < n; i++) {
		gpa = gfns[i] << PAGE_SHIFT;
		region = gpa >> EPT_LEAF_TABLE_SHIFT;
		if (region != last) {
			entry = vmmon_ept_leaf(ept, gpa);
			table = entry ? entry - EPT_INDEX(gpa, 1) : NULL;
			last = region;
		}
		if (!table)
			continue;
		entry = &table[EPT_INDEX(gpa, 1)];
		if (*entry & EPT_RWX) {
			WRITE_ONCE(*entry, 0);
			was_mapped = true;
		}
	}
	mutex_unlock(&ept->lock);
	return was_mapped;
}

u64 vmmon_ept_pointer(struct vmmon_ept *ept)
{
	return page_to_phys(ept->root) | EPTP_WALK_4 | EPTP_MEMTYPE_WB |
	       (ept->ad ? EPTP_AD_ENABLE : 0);
}
