package ext4

import (
	"errors"
	"fmt"
	"sort"
)

// The write side keeps an inode's extent tree as a sorted list of extents
// while it changes it, then stores the list back as a tree: depth 0 in
// i_block when four extents fit, otherwise as few leaf blocks as hold
// them under as many index levels as needed (so the tree grows and
// shrinks in depth), each node with its ext4_extent_tail checksum. Tree
// blocks are reused in order, so an operation that does not change the
// number of leaves keeps the same blocks, and rewrites only the leaves
// whose extents changed (see storeTree).

// xent is one extent (struct ext4_extent, decoded).
type xent struct {
	lblk      uint32
	len       uint32
	pblk      uint64
	unwritten bool
}

func (e xent) end() uint64 { return uint64(e.lblk) + uint64(e.len) }

// maxLen is the longest extent of e's kind: EXT_INIT_MAX_LEN or
// EXT_UNWRITTEN_MAX_LEN.
func (e xent) maxLen() uint32 {
	if e.unwritten {
		return EXT_UNWRITTEN_MAX_LEN
	}
	return EXT_INIT_MAX_LEN
}

// xtree is an inode's extent list plus the blocks its tree occupies.
// The Volume caches it per inode (it is the only writer of extent trees);
// an operation that fails drops the cache (see dropTrees), so a
// half-changed list is never reused.
type xtree struct {
	exts   []xent
	blocks []uint64 // tree (leaf and index) blocks, in tree order

	// The leaf layout on disk as storeTree last wrote it, when laid (a
	// tree read from disk is not laid: its first store rewrites it whole).
	// Leaf k holds the extents whose keys are in [leafKey[k],
	// leafKey[k+1]); leafKey[k] is also its index entry's key, leafSum[k]
	// the blocks its extents map.
	laid    bool
	leafKey []uint32
	leafSum []uint64
	// Extents with keys in [dirtyLo, dirtyHi] changed, came or went since
	// the last store, when dirty.
	dirty            bool
	dirtyLo, dirtyHi uint64
}

// touch records that extents with keys in [lo, hi] changed.
func (t *xtree) touch(lo, hi uint64) {
	if !t.dirty {
		t.dirty, t.dirtyLo, t.dirtyHi = true, lo, hi
		return
	}
	t.dirtyLo, t.dirtyHi = min(t.dirtyLo, lo), max(t.dirtyHi, hi)
}

// loadExtents walks inode ino's extent tree (bounded depth, checked
// headers and checksums) into a list.
func (v *Volume) loadExtents(ino uint32, in *Inode) (*xtree, error) {
	if in.Flags&EXT4_EXTENTS_FL == 0 {
		return nil, fmt.Errorf("ext4: inode %d is not extent-mapped: %w", ino, EOPNOTSUPP)
	}
	if c := v.xcache[ino]; c != nil {
		return c, nil
	}
	t := &xtree{}
	root := in.BlockBytes()
	if err := v.walkNode(ino, in, root, -1, 0, t); err != nil {
		return nil, err
	}
	for _, e := range t.exts {
		if e.len == 0 || e.pblk+uint64(e.len) > v.sb.BlocksCount() || e.pblk <= v.firstData {
			return nil, fmt.Errorf("ext4: inode %d extent %d+%d at block %d outside the filesystem: %w", ino, e.lblk, e.len, e.pblk, EUCLEAN)
		}
	}
	for i := 1; i < len(t.exts); i++ {
		if t.exts[i].lblk < uint32(t.exts[i-1].end()) || t.exts[i-1].end() > 1<<32 {
			return nil, fmt.Errorf("ext4: inode %d: extents out of order at logical block %d: %w", ino, t.exts[i].lblk, EUCLEAN)
		}
	}
	if v.xcache == nil {
		v.xcache = map[uint32]*xtree{}
	}
	v.xcache[ino] = t
	return t, nil
}

