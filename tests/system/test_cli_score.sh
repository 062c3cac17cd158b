#!/usr/bin/env bash
#  test_cli_score: `kejin score model ...` and `kejin score cohort`, offline:
#  a cohort computed by hand under the v2-2025 model (exact JSON), the
#  table people read, refusals naming the row and column, model files with
#  errors refused with their line.
#
#  Run by tests/run.sh, or by hand: tests/system/test_cli_score.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/support/shell.sh
. "$ROOT/tests/support/shell.sh"

run score model list
[ "$RC" = 0 ] || fail "model list: exit $RC"
diff -u - "$TMP/out" <<'EOT' || fail "model list"
most-2024    v1   企业创新积分 2024 (MOST national trial, 18 indicators)
v2-2025      v1   创新积分 2.0 (4 categories, 9 indicators + 3 bonus, 100 + 30)
EOT
run score model validate most-2024
[ "$RC" = 0 ] && grep -qx "most-2024: valid, model most-2024 version 1, 29 columns" "$TMP/out" || \
    fail "validate most-2024: $(cat "$TMP/out" "$TMP/err")"
run score model show most-2024
[ "$RC" = 0 ] && grep -q "^rd_expense_fen  *indicator  *技术创新  *8/7/6  *研发费用总额$" "$TMP/out" || \
    fail "show most-2024"
pass "model list, validate and show of the shipped models"

sed 's/^indicator rd_staff .*$/indicator rd_staff input higher 11 11 12 研发人员数量/' \
    "$ROOT/services/scoring/data/v2-2025.model" >"$TMP/bad.model"
run score model validate "$TMP/bad.model"
[ "$RC" = 2 ] || fail "a bad model: exit $RC"
grep -qxF "kejin: $TMP/bad.model: the weights of stage 稳定 add up to 101, not 100" "$TMP/err" || \
    fail "bad model: $(cat "$TMP/err")"
printf 'model x\nversion 1\nweight 5\n' >"$TMP/typo.model"
run score model validate "$TMP/typo.model"
[ "$RC" = 2 ] && grep -q "typo.model:3: unknown directive 'weight'" "$TMP/err" || \
    fail "typo model: $(cat "$TMP/err")"
run score model show nope
[ "$RC" = 2 ] && grep -q "no model is called 'nope' (shipped: most-2024, v2-2025" "$TMP/err" || \
    fail "unknown model"
pass "a model file with an error is refused with its line; an unknown name lists the shipped"

HEADER=id,stage,rd_expense_fen,rd_intensity_bp,rd_staff,invention_patents,tech_contract_fen,hitech_revenue_fen,revenue_growth_bp,roe_bp,vc_raised_fen,awards,standards,honours,serious_dishonesty,abnormal_operation,revenue_fen
cat >"$TMP/cohort.csv" <<CSV
$HEADER
a,成长期,300,500,10,5,100,1000,2000,1000,0,2,3,1,0,0,10000000
b,成长期,200,500,20,5,100,1000,1000,500,0,0,0,0,0,0,50000000000
c,growth,100,400,30,,100,1000,-500,200,0,1,1,,0,0,
d,初创期,10,100,1,0,0,0,0,0,0,0,0,0,1,0,100
CSV
run --json score cohort --csv "$TMP/cohort.csv" --model v2-2025
[ "$RC" = 0 ] || fail "cohort: exit $RC $(cat "$TMP/err")"
/usr/bin/python3 - "$TMP/out" <<'PY' || fail "cohort JSON"
import json, sys
rows = [json.loads (line) for line in open (sys.argv [1])]
want = {
    #  computed by hand in docs/rules/scoring.md ("A worked cohort")
    "a": (64250, 25000, 89250, 100000, "AA", None, 2000000, 0),
    "b": (52750, 0, 52750, 50000, "C", None, 0, 0),
    "c": (27500, 11000, 38500, 0, "C", None, 0, 2),
    "d": (100000, 0, 100000, 100000, "C", "serious_dishonesty", 0, 0),
}
assert [r ["id"] for r in rows] == ["a", "b", "c", "d"], rows
for r in rows:
    got = (r ["points_milli"], r ["bonus_milli"], r ["score_milli"],
           r ["percentile_milli"], r ["grade"], r ["stop"],
           r ["credit_line_fen"], r ["missing"])
    assert got == want [r ["id"]], (r ["id"], got)
    assert r ["model"] == "v2-2025" and r ["model_version"] == 1
a = rows [0]
assert [x ["code"] for x in a ["reasons"]] == ["rd_staff", "invention_patents",
    "tech_contract_fen", "hitech_revenue_fen"], a ["reasons"]
