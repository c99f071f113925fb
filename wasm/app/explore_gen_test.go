package main

import "testing"

// A canceled job's late progress must not show up in the next job's matrix
// (it used to add a stale row and push the count past the total).
func TestExploreDropsMessagesOfEarlierJobs(t *testing.T) {
	ui := &exploreUI{RunsText: "300", gen: 2, kernels: 1, Running: true}
	ui.apply(exploreMsg{Kind: "progress", Kernel: "jan-fix", Done: 8, Total: 200, Clean: 8, Gen: 1})
	if len(ui.Rows) != 0 {
		t.Fatalf("a message of job 1 changed job 2's rows: %+v", ui.Rows)
	}
	ui.apply(exploreMsg{Kind: "done", Gen: 1})
	if !ui.Running {
		t.Fatal("job 1's done ended job 2")
	}
	ui.apply(exploreMsg{Kind: "progress", Kernel: "v4.5-rc3", Done: 300, Total: 300, Clean: 256, Gen: 2})
	if d, total := ui.done(); d != 300 || total != 300 {
		t.Fatalf("done = %d / %d, want 300 / 300", d, total)
	}
}
