#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-host: on a real VT-x host (a workstation, a nested-virt cloud
# VM), as root, run the module suites against the running kernel with
# insmod, and judge them as the emulated runs are judged, kernel log and
# taint included.  KVM must not hold VT-x (unload kvm_intel, or boot 6.12+
# with kvm.enable_virt_at_load=0).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "check-host: run as root (it loads vmmon.ko)" >&2; exit 1; }
grep -qw vmx /proc/cpuinfo || echo "check-host: this CPU shows no VT-x: only the refusal is tested" >&2

make module userspace O=build/host
# The Linux guest vmctl_boot boots (Debian's 6.1 cloud kernel).
scripts/kernel-fetch.sh 6.1-cloud >/dev/null
scripts/mkguest.sh build/guest
stage=build/host/stage
scripts/stage-payload.sh "$stage" vmmon.ko build/host build/guest

# The same report lines as the test image's init (tests/image/init).
log=build/host/run.log
taint_before=$(cat /proc/sys/kernel/tainted)
{
	echo "vmmon-image: tests begin" | tee /dev/kmsg
	"$stage/run.sh" tests
	echo "vmmon-image: run.sh exit=$?"
	echo "vmmon-image: taint before=$taint_before after=$(cat /proc/sys/kernel/tainted)"
	echo "vmmon-image: dmesg begin"
	dmesg | sed -n '/vmmon-image: tests begin/,$p'
	echo "vmmon-image: dmesg end"
	echo "vmmon-image: done"
} 2>&1 | tee "$log"
scripts/ktap-check.sh --serial "$log" vmmon_load $(cat tests/module-suites)
