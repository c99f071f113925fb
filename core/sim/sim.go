package sim

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"ext4play/core/trace"
)

// Aliases so that model code needs only this package.
type (
	Context     = trace.Context
	Footprint   = trace.Footprint
	Access      = trace.Access
	Verdict     = trace.Verdict
	VerdictKind = trace.VerdictKind
	VarFormat   = trace.VarFormat
)

// Execution contexts.
const (
	Process = trace.CtxProcess
	HardIRQ = trace.CtxHardIRQ
	SoftIRQ = trace.CtxSoftIRQ
	Worker  = trace.CtxWorker
)

// Footprint accesses.
const (
	None  = trace.AccessNone
	Read  = trace.AccessRead
	Write = trace.AccessWrite
	All   = trace.AccessAll
)

// Var formats.
const (
	Dec  = trace.FmtDec
	Hex  = trace.FmtHex
	Ref  = trace.FmtRef
	Bool = trace.FmtBool
)

// TaskID identifies a task within one run: tasks are numbered in spawn
// order from 0, so ids are the same in every run of the same schedule.
type TaskID = int32

// Program builds a scenario: it creates objects and locks and spawns the
// initial tasks. It is called once per run, so it must be deterministic.
type Program func(s *Sim)

// Defaults for Config's bounds.
const (
	DefaultStepsMax = 100_000
	DefaultTasksMax = 1024
	DefaultQueueMax = 4096
)

// Config is the setting of one run.
type Config struct {
	Strategy  Strategy // nil: Replay(nil), i.e. the non-preemptive default
	StepsMax  int      // steps before the run ends with OutcomeStepLimit; 0 = DefaultStepsMax
	TasksMax  int      // tasks alive at once; 0 = DefaultTasksMax
	QueueMax  int      // pending work items per workqueue, bios per queue; 0 = DefaultQueueMax
	Continue  bool     // collect every verdict instead of stopping at the first
	Record    bool     // record a trace (Result.Trace)
	NoLockdep bool     // skip lock-order (circular dependency) checking
	// NoSchedule keeps no record of the choices (Result.Schedule is nil):
	// a long run of a seeded strategy is reproduced by its seed, and its
	// choice list would take a byte per step.
	NoSchedule bool
	// Progress, when set, is called every ProgressEvery steps (default
	// 1<<20) with the step count: long native runs report how far they are.
	Progress      func(step int)
	ProgressEvery int
	// Pool, when set, lends the run its task coroutines and takes them
	// back at the end, so the next run on the same goroutine starts
	// without creating any; nil: a private pool, closed when the run ends.
	Pool *Pool

	noInline bool // tests: always switch back to the loop between steps
}

// Outcome is how a run ended.
type Outcome uint8

const (
	OutcomeOK            Outcome = iota // every task finished, no verdict
	OutcomeVerdict                      // at least one verdict
	OutcomeStepLimit                    // StepsMax reached with tasks left
	OutcomeScheduleError                // the strategy gave an impossible choice
	OutcomePruned                       // DFS cut the run (sleep-set blocked)
	outcomeCount
)

var outcomeNames = [outcomeCount]string{"ok", "verdict", "step-limit", "schedule-error", "pruned"}

func (o Outcome) String() string {
	if o < outcomeCount {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Result is what one run produced.
type Result struct {
	Outcome  Outcome
	Verdicts []Verdict
	Steps    int
	Schedule Schedule     // every choice made; Replay(Schedule) reruns it exactly
	Trace    *trace.Trace // nil unless Config.Record
	Err      error        // OutcomeScheduleError: what was wrong
}

// Summary renders the outcome, every verdict and the schedule that
// reproduces the run (sim.DecodeSchedule + Replay).
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "outcome %s after %d steps, %d verdicts\n", r.Outcome, r.Steps, len(r.Verdicts))
	if r.Err != nil {
		fmt.Fprintf(&b, "error: %v\n", r.Err)
	}
	for i := range r.Verdicts {
		b.WriteString(r.Verdicts[i].String())
	}
	fmt.Fprintf(&b, "replay: %s\n", r.Schedule.Encode())
	return b.String()
}

// Candidate is a runnable task as a Strategy sees it: its next point.
type Candidate struct {
	Task      TaskID
	Ctx       Context
	Label     string
	Footprint Footprint
}

// Choice is a scheduling decision with more than one runnable task.
type Choice struct {
	Step     int         // steps executed so far
	N        int         // how many choices were made before this one
	Current  TaskID      // the task that ran the previous step, -1 at the start
	Runnable []Candidate // in task-id order; reused, do not keep
	// CurrentIndex is Current's index in Runnable, -1 when it cannot run
	// (choosing another task then is no preemption).
	CurrentIndex int
}

