#!/bin/sh
# Runs every test binary of a build directory (normal build, then the
# ASan+UBSan build) and ends with one line CI can read:
# "N passed, N failed, N skipped".
# Usage: tests/run.sh BUILD_DIR [fast]
#   fast: the unit tests and the quick integration suites (fake runsc,
#   analysis, command line, docs; `integration quick`) of the normal build
#   only (`make check-fast`).
#
# Lanes (full mode): after both builds' unit tests, eleven lanes run side by
# side, each a sequence of test binaries: the normal build's integration
# suites in the nine lanes of tests/integration/itest.c (module, module2,
# realbisect, debian, system, bisect1, bisect2, trend, other; module2 and
# realbisect start when module has ended; the fuzz replays follow other),
# and the sanitizer pass's fast suites in two (asan_trend, asan_other, then
# its fuzz replays). Much of their time is sleeping (the fake runsc histories)
# or waiting on one another's CPU, so two cores carry them, and every test
# holds under the load the others make. Each lane has its own TMPDIR, state
# directory and knob journal; its output is printed whole when it ends,
# with its wall and CPU time.
#
# Skips: Check has no skip outcome. A test that cannot run here prints one
# line "SKIP: <test>: <reason>" (tests/skip.h) and returns, which Check
# counts as passed; each such line moves one test from passed to skipped,
# and every skip is listed with its reason before the closing line. Each
# suite's wall time comes from Check's XML log (the sum of its tests'
# durations).
#
# Hermetic: everything the tests write goes under one fresh directory of
# this run (TMPDIR for the tests' own directories, gvab's state directories
# and knob journal, the arms the build suite builds), so two test runs on
# one machine, or a gvab run beside them, do not meet; and only processes
# this run started are stopped at the end, by pid.
set -u
B=${1:-build}
mode=${2:-full}
top=$(pwd)
# perf (used by the build suite's cross-check) mounts tracefs at
# /sys/kernel/tracing when it is missing and leaves it there; a machine that
# booted without it gets it unmounted again at the end.
tracefs_was_mounted=no
grep -qs ' /sys/kernel/tracing ' /proc/self/mounts && tracefs_was_mounted=yes
scratch=$(mktemp -d /tmp/gvab-tests-XXXXXX)
# Arms are big (a GOPATH copy per arm): next to the build, not in /tmp.
# Fresh each run, so a build test can never pass on arms an earlier run built.
arms=$(mktemp -d "$top/$B/itest-arms.XXXXXX")
export GVAB_FAKE_RUNSC="$top/$B/tests/fake-runsc"
export GVAB_ITEST_ARMS="$arms"
# The fake histories' Go build cache, shared by the lanes (fakehist.c).
export GVAB_ITEST_GOCACHE="$scratch/fakehist-gocache"

# in_lane NAME: this (sub)shell's tests write under $scratch/NAME (their
# TMPDIR, gvab's state directory and knob journal) and count into
# $scratch/NAME/counts, skips and slow.
in_lane() {
    res="$scratch/$1"
    mkdir -p "$res/tmp"
    export TMPDIR="$res/tmp"
    export GVAB_STATE_DIR="$res/state"
    export GVAB_JOURNAL="$res/knobs-journal.json"
}
in_lane main

