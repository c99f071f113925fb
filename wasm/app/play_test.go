package main

import (
	"strings"
	"testing"

	"ext4play/core/scenario"
	"ext4play/core/trace"
)

func seedRun(t *testing.T) *PlayState {
	t.Helper()
	p := newPlayState()
	p.loadExample("race-r1-v4.5-rc3")
	if err := p.run(-1); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSeedRaceVerdictAndPointer(t *testing.T) {
	p := seedRun(t)
	if p.res.Verdict != "sleep-in-atomic" {
		t.Fatalf("verdict %q, want sleep-in-atomic", p.res.Verdict)
	}
	if v := p.firstV(); v == nil || !strings.Contains(v.Message, "sleeping function called from invalid context") || v.Context != "hardirq" {
		t.Fatalf("first violation %+v", v)
	}
	if p.step != p.res.Violations[0].Step {
		t.Errorf("opened at step %d, want the verdict's %d", p.step, p.res.Violations[0].Step)
	}
	if !strings.Contains(p.explanation(), "interrupt") {
		t.Errorf("explanation %q", p.explanation())
	}
	// The pointer panel follows every store of i_private in the trace.
	tr := p.res.Trace
	stores := 0
	for _, e := range tr.Events {
		if e.Kind != trace.EvVar || tr.Locs[e.Loc].Format != trace.FmtRef {
			continue
		}
		p.seek(int(e.Step))
		want := "NULL"
		if e.New >= 0 {
			want = tr.Locs[e.New].Name
		}
		if got := p.privTarget(); got != want {
			t.Errorf("step %d: i_private panel %q, trace %q", e.Step, got, want)
		}
		if want != "NULL" {
			found := false
			for _, c := range p.objects("io_end") {
				found = found || (c.Name == want && c.Target)
			}
			if !found {
				t.Errorf("step %d: no io_end card %s marked as the target", e.Step, want)
			}
			if !strings.Contains(string(p.pointerSVG()), `data-testid="svg-arrow"`) {
				t.Errorf("step %d: no arrow drawn", e.Step)
			}
		}
		stores++
	}
	if stores < 3 {
		t.Fatalf("only %d i_private stores in the seed race", stores)
	}
}

func TestTransportKeys(t *testing.T) {
	p := seedRun(t)
	end := p.maxStep()
	p.key("Home", false)
	if p.step != 0 {
		t.Fatalf("Home: step %d", p.step)
	}
	p.key("ArrowRight", false)
	p.key("ArrowRight", true)
	if p.step != 11 {
		t.Fatalf("→ and shift+→: step %d, want 11", p.step)
	}
	p.key("ArrowLeft", false)
	if p.step != 10 {
		t.Fatalf("←: step %d", p.step)
	}
	p.key("End", false)
	if p.step != end {
		t.Fatalf("End: step %d, want %d", p.step, end)
	}
	p.key("Home", false)
	p.key(" ", false)
	if !p.playing {
		t.Fatal("space did not start playback")
	}
	p.advance(1 << 20)
	if p.playing || p.step != p.res.Violations[0].Step {
		t.Fatalf("playback should stop at the verdict: playing %v step %d", p.playing, p.step)
	}
	if p.key("x", false) {
		t.Error("x is not a shortcut")
	}
	p.key("?", false)
	if !p.help {
		t.Error("? did not open the help")
	}
}

func TestShareLinkRoundTrip(t *testing.T) {
	p := seedRun(t)
	p.seek(p.maxStep() / 2)
	u, err := p.shareLink("http://127.0.0.1:8080/")
	if err != nil {
		t.Fatal(err)
	}
	frag := u[strings.Index(u, "#"):]
	q := newPlayState()
	q.openFragment(frag)
	if q.fragErr != "" {
		t.Fatal(q.fragErr)
	}
	if q.step != p.step || q.res.Verdict != p.res.Verdict || q.privTarget() != p.privTarget() || q.res.Choices != p.res.Choices {
		t.Fatalf("shared run differs: step %d/%d verdict %s/%s ptr %s/%s", q.step, p.step, q.res.Verdict, p.res.Verdict, q.privTarget(), p.privTarget())
	}
}

func TestBadFragmentKeepsDefault(t *testing.T) {
	for _, frag := range []string{"#s=1.@@@", "#s=9.AAAA", "#s=1." + strings.Repeat("A", scenario.MaxFragmentBytes+10)} {
		q := newPlayState()
		q.openFragment(frag)
		if q.fragErr == "" {
			t.Errorf("%.20s…: no error", frag)
		}
		if q.res == nil || q.exSel != q.examples[0].Key {
			t.Errorf("%.20s…: the default example did not run", frag)
		}
	}
}

func TestFioErrorAtItsLine(t *testing.T) {
	p := newPlayState()
	p.loadExample("race-r1-v4.5-rc3")
	lines := strings.Split(p.fioText, "\n")
	n := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "bs=") {
			n = i
			lines[i] = "bs=banana"
			break
		}
	}
	p.fioText = strings.Join(lines, "\n")
	if err := p.run(-1); err == nil {
		t.Fatal("a broken fio job ran")
	}
	if len(p.fioErrs) == 0 || p.fioErrs[0].Line != n+1 {
		t.Fatalf("fio errors %+v, want one at line %d", p.fioErrs, n+1)
	}
	if g := p.fioGutter(); g[n].Err == "" {
		t.Error("gutter does not mark the line")
	}
}

