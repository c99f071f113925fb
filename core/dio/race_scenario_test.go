package dio

import (
	"reflect"
	"testing"

	"ext4play/core/scenario"
)

// TestRaceScenario: the Go-built race scenario is a valid scenario, its
// JSON form parses back to the same value, and each call hands out its own
// copy (the page edits the one it holds).
func TestRaceScenario(t *testing.T) {
	sc := RaceScenario()
	if err := sc.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	back, err := scenario.Parse(sc.MarshalIndent())
	if err != nil {
		t.Fatalf("Parse(MarshalIndent): %v", err)
	}
	if !reflect.DeepEqual(back, sc) {
		t.Fatalf("JSON round trip changed the scenario:\n got %+v\nwant %+v", back, sc)
	}
	if _, err := sc.ParseWorkload(); err != nil {
		t.Fatalf("fio job: %v", err)
	}
	sc.Kernel = scenario.KernelV46
	sc.Workload.Fio = ""
	if again := RaceScenario(); again.Kernel != scenario.KernelV45rc3 || again.Workload.Fio == "" {
		t.Fatal("RaceScenario returned a shared value")
	}
}
