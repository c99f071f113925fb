//go:build js && wasm

// Command worker is the share-link service behind /api and /s: a Cloudflare
// Worker (syumai/workers) running internal/shortlink over Workers KV.
// Netlify proxies those paths here (netlify.toml); `ext4play serve` runs the
// same handler with a local store.
package main

import (
	"context"
	"fmt"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare/kv"

	"ext4play/internal/shortlink"
)

// binding is the KV namespace's name in wrangler.toml.
const binding = "SHARES"

// kvStore is a shortlink.Store over Workers KV. Values are ASCII share
// fragments, so the string API is safe; KV answers a missing key with the
// string "<null>", which no fragment can be (fragments start with a
// version and a dot).
type kvStore struct{}

func (kvStore) ns() (*kv.Namespace, error) {
	// The namespace comes from the current request's runtime context.
	ns, err := kv.NewNamespace(binding)
	if err != nil {
		return nil, fmt.Errorf("KV binding %s: %w", binding, err)
	}
	return ns, nil
}

func (s kvStore) Get(_ context.Context, id string) (string, bool, error) {
	ns, err := s.ns()
	if err != nil {
		return "", false, err
	}
	v, err := ns.GetString(id, nil)
	if err != nil {
		return "", false, err
	}
	if v == "<null>" || v == "" {
		return "", false, nil
	}
	return v, true, nil
}

func (s kvStore) Put(_ context.Context, id, fragment string) error {
	ns, err := s.ns()
	if err != nil {
		return err
	}
	return ns.PutString(id, fragment, nil)
}

func main() {
	workers.Serve(shortlink.Handler(kvStore{}))
}
