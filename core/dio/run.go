package dio

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"ext4play/core/ext4"
	"ext4play/core/fio"
	"ext4play/core/image"
	"ext4play/core/scenario"
	"ext4play/core/sim"
	"ext4play/core/trace"
)

// Verdict kinds: the fixed vocabulary of Violation.Kind.
const (
	KindSleepInAtomic        = "sleep-in-atomic"
	KindBUG                  = "bug"
	KindWarn                 = "warn"
	KindDataVerify           = "data-verify"
	KindUnconvertedUnwritten = "unconverted-unwritten"
	KindDeadlock             = "deadlock"
	KindLockOrder            = "lock-order"
	KindLockHeld             = "lock-held"
	KindRefcount             = "refcount"
	KindUseAfterFree         = "use-after-free"
	KindPendingAtEnd         = "pending-at-end"
	KindStepLimit            = "step-limit"
	KindFsck                 = "fsck"
	KindModel                = "model-error"
)

// Kinds lists the vocabulary.
var Kinds = []string{KindSleepInAtomic, KindBUG, KindWarn, KindDataVerify, KindUnconvertedUnwritten, KindDeadlock,
	KindLockOrder, KindLockHeld, KindRefcount, KindUseAfterFree, KindPendingAtEnd, KindStepLimit, KindFsck, KindModel}

// KindOf maps a simulator verdict to the vocabulary.
func KindOf(v *trace.Verdict) string {
	switch v.Kind {
	case trace.VerdictSleepInAtomic:
		return KindSleepInAtomic
	case trace.VerdictBUG:
		if strings.Contains(v.Message, "fs/buffer.c:1272") {
			return KindSleepInAtomic // check_irqs_on: the same bug class, the seed's panic
		}
		return KindBUG
	case trace.VerdictWarn:
		return KindWarn
	case trace.VerdictDeadlock:
		return KindDeadlock
	case trace.VerdictLockOrder:
		return KindLockOrder
	case trace.VerdictUnlockNonOwner, trace.VerdictDoubleUnlock, trace.VerdictLockHeldAtReturn:
		return KindLockHeld
	case trace.VerdictRefcountUnderflow:
		return KindRefcount
	case trace.VerdictUseAfterFree:
		return KindUseAfterFree
	case trace.VerdictPendingAtEnd:
		return KindPendingAtEnd
	case trace.VerdictDomain:
		switch v.Check {
		case KindDataVerify, KindUnconvertedUnwritten, KindRefcount, KindFsck:
			return v.Check
		case "i_dio_count":
			return KindRefcount
		}
		return KindModel
	}
	return KindModel
}

// Violation is one verdict as the CLI and UI show it.
type Violation struct {
	Kind    string   `json:"kind"`
	Message string   `json:"message"`
	Step    int      `json:"step"`
	Task    string   `json:"task"`
	Context string   `json:"context"`
	Label   string   `json:"label,omitempty"`
	Stack   []string `json:"stack,omitempty"`
	Objects []string `json:"objects,omitempty"`
}

// Result is one run.
type Result struct {
	// Verdict is "clean" or the kind of the first violation.
	Verdict     string
	Violations  []Violation
	Steps       int
	Choices     string       // sim.Schedule.Encode of every choice made
	Schedule    sim.Schedule // the same, decoded
	Preemptions int          // choices that switched away from a runnable task
	Outcome     sim.Outcome
	Trace       *trace.Trace  // with Options.Record
	Image       *image.Device // the final image, with Options.KeepImage
	Files       []File        // the workload's files in the image
	BlockSize   int           // the file system's block size (extent maps are in blocks)
	Sim         *sim.Result
}

// File is one workload file in the image.
type File struct {
	Name string
	Ino  uint32
}

