// Package image is a sparse in-memory block device: the bytes of an ext4
// image held in fixed-size chunks, where chunks that were never written (or
// were written with zeros) take no memory. Memory therefore grows with the
// data written, not with the device size, so a 1 TiB image with a few
// megabytes of metadata costs a few megabytes.
//
// A chunk stores only its bytes up to the last non-zero one written; the
// rest reads as zeros. Clones share chunks copy-on-write, and a clone can
// be reset to its base (ResetTo) reusing the memory of the chunks it
// wrote, which is what a many-runs explorer wants from one base image.
package image

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"sync/atomic"
)

// ChunkSize is the allocation unit of a Device. 4 KiB matches the usual
// ext4 block size, so a metadata block costs one chunk and holes stay holes.
const ChunkSize = 4096

// Sentinel errors, usable with errors.Is.
var (
	// ErrOutOfRange is returned for accesses beyond the device size.
	ErrOutOfRange = errors.New("image: access beyond end of device")
	// ErrTooLarge is returned when an image exceeds the configured limit.
	ErrTooLarge = errors.New("image: image larger than the allowed maximum")
)

// chunk is one ChunkSize piece of the device. Only a prefix is stored:
// bytes from len(b) up to ChunkSize read as zeros, and the buffer past
// len(b) (up to cap(b)) is scratch that is never read. Many metadata
// blocks end in zeros (a resize inode's reserved GDT block holds a few
// backup block numbers; a sparse inode table block a few inodes), so they
// cost tens or hundreds of bytes instead of 4 KiB.
type chunk struct {
	b []byte
	// owner is the tag of the one device that may change the chunk in
	// place. Every other device holding it (a clone, a base) copies it
	// before writing. Invariant: a chunk whose owner is some device's
	// current tag is held by that device only.
	owner uint64
}

// tags hands out device tags; 0 is never used, so a zero chunk.owner
// belongs to no device.
var tags atomic.Uint64

func newTag() uint64 { return tags.Add(1) }

// Device is a sparse in-memory block device. It implements io.ReaderAt and
// io.WriterAt. It is safe for concurrent use.
type Device struct {
	mu     sync.RWMutex
	size   int64
	chunks map[int64]*chunk // chunk index → data; absent means zeros
	// tag marks the chunks this device may write in place (chunk.owner).
	// Clone and ResetTo give the device they share chunks from a new tag,
	// so both sides copy before writing. Atomic because Clone changes it
	// under the read lock.
	tag atomic.Uint64

	hdrs  []chunk  // chunk headers not handed out yet
	full  []byte   // ChunkSize buffers not handed out yet
	small []byte   // arena for short chunk prefixes
	free  []*chunk // chunks ResetTo took back, buffers included
	// Buffers handed out so far; the next slab is as large as that (within
	// bounds), so unused slab memory stays below what is in use.
	fullOut, smallOut int
}

// slabMax is the most chunk buffers (and headers) one slab allocation
// holds. One allocation per chunk dominated mkfs of big images; slabs
// make that a few dozen.
const slabMax = 64

// smallMax is the longest prefix stored in the small-buffer arena; longer
// ones get a whole ChunkSize buffer, as does any chunk that grows past
// its buffer.
const smallMax = ChunkSize / 4

// smallAlign rounds small buffers up, so that a prefix that grows a
// little (one more inode in a table block) usually grows in place.
const smallAlign = 64

// arenaMax is the largest small-buffer arena allocated at once.
const arenaMax = 64 << 10

// newChunk returns a chunk owned by d whose buffer has room for need
// bytes, len(b) == 0. It reuses a chunk ResetTo took back when there is
// one; otherwise headers and buffers come from slabs sized by what the
// device already holds (at least 4, at most slabMax chunks), so unused
// slab memory stays below what the device holds. A chunk dropped from the
// map keeps its slab alive until every chunk of it is dropped. d.mu is
// held.
func (d *Device) newChunk(need int) *chunk {
	var c *chunk
	if n := len(d.free); n > 0 {
		c = d.free[n-1]
		d.free = d.free[:n-1]
	} else {
		if len(d.hdrs) == 0 {
			d.hdrs = make([]chunk, min(max(len(d.chunks), 4), slabMax))
		}
		c = &d.hdrs[0]
		d.hdrs = d.hdrs[1:]
	}
	c.owner = d.tag.Load()
	if cap(c.b) < need {
		c.b = d.buf(need)
	}
	c.b = c.b[:0]
	return c
}

