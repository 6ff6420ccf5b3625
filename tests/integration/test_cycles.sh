#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 200 guest create/destroy cycles (CYCLES to change): the daemon's open
# fds, its RSS and the hypervisor's mapping counts must not grow.
. "$(dirname "$0")/lib.sh"
cycles=${CYCLES:-200}
sim_start
daemon_start
make_disk "$SIM_DIR/a.img" 1
fds() { ls /proc/"$DAEMON_PID"/fd | wc -l; }
rss() { awk '/VmRSS/ {print $2}' /proc/"$DAEMON_PID"/status; }
one_cycle() {
    local domid
    domid=$(guest_create "c$1" --vcpus 2 --disk "$SIM_DIR/a.img,grant_usage=$(( ${1#warm} % 2 ))") ||
        fail "cycle $1: create"
    guest "$domid" blk-rw --bytes 4096 --requests 1 >/dev/null || fail "cycle $1: blk-rw"
    guest_destroy "$domid" >/dev/null || fail "cycle $1: destroy"
}
for i in 1 2 3 4 5; do one_cycle "warm$i"; done   # let allocator pools settle
fds0=$(fds) rss0=$(rss)
for i in $(seq 1 "$cycles"); do one_cycle "$i"; done
fds1=$(fds) rss1=$(rss)
zombies=$("$XENSIM" list | awk '$5 == "zombie"' | wc -l)
echo "after $cycles cycles: fds $fds0 -> $fds1, RSS ${rss0} kB -> ${rss1} kB, zombies $zombies"
echo "cycles=$cycles fds_before=$fds0 fds_after=$fds1 rss_kb_before=$rss0 rss_kb_after=$rss1 zombies=$zombies" \
    >"${CYCLES_REPORT:-/dev/null}"
[ "$fds1" -le "$fds0" ] || fail "fd leak: $fds0 -> $fds1"
[ "$zombies" = 0 ] || fail "$zombies zombie domains: mappings leaked"
# Allow 256 kB of noise (malloc arenas), not growth per cycle.
[ "$rss1" -le $((rss0 + 256)) ] || fail "RSS grew $rss0 -> $rss1 kB"
pass "$cycles cycles without growth"
