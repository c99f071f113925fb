package main

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/vugu/vugu"

	"ext4play/core/ext4"
	"ext4play/core/image"
)

// Limits that keep the page responsive on big images: the DOM, not the
// reader, is the bottleneck (vugu re-renders every row on each event).
const (
	inodeRowsStep = 100  // inode table rows shown at first and added per "more"
	inodeRowsMax  = 5000 // never more, however often "more" is clicked
	treeRowsMax   = 2000
	extentRowsMax = 300
	previewBytes  = 512
	imageBytesMax = 512 << 20 // compressed or raw bytes accepted from a file or URL
)

// sample is one bundled image listed in images/index.json.
type sample struct {
	File        string // file name under images/
	Title       string
	Description string
}

// Root is the page: the toolbar that picks an image and the inspector that
// shows it. Fields are only touched under the EventEnv lock.
type Root struct {
	Tab string // "playground" (the landing screen) or "image"

	// The inspector fetches and decodes its sample only when its tab is
	// first shown, so the playground's first render does not wait for it.
	env              vugu.EventEnv
	inspectorStarted bool

	samples   []sample
	sampleSel string

	busy    string // non-empty while loading: what is happening
	loadErr string // why the last image could not be opened at all
	img     *opened

	// derived from img.Report
	tree     *treeNode
	expanded map[string]bool
	types    map[uint32]string
	byIno    map[uint32]*ext4.InodeReport
	paths    map[uint32][]string

	selIno   uint32
	selBytes []byte
	selErr   string

	inodeFilter string
	inodeLimit  int  // rows of the inode table shown; 0 means inodeRowsStep
	problemsMin bool // problems panel collapsed

	treeGen   int  // bumped whenever expanded changes
	scrollSel bool // after the next render, scroll the selected rows into view
	memo      memo

	firstRenderDone bool
}

// opened is an image successfully read by core/ext4.
type opened struct {
	Name     string
	Source   string // "sample", "file", "drop", "new" or "run" (a playground step)
	Step     int    // for "run": the step the image is taken after
	InBytes  int    // bytes as fetched or picked (possibly compressed)
	DevBytes int64  // decompressed device size
	LoadTime time.Duration
	Report   *ext4.Report
	dev      *image.Device // for Download
	// content makes the full report, with file hashes, when Report was
	// made without them so the image shows sooner (addContent).
	content   func() *ext4.Report
	readBytes func(ino uint32, n int) ([]byte, error)
}

// setImage installs a freshly opened image and resets the derived views.
func (c *Root) setImage(img *opened) {
	c.img, c.loadErr = img, ""
	r := img.Report
	c.tree = buildTree(r.Paths)
	c.expanded = defaultExpanded(c.tree, len(r.Paths))
	c.treeGen++
	c.types = make(map[uint32]string, len(r.Inodes))
	c.byIno = make(map[uint32]*ext4.InodeReport, len(r.Inodes))
	for i := range r.Inodes {
		in := &r.Inodes[i]
		c.types[in.Ino] = in.Type
		c.byIno[in.Ino] = in
	}
	c.paths = make(map[uint32][]string)
	for p, ino := range r.Paths {
		c.paths[ino] = append(c.paths[ino], p)
	}
	for _, ps := range c.paths {
		sort.Strings(ps)
	}
	c.selIno, c.selBytes, c.selErr = 0, nil, ""
	c.inodeFilter, c.inodeLimit = "", 0
	c.problemsMin = false
	// Show the first regular file so the detail panel is not empty.
	if f := c.firstFile(); f != 0 {
		c.selectIno(f)
	}
}

// firstFile is the inode of the first regular file in path order, or 0.
func (c *Root) firstFile() uint32 {
	var best string
	var ino uint32
	for p, i := range c.img.Report.Paths {
		if c.types[i] == "file" && (best == "" || p < best) && !strings.HasPrefix(p, "/lost+found") {
			best, ino = p, i
		}
	}
	return ino
}

func (c *Root) selectIno(ino uint32) {
	c.selIno, c.selBytes, c.selErr = ino, nil, ""
	in := c.byIno[ino]
	if in == nil || c.img == nil || c.img.readBytes == nil {
		return
	}
	if in.Type != "file" && in.Type != "dir" && in.Type != "symlink" {
		return
	}
	b, err := c.img.readBytes(ino, previewBytes)
	if err != nil {
		c.selErr = err.Error()
	}
	c.selBytes = b
}

// --- event handlers (called by the templates under the EventEnv lock) ---

