// Package explore runs many schedules of a prepared DIO scenario: seeded
// random and PCT runs spread over all cores (each simulation is
// single-threaded and independent), bounded DFS with partial-order
// reduction, counts per verdict kind, the first failing run, and its
// minimisation (fewest steps and preemptions that still fail the same
// way). Explorer is the single-threaded, incremental form the browser's
// Web Worker drives in chunks (Next), with progress and cancel.
//
// Run i of a random or PCT exploration uses seed Config.Seed+i, so the
// counts and the first failure do not depend on the number of workers.
package explore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"ext4play/core/dio"
	"ext4play/core/scenario"
	"ext4play/core/sim"
)

// ErrBadConfig is returned for an unusable Config.
var ErrBadConfig = errors.New("explore: bad config")

// Config says how to explore.
type Config struct {
	Strategy scenario.Strategy // random, pct or dfs
	Runs     int               // runs to execute (dfs: at most)
	Seed     uint64            // run i uses Seed+i
	PCTDepth int               // 0: 3
	DFSBound int               // dfs preemption bound; 0: 2
	Workers  int               // 0: 2 × GOMAXPROCS (random and pct only)
	// StopAtFirst ends the exploration at the first failing run.
	StopAtFirst bool
	// Want, when set, makes only runs failing with this verdict kind
	// count as failures for First and StopAtFirst (e.g. sleep-in-atomic).
	Want string
	// Minimise shrinks the first failure (MinimiseBudget runs at most).
	Minimise       bool
	MinimiseBudget int // 0: 200
}

// Failure is a failing run, replayable from Choices (strategy replay).
type Failure struct {
	Run         int // index of the run (its seed is Config.Seed+Run)
	Verdict     string
	Steps       int
	Preemptions int
	Choices     string
	Result      *dio.Result
	// Original steps and preemptions before minimisation.
	OrigSteps, OrigPreemptions int
	MinimiseRuns               int
}

// Stats is what an exploration found.
type Stats struct {
	Runs          int
	Clean         int
	Verdicts      map[string]int // kind of each failing run's first verdict
	First         *Failure
	Elapsed       time.Duration
	RunsPerSecond float64
	Exhausted     bool // dfs covered the whole bounded space
}

func (c *Config) check() error {
	switch c.Strategy {
	case scenario.StrategyRandom, scenario.StrategyPCT, scenario.StrategyDFS:
	default:
		return fmt.Errorf("strategy %q (want random, pct or dfs): %w", c.Strategy, ErrBadConfig)
	}
	if c.Runs <= 0 {
		return fmt.Errorf("runs %d: must be positive: %w", c.Runs, ErrBadConfig)
	}
	return nil
}

func (c *Config) wanted(verdict string) bool {
	if c.Want != "" {
		return verdict == c.Want
	}
	return verdict != "clean"
}

func (c *Config) strategy(p *dio.Prepared, run int) sim.Strategy {
	seed := c.Seed + uint64(run)
	if c.Strategy == scenario.StrategyPCT {
		d := c.PCTDepth
		if d <= 0 {
			d = 3
		}
		return sim.PCT(seed, d, p.EstSteps())
	}
	return sim.Random(seed)
}

// Explore runs cfg.Runs schedules of p on all cores and minimises the
// first failure if asked. ctx cancels between runs.
func Explore(ctx context.Context, p *dio.Prepared, cfg Config) (*Stats, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	start := time.Now()
	var st *Stats
	if cfg.Strategy == scenario.StrategyDFS {
		st = exploreDFS(p, cfg)
	} else {
		st = exploreParallel(ctx, p, cfg)
	}
	st.Elapsed = time.Since(start)
	if s := st.Elapsed.Seconds(); s > 0 {
		st.RunsPerSecond = float64(st.Runs) / s
	}
	if cfg.Minimise && st.First != nil {
		Minimise(p, st.First, cfg.MinimiseBudget)
	}
	return st, ctx.Err()
}

func exploreParallel(ctx context.Context, p *dio.Prepared, cfg Config) *Stats {
	workers := cfg.Workers
	if workers <= 0 {
		// A simulation leaves its core idle while coroutines hand over:
		// two per core keep it busy.
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	verdicts := make([]string, cfg.Runs)
	done := make([]bool, cfg.Runs)
	var next atomic.Int64
	var firstFail atomic.Int64
	firstFail.Store(int64(cfg.Runs))
	var mu sync.Mutex
	results := map[int]*dio.Result{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arena := dio.NewArena() // this worker's runs reuse coroutines and buffers
			defer arena.Close()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.Runs || (cfg.StopAtFirst && int64(i) > firstFail.Load()) {
					return
				}
				r := p.Run(cfg.strategy(p, i), dio.Options{Arena: arena, NoChoices: true})
				verdicts[i], done[i] = r.Verdict, true
				if cfg.wanted(r.Verdict) {
					mu.Lock()
					if int64(i) < firstFail.Load() {
						firstFail.Store(int64(i))
						results[i] = r
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	st := &Stats{Verdicts: map[string]int{}}
	limit := cfg.Runs
	if cfg.StopAtFirst && firstFail.Load() < int64(cfg.Runs) {
		limit = int(firstFail.Load()) + 1
	}
	for i := 0; i < limit; i++ {
		if !done[i] {
			continue
		}
		st.Runs++
		if verdicts[i] == "clean" {
			st.Clean++
		} else {
			st.Verdicts[verdicts[i]]++
		}
	}
	if f := int(firstFail.Load()); f < cfg.Runs {
		r := results[f]
		r.Choices = r.Schedule.Encode()
		st.First = &Failure{Run: f, Verdict: r.Verdict, Steps: r.Steps, Preemptions: r.Preemptions,
			Choices: r.Choices, Result: r, OrigSteps: r.Steps, OrigPreemptions: r.Preemptions}
	}
	return st
}

func exploreDFS(p *dio.Prepared, cfg Config) *Stats {
	bound := cfg.DFSBound
	if bound == 0 {
		bound = 2
	}
	cont := !p.Scenario.StopAtFirstVerdict
	dr := sim.DFS(p.Program(cont, nil), sim.DFSConfig{
		Config:          sim.Config{StepsMax: int(p.Scenario.StepLimit), Continue: cont},
		PreemptionBound: bound, Reduction: sim.ReductionDPOR, RunsMax: cfg.Runs, StopAtFirst: cfg.StopAtFirst,
	})
	st := &Stats{Runs: dr.Runs, Clean: dr.Runs - dr.Failures, Verdicts: map[string]int{}, Exhausted: dr.Exhausted}
	if dr.First != nil {
		r := p.Run(sim.Replay(dr.First.Schedule), dio.Options{})
		st.First = &Failure{Run: dr.Runs, Verdict: r.Verdict, Steps: r.Steps, Preemptions: r.Preemptions,
			Choices: r.Choices, Result: r, OrigSteps: r.Steps, OrigPreemptions: r.Preemptions}
		// DFS reports only how many runs failed, not their kinds: the
		// first failure's kind stands for them.
		st.Verdicts[r.Verdict] = dr.Failures
	}
	return st
}
