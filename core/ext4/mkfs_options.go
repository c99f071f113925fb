package ext4

import (
	"fmt"
	"hash/fnv"
)

// MkfsOptions are the mke2fs options mkfs understands. Zero values mean
// "what mke2fs -t ext4 1.47 would pick for this size".
type MkfsOptions struct {
	Size       int64  // device size in bytes (required)
	BlockSize  uint32 // -b: 1024, 2048 or 4096
	InodeSize  uint32 // -I
	InodeRatio uint64 // -i: bytes per inode
	Inodes     uint64 // -N: inode count wanted
	// Features is a -O list applied to the ext4 defaults, e.g.
	// "^metadata_csum,^huge_file".
	Features string
	Label    string // -L, at most 16 bytes
	// UUID and HashSeed in the usual 8-4-4-4-12 form; empty means derived
	// from Seed.
	UUID     string
	HashSeed string
	// Seed derives the UUID and hash seed when they are not given.
	Seed uint64
	// Time is the creation time (seconds since the epoch) for every
	// timestamp mkfs writes; 0 means DefaultMkfsTime.
	Time int64
	// ReservedPercent is -m; negative means the default 5%.
	ReservedPercent float64
	// JournalBlocks overrides the journal size (0: the default for the size).
	JournalBlocks uint64
}

// DefaultMkfsTime is the creation time used when MkfsOptions.Time is 0,
// so that images are reproducible (2023-11-14T22:13:20Z).
const DefaultMkfsTime = 1700000000

// ext4DefaultFeatures is mke2fs.conf's base_features plus the ext4
// fs_type's features.
var ext4DefaultFeatures = Features{
	Compat: EXT4_FEATURE_COMPAT_HAS_JOURNAL | EXT4_FEATURE_COMPAT_EXT_ATTR |
		EXT4_FEATURE_COMPAT_RESIZE_INODE | EXT4_FEATURE_COMPAT_DIR_INDEX,
	Incompat: EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_EXTENTS |
		EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG,
	RoCompat: EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT4_FEATURE_RO_COMPAT_LARGE_FILE |
		EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
		EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM,
}

// mkfsSupported are the features this mkfs can make.
var mkfsSupported = Features{
	Compat:   ext4DefaultFeatures.Compat,
	Incompat: ext4DefaultFeatures.Incompat,
	RoCompat: ext4DefaultFeatures.RoCompat | EXT4_FEATURE_RO_COMPAT_GDT_CSUM,
}

// mkfsResolved is MkfsOptions with every default filled in.
type mkfsResolved struct {
	geo      mkfsGeometryInput
	features Features
	label    string
	uuid     [16]byte
	hashSeed [16]byte
	time     int64
}

// seededUUID derives a version-4-shaped UUID from a seed and a purpose.
func seededUUID(seed uint64, purpose string) [16]byte {
	var u [16]byte
	for i := 0; i < 2; i++ {
		h := fnv.New64a()
		fmt.Fprintf(h, "ext4play-mkfs/%s/%d/%d", purpose, seed, i)
		s := h.Sum64()
		for j := 0; j < 8; j++ {
			u[i*8+j] = byte(s >> (8 * j))
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (o MkfsOptions) resolve() (*mkfsResolved, error) {
	if o.Size <= 0 {
		return nil, fmt.Errorf("%w: size %d: must be positive", ErrMkfs, o.Size)
	}
	r := &mkfsResolved{time: o.Time}
	if r.time == 0 {
		r.time = DefaultMkfsTime
	}
	if r.time < 0 || r.time > 1<<32-1 {
		return nil, fmt.Errorf("%w: time %d out of range", ErrMkfs, r.time)
	}
	feats, err := ApplyFeatureList(ext4DefaultFeatures, o.Features)
	if err != nil {
		return nil, fmt.Errorf("%w: -O %q: %w", ErrMkfs, o.Features, err)
	}
	if extra := (Features{feats.Compat &^ mkfsSupported.Compat, feats.Incompat &^ mkfsSupported.Incompat, feats.RoCompat &^ mkfsSupported.RoCompat}); extra != (Features{}) {
		return nil, fmt.Errorf("%w: feature %s not supported by this mkfs: %w", ErrMkfs, extra, ErrUnsupported)
	}
	if feats.RoCompat&EXT4_FEATURE_RO_COMPAT_METADATA_CSUM != 0 {
		// metadata_csum supersedes uninit_bg, as mke2fs does.
		feats.RoCompat &^= EXT4_FEATURE_RO_COMPAT_GDT_CSUM
	}
	r.features = feats
	if len(o.Label) > 16 {
		return nil, fmt.Errorf("%w: label %q longer than 16 bytes", ErrMkfs, o.Label)
	}
	r.label = o.Label
	if o.UUID != "" {
		if r.uuid, err = ParseUUID(o.UUID); err != nil {
			return nil, fmt.Errorf("%w: UUID %q: %w", ErrMkfs, o.UUID, err)
		}
	} else {
		r.uuid = seededUUID(o.Seed, "uuid")
	}
	if o.HashSeed != "" {
		if r.hashSeed, err = ParseUUID(o.HashSeed); err != nil {
			return nil, fmt.Errorf("%w: hash seed %q: %w", ErrMkfs, o.HashSeed, err)
		}
	} else {
		r.hashSeed = seededUUID(o.Seed, "hash_seed")
	}
	_, bs, ratio := mkfsSizeType(uint64(o.Size))
	if o.BlockSize != 0 {
		bs = o.BlockSize
	}
	if o.InodeRatio != 0 {
		ratio = o.InodeRatio
	}
	if ratio < uint64(bs) {
		ratio = uint64(bs)
	}
	isz := o.InodeSize
	if isz == 0 {
		isz = 256
	}
	pct := o.ReservedPercent
	if pct < 0 {
		pct = 5
	}
	if pct > 50 {
		return nil, fmt.Errorf("%w: reserved percentage %v above 50", ErrMkfs, pct)
	}
	has := func(f Features) bool { return feats.Has(f) }
	r.geo = mkfsGeometryInput{
		sizeBytes:       uint64(o.Size),
		blockSize:       bs,
		inodeSize:       isz,
		inodeRatio:      ratio,
		inodesCount:     o.Inodes,
		reservedPercent: pct,
		journalBlocks:   o.JournalBlocks,
		feat: mkfsFeatures{
			sparseSuper:  has(Features{RoCompat: EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER}),
			resizeInode:  has(Features{Compat: EXT4_FEATURE_COMPAT_RESIZE_INODE}),
			flexBG:       has(Features{Incompat: EXT4_FEATURE_INCOMPAT_FLEX_BG}),
			bit64:        has(Features{Incompat: EXT4_FEATURE_INCOMPAT_64BIT}),
			hasJournal:   has(Features{Compat: EXT4_FEATURE_COMPAT_HAS_JOURNAL}),
			extents:      has(Features{Incompat: EXT4_FEATURE_INCOMPAT_EXTENTS}),
			metadataCsum: has(Features{RoCompat: EXT4_FEATURE_RO_COMPAT_METADATA_CSUM}),
			groupCsum: has(Features{RoCompat: EXT4_FEATURE_RO_COMPAT_METADATA_CSUM}) ||
				has(Features{RoCompat: EXT4_FEATURE_RO_COMPAT_GDT_CSUM}),
		},
	}
	if r.geo.feat.flexBG {
		r.geo.logGroupsPerFlex = 4
	}
	return r, nil
}
