package ext4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unsafe"
)

// Sizes and offsets fixed by the on-disk format.
const (
	SuperblockOffset = 1024 // bytes from the start of the device
	SuperblockSize   = 1024
	EXT4_SUPER_MAGIC = 0xEF53

	EXT4_GOOD_OLD_REV        = 0
	EXT4_DYNAMIC_REV         = 1
	EXT4_GOOD_OLD_INODE_SIZE = 128
	EXT4_GOOD_OLD_FIRST_INO  = 11

	EXT4_MIN_BLOCK_LOG_SIZE = 10
	EXT4_MAX_BLOCK_LOG_SIZE = 16

	EXT4_CRC32C_CHKSUM = 1 // s_checksum_type
)

// Reserved inode numbers (EXT4_*_INO).
const (
	EXT4_BAD_INO         = 1
	EXT4_ROOT_INO        = 2
	EXT4_USR_QUOTA_INO   = 3
	EXT4_GRP_QUOTA_INO   = 4
	EXT4_BOOT_LOADER_INO = 5
	EXT4_UNDEL_DIR_INO   = 6
	EXT4_RESIZE_INO      = 7
	EXT4_JOURNAL_INO     = 8
)

// Superblock is struct ext4_super_block (fs/ext4/ext4.h), 1024 bytes, little
// endian, stored 1024 bytes into the device. Field names drop the s_ prefix.
type Superblock struct {
	InodesCount          uint32           // 0x00
	BlocksCountLo        uint32           // 0x04
	RBlocksCountLo       uint32           // 0x08 reserved for root
	FreeBlocksCountLo    uint32           // 0x0C
	FreeInodesCount      uint32           // 0x10
	FirstDataBlock       uint32           // 0x14
	LogBlockSize         uint32           // 0x18 block size = 1024 << this
	LogClusterSize       uint32           // 0x1C
	BlocksPerGroup       uint32           // 0x20
	ClustersPerGroup     uint32           // 0x24
	InodesPerGroup       uint32           // 0x28
	Mtime                uint32           // 0x2C
	Wtime                uint32           // 0x30
	MntCount             uint16           // 0x34
	MaxMntCount          int16            // 0x36
	Magic                uint16           // 0x38
	State                State            // 0x3A
	Errors               ErrorsBehavior   // 0x3C
	MinorRevLevel        uint16           // 0x3E
	Lastcheck            uint32           // 0x40
	Checkinterval        uint32           // 0x44
	CreatorOS            CreatorOS        // 0x48
	RevLevel             uint32           // 0x4C
	DefResuid            uint16           // 0x50
	DefResgid            uint16           // 0x52
	FirstIno             uint32           // 0x54
	InodeSize            uint16           // 0x58
	BlockGroupNr         uint16           // 0x5A
	FeatureCompat        CompatFeature    // 0x5C
	FeatureIncompat      IncompatFeature  // 0x60
	FeatureRoCompat      RoCompatFeature  // 0x64
	UUID                 [16]byte         // 0x68
	VolumeName           [16]byte         // 0x78
	LastMounted          [64]byte         // 0x88
	AlgorithmUsageBitmap uint32           // 0xC8
	PreallocBlocks       uint8            // 0xCC
	PreallocDirBlocks    uint8            // 0xCD
	ReservedGdtBlocks    uint16           // 0xCE
	JournalUUID          [16]byte         // 0xD0
	JournalInum          uint32           // 0xE0
	JournalDev           uint32           // 0xE4
	LastOrphan           uint32           // 0xE8
	HashSeed             [4]uint32        // 0xEC
	DefHashVersion       HashVersion      // 0xFC
	JnlBackupType        uint8            // 0xFD
	DescSize             uint16           // 0xFE
	DefaultMountOpts     DefaultMountOpts // 0x100
	FirstMetaBg          uint32           // 0x104
	MkfsTime             uint32           // 0x108
	JnlBlocks            [17]uint32       // 0x10C
	BlocksCountHi        uint32           // 0x150
	RBlocksCountHi       uint32           // 0x154
	FreeBlocksCountHi    uint32           // 0x158
	MinExtraIsize        uint16           // 0x15C
	WantExtraIsize       uint16           // 0x15E
	Flags                uint32           // 0x160
	RaidStride           uint16           // 0x164
	MmpUpdateInterval    uint16           // 0x166
	MmpBlock             uint64           // 0x168
	RaidStripeWidth      uint32           // 0x170
	LogGroupsPerFlex     uint8            // 0x174
	ChecksumType         uint8            // 0x175
	EncryptionLevel      uint8            // 0x176
	ReservedPad          uint8            // 0x177
	KbytesWritten        uint64           // 0x178
	SnapshotInum         uint32           // 0x180
	SnapshotID           uint32           // 0x184
	SnapshotRBlocksCount uint64           // 0x188
	SnapshotList         uint32           // 0x190
	ErrorCount           uint32           // 0x194
	FirstErrorTime       uint32           // 0x198
	FirstErrorIno        uint32           // 0x19C
	FirstErrorBlock      uint64           // 0x1A0
	FirstErrorFunc       [32]byte         // 0x1A8
	FirstErrorLine       uint32           // 0x1C8
	LastErrorTime        uint32           // 0x1CC
	LastErrorIno         uint32           // 0x1D0
	LastErrorLine        uint32           // 0x1D4
	LastErrorBlock       uint64           // 0x1D8
	LastErrorFunc        [32]byte         // 0x1E0
	MountOpts            [64]byte         // 0x200
	UsrQuotaInum         uint32           // 0x240
	GrpQuotaInum         uint32           // 0x244
	OverheadClusters     uint32           // 0x248
	BackupBgs            [2]uint32        // 0x24C
	EncryptAlgos         [4]uint8         // 0x254
	EncryptPwSalt        [16]byte         // 0x258
	LpfIno               uint32           // 0x268
	PrjQuotaInum         uint32           // 0x26C
	ChecksumSeed         uint32           // 0x270
	WtimeHi              uint8            // 0x274
	MtimeHi              uint8            // 0x275
	MkfsTimeHi           uint8            // 0x276
	LastcheckHi          uint8            // 0x277
	FirstErrorTimeHi     uint8            // 0x278
	LastErrorTimeHi      uint8            // 0x279
	FirstErrorErrcode    uint8            // 0x27A
	LastErrorErrcode     uint8            // 0x27B
	Encoding             uint16           // 0x27C
	EncodingFlags        uint16           // 0x27E
	OrphanFileInum       uint32           // 0x280
	Reserved             [94]uint32       // 0x284
	Checksum             uint32           // 0x3FC crc32c of bytes 0..0x3FB
}