# stop_ours: sshd daemons of the hosts suite outlive a test that failed
# mid-way; they write their pid files in the test's directory, under
# $scratch. Each pid is checked against its command line (its config file
# is under $scratch) before it is signalled.
stop_ours() {
    for f in $(find "$scratch" -name 'sshd_*.pid' 2>/dev/null); do
        pid=$(cat "$f" 2>/dev/null) || continue
        case "$pid" in ''|*[!0-9]*) continue ;; esac
        if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$scratch/"; then
            kill "$pid" 2>/dev/null || true
        fi
    done
}
# ours_alive: 0 while a process whose command line names $scratch is
# running (a gvab the tests started, its runsc, a sandbox with --root in it).
ours_alive() {
    for c in /proc/[0-9]*/cmdline; do
        case "$(tr '\0' ' ' < "$c" 2>/dev/null)" in
        *"$scratch/"*) return 0 ;;
        esac
    done
    return 1
}
# descendants PID: every process below PID, parents first.
descendants() {
    for c in $(pgrep -P "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}
# stop_tests: on an interrupt, everything this script started that still
# runs stops: the lanes' shells (so they start nothing more), the test
# binaries and everything below them get SIGTERM at once. Ctrl-C alone
# would reach none of them: a background lane ignores SIGINT (as every
# asynchronous list of a shell does), each test binary runs in a session of
# its own (run), Check puts each test in a process group of its own, and
# Check's runner carries on to the next test after an interrupt. gvab stops
# its boots and puts the knobs back on SIGTERM as on SIGINT, and the cleanup
# below waits for it.
stop_tests() {
    all=$(descendants $$)
    [ -z "$all" ] || kill $all 2>/dev/null
    return 0
}
cleanup() {
    stop_tests
    stop_ours
    # Interrupted: the gvab processes of the tests that were running stop
    # their boots and put the knobs back, using the state directories under
    # $scratch, so they go only after they have (polled, at most a minute);
    # then gvab restore kills and removes whatever a killed run left there
    # (sandboxes, cgroups), and an sshd a test started meanwhile is stopped.
    n=0
    while ours_alive && [ "$n" -lt 120 ]; do
        sleep 0.5
        n=$((n + 1))
    done
    stop_ours
    for st in "$scratch"/*/state; do
        [ -d "$st" ] || continue
        GVAB_STATE_DIR=$st GVAB_JOURNAL=${st%/state}/knobs-journal.json \
            "$top/$B/gvab" restore > /dev/null 2>&1 || true
    done
    # A test killed mid-way (a Check timeout) skips its teardown: mounts it
    # made under the scratch directory (the full-disk test's tmpfs) would
    # outlive the run and keep the directory. Deepest first.
    awk -v s="$scratch/" 'index($2, s) == 1 {print $2}' /proc/self/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$scratch" "$arms"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-1}
nrun=0

# suite_times XML: "   SUITE: N tests in S s" per Check suite. (Check
# writes -1 as the duration of a test that failed in its forked process:
# left out of the sums.)
suite_times() {
    awk '/<title>/ { gsub(/.*<title>|<\/title>.*/, ""); t = $0; order[++n] = t }
         /<duration>/ && t != "" { gsub(/.*<duration>|<\/duration>.*/, ""); c[t]++; if ($0 >= 0) d[t] += $0 }
         /<\/suite>/ { t = "" }
         END { for (i = 1; i <= n; i++) printf "   %s: %d tests in %.1fs\n", order[i], c[order[i]], d[order[i]] }' "$1"
}

# run LABEL BINARY ARGS...: runs one Check binary; its counts go to
# $res/counts ("PASSED FAILED SKIPPED"), its skips and test times beside.
run() {
    label=$1
    shift
    echo "== $label"
    nrun=$((nrun + 1))
    xml="$res/check-$nrun.xml"
    log="$res/check-$nrun.log"
    t0=$(date +%s)
    # setsid: Check's runner answers SIGTERM or SIGINT by signalling its
    # whole process group, which would otherwise be this script's. In the
    # background, so an interrupt's trap runs at once (stop_tests).
    CK_XML_LOG_FILE_NAME="$xml" setsid -w "$@" > "$log" 2>&1 &
    wait $!
    secs=$(( $(date +%s) - t0 ))
    cat "$log"
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "== $label: no Check summary (crashed?) after ${secs}s"
        echo "[$label] no Check summary (crashed?) after ${secs}s" >> "$res/fails"
        echo "0 1 0" >> "$res/counts"
        return
    fi
    checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    errs=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    skip=$(grep -c '^SKIP: ' "$log")
    grep '^SKIP: ' "$log" | sed "s|^|[$label] |" >> "$res/skips"
    # Check's lines for a failed test (FILE:LINE:F:...) or one that erred
    # (E: a crash, a signal, its time limit), repeated at the end of the run.
    grep -E '^[^ :]+:[0-9]+:[FE]:' "$log" | sed "s|^|[$label] |" >> "$res/fails"
    bad=$((fails + errs))
    ok=$((checks - bad - skip))
    [ "$ok" -ge 0 ] || ok=0
    echo "$ok $bad $skip" >> "$res/counts"
    echo "== $label: $ok passed, $bad failed, $skip skipped in ${secs}s"
    [ -s "$xml" ] && suite_times "$xml" && test_times "$xml" "$label" >> "$res/slow"
}

