package main

// The timeline's layout, computed once per run from the trace: lanes
// (one per process task; interrupt and worker tasks, which are short and
// many, packed into shared lanes when they do not overlap), function spans,
// lock hold and wait bars, io_end markers and verdicts. timeline_js.go
// draws it on a canvas outside vugu's tree.

import (
	"fmt"
	"hash/fnv"
	"sort"

	"ext4play/core/trace"
)

type tlLane struct {
	Label string
	Ctx   trace.Context
	First bool // first lane of its context group
}

// tlSpan: task of lane ran function Fn at step S0 and stayed there until S1.
type tlSpan struct {
	Lane   int32
	S0, S1 int32
	Color  uint8
}

// tlBar kinds.
const (
	barMutex = iota
	barRead
	barWrite
	barHandle
	barWait
)

type tlBar struct {
	Lane   int32
	S0, S1 int32
	Kind   uint8
}

// tlMark kinds.
const (
	markNew = iota
	markFree
	markFlag
	markPtr
	markVerdict
	markExtWritten   // blocks of a file became written (allocated or converted)
	markExtUnwritten // blocks became unwritten (preallocated, or a DIO's pending conversion)
	markExtHole      // blocks were punched out
)

type tlMark struct {
	Lane int32 // -1: not tied to a lane
	Step int32
	Kind uint8
}

type tlModel struct {
	Lanes    []tlLane
	TaskLane []int32
	Spans    []tlSpan
	Bars     []tlBar
	Marks    []tlMark
	Verdicts []int32
	Steps    int32
	Funcs    []string // by color index (mod palette) for the legend
}

const tlPalette = 12

func funcColor(fn string) uint8 {
	h := fnv.New32a()
	h.Write([]byte(fn))
	return uint8(h.Sum32() % tlPalette)
}

func buildTimeline(tr *trace.Trace) *tlModel {
	m := &tlModel{Steps: int32(tr.Steps)}
	nt := len(tr.Tasks)
	first := make([]int32, nt)
	last := make([]int32, nt)
	for i := range first {
		first[i], last[i] = -1, -1
	}
	for _, e := range tr.Events {
		if e.Task < 0 || int(e.Task) >= nt {
			continue
		}
		if first[e.Task] < 0 {
			first[e.Task] = e.Step
		}
		last[e.Task] = e.Step
	}
	// Lanes: process tasks one each, then packed interrupt and worker lanes.
	m.TaskLane = make([]int32, nt)
	for i := range m.TaskLane {
		m.TaskLane[i] = -1
	}
	for _, ctx := range []trace.Context{trace.CtxProcess, trace.CtxHardIRQ, trace.CtxSoftIRQ, trace.CtxWorker} {
		var ends []int32 // per lane of this group: last step used
		base := int32(len(m.Lanes))
		for i, t := range tr.Tasks {
			if t.Ctx != ctx || first[i] < 0 {
				continue
			}
			if ctx == trace.CtxProcess {
				m.TaskLane[i] = int32(len(m.Lanes))
				m.Lanes = append(m.Lanes, tlLane{Label: t.Name, Ctx: ctx, First: len(ends) == 0})
				ends = append(ends, last[i])
				continue
			}
			placed := false
			for j, end := range ends {
				if end < first[i] {
					ends[j] = last[i] + 1
					m.TaskLane[i] = base + int32(j)
					placed = true
					break
				}
			}
			if !placed {
				m.TaskLane[i] = int32(len(m.Lanes))
				name := map[trace.Context]string{trace.CtxHardIRQ: "hardirq", trace.CtxSoftIRQ: "softirq", trace.CtxWorker: "kworker"}[ctx]
				m.Lanes = append(m.Lanes, tlLane{Label: name + " " + itoa(len(ends)), Ctx: ctx, First: len(ends) == 0})
				ends = append(ends, last[i]+1)
			}
		}
	}
	// Spans: each step of a task lasts until that task's next step.
	lastStep := make([]int32, nt)
	lastFn := make([]uint8, nt)
	for i := range lastStep {
		lastStep[i] = -1
	}
	seen := map[uint8]string{}
	type hold struct {
		s0   int32
		kind uint8
	}
	holds := map[[2]int32]hold{}
	waits := map[[2]int32]int32{}
	flush := func(t int32, to int32) {
		if lastStep[t] >= 0 {
			m.Spans = append(m.Spans, tlSpan{Lane: m.TaskLane[t], S0: lastStep[t], S1: max(to, lastStep[t]+1), Color: lastFn[t]})
		}
	}
	for _, e := range tr.Events {
		t := e.Task
		lane := int32(-1)
		if t >= 0 && int(t) < nt {
			lane = m.TaskLane[t]
		}
		switch e.Kind {
		case trace.EvStep:
			if lane < 0 {
				continue
			}
			flush(t, e.Step)
			fn := "task"
			if st := tr.Stack(e.Stack); len(st) > 0 {
				fn = st[len(st)-1]
			}
			c := funcColor(fn)
			if _, ok := seen[c]; !ok {
				seen[c] = fn
			}
			lastStep[t], lastFn[t] = e.Step, c
		case trace.EvState:
			if lane >= 0 && trace.TaskStatus(e.New) == trace.TaskDone {
				flush(t, e.Step+1)
				lastStep[t] = -1
			}
		case trace.EvWait:
			if lane >= 0 && e.Loc >= 0 && tr.Locs[e.Loc].Kind.IsLock() {
				waits[[2]int32{t, e.Loc}] = e.Step
			}
		case trace.EvAcquire:
			if lane < 0 || e.Loc < 0 {
				continue
			}
			k := [2]int32{t, e.Loc}
			if s0, ok := waits[k]; ok {
				m.Bars = append(m.Bars, tlBar{Lane: lane, S0: s0, S1: max(e.Step, s0+1), Kind: barWait})
				delete(waits, k)
			}
			kind := uint8(barMutex)
			switch {
			case tr.Locs[e.Loc].Kind == trace.LocLockMap:
				kind = barHandle
			case tr.Locs[e.Loc].Kind == trace.LocRWSem && trace.LockMode(e.Arg) == trace.ModeShared:
				kind = barRead
			case tr.Locs[e.Loc].Kind == trace.LocRWSem:
				kind = barWrite
			}
			holds[k] = hold{e.Step, kind}
		case trace.EvRelease:
			k := [2]int32{t, e.Loc}
			if h, ok := holds[k]; ok && lane >= 0 {
				m.Bars = append(m.Bars, tlBar{Lane: lane, S0: h.s0, S1: max(e.Step, h.s0+1), Kind: h.kind})
				delete(holds, k)
			}
		case trace.EvObjNew, trace.EvObjFree:
			if e.Loc >= 0 && tr.Locs[e.Loc].Class == "io_end" {
				k := uint8(markNew)
				if e.Kind == trace.EvObjFree {
					k = markFree
				}
				m.Marks = append(m.Marks, tlMark{Lane: lane, Step: e.Step, Kind: k})
			}
		case trace.EvVar:
			if e.Loc < 0 {
				continue
			}
			l := tr.Locs[e.Loc]
			if l.Format == trace.FmtRef {
				m.Marks = append(m.Marks, tlMark{Lane: lane, Step: e.Step, Kind: markPtr})
			} else if l.Name == "flag" && l.Parent >= 0 && tr.Locs[l.Parent].Class == "io_end" {
				m.Marks = append(m.Marks, tlMark{Lane: lane, Step: e.Step, Kind: markFlag})
			}
		case trace.EvExtent:
			if _, n := trace.ExtentRange(&e); n == 0 || lane < 0 {
				continue // a file's first snapshot, or outside any task
			}
			k := uint8(markExtHole)
			switch trace.ExtentState(e.Arg) {
			case trace.ExtWritten:
				k = markExtWritten
			case trace.ExtUnwritten:
				k = markExtUnwritten
			}
			m.Marks = append(m.Marks, tlMark{Lane: lane, Step: e.Step, Kind: k})
		case trace.EvVerdict:
			m.Verdicts = append(m.Verdicts, e.Step)
			m.Marks = append(m.Marks, tlMark{Lane: lane, Step: e.Step, Kind: markVerdict})
		}
	}
	for t := range lastStep {
		if lastStep[t] >= 0 {
			flush(int32(t), int32(tr.Steps)+1)
		}
	}
	for k, h := range holds {
		if lane := m.TaskLane[k[0]]; lane >= 0 {
			m.Bars = append(m.Bars, tlBar{Lane: lane, S0: h.s0, S1: int32(tr.Steps) + 1, Kind: h.kind})
		}
	}
	for k, s0 := range waits {
		if lane := m.TaskLane[k[0]]; lane >= 0 {
			m.Bars = append(m.Bars, tlBar{Lane: lane, S0: s0, S1: int32(tr.Steps) + 1, Kind: barWait})
		}
	}
	m.Funcs = make([]string, tlPalette)
	for c, fn := range seen {
		m.Funcs[c] = fn
	}
	return m
}

