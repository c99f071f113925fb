package main

// The playground: a scenario form, one recorded run of the DIO model, and
// the state of that run at the current step. Everything here is plain Go
// (tested on the host); play_js.go adds the animation loop, keys, the
// timeline canvas and the explore worker.

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vugu/vugu"

	"ext4play/core/dio"
	"ext4play/core/fio"
	"ext4play/core/scenario"
	"ext4play/core/trace"
)

// playExample is one entry of the examples menu: a catalogue scenario, or
// the minimal race of reference §7 driven by one of its scripts (R1–R4),
// which hits the seed's panic deterministically.
type playExample struct {
	Key    string // menu value, also used by tests
	Title  string
	Group  string
	Script string // "R1" … "R4" or ""
	sc     *scenario.Scenario
}

// strategy values of the form besides scenario.Strategies.
const scriptPrefix = "script:"

// Play is the playground component; its state lives in PlayState so the
// animation loop and the worker client can reach it.
type Play struct {
	S *PlayState
}

// lineErr is a problem in the fio job text, shown at its line.
type lineErr struct {
	Line int
	Msg  string
}

// PlayState is the whole playground. Fields are only touched under the
// EventEnv lock.
type PlayState struct {
	examples      []playExample
	catalogLoaded bool // catalogue entries appended (see loadCatalog)
	exSel         string

	sc           *scenario.Scenario // the form's scenario (kernel, mount, fio, scheduler)
	strategy     string             // scenario strategy or scriptPrefix+"R1"
	seedText     string
	fioText      string
	fioErrs      []lineErr
	formErr      string // a problem not tied to a fio line
	imgErr       string // a problem with the image choice, shown under it
	imgBusy      string // a sample being fetched and checked
	imgSize      string // the mkfs size field as typed
	samples      []string
	samplesAsked bool
	lastRecipe   scenario.Image // the form's last mkfs recipe, for going back from a sample
	fragErr      string         // a share link that could not be opened
	dirty        bool           // the form changed since the last run

	res                        *dio.Result
	runSc                      *scenario.Scenario // the scenario as run (replay of res.Choices)
	runScript                  string             // the §7 script the run followed, or ""
	clampedFrom                int64              // the step limit the page lowered to pageStepsMax, or 0
	pendingFrag, pendingSample string             // a share link waiting for its sample image (Play.Init fetches it)
	env                        vugu.EventEnv      // set by Play.Init: lets background fetches take the UI lock
	root                       *Root              // set by playStart: Play opens images in the Image tab
	istory                     []storyLine        // the last i_private stores before the verdict
	askedSc                    *scenario.Scenario // the run's scenario before that (its own scheduler)
	diffOther                  scenario.Kernel    // the variant the code view compares with ("": the default)
	diffOpen                   bool               // the variant diff is unfolded
	red                        *trace.Reducer
	st                         *trace.State
	step                       int
	runTime                    time.Duration
	tl                         *tlModel
	selTask                    int32 // task whose code is shown; -1: the task of the current step
	stepTask                   []int32

	playing  bool
	speedIdx int
	help     bool

	shareURL string
	shareMsg string

	ex exploreUI

	extx       extentIndex // the run's extent maps by step
	sv         *stepView
	creatorMap map[int32]string
	ioix       *ioIndex // io_end ↔ dio, deferred work, each step's stack

	verdictShownAt float64 // ms since navigation when a verdict first rendered (share timing)
	gen            int     // bumped per run: the timeline rebuilds its layout
	viewGen        int     // bumped when the timeline view must follow the cursor
}

// playState is the one playground of the page (play_js.go creates it
// before the first render).
var playState *PlayState

// ShowTab switches between the inspector and the playground.
func (c *Root) ShowTab(t string) {
	c.Tab = t
	if t == "image" {
		c.startInspector()
	}
	if t == "playground" && playState != nil && playState.res == nil && playState.fragErr == "" {
		playState.run(-1)
	}
}

var speeds = []float64{2, 5, 10, 25, 60, 150, 400}

// newPlayState builds the examples menu and selects the default one.
func newPlayState() *PlayState {
	p := &PlayState{selTask: -1, speedIdx: 3}
	p.ex.RunsText = "200"
	p.examples = playExamples()
	if len(p.examples) > 0 {
		p.loadExample(p.examples[0].Key)
	}
	return p
}

