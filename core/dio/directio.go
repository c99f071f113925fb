package dio

import (
	"fmt"

	"ext4play/core/sim"
)

// dio is struct dio (fs/direct-io.c).
type dio struct {
	obj       *sim.Obj // refcount: the submitter plus one per bio in flight
	iocb      *kiocb
	in        *inode
	isAsync   bool
	deferComp *sim.Var // dio->defer_completion (sticky)
	result    int64    // bytes mapped
	private   *ioEnd   // dio->private (from map_bh.b_private)
	endIO     bool     // ext4_end_io_dio is the end_io
	waiter    *sim.WaitQueue
	bios      int
}

// doBlockdevDirectIO is do_blockdev_direct_IO (fs/direct-io.c) for a
// write: inode_dio_begin, a get_block call and a bio per mapping
// (get_more_blocks, dio_set_defer_completion, submit_bio), then either
// -EIOCBQUEUED or waiting for the bios; the submitter's last reference
// runs dio_complete itself.
func (m *model) doBlockdevDirectIO(t *sim.Task, iocb *kiocb, gb getBlockFn, endIO, extending bool) int64 {
	t.Enter("do_blockdev_direct_IO")
	defer t.Exit()
	in := iocb.in
	o := t.Alloc("dio", sim.GFPKernel).InitRef(1)
	d := &dio{obj: o, iocb: iocb, in: in, endIO: endIO,
		isAsync:   iocb.async && !extending, // writes past i_size without DIO_ASYNC_EXTEND wait
		deferComp: o.NewVar("defer_completion", 0, sim.Bool),
		waiter:    m.s.NewWaitQueue(o.Name() + ".waiter"),
	}
	m.inodeDioBegin(t, in)
	lblk := uint32(iocb.op.Offset / m.bs)
	end := uint32((iocb.op.Offset + iocb.op.Length + m.bs - 1) / m.bs)
	for lblk < end {
		bh := m.getMoreBlocks(t, d, gb, lblk, end-lblk)
		if !bh.mapped() || bh.mp.Len == 0 {
			break
		}
		m.dioBioSubmit(t, d, lblk, bh)
		d.result += int64(bh.mp.Len) * m.bs
		lblk += bh.mp.Len
	}
	d.result = min(d.result, iocb.op.Length)
	var ret int64
	if d.isAsync && d.result == iocb.op.Length {
		ret = EIOCBQUEUED
	} else {
		// dio_await_completion: every bio done, only our reference left.
		t.WaitEvent(d.waiter, lblDioAwait, func() bool { return d.obj.RefCount() == 1 })
		ret = d.result
	}
	t.Point(lblDioDropRef, sim.Footprint{Loc: o.Loc(), Access: sim.Write})
	if d.obj.Put(t) {
		ret = m.dioComplete(t, d, false)
	}
	return ret
}

// getMoreBlocks is get_more_blocks (fs/direct-io.c): one get_block call,
// dio->private = map_bh.b_private, and the Defer_Completion test.
func (m *model) getMoreBlocks(t *sim.Task, d *dio, gb getBlockFn, lblk, n uint32) bufferHead {
	t.Enter("get_more_blocks")
	defer t.Exit()
	bh := m.getBlock(t, d, gb, lblk, n)
	if m.v.IOEndInDio {
		d.private = bh.private
	}
	t.Point(lblDeferTest, sim.Footprint{Loc: d.deferComp.Loc(), Access: sim.Read})
	if bh.defer_ {
		m.dioSetDeferCompletion(t, d)
	}
	return bh
}

// dioSetDeferCompletion is dio_set_defer_completion (fs/direct-io.c):
// sticky defer_completion, and on first use sb_init_dio_done_wq, which
// allocates the "dio/<dev>" workqueue with GFP_KERNEL.
func (m *model) dioSetDeferCompletion(t *sim.Task, d *dio) {
	t.Enter("dio_set_defer_completion")
	defer t.Exit()
	if d.deferComp.Value() != 0 {
		return
	}
	d.deferComp.StoreAs(t, lblSetDefer, 1)
	if m.doneWQ == nil {
		t.Enter("sb_init_dio_done_wq")
		t.Point(lblInitDoneWQ, sim.Footprint{Loc: m.sb.Loc(), Access: sim.Write})
		t.MightSleep("fs/direct-io.c: sb_init_dio_done_wq: alloc_workqueue(GFP_KERNEL)")
		m.doneWQ = m.s.NewWorkqueue("dio/sda", 0)
		t.Exit()
	}
}

