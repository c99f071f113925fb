//go:build !js

package main

import (
	"fmt"
	"os"
)

// main exists so the package builds on the host (go vet, go test); the page
// only runs as GOOS=js GOARCH=wasm.
func main() {
	fmt.Fprintln(os.Stderr, "wasm/app is the browser page: build it with GOOS=js GOARCH=wasm (./build.sh build)")
	os.Exit(2)
}
