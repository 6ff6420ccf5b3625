#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# xl-style virtio disks end to end, both xenstore layouts and both memory
# modes: libxl 4.17 (backend/virtio_disk, base in decimal, foreign memory
# from dom0) and 4.19 disks with grant_usage=1 (grants). The guest probes,
# writes, reads back; destroy follows libxl's handshake and leaves no
# mapping behind.
. "$(dirname "$0")/lib.sh"
sim_start
daemon_start
make_disk "$SIM_DIR/a.img" 8
make_disk "$SIM_DIR/b.img" 4

for variant in "417 0" "419 1"; do
    set -- $variant
    layout=$1 grants=$2
    domid=$(guest_create "g$layout" --libxl "$layout" --vcpus 1 \
            --disk "$SIM_DIR/a.img,grant_usage=$grants" \
            --disk "$SIM_DIR/b.img,vdev=xvdb,ro,grant_usage=$grants") \
        || fail "libxl $layout: create failed"
    out=$(guest "$domid" probe) || fail "libxl $layout: probe failed: $out"
    echo "$out"
    [ "$(grep -c 'virtio-blk' <<<"$out")" = 2 ] || fail "libxl $layout: expected 2 disks"
    grep -q "16384 sectors" <<<"$out" || fail "libxl $layout: capacity of a.img"
    if [ "$grants" = 1 ]; then
        grep -q "ACCESS_PLATFORM" <<<"$out" || fail "grants need ACCESS_PLATFORM"
    fi
    guest "$domid" blk-rw --bytes 65536 --requests 16 || fail "libxl $layout: blk-rw"
    # What the guest wrote is in the image.
    [ -n "$(od -An -tx1 -N16 "$SIM_DIR/a.img" | tr -d ' 0\n')" ] || fail "image unchanged"
    state=$(xenstore-read "/local/domain/0/backend/virtio_disk/$domid/51712/state")
    [ "$state" = 4 ] || fail "libxl $layout: backend state $state, want 4 (Connected)"
    guest_destroy "$domid" || fail "libxl $layout: destroy handshake"
    wait_for 5 dom_gone "$domid" ||
        fail "libxl $layout: dom$domid still listed (zombie: $(dom_mappings "$domid"))"
    grep -q "dom$domid: released" "$DAEMON_LOG" || fail "daemon did not release dom$domid"
    daemon_alive || fail "daemon died"
    # As libxl__xs_path_cleanup: the last disk took its empty parents with
    # it, and the next guest's disk (next round) comes into a new tree.
    ! xenstore-exists /local/domain/0/backend/virtio_disk 2>/dev/null ||
        fail "libxl $layout: backend/virtio_disk left behind: $(xenstore-ls /local/domain/0/backend 2>&1)"
done
daemon_stop || fail "daemon exit status on SIGTERM"
pass "virtio disks: libxl 4.17 foreign and 4.19 grants"
