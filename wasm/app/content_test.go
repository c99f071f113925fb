package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"ext4play/core/ext4"
	"ext4play/core/image"
)

// TestContentAfterFirstPaint: the first report has no file hashes; the
// content pass then makes it equal to a full Inspect.
func TestContentAfterFirstPaint(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "images", "sample-ext4.img.zst"))
	if err != nil {
		t.Skip("sample-ext4.img.zst not available")
	}
	img, err := openImage(data, "sample-ext4.img.zst")
	if err != nil {
		t.Fatal(err)
	}
	hashed := 0
	for _, in := range img.Report.Inodes {
		if in.SHA256 != "" {
			hashed++
		}
	}
	if hashed != 0 || img.content == nil {
		t.Fatalf("first report: %d hashes, content pass %v", hashed, img.content != nil)
	}
	mergeContent(img.Report, img.content())

	dev, err := image.Load(bytes.NewReader(data), "sample")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ext4.Inspect(dev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(img.Report, want) {
		t.Error("report after the content pass differs from a full Inspect")
	}
	files := 0
	for _, in := range img.Report.Inodes {
		if in.Type == "file" && in.SHA256 != "" {
			files++
		}
	}
	if files == 0 {
		t.Error("no file hashes after the content pass")
	}
}
