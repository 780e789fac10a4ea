#!/bin/sh
# Fault injection for gvab run: signals at random moments, concurrent runs,
# a full disk. Prints one table row per scenario.
#
# Usage: tests/faults/run.sh BUILD_DIR   (make faults B=BUILD_DIR)
#   FAULT_TRIALS=N   trials per signal scenario (default 10)
#   FAULT_SEED=N     seed of the random kill moments (default: the clock)
#   FAULT_REAL=0     skip the real-runsc scenarios (default: run them when
#                    /usr/bin/runsc exists)
#
# What is real and what is not: the processes, the runsc sandboxes and
# gofers, their cgroups and mounts are real (with the fake runsc of
# tests/fake and, when present, Debian's runsc). The host knobs are not:
# they live on a fake sysfs tree under the scratch directory
# (GVAB_SYSFS_ROOT), so the script never changes this machine's settings
# under anyone else's runs. State directories and the knob journal are the
# scratch directory's too (GVAB_STATE_DIR, GVAB_JOURNAL).
#
# Per trial it checks, after gvab exited (and, after SIGKILL, after
# `gvab restore`):
#   knobs     both knobs back at their values before the run, no journal
#   procs     processes whose argv names the scratch state directory
#   cgroups   cgroup directories gvab-<pid>-* under every cgroup mount
#   mounts    mountinfo lines naming the scratch state directory
#   states    state directories left
#   lost      boots that completed (runsc delete returned 0; counted by a
#             wrapper around runsc) without an ok line in samples.jsonl,
#             plus lines that are not whole JSON objects. SIGKILL may lose
#             the one boot in flight between its delete and its line.
set -u
B=${1:-build}
top=$(pwd)
G="$top/$B/gvab"
FAKE="$top/$B/tests/fake-runsc"
REAL=/usr/bin/runsc
TRIALS=${FAULT_TRIALS:-10}
seed=${FAULT_SEED:-$(date +%s)}
[ -x "$G" ] && [ -x "$FAKE" ] || { echo "faults: build $G and $FAKE first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "faults: needs root (runsc, cgroups, tmpfs)" >&2; exit 2; }

scratch=$(mktemp -d /tmp/gvab-faults-XXXXXX)
export TMPDIR="$scratch"
export GVAB_STATE_DIR="$scratch/state"
export GVAB_JOURNAL="$scratch/knobs-journal.json"
export GVAB_SYSFS_ROOT="$scratch/sys"
started=""   # pids of gvab runs this script started and has not reaped

cleanup() {
    for p in $started; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    "$G" restore >/dev/null 2>&1
    umount -l "$scratch/small" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$scratch/sys/kernel/mm/transparent_hugepage" "$scratch/bin" "$scratch/runs"
reset_knobs() {
    printf '1\n' > "$GVAB_SYSFS_ROOT/kernel/rcu_expedited"
    printf 'always [madvise] never\n' > "$GVAB_SYSFS_ROOT/kernel/mm/transparent_hugepage/enabled"
}
# knobs_ok: 1 when both knobs read as before the run and no journal is left.
knobs_ok() {
    r=$(cat "$GVAB_SYSFS_ROOT/kernel/rcu_expedited")
    t=$(sed 's/.*\[\(.*\)\].*/\1/' "$GVAB_SYSFS_ROOT/kernel/mm/transparent_hugepage/enabled")
    if [ "$r" = 1 ] && [ "$t" = madvise ] && [ ! -e "$GVAB_JOURNAL" ]; then echo 1; else echo 0; fi
}
reset_knobs
"$G" bundle --out "$scratch/bundle" >/dev/null || exit 1
"$G" bundle --out "$scratch/small-bundle" >/dev/null || exit 1

# A runsc wrapper per runtime that logs every successful plain delete (a
# completed boot) to $FAULT_DELETES. Named *runsc* so gvab gives it
# runsc's default flags.
wrap() {
    cat > "$scratch/bin/$1-runsc" <<EOF
#!/bin/sh
"$2" "\$@"
rc=\$?
case " \$* " in
*" --force "*) ;;
*" delete "*) [ \$rc -eq 0 ] && [ -n "\${FAULT_DELETES:-}" ] && echo x >> "\$FAULT_DELETES" ;;
esac
exit \$rc
EOF
    chmod +x "$scratch/bin/$1-runsc"
}
wrap fake "$FAKE"
runtimes=fake
if [ "${FAULT_REAL:-1}" != 0 ] && [ -x "$REAL" ]; then
    wrap real "$REAL"
    runtimes="fake real"
fi

