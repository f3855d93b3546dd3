#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installing vmmon the way drivers users already trust are installed,
# checked without touching this machine: make install-files into a
# throwaway root (udev rule, vmctl, man page, the opt-in modules-load.d
# entry), a DKMS build against the unpacked 6.1 and 6.12 header trees
# with DKMS's own trees under a temporary folder, signing with a throwaway
# MOK key the way Debian's dkms signs, and `make sign` with the kernel's
# sign-file; each signature is read back with modinfo.
# Usage: install_test.sh   (run from make check, after the build step)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/ktap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_plan 9

# --- make install-files ---------------------------------------------------
files_ok() {	# files_ok ROOT AUTOLOAD
	local root=$1 mode
	for f in usr/local/bin/vmctl:755 usr/local/share/man/man1/vmctl.1:644 \
		 etc/udev/rules.d/60-vmmon.rules:644 \
		 etc/security/limits.d/vmmon.conf:644; do
		mode=$(stat -c %a "$root/${f%:*}" 2>/dev/null) || { echo "missing /${f%:*}"; return 1; }
		[ "$mode" = "${f#*:}" ] || { echo "/${f%:*} has mode $mode"; return 1; }
	done
	grep -q 'KERNEL=="vmmon".*GROUP="vmmon".*MODE="0660"' \
		"$root/etc/udev/rules.d/60-vmmon.rules" || { echo "udev rule lacks group vmmon, 0660"; return 1; }
	if [ "$2" = 1 ]; then
		grep -qx vmmon "$root/etc/modules-load.d/vmmon.conf" ||
			{ echo "no modules-load.d entry with AUTOLOAD=1"; return 1; }
	elif [ -e "$root/etc/modules-load.d" ]; then
		echo "modules-load.d entry installed without AUTOLOAD=1"; return 1
	fi
}
install_files() {	# install_files ROOT AUTOLOAD
	make -s -C "$top" install-files O="$tmp/user" DESTDIR="$1" AUTOLOAD="$2" &&
		files_ok "$1" "$2"
}
ktap_check "make install-files: vmctl, man page, udev rule, memlock limit; no autoload" \
	install_files "$tmp/root" 0
ktap_check "make install-files AUTOLOAD=1: the modules-load.d entry" \
	install_files "$tmp/root-autoload" 1

dkms_state() { find /var/lib/dkms /usr/src -maxdepth 2 2>/dev/null | sort | md5sum; }
dkms_before=$(dkms_state)

# --- a throwaway Machine Owner Key ------------------------------------------
cn="vmmon throwaway test key $$"
openssl req -new -x509 -nodes -days 1 -subj "/CN=$cn/" -newkey rsa:2048 \
	-keyout "$tmp/mok.key" -outform DER -out "$tmp/mok.der" >"$tmp/openssl.log" 2>&1 ||
	sed 's/^/# /' "$tmp/openssl.log"

# signed_by KO: the module's signer must be the throwaway key, sha256 or
# whatever the kernel's CONFIG_MODULE_SIG_HASH names.
signed_by() {
	local signer hash
	signer=$(modinfo -F signer "$1") hash=$(modinfo -F sig_hashalgo "$1")
	[ "$signer" = "$cn" ] || { echo "$1: signer '$signer', expected '$cn'"; return 1; }
	[ -n "$hash" ] || { echo "$1: no signature hash"; return 1; }
	echo "signer '$signer', $hash"
}

# --- DKMS ------------------------------------------------------------------
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=$tmp/dkms/src/vmmon-$version
mkdir -p "$src" "$tmp/dkms/tree"
cp -r "$top/Kbuild" "$top/kmod" "$top/include" "$top/dkms.conf" "$src/"
dkms_opts=(--sourcetree "$tmp/dkms/src" --dkmstree "$tmp/dkms/tree")
ktap_check "dkms add (private DKMS trees)" dkms add -m vmmon -v "$version" "${dkms_opts[@]}"

dkms_build() {	# dkms_build FLAVOUR
	local kver kdir ko
	"$top/scripts/kernel-headers.sh" "$1" >/dev/null || return 1
	kver=$(cat "$top/build/kernel/$1/kver") kdir=$(cat "$top/build/kernel/$1/kdir")
	# Debian's dkms signs with the key framework.conf names; these
	# variables stand in for that file here.
	sign_file=$kdir/scripts/sign-file mok_signing_key=$tmp/mok.key \
		mok_certificate=$tmp/mok.der \
		dkms build -m vmmon -v "$version" -k "$kver" --kernelsourcedir "$kdir" \
		"${dkms_opts[@]}" || return 1
	ko=$tmp/dkms/tree/vmmon/$version/$kver/x86_64/module/vmmon.ko
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] ||
		{ echo "$ko: vermagic $(modinfo -F vermagic "$ko"), expected $kver"; return 1; }
	signed_by "$ko"
}
ktap_check "dkms build for 6.1, signed by the MOK key" dkms_build 6.1-cloud
ktap_check "dkms build for 6.12, signed by the MOK key" dkms_build 6.12-cloud

# --- make sign -------------------------------------------------------------
# In a copy of the sources, so the build leaves nothing in the tree.
mkdir -p "$tmp/sign"
cp -r "$top/Makefile" "$top/Kbuild" "$top/kmod" "$top/include" "$top/dkms.conf" "$tmp/sign/"
kdir=$("$top/scripts/kernel-headers.sh" 6.1-cloud >/dev/null && cat "$top/build/kernel/6.1-cloud/kdir")
unsigned() {
	make -s -C "$tmp/sign" module KDIR="$kdir" >/dev/null || return 1
	[ -z "$(modinfo -F signer "$tmp/sign/vmmon.ko")" ] ||
		{ echo "vmmon.ko is signed before make sign"; return 1; }
}
ktap_check "vmmon.ko carries no signature before make sign" unsigned
sign() {
	make -s -C "$tmp/sign" sign KDIR="$kdir" MOK_KEY="$tmp/mok.key" \
		MOK_CERT="$tmp/mok.der" || return 1
	signed_by "$tmp/sign/vmmon.ko"
}
ktap_check "make sign: signed by the MOK key" sign
no_key() {
	local out
	if out=$(make -s -C "$tmp/sign" sign KDIR="$kdir" MOK_KEY="$tmp/none.key" \
		 MOK_CERT="$tmp/mok.der" 2>&1); then
		echo "make sign succeeded without a key"; return 1
	fi
	grep -q "no key $tmp/none.key" <<<"$out" || { echo "unclear error: $out"; return 1; }
}
ktap_check "make sign without a key fails and names it" no_key
ktap_check "the host's DKMS tree and /usr/src unchanged" test "$(dkms_state)" = "$dkms_before"

ktap_totals
