package scenario

import (
	"regexp"
	"testing"
)

// The hand-written name checks accept exactly what their regexps would.
func TestNameChecksMatchTheirRegexps(t *testing.T) {
	checks := []struct {
		re string
		fn func(string) bool
	}{
		{`^[a-z0-9][a-z0-9._-]*$`, isSampleName},
		{`^[A-Za-z0-9_-]*$`, isChoiceText},
		{`^[A-Za-z_][A-Za-z0-9_]*$`, isVarName},
	}
	inputs := []string{"", "a", "A", "_", "-", ".", "0", "ext4-1k.img.zst", "Ext4", "x y", "a/b", "é", "SCRATCH_MNT", "_x9", "9x", "AbC-_09", "a\n", "ab\x00"}
	for c := byte(0); c < 128; c++ {
		inputs = append(inputs, string(c), "a"+string(c))
	}
	for _, ch := range checks {
		re := regexp.MustCompile(ch.re)
		for _, in := range inputs {
			if got, want := ch.fn(in), re.MatchString(in); got != want {
				t.Errorf("%s on %q: %v, regexp says %v", ch.re, in, got, want)
			}
		}
	}
}
