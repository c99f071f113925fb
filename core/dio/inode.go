package dio

import (
	"errors"
	"fmt"

	"ext4play/core/ext4"
	"ext4play/core/sim"
)

func isENOSPC(err error) bool { return errors.Is(err, ext4.ENOSPC) }

// getBlockFn names the get_block_t a DIO maps with.
type getBlockFn uint8

const (
	gbExt4GetBlock      getBlockFn = iota // ext4_get_block (CREATE; 0 for reads)
	gbWrite                               // ext4_get_block_write (IO_CREATE_EXT)
	gbOverwrite                           // ext4_get_block_overwrite (0, WARN if unmapped)
	gbWriteNolock                         // ext4_get_block_write_nolock (NO_LOCK), v4.4 and revert
	gbDioOverwrite                        // ext4_dio_get_block_overwrite, v4.6
	gbDioUnwrittenAsync                   // ext4_dio_get_block_unwritten_async, v4.6
	gbDioUnwrittenSync                    // ext4_dio_get_block_unwritten_sync, v4.6
	gbRead                                // ext4_get_block with create = 0 (DIO reads)
)

var getBlockNames = [...]string{
	"ext4_get_block", "ext4_get_block_write", "ext4_get_block_overwrite", "ext4_get_block_write_nolock",
	"ext4_dio_get_block_overwrite", "ext4_dio_get_block_unwritten_async", "ext4_dio_get_block_unwritten_sync",
	"ext4_get_block(read)",
}

func (g getBlockFn) String() string { return getBlockNames[g] }

// bufferHead is the map_bh a get_block call fills.
type bufferHead struct {
	mp      ext4.BlockMap
	ok      bool
	defer_  bool   // BH_Defer_Completion
	private *ioEnd // b_private (v4.6)
}

func (bh *bufferHead) mapped() bool { return bh.ok && bh.mp.Flags&ext4.EXT4_MAP_MAPPED != 0 }

// ext4DirectIO is ext4_direct_IO (fs/ext4/inode.c): extent-mapped files
// go to ext4_ext_direct_IO (encrypted, data=journal and inline files,
// which fall back to buffered I/O, are not modelled).
func (m *model) ext4DirectIO(t *sim.Task, iocb *kiocb) int64 {
	t.Enter("ext4_direct_IO")
	defer t.Exit()
	return m.ext4ExtDirectIO(t, iocb)
}

// ext4ExtDirectIO is ext4_ext_direct_IO (fs/ext4/inode.c) for writes
// (reference §3.3): extending writes go to ext4_ind_direct_IO; the rest
// take inode_dio_begin, drop i_mutex if overwriting, set up the io_end
// and i_private as the variant does, run __blockdev_direct_IO, and
// clean up.
func (m *model) ext4ExtDirectIO(t *sim.Task, iocb *kiocb) int64 {
	t.Enter("ext4_ext_direct_IO")
	defer t.Exit()
	in := iocb.in
	if iocb.op.Offset+iocb.op.Length > in.iSize.LoadAs(t, lblISizeRead) {
		return m.ext4IndDirectIO(t, iocb)
	}
	m.inodeDioBegin(t, in)
	overwrite := iocb.overwrite
	if overwrite {
		if m.v.OverwriteHoldsDataSem {
			in.iDataSem.DownRead(t)
		}
		in.iMutex.Unlock(t)
	}
	var io *ioEnd
	if m.v.InodeAIO && !(overwrite && m.v.OverwriteNoIOEnd) {
		iocb.private = nil
		in.iPrivate.StoreAs(t, lblStoreNullStart, -1)
		m.sweepIOEnds()
		if iocb.async {
			io = m.ext4InitIOEnd(t, in, iocb)
			iocb.private = m.ext4GetIOEnd(t, io)
			in.iPrivate.StoreAs(t, lblStoreIOEnd, int64(io.obj.Loc()))
			m.sweepIOEnds()
		}
	}
	var gb getBlockFn
	switch {
	case overwrite && m.v.IOEndInDio:
		gb = gbDioOverwrite
	case overwrite && m.v.Flags.NoLock != 0:
		gb = gbWriteNolock
	case overwrite:
		gb = gbOverwrite
	case m.v.IOEndInDio && iocb.async:
		gb = gbDioUnwrittenAsync
	case m.v.IOEndInDio:
		gb = gbDioUnwrittenSync
	default:
		gb = gbWrite
	}
	ret := m.doBlockdevDirectIO(t, iocb, gb, true, false)
	if io != nil {
		in.iPrivate.StoreAs(t, lblStoreNullEnd, -1)
		m.sweepIOEnds()
		m.ext4PutIOEnd(t, io)
		if ret <= 0 && ret != EIOCBQUEUED && iocb.private != nil {
			t.WARN(io.flag.Value()&EXT4_IO_END_UNWRITTEN != 0, "fs/ext4/inode.c: ext4_ext_direct_IO",
				"WARN_ON(iocb->private->flag & EXT4_IO_END_UNWRITTEN): nothing submitted but the io_end owes conversion", io.describe())
			m.ext4PutIOEnd(t, iocb.private)
			iocb.private = nil
		}
	}
	if ret > 0 && !overwrite && in.state.LoadAs(t, lblTestStateDioUnwritten)&EXT4_STATE_DIO_UNWRITTEN != 0 {
		m.ext4ConvertUnwrittenExtents(t, in, iocb.op.Offset, ret, nil)
		in.state.AndNot(t, lblClearStateDioUnwritten, EXT4_STATE_DIO_UNWRITTEN)
	}
	m.inodeDioEnd(t, in)
	if overwrite {
		if m.v.OverwriteHoldsDataSem {
			in.iDataSem.UpRead(t)
		}
		in.iMutex.Lock(t)
	}
	return ret
}

