package ext4

import (
	"reflect"
	"testing"
)

// TestDeferProblems checks that problems found in deferProblems and
// listed afterwards end up as if found after what was listed meanwhile:
// in order, once each.
func TestDeferProblems(t *testing.T) {
	fs := &FS{seen: map[string]bool{}}
	fs.problem("a", "first")
	later := fs.deferProblems(func() {
		fs.problem("a", "first") // already listed: dropped
		fs.problem("b", "block %d", 7)
		fs.problem("d", "meanwhile")
		fs.problem("b", "block %d", 7)
		fs.problem("c", "no args")
	})
	if len(fs.Problems()) != 1 {
		t.Fatalf("deferred problems listed early: %+v", fs.Problems())
	}
	fs.problem("d", "meanwhile")
	for _, p := range later {
		fs.problem(p.Where, "%s", p.What)
	}
	want := []Problem{{"a", "first"}, {"d", "meanwhile"}, {"b", "block 7"}, {"c", "no args"}}
	if got := fs.Problems(); !reflect.DeepEqual(got, want) {
		t.Errorf("problems %+v, want %+v", got, want)
	}
}
