package ext4

import (
	"fmt"
	"io"
	"maps"
)

// Device is what the reader needs from a block device: random reads and a
// size. *image.Device satisfies it.
type Device interface {
	io.ReaderAt
	Size() int64
}

// problemsMax bounds the problem list so a thoroughly broken image cannot
// grow it without end.
const problemsMax = 1000

// FS is an opened ext4 (or ext2/ext3) filesystem, read-only. Open checks
// the superblock and group descriptors; everything else is read on demand
// and checked as it is read. Problems found while reading are collected
// (Problems) rather than ending the read.
type FS struct {
	dev       Device
	devSize   int64
	sb        *Superblock
	sbRaw     []byte
	csum      *Checksummer
	blockSize uint32
	groups    []GroupDesc
	groupRaw  [][]byte // encoded descriptors as read, for checksums
	inodeSize uint32

	problems []Problem
	seen     map[string]bool // problem dedup

	// walkBudget bounds the blocks that extent, indirect and directory
	// walks read during one Inspect, so a hostile image whose inodes all
	// map the same huge trees cannot make the work quadratic. -1: no limit
	// (single calls are bounded by the device size already).
	walkBudget int64
}

// spend takes n blocks from the walk budget; false means stop walking.
func (fs *FS) spend(n int64) bool {
	if fs.walkBudget < 0 {
		return true
	}
	if fs.walkBudget < n {
		fs.problem("filesystem", "metadata walks read more blocks than the image holds several times over; stopped")
		fs.walkBudget = 0
		return false
	}
	fs.walkBudget -= n
	return true
}

// Problem list helpers.

func (fs *FS) problem(where, format string, args ...any) {
	key := where + "\x00" + format
	if len(args) == 0 && fs.seen[key] {
		return
	}
	what := fmt.Sprintf(format, args...)
	key = where + "\x00" + what
	if fs.seen[key] {
		return
	}
	fs.seen[key] = true
	switch {
	case len(fs.problems) < problemsMax:
		fs.problems = append(fs.problems, Problem{Where: where, What: what})
	case len(fs.problems) == problemsMax:
		fs.problems = append(fs.problems, Problem{Where: "filesystem", What: "too many problems; the rest are not listed"})
	}
}

// deferProblems runs fn and returns the problems it finds instead of
// listing them, for the caller to list later with fs.problem (which then
// drops any already listed meanwhile). Problems already listed are not
// repeated in the returned ones.
func (fs *FS) deferProblems(fn func()) []Problem {
	problems, seen := fs.problems, fs.seen
	fs.problems, fs.seen = nil, maps.Clone(seen)
	defer func() { fs.problems, fs.seen = problems, seen }()
	fn()
	return fs.problems
}

// Problems returns the problems found so far (superblock and descriptors at
// Open; more as inodes, directories and files are read).
func (fs *FS) Problems() []Problem { return append([]Problem(nil), fs.problems...) }

// Superblock returns the superblock as read.
func (fs *FS) Superblock() *Superblock { return fs.sb }

// Checksummer returns the checksum helper for this filesystem.
func (fs *FS) Checksummer() *Checksummer { return fs.csum }

// BlockSize is the filesystem block size in bytes.
func (fs *FS) BlockSize() uint32 { return fs.blockSize }

// GroupCount is the number of block groups.
func (fs *FS) GroupCount() uint32 { return uint32(len(fs.groups)) }

// Group returns the descriptor of group g.
func (fs *FS) Group(g uint32) (GroupDesc, error) {
	if g >= uint32(len(fs.groups)) {
		return GroupDesc{}, fmt.Errorf("%w: group %d of %d", ErrNotFound, g, len(fs.groups))
	}
	return fs.groups[g], nil
}

// Device returns the underlying device.
func (fs *FS) Device() Device { return fs.dev }

