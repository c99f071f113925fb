// Seeking must not lag: after one key press or step button click, the
// step counter, the state panels and the timeline show the new step in
// the same painted frame (at the latest in the second frame after the
// input). Each frame is sampled right after it was rendered (a task
// posted from requestAnimationFrame runs after that frame's paint), and
// what it shows is compared with what the page shows once settled. (The
// extent map of these early steps is part of it: it used to follow in a
// second render ~150 ms after the cursor stopped.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, '..', '..', 'test-output', 'screenshots');
const baseURL = process.env.EXT4PLAY_URL;
const timeout = 30_000;
const framesMax = 2;

let context, page, tmp;
const pageErrors = [];

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-seek-'));
	if (!baseURL) return;
	({ context, page } = await launch(tmp, { viewport: { width: 1600, height: 1000 }, errors: pageErrors }));
});

after(async () => {
	if (context) await context.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// record starts sampling frames in the page; the samples are read back
// by samples(). Each sample holds the frame number, whether the input
// already happened, and a digest of what is on screen.
async function record(p) {
	await p.evaluate(() => {
		const digest = (sel) => {
			const e = document.querySelector(sel);
			if (!e) return null;
			const s = e.innerHTML;
			let h = 0;
			for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
			return h;
		};
		const view = () => ({
			counter: document.querySelector('[data-testid="step-counter"]').textContent.trim(),
			step: document.querySelector('[data-testid="playground"]').getAttribute('data-step'),
			canvas: document.getElementById('tl-canvas').getAttribute('data-step'),
			label: document.querySelector('[data-testid="step-label"]').textContent,
			tasks: digest('[data-testid="tasks-panel"]'),
			inode: digest('[data-testid="inode-panel"]'),
			pointer: digest('[data-testid="pointer-panel"]'),
			code: digest('[data-testid="code-view"]'),
			extent: digest('[data-testid="extent-panel"]'),
		});
		const R = (window.__seekRec = { frames: [], input: -1, n: 0, on: true, view });
		const mc = new MessageChannel();
		mc.port1.onmessage = () => R.frames.push({ n: R.n, afterInput: R.input >= 0, ...view() });
		window.addEventListener('keydown', () => { if (R.input < 0) R.input = R.n; }, true);
		window.addEventListener('click', () => { if (R.input < 0) R.input = R.n; }, true);
		const tick = () => {
			if (!R.on) return;
			R.n++;
			mc.port2.postMessage(0); // runs after this frame is painted
			requestAnimationFrame(tick);
		};
		requestAnimationFrame(tick);
	});
}

async function samples(p) {
	await p.waitForTimeout(600); // settle (the extent map may follow at rest)
	return p.evaluate(() => {
		const R = window.__seekRec;
		R.on = false;
		return { frames: R.frames, input: R.input, final: R.view() };
	});
}

// checkSeek asserts that the first frames after the input show the
// settled view of the new step, counter and panels together.
function checkSeek(rec, want) {
	const { frames, input, final } = rec;
	assert.ok(input >= 0, 'the input was seen');
	assert.equal(final.counter.split(' ')[0], String(want), `settled at step ${want}`);
	const after = frames.filter((f) => f.n > input);
	const first = after.findIndex((f) => f.counter === final.counter);
	assert.ok(first >= 0, `the counter reached ${final.counter}`);
	assert.ok(first < framesMax, `the step counter changed ${first + 1} frames after the input (want <= ${framesMax})`);
	const f = after[first];
	const show = () => after.slice(0, first + 3).map((g) => `frame +${g.n - input}: counter ${g.counter}, data-step ${g.step}, canvas ${g.canvas}`).join('; ');
	for (const k of ['step', 'canvas', 'label', 'tasks', 'inode', 'pointer', 'code', 'extent']) {
		assert.equal(f[k], final[k], `in the frame the counter showed ${f.counter}, "${k}" still showed another step (${show()})`);
	}
	// And nothing moves afterwards: that frame was the settled view.
	for (const g of after.slice(first)) {
		assert.equal(g.counter, final.counter, 'the counter stays');
		assert.equal(g.tasks, final.tasks, 'the tasks panel stays');
		assert.equal(g.extent, final.extent, 'the extent map stays (no second render)');
	}
}

async function settle(p, s) {
	await p.waitForSelector(`[data-testid="playground"][data-step="${s}"]`, { timeout });
	await p.waitForFunction((v) => document.getElementById('tl-canvas')?.getAttribute('data-step') === String(v), s, { timeout });
	await p.waitForTimeout(400);
}

test('one ArrowRight press shows the next step in the counter, the panels and the timeline in the same frame', { skip: !baseURL }, async () => {
	await page.goto(new URL('#play', baseURL).href);
	await page.waitForSelector('[data-testid="playground"][data-verdict]', { timeout });
	await page.keyboard.press('Home');
	await settle(page, 0);
	for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowRight');
	await settle(page, 9);
	for (const want of [10, 11, 12]) {
		await record(page);
		await page.keyboard.press('ArrowRight');
		checkSeek(await samples(page), want);
	}
	fs.mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: path.join(shots, 'seek-step-12.png') });
	assert.deepEqual(pageErrors, []);
});

test('ArrowLeft and the step buttons move the counter and the panels together', { skip: !baseURL }, async () => {
	await record(page);
	await page.keyboard.press('ArrowLeft');
	checkSeek(await samples(page), 11);
	await record(page);
	await page.locator('[data-testid="step-fwd"]').click();
	checkSeek(await samples(page), 12);
	await record(page);
	await page.locator('[data-testid="step-back"]').click();
	checkSeek(await samples(page), 11);
	assert.deepEqual(pageErrors, []);
});

test('deep in a 5,000-step run the extent map moves with the cursor in the same frame', { skip: !baseURL }, async () => {
	// The extent map comes from the trace's extent events: before, runs
	// past 600 steps showed "computed when the cursor rests" and drew the
	// map in a second render after a replay.
	await page.locator('[data-testid="example-select"]').selectOption('generic-300-dioread-nolock-jan-fix'); // clean: runs all ~5,000 steps
	await page.waitForFunction(() => Number(document.querySelector('[data-testid="playground"]')?.getAttribute('data-max-step')) > 2000, null, { timeout });
	const from = 2400;
	await page.$eval('[data-testid="scrubber"]', (el, v) => {
		el.value = String(v);
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
	}, from);
	await settle(page, from);
	const ext = async () => page.locator('[data-testid="extent-file"]').count();
	assert.ok(await ext() > 0, `the extent map is drawn at step ${from}`);
	const mark = async () => page.$$eval('[data-testid="extent-file"]', (gs) => gs.map((g) => `${g.dataset.file}:${g.dataset.written}/${g.dataset.unwritten}/${g.dataset.holes}`).join(' '));
	const before = await mark();
	// Step on until the map changes (the run changes some file's extents
	// every ~33 steps), checking every step lands whole in one frame.
	let changedAt = 0;
	for (let s = from + 1; s <= from + 150 && !changedAt; s++) {
		await record(page);
		await page.keyboard.press('ArrowRight');
		checkSeek(await samples(page), s);
		if ((await mark()) !== before) changedAt = s;
	}
	assert.ok(changedAt > 0, 'the extent map changed within 150 steps');
	assert.ok(await page.locator('[data-testid="extent-panel"] rect.chg').count() > 0, `the blocks changed at step ${changedAt} are outlined`);
	await page.locator('[data-testid="extent-panel"]').screenshot({ path: path.join(shots, 'seek-extent-deep.png') });
	assert.deepEqual(pageErrors, []);
});
