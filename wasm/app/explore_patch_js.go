package main

import sjs "syscall/js"

// patchExplore writes a progress message's numbers into the explore panel
// as vugu would render them (note, progress bar, matrix cells) and reports
// whether it could. Each vugu render of the page re-sets every attribute
// and text, and with the worker busy on one of two cores the render plus
// the browser's style, layout and paint passed 50 ms; these few nodes cost
// well under 1 ms. The next render writes the same values from the state.
func patchExplore(e *exploreUI) bool {
	if e.shape() != lastExploreShape {
		return false
	}
	doc := sjs.Global().Get("document")
	prog := doc.Call("querySelector", `[data-testid="explore-progress"]`)
	note := doc.Call("querySelector", `[data-testid="explore-note"]`)
	if !prog.Truthy() || !note.Truthy() || !prog.Get("firstElementChild").Truthy() {
		return false
	}
	kinds := e.kinds()
	if len(e.Rows) > 0 {
		body := doc.Call("querySelector", `[data-testid="explore-matrix"] tbody`)
		if !body.Truthy() || body.Get("rows").Length() != len(e.Rows) {
			return false
		}
		rows := body.Get("rows")
		for i, r := range e.Rows {
			tr := rows.Index(i)
			cells := tr.Get("cells")
			if tr.Call("getAttribute", "data-kernel").String() != r.Kernel || cells.Length() != 3+len(kinds) {
				return false
			}
		}
		for i, r := range e.Rows {
			tr := rows.Index(i)
			cells := tr.Get("cells")
			tr.Call("setAttribute", "data-failures", itoa(r.Failures()))
			cells.Index(1).Set("textContent", itoa(r.Done))
			cells.Index(2).Set("textContent", itoa(r.Clean))
			for j, k := range kinds {
				c := cells.Index(3 + j)
				c.Set("textContent", itoa(r.Verdicts[k]))
				c.Set("className", matrixClass(r.Verdicts[k]))
			}
		}
	}
	prog.Call("setAttribute", "data-pct", itoa(e.pct()))
	prog.Get("firstElementChild").Set("className", "pbar-fill w"+e.pctBucket())
	note.Set("textContent", e.note())
	return true
}
