package image

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestSparseReadWrite(t *testing.T) {
	d := New(1 << 40) // 1 TiB costs nothing until written
	if d.Used() != 0 {
		t.Fatalf("Used = %d, want 0", d.Used())
	}
	data := []byte("hello, ext4")
	off := int64(1<<40 - 5000)
	if _, err := d.WriteAt(data, off); err != nil {
		t.Fatal(err)
	}
	if d.Used() != 2*ChunkSize && d.Used() != ChunkSize {
		t.Fatalf("Used = %d after one small write", d.Used())
	}
	got := make([]byte, len(data)+4)
	if _, err := d.ReadAt(got, off-2); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{0, 0}, data...), 0, 0)
	if !bytes.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	// Writing zeros into a hole allocates nothing.
	if _, err := d.WriteAt(make([]byte, 3*ChunkSize), 0); err != nil {
		t.Fatal(err)
	}
	if d.Used() > 2*ChunkSize {
		t.Fatalf("zero write allocated: Used = %d", d.Used())
	}
}

func TestBounds(t *testing.T) {
	d := New(10000)
	if _, err := d.WriteAt([]byte{1, 2}, 9999); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("write past end: err = %v", err)
	}
	if _, err := d.WriteAt([]byte{1}, -1); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("negative write: err = %v", err)
	}
	p := make([]byte, 10)
	n, err := d.ReadAt(p, 9995)
	if n != 5 || err != io.EOF {
		t.Fatalf("short read: n=%d err=%v", n, err)
	}
	if _, err := d.ReadAt(p, 20000); err != io.EOF {
		t.Fatalf("read past end: %v", err)
	}
}

func TestDiscard(t *testing.T) {
	d := New(5 * ChunkSize)
	buf := bytes.Repeat([]byte{0xab}, 5*ChunkSize)
	d.WriteAt(buf, 0)
	if d.Used() != 5*ChunkSize {
		t.Fatalf("Used = %d", d.Used())
	}
	if err := d.Discard(100, 3*ChunkSize); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5*ChunkSize)
	d.ReadAt(got, 0)
	for i, b := range got {
		want := byte(0xab)
		if i >= 100 && i < 100+3*ChunkSize {
			want = 0
		}
		if b != want {
			t.Fatalf("byte %d = %#x, want %#x", i, b, want)
		}
	}
	if d.Used() != 3*ChunkSize {
		t.Fatalf("Used after discard = %d, want %d", d.Used(), 3*ChunkSize)
	}
	if err := d.Discard(0, 6*ChunkSize); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("discard past end: %v", err)
	}
}

func randomDevice(seed uint64) (*Device, []byte) {
	r := rand.New(rand.NewPCG(seed, 1))
	size := int64(1<<20 + 123)
	d := New(size)
	flat := make([]byte, size)
	for range 40 {
		off := r.Int64N(size - 9000)
		n := r.IntN(9000)
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.UintN(256))
		}
		d.WriteAt(p, off)
		copy(flat[off:], p)
	}
	return d, flat
}

func TestSaveLoadRoundTrip(t *testing.T) {
	d, flat := randomDevice(7)
	dir := t.TempDir()
	for _, name := range []string{"a.img", "a.img.gz", "a.img.xz", "a.img.zst"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := d.SaveFile(path); err != nil {
				t.Fatal(err)
			}
			// Detection is by magic, not name: load through a renamed copy.
			raw, _ := os.ReadFile(path)
			if FormatForName(name) != Raw && Detect(raw) != FormatForName(name) {
				t.Fatalf("Detect = %v, want %v", Detect(raw), FormatForName(name))
			}
			got, err := Load(bytes.NewReader(raw), "renamed.bin")
			if err != nil {
				t.Fatal(err)
			}
			if got.Size() != int64(len(flat)) {
				t.Fatalf("size %d, want %d", got.Size(), len(flat))
			}
			back := make([]byte, len(flat))
			got.ReadAt(back, 0)
			if !bytes.Equal(back, flat) {
				t.Fatal("content differs after round trip")
			}
			if got.Used() > d.Used() {
				t.Fatalf("loaded Used %d > original %d", got.Used(), d.Used())
			}
		})
	}
}

func TestSparseRawFile(t *testing.T) {
	d := New(64 << 20)
	d.WriteAt([]byte("end"), 64<<20-3)
	path := filepath.Join(t.TempDir(), "s.img")
	if err := d.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Size() != 64<<20 {
		t.Fatalf("file size %d", st.Size())
	}
	raw, _ := os.ReadFile(path)
	if string(raw[len(raw)-3:]) != "end" || !isZero(raw[:len(raw)-3]) {
		t.Fatal("sparse file content wrong")
	}
}