// buf returns an empty buffer with room for need bytes.
func (d *Device) buf(need int) []byte {
	if need <= smallMax {
		n := (need + smallAlign - 1) / smallAlign * smallAlign
		if len(d.small) < n {
			d.small = make([]byte, min(max(d.smallOut, 4*smallMax), arenaMax))
		}
		b := d.small[:0:n]
		d.small = d.small[n:]
		d.smallOut += n
		return b
	}
	if len(d.full) == 0 {
		d.full = make([]byte, min(max(d.fullOut, 4), slabMax)*ChunkSize)
	}
	b := d.full[:0:ChunkSize]
	d.full = d.full[ChunkSize:]
	d.fullOut++
	return b
}

// writable returns the chunk at idx ready to be changed in place with
// room for need bytes: c itself when d owns it, else a private copy
// (copy-on-write) that replaces it in the map. d.mu is held.
func (d *Device) writable(idx int64, c *chunk, need int) *chunk {
	if c.owner == d.tag.Load() {
		return c
	}
	n := d.newChunk(max(need, len(c.b)))
	n.b = append(n.b, c.b...)
	d.chunks[idx] = n
	return n
}

// extend makes c's stored prefix end at end (> len(c.b)), zeroing the
// newly stored bytes below from; bytes from `from` on are about to be
// overwritten by the caller.
func (d *Device) extend(c *chunk, end, from int) {
	old := len(c.b)
	if end > cap(c.b) {
		nb := d.buf(end)
		c.b = append(nb, c.b...)
	}
	c.b = c.b[:end]
	if from > old {
		clear(c.b[old:from])
	}
}

// release drops chunk idx from the map, keeping its memory for reuse when
// d owns it. d.mu is held.
func (d *Device) release(idx int64, c *chunk) {
	delete(d.chunks, idx)
	if c.owner == d.tag.Load() {
		d.free = append(d.free, c)
	}
}

// New returns a zero-filled device of size bytes. It allocates no chunk.
func New(size int64) *Device {
	if size < 0 {
		size = 0
	}
	d := &Device{size: size, chunks: make(map[int64]*chunk)}
	d.tag.Store(newTag())
	return d
}

// Reserve is a size hint: the device is about to hold about n chunks, so
// its chunk map and header slab are allocated for them in one go rather
// than grown step by step. It changes no content.
func (d *Device) Reserve(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n <= len(d.chunks) {
		return
	}
	m := make(map[int64]*chunk, n)
	maps.Copy(m, d.chunks)
	d.chunks = m
	if want := n - len(d.chunks) - len(d.free); want > len(d.hdrs) {
		d.hdrs = make([]chunk, want)
	}
}

// Size is the device size in bytes.
func (d *Device) Size() int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.size
}

// Used is the number of bytes in chunks that hold data: ChunkSize for
// every chunk that is not a hole, however little of it is stored. It is
// the device's populated size (what a sparse raw file of the image
// allocates, and what mkfs counts as written); Footprint is the memory.
func (d *Device) Used() int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return int64(len(d.chunks)) * ChunkSize
}

// chunkOverhead approximates the memory of one stored chunk besides its
// buffer: the header and its map slot.
const chunkOverhead = 32 + 24

// Footprint is the memory the device's chunks take: their buffers plus a
// header and map slot each. A buffer CopyRange shares counts once; chunks
// shared with a clone count in both devices.
func (d *Device) Footprint() int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var n int64
	var shared map[*chunk]bool // chunks CopyRange shares count once
	for _, c := range d.chunks {
		if c.owner == 0 {
			if shared[c] {
				n += chunkOverhead
				continue
			}
			if shared == nil {
				shared = map[*chunk]bool{}
			}
			shared[c] = true
		}
		n += int64(cap(c.b)) + chunkOverhead
	}
	return n
}

// ReadAt reads len(p) bytes at off. Reading past the end returns the bytes
// that exist and io.EOF, as io.ReaderAt requires; a negative offset is an
// error.
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
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
	var err error
	if int64(n) > d.size-off {
		n = int(d.size - off)
		err = io.EOF
	}
	d.readAt(p[:n], off)
	return n, err
}

