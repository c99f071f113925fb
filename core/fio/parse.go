package fio

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// tmpl is the option state of a section while it is being read: [global]
// keeps one, and each job section starts from a copy of it.
type tmpl struct {
	j           Job
	bs          int64
	bssplit     []BSSplit
	filename    string
	directory   string
	numjobs     int
	filesizeSet bool
	sizeSet     bool
	sizePct     uint64
	offsetPct   uint64
	offsetSet   bool
	iodepthLine int // where iodepth= was set, for the warning
}

func defaultTmpl() tmpl {
	return tmpl{
		j: Job{
			Engine: EngineSync, RW: RWRead, RWMixRead: 50, IODepth: 1,
			Fallocate: FallocatePosix, // fio's default (when the platform has posix_fallocate)
		},
		bs:      4096,
		numjobs: 1,
	}
}

type parser struct {
	vars     map[string]string
	w        Workload
	global   tmpl
	cur      *tmpl  // nil before the first section
	curName  string // "" for text before any section
	curLine  int
	isGlobal bool
	group    int
	sections map[string]int // job section name → line, to reject repeats
	line     int            // line being read
	section  string
}

// Parse reads an fio job file. Variables written ${NAME} are replaced from
// vars before a line is read (as fio does from its environment); an unset
// variable is an error. It returns the expanded jobs, or the first *Error.
//
// The accepted language is the subset generic/300 uses plus what small
// jobs need; see the options table in options.go. Unknown options are
// errors; options that do not change the model are accepted with a
// Warning.
func Parse(text string, vars map[string]string) (*Workload, error) {
	if len(text) > MaxTextBytes {
		return nil, &Error{Msg: fmt.Sprintf("job file is %d bytes, limit %d", len(text), MaxTextBytes), Kind: ErrLimit}
	}
	if len(vars) > MaxVars {
		return nil, &Error{Msg: fmt.Sprintf("%d variables, limit %d", len(vars), MaxVars), Kind: ErrLimit}
	}
	if !utf8.ValidString(text) {
		return nil, &Error{Msg: "job file is not valid UTF-8", Kind: ErrSyntax}
	}
	p := &parser{vars: vars, global: defaultTmpl()}
	lines := strings.Split(text, "\n")
	if len(lines) > MaxLines {
		return nil, &Error{Msg: fmt.Sprintf("%d lines, limit %d", len(lines), MaxLines), Kind: ErrLimit}
	}
	for i, raw := range lines {
		p.line = i + 1
		if err := p.readLine(raw); err != nil {
			return nil, err
		}
	}
	p.line = len(lines)
	if err := p.endSection(); err != nil {
		return nil, err
	}
	if len(p.w.Jobs) == 0 {
		return nil, &Error{Line: 0, Msg: "no job sections", Kind: ErrSyntax}
	}
	return &p.w, nil
}

