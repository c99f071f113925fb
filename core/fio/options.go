package fio

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// optDef is one option the parser accepts.
type optDef struct {
	// apply sets the option on t; v is the value text, hasVal false for
	// a bare "option" line. A returned error becomes an *Error of kind
	// ErrValue unless it already is an *Error.
	apply func(p *parser, t *tmpl, option, v string, hasVal bool) error
	// noModel, when set, is the warning given because the option does
	// not change what the model does.
	noModel string
}

var options map[string]*optDef

// aliases maps fio's alternative option names to the canonical one.
var aliases = map[string]string{
	"readwrite": "rw", "blocksize": "bs", "timeout": "runtime",
	"wait_for_previous": "stonewall",
}

func init() {
	options = map[string]*optDef{
		"directory": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			if v == "" || strings.Contains(v, ":") {
				return fmt.Errorf("want one directory, got %q", v)
			}
			t.directory = v
			return nil
		}},
		"filename": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			if v == "" {
				return errors.New("empty file name")
			}
			if strings.Contains(v, ":") {
				return unsupported("several files per job (':' in filename) are not modelled")
			}
			t.filename = v
			return nil
		}},
		"filesize": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			if strings.ContainsAny(v, ":") || (strings.Contains(v[min(1, len(v)):], "-") && !strings.HasPrefix(v, "(")) {
				return unsupported("a filesize range is not modelled; give one size")
			}
			n, err := p.parseSize(o, v, false)
			if err != nil {
				return err
			}
			if int64(n.v) < MinBS {
				return fmt.Errorf("%d bytes, want at least %d", n.v, MinBS)
			}
			if int64(n.v) > MaxFileSize {
				return limitf("%d bytes, limit %d", n.v, MaxFileSize)
			}
			t.j.FileSize, t.filesizeSet = int64(n.v), true
			return nil
		}},
		"size": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseSize(o, v, true)
			if err != nil {
				return err
			}
			if n.pct {
				if n.v == 0 {
					return errors.New("0% is not a size")
				}
				t.sizePct, t.j.Size, t.sizeSet = n.v, 0, true
				return nil
			}
			if n.v == 0 {
				return errors.New("size=0: want a positive size")
			}
			if int64(n.v) > MaxSize {
				return limitf("%d bytes, limit %d", n.v, MaxSize)
			}
			t.j.Size, t.sizePct, t.sizeSet = int64(n.v), 0, true
			return nil
		}},
		"offset": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseSize(o, v, true)
			if err != nil {
				return err
			}
			if n.pct {
				t.offsetPct, t.j.Offset = n.v, 0
			} else {
				if int64(n.v) > MaxFileSize {
					return limitf("%d bytes, limit %d", n.v, MaxFileSize)
				}
				t.j.Offset, t.offsetPct = int64(n.v), 0
			}
			return nil
		}},
		"number_ios": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 0, MaxNumberIOs)
			t.j.NumberIOs = n
			return err
		}},
		"rw": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			base, mod, _ := strings.Cut(v, ":")
			if mod != "" {
				return unsupported("rw=%s: the ':N' offset modifier is not modelled", v)
			}
			for i, n := range rwNames {
				if n == base {
					t.j.RW = RW(i)
					return nil
				}
			}
			switch base {
			case "readwrite":
				t.j.RW = RWRW
				return nil
			case "randtrimwrite", "trimwrite":
				return unsupported("rw=%s is not modelled", base)
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(rwNames[:], ", "))
		}},
		"rwmixread": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 0, 100)
			t.j.RWMixRead = int(n)
			return err
		}},
		"rwmixwrite": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 0, 100)
			t.j.RWMixRead = 100 - int(n)
			return err
		}},
		"ioengine": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			for i, n := range engineNames {
				if n == v {
					t.j.Engine = Engine(i)
					return nil
				}
			}
			switch v {
			case "posixaio", "io_uring", "mmap", "pvsync", "pvsync2", "vsync", "splice", "null", "sg", "net":
				return unsupported("ioengine=%s is not modelled (modelled: %s)", v, strings.Join(engineNames[:], ", "))
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(engineNames[:], ", "))
		}},
		"iodepth": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 1, MaxIODepth)
			if err != nil {
				return limitOrValue(err, int64(MaxIODepth), v)
			}
			t.j.IODepth, t.iodepthLine = int(n), p.line
			return nil
		}},
		"bs": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			if strings.ContainsAny(v, ",:") || (strings.Contains(v[min(1, len(v)):], "-") && !strings.HasPrefix(v, "(")) {
				return unsupported("per-direction or ranged bs is not modelled; give one size (or use bssplit=)")
			}
			n, err := p.parseSize(o, v, false)
			if err != nil {
				return err
			}
			if err := checkBS(int64(n.v)); err != nil {
				return err
			}
			t.bs = int64(n.v)
			t.bssplit = nil
			return nil
		}},
		"bssplit": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			s, err := p.parseBSSplit(o, v)
			if err != nil {
				return err
			}
			t.bssplit = s
			return nil
		}},
		"direct": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.Direct = b
			return err
		}},
		"norandommap": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.NoRandomMap = b
			return err
		}},
		"numjobs": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 1, MaxNumJobs)
			if err != nil {
				return limitOrValue(err, MaxNumJobs, v)
			}
			t.numjobs = int(n)
			return nil
		}},
		"runtime": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			d, err := p.parseTime(o, v)
			t.j.Runtime = d
			return err
		}},
		"time_based": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			// fio's time_based takes an optional integer; any non-zero
			// value (generic/300 writes time_based=10) means "on".
			b, err := p.parseBool(o, v, has)
			t.j.TimeBased = b
			return err
		}},
		"stonewall": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.Stonewall = b
			return err
		}},
		"exitall": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.ExitAll = b
			return err
		}},
		"create_on_open": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.CreateOnOpen = b
			return err
		}},
		"fallocate": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			switch v {
			case "none", "0":
				t.j.Fallocate = FallocateNone
			case "posix", "1":
				t.j.Fallocate = FallocatePosix
			case "keep":
				t.j.Fallocate = FallocateKeep
			case "native":
				t.j.Fallocate = FallocateNative
			case "truncate":
				return unsupported("fallocate=truncate is not modelled")
			default:
				return fmt.Errorf("%q is not one of none, native, keep, posix, 0, 1", v)
			}
			return nil
		}},
		"continue_on_error": {apply: func(p *parser, t *tmpl, _, v string, has bool) error {
			if !has {
				v = "1"
			}
			switch v {
			case "0", "false":
				t.j.ContinueOnError = ContinueNone
				return nil
			case "1", "true":
				t.j.ContinueOnError = ContinueAll
				return nil
			}
			for i, n := range continueNames {
				if n == v {
					t.j.ContinueOnError = ContinueOnError(i)
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s, 0, 1", v, strings.Join(continueNames[:], ", "))
		}},
		"ignore_error": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			lists := strings.Split(v, ",")
			if len(lists) > 3 {
				return errors.New("want at most three lists: READ,WRITE,VERIFY")
			}
			var out [3][]Errno
			for i, l := range lists {
				if strings.TrimSpace(l) == "" {
					continue
				}
				for _, name := range strings.Split(l, ":") {
					e, err := parseErrno(strings.TrimSpace(name))
					if err != nil {
						return err
					}
					out[i] = append(out[i], e)
				}
			}
			t.j.IgnoreRead, t.j.IgnoreWrite, t.j.IgnoreVerify = out[0], out[1], out[2]
			return nil
		}},
		"error_dump": {noModel: "only changes what fio prints", apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.ErrorDump = b
			return err
		}},
		"group_reporting": {noModel: "only changes how fio reports", apply: noop},
		"thread":          {noModel: "threads or processes issue the same I/O", apply: noop},
		"description":     {noModel: "free text", apply: noop},
		"verify": {apply: func(p *parser, t *tmpl, _, v string, _ bool) error {
			switch v {
			case "0", "none", "":
				t.j.Verify = VerifyNone
			case "crc32c", "crc32c-intel":
				t.j.Verify = VerifyCRC32C
			case "md5", "crc64", "crc32", "crc16", "crc7", "xxhash", "sha1", "sha256", "sha512",
				"sha3-224", "sha3-256", "sha3-384", "sha3-512", "meta", "pattern", "null":
				return unsupported("verify=%s is not modelled; the model checks crc32c (use verify=crc32c or crc32c-intel)", v)
			default:
				return fmt.Errorf("%q is not a verify method (modelled: crc32c, crc32c-intel)", v)
			}
			return nil
		}},
		"verify_fatal": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.VerifyFatal = b
			return err
		}},
		"verify_dump": {noModel: "only changes what fio writes to disk after a verify failure", apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.VerifyDump = b
			return err
		}},
		"verify_backlog": {apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 0, MaxVerifyBack)
			if err != nil {
				return limitOrValue(err, MaxVerifyBack, v)
			}
			t.j.VerifyBacklog = n
			return nil
		}},
		"verify_async": {noModel: "verification threads only change who computes the checksum, not the I/O", apply: func(p *parser, t *tmpl, o, v string, _ bool) error {
			n, err := p.parseCount(o, v, 0, 1024)
			t.j.VerifyAsync = int(n)
			return err
		}},
		"verifysort": {apply: func(p *parser, t *tmpl, o, v string, has bool) error {
			b, err := p.parseBool(o, v, has)
			t.j.VerifySort = b
			return err
		}},
	}
}

