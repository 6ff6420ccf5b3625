#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The systemd unit: the directives the daemon relies on are there, its paths
# are the ones the build installs to and the daemon reads by default, and
# systemd-analyze (when present) accepts it.
# Usage: test_unit_file.sh UNIT XENVIRTIOD SBINDIR CONFIG
set -euo pipefail
unit=$1 binary=$(realpath "$2") sbindir=$3 config=$4
grep -qF "(default $config)" <("$binary" --help) ||
    { echo "FAIL: xenvirtiod's default config is not $config"; exit 1; }
for directive in Type=notify NotifyAccess=main WatchdogSec=30s \
                 "ExecStart=$sbindir/xenvirtiod --config $config --foreground" \
                 "ExecReload=$sbindir/xenvirtiodctl reload" Restart=on-failure \
                 "After=xen.service xenstored.service proc-xen.mount" \
                 "DeviceAllow=/dev/xen/privcmd rw" "DeviceAllow=/dev/xen/evtchn rw" \
                 "DeviceAllow=/dev/xen/gntdev rw" "DeviceAllow=/dev/xen/xenbus rw" \
                 "DeviceAllow=char-i2c rw" DevicePolicy=closed ProtectSystem=strict \
                 ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
                 RuntimeDirectory=xenvirtiod RuntimeDirectoryMode=0700 \
                 RestrictAddressFamilies=AF_UNIX LockPersonality=yes \
                 MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
                 "SystemCallFilter=io_uring_setup" "CapabilityBoundingSet=CAP_DAC_OVERRIDE"; do
    grep -qF -- "$directive" <(grep -v '^#' "$unit") ||
        { echo "FAIL: $unit lacks $directive"; exit 1; }
done
# Requires= on units Debian does not have would keep the daemon from starting.
if grep -q '^Requires=' "$unit"; then
    echo "FAIL: $unit uses Requires= (Debian has no xenstored.service/proc-xen.mount)"
    exit 1
fi
if grep -q 'CAP_SYS_ADMIN' <(grep -v '^#' "$unit"); then
    echo "FAIL: $unit grants CAP_SYS_ADMIN"
    exit 1
fi
if command -v systemd-analyze >/dev/null; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    sed -e "s|$sbindir/xenvirtiod |$binary |" \
        -e "s|$sbindir/xenvirtiodctl |$(dirname "$binary")/xenvirtiodctl |" \
        "$unit" >"$dir/xenvirtiod.service"
    out=$(systemd-analyze verify "$dir/xenvirtiod.service" 2>&1 || true)
    # Units it mentions that this machine lacks are not errors of ours.
    bad=$(grep -v -e "not found" -e "xen.service" -e "xenstored" -e "proc-xen" \
                  -e "xendomains" -e "Command .man " -e "^$" <<<"$out" || true)
    [ -z "$bad" ] || { echo "FAIL: systemd-analyze: $bad"; exit 1; }
    echo "systemd-analyze verify: clean"
else
    echo "systemd-analyze not installed: syntax not verified"
fi
echo "PASS: unit file"
