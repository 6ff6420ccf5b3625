#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The guest writes its xenstore frontend dir freely; the daemon must take
# every path, address, irq and type from the backend dir libxl wrote,
# which the guest can read but not write (tests/HOSTILE.md, "Xenstore
# nodes"). The guest here writes as domain N, through the simulated
# xenstored's per-domain socket, with xenstored's permission checks.
. "$(dirname "$0")/lib.sh"
sim_start
make_disk "$SIM_DIR/c.img" 2
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device data]
type = block
path = $SIM_DIR/c.img
CONF
# libxl 4.18 does not wait for the backend: the guest's writes land before
# the daemon reads anything.
domid=$(guest_create hostile --libxl 418 --virtio "virtio,device2") || fail "create"
be=/local/domain/0/backend/virtio/$domid/0
fe=/local/domain/$domid/device/virtio/0
as_guest() { XENSTORED_PATH=$XENSTORED_PATH.d$domid "$@"; }

# Frontend nodes: the guest owns them, so this succeeds...
for kv in base=0x3000000 irq=40 type=virtio,device22 transport=pci \
          params=/etc/shadow grant_usage=0 mode=w; do
    as_guest xenstore-write "$fe/${kv%%=*}" "${kv#*=}" || fail "guest cannot write its frontend ${kv%%=*}"
done
# ...but not the frontend's backend and backend-id (libxl writes them
# read-only: ro_fents), nor backend nodes, nor a device of its own.
as_guest xenstore-write "$fe/backend" "/local/domain/0/backend/virtio/$domid/7" 2>/dev/null &&
    fail "guest rewrote its frontend's backend path"
as_guest xenstore-write "$fe/backend-id" 7 2>/dev/null && fail "guest rewrote its backend-id"
as_guest xenstore-write "$be/base" 0x3000000 2>/dev/null && fail "guest wrote its backend base"
as_guest xenstore-write "$be/params" /etc/shadow 2>/dev/null && fail "guest wrote its backend params"
as_guest xenstore-write "/local/domain/0/backend/virtio/$domid/1/state" 1 2>/dev/null &&
    fail "guest forged a backend device"
as_guest xenstore-write "/local/domain/$domid/name" victim 2>/dev/null &&
    echo "note: the simulated toolstack leaves /local/domain/$domid guest-owned (libxl does not)"

daemon_start --config "$SIM_DIR/xenvirtiod.conf"
guest "$domid" wait-ready --timeout 5000 || fail "backend never answered"
out=$(guest "$domid" probe) || fail "probe: $out"
grep -q "4096 sectors" <<<"$out" || fail "expected the config file's 2 MiB image: $out"
grep -q "0x3000000\|/etc/shadow" "$DAEMON_LOG" && fail "the daemon used a frontend-written value"
grep -q "dom$domid/data" "$DAEMON_LOG" || fail "device not claimed from the backend's type"
[ "$(xenstore-read "$be/base")" = 0x2000000 ] || fail "backend base changed"
pass "frontend-written base/irq/type/params/backend are ignored; backend nodes are not guest-writable"

# The frontend's own state means nothing to the daemon: Closing written by
# the guest does not tear its device down (only the toolstack's does).
# (The simulated toolstack leaves the frontend keys it wrote dom0-owned,
# where libxl's are the guest's: then only the new node below is written.)
as_guest xenstore-write "$fe/state" 5 2>/dev/null ||
    echo "note: the simulated toolstack's frontend state is not guest-writable"
as_guest xenstore-write "$fe/online" 0 || fail "guest cannot write online"
sleep 0.3
guest "$domid" blk-rw --bytes 8192 --requests 4 || fail "device gone after the frontend's Closing"
guest_destroy "$domid" || fail "destroy"
pass "a frontend state/online write does not close the device"
