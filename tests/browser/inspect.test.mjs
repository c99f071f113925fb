// Browser test of the image inspector page: the built site served by
// `ext4play serve` (EXT4PLAY_URL, set by ./build.sh test), driven by
// playwright-core in Debian's chromium. Values shown in the page are
// compared with what e2fsprogs (dumpe2fs, debugfs) says about the same
// sample image.
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
// Where the served samples come from (the build copies examples/images).
const imagesDir = process.env.EXT4PLAY_IMAGES || path.join(repo, 'examples', 'images');
const baseURL = process.env.EXT4PLAY_URL;
const timeout = 30_000;

let context, page, tmp;
let sampleName; // the sample the page opened on arrival
const pageErrors = [];

function sh(cmd, args) {
	return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// decompress returns the raw bytes of a sample image (.zst, .gz, .xz or raw).
function decompress(file) {
	const tools = { '.zst': ['zstd', '-dc'], '.gz': ['gzip', '-dc'], '.xz': ['xz', '-dc'] };
	const t = tools[path.extname(file)];
	if (!t) return fs.readFileSync(file);
	return execFileSync(t[0], [...t.slice(1), file], { maxBuffer: 1 << 30 });
}

// rawCopy writes the decompressed image to a temp file for e2fsprogs.
function rawCopy(file) {
	const out = path.join(tmp, path.basename(file).replace(/\.(zst|gz|xz)$/, '') + '.raw');
	if (!fs.existsSync(out)) fs.writeFileSync(out, decompress(file));
	return out;
}

// dumpe2fsHeader parses `dumpe2fs -h` into a field → value map.
function dumpe2fsHeader(raw) {
	const out = sh('dumpe2fs', ['-h', raw]);
	const m = {};
	for (const line of out.split('\n')) {
		const i = line.indexOf(':');
		if (i > 0) m[line.slice(0, i).trim()] = line.slice(i + 1).trim();
	}
	return m;
}

// debugfsExtents parses the EXTENTS/BLOCKS line of `debugfs -R "stat PATH"`
// into leaf extents; index blocks ((ETBn):…) are skipped.
function debugfsExtents(raw, p) {
	const out = sh('debugfs', ['-R', `stat "${p}"`, raw]);
	const sect = out.split(/\n(?:EXTENTS|BLOCKS):\n/)[1] || '';
	const ext = [];
	for (const m of sect.matchAll(/\((\d+)(?:-(\d+))?(\[u\])?\):(\d+)(?:-(\d+))?/g)) {
		const lo = Number(m[1]);
		const hi = m[2] === undefined ? lo : Number(m[2]);
		ext.push({ logical: lo, length: hi - lo + 1, physical: Number(m[4]), unwritten: Boolean(m[3]) });
	}
	return ext;
}

// broken: the sample script names deliberately damaged images corrupt-* and bad-*.
const broken = (name) => /^(corrupt|bad-)/.test(name);

async function shot(name) {
	fs.mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: path.join(shots, name) });
}

async function field(key) {
	return (await page.locator(`[data-field="${key}"]`).first().textContent()).trim();
}

// waitReady waits until the page shows image name (data-image) and is idle.
async function waitReady(name) {
	const sel = name
		? `[data-testid="app"][data-state="ready"][data-image="${name}"]`
		: '[data-testid="app"][data-state="ready"]';
	await page.waitForSelector(sel, { timeout });
}

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-browser-'));
	if (!baseURL) return;
	({ context, page } = await launch(tmp, { viewport: { width: 1440, height: 900 }, errors: pageErrors }));
});

