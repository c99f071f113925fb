package image

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// Format is how an image is stored in a file or stream.
type Format int

// The image formats Load detects and Save writes.
const (
	Raw Format = iota
	Gzip
	Xz
	Zstd
)

var formatNames = [...]string{Raw: "raw", Gzip: "gzip", Xz: "xz", Zstd: "zstd"}

func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named by s ("raw", "gzip", "xz", "zstd").
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), nil
		}
	}
	return Raw, fmt.Errorf("image: unknown format %q (want raw, gzip, xz or zstd)", s)
}

// FormatForName picks the format from a file name's extension.
func FormatForName(name string) Format {
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".gz"), strings.HasSuffix(n, ".gzip"):
		return Gzip
	case strings.HasSuffix(n, ".xz"):
		return Xz
	case strings.HasSuffix(n, ".zst"), strings.HasSuffix(n, ".zstd"):
		return Zstd
	}
	return Raw
}

// DefaultMaxSize bounds the decompressed size Load accepts unless MaxSize is
// given: large enough for real test images, small enough that a compression
// bomb ends with ErrTooLarge instead of running for hours.
const DefaultMaxSize int64 = 16 << 30

// Option changes how Load reads an image.
type Option func(*loadConfig)

type loadConfig struct {
	maxSize int64 // bytes of (decompressed) image
	maxUsed int64 // bytes of non-zero chunk memory; 0 = no extra limit
}

// MaxSize caps the decompressed image size; a larger image fails with
// ErrTooLarge.
func MaxSize(n int64) Option { return func(c *loadConfig) { c.maxSize = n } }

// MaxUsed caps the memory (non-zero chunks) a loaded image may hold.
func MaxUsed(n int64) Option { return func(c *loadConfig) { c.maxUsed = n } }

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicXz   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Detect returns the compression format of a stream starting with head.
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, magicZstd):
		return Zstd
	case bytes.HasPrefix(head, magicXz):
		return Xz
	case bytes.HasPrefix(head, magicGzip):
		return Gzip
	}
	return Raw
}

// Load reads an image from r. The compression format is detected from the
// first bytes (the magic numbers of gzip, xz and zstd), not from name, which
// is only used in error messages. Zero chunks are not stored, so a sparse
// image costs only its data.
func Load(r io.Reader, name string, opts ...Option) (*Device, error) {
	cfg := loadConfig{maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(&cfg)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("image: reading %s: %w", name, err)
	}
	format := Detect(head)
	var src io.Reader = br
	if format != Raw {
		dec, done, err := decoder(br, format)
		if errors.Is(err, errExternal) {
			return loadExternal(r, br, name, format, &cfg)
		}
		if err != nil {
			return nil, fmt.Errorf("image: %s: %s header: %w", name, format, err)
		}
		defer done()
		src = dec
	}
	// io.Copy lets a decoder that has WriteTo (zstd, bufio for raw) hand
	// over its own buffers, so the data is not copied once more into a
	// staging chunk; under wasm that copy and its loop were a third of
	// Load's time.
	w := &loadWriter{d: New(0), cfg: &cfg, name: name, format: format}
	_, err = io.Copy(w, src)
	if err == nil {
		err = w.flush()
	}
	if err != nil {
		if err == w.err {
			return nil, err
		}
		return nil, fmt.Errorf("image: %s (%s): at decompressed offset %d: %w", name, format, w.d.size+int64(w.n), err)
	}
	return w.d, nil
}

// loadWriter cuts Load's decompressed stream into chunks, storing those
// that are not all zeros and enforcing the size limits.
type loadWriter struct {
	d      *Device
	cfg    *loadConfig
	name   string
	format Format
	part   [ChunkSize]byte // a chunk not yet complete
	n      int             // bytes in part
	err    error           // a limit was exceeded (returned as is, not as a read error)
}