// superblockChecksumOffset is offsetof(struct ext4_super_block, s_checksum).
const superblockChecksumOffset = 0x3FC

// DecodeSuperblock parses the 1024 bytes of a superblock. It checks only
// that enough bytes exist; Validate checks the values.
func DecodeSuperblock(b []byte) (*Superblock, error) {
	if len(b) < SuperblockSize {
		return nil, fmt.Errorf("%w: superblock: %d bytes, need %d", ErrCorrupt, len(b), SuperblockSize)
	}
	sb := new(Superblock)
	if hostLittleEndian {
		*sb.raw() = [SuperblockSize]byte(b[:SuperblockSize])
		return sb, nil
	}
	if _, err := binary.Decode(b[:SuperblockSize], binary.LittleEndian, sb); err != nil {
		return nil, fmt.Errorf("%w: superblock: %v", ErrCorrupt, err)
	}
	return sb, nil
}

// The struct's fields are laid out at their on-disk offsets with no
// padding (every field is naturally aligned, as in the kernel's struct
// ext4_super_block), so on a little-endian host its memory is the on-disk
// superblock and a copy replaces binary.Encode/Decode. Those walk the
// struct by reflection: slow natively, and in the browser hot enough that
// V8 recompiles them with TurboFan during the page's first second.
// TestSuperblockLayout checks the layout against binary.Encode.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// The compiler rejects this line unless the struct is exactly 1024 bytes.
var _ [SuperblockSize - unsafe.Sizeof(Superblock{})]struct{}
var _ [unsafe.Sizeof(Superblock{}) - SuperblockSize]struct{}

func (sb *Superblock) raw() *[SuperblockSize]byte {
	return (*[SuperblockSize]byte)(unsafe.Pointer(sb))
}

// Encode writes the superblock into b[:1024] as stored on disk. It does not
// update the checksum; call SetChecksum first when metadata_csum is on.
func (sb *Superblock) Encode(b []byte) {
	if hostLittleEndian {
		*(*[SuperblockSize]byte)(b[:SuperblockSize]) = *sb.raw()
		return
	}
	if _, err := binary.Encode(b[:SuperblockSize], binary.LittleEndian, sb); err != nil {
		panic("ext4: Superblock.Encode: " + err.Error()) // only if b is short: a caller bug
	}
}

// Bytes returns the encoded superblock.
func (sb *Superblock) Bytes() []byte {
	b := make([]byte, SuperblockSize)
	sb.Encode(b)
	return b
}

// Features returns the three feature words.
func (sb *Superblock) Features() Features {
	return Features{Compat: sb.FeatureCompat, Incompat: sb.FeatureIncompat, RoCompat: sb.FeatureRoCompat}
}

