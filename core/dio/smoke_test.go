package dio

import (
	"fmt"
	"os"
	"testing"

	"ext4play/core/scenario"
	"ext4play/core/sim"
)

func TestSmokeMatrix(t *testing.T) {
	if os.Getenv("DIO_SMOKE") == "" {
		t.Skip("DIO_SMOKE not set")
	}
	for _, k := range scenario.Kernels {
		for _, nl := range []bool{true, false} {
			sc, _ := scenario.Example("generic-300-dioread-nolock")
			sc.Kernel = k
			sc.Mount.DioreadNolock = nl
			p, err := Prepare(sc)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			first := map[string]string{}
			for seed := uint64(0); seed < 100; seed++ {
				r := p.Run(sim.Random(seed), Options{})
				counts[r.Verdict]++
				if r.Verdict != "clean" && first[r.Verdict] == "" {
					first[r.Verdict] = fmt.Sprintf("%+v", r.Violations[0])
				}
			}
			t.Logf("%s nolock=%v: %v", k, nl, counts)
			for k, v := range first {
				if k != "sleep-in-atomic" {
					t.Logf("   %s: %.600s", k, v)
				}
			}
		}
	}
}
