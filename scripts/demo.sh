#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo: the real xenvirtiod binary on the simulated Xen, serving a
# guest that probes its devices and uses them. Usage: demo.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
dir=$(mktemp -d /tmp/xenvirtiod-demo.XXXXXX)
export XENSIM_DIR=$dir XENSTORED_PATH=$dir/xenstored.sock
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return; sleep 0.05; done; exit 1; }

say "Starting the simulated Xen (hypervisor + xenstored) in $dir"
"$build/sim/hv/xensim-hv" --dir "$dir" >"$dir/hv.log" 2>&1 & pids+=($!)
"$build/sim/xenstored/xensim-xenstored" --socket "$XENSTORED_PATH" --foreground & pids+=($!)
wait_sock "$dir/hv.sock"; wait_sock "$XENSTORED_PATH"

say "Starting xenvirtiod (the same binary as in dom0; only the Xen libraries are simulated)"
echo "ldd: $(LD_LIBRARY_PATH=$build/sim/lib ldd "$build/xenvirtiod" | grep -o 'libxendevicemodel.so.1 => [^ ]*')"
cat >"$dir/xenvirtiod.conf" <<CONF
; The I2C bus behind the guest's virtio,device22 entry: emulated parts.
[device i2c0]
type = i2c
bus = emulated
eeprom = 0x50
lm75 = 0x48:21500
CONF
LD_LIBRARY_PATH=$build/sim/lib "$build/xenvirtiod" --config "$dir/xenvirtiod.conf" \
    --log-target stderr --log-level info \
    2> >(sed -u 's/^/  daemon| /') & pids+=($!)
sleep 0.5

say "xl create: two virtio disks (grants for the second) and an I2C bus (libxl 4.19 layout)"
truncate -s 16M "$dir/root.img"; truncate -s 4M "$dir/data.img"
printf 'hello from dom0' | dd of="$dir/data.img" conv=notrunc status=none
domid=$("$build/sim/toolstack/xensim" create demo --vcpus 2 --memory 64 \
        --disk "$dir/root.img" --disk "$dir/data.img,vdev=xvdb,grant_usage=1" \
        --virtio "virtio,device22")
echo "guest 'demo' is domain $domid"
echo "xenstore, as xl left it:"
xenstore-ls -f "/local/domain/0/backend/virtio_disk/$domid" | sed -n '1,40p' |
    grep -E '/(base|irq|state|params|grant_usage) ' | sed 's/^/  /'

say "The guest probes its virtio-mmio devices (like Linux's virtio_mmio + virtio_blk)"
"$build/sim/guest/xensim-guest" --domid "$domid" probe

say "The guest writes and reads back through virtio-blk"
"$build/sim/guest/xensim-guest" --domid "$domid" blk-rw --bytes 262144 --requests 64
echo "first bytes of xvdb as the guest reads them:"
"$build/sim/guest/xensim-guest" --domid "$domid" blk-read-file --dev 1 0 15 2>/dev/null || true

say "The guest reads the temperature sensor and writes and reads the EEPROM over virtio-i2c"
"$build/sim/guest/xensim-guest" --domid "$domid" i2c-sensor
"$build/sim/guest/xensim-guest" --domid "$domid" i2c-eeprom

say "A hostile guest: a descriptor chain that loops (the daemon logs it, resets nothing else)"
"$build/sim/guest/xensim-guest" --domid "$domid" misbehave chain-loop || true

say "xl destroy (libxl's Closing/Closed handshake)"
"$build/sim/toolstack/xensim" destroy "$domid"
sleep 0.3
"$build/sim/toolstack/xensim" list
say "Done"
