package scenario

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Share-link bounds: Decode reads at most this much.
const (
	MaxFragmentBytes     = 64 << 10 // the #s= value
	MaxDecompressedBytes = 1 << 20  // the JSON inside it (= MaxJSONBytes)
	linkVersion          = "1"
)

// Encode returns the value of a share link's `#s=` fragment:
//
//	"1." + base64url(raw DEFLATE(canonical JSON))
//
// The leading "1" is the link format version (independent of, but today
// equal to, the scenario Version). It fails only if the link would be
// longer than Decode accepts.
func Encode(s *Scenario) (string, error) {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression) // level is valid: no error
	zw.Write(s.Canonical())
	zw.Close()
	out := linkVersion + "." + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	if len(out) > MaxFragmentBytes {
		return "", fmt.Errorf("%w: the link would be %d bytes, limit %d (shorten the workload or the choice list)", ErrTooLarge, len(out), MaxFragmentBytes)
	}
	return out, nil
}

// Decode reads a share-link fragment back into a validated scenario. It
// accepts the bare value or one still prefixed with "#s=" or "s=".
// Every failure names what is wrong: too long, unknown version, bad
// base64 (with the position), corrupt or oversized DEFLATE data, then
// whatever Parse finds in the JSON.
func Decode(fragment string) (*Scenario, error) {
	fragment = strings.TrimPrefix(fragment, "#")
	fragment = strings.TrimPrefix(fragment, "s=")
	if len(fragment) > MaxFragmentBytes {
		return nil, fmt.Errorf("%w: share link is %d bytes, limit %d", ErrTooLarge, len(fragment), MaxFragmentBytes)
	}
	ver, payload, ok := strings.Cut(fragment, ".")
	if !ok {
		return nil, fmt.Errorf("%w: share link has no version prefix (want \"%s.…\")", ErrEncoding, linkVersion)
	}
	if ver != linkVersion {
		if len(ver) > 16 {
			ver = ver[:16] + "…"
		}
		return nil, fmt.Errorf("%w: share link version %q, this build reads version %s", ErrVersion, ver, linkVersion)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%w: share link is not base64url at character %d", ErrEncoding, int64(ce)+int64(len(ver))+1)
		}
		return nil, fmt.Errorf("%w: share link: %v", ErrEncoding, err)
	}
	zr := flate.NewReader(bytes.NewReader(raw))
	defer zr.Close()
	js, err := io.ReadAll(io.LimitReader(zr, MaxDecompressedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: share link data is not valid DEFLATE: %v", ErrEncoding, err)
	}
	if len(js) > MaxDecompressedBytes {
		return nil, fmt.Errorf("%w: share link expands to more than %d bytes", ErrTooLarge, MaxDecompressedBytes)
	}
	s, err := Parse(js)
	if err != nil {
		return nil, fmt.Errorf("share link: %w", err)
	}
	return s, nil
}
