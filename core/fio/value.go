package fio

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// numberNote is set when a value was read the way fio reads it, but not the
// way its author probably meant (arithmetic outside parentheses).
type numberNote string

// sizeSuffixes maps a lower-case size suffix to its multiplier. fio's
// default kb_base=1024 makes k, kb and kib all 1024. (fio of 2016 read
// "kib" as 1000 — backwards; current fio and this package use 1024, and the
// parser warns when such a suffix is used.)
var sizeSuffixes = map[string]uint64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
	"p": 1 << 50, "pb": 1 << 50, "pib": 1 << 50,
}

// timeSuffixes maps a lower-case time suffix to microseconds.
var timeSuffixes = map[string]uint64{
	"us": 1, "usec": 1,
	"ms": 1000, "msec": 1000,
	"s": 1000000, "sec": 1000000,
	"m": 60 * 1000000, "min": 60 * 1000000,
	"h": 3600 * 1000000,
	"d": 86400 * 1000000,
}

var errOverflow = errors.New("value too large")

// number is one parsed numeric value.
type number struct {
	v    uint64
	pct  bool       // written with a % suffix
	note numberNote // non-empty: fio-compatible but surprising
	kib  bool       // used an *ib suffix (see sizeSuffixes)
}

// parseNumber reads an fio integer the way fio's str_to_decimal does:
// digits (or 0x hex), then a unit suffix looked up in units (nil: sizes),
// with the default unit defUnit. A value in parentheses is evaluated as
// integer arithmetic. Outside parentheses fio stops at the first character
// that is not a digit and ignores an unknown suffix, so "128*1" is 128;
// we accept that (with a note) only when the rest starts with an operator,
// and reject any other trailing text.
func parseNumber(s string, units map[string]uint64, defUnit uint64, allowPct bool) (number, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return number{}, errors.New("empty value")
	}
	if s[0] == '(' {
		if s[len(s)-1] != ')' {
			return number{}, fmt.Errorf("%q: unbalanced parentheses", s)
		}
		ev := evaluator{s: s[1 : len(s)-1], units: units, defUnit: defUnit}
		v, err := ev.eval()
		if err != nil {
			return number{}, fmt.Errorf("%q: %v", s, err)
		}
		return number{v: v}, nil
	}
	if s[0] == '-' {
		return number{}, fmt.Errorf("%q: negative values are not allowed", s)
	}
	v, rest, err := scanUint(s)
	if err != nil {
		return number{}, fmt.Errorf("%q: %v", s, err)
	}
	var n number
	suffix, tail := splitSuffix(rest)
	low := strings.ToLower(suffix)
	if allowPct && low == "" && strings.HasPrefix(tail, "%") {
		if v > 100 {
			return number{}, fmt.Errorf("%q: percentage above 100", s)
		}
		return number{v: v, pct: true}, nil
	}
	mult := defUnit
	if low != "" {
		m, ok := units[low]
		if units == nil {
			m, ok = sizeSuffixes[low]
		}
		if !ok {
			return number{}, fmt.Errorf("%q: unknown unit %q", s, suffix)
		}
		mult = m
		n.kib = strings.HasSuffix(low, "ib")
	}
	if tail != "" {
		if !strings.ContainsRune("*+-/", rune(tail[0])) {
			return number{}, fmt.Errorf("%q: unexpected %q after the number", s, tail)
		}
		n.note = numberNote(fmt.Sprintf("fio evaluates arithmetic only inside parentheses: %q is read as %s; write (%s) to compute it", s, s[:len(s)-len(tail)], s))
	}
	hi, lo := bits.Mul64(v, mult)
	if hi != 0 || lo > math.MaxInt64 {
		return number{}, fmt.Errorf("%q: %v", s, errOverflow)
	}
	n.v = lo
	return n, nil
}

// scanUint reads a decimal or 0x-hex unsigned integer prefix of s.
func scanUint(s string) (uint64, string, error) {
	base := uint64(10)
	i := 0
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base, i = 16, 2
	}
	start := i
	var v uint64
	for ; i < len(s); i++ {
		d, ok := digitVal(s[i], base)
		if !ok {
			break
		}
		hi, lo := bits.Mul64(v, base)
		if hi != 0 {
			return 0, "", errOverflow
		}
		lo2, carry := bits.Add64(lo, d, 0)
		if carry != 0 {
			return 0, "", errOverflow
		}
		v = lo2
	}
	if i == start {
		return 0, "", errors.New("not a number")
	}
	return v, s[i:], nil
}

