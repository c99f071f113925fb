package ext4

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"runtime"
	"sort"
	"sync"
	"unicode/utf8"
)

// BitmapBuckets is the number of cells of GroupReport.BitmapStrip.
const BitmapBuckets = 64

// hashMaxBytes bounds the file size whose sha256 Inspect computes; larger
// (typically sparse) files get no sha256 rather than minutes of hashing.
const hashMaxBytes = 1 << 30

// Inspect opens dev and reports everything in it.
func Inspect(dev Device) (*Report, error) {
	fs, err := Open(dev)
	if err != nil {
		return nil, err
	}
	return fs.Inspect(), nil
}

// InspectOptions tunes Inspect.
type InspectOptions struct {
	// SkipContent leaves out the sha256 of file contents (and symlink
	// targets stored in blocks): only metadata is read.
	SkipContent bool
}

// Inspect reads the whole filesystem: superblock, groups with bitmap
// strips, every in-use inode with its mapping and content hash, the
// directory tree and the journal superblock. Problems found on the way are
// in Report.Problems.
func (fs *FS) Inspect() *Report { return fs.InspectWith(InspectOptions{}) }

// InspectWith is Inspect with options.
func (fs *FS) InspectWith(opt InspectOptions) *Report {
	r := &Report{Superblock: fs.superblockReport(), Groups: []GroupReport{}, Inodes: []InodeReport{}, Paths: map[string]uint32{}}
	fs.walkBudget = 8*(fs.devSize/int64(fs.blockSize)) + 4096
	defer func() { fs.walkBudget = -1 }()
	// Work budgets proportional to the image: a hostile image cannot make
	// Inspect run longer than its size justifies.
	inodeBudget := fs.devSize/EXT4_GOOD_OLD_INODE_SIZE + 1024
	hashBudget := 2*fs.devSize + 64<<20
	if opt.SkipContent {
		hashBudget = -1
	}
	for g := range fs.GroupCount() {
		r.Groups = append(r.Groups, fs.groupReport(g))
	}
	// Files are hashed by workers while the walk goes on.
	hp := fs.newHashPipeline()
	for g := range fs.GroupCount() {
		for _, ino := range fs.inodesInUse(g) {
			if inodeBudget--; inodeBudget < 0 {
				fs.problem("inode bitmaps", "more in-use inodes than the image can hold; stopped listing")
				break
			}
			if ir, ok := fs.inodeReport(ino, &hashBudget, len(r.Inodes), &hp.pending); ok {
				r.Inodes = append(r.Inodes, ir)
			}
			if len(hp.pending) >= hashChunkJobs {
				hp.flush()
			}
		}
	}
	// The tree and the journal are read while the workers finish; their
	// problems are listed after the hashing ones, as when run in turn.
	later := fs.deferProblems(func() {
		fs.walkPaths(r.Paths)
		r.Journal = fs.journalReport()
	})
	hp.finish(r.Inodes)
	for _, p := range later {
		fs.problem(p.Where, "%s", p.What)
	}
	r.Problems = fs.Problems()
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	return r
}

