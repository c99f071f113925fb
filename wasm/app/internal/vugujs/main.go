// Command vugujs writes vugu's DOM renderer helper script to a file, so the
// page can load it from its own origin.
//
// vugu v0.4.0's domrender.New installs that helper with window.eval, which the
// site's Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval', no
// 'unsafe-eval') forbids. The page therefore loads the very same script as a
// static file before the wasm starts; the helper returns early when it is
// already installed, and boot.js turns the eval call into a no-op.
//
// The script is the string constant jsHelperScript of the pinned vugu module,
// read with go/parser, so it always matches the renderer compiled into the
// wasm, with one patch (patch.go): innerHTML is assigned only when the
// markup changed.
//
// Usage: go run ./wasm/app/internal/vugujs -o dist/vugu-render.js
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("o", "", "output file (default: standard output)")
	modDir := flag.String("vugu-dir", "", "directory of the github.com/vugu/vugu module (default: asked from `go list -m`)")
	flag.Parse()
	if err := run(*out, *modDir); err != nil {
		fmt.Fprintln(os.Stderr, "vugujs:", err)
		os.Exit(1)
	}
}

func run(out, modDir string) error {
	if modDir == "" {
		b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/vugu/vugu").Output()
		if err != nil {
			return fmt.Errorf("locating the vugu module with go list: %w", err)
		}
		modDir = strings.TrimSpace(string(b))
		if modDir == "" {
			return fmt.Errorf("go list found no directory for github.com/vugu/vugu (module not downloaded?)")
		}
	}
	script, err := helperScript(filepath.Join(modDir, "domrender", "renderer-js-script.go"))
	if err != nil {
		return err
	}
	if script, err = patchHelper(script); err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.WriteString(script)
		return err
	}
	return os.WriteFile(out, []byte(script), 0o644)
}