// ext4IndDirectIO is ext4_ind_direct_IO (fs/ext4/indirect.c) for a write
// past i_size: orphan list, ext4_get_block (CREATE, written blocks), a
// synchronous DIO without end_io, then the size update.
func (m *model) ext4IndDirectIO(t *sim.Task, iocb *kiocb) int64 {
	t.Enter("ext4_ind_direct_IO")
	defer t.Exit()
	in := iocb.in
	m.journalStart(t)
	t.Point(lblOrphanAdd, sim.Footprint{Loc: in.obj.Loc(), Access: sim.Write})
	m.journalStop(t)
	ret := m.doBlockdevDirectIO(t, iocb, gbExt4GetBlock, false, true)
	m.journalStart(t)
	if ret > 0 {
		end := iocb.op.Offset + ret
		if end > in.iSize.Value() {
			if err := m.vol.SetSize(in.ino, end); err != nil {
				m.internal(t, "ext4_update_i_disksize", err)
			}
			in.iSize.StoreAs(t, lblISizeWrite, end)
		}
	}
	t.Point(lblOrphanDel, sim.Footprint{Loc: in.obj.Loc(), Access: sim.Write})
	m.journalStop(t)
	return ret
}

// getBlock runs get_block function gb for the dio (fs/ext4/inode.c).
func (m *model) getBlock(t *sim.Task, d *dio, gb getBlockFn, lblk, n uint32) bufferHead {
	t.Enter(gb.String())
	defer t.Exit()
	in := d.in
	switch gb {
	case gbExt4GetBlock:
		bh := m.ext4GetBlockInternal(t, in, lblk, n, GetBlocksCreate)
		bh.private = d.private
		return bh
	case gbRead:
		return m.ext4GetBlockInternal(t, in, lblk, n, 0)
	case gbWrite:
		return m.ext4GetBlockInternal(t, in, lblk, n, GetBlocksIOCreateExt)
	case gbOverwrite:
		bh := m.ext4GetBlockInternal(t, in, lblk, n, 0)
		t.WARN(!bh.mapped(), "fs/ext4/inode.c: ext4_get_block_overwrite", "WARN_ON_ONCE(!buffer_mapped(bh_result)): overwrite DIO found no written blocks")
		return bh
	case gbWriteNolock:
		return m.ext4GetBlockInternal(t, in, lblk, n, m.v.Flags.NoLock)
	case gbDioOverwrite:
		bh := m.ext4GetBlockInternal(t, in, lblk, n, 0)
		bh.private = d.private
		t.WARN(!bh.mapped() || bh.mp.Flags&ext4.EXT4_MAP_UNWRITTEN != 0, "fs/ext4/inode.c: ext4_dio_get_block_overwrite",
			"WARN_ON_ONCE(!buffer_mapped(bh_result) || buffer_unwritten(bh_result))")
		return bh
	case gbDioUnwrittenAsync:
		bh := m.ext4GetBlockInternal(t, in, lblk, n, GetBlocksIOCreateExt)
		// map_bh is reused across calls, so b_private keeps the io_end.
		bh.private = d.private
		if bh.ok && bh.mp.Flags&ext4.EXT4_MAP_UNWRITTEN != 0 {
			if bh.private == nil {
				io := m.ext4InitIOEnd(t, in, d.iocb)
				t.Point(lblBPrivateSet, sim.Footprint{Loc: io.obj.Loc(), Access: sim.Write})
				bh.private = io
				m.ext4SetIOUnwrittenFlag(t, in, io)
			}
			bh.defer_ = true
		}
		return bh
	case gbDioUnwrittenSync:
		bh := m.ext4GetBlockInternal(t, in, lblk, n, GetBlocksIOCreateExt)
		bh.private = d.private
		if bh.ok && bh.mp.Flags&ext4.EXT4_MAP_UNWRITTEN != 0 {
			in.state.Or(t, lblSetStateDioUnwritten, EXT4_STATE_DIO_UNWRITTEN)
		}
		return bh
	}
	panic("dio: unknown get_block")
}

