#!/usr/bin/env bash
#  test_mirror: a hub copies a city's event log (docs/federation.md).
#
#  Two PostgreSQL clusters of their own (the city, Anshan, and the hub),
#  made with deploy/pg.sh. At the city, kejin-events makes its schema and
#  `pg.sh publish` offers events.log; the city's appends are written
#  straight into events.log here, since what is tested is the copy, not
#  the writer. At the hub, a broker and kejin-mirror with one link.
#    G1  steady: 5,000 events, then 5,000 more while the link runs: all
#        at the hub, once each, and ListLinks says OK with both heads.
#    G3  flapping: the city's walsender and the hub's apply worker cut
#        48 times while 20,000 events are appended: all arrive once.
#    G4  a redundant second copy of kejin-mirror on the same link: one
#        subscription, each event once, one event per change of state;
#        one copy killed, the other goes on.
#    G2  partition: the hub's cluster stopped while the city appends
#        20,000, then started: the backlog drains, nothing twice.
#    G2n where the machine has network namespaces: the city in one of its
#        own, the hub linked over TCP, the veth pair between them cut
#        while the city appends 10,000: the link goes DOWN, and healed,
#        the backlog arrives once.
#    G5  kill -9 of kejin-mirror and an immediate stop of the hub's
#        cluster in the middle of a 50,000-event copy: exactly once.
#        Retention at the origin (rows deleted there) is not mirrored.
#    G6  the hub away while more WAL passes than the origin keeps for it
#        (max_slot_wal_keep_size 32MB; 40,000 events of 2 KB that do not
#        compress): the link goes to GAP, says why,
#        is disabled, emits mirror.link.gap, and stays GAP.
#  Run by tests/run.sh, or by hand: tests/system/test_mirror.sh

set -euo pipefail
ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/support/shell.sh"
PG=$ROOT/deploy/pg.sh
export KEJIN_PG_FAST=1 KEJIN_PG_SLOT_KEEP=32MB
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_NODE_KEYS
chmod 755 "$TMP"
CITY=$TMP/city HUB=$TMP/hub
PIDS=()

NS=kjm$$ VH=kjh$$ VC=kjc$$ NET=""

cleanup () {
    local pid
    [ -z "$NET" ] || ip link set "$VH" up 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$PG" stop "$CITY" >/dev/null 2>&1 || true
    "$PG" stop "$HUB" >/dev/null 2>&1 || true
    if [ -n "$NET" ]; then
        ip link del "$VH" 2>/dev/null || true
        ip netns del "$NS" 2>/dev/null || true
    fi
}
trap cleanup EXIT

#  The city in a network namespace of its own where the machine allows it
#  (root, ip netns): its cluster listens on a veth address, the hub comes
#  in over TCP, and a partition is that veth pair taken down. Elsewhere the
#  city is on this host's sockets and G2n is skipped.
if ip netns add "$NS" 2>/dev/null; then
    octet=$(($$ % 250 + 1))
    if ip link add "$VH" type veth peer name "$VC" 2>/dev/null \
        && ip link set "$VC" netns "$NS" \
        && ip addr add "10.213.$octet.1/30" dev "$VH" && ip link set "$VH" up \
        && ip netns exec "$NS" ip addr add "10.213.$octet.2/30" dev "$VC" \
        && ip netns exec "$NS" ip link set "$VC" up \
        && ip netns exec "$NS" ip link set lo up; then
        NET=10.213.$octet.2
    else
        ip link del "$VH" 2>/dev/null || true
        ip netns del "$NS" 2>/dev/null || true
    fi
fi

#  psql as the superuser: sql DIR [DB] SQL
sql () {
    local dir=$1 db=postgres
    [ $# -eq 3 ] && { db=$2; shift; }
    runuser -u postgres -- psql -X -qAt -v ON_ERROR_STOP=1 \
        -h "$dir" -p "$(cat "$dir/port")" -d "$db" -c "$2"
}

#  Wait up to $2 seconds for `$1` (a command) to succeed.
until_ok () {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        eval "$1" && return 0
        sleep 0.1
    done
    return 1
}

append () {  #  append FROM TO: events FROM..TO at the city, as kejin-events would
    sql "$CITY" "INSERT INTO events.log (off, topic, producer, envelope,
        appended_at) SELECT g, 'registry.enterprise.updated', 'registry',
        convert_to (repeat ('e', 200), 'UTF8'), now ()
        FROM generate_series ($1, $2) g"
}

