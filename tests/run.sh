#!/bin/sh
# Runs every test binary of a build directory (normal build, then the
# ASan+UBSan build) and ends with one line CI can read: "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR
set -u
B=${1:-build}
top=$(pwd)
export GVAB_FAKE_RUNSC="$top/$B/tests/fake-runsc"
export GVAB_ITEST_ARMS="$top/$B/itest-arms"
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-1}
passed=0
failed=0
log=$(mktemp)

# run LABEL BINARY ARGS...: runs one Check binary, adds its counts.
run() {
    label=$1
    shift
    echo "== $label"
    "$@" 2>&1 | tee "$log"
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "== $label: no Check summary (crashed?)"
        failed=$((failed + 1))
        return
    fi
    checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    errs=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    bad=$((fails + errs))
    passed=$((passed + checks - bad))
    failed=$((failed + bad))
}

export GVAB_BIN="$top/$B/gvab"
run "unit" "$B/tests/unit"
run "integration" "$B/tests/integration"

# Sanitizers: the same tests built with -fsanitize=address,undefined. The
# slow suites that build gVisor are not repeated (same code paths as above).
export GVAB_BIN="$top/$B/asan/gvab"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export GVAB_FAKE_RUNSC="$top/$B/asan/tests/fake-runsc"
run "unit (ASan+UBSan)" "$B/asan/tests/unit"
run "integration (ASan+UBSan, fast suites)" "$B/asan/tests/integration" fast

rm -f "$log"
# sshd instances of the hosts suite outlive a test that failed mid-way.
pkill -f "sshd -f /tmp/gvab-itest-hosts-" 2>/dev/null || true
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
