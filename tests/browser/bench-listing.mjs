// bench-listing.mjs — how long the browser UI takes to show a big folder:
// from navigation start to the list rendered (app.js marks "ferry:listed"),
// in Debian's headless chromium, median of RUNS fresh loads. A benchmark,
// not a test: run by tests/browser/bench-listing.sh, which starts ferryd.
//   node bench-listing.mjs --url URL [--runs 7] [--js-dir tests/js]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, npm, CHROMIUM_ARGS } from './common.mjs';

const URL_ = arg('url');
const RUNS = Number(arg('runs', 7));
const { chromium } = npm('playwright-core');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: arg('chromium', '/usr/bin/chromium'), headless: true,
  args: CHROMIUM_ARGS,
});
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  const times = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    await page.goto(URL_ + (URL_.includes('?') ? '&' : '?') + 'run=' + i);
    await page.waitForFunction(() => performance.getEntriesByName('ferry:listed').length > 0, null, { timeout: 30000 });
    times.push(await page.evaluate(() => performance.getEntriesByName('ferry:listed')[0].startTime));
    rows = await page.$$eval('.f-list .f-row', (l) => l.length);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(`first listing of ${URL_}: ${rows} rows, median ${med.toFixed(1)} ms ` +
    `(min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)}, ${RUNS} loads; budget 300 ms)`);
} finally {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
