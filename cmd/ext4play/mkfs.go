package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"ext4play/core/ext4"
)

func init() {
	register("mkfs", "make a new ext4 image, laid out like mke2fs -t ext4 1.47", runMkfs)
}

// parseSize reads sizes like 64M, 1G, 16G, 1T, 512K or plain bytes
// (binary units, as mke2fs and truncate use them).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<60 {
		return 0, fmt.Errorf("bad size %q (want e.g. 64M, 1G, 16G)", s)
	}
	return int64(v * float64(mult)), nil
}

// reorderArgs moves flags (and the values of flags that take one) in
// front of positional arguments, so "mkfs OUT -b 1024" works.
func reorderArgs(fl *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fl.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(append(flags, "--"), pos...)
}

func runMkfs(args []string) int {
	fl := flag.NewFlagSet("mkfs", flag.ContinueOnError)
	size := fl.String("size", "64M", "filesystem size (K, M, G, T suffixes)")
	bs := fl.Uint("b", 0, "block size: 1024, 2048 or 4096 (default: by size, as mke2fs)")
	isz := fl.Uint("I", 0, "inode size (default 256)")
	inodes := fl.Uint64("N", 0, "number of inodes wanted")
	ratio := fl.Uint64("i", 0, "bytes per inode")
	feats := fl.String("O", "", "features to add or ^remove, e.g. ^metadata_csum,^huge_file")
	label := fl.String("L", "", "volume label")
	uuid := fl.String("U", "", "filesystem UUID (default: derived from --seed)")
	ext := fl.String("E", "", "extended options: hash_seed=UUID")
	seed := fl.Uint64("seed", 0, "seed deriving the UUID and hash seed")
	when := fl.Int64("time", 0, "creation time, seconds since the epoch (default 1700000000)")
	reserved := fl.Float64("m", 5, "reserved blocks percentage")
	fl.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ext4play mkfs [--size 64M] [-b 4096] [-I 256] [-N inodes] [-O feature,^feature] [-L label] [-U uuid] [--seed N] OUT\n\nOUT ending in .gz, .xz or .zst is compressed.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(reorderArgs(fl, args)); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ext4play mkfs:", err)
		return 2
	}
	o := ext4.MkfsOptions{
		Size: n, BlockSize: uint32(*bs), InodeSize: uint32(*isz), Inodes: *inodes, InodeRatio: *ratio,
		Features: *feats, Label: *label, UUID: *uuid, Seed: *seed, Time: *when, ReservedPercent: *reserved,
	}
	for _, kv := range strings.Split(*ext, ",") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "hash_seed":
			o.HashSeed = val
		default:
			fmt.Fprintf(os.Stderr, "ext4play mkfs: unknown extended option %q\n", k)
			return 2
		}
	}
	dev, err := ext4.Mkfs(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ext4play mkfs:", err)
		return 1
	}
	out := fl.Arg(0)
	if err := dev.SaveFile(out); err != nil {
		fmt.Fprintln(os.Stderr, "ext4play mkfs:", err)
		return 1
	}
	fmt.Printf("%s: %d bytes, %d KiB of metadata in memory\n", out, dev.Size(), dev.Used()>>10)
	return 0
}
