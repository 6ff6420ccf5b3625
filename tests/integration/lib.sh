# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the daemon's integration tests on the simulated Xen.
# Tests source this; meson passes the binaries' paths in the environment:
#   XENSIM_HV XENSIM_XENSTORED XENSIM XENSIM_GUEST XENSIM_LIB_DIR XENVIRTIOD
#   XENVIRTIODCTL
set -euo pipefail

SIM_DIR=$(mktemp -d /tmp/xv-it.XXXXXX)
export XENSIM_DIR=$SIM_DIR
export XENSTORED_PATH=$SIM_DIR/xenstored.sock
DAEMON_PID=
HV_PID=
XS_PID=
DAEMON_LOG=$SIM_DIR/daemon.log
CONTROL_SOCKET=$SIM_DIR/control/socket

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$DAEMON_LOG" ]; then
        echo "--- daemon log (last 40 lines) ---" >&2
        tail -40 "$DAEMON_LOG" >&2
    fi
    exit 1
}

cleanup() {
    local status=$?
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
    [ -n "$XS_PID" ] && kill "$XS_PID" 2>/dev/null
    [ -n "$HV_PID" ] && kill "$HV_PID" 2>/dev/null
    # Whatever else a test left running (a guest shell reading a fifo this
    # shell still holds open would make the wait below last forever).
    kill $(jobs -p) 2>/dev/null || true
    wait 2>/dev/null || true
    for dev in ${LOOP_DEVICES:-}; do losetup -d "$dev" 2>/dev/null || true; done
    [ -n "${KEEP_SIM:-}" ] || rm -rf "$SIM_DIR"
    exit $status
}
trap cleanup EXIT

wait_for() { # seconds command...
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.05
    done
}

sim_start() {
    "$XENSIM_HV" --dir "$SIM_DIR" >"$SIM_DIR/hv.log" 2>&1 &
    HV_PID=$!
    "$XENSIM_XENSTORED" --socket "$XENSTORED_PATH" --foreground >"$SIM_DIR/xs.log" 2>&1 &
    XS_PID=$!
    wait_for 10 test -S "$SIM_DIR/hv.sock" || fail "xensim-hv did not start"
    wait_for 10 test -S "$XENSTORED_PATH" || fail "xensim-xenstored did not start"
}

# daemon_start [xenvirtiod args...]: the real binary, the sim's libraries.
daemon_start() {
    # DAEMON_WRAPPER: e.g. valgrind, in front of the daemon.
    # Its control socket in the test's directory, not the host's /run.
    LD_LIBRARY_PATH=$XENSIM_LIB_DIR ${DAEMON_WRAPPER:-} "$XENVIRTIOD" --log-target stderr \
        --log-level debug --control "$CONTROL_SOCKET" "$@" >"$DAEMON_LOG" 2>&1 &
    DAEMON_PID=$!
    wait_for 30 grep -q "ready" "$DAEMON_LOG" || fail "daemon did not become ready"
}

# ctl [xenvirtiodctl args...]: ask the daemon daemon_start started.
ctl() { "$XENVIRTIODCTL" --socket "$CONTROL_SOCKET" "$@"; }

daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }

daemon_stop() {
    kill -TERM "$DAEMON_PID"
    local rc=0
    wait "$DAEMON_PID" || rc=$?
    DAEMON_PID=
    return $rc
}

# guest_create NAME [xensim create options...] -> prints the domid
guest_create() { "$XENSIM" create "$@"; }
guest_destroy() { "$XENSIM" destroy "$@"; }
guest() { local domid=$1; shift; "$XENSIM_GUEST" --domid "$domid" "$@"; }

# Is the domain gone from the hypervisor (not even a zombie)?
dom_gone() { [ -z "$("$XENSIM" list | awk -v id="$1" '$2 == id')" ]; }

# Counters of one domain from the hypervisor's list (zombies included):
# foreign grants res
dom_mappings() {
    "$XENSIM" list | awk -v id="$1" '$2 == id {print $6, $7, $8}'
}

# A config with an emulated i2c bus and an SCMI agent for any guest's
# generic virtio,device22 / virtio,device20 entries: a guest that attacks
# every device type at once.
every_type_config() { # path
    cat >"$1" <<CONF
[scmi]
socket = $SIM_DIR/scmi.sock
[scmi-clock uart0]
rates = 24000000
[device i2c0]
type = i2c
bus = emulated
eeprom = 0x50
[device scmi0]
type = scmi
clocks = uart0
CONF
}

# block_section NAME IMAGE DOMID BASE IRQ: a statically placed disk of a
# config file, in foreign memory.
block_section() {
    printf '[device %s]\ntype = block\npath = %s\ndomain = %s\nbase = %s\nirq = %s\nmemory = foreign\n' \
        "$@"
}

make_disk() { # path MiB
    truncate -s "${2}M" "$1"
}

pass() { echo "PASS: $*"; }

# make_loop IMAGE [losetup options...] -> prints /dev/loopN (freed at exit);
# fails where the sandbox has no loop devices.
make_loop() {
    local dev
    dev=$(losetup -f --show "$@" 2>/dev/null) || return 1
    LOOP_DEVICES="${LOOP_DEVICES:-} $dev"
    echo "$dev"
}
