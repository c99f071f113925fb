package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"ext4play/core/dio"
	"ext4play/core/image"
	"ext4play/core/scenario"
	"ext4play/core/trace"
)

func init() {
	register("run", "run a DIO scenario once (verdict, trace, final image)", cmdRun)
}

// overrides are the scenario flags run, explore and share share.
type overrides struct {
	kernel, mount, strategy, fioFile string
	seed                             uint64
	seedSet                          bool
}

func (o *overrides) register(fs *flag.FlagSet) {
	fs.StringVar(&o.kernel, "kernel", "", "kernel variant: v4.4, v4.5-rc3, revert, jan-fix, v4.6")
	fs.StringVar(&o.mount, "mount", "", "mount option: dioread_nolock or none")
	fs.StringVar(&o.strategy, "strategy", "", "scheduler: random, pct or dfs")
	fs.StringVar(&o.fioFile, "fio", "", "fio job file replacing the scenario's workload")
	fs.Func("seed", "scheduler (and workload) seed", func(s string) error {
		_, err := fmt.Sscan(s, &o.seed)
		o.seedSet = err == nil
		return err
	})
}

// parseArgs parses flags that may come before or after the one
// positional argument.
func parseArgs(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("want one SCENARIO (a JSON file or a catalogue name), got %d arguments", len(pos))
	}
	return pos[0], nil
}

// loadScenario reads SCENARIO: a file path, or a catalogue example name.
// scenarioArg parses the flags and the one SCENARIO argument, then loads
// that scenario with the flag overrides applied.
func scenarioArg(fs *flag.FlagSet, args []string, o *overrides) (*scenario.Scenario, error) {
	arg, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	return loadScenario(arg, o)
}

