#!/bin/sh
# Per-release gate for a CI job: build two gVisor revisions, time them
# interleaved on this host, decide, and always leave a report behind.
#
#   ci/release-gate.sh [options] OLD_REF NEW_REF
#
# Exit codes (a CI system can act on each):
#   0  pass        NEW is not slower than OLD by more than --max-regression
#   1  regression  NEW is slower by more than --max-regression (the interval
#                  says so at --alpha)
#   2  invalid     something failed before a verdict: preflight, build, boot,
#                  run or data. Never read as a regression.
#   3  undecided   still undecided after --adaptive extra rounds (or when
#                  --budget ran out): rerun with more --iterations or a larger
#                  --budget; never a pass
#   64 usage
# The report (report.md, results.csv, charts) and the JUnit file are written
# whatever the verdict, after it; a failing report does not change the exit.
#
# Options (passed through to gvab):
#   --source SRC        git URL or path, module, or debian (default: upstream URL)
#   --arm SPEC          what both revisions are built as (default stock)
#   --go PATH --series DIR --patches DIR --cache DIR --offline   as for gvab build
#   --old-runsc PATH --new-runsc PATH   use these binaries, build nothing
#   --iterations N      measured rounds per arm (default 50)
#   --adaptive N        at most N more rounds while undecided (default 100; 0: none)
#   --budget TIME       decide within TIME of boots (90s, 5m, 1h; or seconds):
#                       the timed run's own time is taken off, and gvab gate
#                       --budget plans its looks from the run's measured round
#                       rate in what is left (--adaptive caps it only when
#                       given); the builds before the run are not counted
#   --metric M          core (default; latency of create + start), another phase,
#                       or cpu: CPU time per boot, work not latency (a regression
#                       that only waits does not show in it)
#   --max-regression P  threshold, % of OLD's median (default 3%)
#   --alpha A           error of FAIL and of PASS, each (default 0.01)
#   --min-samples N     fewer ok boots per arm is invalid (gate's default 10)
#   --set NAME=VALUE    host knob for the run (rcu_expedited=0, ...)
#   --out DIR           results (default results/gate-<UTC time>)
#   --gvab PATH         gvab binary (default build/gvab)
#   --anchor REF|PATH   one more arm, "anchor": a fixed reference runsc (a binary,
#                       or a revision built like OLD and NEW); the history stores
#                       OLD and NEW as ratios to it (docs/history.md)
#   --db FILE           add the run to this history file (gvab history add);
#                       a failing add is a warning, the verdict stands
#
# It needs root (runsc creates namespaces and cgroups; knobs live in /sys),
# a writable /sys for --set, and a runsc that can boot here: it checks each
# first and says which one is missing.
set -u

usage() {
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
}
die_invalid() {
    echo "release-gate: invalid: $*" >&2
    exit 2
}

src=https://github.com/google/gvisor.git
arm=stock
iterations=50
adaptive=100
adaptive_given=
budget=
budget_s=
metric=core
maxreg=3%
alpha=0.01
minsamples=10
out=results/gate-$(date -u +%Y%m%dT%H%M%SZ)
gvab=build/gvab
old_bin=
new_bin=
anchor=
anchor_bin=
db=
build_opts=
set_opts=
nsets=0

# Options that take a value are collected quoted into build_opts/set_opts
# with "set --" tricks avoided: each is kept as a separate word list.
add_build() { build_opts="$build_opts$(printf '\n%s' "$@")"; }
add_set() { set_opts="$set_opts$(printf '\n%s' "$@")"; nsets=$((nsets + 1)); }