now() { date +%s.%N; }
# rand_ms LO HI: a pseudo-random integer in [LO, HI], from the seed.
rand_ms() {
    seed=$((seed + 1))
    awk -v s="$seed" -v lo="$1" -v hi="$2" 'BEGIN { srand(s); print int(lo + rand() * (hi - lo)) }'
}
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

# Leftovers of the gvab run with pid $1.
count_procs() {
    n=0
    for c in /proc/[0-9]*/cmdline; do
        grep -qsF "$GVAB_STATE_DIR/" "$c" && n=$((n + 1))
    done
    echo $n
}
count_cgroups() {
    n=0
    for m in $(awk '$0 ~ / - cgroup2? / { print $5 }' /proc/self/mountinfo); do
        for d in "$m"/gvab-"$1"-*; do [ -d "$d" ] && n=$((n + 1)); done
    done
    echo $n
}
count_mounts() { grep -cF "$GVAB_STATE_DIR/" /proc/self/mountinfo; }
count_states() { ls "$GVAB_STATE_DIR" 2>/dev/null | grep -c '^state-'; }
# Waits up to 3 s for the killed run's orphans to be gone (init reaps them).
settle() {
    i=0
    while [ $i -lt 60 ] && [ "$(count_procs)" -gt 0 ]; do sleep 0.05; i=$((i + 1)); done
}

# Lost samples of run dir $1 with delete log $2.
count_lost() {
    done_boots=$(wc -l < "$2" 2>/dev/null || echo 0)
    ok=$(grep -c '"ok":true' "$1/samples.jsonl" 2>/dev/null)
    torn=$(grep -cv '^{.*}$' "$1/samples.jsonl" 2>/dev/null)
    lost=$((done_boots - ${ok:-0}))
    [ $lost -lt 0 ] && lost=0
    echo $((lost + ${torn:-0}))
}

printf '%-22s %6s %-16s %6s %6s %8s %7s %7s %5s %7s\n' scenario trials exits knobs procs cgroups mounts states lost "stop_s"
row() { printf '%-22s %6s %-16s %6s %6s %8s %7s %7s %5s %7s\n' "$@"; }

# Signals at random moments of real runs.
for rt in $runtimes; do
    R="$scratch/bin/$rt-runsc"
    if [ $rt = fake ]; then lo=20; hi=1500; export FAKE_SANDBOX_MS=20; else lo=50; hi=3000; fi
    for sig in INT TERM KILL; do
        exits="" kn=0 pr=0 cg=0 mo=0 st=0 lost=0 maxstop=0
        t=1
        while [ $t -le "$TRIALS" ]; do
            out="$scratch/runs/$rt-$sig-$t"
            export FAULT_DELETES="$out.deletes"
            reset_knobs
            "$G" run -q --out "$out" --bundle "$scratch/bundle" --iterations 1000 --warmups 0 \
                --set rcu_expedited=0 --arm "a=$R,knob:thp_enabled=never" --arm "b=$R" \
                > "$out.log" 2>&1 &
            pid=$!
            started="$started $pid"
            sleep_ms "$(rand_ms $lo $hi)"
            t0=$(now)
            kill -"$sig" $pid
            wait $pid 2>/dev/null
            rc=$?
            t1=$(now)
            started=$(echo "$started" | sed "s/ $pid\$//; s/ $pid / /")
            [ "$sig" = KILL ] && "$G" restore >> "$out.log" 2>&1
            settle
            exits="$exits $rc"
            kn=$((kn + $(knobs_ok)))
            pr=$((pr + $(count_procs)))
            cg=$((cg + $(count_cgroups $pid)))
            mo=$((mo + $(count_mounts)))
            st=$((st + $(count_states)))
            lost=$((lost + $(count_lost "$out" "$FAULT_DELETES")))
            maxstop=$(awk -v a="$maxstop" -v b="$(awk -v x="$t0" -v y="$t1" 'BEGIN { print y - x }')" \
                      'BEGIN { printf "%.2f", (b > a ? b : a) }')
            t=$((t + 1))
        done
        codes=$(echo $exits | tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $2, $1; sep="," }')
        row "$rt SIG$sig" "$TRIALS" "$codes" "$kn/$TRIALS" $pr $cg $mo $st $lost "$maxstop"
    done
    unset FAKE_SANDBOX_MS
done

