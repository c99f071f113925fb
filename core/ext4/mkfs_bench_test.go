package ext4

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkMkfs makes filesystems of the sizes the issue names, in
// memory, and reports the device's populated size (MiB-used: ChunkSize
// per non-hole chunk), the memory its chunks take (MiB-mem) and the live
// heap one image adds (MiB-heap).
func BenchmarkMkfs(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30, 16 << 30, 256 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			var used int64
			for i := 0; i < b.N; i++ {
				// Each mkfs starts on a collected heap, as a one-off mkfs in
				// the browser (or a fresh mke2fs process) does; otherwise the
				// previous iteration's image is garbage collected on our time.
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				dev, err := Mkfs(MkfsOptions{Size: size, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				used = dev.Used()
			}
			b.StopTimer()
			b.ReportMetric(float64(used)/(1<<20), "MiB-used")
			// The memory one image holds: the device's own count, and the
			// live heap it adds, measured outside the timed loop.
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			dev, err := Mkfs(MkfsOptions{Size: size, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&m1)
			b.ReportMetric(float64(dev.Footprint())/(1<<20), "MiB-mem")
			b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/(1<<20), "MiB-heap")
			runtime.KeepAlive(dev)
		})
	}
}

// BenchmarkStress measures the write side: 200 random operations on a
// 64 MiB filesystem.
func BenchmarkStress(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dev, err := Mkfs(MkfsOptions{Size: 64 << 20, BlockSize: 4096, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		v, err := OpenVolume(dev)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Stress(v, StressOptions{Seed: uint64(i), Ops: 200}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapBlocksDIO is the extent work of one allocating direct write
// of 16 blocks: MapBlocks(IO_CREATE_EXT) then conversion at completion.
func BenchmarkMapBlocksDIO(b *testing.B) {
	dev, err := Mkfs(MkfsOptions{Size: 1 << 30, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	v, err := OpenVolume(dev)
	if err != nil {
		b.Fatal(err)
	}
	ino, err := v.CreatePath("/f", 0o644)
	if err != nil {
		b.Fatal(err)
	}
	bs := int64(v.BlockSize())
	for i := 0; i < b.N; i++ {
		lblk := uint32(i%4096) * 32 // every other 16-block slot: a fragmented file
		if i%4096 == 0 && i > 0 {
			if err := v.Truncate(ino, 0); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := v.MapBlocks(ino, lblk, 16, EXT4_GET_BLOCKS_IO_CREATE_EXT); err != nil {
			b.Fatal(err)
		}
		if err := v.ConvertUnwritten(ino, int64(lblk)*bs, 16*bs); err != nil {
			b.Fatal(err)
		}
	}
}
