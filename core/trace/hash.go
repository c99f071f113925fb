package trace

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"
)

// Hash is a SHA-256 over a canonical encoding of the whole trace (tables,
// events, verdicts). Two runs with equal hashes did the same thing step for
// step; determinism tests compare hashes across runs and platforms.
func (t *Trace) Hash() string {
	h := sha256.New()
	w := hasher{h: h}
	w.int(int64(t.Steps))
	w.int(int64(len(t.Tasks)))
	for _, x := range t.Tasks {
		w.str(x.Name)
		w.int(int64(x.Ctx))
		w.int(int64(x.Parent))
	}
	w.int(int64(len(t.Locs)))
	for _, l := range t.Locs {
		w.int(int64(l.Kind))
		w.str(l.Name)
		w.str(l.Class)
		w.int(int64(l.Parent))
		w.int(l.Init)
		w.int(int64(l.Format))
	}
	w.int(int64(len(t.Stacks)))
	for _, s := range t.Stacks {
		w.int(int64(s.Parent))
		w.str(s.Func)
	}
	w.int(int64(len(t.Events)))
	for i := range t.Events {
		e := &t.Events[i]
		w.int(int64(e.Step))
		w.int(int64(e.Kind))
		w.int(int64(e.Task))
		w.int(int64(e.Loc))
		w.int(int64(e.Arg))
		w.int(int64(e.Stack))
		w.int(e.Old)
		w.int(e.New)
		w.int(int64(e.Label))
	}
	w.int(int64(len(t.Strings)))
	for _, s := range t.Strings {
		w.str(s)
	}
	w.int(int64(len(t.Verdicts)))
	for i := range t.Verdicts {
		v := &t.Verdicts[i]
		w.int(int64(v.Kind))
		w.str(v.Check)
		w.int(int64(v.Step))
		w.int(int64(v.Task))
		msg := v.Message
		if v.Kind == VerdictPanic {
			// A Go stack has goroutine ids and addresses: keep only the panic value.
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
		}
		w.str(msg)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type hasher struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
}

func (w *hasher) int(x int64) {
	n := binary.PutVarint(w.buf[:], x)
	w.h.Write(w.buf[:n])
}

func (w *hasher) str(s string) {
	w.int(int64(len(s)))
	w.h.Write([]byte(s))
}
