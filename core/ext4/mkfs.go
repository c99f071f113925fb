package ext4

import (
	"encoding/binary"
	"fmt"

	"ext4play/core/image"
)

// Mkfs makes a new ext4 filesystem in memory, laid out as `mke2fs -t ext4`
// 1.47 lays it out for the same options (misc/mke2fs.c). The device is
// sparse: only non-zero metadata is stored, so zeroed inode tables, the
// empty journal and BLOCK_UNINIT bitmaps cost nothing, and the work is
// per group, never per block.
func Mkfs(o MkfsOptions) (*image.Device, error) {
	dev := image.New(o.Size)
	if err := MkfsOn(dev, o); err != nil {
		return nil, err
	}
	return dev, nil
}

// MkfsOn makes the filesystem on dev, which must read as zeros (a fresh
// image.New); o.Size 0 means the device size.
func MkfsOn(dev *image.Device, o MkfsOptions) error {
	if o.Size == 0 {
		o.Size = dev.Size()
	}
	if o.Size > dev.Size() {
		return fmt.Errorf("%w: size %d is larger than the device (%d bytes)", ErrMkfs, o.Size, dev.Size())
	}
	r, err := o.resolve()
	if err != nil {
		return err
	}
	p, err := planMkfs(r.geo)
	if err != nil {
		return err
	}
	w := &mkfsWriter{dev: dev, r: r, p: p, bs: uint64(p.blockSize)}
	dev.Reserve(p.chunksHint())
	return w.write()
}

// chunksHint is about how many device chunks mkfs stores (superblock and
// descriptor blocks, reserved GDT blocks, initialised bitmaps, a few
// inode table, directory and journal blocks), so the device can size its
// chunk map once instead of growing it.
func (p *mkfsPlan) chunksHint() int {
	n := 16 + int(p.reservedGDT)
	for i := range p.groups {
		g := &p.groups[i]
		if g.hasSuper {
			n += 1 + int(p.descBlocks)
		}
		if !g.blockUninit {
			n++
		}
		if !g.inodeUninit {
			n++
		}
	}
	return n
}

// mkfsWriter turns a plan into bytes on the device.
type mkfsWriter struct {
	dev *image.Device
	r   *mkfsResolved
	p   *mkfsPlan
	bs  uint64
	sb  *Superblock
	cs  *Checksummer
	gds []GroupDesc
	err error
}

func (w *mkfsWriter) writeBlock(blk uint64, b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.dev.WriteAt(b, int64(blk*w.bs)); err != nil {
		w.err = fmt.Errorf("%w: writing block %d: %w", ErrMkfs, blk, err)
	}
}

func (w *mkfsWriter) write() error {
	w.buildSuperblock()
	w.cs = NewChecksummer(w.sb)
	inodes := w.buildInodes()
	w.writeDirectories()
	w.writeResizeInode()
	w.writeJournal(inodes[EXT4_JOURNAL_INO])
	w.writeInodes(inodes)
	w.buildGroupDescs()
	w.writeBitmaps()
	w.writeSuperblocksAndGDT()
	return w.err
}

func log2(n uint64) uint32 {
	var l uint32
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}

