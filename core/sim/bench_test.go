package sim

import (
	"runtime"
	"testing"
)

// benchPoints runs prog b.N times and reports scheduling points per second
// and heap allocations per point.
func benchPoints(b *testing.B, prog Program, cfg func(i int) Config) {
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	steps := 0
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := Run(prog, cfg(i))
		if r.Outcome != OutcomeOK {
			b.Fatalf("run %d: %v %v", i, r.Outcome, r.Verdicts)
		}
		steps += r.Steps
	}
	b.StopTimer()
	cpu := cpuSeconds() - cpu0
	runtime.ReadMemStats(&ms1)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(steps)/sec, "points/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(steps), "allocs/point")
	b.ReportMetric(float64(steps)/float64(b.N), "points/run")
	b.ReportMetric(float64(b.N)/sec, "runs/s")
	if cpu0 >= 0 && cpu > 0 {
		// Throughput per CPU second (all threads, GC included): stable
		// when other processes compete for the cores.
		b.ReportMetric(float64(steps)/cpu, "points/cpu-s")
	}
}

// BenchmarkSchedulingPoints: 8 tasks contending on a mutex and an rwsem,
// random scheduling, no trace recording (the exploration setting).
func BenchmarkSchedulingPoints(b *testing.B) {
	b.ReportAllocs()
	benchPoints(b, contention(250), func(i int) Config { return Config{Strategy: Random(uint64(i))} })
}

// BenchmarkSchedulingPointsRecorded is the same with the trace recorded.
func BenchmarkSchedulingPointsRecorded(b *testing.B) {
	b.ReportAllocs()
	benchPoints(b, contention(250), func(i int) Config { return Config{Strategy: Random(uint64(i)), Record: true} })
}

// BenchmarkShortRuns: runs of about 1,000 points, as an exploration driver
// sees them (a fresh Sim, eight coroutines, random choices per run).
func BenchmarkShortRuns(b *testing.B) {
	b.ReportAllocs()
	benchPoints(b, contention(21), func(i int) Config { return Config{Strategy: Random(uint64(i))} })
}

// BenchmarkDFS: a DPOR search of the dependent 3x4-point program.
func BenchmarkDFS(b *testing.B) {
	always := func(int) bool { return true }
	prog := pointsProgram(3, 4, always, always)
	for i := 0; i < b.N; i++ {
		res := DFS(prog, DFSConfig{PreemptionBound: -1, Reduction: ReductionDPOR})
		if res.Runs != 35 {
			b.Fatalf("runs %d", res.Runs)
		}
	}
	b.ReportMetric(float64(35*b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkSchedulingPointsPCT: the same workload under PCT, where the
// running task usually continues and no coroutine switch is needed.
func BenchmarkSchedulingPointsPCT(b *testing.B) {
	b.ReportAllocs()
	benchPoints(b, contention(250), func(i int) Config { return Config{Strategy: PCT(uint64(i), 3, 10000)} })
}
