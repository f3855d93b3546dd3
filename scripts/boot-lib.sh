# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by boot-bochs.sh and boot-qemu.sh (sourced): argument parsing and
# running an emulator under a wall-clock limit with one verdict convention:
# 0 = the guest reached "vmmon-image: done" and powered off, 124 = time-out,
# 1 = anything else.

iso='' cpus='' serial='' emulog='' timeout=900 live=''
boot_usage() { echo "usage: $0 --iso FILE --cpus N --serial OUT [--timeout SECONDS] [--live]" >&2; exit 2; }
boot_parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--iso) iso=$2; shift ;;
		--cpus) cpus=$2; shift ;;
		--serial) serial=$2; shift ;;
		--timeout) timeout=$2; shift ;;
		--live) live=1 ;;
		*) boot_usage ;;
		esac
		shift
	done
	[ -f "$iso" ] && [ -n "$cpus" ] && [ -n "$serial" ] || boot_usage
	iso=$(realpath "$iso")
	serial=$(realpath "$serial")
	emulog=$serial.emu.log # the emulator's own output, kept for post-mortems
}

# boot_run NAME CMD...: run CMD in its own process group until it exits,
# the guest panics, or $timeout passes. Sets boot_rc (the emulator's exit
# code, or 124 on time-out) and prints the times taken (1 s resolution).
boot_run() {
	local name=$1 start pid tailpid='' panic_at='' init_at=''
	shift
	: >"$serial"
	if [ -n "$live" ]; then
		tail -n +1 -f "$serial" &
		tailpid=$!
	fi
	start=$SECONDS
	set -m # own process group, so a time-out kills Bochs and its helpers
	"$@" </dev/null >"$emulog" 2>&1 &
	pid=$!
	set +m
	# Ctrl-C reaches only our process group: take the emulator down too.
	trap 'kill -- -"$pid" 2>/dev/null; exit 130' INT TERM HUP
	boot_rc=
	while kill -0 "$pid" 2>/dev/null; do
		[ -n "$init_at" ] || ! grep -q '^vmmon-image: booted' "$serial" ||
			init_at=$((SECONDS - start))
		if [ $((SECONDS - start)) -ge "$timeout" ]; then
			boot_rc=124
		elif [ -z "$panic_at" ] && grep -q 'Kernel panic - not syncing' "$serial"; then
			panic_at=$SECONDS # panic=-1 reboots: keep the trace, then stop
		elif [ -n "$panic_at" ] && [ $((SECONDS - panic_at)) -ge 3 ]; then
			boot_rc=1
		fi
		if [ -n "$boot_rc" ]; then
			kill -- -"$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			break
		fi
		sleep 1
	done
	[ -n "$boot_rc" ] || { wait "$pid" && boot_rc=0 || boot_rc=$?; }
	[ -z "$tailpid" ] || { sleep 0.2; kill "$tailpid"; wait "$tailpid" 2>/dev/null || true; }
	echo "$name: $cpus CPU(s): /init after ${init_at:-?} s, ended after $((SECONDS - start)) s, emulator exit $boot_rc"
}

# boot_verdict CLEAN_OFF: CLEAN_OFF is 1 when the emulator reports the
# guest's own power-off. Exits the script with the convention above.
boot_verdict() {
	if [ "$boot_rc" = 124 ]; then
		echo "TIME-OUT: no power-off after $timeout s; last 30 lines of $serial:"
		tail -n 30 "$serial"
		exit 124
	fi
	if [ "$1" = 1 ] && grep -q '^vmmon-image: done' "$serial"; then
		exit 0
	fi
	echo "FAILED: the guest did not finish cleanly; last 30 lines of $serial:"
	tail -n 30 "$serial"
	echo "last 10 lines of $emulog:"
	tail -n 10 "$emulog"
	exit 1
}
