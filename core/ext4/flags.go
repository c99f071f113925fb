package ext4

import (
	"fmt"
	"math/bits"
	"strings"
)

// InodeFlags is i_flags (EXT4_*_FL, fs/ext4/ext4.h).
type InodeFlags uint32

// Inode flags with the kernel's names.
const (
	EXT4_SECRM_FL        InodeFlags = 0x00000001
	EXT4_UNRM_FL         InodeFlags = 0x00000002
	EXT4_COMPR_FL        InodeFlags = 0x00000004
	EXT4_SYNC_FL         InodeFlags = 0x00000008
	EXT4_IMMUTABLE_FL    InodeFlags = 0x00000010
	EXT4_APPEND_FL       InodeFlags = 0x00000020
	EXT4_NODUMP_FL       InodeFlags = 0x00000040
	EXT4_NOATIME_FL      InodeFlags = 0x00000080
	EXT4_DIRTY_FL        InodeFlags = 0x00000100
	EXT4_COMPRBLK_FL     InodeFlags = 0x00000200
	EXT4_NOCOMPR_FL      InodeFlags = 0x00000400
	EXT4_ENCRYPT_FL      InodeFlags = 0x00000800
	EXT4_INDEX_FL        InodeFlags = 0x00001000
	EXT4_IMAGIC_FL       InodeFlags = 0x00002000
	EXT4_JOURNAL_DATA_FL InodeFlags = 0x00004000
	EXT4_NOTAIL_FL       InodeFlags = 0x00008000
	EXT4_DIRSYNC_FL      InodeFlags = 0x00010000
	EXT4_TOPDIR_FL       InodeFlags = 0x00020000
	EXT4_HUGE_FILE_FL    InodeFlags = 0x00040000
	EXT4_EXTENTS_FL      InodeFlags = 0x00080000
	EXT4_VERITY_FL       InodeFlags = 0x00100000
	EXT4_EA_INODE_FL     InodeFlags = 0x00200000
	EXT4_DAX_FL          InodeFlags = 0x02000000
	EXT4_INLINE_DATA_FL  InodeFlags = 0x10000000
	EXT4_PROJINHERIT_FL  InodeFlags = 0x20000000
	EXT4_CASEFOLD_FL     InodeFlags = 0x40000000
	EXT4_RESERVED_FL     InodeFlags = 0x80000000
)

// inodeFlagNames is the one table behind InodeFlags.String and
// ParseInodeFlag: the kernel name without EXT4_ and _FL.
var inodeFlagNames = map[InodeFlags]string{
	EXT4_SECRM_FL: "SECRM", EXT4_UNRM_FL: "UNRM", EXT4_COMPR_FL: "COMPR",
	EXT4_SYNC_FL: "SYNC", EXT4_IMMUTABLE_FL: "IMMUTABLE", EXT4_APPEND_FL: "APPEND",
	EXT4_NODUMP_FL: "NODUMP", EXT4_NOATIME_FL: "NOATIME", EXT4_DIRTY_FL: "DIRTY",
	EXT4_COMPRBLK_FL: "COMPRBLK", EXT4_NOCOMPR_FL: "NOCOMPR", EXT4_ENCRYPT_FL: "ENCRYPT",
	EXT4_INDEX_FL: "INDEX", EXT4_IMAGIC_FL: "IMAGIC", EXT4_JOURNAL_DATA_FL: "JOURNAL_DATA",
	EXT4_NOTAIL_FL: "NOTAIL", EXT4_DIRSYNC_FL: "DIRSYNC", EXT4_TOPDIR_FL: "TOPDIR",
	EXT4_HUGE_FILE_FL: "HUGE_FILE", EXT4_EXTENTS_FL: "EXTENTS", EXT4_VERITY_FL: "VERITY",
	EXT4_EA_INODE_FL: "EA_INODE", EXT4_DAX_FL: "DAX", EXT4_INLINE_DATA_FL: "INLINE_DATA",
	EXT4_PROJINHERIT_FL: "PROJINHERIT", EXT4_CASEFOLD_FL: "CASEFOLD", EXT4_RESERVED_FL: "RESERVED",
}

// Names lists the set flags by kernel name, lowest bit first; unknown bits
// appear as 0x… values.
func (f InodeFlags) Names() []string {
	out := []string{}
	for v := uint32(f); v != 0; {
		m := v & -v
		if n, ok := inodeFlagNames[InodeFlags(m)]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("0x%x", m))
		}
		v &^= m
	}
	return out
}

func (f InodeFlags) String() string { return strings.Join(f.Names(), "|") }

