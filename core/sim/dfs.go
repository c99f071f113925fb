package sim

import (
	"fmt"

	"ext4play/core/trace"
)

// Reduction selects how DFS avoids re-running equivalent interleavings.
type Reduction uint8

const (
	// ReductionNone explores every interleaving (within the preemption bound).
	ReductionNone Reduction = iota
	// ReductionDPOR is dynamic partial-order reduction (Flanagan and
	// Godefroid, POPL 2005) with sleep sets, driven by the points'
	// footprints: interleavings that only reorder independent points are
	// run once.
	ReductionDPOR
)

func (r Reduction) String() string {
	if r == ReductionDPOR {
		return "dpor"
	}
	return "none"
}

// DefaultRunsMax bounds a DFS when DFSConfig.RunsMax is 0.
const DefaultRunsMax = 100_000

// DFSConfig sets up a systematic search.
type DFSConfig struct {
	Config // per-run settings; Strategy is ignored
	// PreemptionBound is the most preemptions (switching away from a task
	// that could have continued) per run, CHESS-style; < 0 is unbounded.
	// With DPOR a bound can hide some bounded interleavings.
	PreemptionBound int
	Reduction       Reduction
	RunsMax         int  // 0 = DefaultRunsMax
	StopAtFirst     bool // stop at the first run with a verdict (or step limit)
}

// DFSResult summarises a search.
type DFSResult struct {
	Runs      int     // complete runs executed (every run is counted, failing or not)
	Pruned    int     // runs cut early because every runnable task was in the sleep set
	Failures  int     // runs that ended in a verdict, step limit or schedule error
	Exhausted bool    // the whole (bounded) space was covered
	First     *Result // the first failing run, or nil
}

type dfsNode struct {
	enabled   []Candidate
	chosen    TaskID
	backtrack []TaskID
	done      []TaskID
	sleep     []TaskID
	prev      TaskID
	preempts  int
}

type dfsStep struct {
	task  TaskID
	fp    Footprint
	clock []int32
}

// dfsRun is the search state kept across runs: the stack of nodes of the
// current interleaving, re-executed from the start for every new branch.
type dfsRun struct {
	cfg        DFSConfig
	nodes      []dfsNode
	replayLen  int
	steps      []dfsStep
	clocks     [][]int32
	childSleep []TaskID
	preempts   int
}

// DFS runs prog under every interleaving (up to the preemption bound and
// RunsMax), stopping early on a failure if StopAtFirst.
func DFS(prog Program, cfg DFSConfig) *DFSResult {
	if cfg.RunsMax <= 0 {
		cfg.RunsMax = DefaultRunsMax
	}
	d := &dfsRun{cfg: cfg}
	res := &DFSResult{}
	if cfg.Pool == nil {
		// Every run of the search on this goroutine shares coroutines.
		cfg.Pool = NewPool()
		defer cfg.Pool.Close()
	}
	for res.Runs+res.Pruned < cfg.RunsMax {
		d.steps = d.steps[:0]
		d.clocks = d.clocks[:0]
		d.childSleep = nil
		d.preempts = 0
		rc := cfg.Config
		rc.Strategy = nil
		s := newSim(rc)
		s.dfs = d
		r := s.run(prog)
		if r.Outcome == OutcomePruned {
			res.Pruned++
		} else {
			res.Runs++
			if r.Outcome != OutcomeOK {
				res.Failures++
				if res.First == nil {
					res.First = r
				}
				if cfg.StopAtFirst {
					return res
				}
			}
		}
		if r.Outcome == OutcomeScheduleError {
			return res // the program is not deterministic; searching on is meaningless
		}
		if !d.backtrack() {
			res.Exhausted = true
			return res
		}
	}
	return res
}

func containsTask(xs []TaskID, t TaskID) bool {
	for _, x := range xs {
		if x == t {
			return true
		}
	}
	return false
}

func (n *dfsNode) isPreemption(p TaskID) bool {
	if n.prev < 0 || p == n.prev {
		return false
	}
	for _, c := range n.enabled {
		if c.Task == n.prev {
			return true
		}
	}
	return false
}

func (d *dfsRun) allowed(n *dfsNode, p TaskID) bool {
	if d.cfg.PreemptionBound < 0 {
		return true
	}
	extra := 0
	if n.isPreemption(p) {
		extra = 1
	}
	return n.preempts+extra <= d.cfg.PreemptionBound
}

func (n *dfsNode) fpOf(p TaskID) (Footprint, bool) {
	for _, c := range n.enabled {
		if c.Task == p {
			return c.Footprint, true
		}
	}
	return Footprint{}, false
}

