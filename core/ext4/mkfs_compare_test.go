package ext4

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sbAllowedDiff are the superblock byte ranges (offsets within the 1024
// bytes) that may differ from mke2fs, and why:
//   - s_kbytes_written (0x178, 8 bytes) counts the bytes mke2fs's unix I/O
//     manager had written when it flushed, which depends on its write
//     cache, not on the filesystem;
//   - s_checksum (0x3FC, 4 bytes) covers s_kbytes_written.
var sbAllowedDiff = []struct {
	off, n int
	name   string
}{
	{0x178, 8, "s_kbytes_written"},
	{0x3FC, 4, "s_checksum"},
}

// dumpe2fsAllowedDiff are the dumpe2fs -h fields that may differ:
// "Lifetime writes" is s_kbytes_written and "Checksum" the superblock
// checksum over it (see sbAllowedDiff).
var dumpe2fsAllowedDiff = map[string]bool{"Lifetime writes": true, "Checksum": true}

// dataRanges lists the [start, end) byte ranges of a sparse file that hold
// data (SEEK_DATA / SEEK_HOLE).
func dataRanges(t testing.TB, f *os.File, size int64) [][2]int64 {
	t.Helper()
	const seekData, seekHole = 3, 4
	var out [][2]int64
	for off := int64(0); off < size; {
		start, err := f.Seek(off, seekData)
		if err != nil {
			break // ENXIO: no more data
		}
		end, err := f.Seek(start, seekHole)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]int64{start, end})
		off = end
	}
	return out
}

// compareImages compares two raw sparse images byte for byte where either
// holds data, allowing only sbAllowedDiff in superblock copies. It
// returns the allowed differences it saw.
func compareImages(t *testing.T, mine, ref string, sbOffsets map[int64]bool) map[string]int {
	t.Helper()
	fa, err := os.Open(mine)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	sa, _ := fa.Seek(0, io.SeekEnd)
	sb, _ := fb.Seek(0, io.SeekEnd)
	if sa != sb {
		t.Fatalf("image sizes differ: mine %d, mke2fs %d", sa, sb)
	}
	ranges := append(dataRanges(t, fa, sa), dataRanges(t, fb, sb)...)
	seen := map[string]int{}
	bad := 0
	const piece = 1 << 20
	ba, bb := make([]byte, piece), make([]byte, piece)
	checked := map[int64]bool{}
	for _, r := range ranges {
		for off := r[0] &^ (piece - 1); off < r[1]; off += piece {
			if checked[off] {
				continue
			}
			checked[off] = true
			n := min(int64(piece), sa-off)
			fa.ReadAt(ba[:n], off)
			fb.ReadAt(bb[:n], off)
			if bytes.Equal(ba[:n], bb[:n]) {
				continue
			}
			for i := int64(0); i < n; i++ {
				if ba[i] == bb[i] {
					continue
				}
				pos := off + i
				if sbBase := pos &^ 1023; sbOffsets[sbBase] {
					field := ""
					for _, f := range sbAllowedDiff {
						if rel := int(pos - sbBase); rel >= f.off && rel < f.off+f.n {
							field = f.name
						}
					}
					if field != "" {
						seen[field]++
						continue
					}
				}
				if bad < 10 {
					t.Errorf("byte %d (block %d of 4096, offset %#x in its KiB): mine %#02x, mke2fs %#02x", pos, pos/4096, pos%1024, ba[i], bb[i])
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d differing bytes", bad)
	}
	return seen
}

// TestMkfsIdenticalToMke2fs makes images with the same options as mke2fs
// (same UUID, hash seed and time) and requires them to be identical
// except for s_kbytes_written and the superblock checksum.
func TestMkfsIdenticalToMke2fs(t *testing.T) {
	needTool(t, "mke2fs")
	cases := allLayoutCases()
	if testing.Short() {
		cases = cases[:3]
	}
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			o := c.opts
			o.Size = c.size
			o.ReservedPercent = -1
			o.UUID, o.HashSeed, o.Time = oracleUUID, oracleHashSeed, oracleTime
			dev, err := Mkfs(o)
			if err != nil {
				t.Fatal(err)
			}
			mine := filepath.Join(t.TempDir(), "mine.img")
			if err := dev.SaveFile(mine); err != nil {
				t.Fatal(err)
			}
			ref := runMke2fs(t, c.size, c.args...)
			r, _ := o.resolve()
			p, _ := planMkfs(r.geo)
			sbOff := map[int64]bool{1024: true}
			for g := uint32(1); g < p.groupCount; g++ {
				if p.groups[g].hasSuper {
					sbOff[int64(p.groupFirst(g)*uint64(p.blockSize))] = true
				}
			}
			seen := compareImages(t, mine, ref, sbOff)
			e2fsckClean(t, mine)
			// dumpe2fs -h and the whole group table agree too, except the
			// fields named in dumpe2fsAllowedDiff.
			hm, gm := runDumpe2fs(t, mine)
			hr, gr := runDumpe2fs(t, ref)
			for k, want := range hr {
				if got := hm[k]; got != want && !dumpe2fsAllowedDiff[k] {
					t.Errorf("dumpe2fs %q: ours %q, mke2fs %q", k, got, want)
				}
			}
			if len(hm) != len(hr) {
				t.Errorf("dumpe2fs -h: %d fields, mke2fs %d", len(hm), len(hr))
			}
			if fmt.Sprint(gm) != fmt.Sprint(gr) {
				t.Errorf("dumpe2fs group tables differ")
			}
			t.Logf("allowed differences: %v; memory %d KiB", seen, dev.Used()>>10)
		})
	}
}

func ExampleMkfs() {
	dev, err := Mkfs(MkfsOptions{Size: 64 << 20, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dev.Size(), dev.Used() < 1<<20)
	// Output: 67108864 true
}