func TestTimelineLanes(t *testing.T) {
	p := newPlayState()
	p.loadExample("generic-300-dioread-nolock-jan-fix")
	if err := p.run(-1); err != nil {
		t.Fatal(err)
	}
	m := p.tl
	tr := p.res.Trace
	busy := map[int32][][2]int32{}
	for id, l := range m.TaskLane {
		if l < 0 {
			continue
		}
		if tr.Tasks[id].Ctx != m.Lanes[l].Ctx {
			t.Fatalf("task %s in a %s lane", tr.Tasks[id].Name, m.Lanes[l].Ctx)
		}
		var lo, hi int32 = -1, -1
		for _, e := range tr.Events {
			if e.Task == int32(id) {
				if lo < 0 {
					lo = e.Step
				}
				hi = e.Step
			}
		}
		for _, r := range busy[l] {
			if lo <= r[1] && r[0] <= hi {
				t.Fatalf("task %s overlaps another task in lane %d", tr.Tasks[id].Name, l)
			}
		}
		busy[l] = append(busy[l], [2]int32{lo, hi})
	}
	if len(m.Lanes) >= len(tr.Tasks) {
		t.Errorf("%d lanes for %d tasks: interrupt tasks were not packed", len(m.Lanes), len(tr.Tasks))
	}
	for _, s := range m.Spans {
		if s.S1 <= s.S0 || s.Lane < 0 || int(s.Lane) >= len(m.Lanes) {
			t.Fatalf("bad span %+v", s)
		}
	}
	v := tlView{X0: 0, X1: float64(m.Steps) + 1}
	v.zoom(100, 0.5, m.Steps)
	if v.X0 > 100 || v.X1 < 100 || v.X1-v.X0 > float64(m.Steps)/2+1 {
		t.Errorf("zoom around 100: %+v", v)
	}
	v.pan(-1e9, m.Steps)
	if v.X0 != 0 {
		t.Errorf("pan past the start: %+v", v)
	}
}

func TestExploreJob(t *testing.T) {
	sc := dioRace(t, scenario.KernelJanFix)
	var last exploreMsg
	n := 0
	exploreJob(exploreReq{Scenario: sc.Canonical(), Kernels: []scenario.Kernel{scenario.KernelJanFix, scenario.KernelV45rc3}, Runs: 20, Strategy: scenario.StrategyRandom, Seed: 1},
		func(m exploreMsg) {
			var ui exploreUI
			ui.apply(m)
			if m.Kind == "progress" && m.Kernel == "jan-fix" {
				last = m
			}
			n++
		}, func() bool { return true })
	if last.Done != 20 || last.Clean != 20 {
		t.Fatalf("jan-fix: %+v, want 20 clean runs", last)
	}
	if n < 4 {
		t.Errorf("only %d messages: progress should come in chunks", n)
	}
	var errMsg string
	exploreJob(exploreReq{Scenario: sc.Canonical(), Kernels: []scenario.Kernel{scenario.KernelJanFix}, Runs: 0}, func(m exploreMsg) {
		if m.Kind == "error" {
			errMsg = m.Msg
		}
	}, func() bool { return true })
	if !strings.Contains(errMsg, "runs 0") {
		t.Errorf("runs 0: %q", errMsg)
	}
	// Cancel stops between chunks.
	got := 0
	exploreJob(exploreReq{Scenario: sc.Canonical(), Kernels: []scenario.Kernel{scenario.KernelJanFix}, Runs: 1000, Strategy: scenario.StrategyRandom, Seed: 1},
		func(m exploreMsg) {
			if m.Kind == "progress" {
				got = m.Done
			}
		}, func() bool { return false })
	if got >= 1000 {
		t.Errorf("cancel did not stop the job: %d runs", got)
	}
}

func dioRace(t *testing.T, k scenario.Kernel) *scenario.Scenario {
	t.Helper()
	p := newPlayState()
	p.loadExample("race-r1-jan-fix")
	sc, err := p.formScenario()
	if err != nil {
		t.Fatal(err)
	}
	sc.Kernel = k
	return sc
}

func TestExtentsAtStep(t *testing.T) {
	p := seedRun(t)
	p.extReady = true
	fx := p.extentsAt(p.maxStep())
	if len(fx) == 0 || fx[0].Err != "" {
		t.Fatalf("extents at the end: %+v", fx)
	}
	unwritten := 0
	for _, k := range blockKinds(fx[0]) {
		if k == 2 {
			unwritten++
		}
	}
	if unwritten == 0 {
		t.Error("the seed race stops before L's range is converted: expected unwritten blocks")
	}
	if !strings.Contains(string(p.extentSVG()), `data-testid="extent-file"`) {
		t.Error("no extent strip drawn")
	}
}

// generic300 is the catalogue's generic/300 run (about 5,000 steps, 13,000 events).
func generic300(b *testing.B) *PlayState {
	b.Helper()
	p := newPlayState()
	p.loadExample("generic-300-dioread-nolock-jan-fix")
	if err := p.run(-1); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkTimelineLayout: the lane layout built once per run.
func BenchmarkTimelineLayout(b *testing.B) {
	p := generic300(b)
	b.ReportAllocs()
	for b.Loop() {
		buildTimeline(p.res.Trace)
	}
}

// BenchmarkStepView: what one step of playback costs the panels (seek,
// reduce, build every panel's rows), excluding vugu's render.
func BenchmarkStepView(b *testing.B) {
	p := generic300(b)
	n := p.maxStep()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.seek(i % n)
		p.view()
		i += 37
	}
}
