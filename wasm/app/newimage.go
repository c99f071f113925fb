package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vugu/vugu"

	"ext4play/core/ext4"
	"ext4play/core/image"
)

// NewImage is the toolbar's "New image" form (mke2fs in the page) and its
// "Download" button. R is the page; the form's own state lives in
// newImageState so it survives tab switches (vugu drops a child component
// that leaves the tree).
type NewImage struct {
	R *Root `vugu:"data"`
}

// niFeature is one checkbox: an e2fsprogs feature name and whether
// mke2fs -t ext4 turns it on by default.
type niFeature struct {
	Name    string
	Default bool
	Title   string
}

// niFeatures are the features this mkfs can make (core/ext4 mkfsSupported),
// in dumpe2fs order; the defaults are mke2fs.conf's ext4 ones.
var niFeatures = []niFeature{
	{"has_journal", true, "COMPAT_HAS_JOURNAL: a jbd2 journal in inode 8"},
	{"ext_attr", true, "COMPAT_EXT_ATTR: extended attributes"},
	{"resize_inode", true, "COMPAT_RESIZE_INODE: reserved GDT blocks for online growth"},
	{"dir_index", true, "COMPAT_DIR_INDEX: hashed b-tree directories"},
	{"filetype", true, "INCOMPAT_FILETYPE: file type in directory entries"},
	{"extent", true, "INCOMPAT_EXTENTS: extent-mapped files"},
	{"64bit", true, "INCOMPAT_64BIT: 64-bit block numbers, 64-byte group descriptors"},
	{"flex_bg", true, "INCOMPAT_FLEX_BG: bitmaps and inode tables packed together"},
	{"sparse_super", true, "RO_COMPAT_SPARSE_SUPER: superblock backups in groups 0, 1 and powers of 3, 5, 7"},
	{"large_file", true, "RO_COMPAT_LARGE_FILE: files over 2 GiB"},
	{"huge_file", true, "RO_COMPAT_HUGE_FILE: i_blocks in file-system blocks"},
	{"uninit_bg", false, "RO_COMPAT_GDT_CSUM: group descriptor checksums (crc16); superseded by metadata_csum"},
	{"dir_nlink", true, "RO_COMPAT_DIR_NLINK: more than 65000 subdirectories"},
	{"extra_isize", true, "RO_COMPAT_EXTRA_ISIZE: large inodes keep i_extra_isize bytes"},
	{"metadata_csum", true, "RO_COMPAT_METADATA_CSUM: crc32c checksums on all metadata"},
}

// newImageForm is what the user typed; strings are parsed on Create so
// that a half-typed value is not an error while typing.
type newImageForm struct {
	open      bool
	Size      string
	BlockSize string // "" = mke2fs's choice for the size
	InodeSize string // "" = 256
	Label     string
	Seed      string
	feats     map[string]bool
	Format    string // download format: "img" or "img.zst"
	err       string // why Create or Download failed, shown in the form
}

var newImageState = newForm()

func newForm() *newImageForm {
	f := &newImageForm{Size: "64M", Seed: "1", Format: "img.zst", feats: map[string]bool{}}
	for _, nf := range niFeatures {
		f.feats[nf.Name] = nf.Default
	}
	return f
}

// featureList is the -O list that turns the ext4 defaults into the
// checked set, e.g. "^has_journal,uninit_bg".
func (f *newImageForm) featureList() string {
	var w []string
	for _, nf := range niFeatures {
		switch on := f.feats[nf.Name]; {
		case on && !nf.Default:
			w = append(w, nf.Name)
		case !on && nf.Default:
			w = append(w, "^"+nf.Name)
		}
	}
	return strings.Join(w, ",")
}

