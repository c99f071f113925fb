package ext4

import (
	"fmt"
	"strings"
	"unsafe"
)

// jbd2 constants (include/linux/jbd2.h). The journal is big-endian.
const (
	JBD2_MAGIC_NUMBER     = 0xC03B3998
	JBD2_DESCRIPTOR_BLOCK = 1
	JBD2_COMMIT_BLOCK     = 2
	JBD2_SUPERBLOCK_V1    = 3
	JBD2_SUPERBLOCK_V2    = 4
	JBD2_REVOKE_BLOCK     = 5
	JBD2_FC_BLOCK         = 6
	JournalSuperblockSize = 1024
	JBD2_CRC32C_CHKSUM    = 4
	journalChecksumOffset = 0xFC
	JBD2_USERS_MAX        = 48
)

// Journal feature bits.
const (
	JBD2_FEATURE_COMPAT_CHECKSUM       = 0x1
	JBD2_FEATURE_INCOMPAT_REVOKE       = 0x1
	JBD2_FEATURE_INCOMPAT_64BIT        = 0x2
	JBD2_FEATURE_INCOMPAT_ASYNC_COMMIT = 0x4
	JBD2_FEATURE_INCOMPAT_CSUM_V2      = 0x8
	JBD2_FEATURE_INCOMPAT_CSUM_V3      = 0x10
	JBD2_FEATURE_INCOMPAT_FAST_COMMIT  = 0x20
)

// JournalHeader is journal_header_t.
type JournalHeader struct {
	Magic     uint32
	BlockType uint32
	Sequence  uint32
}

// JournalSuperblock is journal_superblock_t (include/linux/jbd2.h), 1024
// bytes, big-endian, in the first block of the journal.
type JournalSuperblock struct {
	Header          JournalHeader // 0x00
	BlockSize       uint32        // 0x0C s_blocksize
	MaxLen          uint32        // 0x10 s_maxlen: journal length in blocks
	First           uint32        // 0x14 s_first: first log block
	Sequence        uint32        // 0x18 s_sequence: first expected commit ID
	Start           uint32        // 0x1C s_start: block of log start, 0 = clean
	Errno           int32         // 0x20
	FeatureCompat   uint32        // 0x24
	FeatureIncompat uint32        // 0x28
	FeatureRoCompat uint32        // 0x2C
	UUID            [16]byte      // 0x30
	NrUsers         uint32        // 0x40
	Dynsuper        uint32        // 0x44
	MaxTransaction  uint32        // 0x48
	MaxTransData    uint32        // 0x4C
	ChecksumType    uint8         // 0x50
	Padding2        [3]uint8      // 0x51
	NumFcBlks       uint32        // 0x54
	Head            uint32        // 0x58
	Padding         [40]uint32    // 0x5C
	Checksum        uint32        // 0xFC crc32c of the superblock (csum v2/v3)
	Users           [16 * 48]byte // 0x100
}

// DecodeJournalSuperblock parses the 1024-byte journal superblock and
// checks its magic and block type.
func DecodeJournalSuperblock(b []byte) (*JournalSuperblock, error) {
	if len(b) < JournalSuperblockSize {
		return nil, fmt.Errorf("%w: journal superblock: %d bytes, need 1024", ErrCorrupt, len(b))
	}
	js := new(JournalSuperblock)
	raw := js.raw()
	*raw = [JournalSuperblockSize]byte(b[:JournalSuperblockSize])
	swapJournalWords(raw)
	if js.Header.Magic != JBD2_MAGIC_NUMBER {
		return js, fmt.Errorf("%w: journal superblock magic 0x%08x, want 0x%08x", ErrBadMagic, js.Header.Magic, uint32(JBD2_MAGIC_NUMBER))
	}
	if bt := js.Header.BlockType; bt != JBD2_SUPERBLOCK_V1 && bt != JBD2_SUPERBLOCK_V2 {
		return js, fmt.Errorf("%w: journal superblock block type %d", ErrCorrupt, bt)
	}
	return js, nil
}

// Encode writes the journal superblock into b[:1024], big-endian.
func (js *JournalSuperblock) Encode(b []byte) {
	out := (*[JournalSuperblockSize]byte)(b[:JournalSuperblockSize])
	*out = *js.raw()
	swapJournalWords(out)
}

// Like Superblock, the struct has its on-disk layout (no padding; checked
// by the compiler below and by TestJournalSuperblockLayout), so encoding is
// a copy plus a byte swap of the big-endian 32-bit words on a
// little-endian host, instead of encoding/binary's reflection walk.
var _ [JournalSuperblockSize - unsafe.Sizeof(JournalSuperblock{})]struct{}
var _ [unsafe.Sizeof(JournalSuperblock{}) - JournalSuperblockSize]struct{}

func (js *JournalSuperblock) raw() *[JournalSuperblockSize]byte {
	return (*[JournalSuperblockSize]byte)(unsafe.Pointer(js))
}

// journalWords are the byte ranges of journal_superblock_t made of 32-bit
// fields; the rest (UUID, s_checksum_type and its padding, s_users) are
// bytes.
var journalWords = [...][2]int{{0x00, 0x30}, {0x40, 0x50}, {0x54, 0x100}}

// swapJournalWords converts the 32-bit fields of b between big-endian (on
// disk) and host order, in place; both directions are the same swap.
func swapJournalWords(b *[JournalSuperblockSize]byte) {
	if !hostLittleEndian {
		return
	}
	for _, r := range journalWords {
		for i := r[0]; i < r[1]; i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
	}
}

// FeatureNames lists the journal features as dumpe2fs prints them.
func (js *JournalSuperblock) FeatureNames() []string {
	out := []string{}
	if js.FeatureCompat&JBD2_FEATURE_COMPAT_CHECKSUM != 0 {
		out = append(out, "journal_checksum")
	}
	names := []string{"journal_incompat_revoke", "journal_64bit", "journal_async_commit", "journal_checksum_v2", "journal_checksum_v3", "journal_fast_commit"}
	for i, n := range names {
		if js.FeatureIncompat&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// HasCsumV2or3 reports whether the journal carries crc32c checksums.
func (js *JournalSuperblock) HasCsumV2or3() bool {
	return js.FeatureIncompat&(JBD2_FEATURE_INCOMPAT_CSUM_V2|JBD2_FEATURE_INCOMPAT_CSUM_V3) != 0
}

// ChecksumTypeName is the dumpe2fs spelling of s_checksum_type.
func (js *JournalSuperblock) ChecksumTypeName() string {
	switch js.ChecksumType {
	case 0:
		return ""
	case 1:
		return "crc32"
	case 2:
		return "md5"
	case 3:
		return "sha1"
	case JBD2_CRC32C_CHKSUM:
		return "crc32c"
	}
	return strings.ToLower(fmt.Sprintf("unknown(%d)", js.ChecksumType))
}
