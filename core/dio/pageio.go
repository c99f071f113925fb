package dio

import (
	"ext4play/core/sim"
)

// ext4InitIOEnd is ext4_init_io_end (fs/ext4/page-io.c): a zero-filled
// io_end with count 1; up to 4.5 it also counts in i_ioend_count.
func (m *model) ext4InitIOEnd(t *sim.Task, in *inode, owner *kiocb) *ioEnd {
	t.Enter("ext4_init_io_end")
	defer t.Exit()
	o := t.Alloc("io_end", sim.GFPNoFS).InitRef(1).MustFree()
	io := &ioEnd{obj: o, in: in, owner: owner}
	io.flag = o.NewVar("flag", 0, sim.Hex)
	io.offset = o.NewVar("offset", 0, sim.Dec)
	io.size = o.NewVar("size", 0, sim.Dec)
	m.ioends[o.Loc()] = io
	if in.iIoendCnt != nil {
		in.iIoendCnt.AddAs(t, lblIoendCountInc, 1)
	}
	return io
}

// ext4GetIOEnd is ext4_get_io_end (fs/ext4/page-io.c).
func (m *model) ext4GetIOEnd(t *sim.Task, io *ioEnd) *ioEnd {
	io.obj.Get(t)
	return io
}

// ext4PutIOEnd is ext4_put_io_end (fs/ext4/page-io.c): the last put
// converts the io_end's range if it is UNWRITTEN — in whatever context
// the caller runs in — and releases it.
func (m *model) ext4PutIOEnd(t *sim.Task, io *ioEnd) {
	t.Enter("ext4_put_io_end")
	defer t.Exit()
	if !io.obj.Put(t) {
		return
	}
	if io.flag.LoadAs(t, lblPutTestUnwritten)&EXT4_IO_END_UNWRITTEN != 0 {
		off, size := io.offset.Value(), io.size.Value()
		m.ext4ConvertUnwrittenExtents(t, io.in, off, size, io)
		m.ext4ClearIOUnwrittenFlag(t, io)
	}
	m.ext4ReleaseIOEnd(t, io)
}

// ext4ClearIOUnwrittenFlag is ext4_clear_io_unwritten_flag (fs/ext4/page-io.c).
func (m *model) ext4ClearIOUnwrittenFlag(t *sim.Task, io *ioEnd) {
	io.flag.AndNot(t, lblClearIOUnwritten, EXT4_IO_END_UNWRITTEN)
	if io.in.iUnwritten.AddAs(t, lblIUnwrittenDec, -1) == 0 {
		io.in.unwrWait.WakeUp(t)
	}
}

// ext4SetIOUnwrittenFlag is ext4_set_io_unwritten_flag (fs/ext4/ext4.h):
// flag the io_end once and count it in i_unwritten.
func (m *model) ext4SetIOUnwrittenFlag(t *sim.Task, in *inode, io *ioEnd) {
	t.Enter("ext4_set_io_unwritten_flag")
	defer t.Exit()
	if io.flag.LoadAs(t, lblSetIOUnwrittenTest)&EXT4_IO_END_UNWRITTEN == 0 {
		io.flag.Or(t, lblSetIOUnwritten, EXT4_IO_END_UNWRITTEN)
		in.iUnwritten.AddAs(t, lblIUnwrittenInc, 1)
	}
}

// ext4ReleaseIOEnd is ext4_release_io_end (fs/ext4/page-io.c): BUG if the
// io_end is still UNWRITTEN, then free it.
func (m *model) ext4ReleaseIOEnd(t *sim.Task, io *ioEnd) {
	t.Enter("ext4_release_io_end")
	defer t.Exit()
	if io.flag.Value()&EXT4_IO_END_UNWRITTEN != 0 {
		t.BUG("fs/ext4/page-io.c: ext4_release_io_end: BUG_ON(io_end->flag & EXT4_IO_END_UNWRITTEN)", io.describe())
	}
	if io.in.iIoendCnt != nil {
		io.in.iIoendCnt.AddAs(t, lblIoendCountDec, -1)
	}
	io.obj.Free(t)
	m.forgetIOEnd(io)
}
