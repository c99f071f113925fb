package ext4

import (
	"encoding/binary"
	"hash/crc32"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's crc32c(seed, data) (lib/crc32.c, ext4_chksum):
// no pre- or post-inversion, unlike hash/crc32's Update, which inverts on
// both sides.
func crc32c(seed uint32, b []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, b)
}

// crc32cU32 is crc32c over the four little-endian bytes of v, byte by
// byte from the table: a buffer handed to crc32.Update escapes to the
// heap, and this runs for every inode checksum.
func crc32cU32(seed, v uint32) uint32 {
	// crc32c's two inversions cancel crc32.Update's own: the raw register
	// runs from seed.
	crc := seed
	for range 4 {
		crc = castagnoli[byte(crc)^byte(v)] ^ crc>>8
		v >>= 8
	}
	return crc
}

var zero4 [4]byte

// crc16 is the CRC-16 (ANSI, poly 0x8005 reflected) of lib/crc16.c that the
// uninit_bg/gdt_csum group descriptor checksum uses.
func crc16(crc uint16, b []byte) uint16 {
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// Checksummer computes every metadata checksum of one filesystem. It holds
// the checksum seed, so build it once per superblock (NewChecksummer).
type Checksummer struct {
	sb       *Superblock
	seed     uint32 // s_csum_seed: crc32c(~0, uuid) or s_checksum_seed
	descSize int
}

// NewChecksummer derives the seed as ext4_fill_super does: s_checksum_seed
// with metadata_csum_seed, else crc32c(~0, s_uuid).
func NewChecksummer(sb *Superblock) *Checksummer {
	c := &Checksummer{sb: sb, descSize: int(sb.DescSizeBytes())}
	if sb.HasIncompat(EXT4_FEATURE_INCOMPAT_CSUM_SEED) {
		c.seed = sb.ChecksumSeed
	} else {
		c.seed = crc32c(^uint32(0), sb.UUID[:])
	}
	return c
}

// Seed is the filesystem checksum seed.
func (c *Checksummer) Seed() uint32 { return c.seed }

// SuperblockCsum is ext4_superblock_csum (fs/ext4/super.c): crc32c(~0) over
// the superblock up to s_checksum. b is the encoded superblock.
func SuperblockCsum(b []byte) uint32 {
	return crc32c(^uint32(0), b[:superblockChecksumOffset])
}

// SetChecksum stores the superblock checksum (ext4_superblock_csum_set).
func (sb *Superblock) SetChecksum() {
	sb.Checksum = SuperblockCsum(sb.Bytes())
}

// GroupDescCsum is ext4_group_desc_csum (fs/ext4/super.c) over the encoded
// descriptor b of group: crc32c&0xFFFF with metadata_csum, crc16 with
// uninit_bg, 0 otherwise. The stored bg_checksum is skipped.
func (c *Checksummer) GroupDescCsum(group uint32, b []byte) uint16 {
	b = b[:c.descSize]
	switch {
	case c.sb.HasMetadataCsum():
		crc := crc32cU32(c.seed, group)
		crc = crc32c(crc, b[:groupDescChecksumOffset])
		crc = crc32c(crc, zero4[:2])
		crc = crc32c(crc, b[groupDescChecksumOffset+2:])
		return uint16(crc)
	case c.sb.HasGdtCsum():
		crc := crc16(0xFFFF, c.sb.UUID[:])
		var g [4]byte
		binary.LittleEndian.PutUint32(g[:], group)
		crc = crc16(crc, g[:])
		crc = crc16(crc, b[:groupDescChecksumOffset])
		if len(b) > groupDescChecksumOffset+2 {
			crc = crc16(crc, b[groupDescChecksumOffset+2:])
		}
		return crc
	}
	return 0
}

// BitmapCsum is ext4_block_bitmap_csum_set / ext4_inode_bitmap_csum_set's
// value: crc32c(seed) over the bitmap bytes that belong to the group
// (clusters_per_group/8 or inodes_per_group/8 bytes).
func (c *Checksummer) BitmapCsum(bitmap []byte) uint32 {
	return crc32c(c.seed, bitmap)
}

// InodeSeed is ei->i_csum_seed: crc32c of the inode number and generation
// on top of the filesystem seed. Extent, directory and htree blocks of the
// inode are checksummed from it.
func (c *Checksummer) InodeSeed(ino, generation uint32) uint32 {
	return crc32cU32(crc32cU32(c.seed, ino), generation)
}

// InodeCsum is ext4_inode_csum (fs/ext4/inode.c) over the raw inode record
// b (s_inode_size bytes) with both checksum fields treated as zero. With a
// 128-byte record (or no room for i_checksum_hi) only the low 16 bits are
// stored; the caller masks.
func (c *Checksummer) InodeCsum(ino uint32, b []byte) uint32 {
	gen := binary.LittleEndian.Uint32(b[0x64:])
	crc := c.InodeSeed(ino, gen)
	crc = crc32c(crc, b[:inodeChecksumLoOffset])
	crc = crc32c(crc, zero4[:2])
	crc = crc32c(crc, b[inodeChecksumLoOffset+2:EXT4_GOOD_OLD_INODE_SIZE])
	if len(b) > EXT4_GOOD_OLD_INODE_SIZE {
		rest := b[EXT4_GOOD_OLD_INODE_SIZE:]
		if InodeHasChecksumHi(b) {
			crc = crc32c(crc, rest[:inodeChecksumHiOffset-EXT4_GOOD_OLD_INODE_SIZE])
			crc = crc32c(crc, zero4[:2])
			crc = crc32c(crc, rest[inodeChecksumHiOffset+2-EXT4_GOOD_OLD_INODE_SIZE:])
		} else {
			crc = crc32c(crc, rest)
		}
	}
	if !InodeHasChecksumHi(b) {
		crc &= 0xFFFF
	}
	return crc
}

// InodeHasChecksumHi reports whether the record has room for i_checksum_hi
// (EXT4_FITS_IN_INODE(…, i_checksum_hi)).
func InodeHasChecksumHi(b []byte) bool {
	if len(b) <= EXT4_GOOD_OLD_INODE_SIZE {
		return false
	}
	extra := int(binary.LittleEndian.Uint16(b[0x80:]))
	return EXT4_GOOD_OLD_INODE_SIZE+extra >= inodeChecksumHiOffset+2
}

// StoredInodeCsum reads the checksum stored in a raw inode record.
func StoredInodeCsum(b []byte) uint32 {
	v := uint32(binary.LittleEndian.Uint16(b[inodeChecksumLoOffset:]))
	if InodeHasChecksumHi(b) {
		v |= uint32(binary.LittleEndian.Uint16(b[inodeChecksumHiOffset:])) << 16
	}
	return v
}

// SetInodeCsum computes and stores the checksum in raw record b
// (ext4_inode_csum_set).
func (c *Checksummer) SetInodeCsum(ino uint32, b []byte) {
	v := c.InodeCsum(ino, b)
	binary.LittleEndian.PutUint16(b[inodeChecksumLoOffset:], uint16(v))
	if InodeHasChecksumHi(b) {
		binary.LittleEndian.PutUint16(b[inodeChecksumHiOffset:], uint16(v>>16))
	}
}

// ExtentBlockCsum is ext4_extent_block_csum (fs/ext4/extents.c): crc32c
// from the inode seed over the block up to the tail (12 + 12*eh_max bytes).
func ExtentBlockCsum(inodeSeed uint32, block []byte, ehMax uint16) uint32 {
	return crc32c(inodeSeed, block[:ExtentTailOffset(ehMax)])
}

// DirBlockCsum is ext4_dirblock_csum (fs/ext4/namei.c): crc32c from the
// inode seed over a leaf directory block up to its 12-byte tail.
func DirBlockCsum(inodeSeed uint32, block []byte) uint32 {
	return crc32c(inodeSeed, block[:len(block)-DirTailSize])
}

// DxNodeCsum is ext4_dx_csum (fs/ext4/namei.c): crc32c from the inode seed
// over the block up to the last used dx_entry, then the dx_tail's reserved
// word and a zero checksum. countOffset is where dx_countlimit starts.
func DxNodeCsum(inodeSeed uint32, block []byte, countOffset int, count, limit uint16) uint32 {
	size := countOffset + int(count)*DxEntrySize
	tail := countOffset + int(limit)*DxEntrySize
	crc := crc32c(inodeSeed, block[:size])
	crc = crc32c(crc, block[tail:tail+4])
	return crc32c(crc, zero4[:])
}

// DxTailOffset is where struct dx_tail sits for a node whose countlimit
// starts at countOffset with the given limit.
func DxTailOffset(countOffset int, limit uint16) int { return countOffset + int(limit)*DxEntrySize }

// XattrBlockCsum is ext4_xattr_block_csum (fs/ext4/xattr.c): crc32c from the
// filesystem seed over the 64-bit block number, then the block with
// h_checksum as zero.
func (c *Checksummer) XattrBlockCsum(blockNr uint64, block []byte) uint32 {
	var nr [8]byte
	binary.LittleEndian.PutUint64(nr[:], blockNr)
	crc := crc32c(c.seed, nr[:])
	crc = crc32c(crc, block[:xattrChecksumOffset])
	crc = crc32c(crc, zero4[:])
	return crc32c(crc, block[xattrChecksumOffset+4:])
}

// JournalSuperblockCsum is jbd2_superblock_csum (fs/jbd2/journal.c):
// crc32c(~0) over the 1024-byte journal superblock with s_checksum zero.
func JournalSuperblockCsum(b []byte) uint32 {
	crc := crc32c(^uint32(0), b[:journalChecksumOffset])
	crc = crc32c(crc, zero4[:])
	return crc32c(crc, b[journalChecksumOffset+4:JournalSuperblockSize])
}
