package ext4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixture is one image configuration for the oracle tests: mke2fs options,
// what goes in the source directory (mke2fs -d), and debugfs -w commands
// run afterwards.
type fixture struct {
	name    string
	sizeKiB int
	mkfs    []string
	// fragBlocks: punch every other block of /frag for this many blocks,
	// giving about fragBlocks/2 extents.
	fragBlocks int
	// tripleIndirect: add a sparse file with data past the triple
	// indirect boundary (block-mapped filesystems).
	tripleIndirect bool
	htree          bool // run e2fsck -fyD so /many becomes an htree
	extents        bool // fallocate/punch need extents
	wantDepth      int  // minimum extent depth /frag must reach
	journalCsum    bool // turn on jbd2 checksum v3 (debugfs jo -c)
}

var fixtures = []fixture{
	{name: "ext4-4k-default", sizeKiB: 32 << 10, mkfs: []string{"-t", "ext4", "-b", "4096", "-O", "64bit,metadata_csum,flex_bg"}, fragBlocks: 40, htree: true, extents: true, wantDepth: 1, journalCsum: true},
	{name: "ext4-1k-csum-64bit", sizeKiB: 16 << 10, mkfs: []string{"-t", "ext4", "-b", "1024", "-O", "64bit,metadata_csum"}, fragBlocks: 800, htree: true, extents: true, wantDepth: 2},
	{name: "ext4-2k-nocsum-32bit-noflex", sizeKiB: 16 << 10, mkfs: []string{"-t", "ext4", "-b", "2048", "-O", "^64bit,^metadata_csum,uninit_bg,^flex_bg"}, fragBlocks: 40, htree: true, extents: true, wantDepth: 1},
	{name: "ext4-4k-128inode-nocsum", sizeKiB: 24 << 10, mkfs: []string{"-t", "ext4", "-b", "4096", "-I", "128", "-O", "^metadata_csum,^64bit"}, fragBlocks: 40, extents: true, wantDepth: 1},
	{name: "ext4-inline-data", sizeKiB: 16 << 10, mkfs: []string{"-t", "ext4", "-b", "4096", "-O", "inline_data,metadata_csum"}, fragBlocks: 20, extents: true, wantDepth: 1},
	{name: "ext4-meta-bg", sizeKiB: 16 << 10, mkfs: []string{"-t", "ext4", "-b", "1024", "-O", "meta_bg,^resize_inode,metadata_csum"}, fragBlocks: 20, extents: true, wantDepth: 1},
	{name: "ext4-bigalloc-1k", sizeKiB: 64 << 10, mkfs: []string{"-t", "ext4", "-b", "1024", "-O", "bigalloc", "-C", "16384"}},
	{name: "ext4-64k-blocks", sizeKiB: 64 << 10, mkfs: []string{"-t", "ext4", "-b", "65536"}, fragBlocks: 12, extents: true, wantDepth: 1},
	{name: "ext2-1k-indirect", sizeKiB: 8 << 10, mkfs: []string{"-t", "ext2", "-b", "1024"}, tripleIndirect: true, htree: true},
	{name: "ext3-4k-journal", sizeKiB: 16 << 10, mkfs: []string{"-t", "ext3", "-b", "4096"}},
	{name: "ext3-2k-journal", sizeKiB: 16 << 10, mkfs: []string{"-t", "ext3", "-b", "2048", "-I", "128"}},
}

