package ext4

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ext4play/core/image"
)

// needTools skips the test when e2fsprogs is not installed: these tests use
// mke2fs, debugfs and dumpe2fs as the oracle.
func needTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"mke2fs", "debugfs", "dumpe2fs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("e2fsprogs tool %s not found: oracle test skipped", tool)
		}
	}
}

// fixedEnv makes mke2fs and debugfs reproducible.
func fixedEnv() []string {
	return append(os.Environ(), "E2FSPROGS_FAKE_TIME=1700000000", "E2FSCK_TIME=1700000000", "TZ=UTC")
}

// run runs a tool and fails the test with its output on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = fixedEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runOut runs a tool and returns only its stdout.
func runOut(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = fixedEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

// mkfs builds an image of sizeKiB with mke2fs args in dir and returns its path.
func mkfs(t testing.TB, dir, name string, sizeKiB int, args ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	all := append([]string{"-q", "-F", "-U", "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", "-E", "hash_seed=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"}, args...)
	all = append(all, path, strconv.Itoa(sizeKiB)+"k")
	run(t, "mke2fs", all...)
	return path
}

// loadDev loads an image file into a Device.
func loadDev(t testing.TB, path string) *image.Device {
	t.Helper()
	d, err := image.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
