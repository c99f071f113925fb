// Browser test of the "New image" form: mkfs in the page, the inspector
// showing the result, and Download; the downloaded file is checked with
// e2fsprogs (e2fsck -fn, dumpe2fs -h). Served like inspect.test.mjs
// (EXT4PLAY_URL, set by ./build.sh test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const shots = path.join(repo, 'test-output', 'screenshots');
const baseURL = process.env.EXT4PLAY_URL;
const timeout = 60_000;

let context, page, tmp;
const pageErrors = [];

function dumpe2fsHeader(raw) {
	const out = execFileSync('dumpe2fs', ['-h', raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	const m = {};
	for (const line of out.split('\n')) {
		const i = line.indexOf(':');
		if (i > 0) m[line.slice(0, i).trim()] = line.slice(i + 1).trim();
	}
	return m;
}

async function field(key) {
	return (await page.locator(`[data-field="${key}"]`).first().textContent()).trim();
}

// create fills the form and waits until the inspector shows the new image
// (named new-SIZE[-Nk][-LABEL].img by the page).
async function create({ size, bs = '', label = '', off = [] }) {
	const name = `new-${size}${bs ? `-${bs / 1024}k` : ''}${label ? `-${label}` : ''}.img`;
	if (!(await page.locator('[data-testid="newimage-form"]').isVisible())) {
		await page.click('[data-testid="newimage-toggle"]');
	}
	await page.fill('[data-testid="ni-size"]', size);
	await page.selectOption('[data-testid="ni-bs"]', bs);
	await page.fill('[data-testid="ni-label"]', label);
	for (const f of off) await page.uncheck(`[data-testid="newimage-form"] input[data-feature="${f}"]`);
	const t0 = Date.now();
	await page.click('[data-testid="ni-create"]');
	await page.waitForSelector(`[data-testid="app"][data-state="ready"][data-image="${name}"]`, { timeout });
	const ms = Date.now() - t0;
	assert.equal(await page.locator('[data-testid="ni-error"]').count(), 0, 'form shows an error');
	return ms;
}

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-newimage-'));
	if (!baseURL) return;
	({ context, page } = await launch(tmp, { viewport: { width: 1440, height: 900 }, errors: pageErrors }));
	await page.goto(new URL('#image', baseURL).href);
	await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout });
});

