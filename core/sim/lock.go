package sim

import (
	"fmt"
	"strings"

	"ext4play/core/trace"
)

// lockBase is what every lock kind shares: its location, names and the
// labels of its points, built once so points never allocate.
type lockBase struct {
	s     *Sim
	loc   int32
	name  string
	class int // lockdep class id
}

func (s *Sim) newLockBase(kind trace.LocKind, name, class string) lockBase {
	if class == "" {
		class = name
	}
	loc := s.newLoc(trace.Loc{Kind: kind, Name: name, Class: class, Parent: -1})
	return lockBase{s: s, loc: loc, name: name, class: s.lockdep.classID(class)}
}

// Loc is the lock's location id (for footprints and the trace).
func (l *lockBase) Loc() int32 { return l.loc }

// Name is the lock's name.
func (l *lockBase) Name() string { return l.name }

func (l *lockBase) fp() Footprint { return Footprint{Loc: l.loc, Access: Write} }

// acquired records that t now holds the lock.
func (t *Task) acquired(loc int32, mode trace.LockMode, label string) {
	t.held = append(t.held, held{loc: loc, mode: mode, label: label, step: t.s.step})
	t.s.emit(trace.Event{Kind: trace.EvAcquire, Task: t.id, Loc: loc, Arg: int32(mode)})
}

// releaseHeld drops the innermost hold of loc; false if t does not hold it.
func (t *Task) releaseHeld(loc int32, mode trace.LockMode) bool {
	for i := len(t.held) - 1; i >= 0; i-- {
		if t.held[i].loc == loc && t.held[i].mode == mode {
			t.held = append(t.held[:i], t.held[i+1:]...)
			t.s.emit(trace.Event{Kind: trace.EvRelease, Task: t.id, Loc: loc, Arg: int32(mode)})
			return true
		}
	}
	return false
}

// badUnlock reports an unlock by a task that does not hold the lock.
func (t *Task) badUnlock(l *lockBase, owner *Task, op string) {
	s := t.s
	if owner == nil {
		s.report(trace.VerdictDoubleUnlock, "", fmt.Sprintf(
			"=====================================\n[ BUG: bad unlock balance detected! ]\n-------------------------------------\n%s/%d is trying to release lock (%s) at:\n%s\nbut there are no more locks to release!",
			t.Name(), t.id, l.name, op), l.name)
		return
	}
	s.report(trace.VerdictUnlockNonOwner, "", fmt.Sprintf(
		"DEBUG_LOCKS_WARN_ON(lock->owner != current)\n%s/%d releases %s (%s) held by %s/%d",
		t.Name(), t.id, l.name, op, owner.name, owner.id), l.name)
}

// Mutex is struct mutex (kernel/locking/mutex.c), also the inode lock
// (i_mutex, inode_lock()). Waiters are served in FIFO order and the lock is
// handed to the first waiter on unlock.
type Mutex struct {
	lockBase
	owner                                   *Task
	waiters                                 []*Task
	lblLock, lblUnlock, lblAcquired, lblTry string
}

// NewMutex creates a mutex whose lockdep class is its name.
func (s *Sim) NewMutex(name string) *Mutex { return s.NewMutexClass(name, "") }

// NewMutexClass creates a mutex in lockdep class class (locks of one class
// share lock-order rules, like every inode's i_mutex).
func (s *Sim) NewMutexClass(name, class string) *Mutex {
	return &Mutex{
		lockBase:    s.newLockBase(trace.LocMutex, name, class),
		lblLock:     "mutex_lock(" + name + ")",
		lblUnlock:   "mutex_unlock(" + name + ")",
		lblAcquired: "mutex_lock(" + name + "): acquired",
		lblTry:      "mutex_trylock(" + name + ")",
	}
}

// Owner returns the holder, or nil.
func (m *Mutex) Owner() *Task { return m.owner }