// readAt fills p from off, which the caller checked. d.mu is held.
func (d *Device) readAt(p []byte, off int64) {
	for done := 0; done < len(p); {
		pos := off + int64(done)
		idx, in := pos/ChunkSize, int(pos%ChunkSize)
		m := min(ChunkSize-in, len(p)-done)
		dst := p[done : done+m]
		k := 0
		if c := d.chunks[idx]; c != nil && in < len(c.b) {
			k = copy(dst, c.b[in:])
		}
		clear(dst[k:])
		done += m
	}
}

// zeroChunk is what View lends for bytes no chunk stores; never written.
var zeroChunk [ChunkSize]byte

// View calls fn with the bytes [off, off+n) of the device, in order, in
// pieces of at most ChunkSize bytes, without copying them: the pieces are
// the device's own chunk buffers (and a shared zero buffer for holes and
// the unstored zero tail of a chunk), valid only during the call and
// never to be modified. The device is read-locked meanwhile, so fn must
// not write to it. A range beyond the end of the device is an error
// (ErrOutOfRange) and calls fn with nothing.
func (d *Device) View(off, n int64, fn func([]byte)) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if off < 0 || n < 0 || off > d.size || n > d.size-off {
		return fmt.Errorf("image: view of %d bytes at offset %d, device size %d: %w", n, off, d.size, ErrOutOfRange)
	}
	for end := off + n; off < end; {
		idx, in := off/ChunkSize, int(off%ChunkSize)
		m := int(min(int64(ChunkSize-in), end-off))
		if c := d.chunks[idx]; c != nil && in < len(c.b) {
			k := min(m, len(c.b)-in)
			fn(c.b[in : in+k])
			if k < m {
				fn(zeroChunk[in+k : in+m])
			}
		} else {
			fn(zeroChunk[in : in+m])
		}
		off += int64(m)
	}
	return nil
}

// WriteAt writes p at off. Writing beyond the end of the device is an error
// (ErrOutOfRange) and writes nothing: a block device does not grow.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off < 0 || off > d.size || int64(len(p)) > d.size-off {
		return 0, fmt.Errorf("image: write of %d bytes at offset %d, device size %d: %w", len(p), off, d.size, ErrOutOfRange)
	}
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		idx, in := pos/ChunkSize, int(pos%ChunkSize)
		m := min(ChunkSize-in, len(p)-done)
		d.writeChunk(idx, in, p[done:done+m])
		done += m
	}
	return len(p), nil
}

// writeChunk writes src (within one chunk) at byte in of chunk idx.
// d.mu is held.
func (d *Device) writeChunk(idx int64, in int, src []byte) {
	c := d.chunks[idx]
	if c == nil {
		n := storedLen(src)
		if n == 0 {
			return // zeros into a hole
		}
		c = d.newChunk(in + n)
		c.b = c.b[:in+n]
		clear(c.b[:in])
		copy(c.b[in:], src[:n])
		d.chunks[idx] = c
		return
	}
	if len(src) == ChunkSize && isZero(src) {
		// A chunk overwritten entirely with zeros becomes a hole again.
		d.release(idx, c)
		return
	}
	end := len(c.b)
	if in+len(src) > end {
		// Only the written bytes up to the last non-zero one need storing.
		end = max(end, in+storedLen(src))
		if in >= end {
			return // zeros past the stored prefix: nothing changes
		}
	}
	c = d.writable(idx, c, end)
	if end > len(c.b) {
		d.extend(c, end, in)
	}
	if in < len(c.b) {
		copy(c.b[in:], src) // the bytes of src past len(c.b) are zeros
	}
}

// CopyRange copies n bytes at src to dst within the device; the ranges
// must not overlap. Whole chunks at chunk-aligned offsets on both sides
// are shared copy-on-write instead of copied, as a reflink would: the
// copies read the same bytes, cost one buffer between them, and a later
// write to either copies first. Backup group descriptor tables, which
// repeat the primary block for block, cost nothing more this way. The
// result reads exactly as WriteAt of the source bytes would leave it.
func (d *Device) CopyRange(dst, src, n int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n < 0 || src < 0 || dst < 0 || src > d.size || dst > d.size || n > d.size-src || n > d.size-dst {
		return fmt.Errorf("image: copy of %d bytes from offset %d to %d, device size %d: %w", n, src, dst, d.size, ErrOutOfRange)
	}
	if src < dst+n && dst < src+n && n > 0 {
		return fmt.Errorf("image: copy of %d bytes from offset %d to %d: the ranges overlap: %w", n, src, dst, ErrOutOfRange)
	}
	var tmp [ChunkSize]byte
	for done := int64(0); done < n; {
		s, t := src+done, dst+done
		if s%ChunkSize == 0 && t%ChunkSize == 0 && n-done >= ChunkSize {
			d.shareChunk(t/ChunkSize, s/ChunkSize)
			done += ChunkSize
			continue
		}
		m := min(ChunkSize-t%ChunkSize, n-done)
		d.readAt(tmp[:m], s)
		d.writeChunk(t/ChunkSize, int(t%ChunkSize), tmp[:m])
		done += m
	}
	return nil
}