func (v *Volume) walkNode(ino uint32, in *Inode, b []byte, wantDepth int, level int, t *xtree) error {
	h, err := DecodeExtentHeader(b)
	if err != nil {
		return fmt.Errorf("ext4: inode %d extent node (level %d): %w", ino, level, err)
	}
	if err := h.Check(len(b), wantDepth); err != nil {
		return fmt.Errorf("ext4: inode %d extent node (level %d): %w", ino, level, err)
	}
	if level > EXT4_MAX_EXTENT_DEPTH {
		return fmt.Errorf("ext4: inode %d extent tree deeper than %d: %w", ino, EXT4_MAX_EXTENT_DEPTH, EUCLEAN)
	}
	if level > 0 && v.csum {
		off := ExtentTailOffset(h.Max)
		if off+4 > len(b) || getLE32(b, off) != ExtentBlockCsum(v.cs.InodeSeed(ino, in.Generation), b, h.Max) {
			return fmt.Errorf("ext4: inode %d extent block at level %d: %w", ino, level, ErrChecksum)
		}
	}
	for i := 0; i < int(h.Entries); i++ {
		e := b[ExtentEntrySize*(i+1):]
		if h.Depth == 0 {
			x := DecodeExtent(e)
			t.exts = append(t.exts, xent{lblk: x.Block, len: x.Length(), pblk: x.Start(), unwritten: x.Unwritten()})
			continue
		}
		idx := DecodeExtentIdx(e)
		// A tree cannot hold more nodes than the filesystem has blocks;
		// this also ends walks of trees whose indexes loop.
		if uint64(len(t.blocks)) >= min(v.sb.BlocksCount(), 1<<20) {
			return fmt.Errorf("ext4: inode %d extent tree has more nodes than blocks: %w", ino, EUCLEAN)
		}
		child, err := v.readBlock(idx.Leaf())
		if err != nil {
			return fmt.Errorf("ext4: inode %d extent index: %w", ino, err)
		}
		for _, b := range t.blocks {
			if b == idx.Leaf() {
				return fmt.Errorf("ext4: inode %d extent tree uses block %d twice: %w", ino, b, EUCLEAN)
			}
		}
		t.blocks = append(t.blocks, idx.Leaf())
		if err := v.walkNode(ino, in, child, int(h.Depth)-1, level+1, t); err != nil {
			return err
		}
	}
	return nil
}

// lookup returns the index of the extent containing lblk, or -1 and the
// index of the first extent after lblk.
func (t *xtree) lookup(lblk uint32) (int, int) {
	i := sort.Search(len(t.exts), func(i int) bool { return t.exts[i].end() > uint64(lblk) })
	if i < len(t.exts) && t.exts[i].lblk <= lblk {
		return i, i
	}
	return -1, i
}

// cut removes [lo, hi) from the extent list, splitting extents that
// straddle the edges, and appends the removed pieces to removed. Only the
// extents overlapping the range are touched, in place.
func (t *xtree) cut(lo, hi uint64, removed []xent) []xent {
	i := sort.Search(len(t.exts), func(i int) bool { return t.exts[i].end() > lo })
	j := i
	for j < len(t.exts) && uint64(t.exts[j].lblk) < hi {
		j++
	}
	if i == j {
		return removed
	}
	// Keys from the first extent touched up to hi (a piece kept past the
	// range starts there) change.
	t.touch(uint64(t.exts[i].lblk), hi)
	// Only the first extent can start before lo and only the last can end
	// after hi, so at most two pieces stay.
	var keepBuf [2]xent
	keep := keepBuf[:0]
	for _, e := range t.exts[i:j] {
		if uint64(e.lblk) < lo {
			keep = append(keep, xent{e.lblk, uint32(lo - uint64(e.lblk)), e.pblk, e.unwritten})
		}
		s, f := max(lo, uint64(e.lblk)), min(hi, e.end())
		removed = append(removed, xent{uint32(s), uint32(f - s), e.pblk + (s - uint64(e.lblk)), e.unwritten})
		if e.end() > hi {
			keep = append(keep, xent{uint32(hi), uint32(e.end() - hi), e.pblk + (hi - uint64(e.lblk)), e.unwritten})
		}
	}
	old := len(t.exts)
	n := old - (j - i) + len(keep)
	for len(t.exts) < n {
		t.exts = append(t.exts, xent{})
	}
	copy(t.exts[i+len(keep):], t.exts[j:old])
	copy(t.exts[i:], keep)
	t.exts = t.exts[:n]
	return removed
}

// insert adds e (which must not overlap) in order.
func (t *xtree) insert(e xent) {
	i := sort.Search(len(t.exts), func(i int) bool { return t.exts[i].lblk > e.lblk })
	t.exts = append(t.exts, xent{})
	copy(t.exts[i+1:], t.exts[i:])
	t.exts[i] = e
	t.touch(uint64(e.lblk), uint64(e.lblk))
}

