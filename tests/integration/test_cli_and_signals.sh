#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# One-guest launch from the command line (static placement, no xenstore
# devices), SIGHUP reload of static config devices, graceful SIGTERM.
. "$(dirname "$0")/lib.sh"
sim_start
make_disk "$SIM_DIR/cli.img" 1
make_disk "$SIM_DIR/two.img" 1
# A guest with no xl devices: the daemon is told about it directly.
domid=$(guest_create bringup --vcpus 2 --vuart) || fail "create"
daemon_start --domain bringup --device "name=disk0,type=block,path=$SIM_DIR/cli.img"
out=$(guest "$domid" --devices /dev/stdin probe <<<"0x2000000 33 0 0 virtio 0 disk0 -") ||
    fail "probe of the command-line device: $out"
grep -q "2048 sectors" <<<"$out" || fail "wrong device: $out"
daemon_stop || fail "SIGTERM exit status"
grep -q "stopped" "$DAEMON_LOG" || fail "no clean stop"
[ "$(dom_mappings "$domid")" = "0 0 0" ] || fail "mappings left after SIGTERM: $(dom_mappings "$domid")"

# Static devices from the config file, then a reload adds one.
{ printf '[daemon]\nxenstore = no\n'
  block_section one "$SIM_DIR/cli.img" "$domid" 0x2000000 33; } >"$SIM_DIR/static.conf"
daemon_start --config "$SIM_DIR/static.conf"
guest "$domid" --devices /dev/stdin probe <<<"0x2000000 33 0 0 virtio 0 one -" >/dev/null ||
    fail "static device"
block_section two "$SIM_DIR/two.img" "$domid" 0x2000200 34 >>"$SIM_DIR/static.conf"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reloaded" "$DAEMON_LOG" || fail "no reload"
guest "$domid" --devices /dev/stdin probe <<<"0x2000200 34 0 0 virtio 1 two -" >/dev/null ||
    fail "device added by reload"
# Drop "two" again: it goes; "one", unchanged, stays, and its guest's
# driver (one guest process at a time: it is the domain) never notices.
guest "$domid" --devices <(echo "0x2000000 33 0 0 virtio 0 one -") \
    blk-bench --qd 4 --millis 3000 >"$SIM_DIR/across.out" 2>&1 &
bench=$!
sleep 0.5
{ printf '[daemon]\nxenstore = no\n'
  block_section one "$SIM_DIR/cli.img" "$domid" 0x2000000 33; } >"$SIM_DIR/static.conf"
kill -HUP "$DAEMON_PID"
wait_for 5 bash -c "[ \$(grep -c reloaded '$DAEMON_LOG') -ge 2 ]" || fail "no second reload"
grep -q "/two: removed" "$DAEMON_LOG" || fail "the dropped device stayed"
if grep -q "/one: removed" "$DAEMON_LOG"; then fail "an unchanged device was removed by a reload"; fi
wait "$bench" || fail "I/O across the reloads: $(cat "$SIM_DIR/across.out")"
daemon_stop || fail "SIGTERM"
pass "command line launch, static config, SIGHUP, SIGTERM"
