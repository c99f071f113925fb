package ext4

import (
	"errors"
	"fmt"
	"path"
)

// FallocMode is the mode argument of fallocate(2) (FALLOC_FL_*,
// include/uapi/linux/falloc.h).
type FallocMode uint32

// FALLOC_FL_* values.
const (
	FALLOC_FL_KEEP_SIZE  FallocMode = 0x01
	FALLOC_FL_PUNCH_HOLE FallocMode = 0x02
	FALLOC_FL_ZERO_RANGE FallocMode = 0x10
)

func (m FallocMode) String() string {
	s := ""
	for _, n := range []struct {
		f    FallocMode
		name string
	}{{FALLOC_FL_KEEP_SIZE, "KEEP_SIZE"}, {FALLOC_FL_PUNCH_HOLE, "PUNCH_HOLE"}, {FALLOC_FL_ZERO_RANGE, "ZERO_RANGE"}} {
		if m&n.f != 0 {
			if s != "" {
				s += "|"
			}
			s += n.name
		}
	}
	if s == "" {
		return "0"
	}
	return s
}

// maxFileBlocks is the number of logical blocks a file may use: block
// numbers are 32 bits and EXT_MAX_BLOCKS itself is reserved.
const maxFileBlocks = 1<<32 - 1

// op runs fn and flushes metadata whatever happened, so counts and
// checksums on the device are always consistent with what was done.
func (v *Volume) op(fn func() error) error {
	err := fn()
	if err != nil {
		v.dropTrees(err)
	}
	if ferr := v.Flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

func (v *Volume) newInode(mode FileMode, links uint16) *Inode {
	in := &Inode{Mode: mode, LinksCount: links, Atime: v.Now, Ctime: v.Now, Mtime: v.Now}
	if v.isz > EXT4_GOOD_OLD_INODE_SIZE {
		in.ExtraIsize = uint16(v.sb.WantExtraIsize)
		if in.ExtraIsize == 0 && v.isz >= mkfsLargeInodeSize {
			in.ExtraIsize = mkfsExtraIsize
		}
		if in.ExtraIsize >= 24 {
			in.Crtime = v.Now
		}
	}
	var ib [60]byte
	ExtentHeader{Magic: EXT4_EXT_MAGIC, Max: 4}.Encode(ib[:])
	in.SetBlockBytes(ib[:])
	in.Flags = EXT4_EXTENTS_FL
	return in
}

// Create makes an empty regular file name in directory parent
// (ext4_create) and returns its inode number. perm is the permission
// bits.
func (v *Volume) Create(parent uint32, name string, perm uint16) (uint32, error) {
	var ino uint32
	err := v.op(func() (err error) {
		ino, err = v.create(parent, name, S_IFREG|FileMode(perm&0o7777), false)
		return err
	})
	return ino, err
}

// Mkdir makes directory name in parent (ext4_mkdir) and returns its inode.
func (v *Volume) Mkdir(parent uint32, name string, perm uint16) (uint32, error) {
	var ino uint32
	err := v.op(func() (err error) {
		ino, err = v.create(parent, name, S_IFDIR|FileMode(perm&0o7777), true)
		return err
	})
	return ino, err
}

// CreatePath and MkdirPath take an absolute path instead.
func (v *Volume) CreatePath(p string, perm uint16) (uint32, error) {
	dir, err := v.Lookup(path.Dir(p))
	if err != nil {
		return 0, err
	}
	return v.Create(dir, path.Base(p), perm)
}

// MkdirPath is Mkdir by absolute path.
func (v *Volume) MkdirPath(p string, perm uint16) (uint32, error) {
	dir, err := v.Lookup(path.Dir(p))
	if err != nil {
		return 0, err
	}
	return v.Mkdir(dir, path.Base(p), perm)
}

func (v *Volume) create(parent uint32, name string, mode FileMode, dir bool) (uint32, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	pin, err := v.readInode(parent)
	if err != nil {
		return 0, err
	}
	if !pin.Mode.IsDir() || pin.LinksCount == 0 {
		return 0, fmt.Errorf("ext4: parent inode %d: %w", parent, ENOTDIR)
	}
	if _, err := v.lookupName(parent, name); err == nil {
		return 0, fmt.Errorf("ext4: %q in directory inode %d: %w", name, parent, EEXIST)
	} else if !errors.Is(err, ENOENT) {
		return 0, err
	}
	if pin.Flags&EXT4_INDEX_FL != 0 {
		return 0, fmt.Errorf("ext4: adding %q to htree directory inode %d is not supported: %w", name, parent, EOPNOTSUPP)
	}
	if _, _, err := v.dirBlocks(parent, pin); err != nil {
		return 0, err
	}
	if dir && pin.LinksCount >= 65000 && !v.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_DIR_NLINK) {
		return 0, fmt.Errorf("ext4: directory inode %d: %w", parent, EMLINK)
	}
	ino, err := v.allocInode(parent, dir)
	if err != nil {
		return 0, err
	}
	in := v.newInode(mode, 1)
	ft := EXT4_FT_REG_FILE
	if dir {
		ft = EXT4_FT_DIR
		in.LinksCount = 2
		t := &xtree{}
		pblk, _, err := v.allocBlocks(v.inodeGoal(ino), 1)
		if err != nil {
			return 0, errors.Join(err, v.freeInode(ino, true))
		}
		t.insert(xent{0, 1, pblk, false})
		if err := v.storeExtents(ino, in, t); err != nil {
			return 0, err
		}
		in.SetSize(v.bs)
		buf := make([]byte, v.bs)
		typ := EXT4_FT_DIR
		if !v.sb.HasIncompat(EXT4_FEATURE_INCOMPAT_FILETYPE) {
			typ = 0
		}
		DirEntry{Inode: ino, Name: []byte("."), FileType: typ}.Encode(buf, DirRecLen(1), uint32(v.bs))
		DirEntry{Inode: parent, Name: []byte(".."), FileType: typ}.Encode(buf[DirRecLen(1):], v.dirEnd()-DirRecLen(1), uint32(v.bs))
		if err := v.writeDirBlock(ino, in, pblk, buf); err != nil {
			return 0, err
		}
	}
	if err := v.writeNewInode(ino, in); err != nil {
		return 0, err
	}
	if err := v.addEntry(parent, pin, name, ino, ft); err != nil {
		// No room for the entry (ENOSPC growing the directory): undo.
		in.LinksCount = 0
		in.Dtime = v.Now
		return 0, errors.Join(err, v.truncateBlocks(ino, in, 0), v.writeInode(ino, in), v.freeInode(ino, dir))
	}
	if dir {
		if pin.LinksCount < 65000 {
			pin.LinksCount++
		} else {
			pin.LinksCount = 1 // dir_nlink: "many"
		}
	}
	pin.Mtime, pin.Ctime = v.Now, v.Now
	return ino, v.writeInode(parent, pin)
}

