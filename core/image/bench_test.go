package image

import (
	"bytes"
	"testing"
)

// BenchmarkRunDevice is the device side of one explore run: a private
// copy of a base image (a few dozen metadata chunks), 256 data blocks
// written and a few metadata blocks changed. "clone" takes a fresh
// Clone per run; "reset" keeps one device and ResetTo's the base.
func BenchmarkRunDevice(b *testing.B) {
	base := New(16 << 20)
	for i := int64(0); i < 40; i++ {
		base.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, 200+int(i)*90), i*ChunkSize)
	}
	data := bytes.Repeat([]byte{0x5a}, 32*ChunkSize)
	meta := bytes.Repeat([]byte{7}, 256)
	run := func(d *Device) {
		for k := int64(0); k < 8; k++ {
			d.WriteAt(data, (512+k*64)*ChunkSize)
			d.WriteAt(meta, k*5*ChunkSize+512) // copy-on-write of a base chunk
		}
	}
	b.Run("clone", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			run(base.Clone())
		}
	})
	b.Run("reset", func(b *testing.B) {
		b.ReportAllocs()
		d := base.Clone()
		for range b.N {
			d.ResetTo(base)
			run(d)
		}
	})
}
