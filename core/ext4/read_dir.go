package ext4

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Dirent is one name in a directory.
type Dirent struct {
	Name string
	Ino  uint32
	Type FileType // from the entry (EXT4_FT_UNKNOWN without filetype)
}

// ReadDir lists directory ino, "." and ".." included, in on-disk order.
// Bad entries are Problems; the rest of the directory is still listed.
func (fs *FS) ReadDir(ino uint32) ([]Dirent, error) {
	in, raw, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	if !in.Mode.IsDir() {
		return nil, fmt.Errorf("%w: inode %d is not a directory", ErrNotFound, ino)
	}
	return fs.readDir(ino, in, raw, fs.fileMap(ino, in)), nil
}

func (fs *FS) readDir(ino uint32, in *Inode, raw []byte, m *FileMap) []Dirent {
	if m.Kind == MappingInline {
		return fs.readInlineDir(ino, in, raw)
	}
	var out []Dirent
	bs := uint64(fs.blockSize)
	nblocks := (in.Size() + bs - 1) / bs
	seed := fs.inodeSeed(ino, in)
	dx := map[uint64]bool{} // logical blocks that are htree index nodes
	if in.Flags&EXT4_INDEX_FL != 0 && fs.sb.HasCompat(EXT4_FEATURE_COMPAT_DIR_INDEX) {
		dx = fs.htreeNodes(ino, m, seed)
	}
	buf := make([]byte, bs)
	for _, r := range m.Runs {
		for i := range uint64(r.Length) {
			l := uint64(r.Logical) + i
			if l >= nblocks {
				break
			}
			if !fs.spend(1) {
				return out
			}
			phys := r.Physical + i
			where := fmt.Sprintf("directory inode %d block %d (logical %d)", ino, phys, l)
			if err := fs.readBlock(phys, buf); err != nil {
				fs.problem(where, "%v", err)
				continue
			}
			if dx[l] {
				if l == 0 { // dx_root starts with real "." and ".." entries
					out = append(out, dxRootDots(buf)...)
				}
				continue
			}
			end := len(buf)
			if fs.sb.HasMetadataCsum() {
				if t, ok := DecodeDirTail(buf); !ok {
					fs.problem(where, "no checksum tail (metadata_csum)")
				} else {
					end -= DirTailSize
					if got := DirBlockCsum(seed, buf); got != t.Checksum {
						fs.problem(where, "directory block checksum 0x%08x, computed 0x%08x", t.Checksum, got)
					}
				}
			}
			out = fs.parseDirEntries(out, buf[:end], where, ino)
		}
	}
	return out
}

// parseDirEntries appends the live entries of a linear directory region.
func (fs *FS) parseDirEntries(out []Dirent, b []byte, where string, dirIno uint32) []Dirent {
	for off := 0; off < len(b); {
		e, n, err := DecodeDirEntry(b[off:], fs.blockSize)
		if err != nil {
			fs.problem(fmt.Sprintf("%s offset %d", where, off), "%v", err)
			return out
		}
		off += n
		if e.Inode == 0 || e.NameLen == 0 {
			continue
		}
		if e.Inode > fs.sb.InodesCount {
			fs.problem(fmt.Sprintf("%s offset %d", where, off-n), "entry %q points to inode %d (filesystem has %d)", e.Name, e.Inode, fs.sb.InodesCount)
			continue
		}
		t := e.FileType
		if !fs.sb.HasIncompat(EXT4_FEATURE_INCOMPAT_FILETYPE) {
			t = EXT4_FT_UNKNOWN
		}
		out = append(out, Dirent{Name: string(e.Name), Ino: e.Inode, Type: t})
	}
	return out
}

