#!/usr/bin/env bash
#  test_cli_keys: `kejin keys new|list|revoke` as an operator runs them:
#  exact output, refusals naming the option, file modes, and a secret file
#  that another language's ZeroMQ binding (pyzmq) reads as it is.
#
#  Run by tests/run.sh, or by hand: tests/system/test_cli_keys.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/support/shell.sh
. "$ROOT/tests/support/shell.sh"
export KEJIN_NODE_KEYS=$TMP/keys

run keys new bank-1 --role integrator --city 210300 --topics registry.
[ "$RC" = 0 ] || fail "new: exit $RC $(cat "$TMP/err")"
grep -qx "issued bank-1 (integrator, city 210300)" "$TMP/out" || fail "new: $(cat "$TMP/out")"
SECRET=$TMP/keys/secret/bank-1.key_secret
[ "$(stat -c %a "$SECRET")" = 600 ] || fail "secret file mode $(stat -c %a "$SECRET")"
[ "$(stat -c %a "$TMP/keys/secret")" = 700 ] || fail "secret folder not 700"
[ -f "$TMP/keys/public/bank-1.key" ] || fail "no public certificate"
grep -q "secret-key" "$TMP/keys/public/bank-1.key" && fail "secret key in the public file"
pass "new: public certificate in public/, secret file mode 600 in a 700 folder"

run --json keys new ops-1 --role operator --out "$TMP/ops-1.key_secret"
[ "$RC" = 0 ] || fail "new --out: exit $RC"
/usr/bin/python3 - "$TMP/out" "$TMP/ops-1.key_secret" <<'PY' || fail "JSON or pyzmq"
import json, sys, zmq.auth
line = json.load (open (sys.argv [1]))
assert line ["name"] == "ops-1" and line ["role"] == "operator", line
assert line ["secret_file"] == sys.argv [2], line
public, secret = zmq.auth.load_certificate (sys.argv [2])
assert public.decode () == line ["key"], (public, line)
assert secret and len (secret) == 40
PY
pass "--json, --out; pyzmq loads the secret file as it is"

check_refused () {
    local want=$1
    shift
    run "$@"
    [ "$RC" = 2 ] || fail "kejin $*: exit $RC, not 2"
    grep -qxF "$want" "$TMP/err" || { cat "$TMP/err" >&2; fail "kejin $*"; }
}
check_refused "kejin: --role: role must be service, operator, integrator or peer, not 'admin'" \
    keys new x --role admin
check_refused "kejin: --services: a service key names the MDP services it may serve, comma-separated (or *), not ''" \
    keys new svc --role service
check_refused "kejin: --topics: only an integrator key names topics; this is an operator key" \
    keys new y --role operator --topics registry.
check_refused "kejin: --city: city is a 6-digit region code (210100 Shenyang), not '2103'" \
    keys new z --role operator --city 2103
check_refused "kejin: keys new needs NAME and --role ROLE" keys new lonely
run keys new bank-1 --role integrator
[ "$RC" = 1 ] || fail "a taken name: exit $RC, not 1"
grep -qF "a key called bank-1 exists already" "$TMP/err" || fail "taken: $(cat "$TMP/err")"
pass "bad roles, rights, cities and taken names refused, naming the option"

run keys revoke bank-1
[ "$RC" = 0 ] || fail "revoke: exit $RC"
grep -qx "revoked bank-1: every new handshake with it fails" "$TMP/out" || fail "revoke output"
[ -f "$TMP/keys/revoked/bank-1.key" ] && [ ! -f "$TMP/keys/public/bank-1.key" ] || \
    fail "revoked certificate not moved"
run keys revoke bank-1
[ "$RC" = 1 ] || fail "revoke twice: exit $RC"
run keys revoke nobody
[ "$RC" = 1 ] && grep -q "no key is called nobody" "$TMP/err" || fail "revoke unknown"
pass "revoke moves the certificate to revoked/; twice or unknown: exit 1"

run keys list
[ "$RC" = 0 ] || fail "list: exit $RC"
awk '{ print $1, $2, $3, $4, $5 }' "$TMP/out" >"$TMP/cols"
diff -u - "$TMP/cols" <<'EOT' || fail "list"
NAME ROLE CITY SERVICES/TOPICS STATE
bank-1 integrator 210300 registry. revoked
ops-1 operator - - valid
EOT
env -u KEJIN_NODE_KEYS "$BIN/kejin" keys list >/dev/null 2>"$TMP/err" && fail "list without a directory"
grep -q "Give --dir DIR" "$TMP/err" || fail "no directory: $(cat "$TMP/err")"
pass "list: every key, sorted, with its state; no directory: says how to name one"

echo "$PASSED passed, 0 failed"
