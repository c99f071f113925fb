package ext4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"ext4play/core/image"
)

// TestPiecesMatchReadAt checks that the pieces of random mappings (holes,
// unwritten runs, i_size inside, before and after the mapped blocks) give
// exactly the bytes ReadAt gives.
func TestPiecesMatchReadAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const bs = 1024
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	dev := image.New(int64(len(data)))
	if _, err := dev.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	fs := &FS{dev: dev, blockSize: bs}
	for iter := range 2000 {
		var runs []ExtentReport
		l := uint32(rng.IntN(4))
		for range rng.IntN(7) {
			n := uint32(1 + rng.IntN(8))
			phys := uint64(rng.IntN(1000))
			if len(runs) > 0 && rng.IntN(3) == 0 {
				// Physically contiguous with the previous run.
				p := runs[len(runs)-1]
				phys = p.Physical + uint64(p.Length)
			}
			runs = append(runs, ExtentReport{Logical: l, Physical: phys, Length: n, Unwritten: rng.IntN(4) == 0})
			l += n + uint32(rng.IntN(3))
		}
		size := int64(rng.IntN(int(l+3)*bs + 1))
		r := &fileReader{fs: fs, size: size, m: &FileMap{Kind: MappingExtent, Runs: runs}}
		want := make([]byte, size)
		if n, err := r.ReadAt(want, 0); int64(n) != size || err != nil && err != io.EOF {
			t.Fatalf("iter %d: ReadAt: %d, %v", iter, n, err)
		}
		var got []byte
		ps := r.pieces(nil)
		for i, p := range ps {
			if p.n <= 0 {
				t.Fatalf("iter %d: piece %d of %d bytes", iter, i, p.n)
			}
			if i > 0 {
				q := ps[i-1]
				if q.zero && p.zero || !q.zero && !p.zero && q.phys+q.n == p.phys {
					t.Fatalf("iter %d: pieces %d and %d not merged: %+v %+v", iter, i-1, i, q, p)
				}
			}
			if p.zero {
				got = append(got, make([]byte, p.n)...)
			} else {
				got = append(got, data[p.phys:p.phys+p.n]...)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("iter %d: runs %+v size %d: pieces %+v give other bytes than ReadAt", iter, runs, size, ps)
		}
	}
}

// referenceHashes is the plain serial way: every hashable inode read
// through ReadAt in 4 KiB pieces.
func referenceHashes(t *testing.T, fs *FS, rep *Report) map[uint32]string {
	t.Helper()
	want := map[uint32]string{}
	for _, in := range rep.Inodes {
		if in.SHA256 == "" {
			continue
		}
		r, err := fs.newFileReader(in.Ino)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if err := r.stream(make([]byte, 4096), func(p []byte) { h.Write(p) }); err != nil {
			t.Fatalf("inode %d: %v", in.Ino, err)
		}
		want[in.Ino] = hex.EncodeToString(h.Sum(nil))
	}
	return want
}

// TestInspectHashesMatchSerialRead checks the batched, parallel hashing
// against reading each file on its own, and that the report's JSON does
// not depend on the number of workers.
func TestInspectHashesMatchSerialRead(t *testing.T) {
	for _, name := range []string{"sample-ext4.img.zst", "sample-ext2.img.zst"} {
		t.Run(name, func(t *testing.T) {
			dev := sample(t, name)
			var outs [][]byte
			for _, procs := range []int{1, 2, 4} {
				old := runtime.GOMAXPROCS(procs)
				fs := mustOpen(t, dev)
				rep := fs.Inspect()
				runtime.GOMAXPROCS(old)
				n := 0
				for ino, sum := range referenceHashes(t, fs, rep) {
					for _, in := range rep.Inodes {
						if in.Ino == ino && in.SHA256 != sum {
							t.Errorf("GOMAXPROCS %d: inode %d sha256 %s, serial read gives %s", procs, ino, in.SHA256, sum)
						}
					}
					n++
				}
				if n == 0 {
					t.Fatal("no file hashed")
				}
				b, err := json.Marshal(rep)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, b)
			}
			for i := 1; i < len(outs); i++ {
				if !bytes.Equal(outs[0], outs[i]) {
					t.Errorf("report with %d workers differs from the one with 1", i)
				}
			}
		})
	}
}

// failingDevice fails every read that touches [bad, bad+n).
type failingDevice struct {
	Device
	bad, n int64
}

var errInjected = errors.New("injected read error")

