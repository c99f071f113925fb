package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"ext4play/core/dio"
	"ext4play/core/explore"
	"ext4play/core/scenario"
)

func init() {
	register("share", "print the playground URL (#s= link) of a scenario", cmdShare)
}

func shareURL(base string, sc *scenario.Scenario) (string, error) {
	frag, err := scenario.Encode(sc)
	if err != nil {
		return "", err
	}
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base = base[:i]
	}
	return base + "#s=" + frag, nil
}

func cmdShare(args []string) int { return shareMain(args, os.Stdout, os.Stderr) }

func shareMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("share", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o overrides
	o.register(fs)
	failing := fs.Bool("failing", false, "explore first and share the first failing run at its verdict step")
	runs := fs.Int("runs", 2000, "with --failing: schedules to try")
	want := fs.String("want", "", "with --failing: only this verdict kind counts")
	base := fs.String("base", "http://127.0.0.1:8080/", "playground URL the link starts with")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ext4play share SCENARIO [--kernel V] [--mount M] [--seed N] [--strategy S] [--fio JOBFILE] [--failing] [--base URL]")
		fs.PrintDefaults()
	}
	sc, err := scenarioArg(fs, args, &o)
	if err != nil {
		fmt.Fprintln(stderr, "ext4play share:", err)
		return 2
	}
	if *failing {
		strat := sc.Scheduler.Strategy
		if strat == scenario.StrategyReplay {
			strat = scenario.StrategyRandom
		}
		p, err := dio.Prepare(sc)
		if err != nil {
			fmt.Fprintln(stderr, "ext4play share:", err)
			return 2
		}
		st, err := explore.Explore(context.Background(), p, explore.Config{Strategy: strat, Runs: *runs,
			Seed: sc.Scheduler.Seed, PCTDepth: sc.Scheduler.PCTDepth, StopAtFirst: true, Want: *want, Minimise: true})
		if err != nil {
			fmt.Fprintln(stderr, "ext4play share:", err)
			return 2
		}
		if st.First == nil {
			fmt.Fprintf(stderr, "ext4play share: no failing run in %d runs\n", st.Runs)
			return 1
		}
		sc = explore.Replayable(sc, st.First)
	}
	url, err := shareURL(*base, sc)
	if err != nil {
		fmt.Fprintln(stderr, "ext4play share:", err)
		return 2
	}
	fmt.Fprintln(stdout, url)
	return 0
}
