//go:build js

package main

// The timeline canvas. It lives outside vugu's tree (a re-render would
// clear an in-tree canvas): a <canvas> appended to <body> and placed over
// the #tl-slot placeholder every frame. The lanes are rasterised in Go
// into one RGBA buffer and handed to the canvas with a single
// putImageData; only the few text labels are separate canvas calls.

import (
	"fmt"
	"math"
	sjs "syscall/js"

	"honnef.co/go/js/dom/v2"
)

const (
	tlGutter = 152 // lane labels
	tlAxis   = 18  // step ruler
	tlRowH   = 18
)

type mouseEv struct {
	kind  string // down, move, up, wheel, leave
	x, y  float64
	dy    float64
	shift bool
}

type tlCanvas struct {
	canvas, ctx sjs.Value
	img         sjs.Value // ImageData of the current size
	arr         sjs.Value // Uint8Array over a JS copy target
	buf         []byte
	w, h        int // CSS pixels (dpr 1 raster: crisp enough, 4x cheaper)
	left, top   float64
	shown       bool
	slotEl      sjs.Value // the #tl-slot being watched
	slotRO      sjs.Value // ResizeObserver on it (undefined until made)

	model   *tlModel
	gen     int
	viewGen int
	view    tlView
	row0    float64
	step    int
	dirty   bool
	hover   float64

	drag struct {
		on, moved bool
		x, y      float64
		v         tlView
		row0      float64
	}
}

// theTL is the page's one timeline canvas. The render loop (main_js.go)
// draws it right after each vugu render, so panels and timeline show the
// same step in the same frame; the animation loop draws it in between.
var theTL *tlCanvas

// newTLCanvas creates the canvas once; later calls return it.
func newTLCanvas() *tlCanvas {
	if theTL != nil {
		return theTL
	}
	// The canvas itself is driven through syscall/js: dom/v2's element
	// wrappers (a type switch over every HTML element type) would link
	// ~400 KB of wasm for the two element calls made here. Window-level
	// listeners go through dom/v2's Window.
	doc := sjs.Global().Get("document")
	c := doc.Call("createElement", "canvas")
	c.Set("className", "tl-canvas")
	c.Set("id", "tl-canvas")
	c.Call("setAttribute", "data-testid", "timeline")
	c.Get("style").Set("display", "none")
	doc.Get("body").Call("appendChild", c)
	// An opaque context is cheaper to composite.
	ctx := c.Call("getContext", "2d", map[string]any{"alpha": false})
	t := &tlCanvas{canvas: c, ctx: ctx, hover: -1}
	theTL = t
	send := func(kind string) func(e sjs.Value) {
		return func(e sjs.Value) {
			r := c.Call("getBoundingClientRect")
			m := mouseEv{kind: kind, x: e.Get("clientX").Float() - r.Get("left").Float(), y: e.Get("clientY").Float() - r.Get("top").Float(), shift: e.Get("shiftKey").Bool()}
			if kind == "wheel" {
				e.Call("preventDefault") // listeners on an element are not passive by default
				m.dy = e.Get("deltaY").Float()
			}
			if kind == "down" {
				e.Call("preventDefault")
			}
			select {
			case playMouse <- m:
			default:
			}
		}
	}
	for _, k := range [][2]string{{"mousedown", "down"}, {"wheel", "wheel"}, {"mouseleave", "leave"}} {
		f := send(k[1])
		c.Call("addEventListener", k[0], sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any { f(args[0]); return nil }))
	}
	// Moves and releases are followed on the window so a drag may leave
	// the canvas. Window-level listeners go through dom/v2's Window; its
	// element wrappers are avoided above (their type switch over every
	// HTML element type links most of dom/v2).
	move, up := send("move"), send("up")
	win := dom.GetWindow()
	win.AddEventListener("mousemove", false, func(ev dom.Event) { move(ev.Underlying()) })
	win.AddEventListener("mouseup", false, func(ev dom.Event) { up(ev.Underlying()) })
	relayout := func(dom.Event) { tlLayoutDirty = true }
	win.AddEventListener("resize", false, relayout)
	win.AddEventListener("scroll", true, relayout) // capture: scrolls of inner boxes too
	return t
}

