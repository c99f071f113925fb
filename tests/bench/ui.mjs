// UI budgets of the playground (issue 6), measured in headless Chromium on
// loopback against the built site served by `ext4play serve`.
// scripts/bench-ui.sh builds, serves and runs this with:
//   EXT4PLAY_URL  the served site (http://127.0.0.1:PORT/)
//   SHARE_FRAG    the #s=… fragment of the seed race's failing run
//   RUNS          cold loads per measurement (default 5; the median is reported)
//   ONLY          comma list of sections to run: load,share,play,explore
//
// Definitions (times are performance.now(): ms since navigation start):
//   transfer  every response the page received on its first load, up to the
//             first meaningful render and 1 s of quiet after it, each body
//             compressed with brotli -q 11 (what Netlify sends); summed.
//   render    first meaningful render: the first moment the scenario panel,
//             the step counter and the timeline canvas drawn by the page
//             (canvas#tl-canvas shown, with its data-step set by a draw) are
//             all in the document — seen by a MutationObserver — and then
//             painted: we take the time of a setTimeout(0) queued from the
//             next requestAnimationFrame, which runs after that frame's paint.
//   share     the same, for [data-testid=verdict-message] containing
//             "sleeping function called from invalid context" after opening
//             the share URL of the seed race in a fresh browser.
//   play      frames per second (requestAnimationFrame callbacks counted in
//             the page) while playing a run with >= 10,000 trace events
//             (the catalogue's generic-300-dioread-nolock-jan-fix: a clean run).
//   scrub     the same while the mouse drags the scrubber end to end over
//             3 s (a move every 16 ms); "stale" counts frames whose
//             step counter did not yet show the scrubber's value.
//   explore   the longest main-thread task (PerformanceObserver longtask,
//             which reports tasks over 50 ms) while the Web Worker explores
//             200 runs of the landing scenario; also the longest gap
//             between two frames.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { launch } from '../browser/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const baseURL = process.env.EXT4PLAY_URL;
const shareFrag = process.env.SHARE_FRAG || '';
const runs = Math.max(1, Number(process.env.RUNS || 5));
const only = new Set((process.env.ONLY || 'load,share,play,explore').split(','));
const timeout = 60_000;
const viewport = { width: 1600, height: 1000 };
const playExample = 'generic-300-dioread-nolock-jan-fix';

if (!baseURL) {
	console.error('bench ui: EXT4PLAY_URL is not set (run scripts/bench-ui.sh)');
	process.exit(2);
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	const n = s.length;
	return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// probe runs in every page before its own scripts: it watches for the
// first meaningful render and the verdict, counts frames on demand and
// keeps long tasks.
function probe() {
	const B = (window.__bench = { longtasks: [], frames: null });
	try {
		new PerformanceObserver((l) => {
			for (const e of l.getEntries()) B.longtasks.push({ start: e.startTime, dur: e.duration });
		}).observe({ type: 'longtask', buffered: true });
	} catch (e) { /* no longtask API */ }
	const painted = (key) => {
		B[key + 'Dom'] = performance.now();
		requestAnimationFrame(() => setTimeout(() => { B[key] = performance.now(); }, 0));
	};
	const fmrReady = () => {
		if (!document.querySelector('[data-testid="scenario-panel"]')) return false;
		if (!document.querySelector('[data-testid="step-counter"]')) return false;
		const c = document.getElementById('tl-canvas');
		return !!c && c.hasAttribute('data-step') && c.style.display !== 'none' && c.width > 0;
	};
	const verdictReady = () => {
		const v = document.querySelector('[data-testid="verdict-message"]');
		return !!v && v.textContent.includes('sleeping function called from invalid context');
	};
	const check = () => {
		if (B.fmrDom === undefined && fmrReady()) painted('fmr');
		if (B.verdictDom === undefined && verdictReady()) painted('verdict');
		return B.fmrDom !== undefined && B.verdictDom !== undefined;
	};
	const mo = new MutationObserver(() => { if (check()) mo.disconnect(); });
	mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });

	// Frame counter: each frame notes its time, the scrubber's value and
	// the step counter's text.
	B.startFrames = () => {
		const f = (B.frames = { t: [], stale: 0, on: true });
		const tick = (t) => {
			if (!f.on) return;
			f.t.push(t);
			const sc = document.querySelector('[data-testid="scrubber"]');
			const ctr = document.querySelector('[data-testid="step-counter"]');
			if (f.scrubbing && sc && ctr && ctr.textContent.trim().split(' ')[0] !== sc.value) f.stale++;
			requestAnimationFrame(tick);
		};
		requestAnimationFrame(tick);
	};
	B.stopFrames = () => {
		const f = B.frames;
		f.on = false;
		const t = f.t;
		let worst = 0;
		for (let i = 1; i < t.length; i++) worst = Math.max(worst, t[i] - t[i - 1]);
		const span = t.length > 1 ? t[t.length - 1] - t[0] : 0;
		return { fps: span > 0 ? ((t.length - 1) * 1000) / span : 0, worst, frames: t.length, stale: f.stale, t0: t[0], t1: t[t.length - 1] };
	};
}