assert a ["reasons"][0]["lost_milli"] == 11000
c = rows [2]
assert c ["reasons"][2] == {"code": "invention_patents", "label": "有效发明专利数",
                            "lost_milli": 11000, "missing": True}, c ["reasons"]
assert rows [3]["reasons"] == []
PY
pass "--json: a cohort's portraits exactly as computed by hand"

run score cohort --csv "$TMP/cohort.csv" --model v2-2025
[ "$RC" = 0 ] || fail "table: exit $RC"
diff -u - "$TMP/out" <<'EOT' || fail "table"
ID  STAGE  POINTS   SCORE    GRADE  LINE        WHY (most points lost first)
a   成长   89.250   89.250   AA     ¥20,000.00  研发人员数量, 有效发明专利数, 技术合同成交额, 高新技术产品(服务)收入
b   成长   52.750   52.750   C      ¥0.00       研发费用总额, 研发人员数量, 有效发明专利数, 技术合同成交额
c   成长   38.500   38.500   C      ¥0.00       研发费用总额, 研发费用占营业收入比, 有效发明专利数 (not reported), 营业收入增长率
d   初创   100.000  100.000  C      ¥0.00       STOP 严重失信
EOT
pass "the table people read: points, grade, line in yuan, reasons by label"

cat >"$TMP/badrows.csv" <<CSV
$HEADER
ok,成长期,1,1,1,1,1,1,1,1,1,0,0,0,0,0,100
x1,later,1,1,1,1,1,1,1,1,1,0,0,0,0,0,100
x2,成长期,-1,1,1,1,1,1,1,1,1,0,0,0,0,0,100
x3,成长期,1,1,1,1,1,1,1,1,1,0,0,0,2,0,100
x4,成长期,1.5,1,1,1,1,1,1,1,1,0,0,0,0,0,100
,成长期,1,1,1,1,1,1,1,1,1,0,0,0,0,0,100
CSV
run --json score cohort --csv "$TMP/badrows.csv" --model v2-2025
[ "$RC" = 2 ] || fail "bad rows: exit $RC"
B=$TMP/badrows.csv
diff -u - "$TMP/err" <<EOT || fail "bad rows"
kejin: $B row 3, column stage: is not a stage: 孵化期, 初创期, 成长期, 成熟期 (or incubation, startup, growth, mature)
kejin: $B row 4, column rd_expense_fen: rd_expense_fen cannot be negative (-1); only rates (_bp) can
kejin: $B row 5, column serious_dishonesty: serious_dishonesty is 1 (yes) or 0 (no), not 2
kejin: $B row 6, column rd_expense_fen: '1.5' is not a whole number (amounts in fen, rates in basis points)
kejin: $B row 7, column id: is empty; give each row an id
EOT
[ "$(wc -l <"$TMP/out")" = 1 ] || fail "the good row was not scored alone"
printf 'id,stage,unknown\n' >"$TMP/header.csv"
run score cohort --csv "$TMP/header.csv" --model v2-2025
[ "$RC" = 2 ] && grep -qF "model v2-2025 reads no column 'unknown'" "$TMP/err" || \
    fail "unknown column: $(cat "$TMP/err")"
run score cohort --csv "$TMP/cohort.csv"
[ "$RC" = 2 ] && grep -q "score cohort needs --csv FILE and --model MODEL" "$TMP/err" || \
    fail "no --model"
pass "bad rows refused with row and column, good rows scored; unknown columns and missing options refused"

#  Under a Chinese locale: the usage, the refusals and the tables in Chinese
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 run score
[ "$RC" = 2 ] && grep -q "^用法：kejin score model list" "$TMP/err" || \
    fail "zh_CN usage: $(head -n 2 "$TMP/err")"
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 run score model frob
[ "$RC" = 2 ] && grep -qx "kejin：score model 后接 list、show MODEL 或 validate MODEL" "$TMP/err" || \
    fail "zh_CN model refusal: $(cat "$TMP/err")"
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 run score model show v2-2025
[ "$RC" = 0 ] && grep -qx "评级依据总分：AAA >= 100，AA >= 85，A >= 70，B >= 55，其余为 C" "$TMP/out" || \
    fail "zh_CN model show: $(tail -n 3 "$TMP/out")"
LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 run score cohort --csv "$TMP/badrows.csv" --model v2-2025
[ "$RC" = 2 ] && grep -qF "kejin：$B 第 7 行，id 列：为空；请为每行填写 id" "$TMP/err" || \
    fail "zh_CN cohort refusal: $(cat "$TMP/err")"
pass "under zh_CN: the usage, the refusals and model show in Chinese"

echo "$PASSED passed, 0 failed"
