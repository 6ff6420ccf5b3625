#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# virtio-scmi end to end: two guests share an SCMI platform declared in the
# config, each seeing its own dense view. Checks Linux's boot conversation,
# vote counting on a shared clock and power domain (read from the daemon's
# log of physical changes), recovery when a guest dies or resets its
# device, hostile messages, a flood, and the raw SCMI socket.
. "$(dirname "$0")/lib.sh"
sim_start
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[scmi]
vendor = test-vendor
socket = $SIM_DIR/scmi.sock

[scmi-clock uart0]
rates = 24000000,48000000
rate = 24000000

[scmi-clock shared-bus]
rates = 100000000,200000000,400000000
rate = 100000000

[scmi-clock a-clock-with-a-long-name]
range = 1000000-100000000:1000000
rate = 50000000

[scmi-reset eth0]
latency = 100

[scmi-power gpu]

[scmi-perf cpu]
levels = 400000:100:50,800000:200:50,1200000:400:60

[scmi-voltage vdd-io]
levels = 1800000,3300000
voltage = 1800000

[scmi-sensor soc-temp]
unit = temperature
exponent = -3
value = 45000

[scmi-sensor board-temp]
unit = temperature
exponent = -3
hwmon = $SIM_DIR/temp1_input

[device scmi-g1]
type = scmi
domain = g1
clocks = uart0,shared-bus,a-clock-with-a-long-name
resets = eth0
power-domains = gpu
perf-domains = cpu
voltages = vdd-io
sensors = soc-temp,board-temp

[device scmi-g2]
type = scmi
domain = g2
clocks = shared-bus
power-domains = gpu
sensors = board-temp
notifications = no
CONF
echo 37500 >"$SIM_DIR/temp1_input"
daemon_start --config "$SIM_DIR/xenvirtiod.conf"

d1=$(guest_create g1 --libxl 418 --virtio "virtio,device20") || fail "create g1"
d2=$(guest_create g2 --libxl 418 --virtio "virtio,device20") || fail "create g2"
guest "$d1" wait-ready --timeout 5000 >/dev/null || fail "g1: backend never answered"
guest "$d2" wait-ready --timeout 5000 >/dev/null || fail "g2: backend never answered"

# (a) Linux's boot conversation, each guest with its own dense view.
out=$(guest "$d1" scmi-boot) || fail "g1 scmi-boot: $out"
echo "$out"
for want in "vendor 'test-vendor'" "6 protocols" "this agent: [0-9]* g1" \
            "clock protocol 2.0, 3 clocks" "clock 0: 'uart0' disabled rates \[24000000,48000000\]" \
            "clock 2: 'a-clock-with-a-long-name' disabled range \[1000000,100000000,1000000\]" \
            "power 0: 'gpu' off" "perf 0: 'cpu' levels \[400000,800000,1200000\]" \
            "sensor 0: 'soc-temp' unit 2 exponent -3 value 45000" \
            "sensor 1: 'board-temp' unit 2 exponent -3 value 37500" \
            "reset 0: 'eth0' latency 100" "voltage 0: 'vdd-io' levels \[1800000,3300000\]" \
            "boot ok"; do
    grep -q "$want" <<<"$out" || fail "g1 boot: missing '$want'"
done
out=$(guest "$d2" scmi-boot) || fail "g2 scmi-boot: $out"
echo "$out"
grep -q "3 protocols" <<<"$out" || fail "g2 should see 3 protocols: $out"
grep -q "clock 0: 'shared-bus'" <<<"$out" || fail "g2's clock 0 is shared-bus: $out"
grep -q "sensor 0: 'board-temp'" <<<"$out" || fail "g2's sensor 0 is board-temp: $out"
if grep -q "uart0\|reset protocol" <<<"$out"; then fail "g2 sees what it was not given: $out"; fi
pass "scmi: Linux's boot conversation, per-agent views renumbered densely"

