#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end on real Xen: boot Xen 4.17 (rebuilt with IOREQ) + Debian's
# dom0 under qemu-system-aarch64, run xenvirtiod (cross-built from this
# tree) from its config file, and let unmodified Linux guests use their
# virtio-blk, virtio-i2c and virtio-scmi drivers. Writes the scenarios'
# results to $XENVIRTIOD_E2E_CACHE/last/results ("NAME PASS|FAIL why").
#   usage: run.sh HOST_BUILD_DIR   (for xenvirtiod-scmi: the guest's DT)
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
host_build=$(cd "${1:-$here/../../build}" && pwd)
cache=${XENVIRTIOD_E2E_CACHE:-/var/cache/xenvirtiod-e2e}
timeout_s=${E2E_TIMEOUT:-1200}
start=$SECONDS

"$here/artifacts.sh" >/dev/null
. "$cache/current"
arm64=$("$here/cross-build.sh")
last=$cache/last
rm -rf "$last" && mkdir -p "$last"
stage=$last/dom0
mkdir -p "$stage"

# dom0's root: the unpacked packages, minus the kernel and unused modules.
cp -a "$E2E_ROOTFS/root/." "$stage/"
vmlinuz=$(ls "$stage"/boot/vmlinuz-* | head -1)
cp "$vmlinuz" "$last/dom0-vmlinuz"
modules=()
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    path=$(find "$stage/lib/modules" -name "$m.ko*" | head -1)
    [ -n "$path" ] || { echo "e2e: module $m not found" >&2; exit 1; }
    keep=$stage/lib/xen-modules/$(basename "$path")
    mkdir -p "$(dirname "$keep")"
    case $path in
        *.xz) xz -dc "$path" >"${keep%.xz}"; keep=${keep%.xz} ;;
        *) cp "$path" "$keep" ;;
    esac
    modules+=("${keep#$stage}")
done
rm -rf "$stage/boot" "$stage/lib/modules" "$stage/usr/share/doc" "$stage/usr/share/man" \
    "$stage/usr/share/locale"
printf '%s\n' "${modules[@]}" >"$stage/etc/e2e-modules"
mkdir -p "$stage"/{proc,sys,dev,run,tmp,root,var/log,var/lib}
install -m 0755 "$arm64/xenvirtiod" "$stage/usr/sbin/xenvirtiod"
install -m 0755 "$arm64/devices/xenvirtiod-scmi" "$stage/usr/sbin/xenvirtiod-scmi"
install -m 0755 "$arm64/xenvirtiodctl" "$stage/usr/sbin/xenvirtiodctl"
install -m 0755 "$here/guest/dom0-init" "$stage/init"

# The guests: kernels, an initramfs with busybox and the scenario script.
domu=$last/domu
mkdir -p "$domu"/{bin,dev,proc,sys,tmp}
cp "$stage/bin/busybox" "$domu/bin/busybox"
install -m 0755 "$here/guest/domU-init" "$domu/init"
mkdir -p "$stage/root"
(cd "$domu" && find . | cpio -o -H newc --quiet) >"$stage/root/domU.cpio"
cp "$E2E_DOMU/Image" "$stage/root/Image"
cp "$E2E_DOMU/Image-grant" "$stage/root/Image-grant"

# xenvirtiod's config, as an admin writes it, and the xl domain configs.
mkdir -p "$stage/etc/xen/xenvirtiod"
touch "$stage/etc/xen/xenvirtiod/i2c0" "$stage/etc/xen/xenvirtiod/scmi0"
cp "$here/guest/xenvirtiod.conf" "$stage/etc/xen/xenvirtiod.conf"
"$host_build/devices/xenvirtiod-scmi" -c "$stage/etc/xen/xenvirtiod.conf" dts scmi0 \
    >"$last/scmi.dts"
dtc -q -I dts -O dtb -o "$stage/etc/xen/scmi.dtb" "$last/scmi.dts"
guest_cfg() { # name kernel scenario disk-lines [extra lines]
    cat <<CFG
name = "$1"
kernel = "/root/$2"
ramdisk = "/root/domU.cpio"
extra = "console=hvc0 rdinit=/init e2e=$3 e2e_name=$1"
memory = 128
vcpus = 1
disk = [ $4 ]
${5:-}
CFG
}
vdisk() { echo "'format=raw,vdev=$1,backendtype=standalone,specification=virtio,target=$2'"; }
guest_cfg fg Image blk "$(vdisk xvda /root/fg.img)" >"$stage/etc/xen/fg.cfg"
# A FORCE_GRANT guest. Linux 6.12 ignores FORCE_GRANT for a virtio-mmio
# device whose DT node has no xen,grant-dma iommu, and xl 4.17 writes none
# for a dom0 backend: its xl disk is foreign-mapped. Its second disk is the
# config's [device gr-granted], described to the guest by the example
# partial device tree, as an admin would (conf/xl/grant-disk.dts).
dtc -q -I dts -O dtb -o "$stage/etc/xen/grant-disk.dtb" "$here/../../conf/xl/grant-disk.dts"
guest_cfg gr Image-grant blk-grant "$(vdisk xvda /root/gr.img)" \
    'device_tree = "/etc/xen/grant-disk.dtb"' >"$stage/etc/xen/gr.cfg"
guest_cfg sc Image scmi "$(vdisk xvda /etc/xen/xenvirtiod/i2c0), $(vdisk xvdb /etc/xen/xenvirtiod/scmi0)" \
    'device_tree = "/etc/xen/scmi.dtb"' >"$stage/etc/xen/sc.cfg"
(cd "$stage" && find . | cpio -o -H newc --quiet) >"$last/dom0.cpio"
echo "e2e: staged in $((SECONDS - start))s; booting Xen under QEMU" >&2

serial=$last/serial.log
qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -smp 2 -m 3072 \
    -display none -nic none -monitor none -serial "file:$serial" -no-reboot \
    -kernel "$E2E_XEN" \
    -append "console=dtuart dom0_mem=1024M dom0_max_vcpus=1 loglvl=all guest_loglvl=all" \
    -device "guest-loader,addr=0x42000000,kernel=$last/dom0-vmlinuz,bootargs=console=hvc0 earlycon=xen rdinit=/init" \
    -device "guest-loader,addr=0x50000000,initrd=$last/dom0.cpio" &
qemu=$!
boot=$SECONDS
while kill -0 $qemu 2>/dev/null; do
    grep -q "E2E-DONE" "$serial" 2>/dev/null && break
    if [ $((SECONDS - boot)) -gt "$timeout_s" ]; then
        echo "e2e: timeout after ${timeout_s}s" >&2
        break
    fi
    sleep 2
done
sleep 1
kill $qemu 2>/dev/null || true
wait $qemu 2>/dev/null || true
tr -d '\r' <"$serial" | sed -n 's/.*E2E-RESULT \([^ ]*\) \(PASS\|FAIL\|SKIP\) *\(.*\)/\1 \2 \3/p' >"$last/results"
grep -q "E2E-DONE" "$serial" || echo "boot FAIL no E2E-DONE marker: $(tr -d '\r' <"$serial" | tail -5 | tr '\n' '|')" >>"$last/results"
echo "e2e: boot and scenarios took $((SECONDS - boot))s (whole run $((SECONDS - start))s)" >&2
cat "$last/results"
! grep -q " FAIL" "$last/results"
