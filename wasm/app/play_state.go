package main

// Views of the reduced state at the current step: inodes (locks, counters,
// the i_private pointer), io_end cards, dios, bios in flight, workqueue
// workers and each task's call stack.

import (
	"fmt"
	"html"
	"slices"
	"sort"
	"strings"

	"github.com/vugu/vugu"

	"ext4play/core/trace"
)

// changedAt lists the locations an event of step touched.
func (p *PlayState) changedAt(step int) map[int32]bool {
	if p.sv != nil && p.sv.chg != nil && p.sv.step == step && p.sv.gen == p.gen {
		return p.sv.chg
	}
	return p.computeChanged(step)
}

func (p *PlayState) computeChanged(step int) map[int32]bool {
	out := map[int32]bool{}
	if p.res == nil || step <= 0 {
		return out
	}
	evs := p.res.Trace.Events
	i := sort.Search(len(evs), func(i int) bool { return int(evs[i].Step) >= step })
	for ; i < len(evs) && int(evs[i].Step) == step; i++ {
		if evs[i].Loc >= 0 {
			out[evs[i].Loc] = true
		}
	}
	return out
}

type kvRow struct {
	Key, Label, Value, Title string
	Changed, Bad             bool
}

func (r kvRow) Class() string {
	c := "pkv"
	if r.Changed {
		c += " changed"
	}
	if r.Bad {
		c += " bad"
	}
	return c
}

type inodeView struct {
	Loc     int32
	Name    string // "inode 12 (racer)"
	File    string
	Rows    []kvRow
	Private int32 // target loc or -1
	PrivTxt string
	PrivBad bool // points at freed memory
	PrivChg bool
}

// fileOf returns the file name in "inode 12 (racer)".
func fileOf(name string) string {
	if i := strings.IndexByte(name, '('); i >= 0 && strings.HasSuffix(name, ")") {
		return name[i+1 : len(name)-1]
	}
	return name
}

func (p *PlayState) who(t int32) string {
	if p.res == nil || t < 0 || int(t) >= len(p.res.Trace.Tasks) {
		return "—"
	}
	return p.res.Trace.Tasks[t].Name
}

// lockRow describes a lock: holder(s) and waiters.
func (p *PlayState) lockText(loc int32) (string, bool) {
	st := p.st
	var parts []string
	busy := false
	if o := st.Owner[loc]; o >= 0 {
		held := "held by "
		if p.res.Trace.Locs[loc].Kind == trace.LocRWSem {
			held = "write-held by " // down_write; readers are listed below
		}
		parts = append(parts, held+p.who(o))
		busy = true
	}
	if rs := st.Readers[loc]; len(rs) > 0 {
		var ns []string
		for _, r := range rs {
			ns = append(ns, p.who(r))
		}
		parts = append(parts, "read by "+strings.Join(ns, ", "))
		busy = true
	}
	if ws := st.Waiters[loc]; len(ws) > 0 {
		var ns []string
		for _, w := range ws {
			ns = append(ns, p.who(w.Task)+" ("+w.Mode.String()+")")
		}
		parts = append(parts, "waiting: "+strings.Join(ns, ", "))
	}
	if len(parts) == 0 {
		return "free", false
	}
	return strings.Join(parts, "; "), busy
}

// inodes lists the live inode objects with their locks and fields.
func (p *PlayState) computeInodes() []inodeView {
	if p.res == nil || p.st == nil {
		return nil
	}
	tr := p.res.Trace
	chg := p.changedAt(p.step)
	var out []inodeView
	for i, l := range tr.Locs {
		if l.Kind != trace.LocObj || l.Class != "inode" || p.st.Life[i] != trace.LifeLive {
			continue
		}
		iv := inodeView{Loc: int32(i), Name: l.Name, File: fileOf(l.Name), Private: -1}
		for j, m := range tr.Locs {
			if !m.Kind.IsLock() || !strings.HasPrefix(m.Name, iv.File+".") {
				continue
			}
			txt, busy := p.lockText(int32(j))
			iv.Rows = append(iv.Rows, kvRow{Key: m.Name, Label: strings.TrimPrefix(m.Name, iv.File+"."), Value: txt, Changed: chg[int32(j)] && busy || chg[int32(j)], Title: m.Kind.String()})
		}
		for j, m := range tr.Locs {
			if m.Parent != int32(i) || m.Kind != trace.LocVar {
				continue
			}
			v := p.st.Vals[j]
			if m.Format == trace.FmtRef {
				iv.Private = -1
				if v >= 0 {
					iv.Private = int32(v)
				}
				iv.PrivTxt = tr.FormatValue(int32(j), v)
				if v >= 0 && int(v) < len(p.st.Life) && p.st.Life[v] == trace.LifeFreed {
					iv.PrivBad = true
					iv.PrivTxt += " (freed!)"
				}
				iv.PrivChg = chg[int32(j)]
				continue
			}
			if m.Name == "extent tree" || m.Name == "i_es_tree" {
				continue // change counters: shown by the timeline
			}
			row := kvRow{Key: m.Name, Label: m.Name, Value: tr.FormatValue(int32(j), v), Changed: chg[int32(j)]}
			if m.Name == "i_state(DIO_UNWRITTEN)" {
				row.Label = "DIO_UNWRITTEN"
				row.Bad = v != 0
			}
			iv.Rows = append(iv.Rows, row)
		}
		out = append(out, iv)
	}
	return out
}

