package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestStructSizes(t *testing.T) {
	if n := binary.Size(Superblock{}); n != SuperblockSize {
		t.Errorf("Superblock is %d bytes, want 1024", n)
	}
	if n := binary.Size(JournalSuperblock{}); n != JournalSuperblockSize {
		t.Errorf("JournalSuperblock is %d bytes, want 1024", n)
	}
	if n := binary.Size(GroupDesc{}); n != GroupDesc64Size {
		t.Errorf("GroupDesc is %d bytes, want 64", n)
	}
	if n := binary.Size(Inode{}); n != InodeExtraEnd {
		t.Errorf("Inode is %d bytes, want %d", n, InodeExtraEnd)
	}
	for name, n := range map[string]int{
		"ExtentHeader": binary.Size(ExtentHeader{}), "Extent": binary.Size(Extent{}),
		"ExtentIdx": binary.Size(ExtentIdx{}), "DirTail": binary.Size(DirTail{}),
	} {
		if n != 12 {
			t.Errorf("%s is %d bytes, want 12", name, n)
		}
	}
	if n := binary.Size(XattrHeader{}); n != XattrHeaderSize {
		t.Errorf("XattrHeader is %d bytes", n)
	}
	if n := binary.Size(DxRootInfo{}); n != DxRootInfoSize {
		t.Errorf("DxRootInfo is %d bytes", n)
	}
	if binary.Size(DxEntry{}) != DxEntrySize || binary.Size(DxTail{}) != DxTailSize || binary.Size(ExtentTail{}) != ExtentTailSize {
		t.Error("dx_entry/dx_tail/extent_tail sizes wrong")
	}
}

func TestSuperblockOffsets(t *testing.T) {
	// Spot-check field offsets against the ext4 disk layout by encoding
	// distinctive values.
	sb := &Superblock{Magic: 0xEF53, DescSize: 0x40, LogGroupsPerFlex: 4, ChecksumSeed: 0x11223344, OrphanFileInum: 0x55, Checksum: 0xdeadbeef}
	sb.UUID[0] = 0xAB
	b := sb.Bytes()
	le := binary.LittleEndian
	for _, c := range []struct {
		off  int
		got  uint32
		want uint32
	}{
		{0x38, uint32(le.Uint16(b[0x38:])), 0xEF53},
		{0x68, uint32(b[0x68]), 0xAB},
		{0xFE, uint32(le.Uint16(b[0xFE:])), 0x40},
		{0x174, uint32(b[0x174]), 4},
		{0x270, le.Uint32(b[0x270:]), 0x11223344},
		{0x280, le.Uint32(b[0x280:]), 0x55},
		{0x3FC, le.Uint32(b[0x3FC:]), 0xdeadbeef},
	} {
		if c.got != c.want {
			t.Errorf("offset 0x%x: 0x%x, want 0x%x", c.off, c.got, c.want)
		}
	}
	back, err := DecodeSuperblock(b)
	if err != nil || *back != *sb {
		t.Fatalf("round trip: %v", err)
	}
}

func TestFeatureNames(t *testing.T) {
	f := Features{
		Compat:   EXT4_FEATURE_COMPAT_HAS_JOURNAL | EXT4_FEATURE_COMPAT_EXT_ATTR | EXT4_FEATURE_COMPAT_RESIZE_INODE | EXT4_FEATURE_COMPAT_DIR_INDEX,
		Incompat: EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG,
		RoCompat: EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT4_FEATURE_RO_COMPAT_LARGE_FILE | EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM,
	}
	want := "has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum"
	if f.String() != want {
		t.Fatalf("String:\n got %s\nwant %s", f, want)
	}
	g, err := ApplyFeatureList(Features{}, want)
	if err != nil || g != f {
		t.Fatalf("parse back: %v %v", g, err)
	}
	h, err := ApplyFeatureList(f, "^metadata_csum,^64bit,+inline_data,extents")
	if err != nil {
		t.Fatal(err)
	}
	if h.RoCompat&EXT4_FEATURE_RO_COMPAT_METADATA_CSUM != 0 || h.Incompat&EXT4_FEATURE_INCOMPAT_64BIT != 0 || h.Incompat&EXT4_FEATURE_INCOMPAT_INLINE_DATA == 0 {
		t.Fatalf("ApplyFeatureList: %v", h)
	}
	if _, err := ParseFeature("no_such"); err == nil {
		t.Fatal("unknown feature accepted")
	}
	if u := (Features{Compat: 1 << 20}).String(); u != "FEATURE_C20" {
		t.Fatalf("unknown bit: %s", u)
	}
	if p, err := ParseFeature("FEATURE_C20"); err != nil || p.Compat != 1<<20 {
		t.Fatalf("FEATURE_C20: %v %v", p, err)
	}
}

