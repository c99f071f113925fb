package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func newTestVolume(t *testing.T, o MkfsOptions) *Volume {
	t.Helper()
	if o.Size == 0 {
		o.Size = 64 << 20
	}
	dev, err := Mkfs(o)
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenVolume(dev)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fsckVolume saves the volume and runs e2fsck -fn on it.
func fsckVolume(t *testing.T, v *Volume) {
	t.Helper()
	if _, err := lookTool("e2fsck"); err != nil {
		return
	}
	p := filepath.Join(t.TempDir(), "v.img")
	if err := v.Device().SaveFile(p); err != nil {
		t.Fatal(err)
	}
	e2fsckClean(t, p)
}

func mustExtents(t *testing.T, v *Volume, ino uint32) []ExtentInfo {
	t.Helper()
	ex, err := v.Extents(ino)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestSequentialWritesStayContiguous(t *testing.T) {
	v := newTestVolume(t, MkfsOptions{BlockSize: 4096})
	ino, err := v.CreatePath("/seq", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0xAB}, 64<<10)
	for i := 0; i < 64; i++ {
		if err := v.Write(ino, int64(i)*int64(len(chunk)), chunk); err != nil {
			t.Fatal(err)
		}
	}
	ex := mustExtents(t, v, ino)
	if len(ex) != 1 || ex[0].Len != 1024 || ex[0].Unwritten {
		t.Fatalf("4 MiB written sequentially: extents %v, want one written extent of 1024 blocks", ex)
	}
	fsckVolume(t, v)
}

// TestUnwrittenSplitAndConvert follows a DIO write into fallocated space:
// PRE_IO splits the unwritten extent in three, conversion makes the middle
// written, and converting the rest merges everything back into one.
func TestUnwrittenSplitAndConvert(t *testing.T) {
	v := newTestVolume(t, MkfsOptions{})
	ino, _ := v.CreatePath("/f", 0o644)
	bs := int64(v.BlockSize())
	if err := v.Fallocate(ino, FALLOC_FL_KEEP_SIZE, 0, 10*bs); err != nil {
		t.Fatal(err)
	}
	ex := mustExtents(t, v, ino)
	if len(ex) != 1 || !ex[0].Unwritten || ex[0].Len != 10 {
		t.Fatalf("after fallocate: %v", ex)
	}
	base := ex[0].PBlk
	m, err := v.MapBlocks(ino, 3, 3, EXT4_GET_BLOCKS_IO_CREATE_EXT)
	if err != nil {
		t.Fatal(err)
	}
	if want := EXT4_MAP_UNWRITTEN | EXT4_MAP_NEW | EXT4_MAP_MAPPED; m.Flags != want || m.PBlk != base+3 || m.Len != 3 || !m.SetIOUnwritten {
		t.Fatalf("PRE_IO map: %+v (flags %v), want pblk %d len 3 flags %v", m, m.Flags, base+3, want)
	}
	ex = mustExtents(t, v, ino)
	want := []ExtentInfo{{0, 3, base, true}, {3, 3, base + 3, true}, {6, 4, base + 6, true}}
	if fmt.Sprint(ex) != fmt.Sprint(want) {
		t.Fatalf("after PRE_IO split: %v, want %v", ex, want)
	}
	if err := v.ConvertUnwritten(ino, 3*bs, 3*bs); err != nil {
		t.Fatal(err)
	}
	want[1].Unwritten = false
	if ex = mustExtents(t, v, ino); fmt.Sprint(ex) != fmt.Sprint(want) {
		t.Fatalf("after convert: %v, want %v", ex, want)
	}
	// Written blocks must lie within i_size (the DIO path extends it).
	if err := v.SetSize(ino, 6*bs); err != nil {
		t.Fatal(err)
	}
	fsckVolume(t, v)
	if err := v.ConvertUnwritten(ino, 0, 10*bs); err != nil {
		t.Fatal(err)
	}
	if err := v.SetSize(ino, 10*bs); err != nil {
		t.Fatal(err)
	}
	if ex = mustExtents(t, v, ino); len(ex) != 1 || ex[0].Unwritten || ex[0].Len != 10 {
		t.Fatalf("after converting everything: %v, want one written extent", ex)
	}
	fsckVolume(t, v)
}

func TestMapBlocksLookupAndCreate(t *testing.T) {
	v := newTestVolume(t, MkfsOptions{})
	ino, _ := v.CreatePath("/m", 0o644)
	m, err := v.MapBlocks(ino, 10, 5, 0)
	if err != nil || m.Flags != 0 || m.Len != 5 || m.PBlk != 0 {
		t.Fatalf("hole lookup: %+v, %v", m, err)
	}
	m, err = v.MapBlocks(ino, 10, 5, EXT4_GET_BLOCKS_CREATE)
	if err != nil || m.Flags != EXT4_MAP_NEW|EXT4_MAP_MAPPED || m.Len != 5 {
		t.Fatalf("create: %+v, %v", m, err)
	}
	p := m.PBlk
	// A hole lookup stops at the next extent.
	m, _ = v.MapBlocks(ino, 0, 100, 0)
	if m.Len != 10 || m.Flags != 0 {
		t.Fatalf("hole before extent: %+v", m)
	}
	m, _ = v.MapBlocks(ino, 12, 100, 0)
	if m.Flags != EXT4_MAP_MAPPED || m.PBlk != p+2 || m.Len != 3 {
		t.Fatalf("written lookup: %+v", m)
	}
	m, _ = v.MapBlocks(ino, 15, 4, EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT)
	if m.Flags != EXT4_MAP_NEW|EXT4_MAP_MAPPED|EXT4_MAP_UNWRITTEN || m.PBlk != p+5 || m.SetIOUnwritten {
		t.Fatalf("unwritten create continues the goal: %+v, want pblk %d", m, p+5)
	}
	m, _ = v.MapBlocks(ino, 16, 1, 0)
	if m.Flags != EXT4_MAP_UNWRITTEN {
		t.Fatalf("unwritten lookup: %+v", m)
	}
	if err := v.SetSize(ino, 15*int64(v.BlockSize())); err != nil {
		t.Fatal(err)
	}
	fsckVolume(t, v)
}

// TestExtentTreeGrowsAndShrinks fragments a file on a 1 KiB-block
// filesystem until its tree needs two index levels, then empties it.
func TestExtentTreeGrowsAndShrinks(t *testing.T) {
	v := newTestVolume(t, MkfsOptions{Size: 32 << 20})
	free0, ifree0 := v.sb.FreeBlocksCount(), v.sb.FreeInodesCount
	ino, _ := v.CreatePath("/frag", 0o644)
	bs := int64(v.BlockSize())
	// Every other block written in a first pass, then the gaps filled by
	// another file so neighbours cannot merge.
	other, _ := v.CreatePath("/other", 0o644)
	for i := int64(0); i < 800; i++ {
		if err := v.Write(ino, 2*i*bs, []byte{byte(i), 1}); err != nil {
			t.Fatal(err)
		}
		if err := v.Write(other, i*bs, []byte{2}); err != nil {
			t.Fatal(err)
		}
	}
	in, _ := v.Stat(ino)
	h, _ := DecodeExtentHeader(in.BlockBytes())
	if n := len(mustExtents(t, v, ino)); n != 800 || h.Depth != 2 {
		t.Fatalf("%d extents at depth %d, want 800 at depth 2", n, h.Depth)
	}
	fsckVolume(t, v)
	got, _ := v.Read(ino, 2*799*bs, 2)
	if !bytes.Equal(got, []byte{byte(799 % 256), 1}) {
		t.Fatalf("read back %v", got)
	}
	if err := v.PunchHole(ino, 0, 1400*bs); err != nil {
		t.Fatal(err)
	}
	in, _ = v.Stat(ino)
	h, _ = DecodeExtentHeader(in.BlockBytes())
	if n := len(mustExtents(t, v, ino)); n != 100 || h.Depth != 1 {
		t.Fatalf("after punch: %d extents at depth %d, want 100 at depth 1", n, h.Depth)
	}
	fsckVolume(t, v)
	if err := v.Truncate(ino, 0); err != nil {
		t.Fatal(err)
	}
	in, _ = v.Stat(ino)
	h, _ = DecodeExtentHeader(in.BlockBytes())
	if h.Depth != 0 || h.Entries != 0 || in.BlocksLo != 0 {
		t.Fatalf("after truncate: depth %d, %d entries, i_blocks %d", h.Depth, h.Entries, in.BlocksLo)
	}
	for _, p := range []string{"/frag", "/other"} {
		if err := v.UnlinkPath(p); err != nil {
			t.Fatal(err)
		}
	}
	if v.sb.FreeBlocksCount() != free0 || v.sb.FreeInodesCount != ifree0 {
		t.Fatalf("free blocks %d inodes %d after deleting everything, want %d %d", v.sb.FreeBlocksCount(), v.sb.FreeInodesCount, free0, ifree0)
	}
	fsckVolume(t, v)
}

func TestOperationErrors(t *testing.T) {
	v := newTestVolume(t, MkfsOptions{Size: 8 << 20})
	f, err := v.CreatePath("/file", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := v.MkdirPath("/dir", 0o755)
	if _, err := v.CreatePath("/dir/x", 0o644); err != nil {
		t.Fatal(err)
	}
	bs := int64(v.BlockSize())
	cases := []struct {
		name string
		err  error
		want Errno
	}{
		{"create existing", second(v.CreatePath("/file", 0o644)), EEXIST},
		{"create under a file", second(v.Create(f, "x", 0o644)), ENOTDIR},
		{"unlink missing", v.UnlinkPath("/nope"), ENOENT},
		{"rmdir non-empty", v.Unlink(EXT4_ROOT_INO, "dir"), ENOTEMPTY},
		{"bad name", second(v.Create(d, "a/b", 0o644)), EINVAL},
		{"long name", second(v.Create(d, string(bytes.Repeat([]byte("n"), 256)), 0o644)), ENAMETOOLONG},
		{"write a directory", v.Write(d, 0, []byte{1}), EISDIR},
		{"write past the largest file", v.Write(f, (1<<32-1)*bs, []byte{1}), EFBIG},
		{"negative range", v.Fallocate(f, 0, -1, 10), EINVAL},
		{"punch without keep size", v.Fallocate(f, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP},
		{"fill the filesystem", v.Fallocate(f, 0, 0, 64<<20), ENOSPC},
		{"map zero blocks", second(v.MapBlocks(f, 0, 0, 0)), EINVAL},
		{"remove lost+found's reserved sibling", v.Unlink(EXT4_ROOT_INO, "."), EINVAL},
	}
	for _, c := range cases {
		var en Errno
		if !errors.As(c.err, &en) || en != c.want {
			t.Errorf("%s: got %v, want %s", c.name, c.err, c.want.Name())
		}
	}
	// After ENOSPC the filesystem is still consistent and usable.
	fsckVolume(t, v)
	if err := v.Truncate(f, 0); err != nil {
		t.Fatal(err)
	}
	if err := v.Write(f, 0, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	fsckVolume(t, v)
}

func second[T any](_ T, err error) error { return err }

// TestManyDirectoryEntries grows a directory past one block and empties it.
func TestManyDirectoryEntries(t *testing.T) {
	v := newTestVolume(t, MkfsOptions{Size: 16 << 20})
	d, _ := v.MkdirPath("/d", 0o755)
	for i := 0; i < 300; i++ {
		if _, err := v.Create(d, fmt.Sprintf("a-rather-long-file-name-%04d", i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, _ := v.Stat(d)
	if in.Size() <= uint64(v.BlockSize()) {
		t.Fatalf("directory of 300 entries is %d bytes", in.Size())
	}
	fsckVolume(t, v)
	for i := 0; i < 300; i += 2 {
		if err := v.Unlink(d, fmt.Sprintf("a-rather-long-file-name-%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := v.ReadDir(d)
	if len(ents) != 150 {
		t.Fatalf("%d entries left, want 150", len(ents))
	}
	fsckVolume(t, v)
}

func TestStressDeterministic(t *testing.T) {
	run1 := func() ([]byte, string) {
		v := newTestVolume(t, MkfsOptions{Size: 16 << 20, Seed: 9})
		sum, err := Stress(v, StressOptions{Seed: 42, Ops: 80})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := v.Device().Save(&buf, 0); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), sum.String()
	}
	a, sa := run1()
	b, sb := run1()
	if sa != sb || !bytes.Equal(a, b) {
		t.Fatalf("same seed, different result:\n%s\n%s", sa, sb)
	}
}

// FuzzStress runs Stress with fuzzed seeds on a small filesystem: it must
// never panic, and every error must be a shadow mismatch or corruption
// report, which the fuzzer then finds.
func FuzzStress(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 77} {
		f.Add(s, uint8(40))
	}
	f.Fuzz(func(t *testing.T, seed uint64, ops uint8) {
		dev, err := Mkfs(MkfsOptions{Size: 4 << 20, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		v, err := OpenVolume(dev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Stress(v, StressOptions{Seed: seed, Ops: int(ops)}); err != nil {
			t.Fatal(err)
		}
	})
}
