#!/usr/bin/env bash
#  test_cli_ipo: `kejin ipo fit` and `kejin ipo subsidy replay` on small
#  CSV files, offline (no node): exact stdout, stderr and exit code, for
#  good rows, bad rows, a wrong header, an empty file and bad arguments.
#  The rules themselves are tested at every boundary in
#  tests/unit/ipo/; this checks the files, the output and the errors.
#
#  Run by tests/run.sh, or by hand: tests/system/test_cli_ipo.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KEJIN=${KEJIN_BIN:-$ROOT/bin}/kejin
if [ -n "${KEJIN_TEST_TMP:-}" ]; then
    TMP=$KEJIN_TEST_TMP
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d /tmp/test_cli_ipo.XXXXXX)
    trap 'rm -rf "$TMP"' EXIT
fi
cd "$TMP"
PASSED=0

fail () {
    echo "FAIL: $*" >&2
    exit 1
}

pass () {
    PASSED=$((PASSED + 1))
    echo "ok $PASSED - $*"
}

#  check NAME RC STDOUT STDERR -- ARGS...: kejin ARGS must exit with RC and
#  print exactly STDOUT and STDERR
check () {
    local name=$1 rc=$2 out=$3 err=$4
    shift 5
    local got_rc=0
    "$KEJIN" "$@" >out.txt 2>err.txt || got_rc=$?
    if [ "$got_rc" != "$rc" ]; then
        cat err.txt >&2
        fail "$name: exit $got_rc, expected $rc"
    fi
    diff -u <(printf '%s' "$out") out.txt >&2 || fail "$name: stdout differs"
    diff -u <(printf '%s' "$err") err.txt >&2 || fail "$name: stderr differs"
    pass "$name"
}

FIT_HEADER=id,market_cap_fen,np_t2_fen,np_t1_fen,np_t0_fen,rev_t2_fen,rev_t1_fen,rev_t0_fen,rd_t2_fen,rd_t1_fen,rd_t0_fen,ocf_t2_fen,ocf_t1_fen,ocf_t0_fen,roe_t1_bp,roe_t0_bp,rev_growth_t0_bp,neeq_tier,neeq_listed_months

#  -------------------------------------------------------------------------
#  kejin ipo fit

#  all: meets every standard; star: STAR-1, ¥3m of revenue short of STAR-4;
#  bse: BSE-4 but for 6 months of NEEQ listing; none: nothing, STAR-2
#  nearest (two whole misses, first in board order); basic: BSE-1 but for
#  the innovation tier. Then bad rows.
cat > fit.csv <<EOF
$FIT_HEADER
all,1000000000000,20000000000,20000000000,20000000000,100000000000,100000000000,100000000000,20000000000,20000000000,20000000000,10000000000,10000000000,10000000000,1000,1000,3000,INNOVATION,12
star,300000000000,0,2500000000,2500000000,0,0,29700000000,0,0,0,0,0,0,0,0,0,NONE,0
bse,150000000000,0,0,0,0,0,0,0,2000000000,3000000000,0,0,0,0,0,0,INNOVATION,6
none,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,0
basic,20000000000,0,0,2500000000,0,0,0,0,0,0,0,0,0,0,800,0,BASIC,30
bad1,12x,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,0
bad2,0,0,0,0,0,0,-1,0,0,0,0,0,0,0,0,-10001,TOP,0
bad3,0,0,0
,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,0
"quoted, id",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,1201
EOF

