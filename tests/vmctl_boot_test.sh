#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmctl run boots Linux: Debian's 6.1 cloud kernel with a busybox initramfs
# (scripts/mkguest.sh, tests/guest/init) on 1 and then 2 vCPUs, with a
# virtio-blk disk (a scratch copy of the guest's disk.img).  The 1-vCPU
# boot adds pci=nomsi, so that its disk interrupts are INTx, routed by the
# DSDT's _PRT to the I/O APIC (review vmctl.md #14); the others use MSI-X
# and vmmon.button=1: the guest then waits for the ACPI power button,
# which SIGTERM to vmctl presses (#8), before it powers off.  The 1-vCPU
# boot also has --no-balloon: the guest's balloon driver must not find
# vmmon's CPUID leaves there, and must find them in the others.
# Per vCPU count:
#   boot_Ncpu  vmctl exits 0 (ACPI power-off) and the guest reported
#              booted, cpus N, mem (the firmware's System RAM within 4 MiB
#              below -m), balloon absent (1 vCPU) or found, read ok,
#              write ok, taint 0 and poweroff, with no
#              FAIL and no kernel Oops/BUG/WARNING/panic on the console
#   disk_Ncpu  on the host, the disk copy mounted read-only (loop, ext2)
#              holds data.bin unchanged and out.bin as the guest should
#              have written it: "vmmon-guest nonce=NONCE\n" (NONCE new for
#              this run, on the guest's command line) and bytes 64..128 KiB
#              of data.bin, its sha256 in out.sha256
# and last, vmmon_clean: no VM, vCPU or guest page left, module unloaded.
# Diagnostics: host seconds (/proc/uptime) to the guest's "booted" line and
# to vmctl's end, the guest's own timestamp there, and vmctl's --stats line.
#
# usage: vmctl_boot_test [--module vmmon.ko]
# Settings (environment), for a real VT-x host as well as the Bochs rig:
#   VMCTL                vmctl to run (default: beside this script)
#   VMCTL_GUEST_DIR      bzImage, initrd.img, disk.img, data.sha256
#                        (default: guest/ beside this script)
#   VMCTL_BOOT_CPUS      vCPU counts, one boot each (default "1 2")
#   VMCTL_BOOT_MEM_MB    guest RAM in MiB (default 128; the kernel needs
#                        about 96: it decompresses itself at 16 MiB)
#   VMCTL_BOOT_TIMEOUT   seconds per boot before SIGTERM (default 300),
#                        then 10 more before SIGKILL
#   VMCTL_BOOT_APPEND    guest command line, less vmmon.nonce= (default
#                        "console=ttyS0 quiet panic=-1 cryptomgr.notests")
#   VMCTL_HOST_MODDIR    where loop.ko and ext4.ko (when they are modules)
#                        are for insmod (default /lib/modules/kvm, the test
#                        image's; modprobe is tried when a file is missing)
#   TMPDIR               scratch space for the disk copies (tmpfs)
here=${0%/*}
vmctl=${VMCTL:-$here/vmctl}
guest=${VMCTL_GUEST_DIR:-$here/guest}
cpus_list=${VMCTL_BOOT_CPUS:-1 2}
mem_mb=${VMCTL_BOOT_MEM_MB:-128}
boot_timeout=${VMCTL_BOOT_TIMEOUT:-300}
append=${VMCTL_BOOT_APPEND:-console=ttyS0 quiet panic=-1 cryptomgr.notests}
host_moddir=${VMCTL_HOST_MODDIR:-/lib/modules/kvm}
module=
[ "${1:-}" = --module ] && module=$2
tmp=$(mktemp -d)
mnt=$tmp/mnt
mkdir -p "$mnt"
loaded_here=
. "$here/ktap.sh"

finish() {
	umount "$mnt" 2>/dev/null
	[ -n "$module" ] && rmmod vmmon 2>/dev/null
	for m in $loaded_here; do rmmod "$m" 2>/dev/null; done
	rm -rf "$tmp"
}
trap finish EXIT

# result NAME PROBLEMS-FILE: ok when the file is empty, else its lines.
result() {
	sed 's/^/# /' "$2"
	ktap_result "$([ -s "$2" ] && echo 1 || echo 0)" "$1"
	: >"$2"
}

missing_guest() {
	echo "# $2"
	ktap_result 1 "$1"
}

# insmod from the image's module directory, else modprobe.
load() {
	if [ -f "$host_moddir/$1.ko" ]; then
		insmod "$host_moddir/$1.ko" 2>/dev/null && loaded_here="$1 $loaded_here"
	else
		modprobe "$1" 2>/dev/null
	fi
}

# The host reads the guest's disk through a loop device and ext2 (the
# ext4 driver); Debian builds loop as a module, and ext4 in the cloud
# kernels but as a module (with its dependencies, and crc32c, which its
# mount asks for) in the plain one.
host_fs_ready() {
	[ -e /dev/loop-control ] || load loop
	if ! grep -qw ext2 /proc/filesystems; then
		for m in crc16 mbcache jbd2 crc32c_generic ext4; do load "$m"; done
	fi
	[ -e /dev/loop-control ] && grep -qw ext2 /proc/filesystems
}

uptime_s() { read -r up _ </proc/uptime; echo "$up"; }

# boot N: one vmctl run on N vCPUs, its console in $tmp/console.N,
# stderr in $tmp/stderr.N, status in $tmp/rc.N, host uptime at the start,
# at the booted line and at the end in $tmp/t0.N, $tmp/tb.N, $tmp/t1.N.
boot() {
	c=$1
	nomsi=" vmmon.button=1" nob=
	[ "$c" = 1 ] && nomsi=" pci=nomsi" nob=--no-balloon
	cp "$guest/disk.img" "$tmp/disk.$c"
	read -r nonce </proc/sys/kernel/random/uuid
	echo "$nonce" >"$tmp/nonce.$c"
	rm -f "$tmp/tb.$c" "$tmp/tp.$c"
	uptime_s >"$tmp/t0.$c"
	(
		# In the background for its pid (busybox timeout execs
		# vmctl; coreutils' passes SIGTERM on).
		timeout -k 10 "$boot_timeout" "$vmctl" run \
			--kernel "$guest/bzImage" --initrd "$guest/initrd.img" \
			--append "$append$nomsi vmmon.nonce=$nonce" \
			-m "${mem_mb}M" -c "$c" --stats $nob "$tmp/disk.$c" \
			</dev/null 2>"$tmp/stderr.$c" &
		echo $! >"$tmp/pid.$c"
		wait $!
		echo $? >"$tmp/rc.$c"
	) | tr -d '\r' | while IFS= read -r line; do
		case $line in
		*"VMMON-GUEST: booted"*) [ -f "$tmp/tb.$c" ] || uptime_s >"$tmp/tb.$c" ;;
		*"VMMON-GUEST: poweroff"*) uptime_s >"$tmp/tp.$c" ;;
		*"VMMON-GUEST: waiting for the power button"*)
			kill -TERM "$(cat "$tmp/pid.$c")" ;;
		esac
		printf '%s\n' "$line"
	done >"$tmp/console.$c"
	uptime_s >"$tmp/t1.$c"
}

# has PATTERN: the console holds a line matching the extended regex.
has() { grep -Eq -- "$1" "$log"; }

check_boot() {
	c=$1 log=$tmp/console.$1 p=$tmp/problems
	rc=$(cat "$tmp/rc.$c" 2>/dev/null)
	[ "$rc" = 0 ] || echo "vmctl exit status ${rc:-none}, expected 0 (ACPI power-off)" >>"$p"
	has 'VMMON-GUEST: booted' || echo "no 'VMMON-GUEST: booted'" >>"$p"
	has "VMMON-GUEST: cpus $c( |\$)" ||
		echo "no 'VMMON-GUEST: cpus $c'$(grep -o 'VMMON-GUEST: cpus.*' "$log" | sed 's/^/, got: /')" >>"$p"
	kb=$(sed -n 's/.*VMMON-GUEST: mem \([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
	want=$((mem_mb * 1024))
	if [ -z "$kb" ]; then
		echo "no 'VMMON-GUEST: mem'" >>"$p"
	elif [ "$kb" -gt "$want" ] || [ "$kb" -lt $((want - 4096)) ]; then
		echo "guest System RAM $kb KiB, expected $((want - 4096))..$want for -m ${mem_mb}M" >>"$p"
	fi
	bal=found
	[ "$c" = 1 ] && bal=absent
	for m in "balloon $bal" 'read ok' 'write ok' 'taint 0' 'poweroff'; do
		has "VMMON-GUEST: $m\$" || echo "no 'VMMON-GUEST: $m'" >>"$p"
	done
	# Features vmmon emulates or passes through are the host's: a guest
	# without one its host has sees vmctl hiding it.
	gflags=" $(sed -n 's/.*VMMON-GUEST: flags //p' "$log" | head -n 1) "
	hflags=" $(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n 1) "
	for f in mce mca rdtscp rdpid invpcid tsc_adjust tsc_deadline_timer; do
		case $hflags in *" $f "*) ;; *) continue ;; esac
		case $gflags in *" $f "*) ;; *) echo "the host CPU has $f, the guest's does not" >>"$p" ;; esac
	done
	if [ "$c" != 1 ]; then
		has 'VMMON-GUEST: power button pressed$' ||
			echo "no 'VMMON-GUEST: power button pressed' after SIGTERM" >>"$p"
		grep -q "pressed the guest's power button" "$tmp/stderr.$c" ||
			echo "vmctl did not say it pressed the power button" >>"$p"
	fi
	grep -E 'VMMON-GUEST: (FAIL|read BAD|klog)|WARNING: CPU|BUG: |Oops|general protection fault|Kernel panic|Call Trace:' \
		"$log" | head -n 20 | sed 's/^/console: /' >>"$p"
	# The guest's clock (its TSC at the rate CPUID.15H gives) keeps the
	# host's time: from "booted" to "poweroff", within 25%.
	g0=$(sed -n 's/.*\[ *\([0-9.]*\)\] VMMON-GUEST: booted.*/\1/p' "$log" | head -n 1)
	g1=$(sed -n 's/.*\[ *\([0-9.]*\)\] VMMON-GUEST: poweroff.*/\1/p' "$log" | head -n 1)
	h0=$(cat "$tmp/tb.$c" 2>/dev/null) h1=$(cat "$tmp/tp.$c" 2>/dev/null)
	if [ -n "$g0" ] && [ -n "$g1" ] && [ -n "$h0" ] && [ -n "$h1" ] &&
	   ! awk "BEGIN { r = ($g1 - $g0) / ($h1 - $h0); exit !(r > 0.75 && r < 1.25) }"; then
		echo "from 'booted' to 'poweroff' the guest's clock moved $(awk "BEGIN { print $g1 - $g0 }") s, the host's $(awk "BEGIN { print $h1 - $h0 }") s" >>"$p"
	fi
	if [ -s "$p" ]; then
		echo "last 40 console lines:" >>"$p"
		tail -n 40 "$log" >>"$p"
		echo "vmctl's stderr:" >>"$p"
		tail -n 20 "$tmp/stderr.$c" >>"$p"
	fi
}

