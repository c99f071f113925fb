#!/usr/bin/env bash
# soak-writer.sh: the long run of the ext4 write side. The random-operation
# property test with many more seeds and operations (EXT4PLAY_SOAK=1:
# 60 seeds x 4 filesystem kinds x 600 operations, each image checked by
# e2fsck -fn and compared with debugfs), then a fuzzing pass over Stress.
# Usage: scripts/soak-writer.sh [fuzz-seconds]   (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz=${1:-120}
EXT4PLAY_SOAK=1 go test ./core/ext4 -run '^TestStressAgainstE2fsprogs$' -count=1 -timeout 60m
go test ./core/ext4 -run '^$' -fuzz '^FuzzStress$' -fuzztime "${fuzz}s"