// SetFeatures replaces the three feature words.
func (sb *Superblock) SetFeatures(f Features) {
	sb.FeatureCompat, sb.FeatureIncompat, sb.FeatureRoCompat = f.Compat, f.Incompat, f.RoCompat
}

func (sb *Superblock) HasCompat(f CompatFeature) bool     { return sb.FeatureCompat&f != 0 }
func (sb *Superblock) HasIncompat(f IncompatFeature) bool { return sb.FeatureIncompat&f != 0 }
func (sb *Superblock) HasRoCompat(f RoCompatFeature) bool { return sb.FeatureRoCompat&f != 0 }

// Is64Bit reports whether block numbers and descriptors are 64-bit.
func (sb *Superblock) Is64Bit() bool { return sb.HasIncompat(EXT4_FEATURE_INCOMPAT_64BIT) }

// HasMetadataCsum reports the metadata_csum feature.
func (sb *Superblock) HasMetadataCsum() bool {
	return sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)
}

// HasGdtCsum reports the older uninit_bg (crc16 descriptor checksum) feature.
func (sb *Superblock) HasGdtCsum() bool { return sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_GDT_CSUM) }

// BlockSize is 1024 << s_log_block_size (valid only after Validate).
func (sb *Superblock) BlockSize() uint32 { return 1024 << sb.LogBlockSize }

// BlocksCount is s_blocks_count_lo/hi.
func (sb *Superblock) BlocksCount() uint64 {
	return sb.hi64(sb.BlocksCountLo, sb.BlocksCountHi)
}

// RBlocksCount is s_r_blocks_count_lo/hi.
func (sb *Superblock) RBlocksCount() uint64 {
	return sb.hi64(sb.RBlocksCountLo, sb.RBlocksCountHi)
}

// FreeBlocksCount is s_free_blocks_count_lo/hi.
func (sb *Superblock) FreeBlocksCount() uint64 {
	return sb.hi64(sb.FreeBlocksCountLo, sb.FreeBlocksCountHi)
}

func (sb *Superblock) hi64(lo, hi uint32) uint64 {
	if sb.Is64Bit() {
		return uint64(hi)<<32 | uint64(lo)
	}
	return uint64(lo)
}

// SetBlocksCount, SetRBlocksCount and SetFreeBlocksCount split a 64-bit
// count into the lo/hi fields.
func (sb *Superblock) SetBlocksCount(n uint64) {
	sb.BlocksCountLo, sb.BlocksCountHi = uint32(n), uint32(n>>32)
}
func (sb *Superblock) SetRBlocksCount(n uint64) {
	sb.RBlocksCountLo, sb.RBlocksCountHi = uint32(n), uint32(n>>32)
}
func (sb *Superblock) SetFreeBlocksCount(n uint64) {
	sb.FreeBlocksCountLo, sb.FreeBlocksCountHi = uint32(n), uint32(n>>32)
}

// InodeSizeBytes is the on-disk inode record size (128 for revision 0).
func (sb *Superblock) InodeSizeBytes() uint32 {
	if sb.RevLevel == EXT4_GOOD_OLD_REV {
		return EXT4_GOOD_OLD_INODE_SIZE
	}
	return uint32(sb.InodeSize)
}

// FirstInode is the first non-reserved inode.
func (sb *Superblock) FirstInode() uint32 {
	if sb.RevLevel == EXT4_GOOD_OLD_REV {
		return EXT4_GOOD_OLD_FIRST_INO
	}
	return sb.FirstIno
}

// DescSizeBytes is the group descriptor size: 32 unless 64bit.
func (sb *Superblock) DescSizeBytes() uint32 {
	if sb.Is64Bit() {
		return uint32(sb.DescSize)
	}
	return GroupDesc32Size
}

// GroupCount is the number of block groups.
func (sb *Superblock) GroupCount() uint64 {
	if sb.BlocksPerGroup == 0 {
		return 0
	}
	data := sb.BlocksCount() - uint64(sb.FirstDataBlock)
	return (data + uint64(sb.BlocksPerGroup) - 1) / uint64(sb.BlocksPerGroup)
}

// Times with the _hi bytes folded in (for years after 2038).
func (sb *Superblock) MtimeFull() int64    { return int64(sb.Mtime) | int64(sb.MtimeHi)<<32 }
func (sb *Superblock) WtimeFull() int64    { return int64(sb.Wtime) | int64(sb.WtimeHi)<<32 }
func (sb *Superblock) MkfsTimeFull() int64 { return int64(sb.MkfsTime) | int64(sb.MkfsTimeHi)<<32 }

