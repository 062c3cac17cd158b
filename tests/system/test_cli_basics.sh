#!/usr/bin/env bash
#  test_cli_basics: the kejin command line as a person meets it first:
#  `kejin help`, every help in Chinese under zh_CN, a node that is down
#  said at once, a reader that goes away ending it quietly.
#
#  Run by tests/run.sh, or by hand: tests/system/test_cli_basics.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/support/shell.sh
. "$ROOT/tests/support/shell.sh"

run help
[ "$RC" = 0 ] || fail "kejin help: exit $RC"
head -1 "$TMP/out" | grep -qx "Usage: kejin \[OPTIONS\] COMMAND \[ARGS\]..." || \
    fail "kejin help: $(head -1 "$TMP/out")"
run help score
[ "$RC" = 0 ] || fail "kejin help score: exit $RC"
head -1 "$TMP/out" | grep -qx "Usage: kejin score model list" || \
    fail "kejin help score: $(head -1 "$TMP/out")"
pass "kejin help, and kejin help COMMAND as COMMAND --help"

#  Every command's and verb's help in Chinese under zh_CN (before: `config`,
#  and `import`/`export` of enterprise, institution and product printed
#  their usage untranslated, or filled in before it was translated)
run --help
NOUNS=$(sed -n '/^Commands:/,/^$/p' "$TMP/out" | awk '/^  [a-z]/ { print $1 }')
[ -n "$NOUNS" ] || fail "kejin --help lists no commands"
checked=0
for noun in $NOUNS; do
    run "$noun" --help
    verbs=$(grep -E '^  [a-z][a-z-]+( |$)' "$TMP/out" | awk '{ print $1 }' | sort -u || true)
    case $noun in
        enterprise|institution|product) verbs=$(printf '%s\n' $verbs import export | sort -u) ;;
    esac
    for verb in "" $verbs; do
        RC=0
        LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "$BIN/kejin" $noun $verb --help >"$TMP/out" 2>&1 || RC=$?
        case $(head -1 "$TMP/out") in
            用法*) checked=$((checked + 1)) ;;
            *) fail "kejin $noun $verb --help under zh_CN: $(head -1 "$TMP/out")" ;;
        esac
    done
done
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "$BIN/kejin" enterprise import --help >"$TMP/out"
grep -qx "在同一事务中重新计算。" "$TMP/out" || fail "enterprise import --help: the figures note: $(cat "$TMP/out")"
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "$BIN/kejin" enterprise export --help >"$TMP/out"
grep -q "^把全部企业按页写成 CSV" "$TMP/out" && grep -qx "  --figures    改为导出这些企业的年度经营数据" "$TMP/out" || \
    fail "enterprise export --help: $(cat "$TMP/out")"
pass "every command's and verb's help in Chinese under zh_CN ($checked)"

#  An option refused before any connection, in Chinese too (before: English)
RC=0
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "$BIN/kejin" events tail --since 1h >"$TMP/out" 2>"$TMP/err" || RC=$?
[ "$RC" = 2 ] && [ "$(cat "$TMP/err")" = "kejin: --since：“1h”不是时间，格式如 2026-12-01T08:00（UTC）" ] || \
    fail "events tail --since 1h under zh_CN: exit $RC: $(cat "$TMP/err")"
pass "events tail --since refused in Chinese"

#  A port nothing listens on: found closed at once, not after the
#  deadline and its retries (15 s before)
PORT=$((20000 + RANDOM % 30000))
while [ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; do
    PORT=$((PORT + 1))
done
START=${EPOCHREALTIME/./}
run --broker "tcp://127.0.0.1:$PORT" status
TOOK=$(( (${EPOCHREALTIME/./} - START) / 1000 ))
[ "$RC" = 3 ] || fail "status with the node down: exit $RC, not 3"
grep -qxF "kejin: UNAVAILABLE: no broker listens at tcp://127.0.0.1:$PORT" "$TMP/err" || \
    fail "status down: $(cat "$TMP/err")"
grep -q "make up" "$TMP/err" || fail "no hint to start the node"
[ "$TOOK" -lt 1500 ] || fail "status with the node down took $TOOK ms"
pass "status with the node down says so in $TOOK ms, exit 3"

#  A reader that stops early: SIGPIPE ends kejin quietly, as any filter
HEADER=id,market_cap_fen,np_t2_fen,np_t1_fen,np_t0_fen,rev_t2_fen,rev_t1_fen,rev_t0_fen,rd_t2_fen,rd_t1_fen,rd_t0_fen,ocf_t2_fen,ocf_t1_fen,ocf_t0_fen,roe_t1_bp,roe_t0_bp,rev_growth_t0_bp,neeq_tier,neeq_listed_months
{
    echo "$HEADER"
    for ((i = 0; i < 20000; i++)); do
        echo "f$i,100000000000,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,NONE,0"
    done
} >"$TMP/firms.csv"
set +o pipefail
"$BIN/kejin" --json ipo fit --csv "$TMP/firms.csv" 2>"$TMP/err" | head -1 >/dev/null
STATUS=(${PIPESTATUS[@]})
set -o pipefail
[ "${STATUS[0]}" = 141 ] || fail "kejin after its reader left: exit ${STATUS[0]}, not 141 (SIGPIPE)"
[ ! -s "$TMP/err" ] || fail "kejin after its reader left said: $(cat "$TMP/err")"
pass "a reader that leaves early ends kejin quietly (SIGPIPE, nothing on stderr)"

echo "$PASSED passed, 0 failed"