after(async () => {
	if (context) await context.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const skip = baseURL ? false : 'EXT4PLAY_URL is not set (./build.sh test sets it)';

test('sample image: superblock and features equal dumpe2fs -h', { skip }, async () => {
	const nav = Date.now();
	await page.goto(new URL('#image', baseURL).href);
	await waitReady();
	const name = await page.getAttribute('[data-testid="app"]', 'data-image');
	sampleName = name;
	const first = await page.evaluate(() => window.__ext4playFirstRender);
	// Load phases the page marks (ms after navigation start).
	const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark')
		.filter((m) => m.name.startsWith('ext4play:')).map((m) => [m.name.slice(9), Math.round(m.startTime)])));
	assert.ok(first > 0, `first render mark missing (${first})`);
	fs.mkdirSync(path.dirname(shots), { recursive: true });
	fs.writeFileSync(path.join(repo, 'test-output', 'first-render.json'),
		JSON.stringify({ image: name, firstRenderMs: Math.round(first), marks, wallMs: Date.now() - nav }) + '\n');
	console.log(`first render of ${name}: ${first.toFixed(0)} ms after navigation start; phases ${JSON.stringify(marks)}`);
	await shot('inspect-sample.png');

	const file = path.join(imagesDir, name);
	assert.ok(fs.existsSync(file), `the page shows ${name}, which is not in ${imagesDir}`);
	const d = dumpe2fsHeader(rawCopy(file));

	assert.equal(await field('blocks_count'), d['Block count']);
	assert.equal(await field('free_blocks_count'), d['Free blocks']);
	assert.equal(await field('inodes_count'), d['Inode count']);
	assert.equal(await field('free_inodes_count'), d['Free inodes']);
	assert.equal(await field('block_size'), d['Block size']);
	assert.equal(await field('uuid'), d['Filesystem UUID']);
	const vol = d['Filesystem volume name'];
	assert.equal(await field('volume_name'), vol === '<none>' ? '—' : vol);

	const shown = await page.$$eval('[data-testid="features"] [data-feature]', (els) => els.map((e) => e.textContent.trim()));
	assert.deepEqual([...shown].sort(), d['Filesystem features'].split(/\s+/).sort());

	// The group table has one row per group, each with a drawn bitmap strip.
	const groups = await page.locator('[data-testid="groups"] tr[data-group]').count();
	const expectGroups = Math.ceil((Number(d['Block count']) - Number(d['First block'])) / Number(d['Blocks per group']));
	assert.equal(groups, expectGroups);
	assert.equal(await page.locator('[data-testid="bitmaps"] .srow .strip').count(), groups, 'one bitmap strip per group');
	const cells = await page.locator('[data-testid="bitmaps"] .strip rect').count();
	assert.ok(cells >= groups, `bitmap strips have ${cells} cells for ${groups} groups`);
	// Under the CSP the strip must really be drawn: group 0 holds metadata,
	// so its first cell has the "used" colour, not SVG's default black.
	const fill = await page.$eval('[data-testid="bitmaps"] .srow[data-group="0"] rect', (r) => getComputedStyle(r).fill);
	const free = await page.$eval('[data-testid="bitmaps"] .legend .l0', (e) => getComputedStyle(e).backgroundColor);
	assert.notEqual(fill, 'rgb(0, 0, 0)');
	assert.notEqual(fill, free, 'group 0 starts with metadata but its first cell is drawn free');

	assert.deepEqual(pageErrors, [], 'console errors');
});

