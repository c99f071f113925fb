package trace

import "fmt"

// Context is the execution context a simulated task runs in. Checks such as
// might_sleep look at it, and the Chrome export groups task tracks by it.
type Context uint8

const (
	// CtxProcess is a system call running for a user process (may sleep).
	CtxProcess Context = iota
	// CtxHardIRQ is a hard interrupt handler: atomic, interrupts disabled.
	CtxHardIRQ
	// CtxSoftIRQ is a softirq (e.g. block completion): atomic, interrupts on.
	CtxSoftIRQ
	// CtxWorker is a workqueue worker (kworker): process context, may sleep.
	CtxWorker
	contextCount
)

var contextNames = [contextCount]string{"process", "hardirq", "softirq", "kworker"}

func (c Context) String() string {
	if c < contextCount {
		return contextNames[c]
	}
	return fmt.Sprintf("Context(%d)", uint8(c))
}

// Atomic reports whether code in this context may not sleep (in_interrupt()).
func (c Context) Atomic() bool { return c == CtxHardIRQ || c == CtxSoftIRQ }

// Access is how a scheduling point touches its footprint location.
type Access uint8

const (
	// AccessNone: the point touches nothing shared (commutes with everything).
	AccessNone Access = iota
	// AccessRead: the point reads the location.
	AccessRead
	// AccessWrite: the point writes the location.
	AccessWrite
	// AccessAll: the point may touch anything (depends on every other point).
	AccessAll
	accessCount
)

var accessNames = [accessCount]string{"none", "read", "write", "all"}

func (a Access) String() string {
	if a < accessCount {
		return accessNames[a]
	}
	return fmt.Sprintf("Access(%d)", uint8(a))
}

// Footprint names the shared location a point touches and how. Loc is an
// index into Trace.Locs (or the simulator's location table); it is ignored
// for AccessNone and AccessAll.
type Footprint struct {
	Loc    int32
	Access Access
}

// Conflicts reports whether two points are dependent: they touch the same
// location and at least one writes it, or either may touch anything.
// Independent points commute, which is what partial-order reduction uses.
func (f Footprint) Conflicts(g Footprint) bool {
	if f.Access == AccessNone || g.Access == AccessNone {
		return false
	}
	if f.Access == AccessAll || g.Access == AccessAll {
		return true
	}
	return f.Loc == g.Loc && (f.Access == AccessWrite || g.Access == AccessWrite)
}

// LocKind says what a location is.
type LocKind uint8

const (
	LocVar        LocKind = iota // an int64 field of an object
	LocObj                       // an object (lifetime and refcount)
	LocMutex                     // struct mutex
	LocRWSem                     // struct rw_semaphore
	LocSpin                      // spinlock_t
	LocLockMap                   // a lockdep map without a real lock (e.g. jbd2_handle)
	LocWaitQueue                 // wait_queue_head_t
	LocWorkqueue                 // struct workqueue_struct
	LocWork                      // struct work_struct
	LocBlockQueue                // struct request_queue
	locKindCount
)

var locKindNames = [locKindCount]string{"var", "object", "mutex", "rwsem", "spinlock", "lockdep_map", "waitqueue", "workqueue", "work", "request_queue"}

func (k LocKind) String() string {
	if k < locKindCount {
		return locKindNames[k]
	}
	return fmt.Sprintf("LocKind(%d)", uint8(k))
}

// IsLock reports whether the location is a lock that can be held.
func (k LocKind) IsLock() bool { return k >= LocMutex && k <= LocLockMap }

// Loc describes one shared location. Vars belong to an object (Parent);
// everything else has Parent -1.
type Loc struct {
	Kind   LocKind
	Name   string // "i_mutex", "io_end#2", "flag"
	Class  string // objects: the kind ("io_end"); locks: the lockdep class
	Parent int32  // owning object for vars, else -1
	Init   int64  // vars: initial value; objects: initial refcount
	HasRef bool   // objects: refcounted
	Format VarFormat
}

// VarFormat says how a var's value is shown.
type VarFormat uint8

const (
	FmtDec  VarFormat = iota // decimal
	FmtHex                   // flags: 0x1
	FmtRef                   // a location id (a pointer to an object), -1 is NULL
	FmtBool                  // 0/1
)

// FullName is the display name: "io_end#2.flag" for a var, the name otherwise.
func (t *Trace) FullName(loc int32) string {
	if loc < 0 || int(loc) >= len(t.Locs) {
		return fmt.Sprintf("loc#%d", loc)
	}
	l := &t.Locs[loc]
	if l.Parent >= 0 && int(l.Parent) < len(t.Locs) {
		return t.Locs[l.Parent].Name + "." + l.Name
	}
	return l.Name
}

