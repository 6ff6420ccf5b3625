#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The systemd unit: the directives the daemon relies on are there, and
# systemd-analyze (when present) accepts it. Usage: test_unit_file.sh UNIT XENVIRTIOD
set -euo pipefail
unit=$1 binary=$2
for directive in Type=notify NotifyAccess=main WatchdogSec= ExecReload= \
                 "DeviceAllow=/dev/xen/privcmd rw" "DeviceAllow=/dev/xen/evtchn rw" \
                 "DeviceAllow=/dev/xen/gntdev rw" DevicePolicy=closed ProtectSystem=strict \
                 MemoryDenyWriteExecute=yes; do
    grep -q "^$directive" "$unit" || { echo "FAIL: $unit lacks $directive"; exit 1; }
done
if command -v systemd-analyze >/dev/null; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    sed "s|/usr/sbin/xenvirtiod|$binary|" "$unit" >"$dir/xenvirtiod.service"
    out=$(systemd-analyze verify "$dir/xenvirtiod.service" 2>&1 || true)
    # Units it mentions that this machine lacks are not errors of ours.
    bad=$(grep -v -e "not found" -e "xen.service" -e "xenstored" -e "proc-xen" \
                  -e "xendomains" -e "Command .man " -e "^$" <<<"$out" || true)
    [ -z "$bad" ] || { echo "FAIL: systemd-analyze: $bad"; exit 1; }
    echo "systemd-analyze verify: clean"
fi
echo "PASS: unit file"
