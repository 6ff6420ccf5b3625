#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The packaged unit under a real systemd: the .deb installed with dpkg in a
# Debian container (debootstrap, booted by systemd-nspawn), the simulated
# Xen outside it standing in for /dev/xen (its libraries bound in, its
# sockets in a bound directory). Checks, through systemctl and journalctl:
# the unit's condition, READY (start returns when the daemon says so),
# STATUS, guest I/O through every device path the config uses with the
# sandboxing in force (and ProtectSystem seen refusing a path outside it),
# the control socket in the RuntimeDirectory, reload, the watchdog (pings
# keep it alive; a stopped daemon is killed and restarted), and stop.
# Usage: test_systemd.sh SRCDIR   (env as the integration tests: lib.sh)
set -euo pipefail
src=$(realpath "$1")
here=$(dirname "$0")
. "$here/lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (systemd-nspawn)"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn not installed (systemd-container)"
command -v debootstrap >/dev/null || skip "debootstrap not installed"
have_debhelper || skip "dpkg-buildpackage or debhelper not installed"
[ -n "${XENSIM_HV:-}" ] || skip "the simulator is not built"
. "$src/tests/integration/lib.sh"

work=$(mktemp -d /var/tmp/xv-systemd.XXXXXX)
root=$work/root
NSPAWN_PID=
container_stop() {
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        inside systemctl poweroff >/dev/null 2>&1 || kill "$NSPAWN_PID" 2>/dev/null
        wait_for 30 bash -c "! kill -0 $NSPAWN_PID" || kill -9 "$NSPAWN_PID" 2>/dev/null
    fi
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap 'st=$?; container_stop; (exit $st); cleanup' EXIT
journal() { inside journalctl -q -u xenvirtiod --no-pager -o cat; }
fail() {
    echo "FAIL: $*" >&2
    echo "--- journal of xenvirtiod.service (last 30 lines) ---" >&2
    journal 2>/dev/null | tail -30 >&2 || true
    exit 1
}

deb=$(build_deb "$src" "$work")

# The container's root, cached by what goes into it: bookworm with systemd
# and the package's dependencies, from this host's apt sources (the
# package was built against the host's libraries).
cache=${XENVIRTIOD_E2E_CACHE:-/var/cache/xenvirtiod-e2e}
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | sort -u | xargs)
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
key=$(printf '%s\n' "bookworm minbase systemd systemd-sysv dbus" "$depends" "$sources" |
      sha256sum | cut -c1-16)
base=$cache/nspawn-$key
nspawn() { systemd-nspawn -q --register=no --keep-unit "$@"; }
if [ ! -d "$base" ]; then
    echo "building the container root (cached as $base)"
    rm -rf "$base.tmp"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm \
        "$base.tmp" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
    rm -f "$base.tmp/etc/apt/sources.list"
    cp /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
        "$base.tmp/etc/apt/sources.list.d/" 2>/dev/null || true
    [ -f /etc/apt/sources.list ] &&
        mv "$base.tmp/etc/apt/sources.list.d/sources.list" "$base.tmp/etc/apt/sources.list"
    # shellcheck disable=SC2086
    nspawn -D "$base.tmp" sh -c "apt-get update -qq && apt-get install -y -qq $depends" \
        >"$work/deps.log" 2>&1 || { tail -20 "$work/deps.log"; fail "installing $depends"; }
    nspawn -D "$base.tmp" apt-get clean >/dev/null 2>&1
    mv "$base.tmp" "$base"
fi
cp -a "$base" "$root"
cp "$deb" "$root/var/tmp/"
nspawn -D "$root" dpkg -i "/var/tmp/$(basename "$deb")" >"$work/dpkg.log" 2>&1 ||
    { cat "$work/dpkg.log"; fail "dpkg -i"; }

# The guests, on the simulated Xen outside the container.
sim_start
d1=$(guest_create sd-disk --vcpus 1 --vuart) || fail "create sd-disk"
d2=$(guest_create sd-dev --vcpus 1 --vuart) || fail "create sd-dev"
mkdir -p "$root/var/lib/xen/images" "$root/srv/xen" "$root/opt/images"
for image in var/lib/xen/images/disk0 srv/xen/disk1 opt/images/outside; do
    make_disk "$root/$image.img" 1
