package fio

import "fmt"

// RW is fio's rw= (readwrite=) I/O pattern.
type RW uint8

const (
	RWRead RW = iota
	RWWrite
	RWTrim
	RWRandRead
	RWRandWrite
	RWRandTrim
	RWRW // rw=rw / readwrite: sequential mix
	RWRandRW
)

var rwNames = [...]string{
	RWRead: "read", RWWrite: "write", RWTrim: "trim",
	RWRandRead: "randread", RWRandWrite: "randwrite", RWRandTrim: "randtrim",
	RWRW: "rw", RWRandRW: "randrw",
}

func (r RW) String() string {
	if int(r) < len(rwNames) {
		return rwNames[r]
	}
	return fmt.Sprintf("RW(%d)", uint8(r))
}

// Random reports whether offsets are chosen at random.
func (r RW) Random() bool {
	return r == RWRandRead || r == RWRandWrite || r == RWRandTrim || r == RWRandRW
}

// Writes reports whether the pattern issues writes.
func (r RW) Writes() bool {
	return r == RWWrite || r == RWRandWrite || r == RWRW || r == RWRandRW
}

// Reads reports whether the pattern issues reads.
func (r RW) Reads() bool {
	return r == RWRead || r == RWRandRead || r == RWRW || r == RWRandRW
}

// Engine is fio's ioengine=.
type Engine uint8

const (
	EngineSync   Engine = iota // read(2)/write(2) after lseek
	EnginePsync                // pread(2)/pwrite(2)
	EngineLibaio               // Linux native AIO: io_submit, completion via io_getevents
	EngineFalloc               // fallocate(2) instead of data I/O
)

var engineNames = [...]string{
	EngineSync: "sync", EnginePsync: "psync", EngineLibaio: "libaio", EngineFalloc: "falloc",
}

func (e Engine) String() string {
	if int(e) < len(engineNames) {
		return engineNames[e]
	}
	return fmt.Sprintf("Engine(%d)", uint8(e))
}

// Async reports whether the engine submits without waiting (AIO).
func (e Engine) Async() bool { return e == EngineLibaio }

// FallocateMode is fio's fallocate= file layout option: how a file that
// fio lays out is preallocated before the job runs.
type FallocateMode uint8

const (
	FallocateNone   FallocateMode = iota // none / 0: no preallocation
	FallocatePosix                       // posix / 1: posix_fallocate, extends i_size
	FallocateKeep                        // keep: fallocate(FALLOC_FL_KEEP_SIZE)
	FallocateNative                      // native: fallocate(mode 0)
)

var fallocateNames = [...]string{
	FallocateNone: "none", FallocatePosix: "posix", FallocateKeep: "keep", FallocateNative: "native",
}

func (m FallocateMode) String() string {
	if int(m) < len(fallocateNames) {
		return fallocateNames[m]
	}
	return fmt.Sprintf("FallocateMode(%d)", uint8(m))
}

// VerifyKind is fio's verify=.
type VerifyKind uint8

const (
	VerifyNone   VerifyKind = iota
	VerifyCRC32C            // crc32c and crc32c-intel: same checksum, the latter uses SSE4.2
)

var verifyNames = [...]string{VerifyNone: "none", VerifyCRC32C: "crc32c"}

func (v VerifyKind) String() string {
	if int(v) < len(verifyNames) {
		return verifyNames[v]
	}
	return fmt.Sprintf("VerifyKind(%d)", uint8(v))
}

// ContinueOnError is fio's continue_on_error=.
type ContinueOnError uint8

const (
	ContinueNone ContinueOnError = iota
	ContinueRead
	ContinueWrite
	ContinueIO // read and write
	ContinueVerify
	ContinueAll
)

var continueNames = [...]string{
	ContinueNone: "none", ContinueRead: "read", ContinueWrite: "write",
	ContinueIO: "io", ContinueVerify: "verify", ContinueAll: "all",
}

func (c ContinueOnError) String() string {
	if int(c) < len(continueNames) {
		return continueNames[c]
	}
	return fmt.Sprintf("ContinueOnError(%d)", uint8(c))
}

// FALLOC_FL_* flags of fallocate(2) (include/uapi/linux/falloc.h).
type FallocFlags uint32

const (
	FALLOC_FL_KEEP_SIZE  FallocFlags = 0x01
	FALLOC_FL_PUNCH_HOLE FallocFlags = 0x02
	FALLOC_FL_ZERO_RANGE FallocFlags = 0x10
)

func (f FallocFlags) String() string {
	if f == 0 {
		return "0"
	}
	s := ""
	for _, b := range []struct {
		f FallocFlags
		n string
	}{{FALLOC_FL_KEEP_SIZE, "KEEP_SIZE"}, {FALLOC_FL_PUNCH_HOLE, "PUNCH_HOLE"}, {FALLOC_FL_ZERO_RANGE, "ZERO_RANGE"}} {
		if f&b.f != 0 {
			if s != "" {
				s += "|"
			}
			s += "FALLOC_FL_" + b.n
			f &^= b.f
		}
	}
	if f != 0 {
		s += fmt.Sprintf("|%#x", uint32(f))
	}
	return s
}
