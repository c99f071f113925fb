package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Linear directories (fs/ext4/namei.c without htree): entries are found by
// scanning every block; a new entry goes into the first slack big enough
// (add_dirent_to_buf), else into a new block appended to the directory.
// Inserting into an htree (EXT4_INDEX_FL) directory is refused: updating
// the index is not implemented, and clearing the flag would leave the
// dx root without a leaf checksum tail.

// dirBlocks returns the physical blocks of directory inode ino in
// logical order; a hole in a directory is corruption.
func (v *Volume) dirBlocks(ino uint32, in *Inode) ([]uint64, *xtree, error) {
	if !in.Mode.IsDir() {
		return nil, nil, fmt.Errorf("ext4: inode %d: %w", ino, ENOTDIR)
	}
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return nil, nil, err
	}
	n := in.Size() / v.bs
	if in.Size()%v.bs != 0 || n > v.sb.BlocksCount() || n > uint64(len(t.exts))*EXT_INIT_MAX_LEN {
		return nil, nil, fmt.Errorf("ext4: directory inode %d has size %d for its %d extents: %w", ino, in.Size(), len(t.exts), EUCLEAN)
	}
	var out []uint64
	for l := uint64(0); l < n; l++ {
		i, _ := t.lookup(uint32(l))
		if i < 0 || t.exts[i].unwritten {
			return nil, nil, fmt.Errorf("ext4: directory inode %d has a hole at block %d: %w", ino, l, EUCLEAN)
		}
		e := t.exts[i]
		out = append(out, e.pblk+(l-uint64(e.lblk)))
	}
	return out, t, nil
}

// dirEnd is where entries stop in a directory block (before the tail).
func (v *Volume) dirEnd() int {
	if v.csum {
		return int(v.bs) - DirTailSize
	}
	return int(v.bs)
}

func (v *Volume) writeDirBlock(dirIno uint32, in *Inode, blk uint64, b []byte) error {
	if v.csum {
		DirTail{}.Encode(b)
		putLE32(b, len(b)-4, DirBlockCsum(v.cs.InodeSeed(dirIno, in.Generation), b))
	}
	return v.writeBlock(blk, b)
}

// dirent is a decoded entry and its place.
type dirent struct {
	blkIdx int
	off    int
	recLen int
	e      DirEntry
}

// scanDir calls fn for every entry (live or not) of the directory, in
// order, stopping when fn returns true.
func (v *Volume) scanDir(ino uint32, in *Inode, fn func(blks []uint64, bufs [][]byte, d dirent) bool) ([]uint64, [][]byte, error) {
	blks, _, err := v.dirBlocks(ino, in)
	if err != nil {
		return nil, nil, err
	}
	bufs := make([][]byte, len(blks))
	for bi, b := range blks {
		buf, err := v.readBlock(b)
		if err != nil {
			return nil, nil, err
		}
		bufs[bi] = buf
	}
	for bi, buf := range bufs {
		end := v.dirEnd()
		if _, ok := DecodeDirTail(buf); !ok {
			end = int(v.bs)
		}
		for off := 0; off < end; {
			e, rl, err := DecodeDirEntry(buf[off:end], uint32(v.bs))
			if err != nil {
				return nil, nil, fmt.Errorf("ext4: directory inode %d block %d offset %d: %w", ino, blks[bi], off, err)
			}
			if fn(blks, bufs, dirent{bi, off, rl, e}) {
				return blks, bufs, nil
			}
			off += rl
		}
	}
	return blks, bufs, nil
}

// lookupName finds name in directory ino (ext4_find_entry).
func (v *Volume) lookupName(dir uint32, name string) (uint32, error) {
	in, err := v.readInode(dir)
	if err != nil {
		return 0, err
	}
	var found uint32
	_, _, err = v.scanDir(dir, in, func(_ []uint64, _ [][]byte, d dirent) bool {
		if d.e.Inode != 0 && string(d.e.Name) == name {
			found = d.e.Inode
			return true
		}
		return false
	})
	if err != nil {
		return 0, err
	}
	if found == 0 {
		return 0, fmt.Errorf("ext4: %q in directory inode %d: %w", name, dir, ENOENT)
	}
	return found, nil
}

// Lookup resolves an absolute path ("/a/b") to an inode number.
func (v *Volume) Lookup(path string) (uint32, error) {
	ino := uint32(EXT4_ROOT_INO)
	for _, part := range strings.Split(path, "/") {
		if part == "" || part == "." {
			continue
		}
		next, err := v.lookupName(ino, part)
		if err != nil {
			return 0, fmt.Errorf("ext4: resolving %q: %w", path, err)
		}
		ino = next
	}
	return ino, nil
}

func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("ext4: name %q: %w", name, EINVAL)
	case len(name) > EXT4_NAME_LEN:
		return fmt.Errorf("ext4: name of %d bytes: %w", len(name), ENAMETOOLONG)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("ext4: name %q contains '/' or NUL: %w", name, EINVAL)
	}
	return nil
}

