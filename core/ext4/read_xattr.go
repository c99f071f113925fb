package ext4

import (
	"encoding/binary"
	"fmt"
)

// Xattr is one extended attribute.
type Xattr struct {
	Name  string // with prefix, e.g. "user.comment", "system.data"
	Value []byte
	// InInode is true for attributes stored after the inode's extra
	// fields, false for those in the xattr block.
	InInode bool
}

// Xattrs returns the extended attributes of inode ino: first those in the
// inode body, then those in the xattr block (i_file_acl).
func (fs *FS) Xattrs(ino uint32) ([]Xattr, error) {
	in, raw, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	return fs.xattrs(ino, in, raw), nil
}

func (fs *FS) xattrs(ino uint32, in *Inode, raw []byte) []Xattr {
	var out []Xattr
	// In-inode: struct ext4_xattr_ibody_header after i_extra_isize.
	if start := EXT4_GOOD_OLD_INODE_SIZE + int(in.ExtraIsize); len(raw) > EXT4_GOOD_OLD_INODE_SIZE && start+XattrIbodyHeaderSize <= len(raw) {
		if binary.LittleEndian.Uint32(raw[start:]) == EXT4_XATTR_MAGIC {
			region := raw[start+XattrIbodyHeaderSize:]
			out = fs.parseXattrs(out, region, region, fmt.Sprintf("inode %d in-inode xattrs", ino), true)
		}
	}
	if blk := in.FileACL(); blk != 0 {
		where := fmt.Sprintf("inode %d xattr block %d", ino, blk)
		buf := make([]byte, fs.blockSize)
		if err := fs.readBlock(blk, buf); err != nil {
			fs.problem(where, "%v", err)
			return out
		}
		h, _ := DecodeXattrHeader(buf)
		if h.Magic != EXT4_XATTR_MAGIC {
			fs.problem(where, "xattr block magic 0x%08x, want 0x%08x", h.Magic, uint32(EXT4_XATTR_MAGIC))
			return out
		}
		if fs.sb.HasMetadataCsum() {
			if got := fs.csum.XattrBlockCsum(blk, buf); got != h.Checksum {
				fs.problem(where, "xattr block checksum 0x%08x, computed 0x%08x", h.Checksum, got)
			}
		}
		out = fs.parseXattrs(out, buf[XattrHeaderSize:], buf, where, false)
	}
	return out
}

// parseXattrs reads entries from entries until the end marker; value
// offsets are relative to base.
func (fs *FS) parseXattrs(out []Xattr, entries, base []byte, where string, inInode bool) []Xattr {
	off := 0
	for off < len(entries) {
		e, n, err := DecodeXattrEntry(entries[off:])
		if err != nil {
			fs.problem(where, "entry at offset %d: %v", off, err)
			return out
		}
		if n == 0 {
			return out
		}
		x := Xattr{Name: e.FullName(), InInode: inInode}
		switch {
		case e.ValueInum != 0:
			x.Value = fs.eaInodeValue(e, where)
		case int(e.ValueOffs)+int(e.ValueSize) > len(base):
			fs.problem(where, "entry %q: value at %d (+%d bytes) runs past the end", x.Name, e.ValueOffs, e.ValueSize)
		default:
			x.Value = append([]byte(nil), base[e.ValueOffs:int(e.ValueOffs)+int(e.ValueSize)]...)
		}
		out = append(out, x)
		off += n
	}
	return out
}

// inlineData returns the bytes of an inline-data inode: i_block, then the
// value of the system.data attribute (ext4_read_inline_data).
func (fs *FS) inlineData(ino uint32, in *Inode, raw []byte) []byte {
	data := in.BlockBytes()
	for _, x := range fs.xattrs(ino, in, raw) {
		if x.Name == "system.data" && x.InInode {
			data = append(data, x.Value...)
			break
		}
	}
	return data
}

// xattrValueMax is XATTR_SIZE_MAX: no value is longer.
const xattrValueMax = 65536

// eaInodeValue reads a value stored in its own inode (ea_inode feature,
// ext4_xattr_inode_get). The value inode must be a block-mapped regular
// file flagged EXT4_EA_INODE_FL, so reading it cannot recurse into xattrs.
func (fs *FS) eaInodeValue(e XattrEntry, where string) []byte {
	if e.ValueSize > xattrValueMax {
		fs.problem(where, "entry %q: ea_inode value of %d bytes (max %d)", e.FullName(), e.ValueSize, xattrValueMax)
		return nil
	}
	in, raw, err := fs.inode(e.ValueInum)
	if err != nil {
		fs.problem(where, "entry %q: %v", e.FullName(), err)
		return nil
	}
	if in.Flags&EXT4_EA_INODE_FL == 0 || in.Flags&EXT4_INLINE_DATA_FL != 0 || !in.Mode.IsRegular() {
		fs.problem(where, "entry %q: value inode %d is not an ea_inode", e.FullName(), e.ValueInum)
		return nil
	}
	v := make([]byte, e.ValueSize)
	n, err := fs.readerFor(e.ValueInum, in, raw, fs.fileMap(e.ValueInum, in)).ReadAt(v, 0)
	if err != nil && n < len(v) {
		fs.problem(where, "entry %q: value inode %d: %v", e.FullName(), e.ValueInum, err)
	}
	return v[:n]
}
