// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Drives headless Chromium (playwright-core, Debian's /usr/bin/chromium) for
// tests/integration/test_consumers.py and prints what it saw as one JSON
// object on stdout.  NODE_MODULES holds speedscope and playwright-core.
//
//   node speedscope_check.js speedscope NODE_MODULES PROFILE.json SHOT_PREFIX
// Loads the profile into the real speedscope web app, both served from
// 127.0.0.1 and opened with index.html#profileURL=... as speedscope's docs
// describe.  Reports the page title and text, pixel statistics of the drawn
// flame chart, the Sandwich view's table (each frame's name, file, total and
// self as speedscope computed them) and any page errors.
//
//   node speedscope_check.js svg NODE_MODULES PROFILE.svg SHOT_PREFIX ZOOM SEARCH
// Opens pyprof's own SVG flame graph and uses it as a person would: hovers
// and clicks (zooms into) the widest frame whose name starts with ZOOM,
// reads the widths of it, of its widest child and of a frame outside it,
// clicks "Reset Zoom", then searches for the regular expression SEARCH
// through the page's own prompt and reads the matched percentage and which
// frames changed colour.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const [mode, nodeModules, profilePath, shotPrefix, zoomName, searchTerm] = process.argv.slice(2);
if (!shotPrefix || (mode !== 'speedscope' && mode !== 'svg') || (mode === 'svg' && !searchTerm)) {
	console.error('usage: node speedscope_check.js speedscope NODE_MODULES PROFILE SHOT_PREFIX\n' +
		      '       node speedscope_check.js svg NODE_MODULES PROFILE SHOT_PREFIX ZOOM SEARCH');
	process.exit(2);
}
const { chromium } = require(path.join(nodeModules, 'playwright-core'));
const dist = path.join(nodeModules, 'speedscope', 'dist', 'release');
const profileExt = path.extname(profilePath);

const TYPES = {
	'.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
	'.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.wasm': 'application/wasm',
	'.txt': 'text/plain', '.svg': 'image/svg+xml',
};

// /profile.EXT is the profile; anything else comes from speedscope's dist.
function serve(req, res) {
	const url = new URL(req.url, 'http://127.0.0.1');
	let file;
	if (url.pathname === '/profile' + profileExt)
		file = profilePath;
	else if (url.pathname === '/')
		file = path.join(dist, 'index.html');
	else
		// An absolute path normalizes to no ".." above "/": it stays under dist.
		file = path.join(dist, path.normalize(decodeURIComponent(url.pathname)));
	fs.readFile(file, (err, data) => {
		if (err) {
			res.writeHead(404);
			res.end();
			return;
		}
		res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
		res.end(data);
	});
}

// Fraction of non-background pixels and number of distinct colours in a
// screenshot region, decoded by the browser itself (no PNG library here).
async function pixelStats(browser, png, clip) {
	const page = await browser.newPage();
	try {
		return await page.evaluate(async ({ url, clip }) => {
			const img = new Image();
			img.src = url;
			await img.decode();
			const c = document.createElement('canvas');
			c.width = clip.width;
			c.height = clip.height;
			const ctx = c.getContext('2d');
			ctx.drawImage(img, clip.x, clip.y, clip.width, clip.height, 0, 0, clip.width, clip.height);
			const d = ctx.getImageData(0, 0, clip.width, clip.height).data;
			const colours = new Set();
			let painted = 0;
			for (let i = 0; i < d.length; i += 4) {
				colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
				if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)
					painted++;
			}
			return { painted: painted / (d.length / 4), colours: colours.size };
		}, { url: 'data:image/png;base64,' + png.toString('base64'), clip });
	} finally {
		await page.close();
	}
}

async function checkSpeedscope(browser, base, result) {
	// Tall enough for the Sandwich table, a virtual list, to render every row.
	const viewport = { width: 1280, height: 1600 };
	const page = await browser.newPage({ viewport });
	watch(page, result);
	await page.goto(`${base}/index.html#profileURL=${encodeURIComponent(base + '/profile.json')}`);
	// Loaded: the view switcher and a canvas are up, or speedscope gave up.
	await page.waitForFunction(() => {
		const t = document.body.innerText;
		return /Something went wrong/.test(t) ||
			(document.querySelector('canvas') && /Sandwich/.test(t) && !/Loading/.test(t));
	}, null, { timeout: 20000 });
	// The flame chart draws on the next animation frames.
	await page.waitForTimeout(500);
	result.title = await page.title();
	result.text = await page.evaluate(() => document.body.innerText);
	if (/Something went wrong/.test(result.text) || result.errors.length)
		return;
	const png = await shot(page, result, '-flamechart.png');
	// The flame chart proper: below the toolbar and the minimap.
	result.flamechart = await pixelStats(browser, png,
		{ x: 0, y: 140, width: viewport.width, height: 400 });

	// Sandwich view ("3"): a table of every frame with speedscope's own
	// total and self, which the caller checks against the input.
	await page.keyboard.press('3');
	await page.waitForSelector('td + td + td', { timeout: 10000 });
	await page.waitForTimeout(300);
	result.rows = await page.evaluate(() => {
		const pct = (td) => {
			const bar = td.querySelector('div[style*="width"]');
			return bar ? parseFloat(bar.style.width) : null;
		};
		const rows = [];
		for (const tr of document.querySelectorAll('tr')) {
			const td = tr.querySelectorAll('td');
			if (td.length !== 3)
				continue;
			rows.push({
				name: td[2].textContent, file: td[2].getAttribute('title'),
				total: td[0].textContent, totalPct: pct(td[0]),
				self: td[1].textContent, selfPct: pct(td[1]),
			});
		}
		return rows;
	});
	await shot(page, result, '-sandwich.png');
}

