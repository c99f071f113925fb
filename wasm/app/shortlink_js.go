package main

import (
	"encoding/json"
	"fmt"
	sjs "syscall/js"
)

// postJSON POSTs v as JSON to url (relative to the page) and returns the
// status and body.
func postJSON(url string, v any) (int, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, nil, err
	}
	opts := map[string]any{
		"method":  "POST",
		"headers": map[string]any{"Content-Type": "application/json"},
		"body":    string(b),
	}
	resp, err := await(sjs.Global().Call("fetch", url, opts))
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s: %v", url, err)
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s: reading body: %v", url, err)
	}
	body, err := bytesOf(buf)
	return resp.Get("status").Int(), body, err
}

// pageOrigin is scheme://host[:port] of the page.
func pageOrigin() string { return sjs.Global().Get("location").Get("origin").String() }
