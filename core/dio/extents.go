package dio

import (
	"fmt"

	"ext4play/core/ext4"
	"ext4play/core/sim"
)

// volFlags converts a variant's get_blocks value into core/ext4's shared
// flags plus the variant-dependent intents.
func (m *model) volFlags(flags uint32) (ext4.GetBlocksFlags, ext4.MapExtra) {
	shared := ext4.GetBlocksFlags(flags & 0xFF)
	f := m.v.Flags
	// Test ZERO by its own value: with revert's 0x300 it is true for
	// callers passing NO_LOCK or CONVERT_UNWRITTEN (reference §8), which
	// is what that kernel would do.
	extra := ext4.MapExtra{
		ConvertUnwritten: f.ConvertUnwritten != 0 && flags&f.ConvertUnwritten != 0 && flags&GetBlocksCreate != 0,
		Zero:             f.Zero != 0 && flags&f.Zero != 0 && flags&GetBlocksCreate != 0,
	}
	return shared, extra
}

// noFreeShortcut answers hole allocations on a full file system without
// asking core/ext4 (see ext4ExtMapBlocks); tests turn it off to check
// that runs are the same either way.
var noFreeShortcut = true

var noFreeHits int // how often it answered (tests)

// ext4ExtMapBlocks is ext4_ext_map_blocks (fs/ext4/extents.c), called
// with i_data_sem held (read for lookups, write with CREATE). It loads
// io = i_private at entry; a PRE_IO request that leaves an unwritten
// extent then flags that io_end, or with none sets the inode's
// DIO_UNWRITTEN state.
func (m *model) ext4ExtMapBlocks(t *sim.Task, in *inode, lblk, n uint32, flags uint32) (ext4.BlockMap, bool) {
	t.Enter("ext4_ext_map_blocks")
	defer t.Exit()
	var io int64 = -1
	if m.v.InodeAIO && flags&GetBlocksCreate != 0 {
		io = in.iPrivate.LoadAs(t, lblMapEntryLoad)
		m.pinIOEnd(io)
		defer m.unpinIOEnd(io)
	}
	// ext4_find_extent may read extent blocks and sleep: another task
	// can run between the i_private load and its use.
	t.Point(lblFindExtent, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Read})
	cur, ok := m.lookup(t, in, lblk, n)
	if !ok {
		return cur, false
	}
	if flags&GetBlocksCreate == 0 {
		return cur, true
	}
	vf, extra := m.volFlags(flags)
	switch {
	case cur.Flags&ext4.EXT4_MAP_UNWRITTEN != 0 && flags&GetBlocksPreIO != 0:
		return m.ext4ExtHandleUnwrittenExtents(t, in, lblk, n, flags)
	case cur.Flags&ext4.EXT4_MAP_UNWRITTEN != 0:
		if flags&GetBlocksConvert != 0 {
			t.Point(lblConvertEndio, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
		} else {
			t.Point(lblConvertToInit, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
		}
	case cur.Flags&ext4.EXT4_MAP_MAPPED != 0:
		if !extra.ConvertUnwritten {
			return cur, true
		}
		t.Point(lblConvertToUnwritten, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
	default:
		if flags&GetBlocksConvert != 0 {
			// Conversion of a range that holds no extent: nothing to do.
			return cur, true
		}
		t.Point(lblAllocate, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
		if noFreeShortcut && m.vol.Superblock().FreeBlocksCount() == 0 {
			// Allocating into a hole on a full file system: core/ext4
			// would fail in its block allocator before changing anything
			// (ENOSPC). Answering here keeps its cached extent trees, which
			// it drops after any failed call; a full-size job, whose file
			// system fills up, would otherwise re-read its big tree from
			// the image for nearly every write.
			noFreeHits++
			m.extentsChanged(in, lblk, n) // as the failed call would record
			return ext4.BlockMap{LBlk: lblk}, false
		}
	}
	mp, err := m.vol.MapBlocksExtra(in.ino, lblk, n, vf, extra)
	if err != nil {
		// ENOSPC is an ordinary outcome (generic/300 ignores it): the DIO
		// ends short. Anything else is the model's problem.
		if !isENOSPC(err) {
			m.internal(t, fmt.Sprintf("ext4_ext_map_blocks(%s) at block %d", m.v.FlagString(flags), lblk), err)
		}
		m.extentsChanged(in, lblk, n)
		return mp, false
	}
	m.extentsChanged(in, lblk, n)
	if mp.SetIOUnwritten && flags&GetBlocksPreIO != 0 {
		m.ioOrState(t, in, io)
	}
	return mp, true
}

// ext4ExtHandleUnwrittenExtents is ext4_ext_handle_unwritten_extents
// (fs/ext4/extents.c) for a PRE_IO request: it loads i_private again at
// its own entry, splits the extent so the request stands alone, and
// applies the io-or-state rule.
func (m *model) ext4ExtHandleUnwrittenExtents(t *sim.Task, in *inode, lblk, n uint32, flags uint32) (ext4.BlockMap, bool) {
	t.Enter("ext4_ext_handle_unwritten_extents")
	defer t.Exit()
	var io int64 = -1
	if m.v.InodeAIO {
		io = in.iPrivate.LoadAs(t, lblHandleUnwrittenLoad)
		m.pinIOEnd(io)
		defer m.unpinIOEnd(io)
	}
	t.Point(lblSplitConvert, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
	vf, extra := m.volFlags(flags)
	mp, err := m.vol.MapBlocksExtra(in.ino, lblk, n, vf, extra)
	if err != nil {
		if !isENOSPC(err) {
			m.internal(t, fmt.Sprintf("ext4_split_convert_extents at block %d", lblk), err)
		}
		m.extentsChanged(in, lblk, n)
		return mp, false
	}
	m.extentsChanged(in, lblk, n)
	if mp.SetIOUnwritten {
		m.ioOrState(t, in, io)
	}
	return mp, true
}

// ioOrState is the rule both PRE_IO paths apply: flag the io_end loaded
// from i_private, or with none set EXT4_STATE_DIO_UNWRITTEN. v4.6 no
// longer does this here (its get_block flags the dio's own io_end).
func (m *model) ioOrState(t *sim.Task, in *inode, io int64) {
	if m.v.IOEndInDio {
		return
	}
	if e := m.ioEndOf(io); e != nil {
		m.ext4SetIOUnwrittenFlag(t, in, e)
		return
	}
	in.state.Or(t, lblSetStateDioUnwritten, EXT4_STATE_DIO_UNWRITTEN)
}

// ext4ConvertUnwrittenExtents is ext4_convert_unwritten_extents
// (fs/ext4/extents.c) without a reserved handle: per extent, start a
// handle, map with IO_CONVERT_EXT (down_write(i_data_sem)), mark the
// inode dirty (a buffer lookup: check_irqs_on), stop the handle. Run in
// an interrupt it is the seed thread's panic.
func (m *model) ext4ConvertUnwrittenExtents(t *sim.Task, in *inode, off, size int64, io *ioEnd) {
	t.Enter("ext4_convert_unwritten_extents")
	defer t.Exit()
	var objs []string
	if io != nil && (t.InAtomic() || t.IRQsDisabled()) {
		// Only a verdict names them (might_sleep, check_irqs_on), and
		// only in atomic context; the context does not change here.
		objs = []string{io.describe(), fmt.Sprintf("converting %s bytes [%d, %d)", in.name, off, off+size)}
	}
	if size <= 0 {
		return
	}
	lblk := uint32(off / m.bs)
	end := uint32((off + size + m.bs - 1) / m.bs)
	for lblk < end {
		m.journalStart(t, objs...)
		mp, ok := m.ext4MapBlocks(t, in, lblk, end-lblk, GetBlocksIOConvertExt)
		m.ext4MarkInodeDirty(t, in, objs...)
		m.journalStop(t)
		if !ok || mp.Len == 0 {
			break
		}
		lblk += mp.Len
	}
}

// ext4MarkInodeDirty is ext4_mark_inode_dirty (fs/ext4/inode.c): it
// always looks up the inode-table buffer, and the per-CPU buffer-head LRU
// lookup calls check_irqs_on().
func (m *model) ext4MarkInodeDirty(t *sim.Task, in *inode, objs ...string) {
	t.Enter("ext4_mark_inode_dirty")
	defer t.Exit()
	t.Point(lblMarkInodeDirty, sim.Footprint{Loc: in.obj.Loc(), Access: sim.Write})
	if t.IRQsDisabled() && m.cont {
		// Continue mode: the BUG was reported already (might_sleep at
		// the journal start); go on to show what would have happened.
		return
	}
	t.CheckIRQsOn(objs...)
}

// ext4Fallocate is ext4_fallocate (fs/ext4/extents.c) for mode 0 or
// KEEP_SIZE: i_mutex, wait for every DIO (inode_dio_wait), then allocate
// unwritten extents under a handle and i_data_sem.
func (m *model) ext4Fallocate(t *sim.Task, in *inode, mode ext4.FallocMode, off, length int64) {
	t.Enter("ext4_fallocate")
	defer t.Exit()
	in.iMutex.Lock(t)
	m.inodeDioWait(t, in)
	m.journalStart(t)
	in.iDataSem.DownWrite(t)
	t.Point(lblFallocAlloc, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
	if err := m.vol.Fallocate(in.ino, mode, off, length); err != nil && !isENOSPC(err) {
		m.internal(t, fmt.Sprintf("fallocate %s [%d, %d)", mode, off, off+length), err)
	}
	m.extentsChangedBytes(in, off, length)
	in.iDataSem.UpWrite(t)
	if st, err := m.vol.Stat(in.ino); err == nil && int64(st.Size()) != in.iSize.Value() {
		in.iSize.StoreAs(t, lblISizeWrite, int64(st.Size()))
	}
	m.journalStop(t)
	in.iMutex.Unlock(t)
}

// ext4PunchHole is ext4_punch_hole (fs/ext4/inode.c): i_mutex,
// inode_dio_wait, then remove the ES entries and the extents under a
// handle and i_data_sem.
func (m *model) ext4PunchHole(t *sim.Task, in *inode, off, length int64) {
	t.Enter("ext4_punch_hole")
	defer t.Exit()
	in.iMutex.Lock(t)
	m.inodeDioWait(t, in)
	m.journalStart(t)
	in.iDataSem.DownWrite(t)
	t.Point(lblPunchRemove, sim.Footprint{Loc: in.extents.Loc(), Access: sim.Write})
	size := in.iSize.Value()
	if off < size {
		length = min(length, size-off)
		first := (off + m.bs - 1) / m.bs
		last := (off + length) / m.bs
		if last > first {
			in.esRemove(uint32(first), uint32(last-first))
			in.blocks(last)
			for b := first; b < last; b++ {
				in.owner[b] = 0
			}
		}
		// ENOSPC (splitting an extent needs a block) fails the punch,
		// which generic/300 ignores; the kernel's METADATA_NOFAIL
		// reserve is not modelled.
		if err := m.vol.PunchHole(in.ino, off, length); err != nil && !isENOSPC(err) {
			m.internal(t, fmt.Sprintf("punch hole [%d, %d)", off, off+length), err)
		}
		m.extentsChangedBytes(in, off, length)
	}
	in.iDataSem.UpWrite(t)
	m.journalStop(t)
	in.iMutex.Unlock(t)
}
