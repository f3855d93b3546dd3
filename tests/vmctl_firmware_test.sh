#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmctl run through firmware (issue 14): Debian's SeaBIOS (bios-256k.bin,
# staged beside this script) on vmmon, with a disk whose MBR is zeros.
# SeaBIOS must come up (its banner on COM1 through etc/sercon-port), find
# the virtio-blk disk, refuse it and say "No bootable device", which vmctl
# reads on the firmware's debug port and ends with status 6 (instead of
# SeaBIOS's endless retry), with or without --no-reboot.
# Its debug log (--firmware-log) shows fw_cfg, the CPUs it woke and the
# ACPI tables the loader script installed (SeaBIOS writes its log to
# 0x402 only when the port reads back 0xe9, as --firmware-log's does).
# With disks/ staged (scripts/mkdisk.sh's extlinux and GRUB images: DISKS=1
# in stage-payload.sh), each boots to its Linux guest on 1 and 2 vCPUs:
# the guest prints its marker, reads hello.txt from its root partition on
# virtio-blk, writes written.txt back (found here in the bytes of the
# image, a fresh copy for each boot) and powers off (status 0).  Without
# them those checks are skipped.
# Those boots are timed by phase: firmware (reset to SeaBIOS's "Booting
# from Hard Disk"), boot sector (to the loader's first words), loader (to
# the kernel's first words: the real-mode setup code's "Probing EDD" under
# EXTLINUX; GRUB, which enters the kernel past that code, says its last
# words just before), kernel (to the guest's marker).  The suite polls the
# console and samples `vmctl stat NAME --json` when each shows: the
# emulated time and the exits by reason of each phase, in "# phase" lines.
# usage: vmctl_firmware_test [--module vmmon.ko]
here=${0%/*}
vmctl=${VMCTL:-$here/vmctl}
jc=${JSON_CHECK:-$here/json_check_helper}
find_bytes=${FIND_BYTES:-$here/find_bytes_helper}
fw=${FIRMWARE:-$here/bios-256k.bin}
module=
[ "${1:-}" = --module ] && module=$2
tmp=$(mktemp -d)
n=0 pass=0 fail=0 skip=0
# Seconds a boot to "No bootable device" may take in the rig (2-3 s when
# measured), and the kill after which the run counts as a hang.
within=${FIRMWARE_WITHIN:-30}
limit=60
# How often the disk boots' consoles are read for their phases' lines.
POLL_S=0.05
# The phases a disk boot's console ends, in order (see disk_boot).
PHASES="firmware bootsector loader kernel"
# The boot to watch (boot, phase_watch): the file of its phases' lines.
watch=

finish() {
	[ -n "$module" ] && rmmod vmmon 2>/dev/null
	rm -rf "$tmp"
}
trap finish EXIT

# check NAME COND-STATUS [DETAIL]: one TAP line.
check() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n $1"
		pass=$((pass + 1))
	else
		[ -n "${3:-}" ] && echo "# $3"
		echo "not ok $n $1"
		fail=$((fail + 1))
	fi
}

# has FILE PATTERN: grep -q, 0 or 1
has() { grep -q -- "$2" "$1"; echo $?; }

# has_bytes FILE STRING: has for a string in a disk image's bytes (busybox's
# grep took 94 s of the rig's time per image: see find_bytes.c).
has_bytes() { "$find_bytes" "$1" "$2"; echo $?; }

# now: the rig's clock (/proc/uptime, no process started), into $now.
now() { read -r now _ </proc/uptime; }

# phase_watch TAG: while the boot runs (as VM fw-TAG), read its console
# every POLL_S; the first time it shows each line of $watch (a shell
# pattern, and an ERE for phases_in_order), in turn, note the time
# (/proc/uptime) into TAG.N.t and the VM's figures into TAG.N.json, N
# from 1.  No process is started between samples (the rig's host has one
# CPU, which the vCPU needs): the console is read on one descriptor as it
# grows, and the poll's sleep is a read of a FIFO that nobody writes.
phase_watch() {
	rm -f "$tmp/tick"
	mkfifo "$tmp/tick"
	exec 7<"$tmp/$1.out" 8<>"$tmp/tick"
	i=0 line='' part=''
	while read -r mark; do
		i=$((i + 1))
		until case $line in *$mark*) true ;; *) false ;; esac; do
			if IFS= read -r more <&7; then
				line=$part$more part=''
			else
				# The console's last line so far, not ended yet.
				part=$part$more line=$part
				kill -0 "$vm_pid" 2>/dev/null || break 2
				read -r -t "$POLL_S" more <&8
			fi
		done
		read -r up _ </proc/uptime
		echo "$up" >"$tmp/$1.$i.t"
		"$vmctl" stat "fw-$1" --json >"$tmp/$1.$i.json" 2>&1 </dev/null
	done <"$watch"
	exec 7<&- 8<&-
}

# boot TAG ARGS...: vmctl run through the firmware, timed; its phases
# watched when $watch is set.
boot() {
	tag=$1
	shift
	t0=$(date +%s)
	read -r up0 _ </proc/uptime
	echo "$up0" >"$tmp/$tag.0.t"
	timeout "$limit" "$vmctl" run --firmware "$fw" --stats "$@" \
		>"$tmp/$tag.out" 2>&1 </dev/null &
	vm_pid=$!
	[ -n "$watch" ] && phase_watch "$tag"
	wait "$vm_pid"
	echo $? >"$tmp/$tag.rc"
	echo $(($(date +%s) - t0)) >"$tmp/$tag.secs"
	echo "# $tag: status $(cat "$tmp/$tag.rc") after $(cat "$tmp/$tag.secs") s"
	sed 's/^/# console: /' "$tmp/$tag.out" | tr -d '\033' | tail -n 15
	[ -f "$tmp/$tag.fwlog" ] && head -n 80 "$tmp/$tag.fwlog" | sed 's/^/# fwlog: /'
}

# status TAG WANT: 0 when the boot ended with WANT.
status() { [ "$(cat "$tmp/$1.rc")" = "$2" ]; echo $?; }

echo "TAP version 13"
echo "1..44"
if [ ! -r "$fw" ]; then
	echo "Bail out! no firmware at $fw (Debian's seabios package)"
	exit 1
fi
if [ -n "$module" ] && ! insmod "$module"; then
	echo "Bail out! insmod $module failed"
	exit 1
fi
head -c 1048576 /dev/zero >"$tmp/zero.img"

boot zero -m 64M --no-reboot --firmware-log "$tmp/zero.fwlog" "$tmp/zero.img"
check banner_on_com1 "$(has "$tmp/zero.out" 'SeaBIOS (version')"
check fw_cfg_found_with_dma "$(has "$tmp/zero.fwlog" 'fw_cfg DMA interface supported')"
check disk_found_and_refused "$(has "$tmp/zero.out" 'Booting from Hard Disk')"
check no_bootable_device "$(has "$tmp/zero.out" 'No bootable device')"
check no_boot_ends_vmctl_6 "$(status zero 6)" "status $(cat "$tmp/zero.rc"), expected 6"
check no_boot_within_${within}_s "$([ "$(cat "$tmp/zero.secs")" -le "$within" ]; echo $?)"
# The FADT ("FACP") found through vmctl's XSDT where the table-loader
# script put it, and the DSDT through the FADT.
check acpi_tables_installed "$(has "$tmp/zero.fwlog" 'table(50434146)=.*(via xsdt)')" \
	"$(grep -c 'parse DSDT' "$tmp/zero.fwlog") DSDT parse lines"
grep '^vmctl: exits' "$tmp/zero.out" | sed 's/^/# /'

# Two vCPUs: the AP waits for SeaBIOS's INIT/SIPI and answers it.  No
# --no-reboot: the firmware's give-up still ends vmctl.
boot smp -m 64M -c 2 --firmware-log "$tmp/smp.fwlog" "$tmp/zero.img"
check two_cpus_found "$(has "$tmp/smp.fwlog" 'Found 2 cpu(s)')"
check smp_no_bootable_device "$(has "$tmp/smp.out" 'No bootable device')"
check smp_status_6 "$(status smp 6)"

# No disk at all, no log file: nothing to boot, the same end.
boot nodisk -m 32M
check no_disk_no_bootable_device "$(has "$tmp/nodisk.out" 'No bootable device')"
check no_disk_status_6 "$(status nodisk 6)"

# A truncated image (not even one sector): no disk to boot either.
head -c 300 /dev/zero >"$tmp/short.img"
boot short -m 32M "$tmp/short.img"
check truncated_image_status_6 "$(status short 6)"
check truncated_image_no_bootable_device "$(has "$tmp/short.out" 'No bootable device')"

# phases_in_order TAG: 0 when the console shows every line of $watch, each
# after the one before, and each was sampled while the VM ran.
phases_in_order() {
	awk -v marks="$watch" '
		BEGIN { while ((getline m <marks) > 0) mark[++n] = m; k = 1 }
		{
			# The next line may be on this one, past this match.
			rest = $0
			while (k <= n && match(rest, mark[k])) {
				rest = substr(rest, RSTART + RLENGTH)
				k++
			}
		}
		END { exit (k <= n) }' "$tmp/$1.out" || { echo 1; return; }
	i=1
	for p in $PHASES; do
		if [ ! -s "$tmp/$1.$i.json" ] ||
		   ! "$jc" exits.total <"$tmp/$1.$i.json" >/dev/null 2>&1; then
			echo 1
			return
		fi
		i=$((i + 1))
	done
	echo 0
}

# phase_report TAG KIND CPUS: the "# phase" line: each phase's emulated
# seconds and exits by reason (those it had), from the samples.
phase_report() {
	i=1
	for p in $PHASES; do
		printf '%s %s ' "$p" "$(cat "$tmp/$1.$i.t")"
		"$jc" --print exits <"$tmp/$1.$i.json" 2>/dev/null || echo '{}'
		i=$((i + 1))
	done | awk -v t0="$(cat "$tmp/$1.0.t")" -v head="# phase $2 $3:" '
		BEGIN { pt0 = t0 }
		{
			n = split($3, f, /[{}",:]+/)
			list = ""
			total = 0
			for (j = 2; j < n; j += 2) {
				v = f[j + 1] - prev[f[j]]
				prev[f[j]] = f[j + 1]
				if (f[j] == "total")
					total = v
				else if (v)
					list = list (list == "" ? "" : ", ") f[j] " " v
			}
			out = out sep sprintf(" %s %.2f s, %d exits (%s)", $1, $2 - pt0, total, list)
			sep = ";"
			pt0 = $2
		}
		END { printf "%s%s; in all %.2f s, %d exits\n", head, out, pt0 - t0, prev["total"] }'
}

# skip_unstaged PREFIX CHECK...: those checks skipped, for want of disks.
skip_unstaged() {
	prefix=$1
	shift
	for what in "$@"; do
		n=$((n + 1))
		echo "ok $n ${prefix}_$what # SKIP no disks staged (DISKS=1 stage-payload.sh)"
		skip=$((skip + 1))
	done
}

# disk_boot KIND CPUS: the staged disk KIND booted to its guest, by phase,
# from a fresh copy (the written file is this boot's), with the seconds
# the copy, the boot and the checks took.
disk_boot() {
	kind=$1 cpus=$2 tag=$1-$2cpu
	if [ ! -r "$here/disks/$1.img" ]; then
		skip_unstaged "$tag" status_0 booted read_hello write_ok \
			written_in_image phases_in_order
		return
	fi
	now
	t_copy=$now
	img=$tmp/$tag.img
	cp "$here/disks/$kind.img" "$img"
	# Each phase's end: SeaBIOS hands over to the boot sector; the
	# loader's first words (ldlinux serves every file system and says
	# SYSLINUX under EXTLINUX too); the kernel's first words (extlinux)
	# or GRUB's last (mkdisk.sh); the guest's marker.
	{
		echo 'Booting from Hard Disk'
		case $kind in
		extlinux) echo 'SYSLINUX [0-9]'; echo 'Probing EDD' ;;
		grub) echo 'GRUB loading'; echo "VMMON-DISK-LOADER: loaded $kind" ;;
		esac
		echo "VMMON-DISK: booted $kind"
	} >"$tmp/$kind.marks"
	watch=$tmp/$kind.marks
	limit=600
	now
	t_boot=$now
	boot "$tag" --name "fw-$tag" -m 128M -c "$cpus" "$img"
	now
	t_checks=$now
	limit=60
	check "${tag}_status_0" "$(status "$tag" 0)"
	check "${tag}_booted" "$(has "$tmp/$tag.out" "VMMON-DISK: booted $kind")"
	check "${tag}_read_hello" "$(has "$tmp/$tag.out" "VMMON-DISK: read vmmon-disk hello $kind")"
	check "${tag}_write_ok" "$(has "$tmp/$tag.out" 'VMMON-DISK: write ok')"
	check "${tag}_written_in_image" "$(has_bytes "$img" "vmmon-disk written by $kind")"
	rm -f "$img"
	in_order=$(phases_in_order "$tag")
	check "${tag}_phases_in_order" "$in_order"
	watch=
	grep '^vmctl: exits' "$tmp/$tag.out" | sed 's/^/# /'
	if [ "$in_order" = 0 ]; then
		phase_report "$tag" "$kind" "$cpus"
	fi
	now
	awk -v a="$t_copy" -v b="$t_boot" -v c="$t_checks" -v d="$now" -v t="$tag" \
		'BEGIN { printf "# %s: copy %.2f s, boot %.2f s, checks %.2f s\n", t, b - a, c - b, d - c }'
}

# refusal TAG: the disk $tmp/TAG.img, which nothing boots, ends with 6.
refusal() {
	boot "$1" -m 64M "$tmp/$1.img"
	check "${1}_status_6" "$(status "$1" 6)"
	check "${1}_no_bootable_device" "$(has "$tmp/$1.out" 'No bootable device')"
	rm -f "$tmp/$1.img"
}

# The extlinux disk made unbootable three ways, as mkdisk.sh's refusal
# kinds are: no partition active, its first sector zeroed, cut where its
# partition starts (the MBR whole, the partition past the end).
ext=$here/disks/extlinux.img
if [ -r "$ext" ]; then
	cp "$ext" "$tmp/noactive.img"
	printf '\000' | dd of="$tmp/noactive.img" bs=1 seek=446 conv=notrunc 2>/dev/null
	refusal noactive
	cp "$ext" "$tmp/zeroed.img"
	dd if=/dev/zero of="$tmp/zeroed.img" bs=512 count=1 conv=notrunc 2>/dev/null
	refusal zeroed
	head -c 1048576 "$ext" >"$tmp/cut.img"
	refusal cut
else
	for c in noactive zeroed cut; do
		skip_unstaged "$c" status_6 no_bootable_device
	done
fi

echo "# phase times: emulated, the host's /proc/uptime from vmctl's start"
echo "# (in Bochs 5 ns per instruction), each sampled within ${POLL_S} s"
echo "# (the poll) after its line shows on the console"
for kind in extlinux grub; do
	for cpus in 1 2; do
		disk_boot "$kind" "$cpus"
	done
done

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
