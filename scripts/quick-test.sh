#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# For developers: one Bochs boot of the test image with only the suites
# named, built from the working tree, judged as make check judges it.
# Several people (or sessions) can use it at once: each build goes to its
# own --out directory, and the boots take turns (one Bochs at a time, as
# two would share the 2 cores and the VNC port).
# Usage: quick-test.sh [--out DIR] [--flavour 6.1-cloud|6.12-cloud]
#                      [--cpus N] [--timeout S] [--append "KERNEL ARGS"] SUITE...
# Example: scripts/quick-test.sh --out build/q-me vmmon_run
# The README's benchmark without mitigations:
#   scripts/quick-test.sh --append mitigations=off vmmon_bench
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/quick flavour=6.1-cloud cpus=1 timeout=600 append=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--flavour) flavour=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	-*) echo "quick-test: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--out DIR] [--flavour F] [--cpus N] [--timeout S] [--append ARGS] SUITE..." >&2; exit 2; }

scripts/kernel-fetch.sh "$flavour" >/dev/null
kdir=$(cat "build/kernel/$flavour/kdir")
mod=$out/mod
rm -rf "$mod"
mkdir -p "$mod"
cp -r Kbuild kmod include "$mod/"
make -s -C "$kdir" M="$top/$mod" W=1 modules
# Only the programs of the suites named: faster, and one suite that does
# not build yet (someone else's work in progress) does not stop the rest.
rm -rf "$out/static"
progs="$out/static/vmctl $out/static/vmmon_load_test $out/static/multiboot_hello.elf
	$out/static/apic_guest.elf"
for suite in "$@"; do progs="$progs $out/static/${suite}_test"; done
make -s $progs O="$out/static" STATIC=1
guest=
if printf '%s\n' "$@" | grep -qxE 'vmctl_boot|vmctl_balloon|vmctl_memsched|vmctl_ksm'; then
	scripts/kernel-fetch.sh 6.1-cloud >/dev/null
	scripts/mkguest.sh build/guest
	guest=build/guest
fi
disks=0
if printf '%s\n' "$@" | grep -qx vmctl_firmware; then
	scripts/kernel-fetch.sh 6.1-cloud >/dev/null
	disks=1
fi
DISKS=$disks scripts/stage-payload.sh "$out/payload" "$mod/vmmon.ko" "$out/static" $guest
printf '%s\n' "$@" | grep -vx vmmon_load >"$out/payload/module-suites" || true
scripts/mkimage.sh --flavour "$flavour" --payload "$out/payload" \
	--out "$out/test.iso" --append "$append"
echo "quick-test: waiting for the emulator (lock /tmp/vmmon-bochs.lock)"
flock /tmp/vmmon-bochs.lock scripts/boot-bochs.sh --iso "$out/test.iso" \
	--cpus "$cpus" --serial "$out/serial.log" --timeout "$timeout" || true
scripts/ktap-check.sh --serial "$out/serial.log" vmmon_load \
	$(grep -vx vmmon_load <(printf '%s\n' "$@"))