// Options tune one run.
type Options struct {
	// Strategy overrides the scenario's scheduler (explore uses it).
	Strategy sim.Strategy
	// Continue collects every verdict instead of stopping at the first
	// (sim Config.Continue): e.g. data-verify after the BUG. When false the
	// scenario's stop_at_first_verdict decides.
	Continue bool
	Record   bool // keep the trace
	// KeepImage returns the final image device.
	KeepImage bool
	// StepsMax overrides the scenario's step limit (0: keep).
	StepsMax int
	// Fsck reads the final image back with core/ext4's reader and reports
	// every problem it finds as an fsck violation.
	Fsck bool
	// Arena, when set, lends the run what earlier runs on this goroutine
	// left for reuse (see Arena); it does not change the run.
	Arena *Arena
	// Progress, when set, is called every million or so steps with the
	// step count (sim.Config.Progress).
	Progress func(step int)
	// NoChoices leaves Result.Choices empty (Result.Schedule is set;
	// Schedule.Encode gives the text): explore encodes failures only.
	NoChoices bool
	// NoSchedule keeps no choice list at all (Result.Schedule nil,
	// Choices empty; sim.Config.NoSchedule): for long native runs of a
	// seeded strategy, which the scenario and seed reproduce.
	NoSchedule bool
}

// Prepared is a scenario ready to run many times: parsed workload, the
// variant, and the image built once (mkfs plus fio's file setup); every
// run clones it.
type Prepared struct {
	Scenario *scenario.Scenario
	Variant  *Variant
	workload *fio.Workload
	limits   fio.Limits
	base     *baseImage
	stepsMax int
	estOnce  sync.Once
	estSteps int
}

// EstSteps is the length of the non-preemptive run: PCT's horizon for
// its change points. Computed once, on first use.
func (p *Prepared) EstSteps() int {
	p.estOnce.Do(func() {
		r := p.Run(sim.Replay(nil), Options{StepsMax: p.stepsMax})
		p.estSteps = max(r.Steps, 1)
	})
	return p.estSteps
}

type baseImage struct {
	dev       *image.Device
	files     []baseFile
	blockSize int
}

type baseFile struct {
	path string
	name string
	ino  uint32
	size int64
}

// imageCacheMax bounds the base images kept (each is a sparse device
// holding only mkfs's metadata and fio's layout).
const imageCacheMax = 8

var imageCache struct {
	sync.Mutex
	m map[string]*baseImage
}

// Prepare validates sc and builds its base image (cached by recipe and
// workload, so repeated runs and explore share it).
func Prepare(sc *scenario.Scenario) (*Prepared, error) {
	w, err := sc.Check()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	v, err := VariantByName(sc.Kernel)
	if err != nil {
		return nil, err
	}
	if err := checkWorkload(w); err != nil {
		return nil, err
	}
	p := &Prepared{Scenario: sc, Variant: v, workload: w, limits: sc.Limits(), stepsMax: int(sc.StepLimit)}
	if p.base, err = buildBase(sc, w, p.limits); err != nil {
		return nil, err
	}
	return p, nil
}

