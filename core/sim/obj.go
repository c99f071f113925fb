package sim

import (
	"fmt"

	"ext4play/core/trace"
)

// GFP is the allocation mode of Task.Alloc; GFPKernel and GFPNoFS may sleep.
type GFP uint8

const (
	GFPKernel GFP = iota // GFP_KERNEL: may sleep
	GFPNoFS              // GFP_NOFS: may sleep, no fs recursion
	GFPAtomic            // GFP_ATOMIC: never sleeps
	gfpCount
)

var gfpNames = [gfpCount]string{"GFP_KERNEL", "GFP_NOFS", "GFP_ATOMIC"}

func (g GFP) String() string {
	if g < gfpCount {
		return gfpNames[g]
	}
	return fmt.Sprintf("GFP(%d)", uint8(g))
}

// Obj is a shared kernel object (an io_end, a dio, an inode): a lifetime,
// an optional refcount and named int64 fields (Vars). Touching a freed
// object is a use-after-free verdict.
type Obj struct {
	s                       *Sim
	loc                     int32
	kind                    string
	name                    string
	ref                     int64
	hasRef                  bool
	freed                   bool
	mustFree                bool
	freedByName             string // task that freed it (with freedByID)
	freedByID               TaskID
	freedAt                 int
	lblGet, lblPut, lblFree string
}

// NewObj creates an object at setup time or inside a step without a point
// of its own (use Task.Alloc for a kernel allocation).
func (s *Sim) NewObj(kind, name string) *Obj {
	var o *Obj
	if name == "" {
		s.kindCount[kind]++
		// "kind#N" and its labels are the same in every run: the pool
		// builds them once per goroutine.
		n := s.pool.objNames(kind, s.kindCount[kind])
		o = &Obj{s: s, kind: kind, name: n.name, freedAt: -1, lblGet: n.get, lblPut: n.put, lblFree: n.free}
	} else {
		o = &Obj{s: s, kind: kind, name: name, freedAt: -1,
			lblGet: "get " + name, lblPut: "put " + name, lblFree: "free " + name}
	}
	o.loc = s.newLoc(trace.Loc{Kind: trace.LocObj, Name: o.name, Class: kind, Parent: -1})
	if s.full {
		s.objByLoc[o.loc] = o
	} else {
		s.objMap[o.loc] = o
	}
	s.objs = append(s.objs, o)
	var task int32 = -1
	if s.cur != nil {
		task = s.cur.id
	}
	s.emit(trace.Event{Kind: trace.EvObjNew, Task: task, Loc: o.loc})
	return o
}

// Alloc is a kernel allocation (kmalloc / kmem_cache_alloc) of an object of
// kind named "kind#N": a point, and might_sleep unless gfp is GFPAtomic.
func (t *Task) Alloc(kind string, gfp GFP) *Obj {
	s := t.s
	key := allocKey{kind, gfp}
	label, ok := s.allocLabels[key]
	if !ok {
		if s.allocLabels == nil {
			s.allocLabels = map[allocKey]string{}
		}
		label = "alloc " + kind + " (" + gfp.String() + ")"
		s.allocLabels[key] = label
	}
	t.Point(label, Footprint{Loc: -1, Access: None})
	if gfp != GFPAtomic {
		t.MightSleep(gfpSleepWhere[gfp])
	}
	return s.NewObj(kind, "")
}

type allocKey struct {
	kind string
	gfp  GFP
}

var gfpSleepWhere = [gfpCount]string{"mm/slub.c: kmem_cache_alloc(GFP_KERNEL)", "mm/slub.c: kmem_cache_alloc(GFP_NOFS)", ""}

// InitRef makes the object refcounted with count n (atomic_set before the
// object is published).
func (o *Obj) InitRef(n int64) *Obj {
	o.hasRef = true
	o.ref = n
	if o.s.full {
		o.s.locs[o.loc].HasRef = true
		o.s.locs[o.loc].Init = n
	}
	o.s.emit(trace.Event{Kind: trace.EvRef, Task: -1, Loc: o.loc, Old: 0, New: n})
	return o
}

// MustFree marks the object as one that must be freed by the end of a run
// (a leak is VerdictPendingAtEnd).
func (o *Obj) MustFree() *Obj { o.mustFree = true; return o }

// Loc is the object's location id; use it as the value of a Ref var.
func (o *Obj) Loc() int32 { return o.loc }

// Name is "io_end#2".
func (o *Obj) Name() string { return o.name }

// Kind is "io_end".
func (o *Obj) Kind() string { return o.kind }

// Freed reports whether the object was freed.
func (o *Obj) Freed() bool { return o.freed }

// RefCount peeks at the refcount without a point (for checks).
func (o *Obj) RefCount() int64 { return o.ref }

// Obj returns the object with location id loc (a Ref var's value), or nil.
// Without Record (and outside DFS) a freed object is forgotten, so its loc
// gives nil: memory then follows the live objects on long runs.
func (s *Sim) Obj(loc int64) *Obj {
	if !s.full {
		if loc < 0 || loc >= int64(s.nlocs) {
			return nil
		}
		return s.objMap[int32(loc)]
	}
	if loc < 0 || loc >= int64(len(s.objByLoc)) {
		return nil
	}
	return s.objByLoc[loc]
}

