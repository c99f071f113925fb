package sim

import (
	"slices"
	"testing"
)

// pctDrive feeds strategy st choices among the tasks in ids, one choice
// every stride steps, for n choices, and returns the chosen task ids.
func pctDrive(st Strategy, ids []TaskID, n, stride int) []TaskID {
	var got []TaskID
	c := &Choice{Current: -1}
	for i := range n {
		c.Step, c.N = i*stride, i
		c.Runnable = c.Runnable[:0]
		for _, id := range ids {
			c.Runnable = append(c.Runnable, Candidate{Task: id})
		}
		t := c.Runnable[st.Choose(c)].Task
		got = append(got, t)
		c.Current = t
	}
	return got
}

func switches(seq []TaskID) int {
	n := 0
	for i := 1; i < len(seq); i++ {
		if seq[i] != seq[i-1] {
			n++
		}
	}
	return n
}

// TestPCTChangePointsOverSteps: k is a number of steps (what callers
// estimate), so with depth 2 the one change point falls inside the run
// almost always, even when only every other step is a choice. Drawn over
// choices instead, half of the runs would have no preemption at all.
func TestPCTChangePointsOverSteps(t *testing.T) {
	const choices, stride, seeds = 200, 2, 400
	preempted := 0
	for seed := range uint64(seeds) {
		seq := pctDrive(PCT(seed, 2, choices*stride), []TaskID{0, 1}, choices, stride)
		if switches(seq) > 1 {
			t.Fatalf("seed %d: %d switches with one change point", seed, switches(seq))
		}
		preempted += switches(seq)
	}
	if preempted < seeds*9/10 {
		t.Errorf("%d of %d runs preempted, want at least 90%%", preempted, seeds)
	}
}

// TestPCTChangePriorityOrder: the i-th change point drawn gives priority
// i-1, independently of when it falls, so the task lowered second ends up
// above the one lowered first in about half of the runs (the paper's
// schedules include both orders).
func TestPCTChangePriorityOrder(t *testing.T) {
	const choices, seeds = 100, 1000
	both, secondAbove := 0, 0
	for seed := range uint64(seeds) {
		st := PCT(seed, 3, choices)
		seq := pctDrive(st, []TaskID{0, 1, 2}, choices, 1)
		if switches(seq) != 2 {
			continue // a change point hit the last step, or both the same task
		}
		first := seq[0]
		var second TaskID = -1
		for _, x := range seq {
			if x != first {
				second = x
				break
			}
		}
		both++
		// The third task finished: who runs next among the lowered two?
		pair := []TaskID{first, second}
		slices.Sort(pair)
		c := &Choice{Step: choices + 1, N: choices, Current: seq[len(seq)-1],
			Runnable: []Candidate{{Task: pair[0]}, {Task: pair[1]}}}
		if c.Runnable[st.Choose(c)].Task == second {
			secondAbove++
		}
	}
	if both < seeds/2 {
		t.Fatalf("only %d of %d runs lowered two tasks", both, seeds)
	}
	if secondAbove < both/4 || secondAbove > both*3/4 {
		t.Errorf("task lowered second above the first in %d of %d runs, want about half", secondAbove, both)
	}
}

// TestPCTNewTaskPriority: a task first seen late (a bio completion spawned
// mid-run) gets a random priority among the existing tasks, not always the
// lowest or highest: it preempts the two running tasks about a third of
// the time.
func TestPCTNewTaskPriority(t *testing.T) {
	const seeds = 900
	top := 0
	for seed := range uint64(seeds) {
		st := PCT(seed, 1, 100)
		pctDrive(st, []TaskID{0, 1}, 10, 1)
		c := &Choice{Step: 11, N: 10, Current: 0,
			Runnable: []Candidate{{Task: 0}, {Task: 1}, {Task: 2}}}
		if c.Runnable[st.Choose(c)].Task == 2 {
			top++
		}
	}
	if top < seeds/4 || top > seeds*5/12 {
		t.Errorf("new task ran first in %d of %d runs, want about a third", top, seeds)
	}
}
