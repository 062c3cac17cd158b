#!/usr/bin/env bash
#  test_federation: requests across cities (docs/federation.md, "Requests:
#  broker links").
#
#  Two cities on loopback, each with its own broker and key directory:
#  Shenyang (210100) is a whole node as `make up` runs it (deploy/kejin-node,
#  its own PostgreSQL, demo data); Anshan (210300) is a broker with no
#  matching worker and kejin-link with the route matching=shenyang and a
#  peer key Shenyang issued for Anshan.
#    F1  `kejin match model` and `kejin demand` at Anshan are served by
#        Shenyang: the answers are the ones Shenyang gives directly; a
#        demand posted at Anshan by Anshan's operator is recorded at
#        Shenyang with that operator as caller (carried, not the link's);
#        `kejin status` at Anshan shows the route and its counts.
#    F2  rights are checked at the far end against the carried caller: an
#        Anshan integrator's write is refused by Shenyang's broker.
#    F3  a peer key carrying a caller of another city (a forged city) is
#        refused at the far end, PERMISSION_DENIED naming caller.city.
#    F4  hop limit: with a matching=anshan route at Shenyang too and
#        Shenyang's worker gone, the request goes A->S->A->...: refused
#        FAILED_PRECONDITION naming hops, never looping.
#    F5  the far city's broker silent (SIGSTOP: a cut link): a request at
#        Anshan is answered UNAVAILABLE within seconds, the link leaves;
#        back, requests flow again; killed -9 and restarted by its
#        supervisor, requests flow again.
#    F6  a local matching worker at Anshan (a plain one, in Python) wins
#        over the link: 10 of 10 requests, none to the link.
#    F7  a link whose key Shenyang never issued, or revoked, is refused at
#        the handshake: the link never registers, Anshan's client gets
#        UNAVAILABLE.
#    F8  routed around: one link with matching=shenyang and
#        matching=dalian (a third broker with a plain worker); Shenyang
#        silent, every request is served by Dalian.
#  Run by tests/run.sh, or by hand: tests/system/test_federation.sh

set -euo pipefail
ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../support/shell.sh
. "$ROOT/tests/support/shell.sh"
. "$ROOT/tests/support/ports.sh"
NODE=$ROOT/deploy/kejin-node
export KEJIN_PG_FAST=1
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_NODE_KEYS KEJIN_KEY KEJIN_BROKER_KEY
unset KEJIN_NODE_BROKER KEJIN_NODE_CITY KEJIN_PORT_BASE KEJIN_BROKER_ENDPOINT
unset KEJIN_NODE_PUB KEJIN_NODE_SUB
chmod 755 "$TMP"                #  PostgreSQL runs as postgres when we are root

declare -A PID=()
DONE=0
cleanup () {
    local rc=$? name
    trap - EXIT
    for name in "${!PID[@]}"; do kill -CONT "${PID[$name]}" 2>/dev/null || true; done
    for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
    for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
    [ -d "$TMP/shenyang" ] && "$NODE" down --run "$TMP/shenyang" >/dev/null 2>&1
    [ "$DONE" = 1 ] || echo "files kept in $TMP" >&2
    exit "$rc"
}
trap cleanup EXIT

free_port_base || fail "no three free ports in a row"
KEJIN_NODE_CITY=210100 "$NODE" up --run "$TMP/shenyang" --port-base "$BASE" \
    >"$TMP/shenyang-up.log" 2>&1 || fail "Shenyang's node did not start: $(tail -20 "$TMP/shenyang-up.log")"
. "$TMP/shenyang/node.env"
PG_S=$KEJIN_PG_DSN
unset KEJIN_NODE_KEYS KEJIN_NODE_BROKER KEJIN_NODE_CITY KEJIN_PG_DSN
mkdir -p "$TMP/shenyang"
echo "endpoint=tcp://127.0.0.1:$BASE" >"$TMP/shenyang/broker.endpoints"
broker_pid () { sed -n 's/^pid=\([0-9]*\).*/\1/p' "$TMP/shenyang/state/kejin-broker.1"; }

