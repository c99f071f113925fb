//go:build js

package main

// Browser glue of the playground: the animation loop (playback and the
// timeline canvas), keyboard shortcuts, the #s= route, clipboard and
// downloads. JS callbacks never block: they hand events to the loop
// goroutine, which takes the EventEnv lock.

import (
	"fmt"
	"strings"
	sjs "syscall/js"

	"github.com/vugu/vugu"
)

type keyEv struct {
	key   string
	shift bool
}

var (
	playKeys   = make(chan keyEv, 16)
	playMouse  = make(chan mouseEv, 64)
	playWorker = make(chan exploreMsg, 64)
	playHash   = make(chan string, 2)
)

// playStart creates the playground state before the first render and
// starts its loop. A #s= or #play fragment opens the playground tab.
func playStart(env vugu.EventEnv, root *Root) {
	playState = newPlayState()
	playState.root = root
	hash := sjs.Global().Get("location").Get("hash").String()
	switch {
	case strings.HasPrefix(hash, "#s=") || strings.HasPrefix(hash, "#s/"):
		root.Tab = "playground"
		playState.openFragment(hash)
		mark("fragment-run")
	case hash == "#image":
		root.Tab = "image"
	default: // "", #play, #playground
		root.Tab = "playground"
		playState.run(-1)
	}
	doc := sjs.Global().Get("document")
	doc.Call("addEventListener", "keydown", sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		e := args[0]
		if root.Tab != "playground" || e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("altKey").Bool() {
			return nil
		}
		if t := e.Get("target"); t.Truthy() {
			tag := strings.ToUpper(t.Get("tagName").String())
			typ := t.Get("type").String()
			if tag == "TEXTAREA" || tag == "SELECT" || (tag == "INPUT" && typ != "range" && typ != "checkbox") {
				return nil
			}
		}
		k := e.Get("key").String()
		if k == " " {
			// A focused button would also be clicked by the space bar.
			if t := e.Get("target"); t.Truthy() && strings.ToUpper(t.Get("tagName").String()) == "BUTTON" {
				t.Call("blur")
			}
		}
		switch k {
		case " ", "ArrowLeft", "ArrowRight", "Home", "End", "?", "Escape", "v", "V", "+", "=", "-":
			e.Call("preventDefault")
			select {
			case playKeys <- keyEv{k, e.Get("shiftKey").Bool()}:
			default:
			}
		}
		return nil
	}))
	sjs.Global().Call("addEventListener", "hashchange", sjs.FuncOf(func(_ sjs.Value, _ []sjs.Value) any {
		h := sjs.Global().Get("location").Get("hash").String()
		if strings.HasPrefix(h, "#s=") {
			select {
			case playHash <- h:
			default:
			}
		}
		return nil
	}))
	go playLoop(env, root)
}

func playLoop(env vugu.EventEnv, root *Root) {
	frames := make(chan float64, 1)
	var raf sjs.Func
	raf = sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		select {
		case frames <- args[0].Float():
		default:
		}
		sjs.Global().Call("requestAnimationFrame", raf)
		return nil
	})
	sjs.Global().Call("requestAnimationFrame", raf)
	tl := newTLCanvas()
	var last, acc, rendered float64
	for {
		select {
		case t := <-frames:
			env.Lock()
			p := playState
			render := false
			if p.playing && last > 0 {
				acc += (t - last) / 1000 * p.speed()
				if n := int(acc); n > 0 {
					acc -= float64(n)
					p.advance(n)
					render = true
				}
			} else {
				acc = 0
			}
			last = t
			tl.frame(p, root.Tab == "playground")
			// While playing, the canvas and the step counter move every
			// frame; the panels (a full vugu render, tens of ms) catch up
			// a few times a second and when playback stops.
			if render && p.playing && t-rendered < 250 && p.speed() > 10 {
				render = false
				setStepCounter(p.stepText())
			}
			if render {
				rendered = t
				env.UnlockRender()
			} else {
				env.UnlockOnly()
			}
		case k := <-playKeys:
			env.Lock()
			playState.key(k.key, k.shift)
			env.UnlockRender()
		case m := <-playMouse:
			env.Lock()
			seek := tl.mouse(playState, m)
			if seek {
				env.UnlockRender()
			} else {
				env.UnlockOnly()
			}
		case m := <-playWorker:
			env.Lock()
			playState.ex.apply(m)
			if m.Kind == "progress" && patchExplore(&playState.ex) {
				env.UnlockOnly()
			} else {
				env.UnlockRender()
			}
		case h := <-playHash:
			env.Lock()
			root.Tab = "playground"
			playState.fragErr = ""
			playState.openFragment(h)
			env.UnlockRender()
		}
	}
}