// freedBy names the task that freed o ("irq/sda:x/7").
func (o *Obj) freedBy() string { return fmt.Sprintf("%s/%d", o.freedByName, o.freedByID) }

func (o *Obj) fp() Footprint { return Footprint{Loc: o.loc, Access: Write} }

// uaf reports a use of o after it was freed by task t doing op.
func (o *Obj) uaf(t *Task, op string) {
	o.s.report(trace.VerdictUseAfterFree, "", fmt.Sprintf(
		"BUG: KASAN: use-after-free in %s\n%s by task %s/%d\n%s was freed at step %d by %s",
		t.label, op, t.Name(), t.id, o.name, o.freedAt, o.freedBy()), o.name)
}

// Get takes a reference (atomic_inc of the object's count).
func (o *Obj) Get(t *Task) {
	t.Point(o.lblGet, o.fp())
	if o.freed {
		o.uaf(t, "Write of refcount")
	}
	o.setRef(t, o.ref+1)
}

// Put drops a reference (atomic_dec_and_test) and reports whether it was
// the last one; the caller then releases and Frees the object. A put on a
// zero count is a refcount underflow verdict and returns false.
func (o *Obj) Put(t *Task) bool {
	t.Point(o.lblPut, o.fp())
	if o.freed {
		o.uaf(t, "Write of refcount")
	}
	if o.ref <= 0 {
		o.s.report(trace.VerdictRefcountUnderflow, "", fmt.Sprintf(
			"refcount_t: underflow; use-after-free.\n%s put by %s/%d with count %d", o.name, t.Name(), t.id, o.ref), o.name)
		return false
	}
	o.setRef(t, o.ref-1)
	return o.ref == 0
}

func (o *Obj) setRef(t *Task, n int64) {
	old := o.ref
	o.ref = n
	o.s.emit(trace.Event{Kind: trace.EvRef, Task: t.id, Loc: o.loc, Old: old, New: n})
}

// Free is kfree / kmem_cache_free; freeing twice is reported as a
// use-after-free (double free).
func (o *Obj) Free(t *Task) {
	t.Point(o.lblFree, o.fp())
	if o.freed {
		o.s.report(trace.VerdictUseAfterFree, "", fmt.Sprintf(
			"BUG: KASAN: double-free in %s\n%s freed again by %s/%d; first freed at step %d by %s",
			t.label, o.name, t.Name(), t.id, o.freedAt, o.freedBy()), o.name)
		return
	}
	o.freed = true
	o.freedAt = o.s.step
	o.freedByName, o.freedByID = t.Name(), t.id
	o.s.emit(trace.Event{Kind: trace.EvObjFree, Task: t.id, Loc: o.loc})
	o.s.freed(o)
}

// Var is one int64 field of an object (a flag word, a counter, a pointer
// held as the target's location id). Loads and stores are points with the
// var as footprint, and every change is a trace event with old and new value.
type Var struct {
	s                         *Sim
	loc                       int32
	obj                       *Obj
	name                      string
	val                       int64
	lblLoad, lblStore, lblAdd string // built on first use (most points pass their own)
}

// NewVar adds field name to the object with an initial value.
func (o *Obj) NewVar(name string, init int64, f VarFormat) *Var {
	s := o.s
	v := &Var{s: s, obj: o, name: name, val: init}
	v.loc = s.newLoc(trace.Loc{Kind: trace.LocVar, Name: name, Parent: o.loc, Init: init, Format: f})
	if s.rec != nil && s.step > 0 {
		s.emit(trace.Event{Kind: trace.EvVar, Task: -1, Loc: v.loc, Old: init, New: init})
	}
	return v
}

// Loc is the var's location id.
func (v *Var) Loc() int32 { return v.loc }

// Obj is the object the var belongs to.
func (v *Var) Obj() *Obj { return v.obj }

// Value peeks at the value without a point (for checks and setup).
func (v *Var) Value() int64 { return v.val }

// Set changes the value without a point (setup and checks only).
func (v *Var) Set(x int64) { v.set(-1, x) }

// Recording reports whether the run records a trace: work done only to
// describe the run (Note) can be skipped otherwise.
func (v *Var) Recording() bool { return v.s.rec != nil }

// Note records e against the var's location in the current step, for the
// running task (-1 outside any task): a model-defined detail of a change
// the var stands for, e.g. the extents behind an extent tree's change
// counter. It does nothing when the run is not recorded.
func (v *Var) Note(e trace.Event) {
	if v.s.rec == nil {
		return
	}
	e.Loc = v.loc
	e.Task = -1
	if v.s.cur != nil {
		e.Task = v.s.cur.id
	}
	v.s.emit(e)
}

