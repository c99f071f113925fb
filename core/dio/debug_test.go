package dio

import (
	"os"
	"testing"
)

func TestDebugScript(t *testing.T) {
	name := os.Getenv("SCRIPT")
	if name == "" {
		t.Skip()
	}
	p := raceOn(t, "v4.5-rc3")
	w := p.workload
	for i := range w.Jobs {
		j := &w.Jobs[i]
		t.Logf("job %d %s group %d file %s size %d off %d", i, j.Name, j.Group, j.File, j.FileSize, j.Offset)
	}
	r := replayScript(t, p, name, true)
	tr := r.Trace
	for _, e := range tr.Events {
		if e.Kind == 0 {
			t.Logf("%4d %-24s %s", e.Step, tr.Tasks[e.Task].Name, tr.Str(e.Label))
		}
	}
	t.Logf("%+v", r.Violations)
}
