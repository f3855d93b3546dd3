#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Put what the module suites need in one directory: vmmon.ko, vmctl, the
# test programs and tests/run.sh (the test image's /vmmon/, or a host's
# staging directory for check-host); with GUESTDIR (scripts/mkguest.sh's
# output), its files in DIR/guest/ for vmctl_boot.
# Usage: stage-payload.sh DIR VMMON.KO BINDIR [GUESTDIR]
set -euo pipefail

dir=${1:?usage: stage-payload.sh DIR VMMON.KO BINDIR} ko=${2:?} bin=${3:?}
top=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dir"
mkdir -p "$dir"
# The test programs there are (quick-test.sh builds only those it runs).
shopt -s nullglob
tests=("$bin"/vmmon_*_test "$bin"/vmctl_*_test "$bin"/*_helper)
cp "$ko" "$bin/vmctl" "${tests[@]}" \
   "$bin/multiboot_hello.elf" "$bin/apic_guest.elf" "$top/tests/run.sh" \
   "$top/tests/suite.sh" "$top/tests/module-suites" "$top/tests/lib/ktap.sh" \
   "$dir/"
# The firmware vmctl_firmware boots (Debian's seabios package), and with
# DISKS=1 the disks it boots through it (scripts/mkdisk.sh: 21 MiB each
# in the image's RAM, so only for the boots that run that suite).
seabios=/usr/share/seabios/bios-256k.bin
[ -r "$seabios" ] && cp "$seabios" "$dir/"
if [ "${DISKS:-0}" = 1 ]; then
	mkdir "$dir/disks"
	for kind in extlinux grub; do
		"$top/scripts/mkdisk.sh" --kind "$kind" --out "$dir/disks/$kind.img" >/dev/null
	done
fi
if [ -n "${4:-}" ]; then
	mkdir "$dir/guest"
	cp "$4"/{bzImage,initrd.img,disk.img,data.sha256} "$dir/guest/"
fi
