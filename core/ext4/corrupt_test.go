package ext4

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ext4play/core/image"
)

// sample loads a committed sample image (examples/images).
func sample(t testing.TB, name string) *image.Device {
	t.Helper()
	d, err := image.LoadFile(filepath.Join("..", "..", "examples", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustOpen(t testing.TB, dev Device) *FS {
	t.Helper()
	fs, err := Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func hasProblem(ps []Problem, where, what string) bool {
	for _, p := range ps {
		if strings.Contains(p.Where, where) && strings.Contains(p.What, what) {
			return true
		}
	}
	return false
}

func TestSampleImages(t *testing.T) {
	fs := mustOpen(t, sample(t, "sample-ext4.img.zst"))
	rep := fs.Inspect()
	if len(rep.Problems) != 0 {
		t.Fatalf("sample-ext4 has problems: %v", rep.Problems)
	}
	byIno := map[uint32]InodeReport{}
	for _, in := range rep.Inodes {
		byIno[in.Ino] = in
	}
	frag := byIno[rep.Paths["/fragmented"]]
	if frag.Tree == nil || frag.Tree.Depth < 1 || len(frag.Extents) < 5 {
		t.Errorf("/fragmented: want a depth ≥ 1 tree, got %+v", frag.Tree)
	}
	pre := byIno[rep.Paths["/prealloc"]]
	if len(pre.Extents) == 0 || !pre.Extents[0].Unwritten {
		t.Errorf("/prealloc: want unwritten extents, got %v", pre.Extents)
	}
	if !strings.Contains(strings.Join(byIno[rep.Paths["/many"]].Flags, " "), "INDEX") {
		t.Error("/many is not an htree")
	}
	if tgt, err := fs.Readlink(rep.Paths["/home/user/readme-link"]); err != nil || tgt != "../../README" {
		t.Errorf("readlink = %q, %v", tgt, err)
	}
	sp, _ := fs.ReadFile(rep.Paths["/sparse"])
	if len(sp) != 4<<20 || !bytes.HasPrefix(sp, []byte("sparse-head line 000001")) || sp[1<<20-1] != 0 || !bytes.HasPrefix(sp[1<<20:], []byte("sparse-mid")) {
		t.Error("/sparse content wrong")
	}
	if rep.Journal == nil || rep.Journal.MaxLen == 0 {
		t.Error("no journal reported")
	}

	rep2, err := Inspect(sample(t, "corrupt-csum.img.zst"))
	if err != nil {
		t.Fatal(err)
	}
	notes := rep2.Paths["/home/user/notes.txt"]
	if len(rep2.Problems) != 1 || !hasProblem(rep2.Problems, "inode "+itoa(notes)+" ", "inode checksum") {
		t.Errorf("corrupt-csum: want one inode checksum problem for inode %d, got %v", notes, rep2.Problems)
	}
	if _, err := Inspect(sample(t, "bad-magic.img.zst")); !errors.Is(err, ErrBadMagic) {
		t.Errorf("bad-magic: err = %v", err)
	}
	rep3, err := Inspect(sample(t, "sample-ext2.img.zst"))
	if err != nil || len(rep3.Problems) != 0 {
		t.Fatalf("sample-ext2: %v %v", err, rep3.Problems)
	}
	for _, in := range rep3.Inodes {
		if in.Ino == rep3.Paths["/docs/big.txt"] && (in.Mapping != MappingIndirect || in.Size < 300<<10) {
			t.Errorf("big.txt: %+v", in)
		}
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// corruption edits a fresh copy of a sample image and says what must
// happen: an error matching errIs, or a problem containing where/what.
type corruption struct {
	name   string
	image  string
	edit   func(t *testing.T, fs *FS, dev *image.Device)
	errIs  error
	where  string
	what   string
	readOK bool // also read every file through ReadFile
}

func put32(dev *image.Device, off int64, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	dev.WriteAt(b[:], off)
}

func put16(dev *image.Device, off int64, v uint16) {
	var b [2]byte
	binary.LittleEndian.PutUint16(b[:], v)
	dev.WriteAt(b[:], off)
}

// inodeOff is the byte offset of inode ino's record.
func inodeOff(fs *FS, ino uint32) int64 {
	_, blk, off, _ := fs.inodeLocation(ino)
	return int64(blk)*int64(fs.blockSize) + int64(off)
}

func lookup(t *testing.T, fs *FS, p string) uint32 {
	ino, err := fs.Lookup(p)
	if err != nil {
		t.Fatal(err)
	}
	return ino
}

// physOf maps logical block l of a file.
func physOf(t *testing.T, fs *FS, ino uint32, l uint64) int64 {
	m, err := fs.Map(ino)
	if err != nil {
		t.Fatal(err)
	}
	r := findRun(m.Runs, l)
	if r == nil {
		t.Fatalf("inode %d block %d not mapped", ino, l)
	}
	return int64(r.Physical+l-uint64(r.Logical)) * int64(fs.blockSize)
}

var corruptions = []corruption{
	{name: "bad magic", edit: func(t *testing.T, fs *FS, d *image.Device) { put16(d, 1024+0x38, 0x1234) }, errIs: ErrBadMagic},
	{name: "block size 2^40", edit: func(t *testing.T, fs *FS, d *image.Device) { put32(d, 1024+0x18, 30) }, errIs: ErrCorrupt},
	{name: "zero blocks per group", edit: func(t *testing.T, fs *FS, d *image.Device) { put32(d, 1024+0x20, 0) }, errIs: ErrCorrupt},
	{name: "absurd inode count", edit: func(t *testing.T, fs *FS, d *image.Device) { put32(d, 1024+0x00, 0xFFFFFFFF) }, errIs: ErrCorrupt},
	{name: "absurd block count", edit: func(t *testing.T, fs *FS, d *image.Device) { put32(d, 1024+0x150, 0x00FFFFFF) }, errIs: ErrCorrupt},
	{name: "inode size 7", edit: func(t *testing.T, fs *FS, d *image.Device) { put16(d, 1024+0x58, 7) }, errIs: ErrCorrupt},
	{name: "superblock checksum", edit: func(t *testing.T, fs *FS, d *image.Device) { put16(d, 1024+0x34, 77) }, where: "superblock", what: "checksum"},
	{name: "descriptor out of range", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put32(d, int64(fs.blockSize)+8, 0xFFFFFF00) // group 0 bg_inode_table_lo
	}, where: "group 0 descriptor", what: "outside the filesystem", readOK: true},
	{name: "descriptor checksum", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put16(d, int64(fs.blockSize)+0x10, 99) // group 0 used dirs
	}, where: "group 0 descriptor", what: "checksum"},
	{name: "block bitmap checksum", edit: func(t *testing.T, fs *FS, d *image.Device) {
		d.WriteAt([]byte{0x5a}, int64(fs.groups[0].BlockBitmap())*int64(fs.blockSize)+1000)
	}, where: "group 0 block bitmap", what: "checksum"},
	{name: "inode checksum", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put32(d, inodeOff(fs, lookup(t, fs, "/README"))+0x10, 1)
	}, where: "inode 12 ", what: "inode checksum"},
	{name: "extent past the end", edit: func(t *testing.T, fs *FS, d *image.Device) {
		// First leaf of /sparse's root: ee_start_lo at i_block + 12 + 8.
		put32(d, inodeOff(fs, lookup(t, fs, "/sparse"))+0x28+12+8, 0x7FFFFFF0)
	}, where: "extent root", what: "outside the filesystem", readOK: true},
	{name: "extent tree loop", edit: func(t *testing.T, fs *FS, d *image.Device) {
		// Root of /fragmented (depth 1): two index entries to one leaf.
		off := inodeOff(fs, lookup(t, fs, "/fragmented")) + 0x28
		b := make([]byte, 24)
		d.ReadAt(b, off+12)
		copy(b[12:], b[:12])
		binary.LittleEndian.PutUint32(b[12:], 1000) // second index covers logical 1000..
		d.WriteAt(b, off+12)
		put16(d, off+2, 2)
	}, where: "extent", what: "loop", readOK: true},
	{name: "extent depth lie", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put16(d, inodeOff(fs, lookup(t, fs, "/fragmented"))+0x28+6, 3)
	}, where: "extent block", what: "expected 2", readOK: true},
	{name: "extent depth 9", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put16(d, inodeOff(fs, lookup(t, fs, "/fragmented"))+0x28+6, 9)
	}, where: "extent root", what: "eh_depth 9", readOK: true},
	{name: "extent entries > max", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put16(d, inodeOff(fs, lookup(t, fs, "/fragmented"))+0x28+2, 200)
	}, where: "extent root", what: "eh_entries", readOK: true},
	{name: "extent leaf checksum", edit: func(t *testing.T, fs *FS, d *image.Device) {
		m, _ := fs.Map(lookup(t, fs, "/fragmented"))
		d.WriteAt([]byte{0xEE}, int64(m.Meta[0])*int64(fs.blockSize)+12+4)
	}, where: "extent block", what: "checksum", readOK: true},
	{name: "dir rec_len", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put16(d, physOf(t, fs, lookup(t, fs, "/home/user"), 0)+12+4, 5) // ".." rec_len
	}, where: "directory inode", what: "rec_len 5", readOK: true},
	{name: "dir rec_len past block", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put16(d, physOf(t, fs, lookup(t, fs, "/home/user"), 0)+4, 0xFFF0)
	}, where: "directory inode", what: "rec_len", readOK: true},
	{name: "dir checksum", edit: func(t *testing.T, fs *FS, d *image.Device) {
		d.WriteAt([]byte("X"), physOf(t, fs, lookup(t, fs, "/home/user"), 0)+24+8)
	}, where: "directory inode", what: "directory block checksum", readOK: true},
	{name: "htree checksum", edit: func(t *testing.T, fs *FS, d *image.Device) {
		d.WriteAt([]byte{1, 2, 3, 4}, physOf(t, fs, lookup(t, fs, "/many"), 0)+0x20+8)
	}, where: "htree", what: "checksum", readOK: true},
	{name: "dir entry inode out of range", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put32(d, physOf(t, fs, lookup(t, fs, "/home/user"), 0)+24, 0xFFFFFF)
	}, where: "directory inode", what: "points to inode", readOK: true},
	{name: "xattr block magic", edit: func(t *testing.T, fs *FS, d *image.Device) {
		ino := lookup(t, fs, "/etc/motd")
		in, _ := fs.Inode(ino)
		if in.FileACL() == 0 {
			t.Skip("xattr stored in the inode")
		}
		put32(d, int64(in.FileACL())*int64(fs.blockSize), 1)
	}, where: "xattr block", what: "magic", readOK: true},
	{name: "indirect loop", image: "sample-ext2.img.zst", edit: func(t *testing.T, fs *FS, d *image.Device) {
		in, _ := fs.Inode(lookup(t, fs, "/docs/big.txt"))
		dind := in.Block[EXT4_DIND_BLOCK]
		if dind == 0 {
			t.Fatal("big.txt has no double indirect block")
		}
		put32(d, int64(dind)*int64(fs.blockSize), dind) // DIND's first entry points to itself
	}, where: "indirect block", what: "visited twice", readOK: true},
	{name: "indirect pointer past end", image: "sample-ext2.img.zst", edit: func(t *testing.T, fs *FS, d *image.Device) {
		put32(d, inodeOff(fs, lookup(t, fs, "/docs/big.txt"))+0x28+4*3, 0x7FFFFFFF)
	}, where: "block map", what: "outside the filesystem", readOK: true},
	{name: "truncated image", edit: nil, where: "device", what: "truncated", readOK: true},
}

