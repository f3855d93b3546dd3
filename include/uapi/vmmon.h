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
 *                       the fd is dropped (close, exit, or the last dup).
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
 * past 2^52 or nonzero flags/pad; EEXIST when it overlaps a region;
 * ENOSPC past VMMON_MAX_MEM_REGIONS; E2BIG past VMMON_MAX_GUEST_MEMORY in
 * all.
 */
struct vmmon_memory_region {
	__u64 guest_phys;
	__u64 size;
	__u32 flags;
	__u32 pad;
};

/*
 * struct vmmon_vm_stats - VMMON_GET_VM_STATS, on a VM fd
 * @pages_resident: guest pages backed by host memory now.
 * @reserved:       zero; room for counters to come.
 */
struct vmmon_vm_stats {
	__u64 pages_resident;
	__u64 reserved[7];
};

#define VMMON_GET_API_VERSION	_IOR(VMMON_IOCTL_TYPE, 0x00, struct vmmon_version)
#define VMMON_CHECK_CAP		_IOWR(VMMON_IOCTL_TYPE, 0x01, struct vmmon_cap_query)
#define VMMON_CREATE_VM		_IOW(VMMON_IOCTL_TYPE, 0x02, struct vmmon_create_vm)

/* On a VM fd */
#define VMMON_SET_MEMORY_REGION	_IOW(VMMON_IOCTL_TYPE, 0x10, struct vmmon_memory_region)
#define VMMON_GET_VM_STATS	_IOR(VMMON_IOCTL_TYPE, 0x11, struct vmmon_vm_stats)

#endif /* _UAPI_VMMON_H */
