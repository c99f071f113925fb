package dio

import (
	"fmt"
	"math/bits"
	"strings"

	"ext4play/core/scenario"
)

// Variant is one modelled kernel (reference §Variants). The five kernels
// run the same code path; Variant holds the few decisions in which they
// differ, so the UI can show exactly what changes between two of them.
type Variant struct {
	Name scenario.Kernel
	// Title is a one-line description.
	Title string
	// OverwriteHoldsDataSem: the unlocked overwrite DIO takes
	// down_read(i_data_sem) before dropping i_mutex and holds it for the
	// whole submission, mapping with EXT4_GET_BLOCKS_NO_LOCK
	// (v4.4 and the revert; removed by 2bcba4781fa3).
	OverwriteHoldsDataSem bool
	// InodeAIO: the inode carries the "current DIO io_end" pointer
	// inode->i_private (ext4_inode_aio / ext4_inode_aio_set); gone in v4.6.
	InodeAIO bool
	// OverwriteNoIOEnd: the overwrite DIO allocates no io_end and leaves
	// i_private alone (74dae4278546, Jan Kara's fix; also v4.6).
	OverwriteNoIOEnd bool
	// IOEndInDio: the io_end travels map_bh.b_private -> dio->private ->
	// end_io and is allocated by the get_block that first maps an
	// unwritten extent, flagged and marked Defer_Completion in the same
	// call (109811c20fb8, v4.6).
	IOEndInDio bool
	// IOEndCount: ext4_inode_info.i_ioend_count exists (up to 4.5).
	IOEndCount bool
	// Flags is the variant's EXT4_GET_BLOCKS_* table (reference §1).
	Flags FlagTable
}

// FlagTable holds the EXT4_GET_BLOCKS_* values that differ between the
// variants; 0 means the flag does not exist in that kernel.
type FlagTable struct {
	NoLock           uint32 // EXT4_GET_BLOCKS_NO_LOCK
	ConvertUnwritten uint32 // EXT4_GET_BLOCKS_CONVERT_UNWRITTEN
	Zero             uint32 // EXT4_GET_BLOCKS_ZERO
}

// Shared EXT4_GET_BLOCKS_* values (fs/ext4/ext4.h), the same in every
// modelled kernel, and the internal lookup flags that must not overlap.
const (
	GetBlocksCreate          uint32 = 0x0001
	GetBlocksUnwritExt       uint32 = 0x0002
	GetBlocksDelallocReserve uint32 = 0x0004
	GetBlocksPreIO           uint32 = 0x0008
	GetBlocksConvert         uint32 = 0x0010
	GetBlocksMetadataNofail  uint32 = 0x0020
	GetBlocksNoNormalize     uint32 = 0x0040
	GetBlocksKeepSize        uint32 = 0x0080
	GetBlocksIOCreateExt            = GetBlocksPreIO | GetBlocksUnwritExt | GetBlocksCreate   // 0x0B
	GetBlocksIOConvertExt           = GetBlocksConvert | GetBlocksUnwritExt | GetBlocksCreate // 0x13
	ExNoCache                uint32 = 0x40000000                                              // EXT4_EX_NOCACHE
	ExForceCache             uint32 = 0x20000000                                              // EXT4_EX_FORCE_CACHE
)

// Variants in release order.
var Variants = []*Variant{
	{Name: scenario.KernelV44, Title: "Linux 4.4: overwrite DIO holds i_data_sem for reading, maps with NO_LOCK",
		OverwriteHoldsDataSem: true, InodeAIO: true, IOEndCount: true,
		Flags: FlagTable{NoLock: 0x100, ConvertUnwritten: 0x200}},
	{Name: scenario.KernelV45rc3, Title: "4.5-rc3 with 2bcba4781fa3 \"get rid of EXT4_GET_BLOCKS_NO_LOCK flag\"",
		InodeAIO: true, IOEndCount: true,
		Flags: FlagTable{ConvertUnwritten: 0x100, Zero: 0x200}},
	{Name: scenario.KernelRevert, Title: "4.5-rc3 plus Eric Whitney's revert (never merged)",
		OverwriteHoldsDataSem: true, InodeAIO: true, IOEndCount: true,
		Flags: FlagTable{NoLock: 0x100, ConvertUnwritten: 0x200, Zero: 0x300}},
	{Name: scenario.KernelJanFix, Title: "4.5-rc3 plus 74dae4278546 \"ext4: fix crashes in dioread_nolock mode\"",
		InodeAIO: true, OverwriteNoIOEnd: true, IOEndCount: true,
		Flags: FlagTable{ConvertUnwritten: 0x100, Zero: 0x200}},
	{Name: scenario.KernelV46, Title: "4.6: io_end handed through dio->private (109811c20fb8), not stored in the inode",
		OverwriteNoIOEnd: true, IOEndInDio: true,
		Flags: FlagTable{ConvertUnwritten: 0x100, Zero: 0x200}},
}

// VariantByName returns the variant called name.
func VariantByName(name scenario.Kernel) (*Variant, error) {
	for _, v := range Variants {
		if v.Name == name {
			return v, nil
		}
	}
	return nil, fmt.Errorf("dio: unknown kernel variant %q (want one of v4.4, v4.5-rc3, revert, jan-fix, v4.6): %w", name, ErrBadInput)
}

// NamedFlag is one EXT4_GET_BLOCKS_* entry of a variant's table.
type NamedFlag struct {
	Name  string
	Value uint32
}

