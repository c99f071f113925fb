package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"ext4play/internal/netlify"
	"ext4play/internal/shortlink"
)

func init() {
	register("serve", "serve the built site (dist/) with the headers of netlify.toml", runServe)
}

func runServe(args []string) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fl.String("addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	dir := fl.String("dir", "dist", "directory of the built site")
	config := fl.String("config", "netlify.toml", "netlify.toml whose headers and rewrites to apply")
	shareDir := fl.String("share-dir", "", "keep /s/<id> share links in this directory (default: in memory until exit)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	cfg, err := netlify.Load(*config)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ext4play serve: %v\n", err)
		return 2
	}
	if _, err := os.Stat(filepath.Join(*dir, "index.html")); err != nil {
		fmt.Fprintf(os.Stderr, "ext4play serve: %s has no index.html; run ./build.sh build first\n", *dir)
		return 2
	}
	var store shortlink.Store = &shortlink.MemStore{}
	if *shareDir != "" {
		if err := os.MkdirAll(*shareDir, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "ext4play serve: --share-dir: %v\n", err)
			return 2
		}
		store = shortlink.DirStore{Dir: *shareDir}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ext4play serve: %v\n", err)
		return 2
	}
	fmt.Printf("ext4play: serving %s on http://%s/\n", *dir, ln.Addr())
	if err := http.Serve(ln, newSiteHandler(os.DirFS(*dir), cfg, shortlink.Handler(store))); err != nil {
		fmt.Fprintf(os.Stderr, "ext4play serve: %v\n", err)
		return 1
	}
	return 0
}

// siteHandler serves a static site the way Netlify would for our
// netlify.toml: headers by path pattern, SPA fallback, and what Netlify
// proxies to the share worker (/api, /s) handled by the worker's own
// handler, given here with a local store.
type siteHandler struct {
	files  fs.FS
	cfg    *netlify.Config
	worker http.Handler // nil: proxied paths answer 502
}

func newSiteHandler(files fs.FS, cfg *netlify.Config, worker http.Handler) http.Handler {
	return &siteHandler{files: files, cfg: cfg, worker: worker}
}

func (h *siteHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	name := strings.TrimPrefix(p, "/")
	if name == "" {
		name = "index.html"
	}
	if rw := h.cfg.RewriteFor(p); rw != nil && rw.Status == 200 && isRemote(rw.To) && h.worker != nil {
		h.worker.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !h.exists(name) {
		rw := h.cfg.RewriteFor(p)
		switch {
		case rw == nil || rw.Status != 200:
			http.NotFound(w, r)
			return
		case isRemote(rw.To):
			http.Error(w, "this path is proxied to the share worker in production; not available from the local server", http.StatusBadGateway)
			return
		default:
			p = rw.To
			name = strings.TrimPrefix(p, "/")
			if !h.exists(name) {
				http.NotFound(w, r)
				return
			}
		}
	}
	for k, v := range h.cfg.HeadersFor(p) {
		w.Header().Set(k, v)
	}
	data, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.Error(w, "read failed", http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		ct := mimeByExt[path.Ext(name)]
		if ct == "" {
			ct = http.DetectContentType(data)
		}
		w.Header().Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func isRemote(to string) bool {
	return strings.HasPrefix(to, "http://") || strings.HasPrefix(to, "https://")
}

func (h *siteHandler) exists(name string) bool {
	st, err := fs.Stat(h.files, name)
	if errors.Is(err, fs.ErrNotExist) || err != nil {
		return false
	}
	return !st.IsDir()
}

// mimeByExt is fixed rather than taken from the OS's mime.types, so the
// server behaves the same on every machine.
var mimeByExt = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".wasm": "application/wasm",
	".png":  "image/png",
	".svg":  "image/svg+xml",
	".zst":  "application/zstd",
	".gz":   "application/gzip",
	".xz":   "application/x-xz",
	".img":  "application/octet-stream",
	".ico":  "image/x-icon",
}
