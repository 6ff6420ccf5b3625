#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build (if needed) and run every libFuzzer target of the core for a bounded
# time, starting from its committed seed corpus, and print the executions
# reached. New interesting inputs go to a scratch corpus under .fuzz-work/,
# never into the committed one; crash reproducers land there too.
#   usage: tests/fuzz/run-fuzzers.sh SECONDS     (per target, default 60)
#   env:   FUZZ_BUILD_DIR  build directory (default <top>/build-fuzz)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
work=$top/.fuzz-work
targets=(fuzz_chain:chain fuzz_mmio:mmio fuzz_i2c:i2c fuzz_blk:blk fuzz_scmi:scmi
         fuzz_xenstore:xenstore fuzz_scmi_socket:scmi_socket)

if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 SECONDS" >&2
    exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
    # Only the core and its tests matter here: keep the daemon and the
    # simulator out of the clang build.
    CC=clang meson setup "$build" "$top" -Dfuzz=true -Dsim=false \
        -Ddaemon=disabled >/dev/null
fi
if [ "$(meson introspect "$build" --buildoptions |
        python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="fuzz"][0])')" != True ]; then
    echo "$build is not configured with -Dfuzz=true" >&2
    exit 2
fi
ninja -C "$build" $(for t in "${targets[@]}"; do echo "tests/fuzz/${t%%:*}"; done) >/dev/null

status=0
for entry in "${targets[@]}"; do
    name=${entry%%:*}
    corpus=${entry##*:}
    binary=$build/tests/fuzz/$name
    scratch=$work/$name/corpus
    mkdir -p "$scratch" "$work/$name/artifacts"
    log=$work/$name/log
    set +e
    (cd "$work/$name" && "$binary" "$scratch" "$top/tests/fuzz/corpus/$corpus" \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 \
        -artifact_prefix="$work/$name/artifacts/") >"$log" 2>&1
    rc=$?
    set -e
    execs=$(awk '/stat::number_of_executed_units:/ {n += $2} END {print n + 0}' "$log")
    if [ $rc -ne 0 ]; then
        echo "$name: FAILED (exit $rc) after $execs executions; see $log" >&2
        grep -E 'ERROR|invariant failed|SUMMARY' "$log" | head -5 >&2 || true
        ls "$work/$name/artifacts/" >&2 || true
        status=1
    else
        echo "$name: $execs executions in ${seconds}s, no failure"
    fi
done
exit $status
