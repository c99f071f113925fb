package ext4

import (
	"encoding/binary"
	"testing"
)

// FuzzCorruptVolume corrupts metadata of a small used filesystem and then
// runs operations on it: every failure must be an error, never a panic or
// a hang. The input is a list of (block, offset, value) patches.
func FuzzCorruptVolume(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 0, 0, 0x60, 0xFF})             // superblock incompat
	f.Add([]byte{0, 2, 0, 0, 0x00, 0x00, 0x7f, 0x00}) // group descriptor
	f.Add([]byte{0, 0x13, 0, 0, 0x28, 0x12, 0, 0})    // an extent header
	f.Fuzz(func(t *testing.T, patches []byte) {
		dev, err := Mkfs(MkfsOptions{Size: 2 << 20, Seed: 5, Inodes: 64, JournalBlocks: 1024})
		if err != nil {
			t.Fatal(err)
		}
		v, err := OpenVolume(dev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Stress(v, StressOptions{Seed: 5, Ops: 25}); err != nil {
			t.Fatal(err)
		}
		blocks := v.sb.BlocksCount()
		for len(patches) >= 6 {
			blk := uint64(binary.BigEndian.Uint16(patches[0:2])) % blocks
			off := uint64(binary.BigEndian.Uint16(patches[2:4])) % uint64(v.BlockSize())
			dev.WriteAt(patches[4:6], int64(blk*uint64(v.BlockSize())+off))
			patches = patches[6:]
		}
		v2, err := OpenVolume(dev)
		if err != nil {
			return
		}
		Stress(v2, StressOptions{Seed: 6, Ops: 25})
	})
}
