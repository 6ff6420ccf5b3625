#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages render without warnings, and document every option --help
# lists. Usage: test_man_pages.sh MANDIR XENVIRTIOD
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
echo "PASS: man pages"
