// Package netlify reads the subset of netlify.toml the site uses, so the
// local server can send exactly the headers and rewrites production sends.
package netlify

import (
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is netlify.toml: build settings, redirects (in order) and header rules.
type Config struct {
	Build     Build      `toml:"build"`
	Redirects []Redirect `toml:"redirects"`
	Headers   []Header   `toml:"headers"`
}

// Build is the [build] table.
type Build struct {
	Command string `toml:"command"`
	Publish string `toml:"publish"`
}

// Redirect is one [[redirects]] rule. Status 200 means a rewrite (proxy or
// SPA fallback), not a redirect.
type Redirect struct {
	From   string `toml:"from"`
	To     string `toml:"to"`
	Status int    `toml:"status"`
	Force  bool   `toml:"force"`
}

// Header is one [[headers]] rule: a path pattern and the headers it adds.
type Header struct {
	For    string            `toml:"for"`
	Values map[string]string `toml:"values"`
}

// Parse decodes netlify.toml strictly: an unknown or misspelled key is an
// error naming it, because Netlify would silently ignore it.
func Parse(data []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("netlify.toml: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("netlify.toml: unknown keys: %s", strings.Join(keys, ", "))
	}
	for i, h := range c.Headers {
		if !strings.HasPrefix(h.For, "/") {
			return nil, fmt.Errorf("netlify.toml: headers[%d].for %q must start with /", i, h.For)
		}
	}
	for i, r := range c.Redirects {
		if !strings.HasPrefix(r.From, "/") {
			return nil, fmt.Errorf("netlify.toml: redirects[%d].from %q must start with /", i, r.From)
		}
	}
	return &c, nil
}

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Match reports whether a URL path matches a Netlify path pattern, where
// '*' matches any run of characters (including '/'), as Netlify's splat does.
func Match(pattern, path string) bool {
	for {
		star := strings.IndexByte(pattern, '*')
		if star < 0 {
			return pattern == path
		}
		if !strings.HasPrefix(path, pattern[:star]) {
			return false
		}
		path = path[star:]
		pattern = pattern[star+1:]
		if pattern == "" {
			return true
		}
		// Try every split point for the rest; patterns here have one or two stars.
		for i := 0; i <= len(path); i++ {
			if Match(pattern, path[i:]) {
				return true
			}
		}
		return false
	}
}

// HeadersFor returns the headers every matching rule adds for path, later
// rules overriding earlier ones for the same header, as Netlify merges them.
func (c *Config) HeadersFor(path string) map[string]string {
	out := map[string]string{}
	for _, h := range c.Headers {
		if Match(h.For, path) {
			for k, v := range h.Values {
				out[k] = v
			}
		}
	}
	return out
}

// RewriteFor returns the first redirect rule matching path, or nil.
func (c *Config) RewriteFor(path string) *Redirect {
	for i := range c.Redirects {
		if Match(c.Redirects[i].From, path) {
			return &c.Redirects[i]
		}
	}
	return nil
}
