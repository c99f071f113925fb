package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"ext4play/core/ext4"
)

func TestBuildTreeAndRows(t *testing.T) {
	paths := map[string]uint32{
		"/": 2, "/lost+found": 11, "/a": 12, "/a/z.txt": 13, "/a/b": 14, "/a/b/c": 15, "/top.txt": 16,
		"/orphan/x": 20, // parent missing from the map: shown under a synthetic node
	}
	root := buildTree(paths)
	types := map[uint32]string{2: "dir", 11: "dir", 12: "dir", 13: "file", 14: "dir", 15: "file", 16: "file", 20: "file"}

	rows, cut := visibleRows(root, map[string]bool{"/": true}, types, 100)
	if cut {
		t.Fatal("truncated")
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Path)
	}
	want := []string{"/", "/a", "/lost+found", "/orphan", "/top.txt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("root only: got %v, want %v", got, want)
	}
	if rows[1].HasKids != true || rows[1].Expanded || rows[1].Depth != 1 || rows[1].Type != "dir" {
		t.Errorf("row /a = %+v", rows[1])
	}
	if rows[3].Ino != 0 || rows[3].Type != "" {
		t.Errorf("synthetic /orphan = %+v", rows[3])
	}

	exp := defaultExpanded(root, len(paths))
	rows, _ = visibleRows(root, exp, types, 100)
	got = got[:0]
	for _, r := range rows {
		got = append(got, strings.Repeat(" ", r.Depth)+r.Name)
	}
	want = []string{"/", " a", "  b", "   c", "  z.txt", " lost+found", " orphan", "  x", " top.txt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("expanded: got %q, want %q", got, want)
	}

	rows, cut = visibleRows(root, exp, types, 3)
	if !cut || len(rows) != 3 {
		t.Errorf("limit 3: %d rows, truncated %v", len(rows), cut)
	}

	// Big trees start collapsed, and so do big directories.
	if e := defaultExpanded(root, 5000); len(e) != 1 || !e["/"] {
		t.Errorf("big tree expanded = %v", e)
	}
	many := map[string]uint32{"/": 2, "/small": 3, "/small/a": 4, "/big": 5}
	for i := range 30 {
		many[fmt.Sprintf("/big/f%02d", i)] = uint32(10 + i)
	}
	if e := defaultExpanded(buildTree(many), len(many)); !e["/small"] || e["/big"] {
		t.Errorf("expanded = %v, want /small open and /big folded", e)
	}
}

func TestExtentRows(t *testing.T) {
	leaf := func(l uint32, p uint64, n uint32, uw bool) ext4.ExtentReport {
		return ext4.ExtentReport{Logical: l, Physical: p, Length: n, Unwritten: uw}
	}
	in := &ext4.InodeReport{
		Extents: []ext4.ExtentReport{leaf(0, 1000, 8, false), leaf(8, 2000, 1, true)},
		Tree: &ext4.ExtentNode{Depth: 1, Entries: 1, Max: 4, Index: []ext4.ExtentIndex{{
			Logical: 0, Leaf: 500,
			Child: &ext4.ExtentNode{Block: 500, Depth: 0, Entries: 2, Max: 84,
				Leaves: []ext4.ExtentReport{leaf(0, 1000, 8, false), leaf(8, 2000, 1, true)}},
		}}},
	}
	rows := extentRows(in, 100)
	kinds := []string{}
	for _, r := range rows {
		kinds = append(kinds, r.Kind)
	}
	if want := []string{"node", "index", "node", "leaf", "leaf"}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if !strings.Contains(rows[0].Text, "i_block") || !strings.Contains(rows[2].Text, "block 500") {
		t.Errorf("node texts %q, %q", rows[0].Text, rows[2].Text)
	}
	if r := rows[3]; r.Logical != "0–7" || r.Physical != "1000–1007" || r.Length != 8 || r.Unwritten || r.Level != 3 {
		t.Errorf("leaf 0 = %+v", r)
	}
	if r := rows[4]; r.Logical != "8" || r.Physical != "2000" || !r.Unwritten {
		t.Errorf("leaf 1 = %+v", r)
	}

	// Block-mapped (ext2/3) inodes have no tree: the flat list is shown.
	flat := extentRows(&ext4.InodeReport{Extents: in.Extents}, 100)
	if len(flat) != 2 || flat[0].Kind != "leaf" || flat[0].Level != 0 {
		t.Errorf("flat = %+v", flat)
	}

	// The limit cuts and says so.
	cut := extentRows(in, 2)
	if last := cut[len(cut)-1]; !strings.Contains(last.Text, "not shown") {
		t.Errorf("cut rows end with %+v", last)
	}

	// A cycle in a (corrupt) tree built by hand ends at the depth bound.
	loop := &ext4.ExtentNode{Depth: 1}
	loop.Index = []ext4.ExtentIndex{{Child: loop}}
	if n := len(extentRows(&ext4.InodeReport{Tree: loop}, 1000)); n > 40 {
		t.Errorf("looping tree gave %d rows", n)
	}
}

