#!/bin/sh
# Runs every test binary of a build directory (normal build, then the
# ASan+UBSan build) and ends with one line CI can read:
# "N passed, N failed, N skipped".
# Usage: tests/run.sh BUILD_DIR [fast]
#   fast: the unit tests and the quick integration suites (fake runsc,
#   analysis, command line, docs; `integration quick`) of the normal build
#   only (`make check-fast`).
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
export TMPDIR="$scratch"
export GVAB_STATE_DIR="$scratch/state"
export GVAB_JOURNAL="$scratch/knobs-journal.json"
export GVAB_FAKE_RUNSC="$top/$B/tests/fake-runsc"
export GVAB_ITEST_ARMS="$arms"

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
cleanup() {
    stop_ours
    # Interrupted (Ctrl-C reaches the whole process group): the gvab
    # processes of the test that was running stop their boots and put the
    # knobs back, using the state directory under $scratch, so it goes only
    # after they have (polled, at most a minute); then gvab restore kills
    # and removes whatever a killed run left there (sandboxes, cgroups).
    n=0
    while ours_alive && [ "$n" -lt 120 ]; do
        sleep 0.5
        n=$((n + 1))
    done
    [ -x "${GVAB_BIN:-}" ] && "$GVAB_BIN" restore > /dev/null 2>&1 || true
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
passed=0
failed=0
skipped=0
log=$(mktemp)
skips=$(mktemp)
slow=$(mktemp)
nrun=0

# suite_times XML: "   SUITE: N tests in S s" per Check suite.
suite_times() {
    awk '/<title>/ { gsub(/.*<title>|<\/title>.*/, ""); t = $0; order[++n] = t }
         /<duration>/ && t != "" { gsub(/.*<duration>|<\/duration>.*/, ""); d[t] += $0; c[t]++ }
         /<\/suite>/ { t = "" }
         END { for (i = 1; i <= n; i++) printf "   %s: %d tests in %.1fs\n", order[i], c[order[i]], d[order[i]] }' "$1"
}

# run LABEL BINARY ARGS...: runs one Check binary, adds its counts.
run() {
    label=$1
    shift
    echo "== $label"
    nrun=$((nrun + 1))
    xml="$scratch/check-$nrun.xml"
    t0=$(date +%s)
    CK_XML_LOG_FILE_NAME="$xml" "$@" 2>&1 | tee "$log"
    secs=$(( $(date +%s) - t0 ))
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "== $label: no Check summary (crashed?) after ${secs}s"
        failed=$((failed + 1))
        return
    fi
    checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    errs=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    skip=$(grep -c '^SKIP: ' "$log")
    grep '^SKIP: ' "$log" | sed "s|^|[$label] |" >> "$skips"
    bad=$((fails + errs))
    ok=$((checks - bad - skip))
    [ "$ok" -ge 0 ] || ok=0
    passed=$((passed + ok))
    failed=$((failed + bad))
    skipped=$((skipped + skip))
    echo "== $label: $ok passed, $bad failed, $skip skipped in ${secs}s"
    [ -s "$xml" ] && suite_times "$xml" && test_times "$xml" "$label" >> "$slow"
}

# test_times XML LABEL: "SECONDS LABEL: SUITE/TEST" per test, for the list
# of the slowest tests the run ends with (where CI's time goes).
test_times() {
    awk -v l="$2" '/<title>/ { gsub(/.*<title>|<\/title>.*/, ""); t = $0 }
         /<id>/ { gsub(/.*<id>|<\/id>.*/, ""); id = $0 }
         /<duration>/ && id != "" { gsub(/.*<duration>|<\/duration>.*/, ""); printf "%.1f %s: %s/%s\n", $0, l, t, id; id = "" }' "$1"
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

# finish: the skips with their reasons, then the closing line.
finish() {
    rm -f "$log"
    if [ -s "$skips" ]; then
        echo "== skipped:"
        cat "$skips"
    fi
    rm -f "$skips"
    if [ -s "$slow" ]; then
        echo "== slowest tests (seconds):"
        sort -rn "$slow" | head -n 12 | sed 's/^/   /'
    fi
    rm -f "$slow"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
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
run "integration" "$B/tests/integration"
replay_fuzz "$B" ""

# Sanitizers: the same tests built with -fsanitize=address,undefined. The
# slow suites that build gVisor are not repeated (same code paths as above).
export GVAB_BIN="$top/$B/asan/gvab"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export GVAB_FAKE_RUNSC="$top/$B/asan/tests/fake-runsc"
run "unit (ASan+UBSan)" "$B/asan/tests/unit"
run "integration (ASan+UBSan, fast suites)" "$B/asan/tests/integration" fast
replay_fuzz "$B/asan" " (ASan+UBSan)"

restore_tracefs
echo "== wall time $(( $(date +%s) - t_all ))s"
finish
