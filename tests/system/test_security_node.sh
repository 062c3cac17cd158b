#!/usr/bin/env bash
#  test_security_node: the audit trail and the replay of events by topic
#  on a node as `make up` runs it (keys on, each service logging in as its
#  own role, the trail made by the node's superuser through db/admin_dsn).
#
#  Starts a node with deploy/kejin-node (registry and events only, no demo
#  data). An operator registers an enterprise and updates it; a change
#  refused by the service (an invalid code) is recorded too; an
#  integrator's change is refused at the broker. Checks the rows (caller
#  as the broker stamped it, method, object, code, before and after);
#  `kejin audit verify` passes (per service and for all); the registry's
#  role cannot UPDATE, DELETE or TRUNCATE its trail (X7); a row edited by
#  hand as the database owner makes `kejin audit verify` fail, naming it;
#  so does a chain the owner rewrites or empties, against the head the
#  seal anchored in the event log (audit.sealed).
#  X6 with keys: the submitter of a claim cannot approve it whatever --as
#  says, a second approval is refused, the database's constraint holds.
#  Replay keeps to an integrator's topics as the live stream does: a key
#  for `guarantee.` replays none of the node's `registry.` events and is
#  refused when it asks for them; a key for `registry.` replays them.
#  Live subscriptions to foreign topics are refused by the broker and
#  audited by the event log, 100 of 100, repeats coalesced.
#
#  Run by tests/run.sh, or by hand: tests/system/test_security_node.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../support/shell.sh
. "$ROOT/tests/support/shell.sh"
NODE=$ROOT/deploy/kejin-node
export KEJIN_PG_FAST=1
unset KEJIN_CONFIG KEJIN_DB_DSN KEJIN_PORT_BASE KEJIN_BROKER_ENDPOINT
unset KEJIN_NODE_BROKER KEJIN_NODE_PUB KEJIN_NODE_SUB KEJIN_KEY
chmod 755 "$TMP"                #  PostgreSQL runs as postgres when we are root
RUN=$TMP/run
DONE=0