func (fs *FS) superblockReport() SuperblockReport {
	sb := fs.sb
	s := SuperblockReport{
		BlockSize: fs.blockSize, BlocksCount: sb.BlocksCount(), FreeBlocksCount: sb.FreeBlocksCount(),
		ReservedBlocksCount: sb.RBlocksCount(), InodesCount: sb.InodesCount, FreeInodesCount: sb.FreeInodesCount,
		FirstDataBlock: sb.FirstDataBlock, BlocksPerGroup: sb.BlocksPerGroup, InodesPerGroup: sb.InodesPerGroup,
		InodeSize: uint16(fs.inodeSize), DescSize: uint16(sb.DescSizeBytes()), FirstIno: sb.FirstInode(),
		UUID: FormatUUID(sb.UUID), VolumeName: CStr(sb.VolumeName[:]), Features: sb.Features().Names(),
		State: sb.State.String(), RevLevel: sb.RevLevel, Mtime: sb.MtimeFull(), Wtime: sb.WtimeFull(),
		Ctime: sb.MkfsTimeFull(), LastMounted: CStr(sb.LastMounted[:]), Magic: sb.Magic,
		ReservedGDTBlocks: sb.ReservedGdtBlocks, LogGroupsPerFlex: sb.LogGroupsPerFlex,
		HashVersion: sb.DefHashVersion.String(), Checksum: sb.Checksum, JournalInum: sb.JournalInum,
		MountOpts: CStr(sb.MountOpts[:]), DefaultMountOpts: sb.DefaultMountOpts.Names(),
		Errors: sb.Errors.String(), CreatorOS: sb.CreatorOS.String(), GroupCount: fs.GroupCount(),
	}
	s.Flags = []string{}
	for i, n := range []string{"signed_directory_hash", "unsigned_directory_hash", "test_filesystem"} {
		if sb.Flags&(1<<i) != 0 {
			s.Flags = append(s.Flags, n)
		}
	}
	s.MntCount, s.MaxMntCount = sb.MntCount, sb.MaxMntCount
	s.Lastcheck = int64(sb.Lastcheck) | int64(sb.LastcheckHi)<<32
	s.MinExtraIsize, s.WantExtraIsize = sb.MinExtraIsize, sb.WantExtraIsize
	s.DefResuid, s.DefResgid = sb.DefResuid, sb.DefResgid
	s.KbytesWritten, s.OverheadClusters = sb.KbytesWritten, sb.OverheadClusters
	var seed [16]byte
	for i, w := range sb.HashSeed {
		binary.LittleEndian.PutUint32(seed[4*i:], w)
	}
	s.HashSeed = FormatUUID(seed)
	if sb.HasMetadataCsum() {
		s.ChecksumType = "crc32c"
	}
	if s.Features == nil {
		s.Features = []string{}
	}
	return s
}

// readBitmap reads a bitmap block; ok is false when it cannot be read.
func (fs *FS) readBitmap(b uint64, where string) ([]byte, bool) {
	buf := make([]byte, fs.blockSize)
	if err := fs.readBlock(b, buf); err != nil {
		fs.problem(where, "%v", err)
		return nil, false
	}
	return buf, true
}

// clustersInGroup is the number of bitmap bits in use for group g.
func (fs *FS) clustersInGroup(g uint32) uint32 {
	ratio := fs.clusterSize() / fs.blockSize
	return (fs.groupBlocks(g) + ratio - 1) / ratio
}

