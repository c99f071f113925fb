package ext4

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// layoutCase is one mkfs configuration compared with mke2fs.
type layoutCase struct {
	size int64
	opts MkfsOptions
	args []string // the same options for mke2fs
}

func (c layoutCase) String() string { return fmt.Sprintf("%d%v", c.size, c.args) }

var layoutCases = []layoutCase{
	{size: 64 << 20},
	{size: 1 << 30},
	{size: 16 << 30},
	{size: 5 << 20},
	{size: 600 << 20, opts: MkfsOptions{BlockSize: 1024}, args: []string{"-b", "1024"}},
	{size: 300 << 20, opts: MkfsOptions{BlockSize: 2048}, args: []string{"-b", "2048"}},
	{size: 200<<20 + 12345, opts: MkfsOptions{InodeSize: 128}, args: []string{"-I", "128"}},
	{size: 2 << 30, opts: MkfsOptions{Inodes: 5000}, args: []string{"-N", "5000"}},
	{size: 3<<30 + 4096*100, opts: MkfsOptions{InodeRatio: 65536}, args: []string{"-i", "65536"}},
	{size: 256 << 20, opts: MkfsOptions{Features: "^flex_bg"}, args: []string{"-O", "^flex_bg"}},
	{size: 128 << 20, opts: MkfsOptions{Features: "^resize_inode"}, args: []string{"-O", "^resize_inode"}},
	{size: 100 << 20, opts: MkfsOptions{Features: "^metadata_csum,uninit_bg"}, args: []string{"-O", "^metadata_csum,uninit_bg"}},
	{size: 100 << 20, opts: MkfsOptions{Features: "^has_journal"}, args: []string{"-O", "^has_journal"}},
	{size: 1<<30 + 7<<20, opts: MkfsOptions{BlockSize: 1024}, args: []string{"-b", "1024"}},
	{size: 4 << 30, opts: MkfsOptions{BlockSize: 1024}, args: []string{"-b", "1024"}},
	{size: 8<<30 + 3<<20, opts: MkfsOptions{BlockSize: 2048}, args: []string{"-b", "2048"}},
	{size: 256 << 30},
	{size: 100<<30 + 12345678},
	{size: 40 << 30, opts: MkfsOptions{Inodes: 3000000}, args: []string{"-N", "3000000"}},
	{size: 2<<20 + 512<<10},
	{size: 32 << 20, opts: MkfsOptions{Label: "playground"}, args: []string{"-L", "playground"}},
}

// soakLayoutCases are the slow ones (e2fsck of a 5 TiB image takes a
// while): run with EXT4PLAY_SOAK=1.
var soakLayoutCases = []layoutCase{
	{size: 1 << 40},
	{size: 5 << 40},
	{size: 300 << 30, opts: MkfsOptions{BlockSize: 2048}, args: []string{"-b", "2048"}},
}

func allLayoutCases() []layoutCase {
	if os.Getenv("EXT4PLAY_SOAK") == "1" {
		return append(append([]layoutCase(nil), layoutCases...), soakLayoutCases...)
	}
	return layoutCases
}

// TestLayoutMatchesMke2fs checks the pure geometry against dumpe2fs of
// an mke2fs image made with the same options: header counts and every
// group's bitmap and table locations, counts and flags.
func TestLayoutMatchesMke2fs(t *testing.T) {
	needTool(t, "mke2fs")
	for _, c := range allLayoutCases() {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			o := c.opts
			o.Size = c.size
			o.ReservedPercent = -1
			r, err := o.resolve()
			if err != nil {
				t.Fatal(err)
			}
			p, err := planMkfs(r.geo)
			if err != nil {
				t.Fatal(err)
			}
			ref := runMke2fs(t, c.size, c.args...)
			hdr, groups := runDumpe2fs(t, ref)
			want := map[string]uint64{
				"Block count":          p.blocksCount,
				"Inode count":          uint64(p.inodesCount),
				"Reserved block count": p.rBlocksCount,
				"Free blocks":          p.freeBlocks,
				"Free inodes":          uint64(p.freeInodes),
				"Blocks per group":     uint64(p.blocksPerGroup),
				"Inodes per group":     uint64(p.inodesPerGroup),
				"Block size":           uint64(p.blockSize),
			}
			if p.reservedGDT != 0 {
				want["Reserved GDT blocks"] = uint64(p.reservedGDT)
			}
			if r.geo.feat.hasJournal {
				want["Total journal blocks"] = p.journalBlocks
			}
			if r.geo.feat.metadataCsum {
				want["Overhead clusters"] = p.overhead
			}
			for k, v := range want {
				got, err := strconv.ParseUint(hdr[k], 10, 64)
				if err != nil || got != v {
					t.Errorf("%s: mke2fs %q, plan %d", k, hdr[k], v)
				}
			}
			if len(groups) != int(p.groupCount) {
				t.Fatalf("groups: mke2fs %d, plan %d", len(groups), p.groupCount)
			}
			bad := 0
			for i, g := range groups {
				pg := p.groups[i]
				var fl []string
				if pg.inodeUninit {
					fl = append(fl, "INODE_UNINIT")
				}
				if pg.blockUninit {
					fl = append(fl, "BLOCK_UNINIT")
				}
				if r.geo.feat.groupCsum {
					fl = append(fl, "ITABLE_ZEROED")
				}
				mine := dumpGroup{strings.Join(fl, ", "), pg.blockBitmap, pg.inodeBitmap, pg.inodeTable,
					uint64(pg.freeBlocks), uint64(pg.freeInodes), uint64(pg.usedDirs), uint64(pg.itableUnused)}
				if mine != g && bad < 5 {
					bad++
					t.Errorf("group %d:\n mke2fs %+v\n plan   %+v", i, g, mine)
				}
			}
			if r.geo.feat.hasJournal {
				ex := runDebugfs(t, ref, "ex <8>")
				folded := strings.Join(strings.Fields(ex), " ")
				for _, got := range formatJournalExtents(p) {
					if !strings.Contains(folded, got) {
						t.Errorf("journal extent %q not in debugfs output:\n%s", got, ex)
					}
				}
				if p.journalIndex != 0 && !strings.Contains(folded, fmt.Sprintf(" %d %d", p.journalBlocks-1, p.journalIndex)) {
					t.Errorf("journal index block %d not in debugfs output:\n%s", p.journalIndex, ex)
				}
			}
		})
	}
}

// formatJournalExtents renders the leaf extents the way debugfs "ex" does
// after whitespace folding: "logical - logical physical - physical len".
func formatJournalExtents(p *mkfsPlan) []string {
	var parts []string
	for _, e := range p.journalExtents {
		parts = append(parts, fmt.Sprintf("%d - %d %d - %d %d", e.lblk, e.lblk+e.len-1, e.pblk, e.pblk+uint64(e.len)-1, e.len))
	}
	return parts
}
