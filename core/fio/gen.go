package fio

import (
	"cmp"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"
)

// Limits turns fio's open-ended jobs into bounded op streams.
//
// Runtime becomes operations at a fixed nominal rate: a job with
// runtime=R seconds issues at most ceil(R × OpsPerSecond) workload ops.
// The bound of a job is the smallest of
//
//	number_ios (if set),
//	ceil(runtime × OpsPerSecond) (if runtime is set),
//	MaxOps (the scenario's scale-down, if set),
//	MaxOpsPerJob (always),
//
// and a job that is not time_based also ends, as in fio, once it has
// moved as many bytes as its region holds (size= capped at the file).
// time_based without runtime runs to the bound. Verify reads are extra:
// at most one per write.
type Limits struct {
	OpsPerSecond int64 // nominal ops per second of runtime (default 1000)
	MaxOpsPerJob int64 // hard bound on workload ops per job (default 1<<18)
	MaxOps       int64 // scenario scale: ops per job (0: no extra bound)
	// FileSize, when non-zero, replaces every job's file size (the
	// scenario's scale-down); offset and a smaller size= scale with it.
	FileSize int64
	// RandomMapMaxUnits bounds the random map (one bit per smallest
	// block). Bigger regions fall back to norandommap behaviour.
	RandomMapMaxUnits int64
}

// MaxPendingVerify bounds the writes a stream remembers for verification,
// so a long verifying job cannot grow memory without bound.
const MaxPendingVerify = 4096

// DefaultLimits are the bounds used when a Limits field is zero.
var DefaultLimits = Limits{OpsPerSecond: 1000, MaxOpsPerJob: 1 << 18, RandomMapMaxUnits: 1 << 21}

func (l Limits) withDefaults() Limits {
	if l.OpsPerSecond <= 0 {
		l.OpsPerSecond = DefaultLimits.OpsPerSecond
	}
	if l.MaxOpsPerJob <= 0 {
		l.MaxOpsPerJob = DefaultLimits.MaxOpsPerJob
	}
	if l.RandomMapMaxUnits <= 0 {
		l.RandomMapMaxUnits = DefaultLimits.RandomMapMaxUnits
	}
	return l
}

// Scaled returns j with the scenario's file-size override applied.
func (l Limits) Scaled(j Job) (Job, error) {
	if l.FileSize == 0 || l.FileSize == j.FileSize {
		return j, nil
	}
	if l.FileSize < j.MaxBS() || l.FileSize > MaxFileSize {
		return j, fmt.Errorf("fio: job %s: file size override %d: want between the largest block size %d and %d", j.Name, l.FileSize, j.MaxBS(), MaxFileSize)
	}
	old := j.FileSize
	j.FileSize = l.FileSize
	if j.Size > 0 && j.Size < old {
		j.Size = max(mulDiv(j.Size, l.FileSize, old), j.MinBS())
	}
	j.Offset = mulDiv(j.Offset, l.FileSize, old)
	j.Offset -= j.Offset % j.MinBS()
	if j.Offset+j.MinBS() > j.FileSize {
		j.Offset = 0
	}
	return j, nil
}

// mulDiv returns a×b/c for non-negative a, b and positive c, a < c,
// without overflowing.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c)) // hi < c because a < c
	return int64(q)
}

// OpBudget is the number of workload ops job j may issue under l (see
// Limits), and which bound decided it.
func OpBudget(j *Job, l Limits) (n int64, why string) {
	l = l.withDefaults()
	n, why = l.MaxOpsPerJob, "MaxOpsPerJob"
	if j.NumberIOs > 0 && j.NumberIOs < n {
		n, why = j.NumberIOs, "number_ios"
	}
	if j.Runtime > 0 {
		us := int64(j.Runtime / time.Microsecond)
		r := (us*l.OpsPerSecond + 999999) / 1000000
		if us > 0 && r/us > l.OpsPerSecond { // overflow guard
			r = n
		}
		if r < n {
			n, why = r, "runtime"
		}
	}
	if l.MaxOps > 0 && l.MaxOps < n {
		n, why = l.MaxOps, "scenario max_ops"
	}
	return n, why
}

// OpKind is what an Op does.
type OpKind uint8

const (
	OpCreate    OpKind = iota // open(O_CREAT): make the file if it does not exist
	OpWrite                   // pwrite / io_submit(IOCB_CMD_PWRITE)
	OpRead                    // pread / io_submit(IOCB_CMD_PREAD)
	OpFallocate               // fallocate(2) with Falloc flags (no PUNCH_HOLE)
	OpPunch                   // fallocate(FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE)
	OpTrim                    // BLKDISCARD-style trim of a data engine (not a punch)
)

