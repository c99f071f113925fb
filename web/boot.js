// Starts the Go WebAssembly page. Loaded with `defer` after wasm_exec.js and
// vugu-render.js; no inline script anywhere, so the site's CSP can forbid
// inline code and eval.
'use strict';
(function () {
	// The build rewrites this name to the content-hashed file.
	const wasmURL = 'app.wasm';

	// bootError shows why the page cannot work: in the boot screen while it
	// is there, else in a bar outside the Go-rendered tree.
	function bootError(msg) {
		let el = document.getElementById('boot-msg');
		if (!el) {
			el = document.getElementById('fatal') || document.createElement('div');
			el.id = 'fatal';
			el.setAttribute('role', 'alert');
			document.body.appendChild(el);
		}
		el.textContent = msg;
		el.className = el.id === 'fatal' ? 'fatal' : 'boot-err';
		console.error(msg);
	}
	// Called from Go when the page cannot start or has stopped.
	window.ext4playBootError = bootError;

	if (typeof Go !== 'function') {
		bootError('ext4play could not start: wasm_exec.js did not load.');
		return;
	}
	if (typeof window.vuguRender !== 'function') {
		bootError('ext4play could not start: vugu-render.js did not load.');
		return;
	}
	// vugu's renderer installs its helper with window.eval, which the CSP
	// forbids. The helper is already loaded from vugu-render.js, and it
	// returns early when present, so that one call can safely do nothing.
	const realEval = window.eval;
	window.eval = function (src) {
		if (typeof src === 'string' && src.indexOf('window.vuguRender') >= 0 && window.vuguRender) {
			return undefined;
		}
		return realEval(src);
	};

	// Drag feedback and drop safety, in plain JS: dragover fires many times
	// a second, and a Go handler would re-render the page each time. The
	// Go page only handles the drop itself (on its root element). A drop
	// anywhere else must not make the browser navigate to the file.
	function hasFiles(e) {
		return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], 'Files') >= 0;
	}
	window.addEventListener('dragover', function (e) {
		if (!hasFiles(e)) return;
		e.preventDefault();
		e.dataTransfer.dropEffect = 'copy';
		document.body.classList.add('dragging');
	});
	window.addEventListener('dragleave', function (e) {
		if (!e.relatedTarget) document.body.classList.remove('dragging');
	});
	window.addEventListener('drop', function (e) {
		e.preventDefault();
		document.body.classList.remove('dragging');
	});

	// Pointing at the Image tab or the playground's image menu starts the
	// codec worker (xz/zstd: the bundled samples are zstd) before the
	// click, in plain JS so hovering costs no Go render.
	document.addEventListener('pointerover', function (e) {
		const t = e.target;
		if (window.ext4playPrewarmCodec && t && t.closest &&
			t.closest('[data-tab="image"], [data-testid="image-select"]')) {
			window.ext4playPrewarmCodec();
		}
	}, { passive: true });

	const go = new Go();
	const started = performance.now();
	function run(result) {
		window.__ext4playWasmReady = performance.now() - started;
		return go.run(result.instance);
	}
	function fallback() {
		// Servers that send a wrong MIME type break instantiateStreaming.
		return fetch(wasmURL)
			.then(function (r) {
				if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + wasmURL);
				return r.arrayBuffer();
			})
			.then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
	}
	const load = WebAssembly.instantiateStreaming
		? WebAssembly.instantiateStreaming(fetch(wasmURL), go.importObject).catch(fallback)
		: fallback();
	load.then(run).catch(function (err) {
		bootError('ext4play could not start its WebAssembly module: ' + err);
	});
})();