# (b) Vote counting. Each shell holds its device (and agent) open.
mkfifo "$SIM_DIR/in1" "$SIM_DIR/in2"
guest "$d1" scmi-shell <"$SIM_DIR/in1" >"$SIM_DIR/out1" 2>&1 &
sh1=$!
guest "$d2" scmi-shell <"$SIM_DIR/in2" >"$SIM_DIR/out2" 2>&1 &
sh2=$!
exec 7>"$SIM_DIR/in1" 8>"$SIM_DIR/in2"
wait_for 10 grep -q ready "$SIM_DIR/out1" || fail "g1 shell not ready"
wait_for 10 grep -q ready "$SIM_DIR/out2" || fail "g2 shell not ready"
# (wait_for runs a command again and again: the count must be taken inside it)
lines_above() { [ "$(wc -l <"$1")" -gt "$2" ]; }
ask() { # fd outfile command... -> prints the answer line
    local fd=$1 file=$2; shift 2
    local before; before=$(wc -l <"$file")
    echo "$*" >&"$fd"
    wait_for 10 lines_above "$file" "$before" || fail "no answer to '$*'"
    tail -n 1 "$file"
}
count() { grep -c "scmi: $1" "$DAEMON_LOG" || true; }
[ "$(ask 7 "$SIM_DIR/out1" clock-enable 1)" = "clock-enable: SUCCESS" ] || fail "g1 enable"
[ "$(count "clock shared-bus on")" = 1 ] || fail "first vote did not switch the clock on"
[ "$(ask 8 "$SIM_DIR/out2" clock-enable 0)" = "clock-enable: SUCCESS" ] || fail "g2 enable"
[ "$(count "clock shared-bus on")" = 1 ] || fail "second vote switched the clock again"
ans=$(ask 8 "$SIM_DIR/out2" clock-rate-set 0 200000000)
[ "$ans" = "clock-rate-set: DENIED" ] || fail "rate change under g1's running clock: $ans"
[ "$(ask 7 "$SIM_DIR/out1" clock-disable 1)" = "clock-disable: SUCCESS" ] || fail "g1 disable"
[ "$(count "clock shared-bus off")" = 0 ] || fail "g1's vote off stopped g2's clock"
ans=$(ask 7 "$SIM_DIR/out1" clock-attributes 1)
attr=$(cut -d' ' -f3 <<<"$ans")
[ "$(cut -d' ' -f2 <<<"$ans")" = SUCCESS ] && [ $((attr & 1)) = 0 ] ||
    fail "g1 must read its own view (off) while g2 runs the clock: $ans"
[ "$(ask 8 "$SIM_DIR/out2" clock-disable 0)" = "clock-disable: SUCCESS" ] || fail "g2 disable"
[ "$(count "clock shared-bus off")" = 1 ] || fail "last vote off did not stop the clock"
ans=$(ask 8 "$SIM_DIR/out2" clock-rate-set 0 200000000)
[ "$ans" = "clock-rate-set: SUCCESS" ] || fail "rate change when nobody else runs it: $ans"
grep -q "scmi: clock shared-bus rate 200000000 (agent g2)" "$DAEMON_LOG" || fail "rate not applied"
pass "scmi: shared clock switches on the first vote and off after the last; rate change denied under another agent"

# (b2) Continuous updates: g1 asks for them on board-temp (its sensor 1, a
# hwmon file); the file changes; SENSOR_UPDATE (0x15/0x1, a notification)
# brings the new value, with g1's id for the sensor.
[ "$(ask 7 "$SIM_DIR/out1" sensor-notify 1 1)" = "sensor-notify: SUCCESS" ] ||
    fail "g1 sensor-notify"
[ "$(ask 7 "$SIM_DIR/out1" wait-event 1500)" = "event: TIMEOUT" ] ||
    fail "a notification before the value changed"
echo 41000 >"$SIM_DIR/temp1_input"
ans=$(ask 7 "$SIM_DIR/out1" wait-event 5000)
grep -Eq "^event: protocol 0x15 message 0x1 type 3 [0-9]+ 1 41000 0" <<<"$ans" ||
    fail "no SENSOR_UPDATE for the new value: $ans"
[ "$(ask 7 "$SIM_DIR/out1" sensor-notify 1 0)" = "sensor-notify: SUCCESS" ] ||
    fail "g1 sensor-notify off"
echo 37500 >"$SIM_DIR/temp1_input"
[ "$(ask 7 "$SIM_DIR/out1" wait-event 2500)" = "event: TIMEOUT" ] ||
    fail "a notification after g1 turned them off"
pass "scmi: continuous updates of a hwmon sensor reach the agent that asked, until it stops"

