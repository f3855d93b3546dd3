#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The dependency step changes nothing on this machine but its tools: what
# scripts/install-deps.sh asks apt for, simulated from an empty package
# database (so the answer does not depend on what this machine already
# has), must not pull in any kernel image (a linux-image-* package lands
# in /boot and runs update-initramfs) nor kernel headers (Debian's 6.12
# header packages depend on their images); and no other script installs
# packages: kernels and headers are downloaded and unpacked into build/.
# Usage: deps_test.sh [INSTALL-DEPS-SCRIPT]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/ktap.sh"
script=${1:-$top/scripts/install-deps.sh}

ktap_plan 3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/status"
if ! pkgs=$("$script" --list) || [ -z "$pkgs" ]; then
	echo "# $script --list printed no packages"
	ktap_result 1 "install-deps lists its packages"
else
	ktap_result 0 "install-deps lists its packages"
fi

# apt's simulation of a fresh machine's install of exactly that list.
# shellcheck disable=SC2086
apt-get install -s -q --no-install-recommends -o Dir::State::status="$tmp/status" \
	$pkgs >"$tmp/sim" 2>&1
sim_rc=$?
grep -E '^Inst (linux-image|linux-headers)-' "$tmp/sim" >"$tmp/kernels"
if [ $sim_rc -ne 0 ]; then
	sed 's/^/# /' "$tmp/sim" | tail -n 5
	ktap_result 1 "no kernel image or headers in the simulated install (apt failed)"
elif [ -s "$tmp/kernels" ]; then
	sed 's/^/# would install: /' "$tmp/kernels"
	ktap_result 1 "no kernel image or headers in the simulated install"
else
	echo "# $(grep -c '^Inst ' "$tmp/sim") packages on a fresh machine, no linux-image-*, no linux-headers-*"
	ktap_result 0 "no kernel image or headers in the simulated install"
fi

# Only install-deps.sh may run apt-get install / dpkg -i.
others=$(grep -lE 'apt(-get)? +(-[a-zA-Z -]+ +)?install|dpkg +(-i|--install)' \
	"$top"/scripts/*.sh "$top"/tests/*.sh "$top"/Makefile 2>/dev/null |
	grep -v -e '/install-deps\.sh$' -e '/deps_test\.sh$')
if [ -n "$others" ]; then
	echo "# installs packages: $others"
	ktap_result 1 "only install-deps.sh installs packages"
else
	ktap_result 0 "only install-deps.sh installs packages"
fi
ktap_totals
