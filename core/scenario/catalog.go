package scenario

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// The example catalogue. The canonical files are core/scenario/catalog/
// *.json (go:embed cannot reach outside the package directory, and does
// not follow symlinks); examples/scenarios/ holds byte-identical copies
// for the CLI, and a test keeps the two in step.
//
//go:embed catalog/*.json
var catalogFS embed.FS

// DefaultExample is the scenario the playground opens with.
const DefaultExample = "generic-300-dioread-nolock"

// Entry is one catalogue scenario.
type Entry struct {
	Name     string // file name without .json
	Scenario *Scenario
}

// Catalog returns every example, the default first and the rest by name.
// Each is parsed and validated; a broken file is an error naming it.
func Catalog() ([]Entry, error) {
	names, err := fs.Glob(catalogFS, "catalog/*.json")
	if err != nil {
		return nil, err
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := strings.Contains(names[i], "/"+DefaultExample+".json"), strings.Contains(names[j], "/"+DefaultExample+".json")
		if a != b {
			return a
		}
		return names[i] < names[j]
	})
	var out []Entry
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "catalog/"), ".json")
		s, err := Example(name)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Name: name, Scenario: s})
	}
	return out, nil
}

// Example returns the catalogue scenario called name.
func Example(name string) (*Scenario, error) {
	b, err := catalogFS.ReadFile("catalog/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("scenario: no example %q", name)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("scenario: example %s: %w", name, err)
	}
	return s, nil
}
