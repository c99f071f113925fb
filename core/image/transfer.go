package image

// The device transfer format carries a Device between two wasm instances
// (the page and its codec Web Worker) as one byte buffer: the device size
// and each stored chunk, nothing else, so a sparse 16 GiB image with a
// few megabytes of data is a few megabytes.
//
// Version 1, every integer an unsigned LEB128 varint (encoding/binary's
// Uvarint) in its shortest form:
//
//	"E4PD"  magic (4 bytes)
//	1       version (1 byte)
//	size    device size in bytes
//	count   number of chunks that follow
//	count × chunk, in ascending index order:
//	  gap     index − previous index − 1 (the first chunk: its index)
//	  length  stored bytes, 1 … ChunkSize, the last of them non-zero
//	  bytes   the chunk's first length bytes (the rest read as zeros)
//
// Nothing follows the last chunk. The encoding of a device's content is
// unique (trailing zeros trimmed, all-zero chunks left out), so a decoded
// buffer re-encodes to the same bytes.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// TransferVersion is the version of the device transfer format that
// EncodeTransfer writes and DecodeTransfer reads.
const TransferVersion = 1

const transferMagic = "E4PD"

// transferChunkMin is the fewest bytes a chunk takes in the format: a
// one-byte gap, a one-byte length and one data byte.
const transferChunkMin = 3

// ErrBadTransfer is returned for device transfer data that is truncated
// or malformed.
var ErrBadTransfer = errors.New("image: malformed device transfer data")

// EncodeTransfer returns the device in the transfer format.
func (d *Device) EncodeTransfer() []byte {
	d.mu.RLock()
	defer d.mu.RUnlock()
	idx := d.sortedChunks()
	n := len(transferMagic) + 1 + 2*binary.MaxVarintLen64
	for _, i := range idx {
		n += 2*binary.MaxVarintLen64 + len(d.chunks[i].b)
	}
	b := make([]byte, 0, n)
	b = append(b, transferMagic...)
	b = append(b, TransferVersion)
	b = binary.AppendUvarint(b, uint64(d.size))
	// The count goes in front of the chunks but is known only after
	// trimming; reserve its widest encoding and move the chunks down.
	countAt := len(b)
	b = b[:countAt+binary.MaxVarintLen64]
	next, count := int64(0), uint64(0)
	for _, i := range idx {
		c := d.chunks[i].b
		m := storedLen(c)
		if m == 0 {
			continue // written with zeros since
		}
		b = binary.AppendUvarint(b, uint64(i-next))
		b = binary.AppendUvarint(b, uint64(m))
		b = append(b, c[:m]...)
		next = i + 1
		count++
	}
	var cnt [binary.MaxVarintLen64]byte
	w := binary.PutUvarint(cnt[:], count)
	copy(b[countAt:], cnt[:w])
	gap := binary.MaxVarintLen64 - w
	copy(b[countAt+w:], b[countAt+binary.MaxVarintLen64:])
	return b[:len(b)-gap]
}

// transferReader walks a transfer buffer, naming the offset of any fault.
type transferReader struct {
	b   []byte
	off int
}

func (r *transferReader) fail(format string, args ...any) error {
	return fmt.Errorf("image: device transfer data at offset %d: %s: %w", r.off, fmt.Sprintf(format, args...), ErrBadTransfer)
}

func (r *transferReader) uvarint(what string) (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		return 0, r.fail("%s: truncated", what)
	case n < 0:
		return 0, r.fail("%s: varint overflows 64 bits", what)
	case n > 1 && r.b[r.off+n-1] == 0:
		// A padded varint would give one device two encodings.
		return 0, r.fail("%s: varint not in its shortest form", what)
	}
	r.off += n
	return v, nil
}

// DecodeTransfer rebuilds a device from the transfer format, within the
// limits of MaxSize (DefaultMaxSize unless given) and MaxUsed; larger
// devices fail with ErrTooLarge, malformed data with ErrBadTransfer and
// the offset of the fault.
func DecodeTransfer(b []byte, opts ...Option) (*Device, error) {
	cfg := loadConfig{maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(&cfg)
	}
	r := &transferReader{b: b}
	if len(b) < len(transferMagic)+1 || string(b[:len(transferMagic)]) != transferMagic {
		return nil, r.fail("not device transfer data (no %q magic)", transferMagic)
	}
	r.off = len(transferMagic)
	if v := b[r.off]; v != TransferVersion {
		return nil, r.fail("version %d, this program reads version %d", v, TransferVersion)
	}
	r.off++
	sizeAt := r.off
	size, err := r.uvarint("device size")
	if err != nil {
		return nil, err
	}
	if size > math.MaxInt64 || int64(size) > cfg.maxSize {
		return nil, fmt.Errorf("image: device transfer data at offset %d: device size %d exceeds %d bytes: %w", sizeAt, size, cfg.maxSize, ErrTooLarge)
	}
	chunksMax := (size + ChunkSize - 1) / ChunkSize
	countAt := r.off
	count, err := r.uvarint("chunk count")
	if err != nil {
		return nil, err
	}
	if count > chunksMax {
		r.off = countAt
		return nil, r.fail("%d chunks in a device of %d", count, chunksMax)
	}
	if cfg.maxUsed > 0 && count > uint64(cfg.maxUsed/ChunkSize) {
		return nil, fmt.Errorf("image: device transfer data at offset %d: %d chunks exceed %d bytes of memory: %w", countAt, count, cfg.maxUsed, ErrTooLarge)
	}
	// Checked before allocating for count chunks.
	if rest := uint64(len(b) - r.off); count > rest/transferChunkMin {
		return nil, r.fail("%d chunks cannot fit in the %d bytes left: truncated", count, rest)
	}
	d := New(int64(size))
	d.Reserve(int(count))
	next := uint64(0)
	for k := range count {
		at := r.off
		gap, err := r.uvarint("chunk index gap")
		if err != nil {
			return nil, err
		}
		if gap >= chunksMax-next {
			r.off = at
			return nil, r.fail("chunk %d: index %d+%d beyond the device's %d chunks", k, next, gap, chunksMax)
		}
		idx := next + gap
		at = r.off
		m, err := r.uvarint("chunk length")
		if err != nil {
			return nil, err
		}
		if room := min(ChunkSize, size-idx*ChunkSize); m == 0 || m > room {
			r.off = at
			return nil, r.fail("chunk %d (index %d): length %d, want 1 … %d", k, idx, m, room)
		}
		if m > uint64(len(b)-r.off) {
			return nil, r.fail("chunk %d (index %d): %d bytes, %d left: truncated", k, idx, m, len(b)-r.off)
		}
		data := b[r.off : r.off+int(m)]
		if data[m-1] == 0 {
			r.off += int(m) - 1
			return nil, r.fail("chunk %d (index %d): stored bytes end in a zero", k, idx)
		}
		c := d.newChunk(int(m))
		c.b = append(c.b, data...)
		d.chunks[int64(idx)] = c
		r.off += int(m)
		next = idx + 1
	}
	if r.off != len(b) {
		return nil, r.fail("%d bytes after the last chunk", len(b)-r.off)
	}
	return d, nil
}