// CStr returns a NUL-padded on-disk string field as a Go string.
func CStr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// FormatUUID prints a UUID lowercase with dashes.
func FormatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// ParseUUID reads the dashed form.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	var hex []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			hex = append(hex, s[i])
		}
	}
	if len(hex) != 32 {
		return u, fmt.Errorf("ext4: bad UUID %q", s)
	}
	for i := range 16 {
		var v byte
		for _, c := range hex[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= c - '0'
			case c >= 'a' && c <= 'f':
				v |= c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v |= c - 'A' + 10
			default:
				return u, fmt.Errorf("ext4: bad UUID %q", s)
			}
		}
		u[i] = v
	}
	return u, nil
}

// Validate checks the values later code depends on (magic, sizes, counts
// that must be non-zero and consistent) so that walks can trust them. It
// does not look at the device.
func (sb *Superblock) Validate() error {
	where := "superblock at byte 1024"
	switch {
	case sb.Magic != EXT4_SUPER_MAGIC:
		return fmt.Errorf("%w: %s: magic 0x%04x, want 0x%04x", ErrBadMagic, where, sb.Magic, EXT4_SUPER_MAGIC)
	case sb.LogBlockSize > EXT4_MAX_BLOCK_LOG_SIZE-EXT4_MIN_BLOCK_LOG_SIZE:
		return fmt.Errorf("%w: %s: s_log_block_size %d (block size over 64 KiB)", ErrCorrupt, where, sb.LogBlockSize)
	case sb.BlocksPerGroup == 0 || !sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_BIGALLOC) && sb.BlocksPerGroup > 8*sb.BlockSize():
		return fmt.Errorf("%w: %s: s_blocks_per_group %d (must be 1..%d)", ErrCorrupt, where, sb.BlocksPerGroup, 8*sb.BlockSize())
	case sb.InodesPerGroup == 0 || sb.InodesPerGroup > 8*sb.BlockSize():
		return fmt.Errorf("%w: %s: s_inodes_per_group %d (must be 1..%d)", ErrCorrupt, where, sb.InodesPerGroup, 8*sb.BlockSize())
	case sb.FirstDataBlock >= uint32(min(sb.BlocksCount(), 1<<32-1)) || sb.FirstDataBlock > 1:
		return fmt.Errorf("%w: %s: s_first_data_block %d with %d blocks", ErrCorrupt, where, sb.FirstDataBlock, sb.BlocksCount())
	case sb.RevLevel > EXT4_DYNAMIC_REV:
		return fmt.Errorf("%w: %s: s_rev_level %d", ErrUnsupported, where, sb.RevLevel)
	}
	if sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_BIGALLOC) {
		// Bitmaps count clusters: s_clusters_per_group bits fit one block
		// and s_blocks_per_group is that many clusters of blocks.
		if sb.LogClusterSize < sb.LogBlockSize || sb.LogClusterSize-sb.LogBlockSize > 16 {
			return fmt.Errorf("%w: %s: s_log_cluster_size %d with s_log_block_size %d", ErrCorrupt, where, sb.LogClusterSize, sb.LogBlockSize)
		}
		ratio := uint64(1) << (sb.LogClusterSize - sb.LogBlockSize)
		if sb.ClustersPerGroup == 0 || sb.ClustersPerGroup > 8*sb.BlockSize() || uint64(sb.ClustersPerGroup)*ratio != uint64(sb.BlocksPerGroup) {
			return fmt.Errorf("%w: %s: s_clusters_per_group %d, s_blocks_per_group %d, cluster ratio %d", ErrCorrupt, where, sb.ClustersPerGroup, sb.BlocksPerGroup, ratio)
		}
	}
	if is := sb.InodeSizeBytes(); is < EXT4_GOOD_OLD_INODE_SIZE || is > sb.BlockSize() || is&(is-1) != 0 {
		return fmt.Errorf("%w: %s: s_inode_size %d (power of two, 128..block size)", ErrCorrupt, where, is)
	}
	if sb.Is64Bit() {
		ds := sb.DescSize
		if ds < GroupDesc64Size || ds > 1024 || ds&(ds-1) != 0 {
			return fmt.Errorf("%w: %s: s_desc_size %d with 64bit (power of two, 64..1024)", ErrCorrupt, where, ds)
		}
	}
	groups := sb.GroupCount()
	if groups == 0 || groups > 1<<32-1 {
		return fmt.Errorf("%w: %s: %d block groups", ErrCorrupt, where, groups)
	}
	if uint64(sb.InodesPerGroup)*groups != uint64(sb.InodesCount) {
		return fmt.Errorf("%w: %s: s_inodes_count %d ≠ %d groups × %d inodes", ErrCorrupt, where, sb.InodesCount, groups, sb.InodesPerGroup)
	}
	if sb.FirstInode() < EXT4_GOOD_OLD_FIRST_INO || sb.FirstInode() > sb.InodesCount {
		return fmt.Errorf("%w: %s: s_first_ino %d", ErrCorrupt, where, sb.FirstInode())
	}
	return nil
}
