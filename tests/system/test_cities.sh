#!/usr/bin/env bash
#  test_cities: the launcher of several cities, deploy/kejin-cities
#  (docs/federation.md, "Running it"), and issue 17's "Done when" walked
#  as a new user would.
#
#  Three cities on loopback ports: Shenyang, the hub (a whole node with the
#  demo data), Anshan and Dalian (whole nodes with no matching of their own).
#    C1  `kejin-cities up shenyang,anshan,dalian` starts them; `status` says
#        every link is up (the mirror links OK with lag 0, the request
#        links alive).
#    C2  a matching request at Anshan (`kejin match model`) is answered by
#        Shenyang's matching; `kejin status` at Anshan counts it forwarded;
#        a demand posted at Anshan gets its matches from Shenyang's centre.
#    C3  an enterprise added at Anshan reaches the hub's integrators:
#        subscriber.py --city anshan at Shenyang prints its event.
#    C5  `kejin-cities cut anshan`: status says so (exit 1, the mirror link
#        DOWN, no link); both cities go on working alone (enterprises added
#        at Anshan and at Shenyang, a demand matched at Shenyang), and a
#        match asked at Anshan is told UNAVAILABLE. `heal anshan`: the link
#        and the copy come back, a demand at Anshan is matched again, and
#        every Anshan event arrives at the hub exactly once, counted by
#        Anshan's offsets both in the hub's copy and by a subscriber at the
#        hub (--city anshan) that ran from before the cut to after the heal.
#    C4  `down` leaves no process of any city and no port bound.
#  Run by tests/run.sh, or by hand: tests/system/test_cities.sh

set -euo pipefail
ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../support/shell.sh
. "$ROOT/tests/support/shell.sh"
. "$ROOT/tests/support/ports.sh"
CITIES=$ROOT/deploy/kejin-cities
export KEJIN_PG_FAST=1
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_NODE_KEYS KEJIN_KEY KEJIN_BROKER_KEY
unset KEJIN_NODE_BROKER KEJIN_NODE_CITY KEJIN_PORT_BASE KEJIN_BROKER_ENDPOINT
unset KEJIN_NODE_PUB KEJIN_NODE_SUB
chmod 755 "$TMP"
DIR=$TMP/cities
DONE=0
cleanup () {
    local rc=$?
    trap - EXIT
    "$CITIES" down --run "$DIR" >/dev/null 2>&1 || true
    [ "$DONE" = 1 ] || echo "files kept in $TMP" >&2
    exit "$rc"
}
trap cleanup EXIT

until_ok () {  #  until_ok COMMAND SECONDS
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        eval "$1" && return 0
        sleep 0.5
    done
    return 1
}

#  Every city's ports free: BASE..BASE+2, BASE+10..BASE+12, BASE+20..BASE+22
for _ in $(seq 1 50); do
    free_port_base || fail "no three free ports in a row"
    ok=1
    for port in $((BASE + 10)) $((BASE + 11)) $((BASE + 12)) $((BASE + 20)) \
                $((BASE + 21)) $((BASE + 22)); do
        port_unused "$port" || ok=0
    done
    [ "$ok" = 1 ] && break
    BASE=
done
[ -n "$BASE" ] || fail "no free ports for three cities"
PORTS=
for i in 0 1 2; do
    PORTS="$PORTS $((BASE + 10 * i)) $((BASE + 10 * i + 1)) $((BASE + 10 * i + 2))"
done

