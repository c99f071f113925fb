package ext4

import (
	"encoding/binary"
	"fmt"
)

// Extended attribute constants (fs/ext4/xattr.h).
const (
	EXT4_XATTR_MAGIC = 0xEA020000
	// XattrHeaderSize is sizeof(struct ext4_xattr_header) (block form).
	XattrHeaderSize = 32
	// XattrIbodyHeaderSize is sizeof(struct ext4_xattr_ibody_header).
	XattrIbodyHeaderSize = 4
	// XattrEntrySize is the fixed part of struct ext4_xattr_entry.
	XattrEntrySize = 16
	// xattrChecksumOffset is offsetof(struct ext4_xattr_header, h_checksum).
	xattrChecksumOffset = 16
)

// XattrHeader is struct ext4_xattr_header, at the start of an xattr block.
type XattrHeader struct {
	Magic    uint32 // h_magic
	Refcount uint32 // h_refcount
	Blocks   uint32 // h_blocks (always 1)
	Hash     uint32 // h_hash
	Checksum uint32 // h_checksum
	Reserved [3]uint32
}

// DecodeXattrHeader parses the 32-byte block header.
func DecodeXattrHeader(b []byte) (XattrHeader, error) {
	if len(b) < XattrHeaderSize {
		return XattrHeader{}, fmt.Errorf("%w: xattr header needs 32 bytes", ErrCorrupt)
	}
	le := binary.LittleEndian
	h := XattrHeader{Magic: le.Uint32(b), Refcount: le.Uint32(b[4:]), Blocks: le.Uint32(b[8:]), Hash: le.Uint32(b[12:]), Checksum: le.Uint32(b[16:])}
	for i := range h.Reserved {
		h.Reserved[i] = le.Uint32(b[20+4*i:])
	}
	return h, nil
}

// Encode writes the header into b[:32].
func (h XattrHeader) Encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b, h.Magic)
	le.PutUint32(b[4:], h.Refcount)
	le.PutUint32(b[8:], h.Blocks)
	le.PutUint32(b[12:], h.Hash)
	le.PutUint32(b[16:], h.Checksum)
	for i, v := range h.Reserved {
		le.PutUint32(b[20+4*i:], v)
	}
}

// XattrEntry is struct ext4_xattr_entry plus its name.
type XattrEntry struct {
	NameLen   uint8  // e_name_len
	NameIndex uint8  // e_name_index: prefix, see XattrPrefix
	ValueOffs uint16 // e_value_offs
	ValueInum uint32 // e_value_inum (ea_inode)
	ValueSize uint32 // e_value_size
	Hash      uint32 // e_hash
	Name      []byte
}

// XattrEntryLen is EXT4_XATTR_LEN: the padded size of an entry.
func XattrEntryLen(nameLen int) int { return (XattrEntrySize + nameLen + 3) &^ 3 }

// DecodeXattrEntry parses an entry at b; ok is false at the end marker
// (four zero bytes) or if the entry does not fit.
func DecodeXattrEntry(b []byte) (e XattrEntry, size int, err error) {
	if len(b) < 4 || binary.LittleEndian.Uint32(b) == 0 {
		return e, 0, nil
	}
	if len(b) < XattrEntrySize {
		return e, 0, fmt.Errorf("%w: xattr entry header runs past the end", ErrCorrupt)
	}
	le := binary.LittleEndian
	e = XattrEntry{NameLen: b[0], NameIndex: b[1], ValueOffs: le.Uint16(b[2:]), ValueInum: le.Uint32(b[4:]), ValueSize: le.Uint32(b[8:]), Hash: le.Uint32(b[12:])}
	size = XattrEntryLen(int(e.NameLen))
	if size > len(b) {
		return e, 0, fmt.Errorf("%w: xattr entry name of %d bytes runs past the end", ErrCorrupt, e.NameLen)
	}
	e.Name = b[XattrEntrySize : XattrEntrySize+int(e.NameLen)]
	return e, size, nil
}

// Encode writes the entry (header and name) into b.
func (e XattrEntry) Encode(b []byte) {
	le := binary.LittleEndian
	b[0], b[1] = byte(len(e.Name)), e.NameIndex
	le.PutUint16(b[2:], e.ValueOffs)
	le.PutUint32(b[4:], e.ValueInum)
	le.PutUint32(b[8:], e.ValueSize)
	le.PutUint32(b[12:], e.Hash)
	copy(b[XattrEntrySize:], e.Name)
}

// xattrPrefixes maps e_name_index to its name prefix (fs/ext4/xattr.c).
var xattrPrefixes = map[uint8]string{
	1: "user.", 2: "system.posix_acl_access", 3: "system.posix_acl_default",
	4: "trusted.", 6: "security.", 7: "system.", 8: "system.richacl",
}

// XattrPrefix returns the name prefix of an e_name_index.
func XattrPrefix(index uint8) string {
	if p, ok := xattrPrefixes[index]; ok {
		return p
	}
	return fmt.Sprintf("index%d.", index)
}

// FullName is the attribute's name with its prefix ("user.foo").
func (e XattrEntry) FullName() string { return XattrPrefix(e.NameIndex) + string(e.Name) }
