#!/usr/bin/env bash
# bench-dio.sh: the DIO model's numbers for the issue-5 note.
#  1. runs/s of one simulation and of explore (all cores), native and
#     js/wasm under Node, on the default scenario and on two-writers;
#  2. runs to the first sleep-in-atomic on v4.5-rc3, random vs pct;
#  3. the seed thread's table: variant x mount option x verdict counts
#     over N runs each, random and pct.
#  4. opt-in (FULL=1): the full-size generic/300 job (examples/fio/
#     generic-300.fio on 512 MiB) run to completion on jan-fix, and to its
#     verdict on v4.5-rc3: wall time, steps, peak RSS, verdict.
# Usage: scripts/bench-dio.sh [N]   (default 1000; the acceptance soak is 10000)
#        FULL=1 scripts/bench-dio.sh   (adds 4.; minutes, up to ~1.5 GB RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
bin=.cache/bin/ext4play
mkdir -p .cache/bin
go build -o "$bin" ./cmd/ext4play

echo "== native benchmarks"
go test ./core/explore -run '^$' -bench 'BenchmarkRun$|BenchmarkExplore$|BenchmarkRunsToFirstVerdict' -benchtime 1x 2>&1 | grep -E '^Benchmark' || true
go test ./core/explore -run '^$' -bench 'BenchmarkRun$' -benchtime 200x 2>&1 | grep -E '^Benchmark' || true

echo "== js/wasm under Node"
GOOS=js GOARCH=wasm go test ./core/explore -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run '^$' -bench 'BenchmarkRun$' -benchtime 50x 2>&1 | grep -E '^Benchmark' || true

echo "== time to find the seed's panic from scratch (v4.5-rc3, random)"
start=$(date +%s%N)
"$bin" explore generic-300-dioread-nolock --runs 2000 --want sleep-in-atomic --stop --no-minimise --json >/tmp/bench-dio-find.json || true
end=$(date +%s%N)
python3 - "$((end - start))" <<'PY'
import json, sys
d = json.load(open('/tmp/bench-dio-find.json'))
f = d.get('first_failure') or {}
print(f"first sleep-in-atomic at run {f.get('run')}; whole command (build of the base image included) {int(sys.argv[1])/1e9:.2f} s")
PY

echo "== variant x mount x verdicts over $n runs each (generic-300-dioread-nolock, workload seed 1)"
printf '%-9s %-15s %-7s %6s  %s\n' kernel mount strategy clean verdicts
for k in v4.4 v4.5-rc3 revert jan-fix v4.6; do
	for m in dioread_nolock none; do
		for s in random pct; do
			"$bin" explore generic-300-dioread-nolock --kernel "$k" --mount "$m" --strategy "$s" --runs "$n" --no-minimise --json >/tmp/bench-dio-row.json || true
			python3 - "$k" "$m" "$s" <<'PY'
import json, sys
d = json.load(open('/tmp/bench-dio-row.json'))
v = ' '.join(f'{k}={c}' for k, c in sorted(d['verdicts'].items())) or '-'
print(f"{sys.argv[1]:<9} {sys.argv[2]:<15} {sys.argv[3]:<7} {d['clean']:>6}/{d['runs']}  {v}  ({d['runs_per_second']:.0f} runs/s)")
PY
		done
	done
done

if [ -n "${FULL:-}" ]; then
	echo "== full-size generic/300 (examples/scenarios/generic-300-full.json)"
	for k in jan-fix v4.5-rc3; do
		/usr/bin/time -v "$bin" run examples/scenarios/generic-300-full.json --kernel "$k" --json --no-choices --steps 1000000000 \
			>/tmp/bench-dio-full.json 2>/tmp/bench-dio-full.time || true
		python3 - "$k" <<'PY'
import json, re, sys
d = json.load(open('/tmp/bench-dio-full.json'))
t = open('/tmp/bench-dio-full.time').read()
wall = re.search(r'Elapsed \(wall clock\) time.*: (\S+)', t).group(1)
rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', t).group(1))
print(f"{sys.argv[1]:<9} verdict {d['verdict']} after {d['steps']} steps; wall {wall}, peak RSS {rss/1024:.0f} MiB")
PY
	done
fi
