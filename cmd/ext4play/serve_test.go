package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"ext4play/internal/netlify"
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
	srv := httptest.NewServer(newSiteHandler(site, cfg))
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
	// Proxied paths say so instead of pretending to be the page.
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
