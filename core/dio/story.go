package dio

import (
	"fmt"
	"strings"

	"ext4play/core/trace"
)

// IPrivateStory lists, from a recorded trace, every store to an inode's
// i_private up to the first verdict: step, task, the io_end stored, and
// whether the task held that inode's i_mutex — the interleaving Jan Kara
// described reads straight off it (an unlocked store landing between a
// locked DIO's store and its mapping).
func IPrivateStory(tr *trace.Trace) []string {
	if tr == nil {
		return nil
	}
	end := tr.Steps
	if len(tr.Verdicts) > 0 {
		end = tr.Verdicts[0].Step
	}
	holds := map[[2]int32]bool{} // (task, mutex loc)
	mutexOf := map[int32]int32{} // inode obj loc -> its i_mutex loc
	for i, l := range tr.Locs {
		if l.Kind == trace.LocMutex && strings.HasSuffix(l.Name, ".i_mutex") {
			name := strings.TrimSuffix(l.Name, ".i_mutex")
			for j, o := range tr.Locs {
				if o.Kind == trace.LocObj && strings.HasSuffix(o.Name, "("+name+")") {
					mutexOf[int32(j)] = int32(i)
				}
			}
		}
	}
	var out []string
	for _, e := range tr.Events {
		if int(e.Step) > end {
			break
		}
		switch e.Kind {
		case trace.EvAcquire:
			holds[[2]int32{e.Task, e.Loc}] = true
		case trace.EvRelease:
			holds[[2]int32{e.Task, e.Loc}] = false
		case trace.EvVar:
			l := tr.Locs[e.Loc]
			if l.Name != "i_private" || e.Task < 0 {
				continue
			}
			val := "NULL"
			if e.New >= 0 {
				val = tr.Locs[e.New].Name
			}
			lock := "without i_mutex"
			if holds[[2]int32{e.Task, mutexOf[l.Parent]}] {
				lock = "holding i_mutex"
			}
			file := tr.Locs[l.Parent].Name
			if i := strings.LastIndexByte(file, '('); i >= 0 {
				file = strings.TrimSuffix(file[i+1:], ")")
			}
			out = append(out, fmt.Sprintf("step %d: %s stores %s->i_private = %s (%s)", e.Step, tr.Tasks[e.Task].Name, file, val, lock))
		}
	}
	return out
}
