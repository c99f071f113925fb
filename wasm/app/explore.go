package main

// Explore: many schedules of the form's scenario, run off the UI thread
// by a Web Worker that runs its own instance of this wasm program
// (explore_js.go starts it; worker_js.go is its loop). The protocol is
// JSON in both directions; exploreJob is the worker's side, plain Go.

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vugu/vugu"

	"ext4play/core/dio"
	"ext4play/core/explore"
	"ext4play/core/scenario"
)

// exploreReq is what the page sends the worker.
type exploreReq struct {
	Scenario json.RawMessage   `json:"scenario"`
	Kernels  []scenario.Kernel `json:"kernels"`
	Runs     int               `json:"runs"`
	Strategy scenario.Strategy `json:"strategy"`
	Seed     uint64            `json:"seed"`
}

// exploreMsg is what the worker posts back.
type exploreMsg struct {
	Kind     string         `json:"kind"` // "progress", "done", "error"
	Kernel   string         `json:"kernel,omitempty"`
	Done     int            `json:"done"`
	Total    int            `json:"total"`
	Clean    int            `json:"clean"`
	Verdicts map[string]int `json:"verdicts,omitempty"`
	First    *firstFailure  `json:"first,omitempty"`
	Msg      string         `json:"msg,omitempty"`
	MS       float64        `json:"ms,omitempty"`
	// Gen is the page-side number of the job the message belongs to (not
	// sent by the worker): messages of an earlier, canceled job that arrive
	// after a new one started are dropped.
	Gen int `json:"-"`
}

// exploreGen numbers explore jobs on the page; exploreStart tags each
// worker message with the number of its job.
var exploreGen int

type firstFailure struct {
	Run     int    `json:"run"`
	Verdict string `json:"verdict"`
	Steps   int    `json:"steps"`
	Choices string `json:"choices"`
}

const (
	exploreRunsMax = 100000
	exploreChunk   = 8 // runs per Next call: progress and cancel in between
)

// exploreJob runs req, posting progress after every chunk; canceled is
// polled between chunks (the worker's loop yields to its message queue).
func exploreJob(req exploreReq, post func(exploreMsg), yield func() bool) {
	sc, err := scenario.Parse(req.Scenario)
	if err != nil {
		post(exploreMsg{Kind: "error", Msg: err.Error()})
		return
	}
	if req.Runs <= 0 || req.Runs > exploreRunsMax {
		post(exploreMsg{Kind: "error", Msg: fmt.Sprintf("runs %d: want 1 … %d", req.Runs, exploreRunsMax)})
		return
	}
	if sc.Image.Sample != "" {
		// This worker is its own wasm instance: it fetches and registers
		// the sample itself.
		if err := ensureSample(sc.Image.Sample); err != nil {
			post(exploreMsg{Kind: "error", Msg: err.Error()})
			return
		}
	}
	for _, k := range req.Kernels {
		s := sc.Clone()
		s.Kernel = k
		p, err := dio.Prepare(s)
		if err != nil {
			post(exploreMsg{Kind: "error", Kernel: string(k), Msg: err.Error()})
			return
		}
		e, err := explore.NewExplorer(p, explore.Config{Strategy: req.Strategy, Runs: req.Runs, Seed: req.Seed})
		if err != nil {
			post(exploreMsg{Kind: "error", Kernel: string(k), Msg: err.Error()})
			return
		}
		for {
			pr := e.Next(exploreChunk)
			m := exploreMsg{Kind: "progress", Kernel: string(k), Done: pr.Done, Total: pr.Total, Clean: pr.Stats.Clean, Verdicts: pr.Stats.Verdicts,
				MS: float64(pr.Stats.Elapsed.Microseconds()) / 1000}
			if f := pr.Stats.First; f != nil {
				m.First = &firstFailure{Run: f.Run, Verdict: f.Verdict, Steps: f.Steps, Choices: f.Choices}
			}
			post(m)
			if pr.Finished {
				break
			}
			if !yield() {
				e.Cancel()
			}
		}
	}
	post(exploreMsg{Kind: "done"})
}

