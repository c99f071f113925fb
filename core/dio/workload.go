package dio

import (
	"fmt"

	"ext4play/core/ext4"
	"ext4play/core/fio"
	"ext4play/core/sim"
)

// jobState is one fio job: its op stream and its AIO queue.
type jobState struct {
	job      *fio.Job
	stream   *fio.Stream
	in       *inode
	inflight int
	wq       *sim.WaitQueue // io_getevents / iodepth slots
	done     []*kiocb       // completed; done[reaped:] not yet reaped by io_getevents
	reaped   int
	group    int
	idx      int // the job's stream index (its read buffer in the arena)
	m        *model
}

// kiComplete is the AIO completion (aio_complete via iocb->ki_complete,
// fs/aio.c): the event reaches fio's io_getevents.
func (m *model) kiComplete(t *sim.Task, iocb *kiocb, ret int64) {
	t.Point(lblKiComplete, sim.Footprint{Loc: iocb.job.wq.Loc(), Access: sim.Write})
	iocb.job.inflight--
	iocb.job.done = append(iocb.job.done, iocb)
	iocb.job.wq.WakeUp(t)
}

// reap is fio's io_getevents: the job sees its completed writes, and the
// model checks them (fio verify, reference §10 invariant 4). Checking at
// reap time, not inside dio_complete, matters: a completion can run
// before the submitter has dropped its io_end reference, and then the
// submitter converts — after ki_complete but before io_submit returns,
// so fio cannot observe the gap.
func (m *model) reap(t *sim.Task, js *jobState) {
	// verifyWrite has points, so completions may append meanwhile: walk
	// by index, and reuse the slice once it is drained.
	for js.reaped < len(js.done) {
		iocb := js.done[js.reaped]
		js.done[js.reaped] = nil
		js.reaped++
		m.verifyWrite(t, iocb)
		// Closures of bio tasks may still hold the iocb: drop the
		// payload so long runs stay bounded.
		iocb.releasePayload()
	}
	js.done, js.reaped = js.done[:0], 0
}

// runJob is one fio job thread: io_submit up to iodepth, wait for
// completions before a verify read (Barrier) and at the end.
func (m *model) runJob(t *sim.Task, js *jobState, nextID *int32) {
	t.Enter("fio " + js.job.Name)
	defer t.Exit()
	depth := max(js.job.IODepth, 1)
	for {
		op, ok := js.stream.Next()
		if !ok {
			break
		}
		if op.Kind == fio.OpCreate {
			continue
		}
		if op.Barrier || !op.Async || op.Kind != fio.OpWrite {
			t.WaitEvent(js.wq, lblGetEventsAll, func() bool { return js.inflight == 0 })
		} else {
			t.WaitEvent(js.wq, lblGetEventsSlot, func() bool { return js.inflight < depth })
		}
		m.reap(t, js)
		*nextID++
		iocb := &kiocb{id: *nextID, job: js, op: op, in: js.in, async: op.Async}
		switch op.Kind {
		case fio.OpWrite:
			if iocb.async {
				js.inflight++
			}
			ret := m.ext4FileWriteIter(t, iocb)
			if ret != EIOCBQUEUED && ret < op.Length {
				if m.short == nil {
					m.short = map[[2]uint64]bool{}
				}
				m.short[[2]uint64{uint64(op.Data.Job), op.Data.Seq}] = true
			}
			if ret != EIOCBQUEUED {
				if !iocb.async {
					js.inflight++
				}
				m.kiComplete(t, iocb, ret)
			}
		case fio.OpRead:
			got := m.ext4DioRead(t, iocb)
			m.checkRead(t, iocb, got)
			iocb.releasePayload()
		case fio.OpFallocate:
			m.ext4Fallocate(t, js.in, ext4.FallocMode(op.Falloc), op.Offset, op.Length)
		case fio.OpPunch:
			m.ext4PunchHole(t, js.in, op.Offset, op.Length)
		}
	}
	t.WaitEvent(js.wq, lblGetEventsAll, func() bool { return js.inflight == 0 })
	m.reap(t, js)
}

// checkWorkload refuses what the model does not run.
func checkWorkload(w *fio.Workload) error {
	for i := range w.Jobs {
		j := &w.Jobs[i]
		if j.Engine != fio.EngineFalloc && !j.Direct {
			return fmt.Errorf("fio job %s (line %d): buffered I/O (direct=0) is not modelled, only O_DIRECT: %w", j.Name, j.Line, ErrBadInput)
		}
		if j.RW == fio.RWTrim || (j.RW == fio.RWRandTrim && j.Engine != fio.EngineFalloc) {
			return fmt.Errorf("fio job %s (line %d): trim on a data engine is not modelled: %w", j.Name, j.Line, ErrBadInput)
		}
		if j.MinBS()%4096 != 0 && j.Engine != fio.EngineFalloc {
			return fmt.Errorf("fio job %s (line %d): block size %d is not a multiple of 4096; unaligned DIO is not modelled: %w", j.Name, j.Line, j.MinBS(), ErrBadInput)
		}
	}
	return nil
}
