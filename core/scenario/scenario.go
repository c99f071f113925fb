// Package scenario is the unit a user runs, shares and keeps: the image
// recipe, mount options, kernel variant, fio workload, scheduler and
// step limit, as versioned JSON. It validates strictly (unknown fields,
// duplicate keys and bad values are errors that name the JSON path), and
// encodes a scenario into the compact `#s=` URL fragment of share links.
package scenario

import (
	"errors"
	"fmt"
	"strings"

	"ext4play/core/ext4"
	"ext4play/core/fio"
)

// Version is the scenario format this package reads and writes.
const Version = 1

// Bounds of a scenario.
const (
	MinImageSize   = int64(1) << 20  // 1 MiB
	MaxImageSize   = int64(64) << 30 // core/image's DefaultMaxSize
	MaxTitleLen    = 200
	MaxDescLen     = 4000
	MaxStepLimit   = int64(100_000_000)
	MaxChoicesLen  = 512 << 10 // characters of the encoded choice list
	MaxPCTDepth    = 64
	MaxDFSBound    = 64
	MaxMountOpts   = 32
	MaxFeatures    = 64
	MaxSampleName  = 64
	DefaultScratch = "/mnt/scratch"
)

// Kernel is a kernel variant of the DIO model (reference §Variants).
type Kernel string

const (
	KernelV44     Kernel = "v4.4"     // before 2bcba4781fa3
	KernelV45rc3  Kernel = "v4.5-rc3" // with 2bcba4781fa3: the buggy one
	KernelRevert  Kernel = "revert"   // v4.5-rc3 plus the seed thread's revert patch
	KernelJanFix  Kernel = "jan-fix"  // v4.5-rc3 plus 74dae4278546
	KernelV46     Kernel = "v4.6"     // io_end no longer stored in the inode
	DefaultKernel        = KernelV45rc3
)

// Kernels lists the variants in release order.
var Kernels = []Kernel{KernelV44, KernelV45rc3, KernelRevert, KernelJanFix, KernelV46}

// Strategy is how the scheduler picks the next task.
type Strategy string

const (
	StrategyRandom Strategy = "random" // seeded uniform choice
	StrategyPCT    Strategy = "pct"    // probabilistic concurrency testing, pct_depth priority changes
	StrategyDFS    Strategy = "dfs"    // bounded systematic search, dfs_bound preemptions
	StrategyReplay Strategy = "replay" // follow choices exactly
)

// Strategies lists the strategies.
var Strategies = []Strategy{StrategyRandom, StrategyPCT, StrategyDFS, StrategyReplay}

// Scenario is one runnable, shareable setup. The JSON form is the
// contract; field order and names are stable within a Version.
type Scenario struct {
	Version            int       `json:"version"`
	Title              string    `json:"title"`
	Description        string    `json:"description,omitempty"`
	Image              Image     `json:"image"`
	Mount              Mount     `json:"mount"`
	Kernel             Kernel    `json:"kernel"`
	Workload           Workload  `json:"workload"`
	Scheduler          Scheduler `json:"scheduler"`
	StepLimit          int64     `json:"step_limit"`
	StopAtFirstVerdict bool      `json:"stop_at_first_verdict"`
	// Step is the step the UI shows (share links open there); nil means
	// the start.
	Step *int64 `json:"step,omitempty"`
}

// Image is either a bundled sample image (Sample) or an mkfs recipe (the
// other fields), never both.
type Image struct {
	Sample    string   `json:"sample,omitempty"`
	Size      int64    `json:"size,omitempty"`       // bytes
	BlockSize uint32   `json:"block_size,omitempty"` // 1024, 2048, 4096; 0: mke2fs default
	InodeSize uint32   `json:"inode_size,omitempty"` // 128 … block size, power of two; 0: default
	Features  []string `json:"features,omitempty"`   // mke2fs -O items: "metadata_csum", "^huge_file"
	Label     string   `json:"label,omitempty"`
	Seed      uint64   `json:"seed,omitempty"` // derives UUID and hash seed
}

// MkfsOptions converts the recipe to core/ext4's options.
func (im Image) MkfsOptions() ext4.MkfsOptions {
	return ext4.MkfsOptions{
		Size: im.Size, BlockSize: im.BlockSize, InodeSize: im.InodeSize,
		Features: strings.Join(im.Features, ","), Label: im.Label, Seed: im.Seed,
	}
}

