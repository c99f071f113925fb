package dio

import (
	"fmt"

	"ext4play/core/ext4"
	"ext4play/core/sim"
)

// ext4FileWriteIter is ext4_file_write_iter (fs/ext4/file.c) for an
// O_DIRECT write (reference §3.1): take i_mutex, decide whether the write
// is an overwrite that may run without it (dioread_nolock, inside i_size,
// one written extent over the whole range), call ->direct_IO, unlock.
// The unaligned-AIO aio_mutex/ext4_unwritten_wait step is not modelled:
// fio's block sizes are multiples of the 4 KiB block, so it never applies.
func (m *model) ext4FileWriteIter(t *sim.Task, iocb *kiocb) int64 {
	t.Enter("ext4_file_write_iter")
	defer t.Exit()
	in := iocb.in
	in.iMutex.Lock(t)
	iocb.overwrite = false
	op := iocb.op
	if m.nolock && op.Offset+op.Length <= in.iSize.LoadAs(t, lblISizeRead) {
		lblk := uint32(op.Offset / m.bs)
		n := uint32((op.Offset+op.Length+m.bs-1)/m.bs) - lblk
		mp, ok := m.ext4MapBlocks(t, in, lblk, n, 0)
		if ok && mp.Len == n && mp.Flags&ext4.EXT4_MAP_MAPPED != 0 {
			t.Point(lblOverwriteDecision, sim.Footprint{Loc: -1, Access: sim.None})
			iocb.overwrite = true
		}
	}
	ret := m.ext4DirectIO(t, iocb)
	in.iMutex.Unlock(t)
	return ret
}

// ext4DioRead is a DIO read (ext4_ind_direct_IO's read side,
// fs/ext4/indirect.c, and fs/direct-io.c): with dioread_nolock unlocked
// (inode_dio_begin, ext4_get_block with create = 0, which also re-reads
// i_private); otherwise DIO_LOCKING takes i_mutex. Unwritten blocks and
// holes read as zeros. The model reads synchronously: read bios are not
// modelled as separate completions.
func (m *model) ext4DioRead(t *sim.Task, iocb *kiocb) []byte {
	t.Enter("ext4_direct_IO(READ)")
	defer t.Exit()
	in := iocb.in
	if !m.nolock {
		in.iMutex.Lock(t)
	}
	m.inodeDioBegin(t, in)
	op := iocb.op
	d := &dio{iocb: iocb, in: in}
	lblk := uint32(op.Offset / m.bs)
	end := uint32((op.Offset + op.Length + m.bs - 1) / m.bs)
	for lblk < end {
		bh := m.getBlock(t, d, gbRead, lblk, end-lblk)
		if !bh.ok || bh.mp.Len == 0 {
			break
		}
		lblk += bh.mp.Len
	}
	t.Point(lblReadData, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Read})
	size := in.iSize.Value()
	// The job's own buffer: it is checked after inode_dio_end, a point.
	data := m.arena.readBuf(iocb.job.idx, max(0, min(op.Length, size-op.Offset)))
	m.readFile(t, in, op.Offset, data)
	m.inodeDioEnd(t, in)
	if !m.nolock {
		in.iMutex.Unlock(t)
	}
	return data
}

// checkRead is fio's verify of a read: the block must be what the write
// it names put down.
func (m *model) checkRead(t *sim.Task, iocb *kiocb, got []byte) {
	op := iocb.op
	if !op.Verify || op.Data.Length == 0 || m.short[[2]uint64{uint64(op.Data.Job), op.Data.Seq}] {
		return
	}
	want := iocb.payload()[:op.Length]
	if len(got) == int(op.Length) && string(got) == string(want) {
		return
	}
	what := "other data"
	if allZero(got) {
		what = "zeros"
	}
	t.Fail("data-verify", fmt.Sprintf("fio: verify failed: %s read %s at offset %d (+%d) where write #%d of job %s had completed",
		iocb.desc(), what, op.Offset, op.Length, op.Data.Seq, op.Data.JobName), iocb.desc())
}
