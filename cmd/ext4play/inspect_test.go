package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"ext4play/core/ext4"
)

const samples = "../../examples/images/"

func TestInspectJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := inspectMain([]string{samples + "sample-ext4.img.zst", "--json"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	// The keys must all be present.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"superblock", "groups", "inodes", "paths", "problems"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	var sb map[string]any
	json.Unmarshal(raw["superblock"], &sb)
	for _, k := range strings.Fields("block_size blocks_count free_blocks_count reserved_blocks_count inodes_count free_inodes_count first_data_block blocks_per_group inodes_per_group inode_size desc_size first_ino uuid volume_name features state rev_level mtime wtime") {
		if _, ok := sb[k]; !ok {
			t.Errorf("superblock: missing key %q", k)
		}
	}
	var rep ext4.Report
	json.Unmarshal(out.Bytes(), &rep)
	if rep.Superblock.UUID != "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d" || rep.Paths["/README"] == 0 || len(rep.Problems) != 0 {
		t.Errorf("unexpected report: uuid %s, /README %d, problems %v", rep.Superblock.UUID, rep.Paths["/README"], rep.Problems)
	}
	for _, in := range rep.Inodes {
		for _, k := range []string{in.Type, in.Mapping} {
			if k == "" {
				t.Errorf("inode %d: empty type or mapping", in.Ino)
			}
		}
	}
}

func TestInspectExitCodes(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := inspectMain([]string{samples + "corrupt-csum.img.zst"}, &out, &errb); rc != 0 {
		t.Fatalf("corrupt-csum: exit %d (a readable image with problems exits 0)", rc)
	}
	if !strings.Contains(out.String(), "1 problem(s)") || !strings.Contains(out.String(), "inode checksum") {
		t.Errorf("plain output does not list the problem:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Filesystem features:") || !strings.Contains(out.String(), "Group 0:") {
		t.Error("plain output lacks the dumpe2fs-like header")
	}
	out.Reset()
	errb.Reset()
	if rc := inspectMain([]string{samples + "bad-magic.img.zst"}, &out, &errb); rc != 2 {
		t.Fatalf("bad-magic: exit %d, want 2", rc)
	}
	if msg := errb.String(); strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "magic") || !strings.Contains(msg, "byte 1024") {
		t.Errorf("bad-magic: stderr %q, want one line naming the magic and where", msg)
	}
	errb.Reset()
	if rc := inspectMain([]string{"/nonexistent/image"}, &out, &errb); rc != 2 || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("missing file: exit %d, stderr %q", rc, errb.String())
	}
}