func (w *mkfsWriter) buildSuperblock() {
	p, r := w.p, w.r
	t := uint32(r.time)
	sb := &Superblock{
		InodesCount:       p.inodesCount,
		FirstDataBlock:    uint32(p.firstDataBlock),
		LogBlockSize:      log2(w.bs) - 10,
		LogClusterSize:    log2(w.bs) - 10,
		BlocksPerGroup:    p.blocksPerGroup,
		ClustersPerGroup:  p.blocksPerGroup,
		InodesPerGroup:    p.inodesPerGroup,
		FreeInodesCount:   p.freeInodes,
		Wtime:             t,
		MaxMntCount:       -1,
		Magic:             0xEF53,
		State:             1, // EXT2_VALID_FS
		Errors:            1, // EXT2_ERRORS_CONTINUE
		Lastcheck:         t,
		RevLevel:          1, // EXT2_DYNAMIC_REV
		FirstIno:          EXT4_GOOD_OLD_FIRST_INO,
		InodeSize:         uint16(r.geo.inodeSize),
		UUID:              r.uuid,
		ReservedGdtBlocks: uint16(p.reservedGDT),
		DefHashVersion:    1,               // DX_HASH_HALF_MD4
		DefaultMountOpts:  0x0004 | 0x0008, // user_xattr acl (mke2fs.conf default_mntopts)
		MkfsTime:          t,
		Flags:             0x0001, // EXT2_FLAGS_SIGNED_HASH, as mke2fs on x86
		OverheadClusters:  uint32(p.overhead),
	}
	sb.SetFeatures(r.features)
	copy(sb.VolumeName[:], r.label)
	for i := range sb.HashSeed {
		sb.HashSeed[i] = binary.LittleEndian.Uint32(r.hashSeed[4*i:])
	}
	sb.SetBlocksCount(p.blocksCount)
	sb.SetRBlocksCount(p.rBlocksCount)
	sb.SetFreeBlocksCount(p.freeBlocks)
	if r.geo.feat.bit64 {
		sb.DescSize = uint16(p.descSize)
	}
	if r.geo.inodeSize >= mkfsLargeInodeSize {
		sb.MinExtraIsize = mkfsExtraIsize
		sb.WantExtraIsize = mkfsExtraIsize
	}
	if r.geo.feat.flexBG {
		sb.LogGroupsPerFlex = r.geo.logGroupsPerFlex
	}
	if r.geo.feat.metadataCsum {
		sb.ChecksumType = 1 // EXT2_CRC32C_CHKSUM
	}
	if r.geo.feat.hasJournal {
		sb.JournalInum = EXT4_JOURNAL_INO
		sb.JnlBackupType = 1 // EXT3_JNL_BACKUP_BLOCKS
	}
	w.sb = sb
}

// mkfsExtraIsize is sizeof(struct ext2_inode_large) - 128 in e2fsprogs
// 1.47: the i_extra_isize mke2fs gives every inode it writes.
const (
	mkfsExtraIsize     = 32
	mkfsLargeInodeSize = 128 + mkfsExtraIsize
)

// newInode returns an inode with mke2fs's timestamps and extra size.
func (w *mkfsWriter) newInode(mode FileMode, links uint16) *Inode {
	t := uint32(w.r.time)
	in := &Inode{Mode: mode, LinksCount: links, Atime: t, Ctime: t, Mtime: t}
	if w.r.geo.inodeSize >= mkfsLargeInodeSize {
		in.ExtraIsize = mkfsExtraIsize
		in.Crtime = t
	}
	return in
}

func (w *mkfsWriter) setBlocks(in *Inode, nblocks uint64) {
	sectors := nblocks * w.bs / 512
	in.BlocksLo = uint32(sectors)
	in.BlocksHigh = uint16(sectors >> 32)
}

// setExtentsInline fills i_block with a depth-0 extent tree holding exts
// (at most 4) and sets EXT4_EXTENTS_FL.
func setExtentsInline(in *Inode, exts []mkfsExtent) {
	var b [60]byte
	ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(len(exts)), Max: 4}.Encode(b[:])
	for i, e := range exts {
		x := Extent{Block: e.lblk}
		x.SetStart(e.pblk)
		x.SetLength(e.len, false)
		x.Encode(b[ExtentEntrySize*(i+1):])
	}
	in.SetBlockBytes(b[:])
	in.Flags |= EXT4_EXTENTS_FL
}

// runsOf groups a list of blocks into extents of contiguous runs.
func runsOf(blocks []uint64) []mkfsExtent {
	var out []mkfsExtent
	for i, b := range blocks {
		if n := len(out); n > 0 && out[n-1].pblk+uint64(out[n-1].len) == b {
			out[n-1].len++
			continue
		}
		out = append(out, mkfsExtent{lblk: uint32(i), pblk: b, len: 1})
	}
	return out
}

// mapDirBlocks points a directory inode at its blocks: an extent tree with
// the extent feature, direct block pointers without.
func (w *mkfsWriter) mapDirBlocks(in *Inode, blocks []uint64) {
	if w.r.geo.feat.extents {
		setExtentsInline(in, runsOf(blocks))
		return
	}
	for i, b := range blocks {
		in.Block[i] = uint32(b)
	}
}

