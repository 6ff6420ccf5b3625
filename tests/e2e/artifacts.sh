#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real Xen under QEMU: build (or reuse) what a boot needs, from Debian's
# archive only, into a cache outside the source tree:
#   xen            hypervisor 4.17.5 rebuilt with CONFIG_IOREQ_SERVER
#   dom0-vmlinuz   Debian's arm64 6.1 kernel (+ its Xen modules)
#   domU-Image     a minimal all-built-in 6.12 kernel (virtio-mmio, blk,
#                  i2c, SCMI, Xen grant DMA); domU-Image-grant forces grants
#   rootfs/        arm64 .debs unpacked (busybox, xl, libraries)
# Each artifact lives in a directory named after a hash of its inputs, so
# a second run skips the builds. Usage: artifacts.sh (prints the cache dir)
#   env: XENVIRTIOD_E2E_CACHE (default /var/cache/xenvirtiod-e2e)
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
cache=${XENVIRTIOD_E2E_CACHE:-/var/cache/xenvirtiod-e2e}
jobs=$(nproc)
mkdir -p "$cache"
log() { echo "e2e: $*" >&2; }

host_packages=(qemu-system-arm device-tree-compiler cpio gcc-aarch64-linux-gnu
               libc6-dev-arm64-cross flex bison bc make python3 dpkg-dev xz-utils
               libssl-dev libelf-dev curl debian-archive-keyring)
install_host_packages() {
    local missing=()
    for p in "${host_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# A private apt state: arm64 binaries and sources, never the system's lists.
apt_dir=$cache/apt
apt_opts=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Etc::SourceList=$apt_dir/sources.list"
          -o Dir::Etc::SourceParts=/nonexistent -o "Dir::Cache::Archives=$apt_dir/archives"
          -o APT::Architecture=arm64 -o APT::Architectures::=arm64
          -o Dir::State::status=/dev/null -o Debug::NoLocking=1)