after(async () => {
	if (context) await context.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const skip = baseURL ? false : 'EXT4PLAY_URL is not set (./build.sh test sets it)';

test('32M 1k-block image: inspector, download, e2fsck and dumpe2fs agree', { skip }, async () => {
	const ms = await create({ size: '32M', bs: '1024', label: 't1' });
	console.log(`32M 1k image made and shown in ${ms} ms`);
	assert.equal(await page.getAttribute('[data-testid="app"]', 'data-image'), 'new-32M-1k-t1.img');
	assert.equal(await field('blocks_count'), '32768');
	assert.equal(await field('block_size'), '1024');
	assert.equal(await field('volume_name'), 't1');
	assert.equal(await page.getAttribute('[data-testid="problems"]', 'data-count'), '0');

	// Both download formats; each must be a clean file system with the
	// counts the page shows.
	const shown = {
		'Block count': await field('blocks_count'),
		'Free blocks': await field('free_blocks_count'),
		'Inode count': await field('inodes_count'),
		'Free inodes': await field('free_inodes_count'),
		'Filesystem UUID': await field('uuid'),
	};
	// The same form given to the real mke2fs gives the same geometry.
	const ref = path.join(tmp, 'mke2fs.img');
	execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', '-L', 't1', ref, '32M'], { stdio: 'ignore' });
	const want = dumpe2fsHeader(ref);
	for (const k of ['Block count', 'Free blocks', 'Inode count', 'Free inodes']) assert.equal(shown[k], want[k], `page vs mke2fs: ${k}`);
	const reserved = want['Reserved block count'];
	for (const fmt of ['img', 'img.zst']) {
		await page.selectOption('[data-testid="ni-format"]', fmt);
		const [dl] = await Promise.all([
			page.waitForEvent('download', { timeout }),
			page.click('[data-testid="ni-download"]'),
		]);
		assert.equal(dl.suggestedFilename(), `new-32M-1k-t1.${fmt}`);
		const file = path.join(tmp, dl.suggestedFilename());
		await dl.saveAs(file);
		let raw = file;
		if (fmt === 'img.zst') {
			raw = path.join(tmp, 'from-zst.img');
			execFileSync('zstd', ['-dqf', file, '-o', raw]);
		}
		assert.equal(fs.statSync(raw).size, 32 << 20, `${fmt}: size`);
		const fsck = spawnSync('e2fsck', ['-fn', raw], { encoding: 'utf8' });
		assert.equal(fsck.status, 0, `${fmt}: e2fsck -fn exit ${fsck.status}:\n${fsck.stdout}${fsck.stderr}`);
		const d = dumpe2fsHeader(raw);
		for (const [k, v] of Object.entries(shown)) assert.equal(d[k], v, `${fmt}: ${k}`);
		assert.equal(d['Filesystem volume name'], 't1');
		assert.equal(d['Block size'], '1024');
		assert.equal(d['Reserved block count'], reserved, `${fmt}: reserved blocks (-m 5)`);
	}
	assert.deepEqual(pageErrors, []);
});

test('a loaded sample downloads as the same bytes', { skip }, async () => {
	// A fresh load (a hash-only navigation would keep the made image).
	await page.goto('about:blank');
	await page.goto(new URL('#image', baseURL).href);
	await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout });
	const name = await page.getAttribute('[data-testid="app"]', 'data-image');
	const imagesDir = process.env.EXT4PLAY_IMAGES || path.join(repo, 'examples', 'images');
	const src = path.join(imagesDir, name);
	assert.ok(name.endsWith('.img.zst') && fs.existsSync(src), `sample ${name}`);
	await page.selectOption('[data-testid="ni-format"]', 'img');
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout }),
		page.click('[data-testid="ni-download"]'),
	]);
	assert.equal(dl.suggestedFilename(), name.replace(/\.zst$/, ''));
	const file = path.join(tmp, 'sample-download.img');
	await dl.saveAs(file);
	const want = execFileSync('zstd', ['-dc', src], { maxBuffer: 1 << 30 });
	assert.ok(fs.readFileSync(file).equals(want), 'downloaded bytes differ from the decompressed sample');
});

test('feature checkboxes: has_journal off gives an image without a journal', { skip }, async () => {
	await create({ size: '8M', label: 'nj', off: ['has_journal'] });
	const feats = await page.$$eval('[data-testid="features"] [data-feature]', (els) => els.map((e) => e.textContent.trim()));
	assert.ok(!feats.includes('has_journal'), `features: ${feats}`);
	assert.ok(feats.includes('metadata_csum'), `features: ${feats}`);
	assert.equal(await page.locator('[data-testid="journal"]').count(), 0);
	// Put it back for the next tests.
	await page.click('[data-testid="newimage-toggle"]');
	await page.check('[data-testid="newimage-form"] input[data-feature="has_journal"]');
});

test('bad size is shown next to the form, the image on screen stays', { skip }, async () => {
	const before = await page.getAttribute('[data-testid="app"]', 'data-image');
	if (!(await page.locator('[data-testid="newimage-form"]').isVisible())) {
		await page.click('[data-testid="newimage-toggle"]');
	}
	await page.fill('[data-testid="ni-size"]', '12Q');
	await page.click('[data-testid="ni-create"]');
	const err = await page.locator('[data-testid="ni-error"]').textContent();
	assert.match(err, /size/);
	assert.equal(await page.getAttribute('[data-testid="app"]', 'data-image'), before);
});

test('16G image is made quickly and shows its block count', { skip }, async () => {
	const ms = await create({ size: '16G', bs: '', label: 'big' });
	console.log(`16G image made and shown in ${ms} ms`);
	assert.equal(await field('blocks_count'), String(16 * 2 ** 30 / 4096));
	assert.equal(await field('block_size'), '4096');
	assert.ok(ms < 20_000, `16G took ${ms} ms`);
	// The form over the inspector, for a look.
	await page.click('[data-testid="newimage-toggle"]');
	fs.mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: path.join(shots, 'newimage.png') });
	assert.deepEqual(pageErrors, []);
});