func (w *loadWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if w.n == 0 && len(p) >= ChunkSize {
			if err := w.put(p[:ChunkSize]); err != nil {
				return total - len(p), err
			}
			p = p[ChunkSize:]
			continue
		}
		m := copy(w.part[w.n:], p)
		w.n += m
		p = p[m:]
		if w.n == ChunkSize {
			w.n = 0
			if err := w.put(w.part[:]); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

// flush stores the last, partial chunk.
func (w *loadWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	n := w.n
	w.n = 0
	return w.put(w.part[:n])
}

// put appends b (at most a chunk) at the end of the device.
func (w *loadWriter) put(b []byte) error {
	d := w.d
	if d.size+int64(len(b)) > w.cfg.maxSize {
		w.err = fmt.Errorf("image: %s (%s): decompressed size exceeds %d bytes: %w", w.name, w.format, w.cfg.maxSize, ErrTooLarge)
		return w.err
	}
	if n := storedLen(b); n > 0 {
		if w.cfg.maxUsed > 0 && int64(len(d.chunks)+1)*ChunkSize > w.cfg.maxUsed {
			w.err = fmt.Errorf("image: %s (%s): data exceeds %d bytes of memory: %w", w.name, w.format, w.cfg.maxUsed, ErrTooLarge)
			return w.err
		}
		c := d.newChunk(n)
		c.b = append(c.b, b[:n]...)
		d.chunks[d.size/ChunkSize] = c
	}
	d.size += int64(len(b))
	return nil
}

// LoadFile opens path and loads it with Load.
func LoadFile(path string, opts ...Option) (*Device, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	return Load(f, path, opts...)
}

// Save writes the whole device to w in format. For Raw output to an
// *os.File, zero chunks are skipped with Seek, so the file stays sparse.
func (d *Device) Save(w io.Writer, format Format) error {
	switch format {
	case Raw:
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				return d.saveSparse(f)
			}
		}
		return d.writeAll(w)
	case Gzip, Xz, Zstd:
		enc, err := encoder(w, format)
		if errors.Is(err, errExternal) {
			return d.saveExternal(w, format)
		}
		if err != nil {
			return fmt.Errorf("image: %s: %w", format, err)
		}
		if err := d.writeAll(enc); err != nil {
			enc.Close()
			return err
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("image: %s: %w", format, err)
		}
		return nil
	}
	return fmt.Errorf("image: unknown format %v", format)
}

// SaveFile writes the device to path, choosing the format by extension
// (.gz, .xz, .zst; anything else is raw).
func (d *Device) SaveFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	if err := d.Save(f, FormatForName(path)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sortedChunks returns the indices of stored chunks in ascending order.
func (d *Device) sortedChunks() []int64 {
	idx := make([]int64, 0, len(d.chunks))
	for i := range d.chunks {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return idx
}

// writeAll streams every byte, zeros included, to w.
func (d *Device) writeAll(w io.Writer) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var zeros [64 << 10]byte
	var pos int64
	writeZeros := func(n int64) error {
		for n > 0 {
			m := min(n, int64(len(zeros)))
			if _, err := w.Write(zeros[:m]); err != nil {
				return fmt.Errorf("image: write at offset %d: %w", pos, err)
			}
			pos += m
			n -= m
		}
		return nil
	}
	for _, i := range d.sortedChunks() {
		start := i * ChunkSize
		if err := writeZeros(start - pos); err != nil {
			return err
		}
		// The chunk's unstored tail goes out as zeros with the next gap.
		c := d.chunks[i].b
		if _, err := w.Write(c); err != nil {
			return fmt.Errorf("image: write at offset %d: %w", pos, err)
		}
		pos += int64(len(c))
	}
	return writeZeros(d.size - pos)
}

// saveSparse writes the data chunks at their offsets and leaves holes.
func (d *Device) saveSparse(f *os.File) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	base, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("image: %s: %w", f.Name(), err)
	}
	for _, i := range d.sortedChunks() {
		start := i * ChunkSize
		// The unstored zero tail of a chunk stays a hole.
		if _, err := f.WriteAt(d.chunks[i].b, base+start); err != nil {
			return fmt.Errorf("image: %s at offset %d: %w", f.Name(), start, err)
		}
	}
	if err := f.Truncate(base + d.size); err != nil {
		return fmt.Errorf("image: %s: %w", f.Name(), err)
	}
	_, err = f.Seek(base+d.size, io.SeekStart)
	return err
}

// FileDevice is a read-only device backed directly by a raw image file:
// nothing is loaded into memory up front. On linux the file is mapped
// read-only, so reads are copies from the page cache and View lends the
// mapping itself (no system call, no staging buffer per read). Elsewhere
// (js/wasm included), or when mapping fails, reads go to the file through
// a small cache of aligned windows, because walking a filesystem makes
// many small reads (inodes, directory blocks, small files) that lie close
// together, and each system call costs more than copying a window.
type FileDevice struct {
	f    *os.File
	size int64
	data []byte // the mapping of [0, size); nil when not mapped

	mu      sync.Mutex
	windows map[int64][]byte // window index → bytes
	order   []int64          // FIFO of cached windows
}

