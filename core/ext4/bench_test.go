package ext4

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"ext4play/core/image"
)

// benchImage builds (once, cached under os.TempDir) a 1 GiB ext4 image
// holding 10,000 files in 100 directories with mke2fs -d. File sizes are
// deterministic, 0–32 KiB.
func benchImage(b *testing.B) string {
	needTools(b)
	dir := filepath.Join(os.TempDir(), "ext4play-bench-go")
	img := filepath.Join(dir, "inspect-1g-10k.img")
	done := img + ".done"
	if _, err := os.Stat(done); err == nil {
		return img
	}
	os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	r := detRand(10000)
	for d := range 100 {
		sub := filepath.Join(src, fmt.Sprintf("dir%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			data := randBytes(r, r.IntN(32<<10))
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("file%03d.dat", f)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	mkfs(b, dir, "inspect-1g-10k.img", 1<<20, "-t", "ext4", "-d", src)
	os.RemoveAll(src)
	os.WriteFile(done, nil, 0o644)
	return img
}

// BenchmarkInspect1GiB10kFiles measures Inspect (every inode, mapping,
// sha256 of every file, the directory tree) on the cached image, read in
// place from the raw file.
func BenchmarkInspect1GiB10kFiles(b *testing.B) {
	img := benchImage(b)
	dev, err := image.OpenFileDevice(img)
	if err != nil {
		b.Fatal(err)
	}
	defer dev.Close()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Inspect(dev)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Paths) < 10000 || len(rep.Problems) != 0 {
			b.Fatalf("%d paths, problems %v", len(rep.Paths), rep.Problems)
		}
	}
}

// BenchmarkInspectSample measures Inspect on the in-memory sample image.
func BenchmarkInspectSample(b *testing.B) {
	dev := sample(b, "sample-ext4.img.zst")
	for b.Loop() {
		if _, err := Inspect(dev); err != nil {
			b.Fatal(err)
		}
	}
}