// Strategy picks which runnable task runs next. A Strategy value drives one
// run; make a new one per run.
type Strategy interface {
	// Choose returns an index into c.Runnable. An index out of range ends
	// the run with OutcomeScheduleError.
	Choose(c *Choice) int
}

type abortSignal struct{} // unwinds a task's coroutine when the run ends
type killSignal struct{}  // unwinds a task after a BUG (the kernel oopses it)

// Sim is one run of a program. Model code gets it from Program and through
// Task.Sim; it is not safe for use from other goroutines.
type Sim struct {
	cfg      Config
	strat    Strategy
	dfs      *dfsRun
	pool     *Pool
	ownsPool bool // the pool is the run's own: close it in finish

	// tasks holds every task ever spawned, indexed by id, only when the
	// run keeps its history (Record or DFS); otherwise finished tasks are
	// dropped so that memory follows the live state (see keepAll).
	tasks  []*Task
	ntasks int32   // tasks spawned so far: the next id
	live   []*Task // in id order: not done, and finished ones until compactLive
	nlive  int     // tasks not done
	// nliveSeen is nlive at the last choice plus the tasks spawned since:
	// what Spawn checks TasksMax against.
	nliveSeen int
	prevT     *Task   // the task that ran the last step
	candT     []*Task // the task of each cands entry
	candCur   int     // index in cands of the task that ran last, -1 if none
	full      bool    // keep the history: tasks, every location, every object
	cur       *Task   // running task, nil between steps
	prev      TaskID  // task that ran the last step
	step      int

	// Locations are numbered densely in creation order in every mode. With
	// full, locs and objByLoc are indexed by id; without it only what live
	// checks and messages need is kept, in maps, and freed objects leave.
	locs        []trace.Loc
	objByLoc    []*Obj
	nlocs       int32
	locMap      map[int32]trace.Loc // !full: locations that are not vars or objects
	objMap      map[int32]*Obj      // !full: objects not yet freed
	objsFreed   int                 // freed objects still in objs
	stacks      []trace.StackNode
	stackKids   [][]int32 // per stack node: its children (few; found by a scan)
	kindCount   map[string]int
	allocLabels map[allocKey]string

	rec      *trace.Trace
	strIndex map[string]int32 // label -> index in rec.Strings
	lastStr  string
	lastID   int32
	flowSeq  int32
	verdicts []Verdict
	stopping bool
	ended    bool
	outcome  Outcome
	err      error
	sleepDup map[string]bool

	inCheck    bool // per-step checks run: verdicts name the step just taken
	checkLabel string
	checkStack int32

	stepOpen  bool   // a step has begun and its checks have not run
	stepLabel string // the open step's label and stack
	stepStack int32
	next      *Task // chosen inside a coroutine, to be resumed by loop
	over      bool  // pick found nothing more to run

	sched  schedRec
	cands  []Candidate
	choice Choice

	lockdep lockdep

	objs      []*Obj
	wqs       []*Workqueue
	queues    []*BlockQueue
	checks    []check
	endChecks []check
}

type check struct {
	name string
	fn   func() string
}

// Run executes prog once under cfg and returns the result. It never panics
// because of the model: panics in model code become VerdictPanic.
func Run(prog Program, cfg Config) *Result {
	s := newSim(cfg)
	return s.run(prog)
}

func newSim(cfg Config) *Sim {
	if cfg.StepsMax <= 0 {
		cfg.StepsMax = DefaultStepsMax
	}
	if cfg.TasksMax <= 0 {
		cfg.TasksMax = DefaultTasksMax
	}
	if cfg.TasksMax > ScheduleValueMax {
		cfg.TasksMax = ScheduleValueMax // every choice must stay encodable
	}
	if cfg.QueueMax <= 0 {
		cfg.QueueMax = DefaultQueueMax
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 1 << 20
	}
	s := &Sim{
		cfg:       cfg,
		strat:     cfg.Strategy,
		prev:      -1,
		stacks:    []trace.StackNode{{Parent: -1}},
		stackKids: [][]int32{nil},
		kindCount: map[string]int{},
		cands:     make([]Candidate, 0, 16),
	}
	if s.strat == nil {
		s.strat = Replay(nil)
	}
	s.pool = cfg.Pool
	if s.pool == nil {
		s.pool, s.ownsPool = NewPool(), true
	}
	if cfg.Record {
		s.rec = &trace.Trace{Events: make([]trace.Event, 0, 1024)}
	}
	return s
}

