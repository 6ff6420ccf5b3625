#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: built from the tree as it is with dpkg-buildpackage,
# unpacked into a scratch root, where the unit, the daemon's default config
# and the installed files must agree. Usage: test_deb.sh SRCDIR
set -euo pipefail
src=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
have_debhelper || { echo "SKIP: dpkg-buildpackage or debhelper not installed"; exit 77; }
work=$(mktemp -d /tmp/xv-deb.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"
deb=$(build_deb "$src" "$work")
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$work/control"
fail() { echo "FAIL: $*"; exit 1; }

unit=
for dir in lib/systemd/system usr/lib/systemd/system; do
    [ -f "$root/$dir/xenvirtiod.service" ] && unit=$root/$dir/xenvirtiod.service
done
[ -n "$unit" ] || fail "no xenvirtiod.service in the package"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
binary=${exec_start%% *}
config=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<<"$exec_start")
[ -x "$root$binary" ] || fail "the unit starts $binary, which the package lacks"
[ -f "$root$config" ] || fail "the unit reads $config, which the package lacks"
grep -qx "$config" "$work/control/conffiles" || fail "$config is not a conffile"
"$root$binary" --help | grep -qF "(default $config)" ||
    fail "the daemon's default config is not the unit's $config"
[ -x "$root/usr/bin/xenvirtiod-scmi" ] || fail "no xenvirtiod-scmi"
[ -x "$root/usr/sbin/xenvirtiodctl" ] || fail "no xenvirtiodctl"
for page in man8/xenvirtiod.8 man5/xenvirtiod.conf.5 man1/xenvirtiod-scmi.1 \
            man8/xenvirtiodctl.8; do
    [ -f "$root/usr/share/man/$page.gz" ] || fail "no $page"
done
grep -q 'deb-systemd-helper' "$work/control/postinst" ||
    fail "postinst does not enable the unit"
echo "PASS: $(basename "$deb"): $binary --config $config, unit $(basename "$unit")"
