#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# virtio-i2c end to end on the emulated bus (24C02 at 0x50, LM75 at 0x48):
# a Xen 4.18 generic entry (virtio,device22) and the 4.17 xl-target route.
# The guest probes, writes and reads back an EEPROM page, reads the
# sensor, probes addresses with zero-length writes, and sends a FAIL_NEXT
# group whose middle request fails.
. "$(dirname "$0")/lib.sh"
sim_start
touch "$SIM_DIR/xl-target-i2c"
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device i2c0]
type = i2c
bus = emulated
eeprom = 0x50:$SIM_DIR/eeprom.bin
lm75 = 0x48:21500
xl-target = $SIM_DIR/xl-target-i2c
CONF
daemon_start --config "$SIM_DIR/xenvirtiod.conf"

check_guest() { # label domid
    local label=$1 domid=$2 out
    guest "$domid" wait-ready --timeout 5000 >/dev/null || fail "$label: backend never answered"
    out=$(guest "$domid" probe) || fail "$label: probe: $out"
    echo "$out"
    grep -q "virtio-i2c" <<<"$out" || fail "$label: no virtio-i2c in probe: $out"
    guest "$domid" i2c-eeprom || fail "$label: i2c-eeprom"
    out=$(guest "$domid" i2c-sensor) || fail "$label: i2c-sensor: $out"
    grep -q "temperature 21500 millidegrees" <<<"$out" || fail "$label: sensor: $out"
    guest "$domid" i2c-probe-addr 0x50 || fail "$label: probe 0x50"
    if guest "$domid" i2c-probe-addr 0x51; then fail "$label: 0x51 answered"; fi
    guest "$domid" i2c-failnext || fail "$label: i2c-failnext"
    daemon_alive || fail "$label: daemon died"
}

domid=$(guest_create g418 --libxl 418 --virtio "virtio,device22") || fail "create 4.18"
check_guest "4.18" "$domid"
guest_destroy "$domid" || fail "destroy 4.18"
# The page the guest wrote reached the backing file.
[ "$(stat -c %s "$SIM_DIR/eeprom.bin")" = 256 ] || fail "eeprom backing file not written"
pass "virtio-i2c via a Xen 4.18 generic entry"

domid=$(guest_create g417 --libxl 417 --disk "$SIM_DIR/xl-target-i2c") || fail "create 4.17"
check_guest "4.17" "$domid"
grep -q "dom$domid/i2c0: i2c" "$DAEMON_LOG" || fail "device not named after its section"
guest_destroy "$domid" || fail "destroy 4.17"
daemon_stop || fail "daemon exit status on SIGTERM"
pass "virtio-i2c via the xl 4.17 xl-target route"
