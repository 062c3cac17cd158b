#!/usr/bin/env bash
#  test_systemd: `systemd-analyze verify` of the units in deploy/systemd.
#
#  The units start /usr/local/bin/kejin-*, which a build does not install:
#  the test verifies copies that point at the built binaries instead, so
#  that verify checks everything else (keys, values, the ExecStart
#  binaries). Any message from verify fails the test, warnings included.
#  Skips (exit 0, saying so) when systemd-analyze is absent.
#
#  Run by tests/run.sh, or by hand: tests/system/test_systemd.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$(realpath -m -- "${KEJIN_BIN:-$ROOT/bin}")

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze is not installed (Debian package systemd;" \
         "make deps installs it)"
    exit 0
fi
TMP=${KEJIN_TEST_TMP:-$(mktemp -d /tmp/test_systemd.XXXXXX)}
mkdir -p "$TMP/units"
trap '[ -n "${KEJIN_TEST_TMP:-}" ] || rm -rf "$TMP"' EXIT

units=()
for unit in "$ROOT"/deploy/systemd/*.service "$ROOT"/deploy/systemd/*.target
do
    copy=$TMP/units/$(basename "$unit")
    sed "s|/usr/local/bin/kejin|$BIN/kejin|g" "$unit" >"$copy"
    units+=("$copy")
done
fail () {
    echo "FAIL: $*"
    exit 1
}
[ ${#units[@]} -ge 3 ] || fail "fewer than 3 units in deploy/systemd"
[ -x "$BIN/kejin-broker" ] || fail "$BIN/kejin-broker missing: run make"

rc=0
out=$(cd "$TMP/units" && systemd-analyze verify --man=no "${units[@]}" 2>&1) \
    || rc=$?
echo "systemd-analyze verify ${units[*]##*/}: exit $rc"
if [ "$rc" != 0 ] || [ -n "$out" ]; then
    sed 's/^/    /' <<<"$out"
    echo "FAIL: the units do not verify cleanly"
    exit 1
fi
echo "PASS"
