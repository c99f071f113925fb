//go:build js

package main

import (
	"fmt"
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

	for ok := true; ok; ok = renderer.EventWait() {
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
		noteRenderTiming(t0, t1, nowMs())
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
	// vugu ends the event loop when an event handler panicked.
	fatal("ext4play stopped after an internal error in an event handler (see the console). Reload the page to continue.")
}

// fatal shows a message that the page can no longer work, through
// boot.js (outside vugu's tree, so it survives), and in the console.
func fatal(msg string) {
	println(msg)
	if f := sjs.Global().Get("ext4playBootError"); f.Type() == sjs.TypeFunction {
		f.Invoke(msg)
	}
}
