// Shared set-up of the browser tests: Debian's chromium driven by
// playwright-core, with the flags this closed network needs (no background
// connections, no component updates) and a fresh profile per test file.
import path from 'node:path';
import { chromium } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// launch starts chromium with a new profile under dir; page errors and
// console errors of every page go into errors.
export async function launch(dir, { viewport, errors }) {
	const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
		executablePath: chromiumPath,
		headless: true,
		acceptDownloads: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport,
	});
	context.on('page', (p) => watchErrors(p, errors));
	const page = context.pages()[0] || (await context.newPage());
	watchErrors(page, errors);
	return { context, page };
}

function watchErrors(page, errors) {
	if (page.__ext4playWatched) return;
	page.__ext4playWatched = true;
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => {
		if (m.type() === 'error') errors.push(m.text());
	});
}
