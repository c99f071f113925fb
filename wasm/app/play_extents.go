package main

// The file's extent map at the current step (written / unwritten / hole,
// blocks that changed at this step outlined), rebuilt from the run's
// EvExtent events (core/trace ExtentIndex): instant at every step, so it
// follows playback and scrubbing like every other panel. core/dio checks
// those events against the image of a replay stopped at each step.

import (
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/vugu/vugu"

	"ext4play/core/dio"
	"ext4play/core/ext4"
	"ext4play/core/trace"
)

type fileExtents struct {
	Name    string
	Ino     uint32
	Blocks  uint32 // blocks shown (file size or last extent end)
	Extents []ext4.ExtentInfo
}

// extentIndex indexes a run's extent events (setResult builds one per run).
type extentIndex struct {
	x    *trace.ExtentIndex
	locs map[uint32]int32 // inode → its extent-tree counter in the trace
}

func newExtentIndex(res *dio.Result) extentIndex {
	ix := extentIndex{x: trace.NewExtentIndex(res.Trace), locs: map[uint32]int32{}}
	for _, f := range res.Files {
		ix.locs[f.Ino] = dio.ExtentTreeLoc(res.Trace, f.Ino)
	}
	return ix
}

// extentsAt is every workload file's extent map after step.
func (p *PlayState) extentsAt(step int) []fileExtents {
	if p.res == nil || p.extx.x == nil {
		return nil
	}
	bs := int64(p.res.BlockSize)
	var fx []fileExtents
	for _, f := range p.res.Files {
		loc, ok := p.extx.locs[f.Ino]
		if !ok || loc < 0 || !p.extx.x.Known(loc, step) {
			continue // the run had not opened the file yet
		}
		e := fileExtents{Name: f.Name, Ino: f.Ino}
		for _, s := range p.extx.x.At(loc, step) {
			e.Extents = append(e.Extents, ext4.ExtentInfo{LBlk: s.LBlk, Len: s.Len, PBlk: s.PBlk, Unwritten: s.State == trace.ExtUnwritten})
			e.Blocks = max(e.Blocks, uint32(min(s.End(), 1<<32-1)))
		}
		if sz := p.fileSizeAt(f.Name, step); sz > 0 && bs > 0 {
			e.Blocks = max(e.Blocks, uint32(min((sz+bs-1)/bs, 1<<32-1)))
		}
		fx = append(fx, e)
	}
	return fx
}

// fileSizeAt is the file's i_size after step, from the trace (not from
// the cursor's state: cached maps must not depend on where the cursor was).
func (p *PlayState) fileSizeAt(name string, step int) int64 {
	tr := p.res.Trace
	loc := int32(-1)
	for i, l := range tr.Locs {
		if l.Kind == trace.LocVar && l.Name == "i_size" && l.Parent >= 0 && fileOf(tr.Locs[l.Parent].Name) == name {
			loc = int32(i)
			break
		}
	}
	if loc < 0 {
		return 0
	}
	size := tr.Locs[loc].Init
	evs := tr.Events
	end := sort.Search(len(evs), func(i int) bool { return int(evs[i].Step) > step })
	for i := end - 1; i >= 0; i-- {
		if evs[i].Kind == trace.EvVar && evs[i].Loc == loc {
			return evs[i].New
		}
	}
	return size
}

// blockKind is 0 hole, 1 written, 2 unwritten for each block.
func blockKinds(f fileExtents) []byte {
	out := make([]byte, f.Blocks)
	for _, x := range f.Extents {
		k := byte(1)
		if x.Unwritten {
			k = 2
		}
		for b := x.LBlk; b < x.LBlk+x.Len && b < f.Blocks; b++ {
			out[b] = k
		}
	}
	return out
}

// extentSVG draws each file as a strip of blocks, changed ones outlined.
func (p *PlayState) extentSVG() vugu.HTML {
	if p.res == nil {
		return ""
	}
	cur := p.extentsAt(p.step)
	// The previous step's map shows what changed; only steps that change
	// an inode's extent tree (its change counter in the trace) can.
	var prev []fileExtents
	if p.step > 1 && p.extentTreeChanged(p.step) {
		prev = p.extentsAt(p.step - 1)
	}
	const w, rowH, labelW = 440, 34, 0
	var b strings.Builder
	h := max(1, len(cur)) * rowH
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="ext-svg" width="100%%" data-w="%d" data-h="%d" viewBox="0 0 %d %d">`, w, h, w, h)
	esc := html.EscapeString
	for i, f := range cur {
		y := i * rowH
		kinds := blockKinds(f)
		var before []byte
		for _, pf := range prev {
			if pf.Ino == f.Ino {
				before = blockKinds(pf)
			}
		}
		nw, nu, nh := 0, 0, 0
		for _, k := range kinds {
			switch k {
			case 0:
				nh++
			case 1:
				nw++
			case 2:
				nu++
			}
		}
		changed := 0
		for j, k := range kinds {
			if before != nil && (j >= len(before) || before[j] != k) {
				changed++
			}
		}
		fmt.Fprintf(&b, `<g data-testid="extent-file" data-file="%s" data-written="%d" data-unwritten="%d" data-holes="%d" data-changed="%d">`, esc(f.Name), nw, nu, nh, changed)
		sum := fmt.Sprintf("%d blocks · %d written · %d unwritten · %d hole", f.Blocks, nw, nu, nh)
		// The name gets what the right-aligned summary leaves of the row.
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-h"><title>%s</title>%s</text><text x="%d" y="%d" class="t-r">%s</text>`,
			labelW, y+11, esc(f.Name), esc(abbrev(f.Name, max(6, 64-len([]rune(sum))))), w-2, y+11, esc(sum))
		if f.Blocks > 0 {
			bw := float64(w) / float64(f.Blocks)
			// runs of equal kind → one rect each
			for s := 0; s < len(kinds); {
				e := s
				for e < len(kinds) && kinds[e] == kinds[s] {
					e++
				}
				fmt.Fprintf(&b, `<rect class="ex k%d" x="%.2f" y="%d" width="%.2f" height="14"/>`, kinds[s], float64(s)*bw, y+16, float64(e-s)*bw)
				s = e
			}
			for j, k := range kinds {
				if before != nil && (j >= len(before) || before[j] != k) {
					fmt.Fprintf(&b, `<rect class="ex chg" x="%.2f" y="%d" width="%.2f" height="18"/>`, float64(j)*bw, y+14, max(bw, 2))
				}
			}
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return vugu.HTML(b.String())
}

// extentTreeChanged reports whether step changed some inode's extent tree
// (the "extent tree" change counter core/dio keeps per inode).
func (p *PlayState) extentTreeChanged(step int) bool {
	tr := p.res.Trace
	for loc := range p.changedAt(step) {
		if l := tr.Locs[loc]; l.Kind == trace.LocVar && l.Name == "extent tree" {
			return true
		}
	}
	return false
}
