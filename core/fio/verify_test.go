package fio

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestVerifyRoundTrip(t *testing.T) {
	v := VerifySpec{Job: 3, JobName: "aio-dio-verifier.0", Seq: 17, Offset: 1 << 20, Length: 128 << 10, Seed: 99}
	b := v.Bytes()
	if err := Check(b, v); err != nil {
		t.Fatalf("Check of its own bytes: %v", err)
	}
	h, err := ParseHeader(b)
	if err != nil || h.Job != 3 || h.Seq != 17 || h.Offset != 1<<20 || h.Length != 128<<10 || h.PayloadCRC != v.PayloadCRC() {
		t.Errorf("header %+v, %v", h, err)
	}
	// FillAt in 4 KiB pieces (as a model materialises file-system blocks)
	// gives the same bytes; past the end it gives zeros.
	var pieces []byte
	for off := int64(0); off < int64(v.Length)+4096; off += 4096 {
		p := make([]byte, 4096)
		v.FillAt(p, off)
		pieces = append(pieces, p...)
	}
	if !bytes.Equal(pieces[:v.Length], b) || !allZero(pieces[v.Length:]) {
		t.Error("FillAt pieces differ from Bytes")
	}
	odd := make([]byte, 100)
	v.FillAt(odd, 20)
	if !bytes.Equal(odd, b[20:120]) {
		t.Error("FillAt across the header boundary differs")
	}
	if w := (VerifySpec{}).Bytes(); len(w) != 0 {
		t.Error("zero spec has bytes")
	}
}

func TestVerifyMismatches(t *testing.T) {
	want := VerifySpec{Job: 7, JobName: "aio-dio-verifier.0", Seq: 5, Offset: 8192, Length: 8192, Seed: 1}
	good := want.Bytes()
	other := VerifySpec{Job: 7, Seq: 2, Offset: 8192, Length: 8192, Seed: 1}.Bytes()
	tail := append([]byte(nil), good...)
	clear(tail[4096:])
	flip := append([]byte(nil), good...)
	flip[5000] ^= 1
	hdr := append([]byte(nil), good...)
	hdr[9] ^= 0x10
	for _, c := range []struct {
		name string
		got  []byte
		msg  string
		at   int64
	}{
		{"zeros", make([]byte, 8192), "block at offset 8192: zeros, want header of job aio-dio-verifier.0 seq 5", -1},
		{"stale", other, "block at offset 8192: header of job 7 seq 2 (written for offset 8192, 8192 bytes), want job aio-dio-verifier.0 seq 5", 0},
		{"zero tail", tail, "block at offset 8192: zeros from +4096 (file offset 12288), want payload of job aio-dio-verifier.0 seq 5", 4096},
		{"flipped bit", flip, "payload differs at +5000 (file offset 13192)", 5000},
		{"corrupt header", hdr, "no valid header (header crc32c", 0},
		{"short", good[:4096], "read 4096 bytes, want 8192", -1},
	} {
		err := Check(c.got, want)
		var ve *VerifyError
		if !errors.As(err, &ve) || !errors.Is(err, ErrVerify) {
			t.Fatalf("%s: err %v, want *VerifyError", c.name, err)
		}
		if !strings.Contains(err.Error(), c.msg) || ve.At != c.at {
			t.Errorf("%s: %q (at %d), want %q at %d", c.name, err, ve.At, c.msg, c.at)
		}
	}
}

func TestVerifyContentDiffers(t *testing.T) {
	a := VerifySpec{Job: 1, Seq: 1, Offset: 0, Length: 4096, Seed: 1}
	for _, b := range []VerifySpec{
		{Job: 2, Seq: 1, Offset: 0, Length: 4096, Seed: 1},
		{Job: 1, Seq: 2, Offset: 0, Length: 4096, Seed: 1},
		{Job: 1, Seq: 1, Offset: 4096, Length: 4096, Seed: 1},
		{Job: 1, Seq: 1, Offset: 0, Length: 4096, Seed: 2},
	} {
		x, y := a.Bytes(), b.Bytes()
		if bytes.Equal(x[HeaderSize:], y[HeaderSize:]) {
			t.Errorf("%+v and %+v have the same payload", a, b)
		}
	}
}

func BenchmarkVerifyBlock4k(b *testing.B) {
	v := VerifySpec{Job: 1, Seq: 1, Offset: 4096, Length: 4096, Seed: 1}
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	for b.Loop() {
		v.FillAt(buf, 0)
	}
}

func TestCheckAt(t *testing.T) {
	v := VerifySpec{Job: 1, JobName: "dio.0", Seq: 3, Offset: 65536, Length: 16384, Seed: 5}
	b := v.Bytes()
	for from := int64(0); from < 16384; from += 4096 {
		if err := CheckAt(b[from:from+4096], v, from); err != nil {
			t.Errorf("+%d: %v", from, err)
		}
	}
	err := CheckAt(make([]byte, 4096), v, 8192)
	if err == nil || err.Error() != "block at offset 65536: zeros at +8192 (file offset 73728, 4096 bytes), want payload of job dio.0 seq 3" {
		t.Errorf("zeros: %v", err)
	}
	err = CheckAt(make([]byte, 4096), v, 0)
	if err == nil || !strings.Contains(err.Error(), "want header of job dio.0 seq 3") {
		t.Errorf("zero header: %v", err)
	}
	bad := append([]byte(nil), b[4096:8192]...)
	bad[10] ^= 1
	if err := CheckAt(bad, v, 4096); err == nil || !strings.Contains(err.Error(), "data differs at +4106 (file offset 69642)") {
		t.Errorf("flip: %v", err)
	}
	if err := CheckAt(b[:4096], v, 16000); err == nil || !errors.Is(err, ErrVerify) {
		t.Errorf("out of range: %v", err)
	}
	if err := CheckAt(b, v, 0); err != nil {
		t.Errorf("whole block: %v", err)
	}
}