// Unlink removes name from directory parent (ext4_unlink, or ext4_rmdir
// for an empty directory); the inode and its blocks are freed when the
// last link goes.
func (v *Volume) Unlink(parent uint32, name string) error {
	return v.op(func() error { return v.unlink(parent, name) })
}

// UnlinkPath is Unlink by absolute path.
func (v *Volume) UnlinkPath(p string) error {
	dir, err := v.Lookup(path.Dir(p))
	if err != nil {
		return err
	}
	return v.Unlink(dir, path.Base(p))
}

func (v *Volume) unlink(parent uint32, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	pin, err := v.readInode(parent)
	if err != nil {
		return err
	}
	if !pin.Mode.IsDir() {
		return fmt.Errorf("ext4: parent inode %d: %w", parent, ENOTDIR)
	}
	ino, err := v.lookupName(parent, name)
	if err != nil {
		return err
	}
	if ino < v.sb.FirstInode() {
		return fmt.Errorf("ext4: removing reserved inode %d (%q): %w", ino, name, EPERM)
	}
	in, err := v.readInode(ino)
	if err != nil {
		return err
	}
	dir := in.Mode.IsDir()
	if dir {
		empty, err := v.dirIsEmpty(ino, in)
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("ext4: directory %q (inode %d): %w", name, ino, ENOTEMPTY)
		}
	}
	if _, err := v.removeEntry(parent, pin, name); err != nil {
		return err
	}
	if dir {
		if pin.LinksCount > 2 {
			pin.LinksCount--
		}
		in.LinksCount = 0
	} else if in.LinksCount > 0 {
		in.LinksCount--
	}
	pin.Mtime, pin.Ctime = v.Now, v.Now
	if err := v.writeInode(parent, pin); err != nil {
		return err
	}
	in.Ctime = v.Now
	if in.LinksCount > 0 {
		return v.writeInode(ino, in)
	}
	// ext4_evict_inode: drop every block, then the inode.
	if err := v.truncateBlocks(ino, in, 0); err != nil {
		return err
	}
	in.SetSize(0)
	in.Dtime = v.Now
	if err := v.writeInode(ino, in); err != nil {
		return err
	}
	return v.freeInode(ino, dir)
}

