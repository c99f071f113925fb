package dio

import (
	"ext4play/core/ext4"
	"ext4play/core/image"
	"ext4play/core/sim"
)

// Arena is what the runs on one goroutine reuse: the simulator's task
// coroutines and the model's buffers. An exploration worker makes one,
// passes it in Options.Arena to every run and Closes it at the end; a run
// without one makes its own. An Arena is for one goroutine at a time and
// holds nothing of a finished run's results.
type Arena struct {
	pool     *sim.Pool
	vol      *ext4.Volume // the run's volume, Reset onto the base image each run
	readBufs [][]byte     // per job: the buffer a DIO read fills (checked at a later step)
	extBufs  [][]ext4.ExtentInfo
	payBufs  [][]byte // free payload buffers (ops past the payload cache)
}

// payloadBufsMax bounds the free payload buffers an arena keeps.
const payloadBufsMax = 64

// payloadBuf returns a buffer of n bytes for a payload FillAt overwrites
// whole.
func (a *Arena) payloadBuf(n int64) []byte {
	for i := len(a.payBufs) - 1; i >= 0; i-- {
		if b := a.payBufs[i]; int64(cap(b)) >= n {
			a.payBufs[i] = a.payBufs[len(a.payBufs)-1]
			a.payBufs[len(a.payBufs)-1] = nil
			a.payBufs = a.payBufs[:len(a.payBufs)-1]
			return b[:n]
		}
	}
	return make([]byte, n)
}

func (a *Arena) putPayloadBuf(b []byte) {
	if len(a.payBufs) < payloadBufsMax {
		a.payBufs = append(a.payBufs, b)
	}
}

// volume returns a volume reading exactly as a fresh clone of base: the
// arena's own, reset (its chunks and buffers are reused), or a new one.
func (a *Arena) volume(base *image.Device) (*ext4.Volume, error) {
	if a.vol != nil {
		if err := a.vol.Reset(base); err != nil {
			a.vol = nil
			return nil, err
		}
		return a.vol, nil
	}
	vol, err := ext4.OpenVolume(base.Clone())
	if err != nil {
		return nil, err
	}
	a.vol = vol
	return vol, nil
}

// extBuf returns inode i's extent snapshot buffer, emptied.
func (a *Arena) extBuf(i int) []ext4.ExtentInfo {
	for len(a.extBufs) <= i {
		a.extBufs = append(a.extBufs, nil)
	}
	return a.extBufs[i][:0]
}

// keepExtBuf remembers inode i's buffer after it grew.
func (a *Arena) keepExtBuf(i int, b []ext4.ExtentInfo) {
	if cap(b) > cap(a.extBufs[i]) {
		a.extBufs[i] = b
	}
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{pool: sim.NewPool()} }

// Close releases the arena's coroutines and volume; it may be used again
// afterwards.
func (a *Arena) Close() {
	if a.pool != nil {
		a.pool.Close()
	}
	a.vol = nil
}

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
