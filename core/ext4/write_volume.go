package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"ext4play/core/image"
)

// Volume is an ext4 filesystem opened for writing: the in-memory state the
// kernel keeps in struct ext4_sb_info (fs/ext4/ext4.h) — superblock, group
// descriptors, cached bitmaps — over a sparse image.Device. Operations are
// synchronous and single-threaded (core/dio puts the kernel's locking
// around them); each one leaves bitmaps, counts, flags and every checksum
// consistent on the device before it returns.
type Volume struct {
	dev        *image.Device
	sb         *Superblock
	cs         *Checksummer
	bs         uint64
	descSize   int
	groups     []GroupDesc
	groupCount uint32
	ipg, bpg   uint32
	firstData  uint64
	isz        uint64
	csum       bool
	groupCsum  bool

	xcache  map[uint32]*xtree // extent lists by inode, see xtree
	sbRaw   []byte            // the superblock as on disk; Flush patches the counts
	sbDirty bool
	gdDirty map[uint32]bool
	bb, ib  map[uint32][]byte // cached bitmaps
	bbDirty map[uint32]bool
	ibDirty map[uint32]bool
	// fullTrees makes every store rewrite the whole extent tree: the
	// reference tests hold the incremental store against.
	fullTrees bool

	// Scratch memory, so that operations do not allocate per call: the
	// volume is single-threaded. rec holds one inode record, blk one
	// block (tree nodes, descriptor blocks), bmFree bitmap buffers Reset
	// took back.
	rec     []byte
	blk     []byte
	gdt     []byte
	gdBlks  []uint32
	treeBlk []uint64
	starts  []int // updateTree's leaf starts
	cutBuf  []xent
	inodes  []Inode // readInode's slab
	bmFree  [][]byte
	// opened is the superblock and descriptor table as last decoded, so
	// Reset to an unchanged base decodes nothing.
	opened struct {
		sbRaw  []byte
		sb     Superblock
		gdt    []byte
		groups []GroupDesc
	}

	// Now is the timestamp (seconds) written into changed inodes. It
	// starts at the superblock's last write time so runs are
	// reproducible; callers may advance it.
	Now uint32
}

// writeIncompatOK are the incompat features the write side handles.
const writeIncompatOK = EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_EXTENTS |
	EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_CSUM_SEED

// writeRoCompatOK are the ro_compat features the write side handles.
const writeRoCompatOK = EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT4_FEATURE_RO_COMPAT_LARGE_FILE |
	EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_GDT_CSUM | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
	EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM

// OpenVolume opens the filesystem on dev for writing. Images with
// features the write side does not handle (bigalloc, meta_bg,
// inline_data, a journal needing recovery, …) are refused with an error
// wrapping EOPNOTSUPP.
func OpenVolume(dev *image.Device) (*Volume, error) {
	v := &Volume{dev: dev}
	if err := v.load(); err != nil {
		return nil, err
	}
	return v, nil
}

// Reset makes v a volume over a private copy of base again: after it, v
// reads and writes exactly as OpenVolume(base.Clone()) would, but it
// reuses v's device (image.Device.ResetTo: the chunks v wrote are
// recycled), maps, bitmap buffers and scratch memory, and when base's
// superblock and descriptor table are the bytes v last decoded it decodes
// nothing. Meant for running many schedules of one base image: one
// volume per worker, Reset before each run. Anything still holding v's
// device (a kept final image) must Clone it before the Reset.
func (v *Volume) Reset(base *image.Device) error {
	v.dev.ResetTo(base)
	for _, m := range []map[uint32][]byte{v.bb, v.ib} {
		for _, b := range m {
			v.bmFree = append(v.bmFree, b)
		}
		clear(m)
	}
	clear(v.bbDirty)
	clear(v.ibDirty)
	clear(v.gdDirty)
	clear(v.xcache)
	v.sbDirty = false
	return v.load()
}

