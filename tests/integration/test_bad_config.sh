#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bad input from xenstore, the config file and the command line: a clear
# error naming the guest, device, key and value; that device is skipped,
# the rest are served.
. "$(dirname "$0")/lib.sh"
sim_start
daemon_start
make_disk "$SIM_DIR/ok.img" 1
domid=$(guest_create good --disk "$SIM_DIR/ok.img") || fail "create"
# A hand-written backend entry with a bad base, for an existing guest.
be=/local/domain/0/backend/virtio_disk/$domid/51728
xenstore-write "$be/params" "$SIM_DIR/ok.img" "$be/base" "0x12zz" "$be/irq" 40 \
    "$be/state" 1 "$be/online" 1
wait_for 5 grep -q "key 'base': bad value '0x12zz'" "$DAEMON_LOG" ||
    fail "no error naming the bad base"
grep -q "dom$domid/virtio_disk/51728" "$DAEMON_LOG" || fail "error does not name the device"
xenstore-write "$be/irq" 7
guest "$domid" blk-rw --bytes 4096 --requests 1 >/dev/null || fail "good device stopped"
daemon_alive || fail "daemon died"
daemon_stop
# Config file errors name file:line, device, key, value.
printf '[device x]\ntype = block\npath = %s\nirq = 7\nbase = 0x2000000\ndomain = 1\n' \
    "$SIM_DIR/ok.img" >"$SIM_DIR/bad.conf"
LD_LIBRARY_PATH=$XENSIM_LIB_DIR "$XENVIRTIOD" --config "$SIM_DIR/bad.conf" \
    --log-target stderr --no-xenstore >"$SIM_DIR/bad.out" 2>&1 &
pid=$!
sleep 1; kill $pid 2>/dev/null; wait $pid 2>/dev/null || true
grep -q "bad.conf:4" "$SIM_DIR/bad.out" && grep -q "irq" "$SIM_DIR/bad.out" ||
    fail "config error not precise: $(cat "$SIM_DIR/bad.out")"
# Command line errors.
out=$("$XENVIRTIOD" --domain 1 --device type=block,irq=zz 2>&1) && fail "bad --device accepted"
grep -q "irq" <<<"$out" || fail "--device error does not name the key: $out"
pass "bad xenstore, config and command-line input"
