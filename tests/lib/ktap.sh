# SPDX-License-Identifier: GPL-2.0
# KTAP output for the test suites written in shell (sourced by them; POSIX
# sh, as the test image's busybox runs the module suites among them):
# ktap_plan N, the header and the plan; ktap_result OK NAME, one result; ktap_check NAME COMMAND..., one result
# from a command, its last output lines as diagnostics when it fails;
# ktap_totals, the "# Totals:" line and the exit status.
ktap_n=0 ktap_fail=0

ktap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ktap_result() {
	ktap_n=$((ktap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $ktap_n $2"
	else
		echo "not ok $ktap_n $2"
		ktap_fail=$((ktap_fail + 1))
	fi
}

ktap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ktap_result 0 "$name"
	else
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
		ktap_result 1 "$name"
	fi
}

ktap_totals() {
	echo "# Totals: pass:$((ktap_n - ktap_fail)) fail:$ktap_fail xfail:0 xpass:0 skip:0 error:0"
	[ "$ktap_fail" -eq 0 ]
}