// SelectPath selects the inode behind a tree row, toggling directories.
func (c *Root) SelectPath(p string, ino uint32) {
	if len(c.childrenOf(p)) > 0 && c.selIno == ino {
		c.Toggle(p)
		return
	}
	if c.types[ino] == "dir" && !c.expanded[p] {
		c.expanded[p] = true
		c.treeGen++
	}
	c.selectIno(ino)
	c.scrollSel = true
}

// Toggle opens or closes a directory in the tree.
func (c *Root) Toggle(p string) {
	c.expanded[p] = !c.expanded[p]
	c.treeGen++
}

// SelectIno selects an inode from the inode table and unfolds the tree
// down to its first path, so both views show the same thing.
func (c *Root) SelectIno(ino uint32) {
	c.selectIno(ino)
	if ps := c.paths[ino]; len(ps) > 0 {
		for p := parentPath(ps[0]); ; p = parentPath(p) {
			if !c.expanded[p] {
				c.expanded[p] = true
				c.treeGen++
			}
			if p == "/" {
				break
			}
		}
	}
	c.scrollSel = true
}

// parentPath is the directory holding p ("/" for top-level entries and for
// "/" itself).
func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// FilterInodes handles typing in the inode filter box.
func (c *Root) FilterInodes(e vugu.DOMEvent) {
	c.inodeFilter = strings.TrimSpace(e.PropString("target", "value"))
	c.inodeLimit = 0
}

// MoreInodes shows another page of the inode table.
func (c *Root) MoreInodes() {
	c.inodeLimit = min(c.rowsLimit()+inodeRowsStep, inodeRowsMax)
}

func (c *Root) rowsLimit() int {
	if c.inodeLimit <= 0 {
		return inodeRowsStep
	}
	return c.inodeLimit
}

// SelectProblem shows the inode a problem is about.
func (c *Root) SelectProblem(ino uint32) {
	if ino != 0 && c.byIno[ino] != nil {
		c.SelectIno(ino)
	}
}

// ToggleProblems collapses or expands the problems panel.
func (c *Root) ToggleProblems() { c.problemsMin = !c.problemsMin }

// PickSample loads the sample chosen in the toolbar's menu.
func (c *Root) PickSample(e vugu.DOMEvent) {
	file := e.PropString("target", "value")
	if file == "" || c.busy != "" {
		return
	}
	c.sampleSel = file
	go c.loadSample(e.EventEnv(), file)
}

// PickFile loads the file chosen with the file input.
func (c *Root) PickFile(e vugu.DOMEvent) {
	f := inputFile(e)
	if f == nil || c.busy != "" {
		return
	}
	go c.loadBlob(e.EventEnv(), f, "file")
}

// Drop loads a dropped image file. The drag feedback (and the
// preventDefault on dragover that lets a drop happen at all) lives in
// boot.js: dragover fires many times a second and a vugu handler would
// re-render the whole page each time.
func (c *Root) Drop(e vugu.DOMEvent) {
	e.PreventDefault()
	f := droppedFile(e)
	if f == nil || c.busy != "" {
		return
	}
	go c.loadBlob(e.EventEnv(), f, "drop")
}

// --- loading (runs in its own goroutine, takes the lock to publish) ---

// guard turns a panic in a loader goroutine into an error banner; without
// it one bad image would end the whole wasm program.
func (c *Root) guard(env vugu.EventEnv, what string) {
	if r := recover(); r != nil {
		c.fail(env, what, fmt.Errorf("internal error (please report this image): %v", r))
	}
}

// start fetches the sample list and opens the default sample.
// startInspector starts the inspector's sample load once; callers hold the
// env lock or run before the event loop.
func (c *Root) startInspector() {
	if c.inspectorStarted || c.env == nil {
		return
	}
	c.inspectorStarted = true
	prewarmCodec()
	go c.start(c.env)
}

func (c *Root) start(env vugu.EventEnv) {
	defer c.guard(env, "startup")
	env.Lock()
	c.busy = "fetching sample list"
	env.UnlockRender()

	list, err := fetchBytes("images/index.json")
	var samples []sample
	if err == nil {
		samples, err = parseSamples(list)
	}
	env.Lock()
	if err != nil {
		c.busy = ""
		c.loadErr = fmt.Sprintf("Cannot list the bundled sample images (images/index.json): %v. You can still open or drop an image file.", err)
		env.UnlockRender()
		return
	}
	c.samples = samples
	def := defaultSample(samples)
	if c.img != nil {
		// An image dropped or made before the tab opened stays on screen.
		def = ""
	}
	c.sampleSel = def
	env.UnlockRender()
	if def != "" {
		c.loadSample(env, def)
	} else {
		env.Lock()
		c.busy = ""
		env.UnlockRender()
	}
}

