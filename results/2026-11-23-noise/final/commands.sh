#!/bin/sh
# The final before/after measurement and the A/A' run, as committed.
# Run from the top of the repository (a git worktree whose build/ held the gvab
# binaries; the upstream arms and the bundle were the main checkout's build/).
F=results/2026-11-23-noise/final
state() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "uptime: $(uptime)"
    echo "rcu_expedited: $(cat /sys/kernel/rcu_expedited)"
    echo "thp enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
    echo "thp defrag: $(cat /sys/kernel/mm/transparent_hugepage/defrag)"
    echo "gvab state: $(ls -d /run/gvab* /run/gvab/* /tmp/gvab* 2>/dev/null | tr '\n' ' ')"
}
{ echo "== before"; state; } > $F/host.txt
sh tests/bench/noise.sh build $F/ab /work/main/build/arms-upstream/r0706/runsc \
    /work/main/build/arms-upstream/r0706-lazy/runsc /work/main/build/bundle \
    before after splitwarm20 before after splitwarm20 before after splitwarm20 > $F/noise.txt 2>&1
sh tests/bench/noise.sh build $F/aa-relayout "$PWD/build/arms-aa/stock/runsc" \
    "$PWD/build/arms-aa/stock2/runsc" /work/main/build/bundle before after > $F/aa-relayout.txt 2>&1
{ echo "== after"; state; } >> $F/host.txt
