package image

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// refDevice is the reference a Device is checked against: the flat bytes
// and which chunks count as populated (Used), by the rules the device
// documents: a chunk becomes populated when non-zero bytes are written
// into it, and a hole again when overwritten or discarded whole, or when
// a partial discard leaves it all zeros.
type refDevice struct {
	data   []byte
	mapped []bool
}

func newRef(size int) *refDevice {
	return &refDevice{data: make([]byte, size), mapped: make([]bool, (size+ChunkSize-1)/ChunkSize)}
}

func (r *refDevice) clone() *refDevice {
	return &refDevice{data: bytes.Clone(r.data), mapped: append([]bool(nil), r.mapped...)}
}

func (r *refDevice) write(p []byte, off int) {
	for done := 0; done < len(p); {
		pos := off + done
		idx, in := pos/ChunkSize, pos%ChunkSize
		m := min(ChunkSize-in, len(p)-done)
		src := p[done : done+m]
		switch {
		case !r.mapped[idx]:
			r.mapped[idx] = !isZero(src)
		case m == ChunkSize && isZero(src):
			r.mapped[idx] = false
		}
		done += m
	}
	copy(r.data[off:], p)
}

func (r *refDevice) discard(off, n int) {
	clear(r.data[off : off+n])
	for pos := off; pos < off+n; {
		idx, in := pos/ChunkSize, pos%ChunkSize
		m := min(ChunkSize-in, off+n-pos)
		if r.mapped[idx] && (m == ChunkSize || isZero(r.data[idx*ChunkSize:min((idx+1)*ChunkSize, len(r.data))])) {
			r.mapped[idx] = false
		}
		pos += m
	}
}

func (r *refDevice) used() int64 {
	var n int64
	for _, m := range r.mapped {
		if m {
			n += ChunkSize
		}
	}
	return n
}

// randomPayload makes the shapes of data that exercise short chunks:
// random bytes, zeros, a non-zero head with a zero tail, a lone byte.
func randomPayload(rng *rand.Rand, n int) []byte {
	p := make([]byte, n)
	switch rng.IntN(5) {
	case 0: // zeros
	case 1:
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
	case 2:
		for i := range p[:rng.IntN(n+1)] {
			p[i] = byte(rng.Uint32()) | 1
		}
	case 3:
		if n > 0 {
			p[rng.IntN(n)] = byte(rng.IntN(255) + 1)
		}
	case 4:
		for i := range p {
			p[i] = 0x5a
		}
	}
	return p
}