func (fs *FS) groupReport(g uint32) GroupReport {
	gd := &fs.groups[g]
	first := fs.groupFirstBlock(g)
	gr := GroupReport{
		Index: g, BlockBitmap: gd.BlockBitmap(), InodeBitmap: gd.InodeBitmap(), InodeTable: gd.InodeTable(),
		FreeBlocksCount: gd.FreeBlocksCount(), FreeInodesCount: gd.FreeInodesCount(), UsedDirsCount: gd.UsedDirsCount(),
		Flags: gd.Flags.Names(), ItableUnused: gd.ItableUnused(), Checksum: gd.Checksum,
		FirstBlock: first, LastBlock: first + uint64(fs.groupBlocks(g)) - 1,
	}
	csum := fs.sb.HasMetadataCsum()
	nbits := fs.clustersInGroup(g)
	var bm []byte
	if gd.Flags&EXT4_BG_BLOCK_UNINIT != 0 {
		// Not initialised on disk: the kernel derives it
		// (ext4_init_block_bitmap); only the group's own metadata at its
		// start is in use, which the free count tells.
		bm = make([]byte, fs.blockSize)
		used := nbits - min(nbits, gd.FreeBlocksCount())
		for i := range used {
			bm[i/8] |= 1 << (i % 8)
		}
	} else {
		where := fmt.Sprintf("group %d block bitmap (block %d)", g, gd.BlockBitmap())
		var ok bool
		if bm, ok = fs.readBitmap(gd.BlockBitmap(), where); ok {
			if csum {
				n := fs.sb.ClustersPerGroup / 8
				if n <= fs.blockSize {
					got := fs.csum.BitmapCsum(bm[:n])
					if !fs.sb.Is64Bit() || fs.sb.DescSize < 0x3A {
						got &= 0xFFFF
					}
					if want := gd.BlockBitmapCsum(); got != want {
						fs.problem(where, "block bitmap checksum 0x%08x, computed 0x%08x", want, got)
					}
				}
			}
			if used := popcount(bm, nbits); nbits-used != gd.FreeBlocksCount() {
				fs.problem(where, "%d free blocks in the bitmap, descriptor says %d", nbits-used, gd.FreeBlocksCount())
			}
		}
	}
	gr.BitmapStrip = make([]uint8, BitmapBuckets)
	if bm != nil {
		for i := range BitmapBuckets {
			lo := uint32(uint64(nbits) * uint64(i) / BitmapBuckets)
			hi := uint32(uint64(nbits) * uint64(i+1) / BitmapBuckets)
			if hi <= lo {
				continue
			}
			used := 0
			for b := lo; b < hi; b++ {
				if bm[b/8]&(1<<(b%8)) != 0 {
					used++
				}
			}
			gr.BitmapStrip[i] = uint8(used * 255 / int(hi-lo))
		}
	}
	if gd.Flags&EXT4_BG_INODE_UNINIT == 0 {
		where := fmt.Sprintf("group %d inode bitmap (block %d)", g, gd.InodeBitmap())
		if im, ok := fs.readBitmap(gd.InodeBitmap(), where); ok {
			if csum {
				got := fs.csum.BitmapCsum(im[:fs.sb.InodesPerGroup/8])
				if !fs.sb.Is64Bit() || fs.sb.DescSize < 0x3C {
					got &= 0xFFFF
				}
				if want := gd.InodeBitmapCsum(); got != want {
					fs.problem(where, "inode bitmap checksum 0x%08x, computed 0x%08x", want, got)
				}
			}
			if used := popcount(im, fs.sb.InodesPerGroup); fs.sb.InodesPerGroup-used != gd.FreeInodesCount() {
				fs.problem(where, "%d free inodes in the bitmap, descriptor says %d", fs.sb.InodesPerGroup-used, gd.FreeInodesCount())
			}
		}
	}
	if gr.Flags == nil {
		gr.Flags = []string{}
	}
	return gr
}

// popcount counts set bits among the first n bits of b.
func popcount(b []byte, n uint32) uint32 {
	var c int
	full := n / 8
	for _, x := range b[:full] {
		c += bits.OnesCount8(x)
	}
	for i := full * 8; i < n; i++ {
		if b[i/8]&(1<<(i%8)) != 0 {
			c++
		}
	}
	return uint32(c)
}

// inodesInUse lists the inodes of group g marked in its inode bitmap.
func (fs *FS) inodesInUse(g uint32) []uint32 {
	gd := &fs.groups[g]
	if gd.Flags&EXT4_BG_INODE_UNINIT != 0 {
		return nil
	}
	buf := make([]byte, fs.blockSize)
	if err := fs.readBlock(gd.InodeBitmap(), buf); err != nil {
		return nil // reported by groupReport
	}
	var out []uint32
	ipg := fs.sb.InodesPerGroup
	for i := range ipg {
		if buf[i/8]&(1<<(i%8)) != 0 {
			out = append(out, g*ipg+i+1)
		}
	}
	return out
}

