#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A guest whose second vCPU flips bits in its in-flight requests' buffers,
# on a disk, an i2c bus and an SCMI agent at once, mapped by grants and by
# foreign mapping: the daemon stays up, another guest's disk keeps working
# through it, and after the race every racing device serves a clean request.
. "$(dirname "$0")/lib.sh"
sim_start
every_type_config "$SIM_DIR/xenvirtiod.conf"
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
make_disk "$SIM_DIR/racer.img" 2
make_disk "$SIM_DIR/victim.img" 2
for memory in grants foreign; do
    grant_usage=$([ $memory = grants ] && echo 1 || echo 0)
    racer=$(guest_create racer-$memory --vcpus 2 \
        --disk "$SIM_DIR/racer.img,grant_usage=$grant_usage" \
        --virtio "virtio,device22,grant_usage=$grant_usage" \
        --virtio "virtio,device20,grant_usage=$grant_usage") || fail "create racer"
    victim=$(guest_create victim-$memory --disk "$SIM_DIR/victim.img") || fail "create victim"
    guest "$racer" wait-ready --timeout 5000 >/dev/null || fail "racer: backend never answered"
    guest "$victim" wait-ready --timeout 5000 >/dev/null || fail "victim: backend never answered"
    # The other guest reads and writes its disk all through the race.
    rm -f "$SIM_DIR/stop"
    (rounds=0
     until [ -f "$SIM_DIR/stop" ]; do
         guest "$victim" blk-rw --bytes 262144 --requests 64 || exit 1
         rounds=$((rounds + 1))
     done
     echo "$rounds rounds") >"$SIM_DIR/victim.out" 2>&1 &
    victim_pid=$!
    out=$(guest "$racer" --timeout 500 race --seconds 4) || fail "$memory race: $out"
    touch "$SIM_DIR/stop"
    echo "$out"
    [ "$(grep -c 'clean request served after the race' <<<"$out")" = 3 ] ||
        fail "$memory: not every racing device served a clean request: $out"
    flips=$(sed -n 's/.* \([0-9]*\) flips$/\1/p' <<<"$out")
    [ "${flips:-0}" -gt 100 ] || fail "$memory: the racing vCPU hardly raced ($flips flips)"
    wait "$victim_pid" || fail "$memory: the other guest was hurt: $(cat "$SIM_DIR/victim.out")"
    grep -q "[1-9][0-9]* rounds" "$SIM_DIR/victim.out" || fail "$memory: the other guest did no I/O"
    daemon_alive || fail "$memory: daemon died"
    guest_destroy "$racer" || fail "destroy racer"
    guest_destroy "$victim" || fail "destroy victim"
done
pass "racing guest: block, i2c and scmi under bit flips, grants and foreign"
