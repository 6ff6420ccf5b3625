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
