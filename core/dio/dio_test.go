package dio

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ext4play/core/scenario"
	"ext4play/core/sim"
)

func example(t testing.TB, name string, k scenario.Kernel, nolock bool) *Prepared {
	t.Helper()
	sc, err := scenario.Example(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Kernel = k
	sc.Mount.DioreadNolock = nolock
	p, err := Prepare(sc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlagOverlaps(t *testing.T) {
	for _, v := range Variants {
		ov := v.CheckFlagOverlaps()
		if v.Name != scenario.KernelRevert {
			if len(ov) != 0 {
				t.Errorf("%s: unexpected overlaps %v", v.Name, ov)
			}
			continue
		}
		var names []string
		for _, o := range ov {
			names = append(names, o.A.Name+"&"+o.B.Name)
		}
		if strings.Join(names, ",") != "ZERO&NO_LOCK,ZERO&CONVERT_UNWRITTEN" {
			t.Fatalf("revert overlaps: %v", names)
		}
		if ov[0].A.Value != 0x300 || !strings.Contains(ov[1].Meaning, "zeroes the existing data") {
			t.Errorf("revert overlap report: %v", ov)
		}
	}
	v, _ := VariantByName(scenario.KernelV44)
	if got := v.FlagString(GetBlocksIOCreateExt | v.Flags.NoLock); got != "CREATE|UNWRIT_EXT|PRE_IO|NO_LOCK" {
		t.Errorf("FlagString: %s", got)
	}
	if _, err := VariantByName("v9"); !errors.Is(err, ErrBadInput) {
		t.Errorf("unknown variant: %v", err)
	}
}

// The hand-written scenarios: two writers race on v4.5-rc3 and are clean
// on the fixed kernels; fallocate and punch hole take i_mutex and wait
// for DIO, so they never race with it.
func TestSmallScenarios(t *testing.T) {
	count := func(p *Prepared, n int) map[string]int {
		c := map[string]int{}
		for i := 0; i < n; i++ {
			c[p.Run(sim.Random(uint64(i)), Options{}).Verdict]++
		}
		return c
	}
	n := 300
	if testing.Short() {
		n = 120
	}
	c := count(example(t, "two-writers", scenario.KernelV45rc3, true), n)
	if c[KindSleepInAtomic] == 0 || c[KindDataVerify] == 0 {
		t.Errorf("two-writers on v4.5-rc3: %v", c)
	}
	c = count(example(t, "two-writers", scenario.KernelV44, true), n)
	if c[KindSleepInAtomic] != 0 || c[KindDataVerify] == 0 {
		t.Errorf("two-writers on v4.4: %v", c)
	}
	for _, k := range []scenario.Kernel{scenario.KernelJanFix, scenario.KernelV46} {
		if c := count(example(t, "two-writers", k, true), n); c["clean"] != n {
			t.Errorf("two-writers on %s: %v", k, c)
		}
	}
	for _, name := range []string{"falloc-vs-dio", "punch-vs-dio"} {
		for _, k := range scenario.Kernels {
			if c := count(example(t, name, k, true), 60); c["clean"] != 60 {
				t.Errorf("%s on %s: %v", name, k, c)
			}
		}
	}
}

// Acceptance (5): past the BUG, the lost conversion shows as data read
// back as zeros.
func TestContinuePastBUG(t *testing.T) {
	p := example(t, scenario.DefaultExample, scenario.KernelV45rc3, true)
	for seed := uint64(0); seed < 300; seed++ {
		r := p.Run(sim.Random(seed), Options{Continue: true})
		c := r.Counts()
		if len(r.Violations) > 0 && r.Violations[0].Kind == KindSleepInAtomic && c[KindDataVerify] > 0 {
			t.Logf("seed %d: %v", seed, c)
			return
		}
	}
	t.Fatal("no run with sleep-in-atomic followed by data-verify in 300 seeds")
}

// The full-size generic/300 job (512 MiB file, 100 s of fio ops) runs
// natively and hits the panic early on v4.5-rc3.
func TestFullSizePanics(t *testing.T) {
	if testing.Short() {
		t.Skip("native only")
	}
	sc, err := scenario.Example("generic-300-full")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != KindSleepInAtomic {
		t.Errorf("full-size v4.5-rc3: %s after %d steps", r.Verdict, r.Steps)
	}
}

func TestDeterministic(t *testing.T) {
	p := example(t, scenario.DefaultExample, scenario.KernelV45rc3, true)
	a := p.Run(sim.Random(42), Options{Record: true})
	b := p.Run(sim.Random(42), Options{Record: true})
	if a.Trace.Hash() != b.Trace.Hash() || a.Choices != b.Choices {
		t.Fatal("same seed, different runs")
	}
	c := p.Run(sim.Replay(a.Schedule), Options{Record: true})
	if c.Trace.Hash() != a.Trace.Hash() {
		t.Fatal("replay differs")
	}
}

func TestBadInput(t *testing.T) {
	sc, _ := scenario.Example("two-writers")
	sc.Workload.Fio = strings.Replace(sc.Workload.Fio, "direct=1", "direct=0", 1)
	if _, err := Prepare(sc); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "buffered") {
		t.Errorf("buffered job: %v", err)
	}
	sc, _ = scenario.Example("two-writers")
	sc.Scheduler = scenario.Scheduler{Strategy: scenario.StrategyReplay, Choices: "!!"}
	if _, err := Run(sc, Options{}); err == nil {
		t.Error("bad choices accepted")
	}
}

// A clean run leaves an image e2fsck accepts, with the data in it.
func TestFinalImageFsck(t *testing.T) {
	e2fsck, err := exec.LookPath("e2fsck")
	if err != nil {
		t.Skip("e2fsck not installed")
	}
	for _, name := range []string{"two-writers", "punch-vs-dio"} {
		p := example(t, name, scenario.KernelJanFix, true)
		r := p.Run(sim.Random(3), Options{KeepImage: true, Fsck: true})
		if r.Verdict != "clean" {
			t.Fatalf("%s: %s", name, r.Verdict)
		}
		path := filepath.Join(t.TempDir(), "img")
		if err := r.Image.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(e2fsck, "-fn", path).CombinedOutput()
		if err != nil {
			t.Errorf("%s: e2fsck -fn: %v\n%s", name, err, out)
		}
	}
}

func TestSnippetsCoverLines(t *testing.T) {
	for label, l := range Lines {
		s, ok := Snippets[l.Func]
		if !ok || l.Line < 1 || l.Line > len(s.Lines) {
			t.Errorf("label %q -> %v: no such snippet line", label, l)
		}
	}
	if _, ok := LineOf(lblStoreIOEnd); !ok {
		t.Error("i_private store has no snippet line")
	}
	_ = os.Getenv
}

// A full filesystem: writes end short with ENOSPC, fio does not verify
// them, and nothing else is reported.
func TestENOSPC(t *testing.T) {
	sc, _ := scenario.Example("two-writers")
	sc.Image.Size = 4 << 20
	sc.Image.Features = []string{"^has_journal"}
	sc.Workload.Fio = "[global]\ndirectory=${SCRATCH_MNT}\nfilesize=8m\ncreate_on_open=1\nfallocate=none\n" +
		"ignore_error=,ENOSPC\ncontinue_on_error=write\n\n[v]\nioengine=libaio\niodepth=4\ndirect=1\nbs=64k\nrw=randwrite\n" +
		"number_ios=96\nverify=crc32c\nverify_backlog=8\nfilename=v\n"
	sc.Kernel = scenario.KernelJanFix
	p, err := Prepare(sc)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(0); seed < 20; seed++ {
		r := p.Run(sim.Random(seed), Options{})
		if r.Verdict != "clean" {
			t.Fatalf("seed %d: %+v", seed, r.Violations[0])
		}
	}
}
