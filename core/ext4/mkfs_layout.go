package ext4

import (
	"errors"
	"fmt"
	"sort"
)

// This file is the pure geometry of mkfs: where every metadata block goes,
// computed the way mke2fs 1.47 (misc/mke2fs.c, lib/ext2fs/initialize.c,
// alloc_tables.c, res_gdt.c, mkjournal.c) computes it, but per group and
// per extent of used space, never per block, so a 1 TiB plan costs a few
// hundred kilobytes. It knows nothing of the on-disk encoders; mkfs.go
// turns a plan into bytes.

// ErrMkfs is wrapped by every error of mkfs parameter checking.
var ErrMkfs = errors.New("ext4: mkfs")

// mkfsFeatures are the features that change the geometry.
type mkfsFeatures struct {
	sparseSuper  bool
	resizeInode  bool
	flexBG       bool
	bit64        bool
	hasJournal   bool
	groupCsum    bool // metadata_csum or uninit_bg: uninit flags are used
	extents      bool
	metadataCsum bool
}

// mkfsGeometryInput is what the geometry depends on, already resolved
// from the size type defaults (see mkfsSizeType).
type mkfsGeometryInput struct {
	sizeBytes        uint64
	blockSize        uint32
	inodeSize        uint32
	inodeRatio       uint64
	inodesCount      uint64 // requested (-N); 0 means from inodeRatio
	reservedPercent  float64
	logGroupsPerFlex uint8
	journalBlocks    uint64 // 0 means the mke2fs default for the size
	feat             mkfsFeatures
}

// mkfsGroup is one group of the plan.
type mkfsGroup struct {
	blockBitmap, inodeBitmap, inodeTable uint64
	hasSuper                             bool
	blockUninit, inodeUninit             bool
	freeBlocks                           uint32
	freeInodes                           uint32
	usedDirs                             uint32
	itableUnused                         uint32
}

// blockSpan is a half-open range [start, end) of blocks.
type blockSpan struct{ start, end uint64 }

// mkfsExtent is one journal (or directory) extent.
type mkfsExtent struct {
	lblk uint32
	pblk uint64
	len  uint32
}

// mkfsPlan is the complete geometry of a new filesystem.
type mkfsPlan struct {
	in                  mkfsGeometryInput
	blockSize           uint32
	blocksCount         uint64
	rBlocksCount        uint64
	firstDataBlock      uint64
	blocksPerGroup      uint32
	groupCount          uint32
	inodesPerGroup      uint32
	inodeBlocksPerGroup uint32
	inodesCount         uint32
	descSize            uint32
	descBlocks          uint32
	reservedGDT         uint32
	groups              []mkfsGroup

	used spanSet // every allocated block

	rootBlock      uint64
	lpfBlocks      []uint64 // contiguous in practice, kept as a list
	resizeDind     uint64
	journalExtents []mkfsExtent
	journalIndex   uint64 // extent tree leaf block when depth is 1, else 0
	journalBlocks  uint64
	freeBlocks     uint64
	freeInodes     uint32
	overhead       uint64
}

// mkfsSizeType is mke2fs's size type (parse_fs_type): floppy < 3 MiB,
// small < 512 MiB, default < 4 TiB, big < 16 TiB, huge above; it picks
// block size and inode ratio from /etc/mke2fs.conf's stock values.
func mkfsSizeType(sizeBytes uint64) (name string, blockSize uint32, inodeRatio uint64) {
	const mib = 1 << 20
	switch {
	case sizeBytes < 3*mib:
		return "floppy", 1024, 8192
	case sizeBytes < 512*mib:
		return "small", 1024, 4096
	case sizeBytes < 4<<40:
		return "default", 4096, 16384
	case sizeBytes < 16<<40:
		return "big", 4096, 32768
	default:
		return "huge", 4096, 65536
	}
}

// defaultJournalBlocks mirrors ext2fs_default_journal_size
// (lib/ext2fs/mkjournal.c): the journal size in blocks for a filesystem
// of n blocks, or 0 if it is too small for a journal.
func defaultJournalBlocks(n uint64) uint64 {
	switch {
	case n < 2048:
		return 0
	case n < 32768:
		return 1024
	case n < 256*1024:
		return 4096
	case n < 512*1024:
		return 8192
	case n < 4096*1024:
		return 16384
	case n < 8192*1024:
		return 32768
	case n < 16384*1024:
		return 65536
	case n < 32768*1024:
		return 131072
	default:
		return 262144
	}
}

