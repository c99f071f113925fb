package ext4

import (
	"encoding/binary"
	"fmt"
)

// Extent tree constants (fs/ext4/ext4_extents.h).
const (
	EXT4_EXT_MAGIC = 0xF30A
	// EXT_INIT_MAX_LEN is the longest initialized extent; a stored ee_len
	// above it marks an unwritten extent of ee_len-EXT_INIT_MAX_LEN blocks.
	EXT_INIT_MAX_LEN      = 1 << 15
	EXT_UNWRITTEN_MAX_LEN = EXT_INIT_MAX_LEN - 1
	// ExtentEntrySize is sizeof ext4_extent, ext4_extent_idx and
	// ext4_extent_header alike.
	ExtentEntrySize = 12
	// ExtentTailSize is sizeof(struct ext4_extent_tail).
	ExtentTailSize = 4
	// EXT4_MAX_EXTENT_DEPTH bounds every tree walk.
	EXT4_MAX_EXTENT_DEPTH = 5
)

// ExtentHeader is struct ext4_extent_header.
type ExtentHeader struct {
	Magic      uint16 // eh_magic
	Entries    uint16 // eh_entries
	Max        uint16 // eh_max
	Depth      uint16 // eh_depth: 0 = entries are leaves
	Generation uint32 // eh_generation
}

// Extent is struct ext4_extent, a leaf entry.
type Extent struct {
	Block   uint32 // ee_block: first logical block
	Len     uint16 // ee_len as stored (> EXT_INIT_MAX_LEN means unwritten)
	StartHi uint16 // ee_start_hi
	StartLo uint32 // ee_start_lo
}

// ExtentIdx is struct ext4_extent_idx, an interior entry.
type ExtentIdx struct {
	Block  uint32 // ei_block: first logical block covered
	LeafLo uint32 // ei_leaf_lo: block of the next level
	LeafHi uint16 // ei_leaf_hi
	Unused uint16 // ei_unused
}

// ExtentTail is struct ext4_extent_tail: the checksum after eh_max entries
// of a tree block.
type ExtentTail struct {
	Checksum uint32
}

// DecodeExtentHeader parses the 12-byte header.
func DecodeExtentHeader(b []byte) (ExtentHeader, error) {
	if len(b) < ExtentEntrySize {
		return ExtentHeader{}, fmt.Errorf("%w: extent header needs 12 bytes, have %d", ErrCorrupt, len(b))
	}
	le := binary.LittleEndian
	return ExtentHeader{le.Uint16(b), le.Uint16(b[2:]), le.Uint16(b[4:]), le.Uint16(b[6:]), le.Uint32(b[8:])}, nil
}

// Encode writes the header into b[:12].
func (h ExtentHeader) Encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint16(b, h.Magic)
	le.PutUint16(b[2:], h.Entries)
	le.PutUint16(b[4:], h.Max)
	le.PutUint16(b[6:], h.Depth)
	le.PutUint32(b[8:], h.Generation)
}

// Check validates a header found in a node of bytes capacity bytes at
// expected depth (-1 = any).
func (h ExtentHeader) Check(capacity int, depth int) error {
	if h.Magic != EXT4_EXT_MAGIC {
		return fmt.Errorf("%w: extent header magic 0x%04x, want 0x%04x", ErrBadMagic, h.Magic, EXT4_EXT_MAGIC)
	}
	maxFit := (capacity - ExtentEntrySize) / ExtentEntrySize
	if int(h.Max) > maxFit || h.Max == 0 {
		return fmt.Errorf("%w: extent header eh_max %d, node holds at most %d", ErrCorrupt, h.Max, maxFit)
	}
	if h.Entries > h.Max {
		return fmt.Errorf("%w: extent header eh_entries %d > eh_max %d", ErrCorrupt, h.Entries, h.Max)
	}
	if h.Depth > EXT4_MAX_EXTENT_DEPTH {
		return fmt.Errorf("%w: extent header eh_depth %d > %d", ErrCorrupt, h.Depth, EXT4_MAX_EXTENT_DEPTH)
	}
	if depth >= 0 && int(h.Depth) != depth {
		return fmt.Errorf("%w: extent header eh_depth %d, expected %d", ErrCorrupt, h.Depth, depth)
	}
	return nil
}

// DecodeExtent parses one 12-byte leaf entry.
func DecodeExtent(b []byte) Extent {
	le := binary.LittleEndian
	return Extent{le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), le.Uint32(b[8:])}
}

// Encode writes the entry into b[:12].
func (e Extent) Encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b, e.Block)
	le.PutUint16(b[4:], e.Len)
	le.PutUint16(b[6:], e.StartHi)
	le.PutUint32(b[8:], e.StartLo)
}

// Start is the first physical block (ext4_ext_pblock).
func (e Extent) Start() uint64 { return uint64(e.StartHi)<<32 | uint64(e.StartLo) }

// SetStart stores a physical block (ext4_ext_store_pblock).
func (e *Extent) SetStart(p uint64) { e.StartLo, e.StartHi = uint32(p), uint16(p>>32) }

// Unwritten reports the unwritten bit (ext4_ext_is_unwritten).
func (e Extent) Unwritten() bool { return e.Len > EXT_INIT_MAX_LEN }

// Length is the number of blocks (ext4_ext_get_actual_len).
func (e Extent) Length() uint32 {
	if e.Len <= EXT_INIT_MAX_LEN {
		return uint32(e.Len)
	}
	return uint32(e.Len) - EXT_INIT_MAX_LEN
}

// SetLength stores a length and the unwritten bit (ext4_ext_mark_unwritten).
func (e *Extent) SetLength(n uint32, unwritten bool) {
	if unwritten {
		e.Len = uint16(n + EXT_INIT_MAX_LEN)
	} else {
		e.Len = uint16(n)
	}
}

// DecodeExtentIdx parses one 12-byte index entry.
func DecodeExtentIdx(b []byte) ExtentIdx {
	le := binary.LittleEndian
	return ExtentIdx{le.Uint32(b), le.Uint32(b[4:]), le.Uint16(b[8:]), le.Uint16(b[10:])}
}

// Encode writes the entry into b[:12].
func (x ExtentIdx) Encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b, x.Block)
	le.PutUint32(b[4:], x.LeafLo)
	le.PutUint16(b[8:], x.LeafHi)
	le.PutUint16(b[10:], x.Unused)
}

// Leaf is the child block (ext4_idx_pblock).
func (x ExtentIdx) Leaf() uint64 { return uint64(x.LeafHi)<<32 | uint64(x.LeafLo) }

// SetLeaf stores the child block (ext4_idx_store_pblock).
func (x *ExtentIdx) SetLeaf(p uint64) { x.LeafLo, x.LeafHi = uint32(p), uint16(p>>32) }

// ExtentTailOffset is where struct ext4_extent_tail sits in a tree block
// whose header says eh_max entries (EXT4_EXTENT_TAIL_OFFSET).
func ExtentTailOffset(max uint16) int { return ExtentEntrySize * (1 + int(max)) }
