#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# libxl 4.18+ generic virtio entries (backend/virtio, base in hex, no wait
# by libxl): the device type comes from "virtio,device<hex id>", its
# settings from a [device] section of the config file.
. "$(dirname "$0")/lib.sh"
sim_start
make_disk "$SIM_DIR/c.img" 2
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device data]
type = block
path = $SIM_DIR/c.img
CONF
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
domid=$(guest_create g418 --libxl 418 --virtio "virtio,device2,grant_usage=1") ||
    fail "create"
guest "$domid" wait-ready --timeout 5000 || fail "backend never answered"
out=$(guest "$domid" probe) || fail "probe: $out"
grep -q "4096 sectors" <<<"$out" || fail "expected the 2 MiB image: $out"
guest "$domid" blk-rw --bytes 8192 --requests 4 || fail "blk-rw"
base=$(xenstore-read "/local/domain/0/backend/virtio/$domid/0/base")
[ "$base" = 0x2000000 ] || fail "libxl 4.18 writes base in hex, got $base"
guest_destroy "$domid" || fail "destroy"
pass "generic virtio (4.18 layout) with grants"

# Xen 4.17: xl knows only disks, so a disk whose target names a [device]
# section (xl-target) becomes that device, with that section's settings.
daemon_stop
touch "$SIM_DIR/xl-target-data"
make_disk "$SIM_DIR/real.img" 3
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device routed]
type = block
path = $SIM_DIR/real.img
xl-target = $SIM_DIR/xl-target-data
CONF
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
domid=$(guest_create g417 --libxl 417 --disk "$SIM_DIR/xl-target-data") || fail "create 4.17"
out=$(guest "$domid" probe) || fail "probe 4.17: $out"
grep -q "6144 sectors" <<<"$out" || fail "xl-target did not route to real.img: $out"
grep -q "dom$domid/routed: block" "$DAEMON_LOG" || fail "device not named after its section"
guest_destroy "$domid" || fail "destroy 4.17"
pass "xl 4.17 disk routed to a config-file device by xl-target"

# A section that names its guest routes only that guest's disk: another
# guest naming the same target gets the target itself (an empty file).
daemon_stop
printf 'domain = g417\n' >>"$SIM_DIR/xenvirtiod.conf"
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
domid=$(guest_create other --libxl 417 --disk "$SIM_DIR/xl-target-data") || fail "create other"
if grep -q "dom$domid/routed: block" "$DAEMON_LOG"; then
    fail "g417's section was given to another guest"
fi
guest_destroy "$domid" || fail "destroy other"
domid=$(guest_create g417 --libxl 417 --disk "$SIM_DIR/xl-target-data") || fail "create g417 again"
grep -q "dom$domid/routed: block" "$DAEMON_LOG" || fail "g417 lost its section"
guest_destroy "$domid" || fail "destroy g417"
pass "an xl-target section that names its guest is that guest's alone"
