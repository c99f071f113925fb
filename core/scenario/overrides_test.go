package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	s := mustExample(t)
	seed := uint64(77)
	text := "[j]\nfilesize=1m\nrw=write\n"
	c, err := s.Apply(Overrides{Kernel: KernelJanFix, Mount: "none", Seed: &seed, Strategy: StrategyPCT, Fio: &text})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kernel != KernelJanFix || c.Mount.DioreadNolock || c.Scheduler.Seed != 77 || c.Scheduler.Strategy != StrategyPCT || c.Workload.Fio != text {
		t.Errorf("%+v", c)
	}
	if s.Kernel != KernelV45rc3 || !s.Mount.DioreadNolock {
		t.Error("Apply changed the original")
	}
	for _, bad := range []Overrides{{Kernel: "v9"}, {Mount: "sometimes"}, {Strategy: "replay"}} {
		if _, err := s.Apply(bad); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	broken := "[j]\nfoo=1\n"
	_, err = s.Apply(Overrides{Fio: &broken})
	if err == nil || !strings.Contains(err.Error(), "$.workload.fio: line 2 [j]: foo: unknown") {
		t.Errorf("broken fio: %v", err)
	}
}

func TestReplayAndURL(t *testing.T) {
	s := mustExample(t)
	r := s.Replay("AQID", 42)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	u, err := URL("http://127.0.0.1:8080/?x=1#old", r)
	if err != nil {
		t.Fatal(err)
	}
	frag, ok := strings.CutPrefix(u, "http://127.0.0.1:8080/?x=1#s=")
	if !ok {
		t.Fatalf("URL %q", u)
	}
	got, err := Decode(frag)
	if err != nil || *got.Step != 42 || got.Scheduler.Choices != "AQID" || got.Scheduler.Strategy != StrategyReplay {
		t.Errorf("decoded %+v, %v", got, err)
	}
	// Changing the strategy away from replay drops the recording.
	c, err := r.Apply(Overrides{Strategy: StrategyRandom})
	if err != nil || c.Scheduler.Choices != "" || c.Step != nil {
		t.Errorf("%+v %v", c, err)
	}
	// Clone is deep.
	r.Image.Features = []string{"metadata_csum"}
	r.Workload.Vars = map[string]string{"A": "b"}
	d := r.Clone()
	d.Image.Features[0] = "x"
	d.Workload.Vars["A"] = "c"
	*d.Step = 1
	if r.Image.Features[0] != "metadata_csum" || r.Workload.Vars["A"] != "b" || *r.Step != 42 {
		t.Error("Clone shares memory")
	}
	if !reflect.DeepEqual(r.Clone(), r) {
		t.Error("Clone differs")
	}
}
