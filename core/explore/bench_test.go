package explore

import (
	"context"
	"sort"
	"testing"

	"ext4play/core/dio"
	"ext4play/core/scenario"
	"ext4play/core/sim"
)

// BenchmarkRun is one run of a scenario (single-threaded): runs/s.
func BenchmarkRun(b *testing.B) {
	for _, name := range []string{scenario.DefaultExample, "two-writers"} {
		b.Run(name, func(b *testing.B) {
			p := prepared(b, name, scenario.KernelJanFix, true)
			b.ReportAllocs()
			steps := 0
			arena := dio.NewArena() // as an explore worker runs
			defer arena.Close()
			cpu0 := cpuSeconds()
			for i := 0; b.Loop(); i++ {
				steps += p.Run(sim.Random(uint64(i)), dio.Options{Arena: arena}).Steps
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
			if cpu := cpuSeconds() - cpu0; cpu0 >= 0 && cpu > 0 {
				// Per CPU second (GC included): steadier on a shared machine.
				b.ReportMetric(float64(b.N)/cpu, "runs/cpu-s")
			}
			b.ReportMetric(float64(steps)/float64(b.N), "steps/run")
		})
	}
}

// BenchmarkExplore is explore on all cores: runs/s.
func BenchmarkExplore(b *testing.B) {
	for _, name := range []string{scenario.DefaultExample, "two-writers"} {
		b.Run(name, func(b *testing.B) {
			p := prepared(b, name, scenario.KernelV45rc3, true)
			runs := 0
			cpu0 := cpuSeconds()
			for i := 0; b.Loop(); i++ {
				st, err := Explore(context.Background(), p, Config{Strategy: scenario.StrategyRandom, Runs: 200, Seed: uint64(i) * 200})
				if err != nil {
					b.Fatal(err)
				}
				runs += st.Runs
			}
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
			if cpu := cpuSeconds() - cpu0; cpu0 >= 0 && cpu > 0 {
				b.ReportMetric(float64(runs)/cpu, "runs/cpu-s")
			}
		})
	}
}

// BenchmarkRunsToFirstVerdict: median number of runs until the first
// sleep-in-atomic on v4.5-rc3, random vs pct, over 9 seed blocks (a
// block that finds none in 400 runs counts as 401), and the wall time to
// find it from scratch.
func BenchmarkRunsToFirstVerdict(b *testing.B) {
	for _, strat := range []scenario.Strategy{scenario.StrategyRandom, scenario.StrategyPCT} {
		b.Run(string(strat), func(b *testing.B) {
			p := prepared(b, scenario.DefaultExample, scenario.KernelV45rc3, true)
			var found []int
			for i := 0; b.Loop(); i++ {
				found = found[:0]
				for blk := 0; blk < 9; blk++ {
					st, _ := Explore(context.Background(), p, Config{Strategy: strat, Runs: 400, Seed: uint64(blk) * 100000,
						StopAtFirst: true, Want: dio.KindSleepInAtomic, Workers: 1})
					n := 401 // not found
					if st.First != nil {
						n = st.First.Run + 1
					}
					found = append(found, n)
				}
			}
			sort.Ints(found)
			b.ReportMetric(float64(found[len(found)/2]), "median-runs")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/9, "s/find")
		})
	}
}
