#!/usr/bin/env bash
#  test_node: deploy/kejin-node end to end, against the built binaries.
#
#  Refuses a config a daemon would refuse (read through `kejin config`),
#  starts a node in a folder of its own on free ports, kills the broker
#  with SIGKILL and expects the supervisor to start it again, scales a
#  service when one is built (with `scale` and with `up --scale` on the
#  running node), stops the node and checks that nothing is
#  left: no process with the run folder in its command line, no socket
#  file, no port in use.
#
#  Run by tests/run.sh (KEJIN_ROOT, KEJIN_BIN and KEJIN_TEST_TMP set), or
#  by hand from anywhere: tests/system/test_node.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$(realpath -m -- "${KEJIN_BIN:-$ROOT/bin}")
NODE=$ROOT/deploy/kejin-node
export KEJIN_PG_FAST=1          #  a scratch database: no fsync
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_PORT_BASE KEJIN_BROKER_ENDPOINT

START=${EPOCHREALTIME/./}
say () {
    local us=$((${EPOCHREALTIME/./} - START))
    printf '[%3d.%ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*"
}

#  Temporary folder: the runner's, else our own (removed if we pass)
if [ -n "${KEJIN_TEST_TMP:-}" ]; then
    TMP=$KEJIN_TEST_TMP
    OWN_TMP=0
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d /tmp/test_node.XXXXXX)
    OWN_TMP=1
fi
chmod 755 "$TMP"                #  PostgreSQL runs as postgres when we are root
RUN=$TMP/run
PASSED=0

node () {
    "$NODE" "$@"
}

indent () {
    sed 's/^/    /'
}

fail () {
    echo "FAIL: $*" >&2
    if [ -d "$RUN" ]; then
        echo "--- kejin-node status:" >&2
        node status --run "$RUN" >&2 || true
        echo "--- supervisor.log:" >&2
        tail -n 30 "$RUN/logs/supervisor.log" >&2 2>/dev/null || true
    fi
    exit 1
}