// slotLayoutSig is what moves the timeline's slot between renders.
type slotLayoutSig struct {
	gen     int
	fragErr string
}

var lastSlotSig slotLayoutSig

// Rendered notes when a verdict first reached the screen (the share-link
// budget is measured from navigation to this point).
func (c *Play) Rendered() {
	p := c.S
	if p != nil {
		lastExploreShape = p.ex.shape()
	}
	// Reading the timeline slot's position forces a layout, so it is read
	// again only when what sits above it may have changed: a new run (the
	// verdict panel) or the share-link banner. Size changes, a new slot
	// element, resizes and scrolls are caught in timeline_js.go.
	if p != nil {
		if sig := (slotLayoutSig{p.gen, p.fragErr}); sig != lastSlotSig {
			lastSlotSig = sig
			tlLayoutDirty = true
		}
	}
	if p == nil || p.verdictShownAt != 0 || p.res == nil {
		return
	}
	ms := nowMs()
	p.verdictShownAt = ms
	g := sjs.Global()
	g.Set("__ext4playVerdictMs", ms)
	g.Set("__ext4playRunMs", float64(p.runTime.Microseconds())/1000)
	g.Get("document").Get("documentElement").Call("setAttribute", "data-verdict-ms", fmt.Sprintf("%.0f", ms))
}

func nowMs() float64 { return sjs.Global().Get("performance").Call("now").Float() }

// pageBase is the page's URL without its fragment.
func pageBase() string {
	loc := sjs.Global().Get("location")
	return loc.Get("origin").String() + loc.Get("pathname").String() + loc.Get("search").String()
}

// copyToClipboard starts a clipboard write; it reports whether the API
// exists (the write itself may still be refused, so the link is also shown).
func copyToClipboard(s string) bool {
	cb := sjs.Global().Get("navigator").Get("clipboard")
	if !cb.Truthy() || !cb.Get("writeText").Truthy() {
		return false
	}
	pr := cb.Call("writeText", s)
	var f sjs.Func
	f = sjs.FuncOf(func(sjs.Value, []sjs.Value) any { f.Release(); return nil })
	pr.Call("catch", f)
	return true
}

// downloadBytes saves b as a file through a temporary object URL.
func downloadBytes(name, mime string, b []byte) {
	g := sjs.Global()
	arr := g.Get("Uint8Array").New(len(b))
	sjs.CopyBytesToJS(arr, b)
	blob := g.Get("Blob").New([]any{arr}, map[string]any{"type": mime})
	url := g.Get("URL").Call("createObjectURL", blob)
	a := g.Get("document").Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	g.Get("document").Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	var f sjs.Func
	f = sjs.FuncOf(func(sjs.Value, []sjs.Value) any {
		g.Get("URL").Call("revokeObjectURL", url)
		f.Release()
		return nil
	})
	g.Call("setTimeout", f, 10000)
}

// setStepCounter updates the step counter between vugu renders (the next
// render writes the same text).
func setStepCounter(txt string) {
	doc := sjs.Global().Get("document")
	if el := doc.Call("querySelector", `[data-testid="step-counter"]`); el.Truthy() {
		el.Set("textContent", txt)
	}
}