check "fit --json: good rows printed, every bad row reported" 2 \
'{"id": "all", "meets": ["STAR-1", "STAR-2", "STAR-3", "STAR-4", "ChiNext-1", "ChiNext-2", "ChiNext-3", "Main-1", "Main-2", "Main-3", "BSE-1", "BSE-2", "BSE-3", "BSE-4"], "nearest_missed": null}
{"id": "star", "meets": ["STAR-1"], "nearest_missed": {"standard": "STAR-4", "short": {"rev_t0_fen": 300000000}}}
{"id": "bse", "meets": [], "nearest_missed": {"standard": "BSE-4", "short": {"neeq_listed_months": 6}}}
{"id": "none", "meets": [], "nearest_missed": {"standard": "STAR-2", "short": {"market_cap_fen": 150000000000, "rev_t0_fen": 20000000000}}}
{"id": "basic", "meets": [], "nearest_missed": {"standard": "BSE-1", "short": {"neeq_tier": "INNOVATION"}}}
' \
'{"error": "INVALID_ARGUMENT", "file": "fit.csv", "row": 7, "column": "market_cap_fen", "message": "'"'12x'"' is not a whole number"}
{"error": "OUT_OF_RANGE", "file": "fit.csv", "row": 8, "column": "rev_t0_fen", "message": "-1 is out of range; expected 0 to 100000000000000000"}
{"error": "OUT_OF_RANGE", "file": "fit.csv", "row": 8, "column": "rev_growth_t0_bp", "message": "-10001 is out of range; expected -10000 to 10000000"}
{"error": "INVALID_ARGUMENT", "file": "fit.csv", "row": 8, "column": "neeq_tier", "message": "'"'TOP'"' is not one of NONE, BASIC, INNOVATION"}
{"error": "INVALID_ARGUMENT", "file": "fit.csv", "row": 9, "column": "", "message": "4 columns where the header has 19"}
{"error": "INVALID_ARGUMENT", "file": "fit.csv", "row": 10, "column": "id", "message": "empty; required"}
{"error": "OUT_OF_RANGE", "file": "fit.csv", "row": 11, "column": "neeq_listed_months", "message": "1201 is out of range; expected 0 to 1200"}
' -- ipo fit --csv fit.csv --json

#  The table for people, on the good rows only (a spreadsheet's byte
#  order mark and CRLF line ends are fine)
{ printf '\xEF\xBB\xBF'; sed -n '1p;3,6p' fit.csv; } | sed 's/$/\r/' > fit_good.csv
check "fit: a table for people" 0 \
'ID     MEETS   NEAREST MISSED  SHORT BY
star   STAR-1  STAR-4          rev_t0_fen ¥3,000,000.00
bse    none    BSE-4           neeq_listed_months 6
none   none    STAR-2          market_cap_fen ¥1,500,000,000.00; rev_t0_fen ¥200,000,000.00
basic  none    BSE-1           neeq_tier needs INNOVATION
' '' -- ipo fit --csv fit_good.csv

#  A long table is printed in pages of 1,000 rows, each with its headings
{ echo "$FIT_HEADER"
  for i in $(seq 1 1500); do
      echo "f$i,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,0"
  done; } > fit_long.csv
"$KEJIN" ipo fit --csv fit_long.csv > out.txt || fail "fit_long: exit $?"
[ "$(grep -c '^ID ' out.txt)" = 2 ] && [ "$(grep -c '^$' out.txt)" = 1 ] \
    && [ "$(wc -l < out.txt)" = 1503 ] && [ "$(sed -n 1002p out.txt)" = '' ] \
    || fail "fit_long: not two pages of 1000 and 500 rows"
pass "fit: a long table in pages"

#  A header that differs in one column: nothing read
sed '1s/np_t2_fen/np_t2/' fit.csv > fit_header.csv
check "fit: wrong header" 2 '' \
"kejin: fit_header.csv row 1: the header must be exactly '$FIT_HEADER'; column 3 is 'np_t2' where 'np_t2_fen' was expected
" -- ipo fit --csv fit_header.csv

: > empty.csv
check "fit: empty file" 2 '' \
'kejin: empty.csv row 1: the file is empty; the first row must be the header
' -- ipo fit --csv empty.csv
head -1 fit.csv > header_only.csv
check "fit: a header and no rows" 2 '' \
'kejin: header_only.csv row 2: no rows below the header
' -- ipo fit --csv header_only.csv

#  -------------------------------------------------------------------------
#  kejin ipo subsidy replay

