#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usage: suite.sh NAME PROGRAM [ARGS...]
# Runs one KTAP suite between the markers scripts/ktap-check.sh reads.  A
# suite that hangs is killed after SUITE_TIMEOUT seconds (default 300):
# its missing results then fail it, and the other suites still run.
name=$1
shift
# The guest's clock in whole seconds, for the time a suite took (make check
# prints them: what to trim when the run grows).
uptime_s() { read -r up _ </proc/uptime 2>/dev/null && echo "${up%.*}"; }
start=$(uptime_s)
echo "# vmmon suite: $name begin"
if command -v timeout >/dev/null 2>&1; then
	timeout "${SUITE_TIMEOUT:-300}" "$@"
else
	"$@"
fi
rc=$?
end=$(uptime_s)
[ -n "$start" ] && [ -n "$end" ] && echo "# vmmon suite: $name took $((end - start)) s"
echo "# vmmon suite: $name end rc=$rc"
