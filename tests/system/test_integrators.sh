#!/usr/bin/env bash
#  test_integrators: docs/integrators.md followed as a new integrator
#  would, in Python and in Node, against a live node with the demo data.
#
#  Starts a node with deploy/kejin-node (demo data loaded), sources its
#  run/node.env and checks that the pub endpoint it names is the one
#  `kejin status` calls pub. Then for each example (docs/examples/
#  subscriber.py and subscriber.js): replay from offset 0 into a file,
#  kill -9 mid-stream, restart from its offset file, more demo data
#  arrives live, kill -9 again, restart, SIGTERM once caught up: the file
#  holds every offset from 1 to the head once, in order, one
#  registry.<kind>.imported event per enterprise, institution and product
#  loaded, and the counters printed at SIGTERM. Also: --since finds the
#  first event after a point in time (both examples and `kejin events
#  tail`), both examples decode payloads alike with the schemas the node
#  serves, and a subscriber pointed at the wrong endpoint (sub) says so.
#
#  npm packages (docs/examples/package-lock.json) are installed into
#  $KEJIN_BUILD/node with `npm ci --ignore-scripts`: zeromq 6 carries its
#  prebuilt binaries inside the npm package, nothing else is downloaded.
#
#  Run by tests/run.sh, or by hand: tests/system/test_integrators.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$(realpath -m -- "${KEJIN_BIN:-$ROOT/bin}")
BUILD=$(realpath -m -- "${KEJIN_BUILD:-$ROOT/build}")
NODE_CMD=$ROOT/deploy/kejin-node
export KEJIN_PG_FAST=1
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_PORT_BASE KEJIN_BROKER_ENDPOINT
unset KEJIN_NODE_BROKER KEJIN_NODE_PUB KEJIN_NODE_SUB
PY=/usr/bin/python3

START=${EPOCHREALTIME/./}
say () {
    local us=$((${EPOCHREALTIME/./} - START))
    printf '[%3d.%ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*"
}

if [ -n "${KEJIN_TEST_TMP:-}" ]; then
    TMP=$KEJIN_TEST_TMP
    OWN_TMP=0
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d /tmp/test_integrators.XXXXXX)
    OWN_TMP=1
fi
chmod 755 "$TMP"
RUN=$TMP/run
PASSED=0
declare -a STARTED=()           #  subscriber pids we started

fail () {
    echo "FAIL: $*" >&2
    exit 1
}

