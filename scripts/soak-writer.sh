#!/usr/bin/env bash
# soak-writer.sh: the long run of the ext4 write side (./build.sh soak runs
# it; the fuzz targets, FuzzStress among them, run after it from build.sh).
# EXT4PLAY_SOAK=1 widens the oracle tests: the random-operation property
# test runs 60 seeds x 5 filesystem kinds x 600 operations, each image
# checked by e2fsck -fn and compared with debugfs and the reader, and the
# mkfs comparison with mke2fs adds 300 GiB, 1 TiB and 5 TiB images.
set -euo pipefail
cd "$(dirname "$0")/.."
EXT4PLAY_SOAK=1 go test ./core/ext4 -run '^(TestStressAgainstE2fsprogs|TestMkfsIdenticalToMke2fs|TestLayoutMatchesMke2fs)$' -count=1 -timeout 90m
go test ./core/ext4 -run '^$' -fuzz '^FuzzStress$' -fuzztime "${SOAK_FUZZTIME:-60s}"