KS=$TMP/shenyang/keys KA=$TMP/anshan/keys LK=$TMP/anshan/link-keys
mkdir -p "$LK"
key () {  #  key DIR NAME ARGS...
    local dir=$1 name=$2
    shift 2
    "$BIN/kejin" keys new "$name" --dir "$dir" "$@" >/dev/null ||
        fail "could not issue $name in $dir"
}
key "$KS" bank --role integrator --city 210100
key "$KS" anshan --role peer --city 210300
key "$KS" dalian --role peer --city 210200
key "$KS" anshan-old --role peer --city 210300
key "$KS" link-anshan --role peer --city 210100 --services matching,link
key "$KA" broker --role peer --city 210300
key "$KA" operator --role operator --city 210300
key "$KA" bank --role integrator --city 210300
key "$KA" matching --role service --city 210300 --services matching
key "$KA" link --role peer --city 210300 --services matching,link
key "$KA" shenyang --role peer --city 210100
#  kit DIR PEERDIR NAME BROKERDIR: the keys a link needs for one peer
#  (ours there, NAME, with its secret; the peer broker's public key)
kit () {
    mkdir -p "$1"
    cp "$2/secret/$3.key_secret" "$1/$5.key_secret"
    cp "$2/public/$3.key" "$1/$5.key"
    cp "$4/public/broker.key" "$1/$5.broker.key"
}
kit "$LK" "$KS" anshan "$KS" shenyang
SK=$TMP/shenyang/link-keys
kit "$SK" "$KA" shenyang "$KA" anshan

#  start_broker CITY: a broker on a free port. It lets every role call
#  matching, so that what F2 shows is Shenyang's own check, and lets
#  Shenyang's peer key carry callers of any city (F4's loop)
start_broker () {
    local city=$1 keys
    keys=$TMP/$city/keys
    rm -f "$TMP/$city/broker.endpoints"
    "$BIN/kejin-broker" -s "broker/endpoint=tcp://127.0.0.1:*" \
        -s "broker/endpoints_file=$TMP/$city/broker.endpoints" \
        -s broker/pub_endpoint= -s broker/sub_endpoint= \
        -s "broker/keys=$keys" -s node/city=210300 \
        -s "broker/rights=matching/*=service,operator,integrator" \
        -s "federation/carry=shenyang=*" \
        2>>"$TMP/$city/broker.log" &
    PID[$city-broker]=$!
    for ((i = 0; i < 100; i++)); do
        grep -qs '^endpoint=' "$TMP/$city/broker.endpoints" && break
        sleep 0.05
    done
    grep -qs '^endpoint=' "$TMP/$city/broker.endpoints" ||
        fail "the $city broker did not come up: $(cat "$TMP/$city/broker.log")"
}
endpoint_of () { sed -n 's/^endpoint=//p' "$TMP/$1/broker.endpoints"; }

#  start_link CITY ROUTES PEERS KEYS
start_link () {
    KEJIN_NODE_KEYS=$TMP/$1/keys KEJIN_KEY=${LINK_KEY:-link} \
        "$BIN/kejin-link" -s "node/broker=$(endpoint_of "$1")" \
        -s "link/routes=$2" -s "link/peers=$3" -s "link/keys=$4" \
        -s link/heartbeat_ms=300 -s link/liveness=3 \
        -s "link/status_file=$TMP/$1/link.status" 2>>"$TMP/$1/link.log" &
    PID[$1-link]=$!
}

stop () {  #  stop NAME [SIGNAL]
    kill -"${2:-TERM}" "${PID[$1]}" 2>/dev/null || true
    wait "${PID[$1]}" 2>/dev/null || true
    unset "PID[$1]"
}

#  at CITY [--key KEY] ARGS...: bin/kejin at that city's broker with KEY
#  (default operator); T sets the timeout per attempt (ms)
at () {
    local city=$1 name=operator
    shift
    if [ "${1:-}" = --key ]; then name=$2; shift 2; fi
    RC=0
    KEJIN_NODE_KEYS=$TMP/$city/keys KEJIN_KEY=$name \
        KEJIN_NODE_BROKER=$(endpoint_of "$city") \
        "$BIN/kejin" --timeout "${T:-4000}" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}

#  Wait up to $2 seconds for `$1` (a command) to succeed.
until_ok () {
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        eval "$1" && return 0
        sleep 0.1
    done
    return 1
}
status_has () { grep -qs "$1" "$TMP/anshan/link.status"; }
ms_since () { /usr/bin/python3 -c "print(int(($EPOCHREALTIME - $1) * 1000))"; }

mkdir -p "$TMP/anshan"
start_broker anshan
until_ok 'T=1000 at shenyang match model; [ "$RC" = 0 ]' 30 ||
    fail "matching did not come up at Shenyang: $(cat "$TMP/err")"

#  Without a link, Anshan has no matching: the client is told so
T=1000 at anshan match model
[ "$RC" != 0 ] && grep -q "no worker" "$TMP/err" ||
    fail "Anshan answered matching with no link: rc $RC $(cat "$TMP/out" "$TMP/err")"
