#!/usr/bin/env bash
# Makes the small sample images under examples/images/ that the browser
# inspector and the tests use. Re-running gives byte-identical images:
# fixed UUID, hash seed, timestamps (E2FSPROGS_FAKE_TIME) and file times.
#
#   sample-ext4.img.zst   16 MiB ext4 (metadata_csum, 64bit, flex_bg, journal):
#                         nested dirs, symlinks, a hard link, an xattr, a sparse
#                         file, a file with an unwritten (fallocated) range, a
#                         fragmented file with a depth-1 extent tree, an htree dir
#   sample-ext2.img.zst   8 MiB ext2, 1 KiB blocks: indirect maps up to double
#                         indirect, a sparse file
#   corrupt-csum.img.zst  sample-ext4 with one inode's bytes changed after the
#                         checksum was computed (inode checksum mismatch)
#   bad-magic.img.zst     sample-ext4 with the superblock magic zeroed
set -euo pipefail
cd "$(dirname "$0")/.."
out=examples/images
mkdir -p "$out"
for t in mke2fs debugfs e2fsck zstd; do
	command -v "$t" >/dev/null || { echo "make-sample-images: $t is required" >&2; exit 1; }
done
export E2FSPROGS_FAKE_TIME=1700000000 E2FSCK_TIME=1700000000 TZ=UTC LC_ALL=C
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

uuid=6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d
seed=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9

# fix_ctimes sets i_ctime of every in-use inode to the fake time: mke2fs -d
# copies the source files' ctime, which no tool can set.
fix_ctimes() {
	local img=$1 n
	n=$(debugfs -R "stats" "$img" 2>/dev/null | awk -F: '/^Inode count/ { print $2 + 0 }')
	seq 12 "$n" | sed 's/.*/testi <&>/' > "$work/testi"
	debugfs -f "$work/testi" "$img" 2>/dev/null | awk '/is marked in use/ { print "sif <" $2 "> ctime 20231114221320" }' > "$work/sif"
	debugfs -w -f "$work/sif" "$img" >/dev/null 2>&1
}

# text makes compressible but distinct content: n numbered lines.
text() { awk -v n="$1" -v tag="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "%s line %06d: the quick brown fox jumps over the lazy dog\n", tag, i }'; }

src=$work/src
mkdir -p "$src/home/user/projects/ext4play" "$src/etc" "$src/var/log" "$src/many"
echo "Welcome to the ext4 playground." > "$src/README"
text 40 motd > "$src/etc/motd"
text 3000 syslog > "$src/var/log/syslog"
text 200 notes > "$src/home/user/notes.txt"
printf 'package main\n\nfunc main() { println("hi") }\n' > "$src/home/user/projects/ext4play/main.go"
: > "$src/empty"
: > "$src/prealloc"
text 2600 frag > "$src/fragmented"
# sparse: 8 KiB of data, a 1 MiB hole, 4 KiB of data, then a hole to 4 MiB
{ text 120 sparse-head; } > "$src/sparse"
truncate -s 1M "$src/sparse"
text 60 sparse-mid >> "$src/sparse"
truncate -s 4M "$src/sparse"
for i in $(seq -w 1 120); do echo "entry $i" > "$src/many/file-with-a-rather-long-name-$i"; done
ln "$src/home/user/notes.txt" "$src/home/user/notes-hardlink.txt"
ln -s ../../README "$src/home/user/readme-link"
ln -s "$(printf 'deep/%.0s' $(seq 1 20))target" "$src/home/user/slow-symlink"
find "$src" -exec touch -h -d @1700000000 {} +

img=$work/sample-ext4.img
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit,flex_bg -U "$uuid" -E hash_seed="$seed",lazy_itable_init=0 \
	-L sample-ext4 -d "$src" "$img" 16M
{
	# Fragment /fragmented: punch every other block → many extents, depth 1.
	for b in $(seq 0 2 30); do echo "punch /fragmented $b $b"; done
	echo "fallocate /prealloc 0 15"
	echo "ea_set /home/user/notes.txt user.comment written-by-make-sample-images"
	# Too big for the inode: goes to an xattr block.
	echo "ea_set /etc/motd user.banner $(printf 'ext4play-%.0s' $(seq 1 40))"
} > "$work/cmds"
fix_ctimes "$img"
debugfs -w -f "$work/cmds" "$img" >/dev/null 2>&1
e2fsck -fyD "$img" >/dev/null 2>&1 || [ $? -le 1 ]   # builds the htree for /many
zstd -q -19 -f "$img" -o "$out/sample-ext4.img.zst"

# corrupt-csum: change i_mtime of /home/user/notes.txt behind the checksum.
cp "$img" "$work/corrupt.img"
loc=$(debugfs -R "imap /home/user/notes.txt" "$work/corrupt.img" 2>/dev/null | awk '/located at block/ { gsub(",", "", $4); print $4, $6 }')
set -- $loc
off=$(( $1 * 4096 + $2 + 0x10 ))
printf '\x01\x02\x03\x04' | dd of="$work/corrupt.img" bs=1 seek="$off" conv=notrunc status=none
zstd -q -19 -f "$work/corrupt.img" -o "$out/corrupt-csum.img.zst"

# bad-magic: zero s_magic (byte 1024 + 0x38).
cp "$img" "$work/badmagic.img"
printf '\x00\x00' | dd of="$work/badmagic.img" bs=1 seek=$((1024 + 0x38)) conv=notrunc status=none
zstd -q -19 -f "$work/badmagic.img" -o "$out/bad-magic.img.zst"

# ext2 with 1 KiB blocks: indirect, double indirect, sparse.
src2=$work/src2
mkdir -p "$src2/docs/old"
text 6000 big > "$src2/docs/big.txt"          # ~380 KiB: reaches double indirect at 1 KiB blocks
text 30 small > "$src2/docs/old/small.txt"
truncate -s 300K "$src2/sparse"
echo "end of sparse file" >> "$src2/sparse"
ln -s docs/big.txt "$src2/big-link"
find "$src2" -exec touch -h -d @1700000000 {} +
mke2fs -q -F -t ext2 -b 1024 -U "$uuid" -E hash_seed="$seed" -L sample-ext2 -d "$src2" "$work/ext2.img" 8M
fix_ctimes "$work/ext2.img"
zstd -q -19 -f "$work/ext2.img" -o "$out/sample-ext2.img.zst"

ls -l "$out"/*.img.zst
