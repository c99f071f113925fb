package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// transferDevices are the round-trip cases: empty and all-zero devices,
// random sparse content, a partial last chunk, chunks whose stored tail
// was overwritten with zeros, a chunk zeroed whole, a shared chunk.
func transferDevices() map[string]*Device {
	m := map[string]*Device{
		"empty":      New(0),
		"zeros":      New(5*ChunkSize + 7),
		"one byte":   New(1),
		"random 7":   nil,
		"random 11":  nil,
		"last chunk": New(3*ChunkSize + 100),
		"zeroed":     New(8 * ChunkSize),
	}
	m["random 7"], _ = randomDevice(7)
	m["random 11"], _ = randomDevice(11)
	m["one byte"].WriteAt([]byte{0xff}, 0)
	m["last chunk"].WriteAt(bytes.Repeat([]byte{9}, 100), 3*ChunkSize)
	z := m["zeroed"]
	z.WriteAt(bytes.Repeat([]byte{1}, ChunkSize), 0)
	z.WriteAt(make([]byte, 100), ChunkSize-100) // stored tail now zeros
	z.WriteAt([]byte{5, 5, 5}, 3*ChunkSize)
	z.WriteAt(make([]byte, 3), 3*ChunkSize) // chunk 3 all zeros again
	z.WriteAt([]byte{7}, 6*ChunkSize+ChunkSize-1)
	if err := z.CopyRange(7*ChunkSize, 0, ChunkSize); err != nil {
		panic(err)
	}
	return m
}

// sameContent compares two devices byte for byte through ReadAt.
func sameContent(t *testing.T, want, got *Device) {
	t.Helper()
	if got.Size() != want.Size() {
		t.Fatalf("size %d, want %d", got.Size(), want.Size())
	}
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	for off := int64(0); off < want.Size(); off += int64(len(a)) {
		na, _ := want.ReadAt(a, off)
		nb, _ := got.ReadAt(b, off)
		if na != nb || !bytes.Equal(a[:na], b[:nb]) {
			t.Fatalf("content differs in [%d, %d)", off, off+int64(na))
		}
	}
}

func TestTransferRoundTrip(t *testing.T) {
	for name, d := range transferDevices() {
		t.Run(name, func(t *testing.T) {
			b := d.EncodeTransfer()
			got, err := DecodeTransfer(b)
			if err != nil {
				t.Fatal(err)
			}
			sameContent(t, d, got)
			if got.Used() > d.Used() {
				t.Fatalf("Used %d > original %d", got.Used(), d.Used())
			}
			if again := got.EncodeTransfer(); !bytes.Equal(again, b) {
				t.Fatal("re-encoding the decoded device gives other bytes")
			}
		})
	}
	// Trimming: the zeroed device stores chunks 0 (trimmed), 6 and 7.
	got, err := DecodeTransfer(transferDevices()["zeroed"].EncodeTransfer())
	if err != nil {
		t.Fatal(err)
	}
	if got.Used() != 3*ChunkSize || len(got.chunks[0].b) != ChunkSize-100 {
		t.Fatalf("Used %d, chunk 0 stores %d bytes", got.Used(), len(got.chunks[0].b))
	}
}

// TestTransferHuge: a sparse 1 TiB device costs its data, not its size.
func TestTransferHuge(t *testing.T) {
	const size = 1 << 40
	d := New(size)
	d.WriteAt([]byte("first"), 0)
	d.WriteAt([]byte("last"), size-4)
	b := d.EncodeTransfer()
	// Chunk 0 stores 5 bytes; the last chunk its whole prefix up to "last".
	if len(b) > ChunkSize+64 {
		t.Fatalf("%d bytes for two chunks", len(b))
	}
	if _, err := DecodeTransfer(b); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("default MaxSize: err = %v, want ErrTooLarge", err)
	}
	got, err := DecodeTransfer(b, MaxSize(size), MaxUsed(2*ChunkSize))
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 5)
	got.ReadAt(p, 0)
	q := make([]byte, 4)
	got.ReadAt(q, size-4)
	if got.Size() != size || string(p) != "first" || string(q) != "last" {
		t.Fatalf("size %d, %q … %q", got.Size(), p, q)
	}
}

// transferBuf builds transfer data by hand: header then raw varints/bytes.
func transferBuf(version byte, parts ...any) []byte {
	b := append([]byte(transferMagic), version)
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			b = binary.AppendUvarint(b, uint64(v))
		case uint64:
			b = binary.AppendUvarint(b, v)
		case []byte:
			b = append(b, v...)
		}
	}
	return b
}

