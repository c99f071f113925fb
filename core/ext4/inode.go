package ext4

import (
	"encoding/binary"
	"fmt"
)

// EXT4_N_BLOCKS is the number of 32-bit words in i_block (60 bytes).
const EXT4_N_BLOCKS = 15

// Indices into i_block for block-mapped (ext2/ext3) inodes.
const (
	EXT4_NDIR_BLOCKS = 12
	EXT4_IND_BLOCK   = 12
	EXT4_DIND_BLOCK  = 13
	EXT4_TIND_BLOCK  = 14
)

// Offsets of the checksum halves in struct ext4_inode.
const (
	inodeChecksumLoOffset = 0x7C
	inodeChecksumHiOffset = 0x82
	// InodeExtraEnd is sizeof(struct ext4_inode) with every extra field.
	InodeExtraEnd = 0xA0
)

// Inode is struct ext4_inode (fs/ext4/ext4.h) with the Linux osd1/osd2
// unions. The fields after i_obso_faddr/osd2 (offset 0x80) exist only when
// the inode record is larger than 128 bytes and i_extra_isize covers them.
type Inode struct {
	Mode        FileMode              // 0x00
	UIDLo       uint16                // 0x02
	SizeLo      uint32                // 0x04
	Atime       uint32                // 0x08
	Ctime       uint32                // 0x0C
	Mtime       uint32                // 0x10
	Dtime       uint32                // 0x14
	GIDLo       uint16                // 0x18
	LinksCount  uint16                // 0x1A
	BlocksLo    uint32                // 0x1C
	Flags       InodeFlags            // 0x20
	Version     uint32                // 0x24 osd1.linux1.l_i_version
	Block       [EXT4_N_BLOCKS]uint32 // 0x28 i_block: extent root, block map, inline data or symlink
	Generation  uint32                // 0x64
	FileACLLo   uint32                // 0x68 xattr block
	SizeHigh    uint32                // 0x6C
	ObsoFaddr   uint32                // 0x70
	BlocksHigh  uint16                // 0x74 osd2.linux2.l_i_blocks_high
	FileACLHigh uint16                // 0x76
	UIDHigh     uint16                // 0x78
	GIDHigh     uint16                // 0x7A
	ChecksumLo  uint16                // 0x7C
	Reserved    uint16                // 0x7E
	ExtraIsize  uint16                // 0x80
	ChecksumHi  uint16                // 0x82
	CtimeExtra  uint32                // 0x84
	MtimeExtra  uint32                // 0x88
	AtimeExtra  uint32                // 0x8C
	Crtime      uint32                // 0x90
	CrtimeExtra uint32                // 0x94
	VersionHi   uint32                // 0x98
	Projid      uint32                // 0x9C
}

// DecodeInode parses an inode record of recSize bytes (128 or more). Extra
// fields beyond 128 + i_extra_isize are left zero. An i_extra_isize that
// does not fit the record is an error.
func DecodeInode(b []byte, recSize int) (*Inode, error) {
	if recSize < EXT4_GOOD_OLD_INODE_SIZE || len(b) < recSize {
		return nil, fmt.Errorf("%w: inode record of %d bytes (have %d)", ErrCorrupt, recSize, len(b))
	}
	in := new(Inode)
	return in, decodeInodeInto(in, b, recSize)
}

// decodeInodeInto is DecodeInode into caller memory.
func decodeInodeInto(in *Inode, b []byte, recSize int) error {
	if recSize < EXT4_GOOD_OLD_INODE_SIZE || len(b) < recSize {
		return fmt.Errorf("%w: inode record of %d bytes (have %d)", ErrCorrupt, recSize, len(b))
	}
	le := binary.LittleEndian
	*in = Inode{
		Mode:        FileMode(le.Uint16(b[0x00:])),
		UIDLo:       le.Uint16(b[0x02:]),
		SizeLo:      le.Uint32(b[0x04:]),
		Atime:       le.Uint32(b[0x08:]),
		Ctime:       le.Uint32(b[0x0C:]),
		Mtime:       le.Uint32(b[0x10:]),
		Dtime:       le.Uint32(b[0x14:]),
		GIDLo:       le.Uint16(b[0x18:]),
		LinksCount:  le.Uint16(b[0x1A:]),
		BlocksLo:    le.Uint32(b[0x1C:]),
		Flags:       InodeFlags(le.Uint32(b[0x20:])),
		Version:     le.Uint32(b[0x24:]),
		Generation:  le.Uint32(b[0x64:]),
		FileACLLo:   le.Uint32(b[0x68:]),
		SizeHigh:    le.Uint32(b[0x6C:]),
		ObsoFaddr:   le.Uint32(b[0x70:]),
		BlocksHigh:  le.Uint16(b[0x74:]),
		FileACLHigh: le.Uint16(b[0x76:]),
		UIDHigh:     le.Uint16(b[0x78:]),
		GIDHigh:     le.Uint16(b[0x7A:]),
		ChecksumLo:  le.Uint16(b[0x7C:]),
		Reserved:    le.Uint16(b[0x7E:]),
	}
	for i := range in.Block {
		in.Block[i] = le.Uint32(b[0x28+4*i:])
	}
	if recSize <= EXT4_GOOD_OLD_INODE_SIZE {
		return nil
	}
	in.ExtraIsize = le.Uint16(b[0x80:])
	end := EXT4_GOOD_OLD_INODE_SIZE + int(in.ExtraIsize)
	if end > recSize || in.ExtraIsize&3 != 0 {
		return fmt.Errorf("%w: i_extra_isize %d does not fit a %d-byte inode", ErrCorrupt, in.ExtraIsize, recSize)
	}
	get := func(off int) uint32 {
		if off+4 <= end {
			return le.Uint32(b[off:])
		}
		return 0
	}
	if 0x84 <= end {
		in.ChecksumHi = le.Uint16(b[0x82:])
	}
	in.CtimeExtra = get(0x84)
	in.MtimeExtra = get(0x88)
	in.AtimeExtra = get(0x8C)
	in.Crtime = get(0x90)
	in.CrtimeExtra = get(0x94)
	in.VersionHi = get(0x98)
	in.Projid = get(0x9C)
	return nil
}

