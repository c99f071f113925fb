package sim

import (
	"iter"
	"strconv"
)

// Pool keeps task coroutines between runs. Creating a coroutine (iter.Pull)
// and growing its stack to the model's depth costs more than many steps of
// a short run, so an exploration worker gives every run on its goroutine
// the same Pool (Config.Pool) and Closes it when done. A Pool belongs to one
// goroutine at a time; it holds no state of a run once the run has ended.
type Pool struct {
	idle  []*coro
	names map[string][]*objNames // by kind, index N-1: "kind#N" and its labels
}

// objNames are the strings of an object named "kind#N".
type objNames struct{ name, get, put, free string }

// objNamesMax bounds the names a Pool keeps per kind.
const objNamesMax = 1 << 16

// objNames returns the name and labels of object n (1-based) of kind.
func (p *Pool) objNames(kind string, n int) *objNames {
	list := p.names[kind]
	if n <= len(list) {
		return list[n-1]
	}
	name := kind + "#" + strconv.Itoa(n)
	x := &objNames{name: name, get: "get " + name, put: "put " + name, free: "free " + name}
	if n == len(list)+1 && n <= objNamesMax {
		if p.names == nil {
			p.names = map[string][]*objNames{}
		}
		p.names[kind] = append(list, x)
	}
	return x
}

// poolIdleMax bounds the coroutines a Pool keeps parked (each holds a
// goroutine stack); a run with more tasks alive at once than this creates
// and stops the rest.
const poolIdleMax = 1024

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{} }

// Close stops every parked coroutine. The pool stays usable: a later run
// creates new coroutines (and Close must be called again after it).
func (p *Pool) Close() {
	for _, c := range p.idle {
		c.stop()
	}
	clear(p.idle)
	p.idle = p.idle[:0]
}

// coro is a coroutine that runs task functions one after another: after a
// task's function returns (or unwinds) it parks until it is given the next
// task.
type coro struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	t     *Task // the task it runs, nil while idle
}

func (c *coro) body(yield func(struct{}) bool) {
	c.yield = yield
	for {
		c.t.runFn()
		// Park instead of returning: a coroutine that finishes costs a
		// trip through the Go scheduler; this one waits for its next task.
		if !yield(struct{}{}) {
			return
		}
	}
}

// getCoro gives t a coroutine, parked before t's function starts: the
// first resume runs it.
func (p *Pool) getCoro(t *Task) {
	var c *coro
	if n := len(p.idle); n > 0 {
		c = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
	} else {
		c = &coro{}
		c.next, c.stop = iter.Pull(c.body)
	}
	c.t = t
	t.co = c
}

// putCoro takes back the coroutine of t, whose function has finished.
func (p *Pool) putCoro(t *Task) {
	c := t.co
	t.co = nil
	c.t = nil
	if len(p.idle) >= poolIdleMax {
		c.stop()
		return
	}
	p.idle = append(p.idle, c)
}