// Lock is mutex_lock: may sleep.
func (m *Mutex) Lock(t *Task) {
	t.Point(m.lblLock, m.fp())
	t.MightSleep("kernel/locking/mutex.c: mutex_lock")
	t.s.lockdep.acquire(t, &m.lockBase, trace.ModeExclusive)
	if m.owner == nil {
		m.owner = t
		t.acquired(m.loc, trace.ModeExclusive, m.lblLock)
		return
	}
	m.waiters = append(m.waiters, t)
	t.block(m.loc, trace.ModeExclusive, m.lblAcquired, m.fp())
}

// TryLock is mutex_trylock: true if acquired; never sleeps.
func (m *Mutex) TryLock(t *Task) bool {
	t.Point(m.lblTry, m.fp())
	if m.owner != nil {
		return false
	}
	m.owner = t
	t.acquired(m.loc, trace.ModeExclusive, m.lblTry)
	return true
}

// Unlock is mutex_unlock.
func (m *Mutex) Unlock(t *Task) {
	t.Point(m.lblUnlock, m.fp())
	if m.owner != t {
		t.badUnlock(&m.lockBase, m.owner, m.lblUnlock)
		return
	}
	t.releaseHeld(m.loc, trace.ModeExclusive)
	m.owner = nil
	if len(m.waiters) > 0 {
		w := m.waiters[0]
		m.waiters = m.waiters[:copy(m.waiters, m.waiters[1:])]
		m.owner = w
		w.acquired(m.loc, trace.ModeExclusive, m.lblLock)
		t.s.wake(w)
	}
}

// RWSem is struct rw_semaphore (kernel/locking/rwsem.c) with Linux's rule
// that a queued writer blocks new readers, so a reader that already holds
// the lock and reads again behind a queued writer deadlocks. Waiters are
// FIFO; a release wakes the first writer, or every reader at the head of
// the queue up to the first writer.
type RWSem struct {
	lockBase
	writer                                                     *Task
	readers                                                    []*Task
	waiters                                                    []rwWaiter
	lblDownRead, lblDownWrite, lblUpRead, lblUpWrite           string
	lblReadAcquired, lblWriteAcquired, lblTryRead, lblTryWrite string
}

type rwWaiter struct {
	t    *Task
	mode trace.LockMode
}

// NewRWSem creates an rw_semaphore whose lockdep class is its name.
func (s *Sim) NewRWSem(name string) *RWSem { return s.NewRWSemClass(name, "") }

// NewRWSemClass creates an rw_semaphore in lockdep class class.
func (s *Sim) NewRWSemClass(name, class string) *RWSem {
	return &RWSem{
		lockBase:         s.newLockBase(trace.LocRWSem, name, class),
		lblDownRead:      "down_read(" + name + ")",
		lblDownWrite:     "down_write(" + name + ")",
		lblUpRead:        "up_read(" + name + ")",
		lblUpWrite:       "up_write(" + name + ")",
		lblReadAcquired:  "down_read(" + name + "): acquired",
		lblWriteAcquired: "down_write(" + name + "): acquired",
		lblTryRead:       "down_read_trylock(" + name + ")",
		lblTryWrite:      "down_write_trylock(" + name + ")",
	}
}

// Writer returns the write holder, or nil.
func (r *RWSem) Writer() *Task { return r.writer }

// Readers returns how many tasks hold the lock for read.
func (r *RWSem) Readers() int { return len(r.readers) }

// DownRead is down_read: may sleep; waits while a writer holds or waits.
func (r *RWSem) DownRead(t *Task) {
	t.Point(r.lblDownRead, r.fp())
	t.MightSleep("kernel/locking/rwsem.c: down_read")
	t.s.lockdep.acquire(t, &r.lockBase, trace.ModeShared)
	if r.writer == nil && len(r.waiters) == 0 {
		r.readers = append(r.readers, t)
		t.acquired(r.loc, trace.ModeShared, r.lblDownRead)
		return
	}
	r.waiters = append(r.waiters, rwWaiter{t, trace.ModeShared})
	t.block(r.loc, trace.ModeShared, r.lblReadAcquired, r.fp())
}

