#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's kselftest harness for vmmon's test programs: the two
# header-only files tools/testing/selftests/kselftest_harness.h and
# kselftest.h, taken from Debian's linux-source-6.1 package.  No Debian
# package ships them on their own; the package is downloaded (not
# installed: it would put a 139 MB tarball into /usr/src) and only those
# two files are extracted.
# Usage: kselftest-fetch.sh DIR   (writes DIR/kselftest_harness.h, DIR/kselftest.h)
set -euo pipefail

dir=${1:?usage: kselftest-fetch.sh DIR}
pkg=linux-source-6.1
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg") || {
	echo "kselftest-fetch: cannot download $pkg (run apt-get update?)" >&2
	exit 1
}
dpkg-deb --fsys-tarfile "$tmp/${pkg}_"*.deb |
	tar -xO "./usr/src/$pkg.tar.xz" |
	tar -xJ -C "$tmp" --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
for f in kselftest_harness.h kselftest.h; do
	src=$(find "$tmp" -name "$f" -path '*/selftests/*')
	[ -n "$src" ] || { echo "kselftest-fetch: $f not in $pkg" >&2; exit 1; }
	install -m 0644 "$src" "$dir/$f"
done
echo "kselftest-fetch: $dir/kselftest_harness.h and kselftest.h from $pkg"
