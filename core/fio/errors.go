package fio

import (
	"errors"
	"fmt"
)

// Sentinel errors, usable with errors.Is on an *Error.
var (
	// ErrSyntax: a line is not a section header, an option or a comment.
	ErrSyntax = errors.New("fio: syntax error")
	// ErrUnknownOption: the option is not an fio option we know.
	ErrUnknownOption = errors.New("fio: unknown option")
	// ErrUnsupported: fio has it, the model does not.
	ErrUnsupported = errors.New("fio: unsupported")
	// ErrValue: the option's value is malformed or out of range.
	ErrValue = errors.New("fio: bad value")
	// ErrLimit: the job file exceeds one of this package's bounds.
	ErrLimit = errors.New("fio: limit exceeded")
)

// Error is a problem in a job file, located by line, section and option.
// Line is 1-based; 0 means the problem is not tied to one line (e.g. the
// whole text is too long). Section and Option may be empty.
type Error struct {
	Line    int
	Section string
	Option  string
	Msg     string
	Kind    error // one of the sentinel errors above
}

func (e *Error) Error() string {
	s := "fio: "
	if e.Line > 0 {
		s = fmt.Sprintf("line %d ", e.Line)
	}
	if e.Section != "" {
		s += "[" + e.Section + "]: "
	} else if e.Line > 0 {
		s = s[:len(s)-1] + ": "
	}
	if e.Option != "" {
		s += e.Option + ": "
	}
	return s + e.Msg
}

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

// Warning is an accepted construct that the model treats differently from
// fio, or ignores because it does not change what the model does.
type Warning struct {
	Line    int
	Section string
	Option  string
	Msg     string
}

func (w Warning) String() string {
	s := fmt.Sprintf("line %d", w.Line)
	if w.Section != "" {
		s += " [" + w.Section + "]"
	}
	s += ": "
	if w.Option != "" {
		s += w.Option + ": "
	}
	return s + w.Msg
}
