package main

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/staticrender"

	"ext4play/core/ext4"
)

// testReport is a small hand-made report with one unwritten extent, one
// group and one problem.
func testReport() *ext4.Report {
	return &ext4.Report{
		Superblock: ext4.SuperblockReport{
			BlockSize: 1024, BlocksCount: 8192, FreeBlocksCount: 6529, ReservedBlocksCount: 409,
			InodesCount: 2048, FreeInodesCount: 2031, FirstDataBlock: 1, BlocksPerGroup: 8192,
			InodesPerGroup: 2048, InodeSize: 256, DescSize: 64, FirstIno: 11,
			UUID: "889c0422-9c67-4448-b018-438f5ef08d12", VolumeName: "sample",
			Features: []string{"has_journal", "extent", "metadata_csum"}, State: "clean", RevLevel: 1,
			GroupCount: 1,
		},
		Groups: []ext4.GroupReport{{Index: 0, BlockBitmap: 66, InodeBitmap: 82, InodeTable: 98,
			FreeBlocksCount: 6529, FreeInodesCount: 2031, UsedDirsCount: 4, Flags: []string{"ITABLE_ZEROED"},
			FirstBlock: 1, LastBlock: 8191, BitmapStrip: []uint8{255, 128, 0, 0}}},
		Inodes: []ext4.InodeReport{
			{Ino: 2, Type: "dir", Mode: 0o755, Size: 1024, Links: 3, Mapping: "extent"},
			{Ino: 12, Type: "file", Mode: 0o644, Size: 20000, Links: 1, Flags: []string{"EXTENTS"}, Mapping: "extent",
				Extents: []ext4.ExtentReport{{Logical: 0, Physical: 1619, Length: 20}, {Logical: 20, Physical: 1642, Length: 21, Unwritten: true}}},
		},
		Paths:    map[string]uint32{"/": 2, "/f.bin": 12},
		Problems: []ext4.Problem{{Where: "group 0 block bitmap (block 66)", What: "checksum 0x00000000, computed 0x12345678"}},
	}
}

