package trace_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"ext4play/core/sim"
	"ext4play/core/trace"
)

// scenario exercises every event kind: functions, mutex and rwsem holds and
// waits, an io_end-like refcounted object, bios completing in IRQ, a work
// item, and (with Continue) a sleep-in-atomic verdict.
func scenario(iters int, irqSleeps bool) sim.Program {
	return func(s *sim.Sim) {
		m := s.NewMutex("i_mutex")
		sem := s.NewRWSem("i_data_sem")
		inode := s.NewObj("inode", "inode")
		size := inode.NewVar("i_size", 0, sim.Dec)
		priv := inode.NewVar("i_private", -1, sim.Ref)
		q := s.NewBlockQueue("sda", sim.HardIRQ, 4)
		wq := s.NewWorkqueue("dio/sda", 1)
		for i := range 3 {
			s.Spawn(fmt.Sprintf("fio-%d", i), sim.Process, func(t *sim.Task) {
				t.Enter("ext4_file_write_iter")
				defer t.Exit()
				for j := range iters {
					m.Lock(t)
					io := t.Alloc("io_end", sim.GFPNoFS).InitRef(2).MustFree()
					flag := io.NewVar("flag", 0, sim.Hex)
					priv.Store(t, int64(io.Loc()))
					size.Add(t, 1)
					m.Unlock(t)
					t.Enter("ext4_map_blocks")
					if (i+j)%3 == 0 {
						sem.DownWrite(t)
						flag.Or(t, "ext4_ext_map_blocks: set EXT4_IO_END_UNWRITTEN", 1)
						sem.UpWrite(t)
					} else {
						sem.DownRead(t)
						priv.Load(t)
						sem.UpRead(t)
					}
					t.Exit()
					put := func(t *sim.Task) {
						if io.Put(t) {
							io.Free(t)
						}
					}
					work := s.NewWork(fmt.Sprintf("complete-%d-%d", i, j), put)
					q.SubmitBio(t, fmt.Sprintf("bio%d.%d", i, j), func(c *sim.Task) {
						c.Enter("dio_bio_end_aio")
						if irqSleeps {
							sem.DownRead(c) // sleep in IRQ
							sem.UpRead(c)
						}
						wq.QueueWork(c, work)
						c.Exit()
					})
					put(t)
				}
			})
		}
	}
}

func record(t testing.TB, prog sim.Program, seed uint64, cont bool) *sim.Result {
	t.Helper()
	r := sim.Run(prog, sim.Config{Strategy: sim.Random(seed), Record: true, Continue: cont, StepsMax: 1 << 20})
	if r.Trace == nil {
		t.Fatal("no trace")
	}
	return r
}

