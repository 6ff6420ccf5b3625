#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The daemon under valgrind through guest lifecycles in both memory modes,
# a hostile request and SIGTERM: no invalid access, no leak.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 77; }
sim_start
DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9" daemon_start
make_disk "$SIM_DIR/a.img" 1
for i in 1 2 3 4; do
    domid=$(guest_create "v$i" --vcpus 2 --disk "$SIM_DIR/a.img,grant_usage=$((i % 2))") ||
        fail "create $i"
    guest "$domid" --quiet blk-rw --bytes 8192 --requests 2 || fail "blk-rw $i"
    [ "$i" = 2 ] && { guest "$domid" misbehave chain-loop >/dev/null || fail "misbehave"; }
    guest_destroy "$domid" >/dev/null || fail "destroy $i"
done
daemon_stop || fail "valgrind found errors: $(grep -E 'Invalid|definitely|indirectly' "$DAEMON_LOG" | head -5)"
grep -q "ERROR SUMMARY: 0 errors" "$DAEMON_LOG" || fail "valgrind summary missing"
pass "valgrind: no errors, no leaks"
