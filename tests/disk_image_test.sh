#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The disk images of issue 14 (scripts/mkdisk.sh), booted the way a PC
# boots them: QEMU (TCG, no VT-x needed) with Debian's SeaBIOS and the disk
# on virtio-blk, its console on COM1 ("-machine graphics=off" makes QEMU
# hand SeaBIOS etc/sercon-port, so SeaBIOS writes there too).
#   extlinux, grub (1 and 2 CPUs): the boot loader's banner, the guest's
#       marker, the line it read from its root partition, its write, QEMU
#       ended by the guest's power-off, and written.txt read back from the
#       image without mounting it (debugfs at the partition's offset)
#   nobootable, zeroed, truncated: SeaBIOS's "No bootable device." with no
#       guest marker; SeaBIOS then retries for ever, so the test ends QEMU.
# Each boot's wall time is printed, with when its milestones showed on the
# console (polled every POLL_S).
# Usage: disk_image_test.sh
set -uo pipefail

# debugfs lives in sbin, which a user's PATH may not hold.
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/ktap.sh"

BIOS=/usr/share/seabios/bios-256k.bin
PART_OFFSET=1048576		# mkdisk.sh's partition start
BOOT_TIMEOUT_S=60		# a boot takes 5-9 s
REFUSAL_TIMEOUT_S=30		# "No bootable device." after 2-4 s
POLL_S=0.1
EOL='[[:space:]]*$'		# the console's lines end in CR LF
# The emulator lock scripts/quick-test.sh and make check take: a TCG boot
# competing with a Bochs run would slow both.
LOCK=/tmp/vmmon-bochs.lock

ktap_plan 28

