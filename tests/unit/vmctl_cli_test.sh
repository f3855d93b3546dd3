#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmctl's command line and its error messages, natively (no module):
# each case runs vmctl and checks the exit status and one line of output.
# usage: vmctl_cli_test.sh PATH-TO-VMCTL
vmctl=$1
n=0 pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS PATTERN -- ARGS...: exit STATUS, output matches PATTERN
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	n=$((n + 1))
	"$vmctl" "$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$tmp/out"; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		sed 's/^/# /' "$tmp/out"
		echo "# exit status $got, expected $want; expected output matching: $pattern"
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..8"
expect help 0 "^  check " -- --help
expect no_command 2 "^usage: vmctl" --
expect unknown_command 2 "unknown command 'frob'" -- frob
expect device_needs_path 2 "needs a path" -- --device
expect no_module 1 "is the vmmon module loaded" -- --device "$tmp/none" info
expect not_vmmon 1 "/dev/null is not a vmmon device" -- --device /dev/null info
expect check_not_vmmon 1 "is not a vmmon device" -- --device /dev/null check
expect info_extra_args 2 "info takes no arguments" -- info extra
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