func (v *Var) set(task int32, x int64) {
	old := v.val
	v.val = x
	if v.s.rec != nil {
		v.s.emit(trace.Event{Kind: trace.EvVar, Task: task, Loc: v.loc, Old: old, New: x})
	}
}

func (v *Var) checkLive(t *Task, op string) {
	if v.obj.freed {
		v.obj.uaf(t, op+" of "+v.obj.name+"."+v.name)
	}
}

// Load reads the var at a point labelled "load obj.field".
func (v *Var) Load(t *Task) int64 {
	if v.lblLoad == "" {
		v.lblLoad = "load " + v.obj.name + "." + v.name
	}
	return v.LoadAs(t, v.lblLoad)
}

// LoadAs reads the var at a point with the given label.
func (v *Var) LoadAs(t *Task, label string) int64 {
	t.Point(label, Footprint{Loc: v.loc, Access: Read})
	v.checkLive(t, "Read")
	return v.val
}

// Store writes the var at a point labelled "store obj.field".
func (v *Var) Store(t *Task, x int64) {
	if v.lblStore == "" {
		v.lblStore = "store " + v.obj.name + "." + v.name
	}
	v.StoreAs(t, v.lblStore, x)
}

// StoreAs writes the var at a point with the given label.
func (v *Var) StoreAs(t *Task, label string, x int64) {
	t.Point(label, Footprint{Loc: v.loc, Access: Write})
	v.checkLive(t, "Write")
	v.set(t.id, x)
}

// Add is an atomic read-modify-write (atomic_add_return); returns the new value.
func (v *Var) Add(t *Task, d int64) int64 {
	if v.lblAdd == "" {
		v.lblAdd = "atomic_add " + v.obj.name + "." + v.name
	}
	return v.AddAs(t, v.lblAdd, d)
}

// AddAs is Add at a point with the given label.
func (v *Var) AddAs(t *Task, label string, d int64) int64 {
	t.Point(label, Footprint{Loc: v.loc, Access: Write})
	v.checkLive(t, "Write")
	v.set(t.id, v.val+d)
	return v.val
}

// Or sets bits atomically (set_bit / flag |= bits); returns the new value.
func (v *Var) Or(t *Task, label string, bits int64) int64 {
	t.Point(label, Footprint{Loc: v.loc, Access: Write})
	v.checkLive(t, "Write")
	v.set(t.id, v.val|bits)
	return v.val
}

// AndNot clears bits atomically (clear_bit); returns the new value.
func (v *Var) AndNot(t *Task, label string, bits int64) int64 {
	t.Point(label, Footprint{Loc: v.loc, Access: Write})
	v.checkLive(t, "Write")
	v.set(t.id, v.val&^bits)
	return v.val
}

// WaitQueue is wait_queue_head_t: tasks sleep on it in WaitEvent until
// WakeUp, then re-check their condition.
type WaitQueue struct {
	s        *Sim
	loc      int32
	name     string
	waiters  []*Task
	lblSleep string
}

// NewWaitQueue creates a wait queue.
func (s *Sim) NewWaitQueue(name string) *WaitQueue {
	loc := s.newLoc(trace.Loc{Kind: trace.LocWaitQueue, Name: name, Parent: -1})
	return &WaitQueue{s: s, loc: loc, name: name}
}

// Loc is the wait queue's location id.
func (wq *WaitQueue) Loc() int32 { return wq.loc }

// WaitEvent is wait_event(wq, cond): a point labelled label at which cond
// is evaluated; while false the task sleeps until WakeUp and re-evaluates.
// cond reads shared state directly, so the point depends on everything.
func (t *Task) WaitEvent(wq *WaitQueue, label string, cond func() bool) {
	t.Point(label, Footprint{Loc: -1, Access: All})
	for !cond() {
		t.MightSleep("include/linux/wait.h: wait_event")
		wq.waiters = append(wq.waiters, t)
		t.waitName = wq.name
		if wq.lblSleep == "" {
			wq.lblSleep = "wait_event(" + wq.name + "): woken"
		}
		t.block(wq.loc, trace.ModeShared, wq.lblSleep, Footprint{Loc: -1, Access: All})
	}
}

// WakeUp is wake_up_all(wq): every sleeper becomes runnable and re-checks.
// It is part of the current step, not a point of its own.
func (wq *WaitQueue) WakeUp(t *Task) {
	for _, w := range wq.waiters {
		wq.s.wake(w)
	}
	clear(wq.waiters)
	wq.waiters = wq.waiters[:0]
}

// freed forgets a freed object when the run keeps no history: it leaves the
// loc map at once and the object list (which the end-of-run leak check
// walks in creation order) once freed objects are half of it.
func (s *Sim) freed(o *Obj) {
	if s.full {
		return
	}
	delete(s.objMap, o.loc)
	s.objsFreed++
	if s.objsFreed < 64 || 2*s.objsFreed < len(s.objs) {
		return
	}
	keep := s.objs[:0]
	for _, x := range s.objs {
		if !x.freed {
			keep = append(keep, x)
		}
	}
	clear(s.objs[len(keep):])
	s.objs = keep
	s.objsFreed = 0
}
