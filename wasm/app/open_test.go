package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ext4play/core/image"
)

// sampleRaw returns the decompressed bytes of a committed sample image.
func sampleRaw(t *testing.T, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "examples", "images", name)
	dev, err := image.LoadFile(p)
	if err != nil {
		t.Skipf("sample %s not available: %v", name, err)
	}
	var buf bytes.Buffer
	if err := dev.Save(&buf, image.Raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOpenSample runs the page's open path (decompress, read, preview
// bytes) on the bundled sample, natively.
func TestOpenSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "images", "sample-ext4.img.zst"))
	if err != nil {
		t.Skip("sample-ext4.img.zst not available")
	}
	img, err := openImage(data, "sample-ext4.img.zst")
	if err != nil {
		t.Fatal(err)
	}
	if img.Report == nil || img.Report.Superblock.BlocksCount == 0 || len(img.Report.Inodes) == 0 {
		t.Fatalf("empty report: %+v", img.Report)
	}
	files := 0
	for _, in := range img.Report.Inodes {
		if in.Type != "file" {
			continue
		}
		files++
		b, err := img.readBytes(in.Ino, previewBytes)
		if err != nil {
			t.Errorf("inode %d: %v", in.Ino, err)
		}
		if want := min(in.Size, previewBytes); uint64(len(b)) != want {
			t.Errorf("inode %d (size %d): preview of %d bytes, want %d", in.Ino, in.Size, len(b), want)
		}
	}
	if files == 0 {
		t.Error("no regular files in the sample")
	}

	// The page then shows it: every group gets a strip.
	c := &Root{}
	c.setImage(img)
	page := renderPage(t, c)
	if n := strings.Count(page, `class="srow"`); n != len(img.Report.Groups) {
		t.Errorf("%d bitmap strips for %d groups", n, len(img.Report.Groups))
	}
}

func TestOpenRejectsJunk(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"short":     []byte("ext4"),
		"zeros":     make([]byte, 64<<10),
		"bad zstd":  {0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3},
		"truncated": sampleRawPrefix(t, 3000),
	} {
		img, err := openImage(data, name)
		if err == nil {
			t.Errorf("%s: opened (%d inodes)", name, len(img.Report.Inodes))
			continue
		}
		if strings.Contains(err.Error(), "internal error") {
			t.Errorf("%s: reader panicked: %v", name, err)
		}
	}
}

func sampleRawPrefix(t *testing.T, n int) []byte {
	raw := sampleRaw(t, "sample-ext4.img.zst")
	return raw[:n]
}

// TestOpenSurvivesCorruption flips random bytes in the sample's metadata
// area (seeded, so a failure replays) and checks the page's open path
// ends in a report or an error, never in a recovered panic.
func TestOpenSurvivesCorruption(t *testing.T) {
	raw := sampleRaw(t, "sample-ext4.img.zst")
	meta := min(len(raw), 512<<10)
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for seed := uint64(1); seed <= uint64(rounds); seed++ {
		r := rand.New(rand.NewPCG(seed, 0x65787434))
		img := bytes.Clone(raw)
		for range 1 + r.IntN(32) {
			img[1024+r.IntN(meta-1024)] ^= byte(1 + r.IntN(255))
		}
		opened, err := openImage(img, "mutated.img")
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Errorf("seed %d: %v", seed, err)
			}
			continue
		}
		for _, in := range opened.Report.Inodes {
			if _, err := opened.readBytes(in.Ino, previewBytes); err != nil && strings.Contains(err.Error(), "internal error") {
				t.Errorf("seed %d: inode %d: %v", seed, in.Ino, err)
			}
		}
	}
}
