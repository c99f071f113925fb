package ext4

import (
	"fmt"
	"math/bits"
	"strings"
)

// CompatFeature is a bit of s_feature_compat (EXT4_FEATURE_COMPAT_*,
// fs/ext4/ext4.h).
type CompatFeature uint32

// IncompatFeature is a bit of s_feature_incompat (EXT4_FEATURE_INCOMPAT_*).
type IncompatFeature uint32

// RoCompatFeature is a bit of s_feature_ro_compat (EXT4_FEATURE_RO_COMPAT_*).
type RoCompatFeature uint32

// Feature bits, with the kernel's names.
const (
	EXT4_FEATURE_COMPAT_DIR_PREALLOC   CompatFeature = 0x0001
	EXT4_FEATURE_COMPAT_IMAGIC_INODES  CompatFeature = 0x0002
	EXT4_FEATURE_COMPAT_HAS_JOURNAL    CompatFeature = 0x0004
	EXT4_FEATURE_COMPAT_EXT_ATTR       CompatFeature = 0x0008
	EXT4_FEATURE_COMPAT_RESIZE_INODE   CompatFeature = 0x0010
	EXT4_FEATURE_COMPAT_DIR_INDEX      CompatFeature = 0x0020
	EXT4_FEATURE_COMPAT_LAZY_BG        CompatFeature = 0x0040
	EXT4_FEATURE_COMPAT_EXCLUDE_INODE  CompatFeature = 0x0080
	EXT4_FEATURE_COMPAT_EXCLUDE_BITMAP CompatFeature = 0x0100
	EXT4_FEATURE_COMPAT_SPARSE_SUPER2  CompatFeature = 0x0200
	EXT4_FEATURE_COMPAT_FAST_COMMIT    CompatFeature = 0x0400
	EXT4_FEATURE_COMPAT_STABLE_INODES  CompatFeature = 0x0800
	EXT4_FEATURE_COMPAT_ORPHAN_FILE    CompatFeature = 0x1000

	EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER   RoCompatFeature = 0x0001
	EXT4_FEATURE_RO_COMPAT_LARGE_FILE     RoCompatFeature = 0x0002
	EXT4_FEATURE_RO_COMPAT_BTREE_DIR      RoCompatFeature = 0x0004
	EXT4_FEATURE_RO_COMPAT_HUGE_FILE      RoCompatFeature = 0x0008
	EXT4_FEATURE_RO_COMPAT_GDT_CSUM       RoCompatFeature = 0x0010
	EXT4_FEATURE_RO_COMPAT_DIR_NLINK      RoCompatFeature = 0x0020
	EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE    RoCompatFeature = 0x0040
	EXT4_FEATURE_RO_COMPAT_HAS_SNAPSHOT   RoCompatFeature = 0x0080
	EXT4_FEATURE_RO_COMPAT_QUOTA          RoCompatFeature = 0x0100
	EXT4_FEATURE_RO_COMPAT_BIGALLOC       RoCompatFeature = 0x0200
	EXT4_FEATURE_RO_COMPAT_METADATA_CSUM  RoCompatFeature = 0x0400
	EXT4_FEATURE_RO_COMPAT_REPLICA        RoCompatFeature = 0x0800
	EXT4_FEATURE_RO_COMPAT_READONLY       RoCompatFeature = 0x1000
	EXT4_FEATURE_RO_COMPAT_PROJECT        RoCompatFeature = 0x2000
	EXT4_FEATURE_RO_COMPAT_SHARED_BLOCKS  RoCompatFeature = 0x4000
	EXT4_FEATURE_RO_COMPAT_VERITY         RoCompatFeature = 0x8000
	EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT RoCompatFeature = 0x10000

	EXT4_FEATURE_INCOMPAT_COMPRESSION IncompatFeature = 0x0001
	EXT4_FEATURE_INCOMPAT_FILETYPE    IncompatFeature = 0x0002
	EXT4_FEATURE_INCOMPAT_RECOVER     IncompatFeature = 0x0004
	EXT4_FEATURE_INCOMPAT_JOURNAL_DEV IncompatFeature = 0x0008
	EXT4_FEATURE_INCOMPAT_META_BG     IncompatFeature = 0x0010
	EXT4_FEATURE_INCOMPAT_EXTENTS     IncompatFeature = 0x0040
	EXT4_FEATURE_INCOMPAT_64BIT       IncompatFeature = 0x0080
	EXT4_FEATURE_INCOMPAT_MMP         IncompatFeature = 0x0100
	EXT4_FEATURE_INCOMPAT_FLEX_BG     IncompatFeature = 0x0200
	EXT4_FEATURE_INCOMPAT_EA_INODE    IncompatFeature = 0x0400
	EXT4_FEATURE_INCOMPAT_DIRDATA     IncompatFeature = 0x1000
	EXT4_FEATURE_INCOMPAT_CSUM_SEED   IncompatFeature = 0x2000
	EXT4_FEATURE_INCOMPAT_LARGEDIR    IncompatFeature = 0x4000
	EXT4_FEATURE_INCOMPAT_INLINE_DATA IncompatFeature = 0x8000
	EXT4_FEATURE_INCOMPAT_ENCRYPT     IncompatFeature = 0x10000
	EXT4_FEATURE_INCOMPAT_CASEFOLD    IncompatFeature = 0x20000
)

