#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usage: suite.sh NAME PROGRAM [ARGS...]
# Runs one KTAP suite between the markers scripts/ktap-check.sh reads.  A
# suite that hangs is killed after SUITE_TIMEOUT seconds (default 300):
# its missing results then fail it, and the other suites still run.
name=$1
shift
echo "# vmmon suite: $name begin"
if command -v timeout >/dev/null 2>&1; then
	timeout "${SUITE_TIMEOUT:-300}" "$@"
else
	"$@"
fi
echo "# vmmon suite: $name end rc=$?"
