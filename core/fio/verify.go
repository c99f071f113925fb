package fio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Verify blocks. Like fio's verify=crc32c, every block a verifying job
// writes starts with a header (magic, length, offset, job, sequence
// number, the crc32c of the payload) followed by a deterministic payload,
// so a reader can tell a good block from zeros, from another write's data
// and from a torn write. The layout is ours, not fio's byte for byte;
// the magic is fio's header magic. One header per write, as fio's
// default verify_interval (= the block size) gives.
//
//	0  magic   u16  0xacca
//	2  type    u16  1 (crc32c)
//	4  len     u32  length of the block, header included
//	8  offset  u64  file offset the block was written to
//	16 seq     u64  the job's write number (fio's numberio)
//	24 seed    u64  content key of the job and run
//	32 job     u32  job index in the workload
//	36 crc     u32  crc32c of the payload (bytes HeaderSize … len)
//	40 hcrc    u32  crc32c of bytes 0 … 40
//	44 pad     u32  0
const (
	HeaderSize  = 48
	HeaderMagic = 0xacca
	hdrTypeCRC  = 1
)

// ErrVerify is matched (errors.Is) by every *VerifyError.
var ErrVerify = errors.New("fio: verify mismatch")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// VerifySpec names the content of one written block: everything needed to
// recompute its bytes, so a model can store the spec instead of the data.
type VerifySpec struct {
	Job     uint32
	JobName string // for messages only; not part of the bytes
	Seq     uint64
	Offset  int64
	Length  uint32
	Seed    uint64
}

func (v VerifySpec) who() string {
	if v.JobName != "" {
		return fmt.Sprintf("job %s seq %d", v.JobName, v.Seq)
	}
	return fmt.Sprintf("job %d seq %d", v.Job, v.Seq)
}

func (v VerifySpec) payloadKey() uint64 {
	return splitmix64(v.Seed^uint64(v.Offset)) ^ splitmix64(v.Seq+0x243f6a8885a308d3) ^ uint64(v.Job)<<32
}

// payloadAt writes payload bytes for block positions [from, from+len(dst)),
// all at or after HeaderSize.
func (v VerifySpec) payloadAt(dst []byte, from int64, key uint64) {
	i := 0
	// Leading bytes up to a word boundary, then whole words, then the tail.
	for ; i < len(dst) && (from+int64(i))%8 != 0; i++ {
		p := from + int64(i)
		dst[i] = byte(splitmix64(key+uint64(p/8)) >> (8 * (p % 8)))
	}
	for ; i+8 <= len(dst); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], splitmix64(key+uint64((from+int64(i))/8)))
	}
	for ; i < len(dst); i++ {
		p := from + int64(i)
		dst[i] = byte(splitmix64(key+uint64(p/8)) >> (8 * (p % 8)))
	}
}

// PayloadCRC is the crc32c of the payload that goes into the header.
func (v VerifySpec) PayloadCRC() uint32 {
	if v.Length <= HeaderSize {
		return crc32.Checksum(nil, castagnoli)
	}
	key := v.payloadKey()
	var buf [4096]byte
	crc := uint32(0)
	for p := int64(HeaderSize); p < int64(v.Length); p += int64(len(buf)) {
		n := min(int64(len(buf)), int64(v.Length)-p)
		v.payloadAt(buf[:n], p, key)
		crc = crc32.Update(crc, castagnoli, buf[:n])
	}
	return crc
}

func (v VerifySpec) header() [HeaderSize]byte {
	var h [HeaderSize]byte
	binary.LittleEndian.PutUint16(h[0:], HeaderMagic)
	binary.LittleEndian.PutUint16(h[2:], hdrTypeCRC)
	binary.LittleEndian.PutUint32(h[4:], v.Length)
	binary.LittleEndian.PutUint64(h[8:], uint64(v.Offset))
	binary.LittleEndian.PutUint64(h[16:], v.Seq)
	binary.LittleEndian.PutUint64(h[24:], v.Seed)
	binary.LittleEndian.PutUint32(h[32:], v.Job)
	binary.LittleEndian.PutUint32(h[36:], v.PayloadCRC())
	binary.LittleEndian.PutUint32(h[40:], crc32.Checksum(h[:40], castagnoli))
	return h
}

// FillAt writes the block's bytes [from, from+len(dst)) into dst, so a
// model can materialise one file-system block of a larger write. Bytes
// past Length are zero; a zero Length means an all-zero block.
func (v VerifySpec) FillAt(dst []byte, from int64) {
	clear(dst)
	if v.Length == 0 || from < 0 {
		return
	}
	end := min(from+int64(len(dst)), int64(v.Length))
	if from < HeaderSize && end > 0 {
		h := v.header()
		copy(dst, h[from:min(end, HeaderSize)])
	}
	if end > HeaderSize {
		p := max(from, HeaderSize)
		v.payloadAt(dst[p-from:end-from], p, v.payloadKey())
	}
}

// Bytes returns the whole block.
func (v VerifySpec) Bytes() []byte {
	b := make([]byte, v.Length)
	v.FillAt(b, 0)
	return b
}

