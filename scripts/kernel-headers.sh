#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A kernel build tree for one Debian 12 flavour, unpacked into build/ and
# never installed: Debian's linux-headers-6.12.* packages depend on their
# linux-image-* packages, so installing them would put kernels into /boot
# and make one the bootloader's default.  The headers package, its -common
# package and linux-kbuild are downloaded (apt-get download) and unpacked
# (dpkg -x) side by side, and the flavour's Makefile is pointed at the
# unpacked common tree instead of /usr/src.
# Usage: kernel-headers.sh 6.1-cloud|6.1-plain|6.12-cloud|6.12-plain
# Leaves build/kernel/FLAVOUR/{kver,kdir,hdr/} behind; kdir names the tree
# to pass as make -C.
set -euo pipefail

flavour=${1:?usage: kernel-headers.sh 6.1-cloud|6.1-plain|6.12-cloud|6.12-plain}
case $flavour in
6.1-cloud)  meta=linux-headers-cloud-amd64 ;;
6.1-plain)  meta=linux-headers-amd64 ;;
6.12-cloud) meta=linux-headers-6.12-cloud-amd64 ;;
6.12-plain) meta=linux-headers-6.12-amd64 ;;
*) echo "kernel-headers: unknown flavour '$flavour'" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/kernel/$flavour
debs=$top/build/kernel/debs
mkdir -p "$out" "$debs"

# The first dependency of package $1 whose name starts with $2 (apt-cache
# knows packages that are not installed).
dep() {
	apt-cache depends --no-recommends --no-suggests "$1" |
		awk -v p="$2" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}

hdr=$(dep "$meta" linux-headers-)
kver=${hdr#linux-headers-}
[ -n "$hdr" ] || {
	echo "kernel-headers: apt knows no $meta (run apt-get update)" >&2
	exit 1
}
common=$(dep "$hdr" linux-headers-)
kbuild=$(dep "$hdr" linux-kbuild-)
[ -n "$common" ] && [ -n "$kbuild" ] || {
	echo "kernel-headers: $hdr names no -common or linux-kbuild package" >&2
	exit 1
}

kdir=$out/hdr/usr/src/$hdr
if [ "$(cat "$out/kver" 2>/dev/null)" != "$kver" ] || [ ! -f "$kdir/Makefile" ]; then
	for p in "$hdr" "$common" "$kbuild"; do
		ls "$debs/${p}_"*.deb >/dev/null 2>&1 ||
			(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$p")
	done
	rm -rf "$out/hdr" "$out/hdr.tmp"
	for p in "$hdr" "$common" "$kbuild"; do
		dpkg -x "$(ls "$debs/${p}_"*.deb | tail -n 1)" "$out/hdr.tmp"
	done
	# "include /usr/src/linux-headers-VER-common/Makefile": the unpacked one.
	sed -i "s|^include /usr/src/|include $out/hdr/usr/src/|" \
		"$out/hdr.tmp/usr/src/$hdr/Makefile"
	mv "$out/hdr.tmp" "$out/hdr"
fi
[ -f "$kdir/Module.symvers" ] && [ -d "$kdir/scripts/" ] || {
	echo "kernel-headers: $kdir is not a complete build tree" >&2
	exit 1
}
echo "$kver" >"$out/kver"
echo "$kdir" >"$out/kdir"
echo "kernel-headers: $flavour = $kver in $kdir"
