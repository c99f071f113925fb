package ext4

import (
	"testing"

	"ext4play/core/image"
)

// BenchmarkInspect1GiB10kFilesInMemory is BenchmarkInspect1GiB10kFiles
// with the image loaded into a sparse in-memory device, as the browser
// and compressed images have it: content is hashed from the device's
// chunks.
func BenchmarkInspect1GiB10kFilesInMemory(b *testing.B) {
	dev, err := image.LoadFile(benchImage(b))
	if err != nil {
		b.Fatal(err)
	}
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