// frame places the canvas over its slot and redraws when anything changed.
func (t *tlCanvas) frame(p *PlayState, active bool) {
	if !active || p == nil || p.tl == nil {
		if t.shown {
			t.canvas.Get("style").Set("display", "none")
			t.shown = false
		}
		return
	}
	// Reading the slot's position forces a layout: only after a vugu
	// render, a resize or a scroll (tlLayoutDirty), not every frame.
	if t.shown && !tlLayoutDirty && !t.dirty && p.gen == t.gen && p.viewGen == t.viewGen && p.step == t.step {
		return
	}
	t.watchSlot()
	if !t.shown || tlLayoutDirty {
		tlLayoutDirty = false
		t.placeOverSlot()
	}
	if !t.shown {
		return
	}
	if p.gen != t.gen {
		t.gen, t.model = p.gen, p.tl
		if p.res != nil && p.res.Trace != nil {
			// The run's size, for tests and the UI bench.
			t.canvas.Call("setAttribute", "data-events", len(p.res.Trace.Events))
		}
		t.view = tlView{X0: 0, X1: float64(p.tl.Steps) + 1}
		t.row0 = 0
		t.dirty = true
	}
	if p.viewGen != t.viewGen || p.step != t.step {
		if p.step != t.step {
			// Between panel renders (coalesced, see main_js.go) the step
			// counter moves with the cursor; the next render writes the
			// same text.
			setStepCounter(p.stepText())
		}
		t.viewGen, t.step = p.viewGen, p.step
		t.view.follow(p.step)
		t.dirty = true
	}
	if t.dirty && t.w > 0 {
		t.draw(p)
		t.dirty = false
	}
}

// tlLayoutDirty: the page may have moved the slot (set after every vugu
// render of the playground, on resize and on scroll).
var tlLayoutDirty = true

// watchSlot notices a new #tl-slot element (vugu re-created it, e.g. after
// a tab switch) and watches the slot's size with a ResizeObserver, whose
// callback runs after the browser's own layout, so the re-measure it asks
// for costs no forced layout. Looking the element up forces none either.
func (t *tlCanvas) watchSlot() {
	slot := sjs.Global().Get("document").Call("getElementById", "tl-slot")
	if slot.Equal(t.slotEl) {
		return
	}
	t.slotEl = slot
	tlLayoutDirty = true
	if t.slotRO.IsUndefined() {
		ro := sjs.Global().Get("ResizeObserver")
		if !ro.Truthy() {
			return
		}
		t.slotRO = ro.New(sjs.FuncOf(func(sjs.Value, []sjs.Value) any { tlLayoutDirty = true; return nil }))
	}
	t.slotRO.Call("disconnect")
	if slot.Truthy() {
		t.slotRO.Call("observe", slot)
	}
}

// placeOverSlot positions and sizes the canvas over #tl-slot.
func (t *tlCanvas) placeOverSlot() {
	slot := sjs.Global().Get("document").Call("getElementById", "tl-slot")
	if !slot.Truthy() {
		if t.shown {
			t.canvas.Get("style").Set("display", "none")
			t.shown = false
		}
		return
	}
	r := slot.Call("getBoundingClientRect")
	w, h := int(r.Get("width").Float()), int(r.Get("height").Float())
	left := r.Get("left").Float() + sjs.Global().Get("scrollX").Float()
	top := r.Get("top").Float() + sjs.Global().Get("scrollY").Float()
	st := t.canvas.Get("style")
	if !t.shown {
		st.Set("display", "block")
		t.shown = true
	}
	if left != t.left || top != t.top {
		st.Set("left", fmt.Sprintf("%.0fpx", left))
		st.Set("top", fmt.Sprintf("%.0fpx", top))
		t.left, t.top = left, top
	}
	if w != t.w || h != t.h {
		if w <= tlGutter+10 || h <= tlAxis+10 {
			return
		}
		t.w, t.h = w, h
		t.canvas.Set("width", w)
		t.canvas.Set("height", h)
		st.Set("width", fmt.Sprintf("%dpx", w))
		st.Set("height", fmt.Sprintf("%dpx", h))
		t.buf = make([]byte, (w-tlGutter)*(h-tlAxis)*4)
		t.arr = sjs.Global().Get("Uint8ClampedArray").New(len(t.buf))
		t.img = sjs.Global().Get("ImageData").New(t.arr, w-tlGutter, h-tlAxis)
		t.dirty = true
	}
}

