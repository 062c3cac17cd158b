#  shell.sh: what the shell system tests share, sourced after they set ROOT:
#      ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
#      . "$ROOT/tests/support/shell.sh"
#  BIN (the built binaries), TMP (the test's own folder: the runner's, else
#  a new one), the C.UTF-8 locale, and fail, pass and run.

BIN=$(realpath -m -- "${KEJIN_BIN:-$ROOT/bin}")
TMP=${KEJIN_TEST_TMP:-$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")}
mkdir -p "$TMP"
export LANG=C.UTF-8 LC_ALL=C.UTF-8
PASSED=0

fail () {
    echo "FAIL: $*" >&2
    exit 1
}

pass () {
    PASSED=$((PASSED + 1))
    echo "ok $PASSED - $*"
}

#  Run bin/kejin: stdout to $TMP/out, stderr to $TMP/err, exit code in RC
run () {
    RC=0
    "$BIN/kejin" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}
