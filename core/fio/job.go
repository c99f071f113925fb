package fio

import (
	"fmt"
	"time"
)

// Parse-time bounds. A job file beyond them is rejected with ErrLimit, so
// neither parsing nor op generation can be made to allocate without bound.
const (
	MaxTextBytes  = 1 << 20        // whole job file
	MaxLines      = 10000          // lines in the job file
	MaxLineBytes  = 4096           // one line, after ${VAR} substitution
	MaxNumJobs    = 64             // numjobs= of one section
	MaxJobs       = 256            // jobs after numjobs expansion, whole file
	MaxIODepth    = 4096           // iodepth=
	MinBS         = 512            // the model works in 512-byte sectors
	MaxBS         = 64 << 20       // bs= and each bssplit entry
	MaxBSSplit    = 64             // entries in bssplit=
	MaxFileSize   = int64(1) << 40 // filesize= (and size= when it sizes the file)
	MaxSize       = int64(1) << 50 // size= (fio caps it at the file size anyway)
	MaxNumberIOs  = int64(1) << 40 // number_ios=
	MaxRuntime    = 24 * time.Hour // runtime=
	MaxVerifyBack = int64(1) << 20 // verify_backlog=
	MaxVars       = 256            // entries in the variable map
)

// BSSplit is one entry of bssplit=: block size Size is used for Perc
// percent of the I/Os.
type BSSplit struct {
	Size int64
	Perc int
}

// Job is one fio job after [global] inheritance and numjobs expansion:
// section "falloc_raicer" with numjobs=2 gives jobs falloc_raicer.0 and
// falloc_raicer.1. Sizes are bytes.
type Job struct {
	Name    string // Section + "." + Index
	Section string // the [section] name
	Index   int    // clone number, 0 … numjobs-1
	Line    int    // line of the [section] header
	Group   int    // stonewall group: jobs of group g start after all of group g-1 ended

	Engine    Engine
	RW        RW
	RWMixRead int // percent of reads for rw/randrw (default 50)
	// BSSplit holds the block sizes and their weights; a plain bs=N is
	// the single entry {N, 100}.
	BSSplit     []BSSplit
	IODepth     int // effective: sync engines always have 1
	Direct      bool
	NoRandomMap bool

	File     string // path of the file: directory/filename
	FileSize int64  // size of the file region fio does I/O to
	Size     int64  // size= in bytes as resolved (0: not given)
	Offset   int64  // start of the I/O region in the file

	NumberIOs int64         // number_ios= (0: unlimited)
	Runtime   time.Duration // runtime= (0: none)
	TimeBased bool

	Verify        VerifyKind
	VerifyFatal   bool
	VerifyBacklog int64
	VerifySort    bool
	VerifyAsync   int
	VerifyDump    bool

	ContinueOnError ContinueOnError
	IgnoreRead      []Errno // ignore_error= read list
	IgnoreWrite     []Errno // ignore_error= write list
	IgnoreVerify    []Errno // ignore_error= verify list
	ErrorDump       bool

	CreateOnOpen bool
	Fallocate    FallocateMode
	ExitAll      bool
	Stonewall    bool
}

// MinBS is the smallest block size the job uses: fio's default
// blockalign, and the unit of its random map.
func (j *Job) MinBS() int64 {
	m := j.BSSplit[0].Size
	for _, b := range j.BSSplit[1:] {
		m = min(m, b.Size)
	}
	return m
}

// MaxBS is the largest block size the job uses.
func (j *Job) MaxBS() int64 {
	m := j.BSSplit[0].Size
	for _, b := range j.BSSplit[1:] {
		m = max(m, b.Size)
	}
	return m
}

// Region returns the byte range of the file the job does I/O to: it starts
// at Offset and is as long as the file after it, capped by size= — the
// rule fio uses when size= is larger than the file (generic/300's
// size=999G with filesize=512m).
func (j *Job) Region() (start, length int64) {
	length = j.FileSize - j.Offset
	if j.Size > 0 && j.Size < length {
		length = j.Size
	}
	return j.Offset, max(length, 0)
}

// IgnoresWrite reports whether the job carries on after a write failing
// with e (continue_on_error= and ignore_error=).
func (j *Job) IgnoresWrite(e Errno) bool {
	if j.ContinueOnError == ContinueWrite || j.ContinueOnError == ContinueIO || j.ContinueOnError == ContinueAll {
		return true
	}
	for _, x := range j.IgnoreWrite {
		if x == e {
			return true
		}
	}
	return false
}

// Workload is a parsed job file.
type Workload struct {
	Jobs     []Job
	Warnings []Warning
}

// Files returns the distinct file paths in job order.
func (w *Workload) Files() []string {
	var out []string
	seen := map[string]bool{}
	for i := range w.Jobs {
		if f := w.Jobs[i].File; !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Errno is an error number that ignore_error= may name.
type Errno int

// The errno values ignore_error= accepts by name (asm-generic/errno-base.h).
const (
	EPERM  Errno = 1
	ENOENT Errno = 2
	EIO    Errno = 5
	EBADF  Errno = 9
	EAGAIN Errno = 11
	ENOMEM Errno = 12
	EBUSY  Errno = 16
	EEXIST Errno = 17
	EINVAL Errno = 22
	EFBIG  Errno = 27
	ENOSPC Errno = 28
	EROFS  Errno = 30
)

var errnoNames = map[Errno]string{
	EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", EBADF: "EBADF", EAGAIN: "EAGAIN",
	ENOMEM: "ENOMEM", EBUSY: "EBUSY", EEXIST: "EEXIST", EINVAL: "EINVAL",
	EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS",
}

func (e Errno) String() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}
