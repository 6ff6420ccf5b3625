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
# Each pass measures every tool once per workload, close together; the
# tables give medians over the passes, of the IOPS and of each pass's ratio
# (this 2-core VM's speed swings by large factors from minute to minute).
#   usage: run-blk-bench.sh [BUILD_DIR] [SECONDS_PER_RUN] [PASSES]
#   env:   DISK_DIR (default /var/tmp); PEER_BIN: a peer backend the user
#          built, served the same guest in the same passes (PEER_ARGS: its
#          arguments, default none); its xenstore layout must be libxl 4.17's
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
    rm -rf "$work" "$shm" "$disk_dir"/xv-blkbench.img
}
trap cleanup EXIT

"$build/sim/hv/xensim-hv" --dir "$work" >"$work/hv.log" 2>&1 & pids+=($!)
"$build/sim/xenstored/xensim-xenstored" --socket "$XENSTORED_PATH" --foreground \
    >"$work/xs.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -S "$work/hv.sock" ] && [ -S "$XENSTORED_PATH" ] && break; sleep 0.05; done

daemon_pid=
start_daemon() { # [wrapper...]: xenvirtiod
    LD_LIBRARY_PATH=$build/sim/lib "$@" "$build/xenvirtiod" --log-target stderr \
        --log-level warning >"$work/daemon.log" 2>&1 &
    daemon_pid=$!
    pids+=($daemon_pid)
    sleep 0.5
}
start_peer() {
    # shellcheck disable=SC2086
    LD_LIBRARY_PATH=$build/sim/lib "$PEER_BIN" ${PEER_ARGS:-} >"$work/peer.log" 2>&1 &
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
    domid=$("$build/sim/toolstack/xensim" create bench --disk "$1") || {
        echo "no guest: the backend's log:" >&2; tail -20 "$work"/*.log >&2; exit 1; }
    "$build/sim/guest/xensim-guest" --domid "$domid" wait-ready --timeout 10000 >/dev/null
}
guest_down() {
    # A backend that never closes its device (a peer may not) only slows
    # the destroy down; the figures stand.
    "$build/sim/toolstack/xensim" destroy "$domid" >/dev/null || echo "(dom$domid: unclean destroy)"
}

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
    # --invalidate=0: the page cache stays warm, as for the daemon (its
    # default mode is the page cache too).
    fio --name=b --filename="$1" --ioengine=io_uring --rw="$rw" --bs="$3" --iodepth="$4" \
        --invalidate=0 \
        --size=${size_mb}M --time_based --runtime="$seconds" --output-format=json 2>/dev/null |
        python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; print(int(j["read"]["iops"] + j["write"]["iops"]))'
}

cases=("randread 4096 1" "randread 4096 32" "seqwrite 131072 1")
raw=$work/raw
: >"$raw"
record() { echo "$1 $2 $3 $4 $5 ${6:-0}" >>"$raw"; }   # where pattern bs qd tool iops
guest_cases() { # tool: the backend running now, serving the guest
    local tool=$1 c
    for c in "${cases[@]}"; do
        set -- $c
        record "$where" $c "$tool" "$(guest_bench "$1" "$2" "$3" --millis $((seconds * 1000)))"
    done
}
echo "# run-blk-bench: $(date -u +%F), $(nproc) cores, ${seconds}s per run, $passes passes"
for where in tmpfs disk; do
    file=$shm/xv-blkbench.img
    [ "$where" = disk ] && file=$disk_dir/xv-blkbench.img
    dd if=/dev/urandom of="$file" bs=1M count=$size_mb status=none
    for pass in $(seq "$passes"); do
        # fio and the in-process engine, then the backends (they lock it).
        for c in "${cases[@]}"; do
            set -- $c
            record "$where" $c fio "$(fio_bench "$file" "$1" "$2" "$3")"
            record "$where" $c engine "$(engine_bench "$file" "$1" "$2" "$3")"
        done
        start_daemon
        guest_up "$file"
        guest_cases guest
        guest_down
        stop_daemon
        if [ -n "${PEER_BIN:-}" ]; then
            start_peer
            guest_up "$file"
            guest_cases peer
            guest_down
            stop_daemon
        fi
    done
done
python3 - "$raw" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)          # (where, case, tool) -> [iops by pass]
for line in open(sys.argv[1]):
    where, pattern, bs, qd, tool, iops = line.split()
    runs[(where, f"{pattern} {bs} QD{qd}", tool)].append(int(iops or 0))
tools = [t for t in ("engine", "guest", "peer") if any(k[2] == t for k in runs)]
names = {"engine": "daemon block path", "guest": "guest via simulated Xen",
         "peer": "peer via simulated Xen"}
head = "| backing | workload | fio io_uring IOPS |"
for t in tools:
    head += f" {names[t]} IOPS | ratio |"
print("\n" + head + "\n|" + "---|" * (3 + 2 * len(tools)))
for where, case in dict.fromkeys((k[0], k[1]) for k in runs):
    fio = runs[(where, case, "fio")]
    row = f"| {where} | {case} | {statistics.median(fio):.0f} |"
    for t in tools:
        got = runs[(where, case, t)]
        ratios = [g / f for g, f in zip(got, fio) if f]
        row += f" {statistics.median(got):.0f} | {statistics.median(ratios):.3f} |"
    print(row)
PY

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