tmp=$(mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# now: microseconds since the epoch, into $now (no process started: the
# poll loop runs beside the emulator on 2 CPUs).
now() { now=${EPOCHREALTIME/./}; }

# elapsed START: seconds since START (a $now), 2 decimals, into $elapsed.
elapsed() {
	local us
	now
	us=$((now - $1))
	printf -v elapsed '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

# build KIND: mkdisk.sh's image into $tmp/KIND.img; one result.
build() {
	local start
	now
	start=$now
	ktap_check "$1: mkdisk.sh builds it" \
		"$top/scripts/mkdisk.sh" --kind "$1" --out "$tmp/$1.img"
	elapsed "$start"
	echo "# $1: built in $elapsed s, $(($(stat -c %s "$tmp/$1.img" 2>/dev/null || echo 0) / 1024)) KiB"
}

# boot IMG LOG CPUS TIMEOUT STOP MILESTONE...: boot the image, until QEMU
# exits, the regex STOP shows in the log (QEMU is then ended), or TIMEOUT
# seconds. Prints the wall time and when each MILESTONE regex first
# showed; sets boot_rc (QEMU's status, or "stopped" or "timeout").
boot() {
	local img=$1 log=$2 cpus=$3 timeout=$4 stop=$5 start text m alive seen=''
	shift 5
	local -a ms=("$@") at=()
	rm -f "$log"
	now
	start=$now
	qemu-system-x86_64 -nodefaults -accel tcg -smp "$cpus" -m 256 -bios "$BIOS" \
		-machine graphics=off -display none -no-reboot \
		-drive "file=$img,if=virtio,format=raw" -serial "file:$log" \
		>"$log.emu" 2>&1 &
	qemu_pid=$!
	boot_rc=timeout
	while :; do
		# Whether QEMU is still there before the last look at its log.
		alive=1
		kill -0 "$qemu_pid" 2>/dev/null || alive=0
		text=
		[ -f "$log" ] && text=$(<"$log")
		for m in "${!ms[@]}"; do
			if [ -z "${at[m]:-}" ] && [[ $text =~ ${ms[m]} ]]; then
				elapsed "$start"
				at[m]=$elapsed
			fi
		done
		if [ $alive = 0 ]; then
			wait "$qemu_pid"
			boot_rc=$?
			break
		fi
		if [ -n "$stop" ] && [[ $text =~ $stop ]]; then
			boot_rc=stopped
			break
		fi
		elapsed "$start"
		[ "${elapsed%.*}" -ge "$timeout" ] && break
		sleep "$POLL_S"
	done
	if [ "$boot_rc" = stopped ] || [ "$boot_rc" = timeout ]; then
		kill "$qemu_pid"
		wait "$qemu_pid" 2>/dev/null
	fi
	qemu_pid=
	for m in "${!ms[@]}"; do seen+=", '${ms[m]}' at ${at[m]:-never}"; done
	elapsed "$start"
	echo "# $(basename "$img" .img) ($cpus CPU): wall $elapsed s, QEMU $boot_rc$seen"
}

# show LOG: the console's lines as diagnostics, without their escape
# sequences nor the kernel's time stamps (ktap-check.sh would take a line
# holding one for a kernel message, and the next for its continuation).
show() {
	tr -d '\r' <"$1" |
		sed 's/\x1b[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/\[ *[0-9]*\.[0-9]*\] //; /^$/d' |
		tail -n 20 | sed 's/^/#   /'
	[ -s "$1.emu" ] && sed 's/^/#   qemu: /' "$1.emu"
}

# expect NAME LOG REGEX: one result, whether the console shows REGEX.
expect() {
	if grep -aEq "$3" "$2"; then
		ktap_result 0 "$1"
	else
		echo "# no '$3' on the console:"
		show "$2"
		ktap_result 1 "$1"
	fi
}

# written IMG: written.txt from the image's partition (ext2).
written() { debugfs -R 'cat /written.txt' "$1?offset=$PART_OFFSET" 2>/dev/null; }

# The kernel the images carry.
"$top/scripts/kernel-fetch.sh" 6.1-cloud >"$tmp/kernel-fetch.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp/kernel-fetch.log"; echo "# kernel-fetch failed: the builds take what build/kernel holds"; }

now
lock_start=$now
# Read-only: whoever made the lock file, any user can take the lock.
[ -e "$LOCK" ] || : >"$LOCK"
exec 9<"$LOCK"
flock 9
elapsed "$lock_start"
echo "# waited $elapsed s for the emulator lock"

# The boot loaders' first words on the console.
declare -A banner=([extlinux]='SYSLINUX [0-9]' [grub]="Booting .vmmon'")
for kind in extlinux grub; do
	build "$kind"
	for cpus in 1 2; do
		img=$tmp/$kind-$cpus.img
		log=$tmp/$kind-$cpus.log
		# Each boot from a fresh image: the written file is this boot's.
		cp --sparse=always "$tmp/$kind.img" "$img" 2>/dev/null
		boot "$img" "$log" "$cpus" "$BOOT_TIMEOUT_S" '' 'Booting from Hard Disk' \
			"${banner[$kind]}" "VMMON-DISK: booted" "VMMON-DISK: poweroff"
		name="$kind ($cpus CPU)"
		expect "$name: the boot loader ran" "$log" "${banner[$kind]}"
		expect "$name: the guest's marker" "$log" "VMMON-DISK: booted $kind$EOL"
		expect "$name: it read its partition's file" "$log" \
			"VMMON-DISK: read vmmon-disk hello $kind$EOL"
		if [ "$boot_rc" = 0 ] && grep -aq 'VMMON-DISK: write ok' "$log" &&
			grep -aq 'reboot: Power down' "$log"; then
			ktap_result 0 "$name: it wrote and powered off"
		else
			echo "# QEMU $boot_rc:"
			show "$log"
			ktap_result 1 "$name: it wrote and powered off"
		fi
		got=$(written "$img" 2>&1)
		if [ "$got" = "vmmon-disk written by $kind" ]; then
			ktap_result 0 "$name: written.txt is in the image"
		else
			echo "# written.txt: '$got'"
			ktap_result 1 "$name: written.txt is in the image"
		fi
		rm -f "$img"
	done
done

for kind in nobootable zeroed truncated; do
	build "$kind"
	log=$tmp/$kind.log
	boot "$tmp/$kind.img" "$log" 1 "$REFUSAL_TIMEOUT_S" 'No bootable device' \
		'Booting from Hard Disk' 'No bootable device'
	if [ "$boot_rc" = stopped ] && ! grep -aq VMMON-DISK "$log"; then
		echo "# $kind: $(tr -d '\r' <"$log" | grep -aE 'Boot failed|system|error' | head -n 1)"
		ktap_result 0 "$kind: SeaBIOS finds no bootable device"
	else
		echo "# QEMU $boot_rc:"
		show "$log"
		ktap_result 1 "$kind: SeaBIOS finds no bootable device"
	fi
done
ktap_totals
