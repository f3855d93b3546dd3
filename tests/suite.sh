#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usage: suite.sh NAME PROGRAM [ARGS...]
# Runs one KTAP suite between the markers scripts/ktap-check.sh reads.
name=$1
shift
echo "# vmmon suite: $name begin"
"$@"
echo "# vmmon suite: $name end rc=$?"
