package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/vugu/vugu"

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
	mark("loaded")
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
	mark("opened")
	// File contents are hashed after the first paint (addContent): in
	// wasm sha256 runs at ~50-90 MB/s, and the holes of a sparse sample
	// file alone cost more than everything else Inspect does.
	rep := fs.InspectWith(ext4.InspectOptions{SkipContent: true})
	return &opened{
		Name:     name,
		DevBytes: dev.Size(),
		dev:      dev,
		Report:   rep,
		content: func() (full *ext4.Report) {
			defer func() {
				if r := recover(); r != nil {
					full = nil
				}
			}()
			return fs.Inspect()
		},
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

// hashingNote is the status shown while addContent runs.
const hashingNote = "hashing file contents"

// addContent replaces the first report (made without file hashes) by the
// full one once the page has painted: the SHA-256 of each file, symlink
// targets kept in blocks and any problem found reading contents. Until
// then the page is busy, so "ready" still means complete.
func (c *Root) addContent(env vugu.EventEnv, img *opened) {
	if img.content == nil {
		return
	}
	defer c.guard(env, img.Name)
	c.setBusy(env, hashingNote)
	full := img.content()
	env.Lock()
	defer env.UnlockRender()
	if c.busy == hashingNote {
		c.busy = ""
	}
	if c.img != img || full == nil {
		return // another image was opened meanwhile, or the reader failed
	}
	mergeContent(img.Report, full)
	img.content = nil
	c.memo = memo{} // rows derived from the report
}

// mergeContent copies what only a content pass finds from full into r,
// in place, so the inode pointers the views hold stay valid.
func mergeContent(r, full *ext4.Report) {
	byIno := make(map[uint32]*ext4.InodeReport, len(full.Inodes))
	for i := range full.Inodes {
		byIno[full.Inodes[i].Ino] = &full.Inodes[i]
	}
	for i := range r.Inodes {
		if f := byIno[r.Inodes[i].Ino]; f != nil {
			r.Inodes[i].SHA256 = f.SHA256
			if f.Symlink != "" {
				r.Inodes[i].Symlink = f.Symlink
			}
		}
	}
	r.Problems = full.Problems
}