// regular reads inode ino and checks it is a regular, extent-mapped file.
func (v *Volume) regular(ino uint32) (*Inode, error) {
	in, err := v.readInode(ino)
	if err != nil {
		return nil, err
	}
	if in.Mode.IsDir() {
		return nil, fmt.Errorf("ext4: inode %d: %w", ino, EISDIR)
	}
	if !in.Mode.IsRegular() || in.LinksCount == 0 {
		return nil, fmt.Errorf("ext4: inode %d is not a regular file in use: %w", ino, EINVAL)
	}
	if in.Flags&EXT4_EXTENTS_FL == 0 {
		return nil, fmt.Errorf("ext4: inode %d is not extent-mapped: %w", ino, EOPNOTSUPP)
	}
	return in, nil
}

// blockRange checks a byte range and returns its block span [first, last].
func (v *Volume) blockRange(off, length int64) (uint64, uint64, error) {
	if off < 0 || length <= 0 {
		return 0, 0, fmt.Errorf("ext4: range %d+%d: %w", off, length, EINVAL)
	}
	end := uint64(off) + uint64(length)
	if end < uint64(off) || (end-1)/v.bs >= maxFileBlocks-1 {
		return 0, 0, fmt.Errorf("ext4: range %d+%d past the largest file: %w", off, length, EFBIG)
	}
	return uint64(off) / v.bs, (end - 1) / v.bs, nil
}

// Write writes data at byte offset off of inode ino (a buffered write that
// is written back at once): holes are allocated goal-directed, so
// sequential writes stay contiguous; unwritten blocks become written; the
// size grows when the write ends past it.
func (v *Volume) Write(ino uint32, off int64, data []byte) error {
	return v.op(func() error { return v.write(ino, off, data) })
}

func (v *Volume) write(ino uint32, off int64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if _, err := v.regular(ino); err != nil {
		return err
	}
	first, last, err := v.blockRange(off, int64(len(data)))
	if err != nil {
		return err
	}
	end := off + int64(len(data))
	for cur := first; cur <= last; {
		m, err := v.mapBlocks(ino, uint32(cur), uint32(min(last-cur+1, EXT_INIT_MAX_LEN)), EXT4_GET_BLOCKS_CREATE, MapExtra{})
		if err != nil {
			// A short write: what was written stays, and i_size covers it
			// (generic_perform_write returns the bytes copied).
			if cur > first {
				return errors.Join(err, v.extendSize(ino, min(end, int64(cur*v.bs))))
			}
			return err
		}
		for k := uint64(0); k < uint64(m.Len); k++ {
			lb := cur + k
			var buf []byte
			if m.Flags&EXT4_MAP_NEW != 0 {
				buf = make([]byte, v.bs)
			} else if buf, err = v.readBlock(m.PBlk + k); err != nil {
				return err
			}
			blkStart := int64(lb * v.bs)
			lo := max(off, blkStart)
			hi := min(off+int64(len(data)), blkStart+int64(v.bs))
			copy(buf[lo-blkStart:hi-blkStart], data[lo-off:hi-off])
			if _, err := v.dev.WriteAt(buf, int64((m.PBlk+k)*v.bs)); err != nil {
				return fmt.Errorf("ext4: writing data block %d: %w", m.PBlk+k, err)
			}
		}
		cur += uint64(m.Len)
	}
	return v.extendSize(ino, end)
}

// extendSize grows i_size to end if it is smaller and stamps the times.
func (v *Volume) extendSize(ino uint32, end int64) error {
	in, err := v.readInode(ino)
	if err != nil {
		return err
	}
	if uint64(end) > in.Size() {
		in.SetSize(uint64(end))
	}
	in.Mtime, in.Ctime = v.Now, v.Now
	return v.writeInode(ino, in)
}

