//go:build extcodec

package image

// Under -tags extcodec this package links no xz or zstd codec; the tests
// that save and load those formats run through testCodec, which does
// what the page's codec worker does: the device crosses as transfer data
// and the codecs are the ones the worker links.

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type testCodec struct{}

func (testCodec) Decode(data []byte, name string, format Format, lim Limits) (*Device, error) {
	var r io.Reader
	switch format {
	case Zstd:
		zr, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	case Xz:
		xr, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = xr
	default:
		return nil, errUnknownFormat(format)
	}
	d, err := Load(r, name, MaxSize(lim.MaxSize), MaxUsed(lim.MaxUsed))
	if err != nil {
		return nil, err
	}
	return DecodeTransfer(d.EncodeTransfer(), MaxSize(lim.MaxSize), MaxUsed(lim.MaxUsed))
}

func (testCodec) Encode(d *Device, format Format) ([]byte, error) {
	d, err := DecodeTransfer(d.EncodeTransfer())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	var w io.WriteCloser
	switch format {
	case Zstd:
		w, err = zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	case Xz:
		w, err = xz.NewWriter(&buf)
	default:
		err = errUnknownFormat(format)
	}
	if err != nil {
		return nil, err
	}
	if err := d.writeAll(w); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func init() { SetExternalCodec(testCodec{}) }

// TestExternalNone: without an installed codec xz and zstd fail with
// ErrNoCodec, in Load and in Save, and gzip still works.
func TestExternalNone(t *testing.T) {
	d, flat := randomDevice(3)
	var zst, gz bytes.Buffer
	if err := d.Save(&zst, Zstd); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(&gz, Gzip); err != nil {
		t.Fatal(err)
	}
	SetExternalCodec(nil)
	defer SetExternalCodec(testCodec{})
	if _, err := Load(bytes.NewReader(zst.Bytes()), "a.img.zst"); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("Load: err = %v, want ErrNoCodec", err)
	}
	if err := d.Save(io.Discard, Xz); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("Save: err = %v, want ErrNoCodec", err)
	}
	got, err := Load(bytes.NewReader(gz.Bytes()), "a.img.gz")
	if err != nil {
		t.Fatal(err)
	}
	back := make([]byte, len(flat))
	got.ReadAt(back, 0)
	if !bytes.Equal(back, flat) {
		t.Fatal("gzip round trip differs")
	}
}

// TestExternalInputMax: compressed input beyond the bound is refused
// before the codec sees it.
func TestExternalInputMax(t *testing.T) {
	d, _ := randomDevice(3)
	var zst bytes.Buffer
	if err := d.Save(&zst, Zstd); err != nil {
		t.Fatal(err)
	}
	defer func(n int64) { externalInputMax = n }(externalInputMax)
	externalInputMax = int64(zst.Len()) - 1
	if _, err := Load(bytes.NewReader(zst.Bytes()), "a.img.zst"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	externalInputMax = int64(zst.Len())
	if _, err := Load(io.MultiReader(bytes.NewReader(zst.Bytes())), "a.img.zst"); err != nil {
		t.Fatalf("input of exactly the bound: %v", err)
	}
}

// lyingCodec returns a device larger than the limits it was given.
type lyingCodec struct{}

func (lyingCodec) Decode([]byte, string, Format, Limits) (*Device, error) { return New(1 << 30), nil }
func (lyingCodec) Encode(*Device, Format) ([]byte, error)                 { return nil, errors.New("no") }

// TestExternalLimits: Load checks the codec's device against its limits.
func TestExternalLimits(t *testing.T) {
	SetExternalCodec(lyingCodec{})
	defer SetExternalCodec(testCodec{})
	_, err := Load(bytes.NewReader(magicZstd), "x.zst", MaxSize(1<<20))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}
