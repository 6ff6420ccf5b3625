#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The drop-in libraries must export exactly what Debian's do: same SONAME,
# same (version node, symbol) pairs, so binaries linked against the real
# libraries bind to ours. usage: check-symbols.sh SIM_LIB_DIR REAL_LIB_DIR
set -eu
sim=$1
real=$2
status=0
exports() {
    objdump -T "$1" | awk '$0 !~ /\*UND\*/ && NF >= 2 && $(NF-1) ~ /^VERS_/ {print $(NF-1), $NF}' |
        sort -u
}
for lib in libxendevicemodel.so.1 libxenforeignmemory.so.1 libxenevtchn.so.1 \
           libxengnttab.so.1 libxenctrl.so.4.17; do
    tmp=${TMPDIR:-/tmp}/check-symbols.$$
    exports "$real/$lib" > "$tmp.real"
    exports "$sim/$lib" > "$tmp.sim"
    if ! diff -u "$tmp.real" "$tmp.sim"; then
        echo "FAIL: $lib exports differ" >&2
        status=1
    fi
    rm -f "$tmp.real" "$tmp.sim"
    soname=$(objdump -p "$sim/$lib" | awk '$1 == "SONAME" {print $2}')
    if [ "$soname" != "$lib" ]; then
        echo "FAIL: $lib has SONAME '$soname'" >&2
        status=1
    fi
    if objdump -p "$sim/$lib" | awk '$1 == "NEEDED"' | grep -q libxen; then
        echo "FAIL: $lib depends on a real Xen library" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo ok
exit $status