func (w *mkfsWriter) buildInodes() map[uint32]*Inode {
	p := w.p
	inodes := map[uint32]*Inode{}
	// Inode 1 (bad blocks): ext2fs_update_bb_inode writes only times, and
	// as a small inode (no extra fields).
	t := uint32(w.r.time)
	inodes[EXT4_BAD_INO] = &Inode{Atime: t, Ctime: t, Mtime: t}

	root := w.newInode(S_IFDIR|0o755, 3)
	root.SetSize(w.bs)
	w.setBlocks(root, 1)
	w.mapDirBlocks(root, []uint64{p.rootBlock})
	inodes[EXT4_ROOT_INO] = root

	lpf := w.newInode(S_IFDIR|0o700, 2)
	lpf.SetSize(w.bs * uint64(len(p.lpfBlocks)))
	w.setBlocks(lpf, uint64(len(p.lpfBlocks)))
	w.mapDirBlocks(lpf, p.lpfBlocks)
	inodes[mkfsLostFoundIno] = lpf

	if w.r.geo.feat.resizeInode {
		ri := w.newInode(S_IFREG|0o600, 1)
		apb := w.bs / 4
		ri.SetSize((apb*apb + apb + EXT4_NDIR_BLOCKS) * w.bs)
		ri.Block[EXT4_DIND_BLOCK] = uint32(p.resizeDind)
		nb := len(backupGroups(p.groupCount, w.r.geo.feat.sparseSuper))
		w.setBlocks(ri, 1+uint64(p.reservedGDT)*(1+uint64(nb)))
		inodes[EXT4_RESIZE_INO] = ri
	}
	if w.r.geo.feat.hasJournal {
		j := w.newInode(S_IFREG|0o600, 1)
		j.SetSize(p.journalBlocks * w.bs)
		n := p.journalBlocks
		if p.journalIndex != 0 {
			n++
		}
		w.setBlocks(j, n)
		inodes[EXT4_JOURNAL_INO] = j
	}
	return inodes
}

// mkfsLostFoundIno is the inode mke2fs gives lost+found: the first
// non-reserved one.
const mkfsLostFoundIno = EXT4_GOOD_OLD_FIRST_INO

func (w *mkfsWriter) csum() bool { return w.r.geo.feat.metadataCsum }

// dirBlock builds one directory block from entries; the last entry
// takes the rest of the block (up to the checksum tail).
func (w *mkfsWriter) dirBlock(ino uint32, entries []DirEntry) []byte {
	b := make([]byte, w.bs)
	end := int(w.bs)
	if w.csum() {
		end -= DirTailSize
	}
	off := 0
	if !w.r.features.Has(Features{Incompat: EXT4_FEATURE_INCOMPAT_FILETYPE}) {
		for i := range entries {
			entries[i].FileType = 0
		}
	}
	for i, e := range entries {
		rl := DirRecLen(len(e.Name))
		if i == len(entries)-1 {
			rl = end - off
		}
		e.Encode(b[off:], rl, uint32(w.bs))
		off += rl
	}
	if len(entries) == 0 {
		DirEntry{}.Encode(b, end, uint32(w.bs))
	}
	if w.csum() {
		DirTail{}.Encode(b)
		binary.LittleEndian.PutUint32(b[len(b)-4:], DirBlockCsum(w.cs.InodeSeed(ino, 0), b))
	}
	return b
}

func (w *mkfsWriter) writeDirectories() {
	p := w.p
	w.writeBlock(p.rootBlock, w.dirBlock(EXT4_ROOT_INO, []DirEntry{
		{Inode: EXT4_ROOT_INO, Name: []byte("."), FileType: EXT4_FT_DIR},
		{Inode: EXT4_ROOT_INO, Name: []byte(".."), FileType: EXT4_FT_DIR},
		{Inode: mkfsLostFoundIno, Name: []byte("lost+found"), FileType: EXT4_FT_DIR},
	}))
	for i, b := range p.lpfBlocks {
		var ents []DirEntry
		if i == 0 {
			ents = []DirEntry{
				{Inode: mkfsLostFoundIno, Name: []byte("."), FileType: EXT4_FT_DIR},
				{Inode: EXT4_ROOT_INO, Name: []byte(".."), FileType: EXT4_FT_DIR},
			}
		}
		w.writeBlock(b, w.dirBlock(mkfsLostFoundIno, ents))
	}
}

