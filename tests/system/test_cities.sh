#!/usr/bin/env bash
#  test_cities: the launcher of several cities, deploy/kejin-cities
#  (docs/federation.md, "Running it").
#
#  Two cities on loopback ports: Shenyang, the hub (a whole node with the
#  demo data), and Anshan (a whole node with no matching of its own).
#    C1  `kejin-cities up shenyang,anshan` starts both; `status` says every
#        link is up (the mirror link OK, the request link alive).
#    C2  a matching request at Anshan (`kejin match model`) is answered by
#        Shenyang's matching; `kejin status` at Anshan counts it forwarded.
#    C3  an enterprise added at Anshan reaches the hub's integrators:
#        subscriber.py --city anshan at Shenyang prints its event.
#    C4  `down` leaves no process of either city and no port bound.
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

#  Both cities' ports free: BASE..BASE+2 and BASE+10..BASE+12
for _ in $(seq 1 50); do
    free_port_base || fail "no three free ports in a row"
    port_unused $((BASE + 10)) && port_unused $((BASE + 11)) &&
        port_unused $((BASE + 12)) && break
    BASE=
done
[ -n "$BASE" ] || fail "no free ports for two cities"
PORTS="$BASE $((BASE + 1)) $((BASE + 2)) $((BASE + 10)) $((BASE + 11)) $((BASE + 12))"

#  at CITY ARGS...: bin/kejin at that city with its operator key
at () {
    local city=$1 i=0
    shift
    [ "$city" = anshan ] && i=1
    RC=0
    KEJIN_NODE_KEYS=$DIR/$city/keys KEJIN_NODE_BROKER=tcp://127.0.0.1:$((BASE + 10 * i)) \
        "$BIN/kejin" --timeout 5000 "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}

#  C1
"$CITIES" up shenyang,anshan --run "$DIR" --port-base "$BASE" >"$TMP/up.log" 2>&1 ||
    fail "C1: up failed: $(tail -20 "$TMP/up.log")"
until_ok '"$CITIES" status --run "$DIR" >"$TMP/status.out" 2>&1' 90 ||
    fail "C1: status never said every link is up: $(cat "$TMP/status.out")"
grep -Eq '^anshan +OK' "$TMP/status.out" && grep -Eq '^anshan +matching +shenyang +yes +yes' "$TMP/status.out" ||
    fail "C1: status: $(cat "$TMP/status.out")"
pass "C1: two cities up; the mirror link OK and the request link alive"

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
pass "C2: a matching request at Anshan is answered by Shenyang, counted in Anshan's kejin status"

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
unset KEJIN_NODE_KEYS KEJIN_NODE_BROKER KEJIN_NODE_PUB KEJIN_NODE_SUB KEJIN_NODE_CITY

#  C4
"$CITIES" down --run "$DIR" >"$TMP/down.log" 2>&1 || fail "C4: down failed: $(tail -5 "$TMP/down.log")"
left=$(ps -eo pid=,args= | grep -F "$DIR" | grep -v grep || true)
[ -z "$left" ] || fail "C4: processes left: $left"
for port in $PORTS; do
    port_free "$port" || fail "C4: port $port still bound: $(ss -Hltnp "sport = :$port")"
done
pass "C4: down leaves no process and no port of either city"

DONE=1