func buildBase(sc *scenario.Scenario, w *fio.Workload, l fio.Limits) (*baseImage, error) {
	setup, err := w.Setup(l)
	if err != nil {
		return nil, fmt.Errorf("fio setup: %w: %w", err, ErrBadInput)
	}
	var sample *image.Device
	var key strings.Builder
	if name := sc.Image.Sample; name != "" {
		var gen uint64
		if sample, gen = registeredSample(name); sample == nil {
			return nil, fmt.Errorf("image.sample %q: no such sample image is registered (dio.RegisterSample): %w", name, ErrBadInput)
		}
		fmt.Fprintf(&key, "sample %s #%d\n", name, gen) // a new registration is a new base
	}
	fmt.Fprintf(&key, "%+v\n", sc.Image)
	for _, op := range setup {
		fmt.Fprintf(&key, "%d %s %d %d %d %+v\n", op.Kind, op.File, op.Falloc, op.Offset, op.Length, op.Data)
	}
	imageCache.Lock()
	defer imageCache.Unlock()
	if b := imageCache.m[key.String()]; b != nil {
		return b, nil
	}
	var dev *image.Device
	if sample != nil {
		dev = sample.Clone() // the registered image itself never changes
	} else if dev, err = ext4.Mkfs(sc.Image.MkfsOptions()); err != nil {
		return nil, fmt.Errorf("image: %w: %w", err, ErrBadInput)
	}
	vol, err := ext4.OpenVolume(dev)
	if err != nil {
		if sample != nil {
			return nil, fmt.Errorf("image.sample %q does not open as ext4: %w: %w", sc.Image.Sample, err, ErrBadInput)
		}
		return nil, fmt.Errorf("image: %w", err)
	}
	if sample != nil && !vol.Superblock().HasIncompat(ext4.EXT4_FEATURE_INCOMPAT_EXTENTS) {
		return nil, fmt.Errorf("image.sample %q: no extents feature; the DIO model needs extent-mapped files: %w", sc.Image.Sample, ErrBadInput)
	}
	b := &baseImage{dev: dev, blockSize: int(vol.BlockSize())}
	byPath := map[string]int{}
	for _, op := range setup {
		i, ok := byPath[op.File]
		if !ok {
			name := path.Base(op.File)
			ino, err := vol.Create(2, name, 0o644)
			if err != nil {
				if sample != nil {
					return nil, fmt.Errorf("image.sample %q: creating fio's file /%s: %w: %w", sc.Image.Sample, name, err, ErrBadInput)
				}
				return nil, fmt.Errorf("creating %s in the image: %w", op.File, err)
			}
			i = len(b.files)
			byPath[op.File] = i
			b.files = append(b.files, baseFile{path: op.File, name: name, ino: ino})
		}
		ino := b.files[i].ino
		switch op.Kind {
		case fio.OpFallocate:
			err = vol.Fallocate(ino, ext4.FallocMode(op.Falloc), op.Offset, op.Length)
		case fio.OpWrite:
			data := make([]byte, op.Length)
			op.Data.FillAt(data, 0)
			err = vol.Write(ino, op.Offset, data)
		}
		if err != nil {
			return nil, fmt.Errorf("fio layout of %s: %w", op.File, err)
		}
	}
	for i := range b.files {
		st, err := vol.Stat(b.files[i].ino)
		if err != nil {
			return nil, err
		}
		b.files[i].size = int64(st.Size())
	}
	if err := vol.Flush(); err != nil {
		return nil, err
	}
	if imageCache.m == nil || len(imageCache.m) >= imageCacheMax {
		imageCache.m = map[string]*baseImage{} // bounded: start over
	}
	imageCache.m[key.String()] = b
	return b, nil
}

// Run runs sc once with the scenario's own scheduler (or opts.Strategy).
func Run(sc *scenario.Scenario, opts Options) (*Result, error) {
	p, err := Prepare(sc)
	if err != nil {
		return nil, err
	}
	st := opts.Strategy
	if st == nil && sc.Scheduler.Strategy == scenario.StrategyDFS {
		// One DFS search (bounded): the first failing run, replayed, or
		// the non-preemptive run when the bounded space has none.
		bound := sc.Scheduler.DFSBound
		if bound == 0 {
			bound = 2
		}
		cont := opts.Continue || !sc.StopAtFirstVerdict
		dr := sim.DFS(p.Program(cont, nil), sim.DFSConfig{Config: sim.Config{StepsMax: p.stepsMax, Continue: cont},
			PreemptionBound: bound, Reduction: sim.ReductionDPOR, RunsMax: dfsRunsMax, StopAtFirst: true})
		st = sim.Replay(nil)
		if dr.First != nil {
			st = sim.Replay(dr.First.Schedule)
		}
	}
	if st == nil {
		if st, err = p.StrategyFor(sc.Scheduler.Seed); err != nil {
			return nil, err
		}
	}
	return p.Run(st, opts), nil
}

// dfsRunsMax bounds the DFS search of a single "run" with strategy dfs.
const dfsRunsMax = 2000

