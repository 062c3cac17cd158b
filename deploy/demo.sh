#!/usr/bin/env bash
#  demo.sh: load the demo data set into a running node, unless it holds
#  enterprises already: 2,000 enterprises of all 15 regions (seed 1) with
#  their yearly figures and qualifications, 40 financial institutions and
#  100 products; with kejin-ipo, a reserve pool of 36 firms (`kejin ipo
#  demo`); then deploy/demo-guarantee.sh (a guarantor, its agreement and
#  this year's budget). `deploy/kejin-node up` runs it once the services
#  are up; running it again does nothing twice. Prints a line for each.
#
#  Environment: KEJIN_NODE_BROKER (the node's broker), KEJIN_BIN (where
#  bin/kejin is), KEJIN_DEMO_ENTERPRISES and KEJIN_DEMO_SEED to load
#  another set (100 to 1,000,000 enterprises), KEJIN_DEMO_IPO=0 for no IPO
#  reserve pool.

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

#  The IPO reserve pool, from the registry's mature enterprises, when the
#  node runs kejin-ipo (one more line; KEJIN_DEMO_IPO=0 leaves it out)
if [ "${KEJIN_DEMO_IPO:-1}" != 0 ] && [ -x "$(dirname "$KEJIN")/kejin-ipo" ]; then
    "$KEJIN" ipo demo --if-empty
fi
#  A guarantor, its agreement and this year's budget, when kejin-guarantee runs
exec "$ROOT/deploy/demo-guarantee.sh"
