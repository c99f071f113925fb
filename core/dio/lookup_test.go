package dio

import (
	"testing"

	"ext4play/core/scenario"
	"ext4play/core/sim"
)

// The two ways the model looks up extents (its snapshot, or core/ext4's
// lookup-only MapBlocks for big trees) give the same runs: same schedule,
// steps and verdicts, also when continuing past the first BUG.
func TestLookupPathsAgree(t *testing.T) {
	for _, name := range []string{scenario.DefaultExample, "punch-vs-dio", "falloc-vs-dio"} {
		p := example(t, name, scenario.KernelV45rc3, true)
		for seed := uint64(0); seed < 25; seed++ {
			a := p.Run(sim.Random(seed), Options{Continue: true})
			old := snapshotExtentsMax
			snapshotExtentsMax = -1 // every tree is "big"
			b := p.Run(sim.Random(seed), Options{Continue: true})
			snapshotExtentsMax = old
			if a.Choices != b.Choices || a.Steps != b.Steps || len(a.Violations) != len(b.Violations) {
				t.Fatalf("%s seed %d: snapshot %s/%d steps/%d violations, core/ext4 %s/%d/%d", name, seed,
					a.Verdict, a.Steps, len(a.Violations), b.Verdict, b.Steps, len(b.Violations))
			}
			for i := range a.Violations {
				if a.Violations[i].Message != b.Violations[i].Message || a.Violations[i].Step != b.Violations[i].Step {
					t.Fatalf("%s seed %d: violation %d differs:\n%+v\n%+v", name, seed, i, a.Violations[i], b.Violations[i])
				}
			}
		}
	}
}

// Payloads past the shared cache come from arena buffers that are reused
// once an op is checked: the runs are the same as with the cache.
func TestPayloadBuffersAgree(t *testing.T) {
	p := example(t, scenario.DefaultExample, scenario.KernelV45rc3, true)
	a := NewArena()
	defer a.Close()
	for seed := uint64(0); seed < 20; seed++ {
		want := p.Run(sim.Random(seed), Options{Continue: true})
		old := payloadCacheMax
		payloadCacheMax = -1 // nothing goes into the cache
		payloads.Clear()
		payloadBytes.Store(0)
		got := p.Run(sim.Random(seed), Options{Continue: true, Arena: a})
		payloadCacheMax = old
		if want.Choices != got.Choices || len(want.Violations) != len(got.Violations) {
			t.Fatalf("seed %d: cached %s/%d violations, own buffers %s/%d", seed, want.Verdict, len(want.Violations), got.Verdict, len(got.Violations))
		}
		for i := range want.Violations {
			if want.Violations[i].Message != got.Violations[i].Message {
				t.Fatalf("seed %d: violation %d: %q vs %q", seed, i, want.Violations[i].Message, got.Violations[i].Message)
			}
		}
	}
	if len(a.payBufs) == 0 {
		t.Fatal("no payload buffer came back to the arena")
	}
}

// On a file system that fills up, answering hole allocations with ENOSPC
// in the model (noFreeShortcut) gives the same runs as asking core/ext4.
func TestNoFreeShortcutAgrees(t *testing.T) {
	sc, _ := scenario.Example("two-writers")
	sc.Image.Size = 4 << 20
	sc.Image.Features = []string{"^has_journal"}
	sc.Workload.Fio = "[global]\ndirectory=${SCRATCH_MNT}\nfilesize=8m\ncreate_on_open=1\nfallocate=none\n" +
		"ignore_error=,ENOSPC\ncontinue_on_error=write\n\n[v]\nioengine=libaio\niodepth=4\ndirect=1\nbs=64k\nrw=randwrite\n" +
		"number_ios=96\nverify=crc32c\nverify_backlog=8\nfilename=v\n\n" +
		"[p]\nioengine=falloc\nrw=randtrim\nbs=4k\nnumber_ios=32\nfilename=v\n"
	for _, k := range []scenario.Kernel{scenario.KernelJanFix, scenario.KernelV45rc3} {
		sc.Kernel = k
		p, err := Prepare(sc)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(0); seed < 15; seed++ {
			a := p.Run(sim.Random(seed), Options{Continue: true, Record: true})
			noFreeShortcut = false
			b := p.Run(sim.Random(seed), Options{Continue: true, Record: true})
			noFreeShortcut = true
			if a.Trace.Hash() != b.Trace.Hash() || a.Choices != b.Choices {
				t.Fatalf("%s seed %d: shortcut %s in %d steps, core/ext4 %s in %d steps", k, seed, a.Verdict, a.Steps, b.Verdict, b.Steps)
			}
		}
	}
	if noFreeHits == 0 {
		t.Fatal("the file system never filled: the shortcut was not exercised")
	}
}
