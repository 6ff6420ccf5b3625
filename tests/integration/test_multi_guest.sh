#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Two guests at once, one with 4 vCPUs hammering registers from every vCPU
# while the other does block I/O: both are served, values always right.
. "$(dirname "$0")/lib.sh"
sim_start
daemon_start
make_disk "$SIM_DIR/a.img" 4
make_disk "$SIM_DIR/b.img" 4
d1=$(guest_create quad --vcpus 4 --disk "$SIM_DIR/a.img") || fail "create quad"
d2=$(guest_create single --vcpus 1 --disk "$SIM_DIR/b.img") || fail "create single"
guest "$d1" probe >/dev/null || fail "probe quad"
guest "$d2" probe >/dev/null || fail "probe single"
guest "$d1" hammer --seconds 2 >"$SIM_DIR/hammer.out" &
hammer=$!
guest "$d2" blk-rw --bytes 262144 --requests 64 || fail "blk-rw next to a hammering guest"
wait $hammer || fail "hammer saw a wrong value: $(cat "$SIM_DIR/hammer.out")"
cat "$SIM_DIR/hammer.out"
[ "$(grep -c 'vcpu' "$SIM_DIR/hammer.out")" -ge 4 ] || fail "expected 4 vCPUs reporting"
guest_destroy "$d1" && guest_destroy "$d2" || fail "destroy"
daemon_alive || fail "daemon died"
pass "two guests, 4 vCPUs"
