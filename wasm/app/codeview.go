package main

// The code view: the pseudo-code of the function the selected task is in
// (dio.Snippets, written for this project), with the line of its current
// step highlighted; and the decisions in which two kernel variants differ.

import (
	"fmt"
	"strings"

	"github.com/vugu/vugu"

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
	if p.step >= len(p.stepTask) || p.stepTask[p.step] != t {
		// A parked task is shown where it stopped: the point it runs next
		// (its stack in the panel is that point's too).
		if n := p.ioix.nextLabel(p.res.Trace, t, p.step); n != "" {
			cv.Label = n
		}
	}
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
		if len(word) > 0 {
			// The pseudo-code says inode_lock / inode_unlock (4.5's
			// wrappers) where the step names the mutex call on i_mutex.
			if w, ok := lockAlias[word[0]]; ok && strings.Contains(cv.Label, ".i_mutex") {
				word[0] = w
			}
		}
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

// diffKernels are the two variants the diff compares: the shown run's
// kernel (the form's before any run) and the chosen other one, by default
// jan-fix (or v4.5-rc3 when the run is jan-fix).
func (p *PlayState) diffKernels() (scenario.Kernel, scenario.Kernel) {
	var a scenario.Kernel
	switch {
	case p.runSc != nil:
		a = p.runSc.Kernel
	case p.sc != nil:
		a = p.sc.Kernel
	}
	b := p.diffOther
	if b == "" || b == a {
		b = scenario.KernelJanFix
		if a == scenario.KernelJanFix {
			b = scenario.KernelV45rc3
		}
	}
	return a, b
}

// overwriteGetBlock is the get_block the unlocked overwrite DIO maps with
// (reference §3.4, §6).
func overwriteGetBlock(v *dio.Variant) string {
	switch {
	case v.OverwriteHoldsDataSem:
		return "_write_nolock (NO_LOCK)"
	case v.IOEndInDio:
		return "ext4_dio_get_block_overwrite"
	default:
		return "ext4_get_block_overwrite"
	}
}

// privateWriters says who stores inode->i_private (reference §6).
func privateWriters(v *dio.Variant) string {
	switch {
	case !v.InodeAIO:
		return "nobody"
	case v.OverwriteNoIOEnd:
		return "L only, under i_mutex"
	case v.OverwriteHoldsDataSem:
		return "O (under i_data_sem) + L"
	default:
		return "O + L, unserialized"
	}
}

// whereIOEnd says where the io_end lives (reference §6).
func whereIOEnd(v *dio.Variant) string {
	if v.IOEndInDio {
		return "dio->private (b_private)"
	}
	return "iocb->private + i_private"
}

// variantDiff compares two kernels at the decision points the model
// makes variant properties (reference §1 and §6).
func (p *PlayState) variantDiff() (string, string, []diffRow) {
	ka, kb := p.diffKernels()
	a, err := dio.VariantByName(ka)
	if err != nil {
		return "", "", nil
	}
	b, err := dio.VariantByName(kb)
	if err != nil {
		return "", "", nil
	}
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
		return fmt.Sprintf("%#x", v)
	}
	rows := []diffRow{
		{"overwrite (O) holds down_read(i_data_sem)", yn(a.OverwriteHoldsDataSem), yn(b.OverwriteHoldsDataSem), false},
		{"O's get_block", overwriteGetBlock(a), overwriteGetBlock(b), false},
		{"O allocates an io_end into i_private", yn(a.InodeAIO && !a.OverwriteNoIOEnd), yn(b.InodeAIO && !b.OverwriteNoIOEnd), false},
		{"who stores i_private", privateWriters(a), privateWriters(b), false},
		{"io_end lives in", whereIOEnd(a), whereIOEnd(b), false},
		{"UNWRITTEN + Defer_Completion together", yn(a.IOEndInDio), yn(b.IOEndInDio), false},
		{"i_ioend_count", yn(a.IOEndCount), yn(b.IOEndCount), false},
		{"GET_BLOCKS_NO_LOCK", hx(a.Flags.NoLock), hx(b.Flags.NoLock), false},
		{"GET_BLOCKS_CONVERT_UNWRITTEN", hx(a.Flags.ConvertUnwritten), hx(b.Flags.ConvertUnwritten), false},
		{"GET_BLOCKS_ZERO", hx(a.Flags.Zero), hx(b.Flags.Zero), false},
	}
	for i := range rows {
		rows[i].Diff = rows[i].A != rows[i].B
	}
	return string(a.Name), string(b.Name), rows
}

// diffCount is how many decision points differ.
func (p *PlayState) diffCount() int {
	n := 0
	for _, r := range p.diffRows() {
		if r.Diff {
			n++
		}
	}
	return n
}

func (c *Play) PickDiffOther(e vugu.DOMEvent) {
	c.S.diffOther = scenario.Kernel(e.PropString("target", "value"))
}

// ToggleDiff opens or closes the variant diff. A <details> element would
// lose its open state on every re-render (vugu re-sets its attributes).
func (c *Play) ToggleDiff() { c.S.diffOpen = !c.S.diffOpen }

func (p *PlayState) diffArrow() string {
	if p.diffOpen {
		return "▾"
	}
	return "▸"
}

// diffLabel is the fold button's text.
func (p *PlayState) diffLabel() string {
	return fmt.Sprintf("%s What differs: %s (%d of %d decision points differ)", p.diffArrow(), p.diffTitle(), p.diffCount(), len(p.diffRows()))
}

var lockAlias = map[string]string{"mutex_lock": "inode_lock", "mutex_unlock": "inode_unlock"}
