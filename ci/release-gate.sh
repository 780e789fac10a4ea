#!/bin/sh
# Example release gate: build two gVisor refs, run an interleaved A/B on this
# host, and fail the CI job only on a real regression.
#
#   ci/release-gate.sh OLD_REF NEW_REF [SOURCE]
#
# SOURCE is a git URL or local clone of gVisor (default: upstream). Exit
# codes are gvab gate's: 0 pass, 1 regression, 2 invalid data, 3 undecided
# (treat 3 as "rerun with more iterations", never as a pass).
set -eu
old=$1
new=$2
src=${3:-https://github.com/google/gvisor.git}
out=${GVAB_GATE_OUT:-results/gate-$(date -u +%Y%m%dT%H%M%SZ)}
gvab=${GVAB:-build/gvab}

"$gvab" build --source "$src" --ref "$old" --arm old=stock
"$gvab" build --source "$src" --ref "$new" --arm new=stock
"$gvab" bundle --out build/bundle
"$gvab" run --out "$out/run" --bundle build/bundle --iterations "${GVAB_ITERATIONS:-100}" \
    --arm old=build/arms/old/runsc --arm new=build/arms/new/runsc
"$gvab" report --out "$out/report" "$out/run"
exec "$gvab" gate "$out/run" --metric core --max-regression "${GVAB_MAX_REGRESSION:-3%}" \
    --alpha 0.01 --junit "$out/gate.xml"
