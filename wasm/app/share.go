package main

// Share links and exports. A link's fragment (#s=, core/scenario's codec)
// holds the whole scenario, the exact interleaving (replay choices) and the
// step shown; opening one replays the same run at the same step.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/vugu/vugu"

	"ext4play/core/image"
	"ext4play/core/scenario"
)

// shareLink returns the URL of the current run at the current step.
func (p *PlayState) shareLink(base string) (string, error) {
	if p.res == nil || p.runSc == nil {
		return "", fmt.Errorf("run a scenario first")
	}
	sc := p.runSc.Replay(p.res.Choices, int64(p.step))
	return scenario.URL(base, sc)
}

// openFragment opens a share link's fragment; on failure it says why and
// runs the default example instead.
func (p *PlayState) openFragment(frag string) {
	sc, err := scenario.Decode(frag)
	if err == nil {
		step := -1
		if sc.Step != nil {
			step = int(*sc.Step)
		}
		open := sc.Clone()
		open.Step = nil
		p.setForm(open)
		p.exSel = ""
		if s := open.Image.Sample; s != "" && !sampleRegistered(s) {
			// The sample must be fetched first (Play.Init does it, off the
			// UI lock, then opens the link again).
			p.pendingFrag, p.pendingSample = frag, s
			p.imgBusy = "fetching " + s + " for the shared run…"
			p.fetchPending()
			return
		}
		if err = p.runScenario(open, step); err == nil {
			return
		}
	}
	p.fragErr = fmt.Sprintf("%v", err)
	p.openDefault()
}

// openDefault puts the first example in the form and runs it.
func (p *PlayState) openDefault() {
	if len(p.examples) > 0 {
		p.loadExample(p.examples[0].Key)
		p.run(-1)
	}
}

func (c *Play) Share() {
	p := c.S
	u, err := p.shareLink(pageBase())
	if err != nil {
		p.shareMsg = err.Error()
		return
	}
	p.shareURL = u
	if copyToClipboard(u) {
		p.shareMsg = fmt.Sprintf("Link copied (%d characters): it replays this exact run and opens at step %d.", len(u), p.step)
	} else {
		p.shareMsg = "Copy the link above; it replays this exact run at this step."
	}
}

// fileBase names exported files after the scenario.
func (p *PlayState) fileBase() string {
	k := "run"
	if p.runSc != nil {
		k = string(p.runSc.Kernel)
	}
	name := "ext4play-" + k
	if p.res != nil {
		name += "-" + p.res.Verdict
	}
	return strings.NewReplacer("/", "-", " ", "-").Replace(name)
}

func (c *Play) ExportTrace() {
	p := c.S
	if p.res == nil || p.res.Trace == nil {
		return
	}
	var b bytes.Buffer
	if err := p.res.Trace.WriteChrome(&b); err != nil {
		p.shareMsg = "trace export failed: " + err.Error()
		return
	}
	downloadBytes(p.fileBase()+".trace.json", "application/json", b.Bytes())
	p.shareMsg = fmt.Sprintf("Trace saved (%d bytes): open it in ui.perfetto.dev.", b.Len())
}

// ExportScenario downloads the shown run's scenario as JSON (replaying
// this run's interleaving; for a run the page cut short, the scenario as
// asked), for `ext4play run FILE`.
func (c *Play) ExportScenario() {
	p := c.S
	sc := p.runSc
	if sc == nil {
		return
	}
	if p.clampedFrom > 0 && p.askedSc != nil {
		// The page ran a prefix: the file asks for the whole run, with
		// its own scheduler.
		sc = p.askedSc
	}
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		p.shareMsg = "scenario export failed: " + err.Error()
		return
	}
	downloadBytes(p.fileBase()+".json", "application/json", append(b, '\n'))
	p.shareMsg = fmt.Sprintf("Scenario saved: ext4play run %s.json replays it natively.", p.fileBase())
}

// ExportImage re-runs the same interleaving keeping the final image (the
// recorded run does not hold it) and downloads it zstd-compressed.
func (c *Play) ExportImage() {
	p := c.S
	if p.res == nil || p.runSc == nil {
		return
	}
	dev, err := p.imageAtStep(p.maxStep())
	if err != nil {
		p.shareMsg = "image export failed: " + err.Error()
		return
	}
	// zstd: a 16 MiB image with a few written ranges is a few KiB; the
	// Image tab, e2fsprogs' users (zstd -d) and the CLI all read it. The
	// page's zstd runs in the codec worker (codec_js.go): wait for it in a
	// goroutine, never on this event handler's.
	name, env, img := p.fileBase()+".img.zst", p.env, dev
	p.shareMsg = "compressing the image…"
	go func() {
		var b bytes.Buffer
		err := img.Save(&b, image.Zstd)
		if err == nil {
			downloadBytes(name, "application/zstd", b.Bytes())
		}
		if env != nil {
			env.Lock()
			defer env.UnlockRender()
		}
		if err != nil {
			p.shareMsg = "image export failed: " + err.Error()
			return
		}
		p.shareMsg = fmt.Sprintf("Image saved (%d bytes): the ext4 image at the end of the run; e2fsck -fn it, or open it in the Image tab.", b.Len())
	}()
}

// --- small template helpers ---

func fioLineClass(l fioLine) string {
	if l.Err != "" {
		return "fl err"
	}
	return "fl"
}

// fioGutterHTML is the line-number gutter as one piece of markup (one DOM
// update per render instead of one element per line).
func (p *PlayState) fioGutterHTML() vugu.HTML {
	var b strings.Builder
	for _, l := range p.fioGutter() {
		if l.Err != "" {
			fmt.Fprintf(&b, `<div class="fl err" title="%s">%d</div>`, html.EscapeString(l.Err), l.N)
		} else {
			fmt.Fprintf(&b, `<div class="fl">%d</div>`, l.N)
		}
	}
	return vugu.HTML(b.String())
}

func playIcon(playing bool) string {
	if playing {
		return "❚❚"
	}
	return "►"
}

func privClass(iv inodeView) string {
	c := "pkv ptr-row"
	if iv.PrivChg {
		c += " changed"
	}
	if iv.PrivBad {
		c += " bad"
	}
	return c
}

func privName(p *PlayState, iv inodeView) string {
	if iv.Private < 0 || p.res == nil {
		return "NULL"
	}
	return p.res.Trace.Locs[iv.Private].Name
}

// scrubMarks are the verdict positions in percent of the scrubber.
func (p *PlayState) scrubMarks() []string {
	var out []string
	if m := p.maxStep(); m > 0 {
		for _, s := range p.verdictSteps() {
			out = append(out, itoa(s*100/m))
		}
	}
	return out
}

func (p *PlayState) diffTitle() string {
	a, b, _ := p.variantDiff()
	return a + " vs " + b
}

func (p *PlayState) diffA() string { a, _ := p.diffKernels(); return string(a) }
func (p *PlayState) diffB() string { _, b := p.diffKernels(); return string(b) }

func (p *PlayState) diffRows() []diffRow {
	_, _, r := p.variantDiff()
	return r
}
