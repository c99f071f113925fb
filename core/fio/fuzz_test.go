package fio

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any text must parse or fail with an *Error, never panic or
// hang, and what parses must generate a bounded op stream.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "fio", "*.fio"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("[j]\nfilesize=(1k*(2+3))\nbssplit=4k/10:8k:16k\nrw=randrw\noffset=50%\nsize=10%\n")
	f.Add("[global]\nfilesize=${FILE_SIZE}\n[a]\nrw=write\nverify=crc32c\nverify_backlog=3\nstonewall\n[global]\nbs=8k\n[b]\nrw=randtrim\nioengine=falloc\n")
	f.Fuzz(func(t *testing.T, text string) {
		w, err := Parse(text, testVars)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		if len(w.Jobs) == 0 || len(w.Jobs) > MaxJobs {
			t.Fatalf("%d jobs", len(w.Jobs))
		}
		if _, err := w.Setup(Limits{MaxOpsPerJob: 1024}); err != nil {
			_ = err // a layout too big for the bound is an error, not a panic
		}
		for i := range w.Jobs {
			// A small random map keeps each exec fast; both the map and
			// the uniform fallback get exercised.
			l := Limits{MaxOps: 64, RandomMapMaxUnits: 4096}
			if i%2 == 1 {
				l.FileSize = 1 << 20 // exercise the scenario's scale-down
			}
			s, err := w.NewStream(i, 1, l)
			if err != nil {
				continue
			}
			_, end := s.job.Region()
			for n := 0; ; n++ {
				op, ok := s.Next()
				if !ok {
					break
				}
				if n > 2*64+1 {
					t.Fatalf("job %d: more than twice MaxOps ops", i)
				}
				if op.Length <= 0 || op.Offset < s.start || op.Offset+op.Length > s.start+end {
					t.Fatalf("job %d: op %v outside region [%d,+%d)", i, op, s.start, end)
				}
			}
		}
	})
}
