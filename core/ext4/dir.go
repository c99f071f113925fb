package ext4

import (
	"encoding/binary"
	"fmt"
)

// Directory entry constants (fs/ext4/ext4.h, fs/ext4/namei.c).
const (
	EXT4_NAME_LEN = 255
	// DirEntryHeaderSize is the fixed part of ext4_dir_entry_2.
	DirEntryHeaderSize = 8
	// DirTailSize is sizeof(struct ext4_dir_entry_tail).
	DirTailSize = 12
	// DxEntrySize is sizeof(struct dx_entry).
	DxEntrySize = 8
	// DxTailSize is sizeof(struct dx_tail).
	DxTailSize = 8
	// DxRootInfoOffset is where struct dx_root_info starts in block 0 of
	// an htree directory: after the "." (12 bytes) and ".." (12 bytes)
	// fake entries.
	DxRootInfoOffset = 24
	// DxRootInfoSize is sizeof(struct dx_root_info).
	DxRootInfoSize = 8
	// DxNodeEntriesOffset is where dx_countlimit starts in an interior
	// htree node (after an empty 8-byte fake dirent).
	DxNodeEntriesOffset = 8
)

// DirRecLen is EXT4_DIR_REC_LEN: the space an entry with a name of n bytes
// needs, rounded up to 4.
func DirRecLen(nameLen int) int { return (DirEntryHeaderSize + nameLen + 3) &^ 3 }

// DirEntry is struct ext4_dir_entry_2.
type DirEntry struct {
	Inode    uint32   // inode number, 0 = unused entry
	RecLen   uint16   // rec_len as stored (see RecLenFromDisk)
	NameLen  uint8    // name_len
	FileType FileType // file_type (with the filetype feature)
	Name     []byte
}

// RecLenFromDisk is ext4_rec_len_from_disk: with 64 KiB blocks a full-block
// entry stores 0 or 65535.
func RecLenFromDisk(v uint16, blockSize uint32) uint32 {
	if blockSize < 65536 {
		return uint32(v)
	}
	if v == 65535 || v == 0 {
		return blockSize
	}
	return uint32(v&65532) | uint32(v&3)<<16
}

// RecLenToDisk is ext4_rec_len_to_disk.
func RecLenToDisk(n uint32, blockSize uint32) uint16 {
	if blockSize < 65536 {
		return uint16(n)
	}
	if n == blockSize {
		return 65535
	}
	return uint16(n&65532) | uint16(n>>16)&3
}

// DecodeDirEntry parses the entry at b[0:] with the checks of
// __ext4_check_dir_entry (fs/ext4/dir.c): rec_len at least 12 and a
// multiple of 4, inside b, and large enough for the name. It returns the
// entry and its rec_len in bytes.
func DecodeDirEntry(b []byte, blockSize uint32) (DirEntry, int, error) {
	if len(b) < DirEntryHeaderSize {
		return DirEntry{}, 0, fmt.Errorf("%w: directory entry header needs 8 bytes, %d left", ErrCorrupt, len(b))
	}
	le := binary.LittleEndian
	e := DirEntry{Inode: le.Uint32(b), RecLen: le.Uint16(b[4:]), NameLen: b[6], FileType: FileType(b[7])}
	rl := int(RecLenFromDisk(e.RecLen, blockSize))
	switch {
	case rl < DirRecLen(1) || rl%4 != 0: // as ext4_check_dir_entry
		return e, 0, fmt.Errorf("%w: directory entry rec_len %d (must be ≥ 12 and a multiple of 4)", ErrCorrupt, rl)
	case rl > len(b):
		return e, 0, fmt.Errorf("%w: directory entry rec_len %d runs past the block (%d bytes left)", ErrCorrupt, rl, len(b))
	case DirRecLen(int(e.NameLen)) > rl:
		return e, 0, fmt.Errorf("%w: directory entry name_len %d does not fit rec_len %d", ErrCorrupt, e.NameLen, rl)
	}
	e.Name = b[DirEntryHeaderSize : DirEntryHeaderSize+int(e.NameLen)]
	return e, rl, nil
}

// Encode writes the entry with the given rec_len (bytes) into b.
func (e DirEntry) Encode(b []byte, recLen int, blockSize uint32) {
	le := binary.LittleEndian
	le.PutUint32(b, e.Inode)
	le.PutUint16(b[4:], RecLenToDisk(uint32(recLen), blockSize))
	b[6] = byte(len(e.Name))
	b[7] = byte(e.FileType)
	copy(b[DirEntryHeaderSize:], e.Name)
}

