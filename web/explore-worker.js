// The explore Web Worker: runs its own instance of the page's wasm
// program, which sees no document and serves exploration requests
// (wasm/app/explore_js.go). The build rewrites the two asset names below
// to the content-hashed files.
'use strict';
importScripts('assets/wasm_exec.js');

let ready = false;
const pending = [];
self.ext4playWorkerReady = function () {
	ready = true;
	for (const m of pending) self.ext4playWorkerMessage(m);
	pending.length = 0;
};
self.onmessage = function (e) {
	if (ready) self.ext4playWorkerMessage(e.data);
	else pending.push(e.data);
};

const go = new Go();
function fail(err) {
	self.postMessage(JSON.stringify({ kind: 'error', msg: 'the explore worker could not start: ' + err }));
}
WebAssembly.instantiateStreaming(fetch('app.wasm'), go.importObject)
	.catch(function () {
		return fetch('app.wasm')
			.then(function (r) {
				if (!r.ok) throw new Error('HTTP ' + r.status);
				return r.arrayBuffer();
			})
			.then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
	})
	.then(function (r) { return go.run(r.instance); })
	.catch(fail);