// options parses the form into mkfs options; errors name the field.
func (f *newImageForm) options() (ext4.MkfsOptions, error) {
	o := ext4.MkfsOptions{ReservedPercent: -1} // -1: mke2fs's 5%
	size, err := parseSize(f.Size)
	if err != nil {
		return o, fmt.Errorf("size: %w", err)
	}
	if size > deviceSizeMax {
		return o, fmt.Errorf("size: %s is more than the page holds (%s)", humanBytes(uint64(size)), humanBytes(deviceSizeMax))
	}
	o.Size = size
	if s := strings.TrimSpace(f.BlockSize); s != "" {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return o, fmt.Errorf("block size %q: not a number", s)
		}
		o.BlockSize = uint32(v)
	}
	if s := strings.TrimSpace(f.InodeSize); s != "" {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return o, fmt.Errorf("inode size %q: not a number", s)
		}
		o.InodeSize = uint32(v)
	}
	o.Label = f.Label
	if s := strings.TrimSpace(f.Seed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return o, fmt.Errorf("seed %q: want a whole number", s)
		}
		o.Seed = v
	}
	o.Features = f.featureList()
	return o, nil
}

// name is the file name a new image gets, e.g. new-32M-1k.img.
func (f *newImageForm) name(o ext4.MkfsOptions) string {
	n := "new-" + strings.ToUpper(strings.TrimSpace(f.Size))
	if o.BlockSize != 0 {
		n += fmt.Sprintf("-%dk", o.BlockSize/1024)
	}
	if o.Label != "" {
		n += "-" + safeName(o.Label)
	}
	return n + ".img"
}

// safeName keeps letters, digits, '-', '_' and '.' of s.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// parseSize reads sizes like 64M, 1.5G, 16G or plain bytes (binary units,
// as mke2fs uses them).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := 1.0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult = float64(int64(1) << (10 * (i + 1)))
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v <= 0 || v*mult > 1<<60 {
		return 0, fmt.Errorf("bad size %q (want e.g. 64M, 1G, 16G)", s)
	}
	return int64(v * mult), nil
}

// --- template helpers ---

func (c *NewImage) F() *newImageForm { return newImageState }

func (c *NewImage) busy() bool { return c.R.busy != "" }

func (c *NewImage) canDownload() bool { return c.R.img != nil && c.R.img.dev != nil && !c.busy() }

func (c *NewImage) checked(name string) bool { return newImageState.feats[name] }

func (c *NewImage) bsSelected(v string) bool { return newImageState.BlockSize == v }

func (c *NewImage) toggleClass() string {
	if newImageState.open {
		return "btn ni-toggle on"
	}
	return "btn ni-toggle"
}

// --- event handlers ---

func (c *NewImage) Toggle() { newImageState.open = !newImageState.open }

func (c *NewImage) SetSize(e vugu.DOMEvent) { newImageState.Size = e.PropString("target", "value") }
func (c *NewImage) SetBS(e vugu.DOMEvent)   { newImageState.BlockSize = e.PropString("target", "value") }
func (c *NewImage) SetISize(e vugu.DOMEvent) {
	newImageState.InodeSize = e.PropString("target", "value")
}
func (c *NewImage) SetLabel(e vugu.DOMEvent) { newImageState.Label = e.PropString("target", "value") }
func (c *NewImage) SetSeed(e vugu.DOMEvent)  { newImageState.Seed = e.PropString("target", "value") }
func (c *NewImage) SetFormat(e vugu.DOMEvent) {
	newImageState.Format = e.PropString("target", "value")
}

func (c *NewImage) SetFeature(e vugu.DOMEvent, name string) {
	newImageState.feats[name] = e.PropBool("target", "checked")
}

// Defaults puts every field back to mke2fs -t ext4's choice.
func (c *NewImage) Defaults() {
	f := newForm()
	f.open = true
	newImageState = f
}

// Create makes the image and opens it in the inspector.
func (c *NewImage) Create(e vugu.DOMEvent) {
	e.PreventDefault() // the form's submit must not navigate
	f := newImageState
	if c.busy() {
		return
	}
	o, err := f.options()
	if err != nil {
		f.err = err.Error()
		return
	}
	f.err = ""
	go c.R.createImage(e.EventEnv(), o, f.name(o))
}

// Download saves the image on screen as .img or .img.zst. Compressing a
// big image takes seconds in wasm, so it runs behind the busy status.
func (c *NewImage) Download(e vugu.DOMEvent) {
	if !c.canDownload() {
		return
	}
	go c.R.download(e.EventEnv(), c.R.img, newImageState.Format)
}

