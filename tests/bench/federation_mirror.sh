#!/usr/bin/env bash
#  federation_mirror.sh: the event half of `make bench B=federation`, run by
#  bench_federation after the request half. A city and a hub, each its own
#  PostgreSQL (deploy/pg.sh), linked as kejin-cities links them: the city's
#  kejin-events makes its log, `pg.sh publish` offers it, the hub's
#  kejin-mirror makes the subscription. Then, with N events of 200 bytes
#  (default 1,000,000; env KEJIN_BENCH_MIRROR_N):
#    steady     N appended at the city in chunks of 100,000: the origin's
#               append rate, and the rate at which the hub's copy grows
#               (from the append's start until the hub holds all N)
#    partition  the city cut off as `kejin-cities cut` does (the hub's
#               replication role refused, its connection closed), N more
#               appended, healed: the catch-up time from the heal, and
#               every offset once at the hub
#  Besides wall time, the CPU time of the hub's apply worker and of the
#  city's walsender per event (/proc), which load distorts less.
#  Needs root (deploy/pg.sh runs the clusters as postgres).
set -euo pipefail
ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${KEJIN_BIN:-$ROOT/bin}
PG=$ROOT/deploy/pg.sh
N=${KEJIN_BENCH_MIRROR_N:-1000000}
CHUNK=100000
export KEJIN_PG_FAST=1 KEJIN_PG_SLOT_KEEP=4GB
W=$(mktemp -d "${KEJIN_TEST_TMP:-/tmp}/mirror.XXXXXX")
chmod 755 "$W"
CITY=$W/city HUB=$W/hub
PIDS=()
cleanup () {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$PG" stop "$HUB" >/dev/null 2>&1 || true
    "$PG" stop "$CITY" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
die () { echo "federation_mirror: $*" >&2; exit 1; }

sql () {  #  sql DIR DB SQL, as the superuser
    runuser -u postgres -- psql -X -qAt -v ON_ERROR_STOP=1 \
        -h "$1" -p "$(cat "$1/port")" -d "$2" -c "$3"
}
hub_head () {
    sql "$HUB" kejin_mirror_anshan "SELECT coalesce (max (off), 0) FROM events.log" 2>/dev/null || echo 0
}
now () { date +%s.%N; }
secs () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate () { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
cpu_us () {  #  cpu_us PID: user + system CPU of a process, in us
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1000000 / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}
apply_pid () {
    sql "$HUB" kejin_mirror_anshan "SELECT coalesce (max (pid), 0) FROM pg_stat_subscription" 2>/dev/null || echo 0
}
sender_pid () {
    sql "$CITY" postgres "SELECT coalesce (max (pid), 0) FROM pg_stat_replication" 2>/dev/null || echo 0
}
append () {  #  append FROM TO, in chunks, as kejin-events writes its rows
    local from=$1 to=$2 end
    while [ "$from" -le "$to" ]; do
        end=$((from + CHUNK - 1))
        [ "$end" -le "$to" ] || end=$to
        sql "$CITY" postgres "INSERT INTO events.log (off, topic, producer, envelope,
            appended_at) SELECT g, 'registry.enterprise.updated', 'registry',
            convert_to (repeat ('e', 200), 'UTF8'), now ()
            FROM generate_series ($from, $end) g"
        from=$((end + 1))
    done
}
wait_head () {  #  wait_head N SECONDS
    local end=$((SECONDS + $2))
    while [ "$(hub_head)" -lt "$1" ]; do
        [ $SECONDS -lt $end ] || die "the hub holds $(hub_head) of $1 after $2 s"
        sleep 0.1
    done
}

"$PG" start "$CITY" >/dev/null
"$PG" start "$HUB" >/dev/null
CITY_ADMIN=$("$PG" dsn "$CITY")
HUB_ADMIN=$("$PG" dsn "$HUB")
"$BIN/kejin-events" -s "node/broker=tcp://127.0.0.1:1" -s log/level=warn \
    -s "db/admin_dsn=$CITY_ADMIN" -s "db/dsn=$CITY_ADMIN" >>"$W/events.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 200); do
    [ "$(sql "$CITY" postgres "SELECT to_regclass ('events.log') IS NOT NULL" 2>/dev/null)" = t ] && break
    sleep 0.1
done
#  Only the rows we append: the city's kejin-events stops before them
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()
LINK=$("$PG" publish "$CITY") || die "pg.sh publish failed"
"$BIN/kejin-mirror" -s "node/broker=tcp://127.0.0.1:1" -s log/level=warn \
    -s "db/admin_dsn=$HUB_ADMIN" -s "db/dsn=$HUB_ADMIN" -s "mirror/role=" \
    -s "mirror/check_interval_s=1" -s "mirror/links=anshan=$LINK" >>"$W/mirror.log" 2>&1 &
PIDS+=("$!")
append 1 1000
wait_head 1000 60

#  steady
A=$(apply_pid) S=$(sender_pid)
CA=$(cpu_us "$A") CS=$(cpu_us "$S")
t0=$(now)
append 1001 $((1000 + N))
t1=$(now)
wait_head $((1000 + N)) 1200
t2=$(now)
CA=$(($(cpu_us "$A") - CA)) CS=$(($(cpu_us "$S") - CS))
read -r load _ </proc/loadavg
printf '\nfederation_mirror: %d events of 200 bytes, city -> hub by kejin-mirror (load average %s)\n' "$N" "$load"
printf '  %-44s %10s %12s\n' "" "seconds" "events/s"
printf '  %-44s %10s %12s\n' "origin appends (chunks of 100,000)" "$(secs "$t0" "$t1")" "$(rate "$N" "$t0" "$t1")"
printf '  %-44s %10s %12s\n' "hub's copy complete (from the append's start)" "$(secs "$t0" "$t2")" "$(rate "$N" "$t0" "$t2")"
printf '  CPU per event: hub apply worker %s us, city walsender %s us\n' \
    "$(awk -v c="$CA" -v n="$N" 'BEGIN { printf "%.2f", c / n }')" \
    "$(awk -v c="$CS" -v n="$N" 'BEGIN { printf "%.2f", c / n }')"

#  partition: cut as kejin-cities cut does, N appended, healed
sql "$CITY" postgres "ALTER ROLE kejin_link NOLOGIN" >/dev/null
sql "$CITY" postgres "SELECT pg_terminate_backend (pid) FROM pg_stat_activity
                      WHERE usename = 'kejin_link'" >/dev/null
sleep 1
CUT=$(hub_head)
append $((1001 + N)) $((1000 + 2 * N))
sleep 1
[ "$(hub_head)" = "$CUT" ] || die "the hub copied past the cut ($CUT, now $(hub_head))"
#  kj.LinkState (proto/mirror.proto)
state=$(sql "$HUB" postgres "SELECT (ARRAY ['OK', 'CATCHING_UP', 'DOWN', 'GAP'])
    [state] FROM mirror.links WHERE city = 'anshan'")
t0=$(now)
sql "$CITY" postgres "ALTER ROLE kejin_link LOGIN" >/dev/null
wait_head $((1000 + 2 * N)) 1200
t1=$(now)
#  The apply worker and the walsender of the healed link began at the
#  heal: their whole CPU time is the catch-up's
CA=$(cpu_us "$(apply_pid)") CS=$(cpu_us "$(sender_pid)")
once=$(sql "$HUB" kejin_mirror_anshan "SELECT count (*) = count (DISTINCT off)
    AND count (*) = max (off) FROM events.log")
printf '  %-44s %10s %12s\n' "catch-up of $N after a partition (link $state)" "$(secs "$t0" "$t1")" "$(rate "$N" "$t0" "$t1")"
printf '  CPU per event of the catch-up: hub apply worker %s us, city walsender %s us\n' \
    "$(awk -v c="$CA" -v n="$N" 'BEGIN { printf "%.2f", c / n }')" \
    "$(awk -v c="$CS" -v n="$N" 'BEGIN { printf "%.2f", c / n }')"
printf '  every offset once at the hub: %s (%s rows)\n' "$([ "$once" = t ] && echo yes || echo NO)" "$(hub_head)"
printf '  (from the heal: includes the subscription reconnecting, at most wal_retrieve_retry_interval, 5 s)\n'
[ "$once" = t ]
