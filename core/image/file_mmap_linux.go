//go:build linux

package image

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// mapFile maps the first size bytes of f read-only and shared, so pages
// come straight from the page cache. It fails for an empty file and for a
// size the address space cannot hold.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("image: %s: cannot map %d bytes", f.Name(), size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("image: mmap %s: %w", f.Name(), err)
	}
	return b, nil
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(b []byte) error {
	if err := syscall.Munmap(b); err != nil {
		return fmt.Errorf("image: munmap: %w", err)
	}
	return nil
}

// faultAddr is the runtime error a memory fault becomes under
// debug.SetPanicOnFault.
type faultAddr interface{ Addr() uintptr }

// guard runs fn, which touches the mapping, turning a fault on a mapped
// page into an error instead of a crash: if the file is truncated after it
// was mapped, touching the pages past its new end raises SIGBUS. Panics
// that are not faults inside the mapping (fn's own) go on unchanged.
func (d *FileDevice) guard(fn func()) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			fa, ok := r.(faultAddr)
			base := uintptr(unsafe.Pointer(unsafe.SliceData(d.data)))
			if !ok || fa.Addr() < base || fa.Addr()-base >= uintptr(len(d.data)) {
				panic(r)
			}
			err = fmt.Errorf("image: %s at offset %d: file truncated since open (size %d): %w", d.f.Name(), int64(fa.Addr()-base), d.size, ErrOutOfRange)
		}
	}()
	fn()
	return nil
}