func playExamples() []playExample {
	var out []playExample
	race := dio.RaceScenario()
	add := func(key, title, group, script string, k scenario.Kernel) {
		sc := race.Clone()
		sc.Kernel = k
		sc.Title = title
		out = append(out, playExample{Key: key, Title: title, Group: group, Script: script, sc: sc})
	}
	add("race-r1-v4.5-rc3", "Seed race R1 on v4.5-rc3: conversion in IRQ (the panic)", "Minimal race (§7)", "R1", scenario.KernelV45rc3)
	add("race-r2-v4.5-rc3", "R2 on v4.5-rc3: L flags O's io_end", "Minimal race (§7)", "R2", scenario.KernelV45rc3)
	add("race-r3-v4.5-rc3", "R3 on v4.5-rc3: L's pointer is cleared (zeros)", "Minimal race (§7)", "R3", scenario.KernelV45rc3)
	add("race-r4-v4.5-rc3", "R4 on v4.5-rc3: use-after-free", "Minimal race (§7)", "R4", scenario.KernelV45rc3)
	add("race-r3-v4.4", "R3 on v4.4: still loses the conversion", "Minimal race (§7)", "R3", scenario.KernelV44)
	add("race-r1-jan-fix", "R1 on jan-fix: closed", "Minimal race (§7)", "R1", scenario.KernelJanFix)
	add("race-r1-v4.6", "R1 on v4.6: no shared pointer", "Minimal race (§7)", "R1", scenario.KernelV46)
	return out
}

// loadCatalog appends the catalogue's examples to the menu, once. The page
// calls it just after its first paint: parsing and validating every
// catalogue scenario is tens of ms of first-call wasm compilation and work
// that the first frame (the §7 race) does not need. example() calls it on
// a miss, so a key from the catalogue always resolves.
func (p *PlayState) loadCatalog() {
	if p.catalogLoaded {
		return
	}
	p.catalogLoaded = true
	p.examples = append(p.examples, catalogExamples()...)
}

func catalogExamples() []playExample {
	var out []playExample
	cat, err := scenario.Catalog()
	if err == nil {
		for _, e := range cat {
			if e.Name == fullJob {
				// The real job runs millions of steps to its end: the page
				// runs its first fullStepsMax (seed 1 on v4.5-rc3 panics
				// well before) and names the native command for the rest.
				sc := e.Scenario.Clone()
				sc.StepLimit = min(sc.StepLimit, fullStepsMax)
				sc.Title = fmt.Sprintf("generic/300 full size (512 MiB, real job): first %s steps in the browser", thousands(uint64(fullStepsMax)))
				out = append(out, playExample{Key: e.Name, Title: sc.Title, Group: "Catalogue (random schedules)", sc: sc})
				continue
			}
			out = append(out, playExample{Key: e.Name, Title: e.Scenario.Title, Group: "Catalogue (random schedules)", sc: e.Scenario})
		}
	}
	return out
}

func (p *PlayState) example(key string) *playExample {
	for i := range p.examples {
		if p.examples[i].Key == key {
			return &p.examples[i]
		}
	}
	if !p.catalogLoaded {
		p.loadCatalog()
		return p.example(key)
	}
	return nil
}

// loadExample puts an example in the form (not yet run).
func (p *PlayState) loadExample(key string) {
	ex := p.example(key)
	if ex == nil {
		return
	}
	p.exSel = key
	p.setForm(ex.sc.Clone())
	if ex.Script != "" {
		p.strategy = scriptPrefix + ex.Script
	}
}

// setForm fills the form from a scenario.
func (p *PlayState) setForm(sc *scenario.Scenario) {
	p.sc = sc
	p.strategy = string(sc.Scheduler.Strategy)
	p.seedText = strconv.FormatUint(sc.Scheduler.Seed, 10)
	p.fioText = sc.Workload.Fio
	p.fioErrs, p.formErr, p.imgErr = nil, "", ""
	p.imgSize = sizeText(sc.Image.Size)
	if sc.Image.Sample == "" {
		p.lastRecipe = sc.Image
	}
	p.dirty = true
}

// isRace says whether the form's workload is the minimal race, on which
// the scripted schedules run.
func (p *PlayState) isRace() bool {
	return p.sc != nil && p.sc.Workload.Fio == raceFio()
}

// raceFio is the minimal race's job text. isRace runs on every render
// (the strategy menu asks it per scripted entry), and parsing the embedded
// scenario each time cost ~3 ms per render in the browser.
var raceFio = sync.OnceValue(func() string { return dio.RaceScenario().Workload.Fio })