// coldPage starts a fresh browser profile (empty HTTP and code caches)
// with the cache disabled and the probe installed.
async function coldPage(errors) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-bench-'));
	const { context, page } = await launch(dir, { viewport, errors });
	await context.addInitScript(probe);
	const cdp = await context.newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
	return {
		context, page,
		close: async () => { await context.close(); fs.rmSync(dir, { recursive: true, force: true }); },
	};
}

// brotliBytes compresses at quality 11; results are kept by content hash
// under .cache/bench (quality 11 of the wasm takes tens of seconds).
const brCache = path.join(repo, '.cache', 'bench', 'brotli');
function brotliBytes(buf) {
	const h = crypto.createHash('sha256').update(buf).digest('hex');
	const f = path.join(brCache, h);
	try { return Number(fs.readFileSync(f, 'utf8')); } catch { /* not cached */ }
	const n = zlib.brotliCompressSync(buf, {
		params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
	}).length;
	fs.mkdirSync(brCache, { recursive: true });
	fs.writeFileSync(f, String(n));
	return n;
}

const rows = [];
function row(name, measured, budget, ok, load, note = '') {
	rows.push({ name, measured, budget, ok, load, note });
	console.log(`  ${name}: ${measured} (budget ${budget}) ${ok ? 'ok' : 'OVER'} · load ${load}${note ? ' · ' + note : ''}`);
}

async function phases(page) {
	return page.evaluate(() => {
		const m = {};
		for (const e of performance.getEntriesByType('mark')) if (e.name.startsWith('ext4play:')) m[e.name.slice(9)] = Math.round(e.startTime);
		const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
		if (wasm) m['wasm-fetched'] = Math.round(wasm.responseEnd);
		const rt = window.__ext4playRenderTimes;
		// vugu renders before the first meaningful render: build+dom ms @ start
		if (rt && rt.length) m.renders = rt.filter((r) => r[2] <= (window.__bench.fmr || 1e9)).map((r) => `${r[0].toFixed(0)}+${r[1].toFixed(0)}@${r[2].toFixed(0)}`).join(' ');
		m.longest = Math.round(Math.max(0, ...window.__bench.longtasks.map((l) => l.dur)));
		return m;
	});
}

