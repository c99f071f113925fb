package sim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomProgram builds a small program from seed: 2-3 tasks, each a few
// operations on two shared vars (load into a register, store a register
// value, atomic add), optionally inside a mutex, plus private points. The
// final state records the vars and every task's registers, so it reveals
// the order of every dependent pair.
func randomProgram(seed uint64) (Program, func() map[string]bool) {
	seen := map[string]bool{}
	rng := rand.New(rand.NewPCG(seed, 99))
	type op struct{ kind, v, lock int }
	tasks := make([][]op, 2+rng.IntN(2))
	for i := range tasks {
		for range 2 + rng.IntN(3) {
			tasks[i] = append(tasks[i], op{rng.IntN(4), rng.IntN(2), rng.IntN(4)})
		}
	}
	prog := func(s *Sim) {
		g := s.NewObj("g", "g")
		vars := []*Var{g.NewVar("x", 0, Dec), g.NewVar("y", 0, Dec)}
		m := s.NewMutex("m")
		regs := make([]int64, len(tasks))
		for i, ops := range tasks {
			priv := g.NewVar(fmt.Sprintf("p%d", i), 0, Dec)
			s.Spawn(fmt.Sprintf("t%d", i), Process, func(t *Task) {
				for j, o := range ops {
					if o.lock == 0 {
						m.Lock(t)
					}
					v := vars[o.v]
					switch o.kind {
					case 0:
						regs[i] = regs[i]*10 + v.Load(t)
					case 1:
						v.Store(t, int64(i*10+j))
					case 2:
						v.Add(t, int64(i+1))
					case 3:
						priv.Add(t, 1)
					}
					if o.lock == 0 {
						m.Unlock(t)
					}
				}
			})
		}
		s.AddEndCheck("observe", func() string {
			seen[fmt.Sprint(vars[0].Value(), vars[1].Value(), regs)] = true
			return ""
		})
	}
	return prog, func() map[string]bool { return seen }
}

// TestDPORSound: on random programs DPOR reaches exactly the final states
// that the unreduced search reaches, in no more runs.
func TestDPORSound(t *testing.T) {
	compared, fullRuns, dporRuns := 0, 0, 0
	for seed := uint64(1); seed <= 80; seed++ {
		progA, seenA := randomProgram(seed)
		full := DFS(progA, DFSConfig{PreemptionBound: -1, Reduction: ReductionNone, RunsMax: 1000, Config: Config{NoLockdep: true}})
		if !full.Exhausted {
			continue // too big to enumerate quickly
		}
		progB, seenB := randomProgram(seed)
		red := DFS(progB, DFSConfig{PreemptionBound: -1, Reduction: ReductionDPOR, Config: Config{NoLockdep: true}})
		compared++
		fullRuns += full.Runs
		dporRuns += red.Runs
		if !red.Exhausted || full.Failures != 0 || red.Failures != 0 {
			t.Fatalf("seed %d: full %+v dpor %+v", seed, full, red)
		}
		a, b := slices.Sorted(maps.Keys(seenA())), slices.Sorted(maps.Keys(seenB()))
		if !slices.Equal(a, b) {
			t.Fatalf("seed %d: final states differ:\nfull (%d runs) %v\ndpor (%d runs) %v", seed, full.Runs, a, red.Runs, b)
		}
		if red.Runs > full.Runs {
			t.Fatalf("seed %d: dpor %d runs > full %d", seed, red.Runs, full.Runs)
		}
	}
	if compared < 25 {
		t.Fatalf("only %d programs small enough", compared)
	}
	t.Logf("%d programs: %d unreduced runs, %d dpor runs", compared, fullRuns, dporRuns)
}
