package ext4

import (
	"encoding/binary"
	"fmt"
)

// Group descriptor sizes: EXT4_MIN_DESC_SIZE and EXT4_MIN_DESC_SIZE_64BIT.
const (
	GroupDesc32Size = 32
	GroupDesc64Size = 64
)

// GroupDesc is struct ext4_group_desc (fs/ext4/ext4.h). The first 32 bytes
// are the whole descriptor without 64bit; with 64bit the _hi halves follow.
// Decode and Encode take the descriptor size chosen once from the
// superblock, so callers use the 64-bit accessors either way.
type GroupDesc struct {
	BlockBitmapLo     uint32  // 0x00
	InodeBitmapLo     uint32  // 0x04
	InodeTableLo      uint32  // 0x08
	FreeBlocksCountLo uint16  // 0x0C
	FreeInodesCountLo uint16  // 0x0E
	UsedDirsCountLo   uint16  // 0x10
	Flags             BgFlags // 0x12
	ExcludeBitmapLo   uint32  // 0x14
	BlockBitmapCsumLo uint16  // 0x18
	InodeBitmapCsumLo uint16  // 0x1A
	ItableUnusedLo    uint16  // 0x1C
	Checksum          uint16  // 0x1E crc16 (gdt_csum) or crc32c&0xFFFF
	// 64bit half, present when the descriptor size is ≥ 64.
	BlockBitmapHi     uint32 // 0x20
	InodeBitmapHi     uint32 // 0x24
	InodeTableHi      uint32 // 0x28
	FreeBlocksCountHi uint16 // 0x2C
	FreeInodesCountHi uint16 // 0x2E
	UsedDirsCountHi   uint16 // 0x30
	ItableUnusedHi    uint16 // 0x32
	ExcludeBitmapHi   uint32 // 0x34
	BlockBitmapCsumHi uint16 // 0x38
	InodeBitmapCsumHi uint16 // 0x3A
	Reserved          uint32 // 0x3C
}

// groupDescChecksumOffset is offsetof(struct ext4_group_desc, bg_checksum).
const groupDescChecksumOffset = 0x1E

// DecodeGroupDesc parses one descriptor of size bytes (32, or ≥ 64 with
// 64bit; bytes past 64 are ignored).
func DecodeGroupDesc(b []byte, size int) (GroupDesc, error) {
	var g GroupDesc
	if size != GroupDesc32Size && size < GroupDesc64Size || len(b) < size {
		return g, fmt.Errorf("%w: group descriptor of %d bytes (have %d)", ErrCorrupt, size, len(b))
	}
	le := binary.LittleEndian
	g.BlockBitmapLo = le.Uint32(b[0x00:])
	g.InodeBitmapLo = le.Uint32(b[0x04:])
	g.InodeTableLo = le.Uint32(b[0x08:])
	g.FreeBlocksCountLo = le.Uint16(b[0x0C:])
	g.FreeInodesCountLo = le.Uint16(b[0x0E:])
	g.UsedDirsCountLo = le.Uint16(b[0x10:])
	g.Flags = BgFlags(le.Uint16(b[0x12:]))
	g.ExcludeBitmapLo = le.Uint32(b[0x14:])
	g.BlockBitmapCsumLo = le.Uint16(b[0x18:])
	g.InodeBitmapCsumLo = le.Uint16(b[0x1A:])
	g.ItableUnusedLo = le.Uint16(b[0x1C:])
	g.Checksum = le.Uint16(b[0x1E:])
	if size >= GroupDesc64Size {
		g.BlockBitmapHi = le.Uint32(b[0x20:])
		g.InodeBitmapHi = le.Uint32(b[0x24:])
		g.InodeTableHi = le.Uint32(b[0x28:])
		g.FreeBlocksCountHi = le.Uint16(b[0x2C:])
		g.FreeInodesCountHi = le.Uint16(b[0x2E:])
		g.UsedDirsCountHi = le.Uint16(b[0x30:])
		g.ItableUnusedHi = le.Uint16(b[0x32:])
		g.ExcludeBitmapHi = le.Uint32(b[0x34:])
		g.BlockBitmapCsumHi = le.Uint16(b[0x38:])
		g.InodeBitmapCsumHi = le.Uint16(b[0x3A:])
		g.Reserved = le.Uint32(b[0x3C:])
	}
	return g, nil
}

