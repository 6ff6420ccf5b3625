#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# One scenario of the last end-to-end run: pass when every named result
# passed. Prints what the guest reported; on failure, the serial log's tail.
#   usage: result.sh NAME...
set -euo pipefail
last=${XENVIRTIOD_E2E_CACHE:-/var/cache/xenvirtiod-e2e}/last
status=0
for name in "$@"; do
    line=$(grep "^$name " "$last/results" 2>/dev/null || true)
    echo "${line:-$name: no result}"
    case $line in
        "$name PASS"*) ;;
        "$name SKIP"*) [ $status = 0 ] && status=77 ;;
        *) status=1 ;;
    esac
done
if [ $status = 1 ]; then
    echo "--- serial log (last 60 lines) ---"
    tr -d '\r' <"$last/serial.log" 2>/dev/null | tail -60
fi
exit $status
