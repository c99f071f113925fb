//go:build js

package main

import (
	sjs "syscall/js"
	"time"
)

// saveBlob offers data as a file download: a Blob URL behind an
// <a download> that is clicked once. The page's CSP does not govern
// downloads, so no connect-src or inline script is needed.
func saveBlob(name string, data []byte) error {
	u8 := sjs.Global().Get("Uint8Array").New(len(data))
	sjs.CopyBytesToJS(u8, data)
	blob := sjs.Global().Get("Blob").New([]any{u8}, map[string]any{"type": "application/octet-stream"})
	url := sjs.Global().Get("URL").Call("createObjectURL", blob).String()
	doc := sjs.Global().Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Set("rel", "noopener")
	a.Set("hidden", true)
	doc.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	// The browser has the blob once the download starts; free it a little
	// later rather than at once, which can cancel a slow start.
	go func() {
		time.Sleep(time.Minute)
		sjs.Global().Get("URL").Call("revokeObjectURL", url)
	}()
	return nil
}
