#!/bin/sh
# make fuzz: runs each libFuzzer target for SECONDS, one at a time.
# Usage: tests/fuzz/run.sh FUZZ_BUILD_DIR SECONDS TARGET...
# New corpus entries go to FUZZ_BUILD_DIR/corpus/TARGET (the seed corpus in
# tests/fuzz/corpus/TARGET is read, never written); crashes, leaks, timeouts
# (over 10 s) and out-of-memory inputs to FUZZ_BUILD_DIR/crashes/TARGET/.
# Keep a fixed crash as a reproducer in tests/fuzz/crashes/TARGET/: `make
# check` replays every file there.
set -u
FB=$1
SECS=$2
shift 2
failed=0
printf '%-16s %12s %8s %8s %s\n' target execs seconds corpus crashes >"$FB/fuzz-summary.txt"
for t in "$@"; do
    mkdir -p "$FB/corpus/$t" "$FB/crashes/$t"
    log="$FB/fuzz-$t.log"
    echo "== fuzz $t (${SECS}s)"
    "$FB/tests/fuzz/fuzz-$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$FB/crashes/$t/" \
        "$FB/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    crashes=$(ls "$FB/crashes/$t" | wc -l)
    ncorpus=$(ls "$FB/corpus/$t" | wc -l)
    printf '%-16s %12s %8s %8s %s\n' "$t" "${execs:-?}" "$SECS" "$ncorpus" "$crashes" \
        | tee -a "$FB/fuzz-summary.txt"
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=$((failed + 1))
        grep -m 3 -E 'ERROR|SUMMARY|Test unit written' "$log"
    fi
done
cat "$FB/fuzz-summary.txt"
[ "$failed" -eq 0 ]
