package trace

import (
	"fmt"
	"sort"
	"strings"
)

// Life is an object's lifetime state at a step.
type Life uint8

const (
	LifeUnborn Life = iota // not created yet
	LifeLive
	LifeFreed
)

func (l Life) String() string {
	switch l {
	case LifeLive:
		return "live"
	case LifeFreed:
		return "freed"
	}
	return "unborn"
}

// TaskState is one task at a step. It holds no pointers, so copying a
// state for a checkpoint or a seek is a plain memory copy.
type TaskState struct {
	Spawned bool
	Status  TaskStatus
	WaitLoc int32 // what a blocked task waits for, else -1
	Stack   int32 // stack node (Trace.Stack gives the names)
	Label   int32 // latest step's label (Trace.Str), -1 before the first step
	Steps   int32 // steps the task has executed
}

// Waiter is a task queued on a lock or wait queue.
type Waiter struct {
	Task int32
	Mode LockMode
}

// State is the complete visible state after a step: tasks, locks with
// holders and waiters, object lifetimes, refcounts and field values.
// Per-location slices are indexed by location id.
type State struct {
	tr       *Trace
	Step     int
	Tasks    []TaskState
	Vals     []int64            // vars: value; objects: refcount
	Life     []Life             // objects
	Owner    []int32            // locks: exclusive holder or -1
	Readers  map[int32][]int32  // rwsems: read holders (only non-empty entries)
	Waiters  map[int32][]Waiter // locks and wait queues: queued tasks (only non-empty)
	Verdicts int                // verdicts reported so far
}

func newState(t *Trace) *State {
	n := len(t.Locs)
	st := &State{
		tr:      t,
		Tasks:   make([]TaskState, len(t.Tasks)),
		Vals:    make([]int64, n),
		Life:    make([]Life, n),
		Owner:   make([]int32, n),
		Readers: map[int32][]int32{},
		Waiters: map[int32][]Waiter{},
	}
	for i := range st.Tasks {
		st.Tasks[i].WaitLoc = -1
	}
	for i, l := range t.Locs {
		st.Owner[i] = -1
		if l.Kind == LocVar {
			st.Vals[i] = l.Init
		}
	}
	return st
}

// Label is the label of task i's latest step ("start" before its first).
func (st *State) Label(i int) string {
	if i < 0 || i >= len(st.Tasks) || st.Tasks[i].Label < 0 {
		return "start"
	}
	return st.tr.Str(st.Tasks[i].Label)
}

// Clone is a deep copy.
func (st *State) Clone() *State { return st.copyInto(nil) }

// copyInto deep-copies st into dst, reusing dst's memory when it has room.
func (st *State) copyInto(dst *State) *State {
	if dst == nil {
		dst = &State{}
	}
	dst.tr, dst.Step, dst.Verdicts = st.tr, st.Step, st.Verdicts
	dst.Tasks = append(dst.Tasks[:0], st.Tasks...)
	dst.Vals = append(dst.Vals[:0], st.Vals...)
	dst.Life = append(dst.Life[:0], st.Life...)
	dst.Owner = append(dst.Owner[:0], st.Owner...)
	if dst.Readers == nil {
		dst.Readers = make(map[int32][]int32, len(st.Readers))
	} else {
		clear(dst.Readers)
	}
	if dst.Waiters == nil {
		dst.Waiters = make(map[int32][]Waiter, len(st.Waiters))
	} else {
		clear(dst.Waiters)
	}
	for i, r := range st.Readers {
		dst.Readers[i] = append([]int32(nil), r...)
	}
	for i, w := range st.Waiters {
		dst.Waiters[i] = append([]Waiter(nil), w...)
	}
	return dst
}

func (st *State) inRange(loc int32) bool { return loc >= 0 && int(loc) < len(st.Vals) }

func (st *State) removeWaiter(loc, task int32) {
	ws := st.Waiters[loc]
	for i, w := range ws {
		if w.Task == task {
			ws = append(ws[:i], ws[i+1:]...)
			if len(ws) == 0 {
				delete(st.Waiters, loc)
			} else {
				st.Waiters[loc] = ws
			}
			return
		}
	}
}

// apply folds one event into the state. Events referring to unknown tasks
// or locations are ignored, so a damaged trace cannot crash the reducer.
func (st *State) apply(e *Event) {
	st.Step = int(e.Step)
	var ts *TaskState
	if e.Task >= 0 && int(e.Task) < len(st.Tasks) {
		ts = &st.Tasks[e.Task]
	}
	switch e.Kind {
	case EvStep:
		if ts != nil {
			ts.Label = e.Label
			ts.Stack = e.Stack
			ts.Steps++
		}
	case EvSpawn:
		if ts != nil {
			ts.Spawned = true
			ts.Status = TaskRunnable
			ts.Label = -1
		}
	case EvState:
		if ts != nil {
			if TaskStatus(e.New) != TaskBlocked && st.inRange(ts.WaitLoc) {
				// A woken task leaves the queue it slept on.
				st.removeWaiter(ts.WaitLoc, e.Task)
			}
			ts.Status = TaskStatus(e.New)
			ts.WaitLoc = -1
			if ts.Status == TaskBlocked {
				ts.WaitLoc = e.Loc
			}
		}
	case EvEnter, EvExit:
		if ts != nil {
			ts.Stack = e.Stack
		}
	case EvAcquire:
		if !st.inRange(e.Loc) {
			return
		}
		st.removeWaiter(e.Loc, e.Task)
		if LockMode(e.Arg) == ModeShared {
			st.Readers[e.Loc] = append(st.Readers[e.Loc], e.Task)
		} else {
			st.Owner[e.Loc] = e.Task
		}
	case EvRelease:
		if !st.inRange(e.Loc) {
			return
		}
		if LockMode(e.Arg) == ModeShared {
			rs := st.Readers[e.Loc]
			for i, r := range rs {
				if r == e.Task {
					rs = append(rs[:i], rs[i+1:]...)
					if len(rs) == 0 {
						delete(st.Readers, e.Loc)
					} else {
						st.Readers[e.Loc] = rs
					}
					break
				}
			}
		} else if st.Owner[e.Loc] == e.Task {
			st.Owner[e.Loc] = -1
		}
	case EvWait:
		if st.inRange(e.Loc) {
			st.Waiters[e.Loc] = append(st.Waiters[e.Loc], Waiter{e.Task, LockMode(e.Arg)})
		}
	case EvObjNew:
		if st.inRange(e.Loc) {
			st.Life[e.Loc] = LifeLive
		}
	case EvObjFree:
		if st.inRange(e.Loc) {
			st.Life[e.Loc] = LifeFreed
		}
	case EvVar, EvRef:
		if st.inRange(e.Loc) {
			st.Vals[e.Loc] = e.New
		}
	case EvVerdict:
		st.Verdicts++
	}
}

