#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages render without warnings, document every option --help
# lists, and xenvirtiod.conf(5) documents exactly the keys each device type
# takes (xenvirtiod --list-keys). Usage: test_man_pages.sh MANDIR XENVIRTIOD
set -euo pipefail
mandir=$1 binary=$2
for page in "$mandir/xenvirtiod.8" "$mandir/xenvirtiod.conf.5" "$mandir/xenvirtiod-scmi.1"; do
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warnings" ] || { echo "FAIL: $page: $warnings"; exit 1; }
done
rendered=$(groff -man -Tutf8 -P-c -P-b -P-u "$mandir/xenvirtiod.8" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g')
for option in $("$binary" --help | grep -oE -- '--[a-z-]+' | sort -u); do
    grep -q -- "$option" <<<"$rendered" || { echo "FAIL: xenvirtiod(8) lacks $option"; exit 1; }
done
# A device type's keys: the .TP entries of its ".SS type = NAME" section,
# each ".BR key " = " ..." (or "key1 ", " key2 ... " = " ...").
man_keys() {
    awk -v type="$1" '
        /^\.S[SH] / { in_type = ($0 == ".SS type = " type); next }
        in_type && prev == ".TP" && /^\.BR? / {
            line = $0; sub(/^\.BR? /, "", line); sub(/ " = ".*/, "", line)
            gsub(/\\-/, "-", line); n = split(line, keys, /", "/)
            for (i = 1; i <= n; i++) { k = keys[i]; gsub(/[ "]/, "", k); print k }
        }
        { prev = $0 }' "$mandir/xenvirtiod.conf.5" | sort
}
listed=$("$binary" --list-keys)
[ -n "$listed" ] || { echo "FAIL: xenvirtiod --list-keys lists nothing"; exit 1; }
for type in $(awk '{print $1}' <<<"$listed" | sort -u); do
    want=$(awk -v t="$type" '$1 == t {print $2}' <<<"$listed" | sort)
    have=$(man_keys "$type")
    missing=$(comm -23 <(echo "$want") <(echo "$have"))
    extra=$(comm -13 <(echo "$want") <(echo "$have"))
    [ -z "$missing" ] || { echo "FAIL: xenvirtiod.conf(5), type = $type, lacks:" $missing; exit 1; }
    [ -z "$extra" ] || { echo "FAIL: xenvirtiod.conf(5), type = $type, documents unknown:" $extra; exit 1; }
done
echo "PASS: man pages"
