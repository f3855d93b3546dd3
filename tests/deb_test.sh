#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: the packages vmmon-dkms and vmctl build, lintian finds no
# error or warning in them, and unpacked into a throwaway root they hold
# what a host install needs; DKMS builds the packaged module source.
# Usage: deb_test.sh   (run from make check, after the build step)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/ktap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_plan 5
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
deb=$top/build/deb

ktap_check "make deb builds vmmon-dkms and vmctl" \
	bash -c "make -s -C '$top' deb >'$tmp/deb.log' 2>&1 || { tail -n 20 '$tmp/deb.log'; exit 1; };
		 ls '$deb/vmmon-dkms_${version}_all.deb' '$deb/vmctl_${version}_amd64.deb'"
ktap_check "lintian: no error or warning" \
	lintian --allow-root --fail-on error,warning "$deb/vmmon_${version}_amd64.changes"

root=$tmp/root
for p in "$deb/vmmon-dkms_${version}_all.deb" "$deb/vmctl_${version}_amd64.deb"; do
	dpkg -x "$p" "$root" 2>/dev/null
done
dkms_files() {
	local f
	for f in "usr/src/vmmon-$version/dkms.conf" "usr/src/vmmon-$version/Kbuild" \
		 "usr/src/vmmon-$version/kmod/vmmon_main.c" "usr/src/vmmon-$version/include/uapi/vmmon.h"; do
		[ -f "$root/$f" ] || { echo "missing /$f"; return 1; }
	done
	grep -q 'GROUP="vmmon".*MODE="0660"' "$root"/lib/udev/rules.d/*vmmon*.rules ||
		{ echo "no udev rule for group vmmon"; return 1; }
	grep -qE '^g +vmmon ' "$root"/usr/lib/sysusers.d/*vmmon*.conf ||
		{ echo "no sysusers.d entry for group vmmon"; return 1; }
	grep -qE '^@vmmon.*memlock' "$root/etc/security/limits.d/vmmon.conf" ||
		{ echo "no memlock limit for group vmmon"; return 1; }
	# Opt-in: the entry is there, commented out, and a conffile so the
	# owner's choice survives upgrades.
	grep -qx '#vmmon' "$root/etc/modules-load.d/vmmon.conf" ||
		{ echo "no commented-out modules-load.d entry"; return 1; }
	dpkg-deb -e "$deb/vmmon-dkms_${version}_all.deb" "$tmp/ctl"
	grep -qx /etc/modules-load.d/vmmon.conf "$tmp/ctl/conffiles" ||
		{ echo "modules-load.d entry is not a conffile"; return 1; }
	grep -q 'dkms' "$tmp/ctl/postinst" || { echo "postinst does not run DKMS"; return 1; }
}
ktap_check "vmmon-dkms: module source, dkms.conf, udev rule, group, memlock limit, opt-in autoload" dkms_files
vmctl_files() {
	[ -x "$root/usr/bin/vmctl" ] || { echo "no /usr/bin/vmctl"; return 1; }
	[ -f "$root/usr/share/man/man1/vmctl.1.gz" ] || { echo "no man page"; return 1; }
	"$root/usr/bin/vmctl" --help | grep -q 'vmctl run' || { echo "vmctl --help says no 'vmctl run'"; return 1; }
}
ktap_check "vmctl: the binary runs, man page" vmctl_files
# The packaged source is complete: DKMS builds it as a user's machine would.
packaged_build() {
	local kver kdir
	"$top/scripts/kernel-headers.sh" 6.1-cloud >/dev/null || return 1
	kver=$(cat "$top/build/kernel/6.1-cloud/kver") kdir=$(cat "$top/build/kernel/6.1-cloud/kdir")
	mkdir -p "$tmp/tree"
	dkms add -m vmmon -v "$version" --sourcetree "$root/usr/src" --dkmstree "$tmp/tree" &&
	sign_file=/nonexistent dkms build -m vmmon -v "$version" -k "$kver" \
		--kernelsourcedir "$kdir" --sourcetree "$root/usr/src" --dkmstree "$tmp/tree" &&
	[ -f "$tmp/tree/vmmon/$version/$kver/x86_64/module/vmmon.ko" ]
}
ktap_check "DKMS builds the packaged source for 6.1" packaged_build

ktap_totals