check_disk() {
	c=$1 p=$tmp/problems
	nonce=$(cat "$tmp/nonce.$c")
	if ! mount -t ext2 -o loop,ro "$tmp/disk.$c" "$mnt" 2>"$tmp/mount.err"; then
		echo "cannot mount the disk copy (loop, ext2): $(cat "$tmp/mount.err")" >>"$p"
		return
	fi
	set -- $(sha256sum "$mnt/data.bin" 2>/dev/null)
	[ "${1:-}" = "$(cat "$guest/data.sha256")" ] || echo "data.bin changed: sha256 ${1:-none}" >>"$p"
	if [ ! -f "$mnt/out.bin" ]; then
		echo "no out.bin on the disk" >>"$p"
	else
		set -- $(sha256sum "$mnt/out.bin")
		got=$1
		set -- $({
			echo "vmmon-guest nonce=$nonce"
			dd if="$mnt/data.bin" bs=65536 skip=1 count=1 2>/dev/null
		} | sha256sum)
		[ "$got" = "$1" ] ||
			echo "out.bin: sha256 $got, expected $1 (nonce $nonce); starts: $(head -n 1 "$mnt/out.bin" | cut -c1-60)" >>"$p"
		claimed=
		read -r claimed 2>/dev/null <"$mnt/out.sha256"
		[ "$got" = "${claimed:-}" ] || echo "out.sha256 says '${claimed:-}', out.bin is $got" >>"$p"
	fi
	umount "$mnt" 2>/dev/null || umount -d "$mnt"
}