func TestCorruptions(t *testing.T) {
	bases := map[string]*image.Device{}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			name := c.image
			if name == "" {
				name = "sample-ext4.img.zst"
			}
			if bases[name] == nil {
				bases[name] = sample(t, name)
			}
			dev := bases[name].Clone()
			if c.edit == nil {
				// Truncated: keep the first 3 MiB.
				var buf bytes.Buffer
				dev.Save(&buf, image.Raw)
				d2, _ := image.Load(bytes.NewReader(buf.Bytes()[:3<<20]), "trunc")
				dev = d2
			} else {
				c.edit(t, mustOpen(t, bases[name].Clone()), dev)
			}
			fs, err := Open(dev)
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) {
					t.Fatalf("Open: err = %v, want %v", err, c.errIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			rep := fs.Inspect()
			if !hasProblem(rep.Problems, c.where, c.what) {
				t.Errorf("no problem matching %q / %q in %v", c.where, c.what, rep.Problems)
			}
			if c.readOK {
				for p, ino := range rep.Paths {
					if _, err := fs.ReadFile(ino); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotFound) {
						t.Errorf("ReadFile %s: %v", p, err)
					}
					fs.ReadDir(ino)
				}
			}
		})
	}
}

// TestRandomCorruption flips random bytes in the metadata area of a sample
// image many times: every run must end with an error or a report, never a
// panic or a hang. Deterministic: the seed is fixed.
func TestRandomCorruption(t *testing.T) {
	for _, name := range []string{"sample-ext4.img.zst", "sample-ext2.img.zst"} {
		base := sample(t, name)
		r := detRand(7)
		limit := int64(2 << 20)
		for i := range 150 {
			dev := base.Clone()
			for range 1 + r.IntN(30) {
				off := r.Int64N(limit)
				if r.IntN(4) == 0 {
					off = 1024 + r.Int64N(1024) // the superblock itself
				}
				dev.WriteAt([]byte{byte(r.UintN(256))}, off)
			}
			fs, err := Open(dev)
			if err != nil {
				continue
			}
			rep := fs.Inspect()
			for _, ino := range rep.Paths {
				buf := make([]byte, 4096)
				fs.ReadAt(ino, buf, 0)
			}
			_ = i
		}
	}
}

