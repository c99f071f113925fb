//go:build js

package main

// The explore worker, both ends. The page starts web/explore-worker.js,
// which runs this same wasm program; main sees no document and runs
// exploreWorkerMain instead of the page.

import (
	"encoding/json"
	"sync/atomic"
	sjs "syscall/js"
	"time"
)

var exploreW sjs.Value

// exploreStart starts a fresh worker for req (a previous one is ended).
func exploreStart(req exploreReq) error {
	if exploreW.Truthy() {
		exploreW.Call("terminate")
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	gen := exploreGen
	w := sjs.Global().Get("Worker").New("explore-worker.js")
	w.Set("onmessage", sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		var m exploreMsg
		if err := json.Unmarshal([]byte(args[0].Get("data").String()), &m); err != nil {
			m = exploreMsg{Kind: "error", Msg: "explore worker sent a bad message: " + err.Error()}
		}
		m.Gen = gen
		if m.Kind == "progress" {
			// Progress is cumulative: when the page is behind, skip one
			// rather than block the JS event loop in this callback.
			select {
			case playWorker <- m:
			default:
			}
			return nil
		}
		playWorker <- m
		return nil
	}))
	w.Set("onerror", sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		msg := "the explore worker failed"
		if m := args[0].Get("message"); m.Type() == sjs.TypeString {
			msg += ": " + m.String()
		}
		playWorker <- exploreMsg{Kind: "error", Msg: msg, Gen: gen}
		return nil
	}))
	w.Call("postMessage", string(b))
	exploreW = w
	return nil
}

// exploreCancel asks the worker to stop between chunks, then ends it.
func exploreCancel() {
	if !exploreW.Truthy() {
		return
	}
	w := exploreW
	w.Call("postMessage", `{"cancel":true}`)
	exploreW = sjs.Undefined()
	var f sjs.Func
	f = sjs.FuncOf(func(sjs.Value, []sjs.Value) any { w.Call("terminate"); f.Release(); return nil })
	sjs.Global().Call("setTimeout", f, 2000)
}

// isWorker: a Web Worker has no document.
func isWorker() bool { return sjs.Global().Get("document").IsUndefined() }

// exploreWorkerMain is the worker's loop: one job at a time; a cancel
// message sets a flag the job polls between chunks.
func exploreWorkerMain() {
	var canceled atomic.Bool
	jobs := make(chan exploreReq, 4)
	g := sjs.Global()
	post := func(m exploreMsg) {
		b, _ := json.Marshal(m)
		g.Call("postMessage", string(b))
	}
	g.Set("ext4playWorkerMessage", sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		var msg struct {
			Cancel bool `json:"cancel"`
			exploreReq
		}
		if err := json.Unmarshal([]byte(args[0].String()), &msg); err != nil {
			post(exploreMsg{Kind: "error", Msg: "bad request: " + err.Error()})
			return nil
		}
		if msg.Cancel {
			canceled.Store(true)
			return nil
		}
		select {
		case jobs <- msg.exploreReq:
		default:
			post(exploreMsg{Kind: "error", Msg: "the worker is busy"})
		}
		return nil
	}))
	if f := g.Get("ext4playWorkerReady"); f.Type() == sjs.TypeFunction {
		f.Invoke()
	}
	for req := range jobs {
		canceled.Store(false)
		func() {
			defer func() {
				if r := recover(); r != nil {
					post(exploreMsg{Kind: "error", Msg: "internal error in the model: " + toString(r)})
				}
			}()
			exploreJob(req, post, func() bool {
				// Give the worker's event loop a turn so a cancel message is seen.
				time.Sleep(time.Millisecond)
				return !canceled.Load()
			})
		}()
	}
}

func toString(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