// formScenario is the scenario the form describes, validated.
func (p *PlayState) formScenario() (*scenario.Scenario, error) {
	sc := p.sc.Clone()
	sc.Workload.Fio = p.fioText
	sc.Step = nil
	if sc.Image.Sample == "" && p.imgSize != sizeText(sc.Image.Size) {
		n, err := parseSize(p.imgSize)
		if err != nil {
			return nil, fmt.Errorf("image size: %w", err)
		}
		sc.Image.Size = n
	}
	strat := p.strategy
	if strings.HasPrefix(strat, scriptPrefix) {
		strat = string(scenario.StrategyRandom) // the script picks the choices; see run
	}
	sc.Scheduler.Strategy = scenario.Strategy(strat)
	if sc.Scheduler.Strategy != scenario.StrategyReplay {
		sc.Scheduler.Choices = ""
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(p.seedText), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("seed %q: want a whole number ≥ 0", p.seedText)
	}
	sc.Scheduler.Seed = seed
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// setErrors sorts a validation or prepare error into fio line errors and
// the rest.
func (p *PlayState) setErrors(err error) {
	p.fioErrs, p.formErr, p.imgErr = nil, "", ""
	var rest, img []string
	add := func(e error) {
		var fe *fio.Error
		if errors.As(e, &fe) {
			p.fioErrs = append(p.fioErrs, lineErr{fe.Line, fe.Error()})
			return
		}
		var se *scenario.FieldError
		if errors.As(e, &se) && strings.HasPrefix(se.Path, "$.image") || strings.HasPrefix(e.Error(), "image") {
			img = append(img, e.Error())
			return
		}
		rest = append(rest, e.Error())
	}
	var errs scenario.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			add(e)
		}
	} else {
		add(err)
	}
	sort.SliceStable(p.fioErrs, func(i, j int) bool { return p.fioErrs[i].Line < p.fioErrs[j].Line })
	p.formErr = strings.Join(rest, "\n")
	p.imgErr = strings.Join(img, "\n")
}

// run runs the form's scenario with a recorded trace and shows it at
// openStep (-1: at the first verdict, or the start).
func (p *PlayState) run(openStep int) error {
	sc, err := p.formScenario()
	if err != nil {
		p.setErrors(err)
		return err
	}
	return p.runScenario(sc, openStep)
}

func (p *PlayState) runScenario(sc *scenario.Scenario, openStep int) (err error) {
	// A recorded run lives on the UI thread: a scenario allowing more
	// steps (a shared full-size job, an edited workload) runs its first
	// pageStepsMax here, and the page names the native command.
	clampedFrom, asked := int64(0), sc
	if sc.StepLimit > pageStepsMax {
		clampedFrom = sc.StepLimit
		sc = sc.Clone()
		sc.StepLimit = pageStepsMax
	}
	defer func() {
		if err == nil {
			p.clampedFrom, p.askedSc = clampedFrom, asked
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the model stopped with an internal error: %v", r)
			p.setErrors(err)
		}
	}()
	t0 := time.Now()
	pr, err := dio.Prepare(sc)
	if err != nil {
		p.setErrors(err)
		return err
	}
	var res *dio.Result
	if strings.HasPrefix(p.strategy, scriptPrefix) && sc.Scheduler.Strategy != scenario.StrategyReplay {
		// The script's own run, recorded: the same run as replaying its
		// schedule, with the model run once.
		res, err = dio.RunScript(pr, strings.TrimPrefix(p.strategy, scriptPrefix), dio.Options{Record: true})
		if err != nil {
			p.setErrors(err)
			return err
		}
	} else {
		strat, err := pr.StrategyFor(sc.Scheduler.Seed)
		if err != nil {
			p.setErrors(err)
			return err
		}
		res = pr.Run(strat, dio.Options{Record: true})
	}
	p.fioErrs, p.formErr, p.imgErr = nil, "", ""
	p.runScript = ""
	if strings.HasPrefix(p.strategy, scriptPrefix) && sc.Scheduler.Strategy != scenario.StrategyReplay {
		p.runScript = strings.TrimPrefix(p.strategy, scriptPrefix)
	}
	p.setResult(sc, res, time.Since(t0), openStep)
	return nil
}

