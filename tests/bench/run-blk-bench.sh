#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# virtio-blk through the daemon vs fio with io_uring directly on the same
# backing file, on tmpfs and on a disk file, in one run, interleaved: 4k
# random read at QD1 and QD32, 128k sequential write. The daemon is measured
# twice: its own block path in-process with no Xen hop (blk-engine-bench:
# register file, ring, engine, io_uring backend), and whole, serving the
# simulated guest through the simulated Xen.
# Then the daemon's own cost: instructions per request (callgrind) and
# system calls per request (strace), both as the difference between two
# runs of different lengths, so start-up does not count.
#   usage: run-blk-bench.sh [BUILD_DIR] [SECONDS_PER_RUN] [PASSES]
#   env:   DISK_DIR (default /var/tmp), PEER_BIN: a peer backend binary the
#          user built (run instead of xenvirtiod with the same guest)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
seconds=${2:-5}
passes=${3:-2}
disk_dir=${DISK_DIR:-/var/tmp}
size_mb=256

for tool in fio strace valgrind; do
    command -v $tool >/dev/null || {
        echo "installing $tool"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null; }
done

work=$(mktemp -d /tmp/xv-blkbench.XXXXXX)
shm=$(mktemp -d /dev/shm/xv-blkbench.XXXXXX)
export XENSIM_DIR=$work XENSTORED_PATH=$work/xenstored.sock
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work" "$shm" "$disk_dir"/xv-blkbench.img "$disk_dir"/xv-blkbench.img.engine
}
trap cleanup EXIT

"$build/sim/hv/xensim-hv" --dir "$work" >"$work/hv.log" 2>&1 & pids+=($!)
"$build/sim/xenstored/xensim-xenstored" --socket "$XENSTORED_PATH" --foreground \
    >"$work/xs.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -S "$work/hv.sock" ] && [ -S "$XENSTORED_PATH" ] && break; sleep 0.05; done

daemon_pid=
start_daemon() { # [wrapper...]
    LD_LIBRARY_PATH=$build/sim/lib "$@" "${PEER_BIN:-$build/xenvirtiod}" --log-target stderr \
        --log-level warning >"$work/daemon.log" 2>&1 &
    daemon_pid=$!
    pids+=($daemon_pid)
    sleep 0.5
}
stop_daemon() {
    # Under strace the daemon is a child: stop it, strace then reports.
    pkill -INT -P "$daemon_pid" 2>/dev/null || kill -INT "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
}

domid=
guest_up() { # file
    domid=$("$build/sim/toolstack/xensim" create bench --disk "$1") >/dev/null
    "$build/sim/guest/xensim-guest" --domid "$domid" wait-ready --timeout 10000 >/dev/null
}
guest_down() { "$build/sim/toolstack/xensim" destroy "$domid" >/dev/null; }

guest_bench() { # pattern bs qd [extra args] -> iops
    "$build/sim/guest/xensim-guest" --domid "$domid" blk-bench --pattern "$1" --bs "$2" \
        --qd "$3" "${@:4}" | sed -n 's/.* iops=\([0-9]*\).*/\1/p'
}

engine_bench() { # file pattern bs qd -> iops
    "$build/tests/bench/blk-engine-bench" "$1" "$2" "$3" "$4" "$seconds" |
        sed -n 's/.* iops=\([0-9]*\).*/\1/p'
}

fio_bench() { # file pattern bs qd -> iops
    local rw=$2
    [ "$rw" = seqwrite ] && rw=write
    fio --name=b --filename="$1" --ioengine=io_uring --rw="$rw" --bs="$3" --iodepth="$4" \
        --size=${size_mb}M --time_based --runtime="$seconds" --output-format=json 2>/dev/null |
        python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(int(j["read"]["iops"] + j["write"]["iops"]))'
}

cases=("randread 4096 1" "randread 4096 32" "seqwrite 131072 1")
declare -A fio_sum daemon_sum engine_sum
echo "# run-blk-bench: $(date -u +%F), $(nproc) cores, ${seconds}s per run, $passes passes"
for where in tmpfs disk; do
    file=$shm/xv-blkbench.img
    [ "$where" = disk ] && file=$disk_dir/xv-blkbench.img
    dd if=/dev/urandom of="$file" bs=1M count=$size_mb status=none
    # The daemon holds its image locked: the in-process engine gets a copy
    # of it on the same file system.
    cp "$file" "$file.engine"
    start_daemon
    guest_up "$file"
    for pass in $(seq "$passes"); do
        for c in "${cases[@]}"; do
            set -- $c
            f=$(fio_bench "$file" "$1" "$2" "$3")
            e=$(engine_bench "$file.engine" "$1" "$2" "$3")
            d=$(guest_bench "$1" "$2" "$3" --millis $((seconds * 1000)))
            fio_sum[$where $c]=$(( ${fio_sum[$where $c]:-0} + f ))
            engine_sum[$where $c]=$(( ${engine_sum[$where $c]:-0} + e ))
            daemon_sum[$where $c]=$(( ${daemon_sum[$where $c]:-0} + d ))
        done
    done
    guest_down
    stop_daemon
    rm -f "$file.engine"
done
printf '\n| backing | workload | fio io_uring IOPS | daemon block path IOPS | ratio | guest via simulated Xen IOPS | ratio |\n|---|---|---|---|---|---|---|\n'
for where in tmpfs disk; do
    for c in "${cases[@]}"; do
        set -- $c
        f=$(( ${fio_sum[$where $c]} / passes )); d=$(( ${daemon_sum[$where $c]} / passes ))
        e=$(( ${engine_sum[$where $c]} / passes ))
        printf '| %s | %s %s QD%s | %d | %d | %.3f | %d | %.3f |\n' "$where" "$1" "$2" "$3" \
            "$f" "$e" "$(python3 -c "print($e / $f)")" "$d" "$(python3 -c "print($d / $f)")"
    done
done

# The daemon's own cost per request: 4k random reads at QD32 on tmpfs.
file=$shm/xv-blkbench.img
dd if=/dev/zero of="$file" bs=1M count=$size_mb status=none
measure() { # wrapper-kind requests -> total
    local out=$work/measure.$1.$2
    case $1 in
        callgrind) start_daemon valgrind --tool=callgrind --callgrind-out-file="$out" ;;
        strace) start_daemon strace -f -c -o "$out" ;;
    esac
    sleep 1
    guest_up "$file"
    guest_bench randread 4096 32 --requests "$2" >/dev/null
    guest_down
    stop_daemon
    case $1 in
        callgrind) callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' ;;
        strace) awk '$NF == "total" {print $(NF-2)}' "$out" ;;
    esac
}
small=2000 large=12000
for kind in callgrind strace; do
    a=$(measure $kind $small); b=$(measure $kind $large)
    per=$(python3 -c "print(round(($b - $a) / ($large - $small), 1))")
    case $kind in
        callgrind) echo "daemon instructions per request (4k randread QD32): $per ($a for $small, $b for $large requests)" ;;
        strace) echo "daemon system calls per request (4k randread QD32): $per ($a for $small, $b for $large requests)" ;;
    esac
done