// StrategyFor returns the scenario's strategy seeded with seed (replay
// decodes the scenario's choices; dfs is the non-preemptive schedule
// here — Run and explore search).
func (p *Prepared) StrategyFor(seed uint64) (sim.Strategy, error) {
	sc := p.Scenario.Scheduler
	switch sc.Strategy {
	case scenario.StrategyRandom:
		return sim.Random(seed), nil
	case scenario.StrategyPCT:
		return sim.PCT(seed, pctDepth(sc.PCTDepth), p.EstSteps()), nil
	case scenario.StrategyReplay:
		s, err := sim.DecodeSchedule(sc.Choices)
		if err != nil {
			return nil, fmt.Errorf("scheduler.choices: %w: %w", err, ErrBadInput)
		}
		return sim.Replay(s), nil
	case scenario.StrategyDFS:
		return sim.Replay(nil), nil
	}
	return nil, fmt.Errorf("scheduler.strategy %q: %w", sc.Strategy, ErrBadInput)
}

func pctDepth(d int) int {
	if d <= 0 {
		return 3
	}
	return d
}

// counting wraps a strategy and counts preemptions.
type counting struct {
	inner       sim.Strategy
	preemptions int
}

func (c *counting) Choose(ch *sim.Choice) int {
	i := c.inner.Choose(ch)
	if i >= 0 && i < len(ch.Runnable) && ch.Runnable[i].Task != ch.Current && ch.CurrentIndex >= 0 {
		c.preemptions++ // the task that ran last could have gone on
	}
	return i
}

// Program returns the sim.Program of one run (a fresh clone of the base
// image each time it is called, so DFS can call it repeatedly). final,
// when non-nil, receives the run's volume.
func (p *Prepared) Program(cont bool, final **ext4.Volume) sim.Program {
	return p.program(cont, final, nil)
}

// program is Program drawing buffers from arena a (nil: fresh ones).
func (p *Prepared) program(cont bool, final **ext4.Volume, a *Arena) sim.Program {
	if a == nil {
		a = &Arena{}
	}
	return func(s *sim.Sim) {
		vol, err := a.volume(p.base.dev)
		if err != nil {
			panic(fmt.Sprintf("dio: reopening the cloned image: %v", err))
		}
		if final != nil {
			*final = vol
		}
		m := &model{s: s, v: p.Variant, nolock: p.Scenario.Mount.DioreadNolock, cont: cont, vol: vol,
			bs: int64(vol.BlockSize()), ioends: map[int32]*ioEnd{}, arena: a}
		m.sb = s.NewObj("super_block", "sb")
		m.journal = s.NewLockMap("jbd2_handle")
		m.bdev = s.NewBlockQueue("sda", sim.HardIRQ, 0)
		inodes := map[string]*inode{}
		for _, f := range p.base.files {
			inodes[f.path] = m.newInode(f.ino, f.name, f.size)
		}
		streams, err := p.workload.Streams(p.Scenario.Scheduler.Seed, p.limits)
		if err != nil {
			panic(fmt.Sprintf("dio: fio streams: %v", err))
		}
		groupLeft := map[int]int{}
		groupWQ := s.NewWaitQueue("stonewall")
		var nextID int32
		for i, st := range streams {
			j := st.Job()
			js := &jobState{job: j, stream: st, in: inodes[j.File], group: j.Group, idx: i, m: m}
			if js.in == nil {
				continue // a job whose file fio never created (no ops)
			}
			js.wq = s.NewWaitQueue(j.Name + ".aio")
			groupLeft[j.Group]++
			s.Spawn(j.Name, sim.Process, func(t *sim.Task) {
				if js.group > 0 {
					t.WaitEvent(groupWQ, lblStonewall, func() bool {
						for g, n := range groupLeft {
							if g < js.group && n > 0 {
								return false
							}
						}
						return true
					})
				}
				m.runJob(t, js, &nextID)
				groupLeft[js.group]--
				groupWQ.WakeUp(t)
			})
		}
		for _, in := range m.inodes {
			in := in
			s.AddEndCheck("i_dio_count", func() string {
				if n := in.iDioCount.Value(); n != 0 {
					return fmt.Sprintf("%s: i_dio_count is %d at quiescence", in.name, n)
				}
				return ""
			})
			s.AddEndCheck(KindRefcount, func() string {
				if n := in.iUnwritten.Value(); n != 0 {
					return fmt.Sprintf("%s: i_unwritten is %d at quiescence: an io_end was flagged UNWRITTEN and never converted or cleared (ext4_unwritten_wait would hang)", in.name, n)
				}
				if in.iIoendCnt != nil && in.iIoendCnt.Value() != 0 {
					return fmt.Sprintf("%s: i_ioend_count is %d at quiescence", in.name, in.iIoendCnt.Value())
				}
				return ""
			})
		}
	}
}

