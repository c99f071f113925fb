package ext4

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// Mapping kinds, as the report spells them.
const (
	MappingExtent   = "extent"
	MappingIndirect = "indirect"
	MappingInline   = "inline"
	MappingNone     = "none"
)

// FileMap is how an inode's logical blocks map to the device.
type FileMap struct {
	Kind string // MappingExtent, MappingIndirect, MappingInline, MappingNone
	// Runs are the mapped ranges in ascending logical order. Extent
	// mappings give one run per on-disk extent; indirect mappings give
	// maximal physically contiguous runs.
	Runs []ExtentReport
	// Tree is the on-disk extent tree (extent mappings only).
	Tree *ExtentNode
	// Meta lists the blocks holding the mapping itself (extent tree
	// blocks, indirect blocks).
	Meta []uint64
}

// isFastSymlink is ext4_inode_is_fast_symlink (fs/ext4/inode.c): the target
// lives in i_block.
func (fs *FS) isFastSymlink(in *Inode) bool {
	if !in.Mode.IsSymlink() || in.Flags&EXT4_INLINE_DATA_FL != 0 {
		return false
	}
	if in.Flags&EXT4_EA_INODE_FL == 0 {
		eaBlocks := uint64(0)
		if in.FileACL() != 0 {
			eaBlocks = uint64(fs.clusterSize() >> 9)
		}
		return in.Blocks(fs.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_HUGE_FILE), fs.blockSize)-eaBlocks == 0
	}
	return in.Size() != 0 && in.Size() < 4*EXT4_N_BLOCKS
}

// hasBlockMap reports whether i_block holds a block map or extent root (as
// opposed to device numbers, a fast symlink or inline data).
func (fs *FS) hasBlockMap(in *Inode) bool {
	switch in.Mode & S_IFMT {
	case S_IFREG, S_IFDIR:
		return in.Flags&EXT4_INLINE_DATA_FL == 0
	case S_IFLNK:
		return in.Flags&EXT4_INLINE_DATA_FL == 0 && !fs.isFastSymlink(in)
	}
	return false
}

// Map returns the block mapping of inode ino.
func (fs *FS) Map(ino uint32) (*FileMap, error) {
	in, err := fs.Inode(ino)
	if err != nil {
		return nil, err
	}
	return fs.fileMap(ino, in), nil
}

// fileMap walks the mapping of an inode; bad entries are Problems and are
// left out, so what is returned is safe to read through.
func (fs *FS) fileMap(ino uint32, in *Inode) *FileMap {
	switch {
	case in.Flags&EXT4_INLINE_DATA_FL != 0:
		return &FileMap{Kind: MappingInline}
	case !fs.hasBlockMap(in):
		return &FileMap{Kind: MappingNone}
	case in.Flags&EXT4_EXTENTS_FL != 0:
		m := &FileMap{Kind: MappingExtent}
		w := extentWalker{fs: fs, ino: ino, seed: fs.inodeSeed(ino, in), m: m}
		m.Tree = w.node(in.BlockBytes(), 0, -1, 0)
		return m
	}
	m := &FileMap{Kind: MappingIndirect}
	w := indirectWalker{fs: fs, ino: ino, m: m, apb: uint64(fs.blockSize / 4)}
	for i := range EXT4_NDIR_BLOCKS {
		w.add(uint64(i), uint64(in.Block[i]))
	}
	start := uint64(EXT4_NDIR_BLOCKS)
	for level := 1; level <= 3; level++ {
		if p := in.Block[EXT4_NDIR_BLOCKS+level-1]; p != 0 {
			w.walk(uint64(p), level, start)
		}
		span := uint64(1)
		for range level {
			span *= w.apb
		}
		start += span
	}
	return m
}

// extentWalker walks an extent tree (ext4_ext_find_extent's reading side),
// bounding depth, detecting loops and checking every block.
type extentWalker struct {
	fs      *FS
	ino     uint32
	seed    uint32
	visited map[uint64]bool // tree blocks seen; made on first use
	m       *FileMap
	nextLog uint64 // first logical block not yet covered, for order checks
}

func (w *extentWalker) where(block uint64) string {
	if block == 0 {
		return fmt.Sprintf("inode %d extent root (i_block)", w.ino)
	}
	return fmt.Sprintf("inode %d extent block %d", w.ino, block)
}