// inodeReport builds one InodeReport; ok is false for reserved inodes that
// are not used (mode 0).
func (fs *FS) inodeReport(ino uint32, hashBudget *int64, index int, jobs *[]hashJob) (InodeReport, bool) {
	in, raw, err := fs.inode(ino)
	if err != nil {
		fs.problem(fs.inodeWhere(ino), "%v", err)
		return InodeReport{}, false
	}
	if ino < fs.sb.FirstInode() && in.Mode == 0 && in.LinksCount == 0 {
		return InodeReport{}, false
	}
	m := fs.fileMap(ino, in)
	ir := InodeReport{
		Ino: ino, Type: in.Mode.TypeName(), Mode: in.Mode.Perm(), Size: in.Size(), Links: in.LinksCount,
		Flags: in.Flags.Names(), Mapping: m.Kind, Extents: m.Runs, Tree: m.Tree,
		Blocks: in.Blocks(fs.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_HUGE_FILE), fs.blockSize),
		UID:    in.UID(), GID: in.GID(), Mtime: int64(in.Mtime) | int64(in.MtimeExtra&3)<<32,
	}
	if ir.Extents == nil {
		ir.Extents = []ExtentReport{}
	}
	if in.Mode&S_IFMT == 0 {
		fs.problem(fs.inodeWhere(ino), "in use in the bitmap but i_mode has no file type")
	}
	if xs := fs.xattrs(ino, in, raw); len(xs) > 0 {
		ir.Xattrs = map[string]string{}
		for _, x := range xs {
			ir.Xattrs[x.Name] = printable(x.Value)
		}
	}
	hashable := (in.Mode.IsRegular() && ino >= fs.sb.FirstInode()) || in.Mode.IsSymlink()
	if hashable && in.Size() <= hashMaxBytes && int64(in.Size()) <= *hashBudget {
		*hashBudget -= int64(in.Size())
		*jobs = append(*jobs, hashJob{index: index, ino: ino, symlink: in.Mode.IsSymlink(), rd: fs.readerFor(ino, in, raw, m)})
	}
	return ir, true
}

// printable renders an xattr value: as text when it is printable UTF-8,
// else as hex.
func printable(v []byte) string {
	if utf8.Valid(v) {
		ok := true
		for _, r := range string(v) {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
				ok = false
				break
			}
		}
		if ok {
			return string(v)
		}
	}
	return "0x" + hex.EncodeToString(v)
}

// walkPaths fills paths by a breadth-first walk from the root, visiting
// each directory once (hard-linked or looping directories end there) and
// bounding the directory blocks read.
func (fs *FS) walkPaths(paths map[string]uint32) {
	type item struct {
		path string
		ino  uint32
	}
	paths["/"] = EXT4_ROOT_INO
	visited := map[uint32]bool{EXT4_ROOT_INO: true}
	queue := []item{{"/", EXT4_ROOT_INO}}
	entryBudget := fs.devSize/int64(DirRecLen(1)) + 1024
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		ents, err := fs.ReadDir(it.ino)
		if err != nil {
			fs.problem(fmt.Sprintf("directory %s (inode %d)", it.path, it.ino), "%v", err)
			continue
		}
		sort.SliceStable(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			if entryBudget--; entryBudget < 0 {
				fs.problem("directory tree", "more entries than the image can hold; stopped walking")
				return
			}
			p := it.path + e.Name
			if it.path != "/" {
				p = it.path + "/" + e.Name
			}
			paths[p] = e.Ino
			if e.Type == EXT4_FT_DIR || e.Type == EXT4_FT_UNKNOWN {
				if visited[e.Ino] {
					continue
				}
				in, err := fs.Inode(e.Ino)
				if err != nil || !in.Mode.IsDir() {
					continue
				}
				visited[e.Ino] = true
				queue = append(queue, item{p, e.Ino})
			}
		}
	}
}

// journalReport reads the jbd2 superblock of an internal journal.
func (fs *FS) journalReport() *JournalReport {
	sb := fs.sb
	if !sb.HasCompat(EXT4_FEATURE_COMPAT_HAS_JOURNAL) || sb.JournalInum == 0 {
		return nil
	}
	where := fmt.Sprintf("journal superblock (inode %d)", sb.JournalInum)
	buf := make([]byte, JournalSuperblockSize)
	if _, err := fs.ReadAt(sb.JournalInum, buf, 0); err != nil {
		fs.problem(where, "%v", err)
		return nil
	}
	js, err := DecodeJournalSuperblock(buf)
	if err != nil {
		fs.problem(where, "%v", err)
		return nil
	}
	if js.HasCsumV2or3() {
		if got := JournalSuperblockCsum(buf); got != js.Checksum {
			fs.problem(where, "journal superblock checksum 0x%08x, computed 0x%08x", js.Checksum, got)
		}
	}
	return &JournalReport{
		BlockType: js.Header.BlockType, BlockSize: js.BlockSize, MaxLen: js.MaxLen, First: js.First,
		Sequence: js.Sequence, Start: js.Start, Features: js.FeatureNames(), ChecksumType: js.ChecksumTypeName(),
		Checksum: js.Checksum,
	}
}

