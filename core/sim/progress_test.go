package sim

import "testing"

// Progress is called every ProgressEvery steps with the step count, and
// does not change the run.
func TestProgress(t *testing.T) {
	var got []int
	a := Run(contention(20), Config{Strategy: Random(3), Progress: func(step int) { got = append(got, step) }, ProgressEvery: 50})
	b := Run(contention(20), Config{Strategy: Random(3)})
	if a.Steps != b.Steps || a.Schedule.Encode() != b.Schedule.Encode() {
		t.Fatalf("progress changed the run: %d vs %d steps", a.Steps, b.Steps)
	}
	if len(got) != a.Steps/50 || len(got) == 0 {
		t.Fatalf("%d progress calls for %d steps", len(got), a.Steps)
	}
	for i, s := range got {
		if s != 50*(i+1) {
			t.Fatalf("call %d at step %d", i, s)
		}
	}
}

// NoSchedule keeps no choice list and changes nothing else, for seeded
// strategies and replays alike.
func TestNoSchedule(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		a := Run(contention(10), Config{Strategy: PCT(seed, 3, 200)})
		b := Run(contention(10), Config{Strategy: PCT(seed, 3, 200), NoSchedule: true})
		c := Run(contention(10), Config{Strategy: Replay(a.Schedule), NoSchedule: true})
		if b.Schedule != nil || c.Schedule != nil {
			t.Fatal("a schedule was kept")
		}
		if a.Steps != b.Steps || a.Steps != c.Steps || a.Outcome != b.Outcome || len(a.Verdicts) != len(c.Verdicts) {
			t.Fatalf("seed %d: %d/%d/%d steps", seed, a.Steps, b.Steps, c.Steps)
		}
	}
}