// File device cache geometry: 64 windows of 256 KiB (16 MiB).
const (
	fileWindowSize  = 256 << 10
	fileWindowCount = 64
)

// OpenFileDevice opens a raw image file for reading. It refuses compressed
// files (detected by magic), which must go through Load.
func OpenFileDevice(path string) (*FileDevice, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	head := make([]byte, 6)
	n, _ := f.ReadAt(head, 0)
	if fm := Detect(head[:n]); fm != Raw {
		f.Close()
		return nil, fmt.Errorf("image: %s is %s-compressed; load it with Load", path, fm)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("image: %w", err)
	}
	d := &FileDevice{f: f, size: st.Size(), windows: map[int64][]byte{}}
	// Only the size seen now is mapped, never beyond the end of the file;
	// a failed mapping (empty file, too large for the address space, a
	// file system without mmap) leaves the read path.
	if st.Mode().IsRegular() {
		d.data, _ = mapFile(f, d.size)
	}
	return d, nil
}

// Size is the file size when it was opened.
func (d *FileDevice) Size() int64 { return d.size }

// ReadAt reads from the file; past the end it returns io.EOF.
func (d *FileDevice) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("image: read at negative offset %d: %w", off, ErrOutOfRange)
	}
	if off >= d.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := len(p)
	var eof error
	if int64(n) > d.size-off {
		n, eof = int(d.size-off), io.EOF
	}
	if d.data != nil {
		if err := d.guard(func() { copy(p[:n], d.data[off:]) }); err != nil {
			return 0, err
		}
		return n, eof
	}
	if n >= fileWindowSize {
		m, err := d.f.ReadAt(p[:n], off)
		if err == nil {
			err = eof
		}
		return m, err
	}
	for done := 0; done < n; {
		pos := off + int64(done)
		w, err := d.window(pos / fileWindowSize)
		if err != nil {
			return done, err
		}
		in := int(pos % fileWindowSize)
		done += copy(p[done:n], w[in:])
	}
	return n, eof
}

// View calls fn with the bytes [off, off+n) of the file, in order, without
// copying them when the file is mapped (one piece, the mapping itself) and
// from the window cache otherwise (pieces of at most a window). The pieces
// are valid only during the call and must not be modified. A range beyond
// the end of the file is an error (ErrOutOfRange) and calls fn with
// nothing.
func (d *FileDevice) View(off, n int64, fn func([]byte)) error {
	if off < 0 || n < 0 || off > d.size || n > d.size-off {
		return fmt.Errorf("image: view of %d bytes at offset %d, file size %d: %w", n, off, d.size, ErrOutOfRange)
	}
	if n == 0 {
		return nil
	}
	if d.data != nil {
		return d.guard(func() { fn(d.data[off : off+n : off+n]) })
	}
	for end := off + n; off < end; {
		w, err := d.window(off / fileWindowSize)
		if err != nil {
			return err
		}
		in := off % fileWindowSize
		m := min(int64(len(w))-in, end-off)
		fn(w[in : in+m : in+m])
		off += m
	}
	return nil
}

// window returns cached window i, reading it when missing. The lock is
// not held during the read, so concurrent readers overlap their I/O.
// Windows are never modified once cached, so they can be shared.
func (d *FileDevice) window(i int64) ([]byte, error) {
	d.mu.Lock()
	w, ok := d.windows[i]
	d.mu.Unlock()
	if ok {
		return w, nil
	}
	size := min(int64(fileWindowSize), d.size-i*fileWindowSize)
	w = make([]byte, size)
	if m, err := d.f.ReadAt(w, i*fileWindowSize); err != nil {
		if err != io.EOF {
			return nil, fmt.Errorf("image: %s at offset %d: %w", d.f.Name(), i*fileWindowSize, err)
		}
		// The file shrank since it was opened: what is gone is an
		// error, not zeros.
		return nil, fmt.Errorf("image: %s at offset %d: file truncated since open (size %d): %w", d.f.Name(), i*fileWindowSize+int64(m), d.size, ErrOutOfRange)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.windows[i]; ok {
		return old, nil
	}
	if len(d.order) >= fileWindowCount {
		delete(d.windows, d.order[0])
		d.order = d.order[1:]
	}
	d.windows[i] = w
	d.order = append(d.order, i)
	return w, nil
}

// Close unmaps and closes the file. The device must not be used after.
func (d *FileDevice) Close() error {
	var err error
	if d.data != nil {
		err = unmapFile(d.data)
		d.data = nil
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}
