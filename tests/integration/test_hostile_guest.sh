#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A guest that breaks every rule cannot crash the daemon or disturb another
# guest: each misbehave case (xensim-guest misbehave list: its disk, its
# i2c bus, its SCMI agent) gets its defined outcome and the device works
# after a reset, and after every case the other guest's disk, i2c bus and
# SCMI agent still work. Then a guest dies mid-request and is destroyed:
# nothing leaks. The catalogue of these cases is tests/HOSTILE.md.
. "$(dirname "$0")/lib.sh"
sim_start
# The bad agent sees clock 0 at 24 MHz and sensor 0, no reset domain (the
# SCMI cases count on it); the bad bus allows only its two targets.
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[scmi-clock bad-clk]
rates = 24000000
[scmi-clock good-clk]
rates = 24000000
[scmi-sensor bad-temp]
unit = temperature
value = 40000
[scmi-sensor good-temp]
unit = temperature
value = 30000
[device i2c-bad]
type = i2c
domain = bad
bus = emulated
eeprom = 0x50
lm75 = 0x48:21500
allow = 0x50,0x48
[device i2c-good]
type = i2c
domain = good
bus = emulated
eeprom = 0x50
[device scmi-bad]
type = scmi
domain = bad
clocks = bad-clk
sensors = bad-temp
[device scmi-good]
type = scmi
domain = good
clocks = good-clk
sensors = good-temp
CONF
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
make_disk "$SIM_DIR/bad.img" 2
make_disk "$SIM_DIR/good.img" 2
bad=$(guest_create bad --vcpus 2 --disk "$SIM_DIR/bad.img,grant_usage=1" \
    --virtio "virtio,device22,grant_usage=1" --virtio "virtio,device20,grant_usage=1") ||
    fail "create bad"
good=$(guest_create good --disk "$SIM_DIR/good.img" --virtio "virtio,device22" \
    --virtio "virtio,device20") || fail "create good"
guest "$bad" wait-ready --timeout 5000 >/dev/null || fail "bad: backend never answered"
guest "$good" wait-ready --timeout 5000 >/dev/null || fail "good: backend never answered"

good_works() { # what the other guest must still do
    guest "$good" blk-rw --bytes 4096 --requests 1 >/dev/null &&
        guest "$good" i2c-eeprom >/dev/null &&
        guest "$good" scmi-flood 4 | grep -q "4 of 4"
}
good_works || fail "the good guest does not work before any case"

cases=$("$XENSIM_GUEST" misbehave list | cut -d' ' -f1)
nr_i2c=$(grep -c '^i2c-' <<<"$cases" || true)
nr_scmi=$(grep -c '^scmi-' <<<"$cases" || true)
nr_blk=$(($(wc -l <<<"$cases") - nr_i2c - nr_scmi))
[ "$nr_blk" -ge 20 ] && [ "$nr_i2c" -ge 10 ] && [ "$nr_scmi" -ge 10 ] ||
    fail "too few cases: $nr_blk block, $nr_i2c i2c, $nr_scmi scmi"
for c in $cases; do
    guest "$bad" misbehave "$c" >"$SIM_DIR/mb.out" 2>&1 ||
        fail "misbehave $c: $(cat "$SIM_DIR/mb.out")"
    grep -q "^virtio@.*: $c: outcome as expected" "$SIM_DIR/mb.out" ||
        fail "misbehave $c: no verdict: $(cat "$SIM_DIR/mb.out")"
    echo "$c: $(sed -n 's/^virtio@[^:]*: observed: //p' "$SIM_DIR/mb.out" | tr '\n' ' ')"
    daemon_alive || fail "daemon died on $c"
    good_works || fail "good guest hurt by $c"
done
# Guest errors are logged, rate-limited: far fewer lines than cases*attempts.
lines=$(grep -c "guest error" "$DAEMON_LOG" || true)
[ "$lines" -gt 0 ] || fail "no guest error logged"
grep -q "i2c: address not allowed" "$DAEMON_LOG" || fail "refused i2c address not logged"
guest "$bad" die || true
guest_destroy "$bad" || fail "destroy after die"
wait_for 5 dom_gone "$bad" ||
    fail "dom$bad is a zombie: $(dom_mappings "$bad")"
good_works || fail "good guest after destroy"
pass "hostile guest: $nr_blk block, $nr_i2c i2c, $nr_scmi scmi cases ($lines guest-error lines logged)"
