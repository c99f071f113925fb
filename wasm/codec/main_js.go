//go:build js

package main

// The worker's side of the page ↔ codec worker messages. Requests are
// objects {id, op, name, format, maxSize, maxUsed, data: ArrayBuffer};
// each reply is {id, data: ArrayBuffer} or {id, error: string}, with its
// buffer transferred, not copied. A malformed request gets an error reply
// (with id 0 when it has no id): the worker never dies of one.

import (
	"fmt"
	sjs "syscall/js"
)

func main() {
	g := sjs.Global()
	serve := sjs.FuncOf(func(_ sjs.Value, args []sjs.Value) any {
		if len(args) == 1 {
			reply(args[0])
		}
		return nil
	})
	// codec-worker.js queues the messages that arrive before this and
	// hands them over now.
	g.Call("ext4playCodecReady", serve)
	select {}
}

// reply answers one request message m.
func reply(m sjs.Value) {
	g := sjs.Global()
	r := g.Get("Object").New()
	r.Set("id", 0)
	out, err := func() (out []byte, err error) {
		defer func() {
			if p := recover(); p != nil {
				out, err = nil, fmt.Errorf("codec worker: bad request: %v", p)
			}
		}()
		if m.Type() != sjs.TypeObject {
			return nil, fmt.Errorf("codec worker: request is a %s, not an object: %w", m.Type(), errBadRequest)
		}
		r.Set("id", m.Get("id"))
		req, err := decodeRequest(m)
		if err != nil {
			return nil, err
		}
		return handle(req)
	}()
	if err != nil {
		r.Set("error", err.Error())
		g.Call("postMessage", r)
		return
	}
	u8 := g.Get("Uint8Array").New(len(out))
	sjs.CopyBytesToJS(u8, out)
	buf := u8.Get("buffer")
	r.Set("data", buf)
	g.Call("postMessage", r, []any{buf})
}

// decodeRequest reads the fields of a request object, checking types.
func decodeRequest(m sjs.Value) (request, error) {
	var req request
	str := func(key string) (string, error) {
		v := m.Get(key)
		switch v.Type() {
		case sjs.TypeString:
			return v.String(), nil
		case sjs.TypeUndefined:
			return "", nil
		}
		return "", fmt.Errorf("codec worker: request field %s is a %s, not a string: %w", key, v.Type(), errBadRequest)
	}
	num := func(key string) (int64, error) {
		v := m.Get(key)
		switch v.Type() {
		case sjs.TypeNumber:
			f := v.Float()
			if f != float64(int64(f)) || f < 0 {
				return 0, fmt.Errorf("codec worker: request field %s = %v is not a byte count: %w", key, f, errBadRequest)
			}
			return int64(f), nil
		case sjs.TypeUndefined:
			return 0, nil
		}
		return 0, fmt.Errorf("codec worker: request field %s is a %s, not a number: %w", key, v.Type(), errBadRequest)
	}
	var err error
	if req.Op, err = str("op"); err != nil {
		return req, err
	}
	if req.Name, err = str("name"); err != nil {
		return req, err
	}
	if req.Format, err = str("format"); err != nil {
		return req, err
	}
	if req.MaxSize, err = num("maxSize"); err != nil {
		return req, err
	}
	if req.MaxUsed, err = num("maxUsed"); err != nil {
		return req, err
	}
	data := m.Get("data")
	if !data.InstanceOf(sjs.Global().Get("ArrayBuffer")) {
		return req, fmt.Errorf("codec worker: request data is not an ArrayBuffer: %w", errBadRequest)
	}
	u8 := sjs.Global().Get("Uint8Array").New(data)
	req.Data = make([]byte, u8.Length())
	sjs.CopyBytesToGo(req.Data, u8)
	return req, nil
}