// Mount holds the mount options. The model acts on dioread_nolock; the
// others are recorded and shown.
type Mount struct {
	DioreadNolock bool     `json:"dioread_nolock"`
	Options       []string `json:"options,omitempty"`
}

// String is the option string as mount(8) would take it.
func (m Mount) String() string {
	opts := append([]string(nil), m.Options...)
	if m.DioreadNolock {
		opts = append([]string{"dioread_nolock"}, opts...)
	}
	if len(opts) == 0 {
		return "defaults"
	}
	return strings.Join(opts, ",")
}

// knownMountOptions are the ext4 options a scenario may list; the model
// honours dioread_nolock (its own field) and records the rest.
var knownMountOptions = map[string]bool{
	"data=ordered": true, "data=writeback": true, "data=journal": true,
	"delalloc": true, "nodelalloc": true, "barrier": true, "nobarrier": true,
	"discard": true, "nodiscard": true, "noatime": true, "relatime": true,
	"journal_checksum": true, "nojournal_checksum": true, "auto_da_alloc": true,
	"noauto_da_alloc": true, "dioread_lock": true, "errors=remount-ro": true,
	"errors=continue": true, "errors=panic": true, "user_xattr": true, "acl": true,
}

// Workload is the fio job text with its variables and the scale-down
// applied to it.
type Workload struct {
	Fio   string            `json:"fio"`
	Vars  map[string]string `json:"vars,omitempty"` // ${NAME} values; SCRATCH_MNT defaults to /mnt/scratch
	Scale Scale             `json:"scale,omitzero"`
}

// Scale shrinks a workload so it runs quickly (e.g. in a browser).
type Scale struct {
	MaxOps   int64 `json:"max_ops,omitempty"`   // workload ops per job (0: the job's own bound)
	FileSize int64 `json:"file_size,omitempty"` // replaces every job's file size (0: keep)
}

// Scheduler picks the interleaving.
type Scheduler struct {
	Strategy Strategy `json:"strategy"`
	Seed     uint64   `json:"seed"`
	PCTDepth int      `json:"pct_depth,omitempty"` // pct only; 0: the strategy's default
	DFSBound int      `json:"dfs_bound,omitempty"` // dfs only; 0: the strategy's default
	// Choices is the recorded choice list in its compact encoding
	// (base64url without padding; the simulator defines the content).
	// Required for replay, not allowed otherwise.
	Choices string `json:"choices,omitempty"`
}

// Sentinel errors, usable with errors.Is.
var (
	ErrSyntax   = errors.New("scenario: malformed JSON")
	ErrInvalid  = errors.New("scenario: invalid")
	ErrTooLarge = errors.New("scenario: too large")
	ErrVersion  = errors.New("scenario: unsupported version")
	ErrEncoding = errors.New("scenario: bad link encoding")
)

// FieldError is one problem, located by JSON path (and by line and column
// in the source when known).
type FieldError struct {
	Path string // "$.scheduler.strategy"; "$" for the document
	Msg  string
	Line int // 1-based; 0 when unknown
	Col  int
	Err  error // the underlying error (e.g. a *fio.Error), may be nil
	kind error
}

func (e *FieldError) Error() string {
	s := e.Path + ": " + e.Msg
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Col)
	}
	return s
}

// Unwrap exposes the sentinel and the underlying error.
func (e *FieldError) Unwrap() []error {
	out := []error{e.kind}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Errors is a list of FieldErrors; Validate and Parse return it.
type Errors []*FieldError

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is / errors.As see every FieldError.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

type validator struct {
	errs     Errors
	workload *fio.Workload // the fio job as validateWorkload parsed it
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...), kind: ErrInvalid})
}

var ()

