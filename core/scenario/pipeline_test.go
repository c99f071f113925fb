package scenario

import (
	"testing"

	"ext4play/core/fio"
)

// TestExampleOpStreams runs every example's workload through core/fio the
// way the DIO model will: setup ops, then each job's stream under the
// scenario's limits. The browser-sized examples must stay small.
func TestExampleOpStreams(t *testing.T) {
	entries, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name == "generic-300-full" && testing.Short() {
			continue
		}
		s := e.Scenario
		w, err := s.ParseWorkload()
		if err != nil {
			t.Fatal(err)
		}
		setup, err := w.Setup(s.Limits())
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		streams, err := w.Streams(s.Scheduler.Seed, s.Limits())
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		total := 0
		for _, st := range streams {
			for {
				op, ok := st.Next()
				if !ok {
					break
				}
				if op.Kind == fio.OpWrite && op.Data.Length != uint32(op.Length) {
					t.Fatalf("%s: write without content: %v", e.Name, op)
				}
				total++
			}
		}
		t.Logf("%s: %d jobs, %d setup ops, %d ops", e.Name, len(w.Jobs), len(setup), total)
		if e.Name != "generic-300-full" && total > 500 {
			t.Errorf("%s: %d ops is too many for a browser-sized example", e.Name, total)
		}
	}
}