// detRand is the one deterministic source for fixture contents.
func detRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// populate writes the source tree for mke2fs -d.
func populate(t *testing.T, dir string, f fixture, blockSize int) {
	r := detRand(42)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	w := func(name string, data []byte) { must(os.WriteFile(filepath.Join(dir, name), data, 0o644)) }
	must(os.MkdirAll(filepath.Join(dir, "d1/d2/d3"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "many"), 0o755))
	w("empty", nil)
	w("tiny.txt", []byte("hello, ext4\n"))
	w("medium.bin", randBytes(r, 300<<10+77))
	w("d1/d2/d3/nested.txt", []byte(strings.Repeat("nested ", 100)))
	w("frag", randBytes(r, max(f.fragBlocks, 1)*blockSize))
	w("prealloc", nil)
	// A sparse file: data, a hole, data, and a hole up to i_size.
	sp, err := os.Create(filepath.Join(dir, "sparse"))
	must(err)
	sp.Write(randBytes(r, 5000))
	sp.WriteAt(randBytes(r, 3000), 1<<20)
	must(sp.Truncate(3 << 20))
	sp.Close()
	if f.tripleIndirect {
		// Past 12 + apb + apb² blocks: the triple indirect range.
		apb := int64(blockSize / 4)
		off := (12 + apb + apb*apb + 5) * int64(blockSize)
		ti, err := os.Create(filepath.Join(dir, "triple"))
		must(err)
		ti.WriteAt([]byte("single"), 20*int64(blockSize))
		ti.WriteAt([]byte("double"), (12+apb+3)*int64(blockSize))
		ti.WriteAt([]byte("triple"), off)
		ti.Close()
	}
	must(os.Link(filepath.Join(dir, "tiny.txt"), filepath.Join(dir, "d1/hardlink")))
	must(os.Symlink("tiny.txt", filepath.Join(dir, "fastlink")))
	must(os.Symlink(strings.Repeat("long/", 40)+"target", filepath.Join(dir, "slowlink")))
	for i := range 300 {
		w(fmt.Sprintf("many/entry-%04d-with-a-long-name-to-fill-blocks", i), []byte(strconv.Itoa(i)))
	}
}

// buildFixture makes the image and returns its path.
func buildFixture(t *testing.T, f fixture) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	bs := 4096
	for i, a := range f.mkfs {
		if a == "-b" {
			bs, _ = strconv.Atoi(f.mkfs[i+1])
		}
	}
	populate(t, src, f, bs)
	img := mkfs(t, dir, "fs.img", f.sizeKiB, append(f.mkfs, "-d", src)...)
	var cmds []string
	for b := 0; b < f.fragBlocks; b += 2 {
		cmds = append(cmds, fmt.Sprintf("punch /frag %d %d", b, b))
	}
	if f.extents {
		cmds = append(cmds,
			"fallocate /prealloc 0 9",
			"punch /medium.bin 10 19",
			"fallocate /medium.bin 12 15",
		)
	}
	cmds = append(cmds,
		"ea_set / user.comment hello-root",
		"ea_set /tiny.txt user.note "+strings.Repeat("v", 300),
	)
	if f.journalCsum {
		cmds = append(cmds, "jo -c", "jc")
	}
	cf := filepath.Join(dir, "cmds")
	os.WriteFile(cf, []byte(strings.Join(cmds, "\n")+"\n"), 0o644)
	run(t, "debugfs", "-w", "-f", cf, img)
	if f.htree {
		cmd := exec.Command("e2fsck", "-fyD", img)
		cmd.Env = fixedEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			// Exit status 1 means "errors corrected" (the rehash itself).
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 2 {
				t.Fatalf("e2fsck -fyD: %v\n%s", err, out)
			}
		}
	}
	return img
}

// debugfsBatch runs many read-only commands in one debugfs process and
// returns each command's stdout.
func debugfsBatch(t *testing.T, img string, cmds []string) map[string]string {
	t.Helper()
	cf := filepath.Join(t.TempDir(), "batch")
	os.WriteFile(cf, []byte(strings.Join(cmds, "\n")+"\n"), 0o644)
	out := runOut(t, "debugfs", "-f", cf, img)
	res := map[string]string{}
	var cur string
	var buf strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(line, "debugfs: ") {
			if cur != "" {
				res[cur] = buf.String()
			}
			cur = strings.TrimSpace(strings.TrimPrefix(line, "debugfs: "))
			buf.Reset()
			continue
		}
		buf.WriteString(line)
	}
	if cur != "" {
		res[cur] = buf.String()
	}
	return res
}

// dumpe2fsHeader parses `dumpe2fs -h` into key → value.
func dumpe2fsHeader(out string) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return kv
}

