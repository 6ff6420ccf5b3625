#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Static devices for a named guest that xl creates later (a grant-mode disk
# xl 4.17 cannot describe, given to the guest by a partial device tree):
# attached when the domain is introduced, before xl's own virtio disk is
# claimed and the guest unpaused; detached when it dies; attached again
# to the re-created domain; a failed attach is reported once per domain.
. "$(dirname "$0")/lib.sh"
sim_start
make_disk "$SIM_DIR/xl.img" 2
make_disk "$SIM_DIR/grant.img" 4
make_disk "$SIM_DIR/solo.img" 1
cat >"$SIM_DIR/follow.conf" <<CONF
[device granted]
type = block
path = $SIM_DIR/grant.img
domain = gr
base = 0x2000200
irq = 34
memory = grants

[device solo]
type = block
path = $SIM_DIR/solo.img
domain = solo
base = 0x2000000
irq = 33
memory = foreign

; Its image is missing: cannot be attached.
[device clash]
type = block
path = $SIM_DIR/missing.img
domain = clash
base = 0x2000000
irq = 33
CONF
daemon_start --config "$SIM_DIR/follow.conf"
grep -q "device granted: key 'domain': no domain 'gr'; attached when it is created" \
    "$DAEMON_LOG" || fail "no word about the missing domain"

tree() { # the guest's view: xl's slot 0, then the partial device tree's node
    printf '0x2000000 33 0 0 virtio_disk 51712 xvda %s\n' "$SIM_DIR/xl.img"
    printf '0x2000200 34 1 0 virtio 0 granted -\n'
}
for round in 1 2; do
    # The toolstack unpauses only after the daemon claimed xl's disk; the
    # static device must already be there by then.
    domid=$(guest_create gr --libxl 417 --disk "$SIM_DIR/xl.img") || fail "create gr ($round)"
    grep -q "dom$domid/granted: block at 0x2000200" "$DAEMON_LOG" ||
        fail "round $round: static device not attached to dom$domid"
    awk -v d="dom$domid" '
        index($0, d "/granted: block at") && !s { s = NR }
        index($0, d "/disk-51712: block at") && !x { x = NR }
        END { exit !(s && x && s < x) }' "$DAEMON_LOG" ||
        fail "round $round: the static device came after xl's disk"
    out=$(guest "$domid" --devices <(tree) probe) || fail "round $round: probe: $out"
    grep -q "ACCESS_PLATFORM" <<<"$out" || fail "round $round: grant-mode disk without ACCESS_PLATFORM"
    [ "$(grep -c 'virtio-blk' <<<"$out")" = 2 ] || fail "round $round: want 2 disks: $out"
    guest "$domid" --devices <(tree) blk-rw --dev 1 --bytes 65536 --requests 16 \
        --seed "$round" || fail "round $round: blk-rw on the grant-mode disk"
    guest_destroy "$domid" || fail "round $round: destroy"
    wait_for 5 dom_gone "$domid" || fail "round $round: dom$domid left behind: $(dom_mappings "$domid")"
    wait_for 5 grep -q "device granted: domain $domid is gone; waiting for 'gr'" "$DAEMON_LOG" ||
        fail "round $round: static device not detached"
    grep -q "dom$domid: released" "$DAEMON_LOG" || fail "round $round: dom$domid not released"
done

# A guest with no xl virtio device: introduced, then attached. Xen gives
# it SPIs only for its vuart (rounded up to 32 lines: 33 is among them).
domid=$(guest_create solo --vuart) || fail "create solo"
wait_for 5 grep -q "dom$domid/solo: block at 0x2000000" "$DAEMON_LOG" || fail "solo not attached"
guest "$domid" --devices /dev/stdin blk-rw --bytes 4096 --requests 4 \
    <<<"0x2000000 33 0 0 virtio 0 solo -" || fail "solo: blk-rw"
guest_destroy "$domid" || fail "destroy solo"
wait_for 5 dom_gone "$domid" || fail "solo: dom$domid left behind"

# Without the vuart it has no SPI at all: the daemon says why the guest
# hears nothing, once, and goes on serving.
domid=$(guest_create solo) || fail "create solo without SPIs"
wait_for 5 grep -q "dom$domid/solo: block at 0x2000000" "$DAEMON_LOG" || fail "solo (no SPIs) not attached"
timeout 5 "$XENSIM_GUEST" --domid "$domid" --devices /dev/stdin blk-rw --bytes 4096 \
    --requests 4 <<<"0x2000000 33 0 0 virtio 0 solo -" >/dev/null 2>&1 &&
    fail "a guest without SPIs got its interrupts"
[ "$(grep -c "dom$domid/solo: irq 33 is not one of the guest's SPIs" "$DAEMON_LOG")" = 1 ] ||
    fail "want one 'not one of the guest's SPIs' for dom$domid"
guest_destroy "$domid" || fail "destroy solo without SPIs"

# A clash: reported once for this domain, not at every xenstore event.
guest_create clash >/dev/null || fail "create clash"
for i in 1 2 3; do xenstore-write "/local/domain/0/backend/virtio_disk/poke" "$i"; done
xenstore-rm "/local/domain/0/backend/virtio_disk/poke"
sleep 0.3
[ "$(grep -c 'skipping: device clash' "$DAEMON_LOG")" = 1 ] ||
    fail "clash reported $(grep -c 'skipping: device clash' "$DAEMON_LOG") times, want once"
daemon_alive || fail "daemon died"
daemon_stop || fail "SIGTERM"
pass "static devices follow their named domain: attached before unpause, detached, re-attached"
