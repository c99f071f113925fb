package sim

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Schedule is the list of choices of a run: for every step at which more
// than one task was runnable, the index of the chosen task among the
// runnable ones in task-id order. It is the interleaving.
type Schedule []uint32

// Bounds on decoded schedules, so a hostile URL cannot exhaust memory.
const (
	ScheduleLenMax   = 1 << 22
	ScheduleValueMax = 1 << 16
	scheduleVersion  = 1
)

// ErrBadSchedule is wrapped by every Decode error.
var ErrBadSchedule = errors.New("bad schedule")

// Encode returns the URL-safe text form: base64url (no padding) of a
// version byte and (value, run length) uvarint pairs, so the long runs of
// "keep going" choices stay short.
func (sc Schedule) Encode() string {
	buf := []byte{scheduleVersion}
	for i := 0; i < len(sc); {
		j := i + 1
		for j < len(sc) && sc[j] == sc[i] {
			j++
		}
		buf = binary.AppendUvarint(buf, uint64(sc[i]))
		buf = binary.AppendUvarint(buf, uint64(j-i))
		i = j
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}

// String is Encode.
func (sc Schedule) String() string { return sc.Encode() }

// DecodeSchedule parses Encode's text, naming what is wrong and where.
func DecodeSchedule(text string) (Schedule, error) {
	if text == "" {
		return nil, fmt.Errorf("%w: empty text", ErrBadSchedule)
	}
	if len(text) > 4*ScheduleLenMax {
		return nil, fmt.Errorf("%w: %d characters is too long", ErrBadSchedule, len(text))
	}
	buf, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%w: not base64url at character %d", ErrBadSchedule, int64(ce))
		}
		return nil, fmt.Errorf("%w: %v", ErrBadSchedule, err)
	}
	if len(buf) == 0 {
		return nil, fmt.Errorf("%w: no version byte", ErrBadSchedule)
	}
	if buf[0] != scheduleVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadSchedule, buf[0], scheduleVersion)
	}
	var sc Schedule
	for off := 1; off < len(buf); {
		v, n := binary.Uvarint(buf[off:])
		if n <= 0 {
			return nil, fmt.Errorf("%w: truncated or overlong choice value at byte %d", ErrBadSchedule, off)
		}
		if v >= ScheduleValueMax {
			return nil, fmt.Errorf("%w: choice value %d at byte %d exceeds %d", ErrBadSchedule, v, off, ScheduleValueMax-1)
		}
		off += n
		r, n := binary.Uvarint(buf[off:])
		if n <= 0 {
			return nil, fmt.Errorf("%w: truncated or overlong run length at byte %d", ErrBadSchedule, off)
		}
		if r == 0 {
			return nil, fmt.Errorf("%w: zero run length at byte %d", ErrBadSchedule, off)
		}
		if r > uint64(ScheduleLenMax-len(sc)) {
			return nil, fmt.Errorf("%w: more than %d choices (run at byte %d)", ErrBadSchedule, ScheduleLenMax, off)
		}
		off += n
		for ; r > 0; r-- {
			sc = append(sc, uint32(v))
		}
	}
	return sc, nil
}

// defaultChoice keeps running the current task if it can (no preemption),
// else takes the lowest-numbered runnable task.
func defaultChoice(c *Choice) int {
	if c.CurrentIndex >= 0 && c.CurrentIndex < len(c.Runnable) && c.Runnable[c.CurrentIndex].Task == c.Current {
		return c.CurrentIndex
	}
	for i, r := range c.Runnable {
		if r.Task == c.Current {
			return i
		}
	}
	return 0
}

type replay struct{ sc Schedule }

// Replay follows sc exactly; once sc is used up it continues with the
// non-preemptive default (keep the current task, else the lowest id).
// A choice out of range ends the run with OutcomeScheduleError.
func Replay(sc Schedule) Strategy { return &replay{sc} }

func (r *replay) Choose(c *Choice) int {
	if c.N < len(r.sc) {
		return int(r.sc[c.N])
	}
	return defaultChoice(c)
}

type random struct{ rng *rand.Rand }

// Random picks uniformly among the runnable tasks, from seed.
func Random(seed uint64) Strategy {
	return &random{rand.New(rand.NewPCG(seed, 0x6578743470_6c6179))}
}

func (r *random) Choose(c *Choice) int { return r.rng.IntN(len(c.Runnable)) }

// pct is Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010): each task gets a random priority above depth
// when it first becomes runnable (so a task spawned late, such as a bio
// completion, lands anywhere among the existing ones); the highest-priority
// runnable task runs; d-1 change points k_1..k_{d-1} are drawn uniformly
// over the run's steps, and the task that executed step k_i drops to
// priority i-1, below every initial priority. The change-point priorities
// follow the draw order, not the time order, so a later drop may land above
// an earlier one, as in the paper. A bug of depth d is found with
// probability at least 1/(n*k^(d-1)).
type pct struct {
	rng     *rand.Rand
	depth   int
	prio    []int64
	changes []pctChange // ascending step
	lowered int
}

type pctChange struct {
	step int   // lower the task that executed this step (1-based)
	prio int64 // to this priority (< depth)
}

// PCT returns the PCT strategy. depth is the bug depth sought (>= 1),
// steps the expected number of steps in a run (the k over which change
// points are drawn; a non-preemptive run's length is a fair estimate).
func PCT(seed uint64, depth, steps int) Strategy {
	if depth < 1 {
		depth = 1
	}
	if steps < 1 {
		steps = 1
	}
	p := &pct{rng: rand.New(rand.NewPCG(seed, 0x7063745f736368)), depth: depth}
	for i := 0; i < depth-1; i++ {
		p.changes = append(p.changes, pctChange{step: 1 + p.rng.IntN(steps), prio: int64(i)})
	}
	for i := 1; i < len(p.changes); i++ {
		for j := i; j > 0 && p.changes[j].step < p.changes[j-1].step; j-- {
			p.changes[j], p.changes[j-1] = p.changes[j-1], p.changes[j]
		}
	}
	return p
}

func (p *pct) priority(id TaskID) int64 {
	for int(id) >= len(p.prio) {
		// Initial priorities lie above every change-point priority (< depth).
		p.prio = append(p.prio, int64(p.depth)+p.rng.Int64N(1<<40))
	}
	return p.prio[id]
}

func (p *pct) best(c *Choice) int {
	best, bp := 0, int64(-1)
	for i, r := range c.Runnable {
		if pr := p.priority(r.Task); pr > bp {
			best, bp = i, pr
		}
	}
	return best
}

func (p *pct) Choose(c *Choice) int {
	for p.lowered < len(p.changes) && p.changes[p.lowered].step <= c.Step {
		// Steps without a choice do not reach the strategy, so a change
		// point there applies to the task that ran last, here.
		victim := c.Current
		if victim < 0 {
			victim = c.Runnable[p.best(c)].Task
		}
		p.priority(victim)
		p.prio[victim] = p.changes[p.lowered].prio
		p.lowered++
	}
	return p.best(c)
}