// writeResizeInode mirrors ext2fs_create_resize_inode (lib/ext2fs/res_gdt.c):
// the double-indirect block lists the primary reserved GDT blocks, and each
// of those, used as an indirect block, lists its backups.
func (w *mkfsWriter) writeResizeInode() {
	p := w.p
	if !w.r.geo.feat.resizeInode {
		return
	}
	apb := w.bs / 4
	dind := make([]byte, w.bs)
	ind := make([]byte, w.bs)
	backups := backupGroups(p.groupCount, w.r.geo.feat.sparseSuper)
	for i := uint64(0); i < uint64(p.reservedGDT); i++ {
		slot := (uint64(p.descBlocks) + i) % apb
		blk := p.firstDataBlock + 1 + uint64(p.descBlocks) + i
		binary.LittleEndian.PutUint32(dind[slot*4:], uint32(blk))
		// The device copies what it stores, so one buffer serves all; and
		// it reads as zeros (MkfsOn's precondition), so writing the list
		// of backups leaves the same block as writing it all.
		for k, g := range backups {
			binary.LittleEndian.PutUint32(ind[k*4:], uint32(blk+uint64(g)*uint64(p.blocksPerGroup)))
		}
		w.writeBlock(blk, ind[:min(uint64(len(backups))*4, w.bs)])
	}
	w.writeBlock(p.resizeDind, dind)
}

// writeJournal writes the journal superblock (ext2fs_create_journal_superblock2)
// and maps the journal inode, with an extent leaf block when needed.
func (w *mkfsWriter) writeJournal(j *Inode) {
	p := w.p
	if j == nil {
		return
	}
	js := JournalSuperblock{
		Header:    JournalHeader{Magic: JBD2_MAGIC_NUMBER, BlockType: JBD2_SUPERBLOCK_V2},
		BlockSize: uint32(w.bs),
		MaxLen:    uint32(p.journalBlocks),
		First:     1,
		Sequence:  1,
		UUID:      w.r.uuid,
		NrUsers:   1,
	}
	b := make([]byte, w.bs)
	js.Encode(b)
	w.writeBlock(p.journalExtents[0].pblk, b)

	if p.journalIndex == 0 {
		setExtentsInline(j, p.journalExtents)
	} else {
		leaf := make([]byte, w.bs)
		max := uint16((w.bs - ExtentEntrySize) / ExtentEntrySize)
		ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(len(p.journalExtents)), Max: max}.Encode(leaf)
		for i, e := range p.journalExtents {
			x := Extent{Block: e.lblk}
			x.SetStart(e.pblk)
			x.SetLength(e.len, false)
			x.Encode(leaf[ExtentEntrySize*(i+1):])
		}
		if w.csum() {
			off := ExtentTailOffset(max)
			binary.LittleEndian.PutUint32(leaf[off:], ExtentBlockCsum(w.cs.InodeSeed(EXT4_JOURNAL_INO, 0), leaf, max))
		}
		w.writeBlock(p.journalIndex, leaf)
		// libext2fs's extent_node_split rewrites only the header and the
		// first entry of the root; the old extents 2..4 stay behind in
		// i_block (harmless, past eh_entries), and mke2fs images have them.
		var ib [60]byte
		setExtentsInline(j, p.journalExtents[:4])
		copy(ib[:], j.BlockBytes())
		ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: 1, Max: 4, Depth: 1}.Encode(ib[:])
		var x ExtentIdx
		x.SetLeaf(p.journalIndex)
		x.Encode(ib[ExtentEntrySize:])
		j.SetBlockBytes(ib[:])
		j.Flags |= EXT4_EXTENTS_FL
	}
	for i := 0; i < EXT4_N_BLOCKS; i++ {
		w.sb.JnlBlocks[i] = j.Block[i]
	}
	w.sb.JnlBlocks[15] = j.SizeHigh
	w.sb.JnlBlocks[16] = j.SizeLo
}