hub_rows () {
    sql "$HUB" kejin_mirror_anshan 2>/dev/null \
        "SELECT count (*) || ' ' || count (DISTINCT off) || ' ' ||
                coalesce (max (off), 0) FROM events.log"
}

link () {  #  link: state hub_head origin_head, as ListLinks... via its table
    sql "$HUB" "SELECT state || ' ' || hub_head || ' ' || origin_head
                FROM mirror.links WHERE city = 'anshan'" 2>/dev/null
}

start_mirror () {
    "$BIN/kejin-mirror" -s "node/broker=$BROKER" \
        -s "db/admin_dsn=$HUB_ADMIN" -s "db/dsn=$HUB_ADMIN" \
        -s "mirror/role=" -s "mirror/check_interval_s=1" \
        -s "mirror/links=anshan=$LINK" >>"$TMP/mirror.log" 2>&1 &
    MIRROR=$!
    PIDS+=("$MIRROR")
}

#  -- the city ---------------------------------------------------------
if [ -n "$NET" ]; then
    KEJIN_PG_LISTEN=$NET ip netns exec "$NS" "$PG" start "$CITY" >/dev/null
else
    "$PG" start "$CITY" >/dev/null
fi
CITY_ADMIN=$("$PG" dsn "$CITY")
"$BIN/kejin-events" -s "node/broker=tcp://127.0.0.1:1" \
    -s "db/admin_dsn=$CITY_ADMIN" -s "db/dsn=$CITY_ADMIN" \
    >>"$TMP/events.log" 2>&1 &
EVENTS=$!
PIDS+=("$EVENTS")
until_ok '[ "$(sql "$CITY" "SELECT to_regclass ('"'events.log'"') IS NOT NULL")" = t ]' 20 \
    || fail "kejin-events made no schema: $(tail -3 "$TMP/events.log")"
LINK=$("$PG" publish "$CITY") || fail "pg.sh publish failed"
[[ $LINK == *"user=kejin_link"* ]] || fail "publish printed: $LINK"
if [ -n "$NET" ]; then
    [[ $LINK == "host=$NET "* ]] || fail "publish did not name $NET: $LINK"
    #  Over TCP only the link role gets in
    if PGCONNECT_TIMEOUT=2 psql -X -qAt "host=$NET port=$(cat "$CITY/port")
            user=postgres dbname=postgres" -c "SELECT 1" >/dev/null 2>&1; then
        fail "the superuser got in over TCP"
    fi
    pass "the city is in a network namespace: the hub links over TCP to $NET"
fi
[ "$(sql "$CITY" "SELECT pubinsert, pubupdate, pubdelete FROM pg_publication
                  WHERE pubname = 'kejin_events'")" = "t|f|f" ] \
    || fail "the publication is not inserts only"
pass "the city offers events.log to a hub (pg.sh publish), inserts only"

#  The link's role reads events.log and nothing else
if PGCONNECT_TIMEOUT=2 psql -X -qAt "$LINK" \
        -c "SELECT count (*) FROM events.producers" >/dev/null 2>&1; then
    fail "kejin_link could read events.producers"
fi
pass "the link's role is refused outside events.log"

#  -- the hub ----------------------------------------------------------
"$PG" start "$HUB" >/dev/null
HUB_ADMIN=$("$PG" dsn "$HUB")
#  A cut apply worker comes back after 0.2 s, not PostgreSQL's 5 s: the
#  flapping of G3 then costs the test seconds, not minutes
sql "$HUB" "ALTER SYSTEM SET wal_retrieve_retry_interval = '200ms'"
sql "$HUB" "SELECT pg_reload_conf ()" >/dev/null
"$BIN/kejin-broker" -s "broker/endpoint=tcp://127.0.0.1:*" \
    -s "broker/pub_endpoint=tcp://127.0.0.1:*" \
    -s "broker/sub_endpoint=tcp://127.0.0.1:*" \
    -s "broker/endpoints_file=$TMP/broker.endpoints" \
    -s broker/insecure=true >>"$TMP/broker.log" 2>&1 &
PIDS+=("$!")
until_ok '[ -s "$TMP/broker.endpoints" ]' 5 || fail "no broker"
BROKER=$(sed -n 's/^endpoint=//p' "$TMP/broker.endpoints")