// featureKind says which of the three feature words a flag lives in; it is
// also the order e2fsprogs prints them (lib/e2p/feature.c).
type featureKind int

const (
	kindCompat featureKind = iota
	kindIncompat
	kindRoCompat
)

// featureTable is the one table of e2fsprogs feature names
// (lib/e2p/feature.c). Where e2fsprogs accepts several names for a bit,
// the first listed is the one it prints.
var featureTable = []struct {
	kind  featureKind
	mask  uint32
	names []string
}{
	{kindCompat, 0x0001, []string{"dir_prealloc"}},
	{kindCompat, 0x0002, []string{"imagic_inodes"}},
	{kindCompat, 0x0004, []string{"has_journal"}},
	{kindCompat, 0x0008, []string{"ext_attr"}},
	{kindCompat, 0x0010, []string{"resize_inode"}},
	{kindCompat, 0x0020, []string{"dir_index"}},
	{kindCompat, 0x0040, []string{"lazy_bg"}},
	{kindCompat, 0x0080, []string{"snapshot_bitmap", "exclude_inode"}},
	{kindCompat, 0x0100, []string{"exclude_bitmap"}},
	{kindCompat, 0x0200, []string{"sparse_super2"}},
	{kindCompat, 0x0400, []string{"fast_commit"}},
	{kindCompat, 0x0800, []string{"stable_inodes"}},
	{kindCompat, 0x1000, []string{"orphan_file"}},

	{kindIncompat, 0x0001, []string{"compression"}},
	{kindIncompat, 0x0002, []string{"filetype"}},
	{kindIncompat, 0x0004, []string{"needs_recovery"}},
	{kindIncompat, 0x0008, []string{"journal_dev"}},
	{kindIncompat, 0x0010, []string{"meta_bg"}},
	{kindIncompat, 0x0040, []string{"extent", "extents"}},
	{kindIncompat, 0x0080, []string{"64bit"}},
	{kindIncompat, 0x0100, []string{"mmp"}},
	{kindIncompat, 0x0200, []string{"flex_bg"}},
	{kindIncompat, 0x0400, []string{"ea_inode"}},
	{kindIncompat, 0x1000, []string{"dirdata"}},
	{kindIncompat, 0x2000, []string{"metadata_csum_seed"}},
	{kindIncompat, 0x4000, []string{"large_dir"}},
	{kindIncompat, 0x8000, []string{"inline_data"}},
	{kindIncompat, 0x10000, []string{"encrypt"}},
	{kindIncompat, 0x20000, []string{"casefold", "fname_encoding"}},

	{kindRoCompat, 0x0001, []string{"sparse_super"}},
	{kindRoCompat, 0x0002, []string{"large_file"}},
	{kindRoCompat, 0x0008, []string{"huge_file"}},
	{kindRoCompat, 0x0010, []string{"uninit_bg", "uninit_groups"}},
	{kindRoCompat, 0x0020, []string{"dir_nlink"}},
	{kindRoCompat, 0x0040, []string{"extra_isize"}},
	{kindRoCompat, 0x0080, []string{"snapshot_klist"}},
	{kindRoCompat, 0x0100, []string{"quota"}},
	{kindRoCompat, 0x0200, []string{"bigalloc"}},
	{kindRoCompat, 0x0400, []string{"metadata_csum"}},
	{kindRoCompat, 0x0800, []string{"replica"}},
	{kindRoCompat, 0x1000, []string{"read-only"}},
	{kindRoCompat, 0x2000, []string{"project"}},
	{kindRoCompat, 0x4000, []string{"shared_blocks"}},
	{kindRoCompat, 0x8000, []string{"verity"}},
	{kindRoCompat, 0x10000, []string{"orphan_present"}},
}