// hashJob is the content hash of one inode, computed apart from the walk
// so that several files are read at once (reads dominate: they overlap
// the I/O of a file-backed device and use every core).
type hashJob struct {
	index   int // into Report.Inodes
	ino     uint32
	symlink bool
	rd      *fileReader
	sum     string
	target  []byte
	err     error

	pieces []piece // regular block-mapped files: where the content is
	lo, hi int64   // device bytes the data pieces span
}

// run hashes the content through ReadAt, in pieces of len(buf): the
// reference path, used for symlinks (whose target is kept), inline data
// and whenever a faster path fails, so that errors are reported alike.
func (j *hashJob) run(buf []byte) {
	h := sha256.New()
	j.target = j.target[:0]
	j.err = j.rd.stream(buf, func(p []byte) {
		h.Write(p)
		if j.symlink && len(j.target) < 4096 {
			j.target = append(j.target, p...)
		}
	})
	j.sum = hex.EncodeToString(h.Sum(nil))
}

// deviceViewer is a Device that lends its bytes rather than copying them
// (*image.Device): content is then hashed straight from its memory.
type deviceViewer interface {
	View(off, n int64, fn func([]byte)) error
}

// zeros is hashed for holes and unwritten extents; never written.
var zeros [64 << 10]byte

// hashPieces hashes j's pieces, taking device bytes from span (the device
// bytes from spanOff on) when they lie in it, from the device's memory when
// it lends it, and reading them into buf otherwise. It reports false when a read fails; the caller then falls
// back to run, which reports the error as ReadAt does.
func (j *hashJob) hashPieces(dev Device, span []byte, spanOff int64, buf []byte) bool {
	h := sha256.New()
	view, _ := dev.(deviceViewer)
	for _, p := range j.pieces {
		switch {
		case p.zero:
			for n := p.n; n > 0; {
				m := min(n, int64(len(zeros)))
				h.Write(zeros[:m])
				n -= m
			}
		case p.phys >= spanOff && p.phys+p.n <= spanOff+int64(len(span)):
			h.Write(span[p.phys-spanOff : p.phys-spanOff+p.n])
		case view != nil:
			if err := view.View(p.phys, p.n, func(b []byte) { h.Write(b) }); err != nil {
				return false
			}
		default:
			for off := int64(0); off < p.n; {
				m := min(p.n-off, int64(len(buf)))
				if _, err := dev.ReadAt(buf[:m], p.phys+off); err != nil {
					return false
				}
				h.Write(buf[:m])
				off += m
			}
		}
	}
	j.sum = hex.EncodeToString(h.Sum(nil))
	return true
}

// Hash batching: small files that lie close together on the device are
// read with one ReadAt of up to hashSpanMax bytes and hashed from that
// buffer, rather than with a read per file or per block; a gap of more
// than hashGapMax unused bytes ends a batch.
const (
	hashSpanMax = 1 << 20
	hashGapMax  = 64 << 10
	hashBufSize = 256 << 10
)

// hashWork is one unit for a hash worker: jobs[first:last] in device
// order, read as one span [lo, hi) when batched.
type hashWork struct {
	first, last int
	lo, hi      int64
	batched     bool
}

