//go:build !js

package main

// Host stand-ins for the browser glue of play_js.go, so the playground's
// logic builds and is tested with plain go test.

func pageBase() string                          { return "http://127.0.0.1:8080/" }
func copyToClipboard(string) bool               { return false }
func downloadBytes(name, mime string, b []byte) {}
func exploreStart(req exploreReq) error         { return nil }
func exploreCancel()                            {}
func nowMs() float64                            { return 0 }