// mergeAround merges neighbouring extents of the same kind that are
// logically and physically contiguous, within [lo-1, hi+1] — what
// ext4_ext_try_to_merge does around the extent an operation touched.
func (t *xtree) mergeAround(lo, hi uint64) {
	i := sort.Search(len(t.exts), func(i int) bool { return t.exts[i].end()+1 >= lo })
	if i > 0 {
		i--
	}
	w := i // write index
	for r := i; r < len(t.exts); r++ {
		e := t.exts[r]
		if uint64(e.lblk) > hi+1 {
			w += copy(t.exts[w:], t.exts[r:])
			break
		}
		if w > i {
			p := &t.exts[w-1]
			if p.end()+1 >= lo && p.unwritten == e.unwritten && p.end() == uint64(e.lblk) &&
				p.pblk+uint64(p.len) == e.pblk && p.len+e.len <= e.maxLen() {
				p.len += e.len
				t.touch(uint64(p.lblk), uint64(e.lblk))
				continue
			}
		}
		t.exts[w] = e
		w++
	}
	t.exts = t.exts[:w]
}

// splitLong cuts extents longer than their kind's maximum.
func splitLong(exts []xent) []xent {
	long := false
	for _, e := range exts {
		if e.len > e.maxLen() {
			long = true
			break
		}
	}
	if !long {
		return exts
	}
	var out []xent
	for _, e := range exts {
		for e.len > e.maxLen() {
			m := e.maxLen()
			out = append(out, xent{e.lblk, m, e.pblk, e.unwritten})
			e.lblk += m
			e.pblk += uint64(m)
			e.len -= m
		}
		out = append(out, e)
	}
	return out
}

// dropTrees forgets cached trees after a failed operation: all of them,
// unless it failed for lack of space. An ENOSPC leaves the trees it did
// not change as stored (a tree that failed to store is dropped by
// storeExtents), and keeping them spares the next operations on a full
// filesystem a walk of the whole tree from disk and a whole rewrite; a
// tree with changes not stored is dropped all the same.
func (v *Volume) dropTrees(err error) {
	if !errors.Is(err, ENOSPC) {
		clear(v.xcache)
		return
	}
	for ino, t := range v.xcache {
		if t.dirty {
			delete(v.xcache, ino)
		}
	}
}

// storeExtents writes the list back as a tree (ext4_ext_insert_extent /
// ext4_ext_grow_indepth / ext4_ext_rm_idx in effect), updates i_block and
// i_blocks, and frees or allocates tree blocks as the shape needs. The
// inode itself is not written.
func (v *Volume) storeExtents(ino uint32, in *Inode, t *xtree) error {
	err := v.storeTree(ino, in, t)
	if err != nil {
		delete(v.xcache, ino)
	} else if v.xcache != nil {
		v.xcache[ino] = t
	}
	return err
}

// storeTree stores t. The shape of the tree (nodes per level) follows
// from the extent count alone: depth 0 in i_block up to four extents,
// else as few leaves as hold them under as few index nodes as needed. When
// the shape is the one on disk, only the leaves holding changed extents
// and the index nodes above a changed first key are rewritten
// (updateTree); otherwise the whole tree is (rebuildTree), reusing the old
// tree blocks in order. Tree blocks are therefore allocated and freed
// exactly when, and where, a whole rebuild on every change would.
func (v *Volume) storeTree(ino uint32, in *Inode, t *xtree) error {
	// Only extents whose keys changed can have grown too long.
	lo, hi := 0, len(t.exts)
	if t.laid {
		lo = sort.Search(len(t.exts), func(i int) bool { return t.dirty && uint64(t.exts[i].lblk) >= t.dirtyLo })
		hi = sort.Search(len(t.exts), func(i int) bool { return t.dirty && uint64(t.exts[i].lblk) > t.dirtyHi })
	}
	if s := splitLong(t.exts[lo:hi]); len(s) != hi-lo {
		t.exts, t.laid = splitLong(t.exts), false
	}
	perNode := int((v.bs - ExtentEntrySize) / ExtentEntrySize)
	var shapeBuf [EXT4_MAX_EXTENT_DEPTH]int
	shape, ok := treeShape(len(t.exts), perNode, &shapeBuf)
	if !ok {
		return fmt.Errorf("ext4: inode %d needs an extent tree deeper than %d: %w", ino, EXT4_MAX_EXTENT_DEPTH, EFBIG)
	}
	if len(shape) == 0 {
		var ib [60]byte
		ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(len(t.exts)), Max: 4}.Encode(ib[:])
		var mapped uint64
		for k, e := range t.exts {
			encodeXent(e, ib[ExtentEntrySize*(k+1):])
			mapped += uint64(e.len)
		}
		t.laid, t.dirty = false, false
		return v.finishTree(in, t, &ib, 0, mapped)
	}
	need := 0
	for _, c := range shape {
		need += c
	}
	if t.laid && !v.fullTrees && len(t.leafKey) == shape[0] && len(t.blocks) == need {
		return v.updateTree(ino, in, t, shape, perNode)
	}
	return v.rebuildTree(ino, in, t, shape, need, perNode)
}