// Encode writes the inode into b[:recSize]. Bytes of the record this struct
// does not describe (in-inode xattrs after the extra fields) are left as
// they are, so a read-modify-write keeps them.
func (in *Inode) Encode(b []byte, recSize int) {
	le := binary.LittleEndian
	le.PutUint16(b[0x00:], uint16(in.Mode))
	le.PutUint16(b[0x02:], in.UIDLo)
	le.PutUint32(b[0x04:], in.SizeLo)
	le.PutUint32(b[0x08:], in.Atime)
	le.PutUint32(b[0x0C:], in.Ctime)
	le.PutUint32(b[0x10:], in.Mtime)
	le.PutUint32(b[0x14:], in.Dtime)
	le.PutUint16(b[0x18:], in.GIDLo)
	le.PutUint16(b[0x1A:], in.LinksCount)
	le.PutUint32(b[0x1C:], in.BlocksLo)
	le.PutUint32(b[0x20:], uint32(in.Flags))
	le.PutUint32(b[0x24:], in.Version)
	for i, v := range in.Block {
		le.PutUint32(b[0x28+4*i:], v)
	}
	le.PutUint32(b[0x64:], in.Generation)
	le.PutUint32(b[0x68:], in.FileACLLo)
	le.PutUint32(b[0x6C:], in.SizeHigh)
	le.PutUint32(b[0x70:], in.ObsoFaddr)
	le.PutUint16(b[0x74:], in.BlocksHigh)
	le.PutUint16(b[0x76:], in.FileACLHigh)
	le.PutUint16(b[0x78:], in.UIDHigh)
	le.PutUint16(b[0x7A:], in.GIDHigh)
	le.PutUint16(b[0x7C:], in.ChecksumLo)
	le.PutUint16(b[0x7E:], in.Reserved)
	if recSize <= EXT4_GOOD_OLD_INODE_SIZE {
		return
	}
	le.PutUint16(b[0x80:], in.ExtraIsize)
	end := min(EXT4_GOOD_OLD_INODE_SIZE+int(in.ExtraIsize), recSize)
	if 0x84 <= end {
		le.PutUint16(b[0x82:], in.ChecksumHi)
	}
	put := func(off int, v uint32) {
		if off+4 <= end {
			le.PutUint32(b[off:], v)
		}
	}
	put(0x84, in.CtimeExtra)
	put(0x88, in.MtimeExtra)
	put(0x8C, in.AtimeExtra)
	put(0x90, in.Crtime)
	put(0x94, in.CrtimeExtra)
	put(0x98, in.VersionHi)
	put(0x9C, in.Projid)
}

// Size is i_size_lo | i_size_high<<32.
func (in *Inode) Size() uint64 { return uint64(in.SizeHigh)<<32 | uint64(in.SizeLo) }

// SetSize splits a size into i_size_lo/i_size_high.
func (in *Inode) SetSize(n uint64) { in.SizeLo, in.SizeHigh = uint32(n), uint32(n>>32) }

// UID and GID fold in the high halves.
func (in *Inode) UID() uint32 { return uint32(in.UIDHigh)<<16 | uint32(in.UIDLo) }
func (in *Inode) GID() uint32 { return uint32(in.GIDHigh)<<16 | uint32(in.GIDLo) }

// FileACL is the xattr block number.
func (in *Inode) FileACL() uint64 { return uint64(in.FileACLHigh)<<32 | uint64(in.FileACLLo) }

// Blocks is i_blocks in 512-byte units, as stat reports it. With huge_file
// and EXT4_HUGE_FILE_FL the stored value counts filesystem blocks instead;
// blockSize converts that case.
func (in *Inode) Blocks(hugeFile bool, blockSize uint32) uint64 {
	n := uint64(in.BlocksLo)
	if hugeFile {
		n |= uint64(in.BlocksHigh) << 32
		if in.Flags&EXT4_HUGE_FILE_FL != 0 {
			n *= uint64(blockSize / 512)
		}
	}
	return n
}

// BlockBytes returns i_block as the 60 raw bytes it occupies on disk (an
// extent root, inline data or a fast symlink target).
func (in *Inode) BlockBytes() []byte {
	b := make([]byte, 4*EXT4_N_BLOCKS)
	for i, v := range in.Block {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// SetBlockBytes stores up to 60 raw bytes into i_block.
func (in *Inode) SetBlockBytes(b []byte) {
	var buf [4 * EXT4_N_BLOCKS]byte
	copy(buf[:], b)
	for i := range in.Block {
		in.Block[i] = binary.LittleEndian.Uint32(buf[4*i:])
	}
}
