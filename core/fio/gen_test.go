package fio

import (
	"math"
	"reflect"
	"testing"
)

func collect(t *testing.T, w *Workload, idx int, seed uint64, l Limits) []Op {
	t.Helper()
	s, err := w.NewStream(idx, seed, l)
	if err != nil {
		t.Fatal(err)
	}
	var ops []Op
	for {
		op, ok := s.Next()
		if !ok {
			return ops
		}
		ops = append(ops, op)
		if len(ops) > 1<<21 {
			t.Fatal("stream does not end")
		}
	}
}

func TestStreamDeterministic(t *testing.T) {
	w := mustParse(t, readExample(t, "generic-300-small.fio"))
	for i := range w.Jobs {
		a := collect(t, w, i, 42, Limits{})
		b := collect(t, w, i, 42, Limits{})
		c := collect(t, w, i, 43, Limits{})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("job %s: same seed, different ops", w.Jobs[i].Name)
		}
		if len(a) > 2 && reflect.DeepEqual(a, c) {
			t.Errorf("job %s: seeds 42 and 43 give the same ops", w.Jobs[i].Name)
		}
	}
	// Clones of one section draw different offsets.
	a, b := collect(t, w, 0, 42, Limits{}), collect(t, w, 1, 42, Limits{})
	if reflect.DeepEqual(offsets(a), offsets(b)) {
		t.Error("direct_aio_raicer.0 and .1 write the same offsets")
	}
}

func offsets(ops []Op) []int64 {
	var o []int64
	for _, op := range ops {
		o = append(o, op.Offset)
	}
	return o
}

func TestSmallGeneric300Ops(t *testing.T) {
	w := mustParse(t, readExample(t, "generic-300-small.fio"))
	wantN := map[string]int{"direct_aio_raicer.0": 16, "direct_aio_raicer.1": 16, "falloc_raicer.0": 8, "punch_hole_raicer.0": 8, "aio-dio-verifier.0": 64}
	for i, j := range w.Jobs {
		ops := collect(t, w, i, 7, Limits{})
		if len(ops) != wantN[j.Name] {
			t.Errorf("%s: %d ops, want %d", j.Name, len(ops), wantN[j.Name])
		}
		for _, op := range ops {
			if op.Offset < 0 || op.Offset+op.Length > 2<<20 || op.Offset%j.MinBS() != 0 || op.Length <= 0 || op.Length > j.MaxBS() {
				t.Errorf("%s: op out of bounds or unaligned: %v", j.Name, op)
			}
			switch j.Section {
			case "direct_aio_raicer":
				if op.Kind != OpWrite || !op.Direct || !op.Async || op.Data.Length != uint32(op.Length) || op.Verify {
					t.Errorf("%s: %v", j.Name, op)
				}
			case "falloc_raicer":
				if op.Kind != OpFallocate || op.Falloc != 0 || op.Direct || op.Async {
					t.Errorf("%s: %v, want fallocate(mode 0)", j.Name, op)
				}
			case "punch_hole_raicer":
				if op.Kind != OpPunch || op.Falloc != FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE || op.Length != 4096 {
					t.Errorf("%s: %v, want fallocate(KEEP_SIZE|PUNCH_HOLE) of 4k", j.Name, op)
				}
			}
		}
	}
	// The verifier: 8 writes, then 8 verify reads sorted by offset, the
	// first with a barrier, each expecting what was written.
	ops := collect(t, w, 4, 7, Limits{})
	written := map[int64]VerifySpec{}
	for k, op := range ops {
		batch := k / 8
		if batch%2 == 0 {
			if op.Kind != OpWrite || !op.Verify {
				t.Fatalf("op %d: %v, want a verify write", k, op)
			}
			written[op.Offset] = op.Data
			continue
		}
		if op.Kind != OpRead || !op.Verify || op.Barrier != (k%8 == 0) || op.Data != written[op.Offset] {
			t.Fatalf("op %d: %v, want a verify read of the write at that offset", k, op)
		}
		if k%8 > 0 && op.Offset < ops[k-1].Offset {
			t.Fatalf("verifysort: op %d offset %d after %d", k, op.Offset, ops[k-1].Offset)
		}
	}
}

