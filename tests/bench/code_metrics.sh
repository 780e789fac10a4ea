#!/bin/sh
# Code-shape metrics of gvab's C sources (tests excluded): the five longest
# functions and every file over 500 lines.
set -eu
cd "$(dirname "$0")/../.."
files=$(git ls-files '*.c' | grep -v '^tests/')
echo "longest functions (lines, file:line function):"
for f in $files; do
	awk -v f="$f" '
	/^[A-Za-z_].*\(/ && !/;[ \t]*$/ { sig = $0; sl = NR }
	/^\{/ { if (sig != "") { start = sl; name = sig; inb = 1 } }
	/^\}/ { if (inb) { n = NR - start + 1; sub(/\(.*/, "", name); k = split(name, w, /[ *]+/); printf "%d %s:%d %s\n", n, f, start, w[k]; inb = 0; sig = "" } }
	' "$f"
done | sort -rn | head -5 | sed 's/^/  /'
echo "files over 500 lines:"
n=0
for f in $files; do
	l=$(wc -l < "$f")
	if [ "$l" -gt 500 ]; then echo "  $l $f"; n=$((n + 1)); fi
done | sort -rn
echo "$(for f in $files; do wc -l < "$f"; done | awk '$1 > 500' | wc -l) files over 500 lines of $(echo "$files" | wc -l)"