var opKindNames = [...]string{
	OpCreate: "create", OpWrite: "write", OpRead: "read",
	OpFallocate: "fallocate", OpPunch: "punch", OpTrim: "trim",
}

func (k OpKind) String() string {
	if int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// Op is one I/O a job issues.
type Op struct {
	Job    int    // index into Workload.Jobs; -1 for file setup ops
	Seq    uint64 // position in the job's stream, from 0
	Kind   OpKind
	Falloc FallocFlags // for OpFallocate and OpPunch
	File   string
	Offset int64
	Length int64
	Direct bool // O_DIRECT
	Async  bool // submitted through libaio: completes later, up to the job's iodepth in flight
	// Verify: on a write, fio would later check this block; on a read,
	// this is a verify read and Data is what it must find.
	Verify bool
	// Barrier: wait until all earlier ops of this job have completed
	// before issuing this one (fio verifies only completed writes).
	Barrier bool
	// Data is the content a write puts down, or the content a verify
	// read expects. Length 0 means zeros (setup writes).
	Data VerifySpec
}

func (o Op) String() string {
	s := fmt.Sprintf("job %d #%d %s", o.Job, o.Seq, o.Kind)
	if o.Falloc != 0 {
		s += "(" + o.Falloc.String() + ")"
	}
	s += fmt.Sprintf(" %s [%d, +%d)", o.File, o.Offset, o.Length)
	if o.Direct {
		s += " direct"
	}
	if o.Async {
		s += " aio"
	}
	if o.Verify {
		s += " verify"
	}
	return s
}

// splitmix64 mixes a seed; it derives independent per-job seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream generates one job's ops. It is deterministic: the same job,
// limits and seed give the same ops.
type Stream struct {
	job    Job
	jobIdx int
	rng    *rand.Rand
	kind   [3]OpKind // by direction: read, write, trim
	flags  [3]FallocFlags
	start  int64 // region start
	length int64 // region length
	unit   int64 // smallest block size: alignment and random-map unit
	units  int64 // units in the region

	budget     int64 // workload ops allowed
	issued     int64 // workload ops issued
	bytesDone  int64
	seq        uint64 // next Op.Seq
	writes     uint64 // next Data.Seq (fio's numberio)
	pos        int64  // sequential: next offset relative to start
	rmap       *randomMap
	contentKey uint64

	pending   []VerifySpec  // written, not yet verified
	pendingAt map[int64]int // offset → index in pending (overwrites replace)
	queue     []Op          // verify reads ready to emit
	done      bool
}

const (
	dirRead = iota
	dirWrite
	dirTrim
)

// NewStream returns the op stream of w.Jobs[idx] for seed under l.
func (w *Workload) NewStream(idx int, seed uint64, l Limits) (*Stream, error) {
	if idx < 0 || idx >= len(w.Jobs) {
		return nil, fmt.Errorf("fio: no job %d (have %d)", idx, len(w.Jobs))
	}
	l = l.withDefaults()
	j, err := l.Scaled(w.Jobs[idx])
	if err != nil {
		return nil, err
	}
	js := splitmix64(seed ^ splitmix64(uint64(idx)+1))
	s := &Stream{
		job: j, jobIdx: idx,
		rng:        rand.New(rand.NewPCG(js, splitmix64(js))),
		contentKey: splitmix64(js ^ 0x5eed),
		unit:       j.MinBS(),
	}
	s.start, s.length = j.Region()
	s.units = s.length / s.unit
	s.budget, _ = OpBudget(&j, l)
	if s.units == 0 {
		s.done = true
	}
	if j.RW.Random() && !j.NoRandomMap && s.units <= l.RandomMapMaxUnits {
		s.rmap = newRandomMap(s.units)
	}
	if j.Engine == EngineFalloc {
		// fio's falloc engine: a write allocates (mode 0, may extend
		// i_size), a trim punches, a read preallocates keeping the size.
		s.kind = [3]OpKind{OpFallocate, OpFallocate, OpPunch}
		s.flags = [3]FallocFlags{FALLOC_FL_KEEP_SIZE, 0, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE}
	} else {
		s.kind = [3]OpKind{OpRead, OpWrite, OpTrim}
	}
	if j.Verify != VerifyNone {
		s.pendingAt = map[int64]int{}
	}
	return s, nil
}

// Streams returns the streams of all jobs.
func (w *Workload) Streams(seed uint64, l Limits) ([]*Stream, error) {
	out := make([]*Stream, len(w.Jobs))
	for i := range w.Jobs {
		s, err := w.NewStream(i, seed, l)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// Job returns the (scaled) job the stream belongs to.
func (s *Stream) Job() *Job { return &s.job }

// Budget returns the number of workload ops the stream may issue.
func (s *Stream) Budget() int64 { return s.budget }

// Next returns the next op, or false when the job has finished.
func (s *Stream) Next() (Op, bool) {
	if len(s.queue) > 0 {
		op := s.queue[0]
		s.queue = s.queue[1:]
		return op, true
	}
	if s.done || s.issued >= s.budget || (!s.job.TimeBased && s.bytesDone >= s.length) {
		s.done = true
		if len(s.pending) > 0 {
			s.flushVerify()
			return s.Next()
		}
		return Op{}, false
	}
	dir := s.direction()
	off, n, ok := s.place(s.pickBS())
	if !ok {
		s.done = true
		return s.Next()
	}
	op := Op{
		Job: s.jobIdx, Seq: s.seq, Kind: s.kind[dir], Falloc: s.flags[dir],
		File: s.job.File, Offset: s.start + off, Length: n,
		Direct: s.job.Direct && s.job.Engine != EngineFalloc,
		Async:  s.job.Engine.Async(),
	}
	s.seq++
	s.issued++
	s.bytesDone += n
	if op.Kind == OpWrite {
		op.Data = VerifySpec{Job: uint32(s.jobIdx), JobName: s.job.Name, Seq: s.writes, Offset: op.Offset, Length: uint32(n), Seed: s.contentKey}
		s.writes++
		if s.pendingAt != nil {
			op.Verify = true
			s.addPending(op.Data)
			backlog := s.job.VerifyBacklog
			if backlog <= 0 || backlog > MaxPendingVerify {
				backlog = MaxPendingVerify
			}
			if int64(len(s.pendingAt)) >= backlog {
				s.flushVerify()
			}
		}
	}
	return op, true
}

func (s *Stream) direction() int {
	switch s.job.RW {
	case RWRead, RWRandRead:
		return dirRead
	case RWTrim, RWRandTrim:
		return dirTrim
	case RWRW, RWRandRW:
		if s.rng.IntN(100) < s.job.RWMixRead {
			return dirRead
		}
	}
	return dirWrite
}

// pickBS draws a block size by the bssplit weights.
func (s *Stream) pickBS() int64 {
	if len(s.job.BSSplit) == 1 {
		return s.job.BSSplit[0].Size
	}
	r := s.rng.IntN(100)
	for _, b := range s.job.BSSplit {
		if r < b.Perc {
			return b.Size
		}
		r -= b.Perc
	}
	return s.job.BSSplit[len(s.job.BSSplit)-1].Size
}

// place chooses the offset (relative to the region) of an I/O of up to
// n bytes and returns its final length.
func (s *Stream) place(n int64) (int64, int64, bool) {
	need := (n + s.unit - 1) / s.unit
	if need > s.units {
		need, n = s.units, s.units*s.unit
	}
	if !s.job.RW.Random() {
		if s.pos+n > s.length {
			want := n
			n = (s.length - s.pos) / s.unit * s.unit
			if n == 0 { // end of a pass: time_based jobs start over
				s.pos, n = 0, min(want, s.length/s.unit*s.unit)
			}
		}
		off := s.pos
		s.pos += n
		return off, n, n > 0
	}
	if s.rmap == nil {
		u := s.rng.Int64N(s.units - need + 1)
		return u * s.unit, n, true
	}
	// fio's random map (norandommap=0): every block once per pass. A
	// taken block moves the I/O to the next free one; an I/O that would
	// run into a taken block is shortened.
	if s.rmap.used == s.rmap.n {
		s.rmap.reset()
	}
	u := s.rmap.nextFree(s.rng.Int64N(s.units))
	run := s.rmap.freeRun(u, need)
	if run < need {
		n = run * s.unit
	}
	s.rmap.mark(u, run)
	return u * s.unit, n, true
}

func (s *Stream) addPending(v VerifySpec) {
	if i, ok := s.pendingAt[v.Offset]; ok {
		s.pending[i].Length = 0 // superseded by the new write
	}
	s.pendingAt[v.Offset] = len(s.pending)
	s.pending = append(s.pending, v)
}

// flushVerify queues verify reads for every pending write.
func (s *Stream) flushVerify() {
	live := s.pending[:0]
	for _, v := range s.pending {
		if v.Length > 0 {
			live = append(live, v)
		}
	}
	if s.job.VerifySort {
		slices.SortFunc(live, func(a, b VerifySpec) int { return cmp.Compare(a.Offset, b.Offset) })
	}
	for i, v := range live {
		s.queue = append(s.queue, Op{
			Job: s.jobIdx, Seq: s.seq, Kind: OpRead, File: s.job.File,
			Offset: v.Offset, Length: int64(v.Length),
			Direct: s.job.Direct, Async: s.job.Engine.Async(),
			Verify: true, Barrier: i == 0, Data: v,
		})
		s.seq++
	}
	s.pending = s.pending[:0]
	clear(s.pendingAt)
}

// Setup returns the ops fio performs before the jobs start: one OpCreate
// per file, then, for a file whose first job does not use
// create_on_open, the layout: the fallocate= preallocation over the
// file, and for jobs that read, writes filling the file (fio "lays out"
// a file it must read). Files are laid out once, at the largest file
// size of the jobs sharing them.
func (w *Workload) Setup(l Limits) ([]Op, error) {
	l = l.withDefaults()
	type fileInfo struct {
		first Job
		size  int64
		reads bool
	}
	files := map[string]*fileInfo{}
	var order []string
	for i := range w.Jobs {
		j, err := l.Scaled(w.Jobs[i])
		if err != nil {
			return nil, err
		}
		f, ok := files[j.File]
		if !ok {
			f = &fileInfo{first: j}
			files[j.File] = f
			order = append(order, j.File)
		}
		f.size = max(f.size, j.FileSize)
		f.reads = f.reads || (j.RW.Reads() && j.Engine != EngineFalloc)
	}
	var ops []Op
	for _, name := range order {
		ops = append(ops, Op{Job: -1, Seq: uint64(len(ops)), Kind: OpCreate, File: name})
	}
	for _, name := range order {
		f := files[name]
		if f.first.CreateOnOpen {
			continue // fio opens with O_CREAT when the job starts: size 0
		}
		switch f.first.Fallocate {
		case FallocatePosix, FallocateNative:
			ops = append(ops, Op{Job: -1, Seq: uint64(len(ops)), Kind: OpFallocate, File: name, Length: f.size})
		case FallocateKeep:
			ops = append(ops, Op{Job: -1, Seq: uint64(len(ops)), Kind: OpFallocate, Falloc: FALLOC_FL_KEEP_SIZE, File: name, Length: f.size})
		}
		if !f.reads {
			continue
		}
		bs := f.first.MaxBS()
		if f.size/bs > l.MaxOpsPerJob {
			return nil, fmt.Errorf("fio: laying out %s takes %d writes of %d bytes, limit %d", name, f.size/bs, bs, l.MaxOpsPerJob)
		}
		for off := int64(0); off < f.size; off += bs {
			ops = append(ops, Op{Job: -1, Seq: uint64(len(ops)), Kind: OpWrite, File: name, Offset: off, Length: min(bs, f.size-off)})
		}
	}
	return ops, nil
}

// randomMap is fio's axmap in miniature: one bit per unit, plus one bit
// per 64-unit word that is full, so finding a free unit is fast.
type randomMap struct {
	n     int64
	used  int64
	words []uint64
	full  []uint64
}

func newRandomMap(n int64) *randomMap {
	nw := (n + 63) / 64
	return &randomMap{n: n, words: make([]uint64, nw), full: make([]uint64, (nw+63)/64)}
}

func (m *randomMap) reset() {
	clear(m.words)
	clear(m.full)
	m.used = 0
}

func (m *randomMap) isSet(u int64) bool { return m.words[u/64]&(1<<(u%64)) != 0 }

// nextFree returns the first free unit at or after u, wrapping around.
// The map must not be full.
func (m *randomMap) nextFree(u int64) int64 {
	for range 2 {
		for u < m.n {
			w := u / 64
			if m.full[w/64] == ^uint64(0) {
				u = (w/64 + 1) * 64 * 64
				continue
			}
			if m.full[w/64]&(1<<(w%64)) != 0 {
				u = (w + 1) * 64
				continue
			}
			if !m.isSet(u) {
				return u
			}
			u++
		}
		u = 0
	}
	return 0 // unreachable while used < n
}

// freeRun counts free units from u, up to max.
func (m *randomMap) freeRun(u, max int64) int64 {
	k := int64(0)
	for k < max && u+k < m.n && !m.isSet(u+k) {
		k++
	}
	return k
}

func (m *randomMap) mark(u, k int64) {
	for i := u; i < u+k; i++ {
		w := i / 64
		m.words[w] |= 1 << (i % 64)
		if m.words[w] == ^uint64(0) || (w == int64(len(m.words))-1 && m.words[w] == lastWordMask(m.n)) {
			m.full[w/64] |= 1 << (w % 64)
		}
	}
	m.used += k
}

func lastWordMask(n int64) uint64 {
	if n%64 == 0 {
		return ^uint64(0)
	}
	return (1 << (n % 64)) - 1
}