done
config=$root/etc/xen/xenvirtiod.conf
{ printf '[daemon]\nxenstore = no\n'
  printf '[scmi]\nsocket = /run/xenvirtiod/scmi.sock\n'
  printf '[scmi-clock uart0]\nrates = 24000000\n'
  block_section disk0 /var/lib/xen/images/disk0.img "$d1" 0x2000000 33
  # Outside ReadWritePaths: ProtectSystem=strict must refuse it.
  block_section outside /opt/images/outside.img "$d1" 0x2000200 34
  printf '[device i2c0]\ntype = i2c\nbus = emulated\neeprom = 0x50\n'
  printf 'domain = %s\nbase = 0x2000000\nirq = 33\n' "$d2"
  printf '[device scmi0]\ntype = scmi\nclocks = uart0\n'
  printf 'domain = %s\nbase = 0x2000200\nirq = 34\n' "$d2"; } >"$config"

systemd-nspawn -q -D "$root" -b --register=no --keep-unit --console=read-only \
    --bind="$SIM_DIR:/run/xensim" --bind-ro="$XENSIM_LIB_DIR:/opt/xensim/lib" \
    >"$work/boot.log" 2>&1 &
NSPAWN_PID=$!
leader() { ps --ppid "$NSPAWN_PID" -o pid= | head -1 | tr -d ' '; }
has_leader() { [ -n "$(leader)" ]; }
wait_for 30 has_leader || fail "the container did not start: $(tail -5 "$work/boot.log")"
LEADER=$(leader)
inside() { nsenter -t "$LEADER" -m -u -i -n -p -- "$@"; }
booted() { inside systemctl is-system-running | grep -qE '^(running|degraded)$'; }
wait_for 90 booted || fail "systemd did not finish booting: $(inside systemctl is-system-running 2>&1)"
prop() { inside systemctl show -p "$1" --value xenvirtiod; }

# The package enabled the unit; without /dev/xen/privcmd its condition
# kept systemd from starting it at boot.
[ "$(inside systemctl is-enabled xenvirtiod)" = enabled ] || fail "the unit is not enabled"
[ "$(prop ConditionResult)" = no ] || fail "ConditionPathExists did not hold the unit back: $(prop ConditionResult)"
[ "$(prop ActiveState)" = inactive ] || fail "started without Xen: $(prop ActiveState)"

# The simulated Xen in place of /dev/xen. WatchdogSec short, to see it work.
mkdir -p "$root/etc/systemd/system/xenvirtiod.service.d"
cat >"$root/etc/systemd/system/xenvirtiod.service.d/sim.conf" <<'CONF'
[Unit]
ConditionPathExists=
[Service]
Environment=LD_LIBRARY_PATH=/opt/xensim/lib XENSIM_DIR=/run/xensim XENSTORED_PATH=/run/xensim/xenstored.sock
WatchdogSec=2s
CONF
inside systemctl daemon-reload
# Type=notify: start returns once the daemon sent READY=1.
timeout 60 nsenter -t "$LEADER" -m -u -i -n -p -- systemctl start xenvirtiod ||
    fail "systemctl start"
[ "$(prop ActiveState)/$(prop SubState)" = active/running ] ||
    fail "after start: $(prop ActiveState)/$(prop SubState)"
pid=$(prop MainPID)
status=$(prop StatusText)
grep -qE '^serving 3 device\(s\) for 2 guest\(s\)$' <<<"$status" || fail "STATUS: '$status'"
[ "$(prop WatchdogUSec)" = 2s ] || fail "WatchdogUSec $(prop WatchdogUSec)"
journal | grep -q "ready" || fail "the daemon's log is not in the journal"

# Guest I/O through each device, with the sandboxing in force.
probe() { guest "$1" --devices <(echo "$2") wait-ready --timeout 5000 >/dev/null; }
probe "$d1" "0x2000000 33 0 0 virtio 0 disk0 -" || fail "disk0 never answered"
guest "$d1" --devices <(echo "0x2000000 33 0 0 virtio 0 disk0 -") \
    blk-rw --bytes 262144 --requests 32 >/dev/null || fail "blk-rw on /var/lib/xen/images"
journal | grep -q "outside.*Read-only file system" ||
    fail "ProtectSystem=strict did not refuse the image under /opt"