func TestBadExtraIsize(t *testing.T) {
	base := sample(t, "sample-ext4.img.zst")
	fs := mustOpen(t, base)
	ino := lookup(t, fs, "/README")
	dev := base.Clone()
	put16(dev, inodeOff(fs, ino)+0x80, 0xFFF0)
	fs2 := mustOpen(t, dev)
	b, err := fs2.ReadFile(ino)
	if err != nil || !strings.HasPrefix(string(b), "Welcome") {
		t.Fatalf("ReadFile with bad i_extra_isize: %q, %v", b, err)
	}
	if !hasProblem(fs2.Problems(), "inode 12 ", "i_extra_isize") {
		t.Errorf("no i_extra_isize problem in %v", fs2.Problems())
	}
}

// TestInspectDeterministic: the same image gives the same report, problems
// included, although content hashing runs on several goroutines.
func TestInspectDeterministic(t *testing.T) {
	base := sample(t, "sample-ext4.img.zst")
	r := detRand(99)
	for range 20 {
		dev := base.Clone()
		for range 20 {
			dev.WriteAt([]byte{byte(r.UintN(256))}, r.Int64N(2<<20))
		}
		var out [2][]byte
		for i := range out {
			rep, err := Inspect(dev)
			if err != nil {
				break
			}
			out[i], _ = json.Marshal(rep)
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Fatal("two Inspect runs of one image differ")
		}
	}
}
