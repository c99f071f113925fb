package trace

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// ChromeEvent is one record of the Chrome trace-event JSON format that
// ui.perfetto.dev and chrome://tracing open.
type ChromeEvent struct {
	Name string         `json:"name,omitempty"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   int64          `json:"ts"`
	Dur  int64          `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   string         `json:"id,omitempty"`
	S    string         `json:"s,omitempty"`
	Bp   string         `json:"bp,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// ChromeFile is the top-level JSON object.
type ChromeFile struct {
	TraceEvents     []ChromeEvent `json:"traceEvents"`
	DisplayTimeUnit string        `json:"displayTimeUnit,omitempty"`
}

// Time layout: step k occupies [k*usPerStep, (k+1)*usPerStep) µs. The step
// itself is an X slice in the first stepSliceUs; state changes made during
// the step (function entry/exit, lock holds) follow it, one µs apart, so
// spans nest properly around the step slices.
const (
	usPerStep   = 1000
	stepSliceUs = 100
)

func chromePid(c Context) int  { return int(c) + 1 }
func chromeTid(task int32) int { return int(task) + 1 }

// Chrome converts the trace to Chrome trace events: a process per context
// kind, a thread per task; X slices for steps, B/E for model functions,
// async b/e spans for lock holds and waits, instants for verdicts, and
// flow arrows from each spawn (submit_bio, queue_work) to the child's
// first step.
func (t *Trace) Chrome() *ChromeFile {
	var out []ChromeEvent
	usedCtx := map[Context]bool{}
	for _, task := range t.Tasks {
		usedCtx[task.Ctx] = true
	}
	for c := Context(0); c < contextCount; c++ {
		if usedCtx[c] {
			out = append(out,
				ChromeEvent{Name: "process_name", Ph: "M", Pid: chromePid(c), Args: map[string]any{"name": c.String() + " context"}},
				ChromeEvent{Name: "process_sort_index", Ph: "M", Pid: chromePid(c), Args: map[string]any{"sort_index": int(c)}})
		}
	}
	for i, task := range t.Tasks {
		out = append(out, ChromeEvent{Name: "thread_name", Ph: "M", Pid: chromePid(task.Ctx), Tid: chromeTid(int32(i)),
			Args: map[string]any{"name": fmt.Sprintf("%s/%d", task.Name, i)}})
	}
	where := func(task int32) (int, int, bool) {
		if task < 0 || int(task) >= len(t.Tasks) {
			return 0, 0, false
		}
		return chromePid(t.Tasks[task].Ctx), chromeTid(task), true
	}

	// Arrows are drawn only when both ends were recorded.
	// An end counts when its task has a step slice at that step to bind to.
	flowEnds := map[int32]int{}
	stepOf := make([]int32, len(t.Tasks))
	for i := range t.Events {
		e := &t.Events[i]
		if e.Task < 0 || int(e.Task) >= len(t.Tasks) {
			continue
		}
		switch e.Kind {
		case EvStep:
			stepOf[e.Task] = e.Step
		case EvFlow:
			if stepOf[e.Task] == e.Step && e.Step > 0 {
				flowEnds[e.Arg] |= 1 << e.New
			}
		}
	}

	depth := make([]int, len(t.Tasks))
	holds := map[holdKey][]int{}
	waits := map[int32]int{}
	lastStep := make([]int32, len(t.Tasks))
	for i := range lastStep {
		lastStep[i] = -1
	}
	nextID := 0
	curStep, sub := int32(-1), int64(0)
	for i := range t.Events {
		e := &t.Events[i]
		if e.Step != curStep {
			curStep, sub = e.Step, 0
		}
		base := int64(e.Step) * usPerStep
		ts := base + stepSliceUs + min(sub, usPerStep-stepSliceUs-1)
		if e.Kind != EvStep {
			sub++
		}
		pid, tid, ok := where(e.Task)
		switch e.Kind {
		case EvStep:
			if !ok {
				continue
			}
			lastStep[e.Task] = e.Step
			args := map[string]any{"step": e.Step, "stack": t.Stack(e.Stack)}
			if a := Access(e.Arg); a == AccessRead || a == AccessWrite {
				args["footprint"] = a.String() + " " + t.FullName(e.Loc)
			} else {
				args["footprint"] = a.String()
			}
			out = append(out, ChromeEvent{Name: t.Str(e.Label), Cat: "step", Ph: "X", Ts: base, Dur: stepSliceUs, Pid: pid, Tid: tid, Args: args})
		case EvFlow:
			// Bind to the step slice of the task running this step.
			if !ok || lastStep[e.Task] != e.Step || flowEnds[e.Arg] != 3 {
				continue
			}
			ce := ChromeEvent{Name: "causes", Cat: "flow", Ph: "s", Ts: base + stepSliceUs/2, Pid: pid, Tid: tid, ID: fmt.Sprintf("flow-%d", e.Arg)}
			if e.New == 1 {
				ce.Ph, ce.Bp = "f", "e"
			}
			out = append(out, ce)
		case EvEnter:
			if ok {
				depth[e.Task]++
				out = append(out, ChromeEvent{Name: t.stackFunc(e.Stack), Cat: "func", Ph: "B", Ts: ts, Pid: pid, Tid: tid})
			}
		case EvExit:
			if ok && depth[e.Task] > 0 {
				depth[e.Task]--
				out = append(out, ChromeEvent{Cat: "func", Ph: "E", Ts: ts, Pid: pid, Tid: tid})
			}
		case EvAcquire:
			if ok {
				k := holdKey{e.Task, e.Loc, e.Arg}
				nextID++
				holds[k] = append(holds[k], nextID)
				out = append(out, ChromeEvent{Name: "hold " + t.FullName(e.Loc), Cat: "lock", Ph: "b", Ts: ts, Pid: pid, Tid: tid,
					ID: fmt.Sprint(nextID), Args: map[string]any{"mode": LockMode(e.Arg).String()}})
			}
		case EvRelease:
			k := holdKey{e.Task, e.Loc, e.Arg}
			if ids := holds[k]; ok && len(ids) > 0 {
				id := ids[len(ids)-1]
				holds[k] = ids[:len(ids)-1]
				out = append(out, ChromeEvent{Name: "hold " + t.FullName(e.Loc), Cat: "lock", Ph: "e", Ts: ts, Pid: pid, Tid: tid, ID: fmt.Sprint(id)})
			}
		case EvWait:
			if ok {
				if _, open := waits[e.Task]; !open {
					nextID++
					waits[e.Task] = nextID
					out = append(out, ChromeEvent{Name: "wait " + t.FullName(e.Loc), Cat: "wait", Ph: "b", Ts: ts, Pid: pid, Tid: tid, ID: fmt.Sprint(nextID)})
				}
			}
		case EvState:
			if id, open := waits[e.Task]; ok && open && TaskStatus(e.New) != TaskBlocked {
				delete(waits, e.Task)
				out = append(out, ChromeEvent{Name: "wait", Cat: "wait", Ph: "e", Ts: ts, Pid: pid, Tid: tid, ID: fmt.Sprint(id)})
			}
		case EvExtent:
			// An instant on the task that changed the file's extent tree:
			// which blocks, and how they are mapped now.
			lblk, n := ExtentRange(e)
			if !ok || n == 0 {
				continue
			}
			st := ExtentState(e.Arg)
			file := t.FullName(e.Loc)
			if e.Loc >= 0 && int(e.Loc) < len(t.Locs) {
				if par := t.Locs[e.Loc].Parent; par >= 0 && int(par) < len(t.Locs) {
					file = t.Locs[par].Name // "inode 12 (race)"
				}
			}
			args := map[string]any{"file": file, "lblk": lblk, "len": n, "state": st.String()}
			if st != ExtHole {
				args["pblk"] = e.New
			}
			out = append(out, ChromeEvent{Name: fmt.Sprintf("extent [%d, %d) %s", lblk, uint64(lblk)+uint64(n), st), Cat: "extent", Ph: "i", S: "t", Ts: ts, Pid: pid, Tid: tid, Args: args})
		case EvVerdict:
			v := map[string]any{}
			name := "verdict"
			if e.Arg >= 0 && int(e.Arg) < len(t.Verdicts) {
				vd := &t.Verdicts[e.Arg]
				name = "verdict: " + vd.Kind.String()
				v["message"] = vd.Message
				v["label"] = vd.Label
			}
			if ok {
				out = append(out, ChromeEvent{Name: name, Cat: "verdict", Ph: "i", S: "t", Ts: ts, Pid: pid, Tid: tid, Args: v})
			} else {
				out = append(out, ChromeEvent{Name: name, Cat: "verdict", Ph: "i", S: "g", Ts: ts, Pid: 0, Tid: 0, Args: v})
			}
		}
	}
	// Close what the run left open (killed or aborted tasks).
	end := int64(t.Steps+1) * usPerStep
	for task, n := range depth {
		pid, tid, _ := where(int32(task))
		for ; n > 0; n-- {
			out = append(out, ChromeEvent{Cat: "func", Ph: "E", Ts: end, Pid: pid, Tid: tid})
		}
	}
	for _, h := range sortedHolds(holds) {
		pid, tid, _ := where(h.key.task)
		for _, id := range h.ids {
			out = append(out, ChromeEvent{Name: "hold " + t.FullName(h.key.loc), Cat: "lock", Ph: "e", Ts: end, Pid: pid, Tid: tid, ID: fmt.Sprint(id)})
		}
	}
	for task := range t.Tasks {
		if id, open := waits[int32(task)]; open {
			pid, tid, _ := where(int32(task))
			out = append(out, ChromeEvent{Name: "wait", Cat: "wait", Ph: "e", Ts: end, Pid: pid, Tid: tid, ID: fmt.Sprint(id)})
		}
	}
	return &ChromeFile{TraceEvents: out, DisplayTimeUnit: "ms"}
}

func (t *Trace) stackFunc(id int32) string {
	if id <= 0 || int(id) >= len(t.Stacks) {
		return "?"
	}
	return t.Stacks[id].Func
}

type holdKey struct {
	task, loc int32
	mode      int32
}

type openHold struct {
	key holdKey
	ids []int
}

// sortedHolds returns open holds in a deterministic order (by first id;
// ids are allocated in event order).
func sortedHolds(m map[holdKey][]int) []openHold {
	var rows []openHold
	for k, ids := range m {
		if len(ids) > 0 {
			rows = append(rows, openHold{k, ids})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ids[0] < rows[j].ids[0] })
	return rows
}

// WriteChrome writes the Chrome trace-event JSON of the trace.
func (t *Trace) WriteChrome(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(t.Chrome()); err != nil {
		return fmt.Errorf("trace: writing chrome json: %w", err)
	}
	return bw.Flush()
}
