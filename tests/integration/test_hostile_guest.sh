#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A guest that breaks every rule cannot crash the daemon or disturb another
# guest: each case gets its defined outcome and the device works after a
# reset. Then a guest dies mid-request and is destroyed: nothing leaks.
. "$(dirname "$0")/lib.sh"
sim_start
daemon_start
make_disk "$SIM_DIR/bad.img" 2
make_disk "$SIM_DIR/good.img" 2
bad=$(guest_create bad --vcpus 2 --disk "$SIM_DIR/bad.img,grant_usage=1") || fail "create bad"
good=$(guest_create good --disk "$SIM_DIR/good.img") || fail "create good"
cases="head-out-of-range next-out-of-range chain-loop indirect-nested indirect-len-zero
       indirect-len-odd indirect-next read-after-write avail-idx-jump force-indirect
       addr-overflow never-granted read-8byte write-8byte read-1byte write-1byte
       write-readonly queue-config-live outside-window queue-num-not-pow2"
for c in $cases; do
    guest "$bad" misbehave "$c" >"$SIM_DIR/mb.out" 2>&1 ||
        fail "misbehave $c: $(cat "$SIM_DIR/mb.out")"
    daemon_alive || fail "daemon died on $c"
    guest "$good" blk-rw --bytes 4096 --requests 1 >/dev/null || fail "good guest hurt by $c"
done
# Guest errors are logged, rate-limited: far fewer lines than cases*attempts.
lines=$(grep -c "guest error" "$DAEMON_LOG" || true)
[ "$lines" -gt 0 ] || fail "no guest error logged"
guest "$bad" die || true
guest_destroy "$bad" || fail "destroy after die"
wait_for 5 dom_gone "$bad" ||
    fail "dom$bad is a zombie: $(dom_mappings "$bad")"
guest "$good" blk-rw --bytes 4096 --requests 1 >/dev/null || fail "good guest after destroy"
pass "hostile guest ($lines guest-error lines logged)"