#  Whatever happens, leave nothing running.
cleanup () {
    local rc=$?
    trap - EXIT
    if [ -d "$RUN" ]; then
        node down --run "$RUN" >/dev/null 2>&1 || node down --run "$RUN" >&2 || true
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
free_port_base || fail "no three free ports in a row"
EP=tcp://127.0.0.1:$BASE

#  Field of one copy in `kejin-node status`: DAEMON COPY PID STATE RESTARTS
copy_field () {
    local daemon=$1 copy=$2 field=$3
    node status --run "$RUN" 2>/dev/null |
        awk -v d="$daemon" -v c="$copy" -v f="$field" '$1 == d && $2 == c { print $f }'
}

count_up () {
    node status --run "$RUN" 2>/dev/null |
        awk -v d="$1" '$1 == d && $4 == "up" { n++ } END { print n + 0 }'
}

answers () {
    KEJIN_NODE_KEYS=$RUN/keys "$BIN/kejin" --broker "$EP" --timeout 500 \
        status >/dev/null 2>&1
}

#  Poll a command for up to $1 seconds
eventually () {
    local seconds=$1 i
    shift
    for ((i = 0; i < seconds * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

{ [ -x "$BIN/kejin-broker" ] && [ -x "$BIN/kejin" ]; } || \
    fail "$BIN/kejin-broker or $BIN/kejin missing: run make first"

#  -------------------------------------------------------------------------
#  The launcher reads the config through `kejin config`, as the daemons do
say "up with a config a daemon would refuse: exit 2, naming file and line"
cat >"$TMP/bad.conf" <<'EOF_CONF'
registry
    relay = ture
EOF_CONF
rc=0
out=$(KEJIN_BIN=$BIN node up --run "$RUN" --config "$TMP/bad.conf" \
      --port-base "$BASE" --no-demo 2>&1) || rc=$?
[ "$rc" = 2 ] || { echo "$out"; fail "up with relay = ture: exit $rc, expected 2"; }
grep -q "bad.conf:2: registry/relay = \"ture\"" <<<"$out" || \
    { echo "$out"; fail "refusal does not name bad.conf:2 and the key"; }
[ ! -f "$RUN/supervisor.pid" ] || fail "a node started on a refused config"
if [ -x "$BIN/kejin-registry" ]; then
    rc=0
    "$BIN/kejin-registry" -c "$TMP/bad.conf" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "kejin-registry with relay = ture: exit $rc, expected 2"
fi

"$BIN/kejin" config check --config "$ROOT/deploy/kejin.conf" >/dev/null || \
    fail "the example deploy/kejin.conf does not pass kejin config check"
printf 'regsitry\n    workers = 2\n' >"$TMP/typo.conf"
rc=0
out=$("$BIN/kejin" config check --config "$TMP/typo.conf" 2>&1) || rc=$?
{ [ "$rc" = 2 ] && grep -q 'typo.conf:1: no section "regsitry"' <<<"$out"; } || \
    { echo "$out"; fail "a section no daemon owns passed kejin config check"; }
rc=0
"$BIN/kejin" config get node/cty >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "kejin config get of an unknown path: exit $rc, expected 2"
rc=0
KEJIN_DB_DSN=$'host=a\nport=1' "$BIN/kejin" config get db/dsn >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "kejin config get of a value with a newline: exit $rc, expected 2"

cat >"$TMP/node.conf" <<'EOF_CONF'
#   A value with "#" inside quotes, and a comment after it
node
    city = 210300   # Anshan
db
    admin_dsn = "# not a comment"
EOF_CONF
[ "$("$BIN/kejin" config get --config "$TMP/node.conf" node/city db/admin_dsn \
     | paste -sd '|')" = "210300|# not a comment" ] || \
    fail "kejin config get does not read node.conf as written"

say "up: run $RUN, ports $BASE-$((BASE + 2))"
out=$(KEJIN_BIN=$BIN node up --run "$RUN" --config "$TMP/node.conf" \
      --port-base "$BASE" --no-demo 2>&1) || {
    echo "$out"
    fail "kejin-node up failed"
}
indent <<<"$out"
grep -q "Kejin node up" <<<"$out" || fail "up printed no summary"
grep -q "(city 210300)" <<<"$out" || fail "up did not read node/city from node.conf"
[ -f "$RUN/node.env" ] || fail "no $RUN/node.env"
grep -qx "export KEJIN_NODE_BROKER=$EP" "$RUN/node.env" || fail "node.env does not name $EP"

say "status shows the broker up"
rc=0
status=$(node status --run "$RUN") || rc=$?
[ "$rc" = 0 ] || { echo "$status"; fail "status exit $rc on a healthy node"; }
[ "$(copy_field kejin-broker 1 4)" = up ] || { echo "$status"; fail "broker not up in status"; }
[ "$(copy_field kejin-broker 1 5)" = 0 ] || fail "broker restarts not 0 at start"
grep -q "^broker   $EP" <<<"$status" || { echo "$status"; fail "status lacks kejin status output"; }
answers || fail "broker does not answer at $EP"
# shellcheck source=/dev/null
(source "$RUN/node.env" && "$BIN/kejin" --timeout 500 status >/dev/null) || \
    fail "kejin does not find the node through node.env"

say "each service logs in as its own role, by password"
#  The embedded cluster trusts no one but its owner: a service whose tables
#  are owned by its own role logged in with the password pg.sh made for it.
PG_DSN=$(source "$RUN/node.env" && echo "$KEJIN_PG_DSN")
[ -n "$PG_DSN" ] || fail "node.env names no KEJIN_PG_DSN"
role_owns_tables () {
    [ "$(psql -X -q -t -A -w "$PG_DSN" -c "SELECT count(*) FROM pg_tables
          WHERE schemaname = '$1' AND tableowner = '$1'" 2>/dev/null)" -gt 0 ]
}
for path in "$BIN"/kejin-registry "$BIN"/kejin-events; do
    [ -x "$path" ] || continue
    svc=${path##*/kejin-}
    eventually 20 role_owns_tables "$svc" || \
        fail "no table of schema $svc owned by role $svc: it did not log in"
done
[ "$(stat -c %a "$RUN/pg")" = 700 ] || fail "run/pg is not private (mode 700)"

say "up again: says it runs, exit 0"
again=$(node up --run "$RUN" --port-base "$BASE" --no-demo 2>&1) || fail "second up: exit $?"
grep -q "already runs" <<<"$again" || { echo "$again"; fail "second up did not say the node runs"; }

say "another node on the same ports is refused, naming the port"
if other=$(node up --run "$TMP/other" --port-base "$BASE" --no-demo 2>&1); then
    fail "a second node started on ports in use"
fi
grep -q "port $BASE" <<<"$other" || { echo "$other"; fail "refusal does not name port $BASE"; }

#  -------------------------------------------------------------------------
old=$(copy_field kejin-broker 1 3)
say "SIGKILL to the broker (pid $old)"
kill -KILL "$old"
restarted () {
    local pid
    pid=$(copy_field kejin-broker 1 3)
    [ -n "$pid" ] && [ "$pid" != "$old" ] && [ "$(copy_field kejin-broker 1 4)" = up ]
}
eventually 10 restarted || fail "broker not restarted within 10 s"
[ "$(copy_field kejin-broker 1 5)" = 1 ] || fail "restarts is not 1 after one kill"
eventually 5 answers || fail "restarted broker does not answer"
grep -q "kejin-broker.1 pid $old killed by SIGKILL" "$RUN/logs/supervisor.log" || \
    fail "supervisor.log does not record the kill"
say "restarted as pid $(copy_field kejin-broker 1 3), restarts=1, answers"

#  -------------------------------------------------------------------------
SERVICE=
for path in "$BIN"/kejin-*; do
    name=$(basename "$path")
    { [ -x "$path" ] && [ "$name" != kejin-broker ] && [[ $name =~ ^kejin-[a-z0-9_]+$ ]]; } \
        || continue
    SERVICE=$name
    break
done
if [ -z "$SERVICE" ]; then
    say "SKIP scale: no service daemon besides kejin-broker in $BIN yet"
else
    say "scale ${SERVICE#kejin-}=2"
    eventually 10 test "$(count_up "$SERVICE")" = 1 || fail "$SERVICE not up before scaling"
    node scale "${SERVICE#kejin-}=2" --run "$RUN" | indent || fail "scale to 2 failed"
    [ "$(count_up "$SERVICE")" = 2 ] || fail "$SERVICE: not 2 copies up after scale"
    say "scale ${SERVICE#kejin-}=1"
    node scale "${SERVICE#kejin-}=1" --run "$RUN" >/dev/null || fail "scale to 1 failed"
    [ "$(count_up "$SERVICE")" = 1 ] || fail "$SERVICE: not 1 copy up after scale down"
    #  `make up SCALE=...` on a running node: applied, not ignored
    say "up --scale ${SERVICE#kejin-}=2 on the running node"
    out=$(node up --run "$RUN" --scale "${SERVICE#kejin-}=2" --no-demo 2>&1) || \
        { echo "$out"; fail "up --scale on a running node failed"; }
    grep -q "scaling it" <<<"$out" || { echo "$out"; fail "up --scale did not say it scales"; }
    [ "$(count_up "$SERVICE")" = 2 ] || fail "$SERVICE: not 2 copies up after up --scale"
    #  `kejin status` shows each copy (process), not only threads
    copies () {
        KEJIN_NODE_KEYS=$RUN/keys "$BIN/kejin" --broker "$EP" --timeout 500 \
            status 2>/dev/null |
            awk -v s="${SERVICE#kejin-}" '/^SERVICE +COPY/ { on = 1; next }
                on && $1 == s { n++ } END { print n + 0 }'
    }
    eventually 10 test "$(copies)" = 2 || {
        KEJIN_NODE_KEYS=$RUN/keys "$BIN/kejin" --broker "$EP" status
        fail "kejin status does not show 2 copies of ${SERVICE#kejin-}"
    }
    node scale "${SERVICE#kejin-}=1" --run "$RUN" >/dev/null || fail "scale back to 1 failed"
fi

#  -------------------------------------------------------------------------
say "down"
node down --run "$RUN" | indent || fail "down failed"
left=$(ps -eo pid=,args= | R=$RUN awk 'index($0, ENVIRON["R"])')
[ -z "$left" ] || fail "processes with $RUN in their command line remain: $left"
sockets=$(find "$RUN" -type s)
[ -z "$sockets" ] || fail "socket files remain: $sockets"
for port in "$BASE" $((BASE + 1)) $((BASE + 2)); do
    port_free "$port" || fail "port $port still in use"
done
[ ! -f "$RUN/supervisor.pid" ] || fail "supervisor.pid left behind"

say "down again: nothing to stop, exit 0; status exits 3"
again=$(node down --run "$RUN") || fail "second down: exit $?"
grep -q "No node runs" <<<"$again" || fail "second down did not say nothing runs"
rc=0
node status --run "$RUN" >/dev/null || rc=$?
[ "$rc" = 3 ] || fail "status of a stopped node: exit $rc, expected 3"

PASSED=1
say "PASS"