// load reads and checks the superblock and group descriptors of v.dev,
// reusing v's buffers (OpenVolume, Reset).
func (v *Volume) load() error {
	dev := v.dev
	if v.sbRaw == nil {
		v.sbRaw = make([]byte, SuperblockSize)
	}
	raw := v.sbRaw
	if _, err := dev.ReadAt(raw, 1024); err != nil {
		return fmt.Errorf("ext4: reading superblock at byte 1024: %w", err)
	}
	if v.sb == nil || !bytes.Equal(raw, v.opened.sbRaw) {
		sb, err := DecodeSuperblock(raw)
		if err != nil {
			return err
		}
		if err := sb.Validate(); err != nil {
			return err
		}
		if bad := sb.FeatureIncompat &^ writeIncompatOK; bad != 0 {
			return fmt.Errorf("ext4: cannot write a filesystem with incompat features %q: %w", bad.String(), EOPNOTSUPP)
		}
		if bad := sb.FeatureRoCompat &^ writeRoCompatOK; bad != 0 {
			return fmt.Errorf("ext4: cannot write a filesystem with ro_compat features %q: %w", bad.String(), EOPNOTSUPP)
		}
		v.sb, v.cs = sb, NewChecksummer(sb)
		v.opened.sbRaw = append(v.opened.sbRaw[:0], raw...)
		v.opened.sb = *sb
		v.opened.gdt = v.opened.gdt[:0] // decode the table again too
	} else {
		*v.sb = v.opened.sb
	}
	sb := v.sb
	v.bs, v.descSize, v.groupCount = uint64(sb.BlockSize()), int(sb.DescSizeBytes()), uint32(sb.GroupCount())
	v.ipg, v.bpg, v.firstData = sb.InodesPerGroup, sb.BlocksPerGroup, uint64(sb.FirstDataBlock)
	v.isz, v.csum = uint64(sb.InodeSizeBytes()), sb.HasMetadataCsum()
	v.groupCsum = v.csum || sb.HasGdtCsum()
	v.Now = sb.Wtime
	if v.gdDirty == nil {
		v.gdDirty, v.bb, v.ib = map[uint32]bool{}, map[uint32][]byte{}, map[uint32][]byte{}
		v.bbDirty, v.ibDirty = map[uint32]bool{}, map[uint32]bool{}
	}
	if sb.BlocksCount() > uint64(dev.Size())/v.bs {
		return fmt.Errorf("ext4: superblock says %d blocks of %d bytes, the device holds %d bytes: %w", sb.BlocksCount(), v.bs, dev.Size(), EUCLEAN)
	}
	if v.bpg != uint32(v.bs*8) || v.ipg == 0 || v.ipg > uint32(v.bs*8) {
		return fmt.Errorf("ext4: %d blocks and %d inodes per group: %w", v.bpg, v.ipg, EOPNOTSUPP)
	}
	gdtBytes := int(uint64(v.groupCount) * uint64(v.descSize))
	if cap(v.gdt) < gdtBytes {
		v.gdt = make([]byte, gdtBytes)
	}
	gdt := v.gdt[:gdtBytes]
	if _, err := dev.ReadAt(gdt, int64((v.firstData+1)*v.bs)); err != nil {
		return fmt.Errorf("ext4: reading group descriptors at block %d: %w", v.firstData+1, err)
	}
	if cap(v.groups) < int(v.groupCount) {
		v.groups = make([]GroupDesc, v.groupCount)
	}
	v.groups = v.groups[:v.groupCount]
	if bytes.Equal(gdt, v.opened.gdt) {
		copy(v.groups, v.opened.groups)
		return nil
	}
	for g := range v.groups {
		var err error
		if v.groups[g], err = DecodeGroupDesc(gdt[g*v.descSize:], v.descSize); err != nil {
			return fmt.Errorf("ext4: group descriptor %d: %w", g, err)
		}
	}
	v.opened.gdt = append(v.opened.gdt[:0], gdt...)
	v.opened.groups = append(v.opened.groups[:0], v.groups...)
	return nil
}

// Device is the device the volume writes to.
func (v *Volume) Device() *image.Device { return v.dev }

// Superblock returns the in-memory superblock (read-only use).
func (v *Volume) Superblock() *Superblock { return v.sb }

// BlockSize is the filesystem block size in bytes.
func (v *Volume) BlockSize() uint32 { return uint32(v.bs) }

func (v *Volume) readBlock(b uint64) ([]byte, error) {
	return v.readBlockInto(b, make([]byte, v.bs))
}

// readBlockInto reads block b into buf (a block's worth) and returns it.
func (v *Volume) readBlockInto(b uint64, buf []byte) ([]byte, error) {
	if b >= v.sb.BlocksCount() {
		return nil, fmt.Errorf("ext4: block %d beyond the filesystem (%d blocks): %w", b, v.sb.BlocksCount(), EUCLEAN)
	}
	if _, err := v.dev.ReadAt(buf, int64(b*v.bs)); err != nil {
		return nil, fmt.Errorf("ext4: reading block %d: %w", b, err)
	}
	return buf, nil
}

