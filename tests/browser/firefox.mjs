// firefox.mjs — ferry's browser UI (www/) in Firefox: Debian's firefox-esr,
// headless, driven over WebDriver BiDi by puppeteer-core (npm, tests/js/),
// against a running ferryd (--auth open) whose folder t-browser.sh prepared
// (ROOT/photos/{a-big.bin,b-small.txt,c-mid.txt}, ROOT/gallery/{pic.png,guide.pdf},
// ROOT/notes.txt) and ui.mjs used before. The same features as in Chromium,
// fewer checks: listing and sort, filter, preview, grid thumbnail, a PDF, new
// folder and an upload through the picker (tus) checked on disk, the Share
// dialog's QR code (zbarimg), a phone-size screenshot. Prints "ok - DESC" /
// "not ok - DESC" lines; CHECKS below is how many.
//
//   node firefox.mjs --base URL --root DIR --src DIR --out DIR [--shots DIR]
//                    [--js-dir tests/js] [--firefox /usr/bin/firefox-esr]
import fs from 'node:fs';
import path from 'node:path';
import { arg, T, npm, ok, died, finish, sha256, zbar } from './common.mjs';

const BASE = arg('base');
const ROOT = arg('root');
const SRC = arg('src');
const OUT = arg('out');
const SHOTS = arg('shots');
const EXE = arg('firefox', '/usr/bin/firefox-esr');
export const CHECKS = 10;

const puppeteer = npm('puppeteer-core');
const names = (page) => page.$$eval('.f-list .f-row:not(.f-up-row) > a', (as) => as.map((a) => a.textContent));
// Waits until the list shows `want` (in order); returns what it shows.
async function settle(page, want) {
  await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll(
    '.f-list .f-row:not(.f-up-row) > a')].map((a) => a.textContent)) === JSON.stringify(w),
  { timeout: T }, want).catch(() => {});
  return names(page);
}
// Opens the menu of the button `btn` and picks its item labelled `label`.
async function menu(page, btn, label) {
  await page.click(btn);
  await page.waitForSelector('.f-menu [role=menuitem]');
  await page.evaluate((l) => [...document.querySelectorAll('.f-menu [role=menuitem]')]
    .find((e) => e.textContent === l).click(), label);
}
const until = (page, fn, ...args) => page.waitForFunction(fn, { timeout: T }, ...args)
  .then((h) => h.jsonValue(), () => null);