cleanup () {
    local rc=$?
    trap - EXIT
    if [ -d "$RUN" ]; then
        "$NODE" down --run "$RUN" >/dev/null 2>&1 || true
    fi
    if [ "$DONE" = 1 ] && [ -z "${KEJIN_TEST_TMP:-}" ]; then
        rm -rf "$TMP"
    elif [ "$DONE" = 0 ]; then
        echo "files kept in $TMP" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

. "$ROOT/tests/support/ports.sh"
free_port_base || fail "no three free ports in a row"

#  The command must fail with exit code $1; its output goes to $OUT
OUT=
fails_with () {
    local want=$1 rc=0
    shift
    OUT=$("$@" 2>&1) || rc=$?
    [ "$rc" = "$want" ] || { echo "$OUT" >&2; fail "exit $rc, expected $want: $*"; }
}

#  A valid unified social credit code of region 210100, number n
code () {
    /usr/bin/python3 - "$1" <<'EOF'
import sys
cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
s = "91210100%08d" % int(sys.argv[1])
w = [3, 7, 9, 10, 5, 8, 4, 2]
c = 11 - sum(int(s[8 + i]) * w[i] for i in range(8)) % 11
s += "X" if c == 10 else "0" if c == 11 else str(c)
t, k = 0, 1
for ch in s:
    t += cs.index(ch) * k
    k = k * 3 % 31
print(s + cs[(31 - t % 31) % 31])
EOF
}

cat >"$TMP/node.conf" <<'EOF_CONF'
launcher
    services = events registry guarantee
EOF_CONF
out=$(KEJIN_BIN=$BIN "$NODE" up --run "$RUN" --config "$TMP/node.conf" \
      --port-base "$BASE" --no-demo 2>&1) || { echo "$out"; fail "kejin-node up failed"; }
# shellcheck source=/dev/null
source "$RUN/node.env"
PG=$KEJIN_PG_DSN
q () {
    psql -X -q -t -A -w -v ON_ERROR_STOP=1 "$@"
}
kejin () {
    "$BIN/kejin" "$@"
}

#  Without a key the CLI says that the node wants one, not that it is down
fails_with 3 env -u KEJIN_NODE_KEYS "$BIN/kejin" --timeout 500 status
grep -q "no key was given" <<<"$OUT" && ! grep -q "is the node up" <<<"$OUT" || \
    { echo "$OUT"; fail "a keyless client was not told to use a key"; }

#  An operator's changes, and one the service refuses
CODE=$(code 4711)
kejin enterprise add "$CODE" --name "审计测试" >/dev/null || fail "enterprise add failed"
kejin enterprise update "$CODE" --name "审计测试二" >/dev/null || fail "update failed"
fails_with 2 kejin enterprise add 91210100000000000X --name bad
#  An integrator's change is refused at the broker: the registry never runs
#  it, but records the refusal (X4: 100 of 100)
kejin keys new bank-a --role integrator --topics registry. >/dev/null
fails_with 1 env KEJIN_KEY=bank-a "$BIN/kejin" enterprise update "$CODE" --name x
grep -q "PERMISSION_DENIED.*bank-a (role integrator) may not call registry UpdateEnterprise" \
    <<<"$OUT" || { echo "$OUT"; fail "integrator not refused"; }

rows=$(q "$PG" -c "SELECT method, key, role, code, object, before IS NOT NULL
                  FROM registry_audit.trail WHERE key <> 'bank-a' ORDER BY id")
want="RegisterEnterprise|operator|operator|0|enterprise $CODE|t
UpdateEnterprise|operator|operator|0|enterprise $CODE|t
RegisterEnterprise|operator|operator|3|enterprise 91210100000000000X|t"
[ "$rows" = "$want" ] || { echo "$rows"; fail "trail rows are not as written"; }
[ "$(q "$PG" -c "SELECT after->>'name' IS NOT NULL OR after IS NOT NULL
                 FROM registry_audit.trail WHERE method = 'UpdateEnterprise'
                 AND key = 'operator'")" = t ] || \
    fail "the update has no after image"
pass "writes and a refusal recorded with the caller the broker stamped and the object named; a keyless CLI told to use a key"

for i in $(seq 2 100); do
    fails_with 1 env KEJIN_KEY=bank-a "$BIN/kejin" enterprise update "$CODE" --name "x$i"
done
[ "$(q "$PG" -c "SELECT count (*) FROM registry_audit.trail WHERE key = 'bank-a'
                 AND role = 'integrator' AND method = 'UpdateEnterprise' AND code = 7
                 AND message LIKE '%may not call registry UpdateEnterprise%'
                 AND before IS NULL")" = 100 ] || \
    { q "$PG" -c "SELECT * FROM registry_audit.trail WHERE key = 'bank-a'"; \
      fail "not every call refused at the broker is in the trail"; }
[ "$(q "$PG" -c "SELECT name FROM registry.enterprise WHERE code = '$CODE'")" = "审计测试二" ] || \
    fail "a refused change was applied"
pass "X4: 100 of 100 calls refused at the broker are in the registry's trail; none ran"

#  X4 where no service of their own records them: 100 Kejin calls to a
#  service with no worker here (matching), and plain MDP calls, go to the
#  event log's audit sink (events.audit) and are in its trail
for i in $(seq 1 100); do
    fails_with 1 env KEJIN_KEY=bank-a "$BIN/kejin" --timeout 3000 demand add \
        --enterprise "$CODE" --amount 100 --term 12
done
grep -q "PERMISSION_DENIED.*bank-a (role integrator) may not call matching AddDemand" \
    <<<"$OUT" || { echo "$OUT"; fail "integrator not refused by the sink"; }
/usr/bin/python3 - "$KEJIN_NODE_BROKER" "$RUN/keys" <<'EOF_PY' || fail "plain MDP refusals"
import sys, zmq, zmq.auth
endpoint, keys = sys.argv[1], sys.argv[2]
public, secret = zmq.auth.load_certificate(keys + "/secret/bank-a.key_secret")
server, _ = zmq.auth.load_certificate(keys + "/public/broker.key")
sock = zmq.Context.instance().socket(zmq.DEALER)
sock.linger = 0
sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = \
    public, secret, server
sock.connect(endpoint)
for i in range(3):
    sock.send_multipart([b"", b"MDPC01", b"nosuch.plain", b"hello"])
    if not sock.poll(5000):
        sys.exit("no answer to a plain MDP call")
    reply = sock.recv_multipart()
    if reply[3:4] != [b"403"] or b"may not call nosuch.plain" not in reply[4]:
        sys.exit("plain answer: %r" % reply)
EOF_PY
[ "$(q "$PG" -c "SELECT count (*) FROM events_audit.trail WHERE key = 'bank-a'
                 AND role = 'integrator' AND service = 'events.audit'
                 AND method = 'matching/AddDemand' AND code = 7
                 AND message LIKE '%may not call matching AddDemand%'")" = 100 ] || \
    { q "$PG" -c "SELECT * FROM events_audit.trail"; \
      fail "not every call refused for a service with no worker is in the trail"; }
[ "$(q "$PG" -c "SELECT count (*) FROM events_audit.trail WHERE key = 'bank-a'
                 AND method = 'nosuch.plain/' AND code = 7")" = 3 ] || \
    { q "$PG" -c "SELECT * FROM events_audit.trail"; \
      fail "a plain MDP call refused is not in the trail"; }
kejin audit verify >"$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify with the sink's rows failed"; }
grep -q "^events[. ].*events_audit *ok: 103 rows chained" "$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify did not check the event log's 103 rows"; }
pass "X4: 100 of 100 calls refused for a service with no worker, and 3 plain MDP calls, are in the event log's trail; verify passes"

