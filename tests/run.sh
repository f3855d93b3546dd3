#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module's test suites.  In the test image this is /vmmon/run.sh,
# started by the image's init; on a real VT-x host scripts/check-host.sh
# runs it as root.  The programs and vmmon.ko sit beside it.
# usage: run.sh [tests|demo]
here=${0%/*}
mode=${1:-tests}

run_suites() {
	"$here/suite.sh" vmmon_load "$here/vmmon_load_test" --module "$here/vmmon.ko"
	# Where the load suite checked a refusal (no VT-x, or not enough of
	# it), nothing more can run; the caller knows which suites to expect.
	# The others (listed in module-suites) each load and unload it.
	if insmod "$here/vmmon.ko" 2>/dev/null; then
		rmmod vmmon
		for suite in $(cat "$here/module-suites"); do
			# vmctl_boot boots Linux twice inside the guest.
			case $suite in
			vmctl_boot) t=900 ;;
			*) t=${SUITE_TIMEOUT:-300} ;;
			esac
			SUITE_TIMEOUT=$t "$here/suite.sh" "$suite" \
				"$here/${suite}_test" --module "$here/vmmon.ko"
		done
	fi
}

demo() {
	echo "== insmod vmmon.ko (with its debug messages on)"
	insmod "$here/vmmon.ko" dyndbg=+p || return 1
	dmesg | grep 'vmmon:'
	echo "== vmctl info"
	"$here/vmctl" info
	echo "== vmctl check: the first VM makes every CPU enter VMX root operation"
	"$here/vmctl" check || return 1
	echo "== what the module logged"
	dmesg | grep 'vmmon:' | tail -n 4
	rmmod vmmon
	echo "== the module's test suites"
	run_suites
}

case $mode in
tests) run_suites ;;
demo) demo ;;
*) echo "run.sh: unknown mode '$mode' (tests or demo)" >&2; exit 2 ;;
esac
