package main

// Methods the templates call to get display rows. They run during the
// build pass, under the render lock, and must not block.

import (
	"fmt"
	"strconv"
	"strings"

	"ext4play/core/ext4"
)

// field is one labelled value of the superblock panel. Key is the JSON key
// of ext4.SuperblockReport (the contract); the page exposes it as
// data-field so tests can read values without scraping labels.
type field struct {
	Key    string
	Label  string
	Value  string
	Note   string // secondary text shown dimmed (units, percentages)
	Long   bool   // wide values (UUID, hash seed) get their own line
	Kernel string // the on-disk field it comes from, for the tooltip
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// sbKernelName names the struct ext4_super_block field (fs/ext4/ext4.h)
// behind each superblock panel row, shown as the label's tooltip.
var sbKernelName = map[string]string{
	"volume_name": "s_volume_name", "uuid": "s_uuid", "magic": "s_magic", "rev_level": "s_rev_level",
	"state": "s_state", "errors_behavior": "s_errors", "creator_os": "s_creator_os",
	"block_size": "s_log_block_size", "blocks_count": "s_blocks_count_lo/_hi",
	"free_blocks_count": "s_free_blocks_count_lo/_hi", "reserved_blocks_count": "s_r_blocks_count_lo/_hi",
	"first_data_block": "s_first_data_block", "blocks_per_group": "s_blocks_per_group",
	"group_count":         "computed from s_blocks_count and s_blocks_per_group",
	"reserved_gdt_blocks": "s_reserved_gdt_blocks", "log_groups_per_flex": "s_log_groups_per_flex",
	"inodes_count": "s_inodes_count", "free_inodes_count": "s_free_inodes_count",
	"inodes_per_group": "s_inodes_per_group", "inode_size": "s_inode_size", "first_ino": "s_first_ino",
	"desc_size": "s_desc_size", "journal_inum": "s_journal_inum", "default_hash_version": "s_def_hash_version",
	"hash_seed": "s_hash_seed", "checksum_type": "s_checksum_type, s_checksum",
	"default_mount_opts": "s_default_mount_opts", "mount_opts": "s_mount_opts",
	"last_mounted": "s_last_mounted", "mkfs_time": "s_mkfs_time", "mtime": "s_mtime", "wtime": "s_wtime",
}

// superFields lists the superblock panel in dumpe2fs -h order.
func (c *Root) superFields() []field {
	sb := &c.img.Report.Superblock
	bs := uint64(sb.BlockSize)
	fs := []field{
		{Key: "volume_name", Label: "Volume name", Value: orDash(sb.VolumeName)},
		{Key: "uuid", Label: "UUID", Value: sb.UUID, Long: true},
		{Key: "magic", Label: "Magic", Value: fmt.Sprintf("0x%04X", sb.Magic)},
		{Key: "rev_level", Label: "Revision", Value: u(uint64(sb.RevLevel))},
		{Key: "state", Label: "State", Value: orDash(sb.State)},
		{Key: "errors_behavior", Label: "Errors", Value: orDash(sb.Errors)},
		{Key: "creator_os", Label: "Creator OS", Value: orDash(sb.CreatorOS)},
		{Key: "block_size", Label: "Block size", Value: u(bs), Note: "bytes"},
		{Key: "blocks_count", Label: "Blocks", Value: u(sb.BlocksCount), Note: humanBytes(sb.BlocksCount * bs)},
		{Key: "free_blocks_count", Label: "Free blocks", Value: u(sb.FreeBlocksCount), Note: percent(sb.FreeBlocksCount, sb.BlocksCount)},
		{Key: "reserved_blocks_count", Label: "Reserved blocks", Value: u(sb.ReservedBlocksCount), Note: percent(sb.ReservedBlocksCount, sb.BlocksCount)},
		{Key: "first_data_block", Label: "First data block", Value: u(uint64(sb.FirstDataBlock))},
		{Key: "blocks_per_group", Label: "Blocks per group", Value: u(uint64(sb.BlocksPerGroup))},
		{Key: "group_count", Label: "Groups", Value: u(uint64(sb.GroupCount))},
		{Key: "reserved_gdt_blocks", Label: "Reserved GDT", Value: u(uint64(sb.ReservedGDTBlocks))},
		{Key: "log_groups_per_flex", Label: "Flex group size", Value: flexSize(sb.LogGroupsPerFlex)},
		{Key: "inodes_count", Label: "Inodes", Value: u(uint64(sb.InodesCount))},
		{Key: "free_inodes_count", Label: "Free inodes", Value: u(uint64(sb.FreeInodesCount)), Note: percent(uint64(sb.FreeInodesCount), uint64(sb.InodesCount))},
		{Key: "inodes_per_group", Label: "Inodes per group", Value: u(uint64(sb.InodesPerGroup))},
		{Key: "inode_size", Label: "Inode size", Value: u(uint64(sb.InodeSize)), Note: "bytes"},
		{Key: "first_ino", Label: "First inode", Value: u(uint64(sb.FirstIno))},
		{Key: "desc_size", Label: "Group desc size", Value: u(uint64(sb.DescSize)), Note: "bytes"},
		{Key: "journal_inum", Label: "Journal inode", Value: zeroDash(sb.JournalInum)},
		{Key: "default_hash_version", Label: "Hash version", Value: orDash(sb.HashVersion)},
		{Key: "hash_seed", Label: "Hash seed", Value: orDash(sb.HashSeed), Long: true},
		{Key: "checksum_type", Label: "Checksum", Value: checksumText(sb)},
		{Key: "default_mount_opts", Label: "Default mntopts", Value: orDash(strings.Join(sb.DefaultMountOpts, " "))},
		{Key: "mount_opts", Label: "Mount options", Value: orDash(sb.MountOpts)},
		{Key: "last_mounted", Label: "Last mounted on", Value: orDash(sb.LastMounted)},
		{Key: "mkfs_time", Label: "Created", Value: unixTime(sb.Ctime)},
		{Key: "mtime", Label: "Last mount", Value: unixTime(sb.Mtime)},
		{Key: "wtime", Label: "Last write", Value: unixTime(sb.Wtime)},
	}
	for i := range fs {
		fs[i].Kernel = sbKernelName[fs[i].Key]
	}
	return fs
}

func zeroDash(v uint32) string {
	if v == 0 {
		return "—"
	}
	return u(uint64(v))
}

func flexSize(log uint8) string {
	if log == 0 {
		return "—"
	}
	if log > 31 {
		return fmt.Sprintf("2^%d", log)
	}
	return u(1 << log)
}

func checksumText(sb *ext4.SuperblockReport) string {
	if sb.ChecksumType == "" {
		return "—"
	}
	return fmt.Sprintf("%s 0x%08x", sb.ChecksumType, sb.Checksum)
}

// summary is the one-line description of the open image in the toolbar.
func (c *Root) summary() string {
	sb := &c.img.Report.Superblock
	kind := "ext2"
	for _, f := range sb.Features {
		switch f {
		case "has_journal":
			if kind == "ext2" {
				kind = "ext3"
			}
		case "extent", "extents", "flex_bg", "64bit", "huge_file", "metadata_csum", "extra_isize", "dir_nlink":
			kind = "ext4"
		}
	}
	return fmt.Sprintf("%s · %s · %s blocks of %d", kind, humanBytes(sb.BlocksCount*uint64(sb.BlockSize)), u(sb.BlocksCount), sb.BlockSize)
}

// loadNote says where the image came from and how long it took.
func (c *Root) loadNote() string {
	if c.img.Source == "run" {
		return fmt.Sprintf("the playground's run after step %d · replayed and read in %d ms", c.img.Step, c.img.LoadTime.Milliseconds())
	}
	if c.img.Source == "new" {
		return fmt.Sprintf("made here by mkfs · %s in %d ms", humanBytes(uint64(c.img.DevBytes)), c.img.LoadTime.Milliseconds())
	}
	src := map[string]string{"sample": "bundled sample", "file": "opened file", "drop": "dropped file"}[c.img.Source]
	return fmt.Sprintf("%s · %s read, %s decoded in %d ms", src, humanBytes(uint64(c.img.InBytes)), humanBytes(uint64(c.img.DevBytes)), c.img.LoadTime.Milliseconds())
}

// groupRow is one line of the block group table.
type groupRow struct {
	G        *ext4.GroupReport
	Range    string
	Flags    string
	FlagTags []flagTag
	Cells    []stripCell
	UsedPc   string
}

func (c *Root) computeGroupRows() []groupRow {
	r := c.img.Report
	rows := make([]groupRow, len(r.Groups))
	for i := range r.Groups {
		g := &r.Groups[i]
		span := g.LastBlock - g.FirstBlock + 1
		used := uint64(0)
		if uint64(g.FreeBlocksCount) <= span {
			used = span - uint64(g.FreeBlocksCount)
		}
		rows[i] = groupRow{
			G:        g,
			Range:    fmt.Sprintf("%d–%d", g.FirstBlock, g.LastBlock),
			Flags:    strings.Join(g.Flags, " "),
			FlagTags: groupFlagTags(g.Flags),
			Cells:    stripCells(g.BitmapStrip),
			UsedPc:   percent(used, span),
		}
	}
	return rows
}

// inodeRow is one line of the inode table.
type inodeRow struct {
	In       *ext4.InodeReport
	Mode     string
	Path     string
	Flags    string
	NExtents int
	Unwrit   int // extents marked unwritten
	Selected bool
}

// inodeRows lists inodes matching the filter (inode number, path fragment,
// type, flag or mapping), at most rowsLimit of them. total is the number
// that matched.
func (c *Root) computeInodeRows() (rows []inodeRow, total int) {
	f := strings.ToLower(c.inodeFilter)
	for i := range c.img.Report.Inodes {
		in := &c.img.Report.Inodes[i]
		p := ""
		if ps := c.paths[in.Ino]; len(ps) > 0 {
			p = ps[0]
		}
		flags := strings.Join(in.Flags, " ")
		if f != "" && !matchInode(f, in, p, flags) {
			continue
		}
		total++
		if len(rows) >= c.rowsLimit() {
			continue
		}
		unw := 0
		for _, e := range in.Extents {
			if e.Unwritten {
				unw++
			}
		}
		rows = append(rows, inodeRow{
			In: in, Mode: modeString(in.Type, in.Mode), Path: p, Flags: flags,
			NExtents: len(in.Extents), Unwrit: unw, Selected: in.Ino == c.selIno,
		})
	}
	return rows, total
}

func matchInode(f string, in *ext4.InodeReport, p, flags string) bool {
	if n, err := strconv.ParseUint(f, 10, 32); err == nil {
		return uint32(n) == in.Ino
	}
	return strings.Contains(strings.ToLower(p), f) || in.Type == f || in.Mapping == f ||
		strings.Contains(strings.ToLower(flags), f)
}

func (c *Root) inodesShown() []inodeRow { rows, _ := c.inodeRows(); return rows }

func (c *Root) inodeCountNote() string {
	rows, total := c.inodeRows()
	all := len(c.img.Report.Inodes)
	switch {
	case c.inodeFilter == "" && len(rows) == total:
		return fmt.Sprintf("%d in use", all)
	case c.inodeFilter == "":
		return fmt.Sprintf("%d in use, first %d shown", all, len(rows))
	case len(rows) < total:
		return fmt.Sprintf("showing %d of %d matching (of %d in use)", len(rows), total, all)
	default:
		return fmt.Sprintf("%d of %d match", total, all)
	}
}

func (c *Root) treeRows() []treeRow {
	c.fillTreeCache()
	return c.memo.tree
}

func (c *Root) treeTruncated() bool {
	c.fillTreeCache()
	return c.memo.treeCut
}

func (c *Root) childrenOf(p string) []*treeNode {
	var find func(n *treeNode) *treeNode
	find = func(n *treeNode) *treeNode {
		if n.Path == p {
			return n
		}
		if !strings.HasPrefix(p, strings.TrimSuffix(n.Path, "/")+"/") {
			return nil
		}
		for _, ch := range n.Children {
			if m := find(ch); m != nil {
				return m
			}
		}
		return nil
	}
	if n := find(c.tree); n != nil {
		return n.Children
	}
	return nil
}

// indent is the tree row's indentation as a CSS class (no inline styles
// under the page's CSP): d0 … d12, deeper rows share d12.
func indent(depth int) string { return "d" + strconv.Itoa(min(depth, 12)) }

func treeIcon(r treeRow) string {
	switch {
	case r.HasKids && r.Expanded:
		return "▾"
	case r.HasKids:
		return "▸"
	}
	return ""
}

func typeGlyph(t string) string {
	switch t {
	case "dir":
		return "d"
	case "file":
		return "f"
	case "symlink":
		return "l"
	case "":
		return "?"
	}
	return "s"
}

// sel is the selected inode, or nil.
func (c *Root) sel() *ext4.InodeReport {
	if c.img == nil {
		return nil
	}
	return c.byIno[c.selIno]
}

func (c *Root) selPaths() string {
	ps := c.paths[c.selIno]
	if len(ps) == 0 {
		return "(no path: not linked from any directory read)"
	}
	return strings.Join(ps, "  ")
}

func (c *Root) selFields() []field {
	in := c.sel()
	fs := []field{
		{Key: "ino", Label: "Inode", Value: u(uint64(in.Ino))},
		{Key: "type", Label: "Type", Value: in.Type},
		{Key: "mode", Label: "Mode", Value: fmt.Sprintf("%s (%04o)", modeString(in.Type, in.Mode), in.Mode)},
		{Key: "size", Label: "Size", Value: u(in.Size), Note: humanBytes(in.Size)},
		{Key: "links", Label: "Links", Value: u(uint64(in.Links))},
		{Key: "blocks", Label: "i_blocks", Value: u(in.Blocks), Note: "× 512 B"},
		{Key: "uid", Label: "UID / GID", Value: fmt.Sprintf("%d / %d", in.UID, in.GID)},
		{Key: "mtime", Label: "Modified", Value: unixTime(in.Mtime)},
		{Key: "mapping", Label: "Mapping", Value: in.Mapping},
		{Key: "flags", Label: "Flags", Value: orDash(strings.Join(in.Flags, " "))},
	}
	if in.Symlink != "" {
		fs = append(fs, field{Key: "symlink", Label: "Target", Value: in.Symlink, Long: true})
	}
	if in.SHA256 != "" {
		fs = append(fs, field{Key: "sha256", Label: "SHA-256", Value: in.SHA256, Long: true})
	}
	return fs
}

func (c *Root) selXattrs() []field {
	in := c.sel()
	var fs []field
	for k, v := range in.Xattrs {
		if r := []rune(v); len(r) > xattrShowMax {
			v = string(r[:xattrShowMax]) + fmt.Sprintf("… (%d bytes)", len(in.Xattrs[k]))
		}
		fs = append(fs, field{Label: k, Value: v})
	}
	sortFields(fs)
	return fs
}

// xattrShowMax bounds how much of an extended attribute value the detail
// panel prints.
const xattrShowMax = 120

func sortFields(fs []field) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Label < fs[j-1].Label; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func (c *Root) selExtents() []extentRow { return extentRows(c.sel(), extentRowsMax) }

func (c *Root) selUnwritten() int {
	n := 0
	for _, e := range c.sel().Extents {
		if e.Unwritten {
			n++
		}
	}
	return n
}

func (c *Root) selHex() []hexLine { return hexDump(c.selBytes, 0) }

func (c *Root) selHexNote() string {
	in := c.sel()
	n := uint64(len(c.selBytes))
	if in.Size > n {
		return fmt.Sprintf("first %d of %s bytes", n, u(in.Size))
	}
	return fmt.Sprintf("%d bytes", n)
}

// problemRow is a listed problem and the inode it names, if any, so a
// click on it shows that inode.
type problemRow struct {
	ext4.Problem
	Ino uint32
}

func (c *Root) problemRows() []problemRow {
	ps := c.img.Report.Problems
	rows := make([]problemRow, len(ps))
	for i, p := range ps {
		rows[i] = problemRow{Problem: p, Ino: problemInode(p.Where)}
	}
	return rows
}

// problemInode returns N when where starts with "inode N" (the reader's
// wording for inode-level problems) and that inode is in the report.
func problemInode(where string) uint32 {
	rest, ok := strings.CutPrefix(where, "inode ")
	if !ok {
		return 0
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseUint(rest[:end], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

func (c *Root) probClass(p problemRow) string {
	if p.Ino != 0 && c.byIno[p.Ino] != nil {
		return "prob clickable"
	}
	return "prob"
}

func (c *Root) problemCount() string {
	n := len(c.img.Report.Problems)
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

func (c *Root) tabClass(t string) string {
	if c.Tab == t || (c.Tab == "" && t == "image") {
		return "tab active"
	}
	return "tab"
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func rowClass(base string, selected bool) string {
	if selected {
		return base + " selected"
	}
	return base
}

// state is exposed as data-state on the page root for tests and for the
// first-render mark: "loading", "error" (nothing shown), "ready" or "empty".
func (c *Root) state() string {
	switch {
	case c.busy != "":
		return "loading"
	case c.img != nil:
		return "ready"
	case c.loadErr != "":
		return "error"
	}
	return "empty"
}

func (c *Root) imageName() string {
	if c.img == nil {
		return ""
	}
	return c.img.Name
}

func (c *Root) kvClass(f field) string {
	if f.Long {
		return "long"
	}
	return ""
}

func (c *Root) journalFields() []field {
	j := c.img.Report.Journal
	blocktype := u(uint64(j.BlockType))
	switch j.BlockType { // JBD2_SUPERBLOCK_V1, JBD2_SUPERBLOCK_V2
	case 3:
		blocktype += " (superblock v1)"
	case 4:
		blocktype += " (superblock v2)"
	}
	return []field{
		{Key: "block_size", Label: "Block size", Value: u(uint64(j.BlockSize))},
		{Key: "maxlen", Label: "Length", Value: u(uint64(j.MaxLen)), Note: "blocks"},
		{Key: "first", Label: "First block", Value: u(uint64(j.First))},
		{Key: "sequence", Label: "Sequence", Value: u(uint64(j.Sequence))},
		{Key: "start", Label: "Start", Value: u(uint64(j.Start))},
		{Key: "blocktype", Label: "Block type", Value: blocktype},
		{Key: "features", Label: "Features", Value: orDash(strings.Join(j.Features, " "))},
		{Key: "checksum_type", Label: "Checksum", Value: orDash(j.ChecksumType)},
	}
}

func (c *Root) problemsPanelClass() string {
	if len(c.img.Report.Problems) > 0 {
		return "panel panel-problems has-problems"
	}
	return "panel panel-problems"
}

func (c *Root) problemBadgeClass() string {
	if len(c.img.Report.Problems) > 0 {
		return "badge badge-bad"
	}
	return "badge badge-ok"
}

func (c *Root) groupNote() string {
	sb := &c.img.Report.Superblock
	return fmt.Sprintf("%d × %d blocks, %d inodes each", len(c.img.Report.Groups), sb.BlocksPerGroup, sb.InodesPerGroup)
}

func hex4(v uint16) string { return fmt.Sprintf("%04x", v) }

func (c *Root) extentNote() string {
	in := c.sel()
	n := len(in.Extents)
	unit := "extent"
	if in.Mapping == "indirect" {
		unit = "run"
	}
	s := fmt.Sprintf("%d %ss", n, unit)
	if n == 1 {
		s = "1 " + unit
	}
	if in.Tree != nil {
		s += fmt.Sprintf(" · depth %d", in.Tree.Depth)
	}
	if uw := c.selUnwritten(); uw > 0 {
		s += fmt.Sprintf(" · %d unwritten", uw)
	}
	return s
}

// flagTag is a block group flag in the dense group table: a short tag with
// the kernel name as its tooltip.
type flagTag struct {
	Short, Name, Class string
}

func groupFlagTags(flags []string) []flagTag {
	tags := make([]flagTag, 0, len(flags))
	for _, f := range flags {
		t := flagTag{Short: f, Name: "EXT4_BG_" + f}
		switch f {
		case "INODE_UNINIT":
			t.Short, t.Class = "IU", "uninit"
		case "BLOCK_UNINIT":
			t.Short, t.Class = "BU", "uninit"
		case "ITABLE_ZEROED":
			// e2fsprogs' name; the kernel calls it EXT4_BG_INODE_ZEROED.
			t.Short, t.Class, t.Name = "IZ", "zeroed", "EXT4_BG_INODE_ZEROED (ITABLE_ZEROED)"
		}
		tags = append(tags, t)
	}
	return tags
}

func (c *Root) selectPlaceholder() string {
	if len(c.samples) == 0 {
		return "(no samples)"
	}
	if c.img != nil {
		return "— your image —"
	}
	return "— choose —"
}

// mapTitle names the block map of the selected inode the way the kernel
// does: an extent tree (EXT4_EXTENTS_FL) or the ext2/3 indirect block map.
func (c *Root) mapTitle() string {
	if c.sel().Mapping == "indirect" {
		return "Block map (indirect)"
	}
	return "Extent tree"
}

// leafName labels a mapped run: an on-disk extent, or a run of physically
// contiguous blocks found through an indirect map.
func (c *Root) leafName() string {
	if c.sel().Mapping == "indirect" {
		return "run"
	}
	return "extent"
}

// memo caches the derived rows between renders: vugu rebuilds the whole page
// on every event, and on an image with thousands of inodes recomputing each
// table several times per build is what makes clicks feel slow. Entries are
// keyed by what they depend on.
type memo struct {
	groupsOf *opened
	groups   []groupRow

	inodesOf  *opened
	inodesKey string
	inodes    []inodeRow
	inodesN   int

	treeOf  *opened
	treeGen int
	tree    []treeRow
	treeCut bool
}

func (c *Root) groupRows() []groupRow {
	if c.memo.groupsOf != c.img {
		c.memo.groupsOf, c.memo.groups = c.img, c.computeGroupRows()
	}
	return c.memo.groups
}

func (c *Root) inodeRows() ([]inodeRow, int) {
	key := c.inodeFilter + "\x00" + strconv.FormatUint(uint64(c.selIno), 10) + "\x00" + strconv.Itoa(c.rowsLimit())
	if c.memo.inodesOf != c.img || c.memo.inodesKey != key {
		c.memo.inodes, c.memo.inodesN = c.computeInodeRows()
		c.memo.inodesOf, c.memo.inodesKey = c.img, key
	}
	return c.memo.inodes, c.memo.inodesN
}

func (c *Root) fillTreeCache() {
	if c.memo.treeOf != c.img || c.memo.treeGen != c.treeGen {
		c.memo.tree, c.memo.treeCut = visibleRows(c.tree, c.expanded, c.types, treeRowsMax)
		c.memo.treeOf, c.memo.treeGen = c.img, c.treeGen
	}
}

// moreNote labels the button under a cut inode table, or is empty when
// every matching row is shown (or the hard limit is reached).
func (c *Root) moreNote() string {
	rows, total := c.inodeRows()
	if len(rows) >= total || c.rowsLimit() >= inodeRowsMax {
		return ""
	}
	return fmt.Sprintf("show %d more of %d", min(inodeRowsStep, total-len(rows)), total-len(rows))
}