// setResult installs a run.
func (p *PlayState) setResult(sc *scenario.Scenario, res *dio.Result, took time.Duration, openStep int) {
	p.res = res
	p.runSc = sc.Replay(res.Choices, 0)
	p.runSc.Step = nil
	p.red = trace.NewReducer(res.Trace, 0)
	p.runTime = took
	p.tl = buildTimeline(res.Trace)
	p.stepTask = stepTasks(res.Trace)
	p.extx = newExtentIndex(res)
	p.creatorMap = p.creators()
	p.ioix = buildIOIndex(res.Trace)
	p.istory = storyLines(res, 4)
	p.gen++
	p.playing = false
	p.dirty = false
	p.shareURL, p.shareMsg = "", ""
	p.selTask = -1
	if openStep < 0 {
		openStep = 0
		if len(res.Violations) > 0 {
			openStep = res.Violations[0].Step
		}
	}
	p.seek(openStep)
}

// stepTasks maps each step to the task that executed it.
func stepTasks(tr *trace.Trace) []int32 {
	out := make([]int32, tr.Steps+1)
	for i := range out {
		out[i] = -1
	}
	for _, e := range tr.Events {
		if e.Kind == trace.EvStep && int(e.Step) < len(out) {
			out[e.Step] = e.Task
		}
	}
	return out
}

func (p *PlayState) maxStep() int {
	if p.res == nil || p.res.Trace == nil {
		return 0
	}
	return p.res.Trace.Steps
}

// seek moves the cursor to step (clamped) and reduces the state there.
func (p *PlayState) seek(step int) {
	if p.red == nil {
		return
	}
	step = max(0, min(step, p.maxStep()))
	p.step = step
	p.st = p.red.Seek(step, p.st)
	p.shareURL, p.shareMsg = "", ""
	p.viewGen++
}

// verdictSteps lists the steps of the run's verdicts.
func (p *PlayState) verdictSteps() []int {
	if p.res == nil {
		return nil
	}
	var out []int
	for _, v := range p.res.Violations {
		out = append(out, v.Step)
	}
	return out
}

// --- transport ---

func (p *PlayState) stepBy(d int) { p.playing = false; p.seek(p.step + d) }
func (p *PlayState) home()        { p.playing = false; p.seek(0) }
func (p *PlayState) end()         { p.playing = false; p.seek(p.maxStep()) }
func (p *PlayState) toVerdict() {
	p.playing = false
	if vs := p.verdictSteps(); len(vs) > 0 {
		p.seek(vs[0])
	}
}
func (p *PlayState) togglePlay() {
	if p.res == nil {
		return
	}
	if !p.playing && p.step >= p.maxStep() {
		p.seek(0)
	}
	p.playing = !p.playing
}

// advance moves playback by n steps; it stops at the end and at a verdict
// (a debugger stops at the fault).
func (p *PlayState) advance(n int) {
	if !p.playing || n <= 0 {
		return
	}
	to := p.step + n
	for _, v := range p.verdictSteps() {
		if v > p.step && v <= to {
			to = v
			p.playing = false
		}
	}
	if to >= p.maxStep() {
		to = p.maxStep()
		p.playing = false
	}
	p.seek(to)
}

func (p *PlayState) speed() float64 { return speeds[max(0, min(p.speedIdx, len(speeds)-1))] }

// key handles a keyboard shortcut; it reports whether the key was used.
func (p *PlayState) key(k string, shift bool) bool {
	n := 1
	if shift {
		n = 10
	}
	switch k {
	case " ":
		p.togglePlay()
	case "ArrowLeft":
		p.stepBy(-n)
	case "ArrowRight":
		p.stepBy(n)
	case "Home":
		p.home()
	case "End":
		p.end()
	case "v", "V":
		p.toVerdict()
	case "?":
		p.help = !p.help
	case "Escape":
		p.help = false
	case "+", "=":
		p.speedIdx = min(p.speedIdx+1, len(speeds)-1)
	case "-":
		p.speedIdx = max(p.speedIdx-1, 0)
	default:
		return false
	}
	return true
}

// --- event handlers of play.vugu (under the EventEnv lock) ---

func (c *Play) PickExample(e vugu.DOMEvent) {
	c.S.loadExample(e.PropString("target", "value"))
	c.S.run(-1)
}

func (c *Play) PickKernel(e vugu.DOMEvent) {
	c.S.sc.Kernel = scenario.Kernel(e.PropString("target", "value"))
	c.S.dirty = true
}

