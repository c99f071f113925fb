package scenario

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestURLRoundTrip(t *testing.T) {
	entries, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		s := *e.Scenario
		step := int64(123)
		s.Step = &step
		s.Scheduler = Scheduler{Strategy: StrategyReplay, Seed: 1<<63 + 5, Choices: "AQIDBAUGBwgJ-_"}
		frag, err := Encode(&s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(frag, "1.") || strings.ContainsAny(frag[2:], "+/=#&?") {
			t.Errorf("%s: fragment %q is not 1.<base64url>", e.Name, frag[:20])
		}
		for _, in := range []string{frag, "#s=" + frag, "s=" + frag} {
			got, err := Decode(in)
			if err != nil {
				t.Fatalf("%s: %v", e.Name, err)
			}
			if !reflect.DeepEqual(got, &s) {
				t.Errorf("%s: round trip changed the scenario", e.Name)
			}
		}
		again, _ := Encode(&s)
		if again != frag {
			t.Errorf("%s: encoding is not deterministic", e.Name)
		}
		t.Logf("%s: %d bytes JSON → %d bytes fragment", e.Name, len(s.Canonical()), len(frag))
	}
}

func deflate(b []byte) string {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zw.Write(b)
	zw.Close()
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func TestDecodeErrors(t *testing.T) {
	good, _ := Encode(mustExample(t))
	bomb := deflate(bytes.Repeat([]byte(" "), MaxDecompressedBytes+10))
	for _, c := range []struct {
		name, in, want string
		kind           error
	}{
		{"too long", "1." + strings.Repeat("A", MaxFragmentBytes), "share link is 65538 bytes, limit 65536", ErrTooLarge},
		{"no version", "AAAA", "no version prefix", ErrEncoding},
		{"version", "2." + good[2:], `share link version "2", this build reads version 1`, ErrVersion},
		{"base64", "1.AB*D", "not base64url at character 4", ErrEncoding},
		{"padding", good + "=", "not base64url", ErrEncoding},
		{"deflate", "1." + base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xff, 0xff}), "not valid DEFLATE", ErrEncoding},
		{"truncated deflate", good[:len(good)/2], "", nil},
		{"bomb", "1." + bomb, "expands to more than 1048576 bytes", ErrTooLarge},
		{"bad json", "1." + deflate([]byte(`{"version":1,`)), "unexpected end of JSON", ErrSyntax},
		{"invalid scenario", "1." + deflate([]byte(`{"version":1}`)), "$.title: empty", ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.in)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) || (c.kind != nil && !errors.Is(err, c.kind)) {
				t.Errorf("got %q, want %q (%v)", err, c.want, c.kind)
			}
		})
	}
	big := *mustExample(t)
	big.Scheduler = Scheduler{Strategy: StrategyReplay, Choices: randomB64(MaxChoicesLen - 1)}
	if _, err := Encode(&big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Encode of an oversized scenario: %v", err)
	}
}

func randomB64(n int) string {
	b := make([]byte, n)
	x := uint64(1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = b64chars[x%64]
	}
	return string(b)
}

func mustExample(t testing.TB) *Scenario {
	s, err := Example(DefaultExample)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(mustExample(f))
	f.Add(good)
	f.Add("#s=" + good)
	f.Add("1.")
	f.Add("1." + deflate([]byte(`{"version":1,"title":"t"}`)))
	f.Add("2.AAAA")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Decode(in)
		if err != nil {
			return
		}
		// What decodes must validate and re-encode to an equal scenario.
		if err := s.Validate(); err != nil {
			t.Fatalf("decoded but invalid: %v", err)
		}
		frag, err := Encode(s)
		if err != nil {
			return // larger than a link after re-encoding: allowed
		}
		s2, err := Decode(frag)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("re-encode round trip: %v", err)
		}
	})
}

func FuzzParse(f *testing.F) {
	entries, _ := Catalog()
	for _, e := range entries {
		b, _ := catalogFS.ReadFile("catalog/" + e.Name + ".json")
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"image":{"size":1048576},"workload":{"vars":{"A":"b"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			return
		}
		if _, err := Parse(s.MarshalIndent()); err != nil {
			t.Fatalf("re-marshalled scenario does not parse: %v", err)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	s := mustExample(b)
	for b.Loop() {
		Encode(s)
	}
}

func BenchmarkDecode(b *testing.B) {
	frag, _ := Encode(mustExample(b))
	for b.Loop() {
		if _, err := Decode(frag); err != nil {
			b.Fatal(err)
		}
	}
}
