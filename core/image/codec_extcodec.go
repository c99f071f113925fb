//go:build extcodec

package image

// The page's build (-tags extcodec): gzip through the standard library
// (its compress/flate is linked anyway), xz and zstd through the external
// codec the page installs (SetExternalCodec), which runs them in a Web
// Worker. Leaving klauspost/compress and ulikunitz/xz out saves about
// 1.6 MB of the page's wasm (250 KB brotli).

import (
	"compress/gzip"
	"io"
)

// decoder returns a reader of the decompressed gzip stream r; for xz and
// zstd it returns errExternal.
func decoder(r io.Reader, f Format) (io.Reader, func(), error) {
	switch f {
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case Xz, Zstd:
		return nil, nil, errExternal
	}
	return nil, nil, errUnknownFormat(f)
}

// encoder returns a writer that gzips into w; for xz and zstd it returns
// errExternal.
func encoder(w io.Writer, f Format) (io.WriteCloser, error) {
	switch f {
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.BestCompression)
	case Xz, Zstd:
		return nil, errExternal
	}
	return nil, errUnknownFormat(f)
}