func mib(n int64) string {
	if n%(1<<30) == 0 && n >= 1<<30 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// Validate checks every field and returns Errors (nil when valid). The
// fio text is parsed with core/fio; its errors keep their line and come
// with the path $.workload.fio.
func (s *Scenario) Validate() error {
	_, err := s.Check()
	return err
}

// Check is Validate that also returns the workload it parsed on the way,
// for callers that would otherwise parse the fio job a second time.
func (s *Scenario) Check() (*fio.Workload, error) {
	v := &validator{}
	if s.Version != Version {
		v.errs = append(v.errs, &FieldError{Path: "$.version", Msg: fmt.Sprintf("%d — want %d", s.Version, Version), kind: ErrVersion})
	}
	switch {
	case strings.TrimSpace(s.Title) == "":
		v.add("$.title", "empty — give the scenario a title")
	case len(s.Title) > MaxTitleLen:
		v.add("$.title", "%d bytes, limit %d", len(s.Title), MaxTitleLen)
	}
	if len(s.Description) > MaxDescLen {
		v.add("$.description", "%d bytes, limit %d", len(s.Description), MaxDescLen)
	}
	s.validateImage(v)
	s.validateMount(v)
	if !slicesContains(Kernels, s.Kernel) {
		v.add("$.kernel", "%q is not one of %s", s.Kernel, join(Kernels))
	}
	s.validateWorkload(v)
	s.validateScheduler(v)
	if s.StepLimit < 1 || s.StepLimit > MaxStepLimit {
		v.add("$.step_limit", "%d — want 1 … %d", s.StepLimit, MaxStepLimit)
	}
	if s.Step != nil && (*s.Step < 0 || *s.Step > s.StepLimit) {
		v.add("$.step", "%d — want 0 … step_limit (%d)", *s.Step, s.StepLimit)
	}
	if len(v.errs) == 0 {
		return v.workload, nil
	}
	return nil, v.errs
}

func (s *Scenario) validateImage(v *validator) {
	im := s.Image
	recipe := im.Size != 0 || im.BlockSize != 0 || im.InodeSize != 0 || len(im.Features) > 0 || im.Label != "" || im.Seed != 0
	if im.Sample != "" {
		if recipe {
			v.add("$.image", "give either sample or an mkfs recipe (size, block_size, …), not both")
		}
		if len(im.Sample) > MaxSampleName || !isSampleName(im.Sample) {
			v.add("$.image.sample", "%q is not a sample image name (lower-case letters, digits, . _ -; at most %d)", im.Sample, MaxSampleName)
		}
		return
	}
	switch {
	case im.Size < MinImageSize:
		v.add("$.image.size", "%d — want at least %s", im.Size, mib(MinImageSize))
	case im.Size > MaxImageSize:
		v.add("$.image.size", "%d — want at most %s", im.Size, mib(MaxImageSize))
	case im.Size%1024 != 0:
		v.add("$.image.size", "%d is not a multiple of 1024", im.Size)
	}
	switch im.BlockSize {
	case 0, 1024, 2048, 4096:
	default:
		v.add("$.image.block_size", "%d is not one of 1024, 2048, 4096", im.BlockSize)
	}
	if is := im.InodeSize; is != 0 {
		bs := im.BlockSize
		if bs == 0 {
			bs = 4096
		}
		if is < 128 || is&(is-1) != 0 || is > bs {
			v.add("$.image.inode_size", "%d — want a power of two from 128 to the block size (%d)", is, bs)
		}
	}
	if len(im.Features) > MaxFeatures {
		v.add("$.image.features", "%d entries, limit %d", len(im.Features), MaxFeatures)
	} else {
		for i, f := range im.Features {
			if _, err := ext4.ParseFeature(strings.TrimPrefix(f, "^")); err != nil || strings.Contains(f, ",") {
				v.add(fmt.Sprintf("$.image.features[%d]", i), "%q is not an ext4 feature (e.g. metadata_csum, ^huge_file)", f)
			}
		}
	}
	if len(im.Label) > 16 {
		v.add("$.image.label", "%d bytes, the superblock holds 16", len(im.Label))
	}
}

func (s *Scenario) validateMount(v *validator) {
	if len(s.Mount.Options) > MaxMountOpts {
		v.add("$.mount.options", "%d entries, limit %d", len(s.Mount.Options), MaxMountOpts)
		return
	}
	seen := map[string]bool{}
	for i, o := range s.Mount.Options {
		p := fmt.Sprintf("$.mount.options[%d]", i)
		switch {
		case o == "dioread_nolock":
			v.add(p, "set $.mount.dioread_nolock instead")
		case !knownMountOptions[o]:
			v.add(p, "%q is not an ext4 mount option this playground knows", o)
		case seen[o]:
			v.add(p, "%q given twice", o)
		case o == "dioread_lock" && s.Mount.DioreadNolock:
			v.add(p, "dioread_lock contradicts dioread_nolock: true")
		}
		seen[o] = true
	}
}

// Vars returns the workload variables with the defaults filled in.
func (s *Scenario) Vars() map[string]string {
	out := map[string]string{"SCRATCH_MNT": DefaultScratch}
	for k, v := range s.Workload.Vars {
		out[k] = v
	}
	return out
}

// ParseWorkload parses the fio text with the scenario's variables.
func (s *Scenario) ParseWorkload() (*fio.Workload, error) {
	w, err := fio.Parse(s.Workload.Fio, s.Vars())
	if err != nil {
		return nil, &FieldError{Path: "$.workload.fio", Msg: err.Error(), Err: err, kind: ErrInvalid}
	}
	return w, nil
}

// Limits returns the op limits the scenario's scale asks for.
func (s *Scenario) Limits() fio.Limits {
	return fio.Limits{MaxOps: s.Workload.Scale.MaxOps, FileSize: s.Workload.Scale.FileSize}
}

func (s *Scenario) validateWorkload(v *validator) {
	for k := range s.Workload.Vars {
		if !isVarName(k) {
			v.add("$.workload.vars", "%q is not a variable name", k)
		}
	}
	if len(s.Workload.Vars) > fio.MaxVars {
		v.add("$.workload.vars", "%d entries, limit %d", len(s.Workload.Vars), fio.MaxVars)
	}
	sc := s.Workload.Scale
	if sc.MaxOps < 0 || sc.MaxOps > fio.DefaultLimits.MaxOpsPerJob {
		v.add("$.workload.scale.max_ops", "%d — want 0 … %d", sc.MaxOps, fio.DefaultLimits.MaxOpsPerJob)
	}
	if sc.FileSize < 0 || sc.FileSize > fio.MaxFileSize {
		v.add("$.workload.scale.file_size", "%d — want 0 … %d", sc.FileSize, fio.MaxFileSize)
	}
	if strings.TrimSpace(s.Workload.Fio) == "" {
		v.add("$.workload.fio", "empty — give an fio job file")
		return
	}
	w, err := s.ParseWorkload()
	if err != nil {
		v.errs = append(v.errs, err.(*FieldError))
		return
	}
	v.workload = w
	if sc.FileSize > 0 {
		for i := range w.Jobs {
			if _, err := s.Limits().Scaled(w.Jobs[i]); err != nil {
				v.add("$.workload.scale.file_size", "%v", err)
				break
			}
		}
	}
}

func (s *Scenario) validateScheduler(v *validator) {
	sc := s.Scheduler
	if !slicesContains(Strategies, sc.Strategy) {
		v.add("$.scheduler.strategy", "%q is not one of %s", sc.Strategy, join(Strategies))
	}
	if sc.PCTDepth < 0 || sc.PCTDepth > MaxPCTDepth {
		v.add("$.scheduler.pct_depth", "%d — want 0 … %d", sc.PCTDepth, MaxPCTDepth)
	}
	if sc.DFSBound < 0 || sc.DFSBound > MaxDFSBound {
		v.add("$.scheduler.dfs_bound", "%d — want 0 … %d", sc.DFSBound, MaxDFSBound)
	}
	switch {
	case len(sc.Choices) > MaxChoicesLen:
		v.add("$.scheduler.choices", "%d characters, limit %d", len(sc.Choices), MaxChoicesLen)
	case !isChoiceText(sc.Choices):
		i := strings.IndexFunc(sc.Choices, func(r rune) bool { return !strings.ContainsRune(b64chars, r) })
		v.add("$.scheduler.choices", "character %q at %d is not base64url (A–Z a–z 0–9 - _)", sc.Choices[i:i+1], i)
	case len(sc.Choices)%4 == 1:
		v.add("$.scheduler.choices", "length %d is not a valid unpadded base64url length", len(sc.Choices))
	case sc.Strategy == StrategyReplay && sc.Choices == "":
		v.add("$.scheduler.choices", "empty — strategy replay needs the recorded choices")
	case sc.Strategy != StrategyReplay && sc.Choices != "":
		v.add("$.scheduler.choices", "only used by strategy replay (strategy is %q)", sc.Strategy)
	}
}

const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func slicesContains[T comparable](s []T, x T) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func join[T ~string](s []T) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}

// Name checks by hand rather than with regexp: regexp and its unicode
// tables cost the page ~70 KB of brotli'd wasm and start-up time.

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlpha(c byte) bool      { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// isSampleName: ^[a-z0-9][a-z0-9._-]*$
func isSampleName(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// isChoiceText: ^[A-Za-z0-9_-]*$ (the replay choice list's alphabet)
func isChoiceText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// isVarName: ^[A-Za-z_][A-Za-z0-9_]*$
func isVarName(s string) bool {
	if s == "" || !isAlpha(s[0]) && s[0] != '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}