func TestFullGeneric300Budget(t *testing.T) {
	w := mustParse(t, readExample(t, "generic-300.fio"))
	for i, want := range []int64{100000, 100000, 100000, 100000, 100000, 100000, 100000, 1 << 18} {
		n, why := OpBudget(&w.Jobs[i], Limits{})
		if n != want {
			t.Errorf("%s: budget %d (%s), want %d", w.Jobs[i].Name, n, why, want)
		}
	}
	// The verifier is not time_based: one pass over the 512 MiB file in
	// 4 KiB blocks, each written once (random map) and verified once.
	ops := collect(t, w, 7, 1, Limits{})
	seen := map[int64]bool{}
	writes, reads := 0, 0
	for _, op := range ops {
		if op.Kind == OpWrite {
			if seen[op.Offset] {
				t.Fatalf("offset %d written twice in one pass", op.Offset)
			}
			seen[op.Offset] = true
			writes++
		} else {
			reads++
		}
	}
	if writes != 131072 || reads != 131072 {
		t.Errorf("verifier: %d writes, %d verify reads; want 131072 each", writes, reads)
	}
	// Scaled down by the scenario.
	n, why := OpBudget(&w.Jobs[0], Limits{MaxOps: 50})
	if n != 50 || why != "scenario max_ops" {
		t.Errorf("scaled budget %d (%s)", n, why)
	}
}

func TestBSSplitDistribution(t *testing.T) {
	w := mustParse(t, "[j]\nfilesize=1g\nioengine=falloc\nrw=randwrite\nnorandommap\nbssplit=128k/80:512k/10:32k/10\ntime_based\nnumber_ios=20000\n")
	ops := collect(t, w, 0, 12345, Limits{})
	if len(ops) != 20000 {
		t.Fatalf("%d ops", len(ops))
	}
	count := map[int64]int{}
	for _, op := range ops {
		count[op.Length]++
		if op.Offset%(32<<10) != 0 {
			t.Fatalf("offset %d not aligned to the smallest block size", op.Offset)
		}
	}
	for size, perc := range map[int64]float64{128 << 10: 80, 512 << 10: 10, 32 << 10: 10} {
		got := float64(count[size]) * 100 / float64(len(ops))
		if math.Abs(got-perc) > 1.5 {
			t.Errorf("bs %d: %.2f%% of ops, want %.0f%% ± 1.5", size, got, perc)
		}
	}
}

func TestRandomMapOnePass(t *testing.T) {
	// 64 blocks of 4k, time_based: every pass visits each block once.
	w := mustParse(t, "[j]\nfilesize=256k\nbs=4k\nrw=randwrite\ntime_based\nruntime=1\nnumber_ios=192\n")
	ops := collect(t, w, 0, 9, Limits{})
	if len(ops) != 192 {
		t.Fatalf("%d ops", len(ops))
	}
	for pass := 0; pass < 3; pass++ {
		seen := map[int64]bool{}
		for _, op := range ops[pass*64 : (pass+1)*64] {
			if seen[op.Offset] {
				t.Fatalf("pass %d: offset %d twice", pass, op.Offset)
			}
			seen[op.Offset] = true
		}
	}
	// With mixed sizes the map shortens an I/O that runs into a taken block
	// and the pass still covers the region exactly once.
	w = mustParse(t, "[j]\nfilesize=1m\nbssplit=4k/50:64k/50\nrw=randwrite\n")
	ops = collect(t, w, 0, 3, Limits{})
	covered := make([]bool, 256)
	for _, op := range ops {
		for b := op.Offset / 4096; b < (op.Offset+op.Length)/4096; b++ {
			if covered[b] {
				t.Fatalf("block %d covered twice", b)
			}
			covered[b] = true
		}
	}
	for b, c := range covered {
		if !c {
			t.Fatalf("block %d never written", b)
		}
	}
}