// Header is a decoded verify header.
type Header struct {
	Length     uint32
	Offset     int64
	Seq        uint64
	Seed       uint64
	Job        uint32
	PayloadCRC uint32
}

// ParseHeader decodes a verify header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%d bytes, a header needs %d", len(b), HeaderSize)
	}
	if m := binary.LittleEndian.Uint16(b); m != HeaderMagic {
		return Header{}, fmt.Errorf("bad magic %#04x, want %#04x", m, HeaderMagic)
	}
	if t := binary.LittleEndian.Uint16(b[2:]); t != hdrTypeCRC {
		return Header{}, fmt.Errorf("unknown verify type %d", t)
	}
	if got, want := binary.LittleEndian.Uint32(b[40:]), crc32.Checksum(b[:40], castagnoli); got != want {
		return Header{}, fmt.Errorf("header crc32c %#08x, computed %#08x", got, want)
	}
	return Header{
		Length:     binary.LittleEndian.Uint32(b[4:]),
		Offset:     int64(binary.LittleEndian.Uint64(b[8:])),
		Seq:        binary.LittleEndian.Uint64(b[16:]),
		Seed:       binary.LittleEndian.Uint64(b[24:]),
		Job:        binary.LittleEndian.Uint32(b[32:]),
		PayloadCRC: binary.LittleEndian.Uint32(b[36:]),
	}, nil
}

// VerifyError describes a block that does not hold what was written.
type VerifyError struct {
	Offset int64 // file offset of the block
	At     int64 // first bad byte within the block; -1 for the whole block
	Want   VerifySpec
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("block at offset %d: %s", e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrVerify) true.
func (e *VerifyError) Unwrap() error { return ErrVerify }

// Check compares got, the bytes read back at want.Offset, with the block
// want describes, and says what is wrong in the words a kernel developer
// uses: zeros (an unwritten extent read back, or a lost write), another
// write's block (stale data), a torn block.
func Check(got []byte, want VerifySpec) error {
	fail := func(at int64, format string, args ...any) error {
		return &VerifyError{Offset: want.Offset, At: at, Want: want, Reason: fmt.Sprintf(format, args...)}
	}
	if int64(len(got)) != int64(want.Length) {
		return fail(-1, "read %d bytes, want %d", len(got), want.Length)
	}
	if allZero(got) {
		return fail(-1, "zeros, want header of %s", want.who())
	}
	h, err := ParseHeader(got)
	if err != nil {
		if allZero(got[:min(len(got), HeaderSize)]) {
			return fail(0, "zeros at the header, data after it, want header of %s", want.who())
		}
		return fail(0, "no valid header (%v), want header of %s", err, want.who())
	}
	if h.Job != want.Job || h.Seq != want.Seq || h.Offset != want.Offset || h.Length != want.Length || h.Seed != want.Seed {
		what := fmt.Sprintf("job %d seq %d", h.Job, h.Seq)
		if h.Seed != want.Seed {
			what += " of another run"
		}
		return fail(0, "header of %s (written for offset %d, %d bytes), want %s", what, h.Offset, h.Length, want.who())
	}
	wantBytes := want.Bytes()
	for i := range got {
		if got[i] == wantBytes[i] {
			continue
		}
		// Report zeros by the 512-byte sector they start in: that is
		// what a lost or unconverted block looks like.
		sec := int64(i) / 512 * 512
		if allZero(got[sec:min(int64(len(got)), sec+512)]) {
			return fail(sec, "zeros from +%d (file offset %d), want payload of %s", sec, want.Offset+sec, want.who())
		}
		return fail(int64(i), "payload differs at +%d (file offset %d): crc32c %#08x, want %#08x (%s)",
			i, want.Offset+int64(i), crc32.Checksum(got[HeaderSize:], castagnoli), h.PayloadCRC, want.who())
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// CheckAt compares got with the bytes [from, from+len(got)) of the block
// want describes — one file-system block of a larger write — and reports
// the first difference with its file offset. The header's own fields are
// checked only when the range covers them.
func CheckAt(got []byte, want VerifySpec, from int64) error {
	if from < 0 || from+int64(len(got)) > int64(want.Length) {
		return &VerifyError{Offset: want.Offset, At: from, Want: want,
			Reason: fmt.Sprintf("range +%d..+%d is outside the %d-byte block", from, from+int64(len(got)), want.Length)}
	}
	if from == 0 && len(got) == int(want.Length) {
		return Check(got, want)
	}
	exp := make([]byte, len(got))
	want.FillAt(exp, from)
	for i := range got {
		if got[i] == exp[i] {
			continue
		}
		at := from + int64(i)
		if allZero(got) {
			return &VerifyError{Offset: want.Offset, At: from, Want: want,
				Reason: fmt.Sprintf("zeros at +%d (file offset %d, %d bytes), want %s of %s", from, want.Offset+from, len(got), partName(from), want.who())}
		}
		return &VerifyError{Offset: want.Offset, At: at, Want: want,
			Reason: fmt.Sprintf("data differs at +%d (file offset %d), want %s of %s", at, want.Offset+at, partName(at), want.who())}
	}
	return nil
}

func partName(at int64) string {
	if at < HeaderSize {
		return "header"
	}
	return "payload"
}
