package explore

import (
	"sync/atomic"
	"time"

	"ext4play/core/dio"
	"ext4play/core/scenario"
)

// Explorer is the single-threaded, incremental exploration the browser's
// Web Worker drives: call Next(k) repeatedly (each call runs at most k
// schedules) until Progress.Finished; Cancel stops it between runs.
type Explorer struct {
	p        *dio.Prepared
	cfg      Config
	st       Stats
	next     int
	started  time.Time
	elapsed  time.Duration
	canceled atomic.Bool
	finished bool
	arena    *dio.Arena // closed when the exploration finishes
}

// Progress is the state after a Next call.
type Progress struct {
	Done, Total int
	Stats       Stats
	Finished    bool
}

// NewExplorer prepares an incremental exploration (random or pct; dfs
// runs whole in its first Next call).
func NewExplorer(p *dio.Prepared, cfg Config) (*Explorer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Explorer{p: p, cfg: cfg, st: Stats{Verdicts: map[string]int{}}}, nil
}

// Cancel asks the explorer to stop; the next Next returns Finished.
func (e *Explorer) Cancel() { e.canceled.Store(true) }

// Next runs up to k more schedules.
func (e *Explorer) Next(k int) Progress {
	start := time.Now()
	if e.cfg.Strategy == scenario.StrategyDFS && !e.finished {
		st := exploreDFS(e.p, e.cfg)
		e.st = *st
		e.next = e.cfg.Runs
		e.finished = true
	}
	for n := 0; n < k && !e.finished; n++ {
		if e.canceled.Load() || e.next >= e.cfg.Runs {
			e.finished = true
			break
		}
		if e.arena == nil {
			e.arena = dio.NewArena()
		}
		r := e.p.Run(e.cfg.strategy(e.p, e.next), dio.Options{Arena: e.arena, NoChoices: true})
		e.st.Runs++
		if r.Verdict == "clean" {
			e.st.Clean++
		} else {
			e.st.Verdicts[r.Verdict]++
			if e.st.First == nil && e.cfg.wanted(r.Verdict) {
				r.Choices = r.Schedule.Encode()
				e.st.First = &Failure{Run: e.next, Verdict: r.Verdict, Steps: r.Steps, Preemptions: r.Preemptions,
					Choices: r.Choices, Result: r, OrigSteps: r.Steps, OrigPreemptions: r.Preemptions}
				if e.cfg.StopAtFirst {
					e.finished = true
				}
			}
		}
		e.next++
	}
	if e.next >= e.cfg.Runs || e.canceled.Load() {
		e.finished = true
	}
	if e.finished && e.arena != nil {
		e.arena.Close()
		e.arena = nil
	}
	e.elapsed += time.Since(start)
	e.st.Elapsed = e.elapsed
	if s := e.elapsed.Seconds(); s > 0 {
		e.st.RunsPerSecond = float64(e.st.Runs) / s
	}
	if e.finished && e.cfg.Minimise && e.st.First != nil && e.st.First.MinimiseRuns == 0 {
		Minimise(e.p, e.st.First, e.cfg.MinimiseBudget)
	}
	return Progress{Done: e.st.Runs, Total: e.cfg.Runs, Stats: e.st, Finished: e.finished}
}

// Replayable returns sc turned into a replay of f, opening at its
// verdict step: what share links carry.
func Replayable(sc *scenario.Scenario, f *Failure) *scenario.Scenario {
	out := *sc
	out.Scheduler = scenario.Scheduler{Strategy: scenario.StrategyReplay, Seed: sc.Scheduler.Seed, Choices: f.Choices}
	if f.Result != nil && len(f.Result.Violations) > 0 {
		step := int64(f.Result.Violations[0].Step)
		out.Step = &step
	}
	return &out
}
