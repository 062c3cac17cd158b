#!/usr/bin/env bash
#  test_cli_guarantee: `kejin guarantee calc --csv FILE [--json]`, offline,
#  as a finance bureau runs it: exact output for good rows, each bad row
#  refused with its row and column, exit codes, the header checked.
#
#  Run by tests/run.sh, or by hand: tests/system/test_cli_guarantee.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/support/shell.sh
. "$ROOT/tests/support/shell.sh"

expect () {
    local file=$1 want=$2
    diff -u <([ -z "$want" ] || printf '%s\n' "$want") "$TMP/$file" >&2 || \
        fail "$file of: kejin ${ARGS[*]}"
}

HEADER=id,kind,daichang_fen,rate_bp,per_claim_cap_fen,guarantor_cap_left_fen,budget_left_fen,comp_paid_fen,net_recovery_fen
cat >"$TMP/good.csv" <<CSV
$HEADER
c1,COMP,100000000,4000,50000000,50000000,50000000,,
c2,COMP,1000000,4000,400000,900000,400000,,
c3,COMP,9223372036854775807,4000,9223372036854775807,9223372036854775807,9223372036854775807,,
"c4, quoted",COMP,1000,4000,500,398,500,,
r1,RECOVERY,1000000,,,,,400000,333333
r2,RECOVERY,9223372036854775807,,,,,3689348814741910322,9223372036854775806
CSV

ARGS=(--json guarantee calc --csv "$TMP/good.csv")
run "${ARGS[@]}"
[ "$RC" = 0 ] || fail "exit $RC on good rows: $(cat "$TMP/err")"
expect out '{"id": "c1", "payable_fen": 40000000, "binding": ["rate"]}
{"id": "c2", "payable_fen": 400000, "binding": ["rate", "per_claim", "budget"]}
{"id": "c3", "payable_fen": 3689348814741910322, "binding": ["rate"]}
{"id": "c4, quoted", "payable_fen": 398, "binding": ["guarantor"]}
{"id": "r1", "province_refund_fen": 133333}
{"id": "r2", "province_refund_fen": 3689348814741910321}'
expect err ''
pass "--json: exact figures, binding terms in order, exact near INT64_MAX"

ARGS=(guarantee calc --csv "$TMP/good.csv")
run "${ARGS[@]}"
[ "$RC" = 0 ] || fail "exit $RC"
expect out 'ID          KIND      YUAN                        BINDING
c1          COMP      ¥400,000.00                 rate
c2          COMP      ¥4,000.00                   rate, per_claim, budget
c3          COMP      ¥36,893,488,147,419,103.22  rate
c4, quoted  COMP      ¥3.98                       guarantor
r1          RECOVERY  ¥1,333.33                   refund to the province
r2          RECOVERY  ¥36,893,488,147,419,103.21  refund to the province'
pass "a table in yuan for people"

cat >"$TMP/bad.csv" <<CSV
$HEADER
ok,COMP,1000,4000,1000,1000,1000,,
b1,COMP,1000000,4001,1,1,1,,
b2,COMP,-5,4000,1,1,1,,
b3,COMP,12x,4000,1,1,1,,
b4,COMP,1000,4000,1,1,1,5,
b5,comp,1,1,1,1,1,,
b6,COMP,1,1,1,1
b7,COMP,9223372036854775808,4000,1,1,1,,
b8,RECOVERY,100,,,,,101,1
b9,RECOVERY,100,,,,,40,
,COMP,1,1,1,1,1,,
CSV
ARGS=(--json guarantee calc --csv "$TMP/bad.csv")
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC with bad rows, not 2"
expect out '{"id": "ok", "payable_fen": 400, "binding": ["rate"]}'
B=$TMP/bad.csv
expect err "kejin: $B row 3, column rate_bp: rate_bp must be 0 to 4000 (the province pays at most 40% of a 代偿), not 4001
kejin: $B row 4, column daichang_fen: daichang_fen must be above 0, not -5
kejin: $B row 5, column daichang_fen: '12x' is not a whole number of fen (1 yuan = 100 fen)
kejin: $B row 6, column comp_paid_fen: kind COMP does not use it; leave it empty
kejin: $B row 7, column kind: 'comp' is not a kind: COMP or RECOVERY
kejin: $B row 8: 6 fields where the header has 9
kejin: $B row 9, column daichang_fen: 9223372036854775808 is beyond the largest amount, 9223372036854775807
kejin: $B row 10, column comp_paid_fen: comp_paid_fen (101) is more than daichang_fen (100): compensation is a share of the 代偿
kejin: $B row 11, column net_recovery_fen: is empty; kind RECOVERY needs it
kejin: $B row 12, column id: is empty; give each row an id"
pass "each bad row refused with its row and column; good rows still computed; exit 2"

printf 'id,kind,daichang_fen\nx,COMP,1\n' >"$TMP/header.csv"
ARGS=(guarantee calc --csv "$TMP/header.csv")
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC on a wrong header"
expect out ''
expect err "kejin: $TMP/header.csv row 1: the header must be
  $HEADER"
pass "a wrong header is refused, showing the right one"

printf '%s\n' "$HEADER" >"$TMP/empty.csv"
ARGS=(guarantee calc --csv "$TMP/empty.csv")
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC on no rows"
expect err "kejin: $TMP/empty.csv has no rows below its header"
ARGS=(guarantee calc --csv "$TMP/missing.csv")
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC on a missing file"
expect err "kejin: cannot read $TMP/missing.csv: No such file or directory"
printf '%s\nx,COMP,"1\n' "$HEADER" >"$TMP/broken.csv"
ARGS=(guarantee calc --csv "$TMP/broken.csv")
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC on broken CSV"
grep -q "row 2 is not well-formed CSV" "$TMP/err" || fail "broken CSV: $(cat "$TMP/err")"
pass "no rows, a missing file and broken CSV: exit 2 with the reason"

ARGS=(guarantee calc)
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC without --csv"
grep -q -- "--csv" "$TMP/err" || fail "no mention of --csv: $(cat "$TMP/err")"
ARGS=(guarantee calc --help)
run "${ARGS[@]}"
[ "$RC" = 0 ] || fail "--help exit $RC"
grep -q "^Usage: kejin guarantee calc --csv FILE" "$TMP/out" || fail "help text"
ARGS=(guarantee nonsense)
run "${ARGS[@]}"
[ "$RC" = 2 ] || fail "exit $RC for an unknown verb"
grep -q "unknown guarantee command 'nonsense'" "$TMP/err" || fail "unknown verb"
pass "usage: --csv required, --help, unknown verb"

echo "$PASSED passed, 0 failed"