// writeInodes writes the inode table blocks that hold the inodes made.
func (w *mkfsWriter) writeInodes(inodes map[uint32]*Inode) {
	isz := uint64(w.r.geo.inodeSize)
	perBlock := w.bs / isz
	table := w.p.groups[0].inodeTable
	blocks := map[uint64][]byte{}
	for ino := uint32(1); ino <= EXT4_GOOD_OLD_FIRST_INO; ino++ {
		in := inodes[ino]
		if in == nil && ino < EXT4_GOOD_OLD_FIRST_INO {
			// write_reserved_inodes (misc/mke2fs.c) writes every reserved
			// inode, zeroed but checksummed.
			in = &Inode{}
		}
		if in == nil {
			continue
		}
		idx := uint64(ino - 1)
		bi := idx / perBlock
		if blocks[bi] == nil {
			blocks[bi] = make([]byte, w.bs)
		}
		rec := blocks[bi][(idx%perBlock)*isz : (idx%perBlock+1)*isz]
		in.Encode(rec, int(isz))
		if w.csum() {
			w.cs.SetInodeCsum(ino, rec)
		}
	}
	for bi := uint64(0); bi <= uint64(EXT4_GOOD_OLD_FIRST_INO)/perBlock; bi++ {
		if b := blocks[bi]; b != nil {
			w.writeBlock(table+bi, b)
		}
	}
}

func (w *mkfsWriter) buildGroupDescs() {
	p := w.p
	w.gds = make([]GroupDesc, p.groupCount)
	for i := range w.gds {
		pg := &p.groups[i]
		g := &w.gds[i]
		g.SetBlockBitmap(pg.blockBitmap)
		g.SetInodeBitmap(pg.inodeBitmap)
		g.SetInodeTable(pg.inodeTable)
		g.SetFreeBlocksCount(pg.freeBlocks)
		g.SetFreeInodesCount(pg.freeInodes)
		g.SetUsedDirsCount(pg.usedDirs)
		g.SetItableUnused(pg.itableUnused)
		if w.r.geo.feat.groupCsum {
			f := EXT4_BG_INODE_ZEROED
			if pg.inodeUninit {
				f |= EXT4_BG_INODE_UNINIT
			}
			if pg.blockUninit {
				f |= EXT4_BG_BLOCK_UNINIT
			}
			g.Flags = f
		}
	}
}

// blockBitmap builds group g's block bitmap from the plan's used spans;
// in the last group the bits past the end of the filesystem are set, as
// ext2fs_write_bitmaps pads them.
func (w *mkfsWriter) blockBitmap(g uint32, b []byte) []byte {
	p := w.p
	clear(b)
	first, last := p.groupFirst(g), p.groupLast(g)
	ss := &p.used
	for _, s := range ss.s[spanIndex(ss, first):] {
		if s.start > last {
			break
		}
		lo, hi := max(s.start, first), min(s.end, last+1)
		setBits(b, lo-first, hi-first)
	}
	if n := last - first + 1; n < uint64(p.blocksPerGroup) || g == p.groupCount-1 {
		setBits(b, n, w.bs*8)
	}
	return b
}

