package scenario

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Overrides are the command-line changes `ext4play run|explore|share`
// apply to a scenario (--kernel, --mount, --seed, --strategy, --fio).
// Zero values keep the scenario's own setting.
type Overrides struct {
	Kernel   Kernel   // "" keeps
	Mount    string   // "dioread_nolock", "none" or "" (keep)
	Seed     *uint64  // nil keeps
	Strategy Strategy // "" keeps; a non-replay strategy drops recorded choices
	Fio      *string  // replaces the job text (vars and scale stay)
}

// Apply returns a copy of s with o applied, validated.
func (s *Scenario) Apply(o Overrides) (*Scenario, error) {
	c := s.Clone()
	if o.Kernel != "" {
		c.Kernel = o.Kernel
	}
	switch o.Mount {
	case "":
	case "dioread_nolock":
		c.Mount.DioreadNolock = true
	case "none", "dioread_lock":
		c.Mount.DioreadNolock = false
	default:
		return nil, Errors{{Path: "$.mount", Msg: fmt.Sprintf("--mount %q: want dioread_nolock or none", o.Mount), kind: ErrInvalid}}
	}
	if o.Seed != nil {
		c.Scheduler.Seed = *o.Seed
	}
	if o.Strategy != "" {
		c.Scheduler.Strategy = o.Strategy
		if o.Strategy != StrategyReplay {
			c.Scheduler.Choices = ""
			c.Step = nil
		}
	}
	if o.Fio != nil {
		c.Workload.Fio = *o.Fio
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Replay returns a copy of s that replays choices exactly and opens at
// step: what a share link of one particular run holds.
func (s *Scenario) Replay(choices string, step int64) *Scenario {
	c := s.Clone()
	c.Scheduler.Strategy = StrategyReplay
	c.Scheduler.Choices = choices
	c.Step = &step
	return c
}

// Clone returns a deep copy.
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Image.Features = slices.Clone(s.Image.Features)
	c.Mount.Options = slices.Clone(s.Mount.Options)
	c.Workload.Vars = maps.Clone(s.Workload.Vars)
	if s.Step != nil {
		step := *s.Step
		c.Step = &step
	}
	return &c
}

// URL returns the share link of s under base (e.g.
// "https://ext4play.example/" or "http://127.0.0.1:8080/"): base, then
// "#s=" and the Encode fragment.
func URL(base string, s *Scenario) (string, error) {
	frag, err := Encode(s)
	if err != nil {
		return "", err
	}
	base, _, _ = strings.Cut(base, "#")
	return base + "#s=" + frag, nil
}