#  at CITY ARGS...: bin/kejin at that city with its operator key
at () {
    local city=$1 i=0
    shift
    [ "$city" = anshan ] && i=1
    [ "$city" = dalian ] && i=2
    RC=0
    KEJIN_NODE_KEYS=$DIR/$city/keys KEJIN_NODE_BROKER=tcp://127.0.0.1:$((BASE + 10 * i)) \
        "$BIN/kejin" --timeout 5000 "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}

#  C1
"$CITIES" up shenyang,anshan,dalian --run "$DIR" --port-base "$BASE" >"$TMP/up.log" 2>&1 ||
    fail "C1: up failed: $(tail -20 "$TMP/up.log")"
#  all_up: status exits 0, each mirror link OK with lag 0, each link alive
all_up () {
    "$CITIES" status --run "$DIR" >"$TMP/status.out" 2>&1 || return 1
    local city
    for city in anshan dalian; do
        grep -Eq "^$city +OK +([0-9]+) +\1 +0( |\$)" "$TMP/status.out" &&
            grep -Eq "^$city +matching +shenyang +yes +yes" "$TMP/status.out" || return 1
    done
}
until_ok all_up 90 || fail "C1: status never said every link is up: $(cat "$TMP/status.out")"
pass "C1: three cities up; the mirror links OK and the request links alive"

#  C2
at anshan match model
[ "$RC" = 0 ] || fail "C2: kejin match model at Anshan: rc $RC $(cat "$TMP/out" "$TMP/err")"
cp "$TMP/out" "$TMP/model-anshan"
at shenyang match model
cmp -s "$TMP/out" "$TMP/model-anshan" || fail "C2: Anshan's answer differs from Shenyang's"
at anshan status
grep -Eq '^matching +shenyang +yes +yes +0 +[1-9]' "$TMP/out" ||
    until_ok 'at anshan status; grep -Eq "^matching +shenyang +yes +yes +0 +[1-9]" "$TMP/out"' 5 ||
    fail "C2: kejin status at Anshan: $(cat "$TMP/out" "$TMP/err")"
#  A demand posted at Anshan (Anshan has no matching worker) is matched by
#  Shenyang's centre: products from the hub's catalogue
at shenyang enterprise list --city 210300 --limit 30 --json
/usr/bin/python3 -c 'import json,sys
for e in json.load(sys.stdin)["enterprises"]: print(e["code"])' <"$TMP/out" >"$TMP/codes" ||
    fail "C2: no Anshan enterprises in the demo data: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/codes")" = 30 ] || fail "C2: fewer than 30 Anshan enterprises in the demo data"
#  demand_matched CITY CODE: a demand posted there and matched; products > 0
demand_matched () {
    at "$1" demand add --enterprise "$2" --amount 5000000 --term 12 --json
    [ "$RC" = 0 ] || return 1
    local id
    id=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])' <"$TMP/out")
    at "$1" match "$id" --json
    [ "$RC" = 0 ] && /usr/bin/python3 -c 'import json,sys
sys.exit(0 if json.load(sys.stdin)["products"] else 1)' <"$TMP/out"
}
demand_matched anshan "$(sed -n 1p "$TMP/codes")" ||
    fail "C2: a demand at Anshan was not matched: rc $RC $(cat "$TMP/out" "$TMP/err")"
pass "C2: a matching request at Anshan is answered by Shenyang, counted in Anshan's kejin status; a demand posted at Anshan gets Shenyang's matches"

#  C3
#  A valid Anshan credit code from the hub's demo data: new at Anshan
at shenyang enterprise list --city 210300 --limit 1 --json
CODE=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["enterprises"][0]["code"])' <"$TMP/out") ||
    fail "C3: no Anshan enterprise in the demo data: $(cat "$TMP/err")"