// node decodes one tree node held in buf (the 60-byte root or a block).
// wantDepth is -1 for the root.
func (w *extentWalker) node(buf []byte, block uint64, wantDepth int, level int) *ExtentNode {
	fs := w.fs
	h, err := DecodeExtentHeader(buf)
	if err == nil {
		err = h.Check(len(buf), wantDepth)
	}
	if err != nil {
		fs.problem(w.where(block), "%v", err)
		return nil
	}
	n := &ExtentNode{Block: block, Depth: h.Depth, Entries: h.Entries, Max: h.Max}
	if block != 0 && fs.sb.HasMetadataCsum() {
		off := ExtentTailOffset(h.Max)
		if off+ExtentTailSize > len(buf) {
			fs.problem(w.where(block), "no room for the checksum tail after %d entries", h.Max)
		} else if got, want := ExtentBlockCsum(w.seed, buf, h.Max), binary.LittleEndian.Uint32(buf[off:]); got != want {
			fs.problem(w.where(block), "extent block checksum 0x%08x, computed 0x%08x", want, got)
		}
	}
	for i := range int(h.Entries) {
		e := buf[ExtentEntrySize*(i+1):]
		if h.Depth == 0 {
			ex := DecodeExtent(e)
			r := ExtentReport{Logical: ex.Block, Physical: ex.Start(), Length: ex.Length(), Unwritten: ex.Unwritten()}
			n.Leaves = append(n.Leaves, r)
			switch {
			case r.Length == 0:
				fs.problem(w.where(block), "extent %d has length 0", i)
			case uint64(r.Logical)+uint64(r.Length) > 1<<32:
				fs.problem(w.where(block), "extent %d (logical %d, %d blocks) runs past logical block 2^32", i, r.Logical, r.Length)
			case !fs.blockInRange(r.Physical, uint64(r.Length)):
				fs.problem(w.where(block), "extent %d (logical %d → physical %d, %d blocks) lies outside the filesystem", i, r.Logical, r.Physical, r.Length)
			case uint64(r.Logical) < w.nextLog:
				fs.problem(w.where(block), "extent %d (logical %d) overlaps or is out of order (expected ≥ %d)", i, r.Logical, w.nextLog)
			default:
				w.m.Runs = append(w.m.Runs, r)
				w.nextLog = uint64(r.Logical) + uint64(r.Length)
			}
			continue
		}
		ix := DecodeExtentIdx(e)
		child := ix.Leaf()
		ni := ExtentIndex{Logical: ix.Block, Leaf: child}
		switch {
		case level+1 > EXT4_MAX_EXTENT_DEPTH:
			fs.problem(w.where(block), "extent tree deeper than %d levels", EXT4_MAX_EXTENT_DEPTH)
		case !fs.blockInRange(child, 1):
			fs.problem(w.where(block), "index %d (logical %d) points to block %d outside the filesystem", i, ix.Block, child)
		case w.visited[child]:
			fs.problem(w.where(block), "index %d points to block %d, already part of this tree (loop)", i, child)
		case !fs.spend(1):
		default:
			if w.visited == nil {
				w.visited = map[uint64]bool{}
			}
			w.visited[child] = true
			w.m.Meta = append(w.m.Meta, child)
			cb := make([]byte, fs.blockSize)
			if err := fs.readBlock(child, cb); err != nil {
				fs.problem(w.where(block), "index %d: %v", i, err)
				break
			}
			ni.Child = w.node(cb, child, int(h.Depth)-1, level+1)
		}
		n.Index = append(n.Index, ni)
	}
	return n
}

// indirectWalker walks an ext2/ext3 block map (ext4_ind_map_blocks' reading
// side).
type indirectWalker struct {
	fs      *FS
	ino     uint32
	visited map[uint64]bool // indirect blocks seen; made on first use
	m       *FileMap
	apb     uint64 // block addresses per block
}

// add appends one mapped block, merging it into the previous run when both
// logical and physical blocks continue it.
func (w *indirectWalker) add(logical, phys uint64) {
	if phys == 0 {
		return
	}
	if logical >= 1<<32 {
		w.fs.problem(fmt.Sprintf("inode %d block map", w.ino), "logical block %d beyond 2^32", logical)
		return
	}
	if !w.fs.blockInRange(phys, 1) {
		w.fs.problem(fmt.Sprintf("inode %d block map", w.ino), "logical block %d maps to block %d outside the filesystem", logical, phys)
		return
	}
	if n := len(w.m.Runs); n > 0 {
		r := &w.m.Runs[n-1]
		if uint64(r.Logical)+uint64(r.Length) == logical && r.Physical+uint64(r.Length) == phys && r.Length < 1<<31 {
			r.Length++
			return
		}
	}
	w.m.Runs = append(w.m.Runs, ExtentReport{Logical: uint32(logical), Physical: phys, Length: 1})
}

// walk reads an indirect block of the given level (1 single, 2 double,
// 3 triple) whose first logical block is start.
func (w *indirectWalker) walk(block uint64, level int, start uint64) {
	fs := w.fs
	where := fmt.Sprintf("inode %d indirect block %d", w.ino, block)
	if start >= 1<<32 {
		return
	}
	if !fs.blockInRange(block, 1) {
		fs.problem(fmt.Sprintf("inode %d block map", w.ino), "level-%d indirect block %d lies outside the filesystem", level, block)
		return
	}
	if w.visited[block] {
		fs.problem(where, "indirect block visited twice in one file (loop or shared block)")
		return
	}
	if !fs.spend(1) {
		return
	}
	if w.visited == nil {
		w.visited = map[uint64]bool{}
	}
	w.visited[block] = true
	w.m.Meta = append(w.m.Meta, block)
	buf := make([]byte, fs.blockSize)
	if err := fs.readBlock(block, buf); err != nil {
		fs.problem(where, "%v", err)
		return
	}
	span := uint64(1)
	for range level - 1 {
		span *= w.apb
	}
	for i := range w.apb {
		p := uint64(binary.LittleEndian.Uint32(buf[4*i:]))
		if p == 0 {
			continue
		}
		if level == 1 {
			w.add(start+i, p)
		} else {
			w.walk(p, level-1, start+i*span)
		}
	}
}

// findRun returns the run containing logical block l, or nil.
func findRun(runs []ExtentReport, l uint64) *ExtentReport {
	i := sort.Search(len(runs), func(i int) bool { return uint64(runs[i].Logical)+uint64(runs[i].Length) > l })
	if i < len(runs) && uint64(runs[i].Logical) <= l {
		return &runs[i]
	}
	return nil
}