# Concurrent runs: N runs that set knobs started together; exactly one may
# own the knobs, the others must refuse (69) without touching them. Then
# two runs with the same --out: one is refused.
for rt in $runtimes; do
    R="$scratch/bin/$rt-runsc"
    owners_ok=0 kn=0 pr=0 st=0 same_out_ok=0
    exits=""
    t=1
    while [ $t -le "$TRIALS" ]; do
        reset_knobs
        pids=""
        for j in 1 2 3; do
            "$G" run -q --out "$scratch/runs/conc-$rt-$t-$j" --bundle "$scratch/bundle" --iterations 2 \
                --warmups 0 --set rcu_expedited=0 --arm "a=$R" --arm "b=$R" \
                > "$scratch/runs/conc-$rt-$t-$j.log" 2>&1 &
            pids="$pids $!"
        done
        started="$started $pids"
        ok=0 refused=0
        for p in $pids; do
            wait "$p"
            rc=$?
            exits="$exits $rc"
            [ $rc -eq 0 ] && ok=$((ok + 1))
            [ $rc -eq 69 ] && refused=$((refused + 1))
        done
        [ $ok -ge 1 ] && [ $((ok + refused)) -eq 3 ] && owners_ok=$((owners_ok + 1))
        # Same --out, no knobs: one run writes, the other is refused.
        out="$scratch/runs/same-$rt-$t"
        "$G" run -q --out "$out" --bundle "$scratch/bundle" --iterations 20 --warmups 0 \
            --arm "a=$R" --arm "b=$R" > "$out.1.log" 2>&1 &
        p1=$!
        sleep_ms "$(rand_ms 0 100)"
        "$G" run -q --out "$out" --append --bundle "$scratch/bundle" --iterations 2 --warmups 0 \
            --arm "a=$R" --arm "b=$R" > "$out.2.log" 2>&1
        rc2=$?
        wait $p1
        rc1=$?
        started=""
        # Whichever locks the directory first writes; the other is refused
        # (69, or 64 when it finds the other's samples without --append)
        # or, once the first is done, appends. Never both writing at once,
        # which would show as duplicate sequence numbers.
        dups=$(grep -o '"seq":[0-9]*' "$out/samples.jsonl" | sort | uniq -d | wc -l)
        case "$rc1 $rc2" in
        "0 0"|"0 69"|"69 0"|"64 0") [ "$dups" -eq 0 ] && same_out_ok=$((same_out_ok + 1)) ;;
        esac
        settle
        kn=$((kn + $(knobs_ok)))
        pr=$((pr + $(count_procs)))
        st=$((st + $(count_states)))
        t=$((t + 1))
    done
    codes=$(echo $exits | tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $2, $1; sep="," }')
    row "$rt 3 knob runs" "$TRIALS" "$codes" "$kn/$TRIALS" $pr - - $st - -
    echo "    one knob owner, the rest refused: $owners_ok/$TRIALS; same --out never interleaved: $same_out_ok/$TRIALS"
done

# A full disk: the run directory on a 256 KiB tmpfs with the fake runsc.
# Expected: exit 1, run.json "error" naming samples.jsonl, whole lines.
mkdir -p "$scratch/small"
okdisk=0 kn=0 pr=0 st=0 exits="" lost=0
t=1
while [ $t -le 3 ]; do
    mount -t tmpfs -o size=256k tmpfs "$scratch/small" || break
    reset_knobs
    out="$scratch/small/run"
    export FAULT_DELETES="$scratch/runs/disk-$t.deletes"
    "$G" run -q --out "$out" --bundle "$scratch/bundle" --iterations 100000 --warmups 0 \
        --set rcu_expedited=0 --arm "a=$scratch/bin/fake-runsc" --arm "b=$scratch/bin/fake-runsc" \
        > "$scratch/runs/disk-$t.log" 2>&1
    rc=$?
    exits="$exits $rc"
    grep -q '"status":[[:space:]]*"error"' "$out/run.json" && grep -q 'samples.jsonl' "$out/run.json" &&
        [ "$(tail -c 1 "$out/samples.jsonl" | od -An -c | tr -d ' ')" = '\n' ] && okdisk=$((okdisk + 1))
    l=$(count_lost "$out" "$FAULT_DELETES")
    # The boot whose line did not fit is lost by design: count beyond it.
    lost=$((lost + (l > 1 ? l - 1 : 0)))
    settle
    kn=$((kn + $(knobs_ok)))
    pr=$((pr + $(count_procs)))
    st=$((st + $(count_states)))
    umount "$scratch/small"
    t=$((t + 1))
done
codes=$(echo $exits | tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $2, $1; sep="," }')
row "fake full disk" 3 "$codes" "$kn/3" $pr - - $st $lost -
echo "    run.json says error, names samples.jsonl, last line whole: $okdisk/3"
echo "seed $seed; host $(uname -r), $(nproc) CPUs; runsc: $( [ -x $REAL ] && $REAL --version | head -n 1 || echo none)"
