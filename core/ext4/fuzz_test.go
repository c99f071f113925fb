package ext4

import (
	"bytes"
	"sync"
	"testing"

	"ext4play/core/image"
)

// fuzzBase is the sample image the extent and directory fuzzers edit in
// place (and restore after each input).
var (
	fuzzOnce sync.Once
	fuzzMu   sync.Mutex
	fuzzDev  *image.Device
	fuzzFS   *FS
)

func fuzzSetup(t testing.TB) (*image.Device, *FS) {
	fuzzOnce.Do(func() {
		fuzzDev = sample(t, "sample-ext4.img.zst")
		fuzzFS = mustOpen(t, fuzzDev)
	})
	if fuzzFS == nil {
		t.Fatal("sample image did not load")
	}
	return fuzzDev, fuzzFS
}

// rawPrefix returns the first n bytes of a sample image.
func rawPrefix(t testing.TB, name string, n int) []byte {
	d := sample(t, name)
	b := make([]byte, min(int64(n), d.Size()))
	d.ReadAt(b, 0)
	return b
}

// exercise calls every reader entry point on what opened.
func exercise(fs *FS) {
	for g := range fs.GroupCount() {
		fs.Group(g)
	}
	rep := fs.Inspect()
	buf := make([]byte, 8192)
	for _, ino := range rep.Paths {
		fs.ReadAt(ino, buf, 0)
		fs.ReadDir(ino)
		fs.Xattrs(ino)
	}
	fs.Lookup("/a/b/c")
}

// FuzzSuperblock feeds arbitrary image prefixes to Open (superblock and
// group descriptor parsing) and, when they open, to everything else.
func FuzzSuperblock(f *testing.F) {
	for _, name := range []string{"sample-ext4.img.zst", "sample-ext2.img.zst", "corrupt-csum.img.zst", "bad-magic.img.zst"} {
		f.Add(rawPrefix(f, name, 8192))
		f.Add(rawPrefix(f, name, 64<<10))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		dev := image.New(int64(len(data)))
		dev.WriteAt(data, 0)
		fs, err := Open(dev)
		if err != nil {
			return
		}
		exercise(fs)
	})
}

// withEdits writes edits into the shared fuzz device, runs fn, and
// restores the bytes.
func withEdits(dev *image.Device, edits map[int64][]byte, fn func()) {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	saved := map[int64][]byte{}
	for off, b := range edits {
		old := make([]byte, len(b))
		dev.ReadAt(old, off)
		saved[off] = old
	}
	for off, b := range edits {
		dev.WriteAt(b, off)
	}
	defer func() {
		for off, b := range saved {
			dev.WriteAt(b, off)
		}
	}()
	fn()
}

// FuzzExtentTree replaces the extent root of /fragmented and the block of
// its leaf with arbitrary bytes and walks and reads the file.
func FuzzExtentTree(f *testing.F) {
	dev, fs := fuzzSetup(f)
	frag := lookup(nil, fs, "/fragmented")
	in, _ := fs.Inode(frag)
	m, _ := fs.Map(frag)
	leaf := make([]byte, fs.blockSize)
	fs.readBlock(m.Meta[0], leaf)
	f.Add(in.BlockBytes(), leaf)
	sp, _ := fs.Inode(lookup(nil, fs, "/sparse"))
	f.Add(sp.BlockBytes(), leaf)
	pre, _ := fs.Inode(lookup(nil, fs, "/prealloc"))
	f.Add(pre.BlockBytes(), leaf)
	rootOff := inodeOff(fs, frag) + 0x28
	leafOff := int64(m.Meta[0]) * int64(fs.blockSize)
	f.Fuzz(func(t *testing.T, root, block []byte) {
		if len(root) > 60 || len(block) > int(fs.blockSize) {
			return
		}
		withEdits(dev, map[int64][]byte{rootOff: root, leafOff: block}, func() {
			fs2, err := Open(dev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fs2.Map(frag); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			fs2.ReadAt(frag, buf, 0)
			fs2.ReadAt(frag, buf, 1<<30)
		})
	})
}

// FuzzDirectory replaces the first block of /home/user and of /many (an
// htree root) with arbitrary bytes and lists and walks them.
func FuzzDirectory(f *testing.F) {
	dev, fs := fuzzSetup(f)
	user := lookup(nil, fs, "/home/user")
	many := lookup(nil, fs, "/many")
	blk := func(ino uint32) []byte {
		b := make([]byte, fs.blockSize)
		m, _ := fs.Map(ino)
		fs.readBlock(m.Runs[0].Physical, b)
		return b
	}
	f.Add(blk(user), blk(many))
	f.Add(blk(many), blk(user))
	f.Add(bytes.Repeat([]byte{0}, 16), []byte{})
	userOff, manyOff := physOf(nil, fs, user, 0), physOf(nil, fs, many, 0)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if len(a) > int(fs.blockSize) || len(b) > int(fs.blockSize) {
			return
		}
		withEdits(dev, map[int64][]byte{userOff: a, manyOff: b}, func() {
			fs2, err := Open(dev)
			if err != nil {
				t.Fatal(err)
			}
			fs2.ReadDir(user)
			fs2.ReadDir(many)
			fs2.Lookup("/home/user/notes.txt")
			fs2.Lookup("/many/file-with-a-rather-long-name-001")
			paths := map[string]uint32{}
			fs2.walkPaths(paths)
		})
	})
}
