#!/usr/bin/env bash
#  test_ipo_walk: issue 15's "Done when", as a new user walks it after
#  `make up`: a node started by deploy/kejin-node on free ports with its
#  demo data (the registry's, then `kejin ipo demo`), then through bin/kejin
#  with the node's operator key:
#    the provincial funnel (kejin ipo report), the firms reformed for STAR
#    (kejin ipo pool list), one firm's file (kejin ipo pool show), which
#    standards it meets and what it lacks for STAR (kejin ipo fit firm),
#    the batch fit of the registry (kejin ipo fit run), the firm moved to
#    tutoring filed, its subsidy claim filed, approved by the city's and
#    the province's finance bureaus, and each of those steps an event in
#    the node's log (kejin events tail).
#
#  Run by tests/run.sh (KEJIN_ROOT, KEJIN_BIN and KEJIN_TEST_TMP set), or
#  by hand: tests/system/test_ipo_walk.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$(realpath -m -- "${KEJIN_BIN:-$ROOT/bin}")
NODE=$ROOT/deploy/kejin-node
export KEJIN_PG_FAST=1                  #  a scratch database: no fsync
export KEJIN_DEMO_ENTERPRISES=${KEJIN_DEMO_ENTERPRISES:-400}
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_PORT_BASE KEJIN_BROKER_ENDPOINT

if [ -n "${KEJIN_TEST_TMP:-}" ]; then
    TMP=$KEJIN_TEST_TMP
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d /tmp/test_ipo_walk.XXXXXX)
fi
chmod 755 "$TMP"                        #  PostgreSQL runs as postgres as root
RUN=$TMP/run

fail () {
    echo "FAIL: $*" >&2
    [ -f "$TMP/out" ] && { echo "--- out:" >&2; cat "$TMP/out" >&2; }
    [ -f "$TMP/err" ] && { echo "--- err:" >&2; cat "$TMP/err" >&2; }
    exit 1
}
pass () {
    echo "ok: $*"
}