// ParseInodeFlag accepts "EXTENTS", "EXT4_EXTENTS_FL" or "extents".
func ParseInodeFlag(s string) (InodeFlags, error) {
	n := strings.TrimSuffix(strings.TrimPrefix(strings.ToUpper(s), "EXT4_"), "_FL")
	for f, name := range inodeFlagNames {
		if name == n {
			return f, nil
		}
	}
	return 0, fmt.Errorf("ext4: unknown inode flag %q", s)
}

// BgFlags is bg_flags of a group descriptor (EXT4_BG_*).
type BgFlags uint16

const (
	EXT4_BG_INODE_UNINIT BgFlags = 0x0001
	EXT4_BG_BLOCK_UNINIT BgFlags = 0x0002
	EXT4_BG_INODE_ZEROED BgFlags = 0x0004
)

var bgFlagNames = [...]string{"INODE_UNINIT", "BLOCK_UNINIT", "ITABLE_ZEROED"}

// Names lists the set flags as dumpe2fs spells them.
func (f BgFlags) Names() []string {
	out := []string{}
	for i, n := range bgFlagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if rest := f &^ 7; rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return out
}

func (f BgFlags) String() string { return strings.Join(f.Names(), ", ") }

// FileMode is i_mode: S_IF* type bits plus permissions.
type FileMode uint16

// Type bits of i_mode.
const (
	S_IFMT   FileMode = 0xF000
	S_IFSOCK FileMode = 0xC000
	S_IFLNK  FileMode = 0xA000
	S_IFREG  FileMode = 0x8000
	S_IFBLK  FileMode = 0x6000
	S_IFDIR  FileMode = 0x4000
	S_IFCHR  FileMode = 0x2000
	S_IFIFO  FileMode = 0x1000
)

// TypeName is the report's type word: file dir symlink chardev blockdev
// fifo socket, or "unknown".
func (m FileMode) TypeName() string {
	switch m & S_IFMT {
	case S_IFREG:
		return "file"
	case S_IFDIR:
		return "dir"
	case S_IFLNK:
		return "symlink"
	case S_IFCHR:
		return "chardev"
	case S_IFBLK:
		return "blockdev"
	case S_IFIFO:
		return "fifo"
	case S_IFSOCK:
		return "socket"
	}
	return "unknown"
}

// Perm is the permission bits (including setuid/setgid/sticky).
func (m FileMode) Perm() uint16 { return uint16(m) & 0o7777 }

func (m FileMode) IsDir() bool     { return m&S_IFMT == S_IFDIR }
func (m FileMode) IsRegular() bool { return m&S_IFMT == S_IFREG }
func (m FileMode) IsSymlink() bool { return m&S_IFMT == S_IFLNK }

// FileType is ext4_dir_entry_2.file_type (EXT4_FT_*).
type FileType uint8

const (
	EXT4_FT_UNKNOWN  FileType = 0
	EXT4_FT_REG_FILE FileType = 1
	EXT4_FT_DIR      FileType = 2
	EXT4_FT_CHRDEV   FileType = 3
	EXT4_FT_BLKDEV   FileType = 4
	EXT4_FT_FIFO     FileType = 5
	EXT4_FT_SOCK     FileType = 6
	EXT4_FT_SYMLINK  FileType = 7
	// EXT4_FT_DIR_CSUM marks the checksum tail of a directory block.
	EXT4_FT_DIR_CSUM FileType = 0xDE
)

var fileTypeNames = map[FileType]string{
	EXT4_FT_UNKNOWN: "unknown", EXT4_FT_REG_FILE: "file", EXT4_FT_DIR: "dir",
	EXT4_FT_CHRDEV: "chardev", EXT4_FT_BLKDEV: "blockdev", EXT4_FT_FIFO: "fifo",
	EXT4_FT_SOCK: "socket", EXT4_FT_SYMLINK: "symlink", EXT4_FT_DIR_CSUM: "dir_csum",
}

func (t FileType) String() string {
	if n, ok := fileTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("FileType(%d)", uint8(t))
}

// FileTypeOfMode maps an i_mode to the directory entry type.
func FileTypeOfMode(m FileMode) FileType {
	switch m & S_IFMT {
	case S_IFREG:
		return EXT4_FT_REG_FILE
	case S_IFDIR:
		return EXT4_FT_DIR
	case S_IFCHR:
		return EXT4_FT_CHRDEV
	case S_IFBLK:
		return EXT4_FT_BLKDEV
	case S_IFIFO:
		return EXT4_FT_FIFO
	case S_IFSOCK:
		return EXT4_FT_SOCK
	case S_IFLNK:
		return EXT4_FT_SYMLINK
	}
	return EXT4_FT_UNKNOWN
}

