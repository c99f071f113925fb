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

// openRaw writes flat to a file and opens it as a FileDevice.
func openRaw(t *testing.T, flat []byte) (*FileDevice, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.img")
	if err := os.WriteFile(path, flat, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := OpenFileDevice(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	return fd, path
}

// TestFileDeviceView checks that View lends exactly the file's bytes for
// random ranges, in order, and refuses ranges past the end without
// calling fn.
func TestFileDeviceView(t *testing.T) {
	_, flat := randomDevice(5)
	fd, _ := openRaw(t, flat)
	checkView(t, fd, flat, rand.New(rand.NewPCG(5, 6)), 700<<10, nil)
}

// TestFileDeviceReadAtEdges checks reads that end at, cross and start past
// the end of the file.
func TestFileDeviceReadAtEdges(t *testing.T) {
	_, flat := randomDevice(7)
	fd, _ := openRaw(t, flat)
	size := int64(len(flat))
	p := make([]byte, 100)
	if n, err := fd.ReadAt(p, size-100); n != 100 || err != nil || !bytes.Equal(p, flat[size-100:]) {
		t.Errorf("read ending at EOF: %d, %v", n, err)
	}
	if n, err := fd.ReadAt(p, size-40); n != 40 || err != io.EOF || !bytes.Equal(p[:40], flat[size-40:]) {
		t.Errorf("read crossing EOF: %d, %v; want 40, EOF", n, err)
	}
	if n, err := fd.ReadAt(p, size); n != 0 || err != io.EOF {
		t.Errorf("read at EOF: %d, %v; want 0, EOF", n, err)
	}
	if _, err := fd.ReadAt(p, -1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("read at -1: %v; want ErrOutOfRange", err)
	}
}

// TestFileDeviceTruncated shrinks the file after it was opened: bytes that
// are gone must give an error (no crash, no silent zeros), bytes still
// there must read as before.
func TestFileDeviceTruncated(t *testing.T) {
	_, flat := randomDevice(8)
	fd, path := openRaw(t, flat)
	const keep = 512 << 10 // page- and window-aligned
	if err := os.Truncate(path, keep); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 4096)
	if n, err := fd.ReadAt(p, keep-4096); n != 4096 || err != nil || !bytes.Equal(p, flat[keep-4096:keep]) {
		t.Errorf("read before the cut: %d, %v", n, err)
	}
	if _, err := fd.ReadAt(p, keep+100<<10); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("read past the cut: %v; want ErrOutOfRange", err)
	}
	// fn touches the bytes: on a mapping that is where the fault happens.
	var sum byte
	if err := fd.View(keep+8192, 4096, func(b []byte) {
		for _, c := range b {
			sum += c
		}
	}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("view past the cut: %v; want ErrOutOfRange", err)
	}
}

// TestFileDeviceEmpty opens a zero-length file, which cannot be mapped.
func TestFileDeviceEmpty(t *testing.T) {
	fd, _ := openRaw(t, nil)
	if fd.Size() != 0 {
		t.Fatalf("size %d", fd.Size())
	}
	if n, err := fd.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
		t.Errorf("ReadAt: %d, %v; want 0, EOF", n, err)
	}
	if err := fd.View(0, 0, func([]byte) { t.Error("fn called for an empty view") }); err != nil {
		t.Errorf("View(0, 0): %v", err)
	}
}

// TestFileDeviceViewPanic checks that a panic in fn is not mistaken for
// a fault on the file and goes on to the caller.
func TestFileDeviceViewPanic(t *testing.T) {
	_, flat := randomDevice(9)
	fd, _ := openRaw(t, flat)
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v; want boom", r)
		}
	}()
	fd.View(0, 10, func([]byte) { panic("boom") })
	t.Error("View returned after fn panicked")
}
