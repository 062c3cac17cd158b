#!/usr/bin/env bash
#  test_db_security: the embedded PostgreSQL is private (X7 of the security
#  plan, and the attack "any local user is a database superuser").
#
#  Starts a cluster with deploy/pg.sh in a folder of its own and checks:
#  the folder and socket are the owner's alone; another local Unix user
#  cannot connect, as the superuser or as any role; no role logs in without
#  its password (no trust); a service role made by `pg.sh role` logs in with
#  the password from DIR/pgpass, cannot run programs (COPY ... TO PROGRAM),
#  cannot read or write another service's schema, cannot create objects in
#  public; and kj_db's bootstrap leaves each schema to its own role.
#
#  Run by tests/run.sh, or by hand: tests/system/test_db_security.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PG=$ROOT/deploy/pg.sh
export KEJIN_PG_FAST=1

if [ -n "${KEJIN_TEST_TMP:-}" ]; then
    TMP=$KEJIN_TEST_TMP
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d /tmp/test_db_security.XXXXXX)
fi
chmod 755 "$TMP"                #  PostgreSQL runs as postgres when we are root
DIR=$TMP/pg
PASSED=0

cleanup () {
    "$PG" stop "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail () {
    echo "FAIL: $*" >&2
    exit 1
}

pass () {
    PASSED=$((PASSED + 1))
    echo "ok $PASSED - $*"
}

#  psql with a connection string; prints the first column of the result
q () {
    local dsn=$1
    shift
    psql -X -q -t -A -w -v ON_ERROR_STOP=1 "$dsn" "$@"
}

#  The command must fail, and its error must contain the text
refused () {
    local text=$1 out
    shift
    if out=$("$@" 2>&1); then
        fail "expected a refusal ($text), got: $out"
    fi
    grep -qF -- "$text" <<<"$out" || fail "expected \"$text\", got: $out"
}

ADMIN=$("$PG" start "$DIR" | tail -n 1)
PORT=$(cat "$DIR/port")
SOCKET=$DIR/.s.PGSQL.$PORT

#  1. Private folder and socket
[ "$(stat -c %a "$DIR")" = 700 ] || fail "folder mode $(stat -c %a "$DIR")"
[ "$(stat -c %a "$SOCKET")" = 700 ] || fail "socket mode $(stat -c %a "$SOCKET")"
pass "cluster folder and socket are mode 700"

#  2. Another local user cannot reach the server at all
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
    refused "Permission denied" runuser -u nobody -- \
        psql -X -w "host=$DIR port=$PORT user=postgres dbname=postgres" \
        -c 'SELECT 1'
    refused "Permission denied" runuser -u nobody -- \
        psql -X -w "host=$DIR port=$PORT user=registry dbname=postgres" \
        -c 'SELECT 1'
    pass "user nobody cannot connect, as postgres or as a service role"
else
    echo "ok - # SKIP not root: no second user to try"
fi

#  3. The owner's superuser works; no trust for anyone else
[ "$(q "$ADMIN" -c 'SELECT current_user')" = postgres ] || \
    fail "the owner cannot log in as postgres"
[ "$(q "$ADMIN" -c 'SHOW password_encryption')" = scram-sha-256 ] || \
    fail "passwords are not scram-sha-256"
REG=$("$PG" role "$DIR" registry | tail -n 1)
EVT=$("$PG" role "$DIR" events | tail -n 1)
refused "no password supplied" \
    q "host=$DIR port=$PORT user=registry dbname=postgres" -c 'SELECT 1'
refused "password authentication failed" \
    q "host=$DIR port=$PORT user=registry dbname=postgres password=guess" \
    -c 'SELECT 1'
[ "$(q "$REG" -c 'SELECT current_user')" = registry ] || \
    fail "registry cannot log in with its passfile"
[ "$(stat -c %a "$DIR/pgpass")" = 600 ] || fail "pgpass is not mode 600"
[ "$(q "$ADMIN" -c "SELECT rolpassword LIKE 'SCRAM-SHA-256%' FROM pg_authid
                    WHERE rolname = 'registry'")" = t ] || \
    fail "registry's password is not stored as SCRAM"
#  The same role again keeps its password (the running daemons' passfile)
REG2=$("$PG" role "$DIR" registry | tail -n 1)
[ "$REG2" = "$REG" ] && [ "$(grep -c ':registry:' "$DIR/pgpass")" = 1 ] || \
    fail "a second 'pg.sh role registry' changed the password or the file"
[ "$(q "$REG" -c 'SELECT 1')" = 1 ] || fail "registry lost its login"
refused "role name must be" "$PG" role "$DIR" "x'; DROP ROLE postgres; --"
pass "superuser by peer only; roles by scram password from pgpass; no trust"

#  4. A service role is no superuser
refused "must be superuser or have privileges of the pg_execute_server_program" \
    q "$REG" -c "COPY (SELECT 1) TO PROGRAM 'id'"
refused "permission denied" q "$REG" -c 'CREATE ROLE intruder'
refused "permission denied" q "$REG" -c 'CREATE DATABASE intruder'
refused "permission denied for schema public" \
    q "$REG" -c 'CREATE TABLE public.intruder (x int)'
pass "a service role cannot run programs, make roles or databases, or write public"

#  5. Each schema to its own role (kj_db's bootstrap makes the same grants)
q "$ADMIN" -c "
    CREATE SCHEMA IF NOT EXISTS registry AUTHORIZATION registry;
    CREATE SCHEMA IF NOT EXISTS events AUTHORIZATION events;" >/dev/null
q "$EVT" -c 'CREATE TABLE events.log (n int); INSERT INTO events.log VALUES (1)'
q "$REG" -c 'CREATE TABLE registry.enterprise (n int)'
refused "permission denied for schema events" \
    q "$REG" -c 'SELECT * FROM events.log'
refused "permission denied for schema events" \
    q "$REG" -c 'INSERT INTO events.log VALUES (2)'
refused "permission denied for schema registry" \
    q "$EVT" -c 'SELECT * FROM registry.enterprise'
refused "must be owner" q "$REG" -c 'ALTER SCHEMA events OWNER TO registry'
[ "$(q "$EVT" -c 'SELECT count(*) FROM events.log')" = 1 ] || \
    fail "events lost its own row"
pass "roles are denied outside their own schema"

#  6. A cluster made before this rule (trust) is locked at its next start
"$PG" stop "$DIR" >/dev/null
sed -i 's/^local all all scram-sha-256$/local all all trust/' \
    "$DIR/data/kejin_hba.conf"
"$PG" start "$DIR" >/dev/null
refused "no password supplied" \
    q "host=$DIR port=$PORT user=registry dbname=postgres" -c 'SELECT 1'
pass "pg_hba is written anew at every start"

echo "$PASSED passed, 0 failed"
