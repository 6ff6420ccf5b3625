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
# The SCMI server engine: everything in devices/scmi/ but the daemon's glue.
scmi_engine=()
for name in scmi scmi_base scmi_clock scmi_reset scmi_power scmi_perf \
            scmi_voltage scmi_sensor scmi_virtio; do
    scmi_engine+=("$top/devices/scmi/$name.c")
done
for target in "cortex-r5 -mthumb" "cortex-m4 -mthumb"; do
    cpu=${target%% *}
    objs=()
    # The core plus every device's portable protocol engine.
    for src in "$top"/src/core/*.c "$top"/devices/block/blk.c "$top"/devices/i2c/i2c.c \
               "${scmi_engine[@]}"; do
        obj="$out/$cpu-$(basename "${src%.c}").o"
        # shellcheck disable=SC2086
        arm-none-eabi-gcc -mcpu=$target -Os -std=c11 -ffreestanding -nostdlib \
            -Wall -Wextra -Werror -I"$top/include" -I"$top/devices/block" -I"$top/devices/i2c" -I"$top/devices/scmi" -c "$src" -o "$obj"
        objs+=("$obj")
    done
    core_objs=("$out/$cpu"-{device,mmio,virtqueue,fault}.o)
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