func (s *Sim) run(prog Program) (res *Result) {
	s.full = s.rec != nil || s.dfs != nil
	if !s.full {
		s.locMap = map[int32]trace.Loc{}
		s.objMap = map[int32]*Obj{}
	}
	s.setup(prog)
	s.loop()
	return s.finish()
}

// setup runs the program; a panic there is a model bug and a verdict.
func (s *Sim) setup(prog Program) {
	defer func() {
		if r := recover(); r != nil {
			s.report(trace.VerdictPanic, "", fmt.Sprintf("panic in program setup: %v\n%s", r, debug.Stack()))
		}
	}()
	prog(s)
}

// loop runs steps until the run is over. The choice of the next task is
// made where a step ends: inside the task's coroutine when it reaches its
// next point (so a task that keeps running needs no coroutine switch at
// all), or here when a task finished.
func (s *Sim) loop() {
	t := s.pick()
	for t != nil {
		s.next = nil
		s.resume(t)
		if s.next == nil && s.stepOpen {
			// t finished (or died) inside its step. When t chose the next
			// task itself, the open step is already that task's.
			s.endStep(t)
		}
		if t.status == trace.TaskDone && t.co != nil {
			s.pool.putCoro(t) // the coroutine serves the next task
		}
		switch {
		case s.next != nil:
			t = s.next
		case s.over:
			t = nil
		default:
			t = s.pick()
		}
	}
}

// pick chooses the task for the next step and begins the step, or returns
// nil (and marks the run over) when nothing can or may run.
func (s *Sim) pick() *Task {
	if s.stopping {
		s.over = true
		return nil
	}
	s.collect()
	if s.nlive == 0 {
		s.over = true
		return nil
	}
	if len(s.cands) == 0 {
		s.over = true
		s.compactLive()
		s.deadlock()
		return nil
	}
	if s.step >= s.cfg.StepsMax {
		s.over = true
		s.outcome = OutcomeStepLimit
		return nil
	}
	idx := 0
	if s.dfs != nil {
		idx = s.dfs.decide(s)
		if idx < 0 {
			s.over = true
			s.outcome = OutcomePruned
			return nil
		}
	} else if len(s.cands) > 1 {
		s.choice.Step = s.step
		s.choice.N = s.sched.n
		s.choice.Current = s.prev
		s.choice.Runnable = s.cands
		s.choice.CurrentIndex = s.candCur
		idx = s.strat.Choose(&s.choice)
	}
	if len(s.cands) > 1 {
		if idx < 0 || idx >= len(s.cands) {
			s.over = true
			s.outcome = OutcomeScheduleError
			if s.err == nil {
				s.err = fmt.Errorf("sim: schedule choice #%d is %d but only %d tasks are runnable at step %d", s.sched.n, idx, len(s.cands), s.step)
			}
			return nil
		}
		if s.cfg.NoSchedule {
			s.sched.n++
		} else {
			s.sched.add(idx)
		}
	}
	t := s.candT[idx]
	if s.dfs != nil {
		s.dfs.executed(s, t)
	}
	s.step++
	if s.cfg.Progress != nil && s.step%s.cfg.ProgressEvery == 0 {
		s.cfg.Progress(s.step)
	}
	s.prev, s.prevT = t.id, t
	t.started = true
	s.stepOpen = true
	s.stepLabel, s.stepStack = t.label, t.stack
	if s.rec != nil {
		s.rec.Events = append(s.rec.Events, trace.Event{
			Step: int32(s.step), Kind: trace.EvStep, Task: t.id,
			Loc: t.fp.Loc, Arg: int32(t.fp.Access), Stack: t.stack, Label: s.intern(t.label),
		})
	}
	return t
}

// endStep closes the current step of t: per-step domain checks, with
// violations attributed to the step's label and stack.
func (s *Sim) endStep(t *Task) {
	s.stepOpen = false
	if len(s.checks) == 0 {
		return
	}
	cur := s.cur
	s.cur = t
	s.inCheck, s.checkLabel, s.checkStack = true, s.stepLabel, s.stepStack
	for i := range s.checks {
		if msg := s.checks[i].fn(); msg != "" {
			s.reportCheck(s.checks[i].name, msg)
		}
	}
	s.cur, s.inCheck = cur, false
}

// collect readies the runnable candidates for a choice. The candidate
// list is kept in task-id order as tasks become runnable, block and finish
// (runqInsert, runqRemove); of the entries only the task that ran the
// last step can have moved to another point since, so only its label and
// footprint are refreshed here — a step costs no walk over every task.
func (s *Sim) collect() {
	s.nliveSeen = s.nlive
	if n := len(s.live); n-s.nlive > 64 && 2*(n-s.nlive) > n {
		s.compactLive() // finished tasks leave the list in batches
	}
	s.candCur = -1
	if p := s.prevT; p != nil && p.status == trace.TaskRunnable {
		if i := s.runqIndex(p.id); i >= 0 {
			s.cands[i].Label, s.cands[i].Footprint = p.label, p.fp
			s.candCur = i
		}
	}
}

