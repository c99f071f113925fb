package main

import (
	"encoding/json"
	"ext4play/core/ext4"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ext4play/core/dio"
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
	fx := p.extentsAt(p.maxStep())
	if len(fx) == 0 {
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

// ioEndCard returns the io_end card named name at the cursor.
func ioEndCard(t *testing.T, p *PlayState, name string) objCard {
	t.Helper()
	for _, c := range p.objects("io_end") {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("step %d: no card for %s", p.step, name)
	return objCard{}
}

func queueRows(p *PlayState, key string) []kvRow {
	var out []kvRow
	for _, r := range p.queues() {
		if r.Key == key {
			out = append(out, r)
		}
	}
	return out
}

// At the seed race's verdict, L's io_end is on no queue: its dio completes
// inline in the bio's hard interrupt, which is the bug; the bio is in
// flight, and the running task's stack is the verdict's.
func TestQueuesAtSeedVerdict(t *testing.T) {
	p := seedRun(t)
	v := p.firstV()
	c := ioEndCard(t, p, "io_end#1")
	if c.Ref != 0 || !c.Flagged || !strings.HasPrefix(c.Queue, "none: inline in hardirq") {
		t.Errorf("io_end#1 at the verdict: count %d flagged %v queue %q", c.Ref, c.Flagged, c.Queue)
	}
	if !strings.Contains(string(p.pointerSVG()), `data-queue="none: inline in hardirq"`) {
		t.Error("the pointer panel's card does not show the queue")
	}
	bios := queueRows(p, "bio")
	if len(bios) != 1 || bios[0].Value != "dio#3/bio1[16+16] · completing in hardirq" {
		t.Errorf("bios in flight at the verdict: %+v", bios)
	}
	if w := queueRows(p, "wq"); len(w) != 1 || w[0].Value != "s_dio_done_wq: empty" {
		t.Errorf("s_dio_done_wq at the verdict: %+v", w)
	}
	if r := queueRows(p, "rsv"); len(r) != 1 || !strings.HasPrefix(r[0].Value, "i_rsv_conversion_list: empty") {
		t.Errorf("i_rsv_conversion_list: %+v", r)
	}
	for _, tv := range p.irqTasks() {
		if tv.Name == v.Task && !slices.Equal(tv.Stack, v.Stack) {
			t.Errorf("stack of %s at the verdict step: %v, verdict's %v", tv.Name, tv.Stack, v.Stack)
		}
	}
	// The inode panel names the lock holders and counters.
	keys := map[string]string{}
	for _, iv := range p.inodes() {
		for _, r := range iv.Rows {
			keys[r.Label] = r.Value
		}
	}
	for _, k := range []string{"i_mutex", "i_data_sem", "i_dio_count", "i_unwritten"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("inode panel lacks %s: %v", k, keys)
		}
	}
}

// On jan-fix, L's io_end is flagged and its completion deferred: the card
// follows the work from pending on s_dio_done_wq to running in a kworker,
// exactly at the steps the trace's queue_work and worker pick happen.
func TestQueuesFollowDeferredCompletion(t *testing.T) {
	p := newPlayState()
	p.loadExample("race-r1-jan-fix")
	if err := p.run(-1); err != nil {
		t.Fatal(err)
	}
	var w *workItem
	for i := range p.ioix.works {
		if _, ok := p.ioix.ioOf[p.ioix.works[i].dio]; ok {
			w = &p.ioix.works[i]
		}
	}
	if w == nil {
		t.Fatalf("no deferred completion of an io_end's dio: %+v", p.ioix.works)
	}
	io := p.res.Trace.Locs[p.ioix.ioOf[w.dio]].Name
	p.seek(w.queued - 1)
	if c := ioEndCard(t, p, io); strings.Contains(c.Queue, "dio/sda") {
		t.Errorf("step %d, before queue_work: %q", p.step, c.Queue)
	}
	p.seek(w.queued)
	if c := ioEndCard(t, p, io); c.Queue != "dio/sda: work pending" {
		t.Errorf("step %d, queue_work: %q", p.step, c.Queue)
	}
	if r := queueRows(p, "work"); len(r) == 0 || !strings.Contains(r[len(r)-1].Value, "dio_aio_complete_work(dio#3) · pending") {
		t.Errorf("workqueue rows at queue_work: %+v", r)
	}
	p.seek(w.started)
	if c := ioEndCard(t, p, io); !strings.HasPrefix(c.Queue, "dio/sda: running in kworker/dio/sda:") {
		t.Errorf("step %d, worker picked it: %q", p.step, c.Queue)
	}
}

// The image choice re-runs the scenario and travels in the share link; an
// invalid choice says why under the image fields and keeps the run.
func TestImageChoice(t *testing.T) {
	p := seedRun(t)
	im := p.recipe()
	im.Size = 4 << 20
	im.BlockSize = 1024
	im.InodeSize = 0
	p.setImage(im)
	if p.imgErr != "" || p.formErr != "" || p.runSc.Image.Size != 4<<20 || p.runSc.Image.BlockSize != 1024 {
		t.Fatalf("4 MiB / 1 KiB recipe: imgErr %q formErr %q ran on %+v", p.imgErr, p.formErr, p.runSc.Image)
	}
	u, err := p.shareLink("http://x/")
	if err != nil {
		t.Fatal(err)
	}
	q := newPlayState()
	q.openFragment(u[strings.Index(u, "#"):])
	if q.fragErr != "" || q.runSc.Image.BlockSize != 1024 || q.imageSel() != imgMkfs || q.imgSize != "4M" {
		t.Fatalf("shared: %q %+v sel %s size %s", q.fragErr, q.runSc.Image, q.imageSel(), q.imgSize)
	}
	before := p.res
	im.Size = 512 << 10
	p.setImage(im)
	if !strings.Contains(p.imgErr, "$.image.size") || p.res != before {
		t.Errorf("512 KiB: imgErr %q, run replaced %v", p.imgErr, p.res != before)
	}
	p.setImage(scenario.Image{Sample: "never-fetched.img.zst"})
	if !strings.Contains(p.imgErr, "never-fetched.img.zst") || p.res != before || p.imageSel() != imgMkfs || p.imgSize != "4M" {
		t.Errorf("unregistered sample: imgErr %q; the form holds %s %s", p.imgErr, p.imageSel(), p.imgSize)
	}
	p.setImage(p.recipe())
	if p.imgErr != "" || p.res == before || p.runSc.Image.BlockSize != 1024 {
		t.Errorf("back to mkfs: %q, image %+v (want the last recipe)", p.imgErr, p.runSc.Image)
	}
}

// The full-size job is in the menu with the page's step limit and the
// native command; on v4.5-rc3 with seed 1 it reaches the seed's panic
// before the limit.
func TestFullSizeExample(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30,000-step recorded run")
	}
	p := newPlayState()
	if p.example(fullJob) == nil {
		t.Fatal("generic-300-full is not offered")
	}
	p.loadExample(fullJob)
	if err := p.run(-1); err != nil {
		t.Fatal(err)
	}
	if p.res.Verdict != "sleep-in-atomic" || p.maxStep() > fullStepsMax {
		t.Errorf("full size in the page: %s after %d steps", p.res.Verdict, p.maxStep())
	}
	// Its extent map is drawn at once at every step, from the trace: at the
	// verdict, and a thousand steps earlier.
	for _, step := range []int{p.maxStep(), p.maxStep() - 1000} {
		p.seek(step)
		svg := string(p.extentSVG())
		if !strings.Contains(svg, `data-file="racer"`) || strings.Contains(svg, `data-written="0"`) {
			t.Errorf("step %d: the full-size run's extent map is missing or empty", step)
		}
	}
	if !strings.Contains(p.nativeNote(), "50,000 steps") {
		t.Errorf("note %q", p.nativeNote())
	}
	want := "ext4play run generic-300-full --fio examples/fio/generic-300.fio --kernel v4.5-rc3 --mount dioread_nolock --strategy random --seed 1 --steps 100000000"
	if got := p.nativeCmd(); got != want {
		t.Errorf("native command\n%s\nwant\n%s", got, want)
	}
	p.loadExample("race-r1-v4.5-rc3")
	if p.nativeNote() != "" {
		t.Error("the note shows for the minimal race")
	}
}

// The code view's variant diff states reference §1 and §6 for every pair
// with jan-fix (and v4.5-rc3 for jan-fix itself).
func TestVariantDiffMatchesReference(t *testing.T) {
	type want struct{ holds, getBlock, oIOEnd, writers, ioendCount, noLock, conv, zero string }
	ref := map[scenario.Kernel]want{
		scenario.KernelV44:    {"yes", "_write_nolock (NO_LOCK)", "yes", "O (under i_data_sem) + L", "yes", "0x100", "0x200", "—"},
		scenario.KernelV45rc3: {"no", "ext4_get_block_overwrite", "yes", "O + L, unserialized", "yes", "—", "0x100", "0x200"},
		scenario.KernelRevert: {"yes", "_write_nolock (NO_LOCK)", "yes", "O (under i_data_sem) + L", "yes", "0x100", "0x200", "0x300"},
		scenario.KernelJanFix: {"no", "ext4_get_block_overwrite", "no", "L only, under i_mutex", "yes", "—", "0x100", "0x200"},
		scenario.KernelV46:    {"no", "ext4_dio_get_block_overwrite", "no", "nobody", "no", "—", "0x100", "0x200"},
	}
	p := newPlayState()
	for k, w := range ref {
		p.sc.Kernel = k
		p.runSc = nil
		p.diffOther = ""
		a, b, rows := p.variantDiff()
		if a != string(k) || (k == scenario.KernelJanFix) != (b == string(scenario.KernelV45rc3)) {
			t.Errorf("%s: compared %s with %s", k, a, b)
		}
		got := want{rows[0].A, rows[1].A, rows[2].A, rows[3].A, rows[6].A, rows[7].A, rows[8].A, rows[9].A}
		if got != w {
			t.Errorf("%s: diff column\n got %+v\nwant %+v", k, got, w)
		}
		for _, r := range rows {
			if r.Diff != (r.A != r.B) {
				t.Errorf("%s: row %q marked %v", k, r.What, r.Diff)
			}
		}
	}
	p.sc.Kernel, p.diffOther = scenario.KernelV45rc3, scenario.KernelV46
	if a, b, _ := p.variantDiff(); a != "v4.5-rc3" || b != "v4.6" {
		t.Errorf("chosen other variant: %s vs %s", a, b)
	}
}

// Each example's explanation names the right story for its variant.
func TestExplanationPerVariant(t *testing.T) {
	cases := []struct {
		key, verdict string
		has          []string
	}{
		{"race-r1-v4.5-rc3", "sleep-in-atomic", []string{"hard-IRQ", "R1:", "2bcba4781fa3"}},
		{"race-r2-v4.5-rc3", "sleep-in-atomic", []string{"R2:", "flags O's io_end"}},
		{"race-r3-v4.5-rc3", "data-verify", []string{"zeros", "R3:"}},
		{"race-r4-v4.5-rc3", "use-after-free", []string{"R4:", "freed"}},
		{"race-r3-v4.4", "data-verify", []string{"R3:", "v4.4: the overwrite DIO holds i_data_sem"}},
		{"race-r1-jan-fix", "clean", []string{"the scripted R1 interleaving of §7 does not break jan-fix", "74dae4278546", "race is closed"}},
		{"race-r1-v4.6", "clean", []string{"109811c20fb8", "no shared pointer"}},
		{"generic-300-no-dioread-nolock", "clean", []string{"Without dioread_nolock", "under i_mutex"}},
		{"falloc-vs-dio", "clean", []string{"did not hit it"}},
	}
	p := newPlayState()
	for _, c := range cases {
		p.loadExample(c.key)
		if err := p.run(-1); err != nil {
			t.Fatal(c.key, err)
		}
		e := p.explanation()
		if p.res.Verdict != c.verdict {
			t.Errorf("%s: verdict %s, want %s", c.key, p.res.Verdict, c.verdict)
		}
		for _, h := range c.has {
			if !strings.Contains(e, h) {
				t.Errorf("%s: explanation lacks %q:\n%s", c.key, h, e)
			}
		}
	}
}

// The extent map can change only at steps that bump an inode's extent tree
// counter; there the changed blocks are outlined.
func TestExtentChangesFollowTheTrace(t *testing.T) {
	for _, key := range []string{"race-r1-v4.5-rc3", "race-r1-jan-fix", "punch-vs-dio"} {
		p := newPlayState()
		p.loadExample(key)
		if err := p.run(-1); err != nil {
			t.Fatal(err)
		}
		changes := 0
		prev := blockKinds(p.extentsAt(0)[0])
		for s := 1; s <= p.maxStep(); s++ {
			cur := blockKinds(p.extentsAt(s)[0])
			differs := string(cur) != string(prev)
			if differs && !p.extentTreeChanged(s) {
				t.Errorf("%s step %d: the extent map changed but the trace's extent tree counter did not", key, s)
			}
			if differs {
				changes++
				p.seek(s)
				if !strings.Contains(string(p.extentSVG()), `class="ex chg"`) {
					t.Errorf("%s step %d: changed blocks not outlined", key, s)
				}
			}
			prev = cur
		}
		if changes == 0 {
			t.Errorf("%s: the extent map never changed", key)
		}
	}
}

// A scenario allowing more steps than the page runs (a shared full-size
// job) runs its first pageStepsMax and names the native command.
func TestPageStepLimit(t *testing.T) {
	p := seedRun(t)
	sc := p.runSc.Clone()
	sc.StepLimit = 5_000_000
	if err := p.runScenario(sc, -1); err != nil {
		t.Fatal(err)
	}
	if p.clampedFrom != 5_000_000 || p.runSc.StepLimit != pageStepsMax || p.askedSc.StepLimit != 5_000_000 {
		t.Errorf("clamped from %d, ran with %d", p.clampedFrom, p.runSc.StepLimit)
	}
	if p.nativeNote() != "" {
		t.Errorf("the seed race ends long before the page's limit, yet: %q", p.nativeNote())
	}
	if !testing.Short() {
		// The real job on a fixed kernel runs into the page's limit.
		full, err := scenario.Example(fullJob)
		if err != nil {
			t.Fatal(err)
		}
		full.Kernel = scenario.KernelJanFix
		full.Image.Size = 256 << 20
		q := newPlayState()
		if err := q.runScenario(full, -1); err != nil {
			t.Fatal(err)
		}
		if q.res.Steps != pageStepsMax || !strings.Contains(q.nativeNote(), "allows 100,000,000 steps; the page stops at 100,000") ||
			q.nativeCmd() != "ext4play run ext4play-jan-fix-step-limit.json --steps 100000000" {
			t.Errorf("%d steps; note %q cmd %q", q.res.Steps, q.nativeNote(), q.nativeCmd())
		}
	}
	// The saved file is what `ext4play run FILE` reads.
	b, err := json.Marshal(p.askedSc)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := scenario.Parse(b); err != nil || back.StepLimit != 5_000_000 {
		t.Errorf("saved scenario does not parse back: %v", err)
	}
	p.loadExample("race-r1-v4.5-rc3")
	p.run(-1)
	if p.clampedFrom != 0 || p.nativeNote() != "" {
		t.Errorf("a small scenario still shows the note: %q", p.nativeNote())
	}
}

// The verdict panel lists the last i_private stores before the verdict:
// in R1, L stores its io_end under i_mutex and O's unlocked NULL store
// lands next, before L re-reads the pointer.
func TestIPrivateStoryAtVerdict(t *testing.T) {
	p := seedRun(t)
	st := p.story()
	if len(st) == 0 || len(st) > 4 {
		t.Fatalf("story %+v", st)
	}
	for i, l := range st {
		if l.Step >= p.firstV().Step {
			t.Errorf("store at step %d is not before the verdict", l.Step)
		}
		if !strings.HasPrefix(l.Text, "L.0 stores race->i_private = io_end#") {
			continue
		}
		if l.Unlocked || i+1 >= len(st) || !st[i+1].Unlocked || !strings.HasPrefix(st[i+1].Text, "O.0 stores race->i_private = NULL") {
			t.Errorf("after L's store: %+v", st)
		}
		return
	}
	t.Errorf("no store of L's io_end in %+v", st)
}

// A parked task shows the point it waits at, and its stack is that
// point's: both come from its next step in the trace.
func TestTaskNextPoint(t *testing.T) {
	p := seedRun(t)
	tr := p.res.Trace
	next := map[int32]trace.Event{} // task -> its first step after the cursor
	p.seek(111)
	for _, e := range tr.Events {
		if e.Kind == trace.EvStep && int(e.Step) > p.step {
			if _, ok := next[e.Task]; !ok {
				next[e.Task] = e
			}
		}
	}
	checked := 0
	for _, tv := range p.procTasks() {
		e, ok := next[tv.ID]
		if tv.Status == "done" || tv.Current || !ok {
			continue
		}
		if tv.Next != "next: "+tr.Str(e.Label) || !slices.Equal(tv.Stack, tr.Stack(e.Stack)) {
			t.Errorf("%s at step %d: %q %v, trace's next point %q %v", tv.Name, p.step, tv.Next, tv.Stack, tr.Str(e.Label), tr.Stack(e.Stack))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no parked task at step 111")
	}
}

// The Image tab's New image settings become the scenario's recipe.
func TestImageFromNewImageForm(t *testing.T) {
	p := seedRun(t)
	saved := *newImageState
	defer func() { *newImageState = saved }()
	newImageState.Size, newImageState.BlockSize, newImageState.InodeSize, newImageState.Label = "16M", "2048", "128", "scratch"
	p.useNewImageForm()
	im := p.runSc.Image
	if p.imgErr != "" || im.Size != 16<<20 || im.BlockSize != 2048 || im.InodeSize != 128 || im.Label != "scratch" || p.imageSel() != imgMkfs {
		t.Fatalf("imgErr %q, ran on %+v", p.imgErr, im)
	}
	newImageState.Size = "lots"
	p.useNewImageForm()
	if !strings.Contains(p.imgErr, "New image form") || p.runSc.Image.Size != 16<<20 {
		t.Errorf("bad form: %q, image %+v", p.imgErr, p.runSc.Image)
	}
}

// i_data_sem shows its writer as write-held and its readers as readers.
func TestDataSemRows(t *testing.T) {
	p := seedRun(t)
	tr := p.res.Trace
	var sem int32 = -1
	for i, l := range tr.Locs {
		if l.Name == "race.i_data_sem" {
			sem = int32(i)
		}
	}
	row := func() string {
		for _, iv := range p.inodes() {
			for _, r := range iv.Rows {
				if r.Key == "race.i_data_sem" {
					return r.Value
				}
			}
		}
		return ""
	}
	var sawW, sawR bool
	for s := 1; s <= p.maxStep(); s++ {
		p.seek(s)
		if o := p.st.Owner[sem]; o >= 0 {
			sawW = true
			if want := "write-held by " + p.who(o); !strings.HasPrefix(row(), want) {
				t.Errorf("step %d: %q, want %q", s, row(), want)
			}
		}
		if rs := p.st.Readers[sem]; len(rs) > 0 {
			sawR = true
			if !strings.Contains(row(), "read by "+p.who(rs[0])) {
				t.Errorf("step %d: %q lacks reader %s", s, row(), p.who(rs[0]))
			}
		}
	}
	if !sawW || !sawR {
		t.Errorf("the seed race never took i_data_sem for write (%v) or read (%v)", sawW, sawR)
	}
}

// A bundled sample image, once registered (the page fetches it), runs the
// scenario, travels in the share link, and a sample the model cannot use
// says why under the menu.
func TestSampleImage(t *testing.T) {
	load := func(name string) []byte {
		b, err := os.ReadFile("../../examples/images/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := registerSample("bad-magic.img.zst", load("bad-magic.img.zst")); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("bad-magic registered: %v", err)
	}
	if err := registerSample("sample-ext4.img.zst", load("sample-ext4.img.zst")); err != nil {
		t.Fatal(err)
	}
	p := seedRun(t)
	p.setImage(scenario.Image{Sample: "sample-ext4.img.zst"})
	if p.imgErr != "" || p.runImage() != "sample sample-ext4.img.zst" || p.imageSel() != "sample-ext4.img.zst" {
		t.Fatalf("sample run: imgErr %q, ran on %q", p.imgErr, p.runImage())
	}
	t.Logf("R1 on the sample: %s after %d steps", p.res.Verdict, p.res.Steps)
	u, err := p.shareLink("http://x/")
	if err != nil {
		t.Fatal(err)
	}
	q := newPlayState()
	q.openFragment(u[strings.Index(u, "#"):])
	if q.fragErr != "" || q.runImage() != "sample sample-ext4.img.zst" || q.res.Verdict != p.res.Verdict || q.step != p.step {
		t.Errorf("shared sample run: %q %q %s/%s", q.fragErr, q.runImage(), q.res.Verdict, p.res.Verdict)
	}
	// Back to the recipe the form had.
	p.setImage(p.recipe())
	if p.imgErr != "" || p.runImage() != "mkfs 8M bs=4096" {
		t.Errorf("back to mkfs: %q %q", p.imgErr, p.runImage())
	}
	if err := registerSample("sample-ext2.img.zst", load("sample-ext2.img.zst")); err != nil {
		t.Fatal(err)
	}
	p.setImage(scenario.Image{Sample: "sample-ext2.img.zst"})
	if !strings.Contains(p.imgErr, "sample-ext2.img.zst") || p.imageSel() != imgMkfs {
		t.Errorf("ext2 sample: %q, form on %s", p.imgErr, p.imageSel())
	}
	t.Logf("ext2 sample: %s", p.imgErr)
}

// The code of a selected parked task highlights the line of the point it
// stopped at (its next step), as a debugger shows a stopped thread.
func TestCodeOfParkedTask(t *testing.T) {
	p := seedRun(t)
	p.seek(111)
	var o taskView
	for _, tv := range p.procTasks() {
		if tv.Name == "O.0" {
			o = tv
		}
	}
	if o.Next == "" {
		t.Fatal("O.0 is not parked at step 111")
	}
	p.selTask = o.ID
	cv := p.code()
	ln, ok := dio.LineOf(strings.TrimPrefix(o.Next, "next: "))
	if !ok {
		t.Skipf("no pseudo-code line for %q", o.Next)
	}
	if cv.Func != ln.Func {
		t.Fatalf("code of %s shows %s, its next point %q is in %s", o.Name, cv.Func, o.Next, ln.Func)
	}
	for _, l := range cv.Lines {
		if l.Cur != (l.N == ln.Line) {
			t.Errorf("%s: line %d cur=%v; want %s:%d (%q)", cv.Func, l.N, l.Cur, ln.Func, ln.Line, o.Next)
		}
	}
}

func TestDioNameFindsWhatTheRegexpWould(t *testing.T) {
	re := regexp.MustCompile(`dio#\d+`)
	for _, s := range []string{"", "dio#", "dio#x", "irq/sda:dio#3/bio1[16+16]", "kworker dio#12", "dio#dio#7", "xdio#45y", "dio#1dio#2", "aio#3"} {
		if got, want := dioName(s), re.FindString(s); got != want {
			t.Errorf("dioName(%q) = %q, regexp finds %q", s, got, want)
		}
	}
}

// TestTimelineExtentTicks: the timeline marks where a task changed a
// file's mapping. In R1 on v4.5-rc3 L leaves its range unwritten and the
// conversion panics in hard IRQ, so nothing converts to written after L's
// allocation; on jan-fix a kworker converts it.
func TestTimelineExtentTicks(t *testing.T) {
	ticks := func(p *PlayState) (byLane map[string][]uint8) {
		byLane = map[string][]uint8{}
		for _, mk := range p.tl.Marks {
			if mk.Kind >= markExtWritten && mk.Lane >= 0 {
				l := p.tl.Lanes[mk.Lane].Label
				byLane[l] = append(byLane[l], mk.Kind)
			}
		}
		return byLane
	}
	p := seedRun(t)
	got := ticks(p)
	if k := got["setup-a.0"]; len(k) == 0 || k[0] != markExtWritten {
		t.Errorf("setup-a writes range A: ticks %v", k)
	}
	if k := got["L.0"]; len(k) == 0 || k[len(k)-1] != markExtUnwritten {
		t.Errorf("L allocates range B unwritten: ticks %v", k)
	}
	for lane, k := range got {
		if strings.HasPrefix(lane, "hardirq") || strings.HasPrefix(lane, "kworker") {
			t.Errorf("v4.5-rc3 R1: nothing converts in %s, yet ticks %v", lane, k)
		}
	}
	j := newPlayState()
	j.loadExample("race-r1-jan-fix")
	if err := j.run(-1); err != nil {
		t.Fatal(err)
	}
	converted := false
	for lane, k := range ticks(j) {
		if strings.HasPrefix(lane, "kworker") && slices.Contains(k, markExtWritten) {
			converted = true
		}
	}
	if !converted {
		t.Errorf("jan-fix R1: no conversion to written in a kworker lane: %v", ticks(j))
	}
}

// TestImageAtStep: "Inspect this step" replays the run to the cursor and
// opens that image. At every sampled step of the seed race the image
// passes e2fsck -fn, and the inspector's report of the file's extents
// (read from the on-disk tree) agrees block by block with the extent map
// the playground shows from the trace.
func TestImageAtStep(t *testing.T) {
	e2fsck, err := exec.LookPath("e2fsck")
	if err != nil {
		t.Skip("e2fsck not installed")
	}
	p := seedRun(t)
	dir := t.TempDir()
	for _, step := range []int{1, 40, 90, 120, p.maxStep()} {
		dev, err := p.imageAtStep(step)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("step-%d.img", step))
		if err := dev.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(e2fsck, "-fn", path).CombinedOutput(); err != nil {
			t.Errorf("step %d: e2fsck -fn: %v\n%s", step, err, out)
		}
		img, err := openDevice(dev, "step.img")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.extentsAt(step) {
			var in *ext4.InodeReport
			for i := range img.Report.Inodes {
				if img.Report.Inodes[i].Ino == f.Ino {
					in = &img.Report.Inodes[i]
				}
			}
			if in == nil {
				t.Fatalf("step %d: inode %d (%s) not in the image", step, f.Ino, f.Name)
			}
			want, got := blockKinds(f), make([]byte, len(blockKinds(f)))
			for _, x := range in.Extents {
				for b := x.Logical; b < x.Logical+x.Length && int(b) < len(got); b++ {
					got[b] = 1
					if x.Unwritten {
						got[b] = 2
					}
				}
			}
			if string(got) != string(want) {
				t.Errorf("step %d file %s: on disk %v, extent map %v", step, f.Name, got, want)
			}
		}
	}
}

// BenchmarkExtentSVGFullSize: the extent map panel of the full-size job
// (two files of 130,000 blocks) at a step where it changed, as every
// render while scrubbing builds it.
func BenchmarkExtentSVGFullSize(b *testing.B) {
	p := newPlayState()
	p.loadExample(fullJob)
	if err := p.run(-1); err != nil {
		b.Fatal(err)
	}
	step := p.maxStep()
	for s := p.maxStep(); s > 0; s-- {
		if p.extentTreeChanged(s) {
			step = s
			break
		}
	}
	p.seek(step)
	for b.Loop() {
		_ = p.extentSVG()
	}
}

// TestKindRunsMatchBlocks: the extent strip's runs and changed ranges,
// computed per extent, equal the per-block computation (blockKinds) on
// random maps, including files that grow and extents past the file's end.
func TestKindRunsMatchBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := func() fileExtents {
		f := fileExtents{Blocks: uint32(rng.IntN(60))}
		at := uint32(0)
		for at < 70 && rng.IntN(5) != 0 {
			at += uint32(rng.IntN(6))
			n := uint32(1 + rng.IntN(8))
			f.Extents = append(f.Extents, ext4.ExtentInfo{LBlk: at, Len: n, Unwritten: rng.IntN(2) == 0})
			at += n
		}
		return f
	}
	expand := func(runs []kindRun, n uint32) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = 9
		}
		for _, r := range runs {
			for b := r.s; b < r.e; b++ {
				out[b] = r.k
			}
		}
		return out
	}
	for round := range 2000 {
		cur, prev := random(), random()
		runs := kindRuns(cur)
		if got, want := expand(runs, cur.Blocks), blockKinds(cur); string(got) != string(want) {
			t.Fatalf("round %d: runs %v give %v, blocks %v", round, runs, got, want)
		}
		for i := 1; i < len(runs); i++ {
			if runs[i].k == runs[i-1].k || runs[i].s != runs[i-1].e {
				t.Fatalf("round %d: runs not merged or not contiguous: %v", round, runs)
			}
		}
		kc, kp := blockKinds(cur), blockKinds(prev)
		want := make([]byte, cur.Blocks)
		for j := range want {
			if j >= len(kp) || kp[j] != kc[j] {
				want[j] = 1
			}
		}
		got := make([]byte, cur.Blocks)
		for _, r := range changedRuns(runs, kindRuns(prev)) {
			for b := r.s; b < r.e; b++ {
				got[b] = 1
			}
		}
		if string(got) != string(want) {
			t.Fatalf("round %d: changed %v, want %v", round, got, want)
		}
	}
}

// blockKinds is the per-block oracle of the extent strip: 0 hole,
// 1 written, 2 unwritten for each block.
func blockKinds(f fileExtents) []byte {
	out := make([]byte, f.Blocks)
	for _, x := range f.Extents {
		k := byte(1)
		if x.Unwritten {
			k = 2
		}
		for b := x.LBlk; b < x.LBlk+x.Len && b < f.Blocks; b++ {
			out[b] = k
		}
	}
	return out
}
