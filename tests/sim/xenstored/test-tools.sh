#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Drives xensim-xenstored with Debian's real xenstore-* tools (xenstore-utils).
# usage: test-tools.sh /path/to/xensim-xenstored
#
# The daemon is started detached (--pidfile, no --foreground) to cover that
# mode too; the trap stops it and checks that SIGTERM removes its socket.
set -u

daemon_bin=$1
workdir=$(mktemp -d "${TMPDIR:-/tmp}/xs-tools.XXXXXX")
socket=$workdir/xenstored.sock
pidfile=$workdir/xenstored.pid
failures=0

cleanup() {
    if [ -s "$pidfile" ]; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null
        # Wait (at most 5 s) for the daemon to exit and remove its socket.
        i=0
        while [ -e "$socket" ] && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if [ -e "$socket" ]; then
            echo "FAIL: socket still there after SIGTERM" >&2
            kill -KILL "$(cat "$pidfile")" 2>/dev/null
            failures=$((failures + 1))
        fi
    fi
    rm -rf "$workdir"
}
trap 'cleanup; [ $failures -eq 0 ]; exit $?' EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# Every tool call is bounded so a protocol bug cannot hang the test.
xs() {
    timeout 10 "$@"
}

expect_output() {
    description=$1
    expected=$2
    shift 2
    actual=$(xs "$@" 2>&1)
    if [ "$actual" != "$expected" ]; then
        fail "$description: expected [$expected], got [$actual]"
    fi
}

expect_status() {
    description=$1
    expected=$2
    shift 2
    xs "$@" >/dev/null 2>&1
    status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "$description: exit status $status, expected $expected"
    fi
}

XENSTORED_PATH=$socket
export XENSTORED_PATH

startup_output=$("$daemon_bin" --socket "$socket" --pidfile "$pidfile" 2>&1)
if [ $? -ne 0 ] || [ -n "$startup_output" ]; then
    fail "daemon start: [$startup_output]"
    exit 1
fi
if [ ! -S "$socket" ] || [ ! -s "$pidfile" ]; then
    fail "daemon left no socket or pidfile"
    exit 1
fi

# write / read, several pairs at once, missing parents created.
expect_status "write" 0 xenstore-write /vm/1/name guest /vm/1/state 1 /vm/2 ""
expect_output "read" "guest" xenstore-read /vm/1/name
expect_output "read two" "guest
1" xenstore-read /vm/1/name /vm/1/state
expect_status "read missing" 1 xenstore-read /vm/3
expect_status "relative write (dom0 home)" 0 xenstore-write here yes
expect_output "relative read" "yes" xenstore-read /local/domain/0/here

# ls: the tree in creation order, then with permissions.
expect_output "ls" 'tool = ""
 xenstored = ""
vm = ""
 1 = ""
  name = "guest"
  state = "1"
 2 = ""
local = ""
 domain = ""
  0 = ""
   here = "yes"' xenstore-ls /
expect_output "list" "name
state" xenstore-list /vm/1
expect_status "exists" 0 xenstore-exists /vm/1/state
expect_status "exists missing" 1 xenstore-exists /vm/1/nothing

# chmod: the first entry is owner and default; ls -p shows the list.
expect_status "chmod" 0 xenstore-chmod /vm/1/name n0 r5 b7
# xenstore-ls pads with dots to the terminal width; compare without them.
ls_perms=$(xs xenstore-ls -p /vm/1 | sed 's/ [. ]*(/ (/')
if [ "$ls_perms" != 'name = "guest" (n0,r5,b7)
state = "1" (n0)' ]; then
    fail "ls -p: got [$ls_perms]"
fi
expect_status "chmod bad perm" 1 xenstore-chmod /vm/1/name x5

# watch: fires once on registration, then for changes below, with rm.
watch_out=$workdir/watch.out
timeout 10 xenstore-watch -n 4 /vm >"$watch_out" 2>&1 &
watch_pid=$!
i=0
while [ ! -s "$watch_out" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
xs xenstore-write /vm/2/new x
xs xenstore-write /elsewhere x
xs xenstore-rm /vm/1
xs xenstore-chmod /vm n0 r1
wait "$watch_pid"
expect_output "watch events" "/vm
/vm/2/new
/vm/1
/vm" cat "$watch_out"

# rm: recursive; a missing node is fine if its parent exists.
expect_status "rm missing leaf" 0 xenstore-rm /vm/1
expect_status "rm missing parent" 1 xenstore-rm /nothing/here
expect_status "rm tree" 0 xenstore-rm /vm
expect_status "gone" 1 xenstore-exists /vm/2/new
expect_output "ls after rm" 'xenstored = ""' xenstore-ls /tool

exit 0