#  G1
append 1 5000
start_mirror
until_ok '[ "$(hub_rows)" = "5000 5000 5000" ]' 30 \
    || fail "G1: hub has $(hub_rows), want 5000; $(tail -3 "$TMP/mirror.log")"
append 5001 10000
until_ok '[ "$(hub_rows)" = "10000 10000 10000" ]' 30 \
    || fail "G1: hub has $(hub_rows) after more appends"
until_ok '[ "$(link)" = "1 10000 10000" ]' 10 || fail "G1: link is $(link)"
[ "$(sql "$HUB" "SELECT count (*) FROM mirror.kj_outbox
                 WHERE topic = 'mirror.link.ok'")" -ge 1 ] \
    || grep -q 'mirror.link.*state=ok' "$TMP/mirror.log" \
    || fail "G1: no mirror.link.ok event or log"
run --broker "$BROKER" mirror links
[ "$RC" = 0 ] && grep -Eq '^anshan +OK +10000 +10000' "$TMP/out" \
    || fail "G1: kejin mirror links said ($RC): $(cat "$TMP/out" "$TMP/err")"
run --broker "$BROKER" --json mirror links
grep -q '"city": *"anshan"' "$TMP/out" && grep -q '"state": *"LINK_OK"' "$TMP/out" \
    || fail "G1: kejin mirror links --json said: $(cat "$TMP/out")"
pass "G1: 10,000 events copied once each; the link is OK at 10000/10000"

#  G2: the hub away while the city goes on
"$PG" stop "$HUB" >/dev/null
append 10001 30000
"$PG" start "$HUB" >/dev/null
until_ok '[ "$(hub_rows)" = "30000 30000 30000" ]' 60 \
    || fail "G2: hub has $(hub_rows) after healing"
pass "G2: 20,000 events appended while the hub was down all arrived once"

#  G5: kill -9 of the mirror and of the hub's cluster mid-copy
append 30001 80000 &
APPENDER=$!
until_ok '[ "$(hub_rows | cut -d" " -f1)" -gt 30000 ]' 30 || true
{ kill -KILL "$MIRROR"; wait "$MIRROR"; } 2>/dev/null || true
runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" \
    -D "$HUB/data" stop -m immediate >/dev/null
wait "$APPENDER"
"$PG" start "$HUB" >/dev/null
start_mirror
until_ok '[ "$(hub_rows)" = "80000 80000 80000" ]' 90 \
    || fail "G5: hub has $(hub_rows) after the kill, want 80000 once each"
sql "$CITY" "DELETE FROM events.log WHERE off <= 1000"
append 80001 80010
until_ok '[ "$(hub_rows)" = "80010 80010 80010" ]' 30 \
    || fail "G5: hub has $(hub_rows) after origin retention"
pass "G5: mirror and hub killed mid-copy: 80,010 events once each; retention not copied"

#  G4: a second copy of kejin-mirror on the same link. G3: the link
#  flaps: while the city appends 20,000 events, its walsender and the
#  hub's apply worker are cut again and again.
FIRST=$MIRROR
start_mirror
flap () {
    local i
    for ((i = 0; i < 12; i++)); do
        sql "$CITY" "SELECT count (pg_terminate_backend (pid))
                     FROM pg_stat_replication" >/dev/null 2>&1 || true
        sleep 0.4
        sql "$HUB" kejin_mirror_anshan "SELECT count (pg_terminate_backend
            (pid)) FROM pg_stat_subscription WHERE pid IS NOT NULL" \
            >/dev/null 2>&1 || true
        sleep 0.4
    done
}
append 80011 90010 &
APPENDER=$!
flap
wait "$APPENDER"
append 90011 100010 &
APPENDER=$!
flap
wait "$APPENDER"
until_ok '[ "$(hub_rows)" = "100010 100010 100010" ]' 90 \
    || fail "G3: hub has $(hub_rows) after the flapping, want 100010 once each"
until_ok '[ "$(link)" = "1 100010 100010" ]' 20 \
    || fail "G3: link is $(link) after the flapping"
pass "G3: a link cut 48 times while 20,000 events went: all arrived once"
[ "$(sql "$HUB" kejin_mirror_anshan "SELECT count (*) FROM pg_subscription")" = 1 ] \
    || fail "G4: two copies made more than one subscription"