apt_setup() {
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$apt_dir/sources.list" <<SRC
deb [arch=arm64 signed-by=$key] http://deb.debian.org/debian bookworm main
deb [arch=arm64 signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
deb-src [signed-by=$key] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
SRC
    if [ -z "$(find "$apt_dir/lists" -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
        apt-get "${apt_opts[@]}" update -qq >/dev/null
    fi
}
apt_version() { apt-cache "${apt_opts[@]}" policy "$1" | awk '/Candidate:/ {print $2}'; }
apt_download() { # package[=version]... into the current directory
    apt-get "${apt_opts[@]}" download -qq "$@" >/dev/null
}

# ---- the hypervisor ----
xen_src_version=4.17.5+72-g01140da4e8-1
build_xen() {
    local key dir
    key=$(echo "$xen_src_version EXPERT IOREQ_SERVER v1" | sha256sum | cut -c1-16)
    dir=$cache/xen-$key
    if [ -f "$dir/xen" ]; then echo "$dir/xen"; return; fi
    log "building Xen $xen_src_version with CONFIG_IOREQ_SERVER (about a minute)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" && cd "$dir.tmp"
    apt-get "${apt_opts[@]}" source -qq --download-only "xen=$xen_src_version" >/dev/null
    dpkg-source -x --skip-debianization ./*.dsc src >/dev/null 2>&1 || dpkg-source -x ./*.dsc src >/dev/null
    apt_download "xen-hypervisor-4.17-arm64=$xen_src_version"
    dpkg-deb -x xen-hypervisor-4.17-arm64_*.deb hv
    cp hv/boot/xen-4.17-arm64.config src/xen/.config 2>/dev/null ||
        cp "$(ls hv/boot/*.config | head -1)" src/xen/.config
    printf 'CONFIG_EXPERT=y\nCONFIG_IOREQ_SERVER=y\n' >>src/xen/.config
    local mk=(make -C src/xen XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j"$jobs")
    "${mk[@]}" olddefconfig >build.log 2>&1
    grep -q '^CONFIG_IOREQ_SERVER=y' src/xen/.config || { log "IOREQ_SERVER not set"; exit 1; }
    nice "${mk[@]}" >>build.log 2>&1 || { tail -30 build.log >&2; exit 1; }
    mkdir -p "$dir" && cp src/xen/xen "$dir/xen" && cp src/xen/.config "$dir/config"
    cd "$cache" && rm -rf "$dir.tmp"
    echo "$dir/xen"
}

# ---- the domU kernel ----
domu_options=(PRINTK TTY BINFMT_ELF BINFMT_SCRIPT BLK_DEV_INITRD DEVTMPFS DEVTMPFS_MOUNT
    PROC_FS SYSFS TMPFS FUTEX EPOLL SHMEM SMP MULTIUSER UNIX98_PTYS FILE_LOCKING
    POSIX_TIMERS SIGNALFD TIMERFD EVENTFD XEN HVC_XEN HVC_XEN_FRONTEND XEN_GRANT_DMA_OPS
    XEN_VIRTIO VIRTIO_MENU VIRTIO VIRTIO_MMIO BLOCK BLK_DEV VIRTIO_BLK I2C I2C_CHARDEV
    I2C_VIRTIO ARM_SCMI_PROTOCOL ARM_SCMI_TRANSPORT_VIRTIO
    ARM_SCMI_TRANSPORT_VIRTIO_VERSION1_COMPLIANCE DEBUG_FS HWMON SENSORS_ARM_SCMI
    COMMON_CLK COMMON_CLK_SCMI GPIOLIB GPIO_VIRTIO RESET_CONTROLLER RESET_SCMI
    PM_GENERIC_DOMAINS ARM_SCMI_POWER_DOMAIN REGULATOR REGULATOR_ARM_SCMI)
build_domu() {
    local version='' key dir src
    # The newest source the mirror really has (the index can run ahead).
    local v
    for v in $(apt-cache "${apt_opts[@]}" showsrc linux-6.12 | awk '/^Version:/ {print $2}' | sort -rV); do
        if apt-get "${apt_opts[@]}" source --print-uris -qq "linux-6.12=$v" 2>/dev/null |
           awk -F"'" '/orig/ {print $2}' | xargs -r curl -sfI -o /dev/null; then
            version=$v
            break
        fi
    done
    [ -n "${version:-}" ] || { log "no linux-6.12 source downloadable"; exit 1; }
    key=$(echo "$version ${domu_options[*]} FORCE_GRANT v1" | sha256sum | cut -c1-16)
    dir=$cache/domu-$key
    if [ -f "$dir/Image" ] && [ -f "$dir/Image-grant" ]; then echo "$dir"; return; fi
    log "building the domU kernel from linux-6.12 $version (about 6 minutes on 2 cores)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" && cd "$dir.tmp"
    apt-get "${apt_opts[@]}" source -qq --download-only "linux-6.12=$version" >/dev/null
    tar -xf linux-6.12_*.orig.tar.xz
    src=$(find . -maxdepth 1 -type d -name 'linux*' | head -1)
    local mk=(make -C "$src" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j"$jobs")
    "${mk[@]}" allnoconfig >build.log 2>&1
    for pass in 1 2 3; do
        for o in "${domu_options[@]}"; do "$src/scripts/config" --file "$src/.config" -e "$o"; done
        "${mk[@]}" olddefconfig >>build.log 2>&1
    done
    for o in "${domu_options[@]}"; do
        grep -q "^CONFIG_$o=y" "$src/.config" || log "note: CONFIG_$o not set in the domU kernel"
    done
    nice "${mk[@]}" Image >>build.log 2>&1 || { tail -30 build.log >&2; exit 1; }
    mkdir -p "$dir" && cp "$src/arch/arm64/boot/Image" "$dir/Image" && cp "$src/.config" "$dir/config"
    "$src/scripts/config" --file "$src/.config" -e XEN_VIRTIO_FORCE_GRANT
    "${mk[@]}" olddefconfig >>build.log 2>&1
    nice "${mk[@]}" Image >>build.log 2>&1 || { tail -30 build.log >&2; exit 1; }
    cp "$src/arch/arm64/boot/Image" "$dir/Image-grant"
    cd "$cache" && rm -rf "$dir.tmp"
    echo "$dir"
}

# ---- dom0: Debian's kernel, modules and userland, unpacked ----
rootfs_packages=(busybox-static xen-utils-4.17 xen-utils-common xenstore-utils
    libxenstore4 libxenhypfs1 libxenmisc4.17 libncurses6
    libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxentoolcore1
    libxentoollog1 libxencall1 libc6 libgcc-s1 libyajl2 libfdt1 libuuid1 zlib1g
    libnl-3-200 libnl-route-3-200 libzstd1 liblzma5 libbz2-1.0 liblzo2-2 libtinfo6
    libncursesw6 liburing2 libinih1 libsystemd0 libcap2 libgcrypt20 libgpg-error0
    liblz4-1 libuuid1 libpixman-1-0 libglib2.0-0 libpcre2-8-0 libffi8 libmount1 libblkid1
    libselinux1 libaio1 libxxhash0 libudev1)
build_rootfs() {
    local kernel key dir
    # The newest kernel the mirror really serves (its index can run ahead).
    local k
    kernel=
    for k in $(apt-cache "${apt_opts[@]}" search '^linux-image-6\.1\.0-[0-9]+-arm64$' |
               awk '{print $1}' | sort -rV); do
        if apt-get "${apt_opts[@]}" download --print-uris -qq "$k" | awk -F"'" '{print $2}' |
           xargs -r curl -sfI -o /dev/null; then
            kernel=$k
            break
        fi
    done
    [ -n "$kernel" ] || { log "no arm64 6.1 kernel downloadable"; exit 1; }
    key=$(echo "$kernel ${rootfs_packages[*]} v1 \
        $(apt-cache "${apt_opts[@]}" policy "${rootfs_packages[@]}" | awk '/Candidate:/ {print $2}')" | sha256sum | cut -c1-16)
    dir=$cache/rootfs-$key
    if [ -f "$dir/done" ]; then echo "$dir"; return; fi
    log "unpacking dom0's packages ($kernel)"
    rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root" && cd "$dir/debs"
    apt_download "$kernel" "${rootfs_packages[@]}"
    for deb in ./*.deb; do dpkg-deb -x "$deb" ../root; done
    ls ../root/boot/vmlinuz-* >/dev/null
    cd "$cache" && touch "$dir/done"
    echo "$dir"
}

main() {
    install_host_packages
    apt_setup
    local xen domu rootfs
    xen=$(build_xen)
    domu=$(build_domu)
    rootfs=$(build_rootfs)
    cat >"$cache/current" <<VARS
E2E_XEN=$xen
E2E_DOMU=$domu
E2E_ROOTFS=$rootfs
VARS
    cat "$cache/current"
}
main "$@"
