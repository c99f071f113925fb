package ext4

// Report is everything `ext4play inspect --json` prints and the browser
// inspector shows. Its JSON keys are a public contract (issue 2): the keys
// named there must stay; more keys are welcome.
type Report struct {
	Superblock SuperblockReport  `json:"superblock"`
	Groups     []GroupReport     `json:"groups"`
	Inodes     []InodeReport     `json:"inodes"`
	Paths      map[string]uint32 `json:"paths"`
	Problems   []Problem         `json:"problems"`
	Journal    *JournalReport    `json:"journal,omitempty"`
}

// SuperblockReport holds the superblock fields shown to users; names follow
// struct ext4_super_block (fs/ext4/ext4.h) without the s_ prefix.
type SuperblockReport struct {
	BlockSize           uint32   `json:"block_size"`
	BlocksCount         uint64   `json:"blocks_count"`
	FreeBlocksCount     uint64   `json:"free_blocks_count"`
	ReservedBlocksCount uint64   `json:"reserved_blocks_count"`
	InodesCount         uint32   `json:"inodes_count"`
	FreeInodesCount     uint32   `json:"free_inodes_count"`
	FirstDataBlock      uint32   `json:"first_data_block"`
	BlocksPerGroup      uint32   `json:"blocks_per_group"`
	InodesPerGroup      uint32   `json:"inodes_per_group"`
	InodeSize           uint16   `json:"inode_size"`
	DescSize            uint16   `json:"desc_size"`
	FirstIno            uint32   `json:"first_ino"`
	UUID                string   `json:"uuid"`
	VolumeName          string   `json:"volume_name"`
	Features            []string `json:"features"`
	State               string   `json:"state"`
	RevLevel            uint32   `json:"rev_level"`
	Mtime               int64    `json:"mtime"`
	Wtime               int64    `json:"wtime"`
	// Extra fields (beyond the minimum) for the inspector.
	Ctime             int64    `json:"mkfs_time"`
	LastMounted       string   `json:"last_mounted"`
	Magic             uint16   `json:"magic"`
	ReservedGDTBlocks uint16   `json:"reserved_gdt_blocks"`
	LogGroupsPerFlex  uint8    `json:"log_groups_per_flex"`
	HashVersion       string   `json:"default_hash_version"`
	HashSeed          string   `json:"hash_seed"`
	ChecksumType      string   `json:"checksum_type,omitempty"`
	Checksum          uint32   `json:"checksum"`
	JournalInum       uint32   `json:"journal_inum"`
	MountOpts         string   `json:"mount_opts"`
	DefaultMountOpts  []string `json:"default_mount_opts"`
	Errors            string   `json:"errors_behavior"`
	CreatorOS         string   `json:"creator_os"`
	GroupCount        uint32   `json:"group_count"`
	Flags             []string `json:"flags"` // s_flags: signed_directory_hash, …
	MntCount          uint16   `json:"mnt_count"`
	MaxMntCount       int16    `json:"max_mnt_count"`
	Lastcheck         int64    `json:"lastcheck"`
	MinExtraIsize     uint16   `json:"min_extra_isize"`
	WantExtraIsize    uint16   `json:"want_extra_isize"`
	DefResuid         uint16   `json:"def_resuid"`
	DefResgid         uint16   `json:"def_resgid"`
	KbytesWritten     uint64   `json:"kbytes_written"`
	OverheadClusters  uint32   `json:"overhead_clusters"`
}

// GroupReport is one block group's descriptor (struct ext4_group_desc).
type GroupReport struct {
	Index           uint32   `json:"index"`
	BlockBitmap     uint64   `json:"block_bitmap"`
	InodeBitmap     uint64   `json:"inode_bitmap"`
	InodeTable      uint64   `json:"inode_table"`
	FreeBlocksCount uint32   `json:"free_blocks_count"`
	FreeInodesCount uint32   `json:"free_inodes_count"`
	UsedDirsCount   uint32   `json:"used_dirs_count"`
	Flags           []string `json:"flags"`
	ItableUnused    uint32   `json:"itable_unused"`
	Checksum        uint16   `json:"checksum"`
	FirstBlock      uint64   `json:"first_block"`
	LastBlock       uint64   `json:"last_block"`
	// BitmapStrip summarises the block bitmap for drawing: Buckets cells,
	// each the fraction (0..255) of used blocks in its slice of the group.
	BitmapStrip []uint8 `json:"bitmap_strip"`
}

// InodeReport is one in-use inode.
type InodeReport struct {
	Ino     uint32         `json:"ino"`
	Type    string         `json:"type"`
	Mode    uint16         `json:"mode"`
	Size    uint64         `json:"size"`
	Links   uint16         `json:"links"`
	Flags   []string       `json:"flags"`
	Mapping string         `json:"mapping"`
	Extents []ExtentReport `json:"extents"`
	SHA256  string         `json:"sha256,omitempty"`
	// Extra fields for the inspector.
	Blocks  uint64            `json:"blocks"` // i_blocks in 512-byte units
	UID     uint32            `json:"uid"`
	GID     uint32            `json:"gid"`
	Mtime   int64             `json:"mtime"`
	Symlink string            `json:"symlink,omitempty"`
	Tree    *ExtentNode       `json:"extent_tree,omitempty"`
	Xattrs  map[string]string `json:"xattrs,omitempty"`
}

// ExtentReport is one mapped run: logical block → physical block.
type ExtentReport struct {
	Logical   uint32 `json:"logical"`
	Physical  uint64 `json:"physical"`
	Length    uint32 `json:"length"`
	Unwritten bool   `json:"unwritten"`
}

// ExtentNode is one node of an inode's extent tree as stored on disk
// (struct ext4_extent_header plus its entries): the in-inode root or an
// index/leaf block.
type ExtentNode struct {
	Block   uint64         `json:"block"` // 0 for the root in i_block
	Depth   uint16         `json:"depth"`
	Entries uint16         `json:"entries"`
	Max     uint16         `json:"max"`
	Leaves  []ExtentReport `json:"leaves,omitempty"`
	Index   []ExtentIndex  `json:"index,omitempty"`
}

// ExtentIndex is one struct ext4_extent_idx and the subtree it points to.
type ExtentIndex struct {
	Logical uint32      `json:"logical"`
	Leaf    uint64      `json:"leaf"`
	Child   *ExtentNode `json:"child,omitempty"`
}

// JournalReport is the jbd2 journal superblock (journal_superblock_t).
type JournalReport struct {
	BlockType    uint32   `json:"blocktype"`
	BlockSize    uint32   `json:"block_size"`
	MaxLen       uint32   `json:"maxlen"`
	First        uint32   `json:"first"`
	Sequence     uint32   `json:"sequence"`
	Start        uint32   `json:"start"`
	Features     []string `json:"features"`
	ChecksumType string   `json:"checksum_type,omitempty"`
	Checksum     uint32   `json:"checksum,omitempty"` // s_checksum with csum v2/v3
}

// Problem is one inconsistency found while reading: where (structure and
// block/offset) and what.
type Problem struct {
	Where string `json:"where"`
	What  string `json:"what"`
}