func (v *Volume) writeBlock(b uint64, buf []byte) error {
	return v.writeAt(b, 0, buf)
}

// writeAt writes buf at byte off of block b (within the block).
func (v *Volume) writeAt(b, off uint64, buf []byte) error {
	if b >= v.sb.BlocksCount() || b <= v.firstData {
		return fmt.Errorf("ext4: refusing to write block %d: %w", b, EUCLEAN)
	}
	if _, err := v.dev.WriteAt(buf, int64(b*v.bs+off)); err != nil {
		return fmt.Errorf("ext4: writing block %d: %w", b, err)
	}
	return nil
}

// scratchBlock is v's one-block scratch buffer, zeroed.
func (v *Volume) scratchBlock() []byte {
	if uint64(len(v.blk)) != v.bs {
		v.blk = make([]byte, v.bs)
	}
	clear(v.blk)
	return v.blk
}

// newBitmap returns a zeroed bitmap buffer, reusing one Reset took back.
func (v *Volume) newBitmap() []byte {
	if n := len(v.bmFree); n > 0 {
		b := v.bmFree[n-1]
		v.bmFree = v.bmFree[:n-1]
		if uint64(len(b)) == v.bs {
			clear(b)
			return b
		}
	}
	return make([]byte, v.bs)
}

func (v *Volume) groupFirst(g uint32) uint64 { return v.firstData + uint64(g)*uint64(v.bpg) }

func (v *Volume) groupSize(g uint32) uint64 {
	if g == v.groupCount-1 {
		return v.sb.BlocksCount() - v.groupFirst(g)
	}
	return uint64(v.bpg)
}

func (v *Volume) groupOf(b uint64) uint32 { return uint32((b - v.firstData) / uint64(v.bpg)) }

// blockBitmap returns group g's block bitmap, building it for a
// BLOCK_UNINIT group as ext4_init_block_bitmap (fs/ext4/balloc.c) does.
func (v *Volume) blockBitmap(g uint32) ([]byte, error) {
	if b := v.bb[g]; b != nil {
		return b, nil
	}
	gd := &v.groups[g]
	var bm []byte
	if v.groupCsum && gd.Flags&EXT4_BG_BLOCK_UNINIT != 0 {
		bm = v.newBitmap()
		first := v.groupFirst(g)
		if groupHasSuper(g, v.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER)) {
			descBlocks := divCeil(uint64(v.groupCount)*uint64(v.descSize), v.bs)
			setBits(bm, 0, 1+descBlocks+uint64(v.sb.ReservedGdtBlocks))
		}
		mark := func(b, n uint64) {
			if b >= first && b+n <= first+v.groupSize(g) {
				setBits(bm, b-first, b-first+n)
			}
		}
		mark(gd.BlockBitmap(), 1)
		mark(gd.InodeBitmap(), 1)
		mark(gd.InodeTable(), divCeil(uint64(v.ipg)*v.isz, v.bs))
		setBits(bm, v.groupSize(g), v.bs*8)
	} else {
		var err error
		if bm, err = v.readBlockInto(gd.BlockBitmap(), v.newBitmap()); err != nil {
			return nil, err
		}
	}
	v.bb[g] = bm
	return bm, nil
}

// inodeBitmap returns group g's inode bitmap; an INODE_UNINIT group's is
// all free, with the padding bits past inodes_per_group set.
func (v *Volume) inodeBitmap(g uint32) ([]byte, error) {
	if b := v.ib[g]; b != nil {
		return b, nil
	}
	gd := &v.groups[g]
	var bm []byte
	if v.groupCsum && gd.Flags&EXT4_BG_INODE_UNINIT != 0 {
		bm = v.newBitmap()
		setBits(bm, uint64(v.ipg), v.bs*8)
	} else {
		var err error
		if bm, err = v.readBlockInto(gd.InodeBitmap(), v.newBitmap()); err != nil {
			return nil, err
		}
	}
	v.ib[g] = bm
	return bm, nil
}

