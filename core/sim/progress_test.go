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