// exploreRow is one kernel's line of the result matrix.
type exploreRow struct {
	Kernel       string
	Done, Total  int
	Clean        int
	Verdicts     map[string]int
	FirstRun     int
	FirstVerdict string
	FirstChoices string
	FirstSteps   int
}

// failRows are the rows with a failing run to open.
func (e *exploreUI) failRows() []exploreRow {
	var out []exploreRow
	for _, r := range e.Rows {
		if r.FirstChoices != "" {
			out = append(out, r)
		}
	}
	return out
}

func (r exploreRow) Failures() int { return r.Done - r.Clean }

// exploreUI is the explore panel's state.
type exploreUI struct {
	RunsText string
	All      bool
	Running  bool
	Rows     []exploreRow
	Err      string
	base     *scenario.Scenario // the scenario explored (for "open the first failing run")
	kernels  int
	gen      int // the job whose messages apply (exploreGen at its start)
	started  float64
	ms       float64
}

func (e *exploreUI) row(k string) *exploreRow {
	for i := range e.Rows {
		if e.Rows[i].Kernel == k {
			return &e.Rows[i]
		}
	}
	return nil
}

// apply folds a worker message into the panel.
func (e *exploreUI) apply(m exploreMsg) {
	if m.Gen != e.gen {
		return
	}
	switch m.Kind {
	case "error":
		e.Err, e.Running = m.Msg, false
		if m.Kernel != "" {
			e.Err = m.Kernel + ": " + m.Msg
		}
	case "done":
		e.Running = false
	case "progress":
		r := e.row(m.Kernel)
		if r == nil {
			e.Rows = append(e.Rows, exploreRow{Kernel: m.Kernel})
			r = &e.Rows[len(e.Rows)-1]
		}
		r.Done, r.Total, r.Clean, r.Verdicts = m.Done, m.Total, m.Clean, m.Verdicts
		if m.First != nil {
			r.FirstRun, r.FirstVerdict, r.FirstChoices, r.FirstSteps = m.First.Run, m.First.Verdict, m.First.Choices, m.First.Steps
		}
		e.ms = m.MS
	}
}

func (e *exploreUI) done() (done, total int) {
	for _, r := range e.Rows {
		done += r.Done
	}
	runs, _ := strconv.Atoi(strings.TrimSpace(e.RunsText))
	return done, runs * max(e.kernels, 1)
}

func (e *exploreUI) pct() int {
	d, t := e.done()
	if t == 0 {
		return 0
	}
	return min(100, d*100/t)
}

func (e *exploreUI) pctBucket() string { return itoa(e.pct()) }

func (e *exploreUI) note() string {
	if len(e.Rows) == 0 && !e.Running {
		return "runs the form's scenario with seeds seed, seed+1, …"
	}
	d, t := e.done()
	fails := 0
	for _, r := range e.Rows {
		fails += r.Failures()
	}
	s := fmt.Sprintf("%d / %d runs · %d failing · %d%%", d, t, fails, e.pct())
	if !e.Running {
		s += " · finished"
	}
	return s
}

// subject says what the matrix is about: the explored scenario and its
// seeds (the form may have moved on since).
func (e *exploreUI) subject() string {
	if e.base == nil || (len(e.Rows) == 0 && !e.Running) {
		return ""
	}
	runs := 0
	for _, r := range e.Rows {
		runs = max(runs, r.Total)
	}
	title := e.base.Title
	if title == "" {
		title = "edited scenario"
	}
	mount := "dioread_nolock"
	if !e.base.Mount.DioreadNolock {
		mount = "no dioread_nolock"
	}
	s := fmt.Sprintf("%s · %s", abbrev(title, 60), mount)
	if runs > 0 {
		s += fmt.Sprintf(" · seeds %d–%d", e.base.Scheduler.Seed, e.base.Scheduler.Seed+uint64(runs)-1)
	}
	return s
}

