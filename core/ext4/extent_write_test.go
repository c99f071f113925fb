package ext4

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// treeOp is one random extent-changing operation on a fragmented file
// of span blocks: unwritten allocation over a hole (PRE_IO or merging),
// conversion to written, a written range made unwritten (zero range's
// map), or a punched hole.
func treeOp(v *Volume, ino uint32, r *rand.Rand, span uint32) error {
	bs := int64(v.BlockSize())
	lblk := uint32(r.IntN(int(span)))
	n := uint32(1 + r.IntN(8))
	switch r.IntN(5) {
	case 0:
		_, err := v.MapBlocks(ino, lblk, n, EXT4_GET_BLOCKS_IO_CREATE_EXT)
		return err
	case 1:
		_, err := v.MapBlocks(ino, lblk, n, EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT)
		return err
	case 2:
		return v.ConvertUnwritten(ino, int64(lblk)*bs, int64(n)*bs)
	case 3:
		_, err := v.MapBlocksExtra(ino, lblk, n, EXT4_GET_BLOCKS_CREATE, MapExtra{ConvertUnwritten: true})
		return err
	default:
		return v.PunchHole(ino, int64(lblk)*bs, int64(n)*bs)
	}
}

// fragmentedFile makes /frag with one unwritten block every other block
// over span blocks (span/2 extents that cannot merge).
func fragmentedFile(tb testing.TB, v *Volume, span uint32) uint32 {
	tb.Helper()
	ino, err := v.CreatePath("/frag", 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	// The size covers the span, so written extents are within i_size.
	if err := v.SetSize(ino, int64(span)*int64(v.BlockSize())); err != nil {
		tb.Fatal(err)
	}
	for l := uint32(0); l < span; l += 2 {
		if _, err := v.MapBlocks(ino, l, 1, EXT4_GET_BLOCKS_IO_CREATE_EXT); err != nil {
			tb.Fatal(err)
		}
	}
	return ino
}

// diskExtents walks ino's tree on the device (headers, checksums, depth)
// without the cache, checking every index key against its child's first
// key, and returns the extents and tree blocks found.
func diskExtents(t *testing.T, v *Volume, ino uint32) ([]xent, []uint64) {
	t.Helper()
	in, err := v.readInode(ino)
	if err != nil {
		t.Fatal(err)
	}
	var x xtree
	if err := v.walkNode(ino, in, in.BlockBytes(), -1, 0, &x); err != nil {
		t.Fatal(err)
	}
	var check func(b []byte)
	check = func(b []byte) {
		h, _ := DecodeExtentHeader(b)
		for i := 0; h.Depth > 0 && i < int(h.Entries); i++ {
			idx := DecodeExtentIdx(b[ExtentEntrySize*(i+1):])
			child, _ := v.readBlock(idx.Leaf())
			ch, _ := DecodeExtentHeader(child)
			if ch.Entries == 0 {
				t.Fatalf("inode %d: empty node at block %d", ino, idx.Leaf())
			}
			if first := getLE32(child, ExtentEntrySize); first != idx.Block {
				t.Fatalf("inode %d: index key %d, child %d starts at %d", ino, idx.Block, idx.Leaf(), first)
			}
			check(child)
		}
	}
	check(in.BlockBytes())
	return x.exts, x.blocks
}

// TestIncrementalTreeMatchesRebuild runs the same random operations on a
// many-extent file twice, storing only changed leaves and storing every
// tree whole: the extents, tree blocks, i_blocks and free counts must be
// the same after every operation (allocation unchanged), the incremental
// tree on disk must hold exactly the cached extents with correct index
// keys, and e2fsck must accept it as it grows and shrinks in depth.
func TestIncrementalTreeMatchesRebuild(t *testing.T) {
	for _, c := range []struct {
		bs   uint32
		span uint32 // 1 KiB blocks: 84 entries a node, so depth 2 with several index nodes, then depth 3
		ops  int
		mib  int64 // filesystem size: 16 MiB fills up (ENOSPC keeps the cached trees)
	}{{1024, 16000, 3000, 96}, {4096, 6000, 1500, 96}, {1024, 60000, 300, 96}, {4096, 5000, 1500, 16}} {
		t.Run(fmt.Sprint(c.bs, "/", c.span, "/", c.mib), func(t *testing.T) {
			inc := newTestVolume(t, MkfsOptions{Size: c.mib << 20, BlockSize: c.bs, Seed: 3})
			full := newTestVolume(t, MkfsOptions{Size: c.mib << 20, BlockSize: c.bs, Seed: 3})
			ino := fragmentedFile(t, inc, c.span)
			if fragmentedFile(t, full, c.span) != ino {
				t.Fatal("different inode numbers")
			}
			full.fullTrees = true
			ri, rf := detRand(uint64(c.bs)), detRand(uint64(c.bs))
			var ei, ef []ExtentInfo
			check := func(step int) {
				var err error
				if ei, err = inc.AppendExtents(ei[:0], ino); err != nil {
					t.Fatal(err)
				}
				if ef, err = full.AppendExtents(ef[:0], ino); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ei, ef) {
					t.Fatalf("step %d: extents differ (%d vs %d)", step, len(ei), len(ef))
				}
				si, _ := inc.Stat(ino)
				sf, _ := full.Stat(ino)
				if si.BlocksLo != sf.BlocksLo || inc.sb.FreeBlocksCount() != full.sb.FreeBlocksCount() {
					t.Fatalf("step %d: i_blocks %d vs %d, free %d vs %d", step, si.BlocksLo, sf.BlocksLo, inc.sb.FreeBlocksCount(), full.sb.FreeBlocksCount())
				}
				xi, xf := inc.xcache[ino], full.xcache[ino]
				if xi != nil && xf != nil && !slices.Equal(xi.blocks, xf.blocks) {
					t.Fatalf("step %d: tree blocks %v vs %v", step, xi.blocks, xf.blocks)
				}
				exts, blocks := diskExtents(t, inc, ino)
				if xi != nil {
					if !slices.Equal(exts, xi.exts) {
						t.Fatalf("step %d: tree on disk holds %d extents, cache %d", step, len(exts), len(xi.exts))
					}
					slices.Sort(blocks)
					want := slices.Sorted(slices.Values(xi.blocks))
					if !slices.Equal(blocks, want) {
						t.Fatalf("step %d: tree on disk in blocks %v, cache %v", step, blocks, want)
					}
				}
			}
			check(0)
			fsckVolume(t, inc)
			nospc := 0
			for step := 1; step <= c.ops; step++ {
				erri := treeOp(inc, ino, ri, c.span)
				errf := treeOp(full, ino, rf, c.span)
				if (erri == nil) != (errf == nil) {
					t.Fatalf("step %d: errors %v vs %v", step, erri, errf)
				}
				if errors.Is(erri, ENOSPC) {
					nospc++
					if inc.xcache[ino] == nil {
						t.Fatalf("step %d: ENOSPC dropped the cached tree", step)
					}
				} else if erri != nil {
					t.Fatalf("step %d: %v", step, erri)
				}
				check(step)
				if step%(c.ops/4) == 0 {
					fsckVolume(t, inc)
				}
			}
			if full := c.mib < 32; full != (nospc > 0) {
				t.Fatalf("%d operations failed with ENOSPC", nospc)
			}
			// Shrink through every depth down to i_block.
			for _, keep := range []uint32{c.span / 2, c.span / 8, c.span / 64, 6, 0} {
				bs := int64(c.bs)
				for _, v := range []*Volume{inc, full} {
					if err := v.PunchHole(ino, int64(keep)*bs, int64(c.span)*bs); err != nil {
						t.Fatal(err)
					}
				}
				check(-int(keep))
				fsckVolume(t, inc)
			}
		})
	}
}

// BenchmarkExtentTreeRandomOps: one random operation (see treeOp) on a
// file of about 10,000 extents (4 KiB blocks: ~30 leaves under one index
// block). "full" stores every tree whole, as before incremental stores.
func BenchmarkExtentTreeRandomOps(b *testing.B) {
	for _, mode := range []string{"incremental", "full"} {
		b.Run(mode, func(b *testing.B) {
			dev, err := Mkfs(MkfsOptions{Size: 256 << 20, BlockSize: 4096, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			v, err := OpenVolume(dev)
			if err != nil {
				b.Fatal(err)
			}
			v.fullTrees = mode == "full"
			const span = 20000
			ino := fragmentedFile(b, v, span)
			r := detRand(1)
			b.ResetTimer()
			for b.Loop() {
				if err := treeOp(v, ino, r, span); err != nil {
					b.Fatal(err)
				}
			}
			ex, _ := v.Extents(ino)
			b.ReportMetric(float64(len(ex)), "extents")
		})
	}
}
