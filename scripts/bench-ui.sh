#!/usr/bin/env bash
# The playground's UI budgets (issue 6) in headless Chromium on loopback:
# first-load transfer (brotli), first meaningful render, share URL →
# verdict, playback and scrubbing frame rates, and the longest main-thread
# task while exploring. Run by `./build.sh bench`; alone: scripts/bench-ui.sh
# (RUNS=N cold loads per number, ONLY=load,share,play,explore).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.cache/bin

# Build when dist/ is missing or older than anything it is made from.
if [ ! -f dist/index.html ] || [ ! -x "$BIN/ext4play" ] ||
	[ -n "$(find wasm core web cmd go.mod -newer dist/index.html -type f -print -quit 2>/dev/null)" ]; then
	./build.sh build
fi
if ! command -v chromium >/dev/null 2>&1 || [ ! -d node_modules/playwright-core ]; then
	echo "bench-ui: needs chromium and node_modules/playwright-core (./build.sh test installs both)" >&2
	exit 1
fi

# Serve a copy: a build started meanwhile (rm -rf dist) must not change
# the site under the measurement.
tmp=$(mktemp -d)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# Another build may be rewriting dist/ right now: copy until the copy is
# whole (its index.html names a wasm that is there, and the image list,
# written last, exists).
for try in 1 2 3 4 5 6 7 8 9 10; do
	rm -rf "$tmp/site"
	if cp -r dist "$tmp/site" 2>/dev/null && [ -f "$tmp/site/images/index.json" ] &&
		wasm=$(grep -o 'assets/app\.[0-9a-f]*\.wasm' "$tmp/site/index.html" | head -1) &&
		[ -n "$wasm" ] && [ -f "$tmp/site/$wasm" ]; then
		break
	fi
	[ "$try" = 10 ] && { echo "bench-ui: dist/ kept changing; try again" >&2; exit 1; }
	sleep 3
done
"$BIN/ext4play" serve --dir "$tmp/site" --addr 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
server=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n 's#.* on \(http://[^ ]*\)$#\1#p' "$tmp/serve.log")
	[ -n "$url" ] && break
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "bench-ui: server did not start:" >&2
	cat "$tmp/serve.log" >&2
	exit 1
fi

# The seed race's failing run as a share link (what `ext4play share` prints).
link=$("$BIN/ext4play" share generic-300-dioread-nolock --failing --base "$url" | grep -o 'http[^ ]*#s=[^ ]*' | head -1)
frag=${link#*\#}

EXT4PLAY_URL=$url SHARE_FRAG="#$frag" node tests/bench/ui.mjs
