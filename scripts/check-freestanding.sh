#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build the portable core for a bare-metal Arm target and fail if it needs
# anything beyond the four C library functions every RTOS provides.
# Prints the core's .text size. Usage: check-freestanding.sh [build-dir]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build}/freestanding
mkdir -p "$out"
allowed='^(memcpy|memset|memmove|memcmp)$'
status=0
# The core (every file of src/core) and every device's portable protocol
# engine (devices/engines.list, as the build reads it).
core=("$top"/src/core/*.c)
engines=()
includes=(-I"$top/include")
while read -r path; do
    case $path in ''|'#'*) continue ;; esac
    engines+=("$top/devices/$path")
    folder=-I"$top/devices/${path%%/*}"
    case " ${includes[*]} " in *" $folder "*) ;; *) includes+=("$folder") ;; esac
done < "$top/devices/engines.list"
for target in "cortex-r5 -mthumb" "cortex-m4 -mthumb"; do
    cpu=${target%% *}
    objs=()
    core_objs=()
    for src in "${core[@]}" "${engines[@]}"; do
        obj="$out/$cpu-$(basename "${src%.c}").o"
        # shellcheck disable=SC2086
        arm-none-eabi-gcc -mcpu=$target -Os -std=c11 -ffreestanding -nostdlib \
            -Wall -Wextra -Werror "${includes[@]}" -c "$src" -o "$obj"
        objs+=("$obj")
        if [[ $src == "$top"/src/core/* ]]; then
            core_objs+=("$obj")
        fi
    done
    arm-none-eabi-ld -r "${core_objs[@]}" -o "$out/$cpu-core-only.o"
    core_text=$(arm-none-eabi-size -A "$out/$cpu-core-only.o" | awk '$1 ~ /^\.text/ {s += $2} END {print s}')
    arm-none-eabi-ld -r "${objs[@]}" -o "$out/$cpu-core.o"
    undefined=$(arm-none-eabi-nm -u "$out/$cpu-core.o" | awk '{print $2}')
    bad=$(echo "$undefined" | grep -Ev "$allowed" | grep -v '^$' || true)
    text=$(arm-none-eabi-size -A "$out/$cpu-core.o" | awk '$1 ~ /^\.text/ {s += $2} END {print s}')
    echo "freestanding $cpu: core .text $core_text bytes, core + device engines $text bytes; undefined: $(echo $undefined)"
    if [ -n "$bad" ]; then
        echo "FAIL: $cpu core needs: $bad" >&2
        status=1
    fi
done
exit $status