func (t *tlCanvas) plotW() float64 { return float64(t.w - tlGutter) }

func (t *tlCanvas) xOf(step float64) float64 {
	return (step - t.view.X0) / (t.view.X1 - t.view.X0) * t.plotW()
}

func (t *tlCanvas) stepAt(x float64) float64 {
	return t.view.X0 + (x-tlGutter)/t.plotW()*(t.view.X1-t.view.X0)
}

type rgb [3]byte

var (
	colBG      = rgb{0x12, 0x15, 0x1c}
	colBGAlt   = rgb{0x16, 0x1a, 0x23}
	colGroup   = rgb{0x2a, 0x30, 0x3d}
	colCursor  = rgb{0xf5, 0xf7, 0xfa}
	colVerdict = rgb{0xff, 0x4d, 0x4d}
	colBars    = [...]rgb{barMutex: {0xf0, 0xa0, 0x30}, barRead: {0xe8, 0xd4, 0x4d}, barWrite: {0xe0, 0x55, 0x55}, barHandle: {0xa0, 0x7c, 0xe8}, barWait: {0x5a, 0x60, 0x70}}
	colMarks   = [...]rgb{markNew: {0x5c, 0xd6, 0x8c}, markFree: {0xff, 0x8a, 0x8a}, markFlag: {0xff, 0xd0, 0x4d}, markPtr: {0x7c, 0xc4, 0xff}, markVerdict: {0xff, 0x4d, 0x4d},
		// the extent map's colours (style.css .ext-svg), brighter
		markExtWritten: {0x5f, 0x9c, 0xdb}, markExtUnwritten: {0xe8, 0xb4, 0x4a}, markExtHole: {0x8a, 0x93, 0xa3}}
	colFuncs = [tlPalette]rgb{{0x3b, 0x82, 0xc4}, {0x4a, 0x9d, 0x8f}, {0x8e, 0x6b, 0xc9}, {0xc4, 0x7a, 0x3b}, {0x5f, 0x9e, 0x4c}, {0xb5, 0x4f, 0x7a}, {0x3f, 0x9f, 0xc0}, {0xa8, 0x8f, 0x3a}, {0x6a, 0x78, 0xd1}, {0x4c, 0xa6, 0x6c}, {0xc0, 0x5a, 0x4a}, {0x7f, 0x8c, 0x99}}
)

func dim(c rgb) rgb {
	return rgb{byte(int(c[0])*2/5 + 12), byte(int(c[1])*2/5 + 14), byte(int(c[2])*2/5 + 18)}
}

// rect fills [x0,x1)×[y0,y1) of the raster, clipped.
func (t *tlCanvas) rect(x0, x1 float64, y0, y1 int, c rgb) {
	W, H := t.w-tlGutter, t.h-tlAxis
	ix0, ix1 := int(x0), int(x1+0.999)
	if ix1 <= ix0 {
		ix1 = ix0 + 1
	}
	ix0, ix1 = max(ix0, 0), min(ix1, W)
	y0, y1 = max(y0, 0), min(y1, H)
	for y := y0; y < y1; y++ {
		row := t.buf[(y*W)*4:]
		for x := ix0; x < ix1; x++ {
			i := x * 4
			row[i], row[i+1], row[i+2], row[i+3] = c[0], c[1], c[2], 255
		}
	}
}

