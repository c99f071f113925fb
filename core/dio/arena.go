package dio

import "ext4play/core/sim"

// Arena is what the runs on one goroutine reuse: the simulator's task
// coroutines and the model's buffers. An exploration worker makes one,
// passes it in Options.Arena to every run and Closes it at the end; a run
// without one makes its own. An Arena is for one goroutine at a time and
// holds nothing of a finished run's results.
type Arena struct {
	pool     *sim.Pool
	readBufs [][]byte // per job: the buffer a DIO read fills (checked at a later step)
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{pool: sim.NewPool()} }

// Close releases the arena's coroutines; it may be used again afterwards.
func (a *Arena) Close() { a.pool.Close() }

// readBuf returns job i's read buffer with room for n bytes.
func (a *Arena) readBuf(i int, n int64) []byte {
	for len(a.readBufs) <= i {
		a.readBufs = append(a.readBufs, nil)
	}
	if int64(cap(a.readBufs[i])) < n {
		a.readBufs[i] = make([]byte, n)
	}
	return a.readBufs[i][:n]
}