func TestOracle(t *testing.T) {
	needTools(t)
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			img := buildFixture(t, f)
			checkImage(t, img, f)
		})
	}
}

func checkImage(t *testing.T, img string, f fixture) {
	fs, err := Open(loadDev(t, img))
	if err != nil {
		t.Fatal(err)
	}
	rep := fs.Inspect()
	for _, p := range rep.Problems {
		t.Errorf("problem on a clean image: %s: %s", p.Where, p.What)
	}
	checkSuperblock(t, img, rep)
	checkGroups(t, img, rep)
	checkInodes(t, img, fs, rep, f)
	checkDirs(t, img, fs, rep, f)
}

func checkSuperblock(t *testing.T, img string, rep *Report) {
	h := dumpe2fsHeader(runOut(t, "dumpe2fs", "-h", img))
	s := rep.Superblock
	eq := func(key string, got any) {
		t.Helper()
		if want, ok := h[key]; !ok {
			t.Errorf("dumpe2fs -h has no %q", key)
		} else if fmt.Sprint(got) != want {
			t.Errorf("%s: got %v, dumpe2fs says %q", key, got, want)
		}
	}
	eq("Block size", s.BlockSize)
	eq("Block count", s.BlocksCount)
	eq("Free blocks", s.FreeBlocksCount)
	eq("Reserved block count", s.ReservedBlocksCount)
	eq("Inode count", s.InodesCount)
	eq("Free inodes", s.FreeInodesCount)
	eq("First block", s.FirstDataBlock)
	eq("Blocks per group", s.BlocksPerGroup)
	eq("Inodes per group", s.InodesPerGroup)
	eq("Inode size", s.InodeSize)
	eq("First inode", s.FirstIno)
	eq("Filesystem UUID", s.UUID)
	eq("Filesystem volume name", orNoneT(s.VolumeName))
	eq("Filesystem features", strings.Join(s.Features, " "))
	eq("Filesystem state", s.State)
	eq("Filesystem revision #", fmt.Sprintf("%d (dynamic)", s.RevLevel))
	eq("Default directory hash", s.HashVersion)
	eq("Directory Hash Seed", s.HashSeed)
	eq("Errors behavior", s.Errors)
	eq("Filesystem OS type", s.CreatorOS)
	if s.ReservedGDTBlocks != 0 { // dumpe2fs prints the line only then
		eq("Reserved GDT blocks", s.ReservedGDTBlocks)
	}
	eq("Default mount options", strings.Join(s.DefaultMountOpts, " "))
	if slices.Contains(s.Features, "64bit") {
		eq("Group descriptor size", s.DescSize)
	}
	if s.ChecksumType != "" {
		eq("Checksum type", s.ChecksumType)
		eq("Checksum", fmt.Sprintf("0x%08x", s.Checksum))
	}
	if s.LogGroupsPerFlex > 0 {
		eq("Flex block group size", 1<<s.LogGroupsPerFlex)
	}
	eq("Last write time", time.Unix(s.Wtime, 0).UTC().Format("Mon Jan _2 15:04:05 2006"))
	eq("Filesystem created", time.Unix(s.Ctime, 0).UTC().Format("Mon Jan _2 15:04:05 2006"))
	if s.Mtime == 0 {
		eq("Last mount time", "n/a")
	}
	eq("Filesystem flags", strings.Join(s.Flags, " ")) // dumpe2fs ends the line with a space; Cut+TrimSpace drop it
	eq("Mount count", s.MntCount)
	eq("Maximum mount count", s.MaxMntCount)
	eq("Last checked", time.Unix(s.Lastcheck, 0).UTC().Format("Mon Jan _2 15:04:05 2006"))
	if s.InodeSize > 128 {
		eq("Required extra isize", s.MinExtraIsize)
		eq("Desired extra isize", s.WantExtraIsize)
	}
	eq("Reserved blocks uid", fmt.Sprintf("%d (user %s)", s.DefResuid, map[uint16]string{0: "root"}[s.DefResuid]))
	if s.OverheadClusters != 0 {
		eq("Overhead clusters", s.OverheadClusters)
	}
	if j := rep.Journal; j != nil {
		eq("Journal inode", s.JournalInum)
		eq("Journal features", orNoneJ(strings.Join(j.Features, " ")))
		eq("Total journal blocks", j.MaxLen)
		eq("Journal sequence", fmt.Sprintf("0x%08x", j.Sequence))
		eq("Journal start", j.Start)
		if j.ChecksumType != "" {
			eq("Journal checksum type", j.ChecksumType)
			eq("Journal checksum", fmt.Sprintf("0x%08x", j.Checksum))
		}
	} else if _, ok := h["Journal inode"]; ok {
		t.Error("dumpe2fs shows a journal, report has none")
	}
}

