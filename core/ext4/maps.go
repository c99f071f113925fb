package ext4

import (
	"errors"
	"fmt"
	"strings"
)

// GetBlocksFlags are the EXT4_GET_BLOCKS_* intent flags of
// ext4_map_blocks (fs/ext4/ext4.h). The values here are the ones every
// modelled kernel (4.4 – 4.6) shares; the variant-dependent ones
// (NO_LOCK, CONVERT_UNWRITTEN, ZERO) are given to MapBlocksExtra as
// booleans so that core/dio decides their numeric value per variant.
type GetBlocksFlags uint32

// The shared EXT4_GET_BLOCKS_* values.
const (
	EXT4_GET_BLOCKS_CREATE            GetBlocksFlags = 0x0001
	EXT4_GET_BLOCKS_UNWRIT_EXT        GetBlocksFlags = 0x0002
	EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT GetBlocksFlags = EXT4_GET_BLOCKS_UNWRIT_EXT | EXT4_GET_BLOCKS_CREATE
	EXT4_GET_BLOCKS_DELALLOC_RESERVE  GetBlocksFlags = 0x0004
	EXT4_GET_BLOCKS_PRE_IO            GetBlocksFlags = 0x0008
	EXT4_GET_BLOCKS_CONVERT           GetBlocksFlags = 0x0010
	EXT4_GET_BLOCKS_IO_CREATE_EXT     GetBlocksFlags = EXT4_GET_BLOCKS_PRE_IO | EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT
	EXT4_GET_BLOCKS_IO_CONVERT_EXT    GetBlocksFlags = EXT4_GET_BLOCKS_CONVERT | EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT
	EXT4_GET_BLOCKS_METADATA_NOFAIL   GetBlocksFlags = 0x0020
	EXT4_GET_BLOCKS_NO_NORMALIZE      GetBlocksFlags = 0x0040
	EXT4_GET_BLOCKS_KEEP_SIZE         GetBlocksFlags = 0x0080
)

var getBlocksNames = []struct {
	f    GetBlocksFlags
	name string
}{
	{EXT4_GET_BLOCKS_CREATE, "CREATE"}, {EXT4_GET_BLOCKS_UNWRIT_EXT, "UNWRIT_EXT"},
	{EXT4_GET_BLOCKS_DELALLOC_RESERVE, "DELALLOC_RESERVE"}, {EXT4_GET_BLOCKS_PRE_IO, "PRE_IO"},
	{EXT4_GET_BLOCKS_CONVERT, "CONVERT"}, {EXT4_GET_BLOCKS_METADATA_NOFAIL, "METADATA_NOFAIL"},
	{EXT4_GET_BLOCKS_NO_NORMALIZE, "NO_NORMALIZE"}, {EXT4_GET_BLOCKS_KEEP_SIZE, "KEEP_SIZE"},
}

func (f GetBlocksFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for _, n := range getBlocksNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, "|")
}

// MapFlags are the EXT4_MAP_* result flags (buffer-head state bits:
// BH_Mapped 5, BH_New 6, BH_Boundary 10, BH_Unwritten 12).
type MapFlags uint32

// EXT4_MAP_* values.
const (
	EXT4_MAP_MAPPED    MapFlags = 1 << 5
	EXT4_MAP_NEW       MapFlags = 1 << 6
	EXT4_MAP_BOUNDARY  MapFlags = 1 << 10
	EXT4_MAP_UNWRITTEN MapFlags = 1 << 12
)

