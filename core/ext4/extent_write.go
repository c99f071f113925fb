package ext4

import (
	"errors"
	"fmt"
	"sort"
)

// The write side keeps an inode's extent tree as a sorted list of extents
// while it changes it, then stores the list back as a tree: depth 0 in
// i_block when four extents fit, otherwise full leaf blocks under as many
// index levels as needed (so the tree grows and shrinks in depth), each
// node with its ext4_extent_tail checksum. Tree blocks are reused in
// order, so an operation that does not change the extent count rewrites
// the same blocks.

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
// an operation that fails drops the cache, so a half-changed list is never
// reused.
type xtree struct {
	exts   []xent
	blocks []uint64 // tree (leaf and index) blocks, in tree order
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

// xnode is one node of an extent tree being stored: its first logical
// block and its entries.
type xnode struct {
	first   uint32
	entries [][ExtentEntrySize]byte
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

func (v *Volume) storeTree(ino uint32, in *Inode, t *xtree) error {
	t.exts = splitLong(t.exts)
	perNode := int((v.bs - ExtentEntrySize) / ExtentEntrySize)
	// Shape: level 0 = leaves; build upwards until the top fits in i_block.
	var levelsBuf [EXT4_MAX_EXTENT_DEPTH + 1][]xnode
	levels := levelsBuf[:0]
	var cur []xnode
	// Leaves.
	{
		// Scratch slices of the volume: they are not kept past this call
		// (leaf nodes below slice entries, and are written out before
		// storeTree returns).
		entries, firsts := v.entries[:0], v.firsts[:0]
		defer func() { v.entries, v.firsts = entries[:0], firsts[:0] }()
		for _, e := range t.exts {
			var x Extent
			x.Block = e.lblk
			x.SetStart(e.pblk)
			x.SetLength(e.len, e.unwritten)
			var raw [ExtentEntrySize]byte
			x.Encode(raw[:])
			entries = append(entries, raw)
			firsts = append(firsts, e.lblk)
		}
		if len(entries) <= 4 {
			return v.finishTree(ino, in, t, entries, 0)
		}
		leaves := v.leaves[:0]
		for i := 0; i < len(entries); i += perNode {
			j := min(i+perNode, len(entries))
			leaves = append(leaves, xnode{first: firsts[i], entries: entries[i:j]})
		}
		defer func() { v.leaves = leaves[:0] }()
		cur = leaves
	}
	depth := 0
	for {
		levels = append(levels, cur)
		depth++
		if depth > EXT4_MAX_EXTENT_DEPTH {
			return fmt.Errorf("ext4: inode %d needs an extent tree deeper than %d: %w", ino, EXT4_MAX_EXTENT_DEPTH, EFBIG)
		}
		// Index entries pointing at cur's nodes get their blocks later;
		// record firsts now.
		if len(cur) <= 4 {
			break
		}
		var up []xnode
		for i := 0; i < len(cur); i += perNode {
			j := min(i+perNode, len(cur))
			up = append(up, xnode{first: cur[i].first, entries: make([][ExtentEntrySize]byte, j-i)})
		}
		cur = up
	}
	// Assign blocks: reuse old tree blocks in order, allocate the rest.
	need := 0
	for _, l := range levels {
		need += len(l)
	}
	blocks := append(v.treeBlk[:0], t.blocks...)
	defer func() { v.treeBlk = blocks[:0] }()
	var surplus []uint64
	if len(blocks) > need {
		surplus = blocks[need:]
		blocks = blocks[:need]
	}
	goal := v.inodeGoal(ino)
	if len(t.exts) > 0 {
		goal = t.exts[0].pblk
	}
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
	// Blocks per level, assigned from the list top level first, so each
	// level's blocks are one run of the list.
	var blkOfBuf [EXT4_MAX_EXTENT_DEPTH + 1][]uint64
	blkOf := blkOfBuf[:len(levels)]
	bi := 0
	for li := len(levels) - 1; li >= 0; li-- {
		blkOf[li] = blocks[bi : bi+len(levels[li])]
		bi += len(levels[li])
	}
	seed := v.cs.InodeSeed(ino, in.Generation)
	buf := v.scratchBlock() // the device copies, so one buffer serves every node
	for li, l := range levels {
		for ni, nd := range l {
			clear(buf)
			ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(len(nd.entries)), Max: uint16(perNode), Depth: uint16(li)}.Encode(buf)
			if li == 0 {
				for k, raw := range nd.entries {
					copy(buf[ExtentEntrySize*(k+1):], raw[:])
				}
			} else {
				// Children are the nodes of level li-1 under this one.
				for k := range nd.entries {
					child := ni*perNode + k
					var x ExtentIdx
					x.Block = levels[li-1][child].first
					x.SetLeaf(blkOf[li-1][child])
					x.Encode(buf[ExtentEntrySize*(k+1):])
				}
			}
			if v.csum {
				off := ExtentTailOffset(uint16(perNode))
				putLE32(buf, off, ExtentBlockCsum(seed, buf, uint16(perNode)))
			}
			if err := v.writeBlock(blkOf[li][ni], buf); err != nil {
				return err
			}
		}
	}
	top := levels[len(levels)-1]
	var rootEntries [][ExtentEntrySize]byte
	for k, nd := range top {
		var x ExtentIdx
		x.Block = nd.first
		x.SetLeaf(blkOf[len(levels)-1][k])
		var raw [ExtentEntrySize]byte
		x.Encode(raw[:])
		rootEntries = append(rootEntries, raw)
	}
	for _, b := range surplus {
		if err := v.freeBlocks(b, 1); err != nil {
			return err
		}
	}
	// blocks is scratch: the tree keeps a copy, in its own array.
	t.blocks = append(t.blocks[:0], blocks...)
	return v.finishTree(ino, in, t, rootEntries, len(levels))
}

// finishTree writes the root into i_block and recomputes i_blocks.
func (v *Volume) finishTree(ino uint32, in *Inode, t *xtree, root [][ExtentEntrySize]byte, depth int) error {
	if depth == 0 && len(t.blocks) > 0 {
		for _, b := range t.blocks {
			if err := v.freeBlocks(b, 1); err != nil {
				return err
			}
		}
		t.blocks = nil
	}
	var ib [60]byte
	ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: uint16(len(root)), Max: 4, Depth: uint16(depth)}.Encode(ib[:])
	for k, raw := range root {
		copy(ib[ExtentEntrySize*(k+1):], raw[:])
	}
	in.SetBlockBytes(ib[:])
	in.Flags |= EXT4_EXTENTS_FL
	var n uint64
	for _, e := range t.exts {
		n += uint64(e.len)
	}
	n += uint64(len(t.blocks))
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
