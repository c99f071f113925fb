// Package shortlink turns a playground share fragment (#s=…) into a short
// /s/<id> link and back. It is the share worker's whole logic, kept free of
// syscall/js so it runs in host tests and in `ext4play serve`; the
// Cloudflare Worker (wasm/worker) only supplies a KV-backed Store.
//
// Ids are content addressed (a prefix of the fragment's SHA-256 in
// base32), so sharing the same run twice gives the same link and a stored
// link can never be overwritten with a different scenario.
package shortlink

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"ext4play/core/scenario"
)

// Store keeps fragments by id. Get reports ok=false for an unknown id.
type Store interface {
	Get(ctx context.Context, id string) (fragment string, ok bool, err error)
	Put(ctx context.Context, id, fragment string) error
}

const (
	// IDLen is the normal id length: 10 base32 characters = 50 bits.
	IDLen = 10
	// maxIDLen bounds ids lengthened to step around a prefix collision.
	maxIDLen = 26
	// maxBody bounds a POST body: the largest fragment plus JSON framing.
	maxBody = scenario.MaxFragmentBytes + 1024
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Normalize strips the "#" and "s=" prefixes and checks that the fragment
// decodes to a valid scenario; the error says what is wrong with it.
func Normalize(fragment string) (string, error) {
	f := strings.TrimPrefix(strings.TrimSpace(fragment), "#")
	f = strings.TrimPrefix(f, "s=")
	if f == "" {
		return "", errors.New("empty fragment: want the value of a #s= share link")
	}
	if _, err := scenario.Decode(f); err != nil {
		return "", err
	}
	return f, nil
}

// Shorten stores the fragment (already normalized) and returns its id.
func Shorten(ctx context.Context, st Store, fragment string) (string, error) {
	sum := sha256.Sum256([]byte(fragment))
	full := idEncoding.EncodeToString(sum[:])
	for n := IDLen; n <= maxIDLen; n++ {
		id := full[:n]
		got, ok, err := st.Get(ctx, id)
		if err != nil {
			return "", fmt.Errorf("shortlink: reading %s: %w", id, err)
		}
		if ok && got == fragment {
			return id, nil
		}
		if ok {
			continue // another scenario owns this prefix: lengthen
		}
		if err := st.Put(ctx, id, fragment); err != nil {
			return "", fmt.Errorf("shortlink: storing %s: %w", id, err)
		}
		return id, nil
	}
	return "", errors.New("shortlink: no free id (hash prefix collisions up to 26 characters)")
}

// ValidID reports whether s could be an id this package made.
func ValidID(s string) bool {
	if len(s) < IDLen || len(s) > maxIDLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Handler serves
//
//	POST /api/share   body {"fragment": "s=…"} (or the bare fragment as text)
//	                  → 201 {"id": "…", "path": "/s/…"}
//	GET  /s/<id>      → 302 to /#s=<fragment>
//
// Errors are JSON {"error": "…"} for /api and plain text for /s, each
// saying what was wrong.
func Handler(st Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/share", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			jsonError(w, http.StatusMethodNotAllowed, "use POST with {\"fragment\": \"s=…\"}")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			jsonError(w, http.StatusBadRequest, "reading body: "+err.Error())
			return
		}
		if len(body) > maxBody {
			jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", maxBody))
			return
		}
		frag := string(body)
		if strings.HasPrefix(strings.TrimSpace(frag), "{") {
			var req struct {
				Fragment string `json:"fragment"`
			}
			dec := json.NewDecoder(strings.NewReader(frag))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				jsonError(w, http.StatusBadRequest, "body: "+err.Error())
				return
			}
			frag = req.Fragment
		}
		frag, err = Normalize(frag)
		if err != nil {
			jsonError(w, http.StatusBadRequest, "fragment: "+err.Error())
			return
		}
		id, err := Shorten(r.Context(), st, frag)
		if err != nil {
			jsonError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": id, "path": "/s/" + id})
	})
	mux.HandleFunc("/s/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/s/")
		if !ValidID(id) {
			http.Error(w, fmt.Sprintf("%q is not a share id (%d–%d characters a-z, 2-7)", truncate(id, 40), IDLen, maxIDLen), http.StatusBadRequest)
			return
		}
		frag, ok, err := st.Get(r.Context(), id)
		if err != nil {
			http.Error(w, "share store: "+err.Error(), http.StatusBadGateway)
			return
		}
		if !ok {
			http.Error(w, "no shared run with id "+id, http.StatusNotFound)
			return
		}
		// Content addressed: the target of an id never changes.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.Redirect(w, r, "/#s="+frag, http.StatusFound)
	})
	return mux
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MemStore is an in-memory Store, for `ext4play serve` and tests.
type MemStore struct {
	mu sync.Mutex
	m  map[string]string
}

// Get implements Store.
func (s *MemStore) Get(_ context.Context, id string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	return v, ok, nil
}

// Put implements Store.
func (s *MemStore) Put(_ context.Context, id, fragment string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]string)
	}
	s.m[id] = fragment
	return nil
}

// DirStore keeps one file per id in a directory, so `ext4play serve
// --share-dir` links survive a restart.
type DirStore struct{ Dir string }

// Get implements Store.
func (s DirStore) Get(_ context.Context, id string) (string, bool, error) {
	if !ValidID(id) {
		return "", false, nil
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// Put implements Store; the write is atomic (temp file + rename).
func (s DirStore) Put(_ context.Context, id, fragment string) error {
	if !ValidID(id) {
		return fmt.Errorf("invalid id %q", id)
	}
	tmp, err := os.CreateTemp(s.Dir, ".put-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(fragment); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.Dir, id))
}
