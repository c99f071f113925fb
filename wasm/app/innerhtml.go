package main

import (
	"hash/fnv"

	"github.com/vugu/vugu/js"
)

// setHTML puts markup into el, a vg-js-populate target, only when it has
// changed since the last render. vugu's vg-html assigns innerHTML on every
// render, which re-parses the markup and rebuilds the subtree, its style
// and its layout each time (tens of ms per render for the SVG panels and
// the fio gutter). vugu leaves the children of an element with none in the
// template alone, so they stay ours. The last markup's hash is kept on the
// element, so a re-created element is always filled.
//
// The patched vugu helper (internal/vugujs) skips unchanged innerHTML for
// every other element by comparing the element's serialized markup; that
// never matches for these SVGs, whose self-closing tags serialize
// differently, so they keep this hash check.
func setHTML(el js.Value, html string) {
	h := fnv.New64a()
	h.Write([]byte(html))
	sum := float64(h.Sum64() & (1<<52 - 1)) // exact in a JS number
	if prev := el.Get("__ext4playHTML"); prev.Type() == js.TypeNumber && prev.Float() == sum {
		return
	}
	el.Set("innerHTML", html)
	el.Set("__ext4playHTML", sum)
}