func testBit(b []byte, i uint64) bool { return b[i/8]&(1<<(i%8)) != 0 }
func setBit(b []byte, i uint64)       { b[i/8] |= 1 << (i % 8) }
func clearBit(b []byte, i uint64)     { b[i/8] &^= 1 << (i % 8) }

// adjustFreeBlocks changes a group's and the superblock's free block
// count by delta and clears BLOCK_UNINIT.
func (v *Volume) adjustFreeBlocks(g uint32, delta int64) {
	gd := &v.groups[g]
	gd.SetFreeBlocksCount(uint32(int64(gd.FreeBlocksCount()) + delta))
	gd.Flags &^= EXT4_BG_BLOCK_UNINIT
	v.sb.SetFreeBlocksCount(uint64(int64(v.sb.FreeBlocksCount()) + delta))
	v.sbDirty = true
	v.gdDirty[g] = true
	v.bbDirty[g] = true
}

// allocBlocks allocates up to n contiguous blocks, preferring goal and
// then the first free run after it, group by group and wrapping — the
// goal-directed part of ext4_mb_new_blocks (fs/ext4/mballoc.c), without
// preallocation. It returns the run found (got ≥ 1) or ENOSPC.
func (v *Volume) allocBlocks(goal uint64, n uint32) (start uint64, got uint32, err error) {
	if n == 0 {
		return 0, 0, fmt.Errorf("ext4: allocating 0 blocks: %w", EINVAL)
	}
	total := v.sb.BlocksCount()
	if goal < v.firstData || goal >= total {
		goal = v.firstData
	}
	g0 := v.groupOf(goal)
	for i := uint32(0); i <= v.groupCount; i++ {
		g := (g0 + i) % v.groupCount
		if v.groups[g].FreeBlocksCount() == 0 {
			continue
		}
		bm, err := v.blockBitmap(g)
		if err != nil {
			return 0, 0, err
		}
		size := v.groupSize(g)
		from := uint64(0)
		if i == 0 {
			from = goal - v.groupFirst(g)
		}
		bit, ok := firstZero(bm, from, size)
		if !ok {
			continue
		}
		end := bit
		for end < size && end-bit < uint64(n) && !testBit(bm, end) {
			end++
		}
		setBits(bm, bit, end)
		v.adjustFreeBlocks(g, -int64(end-bit))
		return v.groupFirst(g) + bit, uint32(end - bit), nil
	}
	return 0, 0, fmt.Errorf("ext4: allocating %d blocks near %d: %w", n, goal, ENOSPC)
}

// firstZero finds the first clear bit in [from, limit).
func firstZero(bm []byte, from, limit uint64) (uint64, bool) {
	for i := from; i < limit; {
		if i%8 == 0 && i+8 <= limit && bm[i/8] == 0xFF {
			i += 8
			continue
		}
		if !testBit(bm, i) {
			return i, true
		}
		i++
	}
	return 0, false
}

// freeBlocks releases [start, start+n) (ext4_free_blocks). Freeing a
// block that is not in use is corruption and reported as EUCLEAN.
func (v *Volume) freeBlocks(start uint64, n uint64) error {
	for n > 0 {
		if start < v.firstData || start+n > v.sb.BlocksCount() {
			return fmt.Errorf("ext4: freeing blocks %d+%d outside the filesystem: %w", start, n, EUCLEAN)
		}
		g := v.groupOf(start)
		bm, err := v.blockBitmap(g)
		if err != nil {
			return err
		}
		off := start - v.groupFirst(g)
		m := min(n, v.groupSize(g)-off)
		for i := off; i < off+m; i++ {
			if !testBit(bm, i) {
				return fmt.Errorf("ext4: freeing block %d which is already free: %w", v.groupFirst(g)+i, EUCLEAN)
			}
			clearBit(bm, i)
		}
		v.adjustFreeBlocks(g, int64(m))
		start += m
		n -= m
	}
	return nil
}

