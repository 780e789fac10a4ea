#!/bin/sh
# Benchmark (not a test): cold and warm module-mode build times of a 2026
# gVisor tree, per arm, as gvab builds them.
#   cold  a fresh cache directory: the gvisor.dev/gvisor module, its
#         dependencies and the Go toolchain go.mod names are downloaded, and
#         the Go build cache is empty;
#   warm  the same arms rebuilt with --force from that cache (nothing is
#         downloaded; go build reuses every compiled package it can).
# The patched arm is built right after stock, so its "cold" row already
# shares stock's compiled packages: that is what a user's first A/B costs.
# Prints wall seconds per step and the cache's size afterwards.
# Usage: tests/bench/build_times.sh BUILD_DIR [PSEUDO_VERSION]
set -eu
B=${1:-build}
ver=${2:-v0.0.0-20260709014902-8ed0c00a3f90}
gvab="$(pwd)/$B/gvab"
tmp=$(mktemp -d /var/tmp/gvab-bench-build-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
now() { date +%s.%N; }
step() { # LABEL ARGS...: runs gvab build, prints its wall time
    label=$1
    shift
    t0=$(now)
    GVAB_CACHE_DIR="$tmp/cache" "$gvab" build -q --source module --ref "$ver" --out "$tmp/arms" "$@"
    t1=$(now)
    awk -v l="$label" -v a="$t0" -v b="$t1" 'BEGIN {printf "  %-28s %7.1f s\n", l, b - a}'
}
echo "== module-mode build times of gvisor.dev/gvisor@$ver on $(nproc) CPUs ($(uname -r))"
step "cold: stock" --arm stock
step "cold: patched (after stock)" --arm patched
step "warm: stock (--force)" --arm stock --force
step "warm: patched (--force)" --arm patched --force
step "no-op: both up to date" --arm stock --arm patched
GVAB_CACHE_DIR="$tmp/cache" "$gvab" cache du | sed 's/^/  /'
