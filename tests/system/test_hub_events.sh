#!/usr/bin/env bash
#  test_hub_events: integrators at a hub follow a mirrored city's log
#  (docs/federation.md, "Integrators at the hub"; docs/integrators.md).
#
#  Two PostgreSQL clusters (deploy/pg.sh): the city, Anshan, whose events
#  (real envelopes, origin 210300) are written straight into its
#  events.log as test_mirror does, and the hub, with a broker that runs
#  CURVE with its own keys, kejin-mirror linked to Anshan, and kejin-events
#  with events/follow=anshan.
#    H1  a subscriber for Anshan (kj_subscriber with .city) gets Anshan's
#        events in order with Anshan's offsets, from 1, part of them live;
#        kejin-events at the hub killed -9 and started again while the city
#        appends: every offset once, in order, and every gap it found it
#        repaired (its own check).
#    H2  a replay from offset 5000 of Anshan returns exactly 5000..8000,
#        each with origin 210300.
#    H3  rights: a key for guarantee. only is refused Anshan's registry.
#        (PERMISSION_DENIED naming the prefix, and its live subscription
#        refused at the broker); a key for dalian/ only is refused Anshan;
#        a city the hub does not mirror is NOT_FOUND.
#    H4  docs/examples/subscriber.py --city anshan: Anshan's 8,000 events,
#        offsets 1..8000 in order.
#    H5  Info, Report and OffsetForTime for Anshan: `kejin events stats
#        --city anshan` shows its copy (head 8000, tail 1, 8,000 events)
#        and a subscriber that reported its position on Anshan (and the
#        hub's own stats do not; a name with "/" and a city not mirrored
#        are refused); `kejin events tail --city anshan --since`
#        starts at Anshan's first event of that second (6001);
#        subscriber.py --city --since does too; in Chinese under zh_CN; a
#        city not mirrored is NOT_FOUND.
#  Run by tests/run.sh, or by hand: tests/system/test_hub_events.sh

set -euo pipefail
ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../support/shell.sh
. "$ROOT/tests/support/shell.sh"
PG=$ROOT/deploy/pg.sh
BUILD=${KEJIN_BUILD:-$ROOT/build}
SUBSCRIBER=$BUILD/tests/tools/events_subscriber
export KEJIN_PG_FAST=1
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_NODE_KEYS KEJIN_KEY KEJIN_BROKER_KEY
chmod 755 "$TMP"
CITY=$TMP/city HUB=$TMP/hub KEYS=$TMP/keys
PIDS=()
DONE=0

cleanup () {
    local rc=$? pid
    trap - EXIT
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$PG" stop "$CITY" >/dev/null 2>&1 || true
    "$PG" stop "$HUB" >/dev/null 2>&1 || true
    [ "$DONE" = 1 ] || echo "files kept in $TMP" >&2
    exit "$rc"
}
trap cleanup EXIT
[ -x "$SUBSCRIBER" ] || fail "no $SUBSCRIBER: make tests"

sql () {  #  sql DIR [DB] SQL, as the superuser
    local dir=$1 db=postgres
    [ $# -eq 3 ] && { db=$2; shift; }
    runuser -u postgres -- psql -X -qAt -v ON_ERROR_STOP=1 \
        -h "$dir" -p "$(cat "$dir/port")" -d "$db" -c "$2"
}

until_ok () {  #  until_ok COMMAND SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        eval "$1" && return 0
        sleep 0.1
    done
    return 1
}

#  append FROM TO: events FROM..TO at the city as its kejin-events writes
#  them: a kj.Envelope with the offset, topics registry. and guarantee. in
#  turn, origin 210300
append () {
    sql "$CITY" "INSERT INTO events.log (off, topic, producer, envelope,
        appended_at) SELECT g, t, 'registry', public.kj_envelope (g, t),
        now () FROM generate_series ($1, $2) g,
        LATERAL (SELECT CASE WHEN g % 2 = 0 THEN 'guarantee.claim.approved'
                 ELSE 'registry.enterprise.updated' END AS t) topic"
}

hub_head () {
    sql "$HUB" kejin_mirror_anshan "SELECT coalesce (max (off), 0)
                                    FROM events.log" 2>/dev/null
}

