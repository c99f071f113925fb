package dio

import (
	"errors"
	"strings"
	"testing"

	"ext4play/core/scenario"
	"ext4play/core/sim"
)

func raceOn(t *testing.T, k scenario.Kernel) *Prepared {
	t.Helper()
	sc := RaceScenario()
	sc.Kernel = k
	p, err := Prepare(sc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func replayScript(t *testing.T, p *Prepared, name string, cont bool) *Result {
	t.Helper()
	s, err := ScriptedSchedule(p, name)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Run(sim.Replay(s), Options{Continue: cont, Record: true})
	again := p.Run(sim.Replay(s), Options{Continue: cont, Record: true})
	if r.Trace.Hash() != again.Trace.Hash() {
		t.Fatalf("%s: replay is not exact", name)
	}
	return r
}

func TestScriptedRacesV45rc3(t *testing.T) {
	p := raceOn(t, scenario.KernelV45rc3)
	cases := []struct {
		name, kind, stack string
	}{
		{"R1", KindSleepInAtomic, "ext4_convert_unwritten_extents"},
		{"R2", KindSleepInAtomic, "ext4_convert_unwritten_extents"},
		{"R3", KindDataVerify, ""},
		{"R4", KindUseAfterFree, "ext4_set_io_unwritten_flag"},
	}
	for _, c := range cases {
		r := replayScript(t, p, c.name, false)
		if r.Verdict != c.kind {
			t.Errorf("%s: verdict %s, want %s: %+v", c.name, r.Verdict, c.kind, r.Violations)
			continue
		}
		v := r.Violations[0]
		if !strings.Contains(strings.Join(v.Stack, " "), c.stack) {
			t.Errorf("%s: stack %v lacks %s", c.name, v.Stack, c.stack)
		}
		t.Logf("%s: %s at step %d in %s (%s)", c.name, v.Kind, v.Step, v.Task, v.Context)
	}
}

// R1 converts L's own range in IRQ; R2 converts O's (already written)
// range, and in continue mode L's range then reads back as zeros.
func TestScriptedR1R2WhoseRange(t *testing.T) {
	p := raceOn(t, scenario.KernelV45rc3)
	r1 := replayScript(t, p, "R1", false)
	if o := strings.Join(r1.Violations[0].Objects, " "); !strings.Contains(o, "L.0 write") || !strings.Contains(o, "[65536, 131072)") {
		t.Errorf("R1 should convert L's io_end and range: %s", o)
	}
	r2 := replayScript(t, p, "R2", false)
	if o := strings.Join(r2.Violations[0].Objects, " "); !strings.Contains(o, "O.0 write") || !strings.Contains(o, "[0, 65536)") {
		t.Errorf("R2 should convert O's io_end and range: %s", o)
	}
	r2c := replayScript(t, p, "R2", true)
	kinds := r2c.Counts()
	if kinds[KindSleepInAtomic] == 0 || kinds[KindDataVerify] == 0 || kinds[KindUnconvertedUnwritten] == 0 {
		t.Errorf("R2 in continue mode: %v, want sleep-in-atomic then data-verify and unconverted-unwritten", kinds)
	}
}

// R3 is also in v4.4 and the revert (lost conversion, no panic), and in
// neither jan-fix nor v4.6.
func TestScriptedR3AcrossVariants(t *testing.T) {
	for _, k := range scenario.Kernels {
		r := replayScript(t, raceOn(t, k), "R3", false)
		want := "clean"
		if k == scenario.KernelV44 || k == scenario.KernelRevert || k == scenario.KernelV45rc3 {
			want = KindDataVerify
		}
		if r.Verdict != want {
			t.Errorf("R3 on %s: %s, want %s (%+v)", k, r.Verdict, want, r.Violations)
		}
	}
	for _, name := range []string{"R1", "R2", "R4"} {
		for _, k := range []scenario.Kernel{scenario.KernelV44, scenario.KernelRevert, scenario.KernelJanFix, scenario.KernelV46} {
			if r := replayScript(t, raceOn(t, k), name, false); r.Verdict != "clean" && r.Verdict != KindDataVerify {
				t.Errorf("%s on %s: %s", name, k, r.Verdict)
			}
		}
	}
}

// ExtentsAt shows R3's damage: at the end L's range B is still unwritten.
func TestExtentsAt(t *testing.T) {
	p := raceOn(t, scenario.KernelV45rc3)
	s, err := ScriptedSchedule(p, "R3")
	if err != nil {
		t.Fatal(err)
	}
	r := p.Run(sim.Replay(s), Options{})
	files, err := p.ExtentsAt(s, r.Steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Size != 192<<10 {
		t.Fatalf("files %+v", files)
	}
	unwritten := false
	for _, e := range files[0].Extents {
		if e.LBlk <= 16 && 16 < e.LBlk+e.Len && e.Unwritten {
			unwritten = true
		}
	}
	if !unwritten {
		t.Errorf("B not unwritten at the end of R3: %+v", files[0].Extents)
	}
	start, err := p.ExtentsAt(s, 1)
	if err != nil || len(start[0].Extents) != 0 {
		t.Errorf("at step 1: %+v %v", start, err)
	}
}

func TestIPrivateStory(t *testing.T) {
	p := raceOn(t, scenario.KernelV45rc3)
	r := replayScript(t, p, "R2", false)
	story := IPrivateStory(r.Trace)
	text := strings.Join(story, "\n")
	if !strings.Contains(text, "L.0 stores race->i_private = io_end") || !strings.Contains(text, "O.0 stores race->i_private = io_end") ||
		!strings.Contains(text, "(without i_mutex)") || !strings.Contains(text, "(holding i_mutex)") {
		t.Fatalf("story:\n%s", text)
	}
}

// TestRunScriptIsTheReplay: recording the director's run directly gives
// the same trace, choices and verdicts as replaying its schedule, on
// every variant and script (the page relies on it to run the model once).
func TestRunScriptIsTheReplay(t *testing.T) {
	for _, k := range scenario.Kernels {
		p := raceOn(t, k)
		for _, name := range []string{"R1", "R2", "R3", "R4"} {
			direct, err := RunScript(p, name, Options{Record: true})
			if err != nil {
				t.Fatal(err)
			}
			replayed := replayScript(t, p, name, false)
			if direct.Trace.Hash() != replayed.Trace.Hash() {
				t.Errorf("%s %s: trace of the scripted run differs from its replay", k, name)
			}
			if direct.Choices != replayed.Choices || len(direct.Violations) != len(replayed.Violations) {
				t.Errorf("%s %s: choices or verdicts differ", k, name)
			}
		}
	}
	if _, err := RunScript(raceOn(t, scenario.KernelV46), "R9", Options{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("unknown script: %v, want ErrBadInput", err)
	}
}