type objCard struct {
	Loc     int32
	Name    string
	Class   string
	Life    string
	Ref     int64
	Rows    []kvRow
	Owner   string
	Changed bool
	Freed   bool
	Flagged bool
	Target  bool   // some inode's i_private points here
	Queue   string // io_ends: which queue it is on (ioEndQueue)
}

func (o objCard) CardClass() string {
	c := "pcard " + o.Class
	if o.Freed {
		c += " freed"
	}
	if o.Changed {
		c += " changed"
	}
	if o.Target {
		c += " target"
	}
	if o.Flagged {
		c += " flagged"
	}
	return c
}

// objects lists io_end (and dio) objects worth showing at this step:
// live ones, and freed ones that are still pointed at or were freed in
// the last few steps.
func (p *PlayState) computeObjects(class string) []objCard {
	if p.res == nil || p.st == nil {
		return nil
	}
	tr := p.res.Trace
	chg := p.changedAt(p.step)
	targets := map[int32]bool{}
	for _, iv := range p.sv.inodes {
		if iv.Private >= 0 {
			targets[iv.Private] = true
		}
	}
	creators := p.creatorMap
	var out []objCard
	for i, l := range tr.Locs {
		if l.Kind != trace.LocObj || l.Class != class {
			continue
		}
		life := p.st.Life[i]
		if life == trace.LifeUnborn {
			continue
		}
		freedRecently := life == trace.LifeFreed && p.freedSince(int32(i)) <= 3
		if life == trace.LifeFreed && !targets[int32(i)] && !freedRecently {
			continue
		}
		c := objCard{Loc: int32(i), Name: l.Name, Class: class, Life: life.String(), Ref: p.st.Vals[i], Owner: creators[int32(i)],
			Changed: chg[int32(i)], Freed: life == trace.LifeFreed, Target: targets[int32(i)]}
		if l.HasRef {
			c.Rows = append(c.Rows, kvRow{Label: "count", Value: fmt.Sprint(p.st.Vals[i]), Changed: chg[int32(i)]})
		}
		var off, size int64
		for j, m := range tr.Locs {
			if m.Parent != int32(i) || m.Kind != trace.LocVar {
				continue
			}
			v := p.st.Vals[j]
			switch m.Name {
			case "flag":
				txt := "0"
				if v&1 != 0 {
					txt = "UNWRITTEN"
					c.Flagged = true
				}
				c.Rows = append(c.Rows, kvRow{Label: "flag", Value: txt, Changed: chg[int32(j)]})
			case "offset":
				off = v
			case "size":
				size = v
			default:
				c.Rows = append(c.Rows, kvRow{Label: m.Name, Value: tr.FormatValue(int32(j), v), Changed: chg[int32(j)]})
			}
		}
		if class == "io_end" {
			rng := "not set yet"
			if size > 0 {
				rng = fmt.Sprintf("[%d, +%d)", off, size)
			}
			c.Rows = append(c.Rows, kvRow{Label: "range", Value: rng})
			if !c.Freed {
				var long string
				c.Queue, long = p.ioEndQueue(int32(i))
				c.Rows = append(c.Rows, kvRow{Label: "queue", Value: long, Title: ioEndQueueTitle})
			}
		}
		out = append(out, c)
	}
	return out
}