func (c *Play) ToggleNolock(e vugu.DOMEvent) {
	c.S.sc.Mount.DioreadNolock = e.PropBool("target", "checked")
	c.S.dirty = true
}

func (c *Play) PickStrategy(e vugu.DOMEvent) {
	c.S.strategy = e.PropString("target", "value")
	c.S.dirty = true
}

func (c *Play) SeedInput(e vugu.DOMEvent) {
	c.S.seedText = e.PropString("target", "value")
	c.S.dirty = true
}

func (c *Play) FioInput(e vugu.DOMEvent) {
	c.S.fioText = e.PropString("target", "value")
	c.S.dirty = true
}

func (c *Play) Run()            { c.S.run(-1) }
func (c *Play) Back()           { c.S.stepBy(-1) }
func (c *Play) Fwd()            { c.S.stepBy(1) }
func (c *Play) Home()           { c.S.home() }
func (c *Play) End()            { c.S.end() }
func (c *Play) PlayPause()      { c.S.togglePlay() }
func (c *Play) ToVerdict()      { c.S.toVerdict() }
func (c *Play) ToStep(s int)    { c.S.playing = false; c.S.seek(s) }
func (c *Play) ToggleHelp()     { c.S.help = !c.S.help }
func (c *Play) DismissFragErr() { c.S.fragErr = "" }
func (c *Play) SelectTask(t int32) {
	if c.S.selTask == t {
		c.S.selTask = -1 // back to following the running task
	} else {
		c.S.selTask = t
	}
}
func (c *Play) SpeedInput(e vugu.DOMEvent) {
	if i, err := strconv.Atoi(e.PropString("target", "value")); err == nil {
		c.S.speedIdx = max(0, min(i, len(speeds)-1))
	}
}
func (c *Play) Scrub(e vugu.DOMEvent) {
	if i, err := strconv.Atoi(e.PropString("target", "value")); err == nil {
		c.S.playing = false
		c.S.seek(i)
	}
}

// --- views ---

func (p *PlayState) stepText() string {
	return fmt.Sprintf("%d / %d", p.step, p.maxStep())
}

func (p *PlayState) speedText() string { return fmt.Sprintf("%g steps/s", p.speed()) }

// curTask is the task whose code and stack are shown.
func (p *PlayState) curTask() int32 {
	if p.selTask >= 0 {
		return p.selTask
	}
	if p.step > 0 && p.step < len(p.stepTask) {
		return p.stepTask[p.step]
	}
	return -1
}

// stepLabel describes what the current step did.
func (p *PlayState) stepLabel() string {
	if p.res == nil || p.step == 0 {
		return "before the first step"
	}
	t := p.stepTask[p.step]
	if t < 0 {
		return ""
	}
	return p.taskName(t) + ": " + p.st.Label(int(t))
}

func (p *PlayState) taskName(t int32) string {
	tr := p.res.Trace
	if t < 0 || int(t) >= len(tr.Tasks) {
		return "—"
	}
	return tr.Tasks[t].Name
}

type kernelOpt struct {
	Name  string
	Title string
}

func (p *PlayState) kernels() []kernelOpt {
	var out []kernelOpt
	for _, v := range dio.Variants {
		out = append(out, kernelOpt{string(v.Name), v.Title})
	}
	return out
}

type strategyOpt struct {
	Value, Label string
	Disabled     bool
}

func (p *PlayState) strategies() []strategyOpt {
	var out []strategyOpt
	for _, s := range scenario.Strategies {
		o := strategyOpt{Value: string(s), Label: string(s)}
		switch s {
		case scenario.StrategyDFS:
			continue // an explore strategy, not one run
		case scenario.StrategyReplay:
			o.Label = "replay (recorded choices)"
			o.Disabled = p.sc == nil || p.sc.Scheduler.Choices == ""
		case scenario.StrategyPCT:
			o.Label = "pct (priority change points)"
		case scenario.StrategyRandom:
			o.Label = "random (seeded)"
		}
		out = append(out, o)
	}
	for _, r := range []string{"R1", "R2", "R3", "R4"} {
		out = append(out, strategyOpt{Value: scriptPrefix + r, Label: "scripted " + r + " (§7 race only)", Disabled: !p.isRace()})
	}
	return out
}

// fioLines numbers the job text for the gutter, marking lines with errors.
type fioLine struct {
	N   int
	Err string
}

