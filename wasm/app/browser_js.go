//go:build js

package main

// Browser glue: fetch, File objects and performance marks through
// syscall/js. Host builds use browser_other.go.

import (
	"errors"
	"fmt"
	"sync"
	sjs "syscall/js"

	"github.com/vugu/vugu"
)

// await blocks the calling goroutine until the JS promise p settles. It
// must not run on the goroutine of a JS callback (an event handler), which
// would deadlock the page; callers start a goroutine first.
func await(p sjs.Value) (sjs.Value, error) {
	type result struct {
		v   sjs.Value
		err error
	}
	ch := make(chan result, 1)
	ok := sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	fail := sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		msg := "promise rejected"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == sjs.TypeString {
				msg = m.String()
			} else {
				msg = args[0].Call("toString").String()
			}
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

// bytesOf copies an ArrayBuffer into Go memory.
func bytesOf(buf sjs.Value) ([]byte, error) {
	n := buf.Get("byteLength").Int()
	if n > imageBytesMax {
		return nil, fmt.Errorf("%d bytes is more than the page accepts (%d)", n, imageBytesMax)
	}
	b := make([]byte, n)
	sjs.CopyBytesToGo(b, sjs.Global().Get("Uint8Array").New(buf))
	return b, nil
}

// fetchBytes GETs url (relative to the page) and returns the body.
func fetchBytes(url string) ([]byte, error) {
	resp, err := await(sjs.Global().Call("fetch", url))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %v", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetch %s: HTTP %d %s", url, resp.Get("status").Int(), resp.Get("statusText").String())
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: reading body: %v", url, err)
	}
	return bytesOf(buf)
}

// jsFile is a browser File.
type jsFile struct{ v sjs.Value }

func (f jsFile) Name() string { return f.v.Get("name").String() }
func (f jsFile) Size() int64  { return int64(f.v.Get("size").Float()) }
func (f jsFile) Bytes() ([]byte, error) {
	buf, err := await(f.v.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("reading the file: %v", err)
	}
	return bytesOf(buf)
}

func firstFile(list sjs.Value) blob {
	if list.IsUndefined() || list.IsNull() || list.Length() == 0 {
		return nil
	}
	return jsFile{list.Index(0)}
}

// inputFile is the file chosen in an <input type=file>. The input is then
// cleared so choosing the same file again fires another change event.
func inputFile(e vugu.DOMEvent) blob {
	t := sjs.Value(e.JSEventTarget())
	f := firstFile(t.Get("files"))
	if f != nil {
		// Read the File before clearing: clearing empties the FileList,
		// not the File object we hold.
		t.Set("value", "")
	}
	return f
}

// droppedFile is the first file of a drop event.
func droppedFile(e vugu.DOMEvent) blob {
	dt := sjs.Value(e.JSEvent()).Get("dataTransfer")
	if dt.IsUndefined() || dt.IsNull() {
		return nil
	}
	return firstFile(dt.Get("files"))
}

// markFirstRender records when the first image became visible, as
// milliseconds since navigation start, for tests and the closing report.
// firstPainted is closed once the page's first frame is on screen (see
// notePainted).
var firstPainted = make(chan struct{})

// afterFirstPaint blocks until the first frame is on screen. Work the
// first frame does not show (the catalogue's menu entries, the sample
// list) waits for it: a goroutine started during the first render would
// otherwise run in the same JS task, before the browser paints, and its
// first-call wasm compilation would delay the paint.
func afterFirstPaint() { <-firstPainted }

// notePainted closes firstPainted in the task after the next animation
// frame, which is the frame that paints what was just rendered, or after
// 500 ms in a tab that paints no frames (hidden).
func notePainted() {
	var once sync.Once
	var raf, done sjs.Func
	done = sjs.FuncOf(func(sjs.Value, []sjs.Value) any {
		once.Do(func() { close(firstPainted) })
		return nil
	})
	raf = sjs.FuncOf(func(sjs.Value, []sjs.Value) any {
		raf.Release()
		sjs.Global().Call("setTimeout", done, 0)
		return nil
	})
	sjs.Global().Call("requestAnimationFrame", raf)
	sjs.Global().Call("setTimeout", done, 500)
}

func markFirstRender() {
	ms := sjs.Global().Get("performance").Call("now").Float()
	sjs.Global().Set("__ext4playFirstRender", ms)
	sjs.Global().Get("document").Get("documentElement").Call("setAttribute", "data-first-render-ms", fmt.Sprintf("%.0f", ms))
}

// mark records a named point in the browser's performance timeline
// (performance.mark), so load phases can be read back by tests and seen in
// DevTools.
func mark(name string) {
	if p := sjs.Global().Get("performance"); p.Truthy() && p.Get("mark").Truthy() {
		p.Call("mark", "ext4play:"+name)
	}
}

// scrollSelectedIntoView brings the selected tree row and inode table row
// into their scroll boxes; "nearest" leaves rows that are visible alone.
func scrollSelectedIntoView() {
	doc := sjs.Global().Get("document")
	opts := map[string]any{"block": "nearest", "inline": "nearest"}
	for _, sel := range []string{".trow.selected", "tr.selected"} {
		if el := doc.Call("querySelector", sel); el.Truthy() {
			el.Call("scrollIntoView", opts)
		}
	}
}

// noteRenderTiming keeps the last build and render durations (ms) in
// window.__ext4playRenderTimes, a ring of [build, render, start] entries that
// performance scripts read back.
func noteRenderTiming(t0, t1, t2 float64) {
	g := sjs.Global()
	a := g.Get("__ext4playRenderTimes")
	if !a.Truthy() {
		a = g.Get("Array").New()
		g.Set("__ext4playRenderTimes", a)
	}
	if a.Length() >= 1000 {
		a.Call("shift")
	}
	a.Call("push", g.Get("Array").New(t1-t0, t2-t1, t0))
}
