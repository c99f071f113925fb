//go:build !extcodec

package image

// The codecs linked in by default (CLI, tests, the page's codec worker):
// klauspost/compress for gzip and zstd, ulikunitz/xz for xz. The page
// itself builds with -tags extcodec (codec_extcodec.go) and leaves xz and
// zstd to a Web Worker.

import (
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// zstdWindowMax bounds the window a zstd stream may ask for: its memory
// is allocated up front, before any data is checked.
const zstdWindowMax = 128 << 20

// decoder returns a reader of the decompressed stream r (gzip, xz or
// zstd) and a function that releases the decoder.
func decoder(r io.Reader, f Format) (io.Reader, func(), error) {
	switch f {
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case Xz:
		xr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return xr, func() {}, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdWindowMax))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return nil, nil, errUnknownFormat(f)
}

// encoder returns a writer that compresses into w (gzip, xz or zstd);
// Close ends the stream.
func encoder(w io.Writer, f Format) (io.WriteCloser, error) {
	switch f {
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.BestCompression)
	case Xz:
		return xz.NewWriter(w)
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	}
	return nil, errUnknownFormat(f)
}