// shareChunk makes chunk dst hold chunk src's bytes by sharing it. A
// shared chunk belongs to no device (owner 0), so every writer copies
// it first. d.mu is held.
func (d *Device) shareChunk(dst, src int64) {
	sc, dc := d.chunks[src], d.chunks[dst]
	if sc == dc {
		return
	}
	if sc == nil || isZero(sc.b) {
		// As WriteAt of a zero chunk: dst becomes (or stays) a hole.
		if dc != nil {
			d.release(dst, dc)
		}
		return
	}
	if dc != nil {
		d.release(dst, dc)
	}
	if sc.owner == d.tag.Load() {
		sc.owner = 0 // held by d alone until now, so nobody reads owner meanwhile
	}
	d.chunks[dst] = sc
}

// Discard zeroes length bytes at off, releasing the memory of whole chunks
// in the range (like BLKDISCARD with zeroing, or punching a hole in a file).
func (d *Device) Discard(off, length int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off < 0 || length < 0 || off > d.size || length > d.size-off {
		return fmt.Errorf("image: discard of %d bytes at offset %d, device size %d: %w", length, off, d.size, ErrOutOfRange)
	}
	end := off + length
	for pos := off; pos < end; {
		idx, in := pos/ChunkSize, int(pos%ChunkSize)
		m := int(min(int64(ChunkSize-in), end-pos))
		if c := d.chunks[idx]; c != nil {
			if m == ChunkSize {
				d.release(idx, c)
			} else {
				if in < len(c.b) {
					c = d.writable(idx, c, len(c.b))
					clear(c.b[in:min(in+m, len(c.b))])
				}
				if isZero(c.b) {
					d.release(idx, c)
				}
			}
		}
		pos += int64(m)
	}
	return nil
}

// Clone returns an independent copy of the device. It copies the chunk
// map only: the chunks are shared until either device writes one, which
// then gets its own copy (so Clone costs a map copy, and a clone costs
// memory only for what it changes).
func (d *Device) Clone() *Device {
	d.mu.RLock()
	defer d.mu.RUnlock()
	n := &Device{size: d.size, chunks: maps.Clone(d.chunks)}
	n.tag.Store(newTag())
	d.tag.Store(newTag()) // d's chunks are shared now: d copies too
	return n
}

// ResetTo makes d equal to base again (size and every byte), as a fresh
// base.Clone() would be, but keeps the memory of the chunks d wrote for
// its next writes and reuses its chunk map: a device reset before each
// run of the same base image costs no allocation once warm. Chunks still
// shared with another device (d's clones, base) are left alone. base
// must not be d, nor be reset onto d at the same time (lock order).
func (d *Device) ResetTo(base *Device) {
	if d == base {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	base.mu.RLock()
	defer base.mu.RUnlock()
	tag := d.tag.Load()
	for _, c := range d.chunks {
		if c.owner == tag {
			d.free = append(d.free, c)
		}
	}
	clear(d.chunks)
	maps.Copy(d.chunks, base.chunks)
	d.size = base.size
	base.tag.Store(newTag()) // base's chunks are shared with d now
}

// storedLen is the length of b without its trailing zero bytes. Word
// loads from the end: a block that ends in zeros is scanned once.
func storedLen(b []byte) int {
	n := len(b)
	for n >= 8 && binary.LittleEndian.Uint64(b[n-8:]) == 0 {
		n -= 8
	}
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return n
}

// isZero reports whether b holds only zero bytes. Word loads, not byte
// ORs: under wasm that is ten times faster on the chunks Load scans.
func isZero(b []byte) bool {
	for len(b) >= 32 {
		if binary.LittleEndian.Uint64(b)|binary.LittleEndian.Uint64(b[8:])|
			binary.LittleEndian.Uint64(b[16:])|binary.LittleEndian.Uint64(b[24:]) != 0 {
			return false
		}
		b = b[32:]
	}
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
