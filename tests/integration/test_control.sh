#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The control socket and xenvirtiodctl: status before and after the guest's
# driver connects, stats, JSON, reset, reload, requests that are bad or too
# long, and a client of another uid; the daemon answers after each.
. "$(dirname "$0")/lib.sh"
sim_start
make_disk "$SIM_DIR/a.img" 1
make_disk "$SIM_DIR/b.img" 1
domid=$(guest_create ctl --vcpus 1 --vuart) || fail "create"
{ printf '[daemon]\nxenstore = no\n'
  block_section disk0 "$SIM_DIR/a.img" "$domid" 0x2000000 33; } >"$SIM_DIR/ctl.conf"
daemon_start --config "$SIM_DIR/ctl.conf"
socket_dir=$(dirname "$CONTROL_SOCKET")
[ "$(stat -c %a "$socket_dir")" = 700 ] || fail "socket directory mode $(stat -c %a "$socket_dir")"
[ "$(stat -c %a "$CONTROL_SOCKET")" = 600 ] || fail "socket mode $(stat -c %a "$CONTROL_SOCKET")"

# Raw requests, as a script without the client would send them.
ask() { python3 - "$CONTROL_SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))
s.shutdown(socket.SHUT_WR)
out = b''
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode('latin-1'))
PY
}
still_serves() { ctl status | grep -q "domid=$domid" || fail "no status after $1"; }

# status: the device, not yet connected.
out=$(ctl status) || fail "status: $out"
grep -qE "^domid=$domid " <<<"$out" || fail "status lacks dom$domid: $out"
line=$(grep -E "^  device=disk0 " <<<"$out") || fail "status lacks disk0: $out"
for field in type=block base=0x2000000 irq=33 memory=foreign connected=no; do
    grep -qw -- "$field" <<<"$line" || fail "status: disk0 not $field: $line"
done
grep -qE "^    queue=0 ready=no " <<<"$out" || fail "status: queue 0 before probe: $out"

# While the guest's driver runs I/O: connected, features, queue state.
# (Its run outlasts the checks below on a loaded machine: the reset further
# down must land while it runs.)
devices="0x2000000 33 0 0 virtio 0 disk0 -"
guest "$domid" --devices <(echo "$devices") blk-bench --qd 4 --millis 20000 \
    >"$SIM_DIR/bench.out" 2>&1 &
bench=$!
disk0() { ctl status | grep -E "^  device=disk0 "; }
disk0_connected() { disk0 | grep -qw connected=yes; }
wait_for 10 disk0_connected ||
    fail "disk0 never connected: $(ctl status)"
out=$(ctl status) || fail "status while connected: $out"
line=$(grep -E "^  device=disk0 " <<<"$out")
features=$(sed -n 's/.* features=\(0x[0-9a-f]*\).*/\1/p' <<<"$line")
# VIRTIO_F_VERSION_1 (bit 32) is what every modern driver accepts.
[ -n "$features" ] && (( features & (1 << 32) )) || fail "features ${features:-none} lack VERSION_1: $line"
qline=$(grep -E "^    queue=0 " <<<"$out")
for field in ready=yes broken=no; do
    grep -qw "$field" <<<"$qline" || fail "queue 0 not $field: $qline"
done
for field in size last_avail_idx used_idx in_flight; do
    grep -qE " $field=[0-9]+( |$)" <<<"$qline" || fail "queue 0 lacks $field: $qline"
done
sleep 0.5
used=$(ctl status | sed -n 's/^    queue=0 .* used_idx=\([0-9]*\).*/\1/p' | head -1)
[ "${used:-0}" -gt 0 ] || fail "queue 0 used_idx ${used:-none} during I/O: $(ctl status)"

# stats: register accesses counted, no fault yet.
out=$(ctl stats) || fail "stats: $out"
line=$(grep -E "^device=dom$domid/disk0 " <<<"$out") || fail "stats lacks disk0: $out"
ioreqs=$(sed -n 's/.* ioreqs=\([0-9]*\).*/\1/p' <<<"$line")
[ "${ioreqs:-0}" -gt 10 ] || fail "stats: ${ioreqs:-no} ioreqs during I/O: $line"
grep -qE " in_flight=[0-9]+ " <<<"$line" || fail "stats lacks in_flight: $line"
grep -qw "faults=0" <<<"$line" || fail "stats: faults before any: $line"

# JSON, for scripts: every command's answer parses and holds the same facts.
for command in status stats; do
    ctl --json $command >"$SIM_DIR/$command.json" || fail "--json $command"
    python3 -c 'import json,sys; json.load(sys.stdin)' <"$SIM_DIR/$command.json" ||
        fail "--json $command does not parse: $(cat "$SIM_DIR/$command.json")"
done
python3 - "$SIM_DIR/status.json" "$domid" <<'PY' || fail "status JSON: $(cat "$SIM_DIR/status.json")"
import json, sys
status = json.load(open(sys.argv[1]))
guest, = [g for g in status["guests"] if g["domid"] == int(sys.argv[2])]
dev, = [d for d in guest["devices"] if d["device"] == "disk0"]
assert dev["connected"] is True and dev["type"] == "block", dev
assert dev["queues"][0]["ready"] is True and dev["queues"][0]["size"] > 0, dev
PY
python3 - "$SIM_DIR/stats.json" "$domid" <<'PY' || fail "stats JSON: $(cat "$SIM_DIR/stats.json")"
import json, sys
dev, = [d for d in json.load(open(sys.argv[1]))["devices"] if d["device"] == "dom%s/disk0" % sys.argv[2]]
assert dev["ioreqs"] > 10 and dev["faults"] == 0, dev
PY

