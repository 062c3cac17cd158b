#!/usr/bin/env bash
#  test_fuzz: every libFuzzer harness of tests/fuzz/ (built by `make tests`
#  into build-fuzz/fuzz/ with ASan and UBSan), each run briefly from its
#  seed corpus in tests/fuzz/corpus/<harness>/. Fails on any crash, leak,
#  sanitizer report, timeout or out-of-memory; the input that did it is
#  kept in the test's folder and named in the output.
#
#  FUZZ_SECONDS   seconds per harness (default 8; `make fuzz`: 600)
#  FUZZ_KEEP=1    keep the grown corpus in build-fuzz/corpus/<harness>/
#                 (`make fuzz`), else it lives in the test's folder
#  Arguments: harness names (e.g. proto) to run only those.

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FUZZ_BUILD=$(realpath -m -- "${KEJIN_FUZZ_BUILD:-$ROOT/build-fuzz}")
SECONDS_EACH=${FUZZ_SECONDS:-8}
if [ -n "${KEJIN_TEST_TMP:-}" ]; then
    TMP=$KEJIN_TEST_TMP
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d /tmp/test_fuzz.XXXXXX)
fi

harnesses=()
for path in "$FUZZ_BUILD"/fuzz/fuzz_*; do
    [ -x "$path" ] || continue
    name=${path##*/fuzz_}
    if [ $# -gt 0 ]; then
        want=0
        for arg in "$@"; do [ "$arg" = "$name" ] && want=1; done
        [ "$want" = 1 ] || continue
    fi
    harnesses+=("$name")
done
if [ ${#harnesses[@]} -eq 0 ]; then
    echo "FAIL: no harness in $FUZZ_BUILD/fuzz (make fuzz-build)" >&2
    exit 1
fi
#  Every harness has a seed corpus, and every seed corpus a harness
for seeds in "$ROOT"/tests/fuzz/corpus/*/; do
    name=$(basename "$seeds")
    [ -x "$FUZZ_BUILD/fuzz/fuzz_$name" ] || {
        echo "FAIL: corpus $name has no harness" >&2; exit 1; }
done

failed=0
for name in "${harnesses[@]}"; do
    seeds=$ROOT/tests/fuzz/corpus/$name
    [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || {
        echo "FAIL: fuzz_$name has no seeds in tests/fuzz/corpus/$name" >&2
        failed=1; continue; }
    if [ "${FUZZ_KEEP:-0}" = 1 ]; then
        corpus=$FUZZ_BUILD/corpus/$name
    else
        corpus=$TMP/corpus/$name
    fi
    artifacts=$TMP/artifacts/$name/
    mkdir -p "$corpus" "$artifacts"
    log=$TMP/fuzz_$name.log
    echo "fuzz_$name: $SECONDS_EACH s"
    if "$FUZZ_BUILD/fuzz/fuzz_$name" -max_total_time="$SECONDS_EACH" \
           -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
           -artifact_prefix="$artifacts" "$corpus" "$seeds" >"$log" 2>&1
    then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "  ok: ${runs:-?} runs, corpus $(ls "$corpus" | wc -l) inputs"
        rm -rf "$artifacts"
    else
        echo "FAIL: fuzz_$name found a problem; input kept in $artifacts" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)|refused|differently|does not read|not decode' \
            "$log" | head -n 20 >&2 || true
        tail -n 30 "$log" >&2
        failed=1
    fi
done
if [ "$failed" = 0 ] && [ -z "${KEJIN_TEST_TMP:-}" ]; then
    rm -rf "$TMP"
fi
[ "$failed" = 0 ] && echo "PASS: ${#harnesses[@]} harnesses"
exit "$failed"