#  Each change of state, one event, though two copies saw it
[ "$(sql "$HUB" "SELECT count (*) FROM (SELECT id, topic, lag (topic) OVER
     (ORDER BY id) AS before FROM mirror.kj_outbox
     WHERE topic LIKE 'mirror.link.%') t WHERE topic = before")" = 0 ] \
    || fail "G4: a state change was told twice: $(sql "$HUB" "SELECT
            string_agg (topic, ' ' ORDER BY id) FROM mirror.kj_outbox")"
{ kill -KILL "$FIRST"; wait "$FIRST"; } 2>/dev/null || true
append 100011 100020
until_ok '[ "$(hub_rows)" = "100020 100020 100020" ]' 30 \
    || fail "G4: hub has $(hub_rows) after one copy was killed"
until_ok '[ "$(link)" = "1 100020 100020" ]' 20 \
    || fail "G4: the copy left does not watch the link: $(link)"
pass "G4: two mirror copies on one link: one subscription, each event once, one event per change; one killed, the other goes on"

#  G2n: the network between the city and the hub cut while both go on
if [ -n "$NET" ]; then
    ip link set "$VH" down
    append 100021 110020
    until_ok '[ "$(link | cut -d" " -f1)" = 3 ]' 20 \
        || fail "G2n: the hub did not see the link down: $(link)"
    [ "$(hub_rows)" = "100020 100020 100020" ] \
        || fail "G2n: the hub has $(hub_rows) across a cut link"
    ip link set "$VH" up
    until_ok '[ "$(hub_rows)" = "110020 110020 110020" ]' 120 \
        || fail "G2n: hub has $(hub_rows) after healing, want 110020 once each"
    until_ok '[ "$(link)" = "1 110020 110020" ]' 20 \
        || fail "G2n: link is $(link) after healing"
    pass "G2n: the network cut (link DOWN), 10,000 appended meanwhile, healed: all once"
else
    append 100021 110020
    echo "# G2n skipped: no network namespaces here"
fi

#  G6: the hub away past the origin's max_slot_wal_keep_size
kill -TERM "$MIRROR"; wait "$MIRROR" 2>/dev/null || true
"$PG" stop "$HUB" >/dev/null
sql "$CITY" "INSERT INTO events.log (off, topic, producer, envelope,
    appended_at) SELECT g, 't', 'p', convert_to ((SELECT string_agg (md5
    (random ()::text || i || g), '') FROM generate_series (1, 64) i), 'UTF8'),
    now () FROM generate_series (110021, 150020) g"
sql "$CITY" "SELECT pg_switch_wal ()" >/dev/null
sql "$CITY" "CHECKPOINT"
sql "$CITY" "SELECT pg_switch_wal ()" >/dev/null
sql "$CITY" "CHECKPOINT"
[ "$(sql "$CITY" "SELECT wal_status FROM pg_replication_slots
                  WHERE slot_name = 'kejin_hub_210100'")" = lost ] \
    || fail "G6: the origin kept the slot's WAL: $(sql "$CITY" "SELECT
            wal_status, pg_wal_lsn_diff (pg_current_wal_lsn (), restart_lsn),
            current_setting ('max_slot_wal_keep_size')
            FROM pg_replication_slots")"
"$PG" start "$HUB" >/dev/null
start_mirror
until_ok '[ "$(link | cut -d" " -f1)" = 4 ]' 20 \
    || fail "G6: link is $(link), want GAP (4)"
grep -q 'mirror.gap' "$TMP/mirror.log" || fail "G6: no mirror.gap in the log"
[ "$(sql "$HUB" kejin_mirror_anshan "SELECT subenabled FROM pg_subscription
     WHERE subname = 'kejin_mirror_anshan'")" = f ] \
    || fail "G6: the link was not disabled"
[ "$(sql "$HUB" "SELECT count (*) FROM mirror.kj_outbox
                 WHERE topic = 'mirror.link.gap'")" = 1 ] \
    || fail "G6: want one mirror.link.gap event"
sleep 2
[ "$(link | cut -d" " -f1)" = 4 ] || fail "G6: the gap did not stay"
run --broker "$BROKER" mirror links
[ "$RC" = 1 ] && grep -Eq '^anshan +GAP .*max_slot_wal_keep_size' "$TMP/out" \
    || fail "G6: kejin mirror links said ($RC): $(cat "$TMP/out" "$TMP/err")"
pass "G6: past the origin's WAL budget the link stops with GAP, disabled, one event"
echo "test_mirror: $PASSED passed"
