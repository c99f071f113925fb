#!/usr/bin/env bash
# bench-mkfs.sh: our in-memory mkfs (BenchmarkMkfs in core/ext4) against
# `mke2fs -q -F -t ext4` on a sparse file in tmpfs, for 64 MiB, 1 GiB,
# 16 GiB and 256 GiB, in one run; prints times, the ratio and our memory
# (mem: the device's chunk memory; heap: the live heap one image adds).
# mke2fs is timed before and after ours and averaged, so load that comes
# and goes during the run weighs on both sides alike.
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
sizes="64 1024 16384 262144"

declare -A ours mem heap theirs
time_mke2fs() {
	for mib in $sizes; do
		local total=0
		for ((i = 0; i < runs; i++)); do
			rm -f "$img"; truncate -s "${mib}M" "$img"
			local t0 t1
			t0=$(date +%s%N)
			"$mke2fs" -q -F -t ext4 "$img"
			t1=$(date +%s%N)
			total=$((total + t1 - t0))
		done
		theirs[$mib]=$((${theirs[$mib]:-0} + total / runs / 2))
	done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
time_mke2fs
# Fields by unit, not position: "BenchmarkMkfs/64MiB-2 N ns ns/op x MiB-heap y MiB-mem …".
while read -r size ns m h; do
	ours[$size]=$ns; mem[$size]=$m; heap[$size]=$h
done < <(go test ./core/ext4 -run '^$' -bench '^BenchmarkMkfs$' -benchtime 20x | awk '/^BenchmarkMkfs\// {
	size = $1; sub(/^BenchmarkMkfs\//, "", size); sub(/MiB.*/, "", size)
	for (i = 3; i < NF; i++) v[$(i + 1)] = $i
	print size, v["ns/op"], v["MiB-mem"], v["MiB-heap"] }')
time_mke2fs
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

echo "load average before: $load_before, after: $load_after"
printf '%-10s %12s %12s %9s %12s %12s\n' size "ours (ms)" "mke2fs (ms)" speedup "our mem" "our heap"
for mib in $sizes; do
	o=${ours[$mib]:-0}; m=${theirs[$mib]}
	awk -v s="$mib" -v o="$o" -v m="$m" -v mem="${mem[$mib]:-?}" -v heap="${heap[$mib]:-?}" 'BEGIN {
		label = (s >= 1024) ? sprintf("%d GiB", s / 1024) : sprintf("%d MiB", s)
		printf "%-10s %12.3f %12.2f %8.1fx %8.2f MiB %8.2f MiB\n", label, o / 1e6, m / 1e6, (o > 0 ? m / o : 0), mem, heap }'
done
