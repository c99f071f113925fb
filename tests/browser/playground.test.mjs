// Browser test of the playground: the built site served by `ext4play
// serve` (EXT4PLAY_URL, set by ./build.sh test), driven by playwright-core
// in Debian's chromium. What the page shows at a step is checked against
// the trace the page exports (core/trace's Chrome JSON), and share links
// are checked by opening them in a fresh page.
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
const shots = path.join(repo, 'test-output', 'screenshots');
const baseURL = process.env.EXT4PLAY_URL;
const timeout = 30_000;
const seed = 'race-r1-v4.5-rc3'; // the seed's panic, scripted (reference §7 R1)

let context, page, tmp;
const pageErrors = [];
let shareURL, shareStep, sharePrivate, shareMessage;
let pointerStep; // a step at which i_private points at an io_end

async function shot(p, name) {
	fs.mkdirSync(shots, { recursive: true });
	await p.screenshot({ path: path.join(shots, name) });
}

const pg = (p) => p.locator('[data-testid="playground"]');
async function attr(p, name) {
	return pg(p).getAttribute(name);
}
async function step(p) {
	return Number(await attr(p, 'data-step'));
}
// seek moves the scrubber to step s (as a user dragging it would).
async function seek(p, s) {
	await p.locator('[data-testid="scrubber"]').evaluate((el, v) => {
		el.value = String(v);
		el.dispatchEvent(new Event('input', { bubbles: true }));
	}, s);
	await p.waitForSelector(`[data-testid="playground"][data-step="${s}"]`, { timeout });
}
async function pickExample(p, key) {
	await p.locator('[data-testid="example-select"]').selectOption(key);
}

// newPage opens another tab; launch() already watches its errors.
function newPage() {
	return context.newPage();
}

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-play-'));
	if (!baseURL) return;
	({ context, page } = await launch(tmp, { viewport: { width: 1600, height: 1000 }, errors: pageErrors }));
});