func (c *Root) loadSample(env vugu.EventEnv, file string) {
	defer c.guard(env, file)
	c.setBusy(env, "fetching "+file)
	data, err := fetchBytes("images/" + file)
	if err != nil {
		c.fail(env, file, err)
		return
	}
	mark("fetched")
	c.open(env, data, file, "sample")
}

func (c *Root) loadBlob(env vugu.EventEnv, f blob, source string) {
	name := f.Name()
	defer c.guard(env, name)
	if f.Size() > imageBytesMax {
		c.fail(env, name, fmt.Errorf("file is %s; the page accepts at most %s", humanBytes(uint64(f.Size())), humanBytes(imageBytesMax)))
		return
	}
	c.setBusy(env, "reading "+name)
	data, err := f.Bytes()
	if err != nil {
		c.fail(env, name, err)
		return
	}
	c.open(env, data, name, source)
}

func (c *Root) open(env vugu.EventEnv, data []byte, name, source string) {
	c.setBusy(env, fmt.Sprintf("opening %s (%s)", name, humanBytes(uint64(len(data)))))
	t0 := time.Now()
	mark("decode-start")
	img, err := openImage(data, name)
	mark("decoded")
	if err != nil {
		c.fail(env, name, err)
		return
	}
	img.Source, img.InBytes, img.LoadTime = source, len(data), time.Since(t0)
	env.Lock()
	c.busy = ""
	if source != "sample" {
		c.sampleSel = "" // the menu no longer names what is shown
	}
	c.setImage(img)
	env.UnlockRender()
	c.addContent(env, img)
}

func (c *Root) setBusy(env vugu.EventEnv, what string) {
	env.Lock()
	c.busy = what
	env.UnlockRender()
	// Go's wasm runs on the page's only thread: give the browser a moment
	// to paint the status before the CPU-bound decode starts.
	time.Sleep(15 * time.Millisecond)
}

// fail shows why name could not be opened. The previous image, if any,
// stays on screen underneath the banner, so nothing is lost.
func (c *Root) fail(env vugu.EventEnv, name string, err error) {
	env.Lock()
	c.busy = ""
	c.loadErr = fmt.Sprintf("%s: %v", name, err)
	// The menu names what is on screen, not what failed.
	c.sampleSel = ""
	if c.img != nil && c.img.Source == "sample" {
		c.sampleSel = c.img.Name
	}
	env.UnlockRender()
}

// DismissError hides the error banner.
func (c *Root) DismissError() { c.loadErr = "" }

// parseSamples accepts the sample index written by the build: a list of
// file names, a list of objects with file/name/title/description, or an
// object holding such a list under "images".
func parseSamples(b []byte) ([]sample, error) {
	type entry struct {
		File        string `json:"file"`
		Name        string `json:"name"`
		Path        string `json:"path"`
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	var raw json.RawMessage = b
	var wrapped struct {
		Images json.RawMessage `json:"images"`
	}
	if trimmed := strings.TrimSpace(string(b)); strings.HasPrefix(trimmed, "{") {
		if err := json.Unmarshal(b, &wrapped); err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		raw = wrapped.Images
	} else if !strings.HasPrefix(trimmed, "[") {
		return nil, fmt.Errorf("not a JSON list (starts with %q)", firstChars(trimmed, 16))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	var out []sample
	for i, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, sample{File: s, Title: s})
			continue
		}
		var e entry
		if err := json.Unmarshal(it, &e); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		f := e.File
		if f == "" {
			f = e.Path
		}
		if f == "" {
			f = e.Name
		}
		f = path.Base(f) // images are always fetched from images/
		if f == "" || f == "." || f == "/" {
			return nil, fmt.Errorf("entry %d has no file name", i)
		}
		t := e.Title
		if t == "" {
			t = f
		}
		out = append(out, sample{File: f, Title: t, Description: e.Description})
	}
	return out, nil
}

// defaultSample picks the image shown on arrival: the plain ext4 sample if
// there is one, never a deliberately corrupt one when another exists.
func defaultSample(ss []sample) string {
	best := ""
	for _, s := range ss {
		switch {
		case strings.HasPrefix(s.File, "sample-ext4"):
			return s.File
		case best == "" && !isBroken(s.File):
			best = s.File
		}
	}
	if best == "" && len(ss) > 0 {
		best = ss[0].File
	}
	return best
}

// isBroken reports whether a sample is deliberately damaged (the sample
// script names them corrupt-* and bad-*), so it is not shown on arrival.
func isBroken(file string) bool {
	return strings.HasPrefix(file, "corrupt") || strings.HasPrefix(file, "bad-")
}

func firstChars(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// blob is a user-supplied file (picked or dropped).
type blob interface {
	Name() string
	Size() int64
	Bytes() ([]byte, error)
}