#  star: every stage of STAR once (tutoring filed twice pays once);
#  switch: ChiNext stages, terminated, STAR without stage payments, topped
#  up at registration to STAR's ¥15m; neeq: listing award, 1% of equity
#  cut to the ¥5m cap of 2024, a new cap in 2025, then BSE stages, which
#  the NEEQ awards do not count toward.
cat > replay.csv <<'EOF'
firm,step,date,board,event,amount_raised_fen
star,1,2022-01-10,STAR,SHAREHOLDING_REFORMED,
star,2,2022-02-01,STAR,TUTORING_FILED,
switch,1,2022-02-15,CHINEXT,SHAREHOLDING_REFORMED,
star,3,2023-03-01,STAR,TUTORING_FILED,
switch,2,2022-03-01,CHINEXT,TUTORING_FILED,
star,4,2023-06-01,STAR,APPLICATION_ACCEPTED,
switch,3,2022-09-01,CHINEXT,TERMINATED,
switch,4,2023-03-01,STAR,APPLICATION_ACCEPTED,
star,5,2023-09-01,STAR,REGISTERED,
switch,5,2023-08-01,STAR,REGISTERED,
neeq,1,2024-02-01,NEEQ,LISTED,
neeq,2,2024-03-01,NEEQ,EQUITY_RAISED,10000000000
neeq,3,2024-12-31,NEEQ,EQUITY_RAISED,45000000099
neeq,4,2025-01-01,NEEQ,EQUITY_RAISED,10000000000
neeq,5,2025-02-01,BSE,TUTORING_FILED,
EOF

check "subsidy replay --json" 0 \
'{"firm": "star", "step": 1, "payment_fen": 100000000, "paid_total_fen": 100000000}
{"firm": "star", "step": 2, "payment_fen": 300000000, "paid_total_fen": 400000000}
{"firm": "switch", "step": 1, "payment_fen": 100000000, "paid_total_fen": 100000000}
{"firm": "star", "step": 3, "payment_fen": 0, "paid_total_fen": 400000000}
{"firm": "switch", "step": 2, "payment_fen": 300000000, "paid_total_fen": 400000000}
{"firm": "star", "step": 4, "payment_fen": 600000000, "paid_total_fen": 1000000000}
{"firm": "switch", "step": 3, "payment_fen": 0, "paid_total_fen": 400000000}
{"firm": "switch", "step": 4, "payment_fen": 0, "paid_total_fen": 400000000}
{"firm": "star", "step": 5, "payment_fen": 500000000, "paid_total_fen": 1500000000}
{"firm": "switch", "step": 5, "payment_fen": 1100000000, "paid_total_fen": 1500000000}
{"firm": "neeq", "step": 1, "payment_fen": 150000000, "paid_total_fen": 150000000}
{"firm": "neeq", "step": 2, "payment_fen": 100000000, "paid_total_fen": 250000000}
{"firm": "neeq", "step": 3, "payment_fen": 400000000, "paid_total_fen": 650000000}
{"firm": "neeq", "step": 4, "payment_fen": 100000000, "paid_total_fen": 750000000}
{"firm": "neeq", "step": 5, "payment_fen": 200000000, "paid_total_fen": 950000000}
' '' -- ipo subsidy replay --csv replay.csv --json

head -5 replay.csv > replay_head.csv
check "subsidy replay: a table for people" 0 \
"FIRM    STEP  DATE        BOARD    EVENT                  PAYMENT        PAID TOTAL     RULE
star    1     2022-01-10  STAR     SHAREHOLDING_REFORMED  ¥1,000,000.00  ¥1,000,000.00  stage subsidy of the board
star    2     2022-02-01  STAR     TUTORING_FILED         ¥3,000,000.00  ¥4,000,000.00  stage subsidy of the board
switch  1     2022-02-15  CHINEXT  SHAREHOLDING_REFORMED  ¥1,000,000.00  ¥1,000,000.00  stage subsidy of the board
star    3     2023-03-01  STAR     TUTORING_FILED         ¥0.00          ¥4,000,000.00  stage already decided once
" '' -- ipo subsidy replay --csv replay_head.csv