// freedSince is how many steps ago loc was freed (large if not found).
func (p *PlayState) freedSince(loc int32) int {
	evs := p.res.Trace.Events
	end := sort.Search(len(evs), func(i int) bool { return int(evs[i].Step) > p.step })
	for i := end - 1; i >= 0 && p.step-int(evs[i].Step) <= 3; i-- {
		if evs[i].Kind == trace.EvObjFree && evs[i].Loc == loc {
			return p.step - int(evs[i].Step)
		}
	}
	return 1 << 30
}

// creators names the task that created each object (the io_end's owner).
// An io_end's owner also names the dio its task allocates next (the
// io_end is made in ext4_ext_direct_IO just before __blockdev_direct_IO
// allocates the dio it completes).
func (p *PlayState) creators() map[int32]string {
	tr := p.res.Trace
	out := map[int32]string{}
	pending := map[int32]int32{} // task → io_end waiting for its dio
	for _, e := range tr.Events {
		if e.Kind != trace.EvObjNew || e.Task < 0 || e.Loc < 0 {
			continue
		}
		out[e.Loc] = p.who(e.Task)
		switch tr.Locs[e.Loc].Class {
		case "io_end":
			pending[e.Task] = e.Loc
		case "dio":
			if io, ok := pending[e.Task]; ok {
				out[io] += " / " + tr.Locs[e.Loc].Name
				delete(pending, e.Task)
			}
		}
	}
	return out
}

type taskView struct {
	ID      int32
	Name    string
	Ctx     string
	Status  string
	Label   string
	Next    string // the point it is parked at (its next step), if any
	Stack   []string
	Current bool
	Sel     bool
}

func (t taskView) Class() string {
	c := "ptask ctx-" + t.Ctx + " st-" + t.Status
	if t.Current {
		c += " current"
	}
	if t.Sel {
		c += " sel"
	}
	return c
}

// tasks lists spawned tasks that have not finished (plus the current one),
// process tasks first.
func (p *PlayState) tasks(ctxs ...trace.Context) []taskView {
	if p.res == nil || p.st == nil {
		return nil
	}
	tr := p.res.Trace
	cur := int32(-1)
	if p.step > 0 && p.step < len(p.stepTask) {
		cur = p.stepTask[p.step]
	}
	want := map[trace.Context]bool{}
	for _, c := range ctxs {
		want[c] = true
	}
	var out []taskView
	for i, ts := range p.st.Tasks {
		t := tr.Tasks[i]
		if !ts.Spawned || !want[t.Ctx] {
			continue
		}
		if ts.Status == trace.TaskDone && int32(i) != cur && t.Ctx != trace.CtxProcess {
			continue
		}
		status := ts.Status.String()
		if ts.Status == trace.TaskBlocked && ts.WaitLoc >= 0 {
			status = "blocked"
		}
		tv := taskView{ID: int32(i), Name: t.Name, Ctx: t.Ctx.String(), Status: status, Label: p.st.Label(i),
			Stack: tr.Stack(p.taskStack(int32(i))), Current: int32(i) == cur, Sel: int32(i) == p.selTask}
		if ts.Status == trace.TaskBlocked && ts.WaitLoc >= 0 {
			tv.Label = "waits for " + tr.FullName(ts.WaitLoc)
		}
		if ts.Status == trace.TaskDone {
			tv.Label, tv.Stack = "finished after "+tv.Label, []string{"—"}
		} else if n := p.ioix.nextLabel(tr, int32(i), p.step); n != "" {
			tv.Next = "next: " + n
		}
		out = append(out, tv)
	}
	return out
}

func (p *PlayState) procTasks() []taskView { return p.view().proc }
func (p *PlayState) irqTasks() []taskView  { return p.view().irq }
func (p *PlayState) wqTasks() []taskView   { return p.view().wq }
func (p *PlayState) inodes() []inodeView   { return p.view().inodes }
func (p *PlayState) queues() []kvRow       { return p.view().queues }
func (p *PlayState) pointerSVG() vugu.HTML { return p.view().svg }
func (p *PlayState) code() codeView        { return p.view().code }

// objects is only asked for io_end cards by the page; other classes are
// computed on demand.
func (p *PlayState) objects(class string) []objCard {
	if class == "io_end" {
		return p.view().ioends
	}
	p.view()
	return p.computeObjects(class)
}