#  A bulk import: a row per call in the trail, the import named, the
#  commit's counts in its after image, written in each call's transaction
CODE2=$(code 4712)
printf 'code,name,founded_on\n%s,批量一,2020-01-01\n' "$CODE2" >"$TMP/bulk.csv"
kejin enterprise import "$TMP/bulk.csv" >/dev/null || fail "bulk import failed"
rows=$(q "$PG" -c "SELECT method, key, code, object LIKE 'import %',
                          coalesce (after->>'imported', '-')
                   FROM registry_audit.trail WHERE method LIKE 'Import%' ORDER BY id")
want="ImportBegin|operator|0|t|-
ImportChunk|operator|0|t|-
ImportCommit|operator|0|t|1"
[ "$rows" = "$want" ] || { echo "$rows"; fail "the bulk import is not in the trail as it ran"; }
[ "$(q "$PG" -c "SELECT count (DISTINCT object) FROM registry_audit.trail
                 WHERE method IN ('ImportChunk', 'ImportCommit')")" = 1 ] || \
    fail "the import's calls do not name one import"
pass "a bulk import: one trail row per call, the import named, the commit's counts kept"

kejin audit verify --service registry >"$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify of an untouched trail failed"; }
grep -q "registry_audit *ok: 106 rows chained" "$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify did not report 106 rows"; }
kejin audit verify >"$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify of every service failed"; }
grep -q "^registry .*ok" "$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify of every service skipped registry"; }
pass "kejin audit verify passes"

#  X7: the service's own role
REG=$("$ROOT/deploy/pg.sh" role "$RUN/pg" registry | tail -n 1)
[ "$(q "$REG" -c 'SELECT current_user')" = registry ] || fail "cannot log in as registry"
for sql in "UPDATE registry_audit.trail SET code = 0" \
           "DELETE FROM registry_audit.trail" \
           "TRUNCATE registry_audit.trail" \
           "DELETE FROM registry_audit.chain" \
           "DROP TABLE registry_audit.trail"; do
    fails_with 1 q "$REG" -c "$sql"
    grep -qE "permission denied|must be owner" <<<"$OUT" || \
        { echo "$OUT"; fail "$sql: not a permission refusal"; }
done
[ "$(q "$REG" -c 'SELECT count (*) FROM registry_audit.trail')" = 106 ] || \
    fail "registry cannot read its trail"
pass "the registry's role may not update, delete or truncate its trail"