// Encode writes the descriptor into b[:size]; with size 32 the _hi fields
// are not stored (they must be zero for the values to survive).
func (g *GroupDesc) Encode(b []byte, size int) {
	le := binary.LittleEndian
	le.PutUint32(b[0x00:], g.BlockBitmapLo)
	le.PutUint32(b[0x04:], g.InodeBitmapLo)
	le.PutUint32(b[0x08:], g.InodeTableLo)
	le.PutUint16(b[0x0C:], g.FreeBlocksCountLo)
	le.PutUint16(b[0x0E:], g.FreeInodesCountLo)
	le.PutUint16(b[0x10:], g.UsedDirsCountLo)
	le.PutUint16(b[0x12:], uint16(g.Flags))
	le.PutUint32(b[0x14:], g.ExcludeBitmapLo)
	le.PutUint16(b[0x18:], g.BlockBitmapCsumLo)
	le.PutUint16(b[0x1A:], g.InodeBitmapCsumLo)
	le.PutUint16(b[0x1C:], g.ItableUnusedLo)
	le.PutUint16(b[0x1E:], g.Checksum)
	if size >= GroupDesc64Size {
		le.PutUint32(b[0x20:], g.BlockBitmapHi)
		le.PutUint32(b[0x24:], g.InodeBitmapHi)
		le.PutUint32(b[0x28:], g.InodeTableHi)
		le.PutUint16(b[0x2C:], g.FreeBlocksCountHi)
		le.PutUint16(b[0x2E:], g.FreeInodesCountHi)
		le.PutUint16(b[0x30:], g.UsedDirsCountHi)
		le.PutUint16(b[0x32:], g.ItableUnusedHi)
		le.PutUint32(b[0x34:], g.ExcludeBitmapHi)
		le.PutUint16(b[0x38:], g.BlockBitmapCsumHi)
		le.PutUint16(b[0x3A:], g.InodeBitmapCsumHi)
		le.PutUint32(b[0x3C:], g.Reserved)
		clear(b[GroupDesc64Size:size])
	}
}

func (g *GroupDesc) BlockBitmap() uint64 {
	return uint64(g.BlockBitmapHi)<<32 | uint64(g.BlockBitmapLo)
}
func (g *GroupDesc) InodeBitmap() uint64 {
	return uint64(g.InodeBitmapHi)<<32 | uint64(g.InodeBitmapLo)
}
func (g *GroupDesc) InodeTable() uint64 { return uint64(g.InodeTableHi)<<32 | uint64(g.InodeTableLo) }
func (g *GroupDesc) FreeBlocksCount() uint32 {
	return uint32(g.FreeBlocksCountHi)<<16 | uint32(g.FreeBlocksCountLo)
}
func (g *GroupDesc) FreeInodesCount() uint32 {
	return uint32(g.FreeInodesCountHi)<<16 | uint32(g.FreeInodesCountLo)
}
func (g *GroupDesc) UsedDirsCount() uint32 {
	return uint32(g.UsedDirsCountHi)<<16 | uint32(g.UsedDirsCountLo)
}
func (g *GroupDesc) ItableUnused() uint32 {
	return uint32(g.ItableUnusedHi)<<16 | uint32(g.ItableUnusedLo)
}
func (g *GroupDesc) BlockBitmapCsum() uint32 {
	return uint32(g.BlockBitmapCsumHi)<<16 | uint32(g.BlockBitmapCsumLo)
}
func (g *GroupDesc) InodeBitmapCsum() uint32 {
	return uint32(g.InodeBitmapCsumHi)<<16 | uint32(g.InodeBitmapCsumLo)
}

func (g *GroupDesc) SetBlockBitmap(v uint64) {
	g.BlockBitmapLo, g.BlockBitmapHi = uint32(v), uint32(v>>32)
}
func (g *GroupDesc) SetInodeBitmap(v uint64) {
	g.InodeBitmapLo, g.InodeBitmapHi = uint32(v), uint32(v>>32)
}
func (g *GroupDesc) SetInodeTable(v uint64) {
	g.InodeTableLo, g.InodeTableHi = uint32(v), uint32(v>>32)
}
func (g *GroupDesc) SetFreeBlocksCount(v uint32) {
	g.FreeBlocksCountLo, g.FreeBlocksCountHi = uint16(v), uint16(v>>16)
}
func (g *GroupDesc) SetFreeInodesCount(v uint32) {
	g.FreeInodesCountLo, g.FreeInodesCountHi = uint16(v), uint16(v>>16)
}
func (g *GroupDesc) SetUsedDirsCount(v uint32) {
	g.UsedDirsCountLo, g.UsedDirsCountHi = uint16(v), uint16(v>>16)
}
func (g *GroupDesc) SetItableUnused(v uint32) {
	g.ItableUnusedLo, g.ItableUnusedHi = uint16(v), uint16(v>>16)
}