# (c) Recovery: g2 holds the gpu on, g1 too; g1 dies, gpu stays; g2 resets
# its device (a new kernel), gpu goes off.
[ "$(ask 7 "$SIM_DIR/out1" power-set 0 1)" = "power-set: SUCCESS" ] || fail "g1 power on"
[ "$(ask 7 "$SIM_DIR/out1" clock-enable 0)" = "clock-enable: SUCCESS" ] || fail "g1 uart0 on"
[ "$(ask 8 "$SIM_DIR/out2" power-set 0 1)" = "power-set: SUCCESS" ] || fail "g2 power on"
[ "$(count "power gpu on")" = 1 ] || fail "gpu on once"
guest_destroy "$d1" || fail "destroy g1"
wait_for 10 grep -q "scmi: clock uart0 off (agent g1)" "$DAEMON_LOG" ||
    fail "g1's clock stayed on after it died"
[ "$(count "power gpu off")" = 0 ] || fail "g1's death switched off g2's gpu"
kill "$sh1" 2>/dev/null; exec 7>&-
[ "$(ask 8 "$SIM_DIR/out2" power-get 0)" = "power-get: SUCCESS 0" ] || fail "g2 sees gpu on"
echo quit >&8; exec 8>&-
wait "$sh2" || fail "g2 shell exit"
wait_for 10 grep -q "scmi: power gpu off (agent g2)" "$DAEMON_LOG" ||
    fail "a device reset did not drop g2's votes"
pass "scmi: a dead guest's votes and a reset device's votes are dropped, others' kept"

# (d) Hostile input from g2: the right statuses, the daemon keeps serving.
raw() { echo "raw $*" | guest "$d2" scmi-shell | tail -n 1; }
# header: msg id | type << 8 | protocol << 10 | token << 18, little-endian
check_raw() { # want hex... ; label
    local want=$1 label=$2; shift 2
    local ans; ans=$(raw "$@")
    grep -q "^raw: $want" <<<"$ans" || fail "$label: $ans (want $want)"
}
check_raw "PROTOCOL_ERROR used 8" "truncated PROTOCOL_MESSAGE_ATTRIBUTES" 02 40 00 00
check_raw "PROTOCOL_ERROR used 8" "overlong PROTOCOL_VERSION" 00 40 00 00 01 00 00 00
check_raw "NOT_SUPPORTED used 8" "unknown protocol 0x99" 00 64 02 00
check_raw "NOT_SUPPORTED used 8" "protocol not in g2's view (reset)" 00 58 00 00
check_raw "NOT_FOUND used 8" "clock id out of range" 03 50 00 00 05 00 00 00
check_raw "NOT_FOUND used 8" "unknown message id" 3f 50 00 00
check_raw "PROTOCOL_ERROR used 8" "reserved header bits" 00 40 00 10
check_raw "PROTOCOL_ERROR used 8" "message type 1" 00 41 00 00
check_raw "INVALID_PARAMETERS used 8" "reserved clock config bits" 07 50 00 00 00 00 00 00 02 00 00 00
check_raw "NOT_SUPPORTED used 8" "notify without an eventq" 09 50 00 00 00 00 00 00 01 00 00 00
check_raw "NONE used 0" "header shorter than 4 bytes" 00 40
check_raw "SUCCESS used 12" "short reply buffer cuts, never overruns" 00 40 00 00/4
check_raw "COMMS_ERROR used 8" "no room for the value" 00 40 00 00/0
daemon_alive || fail "daemon died on hostile input"
grep -q "warning: g2: scmi: protocol 0x10 message 0x2: status -10" "$DAEMON_LOG" ||
    fail "guest error not logged"
pass "scmi: malformed, truncated and out-of-range messages get the right status"

# (e) A flood from one guest does not starve another.
d1=$(guest_create g1 --libxl 418 --virtio "virtio,device20") || fail "recreate g1"
guest "$d1" wait-ready --timeout 5000 >/dev/null || fail "g1 again: no backend"
guest "$d2" scmi-flood 3000 >"$SIM_DIR/flood" 2>&1 || fail "flood: $(cat "$SIM_DIR/flood")"
grep -q "3000 of 3000" "$SIM_DIR/flood" || fail "flood lost commands"
# A flood that outlasts g1's whole boot: g1 is served while it goes on.
guest "$d2" scmi-flood 100000 >"$SIM_DIR/flood" 2>&1 &
flood=$!
sleep 0.2
out=$(guest "$d1" scmi-boot) || fail "g1 boot during a flood: $out"
kill -0 "$flood" 2>/dev/null || fail "the flood ended before g1 booted: nothing shows g1 was not starved"
kill -9 "$flood"; wait "$flood" 2>/dev/null || true
pass "scmi: another guest boots while one floods its queue"

