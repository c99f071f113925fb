package ext4

import (
	"bytes"
	"reflect"
	"testing"

	"ext4play/core/image"
)

func deviceBytes(t *testing.T, d *image.Device) []byte {
	t.Helper()
	b := make([]byte, d.Size())
	if _, err := d.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVolumeResetMatchesFreshClone: a pooled volume Reset to the base
// before each run ends every run with exactly the bytes a fresh
// OpenVolume(base.Clone()) ends the same run with, whatever the previous
// run left in its caches and recycled memory; the base never changes; and
// a Reset onto a base of another geometry works too.
func TestVolumeResetMatchesFreshClone(t *testing.T) {
	base, _ := runBase(t)
	other, err := Mkfs(MkfsOptions{Size: 8 << 20, BlockSize: 1024, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	before := deviceBytes(t, base)
	pooled, err := OpenVolume(base.Clone())
	if err != nil {
		t.Fatal(err)
	}
	for run, b := range []*image.Device{base, base, other, base, other, other, base} {
		seed := uint64(run + 1)
		if err := pooled.Reset(b); err != nil {
			t.Fatal(err)
		}
		fresh, err := OpenVolume(b.Clone())
		if err != nil {
			t.Fatal(err)
		}
		sp, errP := Stress(pooled, StressOptions{Seed: seed, Ops: 80})
		sf, errF := Stress(fresh, StressOptions{Seed: seed, Ops: 80})
		if errP != nil || errF != nil {
			t.Fatalf("run %d: stress: pooled %v, fresh %v", run, errP, errF)
		}
		if !reflect.DeepEqual(sp, sf) {
			t.Errorf("run %d: pooled summary %+v, fresh %+v", run, sp, sf)
		}
		got, want := deviceBytes(t, pooled.Device()), deviceBytes(t, fresh.Device())
		if i := bytes.Compare(got, want); i != 0 {
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("run %d: pooled image differs from a fresh clone's at byte %d (block %d)", run, k, k/4096)
				}
			}
		}
		if rep, err := Inspect(pooled.Device()); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("run %d: pooled image: %v %v", run, err, rep.Problems)
		}
	}
	if !bytes.Equal(deviceBytes(t, base), before) {
		t.Error("the base image changed under its clones")
	}
}
