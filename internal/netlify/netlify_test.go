package netlify

import (
	"path/filepath"
	"strings"
	"testing"
)

// The repository's netlify.toml must decode strictly and carry the rules the
// site depends on: wasm MIME, caching of hashed assets but not index.html,
// a CSP that allows Go wasm but nothing inline, and the SPA fallback last.
func TestRepositoryNetlifyToml(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "netlify.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Build.Publish != "dist" || !strings.Contains(c.Build.Command, "build.sh build") {
		t.Errorf("build = %+v, want publish dist and build.sh build", c.Build)
	}
	if got := c.HeadersFor("/assets/app.0123abcd.wasm")["Content-Type"]; got != "application/wasm" {
		t.Errorf("wasm Content-Type = %q", got)
	}
	if got := c.HeadersFor("/assets/app.0123abcd.wasm")["Cache-Control"]; !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
		t.Errorf("hashed asset Cache-Control = %q", got)
	}
	for _, p := range []string{"/", "/index.html"} {
		if got := c.HeadersFor(p)["Cache-Control"]; got != "no-cache" {
			t.Errorf("%s Cache-Control = %q, want no-cache", p, got)
		}
	}
	csp := c.HeadersFor("/index.html")["Content-Security-Policy"]
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			directives[f[0]] = strings.Join(f[1:], " ")
		}
	}
	if directives["default-src"] != "'self'" {
		t.Errorf("default-src = %q", directives["default-src"])
	}
	if s := directives["script-src"]; !strings.Contains(s, "'wasm-unsafe-eval'") || strings.Contains(s, "'unsafe-inline'") || strings.Contains(s, "'unsafe-eval'") {
		t.Errorf("script-src = %q: must allow wasm compilation and nothing inline", s)
	}
	if strings.Contains(directives["style-src"], "unsafe-inline") {
		t.Errorf("style-src allows inline styles: %q", directives["style-src"])
	}
	for _, d := range []string{"object-src", "frame-ancestors", "base-uri"} {
		if directives[d] != "'none'" {
			t.Errorf("%s = %q, want 'none'", d, directives[d])
		}
	}
	if len(c.Redirects) == 0 {
		t.Fatal("no redirects")
	}
	last := c.Redirects[len(c.Redirects)-1]
	if last.From != "/*" || last.To != "/index.html" || last.Status != 200 {
		t.Errorf("last redirect = %+v, want the SPA fallback /* → /index.html 200", last)
	}
	for _, p := range []string{"/s/abc", "/api/share"} {
		r := c.RewriteFor(p)
		if r == nil || r.Status != 200 || !strings.HasPrefix(r.To, "https://") {
			t.Errorf("%s: rewrite %+v, want a 200 proxy to the worker", p, r)
		}
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte("[build]\npublsh = \"dist\"\n"))
	if err == nil || !strings.Contains(err.Error(), "publsh") {
		t.Fatalf("err = %v, want it to name the misspelled key", err)
	}
	_, err = Parse([]byte("[[headers]]\nfor = \"x\"\n"))
	if err == nil {
		t.Fatal("relative header path accepted")
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/*", "/", true},
		{"/*", "/a/b", true},
		{"/*.wasm", "/assets/x.wasm", true},
		{"/*.wasm", "/assets/x.wasm.map", false},
		{"/assets/*", "/assets/", true},
		{"/assets/*", "/asset", false},
		{"/index.html", "/index.html", true},
		{"/", "/index.html", false},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.path); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}