async function benchLoad() {
	console.log(`first load (${runs} cold loads of ${baseURL}#play)`);
	const times = [], doms = [];
	let transfer = null, files = null;
	const load0 = loadavg();
	for (let i = 0; i < runs; i++) {
		const errors = [];
		const cp = await coldPage(errors);
		const responses = [];
		cp.page.on('response', (r) => responses.push(r));
		await cp.page.goto(new URL('#play', baseURL).href);
		await cp.page.waitForFunction(() => window.__bench.fmr !== undefined, null, { timeout });
		const b = await cp.page.evaluate(() => ({ fmr: window.__bench.fmr, dom: window.__bench.fmrDom }));
		times.push(b.fmr);
		doms.push(b.dom);
		console.log(`  run ${i + 1}: render ${b.fmr.toFixed(0)} ms (in the DOM at ${b.dom.toFixed(0)}) · load ${loadavg()} · ${JSON.stringify(await phases(cp.page))}`);
		if (i === 0) {
			await sleep(1000);
			let raw = 0, br = 0;
			files = [];
			for (const r of responses) {
				let body;
				try { body = await r.body(); } catch { continue; }
				const n = brotliBytes(body);
				raw += body.length;
				br += n;
				files.push(`${new URL(r.url()).pathname} ${body.length}→${n}`);
			}
			transfer = { raw, br };
		}
		if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
		await cp.close();
	}
	console.log(`  fetched: ${files.join(', ')}`);
	const mb = (n) => (n / 1e6).toFixed(2) + ' MB';
	row('transfer, first load (brotli -q 11)', `${mb(transfer.br)} (${mb(transfer.raw)} raw)`, '2.0 MB', transfer.br <= 2.0e6, load0);
	const m = median(times);
	row('first meaningful render', `${m.toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(' ')})`, '800 ms', m <= 800, load0);
}

async function benchShare() {
	if (!shareFrag) {
		console.log('share: SHARE_FRAG not set; skipped');
		return;
	}
	console.log(`share URL of the seed race (${runs} cold loads)`);
	const times = [];
	const load0 = loadavg();
	for (let i = 0; i < runs; i++) {
		const errors = [];
		const cp = await coldPage(errors);
		await cp.page.goto(new URL(shareFrag, baseURL).href);
		await cp.page.waitForFunction(() => window.__bench.verdict !== undefined, null, { timeout });
		const v = await cp.page.evaluate(() => window.__bench.verdict);
		times.push(v);
		console.log(`  run ${i + 1}: verdict ${v.toFixed(0)} ms · load ${loadavg()} · ${JSON.stringify(await phases(cp.page))}`);
		if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
		await cp.close();
	}
	const m = median(times);
	row('share URL → verdict on screen', `${m.toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(' ')})`, '1500 ms', m <= 1500, load0);
}

// frames counts frames in the page while fn runs.
async function frames(page, fn) {
	await page.evaluate(() => window.__bench.startFrames());
	await fn();
	return page.evaluate(() => window.__bench.stopFrames());
}

async function benchPlay() {
	console.log(`playback and scrubbing (${playExample})`);
	const errors = [];
	const cp = await coldPage(errors);
	const page = cp.page;
	await page.goto(new URL('#play', baseURL).href);
	await page.waitForFunction(() => window.__bench.fmr !== undefined, null, { timeout });
	await page.locator('[data-testid="example-select"]').selectOption(playExample);
	await page.waitForFunction(() => {
		const p = document.querySelector('[data-testid="playground"]');
		return p && Number(p.getAttribute('data-max-step')) > 1000;
	}, null, { timeout });
	await sleep(500);
	const info = await page.evaluate(() => {
		const c = document.getElementById('tl-canvas');
		const p = document.querySelector('[data-testid="playground"]');
		return { events: c && c.getAttribute('data-events'), steps: p.getAttribute('data-max-step') };
	});
	console.log(`  run: ${info.steps} steps, ${info.events ?? '?'} trace events`);
	await page.keyboard.press('Home');
	await sleep(300);
	// Idle first: what this machine's headless frame rate is right now.
	const idle = await frames(page, () => sleep(1500));
	console.log(`  idle: ${idle.fps.toFixed(1)} fps, worst frame ${idle.worst.toFixed(0)} ms · load ${loadavg()}`);
	// Default speed, then the fastest.
	for (const [label, plus] of [['default speed', 0], ['fastest speed', 6]]) {
		await page.keyboard.press('Home');
		for (let i = 0; i < plus; i++) await page.keyboard.press('+');
		const load0 = loadavg();
		await page.keyboard.press(' ');
		const f = await frames(page, () => sleep(3000));
		await page.keyboard.press(' ');
		const s = await page.locator('[data-testid="playground"]').getAttribute('data-step');
		const lt = await page.evaluate((t0) => window.__bench.longtasks.filter((l) => l.start >= t0).length, f.t0);
		row(`playback, ${label} (${info.events ?? '?'} events)`, `${f.fps.toFixed(1)} fps, worst frame ${f.worst.toFixed(0)} ms, ${lt} long tasks, reached step ${s}`, '60 fps', f.fps >= 57, load0);
		await sleep(300);
	}
	await page.keyboard.press('Home');
	await sleep(300);
	// Scrub: drag the thumb from one end to the other in 3 s.
	const box = await page.locator('[data-testid="scrubber"]').boundingBox();
	const y = box.y + box.height / 2;
	const x0 = box.x + 4, x1 = box.x + box.width - 4;
	const load0 = loadavg();
	await page.mouse.move(x0, y);
	await page.mouse.down();
	await page.evaluate(() => { window.__bench.startFrames(); window.__bench.frames.scrubbing = true; });
	const n = 180;
	const t0 = Date.now();
	for (let i = 1; i <= n; i++) {
		await page.mouse.move(x0 + ((x1 - x0) * i) / n, y);
		const wait = t0 + i * 16.7 - Date.now();
		if (wait > 0) await sleep(wait);
	}
	await page.mouse.up();
	await sleep(200);
	const f = await page.evaluate(() => window.__bench.stopFrames());
	const s = await page.locator('[data-testid="playground"]').getAttribute('data-step');
	const lt = await page.evaluate((t) => window.__bench.longtasks.filter((l) => l.start >= t).length, f.t0);
	row(`scrubbing (${info.events ?? '?'} events)`, `${f.fps.toFixed(1)} fps, worst frame ${f.worst.toFixed(0)} ms, ${lt} long tasks, ${f.stale}/${f.frames} frames with a stale step counter, ended at step ${s}`, '60 fps', f.fps >= 57, load0);
	if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
	await cp.close();
}

