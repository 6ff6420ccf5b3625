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
# targets compile in (not the tests' own code). A target's figures cover
# those of them it reaches (at least one function run): every target links
# the whole core, but fuzz_xenstore does not claim to test the virtqueue.
guest_facing='^(src/core|devices/[a-z0-9_]+|src/xen|src/host)/[a-z0-9_]+[.]c$'

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
    "$llvmcov" export -summary-only "$covbuild/tests/fuzz/$name" \
        -instr-profile="$dir/cov.profdata" >"$dir/coverage.json"
    read -r lines regions < <(python3 - "$top" "$guest_facing" "$dir/coverage.json" \
                                "$dir/coverage.txt" <<'PY'
import json, os, re, sys
top, pattern, src, out = sys.argv[1:]
rows, tot = [], {"lines": [0, 0], "regions": [0, 0]}
for f in json.load(open(src))["data"][0]["files"]:
    name = os.path.relpath(os.path.normpath(f["filename"]), top)
    s = f["summary"]
    if not re.search(pattern, name) or s["functions"]["covered"] == 0:
        continue
    rows.append((name, s))
    for k in tot:
        tot[k][0] += s[k]["covered"]
        tot[k][1] += s[k]["count"]
pct = lambda c, n: "%.2f%%" % (100.0 * c / n) if n else "-"
with open(out, "w") as o:
    o.write("%-34s %16s %16s\n" % ("file (reached, guest-facing)", "lines", "regions"))
    for name, s in sorted(rows):
        o.write("%-34s %7s of %5d %7s of %5d\n" % (name,
                pct(s["lines"]["covered"], s["lines"]["count"]), s["lines"]["count"],
                pct(s["regions"]["covered"], s["regions"]["count"]), s["regions"]["count"]))
    o.write("%-34s %7s of %5d %7s of %5d\n" % ("TOTAL",
            pct(*tot["lines"]), tot["lines"][1], pct(*tot["regions"]), tot["regions"][1]))
print(pct(*tot["lines"]), pct(*tot["regions"]))
PY
)
    printf '%-18s %12s %8s %-8s %9s %9s\n' "$name" "$execs" "$seconds" "$result" \
        "${lines:-?}" "${regions:-?}" >>"$summary"
    echo "$name: $execs executions in ${seconds}s ($limit_text asked), $result;" \
         "guest-facing coverage lines ${lines:-?} regions ${regions:-?} ($dir/coverage.txt)"
done
echo
cat "$summary"
exit $status