// tlView is the visible window: steps [X0, X1) and the first lane row.
type tlView struct {
	X0, X1 float64
	Row    float64
}

// zoom scales the window around step at (factor < 1 zooms in).
func (v *tlView) zoom(at, factor float64, steps int32) {
	w := (v.X1 - v.X0) * factor
	w = max(8, min(w, float64(steps)+1))
	f := (at - v.X0) / (v.X1 - v.X0)
	v.X0 = at - f*w
	v.X1 = v.X0 + w
	v.clamp(steps)
}

func (v *tlView) pan(d float64, steps int32) {
	v.X0 += d
	v.X1 += d
	v.clamp(steps)
}

func (v *tlView) clamp(steps int32) {
	w := v.X1 - v.X0
	if v.X0 < 0 {
		v.X0, v.X1 = 0, w
	}
	if v.X1 > float64(steps)+1 {
		v.X1 = float64(steps) + 1
		v.X0 = max(0, v.X1-w)
	}
}

// follow keeps step inside the window, paging when it leaves.
func (v *tlView) follow(step int) {
	s := float64(step)
	w := v.X1 - v.X0
	if s < v.X0 || s >= v.X1 {
		v.X0 = max(0, s-w*0.3)
		v.X1 = v.X0 + w
	}
}

// tlRows is how many lanes the timeline slot is tall (CSS classes h4…h14).
func (p *PlayState) tlRows() string {
	n := 6
	if p.tl != nil {
		n = len(p.tl.Lanes)
	}
	return itoa(max(4, min(n, 14)))
}

// hoverText describes step s for the timeline's hover readout.
func (p *PlayState) hoverText(s int) string {
	if p.res == nil || s <= 0 || s >= len(p.stepTask) {
		return ""
	}
	tr := p.res.Trace
	evs := tr.Events
	i := sort.Search(len(evs), func(i int) bool { return int(evs[i].Step) >= s })
	for ; i < len(evs) && int(evs[i].Step) == s; i++ {
		if evs[i].Kind == trace.EvStep {
			fn := ""
			if st := tr.Stack(evs[i].Stack); len(st) > 0 {
				fn = " › " + st[len(st)-1]
			}
			return fmt.Sprintf("step %d · %s%s: %s", s, p.taskName(evs[i].Task), fn, tr.Str(evs[i].Label))
		}
	}
	return fmt.Sprintf("step %d", s)
}
