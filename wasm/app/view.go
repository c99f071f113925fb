package main

// View-model helpers: pure functions that turn an ext4.Report into the rows
// the templates print. They hold no browser state, so they are tested on
// the host.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"ext4play/core/ext4"
)

// treeNode is one directory entry of the image's namespace, built from
// Report.Paths.
type treeNode struct {
	Name     string
	Path     string
	Ino      uint32
	Children []*treeNode
}

// buildTree turns the path → inode map into a tree rooted at "/". Paths
// whose parent is missing from the map (a corrupt directory) are attached
// under synthetic parent nodes with inode 0, so nothing the reader found is
// hidden.
func buildTree(paths map[string]uint32) *treeNode {
	root := &treeNode{Name: "/", Path: "/", Ino: paths["/"]}
	byPath := map[string]*treeNode{"/": root}
	keys := make([]string, 0, len(paths))
	for p := range paths {
		if p != "/" && strings.HasPrefix(p, "/") {
			keys = append(keys, p)
		}
	}
	sort.Strings(keys)
	var node func(p string) *treeNode
	node = func(p string) *treeNode {
		if n, ok := byPath[p]; ok {
			return n
		}
		i := strings.LastIndexByte(p, '/')
		parentPath := p[:i]
		if parentPath == "" {
			parentPath = "/"
		}
		parent := node(parentPath)
		n := &treeNode{Name: p[i+1:], Path: p, Ino: paths[p]}
		parent.Children = append(parent.Children, n)
		byPath[p] = n
		return n
	}
	for _, p := range keys {
		node(strings.TrimRight(p, "/"))
	}
	var sortRec func(n *treeNode)
	sortRec = func(n *treeNode) {
		// Directories first would need inode types; plain name order is what
		// `ls` shows and keeps the tree stable.
		sort.Slice(n.Children, func(i, j int) bool { return n.Children[i].Name < n.Children[j].Name })
		for _, c := range n.Children {
			sortRec(c)
		}
	}
	sortRec(root)
	return root
}

// treeRow is one visible line of the directory tree.
type treeRow struct {
	Name     string
	Path     string
	Ino      uint32
	Depth    int
	HasKids  bool
	Expanded bool
	Type     string // inode type, "" when the inode is not in the report
}

// visibleRows flattens the tree in display order, descending only into
// expanded directories. rowsMax bounds the output for huge directories;
// truncated reports whether rows were left out.
func visibleRows(root *treeNode, expanded map[string]bool, types map[uint32]string, rowsMax int) (rows []treeRow, truncated bool) {
	var walk func(n *treeNode, depth int) bool
	walk = func(n *treeNode, depth int) bool {
		if len(rows) >= rowsMax {
			return false
		}
		open := expanded[n.Path]
		rows = append(rows, treeRow{
			Name: n.Name, Path: n.Path, Ino: n.Ino, Depth: depth,
			HasKids: len(n.Children) > 0, Expanded: open, Type: types[n.Ino],
		})
		if !open {
			return true
		}
		for _, c := range n.Children {
			if !walk(c, depth+1) {
				return false
			}
		}
		return true
	}
	truncated = !walk(root, 0)
	return rows, truncated
}