// stepView is everything the state panels show at one step, computed once
// per (run, step, selected task): vugu evaluates the template's
// expressions on every render, and playback renders every frame.
type stepView struct {
	gen, step int
	sel       int32
	chg       map[int32]bool
	inodes    []inodeView
	ioends    []objCard
	proc      []taskView
	irq       []taskView
	wq        []taskView
	queues    []kvRow
	svg       vugu.HTML
	code      codeView
	effects   []string
}

func (p *PlayState) view() *stepView {
	if sv := p.sv; sv != nil && sv.gen == p.gen && sv.step == p.step && sv.sel == p.selTask {
		return sv
	}
	sv := &stepView{gen: p.gen, step: p.step, sel: p.selTask}
	p.sv = sv
	if p.res == nil || p.st == nil {
		return sv
	}
	sv.chg = p.computeChanged(p.step)
	sv.inodes = p.computeInodes()
	sv.ioends = p.computeObjects("io_end")
	sv.proc = p.tasks(trace.CtxProcess)
	sv.irq = p.tasks(trace.CtxHardIRQ, trace.CtxSoftIRQ)
	sv.wq = p.tasks(trace.CtxWorker)
	sv.queues = p.computeQueues()
	sv.svg = p.computePointerSVG()
	sv.code = p.computeCode()
	sv.effects = p.computeEffects(p.step)
	return sv
}

func (p *PlayState) effects() []string { return p.view().effects }

// computeEffects lists what the step changed, as a debugger's watch
// window would: field old → new, locks taken and dropped, objects made
// and freed, verdicts.
func (p *PlayState) computeEffects(step int) []string {
	if p.res == nil || step <= 0 {
		return nil
	}
	tr := p.res.Trace
	evs := tr.Events
	i := sort.Search(len(evs), func(i int) bool { return int(evs[i].Step) >= step })
	var out []string
	for ; i < len(evs) && int(evs[i].Step) == step && len(out) < 12; i++ {
		e := evs[i]
		name := tr.FullName(e.Loc)
		switch e.Kind {
		case trace.EvVar:
			out = append(out, fmt.Sprintf("%s: %s → %s", name, tr.FormatValue(e.Loc, e.Old), tr.FormatValue(e.Loc, e.New)))
		case trace.EvRef:
			out = append(out, fmt.Sprintf("%s count %d → %d", name, e.Old, e.New))
		case trace.EvAcquire:
			out = append(out, fmt.Sprintf("%s takes %s (%s)", p.who(e.Task), name, trace.LockMode(e.Arg)))
		case trace.EvRelease:
			out = append(out, fmt.Sprintf("%s drops %s", p.who(e.Task), name))
		case trace.EvWait:
			out = append(out, fmt.Sprintf("%s waits for %s", p.who(e.Task), name))
		case trace.EvObjNew:
			out = append(out, "new "+name)
		case trace.EvObjFree:
			out = append(out, "free "+name)
		case trace.EvSpawn:
			out = append(out, "spawn "+p.who(e.Task))
		case trace.EvVerdict:
			out = append(out, "VERDICT")
		}
	}
	return out
}

func stackText(s []string) string {
	if len(s) == 0 {
		return "(not started)"
	}
	return strings.Join(s, " › ")
}

// privTarget is the io_end the first inode's i_private points at, for the
// tests and the share check ("NULL" when none).
func (p *PlayState) privTarget() string {
	for _, iv := range p.inodes() {
		if iv.PrivTxt != "" {
			if iv.Private < 0 {
				return "NULL"
			}
			return p.res.Trace.Locs[iv.Private].Name
		}
	}
	return ""
}

