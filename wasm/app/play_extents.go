package main

// The file's extent map at the current step (written / unwritten / hole,
// blocks that changed at this step highlighted). The trace does not hold
// extents, so the run is replayed up to the step with the final image kept
// (DIO_API.md) and read back through core/ext4; results are cached per
// step and computed only while the cursor rests (play_js.go).

import (
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/vugu/vugu"

	"ext4play/core/dio"
	"ext4play/core/ext4"
	"ext4play/core/sim"
	"ext4play/core/trace"
)

type fileExtents struct {
	Name    string
	Ino     uint32
	Blocks  uint32 // blocks shown (file size or last extent end)
	Extents []ext4.ExtentInfo
	Err     string
}

type extentCache struct {
	prep  *dio.Prepared
	steps map[int][]fileExtents
	order []int
}

const extentCacheMax = 64

// extentsAt replays the run to step and reads every workload file's extents.
func (p *PlayState) extentsAt(step int) []fileExtents {
	if p.res == nil || p.runSc == nil {
		return nil
	}
	c := &p.extc
	if c.steps == nil {
		c.steps = map[int][]fileExtents{}
	}
	if fx, ok := c.steps[step]; ok {
		return fx
	}
	if c.prep == nil {
		pr, err := dio.Prepare(p.runSc)
		if err != nil {
			return []fileExtents{{Err: err.Error()}}
		}
		c.prep = pr
	}
	var fx []fileExtents
	func() {
		defer func() {
			if r := recover(); r != nil {
				fx = []fileExtents{{Err: fmt.Sprintf("replay to step %d failed: %v", step, r)}}
			}
		}()
		r := c.prep.Run(sim.Replay(p.res.Schedule), dio.Options{KeepImage: true, StepsMax: max(step, 1)})
		if r.Image == nil {
			fx = []fileExtents{{Err: "the replay kept no image"}}
			return
		}
		vol, err := ext4.OpenVolume(r.Image)
		if err != nil {
			fx = []fileExtents{{Err: err.Error()}}
			return
		}
		bs := vol.BlockSize()
		files := r.Files
		if len(files) == 0 {
			files = p.res.Files
		}
		for _, f := range files {
			e := fileExtents{Name: f.Name, Ino: f.Ino}
			ext, err := vol.Extents(f.Ino)
			if err != nil {
				e.Err = err.Error()
			}
			e.Extents = ext
			for _, x := range ext {
				e.Blocks = max(e.Blocks, x.LBlk+x.Len)
			}
			if sz := p.fileSizeAt(f.Name, step); sz > 0 && bs > 0 {
				e.Blocks = max(e.Blocks, uint32((sz+int64(bs)-1)/int64(bs)))
			}
			fx = append(fx, e)
		}
	}()
	c.steps[step] = fx
	c.order = append(c.order, step)
	if len(c.order) > extentCacheMax {
		delete(c.steps, c.order[0])
		c.order = c.order[1:]
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
	if p.extManual() {
		return vugu.HTML(fmt.Sprintf(`<div class="dim pad" data-testid="extent-manual">A long run: the map at step %d replays %s steps of the model on this thread.</div>`, p.step, thousands(uint64(p.step))))
	}
	if !p.extReady {
		return vugu.HTML(`<div class="dim pad">computed when the cursor rests…</div>`)
	}
	cur := p.extentsAt(p.step)
	// The previous step's map shows what changed. Only steps that change
	// an inode's extent tree (its change counter in the trace) can change
	// the map, so the extra replay is paid only there, in long runs too.
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
		if f.Err != "" {
			fmt.Fprintf(&b, `<text x="4" y="%d" class="t-bad">%s</text>`, y+14, esc(f.Err))
			continue
		}
		kinds := blockKinds(f)
		var before []byte
		for _, pf := range prev {
			if pf.Ino == f.Ino && pf.Err == "" {
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

// extAutoSteps is the longest run whose extent map follows the cursor by
// itself; each map replays the run up to its step (one more where the
// tree changed), which for longer runs blocks the page for too long.
const extAutoSteps = 10_000

// extManual says the map at the cursor waits for a click.
func (p *PlayState) extManual() bool {
	if p.res == nil || p.maxStep() <= extAutoSteps || p.extWant == p.step {
		return false
	}
	_, cached := p.extc.steps[p.step]
	return !cached
}

// ShowExtents computes the extent map at the cursor of a long run.
func (c *Play) ShowExtents() {
	c.S.extWant = c.S.step
	c.S.extReady = true
}
