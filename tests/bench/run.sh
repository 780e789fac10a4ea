#!/bin/sh
# Benchmarks (not tests): they print figures and never fail on a speed target.
#  1. gvab's own per-phase overhead: gvab times a fake runsc (a static C
#     program that does its work and exits at once) per phase; hyperfine -N
#     times the same fake command. Target: gvab p50 overhead <= 1 ms and no
#     larger than hyperfine's.
#  2. A/A false-positive rate of gvab's verdicts (tests/bench/aa_fpr.c).
#  3. Paired vs unpaired CI width on a real run directory ($GVAB_BENCH_RUN).
#  4. The gate on simulated runs with known truth (tests/bench/gate_sim.c):
#     error rates, power, minimum detectable regression, sequential looks,
#     interval coverage, carry-over. About 100 s single-threaded;
#     GVAB_SIM_TRIALS (default 1000) trades time for Monte Carlo error.
# Usage: tests/bench/run.sh BUILD_DIR
set -eu
B=${1:-build}
gvab="$B/gvab"
fake="$(pwd)/$B/tests/fake-runsc"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "== 1. per-phase overhead of gvab's timing (fake runsc, 200 boots per arm)"
"$gvab" bundle --out "$tmp/bundle" >/dev/null
"$gvab" run -q --out "$tmp/run" --bundle "$tmp/bundle" --iterations 200 --warmups 5 \
    --arm a="$fake" --arm b="$fake" >/dev/null 2>&1
# p50 of each phase across both arms, from the raw samples.
for ph in create start delete; do
    grep '"warmup":false' "$tmp/run/samples.jsonl" | grep -o "\"${ph}_ns\":[0-9]*" | cut -d: -f2 |
        sort -n | awk -v ph="$ph" '{v[NR]=$1} END {printf "  gvab %-7s p50 %.3f ms (n=%d)\n", ph, v[int((NR+1)/2)]/1e6, NR}'
done
# hyperfine on the same fake `start` and `delete` commands (create needs a
# fresh id each time, which hyperfine cannot give without a shell).
mkdir -p "$tmp/root"
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 5 --runs 200 --export-json "$tmp/h.json" \
        "$fake --root=$tmp/root start bench-id" "$fake --root=$tmp/root delete bench-id" >/dev/null 2>&1
    python3 - "$tmp/h.json" <<'PY' 2>/dev/null || grep -o '"median": [0-9.e-]*' "$tmp/h.json" | sed 's/^/  hyperfine /'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("  hyperfine %-7s p50 %.3f ms (n=%d)" % (r["command"].split()[2], r["median"] * 1e3, len(r["times"])))
PY
else
    echo "  hyperfine not installed (apt-get install hyperfine)"
fi

echo "== 2. A/A false-positive rate"
"$B/tests/aa_fpr" "" 1000 50 || true
# Resampling real runs: A and B both drawn from the first arm's CORE samples.
for run in ${GVAB_BENCH_RUN:-}; do
    "$B/tests/aa_fpr" "$run" 1000 50 || true
done

echo "== 3. paired vs unpaired 95% CI width (CORE) on real runs"
echo "   (paired: the Hodges-Lehmann shift's Walsh interval; unpaired: bootstrap of the difference of medians)"
for run in ${GVAB_BENCH_RUN:-}; do
    "$gvab" report --no-charts --out "$tmp/rep" "$run" >/dev/null
    python3 - "$tmp/rep/results.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["runs"]:
    for c in r["comparisons"]:
        if c["phase"] != "core":
            continue
        u = c["ci_hi_ms"] - c["ci_lo_ms"]; p = c["paired_ci_hi_ms"] - c["paired_ci_lo_ms"]
        print("  %s %s vs %s: unpaired CI width %.2f ms, paired %.2f ms (%.0f%% of unpaired)" %
              (r["dir"], c["b"], c["a"], u, p, 100 * p / u if u else 0))
PY
done

echo "== 4. gate and report verdicts on simulated ABBA runs"
"$B/tests/gate_sim" "${GVAB_SIM_TRIALS:-1000}"

echo "== 5. what a bisect costs per step, and what the caches save (synthetic history)"
if [ -x /usr/local/go/bin/go ]; then
    sh tests/bench/bisect_cost.sh "$B"
else
    echo "  skipped: no /usr/local/go/bin/go"
fi
