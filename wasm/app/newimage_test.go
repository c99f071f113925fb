package main

import (
	"strings"
	"testing"

	"ext4play/core/ext4"
)

func TestNewImageFormDefaults(t *testing.T) {
	f := newForm()
	if l := f.featureList(); l != "" {
		t.Fatalf("default form gives -O %q, want none (mke2fs -t ext4 defaults)", l)
	}
	o, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Size != 64<<20 || o.ReservedPercent >= 0 || o.BlockSize != 0 {
		t.Fatalf("default options %+v", o)
	}
	// Every checkbox names a feature core/ext4 knows.
	for _, nf := range niFeatures {
		if _, err := ext4.ParseFeature(nf.Name); err != nil {
			t.Errorf("checkbox %s: %v", nf.Name, err)
		}
	}
}

func TestNewImageFormToggles(t *testing.T) {
	f := newForm()
	f.feats["has_journal"] = false
	f.feats["uninit_bg"] = true
	if got, want := f.featureList(), "^has_journal,uninit_bg"; got != want {
		t.Fatalf("featureList = %q, want %q", got, want)
	}
	f.feats["uninit_bg"] = false
	f.Size, f.BlockSize, f.Label = "32M", "1024", "t1"
	o, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.name(o); got != "new-32M-1k-t1.img" {
		t.Errorf("name = %q", got)
	}
	dev, err := ext4.Mkfs(o)
	if err != nil {
		t.Fatal(err)
	}
	img, err := openDevice(dev, f.name(o))
	if err != nil {
		t.Fatal(err)
	}
	sb := img.Report.Superblock
	if sb.BlocksCount != 32768 || sb.BlockSize != 1024 || img.Report.Journal != nil {
		t.Errorf("blocks %d × %d, journal %v", sb.BlocksCount, sb.BlockSize, img.Report.Journal != nil)
	}
	if len(img.Report.Problems) != 0 {
		t.Errorf("problems: %v", img.Report.Problems)
	}
	name, data, err := encodeImage(img.dev, img.Name, "img")
	if err != nil || name != "new-32M-1k-t1.img" || len(data) != 32<<20 {
		t.Errorf("raw download: %q, %d bytes, %v", name, len(data), err)
	}
	name, data, err = encodeImage(img.dev, img.Name, "img.zst")
	if err != nil || name != "new-32M-1k-t1.img.zst" || len(data) == 0 || len(data) > 1<<20 {
		t.Errorf("zstd download: %q, %d bytes, %v", name, len(data), err)
	}
}

func TestNewImageFormErrors(t *testing.T) {
	for _, tc := range []struct{ field, val, want string }{
		{"size", "12Q", "size"},
		{"size", "0", "size"},
		{"size", "100G", "more than the page holds"},
		{"bs", "abc", "block size"},
		{"isize", "x", "inode size"},
		{"seed", "-1", "seed"},
	} {
		f := newForm()
		switch tc.field {
		case "size":
			f.Size = tc.val
		case "bs":
			f.BlockSize = tc.val
		case "isize":
			f.InodeSize = tc.val
		case "seed":
			f.Seed = tc.val
		}
		if _, err := f.options(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: err %v, want it to mention %q", tc.field, tc.val, err, tc.want)
		}
	}
}

func TestParseSizeUnits(t *testing.T) {
	for in, want := range map[string]int64{"64M": 64 << 20, "16G": 16 << 30, "1.5K": 1536, "4096": 4096, "2 GiB": 2 << 30, "1t": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