// Table returns the variant's whole EXT4_GET_BLOCKS_* table (flags the
// kernel does not have are left out), composites included.
func (v *Variant) Table() []NamedFlag {
	t := []NamedFlag{
		{"CREATE", GetBlocksCreate}, {"UNWRIT_EXT", GetBlocksUnwritExt},
		{"CREATE_UNWRIT_EXT", GetBlocksUnwritExt | GetBlocksCreate},
		{"DELALLOC_RESERVE", GetBlocksDelallocReserve}, {"PRE_IO", GetBlocksPreIO},
		{"CONVERT", GetBlocksConvert}, {"IO_CREATE_EXT", GetBlocksIOCreateExt},
		{"IO_CONVERT_EXT", GetBlocksIOConvertExt}, {"METADATA_NOFAIL", GetBlocksMetadataNofail},
		{"NO_NORMALIZE", GetBlocksNoNormalize}, {"KEEP_SIZE", GetBlocksKeepSize},
	}
	if v.Flags.NoLock != 0 {
		t = append(t, NamedFlag{"NO_LOCK", v.Flags.NoLock})
	}
	if v.Flags.ConvertUnwritten != 0 {
		t = append(t, NamedFlag{"CONVERT_UNWRITTEN", v.Flags.ConvertUnwritten})
	}
	if v.Flags.Zero != 0 {
		t = append(t, NamedFlag{"ZERO", v.Flags.Zero}, NamedFlag{"CREATE_ZERO", v.Flags.Zero | GetBlocksCreate})
	}
	return t
}

// composite flags are defined as ORs of others; overlapping them with
// their parts is intended.
var compositeFlags = map[string]bool{"CREATE_UNWRIT_EXT": true, "IO_CREATE_EXT": true, "IO_CONVERT_EXT": true, "CREATE_ZERO": true}

// Overlap is a pair of single EXT4_GET_BLOCKS_* flags sharing bits.
type Overlap struct {
	A, B    NamedFlag
	Bits    uint32
	Meaning string
}

func (o Overlap) String() string {
	return fmt.Sprintf("EXT4_GET_BLOCKS_%s (%#06x) overlaps EXT4_GET_BLOCKS_%s (%#06x) in bits %#06x: %s",
		o.A.Name, o.A.Value, o.B.Name, o.B.Value, o.Bits, o.Meaning)
}

// CheckFlagOverlaps is the static check the kernel never had: every
// single (non-composite) flag of the variant's table must be one bit and
// must not share bits with another, nor with the internal EX_NOCACHE /
// EX_FORCE_CACHE lookup flags.
func (v *Variant) CheckFlagOverlaps() []Overlap {
	var singles []NamedFlag
	for _, f := range v.Table() {
		if !compositeFlags[f.Name] {
			singles = append(singles, f)
		}
	}
	singles = append(singles, NamedFlag{"EX_NOCACHE", ExNoCache}, NamedFlag{"EX_FORCE_CACHE", ExForceCache})
	var out []Overlap
	for i, a := range singles {
		if bits.OnesCount32(a.Value) != 1 {
			// A "flag" of several bits is true whenever any caller passes
			// one of its bits: name every flag it swallows.
			for _, b := range singles {
				if b.Name != a.Name && bits.OnesCount32(b.Value) == 1 && a.Value&b.Value != 0 {
					out = append(out, Overlap{A: a, B: b, Bits: a.Value & b.Value, Meaning: overlapMeaning(a.Name, b.Name)})
				}
			}
			continue
		}
		for _, b := range singles[i+1:] {
			if bits.OnesCount32(b.Value) == 1 && a.Value&b.Value != 0 {
				out = append(out, Overlap{A: a, B: b, Bits: a.Value & b.Value, Meaning: overlapMeaning(a.Name, b.Name)})
			}
		}
	}
	return out
}

// overlapMeaning explains an overlap (reference §8).
func overlapMeaning(a, b string) string {
	if a == "ZERO" && b == "NO_LOCK" {
		return "every caller passing NO_LOCK (the v4.4-style overwrite lookup) now also tests true for ZERO; inert for DIO " +
			"because ZERO is only tested in the allocation (MAPPED|NEW) and CONVERT branches, which a NO_LOCK lookup without " +
			"CREATE never reaches; but CREATE_ZERO (DAX faults) silently carries NO_LOCK, so the fault's lookup skips i_data_sem"
	}
	if a == "ZERO" && b == "CONVERT_UNWRITTEN" {
		return "CREATE_ZERO silently carries CONVERT_UNWRITTEN: a DAX write fault on an already written block converts it to " +
			"unwritten, and the follow-up CONVERT|CREATE_ZERO call zeroes the existing data while converting it back — data " +
			"loss on DAX write faults; zero-range callers passing CONVERT_UNWRITTEN test true for ZERO too (inert: their results " +
			"are unwritten); trace flag names are wrong"
	}
	return "the two intents cannot be told apart by ext4_map_blocks"
}

// FlagString renders a get_blocks value with this variant's names.
func (v *Variant) FlagString(f uint32) string {
	if f == 0 {
		return "0"
	}
	var parts []string
	rest := f
	for _, n := range v.Table() {
		if compositeFlags[n.Name] || bits.OnesCount32(n.Value) != 1 {
			continue
		}
		if f&n.Value != 0 {
			parts = append(parts, n.Name)
			rest &^= n.Value
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", rest))
	}
	return strings.Join(parts, "|")
}
