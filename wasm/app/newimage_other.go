//go:build !js

package main

// saveBlob is the host stand-in for newimage_js.go.
func saveBlob(name string, data []byte) error { return errNoBrowser }