// allocInode allocates an inode near the parent's group
// (ext4_new_inode, fs/ext4/ialloc.c, without the Orlov spreading).
func (v *Volume) allocInode(parent uint32, dir bool) (uint32, error) {
	g0 := uint32(0)
	if parent != 0 {
		g0 = (parent - 1) / v.ipg
	}
	for i := uint32(0); i < v.groupCount; i++ {
		g := (g0 + i) % v.groupCount
		gd := &v.groups[g]
		if gd.FreeInodesCount() == 0 {
			continue
		}
		bm, err := v.inodeBitmap(g)
		if err != nil {
			return 0, err
		}
		from := uint64(0)
		if g == 0 {
			from = uint64(v.sb.FirstInode() - 1)
		}
		bit, ok := firstZero(bm, from, uint64(v.ipg))
		if !ok {
			continue
		}
		setBit(bm, bit)
		v.ibDirty[g] = true
		gd.SetFreeInodesCount(gd.FreeInodesCount() - 1)
		if dir {
			gd.SetUsedDirsCount(gd.UsedDirsCount() + 1)
		}
		if v.groupCsum {
			gd.Flags &^= EXT4_BG_INODE_UNINIT
			if used := uint32(bit) + 1; v.ipg-gd.ItableUnused() < used {
				gd.SetItableUnused(v.ipg - used)
			}
		}
		v.gdDirty[g] = true
		v.sb.FreeInodesCount--
		v.sbDirty = true
		return g*v.ipg + uint32(bit) + 1, nil
	}
	return 0, fmt.Errorf("ext4: no free inode: %w", ENOSPC)
}

// freeInode releases an inode number (ext4_free_inode).
func (v *Volume) freeInode(ino uint32, dir bool) error {
	g, bit := (ino-1)/v.ipg, uint64((ino-1)%v.ipg)
	bm, err := v.inodeBitmap(g)
	if err != nil {
		return err
	}
	if !testBit(bm, bit) {
		return fmt.Errorf("ext4: freeing inode %d which is already free: %w", ino, EUCLEAN)
	}
	clearBit(bm, bit)
	delete(v.xcache, ino)
	v.ibDirty[g] = true
	gd := &v.groups[g]
	gd.SetFreeInodesCount(gd.FreeInodesCount() + 1)
	if dir {
		gd.SetUsedDirsCount(gd.UsedDirsCount() - 1)
	}
	v.gdDirty[g] = true
	v.sb.FreeInodesCount++
	v.sbDirty = true
	return nil
}

// inodePos is where inode ino's record lives.
func (v *Volume) inodePos(ino uint32) (blk uint64, off uint64, err error) {
	if ino == 0 || ino > v.sb.InodesCount {
		return 0, 0, fmt.Errorf("ext4: inode %d out of range 1..%d: %w", ino, v.sb.InodesCount, EINVAL)
	}
	g, idx := (ino-1)/v.ipg, uint64((ino-1)%v.ipg)
	byteOff := idx * v.isz
	return v.groups[g].InodeTable() + byteOff/v.bs, byteOff % v.bs, nil
}

// readInode reads and decodes inode ino.
func (v *Volume) readInode(ino uint32) (*Inode, error) {
	rec, _, _, err := v.readRecord(ino)
	if err != nil {
		return nil, err
	}
	// Inodes come from a slab: an operation decodes a few, and one
	// allocation per decode was most of what a run still allocated.
	if len(v.inodes) == 0 {
		v.inodes = make([]Inode, inodeSlab)
	}
	in := &v.inodes[0]
	v.inodes = v.inodes[1:]
	if err := decodeInodeInto(in, rec, int(v.isz)); err != nil {
		return nil, err
	}
	return in, nil
}

// inodeSlab is how many inodes readInode allocates at once.
const inodeSlab = 32

// StatInto is Stat into caller memory: it decodes inode ino into in.
func (v *Volume) StatInto(ino uint32, in *Inode) error {
	rec, _, _, err := v.readRecord(ino)
	if err != nil {
		return err
	}
	return decodeInodeInto(in, rec, int(v.isz))
}

// readRecord reads inode ino's raw record into v's scratch record (only
// the record: inode reads and writes do not copy whole table blocks).
func (v *Volume) readRecord(ino uint32) (rec []byte, blk, off uint64, err error) {
	blk, off, err = v.inodePos(ino)
	if err != nil {
		return nil, 0, 0, err
	}
	if blk >= v.sb.BlocksCount() {
		return nil, 0, 0, fmt.Errorf("ext4: inode %d in block %d beyond the filesystem (%d blocks): %w", ino, blk, v.sb.BlocksCount(), EUCLEAN)
	}
	if uint64(len(v.rec)) != v.isz {
		v.rec = make([]byte, v.isz)
	}
	if _, err := v.dev.ReadAt(v.rec, int64(blk*v.bs+off)); err != nil {
		return nil, 0, 0, fmt.Errorf("ext4: reading inode %d in block %d: %w", ino, blk, err)
	}
	return v.rec, blk, off, nil
}

