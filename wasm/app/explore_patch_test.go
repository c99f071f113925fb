package main

import "testing"

// Progress that only moves numbers keeps the panel's shape (patched in
// place); a new verdict column, a first failure or the end of the job
// changes it (a full render).
func TestExploreShape(t *testing.T) {
	e := &exploreUI{RunsText: "200", Running: true, gen: 1, kernels: 1}
	prog := func(done, clean int, v map[string]int, first *firstFailure) {
		e.apply(exploreMsg{Kind: "progress", Gen: 1, Kernel: "v4.5-rc3", Done: done, Total: 200, Clean: clean, Verdicts: v, First: first})
	}
	prog(10, 10, nil, nil)
	s0 := e.shape()
	prog(50, 50, nil, nil)
	if e.shape() != s0 {
		t.Fatalf("counts alone changed the shape: %+v -> %+v", s0, e.shape())
	}
	prog(60, 59, map[string]int{"data-verify": 1}, nil)
	s1 := e.shape()
	if s1 == s0 {
		t.Fatal("a new verdict column kept the shape")
	}
	prog(70, 68, map[string]int{"data-verify": 2}, nil)
	if e.shape() != s1 {
		t.Fatal("a count in an existing column changed the shape")
	}
	prog(80, 78, map[string]int{"data-verify": 2}, &firstFailure{Run: 55, Verdict: "data-verify", Choices: "x", Steps: 9})
	s2 := e.shape()
	if s2 == s1 {
		t.Fatal("the first failing run kept the shape (its open button must render)")
	}
	e.apply(exploreMsg{Kind: "done", Gen: 1})
	if e.shape() == s2 {
		t.Fatal("the end of the job kept the shape")
	}
}