while [ $# -gt 0 ]; do
    case $1 in
        --source) [ $# -ge 2 ] || usage; src=$2; shift 2 ;;
        --arm) [ $# -ge 2 ] || usage; arm=$2; shift 2 ;;
        --go|--series|--patches|--cache) [ $# -ge 2 ] || usage; add_build "$1" "$2"; shift 2 ;;
        --offline) add_build --offline; shift ;;
        --old-runsc) [ $# -ge 2 ] || usage; old_bin=$2; shift 2 ;;
        --new-runsc) [ $# -ge 2 ] || usage; new_bin=$2; shift 2 ;;
        --iterations) [ $# -ge 2 ] || usage; iterations=$2; shift 2 ;;
        --adaptive) [ $# -ge 2 ] || usage; adaptive=$2; adaptive_given=1; shift 2 ;;
        --budget) [ $# -ge 2 ] || usage; budget=$2; shift 2 ;;
        --max-regression) [ $# -ge 2 ] || usage; maxreg=$2; shift 2 ;;
        --metric) [ $# -ge 2 ] || usage; metric=$2; shift 2 ;;
        --alpha) [ $# -ge 2 ] || usage; alpha=$2; shift 2 ;;
        --min-samples) [ $# -ge 2 ] || usage; minsamples=$2; shift 2 ;;
        --set) [ $# -ge 2 ] || usage; add_set --set "$2"; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --gvab) [ $# -ge 2 ] || usage; gvab=$2; shift 2 ;;
        --anchor) [ $# -ge 2 ] || usage; anchor=$2; shift 2 ;;
        --db) [ $# -ge 2 ] || usage; db=$2; shift 2 ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "release-gate: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
# A time as seconds: 90, 90s, 5m or 1h (whole numbers), from 1 s to 24 h.
seconds_of() {
    n=${1%[smh]}
    case $n in ''|*[!0-9]*) return 1 ;; esac
    case ${1#"$n"} in
        ''|s) t=$n ;;
        m) t=$((n * 60)) ;;
        h) t=$((n * 3600)) ;;
        *) return 1 ;;
    esac
    [ "$t" -ge 1 ] && [ "$t" -le 86400 ] && echo "$t"
}
if [ -n "$budget" ]; then
    budget_s=$(seconds_of "$budget") || {
        echo "release-gate: --budget '$budget': expected a time from 1s to 24h (90s, 5m, 1h)" >&2
        exit 64
    }