const profile = fs.mkdtempSync(path.join(OUT, 'firefox-'));
const problems = [];
const browser = await puppeteer.launch({
  browser: 'firefox', executablePath: EXE, headless: true, userDataDir: profile,
  extraPrefsFirefox: { 'network.proxy.type': 0, 'app.update.enabled': false,
    'browser.shell.checkDefaultBrowser': false },
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(T);
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:')) problems.push('foreign request: ' + u);
  });
  await page.setViewport({ width: 1280, height: 800 });
  const version = await browser.version();

  await page.goto(BASE + '/photos/');
  let got = await settle(page, ['a-big.bin', 'b-small.txt', 'c-mid.txt']);
  ok(JSON.stringify(got) === '["a-big.bin","b-small.txt","c-mid.txt"]',
    `${version}: photos/ listed by the UI, by name`, JSON.stringify(got));
  await page.click('button[aria-label="Sort by size"]');
  got = await settle(page, ['a-big.bin', 'c-mid.txt', 'b-small.txt']);
  ok(JSON.stringify(got) === '["a-big.bin","c-mid.txt","b-small.txt"]', 'Firefox: sort by size', JSON.stringify(got));
  await page.type('input[aria-label="Filter by name"]', 'small');
  got = await settle(page, ['b-small.txt']);
  ok(JSON.stringify(got) === '["b-small.txt"]', 'Firefox: the filter box', JSON.stringify(got));
  await page.click('button[aria-label="Sort by name"]'); // the sort is remembered: back to names

  await page.click('.f-list a[href$="b-small.txt"]');
  const pre = await until(page, () => {
    const p = document.querySelector('dialog[open] pre.f-text');
    return p && p.textContent !== 'Loading…' ? p.textContent : false;
  });
  ok(pre === '0123456789', 'Firefox: a text file previews inline', pre);
  await page.click('button[aria-label="Close preview"]');

  await page.goto(BASE + '/gallery/');
  await page.waitForSelector('.f-list a');
  if (await page.$eval('button[aria-label="Grid view"]', (b) => b.getAttribute('aria-pressed')) !== 'true')
    await page.click('button[aria-label="Grid view"]');
  const thumb = await until(page, () => {
    const i = document.querySelector('.f-grid .f-tile img.f-thumb');
    return i && i.complete && i.naturalWidth;
  });
  ok(thumb === 4, 'Firefox: grid view with a loaded thumbnail', 'naturalWidth ' + thumb);
  await page.click('button[aria-label="Grid view"]'); // back to the list

  // a PDF previews in Firefox's own viewer (pdf.js), framed: its text layer
  // shows the page's text
  await page.click('.f-list a[href$="guide.pdf"]');
  let pdfText = null;
  for (const end = Date.now() + T; !pdfText && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const f = page.frames().find((x) => x.url().endsWith('/gallery/guide.pdf'));
    if (f) pdfText = await f.evaluate(() => (document.querySelector('.textLayer') || {}).textContent).catch(() => null);
  }
  ok(pdfText === 'Hello from ferry', 'Firefox: a PDF previews inline in pdf.js (its text layer reads right)', pdfText);
  await page.click('button[aria-label="Close preview"]');

  // new folder, then an upload into it through the picker (tus)
  await page.goto(BASE + '/');
  await page.waitForSelector('.f-list a');
  await menu(page, 'button.f-new', 'New folder');
  await page.type('input[aria-label="Name of the new folder"]', 'from firefox');
  await page.click('button[aria-label="Create folder"]');
  const made = await until(page, () => [...document.querySelectorAll('.f-list a')].some((a) => a.textContent === 'from firefox'));
  ok(made && fs.statSync(path.join(ROOT, 'from firefox')).isDirectory(),
    'Firefox: New folder is listed and made on disk');
  await page.goto(BASE + '/from%20firefox/');
  await page.waitForSelector('button.f-new', { visible: true });
  const file = fs.readdirSync(SRC).find((f) => f.endsWith('.bin'));
  const input = await page.$('input[aria-label="Choose files to upload"]');
  await input.uploadFile(path.join(SRC, file));
  const done = await until(page, (n) => [...document.querySelectorAll('.f-up')].some(
    (x) => x.dataset.name === n && x.dataset.state === 'done'), file);
  const dst = path.join(ROOT, 'from firefox', file);
  ok(done && fs.existsSync(dst) && sha256(dst) === sha256(path.join(SRC, file)),
    `Firefox: "${file}" uploaded through the picker (tus), same sha256 on disk`);

  // Share: the QR code as Firefox draws it
  await page.setViewport({ width: 360, height: 740 });
  await menu(page, 'button[aria-label="More actions"]', 'Share');
  await page.waitForSelector('dialog input[aria-label=Link]');
  const link = await page.$eval('dialog input[aria-label=Link]', (i) => i.value);
  const png = path.join(OUT, 'firefox-share-qr.png');
  await (await page.$('.f-qr')).screenshot({ path: png });
  const qr = zbar(png);
  ok(link === BASE + '/from%20firefox/' && qr === link, 'Firefox: the Share dialog\'s QR code reads as the folder\'s link',
    `link "${link}"`, `QR "${qr}"`);
  await page.screenshot({ path: path.join(OUT, 'firefox-share-360.png') });
  if (SHOTS) fs.copyFileSync(path.join(OUT, 'firefox-share-360.png'), path.join(SHOTS, 'firefox-share-360.png'));

  ok(problems.length === 0, 'Firefox: no console error, page error or request to another host', ...problems);
} catch (e) {
  died(e);
  for (const p of problems) console.log('# ' + p);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
finish(CHECKS);
