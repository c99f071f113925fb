package explore

import (
	"context"
	"testing"

	"ext4play/core/dio"
	"ext4play/core/scenario"
)

// Bounded DFS with partial-order reduction runs on the minimal race
// scenario. Within 3,000 runs (bound 2) it does not reach the race on
// v4.5-rc3 either: the search spends its budget on the end of the run
// (see the report); here it must stay clean on jan-fix and count runs.
func TestDFSRaceScenario(t *testing.T) {
	for _, k := range []scenario.Kernel{scenario.KernelV45rc3, scenario.KernelJanFix} {
		sc := dio.RaceScenario()
		sc.Kernel = k
		p, err := dio.Prepare(sc)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Explore(context.Background(), p, Config{Strategy: scenario.StrategyDFS, Runs: 3000, DFSBound: 2, StopAtFirst: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d runs, exhausted %v, %v", k, st.Runs, st.Exhausted, st.Verdicts)
		if st.Runs < 1000 {
			t.Errorf("%s: only %d runs", k, st.Runs)
		}
		if k == scenario.KernelJanFix && st.First != nil {
			t.Errorf("%s: DFS found %s", k, st.First.Verdict)
		}
	}
}