// decide is called before every step; it returns the index of the task to
// run in s.cands, or -1 when the run is sleep-set blocked.
func (d *dfsRun) decide(s *Sim) int {
	k := s.step
	if k < d.replayLen {
		n := &d.nodes[k]
		for i, c := range s.cands {
			if c.Task == n.chosen {
				return i
			}
		}
		s.err = fmt.Errorf("sim: dfs: task %d not runnable when replaying step %d: the program is not deterministic", n.chosen, k)
		return len(s.cands) + 1
	}
	n := dfsNode{
		enabled:  append([]Candidate(nil), s.cands...),
		prev:     s.prev,
		preempts: d.preempts,
	}
	for _, q := range d.childSleep {
		if _, ok := n.fpOf(q); ok {
			n.sleep = append(n.sleep, q)
		}
	}
	n.chosen = -1
	for _, c := range n.enabled {
		if c.Task == n.prev && !containsTask(n.sleep, c.Task) {
			n.chosen = c.Task
		}
	}
	if n.chosen < 0 {
		for _, c := range n.enabled {
			if !containsTask(n.sleep, c.Task) && d.allowed(&n, c.Task) {
				n.chosen = c.Task
				break
			}
		}
	}
	if n.chosen < 0 {
		return -1
	}
	n.done = []TaskID{n.chosen}
	if d.cfg.Reduction == ReductionNone {
		for _, c := range n.enabled {
			if d.allowed(&n, c.Task) {
				n.backtrack = append(n.backtrack, c.Task)
			}
		}
	} else {
		n.backtrack = []TaskID{n.chosen}
	}
	d.nodes = append(d.nodes, n)
	d.replayLen = len(d.nodes)
	if d.cfg.Reduction == ReductionDPOR {
		d.races(s, k)
	}
	for i, c := range s.cands {
		if c.Task == n.chosen {
			return i
		}
	}
	return -1
}

// races is the DPOR update at state k: for each task's next point, find
// the latest earlier step it depends on and that does not happen before
// it; that step's state must also try the task (or everything enabled).
func (d *dfsRun) races(s *Sim, k int) {
	for _, t := range s.live {
		if t.status == trace.TaskDone {
			continue
		}
		fp := t.fp
		var clock []int32
		if int(t.id) < len(d.clocks) {
			clock = d.clocks[t.id]
		}
		for i := k - 1; i >= 0; i-- {
			st := &d.steps[i]
			if st.task == t.id || !st.fp.Conflicts(fp) {
				continue
			}
			if int(st.task) < len(clock) && clock[st.task] >= int32(i+1) {
				continue // step i happens before t
			}
			n := &d.nodes[i]
			if len(n.enabled) < 2 {
				break
			}
			if _, ok := n.fpOf(t.id); ok {
				d.addBacktrack(n, t.id)
			} else {
				for _, c := range n.enabled {
					d.addBacktrack(n, c.Task)
				}
			}
			break
		}
	}
}

func (d *dfsRun) addBacktrack(n *dfsNode, p TaskID) {
	if containsTask(n.backtrack, p) || !d.allowed(n, p) {
		return
	}
	n.backtrack = append(n.backtrack, p)
}

// executed records the step about to run: its vector clock (for the
// happens-before test), the preemption count and the next node's sleep set.
func (d *dfsRun) executed(s *Sim, t *Task) {
	k := s.step
	fp := t.fp
	clock := make([]int32, len(s.tasks))
	if int(t.id) < len(d.clocks) {
		copy(clock, d.clocks[t.id])
	}
	if d.cfg.Reduction == ReductionDPOR {
		for j := 0; j < k; j++ {
			st := &d.steps[j]
			if st.task != t.id && st.fp.Conflicts(fp) {
				join(clock, st.clock)
			}
		}
	}
	clock[t.id] = int32(k + 1)
	d.setClock(t.id, clock)
	d.steps = append(d.steps, dfsStep{task: t.id, fp: fp, clock: clock})

	n := &d.nodes[k]
	if n.isPreemption(t.id) {
		d.preempts = n.preempts + 1
	} else {
		d.preempts = n.preempts
	}
	d.childSleep = d.childSleep[:0]
	if d.cfg.Reduction == ReductionDPOR {
		for _, q := range n.sleep {
			if qf, ok := n.fpOf(q); ok && !qf.Conflicts(fp) {
				d.childSleep = append(d.childSleep, q)
			}
		}
		for _, q := range n.done {
			if q == t.id || containsTask(n.sleep, q) {
				continue
			}
			if qf, ok := n.fpOf(q); ok && !qf.Conflicts(fp) {
				d.childSleep = append(d.childSleep, q)
			}
		}
	}
}

func join(dst, src []int32) {
	for i := range src {
		if i < len(dst) && src[i] > dst[i] {
			dst[i] = src[i]
		}
	}
}

func (d *dfsRun) setClock(id TaskID, c []int32) {
	for int(id) >= len(d.clocks) {
		d.clocks = append(d.clocks, nil)
	}
	d.clocks[id] = c
}

// spawned gives a new task its parent's clock: everything before the spawn
// happens before the child.
func (d *dfsRun) spawned(t *Task) {
	var c []int32
	if t.parent >= 0 && int(t.parent) < len(d.clocks) {
		c = append([]int32(nil), d.clocks[t.parent]...)
	}
	d.setClock(t.id, c)
}

// backtrack moves to the deepest node with an unexplored allowed choice;
// false when the search is exhausted.
func (d *dfsRun) backtrack() bool {
	for len(d.nodes) > 0 {
		i := len(d.nodes) - 1
		n := &d.nodes[i]
		for _, p := range n.backtrack {
			if containsTask(n.done, p) || containsTask(n.sleep, p) || !d.allowed(n, p) {
				continue
			}
			n.chosen = p
			n.done = append(n.done, p)
			d.replayLen = i + 1
			return true
		}
		d.nodes = d.nodes[:i]
	}
	d.replayLen = 0
	return false
}
