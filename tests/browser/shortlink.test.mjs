// Short links in the page: "Short link" asks the share service (here
// `ext4play serve`, which runs the worker's handler) for /s/<id>; opening
// it in a fresh page redirects to the full link and shows the same run at
// the same step.
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

let context, page, tmp;
const pageErrors = [];

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext4play-short-'));
	if (!baseURL) return;
	({ context, page } = await launch(tmp, { viewport: { width: 1600, height: 1000 }, errors: pageErrors }));
});

after(async () => {
	if (context) await context.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const pg = (p) => p.locator('[data-testid="playground"]');

test('a short link opens the same run at the same step', { skip: !baseURL }, async () => {
	await page.goto(new URL('#play', baseURL).href);
	await page.waitForSelector('[data-testid="playground"][data-verdict]', { timeout });
	await page.locator('[data-testid="example-select"]').selectOption('race-r1-v4.5-rc3');
	await page.locator('[data-testid="run"]').click();
	await page.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout });
	// Share from a step before the verdict, so the step is part of the link.
	const max = Number(await pg(page).getAttribute('data-max-step'));
	const step = max - 1;
	await page.locator('[data-testid="step-back"]').click();
	await page.waitForSelector(`[data-testid="playground"][data-step="${step}"]`, { timeout });

	await page.locator('[data-testid="short-link"]').click();
	const input = page.locator('[data-testid="share-url"]');
	await page.waitForFunction(() => /\/s\/[a-z2-7]{10}$/.test(document.querySelector('[data-testid="share-url"]')?.value || ''), null, { timeout });
	const short = await input.inputValue();
	assert.ok(short.startsWith(new URL(baseURL).origin + '/s/'), short);
	assert.match(await page.locator('[data-testid="share-msg"]').textContent(), new RegExp(`step ${step}`));
	fs.mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: path.join(shots, 'shortlink-made.png') });

	const fresh = await context.newPage();
	await fresh.goto(short);
	await fresh.waitForSelector('[data-testid="playground"][data-verdict="sleep-in-atomic"]', { timeout });
	assert.match(fresh.url(), /#s=1\./, 'the short link redirected to the full #s= link');
	assert.equal(Number(await pg(fresh).getAttribute('data-step')), step);
	assert.equal(Number(await pg(fresh).getAttribute('data-max-step')), max);
	await fresh.screenshot({ path: path.join(shots, 'shortlink-opened.png') });
	await fresh.close();
	assert.deepEqual(pageErrors, []);
});

test('an unknown short link says so', { skip: !baseURL }, async () => {
	const r = await page.goto(new URL('/s/aaaaaaaaaa', baseURL).href);
	assert.equal(r.status(), 404);
	assert.match(await page.locator('body').textContent(), /no shared run with id aaaaaaaaaa/);
});