at anshan enterprise add "$CODE" --name 鞍山测试企业
[ "$RC" = 0 ] || fail "C3: enterprise add at Anshan: rc $RC $(cat "$TMP/out" "$TMP/err")"
mkdir -p "$TMP/py"
(cd "$ROOT" && protoc --python_out="$TMP/py" -Iproto proto/*.proto) || fail "protoc failed"
. "$DIR/shenyang/node.env"
"$BIN/kejin" keys new hub-bank --role integrator --topics registry. \
    --dir "$KEJIN_NODE_KEYS" >/dev/null || fail "C3: no key"
PYTHONPATH="$TMP/py" timeout 60 /usr/bin/python3 "$ROOT/docs/examples/subscriber.py" \
    --key "$KEJIN_NODE_KEYS/secret/hub-bank.key_secret" \
    --server-key "$KEJIN_NODE_KEYS/public/broker.key" --city anshan --from 0 \
    --topic registry.enterprise. --count 1 >"$TMP/c3.out" 2>"$TMP/c3.err" ||
    fail "C3: subscriber.py --city anshan at the hub: $(tail -3 "$TMP/c3.err")"
grep -Eq "^[0-9]+ registry\.enterprise\.[a-z_]+ $CODE\$" "$TMP/c3.out" ||
    fail "C3: the hub's integrator got: $(cat "$TMP/c3.out")"
pass "C3: an enterprise added at Anshan reaches the hub's integrator (--city anshan): $(cat "$TMP/c3.out")"

#  C5: cut Anshan off, work on in both cities, heal. A subscriber at the hub
#  follows all of Anshan from offset 1 throughout.
"$BIN/kejin" keys new hub-watch --role integrator --topics anshan/ \
    --dir "$KEJIN_NODE_KEYS" >/dev/null || fail "C5: no key"
PYTHONPATH="$TMP/py" setsid /usr/bin/python3 "$ROOT/docs/examples/subscriber.py" \
    --key "$KEJIN_NODE_KEYS/secret/hub-watch.key_secret" \
    --server-key "$KEJIN_NODE_KEYS/public/broker.key" --city anshan --from 1 \
    --seconds 600 --out "$TMP/watch.out" 2>"$TMP/watch.err" &
WATCH=$!
unset KEJIN_NODE_KEYS KEJIN_NODE_BROKER KEJIN_NODE_PUB KEJIN_NODE_SUB KEJIN_NODE_CITY
#  anshan_sql / hub_sql SQL: one value from Anshan's log, or the hub's copy
anshan_sql () {
    psql -X -At -c "$1" "host=$DIR/anshan/pg port=$(cat "$DIR/anshan/pg/port") user=postgres dbname=postgres"
}
hub_sql () {
    psql -X -At -c "$1" "host=$DIR/shenyang/pg port=$(cat "$DIR/shenyang/pg/port") user=postgres dbname=kejin_mirror_anshan"
}
"$CITIES" cut anshan --run "$DIR" >"$TMP/cut.log" 2>&1 || fail "C5: cut failed: $(cat "$TMP/cut.log")"
CUT_HEAD=$(anshan_sql "SELECT coalesce (max (off), 0) FROM events.log")
until_ok '! "$CITIES" status --run "$DIR" >"$TMP/status.out" 2>&1 && grep -Eq "^anshan +DOWN" "$TMP/status.out" && grep -Eq "^anshan +matching +shenyang +.* down " "$TMP/status.out"' 60 ||
    fail "C5: status after the cut: $(cat "$TMP/status.out")"
grep -Eq '^dalian +OK' "$TMP/status.out" && grep -Eq '^dalian +matching +shenyang +yes +yes' "$TMP/status.out" ||
    fail "C5: Dalian suffered from Anshan's cut: $(cat "$TMP/status.out")"
#  Work goes on in both: 20 enterprises at Anshan, 5 at Shenyang, a demand
#  matched at Shenyang; Anshan's matching is unavailable, and says so
for n in $(seq 2 21); do
    at anshan enterprise add "$(sed -n "${n}p" "$TMP/codes")" --name "鞍山企业$n"
    [ "$RC" = 0 ] || fail "C5: enterprise add at Anshan while cut: rc $RC $(cat "$TMP/out" "$TMP/err")"
done
at shenyang enterprise list --city 210100 --limit 5 --json
for code in $(/usr/bin/python3 -c 'import json,sys
for e in json.load(sys.stdin)["enterprises"]: print(e["code"])' <"$TMP/out"); do
    at shenyang enterprise show "$code"
    [ "$RC" = 0 ] || fail "C5: enterprise show at Shenyang while Anshan is cut: rc $RC $(cat "$TMP/err")"
done
demand_matched shenyang "$(sed -n 22p "$TMP/codes")" ||
    fail "C5: a demand at Shenyang while Anshan is cut: rc $RC $(cat "$TMP/out" "$TMP/err")"
at anshan match model
[ "$RC" != 0 ] && grep -Eq "UNAVAILABLE|no worker|不可用" "$TMP/err" ||
    fail "C5: a match at Anshan while cut: rc $RC $(cat "$TMP/out" "$TMP/err")"
CUT_END=$(anshan_sql "SELECT max (off) FROM events.log")
[ "$CUT_END" -gt "$CUT_HEAD" ] || fail "C5: Anshan appended nothing while cut ($CUT_HEAD)"
COPIED=$(hub_sql "SELECT coalesce (max (off), 0) FROM events.log")
[ "$COPIED" -le "$CUT_HEAD" ] || fail "C5: the hub copied $COPIED past the cut ($CUT_HEAD): not cut"
"$CITIES" heal anshan --run "$DIR" >"$TMP/heal.log" 2>&1 || fail "C5: heal failed: $(cat "$TMP/heal.log")"
until_ok all_up 90 ||
    fail "C5: status never came back after the heal: $(cat "$TMP/status.out")"
until_ok 'demand_matched anshan "$(sed -n 23p "$TMP/codes")"' 30 ||
    fail "C5: a demand at Anshan after the heal: rc $RC $(cat "$TMP/out" "$TMP/err")"
#  Every Anshan event at the hub exactly once, by Anshan's offsets
HEAD=$(anshan_sql "SELECT max (off) FROM events.log")
until_ok '[ "$(hub_sql "SELECT coalesce (max (off), 0) FROM events.log")" -ge "$HEAD" ]' 60 ||
    fail "C5: the hub's copy stops at $(hub_sql "SELECT max (off) FROM events.log") of $HEAD"
WANT=$(anshan_sql "SELECT count (*) || ' ' || count (DISTINCT off) || ' ' || min (off) || ' ' || sum (off) FROM events.log WHERE off <= $HEAD")
GOT=$(hub_sql "SELECT count (*) || ' ' || count (DISTINCT off) || ' ' || min (off) || ' ' || sum (off) FROM events.log WHERE off <= $HEAD")
[ "$WANT" = "$GOT" ] && [ "$WANT" = "$HEAD $HEAD 1 $((HEAD * (HEAD + 1) / 2))" ] ||
    fail "C5: Anshan's log (count distinct min sum) $WANT, the hub's copy $GOT"
until_ok '[ "$(awk -v h="$HEAD" "\$1 <= h" "$TMP/watch.out" | sort -u | wc -l)" -ge "$HEAD" ]' 60 ||
    fail "C5: the hub's subscriber has $(wc -l <"$TMP/watch.out") of $HEAD: $(tail -3 "$TMP/watch.err")"
kill -TERM "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null || true
LINES=$(awk -v h="$HEAD" '$1 <= h' "$TMP/watch.out" | wc -l)
[ "$LINES" = "$HEAD" ] && awk -v h="$HEAD" '$1 <= h { print $1 }' "$TMP/watch.out" | sort -n |
    awk 'BEGIN { n = 0 } { n++; if ($1 != n) exit 1 }' ||
    fail "C5: the hub's subscriber printed $LINES lines for offsets 1..$HEAD (each once wanted)"
grep -q " registry\.enterprise\.[a-z_]* $(sed -n 21p "$TMP/codes")\$" "$TMP/watch.out" ||
    fail "C5: the last enterprise added at Anshan while cut is not among the hub's events"
pass "C5: Anshan cut off and healed: both cities worked alone ($((CUT_END - CUT_HEAD)) events at Anshan while cut); all $HEAD Anshan events at the hub once, in the copy and at a subscriber"

#  C4
"$CITIES" down --run "$DIR" >"$TMP/down.log" 2>&1 || fail "C4: down failed: $(tail -5 "$TMP/down.log")"
left=$(ps -eo pid=,args= | grep -F "$DIR" | grep -v grep || true)
[ -z "$left" ] || fail "C4: processes left: $left"
for port in $PORTS; do
    port_free "$port" || fail "C4: port $port still bound: $(ss -Hltnp "sport = :$port")"
done
pass "C4: down leaves no process and no port of any city"

DONE=1
