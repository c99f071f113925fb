package trace

import (
	"math/rand/v2"
	"testing"
)

// TestExtentMapSet checks ExtentMap.set against a per-block model over
// random range updates: every block's state and physical block agree, and
// the runs stay sorted, non-empty, non-overlapping and fully merged.
func TestExtentMapSet(t *testing.T) {
	const blocks = 96
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 300 {
		var m ExtentMap
		var st [blocks]ExtentState
		var pb [blocks]uint64
		for op := range 40 {
			lblk := uint32(rng.IntN(blocks))
			n := uint32(rng.IntN(blocks - int(lblk) + 1))
			s := ExtentState(rng.IntN(3))
			pblk := uint64(1000 + rng.IntN(50))
			if rng.IntN(4) == 0 && lblk > 0 && st[lblk-1] == s && s != ExtHole {
				pblk = pb[lblk-1] + 1 // continue the run before: must merge
			}
			m = m.set(lblk, n, s, pblk)
			for b := lblk; b < lblk+n; b++ {
				st[b], pb[b] = s, 0
				if s != ExtHole {
					pb[b] = pblk + uint64(b-lblk)
				}
			}
			for b := range uint32(blocks) {
				gs, gp := m.At(b)
				if gs != st[b] || gp != pb[b] {
					t.Fatalf("round %d op %d: block %d is %v@%d, want %v@%d (map %v)", round, op, b, gs, gp, st[b], pb[b], m)
				}
			}
			for i, r := range m {
				if r.Len == 0 || r.State == ExtHole {
					t.Fatalf("round %d op %d: run %d is %+v", round, op, i, r)
				}
				if i > 0 {
					p := m[i-1]
					if p.End() > uint64(r.LBlk) {
						t.Fatalf("round %d op %d: runs %d and %d overlap: %v", round, op, i-1, i, m)
					}
					if p.End() == uint64(r.LBlk) && p.State == r.State && p.PBlk+uint64(p.Len) == r.PBlk {
						t.Fatalf("round %d op %d: runs %d and %d continue each other but are not merged: %v", round, op, i-1, i, m)
					}
				}
			}
		}
	}
}

// TestExtentIndex: At answers from checkpoints exactly what applying every
// event from the start gives, at every step, for a file with many events
// (several checkpoints); Known follows the events' steps;
// damaged events change nothing.
func TestExtentIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	tr := &Trace{}
	const loc = 4
	for step := int32(1); step <= 200; step++ {
		if step%3 != 0 {
			continue
		}
		for range 1 + rng.IntN(2) {
			lblk := uint32(rng.IntN(64))
			e := ExtentEvent(loc, lblk, uint32(1+rng.IntN(16)), ExtentState(rng.IntN(3)), uint64(500+rng.IntN(100)))
			e.Step = step
			tr.Events = append(tr.Events, e)
		}
		tr.Events = append(tr.Events, Event{Step: step, Kind: EvVar, Loc: loc, Old: 1, New: 2})
	}
	bad := ExtentEvent(loc, 10, 5, ExtentState(9), 7)
	bad.Step = 200
	tr.Events = append(tr.Events, bad)
	x := NewExtentIndex(tr)
	if len(x.files[loc].checks) < 3 {
		t.Fatalf("only %d checkpoints: the test does not reach the checkpoint path", len(x.files[loc].checks))
	}
	var m ExtentMap
	next := 0
	for step := 0; step <= 200; step++ {
		for next < len(tr.Events) && int(tr.Events[next].Step) <= step {
			e := &tr.Events[next]
			if e.Kind == EvExtent && ExtentState(e.Arg) < extentStateCount {
				lblk, n := ExtentRange(e)
				m = m.set(lblk, n, ExtentState(e.Arg), uint64(e.New))
			}
			next++
		}
		got := x.At(loc, step)
		if len(got) != len(m) {
			t.Fatalf("step %d: %v, want %v", step, got, m)
		}
		for i := range got {
			if got[i] != m[i] {
				t.Fatalf("step %d: %v, want %v", step, got, m)
			}
		}
		if x.Known(loc, step) != (step >= 3) {
			t.Fatalf("step %d: Known wrong", step)
		}
	}
	if x.At(99, 200) != nil || x.Known(99, 200) {
		t.Fatal("an unknown file has a map")
	}
}