func (p *PlayState) fioGutter() []fioLine {
	n := strings.Count(p.fioText, "\n") + 1
	out := make([]fioLine, n)
	for i := range out {
		out[i].N = i + 1
	}
	for _, e := range p.fioErrs {
		if e.Line >= 1 && e.Line <= n {
			out[e.Line-1].Err = e.Msg
		}
	}
	return out
}

func (p *PlayState) runNote() string {
	if p.res == nil {
		return "not run yet"
	}
	s := fmt.Sprintf("%d steps, %d choices, %d preemptions, %s", p.res.Steps, len(p.res.Schedule), p.res.Preemptions, p.runTime.Round(time.Millisecond/10))
	if p.dirty {
		s += " · form changed: Run to apply"
	}
	return s
}

func (p *PlayState) verdictClass() string {
	if p.res == nil {
		return "pv-verdict"
	}
	if len(p.res.Violations) == 0 {
		return "pv-verdict clean"
	}
	if p.step >= p.res.Violations[0].Step {
		return "pv-verdict bad reached"
	}
	return "pv-verdict bad"
}

func (p *PlayState) verdictKind() string {
	if p.res == nil {
		return ""
	}
	return p.res.Verdict
}

// firstV is the run's first violation or nil.
func (p *PlayState) firstV() *dio.Violation {
	if p.res == nil || len(p.res.Violations) == 0 {
		return nil
	}
	return &p.res.Violations[0]
}

func (p *PlayState) moreViolations() []dio.Violation {
	if p.res == nil || len(p.res.Violations) < 2 {
		return nil
	}
	return p.res.Violations[1:]
}

func (p *PlayState) explanation() string {
	if p.res == nil {
		return ""
	}
	return explain(p.runSc.Kernel, p.runSc.Mount.DioreadNolock, p.res.Verdict, p.scriptName())
}

// scriptName is the §7 script the shown run followed ("" for others).
func (p *PlayState) scriptName() string { return p.runScript }

