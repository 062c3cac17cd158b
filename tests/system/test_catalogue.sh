#!/usr/bin/env bash
#  test_catalogue: every message marked for translation in common/ and
#  services/ (_ (), N_ (), kj_call_fail, kj_status_set and the message
#  helpers the Makefile names) has a Chinese translation in
#  common/po/zh_CN.po, and the catalogue compiles with its formats checked
#  (msgfmt --check: the same conversions as the English).
#
#  Run by tests/run.sh, or by hand: tests/system/test_catalogue.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${KEJIN_BUILD:-$ROOT/build}
cd "$ROOT"
for po in common/po/*.po; do
    msgfmt --check --output-file=/dev/null "$po"
done
make --no-print-directory -s BUILD="$BUILD" po-check
echo "test_catalogue: every marked message is translated"