func TestMaxSize(t *testing.T) {
	d := New(1 << 20)
	var buf bytes.Buffer
	if err := d.Save(&buf, Zstd); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bytes.NewReader(buf.Bytes()), "bomb.zst", MaxSize(512<<10))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	d2, _ := randomDevice(3)
	buf.Reset()
	d2.Save(&buf, Raw)
	if _, err := Load(&buf, "x", MaxUsed(8192)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxUsed: err = %v", err)
	}
}

func TestCorruptCompressed(t *testing.T) {
	d, _ := randomDevice(5)
	for _, f := range []Format{Gzip, Xz, Zstd} {
		var buf bytes.Buffer
		d.Save(&buf, f)
		b := buf.Bytes()
		trunc := b[:len(b)/2]
		if _, err := Load(bytes.NewReader(trunc), "t"); err == nil {
			t.Errorf("%v: truncated stream loaded without error", f)
		}
	}
}

func TestFileDevice(t *testing.T) {
	d, flat := randomDevice(9)
	dir := t.TempDir()
	raw := filepath.Join(dir, "r.img")
	d.SaveFile(raw)
	fd, err := OpenFileDevice(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if fd.Size() != int64(len(flat)) {
		t.Fatalf("size %d", fd.Size())
	}
	p := make([]byte, 5000)
	fd.ReadAt(p, 1000)
	if !bytes.Equal(p, flat[1000:6000]) {
		t.Fatal("content differs")
	}
	d.SaveFile(filepath.Join(dir, "r.img.zst"))
	if _, err := OpenFileDevice(filepath.Join(dir, "r.img.zst")); err == nil {
		t.Fatal("compressed file opened as raw")
	}
}

func TestFileDeviceWindows(t *testing.T) {
	d, flat := randomDevice(11) // 1 MiB + 123 bytes: five windows, the last short
	raw := filepath.Join(t.TempDir(), "w.img")
	d.SaveFile(raw)
	fd, err := OpenFileDevice(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	r := rand.New(rand.NewPCG(11, 2))
	for range 500 {
		off := r.Int64N(int64(len(flat)))
		n := r.IntN(600 << 10)
		p := make([]byte, n)
		got, err := fd.ReadAt(p, off)
		want := min(n, len(flat)-int(off))
		if got != want || (got < n) != (err == io.EOF) || !bytes.Equal(p[:got], flat[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d bytes", n, off, got, err, want)
		}
	}
}

// TestView checks that View lends exactly the bytes ReadAt copies, in
// pieces that never cross a chunk, and refuses ranges past the end.
func TestView(t *testing.T) {
	d, flat := randomDevice(3)
	checkView(t, d, flat, rand.New(rand.NewPCG(3, 4)), int64(len(flat)), func(off, n, pos int64, b []byte) {
		if len(b) > ChunkSize {
			t.Fatalf("View(%d, %d): piece of %d bytes", off, n, len(b))
		}
		if pos/ChunkSize != (pos+int64(len(b))-1)/ChunkSize {
			t.Fatalf("View(%d, %d): piece at %d of %d bytes crosses a chunk", off, n, pos, len(b))
		}
	})
}

// checkView compares what v.View lends over 300 random ranges of at most
// nMax bytes with flat (piece, when set, checks each piece lent at pos),
// and checks that ranges past the end are refused without calling fn.
func checkView(t *testing.T, v interface {
	View(off, n int64, fn func([]byte)) error
}, flat []byte, r *rand.Rand, nMax int64, piece func(off, n, pos int64, b []byte)) {
	t.Helper()
	size := int64(len(flat))
	for range 300 {
		off := r.Int64N(size + 1)
		n := r.Int64N(min(size-off, nMax) + 1)
		var got []byte
		err := v.View(off, n, func(b []byte) {
			if len(b) == 0 {
				t.Fatalf("View(%d, %d): empty piece", off, n)
			}
			if piece != nil {
				piece(off, n, off+int64(len(got)), b)
			}
			got = append(got, b...)
		})
		if err != nil {
			t.Fatalf("View(%d, %d): %v", off, n, err)
		}
		if !bytes.Equal(got, flat[off:off+n]) {
			t.Fatalf("View(%d, %d) differs from the data", off, n)
		}
	}
	for _, c := range []struct{ off, n int64 }{{-1, 1}, {size, 1}, {size - 10, 11}, {0, -1}, {size + 1, 0}} {
		called := false
		if err := v.View(c.off, c.n, func([]byte) { called = true }); !errors.Is(err, ErrOutOfRange) || called {
			t.Errorf("View(%d, %d): err %v, fn called %v; want ErrOutOfRange and no call", c.off, c.n, err, called)
		}
	}
}
