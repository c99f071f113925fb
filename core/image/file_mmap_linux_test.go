//go:build linux

package image

import "testing"

// TestFileDeviceMapped checks that on linux the file is mapped (the fast
// path is taken) and that Close unmaps it.
func TestFileDeviceMapped(t *testing.T) {
	_, flat := randomDevice(10)
	fd, _ := openRaw(t, flat)
	if len(fd.data) != len(flat) {
		t.Fatalf("mapping of %d bytes, want %d", len(fd.data), len(flat))
	}
	if err := fd.Close(); err != nil {
		t.Fatal(err)
	}
	if fd.data != nil {
		t.Error("Close left the mapping")
	}
}
