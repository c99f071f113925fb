package ext4

import (
	"math/rand/v2"
	"testing"

	"ext4play/core/image"
)

// runBase is the base image of an explore run as core/dio builds it for
// the default scenario: a 16 MiB filesystem (4 KiB blocks) with two empty
// files, flushed.
func runBase(tb testing.TB) (*image.Device, [2]uint32) {
	tb.Helper()
	dev, err := Mkfs(MkfsOptions{Size: 16 << 20, BlockSize: 4096, InodeSize: 256, Label: "scratch", Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	v, err := OpenVolume(dev)
	if err != nil {
		tb.Fatal(err)
	}
	var inos [2]uint32
	for i, name := range []string{"racer", "aio-dio-verifier"} {
		if inos[i], err = v.Create(EXT4_ROOT_INO, name, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := v.Flush(); err != nil {
		tb.Fatal(err)
	}
	return dev, inos
}

// typicalRun is the storage work of one run of the default generic/300
// scenario, roughly: 32 direct writes of 128 KiB into a 2 MiB file
// (map unwritten, write the data, convert), 8 fallocates, 8 punched 4 KiB
// holes, 32 verifier writes of 4 KiB into a second file, and the reads a
// verifier makes (Stat, extents, data). Seeded, so every run is the same.
func typicalRun(tb testing.TB, v *Volume, inos [2]uint32, data []byte, ext []ExtentInfo) []ExtentInfo {
	rng := rand.New(rand.NewPCG(5, 1))
	dev := v.Device()
	bs := int64(v.BlockSize())
	check := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	write := func(ino uint32, lblk, n uint32) {
		m, err := v.MapBlocks(ino, lblk, n, EXT4_GET_BLOCKS_IO_CREATE_EXT)
		check(err)
		_, err = dev.WriteAt(data[:int64(m.Len)*bs], int64(m.PBlk)*bs)
		check(err)
		check(v.ConvertUnwritten(ino, int64(lblk)*bs, int64(m.Len)*bs))
	}
	for i := 0; i < 32; i++ {
		write(inos[0], uint32(rng.IntN(16))*32, 32)
		if i%4 == 0 {
			check(v.Fallocate(inos[0], 0, int64(rng.IntN(64))*8*bs, 8*bs))
			check(v.PunchHole(inos[0], int64(rng.IntN(512))*bs, bs))
		}
	}
	for i := 0; i < 32; i++ {
		lblk := uint32(rng.IntN(512))
		write(inos[1], lblk, 1)
		st, err := v.Stat(inos[1])
		check(err)
		if end := int64(lblk+1) * bs; int64(st.Size()) < end {
			check(v.SetSize(inos[1], end))
		}
		ext, err = v.AppendExtents(ext[:0], inos[1])
		check(err)
		for _, e := range ext {
			if lblk >= e.LBlk && lblk < e.LBlk+e.Len {
				_, err = dev.ReadAt(data[:bs], int64(e.PBlk+uint64(lblk-e.LBlk))*bs)
				check(err)
			}
		}
	}
	return ext
}

// BenchmarkRunStorage is the per-run storage cost of exploring many
// schedules of one scenario: get a private copy of the base image, then
// the typical writes of a run (typicalRun). "clone" is a fresh
// Device.Clone and OpenVolume per run; "reset" is one pooled volume per
// worker, Volume.Reset to the base before each run.
func BenchmarkRunStorage(b *testing.B) {
	base, inos := runBase(b)
	data := make([]byte, 32*4096)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	var ext []ExtentInfo
	b.Run("clone", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			v, err := OpenVolume(base.Clone())
			if err != nil {
				b.Fatal(err)
			}
			ext = typicalRun(b, v, inos, data, ext)
		}
	})
	b.Run("reset", func(b *testing.B) {
		b.ReportAllocs()
		v, err := OpenVolume(base.Clone())
		if err != nil {
			b.Fatal(err)
		}
		for range b.N {
			if err := v.Reset(base); err != nil {
				b.Fatal(err)
			}
			ext = typicalRun(b, v, inos, data, ext)
		}
	})
	b.Run("clone-only", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := OpenVolume(base.Clone()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reset-only", func(b *testing.B) {
		b.ReportAllocs()
		v, err := OpenVolume(base.Clone())
		if err != nil {
			b.Fatal(err)
		}
		for range b.N {
			if err := v.Reset(base); err != nil {
				b.Fatal(err)
			}
		}
	})
}