// ext4GetBlockInternal is _ext4_get_block (fs/ext4/inode.c): a DIO write
// starts a handle (not with NO_LOCK), maps, then re-reads i_private and
// marks the buffer Defer_Completion if that io_end is UNWRITTEN.
func (m *model) ext4GetBlockInternal(t *sim.Task, in *inode, lblk, n uint32, flags uint32) bufferHead {
	t.Enter("_ext4_get_block")
	defer t.Exit()
	started := false
	noLock := m.v.Flags.NoLock != 0 && flags&m.v.Flags.NoLock != 0
	if flags != 0 && !noLock {
		n = min(n, DIO_MAX_BLOCKS)
		m.journalStart(t)
		started = true
	}
	var bh bufferHead
	bh.mp, bh.ok = m.ext4MapBlocks(t, in, lblk, n, flags)
	if bh.ok && bh.mp.Len > 0 && bh.mp.Flags&(ext4.EXT4_MAP_MAPPED|ext4.EXT4_MAP_UNWRITTEN) != 0 && m.v.InodeAIO {
		if io := m.ioEndOf(in.iPrivate.LoadAs(t, lblGetBlockReread)); io != nil {
			// The load holds no reference: dereferencing a freed io_end
			// is the read-only form of R4.
			if io.flag.LoadAs(t, lblGetBlockTestFlag)&EXT4_IO_END_UNWRITTEN != 0 {
				bh.defer_ = true
			}
		}
	}
	if started {
		m.journalStop(t)
	}
	return bh
}

// ext4MapBlocks is ext4_map_blocks (fs/ext4/inode.c): ES cache lookup
// without a lock; on a miss a lookup under down_read(i_data_sem) (v4.4:
// not with NO_LOCK); then, for CREATE on anything but a written range,
// ext4_ext_map_blocks under down_write(i_data_sem).
func (m *model) ext4MapBlocks(t *sim.Task, in *inode, lblk, n uint32, flags uint32) (ext4.BlockMap, bool) {
	t.Enter("ext4_map_blocks")
	defer t.Exit()
	t.Point(lblESLookup, sim.Footprint{Loc: in.esTree.Loc(), Access: sim.Read})
	var mp ext4.BlockMap
	var ok bool
	if in.esLookup(lblk, n) {
		mp, ok = m.lookup(t, in, lblk, n)
	} else {
		noLock := m.v.Flags.NoLock != 0 && flags&m.v.Flags.NoLock != 0
		if !noLock {
			in.iDataSem.DownRead(t)
		}
		mp, ok = m.ext4ExtMapBlocks(t, in, lblk, n, 0)
		if ok && mp.Len > 0 {
			in.esInsert(lblk, mp.Len)
		}
		if !noLock {
			in.iDataSem.UpRead(t)
		}
	}
	if !ok || flags&GetBlocksCreate == 0 {
		return mp, ok
	}
	cu := m.v.Flags.ConvertUnwritten
	if mp.Flags&ext4.EXT4_MAP_MAPPED != 0 && (cu == 0 || flags&cu == 0) {
		return mp, ok
	}
	in.iDataSem.DownWrite(t)
	mp, ok = m.ext4ExtMapBlocks(t, in, lblk, n, flags)
	if ok && mp.Len > 0 {
		in.esInsert(lblk, mp.Len)
	}
	in.iDataSem.UpWrite(t)
	return mp, ok
}