test('selected file: extent list and first bytes equal debugfs', { skip }, async () => {
	const name = sampleName;
	const raw = rawCopy(path.join(imagesDir, name));

	// Prefer a file with unwritten extents (marked in the inode table).
	let ino = await page.$$eval('[data-testid="inodes"] tr[data-ino]', (rows) => {
		const uw = rows.find((r) => r.querySelector('.uw-tag'));
		return uw ? uw.getAttribute('data-ino') : null;
	});
	let row;
	if (ino) {
		row = page.locator(`[data-testid="tree"] .trow[data-ino="${ino}"]`).first();
	} else {
		row = page.locator('[data-testid="tree"] .trow:has(.t-file)').first();
		ino = await row.getAttribute('data-ino');
	}
	const p = await row.getAttribute('data-path');
	await row.click();
	await page.waitForSelector(`[data-testid="inode-detail"][data-ino="${ino}"]`, { timeout });
	await shot('inspect-file.png');

	const want = debugfsExtents(raw, p);
	const got = await page.$$eval('[data-testid="extents"] tr[data-kind="leaf"]', (rows) => rows.map((r) => {
		const cell = (c) => r.querySelector(`[data-col="${c}"]`).textContent.trim();
		const first = (s) => Number(s.split('–')[0]);
		return { logical: first(cell('logical')), length: Number(cell('length')), physical: first(cell('physical')), unwritten: r.getAttribute('data-unwritten') === 'true' };
	}));
	assert.deepEqual(got, want, `extents of ${p}`);
	// Index blocks debugfs lists as (ETBn) appear as index entries of the tree.
	const etb = (sh('debugfs', ['-R', `stat "${p}"`, raw]).match(/\(ETB\d+\)/g) || []).length;
	const idx = await page.locator('[data-testid="extents"] tr[data-kind="index"]').count();
	assert.equal(idx, etb, `index entries of ${p}`);

	// The hex dump shows a file's first bytes as debugfs dumps them: the
	// file above if it has content (unwritten extents read as zeros), else
	// the first file in the tree that has some.
	let target = p;
	const sizeOf = (q) => Number((/Size: (\d+)/.exec(sh('debugfs', ['-R', `stat "${q}"`, raw])) || [0, 0])[1]);
	if (sizeOf(target) < 16) {
		target = null;
		for (const q of await page.$$eval('[data-testid="tree"] .trow:has(.t-file)', (rs) => rs.map((r) => r.dataset.path))) {
			if (sizeOf(q) >= 16) { target = q; break; }
		}
		assert.ok(target, 'no file with content in the tree');
		const r = page.locator(`[data-testid="tree"] .trow[data-path="${target}"]`).first();
		const tino = await r.getAttribute('data-ino');
		await r.click();
		await page.waitForSelector(`[data-testid="inode-detail"][data-ino="${tino}"]`, { timeout });
	}
	const dumped = path.join(tmp, 'dump.bin');
	sh('debugfs', ['-R', `dump "${target}" ${dumped}`, raw]);
	const content = fs.readFileSync(dumped);
	const n = Math.min(content.length, 64);
	assert.ok(n >= 16, `${target}: only ${n} bytes`);
	const hex = await page.$$eval('[data-testid="hexdump"] .hbytes', (els) => els.map((e) => e.textContent).join(' '));
	const shownBytes = hex.split(/\s+/).filter(Boolean).slice(0, n).map((h) => parseInt(h, 16));
	assert.deepEqual(shownBytes, [...content.subarray(0, n)], `first ${n} bytes of ${target}`);
	const ascii = await page.$eval('[data-testid="hexdump"] .hasc', (e) => e.textContent);
	const wantAscii = [...content.subarray(0, Math.min(16, content.length))].map((c) => (c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.')).join('');
	assert.equal(ascii, wantAscii, `ASCII column of ${target}`);
});

test('selecting in the inode table selects and reveals the tree row', { skip }, async () => {
	// The last inode row with a path: usually deep in the tree, below the fold.
	const rows = page.locator('[data-testid="inodes"] tr[data-ino]');
	let ino;
	for (let i = (await rows.count()) - 1; i >= 0; i--) {
		const r = rows.nth(i);
		if ((await r.locator('.path').textContent()).trim() !== '') {
			ino = await r.getAttribute('data-ino');
			await r.click();
			break;
		}
	}
	assert.ok(ino, 'no inode row with a path');
	await page.waitForSelector(`[data-testid="inode-detail"][data-ino="${ino}"]`, { timeout });
	const tr = page.locator(`[data-testid="tree"] .trow.selected[data-ino="${ino}"]`).first();
	await tr.waitFor({ timeout });
	const box = await tr.boundingBox();
	const view = await page.locator('[data-testid="tree"] .scroll').boundingBox();
	assert.ok(box && box.y >= view.y - 1 && box.y + box.height <= view.y + view.height + 1,
		`selected tree row at ${JSON.stringify(box)} is outside the tree view ${JSON.stringify(view)}`);
});

test('the directory tree works from the keyboard', { skip }, async () => {
	const rows = page.locator('[data-testid="tree"] .trow');
	await rows.nth(1).click();
	const inos = await rows.evaluateAll((rs) => rs.map((r) => r.dataset.ino));
	await page.keyboard.press('ArrowDown');
	await page.waitForSelector(`[data-testid="inode-detail"][data-ino="${inos[2]}"]`, { timeout });
	await page.keyboard.press('ArrowUp');
	await page.keyboard.press('ArrowUp');
	await page.waitForSelector(`[data-testid="inode-detail"][data-ino="${inos[0]}"]`, { timeout });
});

// corrupted writes a copy of the sample with edit applied and returns its path.
function corrupted(name, edit, out) {
	const buf = Buffer.from(decompress(path.join(imagesDir, name)));
	edit(buf);
	const f = path.join(tmp, out);
	fs.writeFileSync(f, buf);
	return f;
}

test('image with a bad inode checksum: listed in the problems panel', { skip }, async () => {
	const name = sampleName;
	const raw = rawCopy(path.join(imagesDir, name));
	const d = dumpe2fsHeader(raw);
	if (!/metadata_csum/.test(d['Filesystem features'])) {
		assert.fail(`${name} has no metadata_csum; the default sample should`);
	}
	// Change the root inode's i_mtime (offset 0x10) behind its checksum.
	const groups = sh('dumpe2fs', [raw]);
	const itable = Number(/Inode table at (\d+)/.exec(groups)[1]);
	const off = itable * Number(d['Block size']) + (2 - 1) * Number(d['Inode size']) + 0x10;
	const f = corrupted(name, (b) => { b[off] ^= 0xff; }, 'corrupt-root-inode.img');

	await page.setInputFiles('[data-testid="file-input"]', f);
	await waitReady('corrupt-root-inode.img');
	const count = Number(await page.getAttribute('[data-testid="problems"]', 'data-count'));
	assert.ok(count >= 1, 'no problem listed');
	const text = await page.locator('[data-testid="problems"]').textContent();
	assert.match(text, /inode 2\b/i);
	assert.match(text, /checksum/i);
	// A problem about an inode is a link to it.
	await page.locator('[data-testid="problems"] .prob[data-ino="2"]').first().click();
	await page.waitForSelector('[data-testid="inode-detail"][data-ino="2"]', { timeout });
	await shot('inspect-problems.png');
});

test('unreadable image: error banner, previous image kept', { skip }, async () => {
	const name = sampleName;
	const shownBefore = await page.getAttribute('[data-testid="app"]', 'data-image');
	// Zero the superblock magic (s_magic at byte 1024 + 0x38).
	const f = corrupted(name, (b) => { b[1024 + 0x38] = 0; b[1024 + 0x39] = 0; }, 'no-magic.img');
	await page.setInputFiles('[data-testid="file-input"]', f);
	const banner = page.locator('[data-testid="error-banner"]');
	await banner.waitFor({ timeout });
	const text = await page.locator('[data-testid="error-text"]').textContent();
	assert.match(text, /^no-magic\.img: /);
	assert.match(text, /magic/i);
	assert.equal(await page.getAttribute('[data-testid="app"]', 'data-image'), shownBefore, 'previous image replaced');
	await shot('inspect-error.png');
	assert.deepEqual(pageErrors, [], 'console errors');
});

test('drag and drop opens an image', { skip }, async () => {
	const samples = fs.readdirSync(imagesDir).filter((n) => /\.img(\.|$)/.test(n) && !broken(n));
	const name = samples.find((n) => /ext2/.test(n)) || samples[0];
	const bytes = fs.readFileSync(path.join(imagesDir, name)).toString('base64');
	await page.evaluate(({ name, bytes }) => {
		const bin = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bin], name));
		window.__testDrop = dt;
		document.querySelector('[data-testid="app"]').dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
	}, { name, bytes });
	assert.ok(await page.evaluate(() => document.body.classList.contains('dragging')), 'no drop feedback while dragging');
	await shot('inspect-dragging.png');
	await page.evaluate(() => {
		document.querySelector('[data-testid="app"]').dispatchEvent(new DragEvent('drop', { dataTransfer: window.__testDrop, bubbles: true, cancelable: true }));
	});
	await waitReady(name);
	assert.equal(await page.evaluate(() => document.body.classList.contains('dragging')), false, 'drop feedback left on');
	assert.equal(await page.locator('[data-testid="error-banner"]').count(), 0);
	const d = dumpe2fsHeader(rawCopy(path.join(imagesDir, name)));
	assert.equal(await field('blocks_count'), d['Block count']);
	assert.equal(await field('uuid'), d['Filesystem UUID']);
	await shot('inspect-dropped.png');
});

