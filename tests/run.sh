#!/usr/bin/env bash
#  run.sh: the test runner behind `make test`, `unit`, `system`, `memcheck`
#  and `bench`. Starts one scratch PostgreSQL for the whole run, runs each
#  test binary with its output in a log, and stops the cluster at the end,
#  also on Ctrl-C.

set -uo pipefail

usage () {
    cat <<'EOF'
Usage: tests/run.sh --build DIR --bin DIR [--valgrind] KIND [NAME]

  KIND  unit     every $BUILD/tests/unit/*/test_*
        system   every $BUILD/tests/system/test_*
        bench    every $BUILD/tests/bench/bench_*, output shown as it runs
        all      unit, then system
  NAME  run only the tests whose name contains NAME

  --valgrind   run unit tests under valgrind (tests/valgrind.supp)

Logs go to $BUILD/test-logs/<kind>/<...>/<test>.log. A test's own folder
($KEJIN_TEST_TMP) is removed when it passes and kept when it fails.
A benchmark may run KEJIN_BENCH_LIMIT_S seconds (default 1800).
EOF
}

BUILD=build
BIN=bin
VALGRIND=0
KIND=
FILTER=
while [ $# -gt 0 ]; do
    case "$1" in
        --build) BUILD=${2:?--build needs a folder}; shift 2 ;;
        --bin) BIN=${2:?--bin needs a folder}; shift 2 ;;
        --valgrind) VALGRIND=1; shift ;;
        -h|--help) usage; exit 0 ;;
        unit|system|bench|all)
            [ -z "$KIND" ] || { usage >&2; exit 2; }
            KIND=$1; shift ;;
        -*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *)
            [ -n "$KIND" ] && [ -z "$FILTER" ] || { usage >&2; exit 2; }
            FILTER=$1; shift ;;
    esac
done
[ -n "$KIND" ] || { usage >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m -- "$BUILD")
BIN=$(realpath -m -- "$BIN")
cd "$ROOT"
if [ "$VALGRIND" = 1 ] && ! command -v valgrind >/dev/null; then
    echo "run.sh: valgrind is not installed (make deps)" >&2
    exit 1
fi

#  Test binaries of one kind, filtered, sorted.
list () {
    local kind=$1 dir pattern depth
    case "$kind" in
        unit) dir=$BUILD/tests/unit; pattern='test_*'; depth=2 ;;
        system) dir=$BUILD/tests/system; pattern='test_*'; depth=1 ;;
        bench) dir=$BUILD/tests/bench; pattern='bench_*'; depth=1 ;;
    esac
    [ -d "$dir" ] || return 0
    find "$dir" -mindepth "$depth" -maxdepth "$depth" -type f \
        -name "$pattern" -executable | sort | while read -r path; do
        [[ ${path#"$BUILD"/tests/} == *"$FILTER"* ]] && echo "$path"
    done
}

case "$KIND" in
    all) KINDS=(unit system) ;;
    *) KINDS=("$KIND") ;;
esac
declare -a TESTS=()
for kind in "${KINDS[@]}"; do
    while read -r path; do
        [ -n "$path" ] && TESTS+=("$path")
    done < <(list "$kind")
done
if [ ${#TESTS[@]} -eq 0 ]; then
    echo "  no $KIND tests${FILTER:+ matching '$FILTER'} under $BUILD/tests"
    [ -z "$FILTER" ]
    exit
fi

#  -------------------------------------------------------------------------
#  One scratch cluster for the run, stopped whatever happens.

PGDIR=$BUILD/tmp/pg-run-$$
RUNTMP=$BUILD/tmp/run-$$
LOGS=$BUILD/test-logs
CHILD=

#  A test that died may leave a private cluster of its own running.
stop_clusters () {
    local pidfile
    find "$1" -path '*/data/postmaster.pid' 2>/dev/null |
    while read -r pidfile; do
        deploy/pg.sh stop "$(dirname "$(dirname "$pidfile")")" >/dev/null
    done
}