func spanIndex(ss *spanSet, b uint64) int {
	lo, hi := 0, len(ss.s)
	for lo < hi {
		m := (lo + hi) / 2
		if ss.s[m].end > b {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// setBits sets bits [lo, hi) of a little-endian bitmap.
func setBits(b []byte, lo, hi uint64) {
	for lo < hi && lo%8 != 0 {
		b[lo/8] |= 1 << (lo % 8)
		lo++
	}
	for lo+8 <= hi {
		b[lo/8] = 0xFF
		lo += 8
	}
	for lo < hi {
		b[lo/8] |= 1 << (lo % 8)
		lo++
	}
}

func (w *mkfsWriter) writeBitmaps() {
	p := w.p
	// The device copies what it stores, so two buffers serve every group.
	bbuf, ibuf := make([]byte, w.bs), make([]byte, w.bs)
	for i := uint32(0); i < p.groupCount; i++ {
		g := &w.gds[i]
		if !(w.r.geo.feat.groupCsum && g.Flags&EXT4_BG_BLOCK_UNINIT != 0) {
			bm := w.blockBitmap(i, bbuf)
			if w.csum() {
				c := w.cs.BitmapCsum(bm[:p.blocksPerGroup/8])
				g.BlockBitmapCsumLo = uint16(c)
				if p.descSize >= GroupDesc64Size {
					g.BlockBitmapCsumHi = uint16(c >> 16)
				}
			}
			w.writeBlock(p.groups[i].blockBitmap, bm)
		}
		if !(w.r.geo.feat.groupCsum && g.Flags&EXT4_BG_INODE_UNINIT != 0) {
			bm := ibuf
			clear(bm)
			used := uint64(p.inodesPerGroup - p.groups[i].freeInodes)
			setBits(bm, 0, used)
			setBits(bm, uint64(p.inodesPerGroup), w.bs*8)
			if w.csum() {
				c := w.cs.BitmapCsum(bm[:p.inodesPerGroup/8])
				g.InodeBitmapCsumLo = uint16(c)
				if p.descSize >= GroupDesc64Size {
					g.InodeBitmapCsumHi = uint16(c >> 16)
				}
			}
			w.writeBlock(p.groups[i].inodeBitmap, bm)
		}
	}
}

// writeSuperblocksAndGDT writes the primary superblock and descriptor
// table and their backups in every group that has a superblock.
func (w *mkfsWriter) writeSuperblocksAndGDT() {
	p := w.p
	ds := int(p.descSize)
	gdt := make([]byte, uint64(p.descBlocks)*w.bs)
	for i := range w.gds {
		b := gdt[i*ds : (i+1)*ds]
		w.gds[i].Encode(b, ds)
		w.gds[i].Checksum = w.cs.GroupDescCsum(uint32(i), b)
		w.gds[i].Encode(b, ds)
	}
	// s_kbytes_written: what this mkfs stored (mke2fs reports what its
	// I/O manager wrote, which depends on its cache; see the tests).
	w.sb.KbytesWritten = uint64(w.dev.Used()+int64(p.descBlocks)*int64(w.bs)) >> 10
	valid := w.sb.State
	// Encode once; each copy differs only in s_block_group_nr (0x5A), the
	// state (0x3A) and the checksum, which are patched in.
	w.sb.BlockGroupNr = 0
	sbb := w.sb.Bytes()
	primaryGDT := int64(0)
	for g := uint32(0); g < p.groupCount; g++ {
		if !p.groups[g].hasSuper {
			continue
		}
		first := p.groupFirst(g)
		binary.LittleEndian.PutUint16(sbb[0x5A:], uint16(g))
		// ext2fs_flush writes the backups with EXT2_VALID_FS cleared.
		st := valid
		if g > 0 {
			st &^= 1
		}
		binary.LittleEndian.PutUint16(sbb[0x3A:], uint16(st))
		if w.r.geo.feat.metadataCsum {
			binary.LittleEndian.PutUint32(sbb[superblockChecksumOffset:], SuperblockCsum(sbb))
		}
		off := int64(first * w.bs)
		if g == 0 {
			off = 1024
		}
		if w.err == nil {
			if _, err := w.dev.WriteAt(sbb, off); err != nil {
				w.err = fmt.Errorf("%w: writing superblock of group %d: %w", ErrMkfs, g, err)
			}
		}
		if g == 0 {
			w.writeBlock(first+1, gdt)
			primaryGDT = int64((first + 1) * w.bs)
		} else if w.err == nil {
			// The backups repeat the primary table byte for byte; the
			// device shares the chunks (copy-on-write) where aligned.
			if err := w.dev.CopyRange(int64((first+1)*w.bs), primaryGDT, int64(len(gdt))); err != nil {
				w.err = fmt.Errorf("%w: writing the descriptor table backup of group %d: %w", ErrMkfs, g, err)
			}
		}
	}
	w.sb.BlockGroupNr = 0
	w.sb.State = valid
	w.sb.SetChecksum()
}
