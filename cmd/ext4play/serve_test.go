package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"ext4play/core/scenario"
	"ext4play/internal/netlify"
	"ext4play/internal/shortlink"
)

func TestServeAppliesNetlifyHeaders(t *testing.T) {
	cfg, err := netlify.Load(filepath.Join("..", "..", "netlify.toml"))
	if err != nil {
		t.Fatal(err)
	}
	site := fstest.MapFS{
		"index.html":             {Data: []byte("<!doctype html><title>ext4play</title>")},
		"assets/app.abc123.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00")},
	}
	srv := httptest.NewServer(newSiteHandler(site, cfg, nil))
	defer srv.Close()

	get := func(p string) *http.Response {
		t.Helper()
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	r := get("/assets/app.abc123.wasm")
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/wasm" || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("wasm: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
	}
	r = get("/")
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "wasm-unsafe-eval") {
		t.Errorf("/: %d cache %q csp %q", r.StatusCode, r.Header.Get("Cache-Control"), r.Header.Get("Content-Security-Policy"))
	}
	// SPA fallback: an unknown page path is the playground page, uncached.
	r = get("/some/deep/link")
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("fallback: %d %q %q", r.StatusCode, r.Header.Get("Cache-Control"), r.Header.Get("Content-Type"))
	}
	// Without a worker handler, proxied paths say so instead of
	// pretending to be the page.
	if r = get("/api/share"); r.StatusCode != http.StatusBadGateway {
		t.Errorf("/api/share: %d, want 502", r.StatusCode)
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", resp.StatusCode)
	}
}

// The local server runs the share worker's handler on the paths Netlify
// proxies to it: a POSTed fragment comes back as /s/<id>, which redirects
// to the page with the same fragment.
func TestServeShortLinks(t *testing.T) {
	cfg, err := netlify.Load(filepath.Join("..", "..", "netlify.toml"))
	if err != nil {
		t.Fatal(err)
	}
	site := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
	srv := httptest.NewServer(newSiteHandler(site, cfg, shortlink.Handler(shortlink.DirStore{Dir: t.TempDir()})))
	defer srv.Close()
	sc, err := scenario.Example("generic-300-dioread-nolock")
	if err != nil {
		t.Fatal(err)
	}
	frag, err := scenario.Encode(sc)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/api/share", "application/json", strings.NewReader(`{"fragment":"#s=`+frag+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ ID, Path string }
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || out.Path != "/s/"+out.ID {
		t.Fatalf("POST /api/share: %d %+v %v", resp.StatusCode, out, err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(srv.URL + out.Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/#s="+frag {
		t.Fatalf("GET %s: %d Location %.40q", out.Path, resp.StatusCode, resp.Header.Get("Location"))
	}
	// Following it lands on the page.
	resp, err = http.Get(srv.URL + out.Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("following %s: %d %q", out.Path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
