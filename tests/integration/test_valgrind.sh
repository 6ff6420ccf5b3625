#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The daemon under valgrind through guest lifecycles in both memory modes,
# a hostile request, an SCMI guest and socket client, a reload and SIGTERM:
# no invalid access, no leak.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 77; }
sim_start
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[scmi]
socket = $SIM_DIR/scmi.sock
[scmi-clock c0]
rates = 1000,2000
[scmi-power p0]
[scmi-sensor s0]
unit = temperature
value = 42
[device scmi]
type = scmi
domain = s1
clocks = c0
power-domains = p0
sensors = s0
CONF
DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9" \
    daemon_start --config "$SIM_DIR/xenvirtiod.conf"
make_disk "$SIM_DIR/a.img" 1
for i in 1 2 3 4; do
    domid=$(guest_create "v$i" --vcpus 2 --disk "$SIM_DIR/a.img,grant_usage=$((i % 2))") ||
        fail "create $i"
    guest "$domid" --quiet blk-rw --bytes 8192 --requests 2 || fail "blk-rw $i"
    [ "$i" = 2 ] && { guest "$domid" misbehave chain-loop >/dev/null || fail "misbehave"; }
    guest_destroy "$domid" >/dev/null || fail "destroy $i"
done
domid=$(guest_create s1 --libxl 418 --virtio "virtio,device20") || fail "create s1"
guest "$domid" wait-ready --timeout 20000 >/dev/null || fail "s1: no backend"
guest "$domid" scmi-boot >/dev/null || fail "scmi-boot under valgrind"
printf 'clock-enable 0\npower-set 0 1\nraw 00 40\n' | guest "$domid" scmi-shell >/dev/null ||
    fail "scmi-shell"
"$XENVIRTIOD_SCMI" -s "$SIM_DIR/scmi.sock" clock-enable 0 : clock-list >/dev/null ||
    fail "socket client"
kill -HUP "$DAEMON_PID"
wait_for 20 grep -q "configuration reloaded" "$DAEMON_LOG" || fail "reload"
guest_destroy "$domid" >/dev/null || fail "destroy s1"
grep -q "Memcheck" "$DAEMON_LOG" || fail "the daemon is not running under valgrind"
daemon_stop || fail "valgrind found errors: $(grep -E 'Invalid|definitely|indirectly' "$DAEMON_LOG" | head -5)"
grep -q "ERROR SUMMARY: 0 errors" "$DAEMON_LOG" || fail "valgrind summary missing"
pass "valgrind: no errors, no leaks"