// planHashWork orders the jobs (by device position, for locality; results
// go to each job's inode index, so the order does not show) and groups
// neighbours into batches.
func planHashWork(jobs []hashJob) []hashWork {
	for i := range jobs {
		j := &jobs[i]
		j.lo, j.hi = -1, -1
		if j.symlink || j.rd.data != nil {
			continue
		}
		j.pieces = j.rd.pieces(nil)
		for _, p := range j.pieces {
			if p.zero {
				continue
			}
			if j.lo < 0 || p.phys < j.lo {
				j.lo = p.phys
			}
			j.hi = max(j.hi, p.phys+p.n)
		}
	}
	// Jobs without device data (reference path or all zeros) first, then
	// by device position.
	sort.SliceStable(jobs, func(a, b int) bool { return jobs[a].lo < jobs[b].lo })
	var work []hashWork
	for i := 0; i < len(jobs); {
		j := &jobs[i]
		w := hashWork{first: i, last: i + 1, lo: j.lo, hi: j.hi}
		if j.pieces != nil && j.lo >= 0 && j.hi-j.lo <= hashSpanMax {
			w.batched = true
			for w.last < len(jobs) {
				k := &jobs[w.last]
				if k.pieces == nil || k.lo < 0 || k.lo-w.hi > hashGapMax || max(w.hi, k.hi)-w.lo > hashSpanMax {
					break
				}
				w.hi = max(w.hi, k.hi)
				w.last++
			}
		}
		work = append(work, w)
		i = w.last
	}
	return work
}

// hashChunkJobs is how many jobs the walk collects before handing them to
// the hash workers: enough to find neighbours on the device, few enough
// that hashing starts early.
const hashChunkJobs = 512

// hashPipeline hashes files on a few goroutines while Inspect walks the
// inodes. The workers only read the device and the jobs' own readers;
// results are stored in inode order at the end (finish), so the report
// does not depend on scheduling.
type hashPipeline struct {
	fs      *FS
	pending []hashJob   // collected by the walk, not yet handed out
	chunks  [][]hashJob // handed out, in walk order
	work    chan hashUnit
	wg      sync.WaitGroup
}

// hashUnit is one work unit of one chunk.
type hashUnit struct {
	jobs []hashJob
	w    hashWork
}

func (fs *FS) newHashPipeline() *hashPipeline {
	return &hashPipeline{fs: fs}
}

// flush hands the pending jobs to the workers, starting them on first use.
func (hp *hashPipeline) flush() {
	if len(hp.pending) == 0 {
		return
	}
	if hp.work == nil {
		hp.work = make(chan hashUnit, 64)
		// One worker per P; each holds up to 1.25 MiB of buffers.
		for range min(runtime.GOMAXPROCS(0), 16) {
			hp.wg.Add(1)
			go func() {
				defer hp.wg.Done()
				buf := make([]byte, hashBufSize)
				var span []byte
				for u := range hp.work {
					hp.fs.hashWork(&u.w, u.jobs, buf, &span)
				}
			}()
		}
	}
	jobs := hp.pending
	hp.pending = nil
	hp.chunks = append(hp.chunks, jobs)
	for _, w := range planHashWork(jobs) {
		hp.work <- hashUnit{jobs: jobs, w: w}
	}
}

// finish hashes what is left, waits for the workers and stores the
// results (or the read errors, as problems) in inode order.
func (hp *hashPipeline) finish(inodes []InodeReport) {
	hp.flush()
	if hp.work == nil {
		return
	}
	close(hp.work)
	hp.wg.Wait()
	fs := hp.fs
	for _, jobs := range hp.chunks {
		// planHashWork reordered the chunk by device position.
		sort.Slice(jobs, func(a, b int) bool { return jobs[a].index < jobs[b].index })
		for i := range jobs {
			j := &jobs[i]
			if j.err != nil {
				fs.problem(fs.inodeWhere(j.ino), "reading content: %v", j.err)
				continue
			}
			inodes[j.index].SHA256 = j.sum
			if j.symlink {
				inodes[j.index].Symlink = string(j.target)
			}
		}
	}
}

// hashWork hashes the jobs of one work unit.
func (fs *FS) hashWork(w *hashWork, jobs []hashJob, buf []byte, span *[]byte) {
	var s []byte
	if _, view := fs.dev.(deviceViewer); w.batched && !view {
		n := int(w.hi - w.lo)
		if cap(*span) < n {
			*span = make([]byte, max(n, hashSpanMax))
		}
		s = (*span)[:n]
		if _, err := fs.dev.ReadAt(s, w.lo); err != nil {
			s = nil // each job reads on its own and reports its error
		}
	}
	for i := w.first; i < w.last; i++ {
		j := &jobs[i]
		if j.pieces == nil || !j.hashPieces(fs.dev, s, w.lo, buf) {
			j.run(buf)
		}
	}
}