async function checkSvg(browser, base, result) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	watch(page, result);
	await page.goto(`${base}/profile.svg`);
	await page.waitForSelector('g > title', { state: 'attached', timeout: 10000 });
	// Frames: <g> holding a <title> and a <rect>; tagged for the steps below.
	const pick = await page.evaluate((zoom) => {
		const frames = [];
		for (const g of document.querySelectorAll('g')) {
			const title = g.querySelector(':scope > title'), rect = g.querySelector(':scope > rect');
			if (title && rect)
				frames.push({ g, title: title.textContent, rect });
		}
		const box = (f) => f.rect.getBoundingClientRect();
		const inside = (f, z) => box(f).left >= box(z).left - 0.5 && box(f).right <= box(z).right + 0.5;
		let target = null;
		for (const f of frames)
			if (f.title.startsWith(zoom + ' (') && (!target || box(f).width > box(target).width))
				target = f;
		if (!target)
			return { frames: frames.length };
		// The child row is the nearest one above (roots are at the bottom).
		let child = null, outside = null;
		for (const f of frames) {
			const b = box(f);
			if (b.top < box(target).top && inside(f, target) &&
			    (!child || b.top > box(child).top ||
			     (b.top === box(child).top && b.width > box(child).width)))
				child = f;
			if (b.top === box(target).top && !inside(f, target) &&
			    (!outside || b.width > box(outside).width))
				outside = f;
		}
		target.g.setAttribute('data-check', 'target');
		if (child)
			child.g.setAttribute('data-check', 'child');
		if (outside)
			outside.g.setAttribute('data-check', 'outside');
		return { frames: frames.length, target: target.title, child: child && child.title,
			 outside: outside && outside.title };
	}, zoomName);
	Object.assign(result, pick);
	if (!pick.target)
		return;
	const widths = () => page.evaluate(() => {
		const w = {};
		for (const g of document.querySelectorAll('g[data-check]')) {
			const r = g.querySelector(':scope > rect');
			w[g.getAttribute('data-check')] =
				getComputedStyle(g).display === 'none' ? 0 : r.getBoundingClientRect().width;
		}
		const u = document.getElementById('unzoom');
		w.unzoomVisible = !!u && getComputedStyle(u).visibility !== 'hidden' &&
			getComputedStyle(u).display !== 'none';
		const d = document.getElementById('details');
		w.details = d ? d.textContent : null;
		return w;
	});
	result.before = await widths();
	const target = page.locator('g[data-check="target"] > rect');
	await target.hover();
	result.hover = (await widths()).details;
	await target.click();
	await page.waitForTimeout(200);
	result.zoomed = await widths();
	await shot(page, result, '-zoomed.png');
	const unzoom = page.locator('#unzoom');
	if (await unzoom.count()) {
		await unzoom.click();
		await page.waitForTimeout(200);
		result.reset = await widths();
	}
	// Search through the page's own prompt, as a person clicking "Search" would.
	const search = page.locator('#search');
	if (await search.count()) {
		const fills = await page.evaluate(() => {
			const f = {};
			for (const g of document.querySelectorAll('g')) {
				const t = g.querySelector(':scope > title'), r = g.querySelector(':scope > rect');
				if (t && r)
					f[t.textContent] = r.getAttribute('fill');
			}
			return f;
		});
		page.once('dialog', (d) => d.accept(searchTerm));
		await search.click();
		await page.waitForTimeout(200);
		result.matched = await page.evaluate(() => {
			const m = document.getElementById('matched');
			return m ? m.textContent : null;
		});
		result.highlighted = await page.evaluate((before) => {
			const changed = [];
			for (const g of document.querySelectorAll('g')) {
				const t = g.querySelector(':scope > title'), r = g.querySelector(':scope > rect');
				if (t && r && r.getAttribute('fill') !== before[t.textContent])
					changed.push(t.textContent);
			}
			return changed;
		}, fills);
		await shot(page, result, '-search.png');
	}
}

function watch(page, result) {
	page.on('pageerror', (e) => result.errors.push('pageerror: ' + e.message));
	// HTTP errors are reported by URL below: the browser's own favicon probe may fail.
	page.on('console', (m) => {
		if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
			result.errors.push('console: ' + m.text());
	});
	page.on('requestfailed', (r) => result.errors.push('request failed: ' + r.url()));
	page.on('response', (r) => {
		if (r.status() >= 400 && !/\/favicon\.ico$/.test(r.url()))
			result.errors.push(`HTTP ${r.status()}: ${r.url()}`);
	});
}

async function shot(page, result, suffix) {
	const png = await page.screenshot({ path: shotPrefix + suffix });
	result.screenshots.push(shotPrefix + suffix);
	return png;
}

async function main() {
	const server = http.createServer(serve);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const base = `http://127.0.0.1:${server.address().port}`;
	const result = { errors: [], screenshots: [] };
	let browser = null;
	try {
		browser = await chromium.launch({
			executablePath: '/usr/bin/chromium',
			timeout: 30000,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			       '--disable-background-networking', '--disable-component-update',
			       '--disable-sync'],
		});
		if (mode === 'speedscope')
			await checkSpeedscope(browser, base, result);
		else
			await checkSvg(browser, base, result);
	} finally {
		if (browser)
			await browser.close();
		server.close();
		process.stdout.write(JSON.stringify(result) + '\n');
	}
}

main().catch((e) => {
	console.error(e && e.stack || String(e));
	process.exit(1);
});
