#!/bin/sh
# Fails when a folder that holds tracked files matches an ignore rule: a new
# file added there would be left out of `git add -A` silently, and a clean
# clone (CI) would then fail to build (seen: .gitignore's unanchored
# `build/` also matched rig/build/). Run by `make check` and `make
# check-fast`; outside a git checkout (a release tarball) it says so and
# passes.
# Usage: tests/check_tree.sh [REPO_DIR]
set -eu
cd "${1:-.}"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "check_tree: not a git checkout, nothing to check"
    exit 0
fi
# Every folder of every tracked file, and each folder above it, with a
# trailing slash so directory-only patterns (`build/`) apply.
dirs=$(git ls-files -z | tr '\0' '\n' | awk -F/ '{ p = ""; for (i = 1; i < NF; i++) { p = p $i "/"; print p } }' | sort -u)
[ -n "$dirs" ] || exit 0
bad=$(printf '%s\n' "$dirs" | git check-ignore --no-index --stdin -v 2>/dev/null || true)
if [ -n "$bad" ]; then
    echo "check_tree: tracked folders match an ignore rule (new files there would not be committed):"
    printf '%s\n' "$bad" | sed 's/^/  /'
    exit 1
fi
echo "check_tree: no tracked folder matches an ignore rule ($(printf '%s\n' "$dirs" | wc -l) folders)"