// dioBioSubmit is dio_bio_submit (fs/direct-io.c): a reference per bio,
// then submit_bio; the completion writes the data and runs
// dio_bio_end_aio (AIO) or dio_bio_end_io (sync) in interrupt context.
func (m *model) dioBioSubmit(t *sim.Task, d *dio, lblk uint32, bh bufferHead) {
	t.Enter("dio_bio_submit")
	defer t.Exit()
	d.obj.Get(t)
	d.bios++
	pblk, n := bh.mp.PBlk, bh.mp.Len
	iocb := d.iocb
	bios := d.bios
	name := func() string { return fmt.Sprintf("%s/bio%d[%d+%d]", d.obj.Name(), bios, lblk, n) }
	m.bdev.SubmitBioNamed(t, name, func(irq *sim.Task) {
		m.bioDataDone(iocb, lblk, pblk, n)
		if d.isAsync {
			m.dioBioEndAio(irq, d)
		} else {
			m.dioBioEndIO(irq, d)
		}
	})
}

// bioDataDone puts the bio's payload on the device (the DMA finished)
// and records which write owns each block.
func (m *model) bioDataDone(iocb *kiocb, lblk uint32, pblk uint64, n uint32) {
	dev := m.vol.Device()
	in := iocb.in
	in.blocks(int64(lblk) + int64(n))
	data := iocb.payload()
	from := int64(lblk)*m.bs - iocb.op.Offset
	if _, err := dev.WriteAt(data[from:from+int64(n)*m.bs], int64(pblk)*m.bs); err != nil && m.err == nil {
		m.err = err
	}
	for k := uint32(0); k < n; k++ {
		in.owner[lblk+k] = iocb.id
	}
}

// dioBioEndAio is dio_bio_end_aio (fs/direct-io.c), in interrupt context:
// drop the bio's reference; the last one completes the dio — on
// s_dio_done_wq if defer_completion is set, otherwise inline, here.
func (m *model) dioBioEndAio(t *sim.Task, d *dio) {
	t.Enter("dio_bio_end_aio")
	defer t.Exit()
	if !d.obj.Put(t) {
		if d.obj.RefCount() == 1 {
			d.waiter.WakeUp(t)
		}
		return
	}
	if d.result != 0 && d.deferComp.LoadAs(t, lblEndAioDeferTest) != 0 {
		w := m.s.NewWork("dio_aio_complete_work", func(w *sim.Task) {
			m.dioComplete(w, d, true)
		})
		m.doneWQ.QueueWork(t, w)
		return
	}
	m.dioComplete(t, d, true)
}

// dioBioEndIO is dio_bio_end_io (fs/direct-io.c) for a synchronous dio:
// wake the submitter when only its reference is left.
func (m *model) dioBioEndIO(t *sim.Task, d *dio) {
	t.Enter("dio_bio_end_io")
	defer t.Exit()
	d.obj.Put(t)
	if d.obj.RefCount() == 1 {
		d.waiter.WakeUp(t)
	}
}

// dioComplete is dio_complete (fs/direct-io.c): end_io (4.4/4.5: only if
// bytes were mapped), inode_dio_end, then for AIO the user-visible
// ki_complete, and free the dio.
func (m *model) dioComplete(t *sim.Task, d *dio, isAsync bool) int64 {
	t.Enter("dio_complete")
	defer t.Exit()
	t.Point(lblDioComplete, sim.Footprint{Loc: d.obj.Loc(), Access: sim.Write})
	ret := d.result
	if d.endIO && (d.result != 0 || m.v.IOEndInDio) {
		m.ext4EndIODio(t, d)
	}
	m.inodeDioEnd(t, d.in)
	if isAsync {
		m.kiComplete(t, d.iocb, ret)
	}
	d.obj.Free(t)
	return ret
}