#  A bad row stops the replay: the rows before it are printed, nothing
#  after it, even for another firm
cat > replay_bad.csv <<'EOF'
firm,step,date,board,event,amount_raised_fen
a,1,2024-01-10,MAIN,SHAREHOLDING_REFORMED,
b,1,2024-01-11,BSE,TUTORING_FILED,
a,2,2024-02-01,MAIN,TUTORING_FILED,100
b,2,2024-04-01,BSE,APPLICATION_ACCEPTED,
EOF
check "subsidy replay: stops at the first bad row" 2 \
'{"firm": "a", "step": 1, "payment_fen": 100000000, "paid_total_fen": 100000000}
{"firm": "b", "step": 1, "payment_fen": 200000000, "paid_total_fen": 200000000}
' \
'{"error": "INVALID_ARGUMENT", "file": "replay_bad.csv", "row": 4, "column": "amount_raised_fen", "message": "only for EQUITY_RAISED; leave it empty for TUTORING_FILED"}
' -- ipo subsidy replay --csv replay_bad.csv --json

#  Each kind of bad row, alone after the header: row 2, the column as
#  typed in the header, exit 2, nothing on stdout
bad_row () {
    local name=$1 row=$2 message=$3
    printf 'firm,step,date,board,event,amount_raised_fen\n%s\n' "$row" \
        > bad.csv
    check "subsidy replay: $name" 2 '' "kejin: bad.csv row 2, $message
" -- ipo subsidy replay --csv bad.csv
}
bad_row "unknown board" 'f,1,2024-01-01,SSE,LISTED,' \
    "column board: 'SSE' is not one of MAIN, CHINEXT, STAR, BSE, NEEQ"
bad_row "unknown event" 'f,1,2024-01-01,STAR,IPO,' \
    "column event: 'IPO' is not one of SHAREHOLDING_REFORMED, TUTORING_FILED, TUTORING_ACCEPTED, APPLICATION_ACCEPTED, UNDER_INQUIRY, COMMITTEE_REVIEW, REGISTRATION_SUBMITTED, REGISTERED, LISTED, WITHDRAWN, TERMINATED, REJECTED, EQUITY_RAISED"
bad_row "no such date" 'f,1,2023-02-29,STAR,LISTED,' \
    "column date: '2023-02-29' is not a date YYYY-MM-DD from 2000 to 2099"
bad_row "amount missing" 'f,1,2024-01-01,NEEQ,EQUITY_RAISED,' \
    "column amount_raised_fen: required for EQUITY_RAISED"
bad_row "amount not a number" 'f,1,2024-01-01,NEEQ,EQUITY_RAISED,1e6' \
    "column amount_raised_fen: '1e6' is not a whole number"
bad_row "amount too large" \
    'f,1,2024-01-01,NEEQ,EQUITY_RAISED,99999999999999999999' \
    "column amount_raised_fen: '99999999999999999999' is too large"
bad_row "amount out of range" 'f,1,2024-01-01,NEEQ,EQUITY_RAISED,-5' \
    "column amount_raised_fen: -5 is out of range; expected 1 to 100000000000000000"
bad_row "step not a number" 'f,one,2024-01-01,STAR,LISTED,' \
    "column step: 'one' is not a whole number"

printf '%s\n' firm,step,date,board,event,amount_raised_fen \
    'f,2,2024-01-01,STAR,LISTED,' 'f,2,2024-01-02,STAR,LISTED,' > steps.csv
check "subsidy replay: steps rise within a firm" 2 \
"FIRM  STEP  DATE        BOARD  EVENT   PAYMENT  PAID TOTAL  RULE
f     2     2024-01-01  STAR   LISTED  ¥0.00    ¥0.00       no subsidy for this event
" "kejin: steps.csv row 3, column step: 2 does not follow step 2 of firm f (row 2); steps rise within a firm
" -- ipo subsidy replay --csv steps.csv

printf '%s\n' firm,step,date,board,event,amount_raised_fen \
    'f,1,2024-05-01,STAR,TUTORING_FILED,' \
    'f,2,2024-04-30,STAR,APPLICATION_ACCEPTED,' > dates.csv