var kindLetter = [...]string{kindCompat: "C", kindIncompat: "I", kindRoCompat: "R"}

// featureName is the e2fsprogs name of one bit; unknown bits print as
// e2fsprogs does, FEATURE_<C|I|R><bit>.
func featureName(kind featureKind, mask uint32) string {
	for _, f := range featureTable {
		if f.kind == kind && f.mask == mask {
			return f.names[0]
		}
	}
	return fmt.Sprintf("FEATURE_%s%d", kindLetter[kind], bits.TrailingZeros32(mask))
}

func featureNames(kind featureKind, v uint32) []string {
	var out []string
	for v != 0 {
		m := v & -v
		out = append(out, featureName(kind, m))
		v &^= m
	}
	return out
}

func (f CompatFeature) String() string {
	return strings.Join(featureNames(kindCompat, uint32(f)), " ")
}

func (f IncompatFeature) String() string {
	return strings.Join(featureNames(kindIncompat, uint32(f)), " ")
}

func (f RoCompatFeature) String() string {
	return strings.Join(featureNames(kindRoCompat, uint32(f)), " ")
}

// Features is the set of the three feature words.
type Features struct {
	Compat   CompatFeature
	Incompat IncompatFeature
	RoCompat RoCompatFeature
}

// Names lists the features by e2fsprogs name in dumpe2fs order: compat,
// then incompat, then ro_compat, each by ascending bit.
func (f Features) Names() []string {
	out := featureNames(kindCompat, uint32(f.Compat))
	out = append(out, featureNames(kindIncompat, uint32(f.Incompat))...)
	return append(out, featureNames(kindRoCompat, uint32(f.RoCompat))...)
}

func (f Features) String() string { return strings.Join(f.Names(), " ") }

// ParseFeature finds a feature by its e2fsprogs name (case-insensitive,
// aliases accepted, and FEATURE_C12-style names).
func ParseFeature(name string) (Features, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, f := range featureTable {
		for _, a := range f.names {
			if a == n {
				return featureOf(f.kind, f.mask), nil
			}
		}
	}
	var letter string
	var bit int
	if _, err := fmt.Sscanf(strings.ToUpper(n), "FEATURE_%1s%d", &letter, &bit); err == nil && bit >= 0 && bit < 32 {
		for k, l := range kindLetter {
			if l == letter {
				return featureOf(featureKind(k), 1<<bit), nil
			}
		}
	}
	return Features{}, fmt.Errorf("ext4: unknown feature %q", name)
}

func featureOf(kind featureKind, mask uint32) Features {
	switch kind {
	case kindCompat:
		return Features{Compat: CompatFeature(mask)}
	case kindIncompat:
		return Features{Incompat: IncompatFeature(mask)}
	}
	return Features{RoCompat: RoCompatFeature(mask)}
}

// ApplyFeatureList edits base with a mke2fs/tune2fs -O style list:
// comma- or space-separated names, each optionally prefixed by ^ (clear)
// or + (set). "none" clears everything.
func ApplyFeatureList(base Features, list string) (Features, error) {
	for _, w := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		clearIt := false
		switch {
		case strings.HasPrefix(w, "^"):
			clearIt, w = true, w[1:]
		case strings.HasPrefix(w, "+"):
			w = w[1:]
		}
		if strings.EqualFold(w, "none") || strings.EqualFold(w, "clear") {
			base = Features{}
			continue
		}
		f, err := ParseFeature(w)
		if err != nil {
			return base, err
		}
		if clearIt {
			base.Compat &^= f.Compat
			base.Incompat &^= f.Incompat
			base.RoCompat &^= f.RoCompat
		} else {
			base.Compat |= f.Compat
			base.Incompat |= f.Incompat
			base.RoCompat |= f.RoCompat
		}
	}
	return base, nil
}

// Has reports whether every bit of want is set in f.
func (f Features) Has(want Features) bool {
	return f.Compat&want.Compat == want.Compat &&
		f.Incompat&want.Incompat == want.Incompat &&
		f.RoCompat&want.RoCompat == want.RoCompat
}