cleanup () {
    trap - EXIT INT TERM
    if [ -n "$CHILD" ]; then
        kill -TERM "$CHILD" 2>/dev/null
        wait "$CHILD" 2>/dev/null
    fi
    if [ -d "$PGDIR" ]; then
        deploy/pg.sh stop "$PGDIR" >/dev/null && rm -rf "$PGDIR"
    fi
    #  Folders of the tests that passed are gone; keep the others.
    [ -d "$RUNTMP" ] && find "$RUNTMP" -depth -type d -empty -delete
}
trap cleanup EXIT
trap 'echo; echo "  interrupted"; exit 130' INT
trap 'exit 143' TERM

mkdir -p "$LOGS" "$RUNTMP"
if ! deploy/pg.sh start "$PGDIR" >/dev/null 2>"$LOGS/pg-start.log"; then
    echo "  FAIL  scratch PostgreSQL did not start in $PGDIR:"
    sed 's/^/        /' "$LOGS/pg-start.log"
    exit 1
fi
export KEJIN_TEST_PG_DIR=$PGDIR KEJIN_BIN=$BIN KEJIN_BUILD=$BUILD \
       KEJIN_ROOT=$ROOT
#  Tests expect English unless they ask for another language themselves
export LC_ALL=C.UTF-8
unset LANGUAGE LC_MESSAGES

#  Microseconds of the wall clock.
now_us () {
    local t=$EPOCHREALTIME
    echo $((${t/./}))
}

seconds () {
    local us=$1
    printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

#  Runs one test in the background and waits, so that Ctrl-C reaches our
#  trap at once; sets RC.
run_one () {
    local limit=$1 log=$2
    shift 2
    if [ -n "$log" ]; then
        timeout -k 10 "$limit" "$@" >"$log" 2>&1 </dev/null &
    else
        timeout -k 10 "$limit" "$@" </dev/null &
    fi
    CHILD=$!
    wait "$CHILD"
    RC=$?
    CHILD=
}

PASSED=0
FAILED=0
RUN_START=$(now_us)
for path in "${TESTS[@]}"; do
    name=${path#"$BUILD"/tests/}
    kind=${name%%/*}
    export KEJIN_TEST_TMP=$RUNTMP/$name
    mkdir -p "$KEJIN_TEST_TMP"
    command=("$path")
    limit=120
    case "$kind" in
        system) limit=300 ;;
        bench) limit=${KEJIN_BENCH_LIMIT_S:-1800} ;;
    esac
    if [ "$VALGRIND" = 1 ] && [ "$kind" = unit ]; then
        command=(valgrind --error-exitcode=99 --leak-check=full
                 --errors-for-leak-kinds=definite
                 --suppressions="$ROOT/tests/valgrind.supp" -q "$path")
        limit=$((limit * 5))
    fi

    start=$(now_us)
    if [ "$kind" = bench ]; then
        echo "  BENCH $name"
        run_one "$limit" "" "${command[@]}"
    else
        log=$LOGS/$name.log
        mkdir -p "$(dirname "$log")"
        run_one "$limit" "$log" "${command[@]}"
    fi
    took=$(seconds $(($(now_us) - start)))
    stop_clusters "$KEJIN_TEST_TMP"

    if [ "$RC" -eq 0 ]; then
        PASSED=$((PASSED + 1))
        [ "$kind" = bench ] || printf '  PASS  %s  (%s s)\n' "$name" "$took"
        rm -rf "$KEJIN_TEST_TMP"
        continue
    fi
    FAILED=$((FAILED + 1))
    why="exit $RC"
    if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
        why="timed out after $limit s"
    elif [ "$RC" -gt 128 ]; then
        why="killed by signal $((RC - 128))"
    elif [ "$RC" -eq 99 ] && [ "${command[0]}" = valgrind ]; then
        why="valgrind found errors"
    fi
    printf '  FAIL  %s  (%s s, %s)\n' "$name" "$took" "$why"
    if [ "$kind" != bench ]; then
        tail -n 40 "$log" | sed 's/^/        /'
        echo "        log: $log"
        [ -n "$(ls -A "$KEJIN_TEST_TMP")" ] && \
            echo "        files: $KEJIN_TEST_TMP"
    fi
done

total=$(seconds $(($(now_us) - RUN_START)))
printf '  %s: %d passed, %d failed  (%s s)\n' "$KIND" "$PASSED" "$FAILED" \
       "$total"
[ "$FAILED" -eq 0 ]
