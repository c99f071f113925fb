package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"ext4play/core/ext4"
	"ext4play/core/image"
)

func init() {
	register("inspect", "show what is inside an ext4 image (raw, .gz, .xz, .zst)", runInspect)
}

// splitFlags moves flags after positional arguments to the front, so
// "inspect IMAGE --json" works like "inspect --json IMAGE".
func splitFlags(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			continue
		}
		pos = append(pos, a)
	}
	return append(append(flags, "--"), pos...)
}

func runInspect(args []string) int { return inspectMain(args, os.Stdout, os.Stderr) }

// inspectMain is the inspect command with its output streams as
// parameters, for tests.
func inspectMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print the report as one JSON object")
	noTree := fl.Bool("no-tree", false, "plain output: leave out the directory tree")
	noContent := fl.Bool("no-content", false, "read metadata only: no sha256 of file contents")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ext4play inspect [--json] [--no-tree] [--no-content] IMAGE|-")
		fl.PrintDefaults()
	}
	if err := fl.Parse(splitFlags(args)); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	path := fl.Arg(0)
	dev, err := openImage(path)
	if err != nil {
		fmt.Fprintf(stderr, "ext4play inspect: %s: %v\n", path, err)
		return 2
	}
	fsys, err := ext4.Open(dev)
	if err != nil {
		fmt.Fprintf(stderr, "ext4play inspect: %s: %v\n", path, err)
		return 2
	}
	rep := fsys.InspectWith(ext4.InspectOptions{SkipContent: *noContent})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		// Indent for people at a terminal; pipes get compact JSON, which
		// is several times faster to write for large images.
		if f, ok := stdout.(*os.File); ok {
			if isTerminal(f) {
				enc.SetIndent("", "  ")
			}
		}
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "ext4play inspect: %v\n", err)
			return 1
		}
		return 0
	}
	printPlain(stdout, rep, !*noTree)
	return 0
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func fmtTime(t int64) string {
	if t == 0 {
		return "n/a"
	}
	return time.Unix(t, 0).UTC().Format("Mon Jan _2 15:04:05 2006")
}

