// Command app is ext4play's browser page: Vugu components compiled to
// WebAssembly. The wasm entry point is main_js.go; component logic lives in
// untagged files so it is tested on the host.
package main

//go:generate go tool vugugen -skip-go-mod -skip-main .
//go:generate sh -c "gofmt -w *_gen.go"
//go:generate go run ./internal/vugujs -o ../../web/vugu-render.js
