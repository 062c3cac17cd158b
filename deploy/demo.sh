#!/usr/bin/env bash
#  demo.sh: load the demo data set into a running node, unless it holds
#  enterprises already: 2,000 enterprises of all 15 regions (seed 1) with
#  their yearly figures and qualifications, 40 financial institutions and
#  100 products; and, when kejin-guarantee runs, a qualified guarantor
#  (DEMO-G), its risk-sharing agreement with a bank (DEMO-A: bank 20%,
#  national fund 40%, provincial re-guarantee 20%, the guarantor 20%,
#  compensation 40%) and this year's provincial budget (10 million yuan),
#  so that one start-up loan can be followed by hand from guarantee to
#  recovery (docs/rules/guarantee.md, "By hand"). `deploy/kejin-node up`
#  runs it once the services are up; running it again does nothing twice.
#
#  Environment: KEJIN_NODE_BROKER (the node's broker), KEJIN_BIN (where
#  bin/kejin is), KEJIN_DEMO_ENTERPRISES and KEJIN_DEMO_SEED to load
#  another set (100 to 1,000,000 enterprises).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEJIN=${KEJIN_BIN:-$ROOT/bin}/kejin
[ -x "$KEJIN" ] || KEJIN=$(command -v kejin) || {
    echo "demo.sh: bin/kejin not found; run make first" >&2
    exit 1
}

"$KEJIN" demo load --if-empty \
    --enterprises "${KEJIN_DEMO_ENTERPRISES:-2000}" \
    --seed "${KEJIN_DEMO_SEED:-1}"

#  The guarantee scheme's parties and budget, once (each step is refused
#  nothing when it is there already)
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
