package main

import (
	"fmt"
	"strings"
)

// innerHTMLAssign is how the pinned helper applies opcodeSetInnerHTML.
// vugu (v0.4.0) compiles every vg-content and every static subtree into
// that opcode and emits all of them on every render, so each render
// re-parsed ~100 fragments of markup and rebuilt their nodes, styles and
// layout. The patched helper assigns only when the element's markup
// differs. Equal markup means equal nodes for everything vugu renders this
// way (text and static elements; it cannot attach listeners inside them).
const (
	innerHTMLAssign  = `x.el.innerHTML=(x.bufferedInnerHTML||"")+e,x.bufferedInnerHTML=null;`
	innerHTMLPatched = `{let h=(x.bufferedInnerHTML||"")+e;x.bufferedInnerHTML=null;if(x.el.innerHTML!==h)x.el.innerHTML=h};`
)

// patchHelper applies the one change this project makes to vugu's helper.
// It fails when the helper no longer contains the code it replaces (a vugu
// upgrade), rather than shipping the helper unpatched.
func patchHelper(script string) (string, error) {
	if n := strings.Count(script, innerHTMLAssign); n != 1 {
		return "", fmt.Errorf("vugu helper: found %d copies of the innerHTML assignment to patch, want 1 (did vugu change?)", n)
	}
	return strings.Replace(script, innerHTMLAssign, innerHTMLPatched, 1), nil
}
