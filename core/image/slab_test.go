package image

import (
	"bytes"
	"testing"
)

// TestSlabChunksIndependent: chunks handed out from one slab never share
// bytes, survive discards of their neighbours, and Clone copies them.
func TestSlabChunksIndependent(t *testing.T) {
	const n = 3*slabMax + 5
	d := New(int64(2*n) * ChunkSize)
	block := func(i int) []byte { return bytes.Repeat([]byte{byte(i%250 + 1)}, ChunkSize) }
	for i := 0; i < n; i++ {
		if _, err := d.WriteAt(block(i), int64(2*i)*ChunkSize); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Used(); got != n*ChunkSize {
		t.Fatalf("Used = %d, want %d", got, n*ChunkSize)
	}
	for i := 0; i < n; i += 2 {
		if err := d.Discard(int64(2*i)*ChunkSize, ChunkSize); err != nil {
			t.Fatal(err)
		}
	}
	c := d.Clone()
	if _, err := c.WriteAt(bytes.Repeat([]byte{0xee}, ChunkSize), ChunkSize*2); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, ChunkSize)
	for i := 0; i < n; i++ {
		want := block(i)
		if i%2 == 0 {
			want = make([]byte, ChunkSize)
		}
		if _, err := d.ReadAt(buf, int64(2*i)*ChunkSize); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("chunk %d: got %x…, want %x… (%v)", i, buf[:4], want[:4], err)
		}
	}
	if got, want := d.Used(), int64(n/2)*ChunkSize; got != want {
		t.Errorf("Used after discards = %d, want %d", got, want)
	}
	if _, err := c.ReadAt(buf, ChunkSize*2); err != nil || buf[0] != 0xee {
		t.Errorf("clone write lost: %x %v", buf[:4], err)
	}
}
