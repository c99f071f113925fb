//go:build !js

package main

import (
	"fmt"
	"os"
)

// main: the codec runs only as a Web Worker (GOOS=js); on the host the
// package exists for its tests.
func main() {
	fmt.Fprintln(os.Stderr, "codec: this program runs in the page's codec Web Worker (GOOS=js GOARCH=wasm)")
	os.Exit(2)
}