// compactLive drops finished tasks from the live list, keeping the order.
func (s *Sim) compactLive() {
	live := s.live[:0]
	for _, t := range s.live {
		if t.status != trace.TaskDone {
			live = append(live, t)
		}
	}
	clear(s.live[len(live):])
	s.live = live
}

// runqIndex is the index of task id among the candidates, or -1.
func (s *Sim) runqIndex(id TaskID) int {
	lo, hi := 0, len(s.candT)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.candT[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(s.candT) && s.candT[lo].id == id {
		return lo
	}
	return -1
}

// runqInsert adds a task that became runnable, in id order.
func (s *Sim) runqInsert(t *Task) {
	i := len(s.candT)
	for i > 0 && s.candT[i-1].id > t.id {
		i--
	}
	if i > 0 && s.candT[i-1] == t {
		return
	}
	s.candT = slices.Insert(s.candT, i, t)
	s.cands = slices.Insert(s.cands, i, Candidate{Task: t.id, Ctx: t.ctx, Label: t.label, Footprint: t.fp})
}

// runqRemove takes a task that blocked or finished off the candidates.
func (s *Sim) runqRemove(t *Task) {
	if i := s.runqIndex(t.id); i >= 0 {
		s.candT = slices.Delete(s.candT, i, i+1)
		s.cands = slices.Delete(s.cands, i, i+1)
	}
}

func (s *Sim) resume(t *Task) {
	prev := s.cur
	s.cur = t
	t.co.next()
	s.cur = prev
}

func (s *Sim) finish() *Result {
	if !s.stopping && s.outcome == OutcomeOK && s.nlive == 0 {
		s.endOfRun()
	}
	s.ended = true
	rec := s.rec
	s.rec = nil
	running := s.tasks
	if !s.full {
		running = s.live // finished tasks were stopped in loop or Spawn
	}
	for _, t := range running {
		if t.co == nil {
			continue
		}
		if t.status != trace.TaskDone {
			// Unwind the task's stack (abortSignal from park); its
			// coroutine then parks, free for the pool.
			t.aborting = true
			s.resume(t)
		}
		s.pool.putCoro(t)
	}
	if s.ownsPool {
		s.pool.Close()
	}
	if s.outcome == OutcomeOK && len(s.verdicts) > 0 {
		s.outcome = OutcomeVerdict
	}
	res := &Result{Outcome: s.outcome, Verdicts: s.verdicts, Steps: s.step, Err: s.err}
	if !s.cfg.NoSchedule {
		res.Schedule = s.sched.schedule()
	}
	if rec != nil {
		rec.Tasks = make([]trace.Task, len(s.tasks))
		for i, t := range s.tasks {
			rec.Tasks[i] = trace.Task{Name: t.Name(), Ctx: t.ctx, Parent: t.parent}
		}
		rec.Locs = s.locs
		rec.Stacks = s.stacks
		rec.Verdicts = s.verdicts
		s.strIndex = nil
		rec.Steps = s.step
		res.Trace = rec
	}
	return res
}

// endOfRun checks what must hold when every task has finished.
func (s *Sim) endOfRun() {
	for _, o := range s.objs {
		if o.mustFree && !o.freed {
			s.report(trace.VerdictPendingAtEnd, "", fmt.Sprintf("%s still allocated at the end of the run (refcount %d)", o.name, o.ref), o.name)
		}
	}
	for _, wq := range s.wqs {
		if len(wq.queue) > 0 {
			s.report(trace.VerdictPendingAtEnd, "", fmt.Sprintf("workqueue %s: %d work items still pending", wq.name, len(wq.queue)), wq.name)
		}
	}
	for _, q := range s.queues {
		if q.inflight > 0 {
			s.report(trace.VerdictPendingAtEnd, "", fmt.Sprintf("%s: %d bios still in flight", q.name, q.inflight), q.name)
		}
	}
	for i := range s.endChecks {
		if msg := s.endChecks[i].fn(); msg != "" {
			s.reportCheck(s.endChecks[i].name, msg)
		}
	}
}

// Step returns the number of steps executed so far.
func (s *Sim) Step() int { return s.step }

// Current returns the running task, or nil during setup and checks.
func (s *Sim) Current() *Task { return s.cur }

// AddCheck registers a domain invariant evaluated after every step. fn
// returns "" when the invariant holds, else the violation's message.
func (s *Sim) AddCheck(name string, fn func() string) {
	s.checks = append(s.checks, check{name, fn})
}

// AddEndCheck registers a domain invariant evaluated when all tasks finished.
func (s *Sim) AddEndCheck(name string, fn func() string) {
	s.endChecks = append(s.endChecks, check{name, fn})
}

// newLoc registers a shared location and returns its id.
func (s *Sim) newLoc(l trace.Loc) int32 {
	id := s.nlocs
	s.nlocs++
	if s.full {
		s.locs = append(s.locs, l)
		s.objByLoc = append(s.objByLoc, nil)
	} else if l.Kind.IsLock() {
		// Only locks are named through LocName (held locks, lockdep
		// classes); wait queues name themselves in Task.waitName, and
		// objects and vars in their own messages.
		s.locMap[id] = l
	}
	return id
}

// loc returns location id's description; false when it is not kept.
func (s *Sim) loc(id int32) (trace.Loc, bool) {
	if s.full {
		if id < 0 || int(id) >= len(s.locs) {
			return trace.Loc{}, false
		}
		return s.locs[id], true
	}
	l, ok := s.locMap[id]
	return l, ok
}

// LocName is the display name of a location ("io_end#2.flag").
func (s *Sim) LocName(loc int32) string {
	l, ok := s.loc(loc)
	if !ok {
		return fmt.Sprintf("loc#%d", loc)
	}
	if l.Parent >= 0 {
		if p, ok := s.loc(l.Parent); ok {
			return p.Name + "." + l.Name
		}
	}
	return l.Name
}

func (s *Sim) emit(e trace.Event) {
	if s.rec != nil {
		e.Step = int32(s.step)
		s.rec.Events = append(s.rec.Events, e)
	}
}

// flowStart records the cause end of a causal arrow and returns its id.
func (s *Sim) flowStart() int32 {
	s.flowSeq++
	if s.rec != nil && s.cur != nil {
		s.emit(trace.Event{Kind: trace.EvFlow, Task: s.cur.id, Loc: -1, Arg: s.flowSeq, New: 0})
	}
	return s.flowSeq
}

// flowEnd records the effect end of arrow id in the running task's step.
func (s *Sim) flowEnd(id int32) {
	if s.rec != nil && s.cur != nil && id > 0 {
		s.emit(trace.Event{Kind: trace.EvFlow, Task: s.cur.id, Loc: -1, Arg: id, New: 1})
	}
}

// intern returns the index of label in the trace's string table.
func (s *Sim) intern(label string) int32 {
	if label == s.lastStr && s.strIndex != nil {
		return s.lastID
	}
	if s.strIndex == nil {
		s.strIndex = map[string]int32{}
	}
	id, ok := s.strIndex[label]
	if !ok {
		id = int32(len(s.rec.Strings))
		s.rec.Strings = append(s.rec.Strings, label)
		s.strIndex[label] = id
	}
	s.lastStr, s.lastID = label, id
	return id
}

// stackOf returns the function names of a stack node, outermost first.
func (s *Sim) stackOf(id int32) []string {
	return (&trace.Trace{Stacks: s.stacks}).Stack(id)
}

// report records a verdict attributed to the running task (if any).
func (s *Sim) report(kind VerdictKind, check, msg string, objs ...string) {
	if s.ended || (s.stopping && !s.cfg.Continue) {
		return
	}
	v := Verdict{Kind: kind, Check: check, Step: s.step, Task: -1, Message: msg, Objects: objs}
	if t := s.cur; t != nil {
		v.Task, v.TaskName, v.Ctx, v.Label = t.id, t.Name(), t.ctx, t.label
		v.Stack = s.stackOf(t.stack)
		if s.inCheck {
			v.Label, v.Stack = s.checkLabel, s.stackOf(s.checkStack)
		}
	}
	s.verdicts = append(s.verdicts, v)
	s.emit(trace.Event{Kind: trace.EvVerdict, Task: v.Task, Loc: -1, Arg: int32(len(s.verdicts) - 1)})
	if !s.cfg.Continue {
		s.stopping = true
	}
}

func (s *Sim) reportCheck(name, msg string) {
	s.report(trace.VerdictDomain, name, msg)
}

// Task is a simulated kernel task: straight-line Go run as a coroutine that
// yields to the scheduler at points.
type Task struct {
	s      *Sim
	id     TaskID
	parent TaskID
	name   string
	nameFn func() string // builds name on first use (SpawnNamed)
	ctx    Context
	status trace.TaskStatus
	fn     func(t *Task)

	co *coro // the coroutine running fn; nil once the task is done

	label    string // the pending (or current) point
	fp       Footprint
	waitLoc  int32
	waitName string // set while sleeping on a wait queue (its loc is not kept without full)

	preempt int32 // preempt_count from spinlocks
	irqOff  int32 // local_irq_save nesting
	held    []held
	stack   int32

	aborting bool
	started  bool // has run a scheduled step (its prologue is over)
}

// held is one lock the task holds, for unlock checks, lockdep and reports.
type held struct {
	loc   int32
	mode  trace.LockMode
	label string
	step  int
}

// Spawn creates a task at setup time or from model code (then the running
// task is the parent). The task's code runs at once up to its first point;
// that prologue must touch nothing shared.
func (s *Sim) Spawn(name string, ctx Context, fn func(t *Task)) *Task {
	return s.spawn(name, nil, ctx, fn)
}

// SpawnNamed is Spawn with the name built by nameFn only when something
// shows it (a message, a verdict, the trace), not for every task.
func (s *Sim) SpawnNamed(nameFn func() string, ctx Context, fn func(t *Task)) *Task {
	return s.spawn("", nameFn, ctx, fn)
}

func (s *Sim) spawn(name string, nameFn func() string, ctx Context, fn func(t *Task)) *Task {
	parent := TaskID(-1)
	if s.cur != nil {
		parent = s.cur.id
	}
	if s.nliveSeen >= s.cfg.TasksMax {
		if nameFn != nil {
			name = nameFn()
		}
		s.report(trace.VerdictLimit, "", fmt.Sprintf("limit of %d live tasks reached spawning %s", s.cfg.TasksMax, name))
		s.stopping = true
		return nil
	}
	t := &Task{s: s, id: s.ntasks, parent: parent, name: name, nameFn: nameFn, ctx: ctx, fn: fn, waitLoc: -1, label: "start", fp: Footprint{Loc: -1}}
	s.ntasks++
	if s.full {
		s.tasks = append(s.tasks, t)
	}
	s.live = append(s.live, t)
	s.nlive++
	s.nliveSeen++
	if s.dfs != nil {
		s.dfs.spawned(t)
	}
	s.emit(trace.Event{Kind: trace.EvSpawn, Task: t.id, Loc: -1, Arg: parent})
	s.pool.getCoro(t)
	s.resume(t)
	if t.status == trace.TaskRunnable {
		s.runqInsert(t) // at its first point, with its label
	}
	if t.status == trace.TaskDone {
		s.pool.putCoro(t) // finished in its prologue
	}
	return t
}

func (t *Task) runFn() {
	defer t.exit()
	t.fn(t)
	t.returned()
}

func (t *Task) exit() {
	r := recover()
	s := t.s
	if t.status != trace.TaskDone {
		s.nlive--
		s.runqRemove(t)
	}
	t.status = trace.TaskDone
	switch r.(type) {
	case nil, killSignal:
	case abortSignal:
		return
	default:
		if !s.ended {
			s.report(trace.VerdictPanic, "", fmt.Sprintf("panic in model code: %v\n%s", r, debug.Stack()))
		}
	}
	if !s.ended {
		s.emit(trace.Event{Kind: trace.EvState, Task: t.id, Loc: -1, New: int64(trace.TaskDone)})
	}
}

// returned checks what must hold when the task's function returns: the
// kernel's "lock held when returning to user space" and friends.
func (t *Task) returned() {
	if len(t.held) == 0 && t.preempt == 0 && t.irqOff == 0 {
		return
	}
	t.leakCheck(t.Name())
}

func (t *Task) leakCheck(fn string) {
	s := t.s
	var objs []string
	for _, h := range t.held {
		objs = append(objs, s.LocName(h.loc))
	}
	var msg string
	switch t.ctx {
	case Process:
		msg = "================================================\n[ BUG: lock held when returning to user space! ]\n------------------------------------------------\n"
		msg += fmt.Sprintf("%s/%d is leaving the kernel with locks still held!\n", t.Name(), t.id)
	case Worker:
		msg = fmt.Sprintf("BUG: workqueue leaked lock or atomic: %s/0x%08x/%d\n    last function: %s\n", t.Name(), t.preempt, t.id, fn)
	default:
		msg = fmt.Sprintf("BUG: %s handler %s returned with locks held or irqs disabled\n", t.ctx, fn)
	}
	msg += fmt.Sprintf("%d lock(s) held by %s/%d, preempt_count %d, irqs_disabled %d:\n", len(t.held), t.Name(), t.id, t.preempt, t.irqOff)
	for i, h := range t.held {
		msg += fmt.Sprintf(" #%d:  (%s){%s}, at: %s (step %d)\n", i, s.LocName(h.loc), h.mode, h.label, h.step)
	}
	s.report(trace.VerdictLockHeldAtReturn, "", msg, objs...)
}

// ID is the task's pid in the run.
func (t *Task) ID() TaskID { return t.id }

// Name is the task's name ("fio-0", "kworker/u8:1", "irq/sda").
func (t *Task) Name() string {
	if t.nameFn != nil {
		t.name, t.nameFn = t.nameFn(), nil
	}
	return t.name
}

// Context is the task's execution context.
func (t *Task) Context() Context { return t.ctx }

// Sim returns the run the task belongs to.
func (t *Task) Sim() *Sim { return t.s }

// Spawn creates a child task (see Sim.Spawn).
func (t *Task) Spawn(name string, ctx Context, fn func(t *Task)) *Task {
	return t.s.Spawn(name, ctx, fn)
}

// Point is a scheduling point: the task stops here until the scheduler
// picks it, and the code up to its next point is one atomic step labelled
// label that touches fp. Put one wherever the kernel could be preempted or
// touch state another context can see.
func (t *Task) Point(label string, fp Footprint) {
	t.label = label
	t.fp = fp
	t.park()
}

// park yields to the scheduler and returns when the task is picked again.
func (t *Task) park() {
	if t.aborting {
		panic(abortSignal{})
	}
	s := t.s
	if s.cur != t {
		panic(fmt.Sprintf("sim: task %s used outside its own coroutine", t.Name()))
	}
	if t.started && s.stepOpen {
		// The step ends here: choose the next one without leaving the
		// coroutine, and keep running if it is ours.
		s.endStep(t)
		if !s.cfg.noInline {
			next := s.pick()
			if next == t {
				return
			}
			s.next = next
		}
	}
	if !t.co.yield(struct{}{}) || t.aborting {
		t.aborting = true
		panic(abortSignal{})
	}
}

// block parks the task until another task wakes it. wakeLabel and fp
// describe the step the task takes once woken (e.g. "acquired i_mutex").
func (t *Task) block(loc int32, mode trace.LockMode, wakeLabel string, fp Footprint) {
	t.status = trace.TaskBlocked
	t.s.runqRemove(t)
	t.waitLoc = loc
	t.label = wakeLabel
	t.fp = fp
	s := t.s
	if s.rec != nil {
		s.emit(trace.Event{Kind: trace.EvWait, Task: t.id, Loc: loc, Arg: int32(mode)})
		s.emit(trace.Event{Kind: trace.EvState, Task: t.id, Loc: loc, New: int64(trace.TaskBlocked)})
	}
	t.park()
}

// wake makes a blocked task runnable again.
func (s *Sim) wake(t *Task) {
	if t.status != trace.TaskBlocked {
		return
	}
	t.status = trace.TaskRunnable
	s.runqInsert(t)
	t.waitLoc = -1
	t.waitName = ""
	if s.rec != nil {
		s.emit(trace.Event{Kind: trace.EvState, Task: t.id, Loc: -1, New: int64(trace.TaskRunnable)})
	}
}

// Enter pushes model function fn (a kernel function name) on the task's
// call stack; pair it with Exit: t.Enter("ext4_map_blocks"); defer t.Exit().
func (t *Task) Enter(fn string) {
	s := t.s
	id := int32(-1)
	for _, k := range s.stackKids[t.stack] {
		if s.stacks[k].Func == fn {
			id = k
			break
		}
	}
	if id < 0 {
		id = int32(len(s.stacks))
		s.stacks = append(s.stacks, trace.StackNode{Parent: t.stack, Func: fn})
		s.stackKids = append(s.stackKids, nil)
		s.stackKids[t.stack] = append(s.stackKids[t.stack], id)
	}
	t.stack = id
	if s.rec != nil {
		s.emit(trace.Event{Kind: trace.EvEnter, Task: t.id, Loc: -1, Stack: id})
	}
}

// Exit pops the innermost model function.
func (t *Task) Exit() {
	s := t.s
	if t.stack == 0 {
		if !t.aborting {
			panic("sim: Exit without Enter in task " + t.Name())
		}
		return
	}
	t.stack = s.stacks[t.stack].Parent
	if s.rec != nil {
		s.emit(trace.Event{Kind: trace.EvExit, Task: t.id, Loc: -1, Stack: t.stack})
	}
}

// Stack returns the task's model call stack, outermost first.
func (t *Task) Stack() []string { return t.s.stackOf(t.stack) }

// InAtomic is the kernel's in_atomic(): interrupt context or preemption
// disabled by a spinlock.
func (t *Task) InAtomic() bool { return t.ctx.Atomic() || t.preempt > 0 }

// IRQsDisabled is irqs_disabled(): in a hard interrupt handler or under
// local_irq_save / spin_lock_irqsave.
func (t *Task) IRQsDisabled() bool { return t.ctx == HardIRQ || t.irqOff > 0 }

// LocalIRQSave disables interrupts (local_irq_save); nests.
func (t *Task) LocalIRQSave() { t.irqOff++ }

// LocalIRQRestore undoes one LocalIRQSave (local_irq_restore).
func (t *Task) LocalIRQRestore() {
	if t.irqOff > 0 {
		t.irqOff--
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MightSleep is might_sleep(): where is the kernel location of the sleeping
// call ("fs/jbd2/transaction.c: jbd2__journal_start"). In interrupt or
// atomic context it is __might_sleep's BUG; the task continues, as in the
// kernel. Each location is reported once per run. objs name the objects
// involved (e.g. the io_end being converted) for the verdict.
func (t *Task) MightSleep(where string, objs ...string) {
	if !t.InAtomic() && !t.IRQsDisabled() {
		return
	}
	s := t.s
	if s.sleepDup == nil {
		s.sleepDup = map[string]bool{}
	}
	if s.sleepDup[where] {
		return
	}
	s.sleepDup[where] = true
	msg := fmt.Sprintf("BUG: sleeping function called from invalid context at %s\nin_atomic(): %d, irqs_disabled(): %d, pid: %d, name: %s",
		where, b2i(t.InAtomic()), b2i(t.IRQsDisabled()), t.id, t.Name())
	s.report(trace.VerdictSleepInAtomic, "", msg, objs...)
}

// BUG is BUG_ON firing at where ("fs/buffer.c:1272"): the kernel oopses and
// the task dies here (its locks stay held).
func (t *Task) BUG(where string, objs ...string) {
	t.s.report(trace.VerdictBUG, "", fmt.Sprintf("kernel BUG at %s!\ninvalid opcode: 0000 [#1] SMP\nCPU: 0 PID: %d Comm: %s (%s context)", where, t.id, t.Name(), t.ctx), objs...)
	panic(killSignal{})
}

// CheckIRQsOn is check_irqs_on() in fs/buffer.c (called by the buffer-head
// LRU lookups): BUG when interrupts are disabled.
func (t *Task) CheckIRQsOn(objs ...string) {
	if t.IRQsDisabled() {
		t.BUG("fs/buffer.c:1272", objs...)
	}
}

// WARN is WARN_ON(cond) at where: a verdict, the task continues.
func (t *Task) WARN(cond bool, where, msg string, objs ...string) {
	if !cond {
		return
	}
	t.s.report(trace.VerdictWarn, "", fmt.Sprintf("WARNING: CPU: 0 PID: %d at %s\n%s", t.id, where, msg), objs...)
}

// Fail reports a violated domain invariant named check (e.g.
// "unconverted-unwritten") from inside a step.
func (t *Task) Fail(check, msg string, objs ...string) {
	t.s.report(trace.VerdictDomain, check, msg, objs...)
}

// schedRec records the choices of a run compactly, a byte each while every
// index is below 255 (a long native run makes one choice per step), in
// chunks so that growing never copies; Result gets the Schedule at the end.
type schedRec struct {
	n      int
	chunks [][]byte // byte mode: full chunks then the current one
	wide   []uint32 // after an index >= 255: every choice so far
}

const schedChunk = 1 << 16

func (r *schedRec) add(idx int) {
	r.n++
	if r.wide == nil && idx < 0xff {
		if k := len(r.chunks); k == 0 || len(r.chunks[k-1]) == schedChunk {
			r.chunks = append(r.chunks, make([]byte, 0, min(schedChunk, max(64, r.n*2))))
		}
		c := &r.chunks[len(r.chunks)-1]
		if len(*c) == cap(*c) {
			*c = append(make([]byte, 0, min(schedChunk, 2*cap(*c))), *c...)
		}
		*c = append(*c, byte(idx))
		return
	}
	if r.wide == nil {
		r.wide = r.schedule()
		r.chunks = nil
	}
	r.wide = append(r.wide, uint32(idx))
}

func (r *schedRec) schedule() Schedule {
	if r.wide != nil {
		return r.wide
	}
	var sc Schedule
	if r.n > 0 {
		sc = make(Schedule, 0, r.n)
	}
	for _, c := range r.chunks {
		for _, b := range c {
			sc = append(sc, uint32(b))
		}
	}
	return sc
}