func checkDevice(t *testing.T, what string, d *Device, r *refDevice) {
	t.Helper()
	got := make([]byte, len(r.data))
	if _, err := d.ReadAt(got, 0); err != nil {
		t.Fatalf("%s: ReadAt: %v", what, err)
	}
	if i := firstDiff(got, r.data); i >= 0 {
		t.Fatalf("%s: ReadAt byte %d = %#x, want %#x", what, i, got[i], r.data[i])
	}
	var viewed []byte
	if err := d.View(0, int64(len(r.data)), func(b []byte) {
		if len(b) > ChunkSize {
			t.Fatalf("%s: View piece of %d bytes", what, len(b))
		}
		viewed = append(viewed, b...)
	}); err != nil {
		t.Fatalf("%s: View: %v", what, err)
	}
	if i := firstDiff(viewed, r.data); i >= 0 {
		t.Fatalf("%s: View byte %d differs (len %d)", what, i, len(viewed))
	}
	var saved bytes.Buffer
	if err := d.Save(&saved, Raw); err != nil {
		t.Fatalf("%s: Save: %v", what, err)
	}
	if i := firstDiff(saved.Bytes(), r.data); i >= 0 {
		t.Fatalf("%s: Save byte %d differs (len %d)", what, i, saved.Len())
	}
	if d.Used() != r.used() {
		t.Fatalf("%s: Used = %d, want %d", what, d.Used(), r.used())
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestCopyOnWriteModel drives several devices related by Clone and
// ResetTo through random writes and discards (short and full chunks,
// zero writes, writes on both sides of a clone) and checks every read
// path against a flat reference after each step.
func TestCopyOnWriteModel(t *testing.T) {
	const size = 24*ChunkSize + 1000 // a partial last chunk
	for seed := uint64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		devs := []*Device{New(size)}
		refs := []*refDevice{newRef(size)}
		for step := 0; step < 400; step++ {
			i := rng.IntN(len(devs))
			d, r := devs[i], refs[i]
			switch op := rng.IntN(11); {
			case op < 5:
				n := rng.IntN(3*ChunkSize) + 1
				if rng.IntN(3) == 0 {
					n = ChunkSize
				}
				off := rng.IntN(size - n + 1)
				if rng.IntN(2) == 0 {
					off -= off % ChunkSize
					n = min(n, size-off)
				}
				p := randomPayload(rng, n)
				if _, err := d.WriteAt(p, int64(off)); err != nil {
					t.Fatal(err)
				}
				r.write(p, off)
			case op < 7:
				n := rng.IntN(2*ChunkSize) + 1
				off := rng.IntN(size - n + 1)
				if err := d.Discard(int64(off), int64(n)); err != nil {
					t.Fatal(err)
				}
				r.discard(off, n)
			case op < 8 && rng.IntN(2) == 0:
				// CopyRange, chunk-aligned (shared) or not (copied).
				n := rng.IntN(3*ChunkSize) + 1
				src, dst := rng.IntN(size-n+1), rng.IntN(size-n+1)
				if rng.IntN(2) == 0 {
					src -= src % ChunkSize
					dst -= dst % ChunkSize
				}
				err := d.CopyRange(int64(dst), int64(src), int64(n))
				if src < dst+n && dst < src+n {
					if err == nil {
						t.Fatalf("CopyRange of overlapping ranges %d→%d (%d bytes): no error", src, dst, n)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				r.write(bytes.Clone(r.data[src:src+n]), dst)
			case op < 9 && len(devs) < 5:
				devs = append(devs, d.Clone())
				refs = append(refs, r.clone())
			case op < 10 && len(devs) > 1:
				j := rng.IntN(len(devs))
				if j == i {
					continue
				}
				d.ResetTo(devs[j])
				refs[i] = refs[j].clone()
			default:
				if len(devs) > 1 && rng.IntN(4) == 0 {
					devs = append(devs[:i], devs[i+1:]...)
					refs = append(refs[:i], refs[i+1:]...)
				}
			}
			if step%20 != 19 {
				continue
			}
			for k := range devs {
				checkDevice(t, "seed "+itoa(seed)+" step "+itoa(uint64(step))+" device "+itoa(uint64(k)), devs[k], refs[k])
			}
		}
		// The sparse raw file and a compressed round trip of the last
		// devices read back the same bytes.
		for k, d := range devs {
			path := filepath.Join(t.TempDir(), "img.raw")
			if err := d.SaveFile(path); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if i := firstDiff(raw, refs[k].data); i >= 0 {
				t.Fatalf("seed %d device %d: raw file byte %d differs", seed, k, i)
			}
			fd, err := OpenFileDevice(path)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(refs[k].data))
			if _, err := fd.ReadAt(got, 0); err != nil {
				t.Fatal(err)
			}
			fd.Close()
			if i := firstDiff(got, refs[k].data); i >= 0 {
				t.Fatalf("seed %d device %d: FileDevice byte %d differs", seed, k, i)
			}
			var z bytes.Buffer
			if err := d.Save(&z, Zstd); err != nil {
				t.Fatal(err)
			}
			back, err := Load(&z, "img.zst")
			if err != nil {
				t.Fatal(err)
			}
			checkDevice(t, "reloaded", back, &refDevice{data: refs[k].data, mapped: nonZeroChunks(refs[k].data)})
		}
	}
}

func nonZeroChunks(b []byte) []bool {
	m := make([]bool, (len(b)+ChunkSize-1)/ChunkSize)
	for i := range m {
		m[i] = !isZero(b[i*ChunkSize : min((i+1)*ChunkSize, len(b))])
	}
	return m
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestShortChunks: a block that ends in zeros stores its non-zero head
// only, and grows in place or into a full buffer when written further.
func TestShortChunks(t *testing.T) {
	d := New(4 * ChunkSize)
	blk := make([]byte, ChunkSize)
	copy(blk, "backup block numbers")
	if _, err := d.WriteAt(blk, ChunkSize); err != nil {
		t.Fatal(err)
	}
	if got := d.Footprint(); got > smallAlign+chunkOverhead {
		t.Errorf("Footprint of a 20-byte block = %d, want at most %d", got, smallAlign+chunkOverhead)
	}
	if d.Used() != ChunkSize {
		t.Errorf("Used = %d, want %d", d.Used(), ChunkSize)
	}
	tail := []byte{1, 2, 3}
	if _, err := d.WriteAt(tail, 2*ChunkSize-3); err != nil {
		t.Fatal(err)
	}
	if got := d.Footprint(); got != ChunkSize+chunkOverhead {
		t.Errorf("Footprint after writing the last bytes = %d, want %d", got, ChunkSize+chunkOverhead)
	}
	got := make([]byte, ChunkSize)
	d.ReadAt(got, ChunkSize)
	copy(blk[ChunkSize-3:], tail)
	if !bytes.Equal(got, blk) {
		t.Errorf("grown chunk reads %x…%x", got[:24], got[ChunkSize-8:])
	}
}

// TestCloneIsolation: after Clone, writes on either side stay on that
// side, and a clone costs no chunk memory until written.
func TestCloneIsolation(t *testing.T) {
	base := New(8 * ChunkSize)
	base.WriteAt(bytes.Repeat([]byte{1}, 8*ChunkSize), 0)
	c := base.Clone()
	c.WriteAt([]byte{2}, 5)
	base.WriteAt([]byte{3}, ChunkSize+5)
	b := make([]byte, 1)
	for _, tc := range []struct {
		d    *Device
		off  int64
		want byte
	}{{base, 5, 1}, {c, 5, 2}, {base, ChunkSize + 5, 3}, {c, ChunkSize + 5, 1}} {
		tc.d.ReadAt(b, tc.off)
		if b[0] != tc.want {
			t.Errorf("byte %d = %d, want %d", tc.off, b[0], tc.want)
		}
	}
}

// TestResetReusesMemory: a device reset to its base before each run of
// writes allocates nothing once warm, and reads the base again.
func TestResetReusesMemory(t *testing.T) {
	base := New(1 << 20)
	for i := int64(0); i < 8; i++ {
		base.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, 300), i*3*ChunkSize)
	}
	w := base.Clone()
	data := bytes.Repeat([]byte{0xcd}, 16*ChunkSize)
	run := func() {
		w.ResetTo(base)
		w.WriteAt(data, 10*ChunkSize)               // fresh chunks
		w.WriteAt([]byte{9, 9, 9}, 3*ChunkSize+100) // copy-on-write of a base chunk
	}
	run()
	if allocs := testing.AllocsPerRun(50, run); allocs != 0 {
		t.Errorf("reset + writes: %.1f allocations per run, want 0", allocs)
	}
	w.ResetTo(base)
	got, want := make([]byte, 1<<20), make([]byte, 1<<20)
	w.ReadAt(got, 0)
	base.ReadAt(want, 0)
	if !bytes.Equal(got, want) {
		t.Error("reset device differs from its base")
	}
	if want[3*ChunkSize+100] != 2 {
		t.Errorf("base changed by the clone's writes: %d", want[3*ChunkSize+100])
	}
}

// TestConcurrentClones: workers clone one base, write their clones and
// reset them to the base over and over while others read the base; each
// worker sees only its own writes (run with -race to check the sharing).
func TestConcurrentClones(t *testing.T) {
	base := New(64 * ChunkSize)
	for i := int64(0); i < 64; i += 3 {
		base.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, 100+int(i)*50), i*ChunkSize)
	}
	want := make([]byte, 64*ChunkSize)
	base.ReadAt(want, 0)
	errs := make(chan string, 4)
	for w := range 4 {
		go func() {
			d := base.Clone()
			got := make([]byte, len(want))
			for run := range 40 {
				if run%2 == 1 {
					d.ResetTo(base)
				} else {
					d = base.Clone()
				}
				mark := []byte{byte(w + 1), byte(run + 1)}
				for i := int64(0); i < 64; i += 5 {
					d.WriteAt(mark, i*ChunkSize+int64(run))
				}
				d.ReadAt(got, 0)
				for i := int64(0); i < 64; i += 5 {
					p := i*ChunkSize + int64(run)
					if got[p] != mark[0] || got[p+1] != mark[1] {
						errs <- "worker sees another's write"
						return
					}
					copy(got[p:p+2], want[p:p+2])
				}
				if !bytes.Equal(got, want) {
					errs <- "clone differs from base beyond its own writes"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	got := make([]byte, len(want))
	base.ReadAt(got, 0)
	if !bytes.Equal(got, want) {
		t.Error("base changed")
	}
}