// treeShape is the node count of each level (leaves first) of the tree of
// n extents with perNode entries per block; empty for a tree in i_block,
// ok=false when it would be deeper than EXT4_MAX_EXTENT_DEPTH.
func treeShape(n, perNode int, buf *[EXT4_MAX_EXTENT_DEPTH]int) ([]int, bool) {
	shape := buf[:0]
	if n <= 4 {
		return shape, true
	}
	for c := (n + perNode - 1) / perNode; ; c = (c + perNode - 1) / perNode {
		if len(shape) == EXT4_MAX_EXTENT_DEPTH {
			return nil, false
		}
		shape = append(shape, c)
		if c <= 4 {
			return shape, true
		}
	}
}

// rebuildTree writes every node of the tree of the given shape. Leaves
// get the extents spread evenly, so that later changes find room in
// their own leaf.
func (v *Volume) rebuildTree(ino uint32, in *Inode, t *xtree, shape []int, need, perNode int) error {
	// Assign blocks: reuse old tree blocks in order, allocate the rest.
	blocks := append(v.treeBlk[:0], t.blocks...)
	defer func() { v.treeBlk = blocks[:0] }()
	var surplus []uint64
	if len(blocks) > need {
		surplus = blocks[need:]
		blocks = blocks[:need]
	}
	goal := t.exts[0].pblk
	for len(blocks) < need {
		b, _, err := v.allocBlocks(goal, 1)
		if err != nil {
			// Give back what this call took; the tree on disk is untouched.
			for _, nb := range blocks[len(t.blocks):] {
				err = errors.Join(err, v.freeBlocks(nb, 1))
			}
			return err
		}
		blocks = append(blocks, b)
		goal = b + 1
	}
	// blocks is scratch: the tree keeps a copy, in its own array. Each
	// level's blocks are one run of the list, top level first.
	t.blocks = append(t.blocks[:0], blocks...)
	t.laid = false
	seed := v.cs.InodeSeed(ino, in.Generation)
	n, leaves := len(t.exts), shape[0]
	t.leafKey, t.leafSum = t.leafKey[:0], t.leafSum[:0]
	var mapped uint64
	for k := range leaves {
		lo, hi := n*k/leaves, n*(k+1)/leaves
		sum, err := v.writeLeaf(seed, t.nodeBlock(shape, 0, k), t.exts[lo:hi], perNode)
		if err != nil {
			return err
		}
		t.leafKey = append(t.leafKey, t.exts[lo].lblk)
		t.leafSum = append(t.leafSum, sum)
		mapped += sum
	}
	for li := 1; li < len(shape); li++ {
		for ni := range shape[li] {
			if err := v.writeIndex(seed, t, shape, li, ni, perNode); err != nil {
				return err
			}
		}
	}
	for _, b := range surplus {
		if err := v.freeBlocks(b, 1); err != nil {
			return err
		}
	}
	t.laid, t.dirty = true, false
	return v.finishTree(in, t, t.root(shape, perNode), len(shape), mapped)
}

