package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// StressOptions configures Stress.
type StressOptions struct {
	Seed uint64
	Ops  int
	// MaxFileBytes bounds file offsets (default: 1/32 of the filesystem,
	// at most 4 MiB), so the shadow copy Stress checks against stays small.
	MaxFileBytes int64
	// Log, if set, receives one line per operation.
	Log func(string)
}

// StressSummary counts what Stress did.
type StressSummary struct {
	Seed     uint64
	Ops      int
	ByOp     map[string]int
	Refused  map[string]int // expected errors by errno name (ENOSPC, ENOTEMPTY, …)
	Files    int
	Dirs     int
	Extents  int
	Unwrit   int
	FreeBlks uint64
}

func (s StressSummary) String() string {
	var ops []string
	for k, n := range s.ByOp {
		ops = append(ops, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(ops)
	var ref []string
	for k, n := range s.Refused {
		ref = append(ref, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(ref)
	return fmt.Sprintf("seed %d: %d ops (%s); refused: %s; %d files, %d dirs, %d extents (%d unwritten), %d free blocks",
		s.Seed, s.Ops, strings.Join(ops, " "), strings.Join(ref, " "), s.Files, s.Dirs, s.Extents, s.Unwrit, s.FreeBlks)
}

// stressFile is the shadow of a file: its path and expected contents.
type stressFile struct {
	path string
	ino  uint32
	data []byte // expected contents; len is i_size
}

// ErrStressMismatch is wrapped when a file reads back different from the
// shadow copy.
var ErrStressMismatch = errors.New("ext4: stress: contents differ from the shadow copy")

// Stress applies opts.Ops seeded random operations to v — create, mkdir,
// unlink, write, truncate, fallocate (with and without KEEP_SIZE), punch
// hole, zero range, and a direct-I/O style write (MapBlocks with
// IO_CREATE_EXT, data, ConvertUnwritten, SetSize) — checking after each
// that the file reads back as a shadow copy says it must. Errors the
// kernel would return too (ENOSPC, ENOTEMPTY, …) are counted; any other
// error ends the run with the seed and operation number.
func Stress(v *Volume, opts StressOptions) (StressSummary, error) {
	sum := StressSummary{Seed: opts.Seed, ByOp: map[string]int{}, Refused: map[string]int{}}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x657874347374))
	maxBytes := opts.MaxFileBytes
	if maxBytes <= 0 {
		maxBytes = min(int64(v.sb.BlocksCount()*v.bs/32), 4<<20)
	}
	maxBytes = max(maxBytes, int64(4*v.bs))
	files := []*stressFile{}
	dirs := []string{"/"}
	dirIno := map[string]uint32{"/": EXT4_ROOT_INO}
	bs := int64(v.bs)
	randRange := func() (int64, int64) {
		off := rng.Int64N(maxBytes)
		if rng.IntN(2) == 0 {
			off -= off % bs
		}
		n := 1 + rng.Int64N(min(maxBytes-off, 64*bs))
		if rng.IntN(2) == 0 && n > bs {
			n -= n % bs
		}
		return off, n
	}
	pickFile := func() *stressFile {
		if len(files) == 0 {
			return nil
		}
		return files[rng.IntN(len(files))]
	}
	fill := func(n int64, tag int) []byte {
		b := make([]byte, n)
		x := uint32(tag)*2654435761 + 1
		for i := range b {
			x = x*1664525 + 1013904223
			b[i] = byte(x >> 24)
		}
		return b
	}
	for k := 0; k < opts.Ops; k++ {
		v.Now++
		var name, args string
		var err error
		var touched *stressFile
		switch r := rng.IntN(100); {
		case r < 10 || len(files) == 0:
			name = "create"
			d := dirs[rng.IntN(len(dirs))]
			p := path0(d, fmt.Sprintf("f%d", k))
			var ino uint32
			if ino, err = v.Create(dirIno[d], p[strings.LastIndex(p, "/")+1:], 0o644); err == nil {
				files = append(files, &stressFile{path: p, ino: ino})
			}
		case r < 14:
			name = "mkdir"
			d := dirs[rng.IntN(len(dirs))]
			p := path0(d, fmt.Sprintf("d%d", k))
			var ino uint32
			if ino, err = v.Mkdir(dirIno[d], p[strings.LastIndex(p, "/")+1:], 0o755); err == nil {
				dirs = append(dirs, p)
				dirIno[p] = ino
			}
		case r < 20:
			name = "unlink"
			if rng.IntN(4) == 0 && len(dirs) > 1 {
				i := 1 + rng.IntN(len(dirs)-1)
				if err = v.UnlinkPath(dirs[i]); err == nil {
					delete(dirIno, dirs[i])
					dirs = append(dirs[:i], dirs[i+1:]...)
				}
			} else {
				i := rng.IntN(len(files))
				if err = v.UnlinkPath(files[i].path); err == nil {
					files = append(files[:i], files[i+1:]...)
				}
			}
		case r < 40:
			name = "write"
			f := pickFile()
			off, n := randRange()
			if rng.IntN(3) == 0 {
				off = int64(len(f.data)) // append: sequential writes stay contiguous
				n = min(n, maxBytes-off)
			}
			if n <= 0 {
				continue
			}
			data := fill(n, k)
			args = fmt.Sprintf("%s %d+%d", f.path, off, n)
			if err = v.Write(f.ino, off, data); err == nil {
				f.data = grow(f.data, off+n)
				copy(f.data[off:], data)
			}
			touched = f
		case r < 48:
			name = "truncate"
			f := pickFile()
			size := rng.Int64N(maxBytes)
			if rng.IntN(2) == 0 {
				size = rng.Int64N(int64(len(f.data)) + 1)
			}
			args = fmt.Sprintf("%s %d", f.path, size)
			if err = v.Truncate(f.ino, size); err == nil {
				if size < int64(len(f.data)) {
					f.data = f.data[:size]
				} else {
					f.data = grow(f.data, size)
				}
			}
			touched = f
		case r < 58:
			f := pickFile()
			off, n := randRange()
			keep := rng.IntN(2) == 0
			name = "fallocate"
			mode := FallocMode(0)
			if keep {
				name, mode = "fallocate_keep_size", FALLOC_FL_KEEP_SIZE
			}
			args = fmt.Sprintf("%s %d+%d", f.path, off, n)
			if err = v.Fallocate(f.ino, mode, off, n); err == nil && !keep {
				f.data = grow(f.data, off+n)
			}
			touched = f
		case r < 68:
			name = "punch_hole"
			f := pickFile()
			off, n := randRange()
			args = fmt.Sprintf("%s %d+%d", f.path, off, n)
			if err = v.PunchHole(f.ino, off, n); err == nil {
				zeroShadow(f.data, off, n)
			}
			touched = f
		case r < 76:
			name = "zero_range"
			f := pickFile()
			off, n := randRange()
			keep := rng.IntN(2) == 0
			args = fmt.Sprintf("%s %d+%d keep=%v", f.path, off, n, keep)
			if err = v.ZeroRange(f.ino, off, n, keep); err == nil {
				zeroShadow(f.data, off, n)
				if !keep {
					f.data = grow(f.data, off+n)
				}
			}
			touched = f
		default:
			name = "dio_write"
			f := pickFile()
			off, n := randRange()
			off -= off % bs
			n = max(bs, n-n%bs)
			if off+n > maxBytes {
				continue
			}
			data := fill(n, k)
			args = fmt.Sprintf("%s %d+%d", f.path, off, n)
			if err = stressDIOWrite(v, f.ino, off, data); err == nil {
				f.data = grow(f.data, off+n)
				copy(f.data[off:], data)
			}
			touched = f
		}
		sum.Ops++
		sum.ByOp[name]++
		if opts.Log != nil {
			opts.Log(fmt.Sprintf("op %d %s %s: %v", k, name, args, err))
		}
		if err != nil {
			var en Errno
			if errors.As(err, &en) && (en == ENOSPC || en == ENOTEMPTY || en == EEXIST) {
				sum.Refused[en.Name()]++
				// A failed operation may have done part of its work (as
				// in the kernel); resynchronise the shadow from the file.
				if touched != nil {
					if err := resyncShadow(v, touched, maxBytes); err != nil {
						return sum, fmt.Errorf("seed %d op %d (%s): %w", opts.Seed, k, name, err)
					}
				}
				continue
			}
			return sum, fmt.Errorf("seed %d op %d (%s): %w", opts.Seed, k, name, err)
		}
		if touched != nil {
			got, err := v.Read(touched.ino, 0, len(touched.data)+1)
			if err != nil {
				return sum, fmt.Errorf("seed %d op %d (%s): reading back %s: %w", opts.Seed, k, name, touched.path, err)
			}
			if !bytes.Equal(got, touched.data) {
				return sum, fmt.Errorf("seed %d op %d (%s) on %s: %d bytes read, %d expected, first difference at %d: %w",
					opts.Seed, k, name, touched.path, len(got), len(touched.data), firstDiff(got, touched.data), ErrStressMismatch)
			}
		}
	}
	sum.Files, sum.Dirs = len(files), len(dirs)-1
	for _, f := range files {
		ex, err := v.Extents(f.ino)
		if err != nil {
			return sum, err
		}
		sum.Extents += len(ex)
		for _, e := range ex {
			if e.Unwritten {
				sum.Unwrit++
			}
		}
	}
	sum.FreeBlks = v.sb.FreeBlocksCount()
	return sum, nil
}

// stressDIOWrite does what an allocating direct write does to the extent
// tree: map with IO_CREATE_EXT (unwritten, split out), write the data to
// the mapped blocks, convert at completion, then update i_size.
func stressDIOWrite(v *Volume, ino uint32, off int64, data []byte) error {
	bs := int64(v.bs)
	for done := int64(0); done < int64(len(data)); {
		lblk := uint32((off + done) / bs)
		n := uint32((int64(len(data)) - done) / bs)
		m, err := v.MapBlocks(ino, lblk, n, EXT4_GET_BLOCKS_IO_CREATE_EXT)
		if err != nil {
			return err
		}
		chunk := int64(m.Len) * bs
		if _, err := v.dev.WriteAt(data[done:done+chunk], int64(m.PBlk)*bs); err != nil {
			return err
		}
		done += chunk
	}
	if err := v.ConvertUnwritten(ino, off, int64(len(data))); err != nil {
		return err
	}
	in, err := v.Stat(ino)
	if err != nil {
		return err
	}
	if end := uint64(off) + uint64(len(data)); end > in.Size() {
		return v.SetSize(ino, int64(end))
	}
	return nil
}

func resyncShadow(v *Volume, f *stressFile, maxBytes int64) error {
	in, err := v.Stat(f.ino)
	if err != nil {
		return err
	}
	if in.Size() > uint64(2*maxBytes) {
		return fmt.Errorf("ext4: stress: %s grew to %d bytes, more than the shadow holds: %w", f.path, in.Size(), EFBIG)
	}
	got, err := v.Read(f.ino, 0, int(in.Size()))
	if err != nil {
		return err
	}
	f.data = got
	return nil
}

func path0(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func grow(b []byte, n int64) []byte {
	if int64(len(b)) >= n {
		return b
	}
	return append(b, make([]byte, n-int64(len(b)))...)
}

func zeroShadow(b []byte, off, n int64) {
	if off >= int64(len(b)) {
		return
	}
	clear(b[off:min(off+n, int64(len(b)))])
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
