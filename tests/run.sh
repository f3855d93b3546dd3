#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module's test suites.  In the test image this is /vmmon/run.sh,
# started by the image's init; on a real VT-x host scripts/check-host.sh
# runs it as root.  The programs and vmmon.ko sit beside it.
# usage: run.sh [tests|demo]
here=${0%/*}
mode=${1:-tests}

run_suites() {
	"$here/suite.sh" vmmon_load "$here/vmmon_load_test" --module "$here/vmmon.ko"
	# Where the load suite checked a refusal (no VT-x, or not enough of
	# it), nothing more can run; the caller knows which suites to expect.
	# The others (listed in module-suites) each load and unload it.
	if insmod "$here/vmmon.ko" 2>/dev/null; then
		rmmod vmmon
		for suite in $(cat "$here/module-suites"); do
			# vmctl_boot boots Linux twice inside the guest,
			# vmctl_balloon once with 256 MiB;
			# vmctl_console runs 15 sessions, each a VM.
			case $suite in
			vmctl_boot) t=900 ;;
			vmctl_balloon) t=900 ;;
			# two Linux guests at once, three phases of the policy
			vmctl_memsched) t=1200 ;;
			vmctl_console) t=600 ;;
			# four Linux guests at once, three times (issue 15's measurement)
			vmctl_ksm) t=1800 ;;
			# the page-sharing scanner's rounds over 2-3 VMs each test
			vmmon_ksm) t=600 ;;
			# SeaBIOS 4 times, then 4 Linux disk boots through it
			vmctl_firmware) t=900 ;;
			*) t=${SUITE_TIMEOUT:-300} ;;
			esac
			SUITE_TIMEOUT=$t "$here/suite.sh" "$suite" \
				"$here/${suite}_test" --module "$here/vmmon.ko"
		done
	fi
}

# The main job, shown: vmmon loaded, then vmctl booting a Debian Linux
# guest on 2 vCPUs whose console streams here, judged as the suite "demo".
demo() {
	log=/tmp/demo-console.log
	echo "== insmod vmmon.ko"
	insmod "$here/vmmon.ko" || return 1
	dmesg | grep 'vmmon:' | tail -n 1
	echo "== vmctl info"
	"$here/vmctl" info
	echo "== vmctl run: a Debian 6.1 guest on 2 vCPUs with a virtio-blk disk; its console follows"
	cp "$here/guest/disk.img" /tmp/demo-disk.img
	{
		"$here/vmctl" run --kernel "$here/guest/bzImage" \
			--initrd "$here/guest/initrd.img" \
			--append "console=ttyS0 panic=-1 cryptomgr.notests vmmon.nonce=demo" \
			-m 128M -c 2 --stats /tmp/demo-disk.img </dev/null
		echo "== vmctl exit status $?"
	} 2>&1 | tee "$log"
	echo "== vmctl run grub.img: a disk with its own boot loader (GRUB), through SeaBIOS; its console follows"
	cp "$here/disks/grub.img" /tmp/demo-grub.img
	{
		"$here/vmctl" run --firmware "$here/bios-256k.bin" -m 128M \
			--stats /tmp/demo-grub.img </dev/null
		echo "== vmctl disk boot exit status $?"
	} 2>&1 | tee -a "$log"
	rmmod vmmon
	echo "# vmmon suite: demo begin"
	echo "TAP version 13"
	echo "1..6"
	n=0 pass=0
	for want in "VMMON-GUEST: cpus 2 " "VMMON-GUEST: read ok" \
		    "VMMON-GUEST: write ok" "== vmctl exit status 0" \
		    "VMMON-DISK: write ok" "== vmctl disk boot exit status 0"; do
		n=$((n + 1))
		if grep -q "$want" "$log"; then
			echo "ok $n $want"
			pass=$((pass + 1))
		else
			echo "not ok $n $want"
		fi
	done
	echo "# Totals: pass:$pass fail:$((n - pass)) xfail:0 xpass:0 skip:0 error:0"
	echo "# vmmon suite: demo end rc=0"
}

case $mode in
tests) run_suites ;;
demo) demo ;;
*) echo "run.sh: unknown mode '$mode' (tests or demo)" >&2; exit 2 ;;
esac