cleanup () {
    local rc=$?
    trap - EXIT
    [ -d "$RUN" ] && { "$NODE" down --run "$RUN" >/dev/null 2>&1 || true; }
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$BIN/kejin-ipo" ] && [ -x "$BIN/kejin-registry" ] || \
    fail "$BIN/kejin-ipo or kejin-registry missing: run make first"

. "$ROOT/tests/support/ports.sh"
free_port_base || fail "no three free ports in a row"

KEJIN_BIN=$BIN "$NODE" up --run "$RUN" --port-base "$BASE" \
    >"$TMP/up.out" 2>&1 || { cat "$TMP/up.out" >&2; fail "kejin-node up"; }
grep -q "kejin ipo demo: [1-9][0-9]* firms in the reserve pool" "$TMP/up.out" \
    || { cat "$TMP/up.out" >&2; fail "up loaded no IPO demo pool"; }
pass "make up's node, with the IPO demo pool"
# shellcheck source=/dev/null
source "$RUN/node.env"

#  bin/kejin with the node's keys: stdout in $TMP/out, stderr in $TMP/err
kejin () {
    RC=0
    timeout 120 "$BIN/kejin" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}
json () {   #  a field of the JSON in $TMP/out, by a Python expression
    /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" \
        "$TMP/out"
}

#  1. The provincial funnel
kejin ipo report
[ "$RC" = 0 ] || fail "ipo report: exit $RC"
grep -q "^CITY  *CANDIDATES  *POOL  *TARGET" "$TMP/out" || fail "no funnel table"
kejin --json ipo report
[ "$(json "sum(f.get('pool', 0) for f in d['funnel'])")" -gt 0 ] || \
    fail "no firm in a pool"
[ "$(json "sum(f.get('province_pool', 0) for f in d['funnel'])")" -gt 0 ] || \
    fail "no firm in the provincial pool"
pass "the provincial funnel"

#  2. A firm reformed for STAR, and its file
kejin --json ipo pool list --state shareholding_reformed
[ "$RC" = 0 ] || fail "pool list: exit $RC"
FIRM=$(json "d['firms'][0]['firm']")
[ -n "$FIRM" ] || fail "no firm reformed in the demo"
kejin ipo pool show "$FIRM"
[ "$RC" = 0 ] || fail "pool show: exit $RC"
grep -q "^$FIRM " "$TMP/out" && grep -q "board STAR" "$TMP/out" && \
    grep -q "shareholding_reformed" "$TMP/out" || fail "the file of $FIRM"
pass "the file of $FIRM"

#  3. Which standards it meets, and what it lacks for STAR, valued at
#  ¥800m (every STAR standard asks ¥1bn at least)
kejin ipo fit firm "$FIRM" --market-cap 800000000 --toward STAR
[ "$RC" = 0 ] || fail "fit firm: exit $RC"
grep -q "^meets: .*(standards 2024)$" "$TMP/out" || fail "fit: no standards met line"
grep -q "^nearest on the board asked: STAR-[1-4], short by .*market_cap_fen ¥200,000,000.00" \
    "$TMP/out" || fail "fit: what it lacks for STAR"
pass "the fit of $FIRM: $(paste -sd ' ' "$TMP/out")"

#  4. The batch fit of the whole registry: firms newly meeting a standard
kejin ipo fit run
[ "$RC" = 0 ] || fail "fit run: exit $RC"
#  Every enterprise of the registry but the few refused or suspended
fitted=$(sed -n '1s/^batch [0-9]* (REGISTRY, standards 2024) FINISHED: \([0-9]*\) firms fitted, [0-9]* meet a standard, [0-9]* newly$/\1/p' "$TMP/out")
[ -n "$fitted" ] && [ "$fitted" -gt $((KEJIN_DEMO_ENTERPRISES * 9 / 10)) ] && \
    [ "$fitted" -le "$KEJIN_DEMO_ENTERPRISES" ] || \
    fail "fit run: not finished over the whole registry"
pass "batch fit: $(head -1 "$TMP/out")"

#  5. Tutoring filed, the claim filed, approved by city and province
#  --since takes whole seconds: wait a second first, so that SINCE is
#  after every event written before it (the batch fit's pool moves came
#  in the same second and were taken for this walk's, at times)
sleep 1
SINCE=$(date -u +%Y-%m-%dT%H:%M:%S)
kejin ipo stage "$FIRM" tutoring_filed
[ "$RC" = 0 ] || fail "stage tutoring_filed: exit $RC"
grep -q "¥3,000,000.00" "$TMP/out" || fail "tutoring filed did not make ¥3m due"
kejin --json ipo claim "$FIRM" TUTORING
[ "$RC" = 0 ] || fail "claim: exit $RC"
CLAIM=$(json "d['claim']['id']")
[ "$(json "d['claim']['status']")" = FILED ] || fail "claim not FILED"
[ "$(json "d['claim']['amount_fen']")" = 300000000 ] || fail "claim amount"
kejin ipo approve "$CLAIM" --level city
[ "$RC" = 0 ] && grep -q CITY_APPROVED "$TMP/out" || fail "city approval"
kejin ipo approve "$CLAIM" --level province
[ "$RC" = 0 ] && grep -q PAID "$TMP/out" || fail "province approval"
pass "tutoring filed, claim $CLAIM filed, approved and paid"

#  6. Each step an event, in order
kejin --json events tail --since "$SINCE" --topic ipo.firm.moved \
    --topic ipo.claim. --count 4 --offset-file "$TMP/offset"
[ "$RC" = 0 ] || fail "events tail: exit $RC"
topics=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["topic"], e.get("key", ""))' "$TMP/out" | paste -sd '|')
[ "$topics" = "ipo.firm.moved $FIRM|ipo.claim.filed $FIRM|ipo.claim.approved $FIRM|ipo.claim.paid $FIRM" ] \
    || fail "events: $topics"
pass "each step an event"
