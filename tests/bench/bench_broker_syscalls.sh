#!/usr/bin/env bash
#  bench_broker_syscalls.sh: system calls, context switches and CPU per
#  request of the hop process (every thread), 100 in flight, 4 workers:
#  the broker with plain MDP/0.1 workers, the lb hop (one request per REQ
#  worker, as MDP/0.1) and the proxy hop (a DEALER pipelining into REP
#  workers), alternated ROUNDS times. perf stat counts over exactly one
#  measured run of bench_broker's profile mode (ONCE=1); needs perf with
#  tracepoints (root, or perf_event_paranoid -1). docs/protocol.md, "What
#  a plain worker costs the broker", says what the figures mean.
#  Usage: ROUNDS=3 SECONDS_RUN=3 bash tests/bench/bench_broker_syscalls.sh
#         [BUILD [BIN]]                      (from the repository's root)
set -euo pipefail
BUILD=${1:-build}; BIN=${2:-bin}
ROUNDS=${ROUNDS:-3}; RUN=${SECONDS_RUN:-3}
export KEJIN_BIN=$BIN KEJIN_BUILD=$BUILD KEJIN_ROOT=$PWD LC_ALL=C.UTF-8 ONCE=1
EVENTS=raw_syscalls:sys_enter,context-switches
for call in sendto recvfrom poll epoll_wait epoll_ctl getpid read write; do
    EVENTS=$EVENTS,syscalls:sys_enter_$call
done
one () {
    local dir out pid replies
    dir=$(mktemp -d /tmp/kejin-bbs.XXXXXX); out=$dir/out
    KEJIN_TEST_TMP=$dir "$BUILD/tests/bench/bench_broker" "$1" 4 "$RUN" \
        > "$out" 2>&1 &
    local bench=$!
    until grep -q "hop pid" "$out" 2>/dev/null; do sleep 0.1; done
    pid=$(awk '/hop pid/ { print $3 }' "$out")
    sleep 2.05   #  the profile mode waits 2 s before its run
    perf stat -x, -e "$EVENTS" -p "$pid" -- sleep "$RUN" 2> "$dir/perf"
    wait $bench
    replies=$(awk '/replies/ { print $(NF - 1) }' "$out")
    printf '%-6s %s\n' "$1" "$(sed -n 's/^[a-z]*, //p' "$out")"
    awk -F, -v n="$replies" '{ sub (/^.*:sys_enter_?/, "", $3);
        line = line sprintf (" %s %.2f", $3 == "" ? "syscalls" : $3, $1 / n) }
        END { print "       per request:" line }' "$dir/perf"
    rm -rf "$dir"
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
    for kind in plain lb proxy; do one $kind; done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
