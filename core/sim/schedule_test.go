package sim

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestScheduleRoundTrip(t *testing.T) {
	for _, sc := range []Schedule{
		nil,
		{0},
		{1, 1, 1, 1, 0, 0, 2, 300, 65535},
		slices.Repeat(Schedule{0}, 10000),
	} {
		enc := sc.Encode()
		if strings.ContainsAny(enc, "+/=") {
			t.Fatalf("not URL-safe: %q", enc)
		}
		got, err := DecodeSchedule(enc)
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		if !slices.Equal(got, sc) && !(len(got) == 0 && len(sc) == 0) {
			t.Fatalf("round trip %v -> %q -> %v", sc, enc, got)
		}
	}
	if n := len(slices.Repeat(Schedule{0}, 10000).Encode()); n > 8 {
		t.Fatalf("a run of 10000 equal choices encodes to %d chars", n)
	}
}

func TestScheduleDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty text"},
		{"AQ$$", "not base64url at character 2"},
		{"Ag", "version 2, want 1"},
		{"AYA", "truncated or overlong choice value at byte 1"},
		{"AQE", "truncated or overlong run length at byte 2"},
		{"AQEA", "zero run length at byte 2"},
		{"AYCABAE", "choice value 65536 at byte 1 exceeds 65535"},
		{"AQD_____Dw", "more than 4194304 choices"},
	} {
		_, err := DecodeSchedule(tc.in)
		if err == nil || !errors.Is(err, ErrBadSchedule) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeSchedule(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzDecodeSchedule(f *testing.F) {
	f.Add("AQ")
	f.Add(Schedule{1, 1, 0, 2}.Encode())
	f.Add("AQEA")
	f.Add("AQD_____Dw")
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := DecodeSchedule(s)
		if err != nil {
			return
		}
		if len(sc) > ScheduleLenMax {
			t.Fatalf("decoded %d choices", len(sc))
		}
		again, err := DecodeSchedule(sc.Encode())
		if err != nil || !slices.Equal(again, sc) {
			t.Fatalf("re-encode of %q: %v", s, err)
		}
	})
}
