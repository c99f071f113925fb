package trace

import (
	"fmt"
	"sort"
)

// ExtentState is how a logical block of a file is mapped.
type ExtentState uint8

const (
	ExtHole      ExtentState = iota // no extent
	ExtWritten                      // an initialized extent
	ExtUnwritten                    // an unwritten (preallocated) extent: reads as zeros
	extentStateCount
)

var extentStateNames = [extentStateCount]string{"hole", "written", "unwritten"}

func (s ExtentState) String() string {
	if s < extentStateCount {
		return extentStateNames[s]
	}
	return fmt.Sprintf("ExtentState(%d)", uint8(s))
}

// ExtentEvent returns the EvExtent event (without step and task) saying
// that the file whose extent-tree counter is loc maps [lblk, lblk+n) as
// st from physical block pblk.
func ExtentEvent(loc int32, lblk, n uint32, st ExtentState, pblk uint64) Event {
	if st == ExtHole {
		pblk = 0
	}
	return Event{Kind: EvExtent, Loc: loc, Arg: int32(st), Old: int64(lblk) | int64(n)<<32, New: int64(pblk)}
}

// ExtentRange unpacks the logical range of an EvExtent event.
func ExtentRange(e *Event) (lblk, n uint32) {
	return uint32(e.Old), uint32(uint64(e.Old) >> 32)
}

// ExtentSeg is a run of logical blocks with one mapping: State, and for a
// mapped run the physical block of its first block.
type ExtentSeg struct {
	LBlk, Len uint32
	State     ExtentState
	PBlk      uint64
}

// End is the first block after the run.
func (s ExtentSeg) End() uint64 { return uint64(s.LBlk) + uint64(s.Len) }

// ExtentMap is a file's mapping as sorted, non-overlapping runs of mapped
// blocks (written or unwritten); blocks in no run are holes. Adjacent runs
// that continue each other (same state, contiguous physical blocks) are
// merged, so two maps of the same blocks compare equal whatever extents
// the tree split them into.
type ExtentMap []ExtentSeg

// set maps [lblk, lblk+n) as st from pblk.
func (m ExtentMap) set(lblk, n uint32, st ExtentState, pblk uint64) ExtentMap {
	if n == 0 {
		return m
	}
	end := uint64(lblk) + uint64(n)
	// Runs wholly before and after the range stay; those overlapping it
	// keep only their parts outside it.
	i := sort.Search(len(m), func(i int) bool { return m[i].End() > uint64(lblk) })
	j := sort.Search(len(m), func(j int) bool { return uint64(m[j].LBlk) >= end })
	var mid [3]ExtentSeg
	k := 0
	if i < j && m[i].LBlk < lblk {
		head := m[i]
		head.Len = lblk - head.LBlk
		mid[k] = head
		k++
	}
	if st != ExtHole {
		mid[k] = ExtentSeg{LBlk: lblk, Len: n, State: st, PBlk: pblk}
		k++
	}
	if i < j && m[j-1].End() > end {
		tail := m[j-1]
		cut := uint32(end - uint64(tail.LBlk))
		tail.LBlk += cut
		tail.Len -= cut
		if tail.State != ExtHole {
			tail.PBlk += uint64(cut)
		}
		mid[k] = tail
		k++
	}
	out := append(m[:i:i], mid[:k]...)
	out = append(out, m[j:]...)
	return out.merge(max(i-1, 0), i+k+1)
}

// merge joins runs that continue each other among out[lo:hi].
func (m ExtentMap) merge(lo, hi int) ExtentMap {
	hi = min(hi, len(m))
	for i := max(lo, 0); i+1 < hi; {
		a, b := m[i], m[i+1]
		if a.State == b.State && a.End() == uint64(b.LBlk) && a.PBlk+uint64(a.Len) == b.PBlk && uint64(a.Len)+uint64(b.Len) <= 1<<32-1 {
			m[i].Len += b.Len
			m = append(m[:i+1], m[i+2:]...)
			hi--
			continue
		}
		i++
	}
	return m
}

// At returns the mapping of block b.
func (m ExtentMap) At(b uint32) (ExtentState, uint64) {
	i := sort.Search(len(m), func(i int) bool { return m[i].End() > uint64(b) })
	if i < len(m) && m[i].LBlk <= b {
		return m[i].State, m[i].PBlk + uint64(b-m[i].LBlk)
	}
	return ExtHole, 0
}

// ExtentIndex answers "what is file loc's extent map at step s" from a
// trace's EvExtent events, with checkpoints so a seek applies at most a
// few dozen events.
type ExtentIndex struct {
	files map[int32]*extentFile
}

type extentFile struct {
	events []int32 // indices into the trace's events
	steps  []int32 // their steps
	checks []ExtentMap
	t      *Trace
}

const extentCheckEvery = 32

// NewExtentIndex indexes t's EvExtent events by file.
func NewExtentIndex(t *Trace) *ExtentIndex {
	x := &ExtentIndex{files: map[int32]*extentFile{}}
	for i := range t.Events {
		e := &t.Events[i]
		if e.Kind != EvExtent {
			continue
		}
		f := x.files[e.Loc]
		if f == nil {
			f = &extentFile{t: t}
			x.files[e.Loc] = f
		}
		f.events = append(f.events, int32(i))
		f.steps = append(f.steps, e.Step)
	}
	for _, f := range x.files {
		var m ExtentMap
		for k, i := range f.events {
			if k%extentCheckEvery == 0 {
				f.checks = append(f.checks, append(ExtentMap(nil), m...))
			}
			m = f.apply(m, i)
		}
	}
	return x
}

func (f *extentFile) apply(m ExtentMap, i int32) ExtentMap {
	e := &f.t.Events[i]
	lblk, n := ExtentRange(e)
	st := ExtentState(e.Arg)
	if st >= extentStateCount || uint64(lblk)+uint64(n) > 1<<32 {
		return m // a damaged event changes nothing
	}
	return m.set(lblk, n, st, uint64(e.New))
}

// Known reports whether file loc has extent events at or before step: the
// model had the file open by then.
func (x *ExtentIndex) Known(loc int32, step int) bool {
	f := x.files[loc]
	return f != nil && len(f.steps) > 0 && int(f.steps[0]) <= step
}

// At returns file loc's extent map after every event of steps ≤ step.
// The map is the caller's.
func (x *ExtentIndex) At(loc int32, step int) ExtentMap {
	f := x.files[loc]
	if f == nil {
		return nil
	}
	n := sort.Search(len(f.steps), func(i int) bool { return int(f.steps[i]) > step })
	if n == 0 {
		return nil
	}
	c := (n - 1) / extentCheckEvery
	m := append(ExtentMap(nil), f.checks[c]...)
	for k := c * extentCheckEvery; k < n; k++ {
		m = f.apply(m, f.events[k])
	}
	return m
}