// Open reads and checks the superblock and group descriptors of dev. It
// fails only when the filesystem cannot be read at all (no ext2/3/4 magic,
// impossible geometry, descriptors beyond the device); anything else is
// recorded as a Problem.
func Open(dev Device) (*FS, error) {
	fs := &FS{dev: dev, devSize: dev.Size(), seen: map[string]bool{}, walkBudget: -1}
	if fs.devSize < SuperblockOffset+SuperblockSize {
		return nil, fmt.Errorf("%w: device is %d bytes, too small to hold a superblock at byte 1024", ErrCorrupt, fs.devSize)
	}
	raw := make([]byte, SuperblockSize)
	if _, err := dev.ReadAt(raw, SuperblockOffset); err != nil {
		return nil, fmt.Errorf("ext4: reading superblock at byte 1024: %w", err)
	}
	sb, err := DecodeSuperblock(raw)
	if err != nil {
		return nil, err
	}
	if err := sb.Validate(); err != nil {
		return nil, err
	}
	fs.sb, fs.sbRaw = sb, raw
	fs.blockSize = sb.BlockSize()
	fs.inodeSize = sb.InodeSizeBytes()
	fs.csum = NewChecksummer(sb)
	if sb.HasMetadataCsum() {
		if sb.ChecksumType != EXT4_CRC32C_CHKSUM {
			fs.problem("superblock", "s_checksum_type %d, want 1 (crc32c)", sb.ChecksumType)
		}
		if got := SuperblockCsum(raw); got != sb.Checksum {
			fs.problem("superblock at byte 1024", "checksum 0x%08x, computed 0x%08x", sb.Checksum, got)
		}
	}
	if need := int64(sb.BlocksCount()) * int64(fs.blockSize); need > fs.devSize || need < 0 {
		fs.problem("device", "image is %d bytes but the superblock says %d blocks of %d bytes (%d bytes): truncated", fs.devSize, sb.BlocksCount(), fs.blockSize, need)
	}
	if err := fs.readGroupDescs(); err != nil {
		return nil, err
	}
	return fs, nil
}

// groupFirstBlock is ext4_group_first_block_no.
func (fs *FS) groupFirstBlock(g uint32) uint64 {
	return uint64(fs.sb.FirstDataBlock) + uint64(g)*uint64(fs.sb.BlocksPerGroup)
}

// groupBlocks is the number of blocks in group g (the last may be short).
func (fs *FS) groupBlocks(g uint32) uint32 {
	first := fs.groupFirstBlock(g)
	n := fs.sb.BlocksCount() - first
	return uint32(min(n, uint64(fs.sb.BlocksPerGroup)))
}

// groupHasSuper is ext4_bg_has_super: with sparse_super only groups 0, 1
// and powers of 3, 5 and 7 keep a superblock backup (sparse_super2: the two
// listed groups).
func (fs *FS) groupHasSuper(g uint32) bool {
	if g == 0 {
		return true
	}
	if fs.sb.HasCompat(EXT4_FEATURE_COMPAT_SPARSE_SUPER2) {
		return g == fs.sb.BackupBgs[0] || g == fs.sb.BackupBgs[1]
	}
	if !fs.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER) || g == 1 {
		return true
	}
	for _, base := range []uint32{3, 5, 7} {
		n := base
		for n < g {
			n *= base
		}
		if n == g {
			return true
		}
	}
	return false
}

// descBlock is where descriptor block i lives (descriptor_loc,
// fs/ext4/super.c): right after the block holding the primary superblock,
// or with meta_bg at the start of each meta group after its backup.
func (fs *FS) descBlock(i uint32) uint64 {
	sb := fs.sb
	sbBlock := uint64(SuperblockOffset / fs.blockSize) // 1 for 1 KiB blocks, else 0
	descPerBlock := fs.blockSize / sb.DescSizeBytes()
	if !sb.HasIncompat(EXT4_FEATURE_INCOMPAT_META_BG) || i < sb.FirstMetaBg {
		return sbBlock + 1 + uint64(i)
	}
	g := i * descPerBlock
	b := fs.groupFirstBlock(g)
	if fs.groupHasSuper(g) {
		b++
	}
	if fs.blockSize == 1024 && i == 0 && sb.FirstDataBlock == 0 {
		b++ // 1 KiB blocks with bigalloc: block 0 is the boot block
	}
	return b
}

