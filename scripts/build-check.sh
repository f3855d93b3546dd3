#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the module against each Debian 12 kernel flavour vmmon supports,
# with W=1 and with sparse (C=2), as one KTAP suite: a test fails on any
# warning or error.  Each build happens in its own copy of the sources
# (build/mod/KVER/), which later steps take vmmon.ko from.  And the
# boundary of the backend: kmod/vmx/ includes of the core's headers only
# vmmon_backend.h (and kmod/ept/'s, kmod/x86/'s).  On the cloud flavours
# (what a Linux guest runs) also the guest's balloon driver, guest/balloon/,
# W=1 and sparse in one build (build/mod/KVER-balloon/).
# Usage: build-check.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
flavours=(6.1-cloud 6.1-plain 6.12-cloud 6.12-plain)
guest_flavours=(6.1-cloud 6.12-cloud)

. "$top/tests/lib/ktap.sh"
is_guest_flavour() { [[ " ${guest_flavours[*]} " == *" $1 "* ]]; }
result() {	# result NAME LOGFILE: ok when the log has no warning or error
	if grep -q -E 'warning:|error:|Error [0-9]' "$2"; then
		grep -E -A3 'warning:|error:|Error [0-9]' "$2" | head -40 | sed 's/^/# /'
		ktap_result 1 "$1"
	else
		ktap_result 0 "$1"
	fi
}

ktap_plan $((2 * ${#flavours[@]} + ${#guest_flavours[@]} + 1))

# Each '#include "..."' of kmod/vmx/ names vmx_*, ept/, x86/ or
# vmmon_backend.h: nothing else of the core.
crossing=$(grep -n '^#include "' "$top"/kmod/vmx/*.[ch] |
	grep -v -E '#include "(vmx(_[a-z0-9_]+)?\.h|ept/[a-z0-9_]+\.h|x86/[a-z0-9_]+\.h|vmmon_backend\.h)"' || true)
if [ -n "$crossing" ]; then
	echo "$crossing" | sed 's/^/# /'
fi
ktap_result "$([ -n "$crossing" ] && echo 1 || echo 0)" \
	"backend includes only vmmon_backend.h of the core"

for flavour in "${flavours[@]}"; do
	# The build tree, unpacked into build/kernel/ (never installed).
	if ! "$top/scripts/kernel-headers.sh" "$flavour" >"$top/build/kernel-$flavour.log" 2>&1; then
		sed 's/^/# /' "$top/build/kernel-$flavour.log"
		for what in W=1 sparse; do
			ktap_result 1 "$what $flavour"
		done
		is_guest_flavour "$flavour" &&
			ktap_result 1 "W=1 sparse balloon $flavour"
		continue
	fi
	hdr=$(cat "$top/build/kernel/$flavour/kver")
	kdir=$(cat "$top/build/kernel/$flavour/kdir")
	out=$top/build/mod/$hdr
	log=$top/build/mod/$hdr.log
	rm -rf "$out"
	mkdir -p "$out"
	cp -r "$top/Kbuild" "$top/kmod" "$top/include" "$out/"
	make -C "$kdir" M="$out" W=1 modules >"$log" 2>&1 || echo "Error 1: make failed" >>"$log"
	[ -f "$out/vmmon.ko" ] || echo "error: no vmmon.ko built" >>"$log"
	result "W=1 $hdr" "$log"
	# C=2 checks every file again, whether or not it was rebuilt.
	make -C "$kdir" M="$out" W=1 C=2 modules >"$log.sparse" 2>&1 || echo "Error 1: make failed" >>"$log.sparse"
	result "sparse $hdr" "$log.sparse"
	is_guest_flavour "$flavour" || continue
	gout=$out-balloon
	rm -rf "$gout"
	mkdir -p "$gout/guest/balloon" "$gout/include/uapi"
	cp "$top"/guest/balloon/{Kbuild,Makefile,*.c,*.h} "$gout/guest/balloon/"
	cp "$top/include/uapi/vmmon_balloon.h" "$gout/include/uapi/"
	make -C "$gout/guest/balloon" KDIR="$kdir" W=1 C=2 >"$log.balloon" 2>&1 ||
		echo "Error 1: make failed" >>"$log.balloon"
	[ -f "$gout/guest/balloon/vmmon_balloon.ko" ] ||
		echo "error: no vmmon_balloon.ko built" >>"$log.balloon"
	result "W=1 sparse balloon $hdr" "$log.balloon"
done
ktap_totals