func (p *PlayState) cleanText() string {
	if p.res == nil {
		return ""
	}
	return fmt.Sprintf("No verdict: %d steps ran and every invariant held (%s).", p.res.Steps, p.res.Outcome)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func restLines(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }

// --- the scenario's image: an mkfs recipe or a bundled sample ---

const (
	imgMkfs    = "mkfs"
	imgNewForm = "newimage" // take the recipe of the Image tab's New image form
)

// useNewImageForm makes the Image tab's New image settings (size, block
// and inode size, features, label, seed) the scenario's mkfs recipe.
func (p *PlayState) useNewImageForm() {
	o, err := newImageState.options()
	if err != nil {
		p.imgErr = "the New image form (Image tab): " + err.Error()
		return
	}
	im := scenario.Image{Size: o.Size, BlockSize: o.BlockSize, InodeSize: o.InodeSize, Label: o.Label, Seed: o.Seed}
	if o.Features != "" {
		im.Features = strings.Split(o.Features, ",")
	}
	p.setImage(im)
}

// Init fetches the list of bundled sample images once, for the image menu.
func (c *Play) Init(ctx vugu.InitCtx) {
	p := c.S
	if p == nil || p.samplesAsked {
		return
	}
	p.samplesAsked = true
	env := ctx.EventEnv()
	p.env = env
	p.fetchPending()
	go func() {
		afterFirstPaint() // the menu lists samples a moment later
		b, err := fetchBytes("images/index.json")
		var list []sample
		if err == nil {
			list, err = parseSamples(b)
		}
		env.Lock()
		defer env.UnlockRender()
		if err != nil {
			p.imgErr = "cannot list the bundled sample images (images/index.json): " + err.Error()
			return
		}
		p.samples = p.samples[:0]
		for _, s := range list {
			p.samples = append(p.samples, s.File)
		}
	}()
}

// imageSel is the image menu's value.
func (p *PlayState) imageSel() string {
	if p.sc != nil && p.sc.Image.Sample != "" {
		return p.sc.Image.Sample
	}
	return imgMkfs
}

// imageSamples lists the menu's samples, including one named by a shared
// scenario that the index does not list.
func (p *PlayState) imageSamples() []string {
	out := p.samples
	if s := p.imageSel(); s != imgMkfs && !slices.Contains(out, s) {
		out = append(slices.Clone(out), s)
	}
	return out
}

// sizeText shows an image size in the form's unit (MiB, else KiB).
func sizeText(n int64) string {
	switch {
	case n == 0:
		return ""
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	default:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
}

// setImage puts im in the form and re-runs; an invalid choice leaves the
// run on screen and says why under the image fields.
func (p *PlayState) setImage(im scenario.Image) {
	prev, typed := p.sc.Image, p.imgSize
	p.sc.Image = im
	p.imgSize = sizeText(im.Size)
	p.exSel = ""
	p.dirty = true
	if p.run(-1) != nil {
		// The form goes back to the image of the run on screen; a typed
		// size stays in its field, next to its error.
		p.sc.Image = prev
		if im.Sample == "" {
			p.imgSize = typed
		} else {
			p.imgSize = sizeText(prev.Size)
		}
		return
	}
	if im.Sample == "" {
		p.lastRecipe = im
	}
}

// recipe is the form's mkfs recipe: the scenario's, or the last one the
// form held when it now names a sample.
func (p *PlayState) recipe() scenario.Image {
	if p.sc.Image.Sample == "" {
		return p.sc.Image
	}
	if p.lastRecipe.Size != 0 {
		return p.lastRecipe
	}
	return dio.RaceScenario().Image
}

func (c *Play) PickImage(e vugu.DOMEvent) {
	p := c.S
	v := e.PropString("target", "value")
	p.imgErr = ""
	switch v {
	case imgMkfs:
		p.setImage(p.recipe())
		return
	case imgNewForm:
		p.useNewImageForm()
		return
	}
	// A sample is fetched, opened and registered with core/dio first: a
	// corrupt one is refused here with the reader's error, and the form
	// keeps its image.
	p.imgBusy = "fetching and checking " + v + "…"
	env := e.EventEnv()
	go func() {
		err := ensureSample(v)
		env.Lock()
		defer env.UnlockRender()
		p.imgBusy = ""
		if err != nil {
			p.imgErr = err.Error()
			return
		}
		p.setImage(scenario.Image{Sample: v})
	}()
}

// ImageSizeInput keeps the typed size (applied by Enter or Run). The
// field has no change handler: a text input's change fires on blur, and
// a blur during a re-render (the node moved) would re-enter vugu's lock.
func (c *Play) ImageSizeInput(e vugu.DOMEvent) {
	p := c.S
	p.imgSize = e.PropString("target", "value")
	p.dirty = true
	if _, err := parseSize(p.imgSize); err != nil {
		p.imgErr = "image size: " + err.Error()
	} else {
		p.imgErr = ""
	}
}

// ImageSizeKey applies the size on Enter.
func (c *Play) ImageSizeKey(e vugu.DOMEvent) {
	if e.PropString("key") != "Enter" {
		return
	}
	p := c.S
	n, err := parseSize(p.imgSize)
	if err != nil {
		p.imgErr = "image size: " + err.Error()
		return
	}
	im := p.recipe()
	im.Size = n
	p.setImage(im)
}

func (c *Play) ImageBlockSize(e vugu.DOMEvent) {
	p := c.S
	n, err := strconv.ParseUint(e.PropString("target", "value"), 10, 32)
	if err != nil {
		return
	}
	im := p.recipe()
	im.BlockSize = uint32(n)
	if im.InodeSize > im.BlockSize {
		im.InodeSize = 0 // mke2fs's default for the smaller block
	}
	p.setImage(im)
}

// blockSizes is the block size menu.
// ("0": mke2fs's choice for the size).
func (p *PlayState) blockSizes() []string { return []string{"0", "1024", "2048", "4096"} }

func blockSizeLabel(v string) string {
	if v == "0" {
		return "default"
	}
	return v
}

func (p *PlayState) blockSizeSel() string {
	if p.sc == nil {
		return "0"
	}
	return strconv.FormatUint(uint64(p.sc.Image.BlockSize), 10)
}

// The full-size generic/300 job (catalogue generic-300-full, the job file
// examples/fio/generic-300.fio) in the page: a recorded run of 50,000
// steps takes a few seconds in wasm; the whole job runs natively.
const (
	fullJob      = "generic-300-full"
	fullStepsMax = 50_000
)

// pageStepsMax bounds any recorded run in the page: about 2 s of model
// time in wasm and a trace the timeline still scrubs (the catalogue's
// browser scenarios finish in a few thousand steps).
const pageStepsMax = 100_000

// isFull says whether the form holds the full-size job.
func (p *PlayState) isFull() bool {
	// Not p.example: that would parse the catalogue inside the first
	// render. Until the catalogue is in (just after the first paint) the
	// answer is no, and the render that follows corrects it.
	if !p.catalogLoaded {
		return false
	}
	ex := p.example(fullJob)
	return ex != nil && p.sc != nil && p.fioText == ex.sc.Workload.Fio && p.sc.Image.Size == ex.sc.Image.Size
}

// nativeNote states the page's step limit for the full-size job and the
// command that runs it natively with the form's kernel, mount and seed.
func (p *PlayState) nativeNote() string {
	if p.isFull() && p.runSc != nil {
		return fmt.Sprintf("Full size: the page stops at %s steps (the whole job is millions). To run all of it natively:", thousands(uint64(p.runSc.StepLimit)))
	}
	if p.clampedFrom > 0 && p.res != nil && p.res.Steps >= pageStepsMax {
		return fmt.Sprintf("This scenario allows %s steps; the page stops at %s. Save it (Scenario .json below) and run it natively:", thousands(uint64(p.clampedFrom)), thousands(uint64(pageStepsMax)))
	}
	return ""
}

func (p *PlayState) nativeCmd() string {
	if !p.isFull() {
		if p.nativeNote() != "" {
			return fmt.Sprintf("ext4play run %s.json --steps %d", p.fileBase(), p.clampedFrom)
		}
		return ""
	}
	mount := "none"
	if p.sc.Mount.DioreadNolock {
		mount = "dioread_nolock"
	}
	seed := strings.TrimSpace(p.seedText)
	strat := p.strategy
	if strings.HasPrefix(strat, scriptPrefix) || strat == string(scenario.StrategyReplay) {
		strat = string(scenario.StrategyRandom)
	}
	return fmt.Sprintf("ext4play run %s --fio examples/fio/generic-300.fio --kernel %s --mount %s --strategy %s --seed %s --steps %d",
		fullJob, p.sc.Kernel, mount, strat, seed, scenario.MaxStepLimit)
}

// runImage names the image the shown run used ("mkfs 8M bs=4096" or
// "sample NAME"), for the tests and the run note.
func (p *PlayState) runImage() string {
	if p.runSc == nil {
		return ""
	}
	im := p.runSc.Image
	if im.Sample != "" {
		return "sample " + im.Sample
	}
	bs := "default"
	if im.BlockSize != 0 {
		bs = strconv.FormatUint(uint64(im.BlockSize), 10)
	}
	return fmt.Sprintf("mkfs %s bs=%s", sizeText(im.Size), bs)
}

// storyLine is one store to i_private before the verdict
// (dio.IPrivateStory), with its step for the jump button.
type storyLine struct {
	Step     int
	Text     string
	Unlocked bool
}

// storyLines keeps the last n stores before the first verdict: the ones
// that decided which io_end the racing DIO saw.
func storyLines(res *dio.Result, n int) []storyLine {
	if res == nil || len(res.Violations) == 0 || res.Trace == nil {
		return nil
	}
	all := dio.IPrivateStory(res.Trace)
	var out []storyLine
	for _, l := range all[max(0, len(all)-n):] {
		rest, ok := strings.CutPrefix(l, "step ")
		num, text, ok2 := strings.Cut(rest, ": ")
		st, err := strconv.Atoi(num)
		if !ok || !ok2 || err != nil {
			continue
		}
		out = append(out, storyLine{Step: st, Text: text, Unlocked: strings.HasSuffix(text, "(without i_mutex)")})
	}
	return out
}

func (l storyLine) Class() string {
	if l.Unlocked {
		return "pkv bad"
	}
	return "pkv"
}

func (p *PlayState) story() []storyLine { return p.istory }

// fetchPending fetches the sample a share link waits for, off the UI lock,
// then opens the link (called with the lock held, once the component has
// its EventEnv).
func (p *PlayState) fetchPending() {
	frag, name, env := p.pendingFrag, p.pendingSample, p.env
	if frag == "" || env == nil {
		return
	}
	go func() {
		err := ensureSample(name)
		env.Lock()
		defer env.UnlockRender()
		if p.pendingFrag != frag {
			return // another link was opened meanwhile
		}
		p.pendingFrag, p.pendingSample, p.imgBusy = "", "", ""
		if err != nil {
			p.fragErr = err.Error()
			p.openDefault()
			return
		}
		p.openFragment(frag)
	}()
}
