package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"

	"ext4play/core/dio"
	"ext4play/core/explore"
	"ext4play/core/scenario"
)

func init() {
	register("explore", "run many schedules of a DIO scenario and report verdict counts", cmdExplore)
}

type failureJSON struct {
	Run         int    `json:"run"`
	Verdict     string `json:"verdict"`
	Steps       int    `json:"steps"`
	Preemptions int    `json:"preemptions"`
	Choices     string `json:"choices"`
	URL         string `json:"url"`
}

type exploreJSON struct {
	Runs          int            `json:"runs"`
	Clean         int            `json:"clean"`
	Verdicts      map[string]int `json:"verdicts"`
	FirstFailure  *failureJSON   `json:"first_failure"`
	RunsPerSecond float64        `json:"runs_per_second"`
}

func cmdExplore(args []string) int { return exploreMain(args, os.Stdout, os.Stderr) }

func exploreMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o overrides
	o.register(fs)
	runs := fs.Int("runs", 1000, "schedules to run")
	asJSON := fs.Bool("json", false, "print {runs, clean, verdicts, first_failure, runs_per_second}")
	workers := fs.Int("workers", 0, "parallel simulations (0: all cores)")
	want := fs.String("want", "", "only this verdict kind counts as the first failure (e.g. sleep-in-atomic)")
	noMin := fs.Bool("no-minimise", false, "report the first failure as found")
	stop := fs.Bool("stop", false, "stop at the first failing run (of --want's kind, if given)")
	budget := fs.Int("budget", 200, "replays spent minimising the first failure")
	pctDepth := fs.Int("pct-depth", 0, "PCT bug depth d (d-1 priority change points per run; 0: the scenario's, else 3)")
	base := fs.String("base", "http://127.0.0.1:8080/", "playground URL the share link starts with")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ext4play explore SCENARIO --runs N [--strategy random|pct|dfs] [--kernel V] [--mount dioread_nolock|none] [--seed N] [--fio JOBFILE] [--json]")
		fs.PrintDefaults()
	}
	sc, err := scenarioArg(fs, args, &o)
	if err != nil {
		fmt.Fprintln(stderr, "ext4play explore:", err)
		return 2
	}
	// Each run allocates a little and frees it all: a lazier GC doubles
	// runs per second.
	debug.SetGCPercent(400)
	if *pctDepth < 0 {
		fmt.Fprintf(stderr, "ext4play explore: --pct-depth %d: must be >= 0\n", *pctDepth)
		return 2
	}
	if *pctDepth > 0 {
		sc.Scheduler.PCTDepth = *pctDepth
	}
	if *want != "" && !validKind(*want) {
		fmt.Fprintf(stderr, "ext4play explore: --want %q: not a verdict kind (%v)\n", *want, dio.Kinds)
		return 2
	}
	strat := sc.Scheduler.Strategy
	if strat == scenario.StrategyReplay {
		strat = scenario.StrategyRandom
	}
	p, err := dio.Prepare(sc)
	if err != nil {
		fmt.Fprintln(stderr, "ext4play explore:", err)
		return 2
	}
	st, err := explore.Explore(context.Background(), p, explore.Config{Strategy: strat, Runs: *runs,
		Seed: sc.Scheduler.Seed, PCTDepth: sc.Scheduler.PCTDepth, DFSBound: sc.Scheduler.DFSBound,
		Workers: *workers, Want: *want, StopAtFirst: *stop, Minimise: !*noMin, MinimiseBudget: *budget})
	if err != nil {
		fmt.Fprintln(stderr, "ext4play explore:", err)
		return 2
	}
	out := exploreJSON{Runs: st.Runs, Clean: st.Clean, Verdicts: st.Verdicts, RunsPerSecond: st.RunsPerSecond}
	if f := st.First; f != nil {
		url, err := shareURL(*base, explore.Replayable(sc, f))
		if err != nil {
			url = "(no link: " + err.Error() + ")"
		}
		out.FirstFailure = &failureJSON{Run: f.Run, Verdict: f.Verdict, Steps: f.Steps, Preemptions: f.Preemptions, Choices: f.Choices, URL: url}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else {
		fmt.Fprintf(stdout, "%s on %s, %s, %s: %d runs, %d clean, %.0f runs/s\n", sc.Title, sc.Kernel, sc.Mount.String(), strat, st.Runs, st.Clean, st.RunsPerSecond)
		kinds := make([]string, 0, len(st.Verdicts))
		for k := range st.Verdicts {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(stdout, "  %-22s %d\n", k, st.Verdicts[k])
		}
		if f := out.FirstFailure; f != nil {
			fmt.Fprintf(stdout, "first failure: run %d (schedule seed %d), %s; minimised to %d steps, %d preemptions (from %d, %d)\n",
				f.Run, sc.Scheduler.Seed+uint64(f.Run), f.Verdict, f.Steps, f.Preemptions, st.First.OrigSteps, st.First.OrigPreemptions)
			v := st.First.Result.Violations[0]
			fmt.Fprintf(stdout, "  %s at step %d in %s (%s): %s\n", v.Kind, v.Step, v.Task, v.Context, firstLine(v.Message))
			// The story of the inode's io_end pointer in the (minimised) run.
			if r, err := dio.Run(explore.Replayable(sc, st.First), dio.Options{Record: true}); err == nil {
				story := dio.IPrivateStory(r.Trace)
				if len(story) > 0 {
					fmt.Fprintln(stdout, "  i_private, last stores before the verdict:")
					for _, l := range story[max(0, len(story)-8):] {
						fmt.Fprintf(stdout, "    %s\n", l)
					}
				}
			}
			fmt.Fprintf(stdout, "  replay: %s\n", f.URL)
		}
	}
	if st.Runs != st.Clean {
		return 1
	}
	return 0
}

func validKind(k string) bool {
	for _, x := range dio.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