// ext4EndIODio is ext4_end_io_dio (fs/ext4/inode.c), the DIO end_io.
// Up to 4.5 the io_end comes from iocb->private; v4.6 gets it as the
// private argument (dio->private).
func (m *model) ext4EndIODio(t *sim.Task, d *dio) {
	t.Enter("ext4_end_io_dio")
	defer t.Exit()
	iocb := d.iocb
	if m.v.IOEndInDio {
		io := d.private
		if io == nil {
			return
		}
		if d.result <= 0 {
			m.ext4ClearIOUnwrittenFlag(t, io)
			io.size.StoreAs(t, lblEndIOSetRange, 0)
		} else {
			io.offset.StoreAs(t, lblEndIOSetRange, iocb.op.Offset)
			io.size.StoreAs(t, lblEndIOSetRange, d.result)
		}
		m.ext4PutIOEnd(t, io)
		return
	}
	t.Point(lblEndIOTakePrivate, sim.Footprint{Loc: -1, Access: sim.None})
	io := iocb.private
	if io == nil {
		return
	}
	iocb.private = nil
	io.offset.StoreAs(t, lblEndIOSetRange, iocb.op.Offset)
	io.size.StoreAs(t, lblEndIOSetRange, d.result)
	m.ext4PutIOEnd(t, io)
}

// verifyWrite is the model's fio verify of a completed write (reference
// §10 invariant 4): every block this write put down and nobody has
// overwritten since must read back its payload through the image, and
// none may still be unwritten.
func (m *model) verifyWrite(t *sim.Task, iocb *kiocb) {
	in := iocb.in
	t.Point(lblVerifyWrite, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Read})
	op := iocb.op
	first := op.Offset / m.bs
	nblk := (op.Length + m.bs - 1) / m.bs
	in.blocks(first + nblk)
	size := in.iSize.Value()
	dataLen := max(0, min(op.Length, size-op.Offset))
	// The bytes are compared where the image keeps them, without reading
	// them out; a snapshot that cannot be loaded reads as zeros, as a
	// read through readFile would.
	_, snapOK := m.lookup(t, in, 0, 1)
	var zeros, wrong, unwritten []int64
	var cur ext4.BlockMap // the mapping of the last block looked up
	for b := first; b < first+nblk; b++ {
		if in.owner[b] != iocb.id {
			continue
		}
		if snapOK && (uint32(b) < cur.LBlk || uint32(b) >= cur.LBlk+cur.Len) {
			cur, _ = m.lookup(t, in, uint32(b), uint32(first+nblk-b))
			cur.Len = max(cur.Len, 1)
		}
		if snapOK && cur.Flags&ext4.EXT4_MAP_UNWRITTEN != 0 {
			unwritten = append(unwritten, b)
		}
		lo := (b - first) * m.bs
		hi := min(lo+m.bs, dataLen)
		if lo >= hi {
			continue
		}
		want := iocb.payload()[lo:hi]
		equal, zero := allZero(want), true
		if snapOK {
			equal, zero = m.compareFile(t, in, op.Offset+lo, want)
		}
		if equal {
			continue
		}
		if zero {
			zeros = append(zeros, b)
		} else {
			wrong = append(wrong, b)
		}
	}
	if len(zeros)+len(wrong) > 0 {
		msg := fmt.Sprintf("fio: verify failed for %s: %d block(s) read back as zeros %v, %d with other data %v after the write completed successfully",
			iocb.desc(), len(zeros), zeros, len(wrong), wrong)
		if len(unwritten) > 0 {
			msg += fmt.Sprintf("\nblocks %v are still in an unwritten extent: the conversion this write owed was lost", unwritten)
		}
		t.Fail("data-verify", msg, iocb.desc())
	}
	if len(unwritten) > 0 {
		t.Fail("unconverted-unwritten", fmt.Sprintf("%s completed (ki_complete) but logical blocks %v of %s are still unwritten", iocb.desc(), unwritten, in.name), iocb.desc())
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
