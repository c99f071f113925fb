//go:build js

package main

import (
	"fmt"
	"runtime/debug"
	sjs "syscall/js"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/domrender"
)

// mountPoint is the element of index.html the page renders into.
const mountPoint = "#ext4play"

func main() {
	if isWorker() {
		exploreWorkerMain() // the explore Web Worker runs this same program
		return
	}
	// A Go panic ends the wasm program and freezes the page; say so in the
	// page rather than only in the console.
	defer func() {
		if r := recover(); r != nil {
			fatal(fmt.Sprintf("ext4play stopped after an internal error: %v. Reload the page to continue.", r))
			panic(r)
		}
	}()
	// Every vugu render builds a fresh tree of garbage; js/wasm has no
	// background GC workers, so a collection lands inside some render as
	// a long task. A higher target makes them rarer; the soft limit keeps
	// a big run (the full-size job's recorded trace) from growing the tab
	// to five times its live heap.
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(512 << 20)
	renderer, err := domrender.New(mountPoint)
	if err != nil {
		fatal(fmt.Sprintf("ext4play could not start its renderer: %v", err))
		return
	}
	defer renderer.Release()
	env := renderer.EventEnv()
	buildEnv, err := vugu.NewBuildEnv(env)
	if err != nil {
		fatal(fmt.Sprintf("ext4play could not start its renderer: %v", err))
		return
	}
	mark("main")
	// The playground is the landing screen; #image opens the inspector.
	root := &Root{Tab: "playground"}
	root.env = env
	playStart(env, root)
	if root.Tab == "image" {
		root.startInspector()
	}

	tl := newTLCanvas()
	mark("loop")
	// vugu queues one wake-up per event (up to 64) and renders once per
	// wake-up; a burst of events would then cost a burst of renders, each
	// already stale. The pump folds them into one pending wake-up.
	wake, stopped := make(chan struct{}, 1), make(chan struct{})
	go func() {
		for renderer.EventWait() {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		close(stopped)
	}()
	var nextRender float64
	for first := true; ; first = false {
		if !first {
			select {
			case <-wake:
			case <-stopped:
				// vugu ends the event loop when an event handler panicked.
				fatal("ext4play stopped after an internal error in an event handler (see the console). Reload the page to continue.")
				return
			}
			// An event after a quiet spell renders at once, in its own
			// task (a click or a key shows in the next frame, and tests
			// see the page updated when the event returns). Bursts
			// (scrubbing, a held arrow key, explore progress) coalesce:
			// the panels, which take tens of ms, render again only after
			// 4× their last cost (at most 250 ms), each time inside an
			// animation frame, while the timeline and the step counter
			// follow every frame.
			for nowMs() < nextRender {
				waitFrame()
			}
			select {
			case <-wake: // events since: this render includes them
			default:
			}
		}
		// Build under the read lock (loaders change root from their own
		// goroutines); Render takes that lock itself and a nested RLock
		// could deadlock against a waiting writer.
		env.RLock()
		shown := root.img != nil && !root.firstRenderDone
		if shown {
			mark("build")
		}
		t0 := nowMs()
		res := buildEnv.RunBuild(root)
		scroll := root.scrollSel
		env.RUnlock()
		t1 := nowMs()
		if shown {
			mark("render")
		}
		if err := renderer.Render(res); err != nil {
			fatal(fmt.Sprintf("ext4play could not draw the page: %v. Reload the page to continue.", err))
			return
		}
		// The timeline in the same frame as the panels (its slot may
		// have moved: Play.Rendered marked the layout dirty).
		env.Lock()
		tl.frame(playState, root.Tab == "playground")
		env.UnlockOnly()
		t2 := nowMs()
		noteRenderTiming(t0, t1, t2)
		if first {
			mark("first-render")
			notePainted()
			// The catalogue's menu entries follow the first paint.
			go func() {
				afterFirstPaint()
				env.Lock()
				playState.loadCatalog()
				env.UnlockRender()
			}()
		}
		nextRender = t2 + min(4*(t2-t0), 250)
		if scroll {
			env.Lock()
			root.scrollSel = false
			env.UnlockOnly()
			scrollSelectedIntoView()
		}
		if shown {
			// The root component never gets Rendered() in vugu v0.4.0, so
			// the first paint of an image is noted here, after Render.
			env.Lock()
			root.firstRenderDone = true
			env.UnlockOnly()
			markFirstRender()
		}
	}
}

var (
	frameCh = make(chan struct{}, 1)
	frameFn = sjs.FuncOf(func(sjs.Value, []sjs.Value) any {
		select {
		case frameCh <- struct{}{}:
		default:
		}
		return nil
	})
)

// waitFrame blocks until the browser's next animation frame, or 100 ms
// when it paints none (a hidden tab), so renders never stall for good.
// The goroutine then runs inside that frame's callback, before the paint.
func waitFrame() {
	g := sjs.Global()
	select {
	case <-frameCh: // a late wake-up of an earlier wait
	default:
	}
	f := g.Call("requestAnimationFrame", frameFn)
	t := g.Call("setTimeout", frameFn, 100)
	<-frameCh
	g.Call("cancelAnimationFrame", f)
	g.Call("clearTimeout", t)
}

// fatal shows a message that the page can no longer work, through
// boot.js (outside vugu's tree, so it survives), and in the console.
func fatal(msg string) {
	println(msg)
	if f := sjs.Global().Get("ext4playBootError"); f.Type() == sjs.TypeFunction {
		f.Invoke(msg)
	}
}