fi
if [ -n "$old_bin" ] && [ -n "$new_bin" ]; then
    [ $# -eq 0 ] || [ $# -eq 2 ] || usage
    old_ref=${1:-$old_bin}
    new_ref=${2:-$new_bin}
else
    [ $# -eq 2 ] || usage
    old_ref=$1
    new_ref=$2
fi

# The option word lists are expanded unquoted with IFS set to a newline and
# globbing off, so a value is one argument and is never evaluated by a shell.
# --- preflight --------------------------------------------------------------
[ -x "$gvab" ] || die_invalid "gvab binary $gvab not found (make, or pass --gvab)"
[ "$(id -u)" = 0 ] || die_invalid "needs root: runsc creates namespaces and cgroups"
if [ "$nsets" -gt 0 ] && [ ! -w /sys/kernel/mm/transparent_hugepage/enabled ] &&
   [ ! -w /sys/kernel/rcu_expedited ]; then
    die_invalid "--set needs a writable /sys (a privileged container or the host)"
fi
mkdir -p "$out" || die_invalid "cannot create $out"

# --- build ------------------------------------------------------------------
if [ -z "$old_bin" ] || [ -z "$new_bin" ]; then
    arms="$out/arms"
    # shellcheck disable=SC2086
    (set -f; IFS='
'; exec "$gvab" build -q --source "$src" --ref "$old_ref" --out "$arms" --arm "old=$arm" $build_opts) ||
        die_invalid "building $old_ref failed (see above)"
    # shellcheck disable=SC2086
    (set -f; IFS='
'; exec "$gvab" build -q --source "$src" --ref "$new_ref" --out "$arms" --arm "new=$arm" $build_opts) ||
        die_invalid "building $new_ref failed (see above)"
    old_bin=$arms/old/runsc
    new_bin=$arms/new/runsc
fi
if [ -n "$anchor" ] && [ -f "$anchor" ]; then
    anchor_bin=$anchor
elif [ -n "$anchor" ]; then
    # shellcheck disable=SC2086
    (set -f; IFS='
'; exec "$gvab" build -q --source "$src" --ref "$anchor" --out "$out/arms" --arm "anchor=stock" $build_opts) ||
        die_invalid "building the anchor $anchor failed (see above)"
    anchor_bin=$out/arms/anchor/runsc
fi
# The anchor is one more arm of every run, or none.
anchor_arm() { [ -z "$anchor_bin" ] || printf '\n--arm\nanchor=%s' "$anchor_bin"; }
anchor_opts=$(anchor_arm)
bundle="$out/bundle"
"$gvab" bundle --out "$bundle" >/dev/null || die_invalid "gvab bundle failed"

# --- can runsc boot here? one boot of each ----------------------------------
# shellcheck disable=SC2086
(set -f; IFS='
'; exec "$gvab" run -q --out "$out/smoke" --bundle "$bundle" --iterations 1 --warmups 0 \
    --arm "old=$old_bin" --arm "new=$new_bin" $anchor_opts $set_opts) ||
    die_invalid "a runsc cannot boot the bundle on this host (see $out/smoke and above)"

# --- run and gate -----------------------------------------------------------
t_run=$(date +%s)
# shellcheck disable=SC2086
(set -f; IFS='
'; exec "$gvab" run -q --out "$out/run" --bundle "$bundle" --iterations "$iterations" \
    --arm "old=$old_bin" --arm "new=$new_bin" $anchor_opts $set_opts) ||
    die_invalid "gvab run failed (see $out/run)"
left=0
if [ -n "$budget_s" ]; then
    used=$(($(date +%s) - t_run))
    left=$((budget_s - used))
    if [ "$left" -ge 1 ]; then
        echo "release-gate: budget $budget: the run took ${used}s; gvab gate may add rounds for ${left}s"
    else
        echo "release-gate: budget $budget: the run took ${used}s, all of it; no rounds added"
    fi
fi
if [ "$left" -ge 1 ] && [ -n "$adaptive_given" ] && [ "$adaptive" -gt 0 ] 2>/dev/null; then
    "$gvab" gate "$out/run" --metric "$metric" ${anchor_bin:+--candidate} ${anchor_bin:+new} --max-regression "$maxreg" --alpha "$alpha" \
        --min-samples "$minsamples" --budget "${left}s" --adaptive "$adaptive" --junit "$out/gate.xml"
elif [ "$left" -ge 1 ] && { [ -z "$adaptive_given" ] || [ "$adaptive" -gt 0 ] 2>/dev/null; }; then
    "$gvab" gate "$out/run" --metric "$metric" ${anchor_bin:+--candidate} ${anchor_bin:+new} --max-regression "$maxreg" --alpha "$alpha" \
        --min-samples "$minsamples" --budget "${left}s" --junit "$out/gate.xml"
elif [ -z "$budget_s" ] && [ "$adaptive" -gt 0 ] 2>/dev/null; then
    "$gvab" gate "$out/run" --metric "$metric" ${anchor_bin:+--candidate} ${anchor_bin:+new} --max-regression "$maxreg" --alpha "$alpha" \
        --min-samples "$minsamples" --adaptive "$adaptive" --junit "$out/gate.xml"
else
    "$gvab" gate "$out/run" --metric "$metric" ${anchor_bin:+--candidate} ${anchor_bin:+new} --max-regression "$maxreg" --alpha "$alpha" \
        --min-samples "$minsamples" --junit "$out/gate.xml"
fi
verdict=$?
case $verdict in
    0|1|3) ;;
    *) echo "release-gate: gate exited $verdict: invalid" >&2; verdict=2 ;;
esac

# --- report, whatever the verdict -------------------------------------------
"$gvab" report --out "$out/report" "$out/run" >/dev/null ||
    echo "release-gate: warning: the report failed; the verdict stands" >&2
if [ -n "$db" ]; then
    "$gvab" history add --db "$db" "$out/run" >/dev/null ||
        echo "release-gate: warning: adding the run to $db failed; the verdict stands" >&2
fi

case $verdict in
    0) echo "release-gate: PASS: $new_ref vs $old_ref (report: $out/report/report.md)" ;;
    1) echo "release-gate: REGRESSION: $new_ref vs $old_ref (report: $out/report/report.md)" ;;
    2) echo "release-gate: INVALID: no verdict (report: $out/report/report.md)" ;;
    3) echo "release-gate: UNDECIDED: rerun with more --iterations${budget:+ or a larger --budget} (report: $out/report/report.md)" ;;
esac
exit "$verdict"
