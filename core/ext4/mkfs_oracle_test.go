package ext4

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// stockMke2fsConf is e2fsprogs 1.47's stock /etc/mke2fs.conf (as Debian
// ships it). Tests point MKE2FS_CONFIG at it so a machine's local changes
// cannot change what "the same as mke2fs" means.
const stockMke2fsConf = `[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384

[fs_types]
	ext3 = {
		features = has_journal
	}
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
	small = {
		blocksize = 1024
		inode_ratio = 4096
	}
	floppy = {
		blocksize = 1024
		inode_ratio = 8192
	}
	big = {
		inode_ratio = 32768
	}
	huge = {
		inode_ratio = 65536
	}
`

// oracleTime is the fixed time given to both mkfs implementations.
const oracleTime = 1700000000

const (
	oracleUUID     = "01234567-89ab-cdef-0123-456789abcdef"
	oracleHashSeed = "11111111-2222-3333-4444-555555555555"
)

// needTool skips the test when an e2fsprogs tool is missing.
func needTool(t testing.TB, name string) string {
	t.Helper()
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skipf("%s: no subprocesses on %s", name, runtime.GOOS)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		for _, d := range []string{"/sbin", "/usr/sbin"} {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				return filepath.Join(d, name)
			}
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func e2fsEnv(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "mke2fs.conf")
	if err := os.WriteFile(conf, []byte(stockMke2fsConf), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "MKE2FS_CONFIG="+conf, "E2FSPROGS_FAKE_TIME="+strconv.Itoa(oracleTime), "LC_ALL=C", "TZ=UTC")
}

// runMke2fs makes a reference image of sizeBytes with extra mke2fs args
// and returns its path.
func runMke2fs(t testing.TB, sizeBytes int64, args ...string) string {
	t.Helper()
	mke2fs := needTool(t, "mke2fs")
	path := filepath.Join(t.TempDir(), "ref.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(sizeBytes); err != nil {
		t.Fatal(err)
	}
	f.Close()
	all := append([]string{"-q", "-F", "-t", "ext4", "-U", oracleUUID, "-E", "hash_seed=" + oracleHashSeed}, args...)
	all = append(all, path)
	cmd := exec.Command(mke2fs, all...)
	cmd.Env = e2fsEnv(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mke2fs %v: %v\n%s", all, err, out)
	}
	return path
}

// dumpGroup is one group as dumpe2fs prints it.
type dumpGroup struct {
	flags                                string
	blockBitmap, inodeBitmap, inodeTable uint64
	freeBlocks, freeInodes, dirs, unused uint64
}

var (
	mkReGroup  = regexp.MustCompile(`^Group (\d+): \(Blocks .*?\)(?: csum 0x[0-9a-f]+)?(?: \[(.*)\])?`)
	mkReBB     = regexp.MustCompile(`Block bitmap at (\d+)`)
	mkReIB     = regexp.MustCompile(`Inode bitmap at (\d+)`)
	mkReIT     = regexp.MustCompile(`Inode table at (\d+)-`)
	mkReCounts = regexp.MustCompile(`^\s+(\d+) free (?:blocks|clusters), (\d+) free inodes, (\d+) directories(?:, (\d+) unused inodes)?`)
)

// runDumpe2fs returns the header fields and the group table of an image.
func runDumpe2fs(t testing.TB, path string) (map[string]string, []dumpGroup) {
	t.Helper()
	tool := needTool(t, "dumpe2fs")
	cmd := exec.Command(tool, path)
	cmd.Env = e2fsEnv(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dumpe2fs %s: %v", path, err)
	}
	hdr := map[string]string{}
	var groups []dumpGroup
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	inGroups := false
	for sc.Scan() {
		line := sc.Text()
		if m := mkReGroup.FindStringSubmatch(line); m != nil {
			inGroups = true
			groups = append(groups, dumpGroup{flags: m[2]})
			continue
		}
		if !inGroups {
			if k, v, ok := strings.Cut(line, ":"); ok {
				hdr[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			continue
		}
		g := &groups[len(groups)-1]
		atoi := func(s string) uint64 { n, _ := strconv.ParseUint(s, 10, 64); return n }
		if m := mkReBB.FindStringSubmatch(line); m != nil {
			g.blockBitmap = atoi(m[1])
		}
		if m := mkReIB.FindStringSubmatch(line); m != nil {
			g.inodeBitmap = atoi(m[1])
		}
		if m := mkReIT.FindStringSubmatch(line); m != nil {
			g.inodeTable = atoi(m[1])
		}
		if m := mkReCounts.FindStringSubmatch(line); m != nil {
			g.freeBlocks, g.freeInodes, g.dirs, g.unused = atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4])
		}
	}
	return hdr, groups
}

// runDebugfs runs one debugfs request on an image and returns its output.
func runDebugfs(t testing.TB, path, req string) string {
	t.Helper()
	tool := needTool(t, "debugfs")
	cmd := exec.Command(tool, "-R", req, path)
	cmd.Env = e2fsEnv(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("debugfs -R %q %s: %v", req, path, err)
	}
	return string(out)
}

// e2fsckClean runs e2fsck -fn on an image and fails the test unless it
// reports no problem (exit status 0).
func e2fsckClean(t testing.TB, path string) {
	t.Helper()
	tool := needTool(t, "e2fsck")
	cmd := exec.Command(tool, "-fn", path)
	cmd.Env = e2fsEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("e2fsck -fn %s: %v\n%s", path, err, out)
	}
}

// runDebugfsFile runs a debugfs command file (-f) on an image.
func runDebugfsFile(t testing.TB, path, cmdFile string) string {
	t.Helper()
	tool := needTool(t, "debugfs")
	cmd := exec.Command(tool, "-f", cmdFile, path)
	cmd.Env = e2fsEnv(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("debugfs -f %s %s: %v", cmdFile, path, err)
	}
	return string(out)
}

// lookTool finds an e2fsprogs tool without skipping.
func lookTool(name string) (string, error) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		return "", exec.ErrNotFound
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/sbin", "/usr/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}