func (d failingDevice) ReadAt(p []byte, off int64) (int, error) {
	if off < d.bad+d.n && off+int64(len(p)) > d.bad {
		return 0, errInjected
	}
	return d.Device.ReadAt(p, off)
}

// TestInspectReadErrorsLikeSerial checks that a read error inside a
// batch is reported for the file it hits, as a lone ReadAt of that file
// reports it, and that the other files of the batch keep their hashes.
func TestInspectReadErrorsLikeSerial(t *testing.T) {
	dev := sample(t, "sample-ext4.img.zst")
	clean := mustOpen(t, dev).Inspect()
	fs := mustOpen(t, dev)
	bs := int64(fs.BlockSize())
	// The first data block of the largest extent-mapped regular file.
	var victim *InodeReport
	for i := range clean.Inodes {
		in := &clean.Inodes[i]
		if in.Type == "file" && in.Ino >= fs.sb.FirstInode() && len(in.Extents) > 0 && !in.Extents[0].Unwritten &&
			(victim == nil || in.Size > victim.Size) {
			victim = in
		}
	}
	if victim == nil {
		t.Fatal("sample has no extent-mapped file")
	}
	bad := int64(victim.Extents[0].Physical) * bs
	fd := failingDevice{Device: dev, bad: bad, n: bs}
	ffs := mustOpen(t, fd)
	rep := ffs.Inspect()
	wantWhat := fmt.Sprintf("reading content: ext4: reading data block at byte %d: %v", bad, errInjected)
	if !hasProblem(rep.Problems, fmt.Sprintf("inode %d ", victim.Ino), wantWhat) {
		t.Errorf("no problem %q for inode %d; problems: %+v", wantWhat, victim.Ino, rep.Problems)
	}
	for i, in := range rep.Inodes {
		switch {
		case in.Ino == victim.Ino:
			if in.SHA256 != "" {
				t.Errorf("inode %d: sha256 %s despite the read error", in.Ino, in.SHA256)
			}
		case in.SHA256 != clean.Inodes[i].SHA256:
			t.Errorf("inode %d: sha256 %q, clean image gives %q", in.Ino, in.SHA256, clean.Inodes[i].SHA256)
		}
	}
}

// readerOnly hides a device's View, so content is read with ReadAt.
type readerOnly struct{ Device }

// TestInspectHashesManyFiles hashes more files than one hand-over to the
// workers holds (several chunks, batches across files, sparse files) and
// checks every sha256 against the source files mke2fs -d copied, and that
// the report depends neither on the number of workers nor on whether the
// device lends its memory (View) or is read with ReadAt.
func TestInspectHashesManyFiles(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	r := detRand(2024)
	want := map[string]string{}
	for d := range 3 {
		sub := fmt.Sprintf("d%d", d)
		if err := os.MkdirAll(filepath.Join(src, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range hashChunkJobs/2 + 50 {
			name := fmt.Sprintf("%s/f%04d", sub, f)
			data := randBytes(r, r.IntN(12<<10))
			if f%97 == 0 {
				// Sparse: data, a hole of a few blocks, data.
				data = append(append(data, make([]byte, 5<<12+123)...), randBytes(r, 3000)...)
			}
			if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			want["/"+name] = hex.EncodeToString(sum[:])
		}
	}
	img := mkfs(t, dir, "many.img", 64<<10, "-t", "ext4", "-b", "4096", "-d", src)
	dev, err := image.LoadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for _, c := range []struct {
		dev   Device
		procs int
	}{{dev, 1}, {dev, 3}, {readerOnly{dev}, 1}, {readerOnly{dev}, 3}} {
		procs := c.procs
		old := runtime.GOMAXPROCS(procs)
		rep := mustOpen(t, c.dev).Inspect()
		runtime.GOMAXPROCS(old)
		if len(rep.Problems) != 0 {
			t.Fatalf("problems: %+v", rep.Problems)
		}
		sums := map[uint32]string{}
		for _, in := range rep.Inodes {
			sums[in.Ino] = in.SHA256
		}
		for path, sum := range want {
			ino, ok := rep.Paths[path]
			if !ok {
				t.Fatalf("%s not in the report", path)
			}
			if sums[ino] != sum {
				t.Errorf("GOMAXPROCS %d, %T: %s (inode %d): sha256 %q, file had %s", procs, c.dev, path, ino, sums[ino], sum)
			}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Errorf("report with GOMAXPROCS %d (%T) differs from the first", procs, c.dev)
		}
	}
}