// validateChrome checks the structure Perfetto relies on.
func validateChrome(t *testing.T, data []byte) (counts map[string]int) {
	t.Helper()
	var f struct {
		TraceEvents []trace.ChromeEvent `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	counts = map[string]int{}
	type track struct{ pid, tid int }
	procNames := map[int]bool{}
	threadNames := map[track]bool{}
	stacks := map[track][]string{}
	lastTs := map[track]int64{}
	async := map[string]int{}
	flows := map[string][2]int64{}
	for _, e := range f.TraceEvents {
		counts[e.Ph]++
		tr := track{e.Pid, e.Tid}
		if e.Ph == "M" {
			switch e.Name {
			case "process_name":
				procNames[e.Pid] = true
			case "thread_name":
				threadNames[tr] = true
			}
			continue
		}
		if e.Ph == "i" && e.S == "g" {
			continue
		}
		if !procNames[e.Pid] || !threadNames[tr] {
			t.Fatalf("event on unnamed track %v: %+v", tr, e)
		}
		switch e.Ph {
		case "B", "E", "X":
			if e.Ts < lastTs[tr] {
				t.Fatalf("track %v: ts goes back %d -> %d", tr, lastTs[tr], e.Ts)
			}
			lastTs[tr] = e.Ts
		}
		switch e.Ph {
		case "B":
			stacks[tr] = append(stacks[tr], e.Name)
		case "E":
			if len(stacks[tr]) == 0 {
				t.Fatalf("track %v: E without B at %d", tr, e.Ts)
			}
			stacks[tr] = stacks[tr][:len(stacks[tr])-1]
		case "X":
			if e.Dur <= 0 {
				t.Fatalf("X without duration: %+v", e)
			}
		case "b":
			async[e.Cat+"/"+e.ID]++
		case "e":
			async[e.Cat+"/"+e.ID]--
		case "s", "f":
			p := flows[e.ID]
			if e.Ph == "s" {
				p[0]++
			} else {
				p[1]++
				if e.Bp != "e" {
					t.Fatalf("flow end without bp=e: %+v", e)
				}
			}
			flows[e.ID] = p
		}
	}
	for tr, st := range stacks {
		if len(st) != 0 {
			t.Fatalf("track %v: unbalanced B/E, open %v", tr, st)
		}
	}
	for id, n := range async {
		if n != 0 {
			t.Fatalf("async span %s unbalanced (%d)", id, n)
		}
	}
	for id, p := range flows {
		if p[0] != 1 || p[1] != 1 {
			t.Fatalf("flow %s: %d starts, %d ends", id, p[0], p[1])
		}
	}
	return counts
}

func TestChromeExport(t *testing.T) {
	for _, tc := range []struct {
		name string
		prog sim.Program
		cont bool
	}{
		{"clean", scenario(3, false), false},
		{"verdicts", scenario(2, true), true},
		{"stopped", scenario(2, true), false}, // stops mid-run: open spans must be closed
	} {
		r := record(t, tc.prog, 9, tc.cont)
		var buf bytes.Buffer
		if err := r.Trace.WriteChrome(&buf); err != nil {
			t.Fatal(err)
		}
		c := validateChrome(t, buf.Bytes())
		if c["X"] != r.Steps || c["B"] == 0 || c["b"] == 0 || c["s"] == 0 {
			t.Fatalf("%s: counts %v, steps %d", tc.name, c, r.Steps)
		}
		if tc.name != "clean" && c["i"] == 0 {
			t.Fatalf("%s: no verdict instants (%v)", tc.name, r.Verdicts)
		}
		if tc.name == "clean" && r.Outcome != sim.OutcomeOK {
			t.Fatalf("clean scenario: %v %v", r.Outcome, r.Verdicts)
		}
	}
}

// TestReducer compares seeking with checkpoints against a fold from the
// start, at every step, and checks a few visible facts.
func TestReducer(t *testing.T) {
	r := record(t, scenario(4, false), 3, false)
	tr := r.Trace
	fine := trace.NewReducer(tr, 7)
	coarse := trace.NewReducer(tr, 1<<30) // only the initial checkpoint
	sawWaiter, sawHeld, sawFreed := false, false, false
	var reused *trace.State
	for k := 0; k <= r.Steps; k++ {
		a, b := fine.At(k), coarse.At(k)
		reused = fine.Seek(r.Steps-k, reused)
		if got, want := reused.Describe(tr), fine.At(r.Steps-k).Describe(tr); got != want {
			t.Fatalf("seek into a reused state at %d differs", r.Steps-k)
		}
		if da, db := a.Describe(tr), b.Describe(tr); da != db {
			t.Fatalf("step %d: checkpointed state differs:\n%s\nvs\n%s", k, da, db)
		}
		d := a.Describe(tr)
		sawWaiter = sawWaiter || strings.Contains(d, "waiter fio-")
		sawHeld = sawHeld || strings.Contains(d, "mutex i_mutex: held by fio-")
		sawFreed = sawFreed || strings.Contains(d, "io_end#1 freed")
	}
	if !sawWaiter || !sawHeld || !sawFreed {
		t.Fatalf("waiter %v held %v freed %v", sawWaiter, sawHeld, sawFreed)
	}
	end := fine.At(r.Steps)
	for i, ts := range end.Tasks {
		if ts.Status != trace.TaskDone {
			t.Fatalf("task %d not done at the end: %v", i, ts.Status)
		}
	}
	if !strings.Contains(end.Describe(tr), "i_size=12") {
		t.Fatalf("final state:\n%s", end.Describe(tr))
	}
	// Seeking beyond the end is the end state.
	if fine.At(r.Steps+100).Describe(tr) != end.Describe(tr) {
		t.Fatal("seek past the end differs")
	}
}

func TestHashDeterminism(t *testing.T) {
	a := record(t, scenario(3, false), 5, false).Trace.Hash()
	b := record(t, scenario(3, false), 5, false).Trace.Hash()
	c := record(t, scenario(3, false), 6, false).Trace.Hash()
	if a != b || a == c {
		t.Fatalf("hashes %s %s %s", a, b, c)
	}
}

// bigTrace records a run of about 10^5 steps.
func bigTrace(b testing.TB) *trace.Trace {
	r := record(b, scenario(2600, false), 1, false)
	if r.Outcome != sim.OutcomeOK {
		b.Fatalf("%v %v", r.Outcome, r.Verdicts)
	}
	return r.Trace
}

// BenchmarkReducerSeek: random seeks in a 10^5-step trace (target well
// under 50 ms per seek).
func BenchmarkReducerSeek(b *testing.B) {
	tr := bigTrace(b)
	red := trace.NewReducer(tr, 0)
	var st *trace.State
	b.ResetTimer()
	x := uint64(1)
	for i := 0; i < b.N; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		st = red.Seek(int(x>>33)%(tr.Steps+1), st)
	}
	b.ReportMetric(float64(tr.Steps), "steps")
	b.ReportMetric(float64(len(tr.Events)), "events")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/seek")
}

// BenchmarkReducerBuild: the one-time fold that makes the checkpoints.
func BenchmarkReducerBuild(b *testing.B) {
	tr := bigTrace(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		trace.NewReducer(tr, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/build")
}
