#!/usr/bin/env bash
#  test_cli_registry: every `kejin enterprise`, `product`, `institution`
#  and `code` command against a live node (kejin-broker and kejin-registry
#  on a database of their own in the scratch PostgreSQL), as centre staff
#  use them: what is printed for people, the --json output, the refusals
#  and their exit codes, and the Chinese messages under zh_CN.UTF-8.
#
#  Run by tests/run.sh, or by hand: tests/system/test_cli_registry.sh
#  (then it starts a PostgreSQL cluster of its own in its folder).

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/support/shell.sh
. "$ROOT/tests/support/shell.sh"
unset KEJIN_NODE_BROKER KEJIN_KEY_FILE KEJIN_NODE_KEYS KEJIN_CONFIG
PY=/usr/bin/python3

#  -------------------------------------------------------------------------
#  The node: a database, a broker on free ports, the registry

declare -a PIDS=()
PGDIR=${KEJIN_TEST_PG_DIR:-}
OWN_PG=
cleanup () {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [ -z "$OWN_PG" ] || "$ROOT/deploy/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
if [ -z "$PGDIR" ]; then
    PGDIR=$TMP/pg
    OWN_PG=1
    chmod 755 "$TMP"
    KEJIN_PG_FAST=1 "$ROOT/deploy/pg.sh" start "$PGDIR" >/dev/null
fi
ADMIN=$("$ROOT/deploy/pg.sh" dsn "$PGDIR")
DB=cli_registry_$$
psql "$ADMIN" -qX -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB TEMPLATE template0" >/dev/null
DSN=${ADMIN/dbname=postgres/dbname=$DB}

"$BIN/kejin-broker" -s "broker/endpoint=tcp://127.0.0.1:*" \
    -s "broker/endpoints_file=$TMP/broker.endpoints" \
    -s "broker/pub_endpoint=tcp://127.0.0.1:*" \
    -s "broker/sub_endpoint=tcp://127.0.0.1:*" \
    -s broker/insecure=true 2>"$TMP/broker.log" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
    [ -s "$TMP/broker.endpoints" ] && grep -q '^endpoint=' "$TMP/broker.endpoints" && break
    sleep 0.05
done
export KEJIN_NODE_BROKER
KEJIN_NODE_BROKER=$(sed -n 's/^endpoint=//p' "$TMP/broker.endpoints")
[ -n "$KEJIN_NODE_BROKER" ] || fail "the broker did not come up: $(cat "$TMP/broker.log")"
"$BIN/kejin-registry" -s "node/broker=$KEJIN_NODE_BROKER" -s "db/dsn=$DSN" \
    -s registry/relay=false 2>"$TMP/registry.log" &
PIDS+=($!)
for ((i = 0; i < 200; i++)); do
    "$BIN/kejin" --timeout 500 code check 91210100MA0QEK7B6N >/dev/null 2>&1 && break
    sleep 0.1
done
run code check 91210100MA0QEK7B6N
[ "$RC" = 0 ] || fail "the registry did not come up: $(cat "$TMP/err" "$TMP/registry.log")"

#  Run kejin under the Chinese locale
run_zh () {
    RC=0
    LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "$BIN/kejin" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}
#  A field of the JSON on stdout: json EXPR (python, the object is j)
json () {
    $PY -c "import json,sys; j=json.load(open('$TMP/out')); print($1)"
}
expect () {
    local want=$1
    shift
    [ "$RC" = "$want" ] || fail "$*: exit $RC, not $want; stdout: $(cat "$TMP/out"); stderr: $(cat "$TMP/err")"
}
