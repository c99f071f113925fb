package ext4

import (
	"encoding/binary"
	"testing"
)

// TestChecksumsAgainstMke2fs checks each checksum formula on an image
// mke2fs made: if one formula is wrong, the stored value differs.
func TestChecksumsAgainstMke2fs(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-t", "ext4", "-b", "1024", "-O", "metadata_csum,64bit"},
		{"-t", "ext4", "-b", "4096", "-O", "^64bit,metadata_csum", "-I", "128"},
		{"-t", "ext4", "-O", "^metadata_csum,uninit_bg"},
		{"-t", "ext4", "-O", "^metadata_csum,uninit_bg,64bit"},
	} {
		path := mkfs(t, dir, "c.img", 8192, args...)
		dev := loadDev(t, path)
		raw := make([]byte, SuperblockSize)
		dev.ReadAt(raw, SuperblockOffset)
		sb, err := DecodeSuperblock(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Validate(); err != nil {
			t.Fatal(err)
		}
		c := NewChecksummer(sb)
		if sb.HasMetadataCsum() {
			if got := SuperblockCsum(raw); got != sb.Checksum {
				t.Errorf("%v: superblock csum 0x%x, stored 0x%x", args, got, sb.Checksum)
			}
		}
		bs := int64(sb.BlockSize())
		gdtBlock := int64(sb.FirstDataBlock) + 1
		ds := int(sb.DescSizeBytes())
		for g := uint32(0); g < uint32(sb.GroupCount()); g++ {
			b := make([]byte, ds)
			dev.ReadAt(b, gdtBlock*bs+int64(g)*int64(ds))
			gd, _ := DecodeGroupDesc(b, ds)
			if got := c.GroupDescCsum(g, b); got != gd.Checksum {
				t.Errorf("%v: group %d desc csum 0x%x, stored 0x%x", args, g, got, gd.Checksum)
			}
			if g == 0 && sb.HasMetadataCsum() {
				bm := make([]byte, sb.ClustersPerGroup/8)
				dev.ReadAt(bm, int64(gd.BlockBitmap())*bs)
				if got := c.BitmapCsum(bm); got&0xFFFF != uint32(gd.BlockBitmapCsumLo) || (ds >= 64 && got != gd.BlockBitmapCsum()) {
					t.Errorf("%v: block bitmap csum 0x%x, stored 0x%x", args, got, gd.BlockBitmapCsum())
				}
				im := make([]byte, sb.InodesPerGroup/8)
				dev.ReadAt(im, int64(gd.InodeBitmap())*bs)
				if got := c.BitmapCsum(im); got&0xFFFF != uint32(gd.InodeBitmapCsumLo) {
					t.Errorf("%v: inode bitmap csum 0x%x, stored 0x%x", args, got, gd.InodeBitmapCsum())
				}
				// Root inode.
				is := int(sb.InodeSizeBytes())
				rec := make([]byte, is)
				dev.ReadAt(rec, int64(gd.InodeTable())*bs+int64(is))
				if got, want := c.InodeCsum(2, rec), StoredInodeCsum(rec); got != want {
					t.Errorf("%v: root inode csum 0x%x, stored 0x%x", args, got, want)
				}
				in, err := DecodeInode(rec, is)
				if err != nil {
					t.Fatal(err)
				}
				enc := make([]byte, is)
				copy(enc, rec)
				in.Encode(enc, is)
				if string(enc) != string(rec) {
					t.Errorf("%v: inode encode differs from disk", args)
				}
				_ = binary.LittleEndian
			}
		}
	}
}
