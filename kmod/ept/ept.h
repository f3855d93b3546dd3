/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Extended page tables: the hardware's view of a VM's pmap.  Entries are
 * made only from pages the pmap hands out (vmmon_vm_fault_in()) and
 * removed when the pmap gives a page up, so the pmap stays the one owner
 * of guest memory.
 */
#ifndef VMMON_EPT_H
#define VMMON_EPT_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct page;

struct vmmon_ept {
	struct page *root;	/* the PML4 table */
	struct mutex lock;	/* table allocation and entry updates */
	bool ad;		/* accessed/dirty flags on */
	/* Bumped when entries were removed: CPUs flush before their next entry. */
	atomic64_t flush_gen;
	/*
	 * The CPUs running a guest on these tables now (set before the
	 * entries of a run, cleared after): the only ones a flush must kick.
	 */
	cpumask_var_t running;
	/* Unique for the module's lifetime: the VM, for the IBPB of vmx_spec.c. */
	u64 serial;
};

int vmmon_ept_init(struct vmmon_ept *ept, bool ad);
void vmmon_ept_destroy(struct vmmon_ept *ept);
int vmmon_ept_map(struct vmmon_ept *ept, u64 gpa, u64 hpa, bool writable);
bool vmmon_ept_unmap(struct vmmon_ept *ept, const u64 *gfns, unsigned int n);
bool vmmon_ept_test_and_clear_accessed(struct vmmon_ept *ept, u64 gpa);
u64 vmmon_ept_pointer(struct vmmon_ept *ept);

#endif /* VMMON_EPT_H */
