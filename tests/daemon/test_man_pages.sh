#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages render without warnings, document every option --help
# lists, and xenvirtiod.conf(5) documents exactly the keys each device type
# and its sections take (xenvirtiod --list-keys). Usage: test_man_pages.sh MANDIR XENVIRTIOD
set -euo pipefail
mandir=$1 binary=$2
for page in "$mandir/xenvirtiod.8" "$mandir/xenvirtiod.conf.5" "$mandir/xenvirtiod-scmi.1" \
            "$mandir/xenvirtiodctl.8"; do
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warnings" ] || { echo "FAIL: $page: $warnings"; exit 1; }
done
rendered=$(groff -man -Tutf8 -P-c -P-b -P-u "$mandir/xenvirtiod.8" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g')
for option in $("$binary" --help | grep -oE -- '--[a-z-]+' | sort -u); do
    grep -q -- "$option" <<<"$rendered" || { echo "FAIL: xenvirtiod(8) lacks $option"; exit 1; }
done
# The keys xenvirtiod.conf(5) documents, as "OWNER KEY" lines: a device
# type's are the .TP entries of its ".SS type = NAME" section, a type's own
# section's ([scmi-clock NAME]) the .TP entries below its ".B [scmi-clock"
# line. An entry's keys are the bold words of ".BR key ", " key2 " = " ...",
# and those after " or " (".BR rates " = " ... " or " range " = " ...").
documented=$(python3 - "$mandir/xenvirtiod.conf.5" <<'PY'
import re, shlex, sys
owner, prev = None, ""
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"\.SS type = (\S+)$", line)
    if m:
        owner = m.group(1)
    elif re.match(r"\.B \[[a-z\\-]+( \\fIname\\fP)?\]$", line):
        owner = "[" + re.match(r"\.B \[([^ \]]+)", line).group(1).replace("\\-", "-") + "]"
    elif re.match(r"\.(SH|SS)\b", line) or (line == ".PP" and owner and owner[0] == "["):
        owner = None
    elif owner and prev == ".TP" and line.startswith(".BR "):
        args, keys, taking = shlex.split(line[4:].replace("\\", "\\\\")), [], True
        for i, arg in enumerate(args):
            if i % 2:
                taking = taking and arg.strip() != "=" or arg.strip() == "or"
            elif taking:
                keys.append(arg.replace("\\-", "-"))
        for k in keys:
            print(owner, k)
    prev = line
PY
)
listed=$("$binary" --list-keys | awk '{print $1, $2}')
[ -n "$listed" ] || { echo "FAIL: xenvirtiod --list-keys lists nothing"; exit 1; }
missing=$(comm -23 <(sort <<<"$listed") <(sort <<<"$documented"))
extra=$(comm -13 <(sort <<<"$listed") <(sort <<<"$documented"))
[ -z "$missing" ] || { echo "FAIL: xenvirtiod.conf(5) lacks:" $missing; exit 1; }
[ -z "$extra" ] || { echo "FAIL: xenvirtiod.conf(5) documents keys nothing takes:" $extra; exit 1; }
echo "PASS: man pages"
