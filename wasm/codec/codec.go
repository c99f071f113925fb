// Command codec is the page's codec Web Worker: web/codec-worker.js runs
// it in its own wasm instance, and the page (built with -tags extcodec,
// without the xz and zstd codecs) sends it the images to decompress and
// the devices to compress. Devices cross in core/image's transfer format.
//
// This file is the worker's logic, plain Go; main_js.go binds it to the
// worker's messages.
package main

import (
	"bytes"
	"errors"
	"fmt"

	"ext4play/core/image"
)

// request is one message from the page.
//
//	load: Data is a compressed image (xz, zstd, gzip or raw) read from the
//	      file Name; the reply is its device in the transfer format, within
//	      MaxSize and MaxUsed.
//	save: Data is a device in the transfer format; the reply is the image
//	      compressed in Format ("xz" or "zstd"; "gzip" and "raw" work too).
type request struct {
	Op      string
	Name    string
	Format  string
	MaxSize int64 // bytes; 0 = image.DefaultMaxSize
	MaxUsed int64 // bytes; 0 = no limit
	Data    []byte
}

// handle answers one request. A panic in a codec comes back as an error:
// the worker must outlive a bad image.
func handle(req request) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("codec worker: internal error in %s of %q: %v", req.Op, req.Name, r)
		}
	}()
	if req.MaxSize < 0 || req.MaxUsed < 0 {
		return nil, fmt.Errorf("codec worker: negative limit (size %d, used %d)", req.MaxSize, req.MaxUsed)
	}
	maxSize := req.MaxSize
	if maxSize == 0 {
		maxSize = image.DefaultMaxSize
	}
	limits := []image.Option{image.MaxSize(maxSize), image.MaxUsed(req.MaxUsed)}
	switch req.Op {
	case "load":
		d, err := image.Load(bytes.NewReader(req.Data), req.Name, limits...)
		if err != nil {
			return nil, err
		}
		return d.EncodeTransfer(), nil
	case "save":
		f, err := image.ParseFormat(req.Format)
		if err != nil {
			return nil, err
		}
		d, err := image.DecodeTransfer(req.Data, limits...)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := d.Save(&b, f); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	return nil, errBadOp(req.Op)
}

var errBadRequest = errors.New("codec worker: bad request")

func errBadOp(op string) error {
	return fmt.Errorf("codec worker: unknown operation %q (want load or save): %w", op, errBadRequest)
}