func digitVal(c byte, base uint64) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case base == 16 && c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case base == 16 && c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// splitSuffix splits the leading run of letters (the unit) off rest.
func splitSuffix(rest string) (suffix, tail string) {
	i := 0
	for i < len(rest) && (rest[i] >= 'a' && rest[i] <= 'z' || rest[i] >= 'A' && rest[i] <= 'Z') {
		i++
	}
	return rest[:i], strings.TrimSpace(rest[i:])
}

// evaluator computes fio's parenthesised arithmetic: + - * / % and
// parentheses over non-negative integers with optional units. Recursion
// depth is bounded so hostile input cannot exhaust the stack.
type evaluator struct {
	s       string
	i       int
	depth   int
	units   map[string]uint64
	defUnit uint64
}

const maxExprDepth = 32

func (e *evaluator) eval() (uint64, error) {
	v, err := e.expr()
	if err != nil {
		return 0, err
	}
	e.skip()
	if e.i != len(e.s) {
		return 0, fmt.Errorf("unexpected %q", e.s[e.i:])
	}
	return v, nil
}

func (e *evaluator) skip() {
	for e.i < len(e.s) && (e.s[e.i] == ' ' || e.s[e.i] == '\t') {
		e.i++
	}
}

func (e *evaluator) expr() (uint64, error) {
	v, err := e.term()
	if err != nil {
		return 0, err
	}
	for {
		e.skip()
		if e.i >= len(e.s) || (e.s[e.i] != '+' && e.s[e.i] != '-') {
			return v, nil
		}
		op := e.s[e.i]
		e.i++
		w, err := e.term()
		if err != nil {
			return 0, err
		}
		if op == '+' {
			s, c := bits.Add64(v, w, 0)
			if c != 0 || s > math.MaxInt64 {
				return 0, errOverflow
			}
			v = s
		} else {
			if w > v {
				return 0, errors.New("result is negative")
			}
			v -= w
		}
	}
}

func (e *evaluator) term() (uint64, error) {
	v, err := e.factor()
	if err != nil {
		return 0, err
	}
	for {
		e.skip()
		if e.i >= len(e.s) || !strings.ContainsRune("*/%", rune(e.s[e.i])) {
			return v, nil
		}
		op := e.s[e.i]
		e.i++
		w, err := e.factor()
		if err != nil {
			return 0, err
		}
		switch op {
		case '*':
			hi, lo := bits.Mul64(v, w)
			if hi != 0 || lo > math.MaxInt64 {
				return 0, errOverflow
			}
			v = lo
		case '/', '%':
			if w == 0 {
				return 0, errors.New("division by zero")
			}
			if op == '/' {
				v /= w
			} else {
				v %= w
			}
		}
	}
}

func (e *evaluator) factor() (uint64, error) {
	e.skip()
	if e.i >= len(e.s) {
		return 0, errors.New("missing operand")
	}
	if e.s[e.i] == '(' {
		if e.depth >= maxExprDepth {
			return 0, errors.New("parentheses nested too deeply")
		}
		e.depth++
		e.i++
		v, err := e.expr()
		if err != nil {
			return 0, err
		}
		e.skip()
		if e.i >= len(e.s) || e.s[e.i] != ')' {
			return 0, errors.New("missing )")
		}
		e.i++
		e.depth--
		return v, nil
	}
	v, rest, err := scanUint(e.s[e.i:])
	if err != nil {
		return 0, err
	}
	e.i = len(e.s) - len(rest)
	suffix, _ := splitSuffix(rest)
	mult := e.defUnit
	if suffix != "" {
		m, ok := e.units[strings.ToLower(suffix)]
		if e.units == nil {
			m, ok = sizeSuffixes[strings.ToLower(suffix)]
		}
		if !ok {
			return 0, fmt.Errorf("unknown unit %q", suffix)
		}
		mult = m
		e.i += len(suffix)
	}
	hi, lo := bits.Mul64(v, mult)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, errOverflow
	}
	return lo, nil
}