test('every bundled sample opens from the menu', { skip }, async () => {
	const files = await page.$$eval('[data-testid="sample-select"] option', (os) => os.map((o) => o.value).filter(Boolean));
	const onDisk = fs.readdirSync(imagesDir).filter((n) => /\.img(\.(zst|gz|xz))?$/.test(n));
	assert.ok(files.length >= 1, 'no samples in the menu');
	for (const f of files) assert.ok(onDisk.includes(f), `menu lists ${f}, which is not in ${imagesDir}`);
	for (const f of files) {
		await page.selectOption('[data-testid="sample-select"]', f);
		// Either the image is shown, or the banner names it.
		await page.waitForFunction((f) => {
			const app = document.querySelector('[data-testid="app"]');
			const err = document.querySelector('[data-testid="error-text"]');
			return (app.dataset.state === 'ready' && app.dataset.image === f) ||
				(app.dataset.state !== 'loading' && err && err.textContent.startsWith(f + ': '));
		}, f, { timeout });
		const shownName = await page.getAttribute('[data-testid="app"]', 'data-image');
		const shown = shownName === f;
		// The menu names what is on screen, also after a failed open.
		const menu = await page.$eval('[data-testid="sample-select"]', (s) => s.value);
		if (shown) assert.equal(menu, f, 'menu does not name the shown sample');
		else assert.ok(menu !== f && (menu === '' || menu === shownName), `menu shows ${menu} after ${f} failed; page shows ${shownName}`);
		if (broken(f)) {
			// A corrupt sample is either unreadable (banner) or read with problems listed.
			const problems = shown ? Number(await page.getAttribute('[data-testid="problems"]', 'data-count')) : 0;
			assert.ok(!shown || problems > 0, `${f}: shown without any problem listed`);
			await shot(`sample-${f.replace(/\.img.*$/, '')}.png`);
			continue;
		}
		// The message is built only on failure: reading a missing banner would
		// wait out the locator timeout on every sample that opened fine.
		if (!shown) assert.fail(`${f} did not open: ${await page.locator('[data-testid="error-text"]').textContent({ timeout: 1000 }).catch(() => '')}`);
		const d = dumpe2fsHeader(rawCopy(path.join(imagesDir, f)));
		assert.equal(await field('blocks_count'), d['Block count'], `${f} blocks`);
		assert.equal(await field('free_blocks_count'), d['Free blocks'], `${f} free blocks`);
		assert.equal(await field('inodes_count'), d['Inode count'], `${f} inodes`);
		assert.equal(await field('uuid'), d['Filesystem UUID'], `${f} uuid`);
	}
	assert.deepEqual(pageErrors, [], 'console errors');
});