// updateTree rewrites the leaves holding the extents that changed since
// the last store (t.dirtyLo..t.dirtyHi), the index nodes above a leaf
// whose first key changed, and the root. A leaf that would overflow or
// empty shares extents with its neighbours: the window of leaves around it
// grows until its extents fit with a free slot per leaf on average (or
// spans every leaf), and they are spread evenly over it. The shape, and so
// every tree block, stays as it was.
func (v *Volume) updateTree(ino uint32, in *Inode, t *xtree, shape []int, perNode int) error {
	if t.dirty {
		n, leaves := len(t.exts), shape[0]
		// start is the index of leaf k's first extent: the leaves hold
		// the extents between their (old) first keys.
		start := func(k int) int {
			switch k {
			case 0:
				return 0
			case leaves:
				return n
			}
			key := t.leafKey[k]
			return sort.Search(n, func(i int) bool { return t.exts[i].lblk >= key })
		}
		leafOf := func(key uint64) int {
			return max(0, sort.Search(leaves, func(k int) bool { return uint64(t.leafKey[k]) > key })-1)
		}
		a, b := leafOf(t.dirtyLo), leafOf(t.dirtyHi)
		st := v.starts[:0]
		defer func() { v.starts = st[:0] }()
		fits := true
		for k := a; k <= b+1; k++ {
			st = append(st, start(k))
			if k > a {
				if c := st[k-a] - st[k-a-1]; c < 1 || c > perNode {
					fits = false
				}
			}
		}
		if !fits {
			sA, sB := st[0], st[len(st)-1]
			for {
				w, tot := b-a+1, sB-sA
				if (tot >= w && tot <= w*(perNode-1)) || (a == 0 && b == leaves-1) {
					break
				}
				if a > 0 {
					a--
					sA = start(a)
				}
				if b < leaves-1 {
					b++
					sB = start(b + 1)
				}
			}
			w, tot := b-a+1, sB-sA
			st = st[:0]
			for k := range w {
				st = append(st, sA+tot*k/w)
			}
			st = append(st, sB)
		}
		seed := v.cs.InodeSeed(ino, in.Generation)
		ka, kb := -1, -1 // the leaves whose first key changed
		for k := a; k <= b; k++ {
			lo, hi := st[k-a], st[k-a+1]
			sum, err := v.writeLeaf(seed, t.nodeBlock(shape, 0, k), t.exts[lo:hi], perNode)
			if err != nil {
				return err
			}
			t.leafSum[k] = sum
			if key := t.exts[lo].lblk; key != t.leafKey[k] {
				t.leafKey[k] = key
				if ka < 0 {
					ka = k
				}
				kb = k
			}
		}
		// Index nodes above a changed key; their own first key changed
		// only where the child that changed was their first.
		for li := 1; li < len(shape) && ka >= 0; li++ {
			for ni := ka / perNode; ni <= kb/perNode; ni++ {
				if err := v.writeIndex(seed, t, shape, li, ni, perNode); err != nil {
					return err
				}
			}
			ka, kb = (ka+perNode-1)/perNode, kb/perNode
			if ka > kb {
				ka = -1
			}
		}
		t.dirty = false
	}
	var mapped uint64
	for _, s := range t.leafSum {
		mapped += s
	}
	return v.finishTree(in, t, t.root(shape, perNode), len(shape), mapped)
}

// nodeBlock is the block of node ni at level li (0 = leaves): t.blocks
// holds each level's blocks as one run, top level first.
func (t *xtree) nodeBlock(shape []int, li, ni int) uint64 {
	off := 0
	for _, c := range shape[li+1:] {
		off += c
	}
	return t.blocks[off+ni]
}

// firstKey is the first logical block under node ni at level li: that of
// its first leaf (index nodes group perNode children each, in order).
func (t *xtree) firstKey(li, ni, perNode int) uint32 {
	for range li {
		ni *= perNode
	}
	return t.leafKey[ni]
}

// writeLeaf writes one leaf block holding exts and returns the blocks
// they map.
func (v *Volume) writeLeaf(seed uint32, blk uint64, exts []xent, perNode int) (uint64, error) {
	buf := v.scratchBlock() // the device copies, so one buffer serves every node
	ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(len(exts)), Max: uint16(perNode)}.Encode(buf)
	var sum uint64
	for k, e := range exts {
		encodeXent(e, buf[ExtentEntrySize*(k+1):])
		sum += uint64(e.len)
	}
	return sum, v.writeNode(seed, blk, buf, perNode)
}