async function benchExplore() {
	console.log('explore 200 runs in the worker (landing scenario)');
	const errors = [];
	const cp = await coldPage(errors);
	const page = cp.page;
	await page.goto(new URL('#play', baseURL).href);
	await page.waitForFunction(() => window.__bench.fmr !== undefined, null, { timeout });
	await sleep(500);
	await page.locator('[data-testid="explore-runs"]').fill('200');
	const load0 = loadavg();
	const t0 = await page.evaluate(() => { window.__bench.startFrames(); return performance.now(); });
	await page.locator('[data-testid="explore"]').click();
	await page.waitForSelector('[data-testid="explore-progress"][data-pct="100"]', { timeout: 300_000 });
	await page.waitForSelector('[data-testid="explore"]', { timeout });
	const f = await page.evaluate(() => window.__bench.stopFrames());
	const r = await page.evaluate((t) => {
		const ls = window.__bench.longtasks.filter((l) => l.start >= t);
		return { n: ls.length, max: Math.max(0, ...ls.map((l) => l.dur)), took: performance.now() - t };
	}, t0);
	const note = await page.locator('[data-testid="explore-note"]').textContent();
	const measured = r.n ? `${r.max.toFixed(0)} ms (${r.n} long tasks)` : 'no task over 50 ms';
	row('longest main-thread task while exploring 200 runs', `${measured}; longest frame gap ${f.worst.toFixed(0)} ms; ${(r.took / 1000).toFixed(1)} s; "${note.trim()}"`, '50 ms', r.max <= 50, load0);
	if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
	await cp.close();
}

console.log(`bench ui: ${baseURL} · ${os.cpus().length} cores · load average ${loadavg()}`);
if (only.has('load')) await benchLoad();
if (only.has('share')) await benchShare();
if (only.has('play')) await benchPlay();
if (only.has('explore')) await benchExplore();

const w = Math.max(...rows.map((r) => r.name.length));
console.log('\nmeasured vs budget (headless Chromium, loopback)');
console.log(`${'what'.padEnd(w)}  ${'budget'.padEnd(8)}  ok    load avg (1/5/15 min)  measured`);
for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.budget.padEnd(8)}  ${(r.ok ? 'ok' : 'OVER').padEnd(4)}  ${r.load.padEnd(21)}  ${r.measured}`);
console.log(`load average at the end: ${loadavg()}`);
