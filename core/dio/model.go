package dio

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"ext4play/core/ext4"
	"ext4play/core/fio"
	"ext4play/core/sim"
	"ext4play/core/trace"
)

// ErrBadInput is matched (errors.Is) by every error about a scenario,
// workload or option the model cannot run.
var ErrBadInput = errors.New("dio: bad input")

// EIOCBQUEUED is the kernel's -EIOCBQUEUED (529): the AIO was submitted
// and completes later through ki_complete.
const EIOCBQUEUED = -529

// EXT4_IO_END_UNWRITTEN is the io_end flag (fs/ext4/ext4.h).
const EXT4_IO_END_UNWRITTEN = 0x1

// EXT4_STATE_DIO_UNWRITTEN is the inode state bit value in the model's
// state word.
const EXT4_STATE_DIO_UNWRITTEN = 0x1

// DIO_MAX_BLOCKS caps one DIO get_block call (fs/ext4/ext4.h).
const DIO_MAX_BLOCKS = 4096

// model is one run's world: the simulator, the variant, the ext4 volume
// and the in-core inodes.
type model struct {
	s       *sim.Sim
	v       *Variant
	nolock  bool // mount -o dioread_nolock
	cont    bool // continue past the first BUG
	vol     *ext4.Volume
	bs      int64
	bdev    *sim.BlockQueue // the scratch device's request queue
	doneWQ  *sim.Workqueue  // sb->s_dio_done_wq, created on first defer
	journal *sim.LockMap    // jbd2_handle (lockdep only)
	sb      *sim.Obj
	inodes  []*inode
	ioends  map[int32]*ioEnd
	// freed io_ends still reachable by ioEndOf (pinned, or in i_private);
	// see forgetIOEnd.
	ioendsHeld []*ioEnd
	nextIO     int
	arena      *Arena
	// short holds the writes that ended short (ENOSPC): fio does not
	// verify a write that failed, so neither does the model.
	short map[[2]uint64]bool
	err   error // first internal error from core/ext4 (reported as a verdict)
}

// inode is struct ext4_inode_info (fs/ext4/ext4.h) for one file, with the
// VFS inode fields the DIO path uses.
type inode struct {
	ino        uint32
	idx        int // index in model.inodes (its buffers in the arena)
	name       string
	obj        *sim.Obj
	iMutex     *sim.Mutex // inode->i_mutex
	iDataSem   *sim.RWSem // ei->i_data_sem
	iPrivate   *sim.Var   // inode->i_private: the current DIO io_end (Ref, -1 = NULL)
	iDioCount  *sim.Var   // inode->i_dio_count
	iUnwritten *sim.Var   // ei->i_unwritten
	iIoendCnt  *sim.Var   // ei->i_ioend_count (up to 4.5)
	state      *sim.Var   // ei->i_state_flags: EXT4_STATE_DIO_UNWRITTEN
	iSize      *sim.Var   // inode->i_size
	extents    *sim.Var   // the extent tree (footprint only; value = changes)
	esTree     *sim.Var   // the extent-status cache (footprint only)
	dioWait    *sim.WaitQueue
	unwrWait   *sim.WaitQueue
	esCached   []bool            // per logical block: in the ES cache
	exts       []ext4.ExtentInfo // snapshot of the extent tree for lookups
	extsValid  bool
	bigTree    bool    // more than snapshotExtentsMax extents: look up through core/ext4
	owner      []int32 // per logical block: the write whose data is there (0 = none)
}

// ioEnd is ext4_io_end_t (fs/ext4/ext4.h).
type ioEnd struct {
	obj    *sim.Obj
	flag   *sim.Var
	offset *sim.Var
	size   *sim.Var
	in     *inode
	owner  *kiocb // the DIO that allocated it (desc: job, op and range)
	pins   int32  // tasks holding its loc from an i_private load (pinIOEnd)
}

func (io *ioEnd) describe() string {
	return fmt.Sprintf("%s (allocated by %s)", io.obj.Name(), io.owner.desc())
}