// Read reads up to n bytes at off from inode ino; holes and unwritten
// extents read as zeros, and the read stops at i_size.
func (v *Volume) Read(ino uint32, off int64, n int) ([]byte, error) {
	in, err := v.readInode(ino)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("ext4: read %d+%d: %w", off, n, EINVAL)
	}
	size := int64(in.Size())
	if off >= size {
		return nil, nil
	}
	n = int(min(int64(n), size-off))
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	for done := 0; done < n; {
		pos := uint64(off) + uint64(done)
		lb := pos / v.bs
		inBlk := pos % v.bs
		m := min(int(v.bs-inBlk), n-done)
		if i, _ := t.lookup(uint32(lb)); i >= 0 && !t.exts[i].unwritten {
			p := t.exts[i].pblk + (lb - uint64(t.exts[i].lblk))
			if p >= v.sb.BlocksCount() {
				return nil, fmt.Errorf("ext4: inode %d block %d maps to %d past the end: %w", ino, lb, p, EUCLEAN)
			}
			if _, err := v.dev.ReadAt(out[done:done+m], int64(p*v.bs+inBlk)); err != nil {
				return nil, fmt.Errorf("ext4: reading block %d: %w", p, err)
			}
		}
		done += m
	}
	return out, nil
}

// Truncate sets inode ino's size (ext4_truncate / ext4_setattr): blocks
// wholly past the new size are freed — unwritten ones too — and the tail
// of a partial last block is zeroed.
func (v *Volume) Truncate(ino uint32, size int64) error {
	return v.op(func() error {
		in, err := v.regular(ino)
		if err != nil {
			return err
		}
		if size < 0 || uint64(size) > maxFileBlocks*v.bs {
			return fmt.Errorf("ext4: truncate to %d: %w", size, EFBIG)
		}
		if uint64(size) < in.Size() && uint64(size)%v.bs != 0 {
			if err := v.zeroBytes(ino, size, int64(v.bs-uint64(size)%v.bs)); err != nil {
				return err
			}
			if in, err = v.readInode(ino); err != nil {
				return err
			}
		}
		if err := v.truncateBlocks(ino, in, divCeil(uint64(size), v.bs)); err != nil {
			return err
		}
		in.SetSize(uint64(size))
		in.Mtime, in.Ctime = v.Now, v.Now
		return v.writeInode(ino, in)
	})
}

// SetSize sets i_size without touching blocks (ext4_update_i_disksize, as
// the DIO completion path does after an extending write).
func (v *Volume) SetSize(ino uint32, size int64) error {
	return v.op(func() error {
		in, err := v.regular(ino)
		if err != nil {
			return err
		}
		if size < 0 || uint64(size) > maxFileBlocks*v.bs {
			return fmt.Errorf("ext4: size %d: %w", size, EFBIG)
		}
		in.SetSize(uint64(size))
		in.Ctime = v.Now
		return v.writeInode(ino, in)
	})
}

// truncateBlocks frees every block at or after logical block from
// (ext4_ext_remove_space to the end).
func (v *Volume) truncateBlocks(ino uint32, in *Inode, from uint64) error {
	if in.Flags&EXT4_EXTENTS_FL == 0 {
		if in.Mode.IsRegular() || in.Mode.IsDir() {
			return fmt.Errorf("ext4: inode %d is not extent-mapped: %w", ino, EOPNOTSUPP)
		}
		return nil // fast symlink or device: no blocks
	}
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return err
	}
	return v.removeAndStore(ino, in, t, from, 1<<32)
}

// removeAndStore cuts [lo, hi) out of the tree, stores the tree, and only
// then frees the data blocks, so that a failure to store (ENOSPC for a
// new leaf when a punch splits an extent) leaves nothing referenced and
// free at once.
func (v *Volume) removeAndStore(ino uint32, in *Inode, t *xtree, lo, hi uint64) error {
	removed := t.cut(lo, hi, v.cutBuf[:0])
	v.cutBuf = removed
	if err := v.storeExtents(ino, in, t); err != nil {
		return err
	}
	for _, p := range removed {
		if err := v.freeBlocks(p.pblk, uint64(p.len)); err != nil {
			return err
		}
	}
	return nil
}

