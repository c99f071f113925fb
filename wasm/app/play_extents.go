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

// kindRun is blocks [s, e) of one kind: 0 hole, 1 written, 2 unwritten.
type kindRun struct {
	s, e uint32
	k    byte
}

// kindRuns covers the file's blocks [0, f.Blocks) with runs of one kind,
// adjacent runs of the same kind merged: the strip the panel draws, in
// time proportional to the extents, not the blocks (a full-size file has
// 130,000 blocks and is drawn on every render while scrubbing).
func kindRuns(f fileExtents) []kindRun {
	var out []kindRun
	add := func(s, e uint32, k byte) {
		if e <= s {
			return
		}
		if n := len(out); n > 0 && out[n-1].k == k && out[n-1].e == s {
			out[n-1].e = e
			return
		}
		out = append(out, kindRun{s, e, k})
	}
	at := uint32(0)
	for _, x := range f.Extents {
		s, e := x.LBlk, min(x.LBlk+x.Len, f.Blocks)
		if s >= f.Blocks {
			break
		}
		add(at, s, 0)
		k := byte(1)
		if x.Unwritten {
			k = 2
		}
		add(max(s, at), e, k)
		at = max(at, e)
	}
	add(at, f.Blocks, 0)
	return out
}

// pixelRuns bins runs over blocks [0, blocks) into w pixel columns when
// there are more blocks than pixels: a column is unwritten if any of its
// blocks is, else written if any is, else a hole — a strip shows where
// data and unwritten ranges are, the counts beside it how much (a
// mostly-sparse file would otherwise draw as all holes). The result is runs of
// columns, so a 130,000-block file is at most w rectangles, not one per
// extent.
func pixelRuns(runs []kindRun, blocks uint32, w int) []kindRun {
	var counts [3]uint64
	var out []kindRun
	r := 0
	for c := 0; c < w; c++ {
		lo := uint64(blocks) * uint64(c) / uint64(w)
		hi := uint64(blocks) * uint64(c+1) / uint64(w)
		counts = [3]uint64{}
		for r < len(runs) && uint64(runs[r].e) <= lo {
			r++
		}
		for i := r; i < len(runs) && uint64(runs[i].s) < hi; i++ {
			counts[runs[i].k] += min(uint64(runs[i].e), hi) - max(uint64(runs[i].s), lo)
		}
		k := byte(0)
		switch {
		case counts[2] > 0:
			k = 2
		case counts[1] > 0:
			k = 1
		}
		if n := len(out); n > 0 && out[n-1].k == k {
			out[n-1].e++
		} else {
			out = append(out, kindRun{s: uint32(c), e: uint32(c + 1), k: k})
		}
	}
	return out
}

// changedRuns returns the blocks of cur whose kind differs from prev's,
// or that lie past prev's end (the file grew), as runs (k unused).
func changedRuns(cur, prev []kindRun) []kindRun {
	var out []kindRun
	j := 0
	for _, c := range cur {
		for s := c.s; s < c.e; {
			for j < len(prev) && prev[j].e <= s {
				j++
			}
			e, differs := c.e, true
			if j < len(prev) && prev[j].s <= s {
				e = min(c.e, prev[j].e)
				differs = prev[j].k != c.k
			}
			if differs {
				if n := len(out); n > 0 && out[n-1].e == s {
					out[n-1].e = e
				} else {
					out = append(out, kindRun{s: s, e: e})
				}
			}
			s = e
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
		runs := kindRuns(f)
		var chg []kindRun
		for _, pf := range prev {
			if pf.Ino == f.Ino {
				chg = changedRuns(runs, kindRuns(pf))
			}
		}
		var n [3]uint64 // blocks per kind: hole, written, unwritten
		for _, r := range runs {
			n[r.k] += uint64(r.e - r.s)
		}
		changed := uint64(0)
		for _, r := range chg {
			changed += uint64(r.e - r.s)
		}
		fmt.Fprintf(&b, `<g data-testid="extent-file" data-file="%s" data-written="%d" data-unwritten="%d" data-holes="%d" data-changed="%d">`, esc(f.Name), n[1], n[2], n[0], changed)
		sum := fmt.Sprintf("%d blocks · %d written · %d unwritten · %d hole", f.Blocks, n[1], n[2], n[0])
		// The name gets what the right-aligned summary leaves of the row.
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-h"><title>%s</title>%s</text><text x="%d" y="%d" class="t-r">%s</text>`,
			labelW, y+11, esc(f.Name), esc(abbrev(f.Name, max(6, 64-len([]rune(sum))))), w-2, y+11, esc(sum))
		if f.Blocks > 0 {
			bw := float64(w) / float64(f.Blocks)
			strip := runs
			if f.Blocks > w {
				strip = pixelRuns(runs, f.Blocks, w)
				bw = 1
			}
			for _, r := range strip {
				fmt.Fprintf(&b, `<rect class="ex k%d" x="%.2f" y="%d" width="%.2f" height="14"/>`, r.k, float64(r.s)*bw, y+16, float64(r.e-r.s)*bw)
			}
			bw = float64(w) / float64(f.Blocks)
			for _, r := range chg {
				fmt.Fprintf(&b, `<rect class="ex chg" x="%.2f" y="%d" width="%.2f" height="18"/>`, float64(r.s)*bw, y+14, max(float64(r.e-r.s)*bw, 2))
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
