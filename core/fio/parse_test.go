package fio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testVars = map[string]string{"SCRATCH_MNT": "/mnt/scratch", "FILE_SIZE": "536870912"}

func readExample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "fio", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t *testing.T, text string) *Workload {
	t.Helper()
	w, err := Parse(text, testVars)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return w
}

func TestParseGeneric300(t *testing.T) {
	w := mustParse(t, readExample(t, "generic-300.fio"))
	type want struct {
		name     string
		engine   Engine
		rw       RW
		bssplit  []BSSplit
		iodepth  int
		direct   bool
		file     string
		runtime  time.Duration
		timeBase bool
		verify   VerifyKind
	}
	bs := func(s ...int64) []BSSplit {
		var out []BSSplit
		for i := 0; i < len(s); i += 2 {
			out = append(out, BSSplit{s[i], int(s[i+1])})
		}
		return out
	}
	racer := "/mnt/scratch/racer"
	wants := []want{
		{"direct_aio_raicer.0", EngineLibaio, RWRandWrite, bs(128<<10, 100), 128, true, racer, 100 * time.Second, true, VerifyNone},
		{"direct_aio_raicer.1", EngineLibaio, RWRandWrite, bs(128<<10, 100), 128, true, racer, 100 * time.Second, true, VerifyNone},
		{"direct_aio_raicer.2", EngineLibaio, RWRandWrite, bs(128<<10, 100), 128, true, racer, 100 * time.Second, true, VerifyNone},
		{"direct_aio_raicer.3", EngineLibaio, RWRandWrite, bs(128<<10, 100), 128, true, racer, 100 * time.Second, true, VerifyNone},
		{"falloc_raicer.0", EngineFalloc, RWRandWrite, bs(128<<10, 80, 512<<10, 10, 32<<10, 10), 1, false, racer, 100 * time.Second, false, VerifyNone},
		{"punch_hole_raicer.0", EngineFalloc, RWRandTrim, bs(4096, 100), 1, false, racer, 100 * time.Second, true, VerifyNone},
		{"punch_hole_raicer.1", EngineFalloc, RWRandTrim, bs(4096, 100), 1, false, racer, 100 * time.Second, true, VerifyNone},
		{"aio-dio-verifier.0", EngineLibaio, RWRandWrite, bs(4096, 100), 128, true, "/mnt/scratch/aio-dio-verifier", 0, false, VerifyCRC32C},
	}
	if len(w.Jobs) != len(wants) {
		t.Fatalf("%d jobs, want %d", len(w.Jobs), len(wants))
	}
	for i, wt := range wants {
		j := w.Jobs[i]
		if j.Name != wt.name || j.Engine != wt.engine || j.RW != wt.rw || j.IODepth != wt.iodepth ||
			j.Direct != wt.direct || j.File != wt.file || j.Runtime != wt.runtime || j.TimeBased != wt.timeBase || j.Verify != wt.verify {
			t.Errorf("job %d = %s %s %s depth=%d direct=%v file=%s runtime=%s time_based=%v verify=%s; want %+v",
				i, j.Name, j.Engine, j.RW, j.IODepth, j.Direct, j.File, j.Runtime, j.TimeBased, j.Verify, wt)
		}
		if len(j.BSSplit) != len(wt.bssplit) {
			t.Errorf("%s: bssplit %v, want %v", j.Name, j.BSSplit, wt.bssplit)
		} else {
			for k := range j.BSSplit {
				if j.BSSplit[k] != wt.bssplit[k] {
					t.Errorf("%s: bssplit %v, want %v", j.Name, j.BSSplit, wt.bssplit)
				}
			}
		}
		// [global] applies to every job.
		if j.FileSize != 512<<20 || j.Size != 999<<30 || !j.CreateOnOpen || j.Fallocate != FallocateNone ||
			!j.ExitAll || j.ContinueOnError != ContinueWrite || !j.IgnoresWrite(ENOSPC) || len(j.IgnoreRead) != 0 {
			t.Errorf("%s: global options not inherited: %+v", j.Name, j)
		}
		if start, n := j.Region(); start != 0 || n != 512<<20 {
			t.Errorf("%s: region [%d,+%d), want the whole 512 MiB file", j.Name, start, n)
		}
	}
	v := w.Jobs[7]
	if !v.VerifyFatal || v.VerifyBacklog != 1024 || !v.VerifySort || v.VerifyAsync != 4 || !v.VerifyDump {
		t.Errorf("verifier options: %+v", v)
	}
	// The arithmetic quirk and the not-modelled options are warnings.
	var arith, noModel int
	for _, x := range w.Warnings {
		switch {
		case strings.Contains(x.Msg, "only inside parentheses"):
			arith++
		case strings.Contains(x.Msg, "not modelled"):
			noModel++
		}
	}
	if arith != 5 || noModel != 3 {
		t.Errorf("warnings: %d arithmetic (want 5), %d not-modelled (want 3): %v", arith, noModel, w.Warnings)
	}
	if f := w.Files(); len(f) != 2 || f[0] != racer {
		t.Errorf("Files() = %v", f)
	}
}

func TestParseExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "fio", "*.fio"))
	if len(files) < 5 {
		t.Fatalf("only %d example job files", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if _, err := Parse(string(b), testVars); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

func TestGlobalInheritance(t *testing.T) {
	w := mustParse(t, `
[global]
filesize=1m
bs=8k
ioengine=psync

[a]
rw=write

[b]
bs=16k
iodepth=4
ioengine=libaio

[global]
bs=64k
direct=1

[c]
rw=randread
`)
	if len(w.Jobs) != 3 {
		t.Fatalf("%d jobs", len(w.Jobs))
	}
	a, b, c := w.Jobs[0], w.Jobs[1], w.Jobs[2]
	if a.BSSplit[0].Size != 8<<10 || a.Engine != EnginePsync || a.Direct || a.RW != RWWrite {
		t.Errorf("a: %+v", a)
	}
	if b.BSSplit[0].Size != 16<<10 || b.Engine != EngineLibaio || b.IODepth != 4 || b.Direct {
		t.Errorf("b: job option must override global, later global must not apply: %+v", b)
	}
	if c.BSSplit[0].Size != 64<<10 || !c.Direct || c.Engine != EnginePsync || c.RW != RWRandRead || c.FileSize != 1<<20 {
		t.Errorf("c: second [global] must apply to later jobs: %+v", c)
	}
	if a.File != "a.0.0" || c.File != "c.0.0" {
		t.Errorf("default file names %q %q, want fio's jobname.jobnum.filenum", a.File, c.File)
	}
}

func TestStonewallGroups(t *testing.T) {
	w := mustParse(t, readExample(t, "punch-vs-dio.fio"))
	got := []int{}
	for _, j := range w.Jobs {
		got = append(got, j.Group)
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 1 {
		t.Errorf("groups %v, want [0 1 1]", got)
	}
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{
		{"4096", 4096}, {"4k", 4096}, {"4K", 4096}, {"4kb", 4096}, {"4KiB", 4096},
		{"2m", 2 << 20}, {"2M", 2 << 20}, {"1g", 1 << 30}, {"1G", 1 << 30}, {"1t", 1 << 40},
		{"0x1000", 4096}, {"128*1", 128}, {"(128*1)", 128}, {"(4k*2)", 8192}, {"(1+2)*3", 0},
		{"((1+2)*3)", 9}, {"(10/3)", 3}, {"(10%3)", 1},
	} {
		n, err := parseNumber(c.in, nil, 1, false)
		if c.want == 0 {
			if err == nil {
				t.Errorf("%q: parsed as %d, want an error", c.in, n.v)
			}
			continue
		}
		if err != nil || n.v != c.want {
			t.Errorf("%q = %d, %v; want %d", c.in, n.v, err, c.want)
		}
	}
	for _, bad := range []string{"", "k", "-4k", "4q", "4k!", "99999999999999999999", "(", "(1/0)", "(2-3)", "(9999999t*9999999t)"} {
		if n, err := parseNumber(bad, nil, 1, false); err == nil {
			t.Errorf("%q: parsed as %d, want an error", bad, n.v)
		}
	}
	for _, c := range []struct {
		in   string
		want time.Duration
	}{{"100", 100 * time.Second}, {"100*1", 100 * time.Second}, {"2m", 2 * time.Minute}, {"500ms", 500 * time.Millisecond}, {"1h", time.Hour}} {
		p := &parser{}
		d, err := p.parseTime("runtime", c.in)
		if err != nil || d != c.want {
			t.Errorf("runtime=%s: %v, %v; want %v", c.in, d, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		section    string
		option     string
		kind       error
		msg        string
	}{
		{"bssplit sum", "[global]\nfilesize=1m\n\n\n\n[falloc_raicer]\nbssplit=128k/80:512k/10\n", 7, "falloc_raicer", "bssplit", ErrValue,
			"line 7 [falloc_raicer]: bssplit: percentages sum to 90, want 100"},
		{"bssplit over", "[j]\nfilesize=1m\nbssplit=4k/80:8k/30\n", 3, "j", "bssplit", ErrValue, "percentages sum to 110"},
		{"unknown option", "[j]\nfilesize=1m\nfoo=1\n", 3, "j", "foo", ErrUnknownOption, "unknown"},
		{"typo", "[j]\nfilesize=1m\niodepht=4\n", 3, "j", "iodepht", ErrUnknownOption, ""},
		{"bad rw", "[j]\nfilesize=1m\nrw=randomwrite\n", 3, "j", "rw", ErrValue, "not one of"},
		{"bad engine", "[j]\nfilesize=1m\nioengine=aio\n", 3, "j", "ioengine", ErrValue, "not one of"},
		{"unmodelled engine", "[j]\nfilesize=1m\nioengine=io_uring\n", 3, "j", "ioengine", ErrUnsupported, "not modelled"},
		{"md5", "[j]\nfilesize=1m\nrw=write\nverify=md5\n", 4, "j", "verify", ErrUnsupported, "crc32c"},
		{"bad verify", "[j]\nfilesize=1m\nverify=crc99\n", 3, "j", "verify", ErrValue, ""},
		{"include", "[j]\ninclude other.fio\n", 2, "j", "include", ErrUnsupported, ""},
		{"option before section", "bs=4k\n[j]\n", 1, "", "bs", ErrSyntax, ""},
		{"bad header", "[j\nbs=4k\n", 1, "", "", ErrSyntax, "section header"},
		{"unset var", "[j]\ndirectory=${NOPE}\n", 2, "j", "", ErrValue, "${NOPE} is not set"},
		{"numjobs limit", "[j]\nfilesize=1m\nnumjobs=100000\n", 3, "j", "numjobs", ErrLimit, ""},
		{"iodepth limit", "[j]\nfilesize=1m\niodepth=1000000\n", 3, "j", "iodepth", ErrLimit, ""},
		{"iodepth zero", "[j]\nfilesize=1m\niodepth=0\n", 3, "j", "iodepth", ErrValue, ""},
		{"filesize limit", "[j]\nfilesize=2t\n", 2, "j", "filesize", ErrLimit, ""},
		{"bs unaligned", "[j]\nfilesize=1m\nbs=1000\n", 3, "j", "bs", ErrValue, "multiple of 512"},
		{"bs too big", "[j]\nfilesize=1m\nbs=1g\n", 3, "j", "bs", ErrLimit, ""},
		{"bs larger than file", "[j]\nfilesize=64k\nbs=128k\n", 1, "j", "bs", ErrValue, "larger than the file"},
		{"no size", "[j]\nrw=write\n", 1, "j", "filesize", ErrValue, "file size is unknown"},
		{"offset past end", "[j]\nfilesize=64k\noffset=64k\n", 1, "j", "offset", ErrValue, ""},
		{"negative", "[j]\nfilesize=-1\n", 2, "j", "filesize", ErrValue, "negative"},
		{"bad bool", "[j]\nfilesize=1m\ndirect=maybe\n", 3, "j", "direct", ErrValue, "boolean"},
		{"bad fallocate", "[j]\nfilesize=1m\nfallocate=sometimes\n", 3, "j", "fallocate", ErrValue, ""},
		{"bad errno", "[j]\nfilesize=1m\nignore_error=,ENOTANERROR\n", 3, "j", "ignore_error", ErrValue, "ENOTANERROR"},
		{"falloc verify", "[j]\nfilesize=1m\nioengine=falloc\nrw=write\nverify=crc32c\n", 1, "j", "verify", ErrUnsupported, ""},
		{"read verify", "[j]\nfilesize=1m\nrw=read\nverify=crc32c\n", 1, "j", "verify", ErrUnsupported, ""},
		{"multi file", "[j]\nfilesize=1m\nfilename=a:b\n", 3, "j", "filename", ErrUnsupported, ""},
		{"runtime limit", "[j]\nfilesize=1m\nruntime=2d\n", 3, "j", "runtime", ErrValue, "limit"},
		{"no jobs", "[global]\nbs=4k\n", 0, "", "", ErrSyntax, "no job sections"},
		{"long line", "[j]\n#" + strings.Repeat("x", MaxLineBytes) + "\n", 2, "j", "", ErrLimit, ""},
		{"too many jobs", "[a]\nfilesize=1m\nnumjobs=64\n[b]\nfilesize=1m\nnumjobs=64\n[c]\nfilesize=1m\nnumjobs=64\n[d]\nfilesize=1m\nnumjobs=64\n[e]\nfilesize=1m\nnumjobs=64\n", 13, "e", "numjobs", ErrLimit, ""},
		{"repeated section", "[j]\nfilesize=1m\n[j]\nfilesize=1m\n", 3, "j", "", ErrSyntax, "already defined at line 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.text, testVars)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if fe.Line != c.line || fe.Section != c.section || fe.Option != c.option || !errors.Is(err, c.kind) {
				t.Errorf("got line %d section %q option %q kind %v (%v); want %d %q %q %v",
					fe.Line, fe.Section, fe.Option, fe.Kind, err, c.line, c.section, c.option, c.kind)
			}
			if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not contain %q", err.Error(), c.msg)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	w := mustParse(t, "[j]\nfilesize=1m\nioengine=psync\niodepth=8\nbs=4KiB\n")
	if len(w.Warnings) != 2 || w.Warnings[0].Option != "bs" || w.Warnings[0].Line != 5 || w.Warnings[1].Option != "iodepth" || w.Warnings[1].Line != 4 {
		t.Errorf("warnings %v", w.Warnings)
	}
	if w.Jobs[0].IODepth != 1 {
		t.Errorf("psync iodepth %d, want 1", w.Jobs[0].IODepth)
	}
}

func TestCommentsAndSpaces(t *testing.T) {
	w := mustParse(t, "; comment\n# comment\n[j] \n  filesize = 1m   # trailing\nrw=write ; trailing\ntime_based=0\nbssplit=4k/50:8k\n")
	j := w.Jobs[0]
	if j.FileSize != 1<<20 || j.RW != RWWrite || j.TimeBased || len(j.BSSplit) != 2 || j.BSSplit[1].Perc != 50 {
		t.Errorf("%+v", j)
	}
}

func TestPercentages(t *testing.T) {
	w := mustParse(t, "[j]\nfilesize=1m\nsize=50%\noffset=25%\nrw=write\n")
	j := w.Jobs[0]
	if s, n := j.Region(); s != 256<<10 || n != 512<<10 {
		t.Errorf("region [%d,+%d), want [262144,+524288)", s, n)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Line: 3, Option: "bs", Msg: "bad", Kind: ErrValue}
	if e.Error() != "line 3: bs: bad" {
		t.Errorf("%q", e.Error())
	}
	e = &Error{Msg: "too big", Kind: ErrLimit}
	if e.Error() != "fio: too big" {
		t.Errorf("%q", e.Error())
	}
}

func TestOptionsList(t *testing.T) {
	var notModelled []string
	names := map[string]bool{}
	for _, o := range Options() {
		names[o.Name] = true
		if !o.Modelled {
			notModelled = append(notModelled, o.Name)
		}
	}
	if strings.Join(notModelled, ",") != "description,error_dump,group_reporting,thread,verify_async,verify_dump" {
		t.Errorf("not-modelled options %v", notModelled)
	}
	// Every option generic/300 uses is accepted.
	for _, n := range strings.Fields("directory filesize size continue_on_error ignore_error error_dump create_on_open fallocate exitall ioengine iodepth bs direct numjobs rw runtime time_based filename bssplit verify verify_fatal verify_dump verify_backlog verify_async verifysort stonewall offset number_ios") {
		if !names[n] {
			t.Errorf("option %s missing", n)
		}
	}
}

func TestVerifyWithoutBacklogIsBounded(t *testing.T) {
	w := mustParse(t, "[j]\nfilesize=64m\nbs=4k\nrw=randwrite\nverify=crc32c\n")
	ops := collect(t, w, 0, 1, Limits{})
	if len(ops) != 2*16384 {
		t.Fatalf("%d ops", len(ops))
	}
	// Reads come in batches of MaxPendingVerify after as many writes.
	for k, op := range ops {
		wantRead := (k/MaxPendingVerify)%2 == 1
		if (op.Kind == OpRead) != wantRead {
			t.Fatalf("op %d is %s", k, op.Kind)
		}
	}
}