#  Edited by hand as the database owner: verify fails, naming the row
ROW=$(q "$PG" -c "SELECT id FROM registry_audit.trail WHERE method = 'UpdateEnterprise'
                   AND key = 'operator'")
q "$PG" -c "UPDATE registry_audit.trail SET key = 'someone-else' WHERE id = $ROW" >/dev/null
fails_with 1 kejin audit verify --service registry
grep -q "BROKEN at row $ROW: row $ROW does not match its hash" <<<"$OUT" || \
    { echo "$OUT"; fail "verify did not name row $ROW"; }
fails_with 1 kejin audit verify
grep -q "BROKEN at row $ROW" <<<"$OUT" || { echo "$OUT"; fail "verify of all did not name row $ROW"; }
pass "a row edited by hand: kejin audit verify fails, naming row $ROW"

#  The chain's head is anchored in the event log (audit.sealed, by the
#  seal that chained it): a chain the owner rewrites to match the edited
#  row, or a trail the owner empties, fails against the anchor
n=0
until [ "$(q "$PG" -c "SELECT count (*) FROM events.log WHERE topic = 'audit.sealed'
                       AND producer = 'registry'")" -gt 0 ]; do
    n=$((n + 1)); [ $n -lt 50 ] || fail "no audit.sealed event reached the log"
    sleep 0.1
done
q "$PG" -c "DELETE FROM registry_audit.chain" >/dev/null
q "$PG" -c "SELECT registry_audit.seal (100000)" >/dev/null
[ "$(q "$PG" -c "SELECT bad_row FROM registry_audit.verify ()")" = 0 ] || \
    fail "the rewritten chain does not hold on its own"
fails_with 1 kejin audit verify --service registry
grep -q "BROKEN at row .*place [0-9]* of the chain does not hold the hash the event log anchored" \
    <<<"$OUT" || { echo "$OUT"; fail "a rewritten chain passed verify"; }
q "$PG" -c "TRUNCATE registry_audit.trail, registry_audit.chain" >/dev/null
fails_with 1 kejin audit verify --service registry
grep -q "the chain ends at place 0, before place [0-9]* that the event log anchored" \
    <<<"$OUT" || { echo "$OUT"; fail "an emptied trail passed verify"; }
fails_with 1 kejin audit verify
grep -q "^registry .*BROKEN" <<<"$OUT" || { echo "$OUT"; fail "verify of all passed an emptied trail"; }
pass "a chain rewritten or emptied by the database owner fails against the head anchored in the event log"

#  Replay by the topics of the key (the live stream's rule)
kejin keys new bank-g --role integrator --topics guarantee. >/dev/null
tail_events () {
    local key=$1
    shift
    timeout 8 env KEJIN_KEY="$key" "$BIN/kejin" events tail --from 0 --json \
        --offset-file "$TMP/$key.offset" "$@" 2>"$TMP/$key.err" || true
}
n=$(tail_events bank-a --count 2 | grep -c '"topic": *"registry\.' || true)
[ "$n" = 2 ] || { cat "$TMP/bank-a.err"; fail "a registry. key replayed $n registry events, expected 2"; }
rm -f "$TMP"/*.offset
n=$(tail_events bank-g --count 1 | grep -c '"topic"' || true)
[ "$n" = 0 ] || fail "a guarantee. key replayed $n registry events"
rm -f "$TMP"/*.offset
n=$(tail_events bank-g --count 1 --topic registry. | grep -c '"topic"' || true)
[ "$n" = 0 ] || fail "a guarantee. key replayed $n events asking for registry."
grep -q "PERMISSION_DENIED.*outside the topics the key bank-g may read" "$TMP/bank-g.err" || \
    { cat "$TMP/bank-g.err"; fail "asking for registry. with a guarantee. key was not refused"; }
[ "$(q "$PG" -c "SELECT count (*) > 0 FROM events_audit.trail WHERE key = 'bank-g'
                 AND role = 'integrator' AND method = 'Replay' AND code = 7")" = t ] || \
    fail "the refused replay is not in the event log's audit trail"
pass "replay keeps to the key's topics: guarantee. replays no registry. events; the refusal audited"

#  X4 for live topics: each subscription the broker refuses is reported to
#  the event log, which audits it: a row per key and topic at once, and a
#  repeat of the same within 10 s counted in one row when the window
#  closes (docs/security.md)
/usr/bin/python3 - "$KEJIN_NODE_KEYS" "$KEJIN_NODE_PUB" <<'EOF_PY' || fail "the subscriber script failed"
import sys, time, zmq, zmq.auth
keys, endpoint = sys.argv[1], sys.argv[2]
sock = zmq.Context.instance().socket(zmq.SUB)
sock.linger = 0
public, secret = zmq.auth.load_certificate(keys + "/secret/bank-g.key_secret")
server, _ = zmq.auth.load_certificate(keys + "/public/broker.key")
sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = public, secret, server
#  Subscribe once connected: a subscription made before goes out once per
#  topic at the handshake, repeats and all folded into one
monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
sock.connect(endpoint)
if not monitor.poll(5000):
    raise SystemExit("no handshake with the broker's XPUB")
for i in range(100):
    sock.setsockopt(zmq.SUBSCRIBE, b"registry.x%d" % i)
for i in range(100):
    sock.setsockopt(zmq.SUBSCRIBE, b"registry.same")
time.sleep(1)
sock.close()
EOF_PY
subs () {
    q "$PG" -c "SELECT count (*) FROM events_audit.trail WHERE key = 'bank-g'
                AND role = 'integrator' AND method = 'Subscribe' AND code = 7 $1"
}
n=0
until [ "$(subs "AND object LIKE 'topic registry.x%'")" = 100 ]; do
    n=$((n + 1)); [ $n -lt 100 ] || \
        { subs "" ; fail "not every refused subscription is in the event log's trail"; }
    sleep 0.1
done
[ "$(subs "AND object = 'topic registry.x7'
           AND message LIKE '%subscription to ''registry.x7'' refused: the key bank-g (role integrator) may read only ''guarantee.''%'")" = 1 ] || \
    fail "a refused subscription's row does not say what was refused"
n=0
until [ "$(subs "AND object = 'topic registry.same'")" = 2 ]; do
    n=$((n + 1)); [ $n -lt 200 ] || \
        { subs "AND object = 'topic registry.same'"; fail "the repeats were not coalesced into one row"; }
    sleep 0.1
done
[ "$(subs "AND object = 'topic registry.same' AND message LIKE 'refused 99 more times within 10 s%'")" = 1 ] || \
    fail "the coalesced row does not count the 99 repeats"
sleep 1
#  (The refusals of `kejin events tail` above are there too: its "" and
#  "registry.")
mine="AND (object LIKE 'topic registry.x%' OR object = 'topic registry.same')"
[ "$(subs "$mine")" = 102 ] || fail "$(subs "$mine") rows, not 102"
kejin audit verify --service events >"$TMP/verify.out" || \
    { cat "$TMP/verify.out"; fail "verify of the event log's trail failed"; }
pass "X4 for live topics: 100 of 100 refused subscriptions audited by the event log, 100 repeats in 2 rows; kejin audit verify passes"

#  X6: four eyes and double approval, with the caller the broker stamps
#  (the key's name, whatever --as says)
kejin keys new ops-2 --role operator >/dev/null
kejin keys new ops-3 --role operator >/dev/null
g () {
    local key=$1
    shift
    KEJIN_KEY=$key "$BIN/kejin" guarantee "$@"
}
g operator guarantor add G1 --name 担保一 --yearly-cap 1000000 --qualified >/dev/null
g operator agreement add A1 --guarantor G1 --bank 工行 --bank-share 20 \
    --system-share 80 --national-share 40 --provincial-share 20 --rate 40 --per-claim-cap 50000 \
    --from 2026-01-01 --to 2027-12-31 >/dev/null
g operator guarantee add L1 --guarantor G1 --agreement A1 \
    --enterprise 91210100MA00000001 --category 创业类 --amount 100000 \
    --date 2026-01-15 >/dev/null
DC=$(g operator default L1 --amount 80000 --paid-on 2026-06-30 --json |
     /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
CLAIM=$(g operator claim submit "$DC" --as ops-2 --json |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
g ops-2 claim review "$CLAIM" --level city >/dev/null
g ops-2 claim review "$CLAIM" --level province >/dev/null
fails_with 1 g operator approve "$CLAIM" --as ops-3
grep -q "PERMISSION_DENIED.*four eyes" <<<"$OUT" || { echo "$OUT"; fail "the submitter approved"; }
g ops-2 approve "$CLAIM" >/dev/null || fail "ops-2 could not approve"
fails_with 1 g ops-3 approve "$CLAIM"
grep -q "FAILED_PRECONDITION.*already approved by ops-2" <<<"$OUT" || \
    { echo "$OUT"; fail "a second approval was not refused"; }
[ "$(q "$PG" -c "SELECT submitted_by || ',' || approved_by FROM guarantee.claim
                 WHERE id = $CLAIM")" = "operator,ops-2" ] || fail "claim not as approved"
#  The database holds the rule too: not even the owner makes them equal
fails_with 1 q "$PG" -c "UPDATE guarantee.claim SET approved_by = submitted_by WHERE id = $CLAIM"
grep -q "claim_four_eyes" <<<"$OUT" || { echo "$OUT"; fail "the database let four eyes go"; }
[ "$(q "$PG" -c "SELECT count (*) FROM guarantee_audit.trail WHERE method = 'ApproveClaim'
                 AND key = 'operator' AND code = 7")" = 1 ] || \
    fail "the refused approval is not in the audit trail"
pass "X6: the submitter cannot approve (as the broker stamps it, --as ignored), nor anyone twice; the database holds it too; the refusal audited"

DONE=1
echo "$PASSED passed, 0 failed"