// DirTail is struct ext4_dir_entry_tail: a fake 12-byte entry at the end of
// a leaf directory block holding its crc32c (metadata_csum).
type DirTail struct {
	ReservedZero1 uint32 // det_reserved_zero1: looks like inode 0
	RecLen        uint16 // det_rec_len = 12
	ReservedZero2 uint8  // det_reserved_zero2: name_len 0
	ReservedFt    uint8  // det_reserved_ft = EXT4_FT_DIR_CSUM
	Checksum      uint32 // det_checksum
}

// DecodeDirTail reads the tail at the end of block b; ok is false when the
// last 12 bytes are not a tail.
func DecodeDirTail(b []byte) (t DirTail, ok bool) {
	if len(b) < DirTailSize {
		return t, false
	}
	p := b[len(b)-DirTailSize:]
	le := binary.LittleEndian
	t = DirTail{le.Uint32(p), le.Uint16(p[4:]), p[6], p[7], le.Uint32(p[8:])}
	return t, t.ReservedZero1 == 0 && t.RecLen == DirTailSize && t.ReservedZero2 == 0 && FileType(t.ReservedFt) == EXT4_FT_DIR_CSUM
}

// Encode writes a tail (with the given checksum) at the end of block b.
func (t DirTail) Encode(b []byte) {
	p := b[len(b)-DirTailSize:]
	le := binary.LittleEndian
	le.PutUint32(p, 0)
	le.PutUint16(p[4:], DirTailSize)
	p[6] = 0
	p[7] = byte(EXT4_FT_DIR_CSUM)
	le.PutUint32(p[8:], t.Checksum)
}

// DxRootInfo is struct dx_root_info, at byte 24 of an htree root block.
type DxRootInfo struct {
	ReservedZero   uint32
	HashVersion    HashVersion
	InfoLength     uint8 // 8
	IndirectLevels uint8
	UnusedFlags    uint8
}

// DecodeDxRootInfo parses the 8 bytes at b.
func DecodeDxRootInfo(b []byte) DxRootInfo {
	return DxRootInfo{binary.LittleEndian.Uint32(b), HashVersion(b[4]), b[5], b[6], b[7]}
}

// Encode writes the info into b[:8].
func (r DxRootInfo) Encode(b []byte) {
	binary.LittleEndian.PutUint32(b, r.ReservedZero)
	b[4], b[5], b[6], b[7] = byte(r.HashVersion), r.InfoLength, r.IndirectLevels, r.UnusedFlags
}

// DxCountLimit is struct dx_countlimit; it overlays the hash of the first
// dx_entry of a node.
type DxCountLimit struct {
	Limit uint16
	Count uint16
}

// DxEntry is struct dx_entry.
type DxEntry struct {
	Hash  uint32
	Block uint32 // logical block in the directory
}

// DxNode is the decoded index part of an htree root or interior block.
type DxNode struct {
	Info    *DxRootInfo // root only
	Offset  int         // byte offset of dx_countlimit in the block
	Limit   uint16
	Count   uint16
	Entries []DxEntry // Entries[0].Hash is the count/limit overlay, reported as 0
}

// DecodeDxNode parses the index of an htree block: root when root is true,
// else an interior node. It checks count ≤ limit and that the entries fit.
func DecodeDxNode(b []byte, root bool) (*DxNode, error) {
	n := &DxNode{Offset: DxNodeEntriesOffset}
	if root {
		if len(b) < DxRootInfoOffset+DxRootInfoSize+DxEntrySize {
			return nil, fmt.Errorf("%w: htree root block too short", ErrCorrupt)
		}
		info := DecodeDxRootInfo(b[DxRootInfoOffset:])
		n.Info = &info
		n.Offset = DxRootInfoOffset + int(info.InfoLength)
		if info.InfoLength != DxRootInfoSize {
			return nil, fmt.Errorf("%w: htree dx_root_info info_length %d, want 8", ErrCorrupt, info.InfoLength)
		}
	}
	if len(b) < n.Offset+DxEntrySize {
		return nil, fmt.Errorf("%w: htree node too short", ErrCorrupt)
	}
	le := binary.LittleEndian
	n.Limit = le.Uint16(b[n.Offset:])
	n.Count = le.Uint16(b[n.Offset+2:])
	maxEntries := (len(b) - n.Offset) / DxEntrySize
	if n.Count > n.Limit || int(n.Limit) > maxEntries || n.Count == 0 {
		return nil, fmt.Errorf("%w: htree node count %d limit %d (at most %d fit)", ErrCorrupt, n.Count, n.Limit, maxEntries)
	}
	n.Entries = make([]DxEntry, n.Count)
	for i := range n.Entries {
		p := b[n.Offset+DxEntrySize*i:]
		n.Entries[i].Block = le.Uint32(p[4:])
		if i > 0 {
			n.Entries[i].Hash = le.Uint32(p)
		}
	}
	return n, nil
}

// DxTail is struct dx_tail, after the limit entries of an htree node.
type DxTail struct {
	Reserved uint32
	Checksum uint32
}
