package main

// Short links: the page asks the share service (POST /api/share; the
// Cloudflare Worker in production, `ext4play serve` locally, both running
// internal/shortlink) for /s/<id>, which redirects to the full #s= link.
// The full link works without the service; the short one is a convenience.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vugu/vugu"
)

// shortLinkAnswer reads the service's reply: {"id","path"} on 201, or
// {"error"} with the reason.
func shortLinkAnswer(status int, body []byte) (string, error) {
	var r struct {
		ID    string `json:"id"`
		Path  string `json:"path"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		// e.g. a static host without the worker answers 404 with HTML.
		return "", fmt.Errorf("the share service is not reachable here (HTTP %d)", status)
	}
	if status != 201 || r.Error != "" {
		if r.Error == "" {
			r.Error = fmt.Sprintf("HTTP %d", status)
		}
		return "", fmt.Errorf("the share service refused the link: %s", r.Error)
	}
	if !strings.HasPrefix(r.Path, "/s/") {
		return "", fmt.Errorf("the share service answered an unexpected path %q", r.Path)
	}
	return r.Path, nil
}

// ShortLink asks for a /s/<id> link to the current run at the current step.
func (c *Play) ShortLink(e vugu.DOMEvent) {
	p := c.S
	u, err := p.shareLink(pageBase())
	if err != nil {
		p.shareMsg = err.Error()
		return
	}
	frag := u[strings.IndexByte(u, '#')+1:]
	step := p.step
	p.shareMsg = "Asking the share service for a short link…"
	env := e.EventEnv()
	go func() {
		var path string
		status, body, err := postJSON("api/share", map[string]string{"fragment": frag})
		if err == nil {
			path, err = shortLinkAnswer(status, body)
		}
		env.Lock()
		defer env.UnlockRender()
		if err != nil {
			p.shareURL = u
			p.shareMsg = err.Error() + ". The full link above works without it."
			return
		}
		p.shareURL = pageOrigin() + path
		if copyToClipboard(p.shareURL) {
			p.shareMsg = fmt.Sprintf("Short link copied: it opens this exact run at step %d.", step)
		} else {
			p.shareMsg = fmt.Sprintf("Copy the short link above: it opens this exact run at step %d.", step)
		}
	}()
}