func (p *parser) errf(kind error, option, format string, args ...any) *Error {
	return &Error{Line: p.line, Section: p.section, Option: option, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

func (p *parser) warn(option, format string, args ...any) {
	p.w.Warnings = append(p.w.Warnings, Warning{Line: p.line, Section: p.section, Option: option, Msg: fmt.Sprintf(format, args...)})
}

// stripComment cuts a line at the first '#' or ';', as fio does for whole
// lines and trailing comments.
func stripComment(s string) string {
	if i := strings.IndexAny(s, "#;"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func (p *parser) readLine(raw string) error {
	if len(raw) > MaxLineBytes {
		return p.errf(ErrLimit, "", "line is %d bytes, limit %d", len(raw), MaxLineBytes)
	}
	line := stripComment(strings.TrimSuffix(raw, "\r"))
	if line == "" {
		return nil
	}
	line, err := p.substitute(line)
	if err != nil {
		return err
	}
	if line[0] == '[' {
		end := strings.IndexByte(line, ']')
		if end < 0 || strings.TrimSpace(line[end+1:]) != "" {
			return p.errf(ErrSyntax, "", "malformed section header %q: want [name]", line)
		}
		name := strings.TrimSpace(line[1:end])
		if name == "" || strings.ContainsAny(name, " \t[]") {
			return p.errf(ErrSyntax, "", "bad section name %q", name)
		}
		if err := p.endSection(); err != nil {
			return err
		}
		if prev, ok := p.sections[name]; ok && name != "global" {
			p.section = name
			return p.errf(ErrSyntax, "", "job section [%s] is already defined at line %d; job names must be unique", name, prev)
		}
		p.startSection(name)
		return nil
	}
	name, val, hasVal := strings.Cut(line, "=")
	name = strings.TrimSpace(name)
	val = strings.TrimSpace(val)
	if name == "include" || strings.HasPrefix(name, "include ") {
		return p.errf(ErrUnsupported, "include", "include files are not supported; paste the included job file here")
	}
	if p.cur == nil {
		return p.errf(ErrSyntax, name, "option before any [section]")
	}
	return p.applyOption(name, val, hasVal)
}

// substitute replaces ${NAME} from p.vars.
func (p *parser) substitute(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", p.errf(ErrSyntax, "", "unterminated ${ in %q", s)
		}
		name := s[i+2 : i+j]
		v, ok := p.vars[name]
		if !ok {
			return "", p.errf(ErrValue, "", "variable ${%s} is not set (known: %s)", name, p.varNames())
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		if b.Len() > MaxLineBytes {
			return "", p.errf(ErrLimit, "", "line after substitution is longer than %d bytes", MaxLineBytes)
		}
		s = s[i+j+1:]
	}
	return strings.TrimSpace(b.String()), nil
}

func (p *parser) varNames() string {
	if len(p.vars) == 0 {
		return "none"
	}
	names := make([]string, 0, len(p.vars))
	for k := range p.vars {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (p *parser) startSection(name string) {
	p.section, p.curName, p.curLine = name, name, p.line
	if name == "global" {
		// Later [global] sections change the defaults for the jobs
		// after them only (fio HOWTO: "a job is only affected by a
		// global section residing above it").
		p.isGlobal = true
		p.cur = &p.global
		return
	}
	p.isGlobal = false
	if p.sections == nil {
		p.sections = map[string]int{}
	}
	p.sections[name] = p.line
	t := p.global
	t.bssplit = append([]BSSplit(nil), p.global.bssplit...)
	t.j.IgnoreRead = append([]Errno(nil), p.global.j.IgnoreRead...)
	t.j.IgnoreWrite = append([]Errno(nil), p.global.j.IgnoreWrite...)
	t.j.IgnoreVerify = append([]Errno(nil), p.global.j.IgnoreVerify...)
	p.cur = &t
}

// endSection expands the job section just read into its numjobs clones.
func (p *parser) endSection() error {
	if p.cur == nil || p.isGlobal {
		return nil
	}
	t := p.cur
	p.cur = nil
	line := p.line
	p.line = p.curLine // errors about the job as a whole point at its header
	defer func() { p.line = line }()
	base, err := p.finish(t)
	if err != nil {
		return err
	}
	if len(p.w.Jobs)+t.numjobs > MaxJobs {
		return p.errf(ErrLimit, "numjobs", "%d jobs in total, limit %d", len(p.w.Jobs)+t.numjobs, MaxJobs)
	}
	if base.Stonewall && len(p.w.Jobs) > 0 {
		p.group++
	}
	for i := 0; i < t.numjobs; i++ {
		j := base
		j.Index = i
		j.Name = p.curName + "." + strconv.Itoa(i)
		j.Group = p.group
		j.BSSplit = append([]BSSplit(nil), base.BSSplit...)
		if t.filename == "" {
			// fio's default file name: jobname.jobnumber.filenumber.
			j.File = joinPath(t.directory, j.Name+".0")
		}
		p.w.Jobs = append(p.w.Jobs, j)
	}
	return nil
}

func joinPath(dir, name string) string {
	if dir == "" || strings.HasPrefix(name, "/") {
		return name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// finish applies defaults and the rules that involve several options.
func (p *parser) finish(t *tmpl) (Job, error) {
	j := t.j
	j.Section, j.Line = p.curName, p.curLine
	if len(t.bssplit) > 0 {
		j.BSSplit = append([]BSSplit(nil), t.bssplit...) // bssplit wins over bs
	} else {
		j.BSSplit = []BSSplit{{Size: t.bs, Perc: 100}}
	}
	switch {
	case t.filesizeSet:
	case t.sizeSet && t.sizePct == 0:
		j.FileSize = j.Size
	default:
		return j, p.errf(ErrValue, "filesize", "the file size is unknown: set filesize= or size= (in bytes)")
	}
	if j.FileSize > MaxFileSize {
		return j, p.errf(ErrLimit, "filesize", "file size %d bytes, limit %d", j.FileSize, MaxFileSize)
	}
	if t.sizePct > 0 {
		j.Size = j.FileSize * int64(t.sizePct) / 100
	}
	if t.offsetPct > 0 {
		// fio aligns a percentage offset down to the block alignment.
		j.Offset = j.FileSize * int64(t.offsetPct) / 100
	}
	minBS := (&j).MinBS()
	j.Offset -= j.Offset % minBS
	if t.filename != "" {
		j.File = joinPath(t.directory, t.filename)
	}
	if (&j).MaxBS() > j.FileSize {
		return j, p.errf(ErrValue, "bs", "block size %d is larger than the file (%d bytes)", (&j).MaxBS(), j.FileSize)
	}
	if j.Offset+minBS > j.FileSize {
		return j, p.errf(ErrValue, "offset", "offset %d leaves no room for a %d-byte block in a %d-byte file", j.Offset, minBS, j.FileSize)
	}
	if j.Engine != EngineLibaio && j.IODepth > 1 {
		if t.iodepthLine > 0 {
			p.w.Warnings = append(p.w.Warnings, Warning{Line: t.iodepthLine, Section: p.curName, Option: "iodepth",
				Msg: fmt.Sprintf("ioengine=%s is synchronous: iodepth=%d acts as 1", j.Engine, j.IODepth)})
		}
		j.IODepth = 1
	}
	if j.Verify != VerifyNone {
		if j.Engine == EngineFalloc {
			return j, p.errf(ErrUnsupported, "verify", "verify with ioengine=falloc: fallocate carries no data to verify")
		}
		if !j.RW.Writes() {
			return j, p.errf(ErrUnsupported, "verify", "verify on a job that does not write (rw=%s) is not modelled", j.RW)
		}
	}
	return j, nil
}

// parseSize reads a size option, reporting fio's arithmetic quirk.
func (p *parser) parseSize(option, v string, allowPct bool) (number, error) {
	n, err := parseNumber(v, nil, 1, allowPct)
	if err != nil {
		return n, err
	}
	p.noteNumber(option, n)
	return n, nil
}

func (p *parser) noteNumber(option string, n number) {
	if n.note != "" {
		p.warn(option, "%s", n.note)
	}
	if n.kib {
		p.warn(option, "fio before 3.0 read KiB/MiB/… as powers of 1000; this model uses 1024 like current fio")
	}
}

// parseCount reads a non-negative integer option bounded by maxV.
func (p *parser) parseCount(option, v string, minV, maxV int64) (int64, error) {
	n, err := parseNumber(v, nil, 1, false)
	if err != nil {
		return 0, err
	}
	p.noteNumber(option, n)
	if int64(n.v) < minV || int64(n.v) > maxV {
		return 0, fmt.Errorf("%d is out of range [%d, %d]", n.v, minV, maxV)
	}
	return int64(n.v), nil
}

// parseBool reads fio's boolean: an integer, non-zero is true; a bare
// option name means 1.
func (p *parser) parseBool(option, v string, hasVal bool) (bool, error) {
	if !hasVal || v == "" {
		return true, nil
	}
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	n, err := parseNumber(v, nil, 1, false)
	if err != nil {
		return false, fmt.Errorf("%q is not a boolean (0 or 1)", v)
	}
	p.noteNumber(option, n)
	return n.v != 0, nil
}

// parseTime reads a duration; a bare number is in seconds.
func (p *parser) parseTime(option, v string) (time.Duration, error) {
	n, err := parseNumber(v, timeSuffixes, 1000000, false)
	if err != nil {
		return 0, err
	}
	p.noteNumber(option, number{note: n.note})
	d := time.Duration(n.v) * time.Microsecond
	if n.v > uint64(MaxRuntime/time.Microsecond) {
		return 0, fmt.Errorf("%s is longer than the limit %s", v, MaxRuntime)
	}
	return d, nil
}
