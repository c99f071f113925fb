package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelperScript(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.go")
	os.WriteFile(good, []byte("package x\n\nconst other = 1\nconst jsHelperScript = \"(function(){if(window.vuguRender)return;\\nwindow.vuguRender=1})()\"\n"), 0o644)
	s, err := helperScript(good)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "(function(){if(window.vuguRender)return;\n") {
		t.Errorf("script = %q", s)
	}

	missing := filepath.Join(dir, "missing.go")
	os.WriteFile(missing, []byte("package x\nconst y = \"z\"\n"), 0o644)
	if _, err := helperScript(missing); err == nil || !strings.Contains(err.Error(), "no constant jsHelperScript") {
		t.Errorf("missing constant: err = %v", err)
	}

	wrong := filepath.Join(dir, "wrong.go")
	os.WriteFile(wrong, []byte("package x\nconst jsHelperScript = \"alert(1)\"\n"), 0o644)
	if _, err := helperScript(wrong); err == nil {
		t.Error("script without window.vuguRender accepted")
	}
}

// TestPinnedVugu reads the real constant from the pinned module, so a vugu
// upgrade that renames or moves it fails here and not in the browser.
func TestPinnedVugu(t *testing.T) {
	out := filepath.Join(t.TempDir(), "vugu-render.js")
	if err := run(out, ""); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 1000 || !strings.Contains(string(b), "vuguSetEventHandler") {
		t.Errorf("helper script looks wrong: %d bytes", len(b))
	}
}

// TestCommittedCopyIsCurrent keeps web/vugu-render.js (what the page loads)
// identical to the renderer compiled into the wasm. Regenerate with
// `go generate ./wasm/app`.
func TestCommittedCopyIsCurrent(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "web", "vugu-render.js"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "vugu-render.js")
	if err := run(out, ""); err != nil {
		t.Fatal(err)
	}
	fresh, _ := os.ReadFile(out)
	if string(committed) != string(fresh) {
		t.Error("web/vugu-render.js differs from the pinned vugu's renderer; run go generate ./wasm/app")
	}
}

func TestPatchHelper(t *testing.T) {
	in := `case m:{let e=C.readString();if(!x.el)throw"x";` + innerHTMLAssign + `break}`
	out, err := patchHelper(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, innerHTMLAssign) || !strings.Contains(out, `if(x.el.innerHTML!==h)x.el.innerHTML=h`) {
		t.Errorf("patched = %q", out)
	}
	if _, err := patchHelper("(function(){})()"); err == nil || !strings.Contains(err.Error(), "found 0 copies") {
		t.Errorf("missing assignment: err = %v", err)
	}
	if _, err := patchHelper(innerHTMLAssign + innerHTMLAssign); err == nil {
		t.Error("two assignments accepted")
	}
}