// DefaultCheckpointEvents is how many events lie between checkpoints.
const DefaultCheckpointEvents = 2048

// Reducer answers "what was the state after step k" for any k, replaying
// at most one checkpoint interval of events per query.
type Reducer struct {
	tr    *Trace
	every int
	cps   []checkpoint
}

type checkpoint struct {
	next int // events[0:next] are folded into st
	st   *State
}

// NewReducer folds the trace once, keeping a checkpoint every `every`
// events. every <= 0 picks max(DefaultCheckpointEvents, tasks+locations):
// a seek then costs one state copy plus at most as many event applications
// as the state has entries, and checkpoints never outweigh the events.
func NewReducer(t *Trace, every int) *Reducer {
	if every <= 0 {
		every = max(DefaultCheckpointEvents, len(t.Tasks)+len(t.Locs))
	}
	r := &Reducer{tr: t, every: every}
	st := newState(t)
	r.cps = append(r.cps, checkpoint{0, st.Clone()})
	for i := range t.Events {
		st.apply(&t.Events[i])
		if (i+1)%every == 0 {
			r.cps = append(r.cps, checkpoint{i + 1, st.Clone()})
		}
	}
	return r
}

// At returns the state after every event of steps <= step (step 0 is the
// state after setup). The result is a fresh copy the caller may keep.
func (r *Reducer) At(step int) *State { return r.Seek(step, nil) }

// Seek is At writing into dst (reusing its memory; nil allocates), for
// scrubbing through a long run without garbage.
func (r *Reducer) Seek(step int, dst *State) *State {
	evs := r.tr.Events
	end := sort.Search(len(evs), func(i int) bool { return int(evs[i].Step) > step })
	ci := sort.Search(len(r.cps), func(i int) bool { return r.cps[i].next > end }) - 1
	if ci < 0 {
		ci = 0
	}
	st := r.cps[ci].st.copyInto(dst)
	for i := r.cps[ci].next; i < end; i++ {
		st.apply(&evs[i])
	}
	if step > st.Step {
		st.Step = min(step, r.tr.Steps)
	}
	return st
}

// Describe renders the state as text: tasks, locks, objects.
func (st *State) Describe(t *Trace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d\n", st.Step)
	for i, ts := range st.Tasks {
		if !ts.Spawned {
			continue
		}
		task := t.Tasks[i]
		fmt.Fprintf(&b, "task %s/%d %s %s", task.Name, i, task.Ctx, ts.Status)
		if ts.Status == TaskBlocked {
			fmt.Fprintf(&b, " on %s", t.FullName(ts.WaitLoc))
		}
		fmt.Fprintf(&b, " at %q stack [%s]\n", st.Label(i), strings.Join(t.Stack(ts.Stack), " > "))
	}
	name := func(id int32) string {
		if id >= 0 && int(id) < len(t.Tasks) {
			return fmt.Sprintf("%s/%d", t.Tasks[id].Name, id)
		}
		return fmt.Sprintf("task#%d", id)
	}
	for i, l := range t.Locs {
		loc := int32(i)
		switch {
		case l.Kind.IsLock() || l.Kind == LocWaitQueue:
			if st.Owner[i] < 0 && len(st.Readers[loc]) == 0 && len(st.Waiters[loc]) == 0 {
				continue
			}
			fmt.Fprintf(&b, "%s %s:", l.Kind, l.Name)
			if st.Owner[i] >= 0 {
				fmt.Fprintf(&b, " held by %s", name(st.Owner[i]))
			}
			for _, r := range st.Readers[loc] {
				fmt.Fprintf(&b, " read-held by %s", name(r))
			}
			for _, w := range st.Waiters[loc] {
				fmt.Fprintf(&b, " waiter %s (%s)", name(w.Task), w.Mode)
			}
			b.WriteByte('\n')
		case l.Kind == LocObj:
			if st.Life[i] == LifeUnborn {
				continue
			}
			fmt.Fprintf(&b, "%s %s", l.Name, st.Life[i])
			if l.HasRef {
				fmt.Fprintf(&b, " refcount %d", st.Vals[i])
			}
			for j := i + 1; j < len(t.Locs); j++ {
				if t.Locs[j].Parent == loc && t.Locs[j].Kind == LocVar {
					fmt.Fprintf(&b, " %s=%s", t.Locs[j].Name, t.FormatValue(int32(j), st.Vals[j]))
				}
			}
			b.WriteByte('\n')
		}
	}
	if st.Verdicts > 0 {
		fmt.Fprintf(&b, "verdicts: %d\n", st.Verdicts)
	}
	return b.String()
}