func orNoneJ(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func orNoneT(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

var (
	reGroup  = regexp.MustCompile(`^Group (\d+): \(Blocks (\d+)-(\d+)\)(?: csum 0x([0-9a-f]+))?(?: \[(.*)\])?`)
	reBitmap = regexp.MustCompile(`^\s+Block bitmap at (\d+)`)
	reIbm    = regexp.MustCompile(`^\s+Inode bitmap at (\d+)`)
	reItable = regexp.MustCompile(`^\s+Inode table at (\d+)`)
	reFree   = regexp.MustCompile(`^\s+(\d+) free (?:blocks|clusters), (\d+) free inodes, (\d+) directories(?:, (\d+) unused inodes)?`)
)

func checkGroups(t *testing.T, img string, rep *Report) {
	out := runOut(t, "dumpe2fs", img)
	var g *GroupReport
	seen := 0
	num := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	for _, line := range strings.Split(out, "\n") {
		if m := reGroup.FindStringSubmatch(line); m != nil {
			i := int(num(m[1]))
			if i >= len(rep.Groups) {
				t.Fatalf("dumpe2fs lists group %d, report has %d", i, len(rep.Groups))
			}
			g = &rep.Groups[i]
			seen++
			if g.FirstBlock != num(m[2]) || g.LastBlock != num(m[3]) {
				t.Errorf("group %d blocks %d-%d, dumpe2fs %s-%s", i, g.FirstBlock, g.LastBlock, m[2], m[3])
			}
			if m[4] != "" && fmt.Sprintf("%04x", g.Checksum) != m[4] {
				t.Errorf("group %d csum %04x, dumpe2fs %s", i, g.Checksum, m[4])
			}
			if strings.Join(g.Flags, ", ") != m[5] {
				t.Errorf("group %d flags %v, dumpe2fs [%s]", i, g.Flags, m[5])
			}
			continue
		}
		if g == nil {
			continue
		}
		if m := reBitmap.FindStringSubmatch(line); m != nil && g.BlockBitmap != num(m[1]) {
			t.Errorf("group %d block bitmap %d, dumpe2fs %s", g.Index, g.BlockBitmap, m[1])
		}
		if m := reIbm.FindStringSubmatch(line); m != nil && g.InodeBitmap != num(m[1]) {
			t.Errorf("group %d inode bitmap %d, dumpe2fs %s", g.Index, g.InodeBitmap, m[1])
		}
		if m := reItable.FindStringSubmatch(line); m != nil && g.InodeTable != num(m[1]) {
			t.Errorf("group %d inode table %d, dumpe2fs %s", g.Index, g.InodeTable, m[1])
		}
		if m := reFree.FindStringSubmatch(line); m != nil {
			if uint64(g.FreeBlocksCount) != num(m[1]) || uint64(g.FreeInodesCount) != num(m[2]) || uint64(g.UsedDirsCount) != num(m[3]) {
				t.Errorf("group %d free %d/%d dirs %d, dumpe2fs %s", g.Index, g.FreeBlocksCount, g.FreeInodesCount, g.UsedDirsCount, line)
			}
			if m[4] != "" && uint64(g.ItableUnused) != num(m[4]) {
				t.Errorf("group %d itable_unused %d, dumpe2fs %s", g.Index, g.ItableUnused, m[4])
			}
		}
	}
	if seen != len(rep.Groups) {
		t.Errorf("dumpe2fs lists %d groups, report %d", seen, len(rep.Groups))
	}
}

var debugfsTypes = map[string]string{
	"regular": "file", "directory": "dir", "symlink": "symlink", "character special": "chardev",
	"block special": "blockdev", "FIFO": "fifo", "socket": "socket",
}

var (
	reStatHead  = regexp.MustCompile(`Inode: (\d+)\s+Type: (.+?)\s+Mode:\s+(\d+)\s+Flags: 0x([0-9a-f]+)`)
	reStatSize  = regexp.MustCompile(`Size: (\d+)`)
	reStatLinks = regexp.MustCompile(`Links: (\d+)\s+Blockcount: (\d+)`)
	reStatUser  = regexp.MustCompile(`User:\s+(\d+)\s+Group:\s+(\d+)`)
	reStatMtime = regexp.MustCompile(`\smtime: 0x([0-9a-f]+)`)
	reExRow     = regexp.MustCompile(`^\s*(\d+)/\s*(\d+)\s+\d+/\s*\d+\s+(\d+) -\s+(\d+)\s+(\d+) -\s+(\d+)\s+(\d+)\s*(\S*)`)
	reBlkRange  = regexp.MustCompile(`\((\d+)(?:-(\d+))?\):(\d+)(?:-(\d+))?`)
)

func checkInodes(t *testing.T, img string, fs *FS, rep *Report, f fixture) {
	var cmds []string
	dumpDir := t.TempDir()
	for _, in := range rep.Inodes {
		cmds = append(cmds, fmt.Sprintf("stat <%d>", in.Ino))
		if in.Mapping == MappingExtent {
			cmds = append(cmds, fmt.Sprintf("ex <%d>", in.Ino))
		}
		if in.Type == "file" && in.Ino >= fs.sb.FirstInode() {
			cmds = append(cmds, fmt.Sprintf("dump <%d> %s/%d", in.Ino, dumpDir, in.Ino))
		}
	}
	out := debugfsBatch(t, img, cmds)
	hugeFile := fs.sb.HasRoCompat(EXT4_FEATURE_RO_COMPAT_HUGE_FILE)
	_ = hugeFile
	maxDepth := -1
	fragIno, _ := fs.Lookup("/frag")
	for _, in := range rep.Inodes {
		st := out[fmt.Sprintf("stat <%d>", in.Ino)]
		m := reStatHead.FindStringSubmatch(st)
		if m == nil {
			t.Errorf("inode %d: cannot parse debugfs stat:\n%s", in.Ino, st)
			continue
		}
		if debugfsTypes[m[2]] != in.Type {
			t.Errorf("inode %d: type %s, debugfs %s", in.Ino, in.Type, m[2])
		}
		if mode, _ := strconv.ParseUint(m[3], 8, 16); uint16(mode) != in.Mode {
			t.Errorf("inode %d: mode %o, debugfs %s", in.Ino, in.Mode, m[3])
		}
		var mask InodeFlags
		for _, n := range in.Flags {
			fl, err := ParseInodeFlag(n)
			if err != nil {
				t.Errorf("inode %d: flag %s: %v", in.Ino, n, err)
			}
			mask |= fl
		}
		if fmt.Sprintf("%x", uint32(mask)) != m[4] {
			t.Errorf("inode %d: flags %v (0x%x), debugfs 0x%s", in.Ino, in.Flags, uint32(mask), m[4])
		}
		if sm := reStatSize.FindStringSubmatch(st); sm == nil || sm[1] != strconv.FormatUint(in.Size, 10) {
			t.Errorf("inode %d: size %d, debugfs %v", in.Ino, in.Size, sm)
		}
		if lm := reStatLinks.FindStringSubmatch(st); lm == nil || lm[1] != strconv.Itoa(int(in.Links)) || lm[2] != strconv.FormatUint(in.Blocks, 10) {
			t.Errorf("inode %d: links %d blocks %d, debugfs %v", in.Ino, in.Links, in.Blocks, lm)
		}
		if um := reStatUser.FindStringSubmatch(st); um == nil || um[1] != strconv.Itoa(int(in.UID)) || um[2] != strconv.Itoa(int(in.GID)) {
			t.Errorf("inode %d: uid/gid %d/%d, debugfs %v", in.Ino, in.UID, in.GID, um)
		}
		if mm := reStatMtime.FindStringSubmatch(st); mm == nil || mm[1] != fmt.Sprintf("%08x", uint32(in.Mtime)) {
			t.Errorf("inode %d: mtime %x, debugfs %v", in.Ino, in.Mtime, mm)
		}
		if in.Type == "symlink" {
			if fl := regexp.MustCompile(`Fast link dest: "(.*)"`).FindStringSubmatch(st); fl != nil && fl[1] != in.Symlink {
				t.Errorf("inode %d: fast symlink %q, debugfs %q", in.Ino, in.Symlink, fl[1])
			}
			if in.Symlink != "tiny.txt" && in.Symlink != strings.Repeat("long/", 40)+"target" {
				t.Errorf("inode %d: symlink target %q", in.Ino, in.Symlink)
			}
		}
		switch in.Mapping {
		case MappingExtent:
			var want []ExtentReport
			depth := 0
			for _, line := range strings.Split(out[fmt.Sprintf("ex <%d>", in.Ino)], "\n") {
				r := reExRow.FindStringSubmatch(line)
				if r == nil || r[1] != r[2] {
					if r != nil {
						depth = max(depth, atoiT(r[2]))
					}
					continue
				}
				depth = max(depth, atoiT(r[2]))
				want = append(want, ExtentReport{Logical: uint32(atoiT(r[3])), Physical: uint64(atoiT(r[5])), Length: uint32(atoiT(r[7])), Unwritten: r[8] == "Uninit"})
			}
			if want == nil {
				want = []ExtentReport{}
			}
			if !slices.Equal(want, in.Extents) {
				t.Errorf("inode %d extents:\n got %v\nwant %v", in.Ino, in.Extents, want)
			}
			if in.Tree != nil && int(in.Tree.Depth) != depth && len(want) > 0 {
				t.Errorf("inode %d: tree depth %d, debugfs %d", in.Ino, in.Tree.Depth, depth)
			}
			// The whole on-disk tree, node by node in debugfs' preorder.
			if got, want := flattenTree(in.Tree, 0), exRows(out[fmt.Sprintf("ex <%d>", in.Ino)]); !slices.Equal(got, want) {
				t.Errorf("inode %d extent tree:\n got %v\nwant %v", in.Ino, got, want)
			}
			if in.Ino == fragIno {
				maxDepth = depth
			}
		case MappingIndirect:
			var want []ExtentReport
			sec := st[strings.Index(st, "BLOCKS:")+1:]
			for _, r := range reBlkRange.FindAllStringSubmatch(sec, -1) {
				lo, p := atoiT(r[1]), atoiT(r[3])
				hi := lo
				if r[2] != "" {
					hi = atoiT(r[2])
				}
				n := len(want)
				if n > 0 && int(want[n-1].Logical)+int(want[n-1].Length) == lo && int(want[n-1].Physical)+int(want[n-1].Length) == p {
					want[n-1].Length += uint32(hi - lo + 1)
				} else {
					want = append(want, ExtentReport{Logical: uint32(lo), Physical: uint64(p), Length: uint32(hi - lo + 1)})
				}
			}
			if !slices.Equal(want, in.Extents) {
				t.Errorf("inode %d indirect runs:\n got %v\nwant %v", in.Ino, in.Extents, want)
			}
		}
		if in.Type == "file" && in.Ino >= fs.sb.FirstInode() {
			want, err := os.ReadFile(filepath.Join(dumpDir, strconv.Itoa(int(in.Ino))))
			if err != nil {
				t.Errorf("inode %d: debugfs dump: %v", in.Ino, err)
				continue
			}
			if in.Mapping == MappingInline && uint64(len(want)) > in.Size {
				// debugfs 1.47.0 dumps all 60 bytes of i_block for an
				// inline file; the kernel returns i_size bytes.
				want = want[:in.Size]
			}
			got, err := fs.ReadFile(in.Ino)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("inode %d: content differs from debugfs dump (%d vs %d bytes, err %v)", in.Ino, len(got), len(want), err)
			}
			sum := sha256.Sum256(want)
			if in.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("inode %d: sha256 differs from debugfs dump", in.Ino)
			}
			// A ranged read across a block boundary agrees too.
			if len(want) > 5000 {
				p := make([]byte, 3000)
				if n, err := fs.ReadAt(in.Ino, p, 2500); err != nil || n != 3000 || !bytes.Equal(p, want[2500:5500]) {
					t.Errorf("inode %d: ReadAt(2500, 3000) wrong: n=%d err=%v", in.Ino, n, err)
				}
			}
		}
	}
	if f.wantDepth > 0 && maxDepth < f.wantDepth {
		t.Errorf("/frag extent depth %d, fixture wants ≥ %d", maxDepth, f.wantDepth)
	}
	// Content checks that do not depend on debugfs: holes and unwritten
	// ranges read as zeros.
	if ino, err := fs.Lookup("/prealloc"); err == nil && f.extents {
		in, _ := fs.Inode(ino)
		m, _ := fs.Map(ino)
		if m.Kind == MappingExtent && (len(m.Runs) == 0 || !m.Runs[0].Unwritten) {
			t.Errorf("/prealloc: want an unwritten extent, got %v", m.Runs)
		}
		_ = in
	}
	if f.tripleIndirect {
		ino, err := fs.Lookup("/triple")
		if err != nil {
			t.Fatal(err)
		}
		apb := int64(fs.blockSize / 4)
		b := make([]byte, 6)
		fs.ReadAt(ino, b, (12+apb+apb*apb+5)*int64(fs.blockSize))
		if string(b) != "triple" {
			t.Errorf("/triple: read %q past the triple-indirect boundary", b)
		}
	}
}

