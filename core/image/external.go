package image

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// ExternalCodec compresses and decompresses the formats a build does not
// link itself: under -tags extcodec (the page) that is xz and zstd, which
// the page hands to its codec Web Worker. Builds with the built-in codecs
// never call it.
type ExternalCodec interface {
	// Decode decompresses data, a whole xz or zstd stream read from the
	// file name, into a device within lim.
	Decode(data []byte, name string, format Format, lim Limits) (*Device, error)
	// Encode compresses the whole device into format (xz or zstd).
	Encode(d *Device, format Format) ([]byte, error)
}

// Limits are Load's bounds on a decompressed image, as handed to an
// ExternalCodec.
type Limits struct {
	MaxSize int64 // bytes of image (MaxSize)
	MaxUsed int64 // bytes of non-zero chunks (MaxUsed); 0 = no limit
}

// ExternalInputMax bounds the compressed bytes Load reads into memory to
// hand to an ExternalCodec (a stream decoder has no such limit: it never
// holds the whole input).
const ExternalInputMax int64 = 1 << 30

// externalInputMax is ExternalInputMax; tests lower it.
var externalInputMax = ExternalInputMax

// ErrNoCodec is returned for xz and zstd in a build without those codecs
// when no ExternalCodec is installed.
var ErrNoCodec = errors.New("xz/zstd images need the codec worker")

// errExternal is what a build's decoder or encoder returns for a format
// it leaves to the ExternalCodec.
var errExternal = errors.New("image: format left to the external codec")

func errUnknownFormat(f Format) error { return fmt.Errorf("image: unknown format %v", f) }

var externalCodec atomic.Pointer[ExternalCodec]

// SetExternalCodec installs c (nil removes it) for the formats this build
// does not link. Safe to call at any time; Load and Save use the codec
// installed when they start.
func SetExternalCodec(c ExternalCodec) {
	if c == nil {
		externalCodec.Store(nil)
		return
	}
	externalCodec.Store(&c)
}

func currentCodec() ExternalCodec {
	if p := externalCodec.Load(); p != nil {
		return *p
	}
	return nil
}

// loadExternal is Load for a format left to the external codec: the whole
// compressed input (at most ExternalInputMax bytes) goes to the codec
// with the limits, and the device it returns is checked against them.
// r is what br reads from: when it knows its length (bytes.Reader), the
// input is read into one buffer of the right size.
func loadExternal(r io.Reader, br *bufio.Reader, name string, format Format, cfg *loadConfig) (*Device, error) {
	c := currentCodec()
	if c == nil {
		return nil, fmt.Errorf("image: %s (%s): %w", name, format, ErrNoCodec)
	}
	var buf bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok && int64(l.Len()) < externalInputMax {
		buf.Grow(br.Buffered() + l.Len() + bytes.MinRead) // ReadFrom wants MinRead free to probe for EOF
	}
	n, err := buf.ReadFrom(io.LimitReader(br, externalInputMax+1))
	if err != nil {
		return nil, fmt.Errorf("image: reading %s at offset %d: %w", name, n, err)
	}
	if n > externalInputMax {
		return nil, fmt.Errorf("image: %s (%s): compressed input larger than %d bytes: %w", name, format, externalInputMax, ErrTooLarge)
	}
	d, err := c.Decode(buf.Bytes(), name, format, Limits{MaxSize: cfg.maxSize, MaxUsed: cfg.maxUsed})
	if err != nil {
		return nil, fmt.Errorf("image: %s (%s): %w", name, format, err)
	}
	if d.Size() > cfg.maxSize {
		return nil, fmt.Errorf("image: %s (%s): decompressed size %d exceeds %d bytes: %w", name, format, d.Size(), cfg.maxSize, ErrTooLarge)
	}
	if cfg.maxUsed > 0 && d.Used() > cfg.maxUsed {
		return nil, fmt.Errorf("image: %s (%s): data exceeds %d bytes of memory: %w", name, format, cfg.maxUsed, ErrTooLarge)
	}
	return d, nil
}

// saveExternal is Save for a format left to the external codec.
func (d *Device) saveExternal(w io.Writer, format Format) error {
	c := currentCodec()
	if c == nil {
		return fmt.Errorf("image: saving as %s: %w", format, ErrNoCodec)
	}
	b, err := c.Encode(d, format)
	if err != nil {
		return fmt.Errorf("image: %s: %w", format, err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("image: %s: write: %w", format, err)
	}
	return nil
}