# lane NAME COMMAND...: runs COMMAND (a shell function calling run) in a
# lane of its own, in the background; its output goes to $scratch/NAME.out.
# With lane_nice=N set, the lane runs at that niceness.
lane() {
    name=$1
    shift
    (
        # The subshell's own pid: the parent of a shell it starts.
        [ -z "${lane_nice:-}" ] || renice -n "$lane_nice" -p "$(sh -c 'echo $PPID')" > /dev/null
        in_lane "$name"
        lane_t0=$(date +%s)
        "$@"
        # CPU time of what the lane ran (times' second line: its children;
        # into a file, since times in a pipe or $(...) would be a subshell's).
        times > "$res/times"
        cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] } }
                   END { printf "%.0f", s }' "$res/times")
        echo "== lane $name: ended after $(( $(date +%s) - lane_t0 ))s, ${cpu}s of CPU"
        : > "$scratch/$name.ended"
    ) > "$scratch/$name.out" 2>&1 &
    eval "pid_$name=\$!"
    lanes="$lanes $name"
}

# after LANE COMMAND...: COMMAND once lane LANE has ended (polled), for a
# lane whose tests reuse what LANE's put into the shared caches.
after() {
    a_t0=$(date +%s)
    while [ ! -e "$scratch/$1.ended" ]; do
        sleep 1
    done
    echo "== waited $(( $(date +%s) - a_t0 ))s for lane $1"
    shift
    "$@"
}

# wait_lanes: each lane's output, in the order they were started, once it
# has ended.
wait_lanes() {
    for name in $lanes; do
        eval "wait \$pid_$name"
        cat "$scratch/$name.out"
    done
}

# test_times XML LABEL: "SECONDS LABEL: SUITE/TEST" per test, for the list
# of the slowest tests the run ends with (where CI's time goes).
test_times() {
    awk -v l="$2" '/<title>/ { gsub(/.*<title>|<\/title>.*/, ""); t = $0 }
         /<id>/ { gsub(/.*<id>|<\/id>.*/, ""); id = $0 }
         /<duration>/ && id != "" { gsub(/.*<duration>|<\/duration>.*/, ""); if ($0 >= 0) printf "%.1f %s: %s/%s\n", $0, l, t, id; id = "" }' "$1"
}

# (It can be mounted more than once over itself: unmount until it is gone.)
restore_tracefs() {
    [ "$tracefs_was_mounted" = no ] || return 0
    n=0
    while grep -qs ' /sys/kernel/tracing ' /proc/self/mounts && [ "$n" -lt 8 ]; do
        umount -l /sys/kernel/tracing 2>/dev/null || true
        n=$((n + 1))
    done
}

