#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Cross-build xenvirtiod for arm64 from the current tree, against the arm64
# -dev packages of Debian unpacked into a sysroot (never installed).
#   usage: cross-build.sh  -> prints the path of the arm64 xenvirtiod
#   env: XENVIRTIOD_E2E_CACHE (default /var/cache/xenvirtiod-e2e)
set -euo pipefail
shopt -s inherit_errexit
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${XENVIRTIOD_E2E_CACHE:-/var/cache/xenvirtiod-e2e}
apt_dir=$cache/apt
apt_opts=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Etc::SourceList=$apt_dir/sources.list"
          -o Dir::Etc::SourceParts=/nonexistent -o "Dir::Cache::Archives=$apt_dir/archives"
          -o APT::Architecture=arm64 -o APT::Architectures::=arm64
          -o Dir::State::status=/dev/null -o Debug::NoLocking=1)
dev_packages=(libxen-dev liburing-dev liburing2 libinih-dev libinih1 libinireader0
              libsystemd-dev libsystemd0 libcap2 libgcrypt20 liblz4-1 liblzma5 libzstd1
              libgpg-error0 libyajl2 libxenstore4
              libxenhypfs1 libxenmisc4.17 libxendevicemodel1 libxenevtchn1
              libxenforeignmemory1 libxengnttab1 libxentoolcore1 libxentoollog1 libxencall1)
versions=$(apt-cache "${apt_opts[@]}" policy "${dev_packages[@]}" | awk '/Candidate:/ {print $2}')
sysroot=$cache/sysroot-$(echo "${dev_packages[*]} $versions v1" | sha256sum | cut -c1-16)
if [ ! -f "$sysroot/done" ]; then
    echo "e2e: unpacking the arm64 sysroot" >&2
    rm -rf "$sysroot" && mkdir -p "$sysroot/debs" && cd "$sysroot/debs"
    apt-get "${apt_opts[@]}" download -qq "${dev_packages[@]}" 2>&1 | grep -v "^W:" >&2 || true
    [ "$(ls ./*.deb | wc -l)" = ${#dev_packages[@]} ] || { echo "e2e: sysroot download failed" >&2; exit 1; }
    for deb in ./*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
    touch "$sysroot/done"
fi
build=$cache/build-arm64
lib=$sysroot/usr/lib/aarch64-linux-gnu
cat >"$cache/arm64.cross" <<CROSS
[binaries]
c = 'aarch64-linux-gnu-gcc'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
pkgconfig = 'pkg-config'

[built-in options]
c_args = ['-I$sysroot/usr/include']
c_link_args = ['-L$lib', '-Wl,-rpath-link,$lib', '-Wl,-rpath-link,$sysroot/lib/aarch64-linux-gnu']

[properties]
sys_root = '$sysroot'
pkg_config_libdir = ['$lib/pkgconfig', '$sysroot/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'cortex-a57'
endian = 'little'
CROSS
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$top" --cross-file "$cache/arm64.cross" -Dsim=false \
        -Ddaemon=enabled >"$cache/cross-setup.log" 2>&1 || { tail -20 "$cache/cross-setup.log" >&2; exit 1; }
fi
ninja -C "$build" xenvirtiod devices/xenvirtiod-scmi xenvirtiodctl >"$cache/cross-build.log" 2>&1 ||
    { tail -30 "$cache/cross-build.log" >&2; exit 1; }
echo "$build"