// addEntry adds name → ino to directory dir (ext4_add_entry for a linear
// directory). The caller has checked that name is absent.
func (v *Volume) addEntry(dir uint32, din *Inode, name string, ino uint32, ft FileType) error {
	if din.Flags&EXT4_INDEX_FL != 0 {
		return fmt.Errorf("ext4: adding %q to htree directory inode %d is not supported: %w", name, dir, EOPNOTSUPP)
	}
	if !v.sb.HasIncompat(EXT4_FEATURE_INCOMPAT_FILETYPE) {
		ft = 0
	}
	need := DirRecLen(len(name))
	newEnt := DirEntry{Inode: ino, Name: []byte(name), FileType: ft}
	done := false
	var werr error
	_, _, err := v.scanDir(dir, din, func(blks []uint64, bufs [][]byte, d dirent) bool {
		used := 0
		if d.e.Inode != 0 {
			used = DirRecLen(int(d.e.NameLen))
		}
		if d.recLen-used < need {
			return false
		}
		buf := bufs[d.blkIdx]
		if used == 0 {
			newEnt.Encode(buf[d.off:], d.recLen, uint32(v.bs))
		} else {
			d.e.Encode(buf[d.off:], used, uint32(v.bs))
			newEnt.Encode(buf[d.off+used:], d.recLen-used, uint32(v.bs))
		}
		werr = v.writeDirBlock(dir, din, blks[d.blkIdx], buf)
		done = true
		return true
	})
	if err != nil {
		return err
	}
	if werr != nil || done {
		return werr
	}
	// Append a block (ext4_append).
	t, err := v.loadExtents(dir, din)
	if err != nil {
		return err
	}
	lblk := uint32(din.Size() / v.bs)
	pblk, _, err := v.allocBlocks(v.findGoal(dir, t, lblk), 1)
	if err != nil {
		return err
	}
	t.insert(xent{lblk, 1, pblk, false})
	t.mergeAround(uint64(lblk), uint64(lblk)+1)
	if err := v.storeExtents(dir, din, t); err != nil {
		return errors.Join(err, v.freeBlocks(pblk, 1))
	}
	din.SetSize(din.Size() + v.bs)
	buf := make([]byte, v.bs)
	newEnt.Encode(buf, v.dirEnd(), uint32(v.bs))
	return v.writeDirBlock(dir, din, pblk, buf)
}

// removeEntry deletes name from directory dir (ext4_delete_entry): the
// entry's space joins the previous entry, or, first in its block, it
// becomes an unused entry.
func (v *Volume) removeEntry(dir uint32, din *Inode, name string) (uint32, error) {
	var removed uint32
	var werr error
	prevOff := -1
	prevBlk := -1
	_, _, err := v.scanDir(dir, din, func(blks []uint64, bufs [][]byte, d dirent) bool {
		if d.blkIdx != prevBlk {
			prevBlk, prevOff = d.blkIdx, -1
		}
		if d.e.Inode == 0 || !bytes.Equal(d.e.Name, []byte(name)) {
			prevOff = d.off
			return false
		}
		buf := bufs[d.blkIdx]
		removed = d.e.Inode
		if prevOff >= 0 {
			pe, prl, _ := DecodeDirEntry(buf[prevOff:], uint32(v.bs))
			pe.Encode(buf[prevOff:], prl+d.recLen, uint32(v.bs))
		} else {
			putLE32(buf, d.off, 0)
		}
		werr = v.writeDirBlock(dir, din, blks[d.blkIdx], buf)
		return true
	})
	if err != nil {
		return 0, err
	}
	if werr != nil {
		return 0, werr
	}
	if removed == 0 {
		return 0, fmt.Errorf("ext4: %q in directory inode %d: %w", name, dir, ENOENT)
	}
	return removed, nil
}

// dirIsEmpty reports whether a directory holds only "." and "..".
func (v *Volume) dirIsEmpty(ino uint32, in *Inode) (bool, error) {
	empty := true
	_, _, err := v.scanDir(ino, in, func(_ []uint64, _ [][]byte, d dirent) bool {
		if d.e.Inode != 0 && string(d.e.Name) != "." && string(d.e.Name) != ".." {
			empty = false
			return true
		}
		return false
	})
	return empty, err
}

// ReadDir lists the live entries of directory ino (except . and ..).
func (v *Volume) ReadDir(ino uint32) (map[string]uint32, error) {
	in, err := v.readInode(ino)
	if err != nil {
		return nil, err
	}
	out := map[string]uint32{}
	_, _, err = v.scanDir(ino, in, func(_ []uint64, _ [][]byte, d dirent) bool {
		if d.e.Inode != 0 && string(d.e.Name) != "." && string(d.e.Name) != ".." {
			out[string(d.e.Name)] = d.e.Inode
		}
		return false
	})
	return out, err
}
