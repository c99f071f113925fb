package main

import "strconv"

// BitmapStrip draws one block group's block bitmap as a row of shaded
// cells. It is SVG rather than a <canvas> because vugu re-sets every
// attribute of in-tree elements on each render, which clears a canvas, and
// rather than styled <div>s because the page's CSP forbids inline styles;
// SVG geometry and class attributes are not styles.
type BitmapStrip struct {
	Cells []stripCell `vugu:"data"`
	Title string      `vugu:"data"`
}

func (c *BitmapStrip) viewBox() string {
	n := 1
	if k := len(c.Cells); k > 0 {
		n = c.Cells[k-1].X + c.Cells[k-1].W
	}
	return "0 0 " + strconv.Itoa(n) + " 1"
}
