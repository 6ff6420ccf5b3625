#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# virtio-blk through the daemon, from the simulated guest's Linux-like
# driver: every feature (blk-check: SEG_MAX, SIZE_MAX, BLK_SIZE, TOPOLOGY,
# FLUSH, CONFIG_WCE, RO, DISCARD, WRITE_ZEROES, GET_ID, MQ, EVENT_IDX,
# INDIRECT_DESC), random patterns across queues, malformed and
# out-of-range requests, xl's ro and no-discard, a host I/O error, and a
# guest destroyed with 32 requests in flight.
. "$(dirname "$0")/lib.sh"
sim_start
reloads() { [ "$(grep -c reloaded "$DAEMON_LOG")" -ge "$1" ]; }
nr_reloads=0
reload() { # SIGHUP; wait until the daemon has read the new config
    nr_reloads=$((nr_reloads + 1))
    kill -HUP "$DAEMON_PID"
    wait_for 5 reloads "$nr_reloads" || fail "no reload ($nr_reloads)"
}
# one_disk_guest NAME GUEST [KEY LINE]: the config becomes [device NAME]
# for $SIM_DIR/NAME.img alone, reloaded; GUEST is created with a generic
# block entry for it and waited for; sets domid.
one_disk_guest() {
    printf '[device %s]\ntype = block\npath = %s\ndomain = %s\n%s\n' "$1" \
        "$SIM_DIR/$1.img" "$2" "${3:-}" >"$SIM_DIR/xenvirtiod.conf"
    reload
    domid=$(guest_create "$2" --libxl 418 --virtio "virtio,device2") || fail "create $2"
    guest "$domid" wait-ready --timeout 5000 >/dev/null || fail "$2: backend never answered"
}
make_disk "$SIM_DIR/mq.img" 16
make_disk "$SIM_DIR/ro.img" 2
make_disk "$SIM_DIR/xl.img" 4
make_disk "$SIM_DIR/shrink.img" 4
make_disk "$SIM_DIR/busy.img" 16
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device mq]
type = block
path = $SIM_DIR/mq.img
domain = g1
serial = mq-disk
queues = 4
queue-depth = 16

[device ro]
type = block
path = $SIM_DIR/ro.img
domain = g1
readonly = yes
CONF
daemon_start --config "$SIM_DIR/xenvirtiod.conf"

domid=$(guest_create g1 --libxl 418 --virtio "virtio,device2" --virtio "virtio,device2") ||
    fail "create g1"
# libxl does not wait for a backend of generic entries: the guest does.
guest "$domid" wait-ready --timeout 5000 >/dev/null || fail "g1: backend never answered"
out=$(guest "$domid" blk-check --dev 0 --serial mq-disk --seed 7) || fail "blk-check mq: $out"
echo "$out"
for want in "negotiated: SIZE_MAX SEG_MAX BLK_SIZE FLUSH TOPOLOGY CONFIG_WCE MQ DISCARD WRITE_ZEROES INDIRECT_DESC EVENT_IDX" \
            "32768 sectors, 4 queues, seg_max 126, size_max 1048576, blk_size 512, physical block 4096" \
            "32 requests over 4 queues verified" "ok: discard, then the range reads zeroes" \
            "ok: write-zeroes with UNMAP" "ok: read at the capacity: IOERR" \
            "ok: unknown request type: UNSUPP" "ok: no DEVICE_NEEDS_RESET"; do
    grep -qF "$want" <<<"$out" || fail "mq: missing '$want'"
done
out=$(guest "$domid" blk-check --dev 1 --ro) || fail "blk-check ro: $out"
grep -q "ok: write to a read-only disk: IOERR" <<<"$out" || fail "ro: $out"
grep -q "negotiated:.* RO " <<<"$out" || fail "ro: RO not negotiated: $out"
cmp -s -n 2097152 "$SIM_DIR/ro.img" /dev/zero || fail "the read-only image was written"
# The default serial is stable: the same image gives the same id again.
serial1=$(guest "$domid" blk-check --dev 1 --ro | sed -n "s/.*serial '\(.*\)'/\1/p")
guest_destroy "$domid" || fail "destroy g1"
pass "virtio-blk: every feature, patterns across 4 queues, bad requests, read-only"

# xl 4.17 disk entries: 'ro' and 'no-discard' hold even where a [device]
# section (xl-target) says otherwise; the default serial survives a restart.
daemon_stop
touch "$SIM_DIR/xl-target"
touch "$SIM_DIR/xl-target-ro"
make_disk "$SIM_DIR/xl2.img" 1
cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device routed]
type = block
path = $SIM_DIR/xl.img
xl-target = $SIM_DIR/xl-target
discard = yes

[device routed-ro]
type = block
path = $SIM_DIR/xl2.img
xl-target = $SIM_DIR/xl-target-ro
readonly = no

