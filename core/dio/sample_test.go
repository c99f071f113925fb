package dio

import (
	"errors"
	"strings"
	"testing"

	"ext4play/core/ext4"
	"ext4play/core/image"
	"ext4play/core/scenario"
	"ext4play/core/sim"
)

// A registered sample image runs like the mkfs recipe it was made with
// (same outcome for the same seed), is never written itself, and bad
// samples are refused with the sample's name in the error.
func TestRegisteredSample(t *testing.T) {
	sc, _ := scenario.Example("two-writers")
	recipe := example(t, "two-writers", sc.Kernel, sc.Mount.DioreadNolock)
	dev, err := ext4.Mkfs(sc.Image.MkfsOptions())
	if err != nil {
		t.Fatal(err)
	}
	before := dev.Clone()
	RegisterSample("test-two-writers.img", dev)
	defer RegisterSample("test-two-writers.img", nil)
	sc.Image = scenario.Image{Sample: "test-two-writers.img"}
	p, err := Prepare(sc)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(0); seed < 10; seed++ {
		a := p.Run(sim.Random(seed), Options{})
		b := recipe.Run(sim.Random(seed), Options{})
		if a.Verdict != b.Verdict || a.Steps != b.Steps {
			t.Fatalf("seed %d: sample %s in %d steps, recipe %s in %d", seed, a.Verdict, a.Steps, b.Verdict, b.Steps)
		}
	}
	if !sameBytes(t, dev, before) {
		t.Error("Prepare or a run wrote to the registered sample")
	}
	// An image that already holds a file fio creates is refused.
	vol, err := ext4.OpenVolume(dev.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vol.Create(2, p.base.files[0].name, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = vol.Flush()
	RegisterSample("test-two-writers.img", vol.Device())
	if _, err := Prepare(sc); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "test-two-writers.img") {
		t.Errorf("sample with fio's file present: %v", err)
	}
	RegisterSample("test-two-writers.img", image.New(1<<20))
	if _, err := Prepare(sc); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "does not open as ext4") {
		t.Errorf("zero image: %v", err)
	}
	sc.Image.Sample = "not-registered.img"
	if _, err := Prepare(sc); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "not-registered.img") {
		t.Errorf("unregistered sample: %v", err)
	}
}

func sameBytes(t *testing.T, a, b *image.Device) bool {
	t.Helper()
	if a.Size() != b.Size() {
		return false
	}
	x, y := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); off < a.Size(); off += int64(len(x)) {
		n := min(int64(len(x)), a.Size()-off)
		a.ReadAt(x[:n], off)
		b.ReadAt(y[:n], off)
		if string(x[:n]) != string(y[:n]) {
			return false
		}
	}
	return true
}
