package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ext4play/core/fio"
)

func validJSON(t testing.TB) []byte {
	t.Helper()
	b, err := catalogFS.ReadFile("catalog/two-writers.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit decodes the valid example into a generic map, applies f, and
// re-encodes it.
func edit(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(validJSON(t), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sub(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

func TestParseValid(t *testing.T) {
	s, err := Parse(validJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Kernel != KernelV45rc3 || !s.Mount.DioreadNolock || s.Image.Size != 8<<20 || s.Scheduler.Strategy != StrategyRandom {
		t.Errorf("%+v", s)
	}
	w, err := s.ParseWorkload()
	if err != nil || len(w.Jobs) != 2 || w.Jobs[0].File != "/mnt/scratch/shared" {
		t.Errorf("workload %v %v", w, err)
	}
	if s.Mount.String() != "dioread_nolock" {
		t.Errorf("mount string %q", s.Mount.String())
	}
}

func TestValidationErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(m map[string]any)
		want string
		kind error
	}{
		{"strategy", func(m map[string]any) { sub(m, "scheduler")["strategy"] = "rando" },
			`$.scheduler.strategy: "rando" is not one of random, pct, dfs, replay`, ErrInvalid},
		{"image size", func(m map[string]any) { sub(m, "image")["size"] = 0 },
			`$.image.size: 0 — want at least 1 MiB`, ErrInvalid},
		{"image too big", func(m map[string]any) { sub(m, "image")["size"] = 1 << 40 },
			`$.image.size: 1099511627776 — want at most 64 GiB`, ErrInvalid},
		{"version", func(m map[string]any) { m["version"] = 2 }, `$.version: 2 — want 1`, ErrVersion},
		{"kernel", func(m map[string]any) { m["kernel"] = "v5.0" }, `$.kernel: "v5.0" is not one of v4.4, v4.5-rc3, revert, jan-fix, v4.6`, ErrInvalid},
		{"title", func(m map[string]any) { m["title"] = " " }, `$.title: empty`, ErrInvalid},
		{"block size", func(m map[string]any) { sub(m, "image")["block_size"] = 8192 }, `$.image.block_size: 8192 is not one of 1024, 2048, 4096`, ErrInvalid},
		{"inode size", func(m map[string]any) { sub(m, "image")["inode_size"] = 100 }, `$.image.inode_size: 100 — want a power of two`, ErrInvalid},
		{"feature", func(m map[string]any) { sub(m, "image")["features"] = []any{"^huge_file", "warp_drive"} }, `$.image.features[1]: "warp_drive" is not an ext4 feature`, ErrInvalid},
		{"label", func(m map[string]any) { sub(m, "image")["label"] = strings.Repeat("x", 17) }, `$.image.label: 17 bytes`, ErrInvalid},
		{"sample and recipe", func(m map[string]any) { sub(m, "image")["sample"] = "tiny" }, `$.image: give either sample`, ErrInvalid},
		{"mount option", func(m map[string]any) { sub(m, "mount")["options"] = []any{"noatime", "turbo"} }, `$.mount.options[1]: "turbo" is not an ext4 mount option`, ErrInvalid},
		{"mount dioread_nolock", func(m map[string]any) { sub(m, "mount")["options"] = []any{"dioread_nolock"} }, `$.mount.options[0]: set $.mount.dioread_nolock instead`, ErrInvalid},
		{"fio", func(m map[string]any) {
			sub(m, "workload")["fio"] = "[global]\nfilesize=1m\n\n\n\n[falloc_raicer]\nbssplit=128k/80:512k/10\n"
		}, `$.workload.fio: line 7 [falloc_raicer]: bssplit: percentages sum to 90, want 100`, ErrInvalid},
		{"fio empty", func(m map[string]any) { sub(m, "workload")["fio"] = "" }, `$.workload.fio: empty`, ErrInvalid},
		{"scale", func(m map[string]any) { sub(m, "workload")["scale"] = map[string]any{"file_size": 4096} }, `$.workload.scale.file_size: fio: job writer.0: file size override 4096`, ErrInvalid},
		{"max ops", func(m map[string]any) { sub(m, "workload")["scale"] = map[string]any{"max_ops": -1} }, `$.workload.scale.max_ops: -1`, ErrInvalid},
		{"choices without replay", func(m map[string]any) { sub(m, "scheduler")["choices"] = "AAAA" }, `$.scheduler.choices: only used by strategy replay`, ErrInvalid},
		{"replay without choices", func(m map[string]any) { sub(m, "scheduler")["strategy"] = "replay" }, `$.scheduler.choices: empty — strategy replay needs`, ErrInvalid},
		{"choices charset", func(m map[string]any) {
			sub(m, "scheduler")["strategy"] = "replay"
			sub(m, "scheduler")["choices"] = "AB+/"
		}, `$.scheduler.choices: character "+" at 2 is not base64url`, ErrInvalid},
		{"choices length", func(m map[string]any) {
			sub(m, "scheduler")["strategy"] = "replay"
			sub(m, "scheduler")["choices"] = "ABCDE"
		}, `$.scheduler.choices: length 5`, ErrInvalid},
		{"pct depth", func(m map[string]any) { sub(m, "scheduler")["pct_depth"] = 1000 }, `$.scheduler.pct_depth: 1000 — want 0 … 64`, ErrInvalid},
		{"step limit", func(m map[string]any) { m["step_limit"] = 0 }, `$.step_limit: 0 — want 1`, ErrInvalid},
		{"step", func(m map[string]any) { m["step"] = 50001 }, `$.step: 50001 — want 0 … step_limit (50000)`, ErrInvalid},
		{"var name", func(m map[string]any) { sub(m, "workload")["vars"] = map[string]any{"1X": "y"} }, `$.workload.vars: "1X" is not a variable name`, ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(edit(t, c.f))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.kind) {
				t.Errorf("got %q (is %v: %v), want %q", err, c.kind, errors.Is(err, c.kind), c.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Path, "$") {
				t.Errorf("no FieldError with a path in %v", err)
			}
		})
	}
	// The fio error stays reachable with its line.
	_, err := Parse(edit(t, func(m map[string]any) { sub(m, "workload")["fio"] = "[j]\nfilesize=1m\nfoo=1\n" }))
	var fe *fio.Error
	if !errors.As(err, &fe) || fe.Line != 3 || fe.Option != "foo" {
		t.Errorf("fio error not wrapped: %v", err)
	}
	// Several problems are all reported.
	_, err = Parse(edit(t, func(m map[string]any) { m["kernel"] = "x"; m["step_limit"] = -1 }))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Errorf("want 2 errors, got %v", err)
	}
}

func TestStrictDecoding(t *testing.T) {
	good := string(validJSON(t))
	for _, c := range []struct {
		name, text, want string
		kind             error
	}{
		{"unknown top", strings.Replace(good, `"version": 1,`, `"version": 1, "colour": "red",`, 1), `$.colour: unknown field`, ErrInvalid},
		{"unknown nested", strings.Replace(good, `"strategy": "random",`, `"strategy": "random", "sed": 5,`, 1), `$.scheduler.sed: unknown field (known: choices, dfs_bound, pct_depth, seed, strategy)`, ErrInvalid},
		{"case", strings.Replace(good, `"version": 1,`, `"Version": 1,`, 1), `$.Version: unknown field`, ErrInvalid},
		{"duplicate", strings.Replace(good, `"version": 1,`, `"version": 1, "version": 1,`, 1), `$.version: duplicate key`, ErrInvalid},
		{"null", strings.Replace(good, `"kernel": "v4.5-rc3"`, `"kernel": null`, 1), `$.kernel: null`, ErrInvalid},
		{"type", strings.Replace(good, `"step_limit": 50000`, `"step_limit": "many"`, 1), `$.step_limit: got JSON string, want an integer (line`, ErrInvalid},
		{"negative seed", strings.Replace(good, `"strategy": "random",
    "seed": 1`, `"strategy": "random",
    "seed": -1`, 1), `$.scheduler.seed: got JSON number -1, want a non-negative integer`, ErrInvalid},
		{"array for object", strings.Replace(good, `"mount": {`, `"mount": [], "x": {`, 1), `$.mount: got an array, want an object`, ErrInvalid},
		{"syntax", strings.Replace(good, `"version": 1,`, `"version": 1,,`, 1), `$: invalid character ',' looking for beginning of object key string (line 2, column 16)`, ErrSyntax},
		{"truncated", good[:100], `unexpected end of JSON`, ErrSyntax},
		{"trailing", good + "{}", `$: data after the scenario object`, ErrSyntax},
		{"not object", `[1,2]`, `$: got an array, want an object`, ErrInvalid},
		{"empty", ``, `unexpected end of JSON`, ErrSyntax},
		{"too big", strings.Repeat(" ", MaxJSONBytes+1), `$: 1048577 bytes, limit 1048576`, ErrTooLarge},
		{"nested array", strings.Replace(good, `"label": "scratch",`, `"label": "scratch", "features": [["x"]],`, 1), `$.image.features[0]: got an array, want a string`, ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.kind) {
				t.Errorf("got %q, want %q (kind %v)", err, c.want, c.kind)
			}
		})
	}
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncd\nef")
	for _, c := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {7, 3, 2}, {99, 3, 3}} {
		if l, col := position(data, c.off); l != c.line || col != c.col {
			t.Errorf("offset %d: %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}

func TestCatalog(t *testing.T) {
	entries, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if entries[0].Name != DefaultExample {
		t.Errorf("first entry %s, want %s", entries[0].Name, DefaultExample)
	}
	byName := map[string]*Scenario{}
	for _, e := range entries {
		byName[e.Name] = e.Scenario
		if _, err := e.Scenario.ParseWorkload(); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
		// Files are kept in the canonical indented form.
		b, _ := catalogFS.ReadFile("catalog/" + e.Name + ".json")
		if !bytes.Equal(b, e.Scenario.MarshalIndent()) {
			t.Errorf("%s.json is not in canonical form (run SCENARIO_FORMAT=1 go test ./core/scenario)", e.Name)
		}
	}
	for name, want := range map[string]struct {
		kernel Kernel
		nolock bool
		fio    string
	}{
		"generic-300-dioread-nolock":         {KernelV45rc3, true, "generic-300-small.fio"},
		"generic-300-dioread-nolock-jan-fix": {KernelJanFix, true, "generic-300-small.fio"},
		"generic-300-dioread-nolock-v4.6":    {KernelV46, true, "generic-300-small.fio"},
		"generic-300-dioread-nolock-revert":  {KernelRevert, true, "generic-300-small.fio"},
		"generic-300-dioread-nolock-v4.4":    {KernelV44, true, "generic-300-small.fio"},
		"generic-300-no-dioread-nolock":      {KernelV45rc3, false, "generic-300-small.fio"},
		"generic-300-full":                   {KernelV45rc3, true, "generic-300.fio"},
		"two-writers":                        {KernelV45rc3, true, "two-writers.fio"},
		"falloc-vs-dio":                      {KernelV45rc3, true, "falloc-vs-dio.fio"},
		"punch-vs-dio":                       {KernelV45rc3, true, "punch-vs-dio.fio"},
	} {
		s := byName[name]
		if s == nil {
			t.Errorf("catalogue has no %s", name)
			continue
		}
		fioText, err := os.ReadFile(filepath.Join("..", "..", "examples", "fio", want.fio))
		if err != nil {
			t.Fatal(err)
		}
		if s.Kernel != want.kernel || s.Mount.DioreadNolock != want.nolock || s.Workload.Fio != string(fioText) {
			t.Errorf("%s: kernel %s dioread_nolock %v, fio text equal to %s: %v", name, s.Kernel, s.Mount.DioreadNolock, want.fio, s.Workload.Fio == string(fioText))
		}
	}
	if _, err := Example("nope"); err == nil {
		t.Error("Example(nope) succeeded")
	}
}

// TestCatalogCopies keeps examples/scenarios identical to the embedded
// catalogue. SCENARIO_FORMAT=1 rewrites both in canonical form from the
// catalogue.
func TestCatalogCopies(t *testing.T) {
	canon, _ := filepath.Glob(filepath.Join("catalog", "*.json"))
	copies, _ := filepath.Glob(filepath.Join("..", "..", "examples", "scenarios", "*.json"))
	if os.Getenv("SCENARIO_FORMAT") == "1" {
		for _, f := range canon {
			b, _ := os.ReadFile(f)
			s, err := Parse(b)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out := s.MarshalIndent()
			os.WriteFile(f, out, 0o644)
			os.WriteFile(filepath.Join("..", "..", "examples", "scenarios", filepath.Base(f)), out, 0o644)
		}
		copies, _ = filepath.Glob(filepath.Join("..", "..", "examples", "scenarios", "*.json"))
	}
	if len(canon) != len(copies) {
		t.Errorf("%d catalogue files, %d in examples/scenarios", len(canon), len(copies))
	}
	for _, f := range canon {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "scenarios", filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("examples/scenarios/%s differs from core/scenario/catalog/%s (copy it)", filepath.Base(f), filepath.Base(f))
		}
	}
}
