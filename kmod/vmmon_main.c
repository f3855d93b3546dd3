// SPDX-License-Identifier: GPL-2.0
/*
 * vmmon: a type-II hypervisor.  Module life cycle, /dev/vmmon and its
 * ioctls, and the sysfs counters beside it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <uapi/vmmon.h>
#include "vmmon_core.h"
#include "vmmon_vm.h"
#include "vmmon_pmap.h"

static const struct vmmon_hw_ops *vmmon_backend = &vmx_hw_ops;

static long vmmon_ioctl_version(void __user *uarg)
{
	struct vmmon_version ver = { .api = VMMON_API_VERSION };

	return copy_to_user(uarg, &ver, sizeof(ver)) ? -EFAULT : 0;
}

static long vmmon_ioctl_check_cap(void __user *uarg)
{
	struct vmmon_cap_query q;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (q.pad)
		return -EINVAL;
	if (q.cap == VMMON_CAP_NR_CPUS)
		q.value = num_online_cpus();
	else
		q.value = vmmon_hw_cap(q.cap);
	return copy_to_user(uarg, &q, sizeof(q)) ? -EFAULT : 0;
}

static long vmmon_ioctl_create_vm(void __user *uarg)
{
	struct vmmon_create_vm args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	return vmmon_vm_create(&args);
}

static long vmmon_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMMON_GET_API_VERSION:
		return vmmon_ioctl_version(uarg);
	case VMMON_CHECK_CAP:
		return vmmon_ioctl_check_cap(uarg);
	case VMMON_CREATE_VM:
		return vmmon_ioctl_create_vm(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmmon_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmmon_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static ssize_t vms_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmon_vm_count());
}
static DEVICE_ATTR_RO(vms);

static ssize_t vmx_cpus_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmon_hw_cpus_on());
}
static DEVICE_ATTR_RO(vmx_cpus);

static ssize_t guest_pages_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", vmmon_pmap_resident_all());
}
static DEVICE_ATTR_RO(guest_pages);

static ssize_t vcpus_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmon_vcpu_count());
}
static DEVICE_ATTR_RO(vcpus);

static struct attribute *vmmon_dev_attrs[] = {
	&dev_attr_vcpus.attr,
	&dev_attr_vms.attr,
	&dev_attr_vmx_cpus.attr,
	&dev_attr_guest_pages.attr,
	NULL,
};

static const struct attribute_group vmmon_dev_group = {
	.attrs = vmmon_dev_attrs,
};

/* The core's files, and the backend's (set at init). */
static const struct attribute_group *vmmon_dev_groups[3] = {
	&vmmon_dev_group,
};

/* Mode without udev; the project's udev rule adds group vmmon. */
static struct miscdevice vmmon_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmmon",
	.fops = &vmmon_dev_fops,
	.groups = vmmon_dev_groups,
	.mode = 0600,
};

static int __init vmmon_init(void)
{
	int err;

	err = vmmon_backend->init();
	if (err)
		return err;
	err = vmmon_hw_setup(vmmon_backend);
	if (err)
		goto fini_backend;
	err = vmmon_vm_setup();
	if (err)
		goto teardown_hw;
	vmmon_dev_groups[1] = vmmon_backend->sysfs_group;
	/* Stopped after the family is gone: netlink may kick it. */
	vmmon_memsched_setup();
	/* Before /dev/vmmon: a VM's first event needs the family. */
	err = vmmon_genl_setup();
	if (err) {
		pr_err("cannot register the generic netlink family (%d)\n", err);
		goto teardown_vm;
	}
	err = misc_register(&vmmon_miscdev);
	if (err) {
		pr_err("cannot register /dev/vmmon (%d)\n", err);
		goto teardown_genl;
	}
	pr_info("%s ready on %u CPU%s, API %d: %s\n", vmmon_backend->name,
		num_online_cpus(), num_online_cpus() == 1 ? "" : "s",
		VMMON_API_VERSION, vmmon_backend->describe());
	return 0;

teardown_genl:
	vmmon_genl_teardown();
teardown_vm:
	vmmon_memsched_teardown();
	vmmon_vm_teardown();
teardown_hw:
	vmmon_hw_teardown();
fini_backend:
	vmmon_backend->fini();
	return err;
}

static void __exit vmmon_exit(void)
{
	misc_deregister(&vmmon_miscdev);
	vmmon_genl_teardown();
	vmmon_memsched_teardown();
	vmmon_vm_teardown();
	vmmon_hw_teardown();
	vmmon_backend->fini();
	pr_info("unloaded\n");
}

module_init(vmmon_init);
module_exit(vmmon_exit);
MODULE_DESCRIPTION("vmmon: a type-II hypervisor with ESX-style memory management");
MODULE_LICENSE("GPL");
