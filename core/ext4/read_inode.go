package ext4

import "fmt"

// inodeLocation returns where inode ino is stored: its group, the block of
// the inode table holding it and the byte offset in that block.
func (fs *FS) inodeLocation(ino uint32) (group uint32, block uint64, off uint32, err error) {
	if ino == 0 || ino > fs.sb.InodesCount {
		return 0, 0, 0, fmt.Errorf("%w: inode %d (filesystem has %d inodes)", ErrNotFound, ino, fs.sb.InodesCount)
	}
	group = (ino - 1) / fs.sb.InodesPerGroup
	index := (ino - 1) % fs.sb.InodesPerGroup
	byteOff := uint64(index) * uint64(fs.inodeSize)
	block = fs.groups[group].InodeTable() + byteOff/uint64(fs.blockSize)
	return group, block, uint32(byteOff % uint64(fs.blockSize)), nil
}

// inodeWhere names an inode's location for problems and errors.
func (fs *FS) inodeWhere(ino uint32) string {
	g, b, off, err := fs.inodeLocation(ino)
	if err != nil {
		return fmt.Sprintf("inode %d", ino)
	}
	return fmt.Sprintf("inode %d (group %d, block %d, offset %d)", ino, g, b, off)
}

// InodeRaw returns the on-disk record of inode ino (s_inode_size bytes).
func (fs *FS) InodeRaw(ino uint32) ([]byte, error) {
	_, block, off, err := fs.inodeLocation(ino)
	if err != nil {
		return nil, err
	}
	if !fs.blockInRange(block, 1) {
		return nil, fmt.Errorf("%w: %s: inode table block %d outside the filesystem", ErrCorrupt, fs.inodeWhere(ino), block)
	}
	raw := make([]byte, fs.inodeSize)
	if _, err := fs.dev.ReadAt(raw, int64(block)*int64(fs.blockSize)+int64(off)); err != nil {
		return nil, fmt.Errorf("%s: %w", fs.inodeWhere(ino), err)
	}
	return raw, nil
}

// Inode reads and decodes inode ino. With metadata_csum a checksum
// mismatch is recorded as a Problem and the inode is still returned, as
// e2fsprogs' debugfs does.
func (fs *FS) Inode(ino uint32) (*Inode, error) {
	in, _, err := fs.inode(ino)
	return in, err
}

func (fs *FS) inode(ino uint32) (*Inode, []byte, error) {
	raw, err := fs.InodeRaw(ino)
	if err != nil {
		return nil, nil, err
	}
	in, err := DecodeInode(raw, int(fs.inodeSize))
	if err != nil {
		if in == nil {
			return nil, nil, fmt.Errorf("%s: %w", fs.inodeWhere(ino), err)
		}
		// A bad i_extra_isize: keep the 128-byte core, ignore the rest.
		fs.problem(fs.inodeWhere(ino), "%v", err)
		in.ExtraIsize = 0
	}
	if fs.sb.HasMetadataCsum() {
		if got, want := fs.csum.InodeCsum(ino, raw), StoredInodeCsum(raw); got != want {
			fs.problem(fs.inodeWhere(ino), "inode checksum 0x%08x, computed 0x%08x", want, got)
		}
	}
	return in, raw, nil
}

// inodeSeed is the checksum seed of an inode's blocks.
func (fs *FS) inodeSeed(ino uint32, in *Inode) uint32 {
	return fs.csum.InodeSeed(ino, in.Generation)
}