after(async () => {
	if (context) await context.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the seed race on v4.5-rc3 ends in the sleeping-in-IRQ BUG', { skip: !baseURL }, async () => {
	await page.goto(new URL('#play', baseURL).href);
	await page.waitForSelector('[data-testid="playground"][data-verdict]', { timeout });
	await pickExample(page, seed);
	await page.locator('[data-testid="run"]').click();
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout });
	const msg = await page.locator('[data-testid="verdict-message"]').textContent();
	assert.match(msg, /BUG: sleeping function called from invalid context/);
	assert.match(await page.locator('[data-testid="verdict-panel"]').textContent(), /hardirq/);
	assert.match(await page.locator('[data-testid="verdict-explain"]').textContent(), /interrupt/);
	// The run opens at its verdict step.
	const s = await step(page);
	assert.ok(s > 0 && s === Number(await attr(page, 'data-max-step')), `opened at step ${s}`);
	assert.equal((await page.locator('[data-testid="step-counter"]').textContent()).trim(), `${s} / ${s}`);
	// The timeline canvas is drawn outside vugu's tree, over its slot.
	const box = await page.locator('[data-testid="timeline"]').boundingBox();
	const slot = await page.locator('[data-testid="timeline-slot"]').boundingBox();
	assert.ok(box && slot && Math.abs(box.y - slot.y) < 2 && box.width > 300, 'timeline canvas over its slot');

	// The state at the verdict (reference §7 R1): L's io_end has dropped to
	// count 0 still UNWRITTEN, on no queue — its dio completes inline in the
	// bio's hard IRQ, which is the bug; that bio is the one in flight.
	const card = page.locator('[data-testid="svg-ioend"][data-name="io_end#1"]');
	assert.equal(await card.getAttribute('data-count'), '0');
	assert.equal(await card.getAttribute('data-flag'), 'UNWRITTEN');
	assert.equal(await card.getAttribute('data-queue'), 'none: inline in hardirq');
	assert.match(await card.textContent(), /queue none: inline in hardirq/);
	assert.equal(await attr(page, 'data-private'), 'NULL');
	const q = page.locator('[data-testid="queues-panel"]');
	const bios = q.locator('[data-key="bio"]');
	assert.equal(await bios.count(), 1);
	assert.match(await bios.textContent(), /dio#3\/bio1\[16\+16\] · completing in hardirq/);
	assert.match(await q.locator('[data-key="bios"]').textContent(), /1 in flight on request_queue sda/);
	assert.match(await q.locator('[data-key="wq"]').textContent(), /dio\/sda\s*s_dio_done_wq: empty/);
	assert.match(await q.locator('[data-key="rsv"]').textContent(), /i_rsv_conversion_list: empty/);
	assert.match(await q.locator('[data-key="dio"]').first().textContent(), /dio#\d+\s*refcount \d/);
	// Locks and counters of the inode.
	const inode = page.locator('[data-testid="inode-panel"]');
	for (const k of ['race.i_mutex', 'race.i_data_sem', 'i_dio_count', 'i_unwritten']) {
		assert.equal(await inode.locator(`[data-key="${k}"]`).count(), 1, k);
	}
	assert.match(await inode.locator('[data-key="race.i_data_sem"]').textContent(), /free|held by|read by|waiting/);
	// The interrupt task's stack is the verdict's, ending in the handle start.
	const irq = page.locator('[data-testid="tasks-panel"] [data-task="irq/sda:dio#3/bio1[16+16]"]');
	assert.match(await irq.textContent(), /ext4_convert_unwritten_extents › jbd2__journal_start\s*$/);
	// The extent map: L's range B is still unwritten (16 blocks).
	await page.waitForSelector('[data-testid="extent-file"][data-file="race"]', { timeout });
	assert.equal(await page.locator('[data-testid="extent-file"][data-file="race"]').getAttribute('data-unwritten'), '16');
	// The last i_private stores before the verdict: O's unlocked NULL
	// store follows L's store of its io_end.
	const story = (await page.locator('[data-testid="istory"] [data-step]').allTextContents()).join('\n');
	assert.match(story, /L\.0 stores race->i_private = io_end#1 \(holding i_mutex\)\s*step \d+\s*O\.0 stores race->i_private = NULL \(without i_mutex\)/, story);
	await shot(page, 'playground-verdict.png');
});

test('stepping moves the counter and the io_end pointer as the trace says', { skip: !baseURL }, async () => {
	// The trace the page exports (core/trace's Chrome JSON) is the oracle.
	const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-trace"]').click()]);
	const file = path.join(tmp, 'trace.json');
	await dl.saveAs(file);
	const tr = JSON.parse(fs.readFileSync(file, 'utf8'));
	const events = tr.traceEvents || tr;
	const stores = events.filter((e) => e.cat === 'step' && /i_private/.test(String(e.args?.footprint)) && /^write/.test(e.args.footprint) &&
		/ext4_inode_aio_set/.test(e.name));
	const toIOEnd = stores.find((e) => /io_end\)/.test(e.name));
	const toNull = stores.find((e) => /NULL\)/.test(e.name) && toIOEnd && e.args.step > toIOEnd.args.step);
	assert.ok(toIOEnd && toNull, `stores of i_private in the trace: ${stores.map((e) => e.args.step + ' ' + e.name).join('; ')}`);

	// Just before the io_end store: NULL; step → the io_end; back → NULL.
	const a = toIOEnd.args.step;
	await seek(page, a - 1);
	assert.equal(await attr(page, 'data-private'), 'NULL');
	await page.locator('[data-testid="step-fwd"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${a}"]`, { timeout });
	const target = await attr(page, 'data-private');
	assert.match(target, /^io_end#\d+$/);
	assert.equal(await page.locator('[data-testid="svg-inode"]').first().getAttribute('data-target'), target);
	assert.equal(await page.locator(`[data-testid="svg-ioend"][data-name="${target}"]`).count(), 1, 'the card the arrow points at');
	assert.equal(await page.locator('[data-testid="svg-arrow"]').count(), 1);
	assert.equal((await page.locator('[data-testid="step-counter"]').textContent()).trim().split(' ')[0], String(a));
	// O is parked mid-submission: the panel names the point it waits at,
	// the trace's next step of O.
	const oThread = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && /^O\.0\/\d+$/.test(e.args?.name));
	assert.ok(oThread, 'O.0 has a track in the trace');
	const oNext = events.filter((e) => e.cat === 'step' && e.pid === oThread.pid && e.tid === oThread.tid && e.args.step > a)
		.sort((x, y) => x.args.step - y.args.step)[0];
	assert.ok(oNext, 'O.0 runs again after the store');
	assert.equal(await page.locator('[data-testid="tasks-panel"] [data-task="O.0"] [data-testid="task-next"]').textContent(), 'next: ' + oNext.name);
	await shot(page, 'playground-pointer.png');
	await page.locator('[data-testid="step-back"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${a - 1}"]`, { timeout });
	assert.equal((await page.locator('[data-testid="step-counter"]').textContent()).trim().split(' ')[0], String(a - 1));
	assert.equal(await attr(page, 'data-private'), 'NULL');
	assert.equal(await page.locator('[data-testid="svg-arrow"]').count(), 0);
	await page.locator('[data-testid="step-fwd"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${a}"]`, { timeout });
	pointerStep = a;
	await page.keyboard.press('ArrowLeft');
	await page.waitForSelector(`[data-testid="playground"][data-step="${a - 1}"]`, { timeout });
	assert.equal(await attr(page, 'data-private'), 'NULL');
	await page.keyboard.press('ArrowRight');
	await page.waitForSelector(`[data-testid="playground"][data-step="${a}"]`, { timeout });
	assert.equal(await attr(page, 'data-private'), target);

	// The NULL store that wipes it (R1: O's store lands before L re-reads).
	const b = toNull.args.step;
	await seek(page, b - 1);
	assert.equal(await attr(page, 'data-private'), target);
	await page.keyboard.press('ArrowRight');
	await page.waitForSelector(`[data-testid="playground"][data-step="${b}"]`, { timeout });
	assert.equal(await attr(page, 'data-private'), 'NULL');
	assert.equal(await page.locator('[data-testid="svg-arrow"]').count(), 0);

	// The extent map outlines the blocks a step allocates (the trace's
	// extent insert), and none at a step that does not touch the tree.
	const insert = events.find((e) => e.cat === 'step' && /ext4_ext_insert_extent/.test(e.name));
	assert.ok(insert, 'an extent insert in the trace');
	await seek(page, insert.args.step);
	await page.waitForFunction(() => Number(document.querySelector('[data-testid="extent-file"][data-file="race"]')?.dataset.changed) > 0, null, { timeout });
	assert.ok(await page.locator('[data-testid="extent-panel"] rect.chg').count() > 0);
	await page.locator('[data-testid="extent-panel"]').screenshot({ path: path.join(shots, 'playground-extent-changed.png') });
	await seek(page, insert.args.step + 1);
	await page.waitForSelector('[data-testid="extent-file"][data-file="race"][data-changed="0"]', { timeout });

	// Home / End and the jump to the verdict.
	await page.keyboard.press('Home');
	await page.waitForSelector('[data-testid="playground"][data-step="0"]', { timeout });
	await page.keyboard.press('End');
	const max = await attr(page, 'data-max-step');
	await page.waitForSelector(`[data-testid="playground"][data-step="${max}"]`, { timeout });
	await seek(page, a);
	await page.locator('[data-testid="verdict-jump"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${max}"]`, { timeout });

	// Clicking the timeline seeks.
	const box = await page.locator('[data-testid="timeline"]').boundingBox();
	await page.mouse.click(box.x + 160 + (box.width - 160) * 0.25, box.y + 40);
	await page.waitForFunction(() => Number(document.querySelector('[data-testid="playground"]').dataset.step) < 60, null, { timeout });

	// Wheel zooms around the pointer, drag pans.
	const tl = page.locator('[data-testid="timeline"]');
	const view0 = await tl.getAttribute('data-view');
	await page.mouse.move(box.x + 160 + (box.width - 160) * 0.5, box.y + 40);
	for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -120);
	await page.waitForFunction((v) => document.querySelector('[data-testid="timeline"]').dataset.view !== v, view0, { timeout });
	const zoomed = (await tl.getAttribute('data-view')).split('-').map(Number);
	const full = view0.split('-').map(Number);
	assert.ok(zoomed[1] - zoomed[0] < full[1] - full[0], `zoomed ${zoomed} from ${full}`);
	const before = await step(page);
	await page.mouse.down();
	await page.mouse.move(box.x + 160 + (box.width - 160) * 0.8, box.y + 40, { steps: 5 });
	await page.mouse.up();
	await page.waitForFunction((v) => document.querySelector('[data-testid="timeline"]').dataset.view !== v, zoomed.join('-'), { timeout });
	assert.ok(Number((await tl.getAttribute('data-view')).split('-')[0]) < zoomed[0], 'dragging right pans to earlier steps');
	assert.equal(await step(page), before, 'a drag does not seek');

	// The help overlay lists the keys.
	await page.keyboard.press('?');
	await page.waitForSelector('[data-testid="help-overlay"]', { timeout });
	const help = await page.locator('[data-testid="help-overlay"]').textContent();
	for (const re of [/space\s*play \/ pause/, /←\s*→\s*step back \/ forward/, /shift/, /Home\s*End\s*first \/ last step/, /v\s*jump to the verdict/, /\+\s*-\s*playback speed/, /\?\s*Esc\s*this help/, /wheel zooms/, /drag pans/, /click seeks/]) {
		assert.match(help, re);
	}
	await shot(page, 'playground-help.png');
	await page.keyboard.press('Escape');
	await page.waitForSelector('[data-testid="help-overlay"]', { state: 'detached', timeout });
});

test('a share link opens the same run at the same step in a fresh page', { skip: !baseURL }, async () => {
	await seek(page, pointerStep);
	await page.locator('[data-testid="share"]').click();
	await page.waitForSelector('[data-testid="share-url"]', { timeout });
	shareURL = await page.locator('[data-testid="share-url"]').inputValue();
	shareStep = await attr(page, 'data-step');
	sharePrivate = await attr(page, 'data-private');
	shareMessage = await page.locator('[data-testid="verdict-message"]').textContent();
	assert.match(shareURL, /#s=1\./);
	assert.match(sharePrivate, /^io_end#\d+$/, 'shared at a step where i_private points at an io_end');

	const p2 = await newPage();
	const t0 = Date.now();
	await p2.goto(shareURL);
	await p2.waitForSelector('[data-testid="verdict-message"]', { timeout });
	const wall = Date.now() - t0;
	assert.equal(await attr(p2, 'data-step'), shareStep);
	assert.equal(await attr(p2, 'data-private'), sharePrivate);
	assert.equal(await attr(p2, 'data-verdict'), 'sleep-in-atomic');
	assert.equal(await p2.locator('[data-testid="verdict-message"]').textContent(), shareMessage);
	assert.equal(await p2.locator('[data-testid="svg-inode"]').first().getAttribute('data-target'), sharePrivate);
	assert.equal(await p2.locator('[data-testid="svg-arrow"]').count(), 1, 'the arrow to the io_end');
	assert.equal(await p2.locator(`[data-testid="svg-ioend"][data-name="${sharePrivate}"]`).count(), 1);
	await p2.waitForFunction(() => window.__ext4playVerdictMs > 0, null, { timeout });
	const ms = await p2.evaluate(() => ({ verdict: window.__ext4playVerdictMs, wasm: window.__ext4playWasmReady, run: window.__ext4playRunMs }));
	console.log(`share link → verdict on screen: ${ms.verdict.toFixed(0)} ms after navigation (wasm ready ${Number(ms.wasm).toFixed(0)} ms, model run ${ms.run} ms; wall ${wall} ms)`);
	await shot(p2, 'playground-share.png');
	await p2.close();
});

test('a link printed by `ext4play share --failing` opens that failing run at its verdict', { skip: !baseURL }, async (t) => {
	const cli = path.join(repo, '.cache', 'bin', 'ext4play');
	if (!fs.existsSync(cli)) return t.skip('no .cache/bin/ext4play (./build.sh build makes it)');
	const url = execFileSync(cli, ['share', 'generic-300-dioread-nolock', '--failing', '--base', baseURL], { encoding: 'utf8' }).trim().split('\n').pop();
	assert.match(url, /#s=1\./);
	const p4 = await newPage();
	await p4.goto(url);
	await p4.waitForSelector('[data-testid="verdict-message"]', { timeout });
	const jump = await p4.locator('[data-testid="verdict-jump"]').textContent();
	assert.equal(`go to step ${await attr(p4, 'data-step')}`, jump.trim());
	assert.notEqual(await attr(p4, 'data-verdict'), 'clean');
	await p4.waitForFunction(() => window.__ext4playVerdictMs > 0, null, { timeout });
	console.log(`CLI share link (generic-300, ${await attr(p4, 'data-verdict')}) → verdict on screen: ${(await p4.evaluate(() => window.__ext4playVerdictMs)).toFixed(0)} ms after navigation`);
	await shot(p4, 'playground-cli-share.png');
	await p4.close();
});

test('a shared full-size job runs at most 100,000 steps in the page and says how to run the rest', { skip: !baseURL }, async (t) => {
	const cli = path.join(repo, '.cache', 'bin', 'ext4play');
	if (!fs.existsSync(cli)) return t.skip('no .cache/bin/ext4play (./build.sh build makes it)');
	const url = execFileSync(cli, ['share', 'generic-300-full', '--base', baseURL], { encoding: 'utf8' }).trim().split('\n').pop();
	const p6 = await newPage();
	await p6.goto(url);
	await p6.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout: 120_000 });
	assert.match(await p6.locator('[data-testid="native-note"]').textContent(), /the page stops at 100,000 steps/);
	assert.match(await p6.locator('[data-testid="native-cmd"]').inputValue(), /^ext4play run generic-300-full --fio examples\/fio\/generic-300\.fio --kernel v4\.5-rc3 --mount dioread_nolock --strategy random --seed 1 /);
	assert.ok(Number(await p6.locator('[data-testid="playground"]').getAttribute('data-max-step')) <= 100000);
	const [dl] = await Promise.all([p6.waitForEvent('download'), p6.locator('[data-testid="export-scenario"]').click()]);
	const file = path.join(tmp, dl.suggestedFilename());
	await dl.saveAs(file);
	const sc = JSON.parse(fs.readFileSync(file, 'utf8'));
	assert.equal(sc.step_limit, 100000000);
	assert.equal(sc.scheduler.strategy, 'random');
	await p6.close();
});

test('a broken share link says why and leaves the default scenario usable', { skip: !baseURL }, async () => {
	const p3 = await newPage();
	await p3.goto(new URL('#s=1.this-is-not-deflate!!', baseURL).href);
	await p3.waitForSelector('[data-testid="fragment-error"]', { timeout });
	assert.match(await p3.locator('[data-testid="fragment-error"]').textContent(), /share link cannot be opened/);
	// The default example still ran.
	await p3.waitForSelector('[data-testid="playground"][data-verdict]', { timeout });
	assert.ok(await p3.locator('[data-testid="verdict-panel"]').isVisible());
	await shot(p3, 'playground-bad-fragment.png');
	// … and works: stepping moves the counter.
	await p3.keyboard.press('Home');
	await p3.waitForSelector('[data-testid="playground"][data-step="0"]', { timeout });
	await p3.locator('[data-testid="step-fwd"]').click();
	await p3.waitForSelector('[data-testid="playground"][data-step="1"]', { timeout });
	assert.equal((await p3.locator('[data-testid="step-counter"]').textContent()).trim().split(' ')[0], '1');
	// A fragment over the size limit is refused too.
	await p3.goto(new URL('#s=1.' + 'A'.repeat(200000), baseURL).href);
	await p3.reload();
	await p3.waitForSelector('[data-testid="fragment-error"]', { timeout });
	await p3.close();
});

test('a broken fio line is shown at its line', { skip: !baseURL }, async () => {
	const ta = page.locator('[data-testid="fio-text"]');
	const text = await ta.inputValue();
	const lines = text.split('\n');
	const n = lines.findIndex((l) => l.startsWith('bs=')) + 1;
	assert.ok(n > 0);
	const stepBefore = await attr(page, 'data-step');
	const verdictBefore = await attr(page, 'data-verdict');
	lines[n - 1] = 'bs=banana';
	await ta.fill(lines.join('\n'));
	await page.locator('[data-testid="run"]').click();
	await page.waitForSelector('[data-testid="fio-error"]', { timeout });
	// The error sits under the job text; the run on screen and the typed
	// text stay.
	assert.equal(await attr(page, 'data-step'), stepBefore);
	assert.equal(await attr(page, 'data-verdict'), verdictBefore);
	assert.equal(await ta.inputValue(), lines.join('\n'));
	const errBox = await page.locator('[data-testid="fio-error"]').first().boundingBox();
	const taBox = await page.locator('.fio-wrap').boundingBox();
	assert.ok(errBox && taBox && errBox.y >= taBox.y + taBox.height - 2 && errBox.y < taBox.y + taBox.height + 80, 'the error is right under the job text');
	assert.equal(await page.locator('[data-testid="fio-error"]').first().getAttribute('data-line'), String(n));
	assert.match(await page.locator('[data-testid="fio-error"]').first().textContent(), /banana|bs/);
	await shot(page, 'playground-fio-error.png');
	// Fixing it clears the error.
	lines[n - 1] = 'bs=64k';
	await ta.fill(lines.join('\n'));
	await page.locator('[data-testid="run"]').click();
	await page.waitForSelector('[data-testid="fio-error"]', { state: 'detached', timeout });
});

test('jan-fix: no verdict, and 200 explored runs find no failure', { skip: !baseURL }, async () => {
	await pickExample(page, 'generic-300-dioread-nolock-jan-fix');
	await page.waitForSelector('[data-testid="playground"][data-verdict="clean"]', { timeout });
	assert.equal(await page.locator('[data-testid="verdict-message"]').count(), 0);
	await page.locator('[data-testid="explore-runs"]').fill('200');
	const t0 = Date.now();
	await page.locator('[data-testid="explore"]').click();
	await page.waitForSelector('[data-testid="explore-progress"][data-pct="100"]', { timeout: 180_000 });
	await page.waitForSelector('[data-testid="explore"]', { timeout });
	console.log(`explore: 200 runs of generic-300 jan-fix in the worker: ${Date.now() - t0} ms`);
	const row = page.locator('[data-testid="explore-matrix"] tr[data-kernel="jan-fix"]');
	assert.equal(await row.getAttribute('data-failures'), '0');
	assert.match(await page.locator('[data-testid="explore-note"]').textContent(), /200 \/ 200 runs · 0 failing/);
	const subject = await page.locator('[data-testid="explore-subject"]').textContent();
	const [, a, b] = subject.match(/· dioread_nolock · seeds (\d+)–(\d+)$/) || [];
	assert.equal(Number(b) - Number(a) + 1, 200, subject);
	await shot(page, 'playground-explore.png');

	// The final image downloads, and e2fsck agrees it is a clean ext4.
	const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-image"]').click()]);
	assert.match(dl.suggestedFilename(), /\.img\.zst$/);
	const zst = path.join(tmp, dl.suggestedFilename());
	await dl.saveAs(zst);
	const raw = zst.replace(/\.zst$/, '');
	execFileSync('zstd', ['-q', '-d', '-f', zst, '-o', raw]);
	const out = execFileSync('e2fsck', ['-fn', raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	assert.match(out, /racer|files/, out);
});

test('explore can be canceled', { skip: !baseURL }, async () => {
	await page.locator('[data-testid="explore-runs"]').fill('100000');
	await page.locator('[data-testid="explore"]').click();
	await page.waitForSelector('[data-testid="explore-cancel"]', { timeout });
	await page.waitForFunction(() => Number(document.querySelector('[data-testid="explore-progress"]').dataset.pct) >= 0 &&
		/\d+ \/ 100000 runs/.test(document.querySelector('[data-testid="explore-note"]').textContent), null, { timeout });
	await page.locator('[data-testid="explore-cancel"]').click();
	await page.waitForSelector('[data-testid="explore"]', { timeout });
	assert.match(await page.locator('[data-testid="explore-error"]').textContent(), /canceled/);
	// The page still works: step forward moves the counter.
	const s = await step(page);
	await page.keyboard.press('Home');
	await page.waitForSelector('[data-testid="playground"][data-step="0"]', { timeout });
	assert.ok(s >= 0);
});

test('explore finds the race on v4.5-rc3 and opens the first failing run', { skip: !baseURL }, async () => {
	await pickExample(page, 'race-r1-v4.5-rc3');
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout });
	await page.locator('[data-testid="explore-runs"]').fill('300');
	await page.locator('[data-testid="explore"]').click();
	await page.waitForSelector('[data-testid="explore-progress"][data-pct="100"]', { timeout: 120_000 });
	const btn = page.locator('[data-testid="open-first-failure"]');
	if ((await btn.count()) === 0) {
		console.log('explore: no failing run in 300 random schedules of the minimal race');
		return;
	}
	await btn.first().click();
	await page.waitForFunction(() => {
		const v = document.querySelector('[data-testid="playground"]').dataset.verdict;
		return v && v !== 'clean';
	}, null, { timeout });
	await shot(page, 'playground-explore-failure.png');
});

test('a deferred completion: the io_end card follows its dio onto s_dio_done_wq', { skip: !baseURL }, async () => {
	// jan-fix: L's io_end is flagged and Defer_Completion set, so its last
	// bio queues dio_aio_complete_work on dio/sda. The trace says when.
	await pickExample(page, 'race-r1-jan-fix');
	await page.waitForSelector('[data-testid="playground"][data-verdict="clean"]', { timeout });
	const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-trace"]').click()]);
	const file = path.join(tmp, 'trace-jan.json');
	await dl.saveAs(file);
	const tr = JSON.parse(fs.readFileSync(file, 'utf8'));
	const events = tr.traceEvents || tr;
	const queued = events.filter((e) => e.cat === 'step' && /^queue_work\(dio\/sda\)/.test(e.name)).map((e) => e.args.step);
	const picked = events.filter((e) => e.cat === 'step' && /^worker_thread\(dio\/sda\)/.test(e.name)).map((e) => e.args.step);
	assert.ok(queued.length > 0 && picked.length > 0, 'jan-fix R1 defers a completion');
	const pending = page.locator('[data-testid="svg-ioend"][data-queue="dio/sda: work pending"]');
	let found = 0;
	for (const s of queued) {
		await seek(page, s - 1);
		assert.equal(await pending.count(), 0, `before queue_work at ${s}`);
		await seek(page, s);
		const n = await pending.count();
		if (n === 0) continue; // the overwrite's dio: it has no io_end on jan-fix
		found = s;
		const work = page.locator('[data-testid="queues-panel"] [data-key="work"]');
		assert.match(await work.last().textContent(), /dio_aio_complete_work\(dio#\d+\) · pending, queued by irq\/sda:dio#\d+/);
		await shot(page, 'playground-queue-pending.png');
		await page.locator('[data-testid="queues-panel"]').screenshot({ path: path.join(shots, 'playground-queues-panel.png') });
		break;
	}
	assert.ok(found > 0, `no io_end card showed the pending work at steps ${queued}`);
	// The worker's pick moves it to "running in kworker/dio/sda:N".
	const pick = picked.filter((s) => s > found).sort((x, y) => x - y);
	let running = false;
	for (const s of pick) {
		await seek(page, s);
		const c = page.locator('[data-testid="svg-ioend"][data-queue^="dio/sda: running in kworker/dio/sda:"]');
		if ((await c.count()) === 1) {
			running = true;
			assert.match(await page.locator('[data-testid="queues-panel"] [data-key="work"]').last().textContent(), /running in kworker\/dio\/sda:\d+/);
			break;
		}
	}
	assert.ok(running, 'the io_end card shows the worker running its completion');
	await shot(page, 'playground-queue-running.png');
});

test('the image choice re-runs, travels in the share link, and says what is wrong', { skip: !baseURL }, async () => {
	await pickExample(page, seed);
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"][data-image="mkfs 8M bs=4096"]', { timeout });
	// The bundled samples are listed next to mkfs.
	await page.waitForFunction(() => document.querySelectorAll('[data-testid="image-select"] option').length > 1, null, { timeout });
	const opts = await page.locator('[data-testid="image-select"] option').allTextContents();
	assert.ok(opts.includes('new file system (mkfs)') && opts.includes('sample: sample-ext4.img.zst'), opts.join(', '));
	// Block size 1024 re-runs on a new file system.
	await page.locator('[data-testid="image-bs"]').selectOption('1024');
	await page.waitForSelector('[data-testid="playground"][data-image="mkfs 8M bs=1024"][data-verdict]', { timeout });
	await page.locator('[data-testid="share"]').click();
	await page.waitForSelector('[data-testid="share-url"]', { timeout });
	const url = await page.locator('[data-testid="share-url"]').inputValue();
	const p5 = await newPage();
	await p5.goto(url);
	await p5.waitForSelector('[data-testid="playground"][data-image="mkfs 8M bs=1024"][data-verdict]', { timeout });
	assert.equal(await p5.locator('[data-testid="image-bs"]').inputValue(), '1024');
	await p5.close();
	// An invalid size: the error sits under the image fields; the run stays.
	const stepBefore = await attr(page, 'data-step');
	await page.locator('[data-testid="image-size"]').fill('512K');
	await page.locator('[data-testid="image-size"]').press('Enter');
	await page.waitForSelector('[data-testid="image-error"]', { timeout });
	assert.match(await page.locator('[data-testid="image-error"]').textContent(), /image\.size: 524288 — want at least 1 MiB/);
	assert.equal(await attr(page, 'data-image'), 'mkfs 8M bs=1024');
	assert.equal(await attr(page, 'data-step'), stepBefore);
	await shot(page, 'playground-image-error.png');
	// A corrupt sample is refused with the reader's error; the run stays.
	await page.locator('[data-testid="image-select"]').selectOption('bad-magic.img.zst');
	await page.waitForFunction(() => /bad-magic\.img\.zst cannot be used: .*magic/i.test(document.querySelector('[data-testid="image-error"]')?.textContent || ''), null, { timeout });
	assert.equal(await attr(page, 'data-image'), 'mkfs 8M bs=1024');
	assert.equal(await attr(page, 'data-step'), stepBefore);
	assert.equal(await page.locator('[data-testid="image-select"]').inputValue(), 'mkfs', 'the menu shows the image the form keeps');
	await shot(page, 'playground-corrupt-image.png');
	// A good sample runs the scenario on its file system, and its share
	// link opens in a fresh page (which fetches the sample first).
	await page.locator('[data-testid="image-select"]').selectOption('sample-ext4.img.zst');
	await page.waitForSelector('[data-testid="playground"][data-image="sample sample-ext4.img.zst"][data-verdict="sleep-in-atomic"]', { timeout });
	assert.equal(await page.locator('[data-testid="image-error"]').count(), 0);
	assert.equal(await page.locator('[data-testid="image-size"]').count(), 0, 'no mkfs fields for a sample');
	await shot(page, 'playground-sample-image.png');
	await page.locator('[data-testid="share"]').click();
	await page.waitForSelector('[data-testid="share-url"]', { timeout });
	const sampleURL = await page.locator('[data-testid="share-url"]').inputValue();
	const sampleStep = await attr(page, 'data-step');
	const p7 = await newPage();
	await p7.goto(sampleURL);
	await p7.waitForSelector('[data-testid="playground"][data-image="sample sample-ext4.img.zst"][data-verdict="sleep-in-atomic"]', { timeout });
	assert.equal(await attr(p7, 'data-step'), sampleStep);
	assert.equal(await p7.locator('[data-testid="image-select"]').inputValue(), 'sample-ext4.img.zst');
	await p7.close();
	// The explore worker (its own wasm instance) fetches the sample too.
	await page.locator('[data-testid="explore-runs"]').fill('20');
	await page.locator('[data-testid="explore"]').click();
	await page.waitForSelector('[data-testid="explore-progress"][data-pct="100"]', { timeout: 60_000 });
	await page.waitForSelector('[data-testid="explore"]', { timeout });
	assert.equal(await page.locator('[data-testid="explore-error"]').count(), 0);
	assert.match(await page.locator('[data-testid="explore-note"]').textContent(), /20 \/ 20 runs/);
	// A sample the model cannot use (ext2: no extents) says why.
	await page.locator('[data-testid="image-select"]').selectOption('sample-ext2.img.zst');
	await page.waitForFunction(() => /sample-ext2\.img\.zst.*extents/.test(document.querySelector('[data-testid="image-error"]')?.textContent || ''), null, { timeout });
	assert.equal(await attr(page, 'data-image'), 'sample sample-ext4.img.zst');
	assert.equal(await page.locator('[data-testid="image-select"]').inputValue(), 'sample-ext4.img.zst');
	// The Image tab's New image settings (its defaults here: 64M, block
	// size chosen by mke2fs) become the recipe.
	await page.locator('[data-testid="image-select"]').selectOption('newimage');
	await page.waitForSelector('[data-testid="playground"][data-image="mkfs 64M bs=default"][data-verdict]', { timeout });
	assert.equal(await page.locator('[data-testid="image-select"]').inputValue(), 'mkfs');
	assert.equal(await page.locator('[data-testid="image-size"]').inputValue(), '64M');
	assert.equal(await page.locator('[data-testid="image-bs"]').inputValue(), '0');
	// A good size runs again.
	await page.locator('[data-testid="image-size"]').fill('16M');
	await page.locator('[data-testid="image-size"]').press('Enter');
	await page.waitForSelector('[data-testid="playground"][data-image="mkfs 16M bs=default"][data-verdict]', { timeout });
	assert.equal(await page.locator('[data-testid="image-error"]').count(), 0);
});

test('the full-size generic/300 job runs its first steps in the page and names the native command', { skip: !baseURL }, async () => {
	const t0 = Date.now();
	await pickExample(page, 'generic-300-full');
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout: 120_000 });
	const ms = Date.now() - t0;
	const max = Number(await attr(page, 'data-max-step'));
	console.log(`generic-300-full in the page: ${max} steps to the verdict in ${ms} ms`);
	assert.ok(max > 10000 && max <= 50000, `${max} steps`);
	assert.match(await page.locator('[data-testid="native-note"]').textContent(), /stops at 50,000 steps/);
	assert.equal(await page.locator('[data-testid="native-cmd"]').inputValue(),
		'ext4play run generic-300-full --fio examples/fio/generic-300.fio --kernel v4.5-rc3 --mount dioread_nolock --strategy random --seed 1 --steps 100000000');
	assert.match(await page.locator('[data-testid="example-select"] option[value="generic-300-full"]').textContent(), /first 50,000 steps in the browser/);
	// The extent map of a long run is there at once (rebuilt from the
	// trace's extent events, not by replaying 30,000 steps).
	await page.waitForSelector('[data-testid="extent-file"][data-file="racer"]', { timeout });
	assert.ok(Number(await page.locator('[data-testid="extent-file"][data-file="racer"]').getAttribute('data-written')) > 0);
	await shot(page, 'playground-full-size.png');
	// The tab stays responsive: stepping still works.
	await page.locator('[data-testid="step-back"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${max - 1}"]`, { timeout });
});

test('the code view compares the run\'s kernel with another at the decision points', { skip: !baseURL }, async () => {
	await pickExample(page, seed);
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout });
	const diff = page.locator('[data-testid="variant-diff"]');
	await diff.locator('[data-testid="variant-diff-toggle"]').click();
	await page.waitForSelector('[data-testid="variant-diff"][data-open="true"] [data-testid="diff-other"]', { timeout });
	assert.match(await diff.locator('[data-testid="variant-diff-toggle"]').textContent(), /v4\.5-rc3 vs jan-fix \(2 of 10 decision points differ\)/);
	const differs = async () => (await diff.locator('tr[data-diff="true"] td:first-child').allTextContents()).join(' | ');
	assert.equal(await differs(), 'O allocates an io_end into i_private | who stores i_private');
	await diff.locator('[data-testid="diff-other"]').selectOption('v4.4');
	await page.waitForFunction(() => /vs v4\.4/.test(document.querySelector('[data-testid="variant-diff-toggle"]').textContent), null, { timeout });
	assert.match(await differs(), /holds down_read\(i_data_sem\) \| O's get_block \| who stores i_private \| GET_BLOCKS_NO_LOCK \| GET_BLOCKS_CONVERT_UNWRITTEN \| GET_BLOCKS_ZERO$/);
	const row = diff.locator('tr[data-diff="true"]').filter({ hasText: 'GET_BLOCKS_CONVERT_UNWRITTEN' });
	assert.deepEqual((await row.locator('td').allTextContents()).slice(1), ['0x100', '0x200']);
	assert.ok(await diff.locator('table').isVisible(), 'the table stays open across re-renders');
	await diff.screenshot({ path: path.join(shots, 'playground-variant-diff.png') });
	await diff.locator('[data-testid="variant-diff-toggle"]').click();
	await page.waitForSelector('[data-testid="variant-diff"][data-open="false"]', { timeout });
});

test('"Inspect this step" opens the image after the cursor\'s step in the Image tab, with the extents the map showed', { skip: !baseURL }, async () => {
	await page.locator('[data-testid="tab-playground"]').click();
	await pickExample(page, seed);
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout });
	const step = await attr(page, 'data-step');
	const file = page.locator('[data-testid="extent-file"][data-file="race"]');
	const unwritten = Number(await file.getAttribute('data-unwritten'));
	assert.ok(unwritten > 0, 'the map shows L\'s unwritten range');
	await page.locator('[data-testid="inspect-step"]').click();
	await page.waitForSelector(`[data-testid="app"][data-state="ready"][data-image$="-step-${step}.img"]`, { timeout });
	assert.match(await page.locator('.st-note').first().textContent(), new RegExp(`the playground's run after step ${step}`));
	const row = page.locator('[data-testid="tree"] .trow[data-path="/race"]').first();
	const ino = await row.getAttribute('data-ino');
	await row.click();
	await page.waitForSelector(`[data-testid="inode-detail"][data-ino="${ino}"]`, { timeout });
	const ext = await page.$$eval('[data-testid="extents"] tr[data-kind="leaf"]', (rows) => rows.map((r) => ({
		length: Number(r.querySelector('[data-col="length"]').textContent.trim()),
		unwritten: r.getAttribute('data-unwritten') === 'true',
	})));
	assert.equal(ext.filter((x) => x.unwritten).reduce((a, x) => a + x.length, 0), unwritten, `unwritten blocks on disk after step ${step}: ${JSON.stringify(ext)}`);
	await shot(page, 'playground-inspect-step.png');
	// The playground keeps its run and cursor.
	await page.locator('[data-testid="tab-playground"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${step}"]`, { timeout });
});

test('no uncaught page errors', { skip: !baseURL }, () => {
	assert.deepEqual(pageErrors.filter((e) => !/Failed to load resource/.test(e)), []);
});