func (t *tlCanvas) draw(p *PlayState) {
	m := t.model
	W, H := t.w-tlGutter, t.h-tlAxis
	rows := H / tlRowH
	maxRow0 := float64(max(0, len(m.Lanes)-rows))
	t.row0 = max(0, min(t.row0, maxRow0))
	r0 := int(t.row0)
	// background, alternating lanes, group separators
	for y := 0; y < H; y++ {
		lane := r0 + y/tlRowH
		c := colBG
		if lane%2 == 1 {
			c = colBGAlt
		}
		if lane < len(m.Lanes) && m.Lanes[lane].First && y%tlRowH == 0 && lane > 0 {
			c = colGroup
		}
		row := t.buf[y*W*4 : (y+1)*W*4]
		for x := 0; x < W; x++ {
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = c[0], c[1], c[2], 255
		}
	}
	laneY := func(l int32) (int, bool) {
		i := int(l) - r0
		return i * tlRowH, l >= 0 && i >= 0 && i < rows+1
	}
	x0v, x1v := int32(t.view.X0)-1, int32(t.view.X1)+1
	for _, s := range m.Spans {
		if s.S1 < x0v || s.S0 > x1v {
			continue
		}
		y, ok := laneY(s.Lane)
		if !ok {
			continue
		}
		c := colFuncs[s.Color]
		t.rect(t.xOf(float64(s.S0)), t.xOf(float64(s.S1)), y+3, y+11, dim(c))
		t.rect(t.xOf(float64(s.S0)), t.xOf(float64(s.S0+1)), y+2, y+12, c)
	}
	for _, b := range m.Bars {
		if b.S1 < x0v || b.S0 > x1v {
			continue
		}
		y, ok := laneY(b.Lane)
		if !ok {
			continue
		}
		yy := y + 13
		if b.Kind == barHandle {
			yy = y + 15
		}
		t.rect(t.xOf(float64(b.S0)), t.xOf(float64(b.S1)), yy, yy+2, colBars[b.Kind])
	}
	for _, mk := range m.Marks {
		if mk.Step < x0v || mk.Step > x1v || mk.Kind == markVerdict {
			continue
		}
		y, ok := laneY(mk.Lane)
		if !ok {
			continue
		}
		x := t.xOf(float64(mk.Step) + 0.5)
		if mk.Kind >= markExtWritten {
			// An extent change is a tick across its task's lane.
			t.rect(x-1, x+1, y+1, y+tlRowH-1, colMarks[mk.Kind])
			continue
		}
		t.rect(x-2, x+2, y, y+4, colMarks[mk.Kind])
	}
	for _, v := range m.Verdicts {
		x := t.xOf(float64(v) + 0.5)
		t.rect(x-1, x+1, 0, H, colVerdict)
	}
	cx := t.xOf(float64(p.step) + 0.5)
	t.rect(cx, cx+1, 0, H, colCursor)
	if cur := p.curTask(); cur >= 0 && int(cur) < len(m.TaskLane) {
		if y, ok := laneY(m.TaskLane[cur]); ok {
			t.rect(cx-3, cx+4, y, y+1, colCursor)
			t.rect(cx-3, cx+4, y+tlRowH-1, y+tlRowH, colCursor)
		}
	}
	sjs.CopyBytesToJS(t.arr, t.buf)
	ctx := t.ctx
	ctx.Call("putImageData", t.img, tlGutter, tlAxis)
	// gutter, ruler and labels
	ctx.Set("fillStyle", "#0d1017")
	ctx.Call("fillRect", 0, 0, tlGutter, t.h)
	ctx.Call("fillRect", tlGutter, 0, W, tlAxis)
	ctx.Set("font", "11px ui-monospace, SFMono-Regular, Menlo, monospace")
	ctx.Set("textBaseline", "middle")
	for i := 0; i <= rows && r0+i < len(m.Lanes); i++ {
		l := m.Lanes[r0+i]
		col := "#9aa4b5"
		switch l.Ctx.String() {
		case "hardirq", "softirq":
			col = "#ff9f7a"
		case "kworker":
			col = "#8fd6a8"
		}
		ctx.Set("fillStyle", col)
		label := l.Label
		if len(label) > 21 {
			label = label[:14] + "…" + label[len(label)-6:] // keep the ".N" that tells jobs apart
		}
		ctx.Call("fillText", label, 6, tlAxis+i*tlRowH+tlRowH/2)
	}
	// ruler ticks at a round interval
	span := t.view.X1 - t.view.X0
	tick := math.Pow(10, math.Floor(math.Log10(max(span/8, 1))))
	for _, f := range []float64{1, 2, 5, 10} {
		if span/(tick*f) <= 10 {
			tick *= f
			break
		}
	}
	ctx.Set("fillStyle", "#6b7485")
	for s := float64(int(t.view.X0/tick)) * tick; s < t.view.X1; s += tick {
		x := tlGutter + t.xOf(s)
		if x < tlGutter {
			continue
		}
		ctx.Call("fillRect", x, tlAxis-5, 1, 5)
		ctx.Call("fillText", fmt.Sprint(int(s)), x+3, 8)
	}
	ctx.Set("fillStyle", "#e8ecf2")
	ctx.Call("fillText", fmt.Sprintf("step %d", p.step), 6, 9)
	if len(m.Lanes) > rows {
		ctx.Set("fillStyle", "#6b7485")
		ctx.Call("fillText", fmt.Sprintf("lanes %d–%d of %d", r0+1, min(r0+rows, len(m.Lanes)), len(m.Lanes)), 6, t.h-6)
	}
	if t.hover >= 0 {
		txt := p.hoverText(int(t.hover))
		ctx.Set("textAlign", "right")
		ctx.Set("fillStyle", "#0d1017")
		wd := ctx.Call("measureText", txt).Get("width").Float()
		ctx.Call("fillRect", float64(t.w)-wd-12, 0, wd+12, tlAxis)
		ctx.Set("fillStyle", "#ffd04d")
		ctx.Call("fillText", txt, t.w-6, 9)
		ctx.Set("textAlign", "left")
		hx := tlGutter + t.xOf(t.hover+0.5)
		ctx.Set("fillStyle", "rgba(255,208,77,0.5)")
		ctx.Call("fillRect", hx, tlAxis, 1, H)
	}
	t.canvas.Call("setAttribute", "data-step", p.step)
	t.canvas.Call("setAttribute", "data-view", fmt.Sprintf("%.0f-%.0f", t.view.X0, t.view.X1))
}

