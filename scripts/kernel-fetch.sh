#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the Debian kernel image of a flavour and its build tree
# (scripts/kernel-headers.sh), both unpacked into build/, never installed,
# so the module under test is built against exactly what boots.
# Usage: kernel-fetch.sh 6.1-cloud|6.1-plain|6.12-cloud
# (6.1-plain is the xz-compressed generic kernel, slower to boot in Bochs,
# but built with CONFIG_PM_DEBUG, which the suspend test needs.)
# Leaves build/kernel/FLAVOUR/{kver,vmlinuz,kdir,hdr/,root/} behind.
set -euo pipefail

flavour=${1:?usage: kernel-fetch.sh 6.1-cloud|6.1-plain|6.12-cloud}
case $flavour in
6.1-cloud)  img_meta=linux-image-cloud-amd64 ;;
6.1-plain)  img_meta=linux-image-amd64 ;;
6.12-cloud) img_meta=linux-image-6.12-cloud-amd64 ;;
*) echo "kernel-fetch: unknown flavour '$flavour'" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/kernel/$flavour
mkdir -p "$out"

# First dependency of a metapackage named like PREFIX* (apt-cache knows
# packages that are not installed, which is the case for the image one).
meta_dep() {
	apt-cache depends --no-recommends --no-suggests "$1" |
		awk -v p="$2" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}

"$top/scripts/kernel-headers.sh" "$flavour"
kver=$(cat "$out/kver")

# Debian names the 6.12 backport image with or without -unsigned; the
# metapackage knows which.
img=$(meta_dep "$img_meta" linux-image-)
case $img in
linux-image-"$kver" | linux-image-"$kver"-unsigned) ;;
*) echo "kernel-fetch: headers are $kver but $img_meta wants '$img'" >&2
   exit 1 ;;
esac

if ! ls "$out/${img}_"*.deb >/dev/null 2>&1; then
	(cd "$out" && apt-get download -q -o APT::Sandbox::User=root "$img")
	rm -rf "$out/root"
fi
if [ ! -d "$out/root" ]; then
	dpkg -x "$out/${img}_"*.deb "$out/root.tmp"
	mv "$out/root.tmp" "$out/root"
fi

cp "$out/root/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "kernel-fetch: $flavour = $kver ($img)"