pass "no link: Anshan has no matching worker (UNAVAILABLE)"

start_link anshan matching=shenyang "shenyang=$(endpoint_of shenyang)" "$LK"
until_ok 'status_has "route=matching peer=shenyang .* registered=yes"' 10 ||
    fail "the link did not register: $(cat "$TMP/anshan/link.status" "$TMP/anshan/link.log")"

#  F1: the same answers through the link as at Shenyang directly
at shenyang enterprise list --city 210300 --limit 1 --json
CODE=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["enterprises"][0]["code"])' <"$TMP/out") ||
    fail "no Anshan enterprise in the demo data: $(cat "$TMP/err")"
at anshan demand add --enterprise $CODE --amount 5000000 --term 12 --json
[ "$RC" = 0 ] || fail "F1: demand add at Anshan: rc $RC $(cat "$TMP/out" "$TMP/err")"
ID=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])' <"$TMP/out")
at anshan demand show "$ID" --json
cp "$TMP/out" "$TMP/via-link.json"
at shenyang demand show "$ID" --json
cmp -s "$TMP/out" "$TMP/via-link.json" ||
    fail "F1: the answer through the link differs: $(diff "$TMP/out" "$TMP/via-link.json")"
[ -s "$TMP/out" ] || fail "F1: empty answer"
at anshan match "$ID" --json
cp "$TMP/out" "$TMP/match-link.json"
RC_LINK=$RC
at shenyang match "$ID" --json
#  Each Match is recorded under a new match id; all else is the same
same_match () {
    /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a.pop("match_id"); b.pop("match_id")
sys.exit(0 if a == b and a["products"] else 1)' "$1" "$2"
}
[ "$RC" = 0 ] && [ "$RC_LINK" = 0 ] && same_match "$TMP/out" "$TMP/match-link.json" ||
    fail "F1: kejin match differs through the link: rc $RC_LINK/$RC $(diff "$TMP/out" "$TMP/match-link.json")"
pass "F1: a demand posted and matched at Anshan is served by Shenyang; the answers are Shenyang's own"

