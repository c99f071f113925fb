package main

import "strings"

// exploreShape is what decides the explore panel's element structure: while
// it stays the same, a progress message only changes numbers and classes,
// which the page patches in place (explore_patch_js.go) instead of running
// a whole-page vugu render per message.
type exploreShape struct {
	running bool
	err     string
	rows    string // kernels in row order
	kinds   string
	fails   int
	subject string
}

func (e *exploreUI) shape() exploreShape {
	var rows strings.Builder
	for _, r := range e.Rows {
		rows.WriteString(r.Kernel)
		rows.WriteByte(',')
	}
	return exploreShape{
		running: e.Running,
		err:     e.Err,
		rows:    rows.String(),
		kinds:   strings.Join(e.kinds(), ","),
		fails:   len(e.failRows()),
		subject: e.subject(),
	}
}

// lastExploreShape is the shape the last vugu render drew (Play.Rendered).
var lastExploreShape exploreShape
