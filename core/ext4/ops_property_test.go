package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// propertyConfigs are the filesystems the random-operation test makes.
var propertyConfigs = []struct {
	name     string
	opts     MkfsOptions
	maxBytes int64 // StressOptions.MaxFileBytes (0: default)
}{
	{"4k", MkfsOptions{Size: 64 << 20, BlockSize: 4096}, 0},
	{"1k", MkfsOptions{Size: 32 << 20}, 0},
	{"2k-nocsum", MkfsOptions{Size: 48 << 20, BlockSize: 2048, Features: "^metadata_csum,uninit_bg"}, 0},
	{"4k-noflex-small", MkfsOptions{Size: 24 << 20, BlockSize: 4096, Features: "^flex_bg,^resize_inode"}, 0},
	// Tiny: operations keep running into ENOSPC.
	{"1k-tiny", MkfsOptions{Size: 2 << 20, Inodes: 32, JournalBlocks: 1024}, 2 << 20},
}

var reLeaf = regexp.MustCompile(`^\s*(\d+)/\s*(\d+)\s+\d+/\s*\d+\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*(Uninit)?`)

// debugfsExtents parses `debugfs -R "ex <ino>"` into leaf extents.
func debugfsExtents(out string) []ExtentInfo {
	var ex []ExtentInfo
	for _, line := range strings.Split(out, "\n") {
		m := reLeaf.FindStringSubmatch(line)
		if m == nil || m[1] != m[2] {
			continue // index entries are not at the last level
		}
		a := func(i int) uint64 { n, _ := strconv.ParseUint(m[i], 10, 64); return n }
		ex = append(ex, ExtentInfo{LBlk: uint32(a(3)), Len: uint32(a(7)), PBlk: a(5), Unwritten: m[8] != ""})
	}
	return ex
}

// TestStressAgainstE2fsprogs runs seeded random operations on fresh
// filesystems of several kinds, then requires e2fsck -fn to be clean and
// debugfs to see the same extents and contents as the write side.
func TestStressAgainstE2fsprogs(t *testing.T) {
	needTool(t, "e2fsck")
	needTool(t, "debugfs")
	seeds := 6
	ops := 150
	if testing.Short() {
		seeds, ops = 2, 60
	}
	if s := os.Getenv("EXT4PLAY_SOAK"); s == "1" {
		seeds, ops = 60, 600
	}
	for _, cfg := range propertyConfigs {
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", cfg.name, seed), func(t *testing.T) {
				t.Parallel()
				checkStressSeed(t, cfg.opts, cfg.maxBytes, seed, ops)
			})
		}
	}
}

func checkStressSeed(t *testing.T, o MkfsOptions, maxBytes int64, seed uint64, ops int) {
	o.Seed = seed
	dev, err := Mkfs(o)
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenVolume(dev)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Stress(v, StressOptions{Seed: seed, Ops: ops, MaxFileBytes: maxBytes})
	if err != nil {
		t.Fatalf("%v (reproduce: ext4play mkfs --size %d -b %d -O %q --seed %d x.img && ext4play stress x.img --seed %d --ops %d)",
			err, o.Size, o.BlockSize, o.Features, seed, seed, ops)
	}
	t.Log(sum)
	img := filepath.Join(t.TempDir(), "s.img")
	if err := dev.SaveFile(img); err != nil {
		t.Fatal(err)
	}
	e2fsckClean(t, img)
	// Compare every regular file with debugfs.
	files := map[string]uint32{}
	var walk func(dir uint32, prefix string)
	walk = func(dir uint32, prefix string) {
		ents, err := v.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for name, ino := range ents {
			in, err := v.Stat(ino)
			if err != nil {
				t.Fatal(err)
			}
			p := prefix + "/" + name
			if in.Mode.IsDir() {
				if name != "lost+found" {
					walk(ino, p)
				}
			} else {
				files[p] = ino
			}
		}
	}
	walk(EXT4_ROOT_INO, "")
	dumpDir := t.TempDir()
	var cmds strings.Builder
	var order []string
	for p, ino := range files {
		fmt.Fprintf(&cmds, "ex <%d>\n", ino)
		fmt.Fprintf(&cmds, "dump <%d> %s\n", ino, filepath.Join(dumpDir, strconv.Itoa(int(ino))))
		order = append(order, p)
	}
	cmdFile := filepath.Join(dumpDir, "cmds")
	os.WriteFile(cmdFile, []byte(cmds.String()), 0o644)
	out := runDebugfsFile(t, img, cmdFile)
	chunks := strings.Split(out, "debugfs: ex ")[1:]
	if len(chunks) != len(order) {
		t.Fatalf("debugfs answered %d ex requests of %d:\n%s", len(chunks), len(order), out)
	}
	// The reader (Open) must agree too, and find no problem anywhere.
	rfs, err := Open(dev)
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	if probs := rfs.Inspect().Problems; len(probs) > 0 {
		t.Errorf("reader reports %d problems, first %+v", len(probs), probs[0])
	}
	for i, p := range order {
		ino := files[p]
		if fm, err := rfs.Map(ino); err != nil {
			t.Errorf("reader map of %s: %v", p, err)
		} else {
			var runs []ExtentInfo
			for _, r := range fm.Runs {
				runs = append(runs, ExtentInfo{r.Logical, r.Length, r.Physical, r.Unwritten})
			}
			if theirs := debugfsExtents(chunks[i]); fmt.Sprint(runs) != fmt.Sprint(theirs) && len(runs)+len(theirs) > 0 {
				t.Errorf("%s: reader extents %v, debugfs %v", p, runs, theirs)
			}
		}
		if data, err := rfs.ReadFile(ino); err != nil {
			t.Errorf("reader read of %s: %v", p, err)
		} else if want, _ := os.ReadFile(filepath.Join(dumpDir, strconv.Itoa(int(ino)))); !bytes.Equal(data, want) {
			t.Errorf("%s: reader reads %d bytes, debugfs dump %d, first difference at %d", p, len(data), len(want), firstDiff(data, want))
		}
		mine, err := v.Extents(ino)
		if err != nil {
			t.Fatal(err)
		}
		theirs := debugfsExtents(chunks[i])
		if fmt.Sprint(mine) != fmt.Sprint(theirs) && !(len(mine) == 0 && len(theirs) == 0) {
			t.Errorf("%s (inode %d) extents:\n mine    %v\n debugfs %v", p, ino, mine, theirs)
		}
		in, _ := v.Stat(ino)
		want, err := v.Read(ino, 0, int(in.Size()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dumpDir, strconv.Itoa(int(ino))))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s (inode %d): debugfs dump has %d bytes, we read %d, first difference at %d", p, ino, len(got), len(want), firstDiff(got, want))
		}
	}
}
