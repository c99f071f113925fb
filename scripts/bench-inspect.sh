#!/usr/bin/env bash
# Compares `ext4play inspect --json` with e2fsprogs reading the same image:
# `dumpe2fs` (superblock, every group, bitmaps) plus `debugfs` listing every
# directory with `ls -l` — the e2fsprogs way to see what inspect shows.
# The image (1 GiB ext4, 10,000 files in 100 directories, made with
# mke2fs -d) is built once by BenchmarkInspect1GiB10kFiles and cached.
#
#   scripts/bench-inspect.sh [RUNS]     (default 5 runs of each side)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-${BENCH_RUNS:-5}}
for t in mke2fs dumpe2fs debugfs go awk; do
	command -v "$t" >/dev/null || { echo "bench-inspect: $t is required" >&2; exit 1; }
done
tmp=${TMPDIR:-/tmp}
img=$tmp/ext4play-bench-go/inspect-1g-10k.img
if [ ! -f "$img.done" ]; then
	echo "building the benchmark image (once): $img" >&2
	go test -run '^$' -bench '^BenchmarkInspect1GiB10kFiles$' -benchtime 1x ./core/ext4/ >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ext4play" ./cmd/ext4play

# debugfs commands: ls -l of / and of every directory below it (two
# levels), and — for the content-reading comparison — cat of every file.
{
	echo "ls -l /"
	debugfs -R "ls -p /" "$img" 2>/dev/null | awk -F/ '$3 ~ /^0?40/ && $6 != "." && $6 != ".." { print "ls -l /" $6 }'
} > "$work/ls"
sed 's/^ls -l /ls -p /' "$work/ls" > "$work/lsp"
debugfs -f "$work/lsp" "$img" 2>/dev/null | awk -F/ '
	/^debugfs: ls -p / { dir = $0; sub(/^debugfs: ls -p \/?/, "", dir) }
	$3 ~ /^0?100/ { print "cat /" (dir == "" ? "" : dir "/") $6 }' > "$work/cat"

now() { date +%s%N; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }
# The machine may be shared: the two sides alternate within each run, the
# load average is printed, and medians (robust to a busy moment) are
# reported beside the means.
load0=$(load)
: > "$work/times"
for _ in $(seq "$runs"); do
	t0=$(now)
	"$work/ext4play" inspect --json "$img" > "$work/ours.json"
	t1=$(now)
	"$work/ext4play" inspect --json --no-content "$img" > /dev/null
	t2=$(now)
	dumpe2fs "$img" > "$work/dumpe2fs.txt" 2>/dev/null
	debugfs -f "$work/ls" "$img" > "$work/debugfs.txt" 2>/dev/null
	t3=$(now)
	debugfs -f "$work/cat" "$img" 2>/dev/null | sha256sum > /dev/null
	t4=$(now)
	echo "$((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3))" >> "$work/times"
done
load1=$(load)
# stat COLUMN mean|median: milliseconds (column 5: list + content).
stat() {
	awk -v c="$1" '{ print (c == 5 ? $3 + $4 : $c) }' "$work/times" | sort -n |
		awk -v how="$2" '{ v[NR] = $1; s += $1 } END {
			m = how == "mean" ? s / NR : (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
			printf "%.1f", m / 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
files=$(grep -o '"ino":' "$work/ours.json" | wc -l)
echo "image: $img ($runs runs each, $files inodes, $(wc -l < "$work/cat") files)"
echo "load average (1, 5, 15 min): $load0 before, $load1 after; $(nproc) CPUs"
echo "                                            mean        median"
echo "ext4play inspect --json                     $(stat 1 mean) ms   $(stat 1 median) ms   (metadata + sha256 of every file)"
echo "ext4play inspect --json --no-content        $(stat 2 mean) ms   $(stat 2 median) ms   (metadata only)"
echo "dumpe2fs + debugfs ls -l of every dir       $(stat 3 mean) ms   $(stat 3 median) ms"
echo "  + debugfs cat of every file | sha256sum   $(stat 5 mean) ms   $(stat 5 median) ms"
echo "ratio (issue 2: inspect --json vs dumpe2fs + debugfs ls): $(ratio "$(stat 1 mean)" "$(stat 3 mean)") (means), $(ratio "$(stat 1 median)" "$(stat 3 median)") (medians)"
echo "ratio (metadata only):    ext4play / e2fsprogs = $(ratio "$(stat 2 mean)" "$(stat 3 mean)") (means), $(ratio "$(stat 2 median)" "$(stat 3 median)") (medians)"
echo "ratio (with content):     ext4play / e2fsprogs = $(ratio "$(stat 1 mean)" "$(stat 5 mean)") (means), $(ratio "$(stat 1 median)" "$(stat 5 median)") (medians)"