#  subscribe KEY OUT ARGS...: events_subscriber at the hub with KEY
subscribe () {
    local key=$1 out=$2
    shift 2
    KEJIN_NODE_KEYS=$KEYS KEJIN_KEY=$key "$SUBSCRIBER" --broker "$BROKER" \
        --pub "$PUB" "$@" >"$TMP/$out.out" 2>"$TMP/$out.err"
}

start_events () {
    KEJIN_NODE_KEYS=$KEYS KEJIN_KEY=events "$BIN/kejin-events" \
        -s "node/broker=$BROKER" -s "node/sub=$SUB" \
        -s "db/admin_dsn=$HUB_ADMIN" -s "db/dsn=$HUB_ADMIN" \
        -s events/follow=anshan -s events/follow_poll_ms=20 \
        >>"$TMP/events.log" 2>&1 &
    EVENTS=$!
    PIDS+=("$EVENTS")
}

#  -- the city ---------------------------------------------------------
"$PG" start "$CITY" >/dev/null
CITY_ADMIN=$("$PG" dsn "$CITY")
"$BIN/kejin-events" -s "node/broker=tcp://127.0.0.1:1" \
    -s "db/admin_dsn=$CITY_ADMIN" -s "db/dsn=$CITY_ADMIN" \
    >>"$TMP/city-events.log" 2>&1 &
PIDS+=("$!")
until_ok '[ "$(sql "$CITY" "SELECT to_regclass ('"'events.log'"') IS NOT NULL")" = t ]' 20 \
    || fail "kejin-events made no schema at the city"
#  The envelope's protobuf encoding, in SQL: fields 1 topic, 2 key,
#  3 offset, 4 origin_city, 6 producer
sql "$CITY" "
CREATE FUNCTION public.kj_varint (v bigint) RETURNS bytea LANGUAGE plpgsql
IMMUTABLE AS \$\$
DECLARE out bytea := ''::bytea;
BEGIN
    LOOP
        IF v < 128 THEN
            RETURN out || set_byte ('\\x00'::bytea, 0, v::int);
        END IF;
        out := out || set_byte ('\\x00'::bytea, 0, (v & 127)::int | 128);
        v := v >> 7;
    END LOOP;