// flattenTree lists a tree as debugfs ex does: "level:logical:physical"
// per index entry (then its subtree) and per leaf.
func flattenTree(n *ExtentNode, level int) []string {
	var out []string
	if n == nil {
		return out
	}
	for _, ix := range n.Index {
		out = append(out, fmt.Sprintf("%d:%d:%d", level, ix.Logical, ix.Leaf))
		out = append(out, flattenTree(ix.Child, level+1)...)
	}
	for _, l := range n.Leaves {
		out = append(out, fmt.Sprintf("%d:%d:%d", level, l.Logical, l.Physical))
	}
	return out
}

var reExIdx = regexp.MustCompile(`^\s*(\d+)/\s*(\d+)\s+\d+/\s*\d+\s+(\d+) -\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)

// exRows reads debugfs ex output into the flattenTree form.
func exRows(out string) []string {
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		if r := reExRow.FindStringSubmatch(line); r != nil {
			rows = append(rows, fmt.Sprintf("%s:%s:%s", r[1], r[3], r[5]))
		} else if r := reExIdx.FindStringSubmatch(line); r != nil {
			rows = append(rows, fmt.Sprintf("%s:%s:%s", r[1], r[3], r[5]))
		}
	}
	return rows
}

func atoiT(s string) int { n, _ := strconv.Atoi(s); return n }

var reLsP = regexp.MustCompile(`^/(\d+)/(\d+)/\d+/\d+/(.*)/\d*/$`)

func checkDirs(t *testing.T, img string, fs *FS, rep *Report, f fixture) {
	dirs := map[uint32]string{}
	for p, ino := range rep.Paths {
		in, err := fs.Inode(ino)
		if err == nil && in.Mode.IsDir() {
			dirs[ino] = p
		}
	}
	var cmds []string
	for ino := range dirs {
		cmds = append(cmds, fmt.Sprintf("ls -p <%d>", ino))
	}
	out := debugfsBatch(t, img, cmds)
	total := 0
	for ino, p := range dirs {
		var want []string
		for _, line := range strings.Split(out[fmt.Sprintf("ls -p <%d>", ino)], "\n") {
			if m := reLsP.FindStringSubmatch(strings.TrimSpace(line)); m != nil && m[1] != "0" {
				want = append(want, m[3]+"="+m[1])
			}
		}
		ents, err := fs.ReadDir(ino)
		if err != nil {
			t.Errorf("ReadDir %s: %v", p, err)
			continue
		}
		var got []string
		for _, e := range ents {
			got = append(got, fmt.Sprintf("%s=%d", e.Name, e.Ino))
			if e.Name != "." && e.Name != ".." {
				child := p + "/" + e.Name
				if p == "/" {
					child = "/" + e.Name
				}
				if rep.Paths[child] != e.Ino {
					t.Errorf("paths[%q] = %d, want %d", child, rep.Paths[child], e.Ino)
				}
				total++
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("directory %s (inode %d):\n got %v\nwant %v", p, ino, got, want)
		}
		if lino, err := fs.Lookup(p); err != nil || lino != ino {
			t.Errorf("Lookup(%q) = %d, %v; want %d", p, lino, err, ino)
		}
	}
	if total+1 != len(rep.Paths) {
		t.Errorf("report has %d paths, directories hold %d entries (+ /)", len(rep.Paths), total)
	}
	many, err := fs.Lookup("/many")
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := fs.Inode(many); f.htree && in.Flags&EXT4_INDEX_FL == 0 {
		t.Errorf("/many is not an htree directory (flags %v)", in.Flags)
	}
	if slices.Contains(rep.Superblock.Features, "inline_data") {
		inlineDir, inlineFile := false, false
		for _, in := range rep.Inodes {
			inlineDir = inlineDir || in.Mapping == MappingInline && in.Type == "dir"
			inlineFile = inlineFile || in.Mapping == MappingInline && in.Type == "file" && in.Size > 0
		}
		if !inlineDir || !inlineFile {
			t.Errorf("inline_data image without inline dir (%v) or non-empty inline file (%v)", inlineDir, inlineFile)
		}
	}
	// Attributes set with debugfs ea_set: a short one (in the inode when
	// there is room) and a 300-byte one (in an xattr block when not).
	tiny, _ := fs.Lookup("/tiny.txt")
	for ino, want := range map[uint32][2]string{EXT4_ROOT_INO: {"user.comment", "hello-root"}, tiny: {"user.note", strings.Repeat("v", 300)}} {
		xs, err := fs.Xattrs(ino)
		found := false
		for _, x := range xs {
			found = found || x.Name == want[0] && string(x.Value) == want[1]
		}
		if err != nil || !found {
			t.Errorf("inode %d: xattr %s not found in %v (%v)", ino, want[0], xs, err)
		}
	}
	if ents, _ := fs.ReadDir(many); len(ents) != 302 {
		t.Errorf("/many has %d entries, want 302", len(ents))
	}
}

// TestEaInodeXattr: a value too big for the xattr block goes to its own
// inode (ea_inode); the reader follows it.
func TestEaInodeXattr(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	img := mkfs(t, dir, "ea.img", 8192, "-t", "ext4", "-b", "1024", "-O", "ea_inode")
	val := bytes.Repeat([]byte("ea-inode-value "), 70)[:1000]
	os.WriteFile(filepath.Join(dir, "val"), val, 0o644)
	run(t, "debugfs", "-w", "-R", "ea_set -f "+filepath.Join(dir, "val")+" / user.big", img)
	fs, err := Open(loadDev(t, img))
	if err != nil {
		t.Fatal(err)
	}
	rep := fs.Inspect()
	if len(rep.Problems) != 0 {
		t.Fatalf("problems: %v", rep.Problems)
	}
	xs, _ := fs.Xattrs(EXT4_ROOT_INO)
	for _, x := range xs {
		if x.Name == "user.big" {
			if !bytes.Equal(x.Value, val) {
				t.Fatalf("user.big = %q", x.Value)
			}
			eaInode := false
			for _, in := range rep.Inodes {
				eaInode = eaInode || slices.Contains(in.Flags, "EA_INODE")
			}
			if !eaInode {
				t.Error("value not stored in an ea_inode: test does not cover what it should")
			}
			return
		}
	}
	t.Fatalf("user.big not found in %v", xs)
}