// DownWrite is down_write: may sleep; waits for all holders and earlier waiters.
func (r *RWSem) DownWrite(t *Task) {
	t.Point(r.lblDownWrite, r.fp())
	t.MightSleep("kernel/locking/rwsem.c: down_write")
	t.s.lockdep.acquire(t, &r.lockBase, trace.ModeExclusive)
	if r.writer == nil && len(r.readers) == 0 && len(r.waiters) == 0 {
		r.writer = t
		t.acquired(r.loc, trace.ModeExclusive, r.lblDownWrite)
		return
	}
	r.waiters = append(r.waiters, rwWaiter{t, trace.ModeExclusive})
	t.block(r.loc, trace.ModeExclusive, r.lblWriteAcquired, r.fp())
}

// DownReadTrylock is down_read_trylock.
func (r *RWSem) DownReadTrylock(t *Task) bool {
	t.Point(r.lblTryRead, r.fp())
	if r.writer != nil || len(r.waiters) > 0 {
		return false
	}
	r.readers = append(r.readers, t)
	t.acquired(r.loc, trace.ModeShared, r.lblTryRead)
	return true
}

// DownWriteTrylock is down_write_trylock.
func (r *RWSem) DownWriteTrylock(t *Task) bool {
	t.Point(r.lblTryWrite, r.fp())
	if r.writer != nil || len(r.readers) > 0 || len(r.waiters) > 0 {
		return false
	}
	r.writer = t
	t.acquired(r.loc, trace.ModeExclusive, r.lblTryWrite)
	return true
}

// UpRead is up_read.
func (r *RWSem) UpRead(t *Task) {
	t.Point(r.lblUpRead, r.fp())
	i := r.readerIndex(t)
	if i < 0 {
		var owner *Task
		if r.writer != nil {
			owner = r.writer
		} else if len(r.readers) > 0 {
			owner = r.readers[0]
		}
		t.badUnlock(&r.lockBase, owner, r.lblUpRead)
		return
	}
	r.readers = append(r.readers[:i], r.readers[i+1:]...)
	t.releaseHeld(r.loc, trace.ModeShared)
	r.wakeWaiters()
}

// UpWrite is up_write.
func (r *RWSem) UpWrite(t *Task) {
	t.Point(r.lblUpWrite, r.fp())
	if r.writer != t {
		owner := r.writer
		if owner == nil && len(r.readers) > 0 {
			owner = r.readers[0]
		}
		t.badUnlock(&r.lockBase, owner, r.lblUpWrite)
		return
	}
	r.writer = nil
	t.releaseHeld(r.loc, trace.ModeExclusive)
	r.wakeWaiters()
}

func (r *RWSem) readerIndex(t *Task) int {
	for i, x := range r.readers {
		if x == t {
			return i
		}
	}
	return -1
}

// wakeWaiters grants the lock to the head of the queue (__rwsem_do_wake).
func (r *RWSem) wakeWaiters() {
	if r.writer != nil || len(r.waiters) == 0 {
		return
	}
	if r.waiters[0].mode == trace.ModeExclusive {
		if len(r.readers) > 0 {
			return
		}
		w := r.waiters[0].t
		r.waiters = r.waiters[:copy(r.waiters, r.waiters[1:])]
		r.writer = w
		w.acquired(r.loc, trace.ModeExclusive, r.lblDownWrite)
		r.s.wake(w)
		return
	}
	n := 0
	for n < len(r.waiters) && r.waiters[n].mode == trace.ModeShared {
		w := r.waiters[n].t
		r.readers = append(r.readers, w)
		w.acquired(r.loc, trace.ModeShared, r.lblDownRead)
		r.s.wake(w)
		n++
	}
	r.waiters = r.waiters[:copy(r.waiters, r.waiters[n:])]
}

