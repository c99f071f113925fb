// The codec Web Worker: runs wasm/codec, the xz and zstd codecs the
// page's own wasm leaves out (wasm/app/codec_js.go starts this worker on
// the first compressed image and keeps it). The build rewrites the two
// asset names below to the content-hashed files.
'use strict';
importScripts('assets/wasm_exec.js');

// Requests that arrive before the Go program is ready wait here.
let serve = null;
const pending = [];
self.ext4playCodecReady = function (fn) {
	serve = fn;
	for (const m of pending) serve(m);
	pending.length = 0;
};
self.onmessage = function (e) {
	if (serve) serve(e.data);
	else pending.push(e.data);
};

// A start that fails is reported with id 0: the page fails every waiting
// request with this message and starts a new worker next time.
function fail(err) {
	self.postMessage({ id: 0, error: 'the codec worker for xz and zstd images could not start: ' + err });
}
const go = new Go();
WebAssembly.instantiateStreaming(fetch('codec.wasm'), go.importObject)
	.catch(function () {
		return fetch('codec.wasm')
			.then(function (r) {
				if (!r.ok) throw new Error('codec.wasm: HTTP ' + r.status);
				return r.arrayBuffer();
			})
			.then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
	})
	.then(function (r) { return go.run(r.instance); })
	.then(function () { fail('the codec program exited'); })
	.catch(fail);
