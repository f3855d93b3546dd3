// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID table.  Userspace decides what the guest sees (as
 * with KVM_SET_CPUID2); vmmon answers CPUID exits from the table without
 * a trip to userspace and computes nothing, so a test can expect exactly
 * what it set.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "vmmon_vm.h"

static bool vmmon_cpuid_same_leaf(const struct vmmon_cpuid_entry *a,
				  const struct vmmon_cpuid_entry *b)
{
	return a->function == b->function &&
	       (!(a->flags & VMMON_CPUID_FLAG_INDEX) ||
		!(b->flags & VMMON_CPUID_FLAG_INDEX) || a->index == b->index);
}

static int vmmon_cpuid_check(const struct vmmon_cpuid_entry *e,
			     unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		if (e[i].pad || e[i].flags & ~VMMON_CPUID_FLAG_INDEX)
			return -EINVAL;
		if (!(e[i].flags & VMMON_CPUID_FLAG_INDEX) && e[i].index)
			return -EINVAL;
		/* Quadratic, but n is at most VMMON_MAX_CPUID_ENTRIES. */
		for (j = 0; j < i; j++)
			if (vmmon_cpuid_same_leaf(&e[i], &e[j]))
				return -EINVAL;
	}
	return 0;
}

long vmmon_cpuid_set(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_cpuid __user *ucpuid = uarg;
	struct vmmon_cpuid hdr;
	struct vmmon_cpuid_entry *e = NULL;
	int err;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad || hdr.nent > VMMON_MAX_CPUID_ENTRIES)
		return -EINVAL;
	if (hdr.nent) {
		e = memdup_user(ucpuid->entries, hdr.nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	err = vmmon_cpuid_check(e, hdr.nent);
	/*
	 * Once the guest ran, it may use what the table offered (a CR4 bit
	 * it set): as KVM, only the same table again.
	 */
	if (!err && vcpu->ran && (hdr.nent != vcpu->cpuid_nent ||
				  (hdr.nent && memcmp(e, vcpu->cpuid,
						      hdr.nent * sizeof(*e)))))
		err = -EBUSY;
	if (err) {
		kfree(e);
		return err;
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = hdr.nent;
	vcpu->cpuid_gen++;
	return 0;
}

long vmmon_cpuid_get(struct vmmon_vcpu *vcpu, void __user *uarg)
{
	struct vmmon_cpuid __user *ucpuid = uarg;
	struct vmmon_cpuid hdr;
	u32 room;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad)
		return -EINVAL;
	room = hdr.nent;
	hdr.nent = vcpu->cpuid_nent;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < vcpu->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(ucpuid->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}

/* EAX, EBX, ECX, EDX of CPUID(@function, @index) for the guest. */
void vmmon_cpuid_lookup(struct vmmon_vcpu *vcpu, u32 function, u32 index,
			u32 out[4])
{
	const struct vmmon_cpuid_entry *e;
	unsigned int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		e = &vcpu->cpuid[i];
		if (e->function != function ||
		    (e->flags & VMMON_CPUID_FLAG_INDEX && e->index != index))
			continue;
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		return;
	}
	out[0] = out[1] = out[2] = out[3] = 0;
}