func (c *Root) download(env vugu.EventEnv, img *opened, format string) {
	defer c.guard(env, img.Name)
	c.setBusy(env, fmt.Sprintf("preparing %s for download (%s)", img.Name, humanBytes(uint64(img.dev.Size()))))
	name, data, err := encodeImage(img.dev, img.Name, format)
	if err == nil {
		if err = saveBlob(name, data); err != nil {
			err = fmt.Errorf("download: %w", err)
		}
	}
	env.Lock()
	defer env.UnlockRender()
	c.busy = ""
	newImageState.err = ""
	if err != nil {
		newImageState.err = err.Error()
		newImageState.open = true // the error is shown in the form
	}
}

// Download bounds: a raw download becomes one Blob of the device's size;
// zstd streams the holes through the compressor at about 1 GiB/s in wasm.
const (
	rawDownloadMax = 1 << 30
	zstDownloadMax = 16 << 30
)

// encodeImage turns a device into the bytes of a file called after name
// with the extension of format ("img" or "img.zst").
func encodeImage(dev *image.Device, name, format string) (string, []byte, error) {
	base := name
	for _, ext := range []string{".zst", ".gz", ".xz", ".img", ".raw"} {
		base = strings.TrimSuffix(base, ext)
	}
	var buf bytes.Buffer
	switch format {
	case "img":
		if dev.Size() > rawDownloadMax {
			return "", nil, fmt.Errorf("download: a raw image of %s is too big for the browser; choose .img.zst", humanBytes(uint64(dev.Size())))
		}
		buf.Grow(int(dev.Size()))
		if err := dev.Save(&buf, image.Raw); err != nil {
			return "", nil, fmt.Errorf("download: %w", err)
		}
	case "img.zst":
		if dev.Size() > zstDownloadMax {
			return "", nil, fmt.Errorf("download: %s would take minutes to compress in the browser (at most %s)", humanBytes(uint64(dev.Size())), humanBytes(zstDownloadMax))
		}
		if err := dev.Save(&buf, image.Zstd); err != nil {
			return "", nil, fmt.Errorf("download: %w", err)
		}
	default:
		return "", nil, fmt.Errorf("download: unknown format %q", format)
	}
	return base + "." + format, buf.Bytes(), nil
}

// createImage runs mkfs and shows the result like any opened image
// (Root.open's steps, from a device rather than file bytes).
func (c *Root) createImage(env vugu.EventEnv, o ext4.MkfsOptions, name string) {
	defer c.guard(env, name)
	c.setBusy(env, fmt.Sprintf("making %s (%s)", name, humanBytes(uint64(o.Size))))
	t0 := time.Now()
	dev, err := ext4.Mkfs(o)
	var img *opened
	if err == nil {
		img, err = openDevice(dev, name)
	}
	env.Lock()
	defer env.UnlockRender()
	c.busy = ""
	if err != nil {
		newImageState.err = err.Error()
		return
	}
	img.Source, img.LoadTime = "new", time.Since(t0)
	newImageState.open, newImageState.err = false, ""
	c.sampleSel = ""
	c.setImage(img)
	go c.addContent(env, img) // after this goroutine's UnlockRender
}

// command is the mke2fs command line that makes the same file system
// (up to the seeded UUID), for learning and for checking.
func (c *NewImage) command() string {
	f := newImageState
	parts := []string{"mke2fs -t ext4"}
	if s := strings.TrimSpace(f.BlockSize); s != "" {
		parts = append(parts, "-b "+s)
	}
	if s := strings.TrimSpace(f.InodeSize); s != "" {
		parts = append(parts, "-I "+s)
	}
	if f.Label != "" {
		parts = append(parts, "-L "+strconv.Quote(f.Label))
	}
	if l := f.featureList(); l != "" {
		parts = append(parts, "-O "+l)
	}
	return strings.Join(append(parts, "new.img", strings.TrimSpace(f.Size)), " ")
}