func TestHexDump(t *testing.T) {
	b := []byte("hello, ext4play!\x00\x01\xff")
	lines := hexDump(b, 0)
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	want0 := hexLine{Offset: "00000000", Hex: "68 65 6c 6c 6f 2c 20 65  78 74 34 70 6c 61 79 21", ASCII: "hello, ext4play!"}
	if lines[0] != want0 {
		t.Errorf("line 0 = %+v", lines[0])
	}
	if lines[1].Offset != "00000010" || lines[1].ASCII != "..." || !strings.HasPrefix(lines[1].Hex, "00 01 ff ") {
		t.Errorf("line 1 = %+v", lines[1])
	}
	// Short lines are padded so the ASCII column stays aligned.
	if len(lines[1].Hex) != len(lines[0].Hex) {
		t.Errorf("padded width %d, full width %d", len(lines[1].Hex), len(lines[0].Hex))
	}
	if len(hexDump(nil, 0)) != 0 {
		t.Error("empty input gave lines")
	}
}

func TestFormatting(t *testing.T) {
	cases := []struct{ got, want string }{
		{modeString("dir", 0o755), "drwxr-xr-x"},
		{modeString("file", 0o644), "-rw-r--r--"},
		{modeString("symlink", 0o777), "lrwxrwxrwx"},
		{modeString("file", 0o4755), "-rwsr-xr-x"},
		{modeString("dir", 0o1777), "drwxrwxrwt"},
		{modeString("file", 0o2644), "-rw-r-Sr--"},
		{modeString("weird", 0), "?---------"},
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(1000), "1,000"},
		{thousands(1048576), "1,048,576"},
		{humanBytes(512), "512 B"},
		{humanBytes(8 << 20), "8.0 MiB"},
		{humanBytes(1536), "1.5 KiB"},
		{unixTime(0), "—"},
		{unixTime(1700000000), "2023-11-14 22:13:20Z"},
		{percent(1, 4), "25.0%"},
		{percent(1, 0), "—"},
		{blockRange(5, 1), "5"},
		{blockRange(5, 3), "5–7"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

func TestStripCells(t *testing.T) {
	cells := stripCells([]uint8{255, 255, 255, 1, 128, 0, 0, 0})
	// Equal neighbours merge; any use at all is visible (level ≥ 1); full is l8.
	want := []stripCell{{0, 3, "l8"}, {3, 1, "l1"}, {4, 1, "l5"}, {5, 3, "l0"}}
	if !reflect.DeepEqual(cells, want) {
		t.Errorf("cells %+v, want %+v", cells, want)
	}
	if len(stripCells(nil)) != 0 {
		t.Error("cells for an empty strip")
	}
	s := &BitmapStrip{Cells: cells}
	if got := s.viewBox(); got != "0 0 8 1" {
		t.Errorf("viewBox %q", got)
	}
}

func TestParseSamples(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`[{"name":"sample-ext4.img.zst","bytes":1234},{"name":"corrupt-sb.img.zst","bytes":9}]`, []string{"sample-ext4.img.zst", "corrupt-sb.img.zst"}},
		{`["a.img.gz", "b.img"]`, []string{"a.img.gz", "b.img"}},
		{`{"images":[{"file":"x/y.img.xz","title":"Y"}]}`, []string{"y.img.xz"}},
	} {
		ss, err := parseSamples([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var got []string
		for _, s := range ss {
			got = append(got, s.File)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v", tc.in, got)
		}
	}
	// The server's SPA fallback answers a missing index with the page.
	if _, err := parseSamples([]byte("<!doctype html><html>")); err == nil || !strings.Contains(err.Error(), "not a JSON list") {
		t.Errorf("html: err = %v", err)
	}
	if _, err := parseSamples([]byte(`[{"title":"no file"}]`)); err == nil {
		t.Error("entry without a file name accepted")
	}
}

func TestDefaultSample(t *testing.T) {
	ss := func(names ...string) []sample {
		var out []sample
		for _, n := range names {
			out = append(out, sample{File: n})
		}
		return out
	}
	for _, tc := range []struct {
		in   []sample
		want string
	}{
		{ss("corrupt-a.img.zst", "sample-ext2.img.zst", "sample-ext4.img.zst"), "sample-ext4.img.zst"},
		{ss("corrupt-a.img.zst", "sample-ext2.img.zst"), "sample-ext2.img.zst"},
		{ss("bad-magic.img.zst", "corrupt-csum.img.zst", "x.img"), "x.img"},
		{ss("corrupt-a.img.zst"), "corrupt-a.img.zst"},
		{nil, ""},
	} {
		if got := defaultSample(tc.in); got != tc.want {
			t.Errorf("defaultSample(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestProblemInode(t *testing.T) {
	for where, want := range map[string]uint32{
		"inode 19 (group 0, block 36, offset 512)": 19,
		"inode 2":                        2,
		"inode x":                        0,
		"group 0 block bitmap (block 3)": 0,
		"superblock at byte 1024":        0,
		"inode 99999999999":              0,
	} {
		if got := problemInode(where); got != want {
			t.Errorf("problemInode(%q) = %d, want %d", where, got, want)
		}
	}
}
