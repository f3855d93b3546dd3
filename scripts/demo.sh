#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: on a machine without VT-x, build the test image and boot it in
# Bochs with an emulated VT-x CPU (2 CPUs), where vmmon.ko is loaded and
# vmctl boots a Debian Linux guest on 2 vCPUs, then a GRUB disk through
# SeaBIOS; the emulated PC's serial console, with the guests' consoles
# inside it, streams to this terminal.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh
scripts/kernel-fetch.sh 6.1-cloud
kver=$(cat build/kernel/6.1-cloud/kver)
kdir=$(cat build/kernel/6.1-cloud/kdir)

echo "== building vmmon.ko for $kver, vmctl and the tests"
mod=build/mod/$kver
rm -rf "$mod"
mkdir -p "$mod"
cp -r Kbuild kmod include "$mod/"
make -s -C "$kdir" M="$top/$mod" modules
make -s userspace O=build/static STATIC=1
echo "== building the Linux guest (Debian's 6.1 cloud kernel, a busybox initramfs, an ext2 disk)"
scripts/mkguest.sh build/guest

payload=build/image/demo/payload
DISKS=1 scripts/stage-payload.sh "$payload" "$mod/vmmon.ko" build/static build/guest
scripts/mkimage.sh --flavour 6.1-cloud --payload "$payload" \
	--out build/image/demo/demo.iso --append "vmmon.run=demo"

echo "== booting the emulated VT-x PC (Bochs, 2 CPUs); its console follows"
flock /tmp/vmmon-bochs.lock scripts/boot-bochs.sh --iso build/image/demo/demo.iso --cpus 2 \
	--serial build/image/demo/serial.log --live
echo
scripts/ktap-check.sh --serial build/image/demo/serial.log demo
