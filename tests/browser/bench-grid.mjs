// bench-grid.mjs — what the browser UI's grid costs a phone on a folder of
// big pictures: Debian's headless chromium at a phone's size (390x844, 3x
// pixels), grid view, each load in a fresh context (nothing cached). Two
// ways, alternating: "thumbnails" (the UI as it is: ?thumb=1, the server's
// small JPEGs) and "originals" (the same page with ?thumb=1 taken off every
// request, as the UI was before). Reports, as medians of RUNS loads each:
// ms from navigation to every picture on screen drawn, and the bytes of
// pictures fetched by then and once the network is idle (lazy loading
// fetches some below the screen too). A benchmark, not a test: run by
// tests/browser/bench-grid.sh, which makes the folder and starts ferryd.
//   node bench-grid.mjs --url URL [--runs 5] [--js-dir tests/js]
import { arg, npm, CHROMIUM_ARGS } from './common.mjs';

const URL_ = arg('url');
const RUNS = Number(arg('runs', 5));
const { chromium } = npm('playwright-core');

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// One load; returns {ms, onScreen, idle} (bytes of pictures).
async function load(browser, originals) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 });
  await ctx.addInitScript(() => localStorage.setItem('ferry.view', 'grid'));
  if (originals)
    await ctx.route(/\?thumb=1$/, (route) => route.continue({ url: route.request().url().replace(/\?thumb=1$/, '') }));
  const page = await ctx.newPage();
  const sizes = [];
  page.on('requestfinished', async (r) => {
    if (r.resourceType() === 'image') sizes.push((await r.sizes()).responseBodySize);
  });
  await page.goto(URL_);
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.f-grid img.f-thumb')];
    return imgs.length > 0 && imgs.filter((i) => i.getBoundingClientRect().top < innerHeight)
      .every((i) => i.complete && i.naturalWidth > 0);
  }, null, { timeout: 60000, polling: 10 });
  const ms = await page.evaluate(() => performance.now());
  const onScreen = sizes.reduce((a, b) => a + b, 0);
  await page.waitForLoadState('networkidle');
  const idle = sizes.reduce((a, b) => a + b, 0);
  await ctx.close();
  return { ms, onScreen, idle };
}

const browser = await chromium.launch({ executablePath: arg('chromium', '/usr/bin/chromium'),
  headless: true, args: CHROMIUM_ARGS });
try {
  const got = { thumbnails: [], originals: [] };
  for (let i = 0; i < RUNS; i++)
    for (const way of i % 2 ? ['originals', 'thumbnails'] : ['thumbnails', 'originals'])
      got[way].push(await load(browser, way === 'originals'));
  const MiB = (b) => (b / 1048576).toFixed(2) + ' MiB';
  const row = {};
  for (const way of ['thumbnails', 'originals']) {
    row[way] = { ms: median(got[way].map((x) => x.ms)), onScreen: median(got[way].map((x) => x.onScreen)),
      idle: median(got[way].map((x) => x.idle)) };
    console.log(`${way.padEnd(10)}: pictures on screen drawn in ${row[way].ms.toFixed(0)} ms, ` +
      `${MiB(row[way].onScreen)} fetched by then, ${MiB(row[way].idle)} once idle (median of ${RUNS})`);
  }
  console.log(`thumbnails/originals: time ${(row.thumbnails.ms / row.originals.ms).toFixed(2)}, ` +
    `bytes on screen ${(row.thumbnails.onScreen / row.originals.onScreen).toFixed(3)}, ` +
    `bytes once idle ${(row.thumbnails.idle / row.originals.idle).toFixed(3)}`);
} finally {
  await browser.close();
}
