package main

import (
	"bytes"
	"encoding/json"
	"ext4play/core/ext4"
	"ext4play/core/image"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ext4play/core/scenario"
)

func TestRunExitCodesAndJSON(t *testing.T) {
	var out, errb bytes.Buffer
	// A known failing seed on v4.5-rc3 (two writers), flags after the name.
	code := runMain([]string{"two-writers", "--json", "--seed", "1", "--strategy", "random"}, &out, &errb)
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("run --json: %v\n%s%s", err, out.String(), errb.String())
	}
	for _, k := range []string{"verdict", "violations", "steps", "choices"} {
		if _, ok := got[k]; !ok {
			t.Errorf("run --json lacks %q", k)
		}
	}
	if len(got) != 4 {
		t.Errorf("run --json has extra keys: %v", got)
	}
	want := 0
	if got["verdict"] != "clean" {
		want = 1
		v := got["violations"].([]any)[0].(map[string]any)
		for _, k := range []string{"kind", "message", "step", "task", "context"} {
			if _, ok := v[k]; !ok {
				t.Errorf("violation lacks %q", k)
			}
		}
	}
	if code != want {
		t.Errorf("exit %d for verdict %v", code, got["verdict"])
	}
	out.Reset()
	if code := runMain([]string{"--kernel", "jan-fix", "two-writers"}, &out, &errb); code != 0 {
		t.Errorf("jan-fix: exit %d: %s", code, out.String())
	}
	for _, bad := range [][]string{{"no-such-scenario"}, {"two-writers", "--kernel", "v9"}, {"two-writers", "--mount", "sync"}, {}, {"a", "b"}} {
		errb.Reset()
		if code := runMain(bad, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errb.String())
		}
	}
}

