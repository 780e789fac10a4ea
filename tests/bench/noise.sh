#!/bin/sh
# Noise reduction, measured (issue 15, item 8). A benchmark, not a test: it
# prints figures and never fails on a target.
#
# For each condition it runs one real A/B `gvab run` of two arms on this
# host (50 rounds, ABBA, the host's own rcu_expedited) and prints, from the
# run's same-round CORE pairs (tests/bench/noise_mde.c): the paired
# log-difference sd, its lag-1 autocorrelation, and the minimum detectable
# regression at 50 pairs, 80% power, alpha 0.01 (the report's "slower" and
# the gate's FAIL, by resampling the run through gvab's own decision; and
# the normal approximation). Then "before" (gvab's defaults) and "after"
# (the settings kept) for the same figure.
#
# Every gvab run holds /tmp/gvab-timing.lock (flock) so no two timing runs
# on this machine overlap; `uptime` is printed before and after each.
#
# Usage: tests/bench/noise.sh BUILD_DIR OUT_DIR ARM_A_RUNSC ARM_B_RUNSC BUNDLE [CONDITION...]
# A condition may repeat (runs go to OUT_DIR/NAME.1, NAME.2, ...); the end
# prints each condition pooled over its runs. Conditions (default: all, in
# this order):
#   default     gvab run as it is (5 warm-ups)
#   warm20      --warmups 20
#   onecpu      gvab and the sandbox on CPU 0 (taskset -c 0)
#   split       --cpu-placement split: gvab on the last CPU, runsc and the sandbox on the others
#   splitwarm20 split and --warmups 20
#   nice        nice -n -10 for gvab and everything it starts
#   fifo        gvab SCHED_FIFO 10 (chrt -f -R: its children stay SCHED_OTHER)
#   dropcache   --drop-caches before every measured boot
#   settle      --settle-ms 50: a pause before every measured boot
#   before      = default, under the name the before/after lines use
#   after       the kept settings ($NOISE_AFTER, default --cpu-placement split)
# Env: NOISE_ROUNDS (50), NOISE_TRIALS (400 per MDE grid step),
#      NOISE_AFTER (gvab run options of the kept settings).
set -eu
B=$1 OUT=$2 RA=$3 RB=$4 BUNDLE=$5
shift 5
gvab="$B/gvab"
mde="$B/tests/noise_mde"
ROUNDS=${NOISE_ROUNDS:-50}
TRIALS=${NOISE_TRIALS:-400}
AFTER=${NOISE_AFTER:---cpu-placement split}
LOCK=/tmp/gvab-timing.lock
[ $# -gt 0 ] || set -- default warm20 onecpu split nice fifo dropcache settle
mkdir -p "$OUT"
rcu=$(cat /sys/kernel/rcu_expedited)
echo "noise: $(date -u +%Y-%m-%dT%H:%M:%SZ) host $(hostname) kernel $(uname -r) cpus $(nproc)" \
    "rcu_expedited=$rcu thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled)"
echo "arms: A=$RA B=$RB bundle=$BUNDLE rounds=$ROUNDS trials=$TRIALS"

runs=""    # "name dir" per finished run, for the pooled lines

run() { # NAME WRAPPER... -- GVAB_OPTIONS...
    name=$1
    shift
    wrap=
    while [ "$1" != -- ]; do
        wrap="$wrap $1"
        shift
    done
    shift
    k=1
    while [ -e "$OUT/$name.$k" ]; do k=$((k + 1)); done
    dir="$OUT/$name.$k"
    l0=$(uptime | sed 's/.*load average: //')
    # shellcheck disable=SC2086 # $wrap is a word list on purpose
    flock "$LOCK" $wrap "$gvab" run -q --out "$dir" --bundle "$BUNDLE" --iterations "$ROUNDS" \
        --set rcu_expedited="$rcu" --label "noise-$name.$k" "$@" --arm A="$RA" --arm B="$RB" >"$dir.log" 2>&1 ||
        { echo "  $name.$k: gvab run failed, see $dir.log"; return 0; }
    l1=$(uptime | sed 's/.*load average: //')
    runs="$runs $name:$dir"
    printf '%-12s %s  (load %s -> %s; %s%s)\n' "$name.$k" "$("$mde" -t "$TRIALS" "$dir")" "$l0" "$l1" \
        "${wrap# }${wrap:+ }" "$*"
}

for c in "$@"; do
    case $c in
    default | before) run "$c" -- ;;
    warm20) run warm20 -- --warmups 20 ;;
    onecpu) run onecpu taskset -c 0 -- ;;
    split) run split -- --cpu-placement split ;;
    splitwarm20) run splitwarm20 -- --cpu-placement split --warmups 20 ;;
    nice) run nice nice -n -10 -- ;;
    fifo) run fifo chrt -f -R 10 -- ;;
    dropcache) run dropcache -- --drop-caches ;;
    settle) run settle -- --settle-ms 50 ;;
    # shellcheck disable=SC2086 # $AFTER is an option list on purpose
    after) run after -- $AFTER ;;
    *) echo "noise: unknown condition $c" >&2; exit 64 ;;
    esac
done

# Pooled over the runs of each condition (each run centred on its own shift).
echo "pooled:"
for c in $(for r in $runs; do echo "${r%%:*}"; done | awk '!seen[$0]++'); do
    dirs=$(for r in $runs; do if [ "${r%%:*}" = "$c" ]; then echo "${r#*:}"; fi; done)
    # shellcheck disable=SC2086 # one word per directory
    line=$("$mde" -t "$TRIALS" $dirs)
    case $c in
    before) label="before (gvab run defaults)" ;;
    after) label="after ($AFTER)" ;;
    *) label=$c ;;
    esac
    printf '  %-40s %s (%d runs)\n' "$label" "$line" "$(echo "$dirs" | wc -l)"
done
