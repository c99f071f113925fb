#!/usr/bin/env bash
# The one entry point: ./build.sh build | serve | test | bench | soak | fuzz
# (and worker | worker-dev for the share-link Cloudflare Worker)
# Each subcommand installs what it needs (apt, npm from the lock file, Go
# modules) and is quiet when it is already there.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export GOFLAGS=${GOFLAGS:--buildvcs=false}
GOROOT_DIR=$(go env GOROOT)
WASM_EXEC_JS="$GOROOT_DIR/lib/wasm/wasm_exec.js"
WASM_EXEC_NODE="$GOROOT_DIR/lib/wasm/go_js_wasm_exec"
BIN="$ROOT/.cache/bin"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# need_apt PKG CMD...: install Debian package PKG unless every CMD exists.
need_apt() {
	local pkg=$1; shift
	local c missing=
	for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing=1; done
	[ -z "$missing" ] && return 0
	say "installing $pkg (apt)"
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null
}

deps_go() { go mod download; }

deps_tools() {
	need_apt e2fsprogs mke2fs debugfs dumpe2fs e2fsck
	need_apt zstd zstd
	need_apt xz-utils xz
}

deps_browser() {
	need_apt chromium chromium
	# npm packages come from the committed lock file only.
	if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		say "installing npm packages (npm ci)"
		npm ci --no-audit --no-fund --loglevel=error >/dev/null
	fi
}

