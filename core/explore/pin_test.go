package explore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"testing"

	"ext4play/core/dio"
	"ext4play/core/scenario"
	"ext4play/core/sim"
)

// pinCase is a fixed seed range of one scenario, kernel and strategy whose
// outcomes are pinned: a speedup of the simulator or the model must not
// change which seed finds what, at which step, with which message.
type pinCase struct {
	example string
	kernel  scenario.Kernel
	nolock  bool
	strat   scenario.Strategy
	seeds   int
	digest  string // sha256 of every run's outcome line (see pinLine)
}

var pinCases = []pinCase{
	{scenario.DefaultExample, scenario.KernelV45rc3, true, scenario.StrategyRandom, 120, "063d4468fd9d2b35"},
	{scenario.DefaultExample, scenario.KernelV45rc3, true, scenario.StrategyPCT, 40, "9e623e3ba6a3edaa"},
	{scenario.DefaultExample, scenario.KernelRevert, true, scenario.StrategyRandom, 40, "6b6f01c7134984f0"},
	{scenario.DefaultExample, scenario.KernelV46, true, scenario.StrategyRandom, 20, "4695fbe01dca2c07"},
	{scenario.DefaultExample, scenario.KernelV44, false, scenario.StrategyRandom, 20, "532f435eade81b67"},
	{"two-writers", scenario.KernelV45rc3, true, scenario.StrategyRandom, 60, "b9ede6c6ea46d7bc"},
	{"falloc-vs-dio", scenario.KernelV45rc3, true, scenario.StrategyRandom, 60, "6b633863e1691211"},
	{"punch-vs-dio", scenario.KernelV45rc3, true, scenario.StrategyRandom, 60, "d2ea769c29e2bb0c"},
}

// pinLine is one run as the digest sees it: verdict, steps, preemptions,
// outcome, the schedule, and every violation's kind, step, task, context,
// label, stack, objects and message.
func pinLine(h hash.Hash, seed int, r *dio.Result) {
	fmt.Fprintf(h, "%d %s %d %d %s %s\n", seed, r.Verdict, r.Steps, r.Preemptions, r.Outcome, r.Choices)
	for _, v := range r.Violations {
		fmt.Fprintf(h, "  %s %d %s %s %s [%s] [%s]\n%s\n", v.Kind, v.Step, v.Task, v.Context, v.Label,
			strings.Join(v.Stack, ">"), strings.Join(v.Objects, ";"), v.Message)
	}
}

// TestPinnedOutcomes: the outcomes of fixed seed ranges are exactly what
// they were when pinned (same schedule, steps, verdicts and messages), for
// runs without and with trace recording and continuing past the first BUG.
func TestPinnedOutcomes(t *testing.T) {
	for _, c := range pinCases {
		name := fmt.Sprintf("%s/%s/nolock=%v/%s", c.example, c.kernel, c.nolock, c.strat)
		p := prepared(t, c.example, c.kernel, c.nolock)
		cfg := Config{Strategy: c.strat, Runs: c.seeds, Seed: 1000}
		h := sha256.New()
		counts := map[string]int{}
		for i := 0; i < c.seeds; i++ {
			r := p.Run(cfg.strategy(p, i), dio.Options{})
			pinLine(h, i, r)
			counts[r.Verdict]++
		}
		got := hex.EncodeToString(h.Sum(nil))[:16]
		t.Logf("%s: %v digest %s", name, counts, got)
		if c.digest != "" && got != c.digest {
			t.Errorf("%s: outcomes changed: digest %s, pinned %s (counts now %v)", name, got, c.digest, counts)
		}
	}
}

// TestPinnedRecordedAndContinue: a recorded run gives the same outcome as
// an unrecorded one, and the trace and a continue-mode run are pinned.
func TestPinnedRecordedAndContinue(t *testing.T) {
	p := prepared(t, scenario.DefaultExample, scenario.KernelV45rc3, true)
	h := sha256.New()
	for seed := uint64(0); seed < 12; seed++ {
		a := p.Run(sim.Random(seed), dio.Options{})
		b := p.Run(sim.Random(seed), dio.Options{Record: true})
		ha, hb := sha256.New(), sha256.New()
		pinLine(ha, int(seed), a)
		pinLine(hb, int(seed), b)
		if string(ha.Sum(nil)) != string(hb.Sum(nil)) {
			t.Errorf("seed %d: recorded run differs: %s in %d steps vs %s in %d", seed, b.Verdict, b.Steps, a.Verdict, a.Steps)
		}
		fmt.Fprintf(h, "%s\n", b.Trace.Hash())
		c := p.Run(sim.Random(seed), dio.Options{Continue: true})
		pinLine(h, int(seed), c)
	}
	got := hex.EncodeToString(h.Sum(nil))[:16]
	t.Logf("digest %s", got)
	if pinnedRecorded != "" && got != pinnedRecorded {
		t.Errorf("recorded traces or continue-mode outcomes changed: digest %s, pinned %s", got, pinnedRecorded)
	}
}

// Re-pinned when recorded traces gained EvExtent events: with those
// events left out the digest is the one pinned before (f2e10fcbbbd3ab5d).
const pinnedRecorded = "6b60703dc37fa2ea"
