// Browser test of the codec Web Worker (web/codec-worker.js running
// wasm/codec): the page's own wasm has no xz or zstd codec. The first load
// of the page fetches no codec; the first compressed image starts the one
// worker, and an .img.zst export and a dropped .xz file go through it. A
// codec that cannot load is an error the user sees, not a hung page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const imagesDir = process.env.EXT4PLAY_IMAGES || path.join(repo, 'examples', 'images');
const baseURL = process.env.EXT4PLAY_URL;
const timeout = 30_000;
const sample = 'sample-ext4.img.zst';
const codecWasm = /\/assets\/codec\.[0-9a-f]+\.wasm$/;
const codecWorker = /\/codec-worker\.js$/;

let context, page, tmp;
const pageErrors = [];
const requests = []; // every URL the page and its workers asked for
const workers = []; // every worker script the page started

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-codec-'));
	if (!baseURL) return;
	({ context, page } = await launch(tmp, { viewport: { width: 1440, height: 900 }, errors: pageErrors }));
	context.on('request', (r) => requests.push(r.url()));
	page.on('worker', (w) => workers.push(w.url()));
});

after(async () => {
	if (context) await context.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const skip = baseURL ? false : 'EXT4PLAY_URL is not set (./build.sh test sets it)';

function sh(cmd, args) {
	return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitReady(name) {
	await page.waitForSelector(`[data-testid="app"][data-state="ready"][data-image="${name}"]`, { timeout });
}

// drop dispatches a file drop of path onto the page, as inspect.test does.
async function drop(file) {
	const bytes = fs.readFileSync(file).toString('base64');
	await page.evaluate(({ name, bytes }) => {
		const bin = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bin], name));
		document.querySelector('[data-testid="app"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
	}, { name: path.basename(file), bytes });
}

// lastSpan is the time between the last two performance marks named.
async function lastSpan(from, to) {
	return page.evaluate(({ from, to }) => {
		const a = performance.getEntriesByName('ext4play:' + from).at(-1);
		const b = performance.getEntriesByName('ext4play:' + to).at(-1);
		return a && b ? Math.round(b.startTime - a.startTime) : -1;
	}, { from, to });
}

test('first load fetches no codec; zstd, .img.zst export and a dropped .xz go through one codec worker', { skip }, async () => {
	await page.goto(baseURL);
	await page.waitForFunction(() => performance.getEntriesByName('ext4play:first-render').length > 0, null, { timeout });
	await page.waitForLoadState('networkidle');
	assert.ok(requests.some((u) => /\/assets\/app\.[0-9a-f]+\.wasm$/.test(u)), 'the page wasm was not seen among the requests');
	assert.deepEqual(requests.filter((u) => codecWasm.test(u) || codecWorker.test(u)), [], 'the first load fetched the codec');
	assert.deepEqual(workers.filter((u) => codecWorker.test(u)), []);

	// The Image tab opens the default sample, zstd-compressed: the first
	// use starts the worker.
	await page.locator('[data-tab="image"]').click();
	await waitReady(sample);
	console.log(`${sample} decoded in ${await lastSpan('decode-start', 'decoded')} ms, starting the codec worker`);
	assert.equal(requests.filter((u) => codecWasm.test(u)).length, 1, 'codec wasm fetches');
	assert.equal(await page.locator('[data-testid="error-banner"]').count(), 0);
	const raw = path.join(tmp, 'sample.img');
	execFileSync('zstd', ['-dqf', path.join(imagesDir, sample), '-o', raw]);
	const want = sh('dumpe2fs', ['-h', raw]);
	const uuid = /Filesystem UUID:\s*(\S+)/.exec(want)[1];
	assert.equal((await page.locator('[data-field="uuid"]').first().textContent()).trim(), uuid);

	// Export as .img.zst (compressed in the worker): the same bytes as
	// the sample decompressed.
	await page.selectOption('[data-testid="ni-format"]', 'img.zst');
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout }),
		page.click('[data-testid="ni-download"]'),
	]);
	assert.equal(dl.suggestedFilename(), sample);
	const zst = path.join(tmp, 'export.img.zst');
	await dl.saveAs(zst);
	assert.ok(execFileSync('zstd', ['-dc', zst], { maxBuffer: 1 << 30 }).equals(fs.readFileSync(raw)), 'exported .img.zst differs from the sample');

	// A dropped .xz file (decompressed in the worker) opens.
	const xz = path.join(tmp, 'dropped.img.xz');
	fs.writeFileSync(xz, execFileSync('xz', ['-c', '-3', raw], { maxBuffer: 1 << 30 }));
	await drop(xz);
	await waitReady('dropped.img.xz');
	console.log(`dropped.img.xz decoded in ${await lastSpan('decode-start', 'decoded')} ms (worker running)`);
	assert.equal(await page.locator('[data-testid="error-banner"]').count(), 0);
	assert.equal((await page.locator('[data-field="uuid"]').first().textContent()).trim(), uuid);

	// One worker, started once and reused.
	assert.equal(workers.filter((u) => codecWorker.test(u)).length, 1, `workers: ${workers.join(', ')}`);
	assert.equal(requests.filter((u) => codecWasm.test(u)).length, 1, 'codec wasm fetched again');
	assert.deepEqual(pageErrors, []);
});

test('a codec that cannot load is an error banner, and a later try works', { skip }, async () => {
	// A fresh page whose codec wasm is missing.
	await context.route(codecWasm, (r) => r.fulfill({ status: 404, body: 'gone' }));
	await page.goto('about:blank');
	await page.goto(baseURL);
	await page.waitForFunction(() => performance.getEntriesByName('ext4play:first-render').length > 0, null, { timeout });
	await page.locator('[data-tab="image"]').click();
	const banner = page.locator('[data-testid="error-banner"]');
	await banner.waitFor({ timeout });
	const text = await page.locator('[data-testid="error-text"]').textContent();
	assert.match(text, /codec worker .*could not start/);
	assert.match(text, /404/);
	// The next image starts a new worker, which loads now.
	await context.unroute(codecWasm);
	await page.selectOption('[data-testid="sample-select"]', sample);
	await waitReady(sample);
	assert.equal(await page.locator('[data-testid="error-banner"]').count(), 0);
});