func (m *model) newInode(ino uint32, name string, size int64) *inode {
	s := m.s
	o := s.NewObj("inode", fmt.Sprintf("inode %d (%s)", ino, name))
	in := &inode{ino: ino, name: name, obj: o, idx: len(m.inodes)}
	in.iMutex = s.NewMutexClass(name+".i_mutex", "i_mutex")
	in.iDataSem = s.NewRWSemClass(name+".i_data_sem", "i_data_sem")
	in.iPrivate = o.NewVar("i_private", -1, sim.Ref)
	in.iDioCount = o.NewVar("i_dio_count", 0, sim.Dec)
	in.iUnwritten = o.NewVar("i_unwritten", 0, sim.Dec)
	if m.v.IOEndCount {
		in.iIoendCnt = o.NewVar("i_ioend_count", 0, sim.Dec)
	}
	in.state = o.NewVar("i_state(DIO_UNWRITTEN)", 0, sim.Hex)
	in.iSize = o.NewVar("i_size", size, sim.Dec)
	in.extents = o.NewVar("extent tree", 0, sim.Dec)
	in.esTree = o.NewVar("i_es_tree", 0, sim.Dec)
	in.dioWait = s.NewWaitQueue(name + ".i_dio_count==0")
	in.unwrWait = s.NewWaitQueue(name + ".i_unwritten==0")
	m.inodes = append(m.inodes, in)
	m.noteInitialExtents(in)
	return in
}

// blocks grows the per-block tables to hold n blocks.
func (in *inode) blocks(n int64) {
	for int64(len(in.owner)) < n {
		in.owner = append(in.owner, 0)
		in.esCached = append(in.esCached, false)
	}
}

func (in *inode) esLookup(lblk, n uint32) bool {
	in.blocks(int64(lblk) + int64(n))
	for b := lblk; b < lblk+n; b++ {
		if !in.esCached[b] {
			return false
		}
	}
	return true
}

func (in *inode) esInsert(lblk, n uint32) {
	in.blocks(int64(lblk) + int64(n))
	for b := lblk; b < lblk+n; b++ {
		in.esCached[b] = true
	}
}

func (in *inode) esRemove(lblk, n uint32) {
	in.blocks(int64(lblk) + int64(n))
	for b := lblk; b < lblk+n; b++ {
		in.esCached[b] = false
	}
}

// snapshotExtentsMax bounds the extent snapshot: copying the tree after
// every change is cheap for the few extents of a browser-sized scenario
// and quadratic for the full-size job's thousands, which look up through
// core/ext4's cached tree instead (a binary search there too).
var snapshotExtentsMax = 256

// lookup maps [lblk, lblk+n) without changing anything, as
// ext4_ext_map_blocks does without CREATE: the extent holding lblk
// (MAPPED, or UNWRITTEN without MAPPED) or the hole up to the next one.
// It reads a snapshot of the extent tree taken after the last change, or
// for a big tree asks core/ext4 (a lookup-only MapBlocks, which changes
// and writes nothing); both give the same answer.
func (m *model) lookup(t *sim.Task, in *inode, lblk, n uint32) (ext4.BlockMap, bool) {
	if !in.extsValid && !in.bigTree {
		if in.exts == nil {
			in.exts = m.arena.extBuf(in.idx)
		}
		exts, err := m.vol.AppendExtents(in.exts[:0], in.ino)
		if err != nil {
			m.internal(t, "ext4_ext_map_blocks lookup", err)
			return ext4.BlockMap{LBlk: lblk}, false
		}
		m.arena.keepExtBuf(in.idx, exts)
		if len(exts) > snapshotExtentsMax {
			in.bigTree, in.exts = true, nil
		} else {
			in.exts, in.extsValid = exts, true
		}
	}
	if in.bigTree {
		mp, err := m.vol.MapBlocks(in.ino, lblk, n, 0)
		if err != nil {
			m.internal(t, "ext4_ext_map_blocks lookup", err)
			return ext4.BlockMap{LBlk: lblk}, false
		}
		return mp, true
	}
	mp := ext4.BlockMap{LBlk: lblk, Len: n}
	i := extentIndex(in.exts, lblk)
	if i < len(in.exts) {
		e := in.exts[i]
		if lblk < e.LBlk {
			mp.Len = min(n, e.LBlk-lblk) // the hole up to the next extent
			return mp, true
		}
		off := lblk - e.LBlk
		mp.PBlk = e.PBlk + uint64(off)
		mp.Len = min(n, e.Len-off)
		mp.Flags = ext4.EXT4_MAP_MAPPED
		if e.Unwritten {
			mp.Flags = ext4.EXT4_MAP_UNWRITTEN
		}
	}
	return mp, true
}

