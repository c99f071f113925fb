package sim

import (
	"fmt"

	"ext4play/core/trace"
)

// Work is struct work_struct: a function queued on a workqueue and run by a
// worker task in process context. A work item that is already pending is
// not queued twice (queue_work returns false), as in the kernel.
type Work struct {
	loc     int32
	name    string
	fn      func(t *Task)
	pending bool
	flow    int32
	lblRun  string
}

// NewWork creates a work item (INIT_WORK).
func (s *Sim) NewWork(name string, fn func(t *Task)) *Work {
	loc := s.newLoc(trace.Loc{Kind: trace.LocWork, Name: name, Parent: -1})
	return &Work{loc: loc, name: name, fn: fn, lblRun: "process_one_work(" + name + ")"}
}

// Pending reports whether the work is queued and not yet started.
func (w *Work) Pending() bool { return w.pending }

// Workqueue is struct workqueue_struct. maxActive bounds how many items run
// at once: 1 is an ordered workqueue (alloc_ordered_workqueue, one worker
// runs the items in order), 0 means unbound with no limit (one worker per
// item).
type Workqueue struct {
	s         *Sim
	loc       int32
	name      string
	maxActive int
	active    int
	queue     []*Work
	workers   int
	lblQueue  string
	lblPick   string
}

// NewWorkqueue is alloc_workqueue(name, flags, maxActive).
func (s *Sim) NewWorkqueue(name string, maxActive int) *Workqueue {
	loc := s.newLoc(trace.Loc{Kind: trace.LocWorkqueue, Name: name, Parent: -1})
	wq := &Workqueue{s: s, loc: loc, name: name, maxActive: maxActive,
		lblQueue: "queue_work(" + name + ")", lblPick: "worker_thread(" + name + "): next work"}
	s.wqs = append(s.wqs, wq)
	return wq
}

// Pending returns how many work items wait to start.
func (wq *Workqueue) Pending() int { return len(wq.queue) }

// QueueWork is queue_work(wq, w): a point; false if w was already pending.
// A new worker task (context Worker) is spawned when fewer than maxActive
// are running; it picks items at points of its own, so when each item
// starts is the scheduler's choice.
func (wq *Workqueue) QueueWork(t *Task, w *Work) bool {
	t.Point(wq.lblQueue, Footprint{Loc: wq.loc, Access: Write})
	if w.pending {
		return false
	}
	s := wq.s
	if len(wq.queue) >= s.cfg.QueueMax {
		s.report(trace.VerdictLimit, "", fmt.Sprintf("workqueue %s: queue limit %d reached", wq.name, s.cfg.QueueMax), wq.name)
		s.stopping = true
		return false
	}
	w.pending = true
	w.flow = s.flowStart()
	wq.queue = append(wq.queue, w)
	if wq.maxActive <= 0 || wq.active < wq.maxActive {
		wq.active++
		wq.workers++
		s.Spawn(fmt.Sprintf("kworker/%s:%d", wq.name, wq.workers), Worker, wq.worker)
	}
	return true
}

// worker is worker_thread: take items until the queue is empty.
func (wq *Workqueue) worker(t *Task) {
	for {
		t.Point(wq.lblPick, Footprint{Loc: wq.loc, Access: Write})
		if len(wq.queue) == 0 {
			wq.active--
			return
		}
		w := wq.queue[0]
		wq.queue = wq.queue[:copy(wq.queue, wq.queue[1:])]
		w.pending = false
		t.s.flowEnd(w.flow)
		t.Enter(w.name)
		w.fn(t)
		t.Exit()
		if len(t.held) > 0 || t.preempt > 0 || t.irqOff > 0 {
			t.leakCheck(w.name)
			t.held = t.held[:0]
			t.preempt, t.irqOff = 0, 0
		}
	}
}

// BlockQueue is a block device's request queue: SubmitBio puts a bio in
// flight and it completes later in interrupt context; which in-flight bio
// completes next is the scheduler's choice. At most depth bios are in
// flight; a submitter beyond that sleeps for a free slot.
type BlockQueue struct {
	s                               *Sim
	loc                             int32
	name                            string
	ctx                             Context
	depth                           int
	inflight                        int
	bios                            int
	slots                           *WaitQueue
	lblSubmit, lblComplete, lblSlot string
}

// NewBlockQueue creates a queue whose completions run in ctx (HardIRQ, as
// blk-mq completing in the device interrupt, or SoftIRQ); depth <= 0 means
// Config.QueueMax.
func (s *Sim) NewBlockQueue(name string, ctx Context, depth int) *BlockQueue {
	if depth <= 0 || depth > s.cfg.QueueMax {
		depth = s.cfg.QueueMax
	}
	loc := s.newLoc(trace.Loc{Kind: trace.LocBlockQueue, Name: name, Parent: -1})
	q := &BlockQueue{s: s, loc: loc, name: name, ctx: ctx, depth: depth,
		slots:       s.NewWaitQueue(name + ".slots"),
		lblSubmit:   "submit_bio(" + name + ")",
		lblComplete: "bio_endio(" + name + ")",
		lblSlot:     "get_request(" + name + "): wait for a free slot",
	}
	s.queues = append(s.queues, q)
	return q
}

// InFlight returns how many bios are submitted and not yet completed.
func (q *BlockQueue) InFlight() int { return q.inflight }

// SubmitBio is submit_bio: a point; the bio named name is put in flight and
// endIO runs later as bio->bi_end_io in the queue's interrupt context, in a
// task of its own. The trace links the submit to the completion.
func (q *BlockQueue) SubmitBio(t *Task, name string, endIO func(t *Task)) {
	q.SubmitBioNamed(t, func() string { return name }, endIO)
}

// SubmitBioNamed is SubmitBio with the bio's name built by name only when
// something shows the completion task's name.
func (q *BlockQueue) SubmitBioNamed(t *Task, name func() string, endIO func(t *Task)) {
	t.Point(q.lblSubmit, Footprint{Loc: q.loc, Access: Write})
	if q.inflight >= q.depth {
		t.WaitEvent(q.slots, q.lblSlot, func() bool { return q.inflight < q.depth })
	}
	q.inflight++
	q.bios++
	flow := q.s.flowStart()
	q.s.SpawnNamed(func() string { return "irq/" + q.name + ":" + name() }, q.ctx, func(c *Task) {
		c.Point(q.lblComplete, Footprint{Loc: q.loc, Access: Write})
		c.s.flowEnd(flow)
		c.Enter("bio_endio")
		endIO(c)
		c.Exit()
		q.inflight--
		q.slots.WakeUp(c)
	})
}
