//go:build js

package main

// The page's xz and zstd codecs run in a Web Worker: the page's wasm is
// built with -tags extcodec and links neither (1.6 MB raw, 250 KB brotli
// less on every first load); core/image hands those formats to the
// ExternalCodec installed here, which starts web/codec-worker.js (its own
// wasm, wasm/codec) on first use and keeps it for later ones. Devices
// cross in core/image's transfer format, in transferred ArrayBuffers.
//
// The caller's goroutine blocks until the worker answers, so Load and
// Save must not run on a JS callback's goroutine (a vugu event handler):
// the worker's reply is a JS event, and a callback that blocks keeps the
// event loop from delivering it. openImage runs in loader goroutines,
// encodeImage in the download goroutine, ExportImage compresses in one.

import (
	"errors"
	"fmt"
	"sync"
	sjs "syscall/js"
	"time"

	"ext4play/core/image"
)

// codecTimeout bounds one request: a worker that died without an error
// event (out of memory) must not leave the page busy forever. Compressing
// the largest image the page exports takes about a minute.
const codecTimeout = 10 * time.Minute

var theCodec = &codecWorker{}

func init() {
	image.SetExternalCodec(theCodec)
	// For boot.js's hover listener; a no-op once the worker runs.
	sjs.Global().Set("ext4playPrewarmCodec", sjs.FuncOf(func(sjs.Value, []sjs.Value) any {
		prewarmCodec()
		return nil
	}))
}

// prewarmCodec starts the codec worker ahead of its first request (the
// inspector's default sample is zstd): its wasm then compiles while the
// sample list and the sample are fetched. A failure here is reported by
// the first request.
func prewarmCodec() {
	theCodec.mu.Lock()
	defer theCodec.mu.Unlock()
	_ = theCodec.start()
}

// codecReply is the worker's answer to one request.
type codecReply struct {
	data []byte
	err  error
}

// codecWorker is the image.ExternalCodec of the page (and of the explore
// worker, which runs this program too and starts its own codec worker).
type codecWorker struct {
	mu      sync.Mutex
	w       sjs.Value // the worker; undefined until first use or after a failure
	nextID  int
	pending map[int]chan codecReply
}

// Decode sends a compressed image to the worker and rebuilds the device
// it returns, enforcing the limits on this side too.
func (c *codecWorker) Decode(data []byte, name string, format image.Format, lim image.Limits) (*image.Device, error) {
	out, err := c.call("load", name, format, lim, data)
	if err != nil {
		return nil, err
	}
	return image.DecodeTransfer(out, image.MaxSize(lim.MaxSize), image.MaxUsed(lim.MaxUsed))
}

// Encode sends the device to the worker and returns the compressed file.
func (c *codecWorker) Encode(d *image.Device, format image.Format) ([]byte, error) {
	return c.call("save", "", format, image.Limits{MaxSize: d.Size()}, d.EncodeTransfer())
}

// call posts one request and waits for its reply.
func (c *codecWorker) call(op, name string, format image.Format, lim image.Limits, data []byte) ([]byte, error) {
	g := sjs.Global()
	u8 := g.Get("Uint8Array").New(len(data))
	sjs.CopyBytesToJS(u8, data)
	buf := u8.Get("buffer")
	msg := g.Get("Object").New()
	msg.Set("op", op)
	msg.Set("name", name)
	msg.Set("format", format.String())
	msg.Set("maxSize", float64(lim.MaxSize))
	msg.Set("maxUsed", float64(lim.MaxUsed))
	msg.Set("data", buf)

	ch := make(chan codecReply, 1)
	c.mu.Lock()
	if err := c.start(); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.nextID++
	id := c.nextID
	msg.Set("id", id)
	c.pending[id] = ch
	c.w.Call("postMessage", msg, []any{buf})
	c.mu.Unlock()

	t := time.NewTimer(codecTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.data, r.err
	case <-t.C:
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, fmt.Errorf("the codec worker did not answer within %v", codecTimeout)
	}
}

// start creates the worker unless it runs. c.mu is held.
func (c *codecWorker) start() (err error) {
	if c.w.Truthy() {
		return nil
	}
	defer func() {
		// new Worker throws (a SecurityError) when the page may not
		// start one.
		if r := recover(); r != nil {
			err = fmt.Errorf("the codec worker (web/codec-worker.js) for xz and zstd images could not start: %v", r)
		}
	}()
	g := sjs.Global()
	w := g.Get("Worker").New("codec-worker.js")
	onMessage := sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		c.received(args[0].Get("data"))
		return nil
	})
	onError := sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		e := args[0]
		msg := "the codec worker for xz and zstd images failed to load"
		if m := e.Get("message"); m.Type() == sjs.TypeString && m.String() != "" {
			msg += ": " + m.String()
		}
		e.Call("preventDefault") // reported to the user instead of the console
		c.failAll(errors.New(msg))
		return nil
	})
	w.Set("onmessage", onMessage)
	w.Set("onerror", onError)
	w.Set("onmessageerror", onError)
	c.w = w
	if c.pending == nil {
		c.pending = map[int]chan codecReply{}
	}
	return nil
}

// received handles one reply (on the JS callback's goroutine: it copies
// and hands over, never blocks).
func (c *codecWorker) received(m sjs.Value) {
	if m.Type() != sjs.TypeObject {
		c.failAll(errors.New("the codec worker sent a malformed reply"))
		return
	}
	id := 0
	if v := m.Get("id"); v.Type() == sjs.TypeNumber {
		id = v.Int()
	}
	var r codecReply
	if e := m.Get("error"); e.Type() == sjs.TypeString {
		r.err = errors.New(e.String())
		if id == 0 {
			// The worker itself failed (its wasm did not load): every
			// request waiting fails, and the next one starts a new worker.
			c.failAll(r.err)
			return
		}
	} else if d := m.Get("data"); d.Truthy() {
		u8 := sjs.Global().Get("Uint8Array").New(d)
		r.data = make([]byte, u8.Length())
		sjs.CopyBytesToGo(r.data, u8)
	} else {
		r.err = errors.New("the codec worker sent a reply without data")
	}
	c.mu.Lock()
	ch := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- r // buffered, one reply per request
	}
}

// failAll ends every waiting request with err and drops the worker, so
// the next request starts a fresh one.
func (c *codecWorker) failAll(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ch := range c.pending {
		ch <- codecReply{err: err}
		delete(c.pending, id)
	}
	if c.w.Truthy() {
		c.w.Call("terminate")
	}
	// The dropped worker's two handlers are not released: this may run
	// inside one of them, and there is one small pair per failed start.
	c.w = sjs.Undefined()
}