// htreeNodes checks the htree index of a directory (dx_root and interior
// dx_node blocks, fs/ext4/namei.c) and returns their logical block
// numbers, so the linear listing skips them.
func (fs *FS) htreeNodes(ino uint32, m *FileMap, seed uint32) map[uint64]bool {
	nodes := map[uint64]bool{0: true}
	buf := make([]byte, fs.blockSize)
	read := func(l uint64) (uint64, bool) {
		if !fs.spend(1) {
			return 0, false
		}
		r := findRun(m.Runs, l)
		if r == nil {
			fs.problem(fmt.Sprintf("directory inode %d htree", ino), "index block at logical %d is not mapped", l)
			return 0, false
		}
		phys := r.Physical + (l - uint64(r.Logical))
		if err := fs.readBlock(phys, buf); err != nil {
			fs.problem(fmt.Sprintf("directory inode %d htree", ino), "%v", err)
			return 0, false
		}
		return phys, true
	}
	phys, ok := read(0)
	if !ok {
		return nodes
	}
	root, err := DecodeDxNode(buf, true)
	if err != nil {
		fs.problem(fmt.Sprintf("directory inode %d htree root block %d", ino, phys), "%v", err)
		return nodes
	}
	fs.checkDxCsum(ino, phys, buf, root, seed)
	levels := int(root.Info.IndirectLevels)
	maxLevels := 2
	if fs.sb.HasIncompat(EXT4_FEATURE_INCOMPAT_LARGEDIR) {
		maxLevels = 3
	}
	if levels >= maxLevels {
		fs.problem(fmt.Sprintf("directory inode %d htree root block %d", ino, phys), "indirect_levels %d (at most %d)", levels, maxLevels-1)
		return nodes
	}
	current := root.Entries
	for level := 0; level < levels; level++ {
		var next []DxEntry
		for _, e := range current {
			l := uint64(e.Block)
			if nodes[l] {
				fs.problem(fmt.Sprintf("directory inode %d htree", ino), "index block %d listed twice (loop)", l)
				continue
			}
			nodes[l] = true
			phys, ok := read(l)
			if !ok {
				continue
			}
			n, err := DecodeDxNode(buf, false)
			if err != nil {
				fs.problem(fmt.Sprintf("directory inode %d htree node block %d (logical %d)", ino, phys, l), "%v", err)
				continue
			}
			fs.checkDxCsum(ino, phys, buf, n, seed)
			next = append(next, n.Entries...)
		}
		current = next
	}
	return nodes
}

func (fs *FS) checkDxCsum(ino uint32, phys uint64, buf []byte, n *DxNode, seed uint32) {
	if !fs.sb.HasMetadataCsum() {
		return
	}
	where := fmt.Sprintf("directory inode %d htree block %d", ino, phys)
	tail := DxTailOffset(n.Offset, n.Limit)
	if tail+DxTailSize > len(buf) {
		fs.problem(where, "no room for the dx_tail checksum (limit %d)", n.Limit)
		return
	}
	got := DxNodeCsum(seed, buf, n.Offset, n.Count, n.Limit)
	if want := binary.LittleEndian.Uint32(buf[tail+4:]); got != want {
		fs.problem(where, "htree node checksum 0x%08x, computed 0x%08x", want, got)
	}
}

// readInlineDir lists an inline-data directory: the parent inode number in
// the first 4 bytes of i_block, entries in the rest and in system.data.
func (fs *FS) readInlineDir(ino uint32, in *Inode, raw []byte) []Dirent {
	data := fs.inlineData(ino, in, raw)
	where := fmt.Sprintf("directory inode %d inline data", ino)
	parent := binary.LittleEndian.Uint32(data)
	out := []Dirent{{Name: ".", Ino: ino, Type: EXT4_FT_DIR}, {Name: "..", Ino: parent, Type: EXT4_FT_DIR}}
	ib := data[4:min(len(data), 4*EXT4_N_BLOCKS)]
	out = fs.parseDirEntries(out, ib, where, ino)
	if len(data) > 4*EXT4_N_BLOCKS {
		out = fs.parseDirEntries(out, data[4*EXT4_N_BLOCKS:], where+" (system.data)", ino)
	}
	return out
}

// Lookup resolves an absolute path ("/a/b") to an inode number without
// following symlinks.
func (fs *FS) Lookup(path string) (uint32, error) {
	ino := uint32(EXT4_ROOT_INO)
	for _, name := range strings.Split(path, "/") {
		if name == "" || name == "." {
			continue
		}
		ents, err := fs.ReadDir(ino)
		if err != nil {
			return 0, fmt.Errorf("lookup %q: %w", path, err)
		}
		found := false
		for _, e := range ents {
			if e.Name == name {
				ino, found = e.Ino, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%w: %q: no entry %q in directory inode %d", ErrNotFound, path, name, ino)
		}
	}
	return ino, nil
}

// dxRootDots reads the "." and ".." entries at the start of a dx_root
// block (struct dx_root's fake dirents); ".."'s rec_len spans the index, so
// the generic parser would reject it.
func dxRootDots(buf []byte) []Dirent {
	le := binary.LittleEndian
	var out []Dirent
	if n := buf[6]; n == 1 && buf[8] == '.' && le.Uint32(buf) != 0 {
		out = append(out, Dirent{Name: ".", Ino: le.Uint32(buf), Type: FileType(buf[7])})
	}
	if n := buf[12+6]; n == 2 && string(buf[20:22]) == ".." && le.Uint32(buf[12:]) != 0 {
		out = append(out, Dirent{Name: "..", Ino: le.Uint32(buf[12:]), Type: FileType(buf[12+7])})
	}
	return out
}