// writeIndex writes index node ni of level li: one entry per child node
// of level li-1, keyed by the child's first logical block.
func (v *Volume) writeIndex(seed uint32, t *xtree, shape []int, li, ni, perNode int) error {
	buf := v.scratchBlock()
	c0 := ni * perNode
	c1 := min(c0+perNode, shape[li-1])
	ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(c1 - c0), Max: uint16(perNode), Depth: uint16(li)}.Encode(buf)
	for c := c0; c < c1; c++ {
		x := ExtentIdx{Block: t.firstKey(li-1, c, perNode)}
		x.SetLeaf(t.nodeBlock(shape, li-1, c))
		x.Encode(buf[ExtentEntrySize*(c-c0+1):])
	}
	return v.writeNode(seed, t.nodeBlock(shape, li, ni), buf, perNode)
}

// writeNode stamps the ext4_extent_tail checksum and writes a tree block.
func (v *Volume) writeNode(seed uint32, blk uint64, buf []byte, perNode int) error {
	if v.csum {
		off := ExtentTailOffset(uint16(perNode))
		putLE32(buf, off, ExtentBlockCsum(seed, buf, uint16(perNode)))
	}
	return v.writeBlock(blk, buf)
}

// root is i_block of a tree with index levels: one entry per node of the
// top level.
func (t *xtree) root(shape []int, perNode int) *[60]byte {
	var ib [60]byte
	top := len(shape) - 1
	ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(shape[top]), Max: 4, Depth: uint16(len(shape))}.Encode(ib[:])
	for k := range shape[top] {
		x := ExtentIdx{Block: t.firstKey(top, k, perNode)}
		x.SetLeaf(t.nodeBlock(shape, top, k))
		x.Encode(ib[ExtentEntrySize*(k+1):])
	}
	return &ib
}

// encodeXent writes e as a struct ext4_extent into b[:12].
func encodeXent(e xent, b []byte) {
	var x Extent
	x.Block = e.lblk
	x.SetStart(e.pblk)
	x.SetLength(e.len, e.unwritten)
	x.Encode(b)
}

// finishTree writes the root into i_block and recomputes i_blocks from
// the blocks the extents map (mapped) plus the tree's own blocks.
func (v *Volume) finishTree(in *Inode, t *xtree, root *[60]byte, depth int, mapped uint64) error {
	if depth == 0 && len(t.blocks) > 0 {
		for _, b := range t.blocks {
			if err := v.freeBlocks(b, 1); err != nil {
				return err
			}
		}
		t.blocks = nil
	}
	in.SetBlockBytes(root[:])
	in.Flags |= EXT4_EXTENTS_FL
	n := mapped + uint64(len(t.blocks))
	if in.FileACL() != 0 {
		n++
	}
	v.setIBlocks(in, n)
	return nil
}

// setIBlocks stores a block count in i_blocks (512-byte units, or
// filesystem blocks with EXT4_HUGE_FILE_FL).
func (v *Volume) setIBlocks(in *Inode, nblocks uint64) {
	sectors := nblocks * v.bs / 512
	if sectors >= 1<<48 {
		in.Flags |= EXT4_HUGE_FILE_FL
		sectors = nblocks
	} else {
		in.Flags &^= EXT4_HUGE_FILE_FL
	}
	in.BlocksLo = uint32(sectors)
	in.BlocksHigh = uint16(sectors >> 32)
}

// inodeGoal is the first block of the inode's flex group, where
// ext4_ext_find_goal looks when the file has no blocks yet.
func (v *Volume) inodeGoal(ino uint32) uint64 {
	g := (ino - 1) / v.ipg
	if v.sb.LogGroupsPerFlex > 0 && v.sb.HasIncompat(EXT4_FEATURE_INCOMPAT_FLEX_BG) {
		g &^= (1 << v.sb.LogGroupsPerFlex) - 1
	}
	return v.groupFirst(g)
}

// findGoal mirrors ext4_ext_find_goal: the physical block that would
// continue the nearest extent before lblk, else the inode's group.
func (v *Volume) findGoal(ino uint32, t *xtree, lblk uint32) uint64 {
	_, next := t.lookup(lblk)
	if next > 0 {
		p := t.exts[next-1]
		if uint64(lblk) >= uint64(p.lblk) {
			return p.pblk + uint64(lblk-p.lblk)
		}
	}
	if next < len(t.exts) {
		n := t.exts[next]
		if n.pblk > uint64(n.lblk-lblk) {
			return n.pblk - uint64(n.lblk-lblk)
		}
	}
	return v.inodeGoal(ino)
}