func TestInodeFlagNames(t *testing.T) {
	f := EXT4_EXTENTS_FL | EXT4_HUGE_FILE_FL | EXT4_INDEX_FL | EXT4_INLINE_DATA_FL
	if got := f.Names(); !slices.Equal(got, []string{"INDEX", "HUGE_FILE", "EXTENTS", "INLINE_DATA"}) {
		t.Fatalf("Names = %v", got)
	}
	for _, n := range f.Names() {
		if _, err := ParseInodeFlag("EXT4_" + n + "_FL"); err != nil {
			t.Fatal(err)
		}
	}
	if g := (EXT4_BG_INODE_UNINIT | EXT4_BG_INODE_ZEROED).Names(); !slices.Equal(g, []string{"INODE_UNINIT", "ITABLE_ZEROED"}) {
		t.Fatalf("bg flags %v", g)
	}
}

func TestExtentEncoding(t *testing.T) {
	var e Extent
	e.Block = 100
	e.SetStart(0x1_2345_6789)
	e.SetLength(300, true)
	b := make([]byte, 12)
	e.Encode(b)
	d := DecodeExtent(b)
	if d.Start() != 0x1_2345_6789 || d.Length() != 300 || !d.Unwritten() || d.Block != 100 {
		t.Fatalf("extent round trip %+v", d)
	}
	d.SetLength(EXT_INIT_MAX_LEN, false)
	if d.Unwritten() || d.Length() != EXT_INIT_MAX_LEN {
		t.Fatal("32768-block initialized extent misread as unwritten")
	}
	h := ExtentHeader{Magic: EXT4_EXT_MAGIC, Entries: 5, Max: 4, Depth: 0}
	if err := h.Check(60, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("entries>max accepted: %v", err)
	}
	h = ExtentHeader{Magic: 1}
	if err := h.Check(60, 0); !errors.Is(err, ErrBadMagic) {
		t.Fatalf("bad magic: %v", err)
	}
}

func TestDirEntryDecode(t *testing.T) {
	blk := make([]byte, 1024)
	DirEntry{Inode: 12, FileType: EXT4_FT_REG_FILE, Name: []byte("hello")}.Encode(blk, 1024-DirTailSize, 1024)
	DirTail{Checksum: 7}.Encode(blk)
	e, n, err := DecodeDirEntry(blk, 1024)
	if err != nil || n != 1012 || string(e.Name) != "hello" || e.Inode != 12 {
		t.Fatalf("%+v %d %v", e, n, err)
	}
	if tl, ok := DecodeDirTail(blk); !ok || tl.Checksum != 7 {
		t.Fatal("tail not found")
	}
	binary.LittleEndian.PutUint16(blk[4:], 2000)
	if _, _, err := DecodeDirEntry(blk, 1024); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("rec_len past block accepted: %v", err)
	}
	binary.LittleEndian.PutUint16(blk[4:], 6)
	if _, _, err := DecodeDirEntry(blk, 1024); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("rec_len 6 accepted: %v", err)
	}
	if RecLenFromDisk(RecLenToDisk(65536, 65536), 65536) != 65536 {
		t.Fatal("64 KiB rec_len round trip")
	}
}