func noop(*parser, *tmpl, string, string, bool) error { return nil }

func (p *parser) applyOption(name, v string, hasVal bool) error {
	canon := name
	if a, ok := aliases[name]; ok && a != "" {
		canon = a
	}
	def, ok := options[canon]
	if !ok {
		if known := suggest(name); known != "" {
			return p.errf(ErrUnknownOption, name, "unknown option (did you mean %s?)", known)
		}
		return p.errf(ErrUnknownOption, name, "unknown or unsupported option")
	}
	if def.noModel != "" {
		p.warn(name, "accepted but not modelled: %s", def.noModel)
	}
	if err := def.apply(p, p.cur, name, v, hasVal); err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			return fe
		}
		kind := ErrValue
		var ke kindErr
		if errors.As(err, &ke) {
			kind = ke.kind
		}
		return p.errf(kind, name, "%s", err.Error())
	}
	return nil
}

// suggest returns a known option close to name (one edit or a prefix).
func suggest(name string) string {
	var names []string
	for k := range options {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if editDistance1(k, name) {
			return k
		}
	}
	return ""
}

func editDistance1(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

type kindErr struct {
	kind error
	msg  string
}

func (k kindErr) Error() string { return k.msg }

func unsupported(format string, args ...any) error {
	return kindErr{ErrUnsupported, fmt.Sprintf(format, args...)}
}

func limitf(format string, args ...any) error {
	return kindErr{ErrLimit, fmt.Sprintf(format, args...)}
}

// limitOrValue marks a range error above the limit as ErrLimit.
func limitOrValue(err error, limit int64, v string) error {
	if n, e := parseNumber(v, nil, 1, false); e == nil && int64(n.v) > limit {
		return limitf("%s is above the limit %d", v, limit)
	}
	return err
}

func checkBS(n int64) error {
	if n < MinBS || n%MinBS != 0 {
		return fmt.Errorf("block size %d: want a multiple of %d", n, MinBS)
	}
	if n > MaxBS {
		return limitf("block size %d, limit %d", n, MaxBS)
	}
	return nil
}

// parseBSSplit reads bssplit=SIZE/PERC:SIZE/PERC:…; entries without a
// percentage share what the others leave, as in fio. The percentages must
// add up to 100.
func (p *parser) parseBSSplit(option, v string) ([]BSSplit, error) {
	if strings.Contains(v, ",") {
		return nil, unsupported("per-direction bssplit (',') is not modelled; give one list")
	}
	parts := strings.Split(v, ":")
	if len(parts) > MaxBSSplit {
		return nil, limitf("%d entries, limit %d", len(parts), MaxBSSplit)
	}
	var out []BSSplit
	sum, blanks := 0, 0
	for _, part := range parts {
		sz, perc, hasPerc := strings.Cut(strings.TrimSpace(part), "/")
		n, err := p.parseSize(option, sz, false)
		if err != nil {
			return nil, err
		}
		if err := checkBS(int64(n.v)); err != nil {
			return nil, err
		}
		e := BSSplit{Size: int64(n.v), Perc: -1}
		if hasPerc && perc != "" {
			pc, err := strconv.Atoi(perc)
			if err != nil || pc < 0 || pc > 100 {
				return nil, fmt.Errorf("%q: percentage %q is not an integer in [0, 100]", part, perc)
			}
			e.Perc = pc
			sum += pc
		} else {
			blanks++
		}
		out = append(out, e)
	}
	if sum > 100 {
		return nil, fmt.Errorf("percentages sum to %d, want 100", sum)
	}
	if blanks > 0 {
		share, extra := (100-sum)/blanks, (100-sum)%blanks
		for i := range out {
			if out[i].Perc < 0 {
				out[i].Perc = share
				if extra > 0 {
					out[i].Perc++
					extra--
				}
			}
		}
		sum = 100
	}
	if sum != 100 {
		return nil, fmt.Errorf("percentages sum to %d, want 100", sum)
	}
	// Entries with 0% never occur; drop them so MinBS is the real one.
	kept := out[:0]
	for _, e := range out {
		if e.Perc > 0 {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

func parseErrno(s string) (Errno, error) {
	if s == "" {
		return 0, errors.New("empty error name")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 4095 {
			return 0, fmt.Errorf("error number %d out of range", n)
		}
		return Errno(n), nil
	}
	for e, n := range errnoNames {
		if n == strings.ToUpper(s) {
			return e, nil
		}
	}
	return 0, fmt.Errorf("unknown error name %q", s)
}

// Option describes one accepted option.
type Option struct {
	Name     string
	Aliases  []string
	Modelled bool   // false: accepted with a Warning
	Note     string // why it is not modelled
}

// Options lists every option the parser accepts, by name.
func Options() []Option {
	var out []Option
	for name, d := range options {
		o := Option{Name: name, Modelled: d.noModel == "", Note: d.noModel}
		for a, c := range aliases {
			if c == name {
				o.Aliases = append(o.Aliases, a)
			}
		}
		sort.Strings(o.Aliases)
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