// writeInode encodes inode ino in place (keeping in-inode xattrs) and
// sets its checksum.
func (v *Volume) writeInode(ino uint32, in *Inode) error {
	return v.putInode(ino, in, false)
}

// writeNewInode writes a just-allocated inode over a cleared record, so
// nothing left in a table that was never zeroed survives.
func (v *Volume) writeNewInode(ino uint32, in *Inode) error {
	return v.putInode(ino, in, true)
}

func (v *Volume) putInode(ino uint32, in *Inode, fresh bool) error {
	rec, blk, off, err := v.readRecord(ino)
	if err != nil {
		return err
	}
	if fresh {
		clear(rec)
	}
	in.Encode(rec, int(v.isz))
	if v.csum {
		v.cs.SetInodeCsum(ino, rec)
	}
	return v.writeAt(blk, off, rec)
}

// Flush writes the dirty bitmaps (with their checksums), group
// descriptors and the superblock. Every operation calls it before
// returning.
func (v *Volume) Flush() error {
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	for g := range v.bbDirty {
		bm := v.bb[g]
		gd := &v.groups[g]
		if v.csum {
			c := v.cs.BitmapCsum(bm[:v.bpg/8])
			gd.BlockBitmapCsumLo = uint16(c)
			if v.descSize >= GroupDesc64Size {
				gd.BlockBitmapCsumHi = uint16(c >> 16)
			}
		}
		note(v.writeBlock(gd.BlockBitmap(), bm))
		v.gdDirty[g] = true
	}
	for g := range v.ibDirty {
		bm := v.ib[g]
		gd := &v.groups[g]
		if v.csum {
			c := v.cs.BitmapCsum(bm[:v.ipg/8])
			gd.InodeBitmapCsumLo = uint16(c)
			if v.descSize >= GroupDesc64Size {
				gd.InodeBitmapCsumHi = uint16(c >> 16)
			}
		}
		note(v.writeBlock(gd.InodeBitmap(), bm))
		v.gdDirty[g] = true
	}
	clear(v.bbDirty)
	clear(v.ibDirty)
	perBlock := uint32(v.bs) / uint32(v.descSize)
	v.gdBlks = v.gdBlks[:0]
	for g := range v.gdDirty {
		if !slices.Contains(v.gdBlks, g/perBlock) {
			v.gdBlks = append(v.gdBlks, g/perBlock)
		}
	}
	for _, bi := range v.gdBlks {
		buf := v.scratchBlock()
		for k := uint32(0); k < perBlock; k++ {
			g := bi*perBlock + k
			if g >= v.groupCount {
				break
			}
			gd := &v.groups[g]
			d := buf[k*uint32(v.descSize) : (k+1)*uint32(v.descSize)]
			gd.Encode(d, v.descSize)
			gd.Checksum = v.cs.GroupDescCsum(g, d)
			gd.Encode(d, v.descSize)
		}
		note(v.writeBlock(v.firstData+1+uint64(bi), buf))
	}
	clear(v.gdDirty)
	if v.sbDirty {
		// Only the free counts change: patch them into the raw superblock
		// (s_free_blocks_count_lo/_hi, s_free_inodes_count) and re-sum it,
		// rather than re-encoding all 1024 bytes.
		putLE32(v.sbRaw, 0x0C, uint32(v.sb.FreeBlocksCount()))
		putLE32(v.sbRaw, 0x10, v.sb.FreeInodesCount)
		if v.sb.Is64Bit() {
			putLE32(v.sbRaw, 0x158, uint32(v.sb.FreeBlocksCount()>>32))
		}
		if v.csum {
			putLE32(v.sbRaw, superblockChecksumOffset, SuperblockCsum(v.sbRaw))
		}
		v.sb.Checksum = getLE32(v.sbRaw, superblockChecksumOffset)
		if _, err := v.dev.WriteAt(v.sbRaw, 1024); err != nil {
			errs = append(errs, fmt.Errorf("ext4: writing superblock: %w", err))
		}
		v.sbDirty = false
	}
	return errors.Join(errs...)
}

// le32 helpers for raw blocks.
func getLE32(b []byte, off int) uint32    { return binary.LittleEndian.Uint32(b[off:]) }
func putLE32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