// renderPage builds the page on the host with vugu's static renderer.
func renderPage(t *testing.T, c *Root) string {
	t.Helper()
	env, err := vugu.NewBuildEnv()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := staticrender.New(&buf).Render(env.RunBuild(c)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestPageShowsReport(t *testing.T) {
	c := &Root{Tab: "image"}
	content := []byte("hello ext4play\n")
	c.setImage(&opened{Name: "t.img", Source: "sample", InBytes: 100, DevBytes: 8 << 20, Report: testReport(),
		readBytes: func(ino uint32, n int) ([]byte, error) { return content, nil }})
	page := renderPage(t, c)

	for key, want := range map[string]string{
		"blocks_count": "8192", "free_blocks_count": "6529", "inodes_count": "2048",
		"free_inodes_count": "2031", "block_size": "1024", "volume_name": "sample",
		"uuid": "889c0422-9c67-4448-b018-438f5ef08d12",
	} {
		re := regexp.MustCompile(`data-field="` + key + `"[^>]*>([^<]*)<`)
		m := re.FindStringSubmatch(page)
		if m == nil || m[1] != want {
			t.Errorf("data-field %s: got %v, want %q", key, m, want)
		}
	}
	for _, f := range []string{"has_journal", "extent", "metadata_csum"} {
		if !strings.Contains(page, `data-feature="`+f+`"`) {
			t.Errorf("feature %s not shown", f)
		}
	}
	// The first regular file is selected: its extents, the unwritten mark
	// and its first bytes in hex and ASCII.
	for _, s := range []string{
		`data-testid="inode-detail" data-ino="12"`,
		`data-unwritten="true"`, ">unwritten<", ">20–40<", ">1642–1662<",
		"68 65 6c 6c 6f 20 65 78", "hello ext4play.",
		"group 0 block bitmap (block 66)", ">1 problem<",
		`class="l8"`, `class="l0"`, // bitmap strip cells
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, "style=") {
		t.Error("page uses an inline style attribute; the CSP blocks those")
	}
}

func TestPageShowsLoadError(t *testing.T) {
	c := &Root{Tab: "image"}
	env := &testEnv{}
	c.fail(env, "bad.img", errors.New("ext4: bad magic 0x0000 at byte 1080"))
	page := renderPage(t, c)
	if !strings.Contains(page, `data-testid="error-banner"`) || !strings.Contains(page, "bad.img: ext4: bad magic 0x0000 at byte 1080") {
		t.Errorf("no error banner in %s", page)
	}
	if !strings.Contains(page, `data-state="error"`) {
		t.Error("state is not error")
	}
	if env.renders != 1 {
		t.Errorf("%d renders requested, want 1", env.renders)
	}
}

func TestSelectAndFilter(t *testing.T) {
	c := &Root{}
	c.setImage(&opened{Name: "t.img", Report: testReport()})
	if c.selIno != 12 {
		t.Fatalf("selected %d, want the first file 12", c.selIno)
	}
	c.SelectPath("/", 2)
	if c.selIno != 2 || !c.expanded["/"] {
		t.Errorf("after selecting /: sel %d, expanded %v", c.selIno, c.expanded)
	}
	c.SelectPath("/", 2) // second click on a selected directory folds it
	if c.expanded["/"] {
		t.Error("second click did not fold /")
	}
	c.inodeFilter = "f.bin"
	if rows, total := c.inodeRows(); total != 1 || rows[0].In.Ino != 12 || rows[0].Unwrit != 1 {
		t.Errorf("filter by path: %d rows %+v", total, rows)
	}
	c.inodeFilter = "2"
	if rows, total := c.inodeRows(); total != 1 || rows[0].In.Ino != 2 {
		t.Errorf("filter by number: %d rows", total)
	}
}

// testEnv is a vugu.EventEnv that counts render requests.
type testEnv struct{ renders int }

func (e *testEnv) Lock()         {}
func (e *testEnv) UnlockOnly()   {}
func (e *testEnv) UnlockRender() { e.renders++ }
func (e *testEnv) RLock()        {}
func (e *testEnv) RUnlock()      {}

func TestInodePaging(t *testing.T) {
	r := testReport()
	for i := range 250 {
		r.Inodes = append(r.Inodes, ext4.InodeReport{Ino: uint32(100 + i), Type: "file", Mode: 0o644, Mapping: "extent"})
	}
	c := &Root{}
	c.setImage(&opened{Name: "t.img", Report: r})
	if rows, total := c.inodeRows(); len(rows) != inodeRowsStep || total != 252 {
		t.Fatalf("first page: %d rows of %d", len(rows), total)
	}
	if got := c.inodeCountNote(); got != "252 in use, first 100 shown" {
		t.Errorf("note %q", got)
	}
	if got := c.moreNote(); got != "show 100 more of 152" {
		t.Errorf("more %q", got)
	}
	c.MoreInodes()
	c.MoreInodes()
	if rows, _ := c.inodeRows(); len(rows) != 252 || c.moreNote() != "" {
		t.Errorf("after two more: %d rows, more %q", len(rows), c.moreNote())
	}
	// A new filter starts from the first page again.
	c.FilterInodes(filterEvent("file"))
	if rows, total := c.inodeRows(); len(rows) != inodeRowsStep || total != 251 {
		t.Errorf("filtered: %d rows of %d", len(rows), total)
	}
}

// filterEvent is an input event whose target holds value.
func filterEvent(value string) vugu.DOMEvent {
	return vugu.NewDOMEvent(&testEnv{}, map[string]interface{}{"target": map[string]interface{}{"value": value}})
}

func TestSelectFromTableUnfoldsTree(t *testing.T) {
	r := testReport()
	r.Paths = map[string]uint32{"/": 2, "/a": 20, "/a/b": 21, "/a/b/f.bin": 12}
	for _, ino := range []uint32{20, 21} {
		r.Inodes = append(r.Inodes, ext4.InodeReport{Ino: ino, Type: "dir", Mode: 0o755})
	}
	c := &Root{}
	c.setImage(&opened{Name: "t.img", Report: r})
	c.expanded = map[string]bool{"/": true}
	c.treeGen++
	c.SelectIno(12)
	var paths []string
	for _, row := range c.treeRows() {
		paths = append(paths, row.Path)
	}
	if strings.Join(paths, " ") != "/ /a /a/b /a/b/f.bin" {
		t.Errorf("tree rows after selecting inode 12: %v", paths)
	}
	if !c.scrollSel {
		t.Error("selection does not ask for scrolling")
	}
}

func TestSuperFieldsNameKernelFields(t *testing.T) {
	c := &Root{}
	c.setImage(&opened{Name: "t.img", Report: testReport()})
	for _, f := range c.superFields() {
		if f.Kernel == "" {
			t.Errorf("superblock row %q (%s) has no kernel field name", f.Label, f.Key)
		}
	}
}

func TestTreeKeys(t *testing.T) {
	r := testReport()
	r.Paths = map[string]uint32{"/": 2, "/a": 20, "/a/f.bin": 12, "/z": 21}
	r.Inodes = append(r.Inodes, ext4.InodeReport{Ino: 20, Type: "dir"}, ext4.InodeReport{Ino: 21, Type: "file"})
	c := &Root{}
	c.setImage(&opened{Name: "t.img", Report: r})
	c.expanded = map[string]bool{"/": true}
	c.treeGen++
	c.selectIno(2)
	steps := []struct {
		key  string
		want uint32
		open bool // is /a unfolded afterwards
	}{
		{"ArrowDown", 20, false},
		{"ArrowRight", 20, true}, // unfold
		{"ArrowRight", 12, true}, // step in
		{"ArrowLeft", 20, true},  // to the parent
		{"ArrowLeft", 20, false}, // fold
		{"ArrowDown", 21, false},
		{"ArrowDown", 21, false}, // stays on the last row
		{"ArrowUp", 20, false},
	}
	for i, s := range steps {
		if !c.treeKey(s.key) {
			t.Fatalf("step %d: %s not handled", i, s.key)
		}
		if c.selIno != s.want || c.expanded["/a"] != s.open {
			t.Fatalf("step %d (%s): selected %d, /a open %v; want %d, %v", i, s.key, c.selIno, c.expanded["/a"], s.want, s.open)
		}
	}
	if c.treeKey("x") {
		t.Error("unrelated key handled")
	}
}
