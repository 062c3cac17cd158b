#!/usr/bin/env bash
#  demo-guarantee.sh: when kejin-guarantee runs, add a qualified guarantor
#  (DEMO-G), its risk-sharing agreement with a bank (DEMO-A: bank 20%,
#  national fund 40%, provincial re-guarantee 20%, the guarantor 20%,
#  compensation 40%, 1 million yuan a claim) and this year's provincial
#  budget (10 million yuan), so that one start-up loan can be followed by
#  hand from guarantee to recovery (docs/rules/guarantee.md, "By hand").
#  deploy/demo.sh runs it after the registry's demo data; running it again
#  adds nothing. Prints one line, or nothing when the guarantee service
#  does not answer.
#
#  Environment: KEJIN_NODE_BROKER (the node's broker), KEJIN_BIN (where
#  bin/kejin is).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEJIN=${KEJIN_BIN:-$ROOT/bin}/kejin
[ -x "$KEJIN" ] || KEJIN=$(command -v kejin) || {
    echo "demo-guarantee.sh: bin/kejin not found; run make first" >&2
    exit 1
}

if "$KEJIN" guarantee policy show >/dev/null 2>&1; then
    year=$(date -u +%Y)
    #  A second agreement add would make a new version: only with a new
    #  guarantor
    if "$KEJIN" guarantee guarantor add DEMO-G \
        --name "辽宁科技融资担保（演示）" --yearly-cap 500万 --qualified \
        --as demo >/dev/null 2>&1; then
        "$KEJIN" guarantee agreement add DEMO-A --guarantor DEMO-G \
            --bank 盛京银行 --bank-share 20 --system-share 80 \
            --national-share 40 --provincial-share 20 --rate 40 \
            --per-claim-cap 100万 --from 2020-01-01 --to 2099-12-31 \
            --as demo >/dev/null
    fi
    "$KEJIN" guarantee budget show "$year" >/dev/null 2>&1 ||
        "$KEJIN" guarantee budget allot "$year" --amount 1000万 --as demo \
            >/dev/null
    echo "guarantee demo: guarantor DEMO-G, agreement DEMO-A, budget $year"
fi
