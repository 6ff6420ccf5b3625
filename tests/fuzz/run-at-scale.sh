#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzzing runs, outside CI (not in ./dev test): every libFuzzer target
# for a number of executions or a time, one target at a time, with ASan and
# UBSan aborting on the first report (-fno-sanitize-recover=all), then the
# line and region coverage its corpus reaches in the guest-facing sources
# (src/core, the device engines, the host-side parsers the targets drive).
#
#   usage: tests/fuzz/run-at-scale.sh [-n RUNS | -t SECONDS] [TARGET...]
#          default -n 10000000, every target of run-fuzzers.sh
#   env:   SCALE_BUILD_DIR  sanitized fuzz build (default <top>/build-fuzz-scale)
#          SCALE_COV_DIR    coverage build (default <top>/build-fuzz-cov)
#          SCALE_WORK       corpora, logs, profiles (default <top>/.fuzz-work/scale)
#
# Fuzzing runs in the sanitized build without coverage instrumentation (it
# would halve the speed); the corpus it grew is then replayed once in a
# build with -fprofile-instr-generate -fcoverage-mapping. Needs clang and
# llvm-profdata-14/llvm-cov-14 (apt-get install llvm-14).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${SCALE_BUILD_DIR:-$top/build-fuzz-scale}
covbuild=${SCALE_COV_DIR:-$top/build-fuzz-cov}
work=${SCALE_WORK:-$top/.fuzz-work/scale}
profdata=${LLVM_PROFDATA:-llvm-profdata-14}
llvmcov=${LLVM_COV:-llvm-cov-14}
limit=(-runs=10000000)
limit_text="10000000 runs"

usage() {
    echo "usage: $0 [-n RUNS | -t SECONDS] [TARGET...]" >&2
    exit 2
}
while getopts "n:t:" opt; do
    case $opt in
    n) [[ $OPTARG =~ ^[0-9]+$ ]] || usage
       limit=(-runs="$OPTARG"); limit_text="$OPTARG runs" ;;
    t) [[ $OPTARG =~ ^[0-9]+$ ]] || usage
       limit=(-max_total_time="$OPTARG"); limit_text="${OPTARG}s" ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))

# The targets and corpora: the list run-fuzzers.sh runs in CI.
mapfile -t all < <(sed -n '/^targets=(/,/)/p' "$top/tests/fuzz/run-fuzzers.sh" |
                   tr -d '()' | sed 's/targets=//' | tr ' ' '\n' | grep :)
targets=()
if [ $# -eq 0 ]; then
    targets=("${all[@]}")
else
    for want in "$@"; do
        found=
        for entry in "${all[@]}"; do
            [ "${entry%%:*}" = "$want" ] && targets+=("$entry") && found=1
        done
        [ -n "$found" ] || { echo "unknown target $want" >&2; exit 2; }
    done
fi
for tool in clang "$profdata" "$llvmcov"; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install -y llvm-14)" >&2; exit 2; }
done

setup() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        CC=clang meson setup "$dir" "$top" -Dfuzz=true -Dsim=false \
            -Ddaemon=disabled "$@" >/dev/null
    fi
    ninja -C "$dir" -j2 $(for t in "${targets[@]}"; do echo "tests/fuzz/${t%%:*}"; done) >/dev/null
}
# The fuzz targets carry -fsanitize=fuzzer,address,undefined and
# -fno-sanitize-recover=all themselves (tests/fuzz/meson.build).
setup "$build" -Dbuildtype=debugoptimized
cov_flags="-fprofile-instr-generate -fcoverage-mapping"
setup "$covbuild" -Dbuildtype=debug -Dc_args="$cov_flags" -Dc_link_args="$cov_flags"

# Guest-facing sources: the core, the engines and host-side parsers the
# targets compile in (not the tests' own code).
guest_facing='/(src/core|devices/[a-z0-9_]+|src/xen|src/host)/[a-z0-9_]+\.c$'

summary=$work/summary.txt
mkdir -p "$work"
printf '%-18s %12s %8s %-8s %9s %9s\n' target executions seconds result lines regions >"$summary"
status=0
for entry in "${targets[@]}"; do
    name=${entry%%:*}
    corpus=${entry##*:}
    dir=$work/$name
    mkdir -p "$dir/corpus" "$dir/artifacts"
    start=$(date +%s)
    set +e
    (cd "$dir" && "$build/tests/fuzz/$name" "$dir/corpus" "$top/tests/fuzz/corpus/$corpus" \
        "${limit[@]}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/artifacts/") >"$dir/log" 2>&1
    rc=$?
    set -e
    seconds=$(( $(date +%s) - start ))
    execs=$(awk '/stat::number_of_executed_units:/ {n += $2} END {print n + 0}' "$dir/log")
    result=clean
    if [ $rc -ne 0 ]; then
        result="FAILED($rc)"
        status=1
        grep -E 'ERROR|invariant failed|SUMMARY' "$dir/log" | head -5 >&2 || true
    fi

    # Coverage: replay the grown corpus and the seeds once.
    rm -f "$dir"/*.profraw
    LLVM_PROFILE_FILE="$dir/%p.profraw" "$covbuild/tests/fuzz/$name" -runs=0 \
        "$dir/corpus" "$top/tests/fuzz/corpus/$corpus" >"$dir/cov.log" 2>&1 || true
    "$profdata" merge -sparse "$dir"/*.profraw -o "$dir/cov.profdata"
    sources=$("$llvmcov" report "$covbuild/tests/fuzz/$name" \
        -instr-profile="$dir/cov.profdata" 2>/dev/null |
        awk '{print $1}' | grep -E "$guest_facing" || true)
    # Per file: regions, missed, cover, functions, missed, cover, lines, missed, cover.
    (cd "$covbuild" && "$llvmcov" report "$covbuild/tests/fuzz/$name" \
        -instr-profile="$dir/cov.profdata" $sources) >"$dir/coverage.txt" 2>&1 || true
    read -r regions lines < <(awk '$1 == "TOTAL" {print $4, $10}' "$dir/coverage.txt")
    printf '%-18s %12s %8s %-8s %9s %9s\n' "$name" "$execs" "$seconds" "$result" \
        "${lines:-?}" "${regions:-?}" >>"$summary"
    echo "$name: $execs executions in ${seconds}s ($limit_text asked), $result;" \
         "guest-facing coverage lines ${lines:-?} regions ${regions:-?} ($dir/coverage.txt)"
done
echo
cat "$summary"
exit $status
