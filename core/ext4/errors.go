// Package ext4 reads (and, in its write-side files, builds and changes) the
// ext4 on-disk format: superblock, group descriptors, bitmaps, inodes,
// extent trees, indirect maps, directories, extended attributes and the jbd2
// journal superblock, with every metadata checksum. Names follow
// fs/ext4/ext4.h and e2fsprogs.
package ext4

import "errors"

// Sentinel errors, usable with errors.Is. Errors returned by this package
// wrap one of them and add where (structure, block, byte offset) and what.
var (
	// ErrBadMagic: a structure's magic number is wrong (not ext2/3/4, not
	// an extent header, …).
	ErrBadMagic = errors.New("ext4: bad magic")
	// ErrChecksum: a stored checksum does not match the computed one.
	ErrChecksum = errors.New("ext4: checksum mismatch")
	// ErrCorrupt: a value is out of range or inconsistent.
	ErrCorrupt = errors.New("ext4: corrupt filesystem")
	// ErrUnsupported: valid but not handled here (e.g. a revision level).
	ErrUnsupported = errors.New("ext4: unsupported")
	// ErrNotFound: a path or inode does not exist.
	ErrNotFound = errors.New("ext4: not found")
)