#  The write's audit row at Shenyang names Anshan's operator, not the link
WHO=$(psql "$PG_S" -qAtX -c "SELECT key || ' ' || role || ' ' || city
    FROM matching_audit.trail WHERE method = 'AddDemand' ORDER BY id DESC LIMIT 1")
[ "$WHO" = "operator operator 210300" ] ||
    fail "F1: Shenyang recorded the caller as '$WHO', not Anshan's operator"
pass "F1: the caller (key, role, city) travelled with the request: $WHO"

#  The link's counts in `kejin status` at Anshan (Link.Stats)
links_shown () {
    at anshan status
    [ "$RC" = 0 ] && grep -Eq '^matching +shenyang +yes +yes +0 +([3-9]|[1-9][0-9]+) +([3-9]|[1-9][0-9]+) +0 *$' "$TMP/out"
}
until_ok links_shown 5 ||
    fail "F1: kejin status at Anshan does not show the link's route: $(cat "$TMP/out" "$TMP/err")"
pass "F1: kejin status at Anshan shows the route to Shenyang: alive, registered, $(grep -E '^matching +shenyang' "$TMP/out" | awk '{ print $6 }') forwarded, none failed"

#  A plain MDP client (docs/examples/mdp_client.py, as the zguide's) asks
#  Anshan for matching: the link refuses it, saying why, and carries none
# shellcheck disable=SC2034  # read in until_ok's eval below
FORWARDED=$(sed -n 's/^route=matching peer=shenyang .*forwarded=\([0-9]*\).*/\1/p' "$TMP/anshan/link.status")
RC=0
/usr/bin/python3 "$ROOT/docs/examples/mdp_client.py" --broker "$(endpoint_of anshan)" \
    --key "$TMP/anshan/keys/secret/operator.key_secret" \
    --server-key "$TMP/anshan/keys/public/broker.key" matching hello \
    >"$TMP/out" 2>"$TMP/err" || RC=$?
[ "$RC" = 0 ] && [ "$(sed -n 1p "$TMP/out")" = 501 ] &&
    grep -q "matching is served in city shenyang, and the link between cities carries Kejin requests only" "$TMP/out" ||
    fail "F1: a plain MDP request through the link: rc $RC $(cat "$TMP/out" "$TMP/err")"
until_ok 'grep -Eq "^route=matching peer=shenyang .* forwarded=$FORWARDED answered=[0-9]+ failed=1\$" "$TMP/anshan/link.status"' 5 ||
    fail "F1: the plain request was not counted failed only: $(cat "$TMP/anshan/link.status")"
pass "F1: a plain MDP request for a service of another city is refused 501, saying why: $(sed -n 2p "$TMP/out" | cut -c1-60)..."

#  F2: the carried role is what Shenyang checks
at anshan --key bank demand add --enterprise $CODE --amount 100 --term 6
[ "$RC" != 0 ] && grep -q "bank (role integrator) may not call matching AddDemand" "$TMP/err" ||
    fail "F2: an integrator's write went through: rc $RC $(cat "$TMP/out" "$TMP/err")"
grep -q "broker.refused.*reason=method_role key=bank" "$TMP/shenyang/logs/kejin-broker.1.log" ||
    fail "F2: not refused at Shenyang's broker"
at anshan --key bank demand show "$ID"
[ "$RC" = 0 ] || fail "F2: an integrator's read was refused: $(cat "$TMP/err")"
pass "F2: rights checked at Shenyang against the carried role (integrator: reads yes, writes no)"

#  F3: a peer carrying a caller of another city. A second link to
#  Shenyang with the key Shenyang issued for Dalian carries Anshan's
#  callers: refused at Shenyang
kit "$TMP/forged" "$KS" dalian "$KS" shenyang
stop anshan-link
start_link anshan matching=shenyang "shenyang=$(endpoint_of shenyang)" "$TMP/forged"
until_ok 'status_has "registered=yes"' 10 || fail "F3: the link did not register"
at anshan demand show "$ID"
[ "$RC" != 0 ] && grep -q "peer key dalian (city 210200) may not carry the caller operator (role operator, city 210300)" "$TMP/err" ||
    fail "F3: a forged city went through: rc $RC $(cat "$TMP/out" "$TMP/err")"
grep -q "reason=peer_city key=dalian" "$TMP/shenyang/logs/kejin-broker.1.log" ||
    fail "F3: the refusal was not counted at Shenyang"
#  The same forgery by hand: Anshan's own peer key, a caller of Shenyang
/usr/bin/python3 - "$(endpoint_of shenyang)" "$LK" >"$TMP/forge.out" <<'EOF' ||
import sys, zmq, zmq.auth
endpoint, keys = sys.argv[1], sys.argv[2]
pub, sec = zmq.auth.load_certificate(keys + "/shenyang.key_secret")
server, _ = zmq.auth.load_certificate(keys + "/shenyang.broker.key")
def field(n, wire, data):
    key = bytes([n << 3 | wire])
    if wire == 0:
        out = b""
        while True:
            b = data & 0x7f; data >>= 7
            out += bytes([b | (0x80 if data else 0)])
            if not data: return key + out
    return key + bytes([len(data)]) + data
caller = field(1, 2, b"operator") + field(2, 2, b"operator") + field(3, 2, b"210100")
header = b"KJ\x01" + field(1, 0, 7) + field(2, 2, b"GetDemand") + field(3, 0, 3000) \
    + field(6, 2, caller) + field(8, 0, 1)
s = zmq.Context().socket(zmq.DEALER)
s.curve_publickey, s.curve_secretkey, s.curve_serverkey = pub, sec, server
s.connect(endpoint)
s.send_multipart([b"", b"MDPC01", b"matching", header, b""])
if not s.poll(5000): sys.exit("no answer")
print(s.recv_multipart()[3][3:].decode("utf-8", "replace"))
EOF
    fail "F3: the forged request got no answer: $(cat "$TMP/forge.out")"
grep -q "peer key anshan (city 210300) may not carry the caller operator (role operator, city 210100)" "$TMP/forge.out" ||
    fail "F3: a caller of Shenyang carried by Anshan's key went through: $(cat "$TMP/forge.out")"
pass "F3: a peer carrying a caller of a city not its own is refused at the far end"
stop anshan-link
start_link anshan matching=shenyang "shenyang=$(endpoint_of shenyang)" "$LK"
until_ok 'status_has "registered=yes"' 10 || fail "the link did not register again"

#  F4: a loop. Shenyang routes matching to Anshan too; while Shenyang's
#  worker runs, that link is idle (local first); with the worker gone the
#  two links point at each other
LINK_KEY=link-anshan start_link shenyang matching=anshan "anshan=$(endpoint_of anshan)" "$SK"
until_ok 'grep -qs "registered=yes" "$TMP/shenyang/link.status"' 10 ||
    fail "F4: Shenyang's link did not register: $(cat "$TMP/shenyang/link.log")"
at anshan demand show "$ID"
[ "$RC" = 0 ] || fail "F4: with both links, local first at Shenyang failed: $(cat "$TMP/err")"
"$NODE" scale matching=0 --run "$TMP/shenyang" >/dev/null
until_ok 'T=1000 at anshan demand show "$ID"; grep -q crossed "$TMP/err"' 20 ||
    fail "F4: Shenyang's matching did not stop: $(cat "$TMP/err")"
START=$EPOCHREALTIME
T=3000 at anshan demand show "$ID"
TOOK=$(ms_since "$START")
[ "$RC" != 0 ] && grep -q "crossed 3 links between cities, more than federation/max_hops (2)" "$TMP/err" ||
    fail "F4: the loop was not refused: rc $RC $(cat "$TMP/out" "$TMP/err")"
grep -q "reason=hops" "$TMP/shenyang/logs/kejin-broker.1.log" "$TMP/anshan/broker.log" ||
    fail "F4: the refusal was not counted"
pass "F4: a loop A->S->A is refused past max_hops (FAILED_PRECONDITION, in ${TOOK} ms)"
stop shenyang-link
"$NODE" scale matching=1 --run "$TMP/shenyang" >/dev/null
until_ok 'T=1000 at anshan demand show "$ID"; [ "$RC" = 0 ]' 30 ||
    fail "F4: requests did not flow again: $(cat "$TMP/err")"

#  F5: Shenyang's broker silent (stopped, as behind a cut line), then
#  killed -9 (its supervisor starts it again)
SILENT=$(broker_pid)
kill -STOP "$SILENT"
START=$EPOCHREALTIME
T=2000 at anshan demand show "$ID"
TOOK=$(ms_since "$START")
[ "$RC" != 0 ] || { kill -CONT "$SILENT"; fail "F5: answered with the far city silent"; }
grep -q "UNAVAILABLE" "$TMP/err" || { kill -CONT "$SILENT"; fail "F5: $(cat "$TMP/err")"; }
until_ok 'status_has "alive=no served=no registered=no"' 5 ||
    { kill -CONT "$SILENT"; fail "F5: the link did not notice: $(cat "$TMP/anshan/link.status")"; }
kill -CONT "$SILENT"
[ "$TOOK" -lt 8000 ] || fail "F5: the client waited ${TOOK} ms"
pass "F5: far city silent: the link noticed, the client was told UNAVAILABLE in ${TOOK} ms"
until_ok 'T=1000 at anshan demand show "$ID"; [ "$RC" = 0 ]' 20 ||
    fail "F5: requests did not flow again: $(cat "$TMP/err" "$TMP/anshan/link.status")"
kill -KILL "$(broker_pid)"
until_ok 'T=1000 at anshan demand show "$ID"; [ "$RC" = 0 ]' 30 ||
    fail "F5: requests did not flow again after the restart: $(cat "$TMP/err" "$TMP/anshan/link.status")"
pass "F5: far city back (after a stop, after kill -9): requests flow again"

#  F6: a local worker appears at Anshan (a plain one that answers every
#  request UNIMPLEMENTED "served by Anshan's own worker") and wins over
#  the link
/usr/bin/python3 "$ROOT/tests/system/test_federation_worker.py" \
    "$(endpoint_of anshan)" "$KA" "$TMP/anshan/served" \
    2>"$TMP/anshan/worker.log" &
PID[anshan-worker]=$!
until_ok 'grep -q "broker.worker_ready service=matching .*peer=0" "$TMP/anshan/broker.log"' 20 ||
    fail "F6: Anshan's own worker did not register: $(cat "$TMP/anshan/worker.log")"
#  The link rewrites its status each heartbeat: count from a fresh one, so
#  that requests of F5 it had not written down yet are not counted here
rm -f "$TMP/anshan/link.status"
until_ok '[ -s "$TMP/anshan/link.status" ]' 10 || fail "F6: the link wrote no status"
FWD=$(sed -n 's/.* forwarded=\([0-9]*\).*/\1/p' "$TMP/anshan/link.status")
for ((n = 0; n < 10; n++)); do
    at anshan demand show "$ID"
    grep -q "served by Anshan's own worker" "$TMP/err" || fail "F6: $(cat "$TMP/out" "$TMP/err")"
done
rm -f "$TMP/anshan/link.status"
until_ok '[ -s "$TMP/anshan/link.status" ]' 10 || fail "F6: the link wrote no status"
FWD2=$(sed -n 's/.* forwarded=\([0-9]*\).*/\1/p' "$TMP/anshan/link.status")
[ "$FWD" = "$FWD2" ] || fail "F6: the link got $((FWD2 - FWD)) of 10 requests beside a local worker"
[ "$(cat "$TMP/anshan/served")" = 10 ] ||
    fail "F6: the local worker served $(cat "$TMP/anshan/served") of 10"
stop anshan-worker
until_ok 'T=1000 at anshan demand show "$ID"; [ "$RC" = 0 ] && grep -q "$CODE" "$TMP/out"' 15 ||
    fail "F6: back to the link failed: $(cat "$TMP/err")"
pass "F6: a local worker wins over the link (10 of 10 served locally); gone, the link serves again"

#  F7: keys. A link whose key Shenyang never issued, then a revoked one
stop anshan-link
key "$KA" stranger --role peer --city 210300
kit "$TMP/unknown" "$KA" stranger "$KS" shenyang
: >"$TMP/anshan/link.status"
start_link anshan matching=shenyang "shenyang=$(endpoint_of shenyang)" "$TMP/unknown"
sleep 2
status_has "alive=no served=no registered=no" ||
    fail "F7: an unknown key got in: $(cat "$TMP/anshan/link.status")"
grep -q "keys.refused" "$TMP/shenyang/logs/kejin-broker.1.log" ||
    fail "F7: no refusal logged at Shenyang"
T=1000 at anshan demand show "$ID"
[ "$RC" != 0 ] && grep -q "no worker" "$TMP/err" || fail "F7: $(cat "$TMP/out" "$TMP/err")"
pass "F7: a link with a key Shenyang never issued is refused at the handshake"
stop anshan-link
kit "$TMP/old" "$KS" anshan-old "$KS" shenyang
: >"$TMP/anshan/link.status"
start_link anshan matching=shenyang "shenyang=$(endpoint_of shenyang)" "$TMP/old"
until_ok 'status_has "registered=yes"' 10 || fail "F7: the valid key did not get in"
"$BIN/kejin" keys revoke anshan-old --dir "$KS" >/dev/null
until_ok 'status_has "registered=no"' 10 ||
    fail "F7: the revoked key's link stayed: $(cat "$TMP/anshan/link.status")"
T=1000 at anshan demand show "$ID"
[ "$RC" != 0 ] || fail "F7: served through a revoked key"
pass "F7: a revoked peer key is refused: the link leaves Anshan's broker"

#  F8: routed around. A second city (Dalian: a broker and a plain matching
#  worker) and one link with both routes; Shenyang silent: every request
#  goes to Dalian
stop anshan-link
KD=$TMP/dalian/keys
mkdir -p "$TMP/dalian"
key "$KD" broker --role peer --city 210200
key "$KD" matching --role service --city 210200 --services matching
key "$KD" anshan --role peer --city 210300
kit "$TMP/two" "$KS" anshan "$KS" shenyang
kit "$TMP/two" "$KD" anshan "$KD" dalian
start_broker dalian
/usr/bin/python3 "$ROOT/tests/system/test_federation_worker.py" \
    "$(endpoint_of dalian)" "$KD" "$TMP/dalian/served" Dalian \
    2>"$TMP/dalian/worker.log" &
PID[dalian-worker]=$!
: >"$TMP/anshan/link.status"
start_link anshan "matching=shenyang matching=dalian" \
    "shenyang=$(endpoint_of shenyang) dalian=$(endpoint_of dalian)" "$TMP/two"
until_ok '[ "$(grep -c "registered=yes" "$TMP/anshan/link.status")" = 2 ]' 15 ||
    fail "F8: both routes did not register: $(cat "$TMP/anshan/link.status")"
SILENT=$(broker_pid)
kill -STOP "$SILENT"
until_ok 'status_has "peer=shenyang .*alive=no"' 5 ||
    { kill -CONT "$SILENT"; fail "F8: Shenyang's silence not noticed"; }
for ((n = 0; n < 5; n++)); do
    at anshan demand show "$ID"
    grep -q "served by Dalian" "$TMP/err" ||
        { kill -CONT "$SILENT"; fail "F8: not routed around: $(cat "$TMP/out" "$TMP/err")"; }
done
kill -CONT "$SILENT"
pass "F8: Shenyang silent, a second route to Dalian serves (5 of 5)"
DONE=1
echo "all $PASSED passed"
