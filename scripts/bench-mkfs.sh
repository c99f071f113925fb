#!/usr/bin/env bash
# bench-mkfs.sh: our in-memory mkfs (BenchmarkMkfs in core/ext4) against
# `mke2fs -q -F -t ext4` on a sparse file in tmpfs, for 64 MiB, 1 GiB,
# 16 GiB and 256 GiB, in one run; prints times, the ratio and our memory.
# Usage: scripts/bench-mkfs.sh [runs-per-size]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
mke2fs=$(command -v mke2fs || echo /sbin/mke2fs)
[ -x "$mke2fs" ] || { echo "bench-mkfs: mke2fs not found" >&2; exit 1; }
dir=/dev/shm
[ -d "$dir" ] && [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
img=$(mktemp "$dir/bench-mkfs.XXXXXX")
trap 'rm -f "$img"' EXIT

declare -A ours mem theirs
while read -r name _ ns _ mib _; do
	size=${name#BenchmarkMkfs/}; size=${size%%MiB*}
	ours[$size]=$ns; mem[$size]=$mib
done < <(go test ./core/ext4 -run '^$' -bench '^BenchmarkMkfs$' -benchtime 20x | grep '^BenchmarkMkfs/')

for mib in 64 1024 16384 262144; do
	total=0
	for ((i = 0; i < runs; i++)); do
		rm -f "$img"; truncate -s "${mib}M" "$img"
		t0=$(date +%s%N)
		"$mke2fs" -q -F -t ext4 "$img"
		t1=$(date +%s%N)
		total=$((total + t1 - t0))
	done
	theirs[$mib]=$((total / runs))
done

printf '%-10s %14s %14s %9s %12s\n' size "ours (ms)" "mke2fs (ms)" speedup "our memory"
for mib in 64 1024 16384 262144; do
	o=${ours[$mib]:-0}; m=${theirs[$mib]}
	awk -v s="$mib" -v o="$o" -v m="$m" -v mem="${mem[$mib]:-?}" 'BEGIN {
		label = (s >= 1024) ? sprintf("%d GiB", s / 1024) : sprintf("%d MiB", s)
		printf "%-10s %14.2f %14.2f %8.1fx %9s MiB\n", label, o / 1e6, m / 1e6, (o > 0 ? m / o : 0), mem }'
done
