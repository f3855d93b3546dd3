// SPDX-License-Identifier: GPL-2.0
/*
 * The hypercalls the module serves itself, without a trip to userspace
 * (uapi/vmmon_balloon.h): the backend hands every VMCALL of the guest
 * kernel here first, and one this does not know goes to userspace as
 * VMMON_EXIT_HYPERCALL.  Called where the vCPU's thread may sleep.
 */
#include <uapi/vmmon_balloon.h>
#include "vmmon_vm.h"

/* True when served, with the guest's RAX in *@ret: 0 or a negative errno. */
bool vmmon_hypercall(struct vmmon_vcpu *vcpu, u64 nr, const u64 args[4],
		     u64 *ret)
{
	struct vmmon_vm *vm = vcpu->vm;
	long r;

	switch (nr) {
	case VMMON_HC_BALLOON_SETUP:
		r = vmmon_balloon_setup(vm, args[0], args[1]);
		break;
	case VMMON_HC_BALLOON_KICK:
		r = vmmon_balloon_kick(vm);
		break;
	default:
		return false;
	}
	*ret = r;
	return true;
}