// mouse handles zoom, pan and click-to-seek; it reports whether the step changed.
func (t *tlCanvas) mouse(p *PlayState, m mouseEv) bool {
	if t.model == nil || !t.shown {
		return false
	}
	inPlot := m.x >= tlGutter && m.x < float64(t.w) && m.y >= 0 && m.y < float64(t.h)
	switch m.kind {
	case "wheel":
		if m.shift {
			t.row0 += m.dy / 40
		} else if inPlot {
			f := 1.15
			if m.dy < 0 {
				f = 1 / f
			}
			t.view.zoom(t.stepAt(m.x), f, t.model.Steps)
		}
		t.dirty = true
	case "down":
		if m.x >= 0 && m.y >= 0 && m.x < float64(t.w) && m.y < float64(t.h) {
			t.drag.on, t.drag.moved = true, false
			t.drag.x, t.drag.y, t.drag.v, t.drag.row0 = m.x, m.y, t.view, t.row0
		}
	case "leave":
		if t.hover >= 0 {
			t.hover, t.dirty = -1, true
		}
	case "move":
		if !t.drag.on {
			h := -1.0
			if inPlot && m.y >= tlAxis {
				h = float64(int(t.stepAt(m.x)))
			}
			if h != t.hover {
				t.hover, t.dirty = h, true
			}
			return false
		}
		dx, dy := m.x-t.drag.x, m.y-t.drag.y
		if dx*dx+dy*dy > 16 {
			t.drag.moved = true
		}
		if t.drag.moved {
			t.view = t.drag.v
			t.view.pan(-dx/t.plotW()*(t.view.X1-t.view.X0), t.model.Steps)
			t.row0 = t.drag.row0 - dy/tlRowH
			t.dirty = true
		}
	case "up":
		if !t.drag.on {
			return false
		}
		t.drag.on = false
		if !t.drag.moved && inPlot {
			p.playing = false
			p.seek(int(t.stepAt(m.x)))
			// the click chose the step: keep the view where it is
			t.step, t.viewGen = p.step, p.viewGen
			t.dirty = true
			// select the task whose lane was clicked
			lane := int(t.row0) + int((m.y-tlAxis)/tlRowH)
			if m.y >= tlAxis && lane >= 0 && lane < len(t.model.Lanes) {
				for id, l := range t.model.TaskLane {
					if int(l) == lane && t.model.Lanes[lane].Ctx.String() == "process" {
						p.selTask = int32(id)
					}
				}
			}
			return true
		}
	}
	return false
}
