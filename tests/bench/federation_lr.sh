#!/usr/bin/env bash
#  federation_lr.sh: the experiment behind docs/federation.md. One city's
#  event log (events.log) mirrored into a hub cluster by PostgreSQL logical
#  replication: steady mirroring, catch-up after a partition, the hub killed
#  mid-copy (kill -9), origin retention not mirrored, and the slot lost when
#  the hub falls behind max_slot_wal_keep_size (the gap alarm's cause).
#  Usage: N=200000 bash tests/bench/federation_lr.sh   (run as root)
set -euo pipefail
PG="$(cd "$(dirname "$0")/../.." && pwd)/deploy/pg.sh"
W=$(mktemp -d /tmp/kejin-lr.XXXXXX); chmod 755 "$W"; A=$W/city; B=$W/hub
for d in $A $B; do $PG stop $d >/dev/null 2>&1 || true; rm -rf $d; done
$PG start $A >/dev/null; $PG start $B >/dev/null
psb () { runuser -u postgres -- psql -qAt -h $B -p $PB -d "${DB:-postgres}" "$@"; }
PA=$(sed -n 's/^port = //p' $A/data/kejin.conf); PB=$(sed -n 's/^port = //p' $B/data/kejin.conf)
psa () { runuser -u postgres -- psql -qAt -h $A -p $PA -d "${DB:-postgres}" "$@"; }
psa -c "ALTER SYSTEM SET wal_level = logical" -c "ALTER SYSTEM SET max_slot_wal_keep_size = '256MB'"
$PG stop $A >/dev/null; $PG start $A >/dev/null
DDL="CREATE SCHEMA events; CREATE TABLE events.log (off bigint PRIMARY KEY, topic text NOT NULL, producer text NOT NULL, envelope bytea NOT NULL, appended_at timestamptz NOT NULL);"
psa -c "CREATE DATABASE kejin"; DB=kejin psa -c "$DDL"
DB=kejin psa -c "CREATE ROLE mirror LOGIN REPLICATION PASSWORD 'x'; GRANT USAGE ON SCHEMA events TO mirror; GRANT SELECT ON events.log TO mirror; CREATE PUBLICATION city_log FOR TABLE events.log WITH (publish = 'insert');"
psb -c "CREATE DATABASE mirror_anshan"; DB=mirror_anshan psb -c "$DDL"
N=${N:-200000}
since () { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
gen () { DB=kejin psa -c "INSERT INTO events.log SELECT g, 'registry.enterprise.updated', 'registry', convert_to(repeat('x', 200), 'UTF8'), now() FROM generate_series($1, $2) g"; }
gen 1 1000
t0=$(date +%s.%N)
DB=mirror_anshan psb -c "CREATE SUBSCRIPTION anshan CONNECTION 'host=$A port=$PA dbname=kejin user=mirror password=x' PUBLICATION city_log ${SUBOPTS:+WITH ($SUBOPTS)}"
until [ "$(DB=mirror_anshan psb -c 'SELECT count(*) FROM events.log')" = 1000 ]; do sleep 0.05; done
echo "initial sync 1000 rows: $(since $t0) s"
t0=$(date +%s.%N); gen 1001 $((1000+N)); t1=$(date +%s.%N)
until [ "$(DB=mirror_anshan psb -c 'SELECT count(*) FROM events.log')" = $((1000+N)) ]; do sleep 0.1; done
t2=$(date +%s.%N)
echo "append $N: $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s; mirrored after $(awk "BEGIN { printf \"%.2f\", $t2 - $t0 }") s"
# partition: hub stops subscription, city appends, heal
DB=mirror_anshan psb -c "ALTER SUBSCRIPTION anshan DISABLE"
gen $((1001+N)) $((1000+2*N))
t0=$(date +%s.%N); DB=mirror_anshan psb -c "ALTER SUBSCRIPTION anshan ENABLE"
until [ "$(DB=mirror_anshan psb -c 'SELECT count(*) FROM events.log')" = $((1000+2*N)) ]; do sleep 0.1; done
echo "catch-up of $N after partition: $(since $t0) s"
# hub killed mid-copy
gen $((1001+2*N)) $((1000+3*N)) &
sleep 1; runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D $B/data stop -m immediate >/dev/null; wait
$PG start $B >/dev/null
until [ "$(DB=mirror_anshan psb -c 'SELECT count(*) FROM events.log')" = $((1000+3*N)) ]; do sleep 0.2; done
echo "after hub kill -9 mid-copy: $(DB=mirror_anshan psb -c 'SELECT count(*), count(DISTINCT off), max(off) FROM events.log')"
# retention deletes at the origin are not mirrored
DB=kejin psa -c "DELETE FROM events.log WHERE off <= 1000"; sleep 2
echo "hub rows after origin retention: $(DB=mirror_anshan psb -c 'SELECT count(*) FROM events.log')"
# gap: slot lost when the hub falls too far behind
DB=mirror_anshan psb -c "ALTER SUBSCRIPTION anshan DISABLE"
DB=kejin psa -c "INSERT INTO events.log SELECT g, 't', 'p', convert_to(repeat('y', 2000), 'UTF8'), now() FROM generate_series($((1001+3*N)), $((1000+3*N+200000))) g"
DB=kejin psa -c "CHECKPOINT"; DB=kejin psa -c "SELECT pg_switch_wal()" >/dev/null; DB=kejin psa -c "CHECKPOINT"
echo "slot: $(DB=kejin psa -c 'SELECT slot_name, wal_status, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) FROM pg_replication_slots')"
$PG stop $A >/dev/null; $PG stop $B >/dev/null; rm -rf "$W"