func loadScenario(arg string, o *overrides) (*scenario.Scenario, error) {
	var sc *scenario.Scenario
	if data, err := os.ReadFile(arg); err == nil {
		if sc, err = scenario.Parse(data); err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	} else if sc, err = scenario.Example(strings.TrimSuffix(arg, ".json")); err != nil {
		return nil, fmt.Errorf("%s: not a file and not a catalogue example: %w", arg, err)
	}
	if o.kernel != "" {
		sc.Kernel = scenario.Kernel(o.kernel)
	}
	switch o.mount {
	case "":
	case "dioread_nolock":
		sc.Mount.DioreadNolock = true
	case "none", "dioread_lock":
		sc.Mount.DioreadNolock = false
	default:
		return nil, fmt.Errorf("--mount %q: want dioread_nolock or none", o.mount)
	}
	if o.strategy != "" {
		sc.Scheduler.Strategy = scenario.Strategy(o.strategy)
		sc.Scheduler.Choices = ""
	}
	if o.seedSet {
		sc.Scheduler.Seed = o.seed
	}
	if o.fioFile != "" {
		data, err := os.ReadFile(o.fioFile)
		if err != nil {
			return nil, err
		}
		sc.Workload.Fio = string(data)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// runJSON is the --json output of run.
type runJSON struct {
	Verdict    string          `json:"verdict"`
	Violations []dio.Violation `json:"violations"`
	Steps      int             `json:"steps"`
	Choices    string          `json:"choices"`
	Extents    []extentChange  `json:"extent_changes,omitempty"` // with --extents
}

// extentChange is one EvExtent event of the trace, for --extents.
type extentChange struct {
	Step  int    `json:"step"`
	Task  string `json:"task"`
	File  string `json:"file"`
	LBlk  uint64 `json:"lblk"`
	Len   uint32 `json:"len"`
	State string `json:"state"`
	PBlk  uint64 `json:"pblk"`
}

// extentChanges lists the run's extent changes in order; a file's
// zero-length first event (the model opening it) is left out.
func extentChanges(tr *trace.Trace) []extentChange {
	var out []extentChange
	for i := range tr.Events {
		e := &tr.Events[i]
		if e.Kind != trace.EvExtent {
			continue
		}
		lblk, n := trace.ExtentRange(e)
		if n == 0 {
			continue
		}
		c := extentChange{Step: int(e.Step), Task: "-", File: tr.FullName(e.Loc), LBlk: uint64(lblk), Len: n,
			State: trace.ExtentState(e.Arg).String(), PBlk: uint64(e.New)}
		if l := tr.Locs[e.Loc]; l.Parent >= 0 && int(l.Parent) < len(tr.Locs) {
			c.File = tr.Locs[l.Parent].Name
		}
		if e.Task >= 0 && int(e.Task) < len(tr.Tasks) {
			c.Task = tr.Tasks[e.Task].Name
		}
		out = append(out, c)
	}
	return out
}

// imageAfter is the image as it is after step of run r: the same
// scenario run again, stopped there (runs are deterministic, so this is
// r's prefix).
func imageAfter(sc *scenario.Scenario, opts dio.Options, r *dio.Result, step int) (*image.Device, error) {
	if step > r.Steps {
		return nil, fmt.Errorf("--image-at %d: the run has %d steps", step, r.Steps)
	}
	opts.KeepImage, opts.Record, opts.Fsck, opts.Progress = true, false, false, nil
	opts.StepsMax = max(step, 1)
	again, err := dio.Run(sc, opts)
	if err != nil {
		return nil, err
	}
	if again.Image == nil {
		return nil, fmt.Errorf("--image-at %d: the run kept no image", step)
	}
	return again.Image, nil
}

func cmdRun(args []string) int {
	return runMain(args, os.Stdout, os.Stderr)
}

func runMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o overrides
	o.register(fs)
	asJSON := fs.Bool("json", false, "print {verdict, violations, steps, choices}")
	traceOut := fs.String("trace", "", "write the Chrome/Perfetto trace JSON here")
	imageOut := fs.String("image-out", "", "save the final image here (.gz/.xz/.zst compress)")
	cont := fs.Bool("continue", false, "go on past the first BUG (show what would have happened)")
	fsck := fs.Bool("fsck", false, "check the final image with the ext4 reader (fsck verdicts)")
	stepsMax := fs.Int("steps", 0, "step limit (0: the scenario's)")
	progress := fs.Bool("progress", false, "print the step count and elapsed time every 2^20 steps to stderr")
	noChoices := fs.Bool("no-choices", false, "keep no choice list (long runs: a random or pct run is reproduced by its scenario and seed); choices prints empty")
	extents := fs.Bool("extents", false, "list every change to a file's extent map: step, task, file, blocks, new state")
	imageAt := fs.Int("image-at", -1, "with --image-out: save the image as it is after this step instead of at the end")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run here (go tool pprof)")
	memProfile := fs.String("memprofile", "", "write a heap profile at the end of the run here (go tool pprof)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ext4play run SCENARIO [--kernel V] [--mount dioread_nolock|none] [--seed N] [--strategy random|pct|dfs] [--fio JOBFILE] [--json] [--trace OUT.json] [--extents] [--image-out OUT [--image-at STEP]] [--continue]")
		fs.PrintDefaults()
	}
	sc, err := scenarioArg(fs, args, &o)
	if err != nil {
		fmt.Fprintln(stderr, "ext4play run:", err)
		return 2
	}
	if sc.Image.Size >= bigImage {
		// A full-size job's image is most of the heap (up to the file
		// system's size in written blocks) and lives the whole run; the
		// default GC would let the heap grow to twice that. Allocation is
		// slow in such a run, so collecting at +25% costs little.
		debug.SetGCPercent(25)
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "ext4play run:", err)
			return 2
		}
		defer stop()
	}
	if *imageAt >= 0 && *imageOut == "" {
		fmt.Fprintln(stderr, "ext4play run: --image-at needs --image-out (where to save the image)")
		return 2
	}
	opts := dio.Options{Continue: *cont, Record: *traceOut != "" || *extents, KeepImage: *imageOut != "" && *imageAt < 0, Fsck: *fsck, StepsMax: *stepsMax,
		NoSchedule: *noChoices}
	if *progress {
		start := time.Now()
		opts.Progress = func(step int) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(stderr, "ext4play run: step %d, %.0f s, heap %d MiB\n", step, time.Since(start).Seconds(), ms.HeapAlloc>>20)
		}
	}
	r, err := dio.Run(sc, opts)
	if err != nil {
		fmt.Fprintln(stderr, "ext4play run:", err)
		return 2
	}
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintln(stderr, "ext4play run:", err)
			return 2
		}
	}
	if *traceOut != "" {
		if err := writeTrace(*traceOut, r); err != nil {
			fmt.Fprintln(stderr, "ext4play run:", err)
			return 2
		}
	}
	if *imageOut != "" {
		img := r.Image
		if *imageAt >= 0 {
			if img, err = imageAfter(sc, opts, r, *imageAt); err != nil {
				fmt.Fprintln(stderr, "ext4play run:", err)
				return 2
			}
		}
		if err := img.SaveFile(*imageOut); err != nil {
			fmt.Fprintln(stderr, "ext4play run:", err)
			return 2
		}
	}
	var changes []extentChange
	if *extents {
		changes = extentChanges(r.Trace)
	}
	if *asJSON {
		out := runJSON{Verdict: r.Verdict, Violations: r.Violations, Steps: r.Steps, Choices: r.Choices, Extents: changes}
		if out.Violations == nil {
			out.Violations = []dio.Violation{}
		}
		if *extents && out.Extents == nil {
			out.Extents = []extentChange{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else {
		fmt.Fprintf(stdout, "%s on %s, %s: %s after %d steps (%d preemptions)\n", sc.Title, sc.Kernel, sc.Mount.String(), r.Verdict, r.Steps, r.Preemptions)
		for _, v := range r.Violations {
			fmt.Fprintf(stdout, "\n%s at step %d, task %s (%s)\n", v.Kind, v.Step, v.Task, v.Context)
			if v.Label != "" {
				fmt.Fprintf(stdout, "  at: %s\n", v.Label)
			}
			if len(v.Stack) > 0 {
				fmt.Fprintf(stdout, "  stack: %s\n", strings.Join(v.Stack, " > "))
			}
			if len(v.Objects) > 0 {
				fmt.Fprintf(stdout, "  objects: %s\n", strings.Join(v.Objects, "; "))
			}
			for _, l := range strings.Split(strings.TrimRight(v.Message, "\n"), "\n") {
				fmt.Fprintf(stdout, "  %s\n", l)
			}
		}
		if *extents {
			fmt.Fprintf(stdout, "\nextent changes (%d):\n", len(changes))
			for _, c := range changes {
				at := ""
				if c.State != trace.ExtHole.String() {
					at = fmt.Sprintf(" at %d", c.PBlk)
				}
				fmt.Fprintf(stdout, "  step %-6d %-24s %s [%d, %d) %s%s\n", c.Step, c.Task, c.File, c.LBlk, c.LBlk+uint64(c.Len), c.State, at)
			}
		}
		if *noChoices {
			fmt.Fprintf(stdout, "\nreplay: the scenario with strategy %s and seed %d (no choice list kept)\n", sc.Scheduler.Strategy, sc.Scheduler.Seed)
		} else {
			fmt.Fprintf(stdout, "\nreplay: choices %s\n", abbreviate(r.Choices, 80))
		}
	}
	if r.Verdict != "clean" {
		return 1
	}
	return 0
}

// bigImage is the image size from which run keeps the heap close to the
// live data (see runMain).
const bigImage = 128 << 20

// startCPUProfile profiles the process into path until the returned stop.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeHeapProfile writes the live heap (after a GC) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeTrace(path string, r *dio.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.Trace.WriteChrome(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d characters; --json prints them all)", len(s))
}
