//go:build !js

package main

// Host stand-ins for browser_js.go, so the package builds, vets and tests
// outside the browser.

import (
	"errors"

	"github.com/vugu/vugu"
)

var errNoBrowser = errors.New("not running in a browser")

func fetchBytes(url string) ([]byte, error) { return nil, errNoBrowser }
func inputFile(e vugu.DOMEvent) blob        { return nil }
func droppedFile(e vugu.DOMEvent) blob      { return nil }
func markFirstRender()                      {}
func afterFirstPaint()                      {}
func prewarmCodec()                         {}
func mark(name string)                      {}
func scrollSelectedIntoView()               {}