func divCeil(a, b uint64) uint64 { return (a + b - 1) / b }

// groupHasSuper mirrors ext2fs_bg_has_super: with sparse_super only groups
// 0, 1 and powers of 3, 5 and 7 carry a superblock backup.
func groupHasSuper(g uint32, sparse bool) bool {
	if g <= 1 || !sparse {
		return true
	}
	if g&1 == 0 {
		return false
	}
	for _, b := range [3]uint32{3, 5, 7} {
		n := g
		for n%b == 0 {
			n /= b
		}
		if n == 1 {
			return true
		}
	}
	return false
}

// backupGroups lists the groups after 0 holding superblock backups, in
// increasing order, like ext2fs_list_backups.
func backupGroups(groupCount uint32, sparse bool) []uint32 {
	var out []uint32
	if !sparse {
		for g := uint32(1); g < groupCount; g++ {
			out = append(out, g)
		}
		return out
	}
	seen := map[uint64]bool{}
	for _, b := range [3]uint64{3, 5, 7} {
		for p := uint64(1); p < uint64(groupCount); p *= b {
			seen[p] = true
		}
	}
	for g := range seen {
		out = append(out, uint32(g))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// planMkfs computes the layout mke2fs would make for in.
func planMkfs(in mkfsGeometryInput) (*mkfsPlan, error) {
	bs := uint64(in.blockSize)
	if bs != 1024 && bs != 2048 && bs != 4096 {
		return nil, fmt.Errorf("%w: block size %d: must be 1024, 2048 or 4096", ErrMkfs, bs)
	}
	if in.inodeSize < 128 || in.inodeSize > uint32(bs) || in.inodeSize&(in.inodeSize-1) != 0 {
		return nil, fmt.Errorf("%w: inode size %d: must be a power of two from 128 to the block size", ErrMkfs, in.inodeSize)
	}
	p := &mkfsPlan{in: in, blockSize: in.blockSize}
	p.blocksCount = in.sizeBytes / bs
	if p.blocksCount > 1<<32-1 && !in.feat.bit64 {
		return nil, fmt.Errorf("%w: %d blocks need the 64bit feature", ErrMkfs, p.blocksCount)
	}
	if p.blocksCount >= 1<<48 {
		return nil, fmt.Errorf("%w: %d blocks is too many", ErrMkfs, p.blocksCount)
	}
	if p.blocksCount > 1<<32-1 {
		// mke2fs turns resize_inode off above 2^32 blocks.
		p.in.feat.resizeInode = false
		in.feat.resizeInode = false
	}
	if in.blockSize == 1024 {
		p.firstDataBlock = 1
	}
	p.descSize = 32
	if in.feat.bit64 {
		p.descSize = 64
	}
	inodesWanted := in.inodesCount
	if inodesWanted == 0 {
		if in.inodeRatio == 0 {
			return nil, fmt.Errorf("%w: inode ratio 0", ErrMkfs)
		}
		inodesWanted = p.blocksCount * bs / in.inodeRatio
	}
	if inodesWanted > 1<<32-1 {
		return nil, fmt.Errorf("%w: %d inodes is more than 2^32-1", ErrMkfs, inodesWanted)
	}
	p.rBlocksCount = uint64(in.reservedPercent * float64(p.blocksCount) / 100.0)
	origBlocks := p.blocksCount
	bpg := uint64(bs * 8)
	descPerBlock := bs / uint64(p.descSize)
	inodesPerBlock := bs / uint64(in.inodeSize)

	// The retry loop of ext2fs_initialize.
	for iter := 0; ; iter++ {
		if iter > 1000 {
			return nil, fmt.Errorf("%w: geometry does not converge", ErrMkfs)
		}
		if p.blocksCount <= p.firstDataBlock {
			return nil, fmt.Errorf("%w: %d bytes is too small", ErrMkfs, in.sizeBytes)
		}
		groups := divCeil(p.blocksCount-p.firstDataBlock, bpg)
		if groups > 1<<32-1 {
			return nil, fmt.Errorf("%w: too many groups", ErrMkfs)
		}
		p.groupCount = uint32(groups)
		p.descBlocks = uint32(divCeil(groups, descPerBlock))
		inodes := inodesWanted
		if inodes < 12 {
			inodes = 12
		}
		ipg := divCeil(inodes, groups)
		if ipg > bs*8 {
			if bpg >= 256 {
				bpg -= 8
				p.blocksCount = origBlocks
				continue
			}
			return nil, fmt.Errorf("%w: too many inodes per group (%d)", ErrMkfs, ipg)
		}
		maxIPG := uint64(1<<16) - inodesPerBlock
		if ipg > maxIPG {
			ipg = maxIPG
		}
		var ibpg uint64
		for {
			ibpg = divCeil(ipg*uint64(in.inodeSize), bs)
			ipgR := ibpg * bs / uint64(in.inodeSize)
			if ipgR < 8 {
				ipgR = 8
			}
			ipgR &^= 7
			ibpg = divCeil(ipgR*uint64(in.inodeSize), bs)
			if ipgR*groups > 1<<32-1 {
				ipg--
				continue
			}
			ipg = ipgR
			break
		}
		p.inodesPerGroup = uint32(ipg)
		p.inodeBlocksPerGroup = uint32(ibpg)
		p.inodesCount = uint32(ipg * groups)
		p.blocksPerGroup = uint32(bpg)

		p.reservedGDT = 0
		if in.feat.resizeInode {
			p.reservedGDT = calcReservedGDT(p.blocksCount, p.firstDataBlock, bpg, descPerBlock, uint64(p.descBlocks), bs/4)
		}
		if uint64(p.reservedGDT)+uint64(p.descBlocks) > bpg*3/4 {
			return nil, fmt.Errorf("%w: %d groups would need meta_bg, which this mkfs does not make", ErrMkfs, groups)
		}
		overhead := 3 + ibpg + uint64(p.reservedGDT) + uint64(p.descBlocks)
		if overhead > bpg {
			return nil, fmt.Errorf("%w: too many inodes: %d metadata blocks per group of %d", ErrMkfs, overhead, bpg)
		}
		overhead = 2 + ibpg
		if groupHasSuper(p.groupCount-1, in.feat.sparseSuper) {
			overhead += 1 + uint64(p.descBlocks) + uint64(p.reservedGDT)
		}
		rem := (p.blocksCount - p.firstDataBlock) % bpg
		if groups == 1 && rem != 0 && rem < overhead {
			return nil, fmt.Errorf("%w: %d bytes is too small for %d metadata blocks", ErrMkfs, in.sizeBytes, overhead)
		}
		if rem != 0 && rem < overhead+50 {
			ratio := 100.0 * float64(p.rBlocksCount) / float64(p.blocksCount)
			p.blocksCount -= rem
			p.rBlocksCount = uint64(ratio * float64(p.blocksCount) / 100.0)
			continue
		}
		break
	}
	if p.inodesPerGroup < 11 {
		return nil, fmt.Errorf("%w: %d inodes per group is too few", ErrMkfs, p.inodesPerGroup)
	}
	if err := p.allocate(); err != nil {
		return nil, err
	}
	return p, nil
}

// calcReservedGDT mirrors calc_reserved_gdt_blocks (lib/ext2fs/initialize.c):
// enough reserved GDT blocks to grow the filesystem 1024-fold or to 2^32
// blocks, whichever is smaller, at most one block of addresses.
func calcReservedGDT(blocks, firstData, bpg, descPerBlock, descBlocks, addrPerBlock uint64) uint32 {
	maxBlocks := uint64(0xffffffff)
	if blocks < maxBlocks/1024 {
		maxBlocks = blocks * 1024
	}
	rsvGroups := divCeil(maxBlocks-firstData, bpg)
	need := divCeil(rsvGroups, descPerBlock)
	var rsv uint64
	if need > descBlocks {
		rsv = need - descBlocks
	}
	if rsv > addrPerBlock || need < descBlocks {
		rsv = addrPerBlock
	}
	return uint32(rsv)
}

func (p *mkfsPlan) groupFirst(g uint32) uint64 {
	return p.firstDataBlock + uint64(g)*uint64(p.blocksPerGroup)
}

func (p *mkfsPlan) groupLast(g uint32) uint64 {
	if g == p.groupCount-1 {
		return p.blocksCount - 1
	}
	return p.groupFirst(g+1) - 1
}

func (p *mkfsPlan) groupOf(b uint64) uint32 {
	if b < p.firstDataBlock {
		return 0
	}
	return uint32((b - p.firstDataBlock) / uint64(p.blocksPerGroup))
}

// getFreeBlocks mirrors ext2fs_get_free_blocks2: the first b in the
// circular range [start, finish) such that num blocks from b are free.
func (p *mkfsPlan) getFreeBlocks(start, finish, num uint64) (uint64, bool) {
	b := start
	if b == 0 {
		b = p.firstDataBlock
	}
	if finish == 0 {
		finish = start
	}
	if num == 0 {
		num = 1
	}
	if num > p.blocksCount {
		return 0, false
	}
	last := p.blocksCount - num // last candidate that fits
	if finish > start {
		if finish-1 < b {
			return 0, false
		}
		return p.used.firstFit(b, min(finish-1, last), num)
	}
	if b <= last {
		if r, ok := p.used.firstFit(b, last, num); ok {
			return r, true
		}
	}
	if finish > p.firstDataBlock {
		return p.used.firstFit(p.firstDataBlock, min(finish-1, last), num)
	}
	return 0, false
}

// newBlock mirrors ext2fs_new_block2: the first free block at or after
// goal, wrapping to the first data block.
func (p *mkfsPlan) newBlock(goal uint64) (uint64, error) {
	if goal == 0 || goal >= p.blocksCount {
		goal = p.firstDataBlock
	}
	if b, ok := p.used.firstFit(goal, p.blocksCount-1, 1); ok {
		return b, nil
	}
	if goal > p.firstDataBlock {
		if b, ok := p.used.firstFit(p.firstDataBlock, goal-1, 1); ok {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w: no free block for metadata: %w", ErrMkfs, ENOSPC)
}

// markAlloc records an allocation made through the block allocation
// statistics path, which clears BLOCK_UNINIT of the groups it touches.
func (p *mkfsPlan) markAlloc(start, n uint64) {
	p.used.add(start, start+n)
	for g := p.groupOf(start); g <= p.groupOf(start+n-1) && g < p.groupCount; g++ {
		p.groups[g].blockUninit = false
	}
}

// flexbgOffset mirrors flexbg_offset (lib/ext2fs/alloc_tables.c).
func (p *mkfsPlan) flexbgOffset(group uint32, startBlk uint64, remGrp uint32, elemSize uint64) uint64 {
	flexSize := uint32(1) << p.in.logGroupsPerFlex
	flexbg := group / flexSize
	size := uint64(remGrp) * elemSize
	if size > uint64(p.blocksPerGroup/4) {
		size = uint64(p.blocksPerGroup / 4)
	}
	if startBlk != 0 && startBlk < p.blocksCount {
		if b, ok := p.getFreeBlocks(startBlk, startBlk+size, elemSize); ok {
			return b
		}
	}
	startBlk = p.groupFirst(flexSize * flexbg)
	lastGrp := group | (flexSize - 1)
	if lastGrp > p.groupCount-1 {
		lastGrp = p.groupCount - 1
	}
	lastBlk := p.groupLast(lastGrp)
	if b, ok := p.getFreeBlocks(startBlk, lastBlk, size); ok {
		return b
	}
	if b, ok := p.getFreeBlocks(startBlk, lastBlk, elemSize); ok {
		return b
	}
	if b, ok := p.getFreeBlocks(0, lastBlk, elemSize); ok {
		return b
	}
	return 0
}

// allocateGroupTable mirrors ext2fs_allocate_group_table.
func (p *mkfsPlan) allocateGroupTable(group uint32) error {
	g := &p.groups[group]
	groupBlk := p.groupFirst(group)
	lastBlk := p.groupLast(group)
	startBlk := groupBlk
	flex := p.in.feat.flexBG && p.in.logGroupsPerFlex > 0
	var flexSize, lastGrp, remGrps, tableOffset uint32
	if flex {
		flexSize = 1 << p.in.logGroupsPerFlex
		lastGrp = group | (flexSize - 1)
		if lastGrp > p.groupCount-1 {
			lastGrp = p.groupCount - 1
		}
		remGrps = lastGrp - group + 1
		tableOffset = flexSize
		var prev uint64
		if group%flexSize != 0 {
			prev = p.groups[group-1].blockBitmap + 1
		} else if lastGrp == p.groupCount-1 {
			// The last flex group keeps its tables contiguous.
			tableOffset = lastGrp & (flexSize - 1)
			if tableOffset == 0 {
				tableOffset = flexSize
			} else {
				tableOffset++
			}
		}
		startBlk = p.flexbgOffset(group, prev, remGrps, 1)
		lastBlk = p.groupLast(lastGrp)
	}
	alloc1 := func(start uint64) (uint64, error) {
		b, ok := p.getFreeBlocks(start, lastBlk, 1)
		if !ok {
			b, ok = p.getFreeBlocks(groupBlk, lastBlk, 1)
		}
		if !ok {
			return 0, fmt.Errorf("%w: no room for the bitmaps of group %d: %w", ErrMkfs, group, ENOSPC)
		}
		if flex {
			p.markAlloc(b, 1)
		} else {
			p.used.add(b, b+1)
		}
		return b, nil
	}
	var err error
	if g.blockBitmap, err = alloc1(startBlk); err != nil {
		return err
	}
	if flex {
		var prev uint64
		if group%flexSize != 0 {
			prev = p.groups[group-1].inodeBitmap + 1
		} else {
			prev = g.blockBitmap + uint64(tableOffset)
		}
		startBlk = p.flexbgOffset(group, prev, remGrps, 1)
		lastBlk = p.groupLast(lastGrp)
	}
	if g.inodeBitmap, err = alloc1(startBlk); err != nil {
		return err
	}
	ibpg := uint64(p.inodeBlocksPerGroup)
	if flex {
		var prev uint64
		if group%flexSize != 0 {
			prev = p.groups[group-1].inodeTable + ibpg
		} else {
			prev = g.inodeBitmap + uint64(tableOffset)
		}
		groupBlk = p.flexbgOffset(group, prev, remGrps, ibpg)
		lastBlk = p.groupLast(lastGrp)
	}
	b, ok := p.getFreeBlocks(groupBlk, lastBlk, ibpg)
	if !ok {
		return fmt.Errorf("%w: no room for the inode table of group %d: %w", ErrMkfs, group, ENOSPC)
	}
	if flex {
		p.markAlloc(b, ibpg)
	} else {
		p.used.add(b, b+ibpg)
	}
	g.inodeTable = b
	return nil
}

// allocate places every metadata block, in mke2fs's order: superblocks
// and descriptors, group tables, root directory, lost+found, the resize
// inode's double-indirect block, then the journal.
func (p *mkfsPlan) allocate() error {
	p.groups = make([]mkfsGroup, p.groupCount)
	sparse := p.in.feat.sparseSuper
	for i := range p.groups {
		g := &p.groups[i]
		g.hasSuper = groupHasSuper(uint32(i), sparse)
		if p.in.feat.groupCsum {
			g.blockUninit = uint32(i) != p.groupCount-1
			g.inodeUninit = true
			g.itableUnused = p.inodesPerGroup
		}
		g.freeInodes = p.inodesPerGroup
		if g.hasSuper {
			s := p.groupFirst(uint32(i))
			n := 1 + uint64(p.descBlocks) + uint64(p.reservedGDT)
			p.used.add(s, s+n)
		}
	}
	if p.firstDataBlock == 1 {
		p.used.add(0, 1)
	}
	for i := uint32(0); i < p.groupCount; i++ {
		if err := p.allocateGroupTable(i); err != nil {
			return err
		}
	}
	// Root directory and lost+found: ext2fs_mkdir's goal is the first
	// block of the inode's flex group, which for inodes 2 and 11 is block 0.
	var err error
	if p.rootBlock, err = p.newBlock(0); err != nil {
		return err
	}
	p.markAlloc(p.rootBlock, 1)
	lpfN := lostFoundBlocks(p.blockSize)
	for i := 0; i < lpfN; i++ {
		goal := uint64(0)
		if i > 0 {
			goal = p.lpfBlocks[i-1]
		}
		b, err := p.newBlock(goal)
		if err != nil {
			return err
		}
		p.markAlloc(b, 1)
		p.lpfBlocks = append(p.lpfBlocks, b)
	}
	// Inodes 1..11 are in use in group 0 (reserved ones plus lost+found).
	g0 := &p.groups[0]
	g0.freeInodes -= 11
	g0.usedDirs = 2
	g0.inodeUninit = false
	if p.in.feat.groupCsum {
		g0.itableUnused = p.inodesPerGroup - 11
	}
	if p.in.feat.resizeInode {
		goal := p.firstDataBlock + uint64(p.descBlocks) + uint64(p.reservedGDT) + 2 + uint64(p.inodeBlocksPerGroup)
		if p.resizeDind, err = p.newBlock(goal); err != nil {
			return err
		}
		p.markAlloc(p.resizeDind, 1)
	}
	if p.in.feat.hasJournal {
		if err := p.allocateJournal(); err != nil {
			return err
		}
	}
	p.finishCounts()
	return nil
}

// lostFoundBlocks mirrors create_lost_and_found in misc/mke2fs.c: the
// directory grows until it is 16 KiB (and at least two blocks), but stops
// at the 12 direct blocks.
func lostFoundBlocks(bs uint32) int {
	n, size := 1, uint32(0)
	for i := 1; i < 12; i++ {
		size += bs
		if size >= 16*1024 && size >= 2*bs {
			break
		}
		n++
	}
	return n
}

// groupFreeBlocks counts free blocks of a group from the used spans.
func (p *mkfsPlan) groupFreeBlocks(g uint32) uint64 {
	first, last := p.groupFirst(g), p.groupLast(g)
	return last - first + 1 - p.used.countIn(first, last+1)
}

// journalGoal mirrors get_midpoint_journal_block (lib/ext2fs/mkjournal.c).
func (p *mkfsPlan) journalGoal() uint64 {
	group := p.groupOf((p.blocksCount - p.firstDataBlock) / 2)
	logFlex := uint32(1) << p.in.logGroupsPerFlex
	var start uint32
	if p.in.feat.flexBG && p.in.logGroupsPerFlex > 0 && group > logFlex {
		group &^= logFlex - 1
		for group < p.groupCount && p.groupFreeBlocks(group) == 0 {
			group++
		}
		if group == p.groupCount {
			group = 0
		}
		start = group
	} else if group > 0 {
		start = group - 1
	} else {
		start = group
	}
	end := group
	if group+1 < p.groupCount {
		end = group + 1
	}
	group = start
	for i := start + 1; i <= end; i++ {
		if p.groupFreeBlocks(i) > p.groupFreeBlocks(group) {
			group = i
		}
	}
	return p.groupFirst(group)
}

// maxInitExtent is EXT_INIT_MAX_LEN: the longest initialized extent.
const maxInitExtent = 1 << 15

// allocateJournal mirrors ext2fs_add_journal_inode3 → ext2fs_fallocate:
// free runs taken first-fit from the goal, cut into extents of at most
// 32768 blocks; when a fifth extent no longer fits in the inode, the
// extent tree splits and its leaf block is allocated at the first free
// block from one before the first extent (extent_node_split's goal).
func (p *mkfsPlan) allocateJournal() error {
	n := p.in.journalBlocks
	if n == 0 {
		n = defaultJournalBlocks(p.blocksCount)
	}
	if n == 0 {
		return fmt.Errorf("%w: %d blocks is too small for a journal", ErrMkfs, p.blocksCount)
	}
	if n < 1024 || n > 10240000 {
		return fmt.Errorf("%w: journal of %d blocks: must be 1024 to 10240000", ErrMkfs, n)
	}
	p.journalBlocks = n
	goal := p.journalGoal()
	leafMax := (uint64(p.blockSize) - 12) / 12
	var lblk uint64
	for lblk < n {
		start, runLen, ok := p.used.freeRunFrom(goal, p.blocksCount)
		if !ok {
			start, runLen, ok = p.used.freeRunFrom(p.firstDataBlock, p.blocksCount)
		}
		if !ok {
			return fmt.Errorf("%w: no room for a journal of %d blocks: %w", ErrMkfs, n, ENOSPC)
		}
		if runLen > n-lblk {
			runLen = n - lblk
		}
		for runLen > 0 {
			l := min(runLen, maxInitExtent)
			if len(p.journalExtents) >= 4 && p.journalIndex == 0 {
				// The 5th extent was allocated, then the split happens.
				p.markAlloc(start, l)
				b, err := p.newBlock(p.journalExtents[0].pblk - 1)
				if err != nil {
					return err
				}
				p.markAlloc(b, 1)
				p.journalIndex = b
			} else {
				p.markAlloc(start, l)
			}
			if uint64(len(p.journalExtents)) >= leafMax {
				return fmt.Errorf("%w: journal needs more than %d extents", ErrMkfs, leafMax)
			}
			p.journalExtents = append(p.journalExtents, mkfsExtent{lblk: uint32(lblk), pblk: start, len: uint32(l)})
			lblk += l
			start += l
			runLen -= l
			if p.journalIndex != 0 && start < p.blocksCount && p.used.contains(start) {
				// The leaf block landed right after this run: the next
				// run starts after it.
				break
			}
		}
		goal = start
	}
	return nil
}

// finishCounts fills the per-group and global free counts and the
// overhead, and applies ext2fs_set_gdt_csum's flag rules.
func (p *mkfsPlan) finishCounts() {
	p.freeBlocks = 0
	for i := range p.groups {
		g := &p.groups[i]
		free := p.groupFreeBlocks(uint32(i))
		g.freeBlocks = uint32(free)
		p.freeBlocks += free
		if p.in.feat.groupCsum && free == uint64(p.blocksPerGroup) && uint32(i) != p.groupCount-1 {
			g.blockUninit = true
		}
	}
	p.freeInodes = p.inodesCount - 11
	// Overhead: everything used except the root, lost+found and resize
	// inode blocks; the journal counts as overhead.
	p.overhead = p.used.total() - 1 - uint64(len(p.lpfBlocks))
	if p.resizeDind != 0 {
		p.overhead--
	}
	if p.journalIndex != 0 {
		// mke2fs counts the journal by its size, not its extent blocks.
		p.overhead--
	}
}

// spanSet is a sorted set of disjoint, non-adjacent used block spans.
type spanSet struct{ s []blockSpan }

// add marks [start, end) used, merging neighbours.
func (ss *spanSet) add(start, end uint64) {
	if start >= end {
		return
	}
	// first span whose end >= start (could merge)
	i := sort.Search(len(ss.s), func(i int) bool { return ss.s[i].end >= start })
	j := i
	for j < len(ss.s) && ss.s[j].start <= end {
		start = min(start, ss.s[j].start)
		end = max(end, ss.s[j].end)
		j++
	}
	switch {
	case j == i: // insert
		ss.s = append(ss.s, blockSpan{})
		copy(ss.s[i+1:], ss.s[i:])
		ss.s[i] = blockSpan{start, end}
	default: // replace s[i:j] by one span
		ss.s[i] = blockSpan{start, end}
		ss.s = append(ss.s[:i+1], ss.s[j:]...)
	}
}

// contains reports whether block b is used.
func (ss *spanSet) contains(b uint64) bool {
	i := sort.Search(len(ss.s), func(i int) bool { return ss.s[i].end > b })
	return i < len(ss.s) && ss.s[i].start <= b
}

// firstFit is the smallest b in [lo, hi] with [b, b+num) free.
func (ss *spanSet) firstFit(lo, hi, num uint64) (uint64, bool) {
	b := lo
	i := sort.Search(len(ss.s), func(i int) bool { return ss.s[i].end > b })
	for b <= hi {
		if i >= len(ss.s) || ss.s[i].start >= b+num {
			return b, true
		}
		if ss.s[i].end > b {
			b = ss.s[i].end
		}
		i++
	}
	return 0, false
}

// freeRunFrom is the first free run at or after b, below limit.
func (ss *spanSet) freeRunFrom(b, limit uint64) (start, n uint64, ok bool) {
	i := sort.Search(len(ss.s), func(i int) bool { return ss.s[i].end > b })
	if i < len(ss.s) && ss.s[i].start <= b {
		b = ss.s[i].end
		i++
	}
	if b >= limit {
		return 0, 0, false
	}
	end := limit
	if i < len(ss.s) && ss.s[i].start < end {
		end = ss.s[i].start
	}
	return b, end - b, true
}

// countIn counts used blocks in [lo, hi).
func (ss *spanSet) countIn(lo, hi uint64) uint64 {
	var n uint64
	i := sort.Search(len(ss.s), func(i int) bool { return ss.s[i].end > lo })
	for ; i < len(ss.s) && ss.s[i].start < hi; i++ {
		n += min(hi, ss.s[i].end) - max(lo, ss.s[i].start)
	}
	return n
}

func (ss *spanSet) total() uint64 {
	var n uint64
	for _, s := range ss.s {
		n += s.end - s.start
	}
	return n
}
