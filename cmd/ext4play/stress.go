package main

import (
	"flag"
	"fmt"
	"os"

	"ext4play/core/ext4"
	"ext4play/core/image"
)

func init() {
	register("stress", "apply seeded random file operations to an image and save it", runStress)
}

func runStress(args []string) int {
	fl := flag.NewFlagSet("stress", flag.ContinueOnError)
	seed := fl.Uint64("seed", 1, "random seed (same seed, same operations)")
	ops := fl.Int("ops", 100, "number of operations")
	out := fl.String("out", "", "where to save the result (default: overwrite IMAGE)")
	verbose := fl.Bool("v", false, "print every operation")
	fl.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ext4play stress IMAGE --seed N --ops K [--out OUT] [-v]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(reorderArgs(fl, args)); err != nil {
		return 2
	}
	if fl.NArg() != 1 || *ops < 0 {
		fl.Usage()
		return 2
	}
	in := fl.Arg(0)
	dev, err := image.LoadFile(in)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ext4play stress: %s: %v\n", in, err)
		return 2
	}
	v, err := ext4.OpenVolume(dev)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ext4play stress: %s: %v\n", in, err)
		return 2
	}
	opts := ext4.StressOptions{Seed: *seed, Ops: *ops}
	if *verbose {
		opts.Log = func(s string) { fmt.Println(s) }
	}
	sum, err := ext4.Stress(v, opts)
	dst := *out
	if dst == "" {
		dst = in
	}
	if serr := dev.SaveFile(dst); serr != nil {
		fmt.Fprintf(os.Stderr, "ext4play stress: saving %s: %v\n", dst, serr)
		return 1
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ext4play stress: %v (image saved to %s)\n", err, dst)
		return 1
	}
	fmt.Println(sum)
	return 0
}