// kinds are the verdict columns seen so far.
func (e *exploreUI) kinds() []string {
	seen := map[string]bool{}
	for _, r := range e.Rows {
		for k := range r.Verdicts {
			seen[k] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func matrixClass(n int) string {
	if n > 0 {
		return "num bad"
	}
	return "num dim"
}

// exploreRequest builds the worker request from the form.
func (p *PlayState) exploreRequest() (exploreReq, error) {
	sc, err := p.formScenario()
	if err != nil {
		p.setErrors(err)
		return exploreReq{}, err
	}
	runs, err := strconv.Atoi(strings.TrimSpace(p.ex.RunsText))
	if err != nil || runs <= 0 || runs > exploreRunsMax {
		return exploreReq{}, fmt.Errorf("runs %q: want a number from 1 to %d", p.ex.RunsText, exploreRunsMax)
	}
	strat := sc.Scheduler.Strategy
	if strat != scenario.StrategyPCT {
		strat = scenario.StrategyRandom // replay and scripts explore with seeds
	}
	sc.Scheduler = scenario.Scheduler{Strategy: scenario.StrategyRandom, Seed: sc.Scheduler.Seed}
	req := exploreReq{Scenario: sc.Canonical(), Runs: runs, Strategy: strat, Seed: sc.Scheduler.Seed}
	if p.ex.All {
		req.Kernels = append(req.Kernels, scenario.Kernels...)
	} else {
		req.Kernels = []scenario.Kernel{sc.Kernel}
	}
	p.ex.base = sc
	p.ex.kernels = len(req.Kernels)
	return req, nil
}

// openFailure loads the first failing run of kernel k into the timeline.
func (p *PlayState) openFailure(k string) error {
	r := p.ex.row(k)
	if r == nil || r.FirstChoices == "" || p.ex.base == nil {
		return fmt.Errorf("no failing run for %s", k)
	}
	sc := p.ex.base.Clone()
	sc.Kernel = scenario.Kernel(k)
	sc = sc.Replay(r.FirstChoices, 0)
	sc.Step = nil
	p.setForm(sc)
	p.strategy = string(scenario.StrategyReplay)
	return p.runScenario(sc, -1)
}

// --- handlers ---

func (c *Play) ExploreRuns(e vugu.DOMEvent) { c.S.ex.RunsText = e.PropString("target", "value") }
func (c *Play) ExploreAll(e vugu.DOMEvent)  { c.S.ex.All = e.PropBool("target", "checked") }

func (c *Play) Explore() {
	p := c.S
	req, err := p.exploreRequest()
	if err != nil {
		p.ex.Err = err.Error()
		return
	}
	p.ex.Err, p.ex.Rows, p.ex.Running = "", nil, true
	exploreGen++
	p.ex.gen = exploreGen
	p.ex.started = nowMs()
	if err := exploreStart(req); err != nil {
		p.ex.Err, p.ex.Running = err.Error(), false
	}
}

func (c *Play) CancelExplore() {
	exploreCancel()
	c.S.ex.Running = false
	c.S.ex.Err = "canceled"
}

func (c *Play) OpenFailure(k string) {
	if err := c.S.openFailure(k); err != nil {
		c.S.ex.Err = err.Error()
	}
}

// registered lists the sample images this wasm instance registered with
// core/dio (dio.RegisterSample), by name.
var registered struct {
	sync.Mutex
	m map[string]bool
}

func sampleRegistered(name string) bool {
	registered.Lock()
	defer registered.Unlock()
	return registered.m[name]
}

// registerSample opens data as the bundled sample name (a corrupt image
// is refused with the reader's error) and registers it for scenarios
// that name it.
func registerSample(name string, data []byte) error {
	img, err := openImage(data, name)
	if err != nil {
		return fmt.Errorf("sample %s cannot be used: %w", name, err)
	}
	dio.RegisterSample(name, img.dev)
	registered.Lock()
	defer registered.Unlock()
	if registered.m == nil {
		registered.m = map[string]bool{}
	}
	registered.m[name] = true
	return nil
}

// ensureSample fetches images/<name> and registers it, once. It blocks on
// the network: call it off the UI lock (a goroutine, or the worker loop).
func ensureSample(name string) error {
	if sampleRegistered(name) {
		return nil
	}
	data, err := fetchBytes("images/" + path.Base(name))
	if err != nil {
		return fmt.Errorf("sample %s: %w", name, err)
	}
	return registerSample(name, data)
}
