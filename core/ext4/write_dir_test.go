package ext4

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"ext4play/core/image"
)

// TestHtreeDirectoryIsNotCorrupted lets e2fsck -D turn a big directory
// into an htree, then checks that lookups and removals work, that adding
// an entry is refused with EOPNOTSUPP, and that e2fsck stays clean.
func TestHtreeDirectoryIsNotCorrupted(t *testing.T) {
	e2fsck := needTool(t, "e2fsck")
	v := newTestVolume(t, MkfsOptions{Size: 16 << 20, BlockSize: 4096})
	d, _ := v.MkdirPath("/big", 0o755)
	for i := 0; i < 400; i++ {
		if _, err := v.Create(d, fmt.Sprintf("entry-with-a-long-name-%05d", i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(t.TempDir(), "h.img")
	if err := v.Device().SaveFile(img); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e2fsck, "-fyD", img)
	cmd.Env = e2fsEnv(t)
	cmd.Run() // exit status 1: "file system was modified"
	dev, err := image.LoadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	v, err = OpenVolume(dev)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := v.Stat(d)
	if in.Flags&EXT4_INDEX_FL == 0 {
		t.Skip("e2fsck -D did not index the directory")
	}
	if _, err := v.Create(d, "new", 0o644); !errors.Is(err, EOPNOTSUPP) {
		t.Fatalf("create in htree directory: %v, want EOPNOTSUPP", err)
	}
	if ino, err := v.Lookup("/big/entry-with-a-long-name-00377"); err != nil || ino == 0 {
		t.Fatalf("lookup in htree directory: %d, %v", ino, err)
	}
	for i := 0; i < 400; i += 3 {
		if err := v.Unlink(d, fmt.Sprintf("entry-with-a-long-name-%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	fsckVolume(t, v)
}