// SpinLock is spinlock_t: holding it disables preemption (the holder is in
// atomic context); the irqsave variant also disables interrupts.
type SpinLock struct {
	lockBase
	owner                           *Task
	waiters                         []*Task
	lblLock, lblUnlock, lblAcquired string
}

// NewSpinLock creates a spinlock whose lockdep class is its name.
func (s *Sim) NewSpinLock(name string) *SpinLock {
	return &SpinLock{
		lockBase:    s.newLockBase(trace.LocSpin, name, ""),
		lblLock:     "spin_lock(" + name + ")",
		lblUnlock:   "spin_unlock(" + name + ")",
		lblAcquired: "spin_lock(" + name + "): acquired",
	}
}

// Lock is spin_lock. A contended lock spins (shown as blocked).
func (l *SpinLock) Lock(t *Task) {
	t.Point(l.lblLock, l.fp())
	t.s.lockdep.acquire(t, &l.lockBase, trace.ModeExclusive)
	t.preempt++
	if l.owner == nil {
		l.owner = t
		t.acquired(l.loc, trace.ModeExclusive, l.lblLock)
		return
	}
	l.waiters = append(l.waiters, t)
	t.block(l.loc, trace.ModeExclusive, l.lblAcquired, l.fp())
}

// LockIRQSave is spin_lock_irqsave.
func (l *SpinLock) LockIRQSave(t *Task) {
	t.irqOff++
	l.Lock(t)
}

// Unlock is spin_unlock.
func (l *SpinLock) Unlock(t *Task) {
	t.Point(l.lblUnlock, l.fp())
	if l.owner != t {
		t.badUnlock(&l.lockBase, l.owner, l.lblUnlock)
		return
	}
	t.releaseHeld(l.loc, trace.ModeExclusive)
	if t.preempt > 0 {
		t.preempt--
	}
	l.owner = nil
	if len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[:copy(l.waiters, l.waiters[1:])]
		l.owner = w
		w.acquired(l.loc, trace.ModeExclusive, l.lblLock)
		t.s.wake(w)
	}
}

// UnlockIRQRestore is spin_unlock_irqrestore.
func (l *SpinLock) UnlockIRQRestore(t *Task) {
	l.Unlock(t)
	t.LocalIRQRestore()
}

// LockMap is a lockdep map without a lock (struct lockdep_map, e.g. the
// jbd2_handle pseudo-lock): acquiring it records lock order and shows as
// held, but never blocks and is not a point of its own.
type LockMap struct {
	lockBase
	label string
}

// NewLockMap creates a lockdep-only lock.
func (s *Sim) NewLockMap(name string) *LockMap {
	return &LockMap{lockBase: s.newLockBase(trace.LocLockMap, name, ""), label: "lock_map_acquire(" + name + ")"}
}

// Acquire is lock_map_acquire.
func (l *LockMap) Acquire(t *Task) {
	t.s.lockdep.acquire(t, &l.lockBase, trace.ModeExclusive)
	t.acquired(l.loc, trace.ModeExclusive, t.label)
}

// Release is lock_map_release.
func (l *LockMap) Release(t *Task) {
	if !t.releaseHeld(l.loc, trace.ModeExclusive) {
		t.badUnlock(&l.lockBase, nil, "lock_map_release("+l.name+")")
	}
}

// lockdep records the order in which lock classes are taken and reports a
// possible circular dependency the first time an edge closes a cycle.
type lockdep struct {
	classes []string
	byName  map[string]int
	edges   map[[2]int]lockEdge
	adj     [][]int
}

type lockEdge struct {
	task        string
	pid         TaskID
	step        int
	heldLabel   string
	acquireLbl  string
	stack       []string
	heldLock    string
	acquireLock string
}

