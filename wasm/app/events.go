package main

import "github.com/vugu/vugu"

// ToggleEv opens or closes a directory from its disclosure triangle without
// also selecting the row underneath.
func (c *Root) ToggleEv(e vugu.DOMEvent, p string) {
	e.StopPropagation()
	c.Toggle(p)
}