# (f) The raw socket: a trusted agent seeing every resource.
client() { "$XENVIRTIOD_SCMI" -s "$SIM_DIR/scmi.sock" "$@"; }
if [ -x "${XENVIRTIOD_SCMI:-}" ]; then
    out=$(client base-info) || fail "client base-info: $out"
    echo "$out"
    grep -q "test-vendor" <<<"$out" || fail "socket: vendor: $out"
    out=$(client clock-list) || fail "client clock-list: $out"
    grep -q "a-clock-with-a-long-name" <<<"$out" || fail "socket sees all clocks: $out"
    out=$(client raw 00 50 00 00) || fail "client raw"
    grep -q "SUCCESS" <<<"$out" || fail "socket raw clock version: $out"
    out=$("$XENVIRTIOD_SCMI" -c "$SIM_DIR/xenvirtiod.conf" dts scmi-g2) || fail "dts: $out"
    grep -q 'compatible = "arm,scmi-virtio"' <<<"$out" || fail "dts: $out"
    grep -q "protocol@14" <<<"$out" || fail "dts lacks the clock protocol: $out"
    if grep -q "protocol@16" <<<"$out"; then fail "dts lists reset for g2: $out"; fi
    if command -v dtc >/dev/null; then
        dtc -I dts -O dtb -o "$SIM_DIR/g2.dtb" - <<<"$out" 2>"$SIM_DIR/dtc.err" ||
            fail "dtc: $(cat "$SIM_DIR/dtc.err")"
    fi
    # Another user is refused even when the socket's mode would let it in.
    chmod 755 "$SIM_DIR"
    chmod 666 "$SIM_DIR/scmi.sock"
    rc=0; out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$XENVIRTIOD_SCMI" -s "$SIM_DIR/scmi.sock" base-info 2>&1) || rc=$?
    [ "$rc" != 0 ] || fail "uid 65534 was served by the raw socket: $out"
    grep -q "scmi socket: refused a client of uid 65534" "$DAEMON_LOG" ||
        fail "the raw socket's refusal is not logged"
    out=$(client base-info) || fail "client after a refusal: $out"
    pass "scmi: the raw socket and the client; the guest's partial device tree"
else
    echo "SKIP: xenvirtiod-scmi not built"
fi
daemon_alive || fail "daemon died"
guest_destroy "$d1"
guest_destroy "$d2"
daemon_stop || fail "daemon exit status on SIGTERM"

# (g) A bad SCMI platform is refused at start with file:line, section, key
# and value; a guest's view naming a missing resource skips that device.
check_bad() { # label expected-text config-text
    printf '%s\n' "$3" >"$SIM_DIR/bad.conf"
    local out rc=0
    out=$(LD_LIBRARY_PATH=$XENSIM_LIB_DIR timeout 10 "$XENVIRTIOD" --config "$SIM_DIR/bad.conf" \
        --log-target stderr --no-xenstore 2>&1) || rc=$?
    [ "$rc" = 1 ] || fail "$1: exit $rc, want 1: $out"
    grep -qF "$2" <<<"$out" || fail "$1: '$2' not in: $out"
}
check_bad "rate not listed" "bad.conf:3: [scmi-clock c] key 'rate': bad value '5' (not one of the listed values)" \
    "$(printf '[scmi-clock c]\nrates = 1,2\nrate = 5')"
check_bad "unknown key" "bad.conf:1: [scmi-power p]: unknown key 'of' (known: on)" \
    "$(printf '[scmi-power p]\nof = yes')"
check_bad "descending" "[scmi-clock c] key 'rates': bad value '2,1'" \
    "$(printf '[scmi-clock c]\nrates = 2,1')"
check_bad "sensor source" "needs exactly one of 'value' (simulated) or 'hwmon = PATH'" \
    "$(printf '[scmi-sensor s]\nunit = power')"
check_bad "vendor length" "key 'vendor': bad value 'a-vendor-name-too-long'" \
    "$(printf '[scmi]\nvendor = a-vendor-name-too-long')"
pass "scmi: bad platform sections are refused with file, line, section, key and value"