[device ro]
type = block
path = $SIM_DIR/ro.img
domain = g2
readonly = yes
base = 0x2000400
irq = 35
CONF
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
domid=$(guest_create g2 --libxl 417 --disk "$SIM_DIR/xl-target,no-discard" \
        --disk "$SIM_DIR/xl-target-ro,vdev=xvdb,ro") || fail "create g2"
out=$(guest "$domid" blk-check --dev 0 --no-discard) || fail "no-discard: $out"
grep -q "ok: DISCARD not offered, as configured" <<<"$out" || fail "no-discard: $out"
guest "$domid" blk-check --dev 1 --ro >/dev/null || fail "xl 'ro' did not win over the section"
serial2=$(guest "$domid" --devices /dev/stdin blk-check --dev 0x2000400 --ro \
          <<<"0x2000400 35 0 0 virtio 0 ro -" | sed -n "s/.*serial '\(.*\)'/\1/p")
[ -n "$serial1" ] && [ "$serial1" = "$serial2" ] ||
    fail "default serial changed across a restart: '$serial1' then '$serial2'"
guest_destroy "$domid" || fail "destroy g2"
pass "virtio-blk: xl ro and no-discard win; default serial stable across restarts"

# Host block devices (a loop device each): size, discard (BLKDISCARD),
# write-zeroes (BLKZEROOUT) and, with 4096-byte sectors, BLK_SIZE and
# TOPOLOGY from the device itself.
make_disk "$SIM_DIR/loop512.img" 8
make_disk "$SIM_DIR/loop4k.img" 8
if loop512=$(make_loop "$SIM_DIR/loop512.img") &&
   loop4k=$(make_loop --sector-size 4096 "$SIM_DIR/loop4k.img"); then
    cat >"$SIM_DIR/xenvirtiod.conf" <<CONF
[device bdev512]
type = block
path = $loop512
domain = g6
serial = bdev512

[device bdev4k]
type = block
path = $loop4k
domain = g6
CONF
    reload
    domid=$(guest_create g6 --libxl 418 --virtio "virtio,device2" --virtio "virtio,device2") ||
        fail "create g6"
    guest "$domid" wait-ready --timeout 5000 >/dev/null || fail "g6: backend never answered"
    out=$(guest "$domid" blk-check --dev 0 --serial bdev512 --seed 3) || fail "loop device: $out"
    grep -q "16384 sectors, 1 queues, .* blk_size 512" <<<"$out" || fail "loop512 geometry: $out"
    out=$(guest "$domid" blk-check --dev 1 --seed 4) || fail "4k loop device: $out"
    grep -q "16384 sectors, 1 queues, .* blk_size 4096, physical block 4096" <<<"$out" ||
        fail "loop4k geometry: $out"
    guest_destroy "$domid" || fail "destroy g6"
    pass "virtio-blk: host block devices (512 and 4096-byte sectors): every check"
else
    echo "SKIP: no loop devices here: host block devices not tested"
fi

# A host I/O error: the image shrinks under the daemon; reading what is
# gone is IOERR, what is left still reads.
one_disk_guest shrink g3
guest "$domid" blk-read-file 0 512 >/dev/null || fail "g3: first read"
truncate -s 1M "$SIM_DIR/shrink.img"
out=$(guest "$domid" blk-read-file 3145728 512 2>&1) && fail "read past the host's EOF succeeded: $out"
grep -q "status IOERR" <<<"$out" || fail "host error not IOERR: $out"
guest "$domid" blk-read-file 0 512 >/dev/null || fail "g3: the queue stalled after IOERR"
guest_destroy "$domid" || fail "destroy g3"
pass "virtio-blk: a host I/O error is IOERR and the queue goes on"

# Destroyed with requests in flight: 32 reads queued, the guest killed
# without a reset, the domain destroyed; nothing of it stays mapped.
one_disk_guest busy g4 "queue-depth = 32"
guest "$domid" blk-bench --qd 32 --bs 65536 --millis 5000 >/dev/null 2>&1 &
bench=$!
sleep 0.5
kill -9 "$bench"
wait "$bench" 2>/dev/null || true
guest_destroy "$domid" || fail "destroy g4 in flight"
wait_for 5 dom_gone "$domid" || fail "dom$domid left behind: $(dom_mappings "$domid")"
daemon_alive || fail "daemon died"
domid=$(guest_create g5 --libxl 417 --disk "$SIM_DIR/xl.img") || fail "create g5 after"
guest "$domid" blk-rw --bytes 65536 --requests 8 >/dev/null || fail "g5 after the destroy"
guest_destroy "$domid" || fail "destroy g5"
daemon_stop || fail "SIGTERM"
pass "virtio-blk: a guest destroyed with 32 requests in flight leaves nothing mapped"
