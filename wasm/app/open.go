package main

import (
	"bytes"
	"fmt"
	"io"

	"ext4play/core/ext4"
	"ext4play/core/image"
)

// Bounds on what a page will hold in memory: the decompressed device size
// (sparse, so a big mostly-empty image is fine) and the bytes it really
// holds.
const (
	deviceSizeMax = 64 << 30
	deviceUsedMax = 768 << 20
)

// openImage decodes an image file (raw, gzip, xz or zstd) and reads it with
// core/ext4. An error means nothing could be shown; inconsistencies the
// reader can live with come back as Report.Problems.
func openImage(data []byte, name string) (img *opened, err error) {
	// The reader promises errors, not panics, on bad input; if it ever
	// breaks that promise the page must survive and say so.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("internal error in the ext4 reader (please report this image): %v", r)
		}
	}()
	dev, err := image.Load(bytes.NewReader(data), name, image.MaxSize(deviceSizeMax), image.MaxUsed(deviceUsedMax))
	if err != nil {
		return nil, err
	}
	return openDevice(dev, name)
}

// openDevice reads a device already in memory (loaded, or made by mkfs in
// the page) with core/ext4.
func openDevice(dev *image.Device, name string) (img *opened, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("internal error in the ext4 reader (please report this image): %v", r)
		}
	}()
	fs, err := ext4.Open(dev)
	if err != nil {
		return nil, err
	}
	rep := fs.Inspect()
	return &opened{
		Name:     name,
		DevBytes: dev.Size(),
		dev:      dev,
		Report:   rep,
		readBytes: func(ino uint32, n int) (b []byte, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("internal error reading inode %d: %v", ino, r)
				}
			}()
			p := make([]byte, n)
			k, err := fs.ReadAt(ino, p, 0)
			if err == io.EOF {
				err = nil
			}
			return p[:k], err
		},
	}, nil
}
