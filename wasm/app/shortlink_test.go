package main

import (
	"strings"
	"testing"
)

func TestShortLinkAnswer(t *testing.T) {
	if p, err := shortLinkAnswer(201, []byte(`{"id":"abcdefghij","path":"/s/abcdefghij"}`)); err != nil || p != "/s/abcdefghij" {
		t.Fatalf("good answer: %q %v", p, err)
	}
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{404, "<!doctype html>", "not reachable here (HTTP 404)"},
		{502, "this path is proxied", "not reachable here (HTTP 502)"},
		{400, `{"error":"fragment: bad base64 at 3"}`, "refused the link: fragment: bad base64 at 3"},
		{500, `{}`, "refused the link: HTTP 500"},
		{201, `{"id":"x","path":"http://evil/"}`, "unexpected path"},
	} {
		_, err := shortLinkAnswer(c.status, []byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d %q: %v, want %q", c.status, c.body, err, c.want)
		}
	}
}