// extentIndex returns the index of the first extent of exts (sorted, not
// overlapping, as core/ext4 checks when it loads a tree) that ends after
// lblk: the one holding lblk if any, else the next one; len(exts) if none.
func extentIndex(exts []ext4.ExtentInfo, lblk uint32) int {
	lo, hi := 0, len(exts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if uint64(exts[mid].LBlk)+uint64(exts[mid].Len) <= uint64(lblk) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// changed invalidates the lookup snapshot after a change to the extents.
func (in *inode) changed() {
	in.extsValid = false
	in.extents.Set(in.extents.Value() + 1)
}

// extentsChanged is changed after a change to the extents of blocks
// [lblk, lblk+n), the only blocks whose mapping a map, convert, fallocate
// or punch can change. A recorded run notes their mapping now (EvExtent
// events on the extent-tree counter), so the trace alone gives the file's
// extent map at every step; explore, which records nothing, pays nothing.
func (m *model) extentsChanged(in *inode, lblk, n uint32) {
	in.changed()
	if in.extents.Recording() {
		m.noteExtents(in, lblk, n)
	}
}

// extentsChangedBytes is extentsChanged for the blocks holding bytes
// [off, off+length).
func (m *model) extentsChangedBytes(in *inode, off, length int64) {
	if length <= 0 || off < 0 {
		in.changed()
		return
	}
	first, end := off/m.bs, (off+length+m.bs-1)/m.bs
	m.extentsChanged(in, uint32(min(first, 1<<32-1)), uint32(min(end-first, 1<<32-1-first)))
}

// noteExtents records how [lblk, lblk+n) of in is mapped, one EvExtent per
// run, read through lookup-only MapBlocks calls (which change nothing).
func (m *model) noteExtents(in *inode, lblk, n uint32) {
	end := uint64(lblk) + uint64(n)
	for b := uint64(lblk); b < end; {
		want := uint32(min(end-b, 1<<31))
		mp, err := m.vol.MapBlocks(in.ino, uint32(b), want, 0)
		if err != nil || mp.Len == 0 {
			// Nothing to say about the rest; the run's verdicts report
			// core/ext4's errors.
			return
		}
		st := trace.ExtHole
		switch {
		case mp.Flags&ext4.EXT4_MAP_UNWRITTEN != 0:
			st = trace.ExtUnwritten
		case mp.Flags&ext4.EXT4_MAP_MAPPED != 0:
			st = trace.ExtWritten
		}
		in.extents.Note(trace.ExtentEvent(0, uint32(b), mp.Len, st, mp.PBlk))
		b += uint64(mp.Len)
	}
}

// noteInitialExtents records the extents a file already has when the
// model opens it (a sample image's file), or a zero-length event for an
// empty one, so the extent map knows the file from this step on.
func (m *model) noteInitialExtents(in *inode) {
	if !in.extents.Recording() {
		return
	}
	in.extents.Note(trace.ExtentEvent(0, 0, 0, trace.ExtHole, 0))
	exts, err := m.vol.Extents(in.ino)
	if err != nil {
		return
	}
	for _, e := range exts {
		st := trace.ExtWritten
		if e.Unwritten {
			st = trace.ExtUnwritten
		}
		in.extents.Note(trace.ExtentEvent(0, e.LBlk, e.Len, st, e.PBlk))
	}
}

// internal records an error from core/ext4 as a verdict: the model asked
// the image for something it could not do.
func (m *model) internal(t *sim.Task, what string, err error) {
	if m.err == nil {
		m.err = err
	}
	t.Fail("ext4-error", fmt.Sprintf("%s: %v", what, err))
}

// ioEndOf returns the io_end whose object location is loc (an i_private value).
func (m *model) ioEndOf(loc int64) *ioEnd {
	if loc < 0 {
		return nil
	}
	return m.ioends[int32(loc)]
}

// pinIOEnd keeps the io_end at loc (an i_private value a task loaded and
// uses after a point) known to ioEndOf even if it is freed meanwhile, so
// that the use is still a use-after-free verdict. The caller defers
// unpinIOEnd(loc).
func (m *model) pinIOEnd(loc int64) {
	if e := m.ioEndOf(loc); e != nil {
		e.pins++
	}
}

func (m *model) unpinIOEnd(loc int64) {
	if e := m.ioEndOf(loc); e != nil {
		e.pins--
		m.sweepIOEnds()
	}
}

// forgetIOEnd drops a freed io_end from ioends once no lookup can reach
// it: nobody pinned it and its inode's i_private no longer holds it. Until
// then it waits in ioendsHeld (a handful at most). Without this the map
// grows with every DIO of a run.
func (m *model) forgetIOEnd(e *ioEnd) {
	m.ioendsHeld = append(m.ioendsHeld, e)
	m.sweepIOEnds()
}

// sweepIOEnds forgets the held io_ends that became unreachable; called
// after every i_private store and unpin.
func (m *model) sweepIOEnds() {
	keep := m.ioendsHeld[:0]
	for _, e := range m.ioendsHeld {
		if e.pins > 0 || e.in.iPrivate.Value() == int64(e.obj.Loc()) {
			keep = append(keep, e)
			continue
		}
		delete(m.ioends, e.obj.Loc())
	}
	clear(m.ioendsHeld[len(keep):])
	m.ioendsHeld = keep
}

// kiocb is struct kiocb plus the fio op it carries.
type kiocb struct {
	id        int32 // write id, for the per-block owner table
	job       *jobState
	op        fio.Op
	in        *inode
	async     bool
	overwrite bool   // the "overwrite" local of ext4_file_write_iter
	private   *ioEnd // iocb->private
	data      []byte // the payload, once generated
	ownData   bool   // data is an arena buffer (not the shared cache's)
}

// desc names the I/O in messages ("fio-0 write #3 racer [0, +131072)");
// built only when a message needs it.
func (iocb *kiocb) desc() string {
	kind := "write"
	if iocb.op.Kind == fio.OpRead {
		kind = "read"
	}
	op := iocb.op
	return fmt.Sprintf("%s %s #%d %s [%d, +%d)", iocb.job.job.Name, kind, op.Seq, iocb.in.name, op.Offset, op.Length)
}

// journalStart is ext4_journal_start / jbd2__journal_start: may sleep
// (and sleeping from an interrupt is the seed's BUG); for lockdep it is
// the jbd2_handle map, taken between i_mutex and i_data_sem.
func (m *model) journalStart(t *sim.Task, objs ...string) {
	t.Enter("jbd2__journal_start")
	t.Point(lblJournalStart, sim.Footprint{Loc: m.journal.Loc(), Access: sim.Write})
	t.MightSleep("fs/jbd2/transaction.c: jbd2__journal_start", objs...)
	m.journal.Acquire(t)
	t.Exit()
}

// journalStop is ext4_journal_stop.
func (m *model) journalStop(t *sim.Task) {
	t.Point(lblJournalStop, sim.Footprint{Loc: m.journal.Loc(), Access: sim.Write})
	m.journal.Release(t)
}

// inodeDioBegin is inode_dio_begin (include/linux/fs.h).
func (m *model) inodeDioBegin(t *sim.Task, in *inode) {
	in.iDioCount.AddAs(t, lblDioBegin, 1)
}

// inodeDioEnd is inode_dio_end (include/linux/fs.h): wakes inode_dio_wait.
func (m *model) inodeDioEnd(t *sim.Task, in *inode) {
	if in.iDioCount.AddAs(t, lblDioEnd, -1) == 0 {
		in.dioWait.WakeUp(t)
	}
}

// inodeDioWait is inode_dio_wait (fs/inode.c).
func (m *model) inodeDioWait(t *sim.Task, in *inode) {
	t.WaitEvent(in.dioWait, lblDioWait, func() bool { return in.iDioCount.Value() == 0 })
}

// payloads caches the bytes of verify blocks: explore reruns the same
// workload (the op seed is fixed), so each block is generated once. The
// cache stops growing at payloadCacheMax bytes (full-size workloads
// generate their data per run instead).
var (
	payloads        sync.Map // fio.VerifySpec -> []byte
	payloadBytes    atomic.Int64
	payloadCacheMax int64 = 64 << 20
)

// payload returns the bytes the write puts down, padded to whole blocks.
func (iocb *kiocb) payload() []byte {
	if iocb.data != nil {
		return iocb.data
	}
	if b, ok := payloads.Load(iocb.op.Data); ok {
		iocb.data = b.([]byte)
		return iocb.data
	}
	n := iocb.op.Length
	bs := int64(4096)
	n = (n + bs - 1) / bs * bs
	var b []byte
	if payloadBytes.Add(n) <= payloadCacheMax {
		b = make([]byte, n)
		iocb.op.Data.FillAt(b, 0)
		payloads.Store(iocb.op.Data, b)
	} else {
		// Past the cache (full-size workloads): a buffer of the run's
		// own, returned by releasePayload once the op is checked.
		b = iocb.job.m.arena.payloadBuf(n)
		iocb.op.Data.FillAt(b, 0)
		iocb.ownData = true
	}
	iocb.data = b
	return b
}

// releasePayload drops the op's payload once nothing reads it any more
// (its completion was reaped and verified); a buffer of the run's own is
// reused by a later op.
func (iocb *kiocb) releasePayload() {
	if iocb.ownData {
		iocb.job.m.arena.putPayloadBuf(iocb.data)
		iocb.ownData = false
	}
	iocb.data = nil
}

// readFile reads the file's bytes [off, off+len(buf)) into buf through
// the image as a read would: written extents from their blocks, unwritten
// extents and holes as zeros (the extent snapshot gives the mapping).
func (m *model) readFile(t *sim.Task, in *inode, off int64, buf []byte) {
	clear(buf)
	if _, ok := m.lookup(t, in, 0, 1); !ok {
		return
	}
	dev := m.vol.Device()
	end := off + int64(len(buf))
	for pos := off; pos < end; {
		mp, runEnd, ok := m.runAt(t, in, pos, end)
		if !ok {
			return
		}
		if mp.Flags&ext4.EXT4_MAP_MAPPED != 0 {
			if _, err := dev.ReadAt(buf[pos-off:runEnd-off], int64(mp.PBlk)*m.bs+pos%m.bs); err != nil {
				m.internal(t, fmt.Sprintf("reading block %d", mp.PBlk), err)
			}
		}
		pos = runEnd
	}
}

// runAt maps the file bytes from pos (before end): the mapping of pos's
// block and where the bytes it covers end (at most end).
func (m *model) runAt(t *sim.Task, in *inode, pos, end int64) (ext4.BlockMap, int64, bool) {
	lb := pos / m.bs
	nblk := (end-1)/m.bs - lb + 1
	mp, ok := m.lookup(t, in, uint32(lb), uint32(nblk))
	return mp, min(end, (lb+int64(max(mp.Len, 1)))*m.bs), ok
}

// compareFile compares the file's bytes [off, off+len(want)), as readFile
// would read them, with want, looking at the device's blocks in place (no
// copy): whether they are equal, and whether the file's bytes are all
// zeros. The extent snapshot must be valid (readFile's lookup).
func (m *model) compareFile(t *sim.Task, in *inode, off int64, want []byte) (equal, zero bool) {
	equal, zero = true, true
	dev := m.vol.Device()
	end := off + int64(len(want))
	for pos := off; pos < end; {
		mp, runEnd, ok := m.runAt(t, in, pos, end)
		if !ok {
			return allZero(want[pos-off:]) && equal, zero
		}
		w := want[pos-off : runEnd-off]
		if mp.Flags&ext4.EXT4_MAP_MAPPED != 0 {
			p := int64(mp.PBlk)
			err := dev.View(p*m.bs+pos%m.bs, runEnd-pos, func(got []byte) {
				if equal && string(got) != string(w[:len(got)]) {
					equal = false
				}
				if zero && !allZero(got) {
					zero = false
				}
				w = w[len(got):]
			})
			if err != nil {
				// As readFile: the bytes that could not be read are zeros.
				m.internal(t, fmt.Sprintf("reading block %d", p), err)
				equal = equal && allZero(w)
			}
		} else if equal && !allZero(w) {
			equal = false
		}
		pos = runEnd
	}
	return equal, zero
}

// ExtentTreeLoc returns the location of inode ino's extent-tree counter in
// a trace of this model (the var its EvExtent events are recorded on), or
// -1 when the run never opened the inode.
func ExtentTreeLoc(tr *trace.Trace, ino uint32) int32 {
	prefix := fmt.Sprintf("inode %d (", ino)
	for i, l := range tr.Locs {
		if l.Kind != trace.LocVar || l.Name != "extent tree" || l.Parent < 0 || int(l.Parent) >= len(tr.Locs) {
			continue
		}
		if strings.HasPrefix(tr.Locs[l.Parent].Name, prefix) {
			return int32(i)
		}
	}
	return -1
}
