#!/bin/sh
# What a gvab bisect costs, per step, and what the caches save: on the
# synthetic history of tests/integration/fakehist.h (17 go commits, 16
# go-style merges of a tiny gvisor.dev/gvisor module whose runsc sleeps
# +15 ms per call from merge 7 on, then execs the fake runsc), so it runs
# in about a minute without real gVisor and touches no host knob (fake
# sysfs). Three bisects of the same range:
#   cold    empty gvab cache (Go build cache, source repository) and no arms
#   warm    the Go build cache and source kept, arms built again (new --out)
#   resume  the warm bisect's --out again: every answer is in bisect.json
# Per step: the revision, its build time (0 when up to date), boots (lines
# of the step's samples.jsonl) and wall time from "building" to the
# classification line. Needs /usr/local/go/bin/go (go 1.26).
# Usage: tests/bench/bisect_cost.sh [BUILD_DIR] [ITERATIONS]
set -eu
B=${1:-build}
ITER=${2:-12}
top=$(pwd)
for f in "$B/gvab" "$B/tests/integration" "$B/tests/fake-runsc"; do
    [ -x "$f" ] || { echo "bisect_cost: $f missing (make B=$B $f)" >&2; exit 69; }
done
scratch=$(mktemp -d /tmp/gvab-bisect-cost-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
export TMPDIR="$scratch"
export GVAB_STATE_DIR="$scratch/state"
export GVAB_JOURNAL="$scratch/knobs-journal.json"
export GVAB_BIN="$top/$B/gvab"
export GVAB_FAKE_RUNSC="$top/$B/tests/fake-runsc"

"$B/tests/integration" fakehist > "$scratch/fixture"
val() { awk -v k="$1" '$1 == k { print $2 }' "$scratch/fixture"; }
repo=$(val repo); cache=$(val cache); patches=$(val patches); bundle=$(val bundle)
export GVAB_SYSFS_ROOT="$(val sysfs)"
good=$(val g0); bad=$(val g16); want=$(val g7)

# stamp: each line of stdin with seconds since the epoch (ns resolution).
stamp() {
    while IFS= read -r line; do
        printf '%s %s\n' "$(date +%s.%N)" "$line"
    done
}

# bisect LABEL OUT: one bisect, its timestamped log in $scratch/LABEL.log.
bisect() {
    t0=$(date +%s.%N)
    "$GVAB_BIN" bisect --source "$repo" --cache "$cache" --patches "$patches" --bundle "$bundle" \
        --go /usr/local/go/bin/go --good "$good" --bad "$bad" --out "$2" \
        --iterations "$ITER" --looks 2 2>&1 | stamp > "$scratch/$1.log"
    t1=$(date +%s.%N)
    echo "$t0 $t1" > "$scratch/$1.wall"
}

# report LABEL OUT: per-step table and totals.
report() {
    log="$scratch/$1.log"
    printf '\n== %s\n' "$1"
    printf '%-6s %-14s %-10s %9s %7s %9s\n' step revision state build_s boots wall_s
    awk -v out="$2" '
        / gvab: bisect: building / { label = $5; t_start = $1; build = 0 }
        /: go build done in / { s = $NF; sub(/s$/, "", s); build += s }
        / gvab: bisect: step [0-9]+, / { st = $5; sub(/,$/, "", st); step[label] = st }
        / gvab: bisect: [0-9a-f]+ is (good-like|bad-like|undecided|skipped)/ {
            lab = $4; state = $6; sub(/:$/, "", state)
            if (lab != label) next
            n = step[lab] != "" ? step[lab] : "-"
            boots = 0
            if (n != "-") {
                f = sprintf("%s/steps/%02d-%s/samples.jsonl", out, n, lab)
                while ((getline l < f) > 0) boots++
                close(f)
            }
            printf "%-6s %-14s %-10s %9.2f %7d %9.2f\n", n, lab, state, build, boots, $1 - t_start
        }
    ' "$log"
    read -r t0 t1 < "$scratch/$1.wall"
    builds=$(grep -c ': go build started' "$log" || true)
    cached=$(grep -c ': up to date (' "$log" || true)
    buildsum=$(awk '/: go build done in / { s = $NF; sub(/s$/, "", s); t += s } END { printf "%.1f", t }' "$log")
    boots=$(cat "$2"/steps/*/samples.jsonl 2>/dev/null | wc -l)
    steps=$(awk '/"steps":/ { gsub(/[^0-9]/, "", $0); print; exit }' "$2/bisect.json")
    answer=$(grep -o 'first bad: [0-9a-f]*' "$log" | head -n 1 | awk '{print $3}')
    case "$want" in "$answer"?*) ok=right ;; *) ok="WRONG (want g7 $(printf %.12s "$want"))" ;; esac
    printf 'total: %s steps, %s go builds (%s s), %s up to date, %s boots on disk, wall %s s; answer %s %s\n' \
        "$steps" "$builds" "$buildsum" "$cached" "$boots" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
        "$answer" "$ok"
}

bisect cold "$scratch/cold"
report cold "$scratch/cold"
bisect warm "$scratch/warm"
report warm "$scratch/warm"
bisect resume "$scratch/warm"
report resume "$scratch/warm"
printf '\n%s rounds of mid/good/bad per look (2 looks at most); cold: empty Go build and source\n' "$ITER"
printf 'caches; warm: the Go build cache kept (the standard library compiled once); resume:\n'
printf 'the finished bisect.json (nothing built or booted). The ends are built once and\n'
printf 'booted in every step (the arm cache saves 2 builds a step over rebuilding them).\n'