// defaultExpanded opens the root and every directory small enough to read
// at a glance, so a sample image shows its files at once while a directory
// of hundreds of entries (and everything on a big image) stays folded
// until asked for.
func defaultExpanded(root *treeNode, total int) map[string]bool {
	const smallDir = 24
	exp := map[string]bool{"/": true}
	if total > 400 {
		return exp
	}
	var walk func(n *treeNode)
	walk = func(n *treeNode) {
		if len(n.Children) > 0 && len(n.Children) <= smallDir {
			exp[n.Path] = true
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	return exp
}

// extentRow is one line of the extent-tree view: a node header, an index
// entry or a leaf extent, indented by its level in the tree.
type extentRow struct {
	Level     int
	Kind      string // "node", "index" or "leaf"
	Text      string // node header or index summary
	Logical   string // leaf: logical block range
	Physical  string // leaf: physical block range
	Length    uint32
	Unwritten bool
}

// extentRows flattens an inode's extent tree (or, for block-mapped and
// tree-less inodes, its flat extent list) for display. rowsMax bounds the
// output; a deep or wide tree is cut with a final note row.
func extentRows(in *ext4.InodeReport, rowsMax int) []extentRow {
	var rows []extentRow
	leaf := func(e ext4.ExtentReport, level int) {
		rows = append(rows, extentRow{
			Level: level, Kind: "leaf",
			Logical:   blockRange(uint64(e.Logical), e.Length),
			Physical:  blockRange(e.Physical, e.Length),
			Length:    e.Length,
			Unwritten: e.Unwritten,
		})
	}
	if in.Tree == nil {
		for _, e := range in.Extents {
			if len(rows) >= rowsMax {
				break
			}
			leaf(e, 0)
		}
	} else {
		var walk func(n *ext4.ExtentNode, level int)
		walk = func(n *ext4.ExtentNode, level int) {
			if n == nil || len(rows) >= rowsMax || level > 8 {
				return
			}
			where := "i_block (in inode)"
			if n.Block != 0 {
				where = "block " + strconv.FormatUint(n.Block, 10)
			}
			rows = append(rows, extentRow{Level: level, Kind: "node",
				Text: fmt.Sprintf("%s · depth %d · %d/%d entries", where, n.Depth, n.Entries, n.Max)})
			for _, ix := range n.Index {
				if len(rows) >= rowsMax {
					return
				}
				rows = append(rows, extentRow{Level: level + 1, Kind: "index",
					Text: fmt.Sprintf("index: logical ≥ %d → block %d", ix.Logical, ix.Leaf)})
				walk(ix.Child, level+2)
			}
			for _, e := range n.Leaves {
				if len(rows) >= rowsMax {
					return
				}
				leaf(e, level+1)
			}
		}
		walk(in.Tree, 0)
	}
	if len(rows) >= rowsMax {
		rows = append(rows, extentRow{Kind: "node", Text: fmt.Sprintf("… more entries not shown (limit %d rows)", rowsMax)})
	}
	return rows
}

// blockRange prints a run of n blocks starting at start as "a–b" (or "a"
// for a single block).
func blockRange(start uint64, n uint32) string {
	if n <= 1 {
		return strconv.FormatUint(start, 10)
	}
	return strconv.FormatUint(start, 10) + "–" + strconv.FormatUint(start+uint64(n)-1, 10)
}

// hexLine is one line of a hex dump: 16 bytes at Offset.
type hexLine struct {
	Offset string
	Hex    string
	ASCII  string
}

// hexDump formats b like `hexdump -C`: offset, 16 bytes in two groups of 8,
// printable ASCII with '.' for the rest.
func hexDump(b []byte, base int64) []hexLine {
	const width = 16
	lines := make([]hexLine, 0, (len(b)+width-1)/width)
	for off := 0; off < len(b); off += width {
		end := min(off+width, len(b))
		var hx, asc strings.Builder
		for i := off; i < off+width; i++ {
			if i == off+8 {
				hx.WriteByte(' ')
			}
			if i < end {
				fmt.Fprintf(&hx, "%02x", b[i])
				c := b[i]
				if c < 0x20 || c > 0x7e {
					c = '.'
				}
				asc.WriteByte(c)
			} else {
				hx.WriteString("  ")
			}
			if i != off+width-1 {
				hx.WriteByte(' ')
			}
		}
		lines = append(lines, hexLine{
			Offset: fmt.Sprintf("%08x", base+int64(off)),
			Hex:    hx.String(),
			ASCII:  asc.String(),
		})
	}
	return lines
}

// modeString renders permission bits and type like ls -l ("drwxr-xr-x").
func modeString(typ string, mode uint16) string {
	t := map[string]byte{"file": '-', "dir": 'd', "symlink": 'l', "chardev": 'c',
		"blockdev": 'b', "fifo": 'p', "socket": 's'}[typ]
	if t == 0 {
		t = '?'
	}
	const rwx = "rwxrwxrwx"
	b := []byte{t}
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	// setuid, setgid, sticky replace the x positions.
	special := func(bit uint16, pos int, set, noexec byte) {
		if mode&bit == 0 {
			return
		}
		if b[pos] == '-' {
			b[pos] = noexec
		} else {
			b[pos] = set
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b)
}

// thousands prints n with thin grouping commas: 1,048,576.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// humanBytes prints a byte count in binary units with one decimal.
func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// unixTime prints seconds since the epoch in UTC, "—" for zero (never set).
func unixTime(sec int64) string {
	if sec == 0 {
		return "—"
	}
	return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05Z")
}

// percent prints part/whole as a percentage with one decimal.
func percent(part, whole uint64) string {
	if whole == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

// stripCell is one rectangle of a bitmap strip: a run of W adjacent
// buckets at X with the same shade class, l0 (free) … l8 (full).
type stripCell struct {
	X, W  int
	Class string
}

// stripCells maps the reader's per-bucket usage (0..255) to shade classes
// and merges equal neighbours, so a mostly empty or full group costs a
// handful of SVG rects instead of one per bucket (vugu re-sets every
// attribute of every element on each render). Cells are SVG rects with
// class attributes because the page's CSP forbids inline style attributes.
func stripCells(buckets []uint8) []stripCell {
	var cells []stripCell
	for i, v := range buckets {
		class := "l" + strconv.Itoa((int(v)*8+254)/255) // any use at all shows as level ≥ 1
		if n := len(cells); n > 0 && cells[n-1].Class == class {
			cells[n-1].W++
			continue
		}
		cells = append(cells, stripCell{X: i, W: 1, Class: class})
	}
	return cells
}