// Run runs the prepared scenario once under strategy st.
func (p *Prepared) Run(st sim.Strategy, opts Options) *Result {
	cont := opts.Continue || !p.Scenario.StopAtFirstVerdict
	stepsMax := p.stepsMax
	if opts.StepsMax > 0 {
		stepsMax = opts.StepsMax
	}
	var vol *ext4.Volume
	c := &counting{inner: st}
	a := opts.Arena
	if a == nil {
		a = NewArena()
		defer a.Close()
	}
	sr := sim.Run(p.program(cont, &vol, a), sim.Config{Strategy: c, StepsMax: stepsMax, Continue: cont, Record: opts.Record, Pool: a.pool,
		Progress: opts.Progress, NoSchedule: opts.NoSchedule})
	r := &Result{Steps: sr.Steps, Schedule: sr.Schedule, Preemptions: c.preemptions,
		Outcome: sr.Outcome, Trace: sr.Trace, Sim: sr}
	if !opts.NoChoices && !opts.NoSchedule {
		r.Choices = sr.Schedule.Encode()
	}
	for i := range sr.Verdicts {
		v := &sr.Verdicts[i]
		r.Violations = append(r.Violations, Violation{Kind: KindOf(v), Message: v.Message, Step: v.Step,
			Task: v.TaskName, Context: ctxName(v), Label: v.Label, Stack: v.Stack, Objects: v.Objects})
	}
	if sr.Outcome == sim.OutcomeStepLimit {
		r.Violations = append(r.Violations, Violation{Kind: KindStepLimit, Step: sr.Steps,
			Message: fmt.Sprintf("step limit %d reached with tasks left", stepsMax)})
	}
	if sr.Outcome == sim.OutcomeScheduleError {
		r.Violations = append(r.Violations, Violation{Kind: KindModel, Step: sr.Steps, Message: fmt.Sprint(sr.Err)})
	}
	r.Verdict = "clean"
	if len(r.Violations) > 0 {
		r.Verdict = r.Violations[0].Kind
	}
	for _, f := range p.base.files {
		r.Files = append(r.Files, File{Name: f.name, Ino: f.ino})
	}
	r.BlockSize = p.base.blockSize
	if opts.Fsck && vol != nil {
		_ = vol.Flush()
		rep, err := ext4.Inspect(vol.Device())
		if err != nil {
			r.Violations = append(r.Violations, Violation{Kind: KindFsck, Step: sr.Steps, Context: "end of run",
				Message: fmt.Sprintf("the final image does not open: %v", err)})
		} else {
			for _, pr := range rep.Problems {
				r.Violations = append(r.Violations, Violation{Kind: KindFsck, Step: sr.Steps, Context: "end of run",
					Message: pr.Where + ": " + pr.What})
			}
		}
		if r.Verdict == "clean" && len(r.Violations) > 0 {
			r.Verdict = r.Violations[0].Kind
		}
	}
	if opts.KeepImage && vol != nil {
		_ = vol.Flush()
		// A copy: the arena's volume is reset for the next run.
		r.Image = vol.Device().Clone()
	}
	return r
}

func ctxName(v *trace.Verdict) string {
	if v.Task < 0 {
		return "end of run"
	}
	return v.Ctx.String()
}

// Counts returns how many violations of each kind r has, kinds sorted.
func (r *Result) Counts() map[string]int {
	out := map[string]int{}
	for _, v := range r.Violations {
		out[v.Kind]++
	}
	return out
}

// KindsOf returns the distinct kinds of r's violations, sorted.
func (r *Result) KindsOf() []string {
	var ks []string
	for k := range r.Counts() {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
