package main

import "github.com/vugu/vugu"

// ToggleEv opens or closes a directory from its disclosure triangle without
// also selecting the row underneath.
func (c *Root) ToggleEv(e vugu.DOMEvent, p string) {
	e.StopPropagation()
	c.Toggle(p)
}

// TreeKey moves through the directory tree from the keyboard, the way file
// managers do: up/down between visible rows, right unfolds (or steps into)
// a directory, left folds it (or steps out to the parent).
func (c *Root) TreeKey(e vugu.DOMEvent) {
	if c.treeKey(e.PropString("key")) {
		e.PreventDefault()
	}
}

// treeKey applies one key to the tree and reports whether it was used.
func (c *Root) treeKey(key string) bool {
	if c.img == nil {
		return false
	}
	rows := c.treeRows()
	cur := -1
	for i, r := range rows {
		if r.Ino == c.selIno && r.Ino != 0 {
			cur = i
			break
		}
	}
	move := func(i int) {
		if i >= 0 && i < len(rows) {
			c.selectIno(rows[i].Ino)
			c.scrollSel = true
		}
	}
	switch key {
	case "ArrowDown":
		move(cur + 1)
	case "ArrowUp":
		move(max(cur-1, 0))
	case "ArrowRight":
		if cur < 0 || !rows[cur].HasKids {
			return cur >= 0
		}
		if !rows[cur].Expanded {
			c.Toggle(rows[cur].Path)
		} else {
			move(cur + 1)
		}
	case "ArrowLeft":
		if cur < 0 {
			return false
		}
		if rows[cur].HasKids && rows[cur].Expanded {
			c.Toggle(rows[cur].Path)
			return true
		}
		parent := parentPath(rows[cur].Path)
		for i, r := range rows {
			if r.Path == parent {
				move(i)
				break
			}
		}
	case "Enter", " ":
		if cur >= 0 && rows[cur].HasKids {
			c.Toggle(rows[cur].Path)
		}
	default:
		return false
	}
	return true
}
