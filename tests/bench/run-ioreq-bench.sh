#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# IOREQ path benchmark on the simulated Xen, in one run on one machine:
#   baseline   bare event-channel round trip (evtchn-pingpong)
#   mmio       a guest register read: trap -> xenvirtiod -> answer
#   notify     QueueNotify -> virtio-blk request -> interrupt -> completion
# Reported as ratios to the baseline, because absolute times on a shared
# 2-core machine mean little. Usage: run-ioreq-bench.sh BUILD_DIR [ROUNDS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rounds=${2:-5000}
dir=$(mktemp -d /tmp/xv-bench.XXXXXX)
export XENSIM_DIR=$dir XENSTORED_PATH=$dir/xenstored.sock
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
"$build/sim/hv/xensim-hv" --dir "$dir" >/dev/null 2>&1 & pids+=($!)
"$build/sim/xenstored/xensim-xenstored" --socket "$XENSTORED_PATH" --foreground & pids+=($!)
for _ in $(seq 100); do [ -S "$dir/hv.sock" ] && [ -S "$XENSTORED_PATH" ] && break; sleep 0.05; done
LD_LIBRARY_PATH=$build/sim/lib "$build/xenvirtiod" --log-target stderr --log-level warning &
pids+=($!)
truncate -s 16M "$dir/disk.img"
domid=$("$build/sim/toolstack/xensim" create bench --vcpus 1 --disk "$dir/disk.img" 2>/dev/null)
guest() { "$build/sim/guest/xensim-guest" --domid "$domid" "$@"; }
guest wait-ready --timeout 5000 >/dev/null

value() { awk -v k="$1" '$1 == k {print $2}'; }
# Interleave the three measurements so drift of the machine hits all alike.
base=0 mmio=0 notify=0
for pass in 1 2 3; do
    b=$(LD_LIBRARY_PATH=$build/sim/lib "$build/tests/bench/evtchn-pingpong" "$rounds" | value evtchn_roundtrip_ns)
    m=$(guest bench-mmio "$rounds" | value mmio_read_ns)
    n=$(guest bench-notify "$((rounds / 5))" | value notify_irq_ns)
    echo "pass $pass: evtchn_roundtrip_ns $b mmio_read_ns $m notify_irq_ns $n"
    base=$((base + b)) mmio=$((mmio + m)) notify=$((notify + n))
done
awk -v b="$base" -v m="$mmio" -v n="$notify" 'BEGIN {
    printf "register read round trip / evtchn round trip: %.2f\n", m / b
    printf "QueueNotify -> interrupt / evtchn round trip: %.2f\n", n / b
    printf "(means over 3 passes: evtchn %.1f us, read %.1f us, notify->irq %.1f us)\n",
           b / 3000, m / 3000, n / 3000 }'