END \$\$;
CREATE FUNCTION public.kj_field (tag int, text text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS \$\$
    SELECT set_byte ('\\x00'::bytea, 0, tag)
        || public.kj_varint (length (convert_to (text, 'UTF8')))
        || convert_to (text, 'UTF8') \$\$;
CREATE FUNCTION public.kj_envelope (off bigint, topic text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS \$\$
    SELECT public.kj_field (10, topic) || public.kj_field (18, 'k' || off)
        || '\\x18'::bytea || public.kj_varint (off)
        || public.kj_field (34, '210300') || public.kj_field (50, 'registry')
\$\$;"
LINK=$("$PG" publish "$CITY") || fail "pg.sh publish failed"
append 1 3000

#  -- the hub ----------------------------------------------------------
"$PG" start "$HUB" >/dev/null
HUB_ADMIN=$("$PG" dsn "$HUB")
key () {  #  key NAME ARGS...
    "$BIN/kejin" keys new "$1" --dir "$KEYS" --city 210100 "${@:2}" \
        >/dev/null || fail "could not issue the key $1"
}
key broker --role peer
key events --role service --services events
key mirror --role service --services mirror
key bank --role integrator --topics anshan/
key bank-g --role integrator --topics guarantee.
key bank-d --role integrator --topics dalian/
key bank-all --role integrator --topics '*'
"$BIN/kejin-broker" -s "broker/endpoint=tcp://127.0.0.1:*" \
    -s "broker/pub_endpoint=tcp://127.0.0.1:*" \
    -s "broker/sub_endpoint=tcp://127.0.0.1:*" \
    -s "broker/endpoints_file=$TMP/broker.endpoints" \
    -s "broker/keys=$KEYS" >>"$TMP/broker.log" 2>&1 &
PIDS+=("$!")
until_ok '[ -s "$TMP/broker.endpoints" ]' 5 || fail "no broker: $(tail -3 "$TMP/broker.log")"
BROKER=$(sed -n 's/^endpoint=//p' "$TMP/broker.endpoints")
PUB=$(sed -n 's/^pub=//p' "$TMP/broker.endpoints")
SUB=$(sed -n 's/^sub=//p' "$TMP/broker.endpoints")
[ -n "$PUB" ] && [ -n "$SUB" ] || fail "endpoints: $(cat "$TMP/broker.endpoints")"
KEJIN_NODE_KEYS=$KEYS KEJIN_KEY=mirror "$BIN/kejin-mirror" \
    -s "node/broker=$BROKER" -s "db/admin_dsn=$HUB_ADMIN" \
    -s "db/dsn=$HUB_ADMIN" -s "mirror/role=" -s "mirror/check_interval_s=1" \
    -s "mirror/links=anshan=$LINK" >>"$TMP/mirror.log" 2>&1 &
PIDS+=("$!")
until_ok '[ "$(hub_head)" = 3000 ]' 60 \
    || fail "the hub copied $(hub_head) of 3000: $(tail -3 "$TMP/mirror.log")"
start_events
until_ok 'grep -q "events.follow .*city=anshan" "$TMP/events.log"' 20 \
    || fail "kejin-events does not follow anshan: $(tail -5 "$TMP/events.log")"

#  H1: from 1, live, through a kill -9 of the follower
subscribe bank h1 --city anshan --from 1 --until 8000 --origin 210300 &
H1=$!
PIDS+=("$H1")
sleep 2
append 3001 5000
until_ok '[ "$(hub_head)" = 5000 ]' 30 || fail "H1: the hub has $(hub_head) of 5000"
sleep 1
kill -KILL "$EVENTS"
wait "$EVENTS" 2>/dev/null || true
append 5001 6000
until_ok '[ "$(hub_head)" = 6000 ]' 30 || fail "H1: the hub has $(hub_head) of 6000"
start_events
sleep 2
append 6001 8000
for _ in $(seq 1 600); do kill -0 "$H1" 2>/dev/null || break; sleep 0.1; done
kill -0 "$H1" 2>/dev/null && fail "H1: the subscriber is still waiting: $(tail -3 "$TMP/h1.err")"
wait "$H1" || fail "H1: the subscriber failed: $(cat "$TMP/h1.err")"
read -r line <"$TMP/h1.out"
[[ $line == "delivered=8000 first=1 last=8000 disorder=0 "* ]] \
    || fail "H1: $line"
[[ $line == *" foreign=0" ]] || fail "H1: events of another origin: $line"
found=$(sed -n 's/.* gaps_found=\([0-9]*\).*/\1/p' <<<"$line")
repaired=$(sed -n 's/.* gaps_repaired=\([0-9]*\).*/\1/p' <<<"$line")
live=$(sed -n 's/.* live=\([0-9]*\).*/\1/p' <<<"$line")
[ "$found" = "$repaired" ] || fail "H1: gaps found $found, repaired $repaired"
[ "$live" -gt 0 ] || fail "H1: nothing came live: $line"
pass "H1: Anshan's 8,000 events at the hub, each once, in order, with Anshan's offsets ($live live; kill -9 of kejin-events: $found gaps found and repaired)"

#  H2: replay from 5000
subscribe bank h2 --city anshan --from 5000 --until 8000 --origin 210300 \
    || fail "H2: $(cat "$TMP/h2.err")"
read -r line <"$TMP/h2.out"
[[ $line == "delivered=3001 first=5000 last=8000 disorder=0 "*" foreign=0" ]] \
    || fail "H2: $line"
pass "H2: a replay of Anshan from 5000 gives 5000..8000 exactly"

#  H3: rights
rc=0
timeout 20 bash -c "$(declare -f subscribe); KEYS=$KEYS SUBSCRIBER=$SUBSCRIBER \
    BROKER=$BROKER PUB=$PUB TMP=$TMP subscribe bank-g h3 --city anshan \
    --topic registry. --from 1" || rc=$?
[ "$rc" = 1 ] || fail "H3: a key for guarantee. read Anshan's registry. ($rc): $(cat "$TMP/h3.out" "$TMP/h3.err")"
grep -q "prefix 0 'registry.' is outside the topics the key bank-g may read" "$TMP/h3.err" \
    || fail "H3: $(cat "$TMP/h3.err")"
until_ok 'grep -q "broker.subscription_refused.*key=bank-g.*topic=anshan/registry\." "$TMP/broker.log"' 5 \
    || fail "H3: the broker let bank-g subscribe to anshan/registry."
rc=0
timeout 20 bash -c "$(declare -f subscribe); KEYS=$KEYS SUBSCRIBER=$SUBSCRIBER \
    BROKER=$BROKER PUB=$PUB TMP=$TMP subscribe bank-d h3d --city anshan \
    --from 1" || rc=$?
[ "$rc" = 1 ] && grep -q "the key bank-d may read no topic" "$TMP/h3d.err" \
    || fail "H3: a key for dalian/ read Anshan ($rc): $(cat "$TMP/h3d.err")"
rc=0
timeout 20 bash -c "$(declare -f subscribe); KEYS=$KEYS SUBSCRIBER=$SUBSCRIBER \
    BROKER=$BROKER PUB=$PUB TMP=$TMP subscribe bank-all h3n --city fushun \
    --from 1" || rc=$?
[ "$rc" = 1 ] && grep -q "city: fushun is not a mirrored city this node serves (events/follow: anshan)" "$TMP/h3n.err" \
    || fail "H3: an unknown city ($rc): $(cat "$TMP/h3n.err")"
pass "H3: a key without Anshan's topics is refused, replay and live; a city not mirrored is NOT_FOUND"

#  H4: the Python example
mkdir -p "$TMP/py"
(cd "$ROOT" && protoc --python_out="$TMP/py" -Iproto proto/*.proto) || fail "protoc failed"
PYTHONPATH="$TMP/py" timeout 60 /usr/bin/python3 "$ROOT/docs/examples/subscriber.py" \
    --broker "$BROKER" --pub "$PUB" --key "$KEYS/secret/bank.key_secret" \
    --server-key "$KEYS/public/broker.key" --city anshan --from 1 \
    --count 8000 --out "$TMP/h4.txt" 2>"$TMP/h4.err" \
    || fail "H4: subscriber.py failed: $(tail -3 "$TMP/h4.err")"
[ "$(awk '{ print $1 }' "$TMP/h4.txt" | tr '\n' ' ')" = "$(seq -s ' ' 1 8000) " ] \
    || fail "H4: subscriber.py wrote $(wc -l <"$TMP/h4.txt") lines, not offsets 1..8000"
pass "H4: subscriber.py --city anshan: offsets 1..8000, in order"

#  H5: Info, Report and OffsetForTime of a mirrored city
hub_cli () {  #  hub_cli KEY ARGS...: bin/kejin at the hub
    local key=$1
    shift
    RC=0
    HOME=$TMP KEJIN_NODE_KEYS=$KEYS KEJIN_KEY=$key KEJIN_NODE_BROKER=$BROKER \
        KEJIN_NODE_PUB=$PUB "$BIN/kejin" --timeout 5000 "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}
#  report NAME CITY OFFSET: Events.Report by the Python example's client
report () {
    PYTHONPATH="$TMP/py:$ROOT/docs/examples" /usr/bin/python3 -c '
import sys, zmq, events_pb2, subscriber
subscriber.KEYS = (sys.argv[1], sys.argv[2])
client = subscriber.Client(zmq.Context.instance(), sys.argv[3])
client.call("events", "Report", events_pb2.ReportRequest(
    name=sys.argv[4], city=sys.argv[5], offset=int(sys.argv[6])),
    events_pb2.ReportReply)' "$KEYS/secret/bank.key_secret" \
        "$KEYS/public/broker.key" "$BROKER" "$@" 2>"$TMP/report.err"
}
report h5bank anshan 8000 || fail "H5: Report for Anshan: $(tail -2 "$TMP/report.err")"
! report h5/bank "" 1 && grep -q "name 'h5/bank' has a '/'" "$TMP/report.err" ||
    fail "H5: a Report name with '/': $(tail -2 "$TMP/report.err")"
! report h5bank fushun 1 && grep -q "fushun is not a mirrored city" "$TMP/report.err" ||
    fail "H5: a Report for a city not mirrored: $(tail -2 "$TMP/report.err")"
shown () {
    hub_cli bank-all events stats --city anshan --json
    [ "$RC" = 0 ] && /usr/bin/python3 -c '
import json, sys
info = json.load(sys.stdin)
subs = {s["name"]: int(s["offset"]) for s in info.get("subscribers", [])}
sys.exit(0 if int(info["head"]) == 8000 and int(info["tail"]) == 1
         and int(info["events"]) == 8000 and subs == {"h5bank": 8000} else 1)' <"$TMP/out"
}
until_ok shown 5 || fail "H5: events stats --city anshan: rc $RC $(cat "$TMP/out" "$TMP/err")"
#  kj_subscriber with .name and .city reports on Anshan's offsets too
KEJIN_NODE_KEYS=$KEYS KEJIN_KEY=bank "$SUBSCRIBER" --broker "$BROKER" \
    --pub "$PUB" --city anshan --from 7990 --name h5sub >"$TMP/h5.out" 2>"$TMP/h5.err" &
H5=$!
PIDS+=("$H5")
until_ok 'hub_cli bank-all events stats --city anshan; grep -Eq "^h5sub +8000 +0 " "$TMP/out"' 15 ||
    fail "H5: kj_subscriber's report on Anshan: $(cat "$TMP/out" "$TMP/err"; tail -5 "$TMP/h5.err")"
kill -TERM "$H5" 2>/dev/null || true
hub_cli bank-all events stats --json
[ "$RC" = 0 ] && ! grep -q h5bank "$TMP/out" ||
    fail "H5: the hub's own stats list Anshan's subscriber: $(cat "$TMP/out" "$TMP/err")"
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 hub_cli bank-all events stats --city anshan
[ "$RC" = 0 ] && grep -q "^head     8000" "$TMP/out" && grep -q "镜像" "$TMP/out" &&
    grep -Eq "^h5bank +8000 +0 " "$TMP/out" ||
    fail "H5: events stats --city anshan in Chinese: rc $RC $(cat "$TMP/out" "$TMP/err")"
hub_cli bank-all events stats --city fushun
[ "$RC" != 0 ] && grep -q "fushun is not a mirrored city this node serves" "$TMP/err" ||
    fail "H5: stats of a city not mirrored: rc $RC $(cat "$TMP/out" "$TMP/err")"
#  Anshan appended 6001..8000 two seconds after 6000: from that second on
SINCE=$(sql "$HUB" kejin_mirror_anshan "SELECT to_char (date_trunc ('second',
    appended_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM events.log WHERE off = 6001")
hub_cli bank-all events tail --city anshan --since "$SINCE" --count 1 --json
[ "$RC" = 0 ] && /usr/bin/python3 -c '
import json, sys
event = json.loads(sys.stdin.readline())
sys.exit(0 if int(event["offset"]) == 6001 and event["origin_city"] == "210300" else 1)' <"$TMP/out" ||
    fail "H5: events tail --city anshan --since $SINCE: rc $RC $(cat "$TMP/out" "$TMP/err")"
[ -s "$TMP/.kejin/tail-anshan.offset" ] || fail "H5: no tail-anshan.offset"
PYTHONPATH="$TMP/py" timeout 60 /usr/bin/python3 "$ROOT/docs/examples/subscriber.py" \
    --broker "$BROKER" --pub "$PUB" --key "$KEYS/secret/bank.key_secret" \
    --server-key "$KEYS/public/broker.key" --city anshan --since "$SINCE" \
    --count 1 >"$TMP/h5py.txt" 2>"$TMP/h5py.err" ||
    fail "H5: subscriber.py --city --since failed: $(tail -3 "$TMP/h5py.err")"
[ "$(awk '{ print $1 }' "$TMP/h5py.txt")" = 6001 ] ||
    fail "H5: subscriber.py --city anshan --since $SINCE: $(cat "$TMP/h5py.txt")"
pass "H5: stats, reports and --since for Anshan's copy at the hub (head 8000, h5bank at 8000, from $SINCE: 6001), in Chinese too"

DONE=1