// FormatValue renders a var's value by its format.
func (t *Trace) FormatValue(loc int32, v int64) string {
	if loc < 0 || int(loc) >= len(t.Locs) {
		return fmt.Sprint(v)
	}
	switch t.Locs[loc].Format {
	case FmtHex:
		return fmt.Sprintf("%#x", v)
	case FmtRef:
		if v < 0 {
			return "NULL"
		}
		if v < int64(len(t.Locs)) {
			return "&" + t.Locs[v].Name
		}
	case FmtBool:
		if v != 0 {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// Kind is an event kind.
type Kind uint8

const (
	// EvStep: Task executes its pending point. Label, Stack, Loc/Arg = footprint (loc, access).
	EvStep Kind = iota
	// EvSpawn: Task is created. Arg = parent task (-1 at setup).
	EvSpawn
	// EvState: Task's state changes to New (TaskStatus); Loc = what it waits on.
	EvState
	// EvEnter: Task enters a model function; Stack = the new stack node (its Func).
	EvEnter
	// EvExit: Task leaves its innermost function; Stack = new stack node.
	EvExit
	// EvAcquire: Task now holds lock Loc; Arg = LockMode.
	EvAcquire
	// EvRelease: Task released lock Loc; Arg = LockMode.
	EvRelease
	// EvWait: Task starts waiting for Loc (lock, wait queue, queue); Arg = LockMode.
	EvWait
	// EvObjNew: object Loc is created with refcount New.
	EvObjNew
	// EvObjFree: object Loc is freed.
	EvObjFree
	// EvVar: var Loc changes Old -> New.
	EvVar
	// EvRef: object Loc's refcount changes Old -> New.
	EvRef
	// EvVerdict: an invariant was violated; Arg = index into Trace.Verdicts.
	EvVerdict
	// EvFlow: a causal link (submit_bio -> completion, queue_work -> work
	// start); Arg = flow id, New = 0 at the cause, 1 at the effect.
	EvFlow
	// EvExtent: the file whose extent-tree counter is var Loc now maps
	// logical blocks [lblk, lblk+n) as Arg (an ExtentState) from physical
	// block New (0 for a hole); Old packs lblk and n (ExtentRange). The
	// model records one after each change to a file's extent tree, so the
	// trace alone gives the extent map at every step (ExtentIndex).
	EvExtent
	kindCount
)

var kindNames = [kindCount]string{"step", "spawn", "state", "enter", "exit", "acquire", "release", "wait", "obj-new", "obj-free", "var", "ref", "verdict", "flow", "extent"}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// TaskStatus is a task's scheduling state.
type TaskStatus uint8

const (
	TaskRunnable TaskStatus = iota // at a point, may be chosen
	TaskBlocked                    // waiting for a lock, a wait queue or a queue slot
	TaskDone                       // returned (or killed by a BUG)
	taskStatusCount
)

var taskStatusNames = [taskStatusCount]string{"runnable", "blocked", "done"}

func (s TaskStatus) String() string {
	if s < taskStatusCount {
		return taskStatusNames[s]
	}
	return fmt.Sprintf("TaskStatus(%d)", uint8(s))
}

// LockMode distinguishes shared from exclusive holds.
type LockMode uint8

const (
	ModeExclusive LockMode = iota // mutex, down_write, spin_lock
	ModeShared                    // down_read
)

func (m LockMode) String() string {
	if m == ModeShared {
		return "read"
	}
	return "write"
}

// Event is one point or state change. It is a flat value without pointers
// so that recording is an append the garbage collector never scans; the
// step label is an index into Trace.Strings.
type Event struct {
	Step  int32
	Kind  Kind
	Task  int32
	Loc   int32
	Arg   int32
	Stack int32
	Label int32 // EvStep: index into Trace.Strings
	Old   int64
	New   int64
}

// Task describes one simulated task.
type Task struct {
	Name   string
	Ctx    Context
	Parent int32 // spawning task, -1 for tasks created at setup
}

// StackNode is a node of the call-stack tree: each task's stack is a node id,
// so events carry a stack without copying it. Node 0 is the empty stack.
type StackNode struct {
	Parent int32
	Func   string
}

// Trace is a recorded run: tables plus the event list, ordered by step.
type Trace struct {
	Tasks    []Task
	Locs     []Loc
	Stacks   []StackNode
	Events   []Event
	Strings  []string // step labels
	Verdicts []Verdict
	Steps    int // steps executed
}

// Str returns string i of the label table ("" when out of range).
func (t *Trace) Str(i int32) string {
	if i < 0 || int(i) >= len(t.Strings) {
		return ""
	}
	return t.Strings[i]
}

// Stack returns the function names of stack node id, outermost first.
func (t *Trace) Stack(id int32) []string {
	n := 0
	for i := id; i > 0 && int(i) < len(t.Stacks); i = t.Stacks[i].Parent {
		n++
	}
	out := make([]string, n)
	for i := id; i > 0 && int(i) < len(t.Stacks); i = t.Stacks[i].Parent {
		n--
		out[n] = t.Stacks[i].Func
	}
	return out
}