func (d *lockdep) classID(name string) int {
	if d.byName == nil {
		d.byName = map[string]int{}
		d.edges = map[[2]int]lockEdge{}
	}
	if id, ok := d.byName[name]; ok {
		return id
	}
	id := len(d.classes)
	d.classes = append(d.classes, name)
	d.byName[name] = id
	d.adj = append(d.adj, nil)
	return id
}

// acquire is called before t waits for or takes lock l.
func (d *lockdep) acquire(t *Task, l *lockBase, mode trace.LockMode) {
	s := t.s
	if s.cfg.NoLockdep || len(t.held) == 0 {
		return
	}
	for _, h := range t.held {
		hc := s.lockClassOf(h.loc)
		if hc == l.class || hc < 0 {
			continue
		}
		key := [2]int{hc, l.class}
		if _, ok := d.edges[key]; ok {
			continue
		}
		e := lockEdge{task: t.Name(), pid: t.id, step: s.step, heldLabel: h.label, acquireLbl: t.label,
			stack: t.Stack(), heldLock: s.LocName(h.loc), acquireLock: l.name}
		if path := d.path(l.class, hc); path != nil {
			d.reportCycle(t, e, path)
		}
		d.edges[key] = e
		d.adj[hc] = append(d.adj[hc], l.class)
	}
}

// path finds a chain of edges from class a to class b (BFS), or nil.
func (d *lockdep) path(a, b int) []int {
	prev := make([]int, len(d.classes))
	for i := range prev {
		prev[i] = -1
	}
	prev[a] = a
	queue := []int{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if x == b {
			var p []int
			for y := b; y != a; y = prev[y] {
				p = append(p, y)
			}
			p = append(p, a)
			for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
				p[i], p[j] = p[j], p[i]
			}
			return p
		}
		for _, y := range d.adj[x] {
			if prev[y] < 0 {
				prev[y] = x
				queue = append(queue, y)
			}
		}
	}
	return nil
}

func (d *lockdep) reportCycle(t *Task, e lockEdge, path []int) {
	var b strings.Builder
	b.WriteString("======================================================\n[ INFO: possible circular locking dependency detected ]\n-------------------------------------------------------\n")
	fmt.Fprintf(&b, "%s/%d is trying to acquire lock:\n (%s), at: %s\n", t.Name(), t.id, e.acquireLock, e.acquireLbl)
	fmt.Fprintf(&b, "but task is already holding lock:\n (%s), at: %s\n", e.heldLock, e.heldLabel)
	b.WriteString("which lock already depends on the new lock.\nthe existing dependency chain is:\n")
	objs := []string{e.heldLock, e.acquireLock}
	for i := 0; i+1 < len(path); i++ {
		x := d.edges[[2]int{path[i], path[i+1]}]
		fmt.Fprintf(&b, "-> (%s) then (%s): %s/%d at step %d, holding it from %s, taking it at %s [%s]\n",
			x.heldLock, x.acquireLock, x.task, x.pid, x.step, x.heldLabel, x.acquireLbl, strings.Join(x.stack, " > "))
	}
	fmt.Fprintf(&b, "-> (%s) then (%s): here, %s/%d at step %d [%s]\n", e.heldLock, e.acquireLock, t.Name(), t.id, e.step, strings.Join(e.stack, " > "))
	t.s.report(trace.VerdictLockOrder, "", b.String(), objs...)
}

// lockClassOf returns the lockdep class of a lock location, or -1.
func (s *Sim) lockClassOf(loc int32) int {
	l, ok := s.loc(loc)
	if !ok || !l.Kind.IsLock() {
		return -1
	}
	return s.lockdep.classID(l.Class)
}

// Holds reports whether t holds the lock at location loc (any mode), for
// domain checks such as "only the i_mutex holder stores i_private".
func (t *Task) Holds(loc int32) bool {
	for _, h := range t.held {
		if h.loc == loc {
			return true
		}
	}
	return false
}