// pointerSVG draws inodes on the left, io_end cards on the right and each
// inode's i_private as an arrow to the card it points at. It is built as
// markup (presentation attributes only: the CSP forbids style attributes).
func (p *PlayState) computePointerSVG() vugu.HTML {
	inodes := p.sv.inodes
	ends := p.sv.ioends
	const (
		w      = 486
		inW    = 176
		cardX  = 262
		cardW  = 216
		cardH  = 90
		inH    = 46
		gap    = 10
		margin = 6
	)
	pos := map[int32]int{}
	for i, c := range ends {
		pos[c.Loc] = margin + i*(cardH+gap)
	}
	h := max(margin*2+len(ends)*(cardH+gap), margin*2+len(inodes)*(inH+gap), 70)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="ptr-svg" width="100%%" data-w="%d" data-h="%d" viewBox="0 0 %d %d" role="img" aria-label="inode i_private pointers and io_end objects">`, w, h, w, h)
	b.WriteString(`<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#7cc4ff"/></marker>` +
		`<marker id="ahbad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#ff6b6b"/></marker></defs>`)
	esc := html.EscapeString
	for i, iv := range inodes {
		y := margin + i*(inH+gap)
		cls := "svg-inode"
		if iv.PrivChg {
			cls += " changed"
		}
		target := "NULL"
		if iv.Private >= 0 {
			target = p.res.Trace.Locs[iv.Private].Name
		}
		fmt.Fprintf(&b, `<g class="%s" data-testid="svg-inode" data-file="%s" data-target="%s">`, cls, esc(iv.File), esc(target))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4"/>`, margin, y, inW, inH)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-h">%s</text>`, margin+8, y+17, esc(iv.Name))
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-f">i_private = %s</text>`, margin+8, y+35, esc(iv.PrivTxt))
		b.WriteString(`</g>`)
		x0, y0 := margin+inW, y+31
		if iv.Private >= 0 {
			if cy, ok := pos[iv.Private]; ok {
				x1, y1 := cardX, cy+cardH/2
				mk, col := "ah", "#7cc4ff"
				if iv.PrivBad {
					mk, col = "ahbad", "#ff6b6b"
				}
				fmt.Fprintf(&b, `<path class="svg-arrow" data-testid="svg-arrow" d="M%d,%d C%d,%d %d,%d %d,%d" stroke="%s" stroke-width="2" fill="none" marker-end="url(#%s)"/>`,
					x0, y0, x0+50, y0, x1-50, y1, x1-2, y1, col, mk)
			}
		} else {
			fmt.Fprintf(&b, `<path d="M%d,%d h24" stroke="#667" stroke-width="2"/><path d="M%d,%d v8 M%d,%d h8" stroke="#667" stroke-width="2"/>`, x0, y0, x0+24, y0-4, x0+20, y0+4)
		}
	}
	for _, c := range ends {
		y := pos[c.Loc]
		cls := "svg-ioend"
		if c.Freed {
			cls += " freed"
		}
		if c.Changed {
			cls += " changed"
		}
		if c.Flagged {
			cls += " flagged"
		}
		fmt.Fprintf(&b, `<g class="%s" data-testid="svg-ioend" data-name="%s" data-queue="%s" data-count="%d" data-flag="%s">`, cls, esc(c.Name), esc(c.Queue), c.Ref, esc(ioFlag(c)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4"/>`, cardX, y, cardW, cardH)
		status := fmt.Sprintf("count %d", c.Ref)
		if c.Freed {
			status = "FREED"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-h">%s</text><text x="%d" y="%d" class="t-r">%s</text>`, cardX+8, y+16, esc(c.Name), cardX+cardW-8, y+16, esc(status))
		flag, rng := "", ""
		for _, r := range c.Rows {
			switch r.Label {
			case "flag":
				flag = r.Value
			case "range":
				rng = r.Value
			}
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-f">flag %s</text>`, cardX+8, y+33, esc(flag))
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-f">range %s</text>`, cardX+8, y+49, esc(rng))
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-f"><title>%s</title>owner %s</text>`, cardX+8, y+65, esc(c.Owner), esc(abbrev(c.Owner, 26)))
		if c.Queue != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="t-f" data-testid="svg-ioend-queue"><title>%s</title>queue %s</text>`, cardX+8, y+81, esc(queueLong(c)+" — "+ioEndQueueTitle), esc(abbrev(c.Queue, 26)))
		}
		b.WriteString(`</g>`)
	}
	if len(ends) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="30" class="t-f">no io_end allocated at this step</text>`, cardX)
	}
	b.WriteString(`</svg>`)
	return vugu.HTML(b.String())
}

// computeQueues lists the request queue with its bios in flight, the DIO
// completion workqueue with its pending and running work, the reserved
// conversion list, the live dios and the journal handle map.
func (p *PlayState) computeQueues() []kvRow {
	if p.res == nil || p.st == nil {
		return nil
	}
	tr := p.res.Trace
	var out []kvRow
	bios := p.computeBios()
	for _, l := range tr.Locs {
		if l.Kind == trace.LocBlockQueue {
			out = append(out, kvRow{Key: "bios", Label: "bios", Value: fmt.Sprintf("%d in flight on request_queue %s", len(bios), l.Name),
				Title: "each bio completes later in interrupt context (bi_end_io = dio_bio_end_aio / dio_bio_end_io)"})
		}
	}
	for _, b := range bios {
		out = append(out, kvRow{Key: "bio", Label: "  bio", Value: b.Name + " · " + b.Status, Changed: strings.HasPrefix(b.Status, "completing"), Title: b.Task})
	}
	// s_dio_done_wq: created on the first dio_set_defer_completion.
	wqs := map[string]bool{}
	for _, l := range tr.Locs {
		if l.Kind == trace.LocWorkqueue {
			wqs[l.Name] = true
		}
	}
	var names []string
	for n := range wqs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		names = []string{"dio/sda"}
	}
	for _, n := range names {
		var items []kvRow
		for _, w := range p.ioix.works {
			if w.wq != n || w.queued > p.step {
				continue
			}
			dn := "?"
			if w.dio >= 0 {
				dn = tr.Locs[w.dio].Name
			}
			switch {
			case w.started < 0 || w.started > p.step:
				items = append(items, kvRow{Key: "work", Label: "  work", Value: w.fn + "(" + dn + ") · pending, queued by " + p.who(w.by), Changed: w.queued == p.step})
			case w.dio >= 0 && p.live(w.dio):
				items = append(items, kvRow{Key: "work", Label: "  work", Value: w.fn + "(" + dn + ") · running in " + p.who(w.worker), Changed: w.started == p.step})
			}
		}
		val := "s_dio_done_wq: empty"
		if len(items) > 0 {
			val = fmt.Sprintf("s_dio_done_wq: %d work item(s)", len(items))
		}
		out = append(out, kvRow{Key: "wq", Label: n, Value: val, Title: "the per-superblock DIO completion workqueue (sb_init_dio_done_wq): deferred dio_complete runs here in process context"})
		out = append(out, items...)
	}
	out = append(out, kvRow{Key: "rsv", Label: "rsv list", Value: "i_rsv_conversion_list: empty (buffered writeback only; DIO never queues here)", Title: "ext4_add_complete_io → rsv_conversion_wq (ext4-rsv-conversion)"})
	for i, l := range tr.Locs {
		switch {
		case l.Kind == trace.LocLockMap:
			txt, _ := p.lockText(int32(i))
			out = append(out, kvRow{Key: "lockmap", Label: l.Name, Value: txt})
		case l.Kind == trace.LocObj && l.Class == "dio" && p.live(int32(i)):
			v := fmt.Sprintf("refcount %d", p.st.Vals[i])
			for j, m := range tr.Locs {
				if m.Parent == int32(i) && m.Name == "defer_completion" && p.st.Vals[j] != 0 {
					v += ", defer_completion"
				}
			}
			if io, ok := p.ioix.ioOf[int32(i)]; ok {
				v += " · " + tr.Locs[io].Name
			}
			out = append(out, kvRow{Key: "dio", Label: l.Name, Value: v})
		}
	}
	return out
}

// ioIndex is what the trace says about queues, read once per run: which
// dio each io_end completes with, every bio (an interrupt task per bio)
// and every deferred completion queued on a workqueue. The state panels
// combine it with the reduced state at the cursor.
type ioIndex struct {
	dioOf     map[int32]int32 // io_end loc → the dio whose completion drops its last reference
	ioOf      map[int32]int32 // dio loc → io_end loc
	dioByName map[string]int32
	works     []workItem
	stepStack []int32   // stack node of each step's point (-1 before the first)
	stepLabel []int32   // label (Trace.Str) of each step's point
	taskSteps [][]int32 // the steps each task executed, in order
}

// nextLabel is the label of the first point task t executes after step:
// where a parked task waits (its stack in the panel is that point's).
func (ix *ioIndex) nextLabel(tr *trace.Trace, t int32, step int) string {
	if ix == nil || t < 0 || int(t) >= len(ix.taskSteps) {
		return ""
	}
	ss := ix.taskSteps[t]
	i := sort.Search(len(ss), func(i int) bool { return int(ss[i]) > step })
	if i == len(ss) {
		return ""
	}
	return tr.Str(ix.stepLabel[ss[i]])
}

// workItem is one queue_work of dio_aio_complete_work (fs/direct-io.c's
// deferred completion) on s_dio_done_wq.
type workItem struct {
	wq      string // workqueue name ("dio/sda")
	fn      string // the work function
	dio     int32  // the dio it completes, -1 if unknown
	by      int32  // the task that queued it (a bio completion)
	queued  int    // step of queue_work
	started int    // step a worker picked it (-1: never)
	worker  int32  // that worker task
}

// dioName returns the first "dio#N" in a task name ("" if none); what
// regexp `dio#\d+` would find, without linking regexp into the page.
func dioName(s string) string {
	for i := strings.Index(s, "dio#"); i >= 0; {
		j := i + 4
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i+4 {
			return s[i:j]
		}
		k := strings.Index(s[i+4:], "dio#")
		if k < 0 {
			break
		}
		i += 4 + k
	}
	return ""
}

// buildIOIndex reads the trace once. An io_end belongs to the dio its task
// allocates next (≤ v4.5: ext4_ext_direct_IO makes the io_end, then
// __blockdev_direct_IO the dio), or to the dio being submitted when the
// io_end is made inside get_block (v4.6: the first unwritten mapping).
func buildIOIndex(tr *trace.Trace) *ioIndex {
	ix := &ioIndex{dioOf: map[int32]int32{}, ioOf: map[int32]int32{}, dioByName: map[string]int32{}}
	ix.stepStack = make([]int32, tr.Steps+1)
	ix.stepLabel = make([]int32, tr.Steps+1)
	ix.taskSteps = make([][]int32, len(tr.Tasks))
	for i := range ix.stepStack {
		ix.stepStack[i], ix.stepLabel[i] = -1, -1
	}
	for i, l := range tr.Locs {
		if l.Kind == trace.LocObj && l.Class == "dio" {
			ix.dioByName[l.Name] = int32(i)
		}
	}
	lastStack := map[int32]int32{}  // task → stack of its latest point
	lastLabel := map[int32]string{} // task → label of its latest point
	lastDio := map[int32]int32{}    // task → dio it allocated last
	pendingIO := map[int32]int32{}  // task → io_end waiting for its dio
	flowWork := map[int64]int{}     // flow id → works index
	link := func(io, d int32) { ix.dioOf[io], ix.ioOf[d] = d, io }
	for _, e := range tr.Events {
		switch e.Kind {
		case trace.EvStep:
			lastStack[e.Task], lastLabel[e.Task] = e.Stack, tr.Str(e.Label)
			if int(e.Step) < len(ix.stepStack) {
				ix.stepStack[e.Step], ix.stepLabel[e.Step] = e.Stack, e.Label
			}
			if e.Task >= 0 && int(e.Task) < len(ix.taskSteps) {
				ix.taskSteps[e.Task] = append(ix.taskSteps[e.Task], e.Step)
			}
		case trace.EvObjNew:
			if e.Loc < 0 || e.Task < 0 {
				continue
			}
			switch tr.Locs[e.Loc].Class {
			case "io_end":
				if d, ok := lastDio[e.Task]; ok && slices.Contains(tr.Stack(lastStack[e.Task]), "do_blockdev_direct_IO") {
					link(e.Loc, d)
				} else {
					pendingIO[e.Task] = e.Loc
				}
			case "dio":
				lastDio[e.Task] = e.Loc
				if io, ok := pendingIO[e.Task]; ok {
					link(io, e.Loc)
					delete(pendingIO, e.Task)
				}
			}
		case trace.EvFlow:
			lbl := lastLabel[e.Task]
			if e.New == 0 && strings.HasPrefix(lbl, "queue_work(") {
				w := workItem{wq: strings.TrimSuffix(strings.TrimPrefix(lbl, "queue_work("), ")"), fn: "dio_aio_complete_work",
					dio: -1, by: e.Task, queued: int(e.Step), started: -1, worker: -1}
				if e.Task >= 0 && int(e.Task) < len(tr.Tasks) {
					if d, ok := ix.dioByName[dioName(tr.Tasks[e.Task].Name)]; ok {
						w.dio = d
					}
				}
				flowWork[int64(e.Arg)] = len(ix.works)
				ix.works = append(ix.works, w)
			} else if e.New == 1 {
				if i, ok := flowWork[int64(e.Arg)]; ok {
					ix.works[i].started, ix.works[i].worker = int(e.Step), e.Task
				}
			}
		}
	}
	return ix
}

// live reports whether object loc exists at the cursor.
func (p *PlayState) live(loc int32) bool {
	return loc >= 0 && int(loc) < len(p.st.Life) && p.st.Life[loc] == trace.LifeLive
}

// ioEndQueue says which queue io_end io is on at the cursor. A DIO io_end
// is never put on a list itself: it goes wherever its dio's completion
// goes — nowhere until the last bio completes, then either inline in the
// interrupt or as dio_aio_complete_work on s_dio_done_wq.
// i_rsv_conversion_list (ext4_add_complete_io) only takes buffered
// writeback's io_ends, so it is always empty here.
func (p *PlayState) ioEndQueue(io int32) (short, long string) {
	ix := p.ioix
	if ix == nil {
		return "none", "none"
	}
	d, ok := ix.dioOf[io]
	if !ok || p.st.Life[d] == trace.LifeUnborn {
		return "none (no dio yet)", "none: its dio is not allocated yet"
	}
	dn := p.res.Trace.Locs[d].Name
	for _, w := range ix.works {
		if w.dio != d || w.queued > p.step {
			continue
		}
		if w.started < 0 || w.started > p.step {
			return w.wq + ": work pending", fmt.Sprintf("s_dio_done_wq (%s): %s(%s) pending, queued by %s", w.wq, w.fn, dn, p.who(w.by))
		}
		if p.live(d) {
			return w.wq + ": running in " + p.who(w.worker), fmt.Sprintf("s_dio_done_wq (%s): %s(%s) running in %s", w.wq, w.fn, dn, p.who(w.worker))
		}
	}
	if p.live(d) {
		for i, ts := range p.st.Tasks {
			t := p.res.Trace.Tasks[i]
			if !ts.Spawned || ts.Status == trace.TaskDone || !t.Ctx.Atomic() || dioName(t.Name) != dn {
				continue
			}
			if slices.Contains(p.res.Trace.Stack(ts.Stack), "dio_complete") {
				return "none: inline in " + t.Ctx.String(), fmt.Sprintf("none: %s completes inline in %s (%s)", dn, t.Ctx, t.Name)
			}
		}
		return "none (" + dn + " in flight)", "none: " + dn + " still has bios in flight or is being submitted"
	}
	return "none", "none"
}

// ioEndQueueTitle is the hover text of the queue row.
const ioEndQueueTitle = "A DIO io_end is never on a list itself. Its last reference drops in dio_complete: inline in the bio's interrupt, " +
	"or in dio_aio_complete_work queued on the per-superblock s_dio_done_wq (dio/<dev>) when defer_completion is set. " +
	"i_rsv_conversion_list / rsv_conversion_wq take only buffered writeback's io_ends (ext4_put_io_end_defer), never DIO's."

// bioView is one bio in flight.
type bioView struct {
	Name   string // "dio#3/bio1[16+16]"
	Dio    string
	Task   string
	Status string // "in flight" or "completing in hardirq"
}

// bios lists the bios submitted and not yet completed at the cursor: each
// is the interrupt task that will run its bi_end_io.
func (p *PlayState) computeBios() []bioView {
	tr := p.res.Trace
	var out []bioView
	for i, ts := range p.st.Tasks {
		t := tr.Tasks[i]
		if !ts.Spawned || ts.Status == trace.TaskDone || !t.Ctx.Atomic() {
			continue
		}
		b := bioView{Name: t.Name, Dio: dioName(t.Name), Task: t.Name, Status: "in flight"}
		if j := strings.IndexByte(t.Name, ':'); j >= 0 {
			b.Name = t.Name[j+1:]
		}
		if ts.Label >= 0 {
			b.Status = "completing in " + t.Ctx.String()
		}
		out = append(out, b)
	}
	return out
}

// taskStack is the stack node shown for task t: for the task that ran the
// current step, the stack at that step's point (what its label and code
// line describe); for the others, where they are parked.
func (p *PlayState) taskStack(t int32) int32 {
	if ix := p.ioix; ix != nil && p.step > 0 && p.step < len(p.stepTask) && p.stepTask[p.step] == t && p.step < len(ix.stepStack) && ix.stepStack[p.step] >= 0 {
		return ix.stepStack[p.step]
	}
	return p.st.Tasks[t].Stack
}

// ioFlag is the card's flag text.
func ioFlag(c objCard) string {
	for _, r := range c.Rows {
		if r.Label == "flag" {
			return r.Value
		}
	}
	return ""
}

// queueLong is the card's long queue text.
func queueLong(c objCard) string {
	for _, r := range c.Rows {
		if r.Label == "queue" {
			return r.Value
		}
	}
	return c.Queue
}

// abbrev cuts s to n runes with an ellipsis (the card is narrow; the
// hover title has the whole text).
func abbrev(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