# finish: the skips with their reasons, the slowest tests, the failures,
# then the closing line, summed over every lane. With GVAB_TEST_LOGDIR set,
# Check's XML logs (every test's duration and outcome) are kept there.
finish() {
    if [ -n "${GVAB_TEST_LOGDIR:-}" ] && mkdir -p "$GVAB_TEST_LOGDIR"; then
        for x in "$scratch"/*/check-*.xml; do
            [ -f "$x" ] || continue
            d=${x%/*}
            cp "$x" "$GVAB_TEST_LOGDIR/${d##*/}-${x##*/}"
        done
    fi
    if cat "$scratch"/*/skips > "$scratch/skips" 2>/dev/null && [ -s "$scratch/skips" ]; then
        echo "== skipped:"
        cat "$scratch/skips"
    fi
    if cat "$scratch"/*/slow > "$scratch/slow" 2>/dev/null && [ -s "$scratch/slow" ]; then
        echo "== slowest tests (seconds):"
        sort -rn "$scratch/slow" | head -n 12 | sed 's/^/   /'
    fi
    # Last, so that the end of the output CI shows says which tests failed.
    if cat "$scratch"/*/fails > "$scratch/fails" 2>/dev/null && [ -s "$scratch/fails" ]; then
        echo "== failed:"
        cut -c 1-400 "$scratch/fails"
    fi
    set -- $(cat "$scratch"/*/counts 2>/dev/null |
        awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }')
    echo "$1 passed, $2 failed, $3 skipped"
    [ "$2" -eq 0 ]
}

# Each fuzz target's seed corpus and crash reproducers, replayed through
# its harness (tests/fuzz/replay.c; `make fuzz` does the fuzzing).
replay_fuzz() {
    for c in tests/fuzz/corpus/*/; do
        t=$(basename "$c")
        run "fuzz replay $t$2" "$1/tests/fuzz/replay-$t" "$c" "tests/fuzz/crashes/$t"
    done
}

export GVAB_BIN="$top/$B/gvab"
t_all=$(date +%s)
run "unit" "$B/tests/unit"
if [ "$mode" = fast ]; then
    run "integration (quick suites)" "$B/tests/integration" quick
    restore_tracefs
    echo "== wall time $(( $(date +%s) - t_all ))s"
    finish
    exit
fi

# Sanitizers: the same tests built with -fsanitize=address,undefined. The
# suites that build gVisor or boot real runsc are not repeated (same code
# paths as the normal build's).
# sanitized COMMAND...: COMMAND in a subshell with the sanitized build's
# gvab and fake runsc and the sanitizers' options.
sanitized() (
    export GVAB_BIN="$top/$B/asan/gvab"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export GVAB_FAKE_RUNSC="$top/$B/asan/tests/fake-runsc"
    "$@"
)
# The unit tests (Check's default 4 s per test) run before the lanes load
# the host.
sanitized run "unit (ASan+UBSan)" "$B/asan/tests/unit"

lanes=
# On a fresh machine the longest path is the module lane (a cold compile of
# the 2026 tree), then module2 (its patched arm) and realbisect (the
# real-tree bisect), which reuse that compile and so start once it has
# ended; the debian lane's compiles, which nothing waits for, yield the CPU
# to them.
lane module run "integration: module" "$B/tests/integration" full module
lane module2 after module run "integration: module2" "$B/tests/integration" full module2
lane realbisect after module run "integration: realbisect" "$B/tests/integration" full realbisect
lane_nice=10
lane debian run "integration: debian" "$B/tests/integration" full debian
lane_nice=
for l in system bisect1 bisect2 trend; do
    lane "$l" run "integration: $l" "$B/tests/integration" full "$l"
done
other() {
    run "integration: other" "$B/tests/integration" full other
    replay_fuzz "$B" ""
}
lane other other
lane asan_trend sanitized run "integration (ASan+UBSan): trend" "$B/asan/tests/integration" fast trend
asan_rest() {
    run "integration (ASan+UBSan): other" "$B/asan/tests/integration" fast other
    replay_fuzz "$B/asan" " (ASan+UBSan)"
}
lane asan_other sanitized asan_rest
echo "== lanes side by side:$lanes (each printed when it ends)"
wait_lanes

restore_tracefs
echo "== wall time $(( $(date +%s) - t_all ))s"
finish