func (f MapFlags) String() string {
	var parts []string
	for _, n := range []struct {
		f    MapFlags
		name string
	}{{EXT4_MAP_NEW, "NEW"}, {EXT4_MAP_MAPPED, "MAPPED"}, {EXT4_MAP_UNWRITTEN, "UNWRITTEN"}, {EXT4_MAP_BOUNDARY, "BOUNDARY"}} {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// BlockMap is struct ext4_map_blocks after the call: the mapping of
// [LBlk, LBlk+Len) found or made.
type BlockMap struct {
	LBlk  uint32
	PBlk  uint64 // 0 for a hole
	Len   uint32
	Flags MapFlags
	// SetIOUnwritten says the kernel would now flag the current io_end
	// UNWRITTEN (or, with no io_end, set EXT4_STATE_DIO_UNWRITTEN on the
	// inode): a PRE_IO request left an unwritten extent for completion to
	// convert. core/dio applies the io-or-state rule.
	SetIOUnwritten bool
}

// MapExtra carries the variant-dependent flags of ext4_map_blocks.
type MapExtra struct {
	// ConvertUnwritten is EXT4_GET_BLOCKS_CONVERT_UNWRITTEN: turn a
	// written range into an unwritten one (used by zero range).
	ConvertUnwritten bool
	// Zero is EXT4_GET_BLOCKS_ZERO: zero newly allocated blocks.
	Zero bool
}

// MapBlocks is ext4_ext_map_blocks (fs/ext4/extents.c) for inode ino:
// map up to length blocks from lblk, creating (written, or unwritten with
// UNWRIT_EXT) when CREATE is set, splitting an unwritten extent for a
// PRE_IO request, and converting it on CONVERT.
func (v *Volume) MapBlocks(ino uint32, lblk, length uint32, flags GetBlocksFlags) (BlockMap, error) {
	return v.MapBlocksExtra(ino, lblk, length, flags, MapExtra{})
}

// maxLogicalBlock bounds logical block numbers (EXT_MAX_BLOCKS).
const maxLogicalBlock = 0xFFFFFFFF

// MapBlocksExtra is MapBlocks with the variant-dependent flags.
func (v *Volume) MapBlocksExtra(ino uint32, lblk, length uint32, flags GetBlocksFlags, extra MapExtra) (BlockMap, error) {
	m, err := v.mapBlocks(ino, lblk, length, flags, extra)
	if err != nil {
		v.dropTrees(err)
	}
	if ferr := v.Flush(); err == nil {
		err = ferr
	}
	return m, err
}

func (v *Volume) mapBlocks(ino uint32, lblk, length uint32, flags GetBlocksFlags, extra MapExtra) (BlockMap, error) {
	m := BlockMap{LBlk: lblk}
	if length == 0 {
		return m, fmt.Errorf("ext4: map of 0 blocks at %d: %w", lblk, EINVAL)
	}
	if uint64(lblk)+uint64(length) > maxLogicalBlock {
		return m, fmt.Errorf("ext4: map of blocks %d+%d past the largest logical block: %w", lblk, length, EFBIG)
	}
	in, err := v.readInode(ino)
	if err != nil {
		return m, err
	}
	if !in.Mode.IsRegular() {
		return m, fmt.Errorf("ext4: map blocks of inode %d which is not a regular file: %w", ino, EINVAL)
	}
	t, err := v.loadExtents(ino, in)
	if err != nil {
		return m, err
	}
	create := flags&EXT4_GET_BLOCKS_CREATE != 0
	i, next := t.lookup(lblk)
	if i >= 0 {
		e := t.exts[i]
		off := lblk - e.lblk
		m.PBlk = e.pblk + uint64(off)
		m.Len = min(length, e.len-off)
		if !e.unwritten {
			if create && extra.ConvertUnwritten {
				if err := v.setKind(ino, in, t, lblk, m.Len, true, flags); err != nil {
					return m, err
				}
				m.Flags = EXT4_MAP_UNWRITTEN | EXT4_MAP_MAPPED
				return m, nil
			}
			m.Flags = EXT4_MAP_MAPPED
			return m, nil
		}
		// ext4_ext_handle_unwritten_extents.
		switch {
		case !create:
			m.Flags = EXT4_MAP_UNWRITTEN
			return m, nil
		case flags&EXT4_GET_BLOCKS_PRE_IO != 0:
			// ext4_split_convert_extents: the request stands alone, still
			// unwritten, and is not merged back (PRE_IO skips merging).
			v.cutBuf = t.cut(uint64(lblk), uint64(lblk)+uint64(m.Len), v.cutBuf[:0])
			t.insert(xent{lblk, m.Len, m.PBlk, true})
			if err := v.storeExtents(ino, in, t); err != nil {
				return m, err
			}
			m.Flags = EXT4_MAP_UNWRITTEN | EXT4_MAP_NEW | EXT4_MAP_MAPPED
			m.SetIOUnwritten = true
			return m, v.writeInode(ino, in)
		case flags&EXT4_GET_BLOCKS_CONVERT != 0:
			// ext4_convert_unwritten_extents_endio.
			if extra.Zero {
				if err := v.zeroBlocks(m.PBlk, uint64(m.Len)); err != nil {
					return m, err
				}
			}
			if err := v.setKind(ino, in, t, lblk, m.Len, false, flags); err != nil {
				return m, err
			}
			m.Flags = EXT4_MAP_MAPPED
			return m, nil
		case flags&EXT4_GET_BLOCKS_UNWRIT_EXT != 0:
			// Already unwritten: fallocate over it changes nothing.
			m.Flags = EXT4_MAP_UNWRITTEN | EXT4_MAP_MAPPED
			return m, nil
		default:
			// ext4_ext_convert_to_initialized: a buffered or plain write.
			if err := v.setKind(ino, in, t, lblk, m.Len, false, flags); err != nil {
				return m, err
			}
			m.Flags = EXT4_MAP_NEW | EXT4_MAP_MAPPED
			return m, nil
		}
	}
	// A hole up to the next extent.
	holeEnd := uint64(maxLogicalBlock)
	if next < len(t.exts) {
		holeEnd = uint64(t.exts[next].lblk)
	}
	m.Len = uint32(min(uint64(length), holeEnd-uint64(lblk)))
	if !create {
		return m, nil
	}
	unwritten := flags&EXT4_GET_BLOCKS_UNWRIT_EXT != 0
	want := m.Len
	maxLen := uint32(EXT_INIT_MAX_LEN)
	if unwritten {
		maxLen = EXT_UNWRITTEN_MAX_LEN
	}
	want = min(want, maxLen)
	if uint64(lblk)+uint64(want) > 1<<32-1 {
		return m, fmt.Errorf("ext4: inode %d block %d: %w", ino, lblk, EFBIG)
	}
	pblk, got, err := v.allocBlocks(v.findGoal(ino, t, lblk), want)
	if err != nil {
		return m, err
	}
	if extra.Zero {
		if err := v.zeroBlocks(pblk, uint64(got)); err != nil {
			return m, err
		}
	}
	t.insert(xent{lblk, got, pblk, unwritten})
	if flags&EXT4_GET_BLOCKS_PRE_IO == 0 {
		t.mergeAround(uint64(lblk), uint64(lblk)+uint64(got))
	}
	if err := v.storeExtents(ino, in, t); err != nil {
		// No room for the tree: the data blocks go back (ext4_ext_map_blocks
		// frees them when ext4_ext_insert_extent fails).
		return m, errors.Join(err, v.freeBlocks(pblk, uint64(got)))
	}
	in.Ctime, in.Mtime = v.Now, v.Now
	if err := v.writeInode(ino, in); err != nil {
		return m, err
	}
	m.PBlk, m.Len = pblk, got
	m.Flags = EXT4_MAP_NEW | EXT4_MAP_MAPPED
	if unwritten {
		m.Flags |= EXT4_MAP_UNWRITTEN
		m.SetIOUnwritten = flags&EXT4_GET_BLOCKS_PRE_IO != 0
	}
	return m, nil
}

// setKind marks the mapped range [lblk, lblk+n) written or unwritten,
// splitting the extents at its edges (up to three pieces) and merging
// with neighbours of the same kind unless PRE_IO.
func (v *Volume) setKind(ino uint32, in *Inode, t *xtree, lblk, n uint32, unwritten bool, flags GetBlocksFlags) error {
	lo, hi := uint64(lblk), uint64(lblk)+uint64(n)
	pieces := t.cut(lo, hi, v.cutBuf[:0])
	v.cutBuf = pieces
	for _, p := range pieces {
		p.unwritten = unwritten
		t.insert(p)
	}
	if flags&EXT4_GET_BLOCKS_PRE_IO == 0 {
		t.mergeAround(lo, hi)
	}
	if err := v.storeExtents(ino, in, t); err != nil {
		return err
	}
	in.Ctime = v.Now
	return v.writeInode(ino, in)
}

// zeroBlocks writes zeros over [start, start+n) (sb_issue_zeroout); on
// the sparse device this frees their memory.
func (v *Volume) zeroBlocks(start, n uint64) error {
	if err := v.dev.Discard(int64(start*v.bs), int64(n*v.bs)); err != nil {
		return fmt.Errorf("ext4: zeroing blocks %d+%d: %w", start, n, err)
	}
	return nil
}
