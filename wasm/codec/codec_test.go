package main

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"ext4play/core/image"
)

const sample = "../../examples/images/sample-ext4.img.zst"

// sameDevice compares two devices through ReadAt.
func sameDevice(t *testing.T, want, got *image.Device) {
	t.Helper()
	if got.Size() != want.Size() {
		t.Fatalf("size %d, want %d", got.Size(), want.Size())
	}
	a, b := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); off < want.Size(); off += int64(len(a)) {
		na, _ := want.ReadAt(a, off)
		nb, _ := got.ReadAt(b, off)
		if !bytes.Equal(a[:na], b[:nb]) {
			t.Fatalf("content differs in the MiB at %d", off)
		}
	}
}

// TestLoadSave: what the page asks for a sample, and for its download.
func TestLoadSave(t *testing.T) {
	zst, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	want, err := image.LoadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	out, err := handle(request{Op: "load", Name: "sample-ext4.img.zst", Data: zst, MaxSize: 64 << 30, MaxUsed: 768 << 20})
	if err != nil {
		t.Fatal(err)
	}
	got, err := image.DecodeTransfer(out)
	if err != nil {
		t.Fatal(err)
	}
	sameDevice(t, want, got)
	for _, f := range []string{"zstd", "xz"} {
		comp, err := handle(request{Op: "save", Format: f, Data: out, MaxSize: got.Size()})
		if err != nil {
			t.Fatal(err)
		}
		if image.Detect(comp).String() != f {
			t.Fatalf("save %s: output detected as %v", f, image.Detect(comp))
		}
		back, err := image.Load(bytes.NewReader(comp), "back")
		if err != nil {
			t.Fatal(err)
		}
		sameDevice(t, want, back)
	}
}

func TestErrors(t *testing.T) {
	zst, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	dev := image.New(1 << 20).EncodeTransfer()
	cases := []struct {
		name string
		req  request
		want error // nil: any error
	}{
		{"unknown op", request{Op: "frobnicate"}, errBadRequest},
		{"size limit", request{Op: "load", Name: "s.zst", Data: zst, MaxSize: 1 << 20}, image.ErrTooLarge},
		{"used limit", request{Op: "load", Name: "s.zst", Data: zst, MaxUsed: 4 << 10}, image.ErrTooLarge},
		{"truncated", request{Op: "load", Name: "s.zst", Data: zst[:len(zst)/2]}, nil},
		{"negative limit", request{Op: "load", Data: zst, MaxSize: -1}, nil},
		{"bad format", request{Op: "save", Format: "lz4", Data: dev}, nil},
		{"bad transfer data", request{Op: "save", Format: "zstd", Data: zst}, image.ErrBadTransfer},
		{"transfer size limit", request{Op: "save", Format: "zstd", Data: dev, MaxSize: 1 << 19}, image.ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := handle(c.req)
			if err == nil || out != nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("out %d bytes, err = %v, want %v", len(out), err, c.want)
			}
		})
	}
}
