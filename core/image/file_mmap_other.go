//go:build !linux

package image

import (
	"errors"
	"os"
)

// mapFile is not used outside linux (js/wasm has no mmap): the file
// device reads through its window cache instead.
func mapFile(*os.File, int64) ([]byte, error) {
	return nil, errors.New("image: mmap not supported on this platform")
}

func unmapFile([]byte) error { return nil }

// guard only runs fn: without a mapping there is no fault to catch.
func (d *FileDevice) guard(fn func()) error {
	fn()
	return nil
}
