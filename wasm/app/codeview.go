package main

// The code view: the pseudo-code of the function the selected task is in
// (dio.Snippets, written for this project), with the line of its current
// step highlighted; and the decisions in which two kernel variants differ.

import (
	"fmt"
	"strings"

	"ext4play/core/dio"
	"ext4play/core/scenario"
)

type codeLine struct {
	N    int
	Text string
	Cur  bool
}

func (l codeLine) Class() string {
	if l.Cur {
		return "cl cur"
	}
	return "cl"
}

type codeView struct {
	Task  string
	Func  string
	File  string
	Label string
	Lines []codeLine
	Note  string
}

// code returns the snippet of the selected (or current) task's function.
func (p *PlayState) computeCode() codeView {
	t := p.curTask()
	if p.res == nil || p.st == nil || t < 0 || int(t) >= len(p.st.Tasks) {
		return codeView{Note: "Select a task (click its name) to see the kernel function it is in."}
	}
	cv := codeView{Task: p.taskName(t), Label: p.st.Label(int(t))}
	stack := p.res.Trace.Stack(p.taskStack(t))
	inStack := func(fn string) bool {
		for _, s := range stack {
			if s == fn {
				return true
			}
		}
		return false
	}
	ln, ok := dio.LineOf(cv.Label)
	var sn dio.Snippet
	if ok && inStack(ln.Func) {
		sn, ok = dio.Snippets[ln.Func]
	} else {
		// The label's line is in a function this task is not in (labels
		// such as "ext4_journal_start" occur in several): show the
		// innermost function of the stack that has pseudo-code, and the
		// first of its lines naming the label's call.
		word := strings.FieldsFunc(cv.Label, func(r rune) bool { return r == ':' || r == ' ' || r == '(' })
		ok = false
		ln = dio.Line{}
		// innermost function with a line naming the label's call, else
		// the innermost function with pseudo-code
		for i := len(stack) - 1; i >= 0 && ln.Line == 0; i-- {
			s, has := dio.Snippets[stack[i]]
			if !has {
				continue
			}
			if !ok {
				sn, ok = s, true
			}
			for j, l := range s.Lines {
				if len(word) > 0 && strings.Contains(l, word[0]) {
					sn, ln = s, dio.Line{Func: s.Func, Line: j + 1}
					break
				}
			}
		}
		if !ok {
			cv.Note = fmt.Sprintf("%s is at %q: no pseudo-code for this point.", cv.Task, cv.Label)
			return cv
		}
	}
	cv.Func, cv.File = sn.Func, sn.File
	for i, s := range sn.Lines {
		cv.Lines = append(cv.Lines, codeLine{N: i + 1, Text: s, Cur: ln.Func == sn.Func && ln.Line == i+1})
	}
	return cv
}

type diffRow struct {
	What string
	A, B string
	Diff bool
}

func (r diffRow) Class() string {
	if r.Diff {
		return "diff"
	}
	return ""
}

// variantDiff compares the run's kernel with another at the decision
// points the model makes variant properties.
func (p *PlayState) variantDiff() (string, string, []diffRow) {
	if p.sc == nil {
		return "", "", nil
	}
	a, err := dio.VariantByName(p.sc.Kernel)
	if err != nil {
		return "", "", nil
	}
	other := scenario.KernelJanFix
	if a.Name == scenario.KernelJanFix {
		other = scenario.KernelV45rc3
	}
	b, _ := dio.VariantByName(other)
	yn := func(v bool) string {
		if v {
			return "yes"
		}
		return "no"
	}
	hx := func(v uint32) string {
		if v == 0 {
			return "—"
		}
		return fmt.Sprintf("%#04x", v)
	}
	rows := []diffRow{
		{"overwrite DIO holds i_data_sem (read) across submission", yn(a.OverwriteHoldsDataSem), yn(b.OverwriteHoldsDataSem), false},
		{"inode carries the io_end pointer (i_private)", yn(a.InodeAIO), yn(b.InodeAIO), false},
		{"overwrite DIO allocates no io_end, leaves i_private alone", yn(a.OverwriteNoIOEnd), yn(b.OverwriteNoIOEnd), false},
		{"io_end handed through dio->private", yn(a.IOEndInDio), yn(b.IOEndInDio), false},
		{"EXT4_GET_BLOCKS_NO_LOCK", hx(a.Flags.NoLock), hx(b.Flags.NoLock), false},
		{"EXT4_GET_BLOCKS_CONVERT_UNWRITTEN", hx(a.Flags.ConvertUnwritten), hx(b.Flags.ConvertUnwritten), false},
		{"EXT4_GET_BLOCKS_ZERO", hx(a.Flags.Zero), hx(b.Flags.Zero), false},
	}
	for i := range rows {
		rows[i].Diff = rows[i].A != rows[i].B
	}
	return string(a.Name), string(b.Name), rows
}