// zeroBytes zeroes [off, off+n) inside written blocks (ext4_block_zero_page_range);
// holes and unwritten blocks already read as zeros.
func (v *Volume) zeroBytes(ino uint32, off, n int64) error {
	in, err := v.readInode(ino)
	if err != nil {
		return err
	}
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return err
	}
	for pos := off; pos < off+n; {
		lb := uint64(pos) / v.bs
		blkStart := int64(lb * v.bs)
		hi := min(off+n, blkStart+int64(v.bs))
		if i, _ := t.lookup(uint32(lb)); i >= 0 && !t.exts[i].unwritten {
			p := t.exts[i].pblk + (lb - uint64(t.exts[i].lblk))
			buf, err := v.readBlock(p)
			if err != nil {
				return err
			}
			clear(buf[pos-blkStart : hi-blkStart])
			if err := v.writeBlock(p, buf); err != nil {
				return err
			}
		}
		pos = hi
	}
	return nil
}

// Fallocate is ext4_fallocate (fs/ext4/extents.c): with mode 0 or
// KEEP_SIZE it allocates unwritten extents over the holes of the range
// (and grows the size unless KEEP_SIZE); PUNCH_HOLE (with KEEP_SIZE)
// frees the range; ZERO_RANGE makes it read as zeros through unwritten
// extents.
func (v *Volume) Fallocate(ino uint32, mode FallocMode, off, length int64) error {
	return v.op(func() error {
		if mode&^(FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE|FALLOC_FL_ZERO_RANGE) != 0 {
			return fmt.Errorf("ext4: fallocate mode %#x: %w", uint32(mode), EOPNOTSUPP)
		}
		switch {
		case mode&FALLOC_FL_PUNCH_HOLE != 0:
			if mode&FALLOC_FL_KEEP_SIZE == 0 || mode&FALLOC_FL_ZERO_RANGE != 0 {
				return fmt.Errorf("ext4: fallocate %s: PUNCH_HOLE needs KEEP_SIZE alone: %w", mode, EOPNOTSUPP)
			}
			return v.punchHole(ino, off, length)
		case mode&FALLOC_FL_ZERO_RANGE != 0:
			return v.zeroRange(ino, off, length, mode&FALLOC_FL_KEEP_SIZE != 0)
		}
		return v.allocRange(ino, off, length, mode&FALLOC_FL_KEEP_SIZE != 0)
	})
}

// PunchHole is Fallocate(PUNCH_HOLE|KEEP_SIZE).
func (v *Volume) PunchHole(ino uint32, off, length int64) error {
	return v.Fallocate(ino, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, off, length)
}

// ZeroRange is Fallocate(ZERO_RANGE), with KEEP_SIZE if keepSize.
func (v *Volume) ZeroRange(ino uint32, off, length int64, keepSize bool) error {
	mode := FALLOC_FL_ZERO_RANGE
	if keepSize {
		mode |= FALLOC_FL_KEEP_SIZE
	}
	return v.Fallocate(ino, mode, off, length)
}

// allocRange is ext4_alloc_file_blocks with CREATE_UNWRIT_EXT.
func (v *Volume) allocRange(ino uint32, off, length int64, keepSize bool) error {
	if _, err := v.regular(ino); err != nil {
		return err
	}
	first, last, err := v.blockRange(off, length)
	if err != nil {
		return err
	}
	flags := EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT
	if keepSize {
		flags |= EXT4_GET_BLOCKS_KEEP_SIZE
	}
	for cur := first; cur <= last; {
		m, err := v.mapBlocks(ino, uint32(cur), uint32(min(last-cur+1, EXT_UNWRITTEN_MAX_LEN)), flags, MapExtra{})
		if err != nil {
			return err
		}
		cur += uint64(m.Len)
	}
	return v.growSize(ino, off+length, keepSize)
}

func (v *Volume) growSize(ino uint32, end int64, keepSize bool) error {
	in, err := v.readInode(ino)
	if err != nil {
		return err
	}
	if !keepSize && uint64(end) > in.Size() {
		in.SetSize(uint64(end))
	}
	in.Ctime = v.Now
	return v.writeInode(ino, in)
}