// HashVersion is s_def_hash_version / dx_root_info.hash_version
// (DX_HASH_*).
type HashVersion uint8

const (
	DX_HASH_LEGACY            HashVersion = 0
	DX_HASH_HALF_MD4          HashVersion = 1
	DX_HASH_TEA               HashVersion = 2
	DX_HASH_LEGACY_UNSIGNED   HashVersion = 3
	DX_HASH_HALF_MD4_UNSIGNED HashVersion = 4
	DX_HASH_TEA_UNSIGNED      HashVersion = 5
	DX_HASH_SIPHASH           HashVersion = 6
)

// hashNames are the dumpe2fs spellings (lib/e2p/hashstr.c).
var hashNames = [...]string{"legacy", "half_md4", "tea", "legacy_unsigned", "half_md4_unsigned", "tea_unsigned", "siphash"}

func (h HashVersion) String() string {
	if int(h) < len(hashNames) {
		return hashNames[h]
	}
	return fmt.Sprintf("HASHALG_%d", uint8(h))
}

// ParseHashVersion accepts the dumpe2fs names.
func ParseHashVersion(s string) (HashVersion, error) {
	for i, n := range hashNames {
		if strings.EqualFold(n, s) {
			return HashVersion(i), nil
		}
	}
	return 0, fmt.Errorf("ext4: unknown hash algorithm %q", s)
}

// State is s_state (EXT4_VALID_FS, EXT4_ERROR_FS, EXT4_ORPHAN_FS).
type State uint16

const (
	EXT4_VALID_FS  State = 0x0001
	EXT4_ERROR_FS  State = 0x0002
	EXT4_ORPHAN_FS State = 0x0004
)

// String spells the state as dumpe2fs does ("clean", "not clean",
// "clean with errors").
func (s State) String() string {
	out := "not clean"
	if s&EXT4_VALID_FS != 0 {
		out = "clean"
	}
	if s&EXT4_ERROR_FS != 0 {
		out += " with errors"
	}
	if s&EXT4_ORPHAN_FS != 0 {
		out += " with orphans"
	}
	return out
}

// ErrorsBehavior is s_errors (EXT4_ERRORS_*).
type ErrorsBehavior uint16

const (
	EXT4_ERRORS_CONTINUE ErrorsBehavior = 1
	EXT4_ERRORS_RO       ErrorsBehavior = 2
	EXT4_ERRORS_PANIC    ErrorsBehavior = 3
)

func (e ErrorsBehavior) String() string {
	switch e {
	case EXT4_ERRORS_CONTINUE:
		return "Continue"
	case EXT4_ERRORS_RO:
		return "Remount read-only"
	case EXT4_ERRORS_PANIC:
		return "Panic"
	}
	return "Unknown (continue)"
}

// CreatorOS is s_creator_os (EXT4_OS_*).
type CreatorOS uint32

var creatorOSNames = [...]string{"Linux", "Hurd", "Masix", "FreeBSD", "Lites"}

func (c CreatorOS) String() string {
	if int(c) < len(creatorOSNames) {
		return creatorOSNames[c]
	}
	return "(unknown os)"
}

// DefaultMountOpts is s_default_mount_opts (EXT4_DEFM_*).
type DefaultMountOpts uint32

// defmNames are the e2fsprogs names (lib/e2p/mntopts.c), by bit.
var defmNames = map[uint32]string{
	0x0001: "debug", 0x0002: "bsdgroups", 0x0004: "user_xattr", 0x0008: "acl",
	0x0010: "uid16", 0x0100: "nobarrier", 0x0200: "block_validity",
	0x0400: "discard", 0x0800: "nodelalloc",
}

// Names lists the options as dumpe2fs prints them (the journal mode
// occupies bits 5–6 as a value, not a flag).
func (o DefaultMountOpts) Names() []string {
	out := []string{}
	v := uint32(o)
	for m := uint32(1); m != 0 && m <= v; m <<= 1 {
		if m == 0x20 || m == 0x40 {
			continue
		}
		if v&m != 0 {
			if n, ok := defmNames[m]; ok {
				out = append(out, n)
			} else {
				out = append(out, fmt.Sprintf("MNTOPT_%d", bits.TrailingZeros32(m)))
			}
		}
	}
	switch v & 0x60 {
	case 0x20:
		out = append(out, "journal_data")
	case 0x40:
		out = append(out, "journal_data_ordered")
	case 0x60:
		out = append(out, "journal_data_writeback")
	}
	return out
}
