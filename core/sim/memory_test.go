package sim

import (
	"fmt"
	"runtime"
	"testing"
)

// churn is a long run of many short-lived tasks: a spawner keeps up to 8
// children alive; each allocates an io_end with two vars, queues a work
// item, frees the io_end and exits. heap samples the live heap (after a
// GC) at the given numbers of spawned children.
func churn(children int, heap map[int]uint64) Program {
	return func(s *Sim) {
		g := s.NewObj("globals", "globals")
		live := g.NewVar("live", 0, Dec)
		slots := s.NewWaitQueue("slots")
		wq := s.NewWorkqueue("wq", 0)
		s.Spawn("spawner", Process, func(t *Task) {
			for i := range children {
				if _, ok := heap[i]; ok {
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					heap[i] = ms.HeapAlloc
				}
				t.WaitEvent(slots, "wait for a slot", func() bool { return live.Value() < 8 })
				live.Add(t, 1)
				t.Spawn(fmt.Sprintf("child-%d", i), Process, func(c *Task) {
					o := c.Alloc("io_end", GFPNoFS).InitRef(1).MustFree()
					flag := o.NewVar("flag", 0, Hex)
					size := o.NewVar("size", 4096, Dec)
					flag.Or(c, "set unwritten", 1)
					size.Store(c, 0)
					wq.QueueWork(c, s.NewWork("end_io", func(w *Task) { w.Point("convert", Footprint{Loc: -1}) }))
					if o.Put(c) {
						o.Free(c)
					}
					live.Add(c, -1)
					slots.WakeUp(c)
				})
			}
		})
	}
}

// TestLongRunMemoryBounded checks that without Record a run's memory follows
// its live state: finished tasks, freed objects and their locations are
// released, so the heap barely grows between a tenth of the run and its end
// (the schedule, a byte a choice, is what is left).
func TestLongRunMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	const children = 150_000
	early, late := children/10, children-1
	heap := map[int]uint64{early: 0, late: 0}
	r := Run(churn(children, heap), Config{Strategy: Random(1), StepsMax: 10_000_000})
	if r.Outcome != OutcomeOK {
		t.Fatalf("outcome %s: %s", r.Outcome, r.Summary())
	}
	if r.Steps < 1_000_000 {
		t.Fatalf("only %d steps, want a long run", r.Steps)
	}
	growth := int64(heap[late]) - int64(heap[early])
	// 9/10 of the choices are recorded in between (a byte each); everything
	// else should be flat. Keeping every finished task, object and location
	// costs hundreds of bytes per child, i.e. tens of MB here.
	bound := int64(len(r.Schedule)) + 8<<20
	t.Logf("%d steps, %d choices, heap %d KiB → %d KiB (growth %d KiB, bound %d KiB)",
		r.Steps, len(r.Schedule), heap[early]>>10, heap[late]>>10, growth>>10, bound>>10)
	if growth > bound {
		t.Errorf("heap grew by %d KiB over %d short-lived tasks, want at most %d KiB", growth>>10, late-early, bound>>10)
	}
}

// TestSchedRec checks the compact choice record against a plain slice,
// across chunk boundaries and the switch to wide values.
func TestSchedRec(t *testing.T) {
	for _, wideAt := range []int{-1, 0, 5, schedChunk + 3} {
		var r schedRec
		var want Schedule
		for i := range 2*schedChunk + 10 {
			v := i % 7
			if i == wideAt {
				v = 300
			}
			r.add(v)
			want = append(want, uint32(v))
		}
		got := r.schedule()
		if len(got) != len(want) || r.n != len(want) {
			t.Fatalf("wideAt %d: %d choices, n %d, want %d", wideAt, len(got), r.n, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("wideAt %d: choice %d is %d, want %d", wideAt, i, got[i], want[i])
			}
		}
	}
	var empty schedRec
	if empty.schedule() != nil {
		t.Errorf("no choices: want a nil schedule")
	}
}