// punchHole is ext4_punch_hole: zero the partial blocks at the edges,
// free the whole blocks in between.
func (v *Volume) punchHole(ino uint32, off, length int64) error {
	in, err := v.regular(ino)
	if err != nil {
		return err
	}
	if _, _, err := v.blockRange(off, length); err != nil {
		return err
	}
	end := off + length
	fb := divCeil(uint64(off), v.bs)
	lb := uint64(end) / v.bs
	if fb >= lb {
		if err := v.zeroBytes(ino, off, length); err != nil {
			return err
		}
	} else {
		if uint64(off)%v.bs != 0 {
			if err := v.zeroBytes(ino, off, int64(fb*v.bs)-off); err != nil {
				return err
			}
		}
		if uint64(end)%v.bs != 0 {
			if err := v.zeroBytes(ino, int64(lb*v.bs), end-int64(lb*v.bs)); err != nil {
				return err
			}
		}
		if in, err = v.readInode(ino); err != nil {
			return err
		}
		t, err := v.loadExtents(ino, in)
		if err != nil {
			return err
		}
		if err := v.removeAndStore(ino, in, t, fb, lb); err != nil {
			return err
		}
		in.Mtime, in.Ctime = v.Now, v.Now
		return v.writeInode(ino, in)
	}
	return nil
}

// zeroRange is ext4_zero_range: partial edge blocks are zeroed in place;
// whole blocks become unwritten (written extents are converted, holes are
// allocated unwritten).
func (v *Volume) zeroRange(ino uint32, off, length int64, keepSize bool) error {
	if _, err := v.regular(ino); err != nil {
		return err
	}
	if _, _, err := v.blockRange(off, length); err != nil {
		return err
	}
	end := off + length
	fb := divCeil(uint64(off), v.bs)
	lb := uint64(end) / v.bs
	if fb >= lb {
		if err := v.zeroBytes(ino, off, length); err != nil {
			return err
		}
		return v.growSize(ino, end, keepSize)
	}
	if uint64(off)%v.bs != 0 {
		if err := v.zeroBytes(ino, off, int64(fb*v.bs)-off); err != nil {
			return err
		}
	}
	if uint64(end)%v.bs != 0 {
		if err := v.zeroBytes(ino, int64(lb*v.bs), end-int64(lb*v.bs)); err != nil {
			return err
		}
	}
	for cur := fb; cur < lb; {
		m, err := v.mapBlocks(ino, uint32(cur), uint32(min(lb-cur, EXT_UNWRITTEN_MAX_LEN)),
			EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT, MapExtra{ConvertUnwritten: true})
		if err != nil {
			return err
		}
		cur += uint64(m.Len)
	}
	return v.growSize(ino, end, keepSize)
}

// ConvertUnwritten is ext4_convert_unwritten_extents: after I/O to
// [off, off+length) completed, its unwritten extents become written
// (each split into up to three pieces and merged with written
// neighbours).
func (v *Volume) ConvertUnwritten(ino uint32, off, length int64) error {
	return v.op(func() error {
		if _, err := v.regular(ino); err != nil {
			return err
		}
		first, last, err := v.blockRange(off, length)
		if err != nil {
			return err
		}
		for cur := first; cur <= last; {
			m, err := v.mapBlocks(ino, uint32(cur), uint32(min(last-cur+1, EXT_INIT_MAX_LEN)), EXT4_GET_BLOCKS_IO_CONVERT_EXT, MapExtra{})
			if err != nil {
				return err
			}
			cur += uint64(m.Len)
		}
		return nil
	})
}

// ExtentInfo is one extent of a file as the write side sees it.
type ExtentInfo struct {
	LBlk      uint32
	Len       uint32
	PBlk      uint64
	Unwritten bool
}

// Extents lists inode ino's extents in logical order.
func (v *Volume) Extents(ino uint32) ([]ExtentInfo, error) {
	in, err := v.readInode(ino)
	if err != nil {
		return nil, err
	}
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return nil, err
	}
	out := make([]ExtentInfo, len(t.exts))
	for i, e := range t.exts {
		out[i] = ExtentInfo{e.lblk, e.len, e.pblk, e.unwritten}
	}
	return out, nil
}

// AppendExtents appends inode ino's extents, in logical order, to dst
// and returns the extended slice: Extents into the caller's memory, for
// callers that list extents often (a verifier after every write).
func (v *Volume) AppendExtents(dst []ExtentInfo, ino uint32) ([]ExtentInfo, error) {
	in, err := v.readInode(ino)
	if err != nil {
		return dst, err
	}
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return dst, err
	}
	for _, e := range t.exts {
		dst = append(dst, ExtentInfo{e.lblk, e.len, e.pblk, e.unwritten})
	}
	return dst, nil
}

// Stat returns a copy of inode ino.
func (v *Volume) Stat(ino uint32) (*Inode, error) { return v.readInode(ino) }
