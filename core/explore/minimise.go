package explore

import (
	"math/rand/v2"

	"ext4play/core/dio"
	"ext4play/core/sim"
)

// sticky is a random strategy that rarely preempts: it stays on the
// current task unless a draw below eps says switch. Failing runs it finds
// have few preemptions, a good start for minimisation.
type sticky struct {
	rng *rand.Rand
	eps float64
}

func (s *sticky) Choose(c *sim.Choice) int {
	if s.rng.Float64() >= s.eps {
		for i, r := range c.Runnable {
			if r.Task == c.Current {
				return i
			}
		}
	}
	return s.rng.IntN(len(c.Runnable))
}

// edited replays a schedule but stays on the current task (no
// preemption) at the choice numbers in stay; an index that no longer
// fits the runnable set is wrapped.
// It follows the schedule by task identity (tids, when set): at choice N
// it picks the task the original picked, so dropping one preemption does
// not scramble the choices after it.
type edited struct {
	sc   sim.Schedule
	tids []int32
	stay map[int]bool
}

func (e *edited) Choose(c *sim.Choice) int {
	if e.stay[c.N] || c.N >= len(e.sc) {
		for i, r := range c.Runnable {
			if r.Task == c.Current {
				return i
			}
		}
		if c.N >= len(e.sc) {
			return 0
		}
	}
	if c.N < len(e.tids) {
		for i, r := range c.Runnable {
			if r.Task == e.tids[c.N] {
				return i
			}
		}
	}
	return int(e.sc[c.N]) % len(c.Runnable)
}

// preemptionsOf replays sc and returns the choice numbers that preempted.
type recorder struct {
	inner sim.Strategy
	pre   []int
	tids  []int32
}

func (r *recorder) Choose(c *sim.Choice) int {
	i := r.inner.Choose(c)
	if i >= 0 && i < len(c.Runnable) {
		r.tids = append(r.tids, c.Runnable[i].Task)
	}
	if i >= 0 && i < len(c.Runnable) && c.Runnable[i].Task != c.Current {
		for _, x := range c.Runnable {
			if x.Task == c.Current {
				r.pre = append(r.pre, c.N)
				break
			}
		}
	}
	return i
}

// Minimise shrinks f in place: first the shortest prefix of its choices
// that still fails with the same verdict kind (the rest of the run is
// non-preemptive), then removes preemptions in chunks (ddmin-style) while
// the kind stays. budget bounds the replays (0: 200).
func Minimise(p *dio.Prepared, f *Failure, budget int) {
	if budget <= 0 {
		budget = 200
	}
	kind := f.Verdict
	best := f.Result
	runs := 0
	var tids []int32
	arena := dio.NewArena()
	defer arena.Close()
	try := func(st sim.Strategy) (*dio.Result, []int, bool) {
		runs++
		rec := &recorder{inner: st}
		r := p.Run(rec, dio.Options{Arena: arena})
		if r.Verdict == kind {
			tids = rec.tids
		}
		return r, rec.pre, r.Verdict == kind
	}
	// A few low-preemption random runs: keep any that fails the same way
	// with fewer preemptions.
	epss := []float64{0.05, 0.1, 0.2}
	for i := 0; i < budget/2; i++ {
		st := &sticky{rng: rand.New(rand.NewPCG(uint64(i), 0x6d696e)), eps: epss[i%len(epss)]}
		if r, _, ok := try(st); ok && r.Preemptions < best.Preemptions {
			best = r
		}
	}
	// Shortest failing prefix, by bisection.
	lo, hi := 0, len(best.Schedule)
	for lo < hi && runs < budget/2 {
		mid := (lo + hi) / 2
		if r, _, ok := try(&edited{sc: best.Schedule[:mid]}); ok {
			hi = mid
			if r.Steps <= best.Steps || r.Preemptions <= best.Preemptions {
				best = r
			}
		} else {
			lo = mid + 1
		}
	}
	r, pre, ok := try(&edited{sc: best.Schedule})
	if !ok {
		r, pre = best, nil
		_, pre, _ = try(sim.Replay(best.Schedule))
	} else {
		best = r
	}
	// Drop preemptions in chunks (ddmin): keep only one chunk, or drop
	// one chunk, as long as the same verdict comes out.
	chunk := max(len(pre)/2, 1)
	for len(pre) > 0 && runs < budget {
		progress := false
		for _, keepOnly := range []bool{true, false} {
			for start := 0; start < len(pre) && runs < budget && !progress; start += chunk {
				stay := map[int]bool{}
				for i, n := range pre {
					if in := i >= start && i < start+chunk; in != keepOnly {
						stay[n] = true
					}
				}
				if r2, pre2, ok := try(&edited{sc: best.Schedule, tids: tids, stay: stay}); ok && r2.Preemptions < best.Preemptions {
					best, pre = r2, pre2
					progress = true
				}
			}
			if progress {
				break
			}
		}
		if !progress {
			if chunk == 1 {
				break
			}
			chunk = max(chunk/2, 1)
		}
	}
	// Re-record the final schedule exactly as a plain replay sees it.
	final := p.Run(sim.Replay(best.Schedule), dio.Options{Arena: arena})
	runs++
	if final.Verdict == kind {
		best = final
	}
	f.Result, f.Steps, f.Preemptions, f.Choices = best, best.Steps, best.Preemptions, best.Choices
	f.MinimiseRuns = runs
}
