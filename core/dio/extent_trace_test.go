package dio

import (
	"bytes"
	"encoding/json"
	"testing"

	"ext4play/core/ext4"
	"ext4play/core/scenario"
	"ext4play/core/sim"
	"ext4play/core/trace"
)

// checkExtentTrace compares, at steps of a recorded run, the extent map
// the trace's EvExtent events give with the one read from the image of a
// replay stopped at that step (the oracle: core/ext4 reading the tree on
// disk), block by block: state and physical block. It returns how many
// (step, file) pairs it compared.
func checkExtentTrace(t *testing.T, what string, p *Prepared, r *Result, stepsMax int) int {
	t.Helper()
	x := trace.NewExtentIndex(r.Trace)
	// Every step with extent events, thinned to stepsMax, plus the end.
	var steps []int
	seen := map[int]bool{}
	for _, e := range r.Trace.Events {
		if e.Kind == trace.EvExtent && !seen[int(e.Step)] {
			seen[int(e.Step)] = true
			steps = append(steps, int(e.Step))
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s: the run recorded no extent events", what)
	}
	if len(steps) > stepsMax {
		thin := steps[:0]
		for i := 0; i < stepsMax; i++ {
			thin = append(thin, steps[i*len(steps)/stepsMax])
		}
		steps = thin
	}
	steps = append(steps, r.Trace.Steps)
	compared := 0
	for _, step := range steps {
		rr := p.Run(sim.Replay(r.Schedule), Options{KeepImage: true, StepsMax: max(step, 1), Continue: true})
		vol, err := ext4.OpenVolume(rr.Image)
		if err != nil {
			t.Fatalf("%s step %d: %v", what, step, err)
		}
		for _, f := range rr.Files {
			loc := ExtentTreeLoc(r.Trace, f.Ino)
			if loc < 0 {
				t.Fatalf("%s: file %s (inode %d) has no extent tree in the trace", what, f.Name, f.Ino)
			}
			if !x.Known(loc, step) {
				t.Fatalf("%s step %d: the trace does not know file %s yet", what, step, f.Name)
			}
			exts, err := vol.Extents(f.Ino)
			if err != nil {
				t.Fatalf("%s step %d: %v", what, step, err)
			}
			got := x.At(loc, step)
			var end uint32
			for _, e := range exts {
				end = max(end, e.LBlk+e.Len)
			}
			for _, g := range got {
				end = max(end, uint32(g.End()))
			}
			for b := uint32(0); b < end; b++ {
				want, wantP := trace.ExtHole, uint64(0)
				for _, e := range exts {
					if b >= e.LBlk && b < e.LBlk+e.Len {
						want, wantP = trace.ExtWritten, e.PBlk+uint64(b-e.LBlk)
						if e.Unwritten {
							want = trace.ExtUnwritten
						}
					}
				}
				if gs, gp := got.At(b); gs != want || gp != wantP {
					t.Fatalf("%s step %d file %s block %d: trace says %v@%d, the image %v@%d", what, step, f.Name, b, gs, gp, want, wantP)
				}
			}
			compared++
		}
	}
	return compared
}

// TestExtentTraceMatchesImage: the extent map rebuilt from a recorded
// run's trace is the one on disk, at every step where it changes, for the
// §7 scripts on every variant and for random runs of the generic/300
// workload (fallocate, punch hole, unwritten conversions, ENOSPC) — and
// recording changes neither the schedule nor the verdicts.
func TestExtentTraceMatchesImage(t *testing.T) {
	compared := 0
	for _, k := range scenario.Kernels {
		p := raceOn(t, k)
		for _, name := range []string{"R1", "R2", "R3", "R4"} {
			r, err := RunScript(p, name, Options{Record: true, Continue: true})
			if err != nil {
				t.Fatal(err)
			}
			compared += checkExtentTrace(t, string(k)+" "+name, p, r, 12)
		}
	}
	sc, err := scenario.Example(scenario.DefaultExample)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, k := range []scenario.Kernel{scenario.KernelV45rc3, scenario.KernelJanFix} {
		sc.Kernel = k
		p, err := Prepare(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, seed := range seeds {
			r := p.Run(sim.Random(seed), Options{Record: true, Continue: true})
			plain := p.Run(sim.Random(seed), Options{Continue: true})
			if r.Choices != plain.Choices || len(r.Violations) != len(plain.Violations) || r.Steps != plain.Steps {
				t.Fatalf("%s seed %d: recording changed the run", k, seed)
			}
			compared += checkExtentTrace(t, string(k)+" generic-300", p, r, 25)
		}
	}
	t.Logf("%d (step, file) maps compared", compared)
}

// TestExtentEventsInChromeExport: the Perfetto/Chrome export shows each
// extent change as an instant on the task that made it; in R1 on
// v4.5-rc3, L's allocation leaves its 16 blocks unwritten.
func TestExtentEventsInChromeExport(t *testing.T) {
	p := raceOn(t, scenario.KernelV45rc3)
	r, err := RunScript(p, "R1", Options{Record: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Trace.WriteChrome(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Name, Cat, Ph string
			Args          map[string]any
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	unwritten := false
	n := 0
	for _, e := range doc.TraceEvents {
		if e.Cat != "extent" {
			continue
		}
		n++
		if e.Ph != "i" || e.Args["file"] != "inode 12 (race)" {
			t.Fatalf("extent event %+v", e)
		}
		if e.Args["state"] == "unwritten" && e.Args["len"] == float64(16) {
			unwritten = true
		}
	}
	if n == 0 || !unwritten {
		t.Fatalf("%d extent events, L's unwritten 16 blocks among them: %v", n, unwritten)
	}
}