func (fs *FS) readGroupDescs() error {
	sb := fs.sb
	ngroups := sb.GroupCount()
	ds := sb.DescSizeBytes()
	// Never trust the count: the table must fit in the device.
	if ngroups*uint64(ds) > uint64(fs.devSize) {
		return fmt.Errorf("%w: superblock: %d groups need %d bytes of descriptors, image is %d bytes", ErrCorrupt, ngroups, ngroups*uint64(ds), fs.devSize)
	}
	descPerBlock := fs.blockSize / ds
	fs.groups = make([]GroupDesc, ngroups)
	fs.groupRaw = make([][]byte, ngroups)
	blk := make([]byte, fs.blockSize)
	nblocks := uint32((ngroups + uint64(descPerBlock) - 1) / uint64(descPerBlock))
	for i := range nblocks {
		b := fs.descBlock(i)
		if err := fs.readBlock(b, blk); err != nil {
			return fmt.Errorf("ext4: group descriptor block %d (descriptors %d..): %w", b, i*descPerBlock, err)
		}
		for j := range descPerBlock {
			g := i*descPerBlock + j
			if uint64(g) >= ngroups {
				break
			}
			raw := append([]byte(nil), blk[j*ds:(j+1)*ds]...)
			gd, err := DecodeGroupDesc(raw, int(ds))
			if err != nil {
				return fmt.Errorf("ext4: group %d descriptor in block %d: %w", g, b, err)
			}
			fs.groups[g], fs.groupRaw[g] = gd, raw
			fs.checkGroupDesc(g, b, int(j*ds))
		}
	}
	return nil
}

// checkGroupDesc verifies one descriptor's checksum and that its bitmaps
// and inode table lie inside the filesystem.
func (fs *FS) checkGroupDesc(g uint32, block uint64, off int) {
	gd := &fs.groups[g]
	where := fmt.Sprintf("group %d descriptor (block %d, offset %d)", g, block, off)
	if fs.sb.HasMetadataCsum() || fs.sb.HasGdtCsum() {
		if got := fs.csum.GroupDescCsum(g, fs.groupRaw[g]); got != gd.Checksum {
			fs.problem(where, "checksum 0x%04x, computed 0x%04x", gd.Checksum, got)
		}
	}
	total := fs.sb.BlocksCount()
	itBlocks := (uint64(fs.sb.InodesPerGroup)*uint64(fs.inodeSize) + uint64(fs.blockSize) - 1) / uint64(fs.blockSize)
	for _, c := range []struct {
		name string
		v    uint64
		n    uint64
	}{{"block bitmap", gd.BlockBitmap(), 1}, {"inode bitmap", gd.InodeBitmap(), 1}, {"inode table", gd.InodeTable(), itBlocks}} {
		if c.v < uint64(fs.sb.FirstDataBlock) || c.v >= total || c.v+c.n > total {
			fs.problem(where, "%s at block %d lies outside the filesystem (%d blocks)", c.name, c.v, total)
		}
	}
	if gd.FreeBlocksCount() > fs.groupBlocks(g) {
		fs.problem(where, "bg_free_blocks_count %d > %d blocks in the group", gd.FreeBlocksCount(), fs.groupBlocks(g))
	}
	if gd.FreeInodesCount() > fs.sb.InodesPerGroup {
		fs.problem(where, "bg_free_inodes_count %d > %d inodes per group", gd.FreeInodesCount(), fs.sb.InodesPerGroup)
	}
}

// errOutside reports a block number outside the filesystem or device.
var errOutside = fmt.Errorf("%w: block outside the filesystem", ErrCorrupt)

// blockInRange reports whether blocks [b, b+n) exist in the filesystem and
// the device.
func (fs *FS) blockInRange(b, n uint64) bool {
	total := fs.sb.BlocksCount()
	if b >= total || n > total-b {
		return false
	}
	end := (b + n) * uint64(fs.blockSize)
	return end <= uint64(fs.devSize) && end/uint64(fs.blockSize) == b+n
}

// readBlock reads filesystem block b into p (len(p) ≤ block size).
func (fs *FS) readBlock(b uint64, p []byte) error {
	if !fs.blockInRange(b, 1) {
		return fmt.Errorf("%w: block %d (filesystem has %d blocks, image holds %d)", errOutside, b, fs.sb.BlocksCount(), fs.devSize/int64(fs.blockSize))
	}
	_, err := fs.dev.ReadAt(p, int64(b)*int64(fs.blockSize))
	if err != nil {
		return fmt.Errorf("reading block %d: %w", b, err)
	}
	return nil
}

// clusterSize is EXT4_CLUSTER_SIZE: the block size unless bigalloc.
func (fs *FS) clusterSize() uint32 {
	if fs.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_BIGALLOC) && fs.sb.LogClusterSize >= fs.sb.LogBlockSize && fs.sb.LogClusterSize-fs.sb.LogBlockSize <= 16 {
		return 1024 << fs.sb.LogClusterSize
	}
	return fs.blockSize
}
