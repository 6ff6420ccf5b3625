#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fairness under attack, on the simulated Xen: a victim guest's 4k random
# reads at QD1 (median and p99 completion latency), alone and while another
# guest attacks the same daemon, as ratios to the victim alone measured in
# the same pass (this 2-core VM's speed swings from minute to minute).
# Attacks: bit flips in in-flight buffers on a disk, an i2c bus and an SCMI
# agent (race); an SCMI request flood; an i2c page write/read loop; bad
# chains (never-granted buffers) one misbehave run after another; MMIO
# register reads from every vCPU (hammer). And a control, cpu-only: two busy
# processes that never talk to the daemon.
#   usage: run-fairness-bench.sh [BUILD_DIR] [MILLIS_PER_RUN] [PASSES]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
millis=${2:-3000}
passes=${3:-2}
export XENSIM_HV=$build/sim/hv/xensim-hv XENSIM_XENSTORED=$build/sim/xenstored/xensim-xenstored
export XENSIM=$build/sim/toolstack/xensim XENSIM_GUEST=$build/sim/guest/xensim-guest
export XENSIM_LIB_DIR=$build/sim/lib XENVIRTIOD=$build/xenvirtiod
. "$top/tests/integration/lib.sh"
sim_start
every_type_config "$SIM_DIR/xenvirtiod.conf"
daemon_start --config "$SIM_DIR/xenvirtiod.conf"
make_disk "$SIM_DIR/attacker.img" 16
make_disk "$SIM_DIR/victim.img" 64
attacker=$(guest_create attacker --vcpus 2 --disk "$SIM_DIR/attacker.img,grant_usage=1" \
    --virtio "virtio,device22" --virtio "virtio,device20") || fail "create attacker"
victim=$(guest_create victim --disk "$SIM_DIR/victim.img") || fail "create victim"
guest "$attacker" wait-ready --timeout 10000 >/dev/null || fail "attacker: no backend"
guest "$victim" wait-ready --timeout 10000 >/dev/null || fail "victim: no backend"

attack() { # name: runs until $SIM_DIR/stop exists
    case $1 in
        race) until [ -f "$SIM_DIR/stop" ]; do guest "$attacker" --timeout 200 race --seconds 1 >/dev/null || true; done ;;
        scmi-flood) until [ -f "$SIM_DIR/stop" ]; do guest "$attacker" scmi-flood 2000 >/dev/null || true; done ;;
        i2c) until [ -f "$SIM_DIR/stop" ]; do guest "$attacker" i2c-eeprom >/dev/null || true; done ;;
        bad-chains) until [ -f "$SIM_DIR/stop" ]; do guest "$attacker" misbehave never-granted >/dev/null 2>&1 || true; done ;;
        hammer) until [ -f "$SIM_DIR/stop" ]; do guest "$attacker" hammer --seconds 1 >/dev/null || true; done ;;
        # The control: two busy processes that never touch the daemon, so
        # what is only this VM's two cores being shared shows apart.
        cpu-only) timeout 60 sh -c 'until [ -f "$0" ]; do :; done' "$SIM_DIR/stop" &
                  timeout 60 sh -c 'until [ -f "$0" ]; do :; done' "$SIM_DIR/stop"; wait ;;
    esac
}
victim_run() { # -> "median p99" in microseconds
    guest "$victim" blk-bench --pattern randread --bs 4096 --qd 1 --millis "$millis" |
        sed -n 's/.* lat_median_us=\([0-9.]*\) lat_p99_us=\([0-9.]*\).*/\1 \2/p'
}
attacks="cpu-only race scmi-flood i2c bad-chains hammer"
results=$SIM_DIR/results
for pass in $(seq "$passes"); do
    read -r base_med base_p99 < <(victim_run)
    for a in $attacks; do
        rm -f "$SIM_DIR/stop"
        attack "$a" & attacker_pid=$!
        sleep 0.5
        read -r med p99 < <(victim_run)
        touch "$SIM_DIR/stop"
        wait "$attacker_pid" || true
        daemon_alive || fail "daemon died under $a"
        echo "$pass $a $base_med $base_p99 $med $p99" >>"$results"
        echo "pass $pass $a: median ${med}us (alone ${base_med}us), p99 ${p99}us (alone ${base_p99}us)"
    done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("\n| attack | victim median (us) | ratio to alone | victim p99 (us) | ratio to alone |")
print("|---|---|---|---|---|")
for attack in dict.fromkeys(r[1] for r in rows):
    rs = [r for r in rows if r[1] == attack]
    med = statistics.median(float(r[4]) for r in rs)
    p99 = statistics.median(float(r[5]) for r in rs)
    rmed = statistics.median(float(r[4]) / float(r[2]) for r in rs)
    rp99 = statistics.median(float(r[5]) / float(r[3]) for r in rs)
    print(f"| {attack} | {med:.0f} | {rmed:.2f} | {p99:.0f} | {rp99:.2f} |")
PY
