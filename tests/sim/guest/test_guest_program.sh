#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# xensim-guest without the daemon: command line, environment errors, and
# a domain whose virtio windows nobody serves (probe reports the data
# abort cleanly) or that a plain IOREQ echo server answers (wrong magic).
#
#   test_guest_program.sh XENSIM_GUEST XENSIM_HV [IOREQ_ECHO]
#
# IOREQ_ECHO (tests/sim/hv) needs LD_LIBRARY_PATH on the drop-in libraries.
set -u

GUEST=$1
HV=$2
ECHO=${3:-}
DIR=$(mktemp -d /tmp/xensim-guest-test-XXXXXX)
HV_PID=
ECHO_PID=
FAILS=0

cleanup() {
    [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null && wait "$ECHO_PID" 2>/dev/null
    [ -n "$HV_PID" ] && kill "$HV_PID" 2>/dev/null && wait "$HV_PID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}

# expect RC PATTERN CMD...: run CMD, check its exit code and that its
# stdout+stderr matches the grep -E PATTERN ('' = anything).
expect() {
    want_rc=$1 pattern=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$* -> exit $rc, expected $want_rc"
        printf '%s\n' "$out" | sed 's/^/    /'
    elif [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
        fail "$* -> output lacks /$pattern/"
        printf '%s\n' "$out" | sed 's/^/    /'
    else
        echo "ok: $* -> $rc"
    fi
}

# --- command line, no hypervisor needed ---
expect 0 '^Usage: xensim-guest --domid N' "$GUEST" --help
expect 2 'Usage' "$GUEST"
expect 2 'unknown command' "$GUEST" --domid 1 frobnicate
expect 2 'domid is required' "$GUEST" probe
expect 2 'bad --domid' "$GUEST" --domid zero probe
expect 2 'bad --domid' "$GUEST" --domid 0 probe
expect 2 'bad --timeout' "$GUEST" --domid 1 --timeout -5 probe
expect 0 '^chain-loop +ring ' "$GUEST" misbehave list
n=$("$GUEST" misbehave list | wc -l)
[ "$n" -eq 55 ] || fail "misbehave list: $n cases, expected 55 (20 block, 16 i2c, 19 scmi)"
for c in never-granted addr-overflow i2c-no-status scmi-short-header; do
    "$GUEST" misbehave list | grep -Eq "^$c +buffer " || fail "misbehave list: $c not buffer"
done
"$GUEST" misbehave list | grep -Eq "^i2c-group-unfinished +held " || fail "misbehave list: held"
"$GUEST" misbehave list | grep -Eq "^scmi-oversize +status " || fail "misbehave list: status"

# --- environment errors ---
XENSIM_DIR= expect 3 'XENSIM_DIR is not set' env -u XENSIM_DIR "$GUEST" --domid 1 probe
XENSIM_DIR=$DIR expect 3 'no hypervisor' env XENSIM_DIR="$DIR" "$GUEST" --domid 1 probe

# --- a hypervisor, a domain, nobody serving its devices ---
"$HV" --dir "$DIR" >"$DIR/hv.log" 2>&1 &
HV_PID=$!
i=0
while [ ! -S "$DIR/hv.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -S "$DIR/hv.sock" ] || { echo "FAIL: xensim-hv did not start"; cat "$DIR/hv.log"; exit 1; }
export XENSIM_DIR="$DIR"
DOM=$("$HV" --dir "$DIR" create guest --vcpus 2 --ram-mib 16)
[ "$DOM" = 1 ] || { echo "FAIL: create returned '$DOM'"; exit 1; }

cat >"$DIR/dom1.devices" <<TREE
# a hand-written tree, as xensim create would write it
0x2000000 33 0 0 virtio_disk 51712 xvda $DIR/disk.img
0x2000200 34 1 0 virtio 1 virtio,device22 -
TREE

expect 3 'no such live domain' "$GUEST" --domid 9 probe
expect 1 '^virtio@0x2000000: irq 33: probe failed: MagicValue read: data abort .*Wrong magic value 0xffffffff!' \
    "$GUEST" --domid 1 probe
expect 1 '^virtio@0x2000200: irq 34: probe failed: .*Wrong magic value 0xffffffff!' \
    "$GUEST" --domid 1 probe
# --quiet keeps failures.
expect 1 'Wrong magic value' "$GUEST" --domid 1 --quiet probe
expect 1 'not ready after 100 ms' "$GUEST" --domid 1 wait-ready --timeout 100
expect 1 'data abort' "$GUEST" --domid 1 hammer --seconds 1
expect 1 'MagicValue read 0: data abort' "$GUEST" --domid 1 bench-mmio 10
expect 1 'probe failed' "$GUEST" --domid 1 blk-rw
expect 1 'probe failed' "$GUEST" --domid 1 blk-read-file 0 16
expect 1 'probe failed' "$GUEST" --domid 1 misbehave chain-loop
expect 1 'probe failed' "$GUEST" --domid 1 die
expect 1 'probe failed' "$GUEST" --domid 1 bench-notify 5

# Argument errors of the commands.
expect 2 'needs a value' "$GUEST" --domid 1 blk-rw --bytes
expect 2 'whole 512-byte sectors' "$GUEST" --domid 1 blk-rw --bytes 1000 --requests 1
expect 2 'bad option' "$GUEST" --domid 1 blk-rw --frob 1
expect 2 'usage: blk-read-file' "$GUEST" --domid 1 blk-read-file 0
expect 2 'unknown case' "$GUEST" --domid 1 misbehave nonsense
expect 2 'bad --seconds' "$GUEST" --domid 1 hammer --seconds 0
expect 2 'usage: bench-mmio' "$GUEST" --domid 1 bench-mmio
expect 2 'probe takes no arguments' "$GUEST" --domid 1 probe extra
expect 3 'no block device --dev 5' "$GUEST" --domid 1 blk-rw --dev 5

# Device trees.
expect 3 'cannot read device tree' "$GUEST" --domid 1 --devices "$DIR/none" probe
echo "0x2000000 33 zero" >"$DIR/bad.devices"
expect 3 'bad.devices:1: malformed device line' "$GUEST" --domid 1 --devices "$DIR/bad.devices" probe
: >"$DIR/empty.devices"
expect 0 'no virtio devices' "$GUEST" --domid 1 --devices "$DIR/empty.devices" probe
expect 3 'no block device' "$GUEST" --domid 1 --devices "$DIR/empty.devices" blk-rw

# --- an IOREQ server that is not a virtio device (a register echo) ---
if [ -n "$ECHO" ]; then
    "$ECHO" 1 0x2000000 0x200 >"$DIR/echo.log" 2>&1 &
    ECHO_PID=$!
    i=0
    while ! grep -q '^ready' "$DIR/echo.log" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05; i=$((i + 1))
    done
    grep -q '^ready' "$DIR/echo.log" || fail "ioreq_echo did not start"
    echo "0x2000000 33 0 0 virtio_disk 51712 xvda -" >"$DIR/one.devices"
    expect 1 '^virtio@0x2000000: irq 33: probe failed: virtio-mmio: Wrong magic value 0x00000000!' \
        "$GUEST" --domid 1 --devices "$DIR/one.devices" probe
    expect 1 'not ready after 100 ms \(Wrong magic value 0x00000000\)' \
        "$GUEST" --domid 1 --devices "$DIR/one.devices" wait-ready --timeout 100
    expect 1 'MagicValue read 0: 0x00000000, expected 0x74726976' \
        "$GUEST" --domid 1 --devices "$DIR/one.devices" bench-mmio 3
    grep -q '^req ' "$DIR/echo.log" || fail "ioreq_echo saw no request"
fi

# --- the domain goes away ---
"$HV" --dir "$DIR" destroy 1 >/dev/null 2>&1
expect 3 'no such live domain' "$GUEST" --domid 1 probe

[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "all passed"