func TestRunTraceImageAndReplay(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	tr, img := filepath.Join(dir, "t.json"), filepath.Join(dir, "img")
	code := runMain([]string{"two-writers", "--kernel", "v4.6", "--trace", tr, "--image-out", img, "--fsck"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	b, err := os.ReadFile(tr)
	if err != nil || !bytes.Contains(b, []byte("traceEvents")) {
		t.Fatalf("trace: %v", err)
	}
	if st, err := os.Stat(img); err != nil || st.Size() != 8<<20 {
		t.Fatalf("image: %v", err)
	}
	// A scenario file replaying the choices of a run gives the same run.
	out.Reset()
	runMain([]string{"two-writers", "--seed", "5", "--json"}, &out, &errb)
	var first runJSON
	if err := json.Unmarshal(out.Bytes(), &first); err != nil {
		t.Fatal(err)
	}
	sc, _ := scenario.Example("two-writers")
	sc.Scheduler = scenario.Scheduler{Strategy: scenario.StrategyReplay, Seed: 5, Choices: first.Choices}
	path := filepath.Join(dir, "replay.json")
	if err := os.WriteFile(path, sc.MarshalIndent(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	runMain([]string{path, "--json"}, &out, &errb)
	var again runJSON
	if err := json.Unmarshal(out.Bytes(), &again); err != nil {
		t.Fatal(err)
	}
	if again.Steps != first.Steps || again.Verdict != first.Verdict || again.Choices != first.Choices {
		t.Errorf("replay: %s/%d vs %s/%d", again.Verdict, again.Steps, first.Verdict, first.Steps)
	}
}

func TestExploreAndShare(t *testing.T) {
	var out, errb bytes.Buffer
	code := exploreMain([]string{"two-writers", "--runs", "200", "--json", "--budget", "40"}, &out, &errb)
	var got exploreJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
	}
	if code != 1 || got.Runs != 200 || got.FirstFailure == nil || got.Verdicts[got.FirstFailure.Verdict] == 0 {
		t.Fatalf("explore: exit %d %+v", code, got)
	}
	url := got.FirstFailure.URL
	i := strings.Index(url, "#s=")
	if i < 0 {
		t.Fatalf("url %q", url)
	}
	sc, err := scenario.Decode(url[i+3:])
	if err != nil {
		t.Fatal(err)
	}
	if sc.Scheduler.Strategy != scenario.StrategyReplay || sc.Step == nil || sc.Scheduler.Choices != got.FirstFailure.Choices {
		t.Errorf("shared scenario: %+v", sc.Scheduler)
	}
	out.Reset()
	if code := exploreMain([]string{"two-writers", "--kernel", "jan-fix", "--runs", "100"}, &out, &errb); code != 0 {
		t.Errorf("jan-fix explore: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := exploreMain([]string{"two-writers", "--strategy", "pct", "--pct-depth", "5", "--runs", "50", "--json", "--no-minimise"}, &out, &errb); code > 1 {
		t.Errorf("pct explore: exit %d\n%s", code, errb.String())
	} else if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Runs != 50 {
		t.Errorf("pct explore: %v %+v", err, got)
	}
	for _, bad := range []string{"-1", "65"} {
		errb.Reset()
		if code := exploreMain([]string{"two-writers", "--strategy", "pct", "--pct-depth", bad, "--runs", "5"}, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("--pct-depth %s: exit %d, %q", bad, code, errb.String())
		}
	}
	out.Reset()
	if code := shareMain([]string{"two-writers", "--kernel", "v4.4", "--base", "https://x.test/play"}, &out, &errb); code != 0 {
		t.Fatalf("share: %d %s", code, errb.String())
	}
	link := strings.TrimSpace(out.String())
	if !strings.HasPrefix(link, "https://x.test/play#s=") {
		t.Fatalf("share: %q", link)
	}
	if sc, err := scenario.Decode(link[strings.Index(link, "#s=")+3:]); err != nil || sc.Kernel != scenario.KernelV44 {
		t.Fatalf("share decode: %v %v", err, sc)
	}
	out.Reset()
	if code := shareMain([]string{"two-writers", "--failing", "--want", "sleep-in-atomic"}, &out, &errb); code != 0 {
		t.Fatalf("share --failing: %d %s", code, errb.String())
	}
	sc, err = scenario.Decode(strings.TrimSpace(out.String())[strings.Index(out.String(), "#s=")+3:])
	if err != nil || sc.Step == nil || sc.Scheduler.Choices == "" {
		t.Fatalf("share --failing: %v", err)
	}
}

// TestRunExtentsAndImageAt: --extents lists the run's extent changes (text
// and JSON), and --image-at saves the image as it is after a step: right
// after a change to unwritten, the on-disk tree holds that unwritten range
// and the step before does not; both images pass e2fsck -fn.
func TestRunExtentsAndImageAt(t *testing.T) {
	var out, errb bytes.Buffer
	runMain([]string{"generic-300-dioread-nolock", "--extents", "--json"}, &out, &errb)
	var got struct {
		Steps   int `json:"steps"`
		Extents []struct {
			Step  int    `json:"step"`
			Task  string `json:"task"`
			File  string `json:"file"`
			LBlk  uint32 `json:"lblk"`
			Len   uint32 `json:"len"`
			State string `json:"state"`
		} `json:"extent_changes"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("run --extents --json: %v\n%s%s", err, out.String(), errb.String())
	}
	unwritten := -1
	for i, c := range got.Extents {
		if i > 0 && c.Step < got.Extents[i-1].Step {
			t.Fatalf("extent changes out of order at %d: %+v", i, c)
		}
		if c.State == "unwritten" && unwritten < 0 && c.Step > 1 {
			unwritten = i
		}
	}
	if len(got.Extents) == 0 || unwritten < 0 {
		t.Fatalf("no change to unwritten among %d extent changes", len(got.Extents))
	}
	c := got.Extents[unwritten]
	out.Reset()
	runMain([]string{"generic-300-dioread-nolock", "--extents"}, &out, &errb)
	if !strings.Contains(out.String(), "extent changes (") || !strings.Contains(out.String(), fmt.Sprintf("[%d, %d) unwritten", c.LBlk, c.LBlk+c.Len)) {
		t.Fatalf("text --extents lacks the change %+v:\n%s", c, out.String())
	}

	e2fsck, lookErr := exec.LookPath("e2fsck")
	ino, err := strconv.Atoi(strings.Fields(strings.TrimPrefix(c.File, "inode "))[0])
	if err != nil {
		t.Fatalf("file %q: %v", c.File, err)
	}
	dir := t.TempDir()
	unwrittenAt := func(step int) bool {
		p := filepath.Join(dir, fmt.Sprintf("at-%d.img", step))
		errb.Reset()
		if code := runMain([]string{"generic-300-dioread-nolock", "--image-out", p, "--image-at", strconv.Itoa(step)}, io.Discard, &errb); code == 2 {
			t.Fatalf("--image-at %d: %s", step, errb.String())
		}
		if lookErr == nil {
			if o, err := exec.Command(e2fsck, "-fn", p).CombinedOutput(); err != nil {
				t.Errorf("step %d: e2fsck -fn: %v\n%s", step, err, o)
			}
		}
		dev, err := image.LoadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		vol, err := ext4.OpenVolume(dev)
		if err != nil {
			t.Fatal(err)
		}
		exts, err := vol.Extents(uint32(ino))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range exts {
			if e.Unwritten && e.LBlk <= c.LBlk && c.LBlk+c.Len <= e.LBlk+e.Len {
				return true
			}
		}
		return false
	}
	if !unwrittenAt(c.Step) {
		t.Errorf("after step %d the image does not hold %s [%d, %d) unwritten", c.Step, c.File, c.LBlk, c.LBlk+c.Len)
	}
	if unwrittenAt(c.Step - 1) {
		t.Errorf("already after step %d the image holds %s [%d, %d) unwritten", c.Step-1, c.File, c.LBlk, c.LBlk+c.Len)
	}

	for _, bad := range [][]string{
		{"generic-300-dioread-nolock", "--image-at", "5"},
		{"generic-300-dioread-nolock", "--image-out", filepath.Join(dir, "x.img"), "--image-at", strconv.Itoa(got.Steps + 1)},
	} {
		errb.Reset()
		if code := runMain(bad, io.Discard, &errb); code != 2 || !strings.Contains(errb.String(), "--image-at") {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errb.String())
		}
	}
}
