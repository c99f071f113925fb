package ext4

import (
	"fmt"
	"io"
	"sort"
)

// ReadFileMax bounds ReadFile's allocation; larger files are read with
// ReadAt or Open*.
const ReadFileMax = 256 << 20

// fileReader reads one inode's content through its mapping: holes and
// unwritten extents read as zeros (as ext4_map_blocks reports them to
// the page cache).
type fileReader struct {
	fs   *FS
	size int64
	data []byte // inline data or fast symlink target, when not block-mapped
	m    *FileMap
}

func (fs *FS) newFileReader(ino uint32) (*fileReader, error) {
	in, raw, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	return fs.readerFor(ino, in, raw, fs.fileMap(ino, in)), nil
}

func (fs *FS) readerFor(ino uint32, in *Inode, raw []byte, m *FileMap) *fileReader {
	r := &fileReader{fs: fs, size: int64(in.Size()), m: m}
	if r.size < 0 {
		r.size = 0
	}
	switch {
	case m.Kind == MappingInline:
		r.data = fs.inlineData(ino, in, raw)
	case in.Mode.IsSymlink() && fs.isFastSymlink(in):
		r.data = in.BlockBytes()
	case m.Kind == MappingNone:
		r.size = 0
	}
	if r.data != nil && int64(len(r.data)) < r.size {
		fs.problem(fs.inodeWhere(ino), "i_size %d larger than the %d bytes of inline data", r.size, len(r.data))
		r.size = int64(len(r.data))
	}
	return r
}

func (r *fileReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("ext4: read at negative offset %d", off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	n := len(p)
	var eof error
	if int64(n) > r.size-off {
		n = int(r.size - off)
		eof = io.EOF
	}
	if r.data != nil {
		copy(p[:n], r.data[off:])
		return n, eof
	}
	bs := int64(r.fs.blockSize)
	done := 0
	for done < n {
		pos := off + int64(done)
		l := uint64(pos / bs)
		in := pos % bs
		run := findRun(r.m.Runs, l)
		var m int64
		if run == nil || run.Unwritten {
			// Zeros to the end of this hole or unwritten run.
			var end uint64
			if run != nil {
				end = uint64(run.Logical) + uint64(run.Length)
			} else {
				end = 1 << 40
				if next := nextRun(r.m.Runs, l); next != nil {
					end = uint64(next.Logical)
				}
			}
			m = min(int64(end)*bs-pos, int64(n-done))
			clear(p[done : done+int(m)])
		} else {
			end := uint64(run.Logical) + uint64(run.Length)
			m = min(int64(end)*bs-pos, int64(n-done))
			phys := int64(run.Physical+(l-uint64(run.Logical)))*bs + in
			if _, err := r.fs.dev.ReadAt(p[done:done+int(m)], phys); err != nil {
				return done, fmt.Errorf("ext4: reading data block at byte %d: %w", phys, err)
			}
		}
		done += int(m)
	}
	return n, eof
}

// nextRun returns the first run starting after logical block l.
func nextRun(runs []ExtentReport, l uint64) *ExtentReport {
	i := sort.Search(len(runs), func(i int) bool { return uint64(runs[i].Logical) > l })
	if i < len(runs) {
		return &runs[i]
	}
	return nil
}

// ReadAt reads inode ino's content at byte off, like io.ReaderAt.
func (fs *FS) ReadAt(ino uint32, p []byte, off int64) (int, error) {
	r, err := fs.newFileReader(ino)
	if err != nil {
		return 0, err
	}
	return r.ReadAt(p, off)
}

// ReadFile returns the whole content of inode ino (i_size bytes).
func (fs *FS) ReadFile(ino uint32) ([]byte, error) {
	r, err := fs.newFileReader(ino)
	if err != nil {
		return nil, err
	}
	if r.size > ReadFileMax {
		return nil, fmt.Errorf("%w: inode %d is %d bytes, more than ReadFile's %d; use ReadAt", ErrUnsupported, ino, r.size, ReadFileMax)
	}
	b := make([]byte, r.size)
	n, err := r.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return b[:n], nil
}

// Readlink returns a symlink's target.
func (fs *FS) Readlink(ino uint32) (string, error) {
	in, err := fs.Inode(ino)
	if err != nil {
		return "", err
	}
	if !in.Mode.IsSymlink() {
		return "", fmt.Errorf("%w: inode %d is not a symlink", ErrNotFound, ino)
	}
	if in.Size() > uint64(fs.blockSize) {
		return "", fmt.Errorf("%w: symlink inode %d has i_size %d > block size", ErrCorrupt, ino, in.Size())
	}
	b, err := fs.ReadFile(ino)
	return string(b), err
}

// stream feeds the content to fn in pieces of at most len(buf) bytes
// (1 MiB when buf is nil).
func (r *fileReader) stream(buf []byte, fn func([]byte)) error {
	if len(buf) == 0 {
		buf = make([]byte, min(r.size, 1<<20))
	}
	for off := int64(0); off < r.size; {
		n, err := r.ReadAt(buf, off)
		if n > 0 {
			fn(buf[:n])
			off += int64(n)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// piece is one stretch of a file's content: n bytes of the device at byte
// phys, or n zero bytes (a hole, an unwritten extent, or past the last
// mapped block) when zero is set.
type piece struct {
	phys int64
	n    int64
	zero bool
}

// pieces appends to dst where the bytes [0, i_size) of a block-mapped file
// come from, in file order, with neighbours merged: the same bytes ReadAt
// returns, so content can be read one contiguous device range at a time
// instead of block by block. The runs are in ascending logical order and
// do not overlap (fileMap drops entries that would).
func (r *fileReader) pieces(dst []piece) []piece {
	bs := int64(r.fs.blockSize)
	add := func(p piece) {
		if p.n <= 0 {
			return
		}
		if k := len(dst) - 1; k >= 0 {
			last := &dst[k]
			if last.zero && p.zero || !last.zero && !p.zero && last.phys+last.n == p.phys {
				last.n += p.n
				return
			}
		}
		dst = append(dst, p)
	}
	pos := int64(0)
	for i := range r.m.Runs {
		if pos >= r.size {
			break
		}
		run := &r.m.Runs[i]
		start := int64(run.Logical) * bs
		end := min(start+int64(run.Length)*bs, r.size)
		if end <= pos {
			continue
		}
		if start > pos {
			add(piece{n: min(start, r.size) - pos, zero: true})
			pos = min(start, r.size)
			if pos >= r.size {
				break
			}
		}
		if run.Unwritten {
			add(piece{n: end - pos, zero: true})
		} else {
			add(piece{phys: int64(run.Physical)*bs + (pos - start), n: end - pos})
		}
		pos = end
	}
	add(piece{n: r.size - pos, zero: true})
	return dst
}