check "subsidy replay: dates do not go back within a firm" 2 \
'{"firm": "f", "step": 1, "payment_fen": 300000000, "paid_total_fen": 300000000}
' '{"error": "OUT_OF_RANGE", "file": "dates.csv", "row": 3, "column": "date", "message": "2024-04-30 is before the firm'"'"'s previous event on 2024-05-01"}
' -- ipo subsidy replay --csv dates.csv --json

printf '%s\n' firm,step,date,board,event > short_header.csv
check "subsidy replay: header without amount_raised_fen" 2 '' \
"kejin: short_header.csv row 1: the header must be exactly 'firm,step,date,board,event,amount_raised_fen'; it has 5 columns where 6 were expected
" -- ipo subsidy replay --csv short_header.csv

printf '%s\n' firm,step,date,board,event,amount_raised_fen \
    'f,1,"2024-01-01,STAR,LISTED,' > quote.csv
check "subsidy replay: broken quoting" 2 '' \
"kejin: quote.csv row 2: not well-formed CSV: error parsing data while strict checking enabled
" -- ipo subsidy replay --csv quote.csv

#  No cell past 64 KiB (common/kj_csv's limit, the one CSV reader)
{ echo firm,step,date,board,event,amount_raised_fen; printf 'f,1,2024-01-01,STAR,LISTED,\n'
  printf 'g%065536d,1,2024-01-01,STAR,LISTED,\n' 0; } > long_cell.csv
check "subsidy replay: a cell longer than 64 KiB" 2 \
'{"firm": "f", "step": 1, "payment_fen": 0, "paid_total_fen": 0}
' '{"error": "INVALID_ARGUMENT", "file": "long_cell.csv", "row": 3, "column": "", "message": "has a field longer than 65536 bytes"}
' -- ipo subsidy replay --csv long_cell.csv --json

#  Bytes that are not UTF-8 are refused in a name, and quoted back as '?'
#  (JSON cannot carry them; this crashed the first version)
printf 'firm,step,date,board,event,amount_raised_fen\nf\377,1,2024-01-01,STAR,LISTED,\ng,1,2024-01-01,ST\377AR,LISTED,\n' > utf8.csv
check "subsidy replay: a firm that is not UTF-8" 2 '' \
'{"error": "INVALID_ARGUMENT", "file": "utf8.csv", "row": 2, "column": "firm", "message": "not valid UTF-8 at byte 2"}
' -- ipo subsidy replay --csv utf8.csv --json
sed -i 2d utf8.csv
check "subsidy replay: a board with a byte that is not UTF-8" 2 '' \
'{"error": "INVALID_ARGUMENT", "file": "utf8.csv", "row": 2, "column": "board", "message": "'"'ST?AR'"' is not one of MAIN, CHINEXT, STAR, BSE, NEEQ"}
' -- ipo subsidy replay --csv utf8.csv --json
{ echo "$FIT_HEADER"; printf '\344\270\255\346\226\207,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,0\n'; printf '\344\270,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,NONE,0\n'; } > fit_utf8.csv
check "fit: a Chinese id, and one cut in the middle of a character" 2 \
'{"id": "中文", "meets": [], "nearest_missed": {"standard": "STAR-2", "short": {"market_cap_fen": 150000000000, "rev_t0_fen": 20000000000}}}
' '{"error": "INVALID_ARGUMENT", "file": "fit_utf8.csv", "row": 3, "column": "id", "message": "not valid UTF-8 at byte 1"}
' -- ipo fit --csv fit_utf8.csv --json

#  -------------------------------------------------------------------------
#  Arguments

check "replay without --csv" 2 '' \
'kejin: ipo subsidy replay needs --csv FILE
' -- ipo subsidy replay
check "a file that is not there" 2 '' \
"kejin: cannot read $TMP/none.csv: No such file or directory
" -- ipo fit --csv "$TMP/none.csv"
"$KEJIN" ipo --help | grep -q '^Usage: kejin ipo fit --csv FILE \[--json\]$' \
    || fail "kejin ipo --help"
pass "kejin ipo --help"

echo "all $PASSED passed"