func TestCrc(t *testing.T) {
	// crc32c test vector (RFC 3720): the standard check value of
	// "123456789" is 0xE3069283 with pre/post inversion.
	if got := ^crc32c(^uint32(0), []byte("123456789")); got != 0xE3069283 {
		t.Fatalf("crc32c = 0x%x", got)
	}
	// CRC-16/ARC of "123456789" is 0xBB3D (init 0).
	if got := crc16(0, []byte("123456789")); got != 0xBB3D {
		t.Fatalf("crc16 = 0x%x", got)
	}
	js := &JournalSuperblock{Header: JournalHeader{Magic: JBD2_MAGIC_NUMBER, BlockType: JBD2_SUPERBLOCK_V2}, BlockSize: 4096}
	b := make([]byte, 1024)
	js.Encode(b)
	if !bytes.Equal(b[:4], []byte{0xC0, 0x3B, 0x39, 0x98}) {
		t.Fatal("journal superblock not big-endian")
	}
}

// TestSuperblockLayout checks the copy fast path of Encode/DecodeSuperblock
// against binary.Encode/Decode: every field sits at its on-disk offset with
// no padding, and random superblocks encode to the same bytes both ways.
func TestSuperblockLayout(t *testing.T) {
	checkNoPadding(t, reflect.TypeOf(Superblock{}))
	if !hostLittleEndian {
		t.Skip("big-endian host: Encode/Decode use encoding/binary")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var raw [SuperblockSize]byte
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		var viaBinary Superblock
		if _, err := binary.Decode(raw[:], binary.LittleEndian, &viaBinary); err != nil {
			t.Fatal(err)
		}
		sb, err := DecodeSuperblock(raw[:])
		if err != nil {
			t.Fatal(err)
		}
		if *sb != viaBinary {
			t.Fatalf("DecodeSuperblock differs from binary.Decode")
		}
		want := make([]byte, SuperblockSize)
		if _, err := binary.Encode(want, binary.LittleEndian, sb); err != nil {
			t.Fatal(err)
		}
		if got := sb.Bytes(); !bytes.Equal(got, want) || !bytes.Equal(got, raw[:]) {
			t.Fatalf("Encode differs from binary.Encode")
		}
	}
}

// TestJournalSuperblockLayout checks the copy-and-swap codec of the
// journal superblock against binary.Encode/Decode (big-endian): the struct
// has no padding, and random superblocks agree both ways.
func TestJournalSuperblockLayout(t *testing.T) {
	checkNoPadding(t, reflect.TypeOf(JournalSuperblock{}))
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var raw [JournalSuperblockSize]byte
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		// A valid header, so Decode gets past its magic and type checks.
		binary.BigEndian.PutUint32(raw[0:], JBD2_MAGIC_NUMBER)
		binary.BigEndian.PutUint32(raw[4:], JBD2_SUPERBLOCK_V2)
		var viaBinary JournalSuperblock
		if _, err := binary.Decode(raw[:], binary.BigEndian, &viaBinary); err != nil {
			t.Fatal(err)
		}
		js, err := DecodeJournalSuperblock(raw[:])
		if err != nil {
			t.Fatal(err)
		}
		if *js != viaBinary {
			t.Fatalf("DecodeJournalSuperblock differs from binary.Decode")
		}
		want := make([]byte, JournalSuperblockSize)
		if _, err := binary.Encode(want, binary.BigEndian, js); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, JournalSuperblockSize)
		js.Encode(got)
		if !bytes.Equal(got, want) || !bytes.Equal(got, raw[:]) {
			t.Fatalf("Encode differs from binary.Encode")
		}
	}
}

// checkNoPadding fails unless every field of the struct type starts where
// the previous one ends: its memory is then its on-disk layout.
func checkNoPadding(t *testing.T, typ reflect.Type) {
	t.Helper()
	off := uintptr(0)
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Offset != off {
			t.Fatalf("%s.%s at offset 0x%x, on disk 0x%x: the struct has padding", typ.Name(), f.Name, f.Offset, off)
		}
		off += f.Type.Size()
	}
}