func TestSequentialAndMix(t *testing.T) {
	w := mustParse(t, readExample(t, "punch-vs-dio.fio"))
	ops := collect(t, w, 0, 1, Limits{})
	if len(ops) != 4 {
		t.Fatalf("fill: %d ops, want 4", len(ops))
	}
	for k, op := range ops {
		if op.Offset != int64(k)*65536 || op.Length != 65536 || op.Kind != OpWrite || op.Async || !op.Direct {
			t.Errorf("fill op %d: %v", k, op)
		}
	}
	w = mustParse(t, "[j]\nfilesize=1m\nrw=randrw\nrwmixread=30\nnorandommap\ntime_based\nnumber_ios=10000\n")
	reads := 0
	for _, op := range collect(t, w, 0, 5, Limits{}) {
		if op.Kind == OpRead {
			reads++
		}
	}
	if reads < 2800 || reads > 3200 {
		t.Errorf("randrw rwmixread=30: %d reads of 10000", reads)
	}
	// Sequential time_based wraps around.
	w = mustParse(t, "[j]\nfilesize=64k\nbs=16k\nrw=write\ntime_based\nnumber_ios=6\n")
	got := offsets(collect(t, w, 0, 1, Limits{}))
	if !reflect.DeepEqual(got, []int64{0, 16384, 32768, 49152, 0, 16384}) {
		t.Errorf("sequential offsets %v", got)
	}
}

func TestScaledFileSize(t *testing.T) {
	w := mustParse(t, readExample(t, "generic-300.fio"))
	ops := collect(t, w, 0, 1, Limits{FileSize: 2 << 20, MaxOps: 100})
	if len(ops) != 100 {
		t.Fatalf("%d ops", len(ops))
	}
	for _, op := range ops {
		if op.Offset+op.Length > 2<<20 {
			t.Fatalf("op past the scaled file: %v", op)
		}
	}
	if _, err := w.NewStream(0, 1, Limits{FileSize: 4096}); err == nil {
		t.Error("file size smaller than bs accepted")
	}
	if _, err := w.NewStream(99, 1, Limits{}); err == nil {
		t.Error("bad job index accepted")
	}
}

func TestSetup(t *testing.T) {
	w := mustParse(t, readExample(t, "generic-300.fio"))
	ops, err := w.Setup(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// create_on_open=1: both files are just created, empty.
	if len(ops) != 2 || ops[0].Kind != OpCreate || ops[0].File != "/mnt/scratch/racer" || ops[1].File != "/mnt/scratch/aio-dio-verifier" {
		t.Errorf("setup %v", ops)
	}
	w = mustParse(t, "[j]\nfilesize=64k\nbs=16k\nrw=randread\nfallocate=keep\n")
	ops, _ = w.Setup(Limits{})
	if len(ops) != 6 || ops[1].Kind != OpFallocate || ops[1].Falloc != FALLOC_FL_KEEP_SIZE || ops[1].Length != 65536 || ops[5].Kind != OpWrite || ops[5].Offset != 49152 {
		t.Errorf("layout %v", ops)
	}
}

func BenchmarkStreamGeneric300(b *testing.B) {
	w, err := Parse(readExample(b, "generic-300.fio"), testVars)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, _ := w.NewStream(0, 1, Limits{})
		for {
			if _, ok := s.Next(); !ok {
				break
			}
		}
	}
}

func TestScaledOffsetNoOverflow(t *testing.T) {
	w := mustParse(t, "[j]\nfilesize=1t\noffset=1023g\nsize=1g\nrw=write\nbs=1m\n")
	j, err := Limits{FileSize: 1 << 30}.Scaled(w.Jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if j.Offset != 1023<<20 || j.Size != 1<<20 || j.FileSize != 1<<30 {
		t.Errorf("scaled offset %d size %d file %d", j.Offset, j.Size, j.FileSize)
	}
}