func TestTransferErrors(t *testing.T) {
	ok := transferBuf(1, 3*ChunkSize, 2, 0, 2, []byte{1, 2}, 1, 1, []byte{3})
	if _, err := DecodeTransfer(ok); err != nil {
		t.Fatalf("valid buffer: %v", err)
	}
	cases := []struct {
		name string
		b    []byte
		opts []Option
		want error
		at   string // "offset N" expected in the message
	}{
		{"no magic", []byte("E4PX\x01\x00\x00"), nil, ErrBadTransfer, "offset 0"},
		{"empty", nil, nil, ErrBadTransfer, "offset 0"},
		{"version", transferBuf(2, 0, 0), nil, ErrBadTransfer, "offset 4"},
		{"size overflow", transferBuf(1, bytes.Repeat([]byte{0xff}, 11)), nil, ErrBadTransfer, "offset 5"},
		{"size limit", transferBuf(1, 1<<20, 0), []Option{MaxSize(1 << 19)}, ErrTooLarge, "offset 5"},
		{"size beyond int64", transferBuf(1, uint64(1)<<63, 0), nil, ErrTooLarge, "offset 5"},
		{"count beyond size", transferBuf(1, ChunkSize+1, 3), nil, ErrBadTransfer, "offset 7"},
		{"count limit", transferBuf(1, 4*ChunkSize, 2, 0, 1, []byte{1}, 0, 1, []byte{1}), []Option{MaxUsed(ChunkSize)}, ErrTooLarge, "offset 8"},
		{"count beyond data", transferBuf(1, 4*ChunkSize, 4, 0, 1, []byte{1}), nil, ErrBadTransfer, "truncated"},
		{"index beyond end", transferBuf(1, 2*ChunkSize, 1, 2, 1, []byte{1}), nil, ErrBadTransfer, "offset 8"},
		{"second index beyond end", transferBuf(1, 2*ChunkSize, 2, 1, 1, []byte{1}, 0, 1, []byte{1}), nil, ErrBadTransfer, "offset 11"},
		{"zero length", transferBuf(1, ChunkSize, 1, 0, 0, []byte{1, 1}), nil, ErrBadTransfer, "offset 9"},
		{"length over chunk", transferBuf(1, 2*ChunkSize, 1, 0, ChunkSize+1, bytes.Repeat([]byte{1}, ChunkSize+1)), nil, ErrBadTransfer, "offset 9"},
		{"length past device end", transferBuf(1, 10, 1, 0, 11, bytes.Repeat([]byte{1}, 11)), nil, ErrBadTransfer, "offset 8"},
		{"data truncated", transferBuf(1, ChunkSize, 1, 0, 5, []byte{1, 2, 3}), nil, ErrBadTransfer, "truncated"},
		{"trailing zero", transferBuf(1, ChunkSize, 1, 0, 2, []byte{1, 0}), nil, ErrBadTransfer, "offset 11"},
		{"trailing bytes", append(bytes.Clone(ok), 0), nil, ErrBadTransfer, "1 bytes after"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := DecodeTransfer(c.b, c.opts...)
			if !errors.Is(err, c.want) || d != nil {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.at) {
				t.Fatalf("err = %v, want it to name %q", err, c.at)
			}
		})
	}
	// Every proper prefix of a valid buffer is an error.
	b := transferDevices()["random 7"].EncodeTransfer()
	for n := 0; n < len(b); n += 1 + n/64 {
		if _, err := DecodeTransfer(b[:n]); !errors.Is(err, ErrBadTransfer) {
			t.Fatalf("prefix of %d bytes: err = %v", n, err)
		}
	}
}

func FuzzDecodeTransfer(f *testing.F) {
	for _, d := range transferDevices() {
		f.Add(d.EncodeTransfer())
	}
	f.Add(transferBuf(1, 3*ChunkSize, 2, 0, 2, []byte{1, 2}, 1, 1, []byte{3}))
	f.Add([]byte("E4PD\x01"))
	r := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 300)
	for i := range junk {
		junk[i] = byte(r.UintN(256))
	}
	f.Add(append([]byte("E4PD\x01"), junk...))
	f.Fuzz(func(t *testing.T, b []byte) {
		const sizeMax, usedMax = 1 << 32, 64 * ChunkSize
		d, err := DecodeTransfer(b, MaxSize(sizeMax), MaxUsed(usedMax))
		if err != nil {
			if !errors.Is(err, ErrBadTransfer) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if d.Size() > sizeMax || d.Used() > usedMax {
			t.Fatalf("limits not enforced: size %d, used %d", d.Size(), d.Used())
		}
		// The encoding is unique: what decodes re-encodes to the input.
		if again := d.EncodeTransfer(); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x, input %x", again, b)
		}
		// Every stored chunk reads back through ReadAt.
		p := make([]byte, ChunkSize)
		for i, c := range d.chunks {
			n, _ := d.ReadAt(p, i*ChunkSize)
			if n < len(c.b) || !bytes.Equal(p[:len(c.b)], c.b) || !isZero(p[len(c.b):n]) {
				t.Fatalf("chunk %d does not read back", i)
			}
		}
	})
}