# reset with requests in flight: the device asks its driver for a reset
# (DEVICE_NEEDS_RESET), stats count it, the daemon goes on, and the
# driver brings the device back.
ctl reset "dom$domid/disk0" >"$SIM_DIR/reset.out" || fail "reset: $(cat "$SIM_DIR/reset.out")"
grep -qx "ok=yes" "$SIM_DIR/reset.out" || fail "reset answered: $(cat "$SIM_DIR/reset.out")"
ctl stats | grep -qw "fault_device=1" || fail "reset not counted: $(ctl stats)"
# The guest's driver saw it: its requests fail from then on.
rc=0; wait "$bench" || rc=$?
[ $rc != 0 ] || fail "the guest's driver did not see the reset: $(cat "$SIM_DIR/bench.out")"
daemon_alive || fail "daemon died on a reset with requests in flight"
guest "$domid" --devices <(echo "$devices") blk-rw --bytes 4096 --requests 1 >/dev/null ||
    fail "guest I/O after reset"
disk0 | grep -qw "needs_reset=no" || fail "the driver's reset did not clear it: $(ctl status)"
rc=0; out=$(ctl reset "dom$domid/nosuch" 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "^error: no device" <<<"$out" || fail "reset of no device: rc $rc: $out"
ctl --json reset "dom$domid/disk0" | python3 -c 'import json,sys; assert json.load(sys.stdin)["ok"]' ||
    fail "--json reset"

# reload: as SIGHUP, a device added to the file appears.
block_section disk1 "$SIM_DIR/b.img" "$domid" 0x2000200 34 >>"$SIM_DIR/ctl.conf"
out=$(ctl --json reload) || fail "reload: $out"
python3 -c 'import json,sys; assert json.load(sys.stdin)["ok"]' <<<"$out" || fail "reload answered: $out"
grep -q "reloaded" "$DAEMON_LOG" || fail "reload not logged"
ctl status | grep -qE "^  device=disk1 " || fail "reload did not add disk1: $(ctl status)"
echo "[daemon]" >>"$SIM_DIR/ctl.conf"  # a second [daemon] key set: refused
echo "xenstore = maybe" >>"$SIM_DIR/ctl.conf"
rc=0; out=$(ctl reload 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "^error: reload failed" <<<"$out" || fail "bad reload: rc $rc: $out"
still_serves "a refused reload"

# Bad requests: an error line each, and the daemon goes on.
for request in 'frobnicate\n' 'status now\n' '\n' 'st\x01tus\n' 'reset\n' 'reset a b c d\n'; do
    out=$(ask "$request") || fail "request '$request': no answer"
    grep -q "^error: " <<<"$out" || fail "request '$request' answered: $out"
    still_serves "request '$request'"
done
ask 'reset\n' | grep -qx "error: usage: reset domN/NAME \[json\]" ||
    fail "reset without a device: $(ask 'reset\n')"
long=$(head -c 300 /dev/zero | tr '\0' s)
out=$(ask "$long\n") || fail "oversized request: no answer"
grep -q "^error: request longer than 256 bytes" <<<"$out" || fail "oversized request answered: $out"
still_serves "an oversized request"
# 256 bytes are a line still (here one the daemon does not know).
out=$(ask "$(head -c 256 /dev/zero | tr '\0' s)\n")
grep -q "^error: unknown request" <<<"$out" || fail "256-byte request answered: $out"
# A request without its newline, ended by the client's end of file.
ask "status" | grep -q "domid=$domid" || fail "request ended by EOF"

# Clients that connect and send nothing, more than the daemon holds:
# the oldest are dropped, the loop is never blocked.
silent=
for i in $(seq 12); do
    python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(30)' \
        "$CONTROL_SOCKET" &
    silent="$silent $!"
done
sleep 0.5
still_serves "12 silent clients"
guest "$domid" --devices <(echo "$devices") blk-rw --bytes 4096 --requests 1 >/dev/null ||
    fail "guest I/O with silent clients"
kill $silent 2>/dev/null || true

# Another user may not ask, even with the socket's mode opened up.
chmod 755 "$SIM_DIR" "$socket_dir"
chmod 666 "$CONTROL_SOCKET"
rc=0; out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$XENVIRTIODCTL" --socket "$CONTROL_SOCKET" status 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "^error: permission denied" <<<"$out" ||
    fail "uid 65534 was not refused: rc $rc: $out"
grep -q "control: refused a client of uid 65534" "$DAEMON_LOG" || fail "refusal not logged"
still_serves "a refused client"

# The client's own errors.
rc=0; "$XENVIRTIODCTL" --socket "$SIM_DIR/nosuch" status 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "no socket: exit $rc, want 2"
rc=0; ctl bogus 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "unknown command: exit $rc, want 2"

daemon_stop || fail "SIGTERM"
[ ! -e "$CONTROL_SOCKET" ] || fail "socket left after exit"
pass "control socket: status, stats, json, reset, reload, bad requests, other uid"