i2c_devices="0x2000000 33 0 0 virtio 0 i2c0 -"
probe "$d2" "$i2c_devices" || fail "i2c0 never answered"
guest "$d2" --devices <(echo "$i2c_devices") i2c-eeprom >/dev/null || fail "i2c-eeprom"
inside test -S /run/xenvirtiod/scmi.sock || fail "no SCMI socket in the RuntimeDirectory"
inside xenvirtiod-scmi -s /run/xenvirtiod/scmi.sock base-info >/dev/null ||
    fail "xenvirtiod-scmi base-info over the raw socket"
[ "$(inside stat -c %a /run/xenvirtiod)" = 700 ] || fail "RuntimeDirectoryMode"
out=$(inside xenvirtiodctl status) || fail "xenvirtiodctl status: $out"
grep -qE "^  device=disk0 " <<<"$out" || fail "status lacks disk0: $out"
grep -qE "^  device=i2c0 " <<<"$out" || fail "status lacks i2c0: $out"
out=$(inside xenvirtiodctl stats) || fail "xenvirtiodctl stats: $out"
ioreqs=$(sed -n "s/^device=dom$d1\/disk0 .*ioreqs=\([0-9]*\).*/\1/p" <<<"$out")
[ "${ioreqs:-0}" -gt 10 ] || fail "stats: ${ioreqs:-no} ioreqs for disk0 after its I/O: $out"

# reload: a second disk, on the other writable path, appears; same process.
block_section disk1 /srv/xen/disk1.img "$d1" 0x2000400 35 >>"$config"
inside systemctl reload xenvirtiod || fail "systemctl reload"
wait_for 10 bash -c "[ \"\$(nsenter -t $LEADER -m -p -- systemctl show -p SubState --value xenvirtiod)\" = running ]" ||
    fail "after reload: $(prop SubState)"
[ "$(prop MainPID)" = "$pid" ] || fail "reload replaced the process"
journal | grep -q "configuration reloaded" || fail "no reload in the journal"
disk1="0x2000400 35 0 0 virtio 0 disk1 -"
probe "$d1" "$disk1" || fail "disk1 never answered after reload"
guest "$d1" --devices <(echo "$disk1") blk-rw --bytes 65536 --requests 8 >/dev/null ||
    fail "blk-rw on /srv/xen"

# A configuration the daemon refuses: reload fails, the old one serves.
cp "$config" "$work/good.conf"
echo 'this line is not a key' >>"$config"
if inside systemctl reload xenvirtiod 2>/dev/null; then fail "reload of a bad config succeeded"; fi
[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$pid" ] ||
    fail "a refused reload stopped the daemon: $(prop ActiveState)"
guest "$d1" --devices <(echo "$disk1") blk-rw --bytes 4096 --requests 1 >/dev/null ||
    fail "disk1 not served after a refused reload"
cp "$work/good.conf" "$config"

# The watchdog: pings keep it (five periods), a stopped loop does not.
sleep 10
[ "$(prop MainPID)" = "$pid" ] && [ "$(prop NRestarts)" = 0 ] ||
    fail "restarted while pinging: pid $(prop MainPID) restarts $(prop NRestarts)"
inside systemctl kill --kill-who=main -s SIGSTOP xenvirtiod
restarted() { [ "$(prop NRestarts)" -ge 1 ] && [ "$(prop ActiveState)" = active ]; }
wait_for 30 restarted || fail "no watchdog restart: $(prop NRestarts) $(prop ActiveState) $(prop Result)"
journal | grep -qi "watchdog timeout" || inside journalctl -q --no-pager | grep -qi "watchdog timeout" ||
    fail "the journal does not say the watchdog fired"
[ "$(prop MainPID)" != "$pid" ] || fail "the same process after the watchdog"

# stop: SIGTERM, a clean exit.
inside systemctl stop xenvirtiod || fail "systemctl stop"
[ "$(prop ActiveState)" = inactive ] && [ "$(prop Result)" = success ] ||
    fail "after stop: $(prop ActiveState) $(prop Result)"
pass "systemd $(inside systemctl --version | head -1 | cut -d' ' -f2): condition, READY, STATUS '$status', sandboxed I/O, control socket, reload, watchdog restart, stop"