// printPlain prints the report in the shape of `dumpe2fs -h`, then a group
// summary, the tree and the problems.
func printPlain(w io.Writer, r *ext4.Report, tree bool) {
	s := r.Superblock
	line := func(k string, v any) { fmt.Fprintf(w, "%-26s%v\n", k+":", v) }
	line("Filesystem volume name", orNone(s.VolumeName, "<none>"))
	line("Last mounted on", orNone(s.LastMounted, "<not available>"))
	line("Filesystem UUID", s.UUID)
	line("Filesystem magic number", fmt.Sprintf("0x%04X", s.Magic))
	rev := "(original)"
	if s.RevLevel == 1 {
		rev = "(dynamic)"
	}
	line("Filesystem revision #", fmt.Sprintf("%d %s", s.RevLevel, rev))
	line("Filesystem features", orNone(strings.Join(s.Features, " "), "(none)"))
	line("Filesystem flags", orNone(strings.Join(s.Flags, " "), "(none)"))
	line("Default mount options", orNone(strings.Join(s.DefaultMountOpts, " "), "(none)"))
	line("Filesystem state", s.State)
	line("Errors behavior", s.Errors)
	line("Filesystem OS type", s.CreatorOS)
	line("Inode count", s.InodesCount)
	line("Block count", s.BlocksCount)
	line("Reserved block count", s.ReservedBlocksCount)
	line("Free blocks", s.FreeBlocksCount)
	line("Free inodes", s.FreeInodesCount)
	line("First block", s.FirstDataBlock)
	line("Block size", s.BlockSize)
	if s.OverheadClusters != 0 {
		line("Overhead clusters", s.OverheadClusters)
	}
	if s.ReservedGDTBlocks != 0 {
		line("Reserved GDT blocks", s.ReservedGDTBlocks)
	}
	if s.DescSize > 32 {
		line("Group descriptor size", s.DescSize)
	}
	line("Blocks per group", s.BlocksPerGroup)
	line("Inodes per group", s.InodesPerGroup)
	if s.LogGroupsPerFlex > 0 {
		line("Flex block group size", 1<<s.LogGroupsPerFlex)
	}
	line("Filesystem created", fmtTime(s.Ctime))
	line("Last mount time", fmtTime(s.Mtime))
	line("Last write time", fmtTime(s.Wtime))
	line("Mount count", s.MntCount)
	line("Maximum mount count", s.MaxMntCount)
	line("Last checked", fmtTime(s.Lastcheck))
	line("Lifetime writes", fmt.Sprintf("%d kB", s.KbytesWritten))
	line("Reserved blocks uid", s.DefResuid)
	line("Reserved blocks gid", s.DefResgid)
	line("First inode", s.FirstIno)
	line("Inode size", s.InodeSize)
	if s.InodeSize > 128 {
		line("Required extra isize", s.MinExtraIsize)
		line("Desired extra isize", s.WantExtraIsize)
	}
	line("Default directory hash", s.HashVersion)
	line("Directory Hash Seed", s.HashSeed)
	if s.JournalInum != 0 {
		line("Journal inode", s.JournalInum)
	}
	if s.ChecksumType != "" {
		line("Checksum type", s.ChecksumType)
		line("Checksum", fmt.Sprintf("0x%08x", s.Checksum))
	}
	if j := r.Journal; j != nil {
		line("Journal features", orNone(strings.Join(j.Features, " "), "(none)"))
		line("Total journal blocks", j.MaxLen)
		line("Journal sequence", fmt.Sprintf("0x%08x", j.Sequence))
		line("Journal start", j.Start)
		if j.ChecksumType != "" {
			line("Journal checksum type", j.ChecksumType)
		}
	}
	fmt.Fprintln(w)
	for _, g := range r.Groups {
		flags := ""
		if len(g.Flags) > 0 {
			flags = " [" + strings.Join(g.Flags, ", ") + "]"
		}
		fmt.Fprintf(w, "Group %d: (Blocks %d-%d)%s\n  Block bitmap at %d, Inode bitmap at %d, Inode table at %d\n  %d free blocks, %d free inodes, %d directories\n",
			g.Index, g.FirstBlock, g.LastBlock, flags, g.BlockBitmap, g.InodeBitmap, g.InodeTable, g.FreeBlocksCount, g.FreeInodesCount, g.UsedDirsCount)
	}
	if tree {
		fmt.Fprintln(w)
		byIno := map[uint32]ext4.InodeReport{}
		for _, in := range r.Inodes {
			byIno[in.Ino] = in
		}
		paths := make([]string, 0, len(r.Paths))
		for p := range r.Paths {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			ino := r.Paths[p]
			in := byIno[ino]
			depth := strings.Count(p, "/")
			name := p[strings.LastIndex(p, "/")+1:]
			if p == "/" {
				depth, name = 0, "/"
			}
			extra := ""
			if in.Type == "symlink" {
				extra = " -> " + in.Symlink
			}
			fmt.Fprintf(w, "%s%-*s %8d  %-7s %04o %10d %s%s\n", strings.Repeat("  ", depth), max(1, 30-2*depth), name, ino, in.Type, in.Mode, in.Size, in.Mapping, extra)
		}
	}
	fmt.Fprintf(w, "\n%d problem(s)\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s: %s\n", p.Where, p.What)
	}
}

// openImage reads a raw image straight from the file (no copy in memory)
// and loads compressed ones into a sparse in-memory device.
func openImage(path string) (ext4.Device, error) {
	if path == "-" {
		return image.Load(os.Stdin, "standard input")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 6)
	n, _ := f.Read(head)
	f.Close()
	if image.Detect(head[:n]) == image.Raw {
		return image.OpenFileDevice(path)
	}
	return image.LoadFile(path)
}