deps_worker() {
	# wrangler (and its local workerd) for the share worker, from its own
	# lock file so the page's npm install stays small.
	if [ ! -d wasm/worker/node_modules/wrangler ] || [ wasm/worker/package-lock.json -nt wasm/worker/node_modules/.package-lock.json ]; then
		say "installing the share worker's npm packages (npm ci in wasm/worker)"
		(cd wasm/worker && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi
}

# hashed SRC DESTDIR: copy SRC into DESTDIR as name.<hash>.ext; print the new base name.
hashed() {
	local src=$1 dir=$2 base ext h
	base=$(basename "$src")
	ext=${base##*.}
	h=$(sha256sum "$src" | cut -c1-12)
	cp "$src" "$dir/${base%.*}.$h.$ext"
	echo "${base%.*}.$h.$ext"
}

cmd_generate() {
	# Vugu components → Go. The generated files are committed, so the host
	# build works without this step; regenerating keeps them in sync.
	if compgen -G "wasm/app/*.vugu" >/dev/null; then
		go tool vugugen -skip-go-mod -skip-main wasm/app
		gofmt -w wasm/app/*_gen.go
	fi
}

cmd_build() {
	deps_go
	cmd_generate
	say "building wasm and site into dist/"
	rm -rf dist .cache/site
	mkdir -p dist/assets dist/images .cache/site "$BIN"
	# No inlining outside the standard library and core/: the vugu code,
	# the compressors and the page's own package are not on the model's hot
	# path, and without inlined copies the wasm compresses ~50 KB (brotli)
	# smaller, which keeps the first load under its 2 MB budget. The model
	# (core/) and the standard library keep their inlining: explore speed
	# is unchanged.
	# -tags extcodec: the page links no xz or zstd codec; core/image hands
	# those to the codec Web Worker (web/codec-worker.js running
	# wasm/codec), fetched only when a compressed image is opened or saved.
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -tags extcodec \
		-gcflags=all=-l -gcflags=std= -gcflags=ext4play/core/...= \
		-o .cache/site/app.wasm ./wasm/app
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o .cache/site/codec.wasm ./wasm/codec
	local wasm codec js boot css
	wasm=$(hashed .cache/site/app.wasm dist/assets)
	codec=$(hashed .cache/site/codec.wasm dist/assets)
	js=$(hashed "$WASM_EXEC_JS" dist/assets)
	sed "s#app\.wasm#assets/$wasm#g" web/boot.js >.cache/site/boot.js
	boot=$(hashed .cache/site/boot.js dist/assets)
	css=$(hashed web/style.css dist/assets)
	sed -e "s#assets/wasm_exec\.js#assets/$js#g" -e "s#assets/boot\.js#assets/$boot#g" \
		-e "s#assets/style\.css#assets/$css#g" -e "s#assets/app\.wasm#assets/$wasm#g" web/index.html >dist/index.html
	# Other top-level files keep stable names (e.g. a Web Worker script the
	# page starts by name); references to the wasm and wasm_exec.js inside
	# them point at the hashed copies.
	for f in web/*; do
		[ -f "$f" ] || continue
		case $(basename "$f") in index.html | boot.js | style.css) continue ;; esac
		case $f in
		*.js) sed -e "s#assets/wasm_exec\.js#assets/$js#g" -e "s#app\.wasm#assets/$wasm#g" \
			-e "s#codec\.wasm#assets/$codec#g" "$f" >"dist/$(basename "$f")" ;;
		*) cp "$f" dist/ ;;
		esac
	done
	# Sample images and their catalogue for the page's image menu.
	local first=1 f
	{
		printf '['
		for f in examples/images/*.img.*; do
			[ -e "$f" ] || continue
			cp "$f" dist/images/
			[ $first = 1 ] || printf ','
			first=0
			printf '{"name":"%s","bytes":%d}' "$(basename "$f")" "$(stat -c %s "$f")"
		done
		printf ']\n'
	} >dist/images/index.json
	go build -o "$BIN/ext4play" ./cmd/ext4play
	say "dist/: $(du -sh dist | cut -f1); wasm $(stat -c %s .cache/site/app.wasm) bytes raw, codec wasm $(stat -c %s .cache/site/codec.wasm)"
}

cmd_worker() {
	# The share worker (syumai/workers, Go mode): glue JS + wasm in wasm/worker/build.
	deps_go
	say "building the share worker into wasm/worker/build/"
	(cd wasm/worker && go tool workers-assets-gen -mode=go >/dev/null &&
		GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o build/app.wasm .)
}

# start_worker PORT: run the worker under `wrangler dev --local` with a fresh
# KV store; sets WORKER_URL and WORKER_PID.
start_worker() {
	local port=$1 log=$ROOT/.cache/wrangler.log state
	state=$(mktemp -d)
	# Own session (setsid keeps the PID), so stop_worker can signal npx,
	# wrangler and workerd together.
	(cd wasm/worker && WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
		exec setsid npx --no-install wrangler dev --local --ip 127.0.0.1 --port "$port" \
		--inspector-port $((port + 1)) --persist-to "$state" --show-interactive-dev-session=false) >"$log" 2>&1 &
	WORKER_PID=$!
	WORKER_URL=http://127.0.0.1:$port
	local i
	for i in $(seq 1 300); do
		grep -q 'Ready on' "$log" && return 0
		kill -0 $WORKER_PID 2>/dev/null || break
		sleep 0.1
	done
	echo "wrangler dev did not start:" >&2
	cat "$log" >&2
	return 1
}

stop_worker() {
	[ -n "${WORKER_PID:-}" ] || return 0
	kill -INT -- "-$WORKER_PID" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		kill -0 -- "-$WORKER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$WORKER_PID" 2>/dev/null || true
	WORKER_PID=
}

cmd_worker_dev() {
	cmd_worker
	deps_worker
	cd wasm/worker
	WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
		exec npx --no-install wrangler dev --local --ip 127.0.0.1 --port "${WORKER_PORT:-8787}" --show-interactive-dev-session=false
}

cmd_serve() {
	cmd_build
	exec "$BIN/ext4play" serve --dir dist --addr "${ADDR:-127.0.0.1:8080}"
}

# start_server: serve dist/ on a free port for the browser tests; sets URL and SERVER_PID.
start_server() {
	local log=.cache/serve.log
	rm -f "$log" # a stale log would name an old server's port
	"$BIN/ext4play" serve --dir dist --addr 127.0.0.1:0 >"$log" 2>&1 &
	SERVER_PID=$!
	local i
	for i in $(seq 1 100); do
		URL=$(sed -n 's#.* on \(http://[^ ]*\)$#\1#p' "$log")
		[ -n "$URL" ] && return 0
		sleep 0.1
	done
	echo "server did not start:" >&2
	cat "$log" >&2
	return 1
}

cmd_test() {
	deps_go
	deps_tools
	deps_browser
	cmd_build
	say "gofmt"
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '_gen\.go$') 2>/dev/null || true)
	if [ -n "$unformatted" ]; then echo "not gofmt-clean:"; echo "$unformatted"; exit 1; fi
	say "go vet (host and js/wasm)"
	go vet ./...
	GOOS=js GOARCH=wasm go vet ./core/... ./wasm/...
	GOOS=js GOARCH=wasm go vet -tags extcodec ./core/image ./wasm/app
	# The page's xz and zstd belong to the codec worker (-tags extcodec).
	if GOOS=js GOARCH=wasm go list -deps -tags extcodec ./wasm/app | grep -E '^github\.com/(klauspost/compress|ulikunitz/xz)'; then
		echo "the page's wasm links the codecs above; they belong in wasm/codec"
		exit 1
	fi
	say "go test (host)"
	go test -count=1 ./...
	go test -count=1 -tags extcodec ./core/image
	say "go test (js/wasm under Node)"
	GOOS=js GOARCH=wasm go test -count=1 -short -exec="$WASM_EXEC_NODE" ./core/... ./wasm/app
	say "browser tests (playwright-core + Debian chromium)"
	start_server
	trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
	mkdir -p test-output/screenshots
	EXT4PLAY_URL=$URL node --test --test-concurrency=1 tests/browser/
	say "share worker under wrangler dev (workerd, local KV)"
	cmd_worker
	deps_worker
	start_worker 8797
	trap 'kill $SERVER_PID 2>/dev/null || true; stop_worker' EXIT
	WORKER_URL=$WORKER_URL EXT4PLAY_BIN=$BIN/ext4play node --test tests/worker/
	stop_worker
}

cmd_bench() {
	deps_go
	deps_tools
	local wasm=(-exec="$WASM_EXEC_NODE")
	say "core/sim: scheduling points and short runs (native, then js/wasm in Node)"
	go test -run '^$' -bench 'SchedulingPoints$|ShortRuns' -benchmem ./core/sim
	GOOS=js GOARCH=wasm go test "${wasm[@]}" -run '^$' -bench 'SchedulingPoints$|ShortRuns' -benchmem ./core/sim
	say "core/trace: reducer seek"
	go test -run '^$' -bench 'Reducer' -benchmem ./core/trace
	say "core/dio + core/explore: runs per second and runs to the first verdict (native, then js/wasm)"
	go test -run '^$' -bench . -benchmem ./core/dio ./core/explore
	GOOS=js GOARCH=wasm go test "${wasm[@]}" -run '^$' -bench 'Explore' -benchtime 3x ./core/explore
	# Each script runs our tool and the reference (e2fsprogs) in the same
	# command and prints the ratio.
	for s in scripts/bench-*.sh; do
		[ -e "$s" ] || continue
		say "$s"
		bash "$s"
	done
}

cmd_soak() {
	deps_go
	deps_tools
	for s in scripts/soak-*.sh; do
		[ -e "$s" ] || continue
		say "$s"
		bash "$s"
	done
}

cmd_fuzz() {
	# Each fuzz target for FUZZTIME (default 1m).
	deps_go
	local t=${FUZZTIME:-1m} pkg f
	for pkg in $(go list ./core/...); do
		for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			say "fuzz $pkg $f ($t)"
			go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
		done
	done
}

case "${1:-}" in
build) cmd_build ;;
serve) cmd_serve ;;
test) cmd_test ;;
bench) cmd_bench ;;
soak) cmd_soak ;;
worker) cmd_worker ;;
worker-dev) cmd_worker_dev ;;
fuzz) cmd_fuzz ;;
*)
	echo "usage: ./build.sh build|serve|test|bench|soak|fuzz|worker|worker-dev" >&2
	exit 2
	;;
esac