ncases=0
for c in $cpus_list; do ncases=$((ncases + 1)); done
ktap_plan $((2 * ncases + 1))
if [ -n "$module" ] && [ ! -d /sys/module/vmmon ] && ! insmod "$module"; then
	echo "Bail out! insmod $module failed"
	exit 1
fi
: >"$tmp/problems"
# An image or staging directory built without the guest fails the boots:
# a test that did not run is not a pass.
missing=
for f in bzImage initrd.img disk.img data.sha256; do
	[ -f "$guest/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ! host_fs_ready &&
	echo "the host cannot mount the disk: no loop device or no ext2 (ext4) driver" >"$tmp/fs"

for c in $cpus_list; do
	if [ -n "$missing" ]; then
		missing_guest "boot_${c}cpu" "no guest in $guest:$missing (scripts/mkguest.sh, then stage-payload.sh GUESTDIR)"
		missing_guest "disk_${c}cpu" "no guest"
		continue
	fi
	boot "$c"
	t0=$(cat "$tmp/t0.$c") t1=$(cat "$tmp/t1.$c")
	tb=$(cat "$tmp/tb.$c" 2>/dev/null)
	gt=$(sed -n 's/.*\[ *\([0-9.]*\)\] VMMON-GUEST: booted.*/\1/p' "$tmp/console.$c" | head -n 1)
	to_booted=never
	[ -n "$tb" ] && to_booted="$(awk "BEGIN { printf \"%.2f\", $tb - $t0 }") s"
	echo "# ${c} vCPU(s): booted line after $to_booted (guest clock ${gt:-?} s), vmctl ended after $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s (host uptime)"
	grep '^vmctl: exits' "$tmp/stderr.$c" | sed "s/^/# ${c} vCPU(s): /"
	check_boot "$c"
	result "boot_${c}cpu" "$tmp/problems"
	if [ -s "$tmp/fs" ]; then
		cat "$tmp/fs" >"$tmp/problems"
	else
		check_disk "$c"
	fi
	result "disk_${c}cpu" "$tmp/problems"
	rm -f "$tmp/disk.$c"
done

# Nothing left behind; the module unloads (when this suite loaded it).
for k in vms vcpus guest_pages; do
	v=$(cat "/sys/class/misc/vmmon/$k" 2>/dev/null)
	[ "$v" = 0 ] || echo "/sys/class/misc/vmmon/$k is '${v:-unreadable}', expected 0" >>"$tmp/problems"
done
if [ -n "$module" ]; then
	rmmod vmmon || echo "rmmod vmmon failed" >>"$tmp/problems"
fi
result vmmon_clean "$tmp/problems"

ktap_totals