cleanup () {
    local rc=$? pid
    trap - EXIT
    for pid in "${STARTED[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ -d "$RUN" ]; then
        "$NODE_CMD" down --run "$RUN" >/dev/null 2>&1 || true
    fi
    if [ "$PASSED" = 1 ] && [ "$OWN_TMP" = 1 ]; then
        rm -rf "$TMP"
    elif [ "$PASSED" = 0 ]; then
        echo "files kept in $TMP" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

. "$ROOT/tests/support/ports.sh"
eventually () {
    local seconds=$1 i
    shift
    for ((i = 0; i < seconds * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

command -v node >/dev/null && command -v npm >/dev/null || \
    fail "node and npm are needed (deploy/deps.sh installs them)"

#  -------------------------------------------------------------------------
#  The examples' dependencies, as docs/integrators.md installs them

NPM_DIR=$BUILD/node
mkdir -p "$NPM_DIR"
if ! cmp -s "$ROOT/docs/examples/package-lock.json" "$NPM_DIR/package-lock.json" \
|| [ ! -d "$NPM_DIR/node_modules/zeromq" ]; then
    say "npm ci (zeromq 6, protobufjs 7) into $NPM_DIR"
    cp "$ROOT/docs/examples/package.json" "$ROOT/docs/examples/package-lock.json" "$NPM_DIR/"
    (cd "$NPM_DIR" && npm ci --ignore-scripts --no-audit --no-fund >npm.log 2>&1) || {
        cat "$NPM_DIR/npm.log" >&2
        rm -f "$NPM_DIR/package-lock.json"
        fail "npm ci failed"
    }
fi
export NODE_PATH=$NPM_DIR/node_modules
mkdir -p "$TMP/py"
(cd "$ROOT" && protoc --python_out="$TMP/py" -Iproto proto/*.proto) || fail "protoc failed"

#  -------------------------------------------------------------------------
free_port_base || fail "no three free ports in a row"

say "up with the demo data: run $RUN, ports $BASE-$((BASE + 2))"
#  The log holds the registry's events only (bank-2 below reads registry.
#  and must reach the log's head): no IPO demo pool
out=$(KEJIN_DEMO_IPO=0 KEJIN_BIN=$BIN "$NODE_CMD" up --run "$RUN" --port-base "$BASE" 2>&1) || {
    echo "$out"
    fail "kejin-node up failed"
}
grep -q "Kejin node up" <<<"$out" || { echo "$out"; fail "up printed no summary"; }
# shellcheck source=/dev/null
source "$RUN/node.env"
kejin () {
    "$BIN/kejin" "$@"
}
#  The node runs with keys: the examples connect with an integrator's, as
#  docs/integrators.md tells a new integrator to (bin/kejin has the
#  node's operator key through KEJIN_NODE_KEYS)
[ -n "${KEJIN_NODE_KEYS:-}" ] || fail "node.env names no KEJIN_NODE_KEYS"
kejin keys new bank-1 --role integrator --city 210300 >/dev/null || \
    fail "kejin keys new bank-1"
export KEJIN_KEY_FILE=$KEJIN_NODE_KEYS/secret/bank-1.key_secret

say "node.env names the endpoint that kejin status calls pub"
[ "$KEJIN_NODE_PUB" = "tcp://127.0.0.1:$((BASE + 2))" ] || \
    fail "node.env: KEJIN_NODE_PUB=$KEJIN_NODE_PUB, expected port $((BASE + 2))"
[ "$KEJIN_NODE_SUB" = "tcp://127.0.0.1:$((BASE + 1))" ] || \
    fail "node.env: KEJIN_NODE_SUB=$KEJIN_NODE_SUB, expected port $((BASE + 1))"
status=$(kejin status)
grep -q "^pub      $KEJIN_NODE_PUB " <<<"$status" || { echo "$status"; fail "kejin status: no pub $KEJIN_NODE_PUB"; }
grep -q "^sub      $KEJIN_NODE_SUB " <<<"$status" || { echo "$status"; fail "kejin status: no sub $KEJIN_NODE_SUB"; }
grep -qE "^  pub +$KEJIN_NODE_PUB " <<<"$out" || { echo "$out"; fail "kejin-node up: no pub"; }

#  The head once every demo event is in the log: the registry's outbox
#  is empty and the head no longer moves
head_now () {
    kejin events stats --json | $PY -c 'import json,sys; print(json.load(sys.stdin).get("head", 0))'
}
settled () {
    local pending a b
    pending=$(psql "$KEJIN_PG_DSN" -Atc "SELECT count (*) FROM registry.kj_outbox") || return 1
    [ "$pending" = 0 ] || return 1
    a=$(head_now)
    sleep 1
    b=$(head_now)
    [ "$a" = "$b" ] && [ "$a" -gt 0 ]
}
eventually 120 settled || fail "the demo's events did not settle in the log"
HEAD1=$(head_now)
say "log head $HEAD1 after the demo load"

#  Kinds of rows the demo loaded, from the registry itself
count_sql () {
    psql "$KEJIN_PG_DSN" -Atc "$1"
}
ENTERPRISES=$(count_sql "SELECT count (*) FROM registry.enterprise")
INSTITUTIONS=$(count_sql "SELECT count (*) FROM registry.institution")
PRODUCTS=$(count_sql "SELECT count (*) FROM registry.product")
[ "$ENTERPRISES" = 2000 ] || fail "demo: $ENTERPRISES enterprises, expected 2000"
say "registry: $ENTERPRISES enterprises, $INSTITUTIONS institutions, $PRODUCTS products"

#  Every offset 1..$2 once, in order, in file $1
check_complete () {
    local file=$1 head=$2
    $PY - "$file" "$head" <<'EOF' || return 1
import sys
offsets = [int(line.split()[0]) for line in open(sys.argv[1])]
head = int(sys.argv[2])
if offsets != list(range(1, head + 1)):
    seen = set()
    dups = sorted({o for o in offsets if o in seen or seen.add(o)})
    missing = sorted(set(range(1, head + 1)) - set(offsets))
    print("%d lines for head %d; duplicates %s; missing %s; out of order %s"
          % (len(offsets), head, dups[:10], missing[:10],
             offsets != sorted(offsets)), file=sys.stderr)
    sys.exit(1)
EOF
}

#  Distinct keys of one topic in file $1
keys_of () {
    awk -v t="$2" '$2 == t { print $3 }' "$1" | sort -u | wc -l
}

lines () {
    [ -f "$1" ] && wc -l <"$1" || echo 0
}

at_least () {
    [ "$(lines "$1")" -ge "$2" ]
}

wait_exit () {
    local pid=$1 i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    return 1
}

#  -------------------------------------------------------------------------
#  One example: $1 a name, the rest its command line without options
run_example () {
    local name=$1
    shift
    local -a cmd=("$@")
    local out=$TMP/$name.out offsets=$TMP/$name.offset err=$TMP/$name.err pid head

    say "$name: replay from 0 into $out, kill -9 mid-stream"
    "${cmd[@]}" --from 0 --offset-file "$offsets" --out "$out" 2>>"$err" &
    pid=$!
    STARTED+=("$pid")
    eventually 60 at_least "$out" 1000 || fail "$name: no 1,000 events in 60 s"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    say "$name: killed at $(lines "$out") lines (offset file: $(cat "$offsets" 2>/dev/null))"

    say "$name: restart from its offset file; more demo data arrives live"
    "${cmd[@]}" --offset-file "$offsets" --out "$out" 2>>"$err" &
    pid=$!
    STARTED+=("$pid")
    eventually 60 at_least "$out" "$HEAD1" || fail "$name: not caught up to $HEAD1"
    kejin demo load --enterprises 100 --seed "$SEED" >/dev/null || fail "demo load seed $SEED"
    SEED=$((SEED + 1))
    eventually 30 at_least "$out" $((HEAD1 + 50)) || fail "$name: no live events"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    say "$name: killed again at $(lines "$out") lines"

    eventually 120 settled || fail "the new events did not settle in the log"
    head=$(head_now)
    "${cmd[@]}" --offset-file "$offsets" --out "$out" 2>>"$err" &
    pid=$!
    STARTED+=("$pid")
    eventually 60 at_least "$out" "$head" || fail "$name: not caught up to $head"
    #  Three loads, each once the last is read: at least the later ones
    #  reach a subscriber that waits idle on the live stream, however
    #  slow a loaded machine made its catching up (one load 1.5 s after
    #  the catch-up was all read by replay once, at load 20)
    for round in 1 2 3; do
        sleep 1
        kejin demo load --enterprises 100 --seed "$SEED" >/dev/null || fail "demo load seed $SEED"
        SEED=$((SEED + 1))
        eventually 120 settled || fail "the new events did not settle in the log"
        head=$(head_now)
        eventually 60 at_least "$out" "$head" || fail "$name: not caught up live to $head (round $round)"
    done
    kill -TERM "$pid"
    wait_exit "$pid" || fail "$name: still running 10 s after SIGTERM"
    grep -q '"gaps_found"' "$err" || { cat "$err"; fail "$name: no summary on SIGTERM"; }
    #  The last run got the last demo load live, and found no gap it did
    #  not repair
    tail -n 1 "$err" | $PY -c 'import json, sys; s = json.load(sys.stdin); sys.exit(not (s["live"] > 0 and s["gaps_found"] == s["gaps_repaired"]))' || \
        fail "$name: last run: $(tail -n 1 "$err")"
    [ "$(cut -d' ' -f1 "$offsets")" = $((head + 1)) ] || fail "$name: offset file $(cat "$offsets"), head $head"

    check_complete "$out" "$head" || fail "$name: not every offset once, in order"
    local e i p
    e=$(keys_of "$out" registry.enterprise.imported)
    i=$(keys_of "$out" registry.institution.imported)
    p=$(keys_of "$out" registry.product.imported)
    [ "$e" = "$(count_sql "SELECT count (*) FROM registry.enterprise")" ] || \
        fail "$name: $e enterprises in the stream"
    [ "$i" = "$INSTITUTIONS" ] || fail "$name: $i institutions in the stream, $INSTITUTIONS loaded"
    [ "$p" = "$PRODUCTS" ] || fail "$name: $p products in the stream, $PRODUCTS loaded"
    say "$name: offsets 1..$head once each, in order, through 2 kill -9s;" \
        "$e enterprises, $i institutions, $p products; $(tail -n 1 "$err")"
}

SEED=2
run_example python env PYTHONPATH="$TMP/py" $PY "$ROOT/docs/examples/subscriber.py"
run_example node node "$ROOT/docs/examples/subscriber.js"

#  -------------------------------------------------------------------------
say "--since: the first event appended at or after a time"
eventually 120 settled || fail "events did not settle"
BEFORE=$(head_now)
sleep 1.1
SINCE=$(date -u +%Y-%m-%dT%H:%M:%S)
sleep 1.1
kejin demo load --enterprises 100 --seed "$SEED" >/dev/null || fail "demo load seed $SEED"
eventually 120 settled || fail "events did not settle"
want=$((BEFORE + 1))
got=$(kejin events tail --since "$SINCE" --count 1 --offset-file "$TMP/tail.offset" 2>/dev/null | awk '{ print $1 }')
[ "$got" = "$want" ] || fail "kejin events tail --since $SINCE: offset $got, expected $want"
got=$(PYTHONPATH="$TMP/py" $PY "$ROOT/docs/examples/subscriber.py" --since "$SINCE" --count 1 2>/dev/null | awk '{ print $1 }')
[ "$got" = "$want" ] || fail "subscriber.py --since $SINCE: offset $got, expected $want"
got=$(node "$ROOT/docs/examples/subscriber.js" --since "$SINCE" --count 1 2>/dev/null | awk '{ print $1 }')
[ "$got" = "$want" ] || fail "subscriber.js --since $SINCE: offset $got, expected $want"
say "--since $SINCE: offset $want in kejin, Python and Node"

say "Node decodes payloads with the node's own schemas (Events.Schemas)"
line=$(node "$ROOT/docs/examples/subscriber.js" --from "$want" --count 1 --decode 2>/dev/null)
say "  $line"
key=$(awk '{ print $3 }' <<<"$line")
grep -q "\"key\":\"$key\"" <<<"$line" || fail "decoded payload lacks its key: $line"
grep -q '"import_id"' <<<"$line" || fail "decoded payload is not a kj.BulkImported: $line"
[ -s "$BIN/kejin.desc" ] || fail "$BIN/kejin.desc missing"
line2=$(node "$ROOT/docs/examples/subscriber.js" --schemas "$BIN/kejin.desc" --from "$want" --count 1 --decode 2>/dev/null)
[ "$line2" = "$line" ] || fail "bin/kejin.desc decodes otherwise than the node's schemas"
say "Python decodes them the same way, with the node's schemas too"
line3=$(PYTHONPATH="$TMP/py" $PY "$ROOT/docs/examples/subscriber.py" --from "$want" --count 1 --decode 2>/dev/null)
[ "$line3" = "$line" ] || fail "Python and Node decode differently: $line3 / $line"

say "the wrong endpoint (sub, not pub) is named loudly, C, Python and Node"
set +e
timeout -s INT 8 "$BIN/kejin" events tail --pub "$KEJIN_NODE_SUB" --offset-file "$TMP/wrong.offset" >/dev/null 2>"$TMP/wrong.c"
PYTHONPATH="$TMP/py" $PY "$ROOT/docs/examples/subscriber.py" --pub "$KEJIN_NODE_SUB" --seconds 7 >/dev/null 2>"$TMP/wrong.py"
node "$ROOT/docs/examples/subscriber.js" --pub "$KEJIN_NODE_SUB" --seconds 7 >/dev/null 2>"$TMP/wrong.js"
set -e
for f in c py js; do
    grep -q "no live marker from $KEJIN_NODE_SUB in 5s: is it the broker's XPUB" "$TMP/wrong.$f" || {
        cat "$TMP/wrong.$f"
        fail "wrong endpoint not named ($f)"
    }
done
#  ... and the right one never warns
grep -q "no live marker" "$TMP/python.err" "$TMP/node.err" && fail "a warning with the right endpoint"

#  -------------------------------------------------------------------------
say "an integrator's key reads, may not change, and revoked is cut off"
kejin keys new bank-2 --role integrator --city 210300 --topics registry. \
    >/dev/null || fail "kejin keys new bank-2"
code=$(psql "$KEJIN_PG_DSN" -Atc "SELECT code FROM registry.enterprise LIMIT 1")
KEJIN_KEY=bank-2 kejin enterprise show "$code" >/dev/null || \
    fail "bank-2 (integrator) cannot read enterprise $code"
rc=0
out=$(KEJIN_KEY=bank-2 kejin enterprise update "$code" --name "Moved by bank-2" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "an integrator's key changed enterprise $code"
grep -q "PERMISSION_DENIED" <<<"$out" || { echo "$out"; fail "no PERMISSION_DENIED for the integrator's change"; }
bank2=$TMP/bank-2.out
PYTHONPATH="$TMP/py" KEJIN_KEY_FILE=$KEJIN_NODE_KEYS/secret/bank-2.key_secret \
    $PY "$ROOT/docs/examples/subscriber.py" --from 0 --topic registry. \
    --out "$bank2" 2>"$TMP/bank-2.err" &
pid=$!
STARTED+=("$pid")
#  bank-2 reads registry. only: the other services' events (the guarantee
#  demo's) are not its to count
registry_events () {
    count_sql "SELECT count (*) FROM events.log WHERE topic LIKE 'registry.%'"
}
eventually 120 settled || fail "events did not settle"
want=$(registry_events)
eventually 60 at_least "$bank2" "$want" || fail "bank-2: not caught up to $want registry events"
[ "$(lines "$bank2")" = "$want" ] || fail "bank-2: $(lines "$bank2") events, $want of them registry.: another topic came through"
KEJIN_KEY=bank-2 kejin events tail --topic registry. >"$TMP/tail.out" \
    2>"$TMP/tail.err" &
tail_pid=$!
STARTED+=("$tail_pid")
sleep 1
kejin keys revoke bank-2 >/dev/null || fail "kejin keys revoke bank-2"
sleep 2
cut=$(lines "$bank2")
kejin demo load --enterprises 100 --seed 99 >/dev/null || fail "demo load seed 99"
eventually 120 settled || fail "events did not settle"
sleep 2
[ "$(lines "$bank2")" = "$cut" ] || \
    fail "bank-2 revoked, yet got $(( $(lines "$bank2") - cut )) more events"
kill -TERM "$pid" 2>/dev/null || true
wait_exit "$pid" || true
#  kejin events tail with the revoked key ends, saying why, instead of
#  asking again for ever; a new command with it is told the key is revoked
rc=0
wait "$tail_pid" || rc=$?
[ "$rc" = 1 ] || fail "events tail with a revoked key: exit $rc, not 1"
grep -q "^kejin: UNAUTHENTICATED: the key bank-2 was revoked" "$TMP/tail.err" || \
    fail "events tail: $(tail -n 2 "$TMP/tail.err")"
rc=0
KEJIN_KEY=bank-2 kejin --timeout 1000 status >/dev/null 2>"$TMP/status.err" || rc=$?
[ "$rc" = 3 ] || fail "status with a revoked key: exit $rc"
grep -q "^kejin: the key bank-2 (KEJIN_KEY) was revoked" "$TMP/status.err" || \
    fail "status with a revoked key: $(cat "$TMP/status.err")"
say "bank-2: read $code, refused its change, cut at $cut lines once revoked"

PASSED=1
say "PASS"
