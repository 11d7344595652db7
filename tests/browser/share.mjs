// share.mjs — the browser UI's Share dialog (www/app.js, POST /.ferry/share)
// in Debian's headless chromium through playwright-core, against two
// running ferryd sharing the same folder (ROOT/gallery/pic.png exists): one
// with --auth token (its pairing URL PAIR), one with --auth open (OPEN).
// Run by tests/integration/t-browser.sh. Prints "ok - DESC" / "not ok -
// DESC" lines (with "# ..." diagnostics); CHECKS below is how many.
//
//   node share.mjs --pair URL --open URL --out DIR [--shots DIR]
//                  [--js-dir tests/js] [--chromium /usr/bin/chromium]
import fs from 'node:fs';
import path from 'node:path';
import { arg, T, npm, CHROMIUM_ARGS, ok, died, finish, zbar } from './common.mjs';

const PAIR = arg('pair');
const OPEN = arg('open');
const OUT = arg('out');
const SHOTS = arg('shots');
const EXE = arg('chromium', '/usr/bin/chromium');
const TOKEN = new URL(PAIR).origin;
export const CHECKS = 10;

const { chromium } = npm('playwright-core');

// What zbarimg reads in a screenshot of the page's QR code ('' if nothing).
async function decodeQr(page, name) {
  const png = path.join(OUT, name);
  await page.locator('.f-qr').screenshot({ path: png });
  return zbar(png);
}

// Opens the Share dialog and waits for its link; returns the link's text.
async function openShare(page) {
  await page.click('button[aria-label="More actions"]');
  await page.click('.f-menu [role=menuitem] > span:text-is("Share")');
  await page.waitForSelector('dialog[aria-label=Share] input[aria-label=Link]');
  return page.inputValue('dialog input[aria-label=Link]');
}

const problems = [];
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon\.ico/.test(m.location().url || '')) problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(TOKEN + '/') && !u.startsWith(OPEN) && !u.startsWith('data:'))
      problems.push('foreign request: ' + u);
  });
  page.setDefaultTimeout(T);
  return page;
}

const browser = await chromium.launch({
  executablePath: EXE, headless: true,
  args: CHROMIUM_ARGS,
});
try {
  // ---------------------------------------------------------- token mode
  const host = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = watch(await host.newPage());
  await page.goto(PAIR);
  await page.goto(TOKEN + '/gallery/');
  await page.waitForSelector('.f-list a');
  let link = await openShare(page);
  const re = new RegExp('^' + TOKEN.replace(/[.]/g, '\\.') + '/\\.ferry/pair\\?token=[A-Za-z0-9_-]{43}&to=/gallery/$');
  const note = await page.textContent('dialog .f-share-link .f-muted');
  const local = await page.textContent('dialog .f-share-link .f-error').catch(() => '');
  ok(re.test(link) && /works once/.test(note) && /see and download/.test(note) && /this device only/.test(local),
    'Share (paired, read-write browser): a one-time read-only pairing link to this folder, flagged loopback',
    link, note, local);
  const qr = await decodeQr(page, 'share-qr.png');
  ok(qr === link, 'zbarimg reads the same link from the QR code the page draws', `QR "${qr}"`, `link "${link}"`);
  await page.screenshot({ path: path.join(OUT, 'share-phone.png') });
  if (SHOTS) fs.copyFileSync(path.join(OUT, 'share-phone.png'), path.join(SHOTS, 'share-phone.png'));

  const box = page.locator('dialog input[type=checkbox]');
  await box.check();
  await page.waitForFunction((old) => {
    const i = document.querySelector('dialog input[aria-label=Link]');
    return i && i.value !== old;
  }, link);
  const rwLink = await page.inputValue('dialog input[aria-label=Link]');
  const rwNote = await page.textContent('dialog .f-share-link .f-muted');
  ok(re.test(rwLink) && rwLink !== link && /upload and change/.test(rwNote),
    '"Let them upload and change files" makes a new, read-write link', rwLink, rwNote);
  await page.click('dialog button[aria-label=Close]');

  // another device opens the read-only link
  const other = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const p2 = watch(await other.newPage());
  await p2.goto(link);
  const landed = new URL(p2.url()).pathname;
  const shown = await p2.waitForSelector('.f-row[data-name="pic.png"] > a').then(() => true, () => false);
  ok(landed === '/gallery/' && shown, 'a fresh browser opening it is paired and lands on the folder', p2.url());
  // (the page asks OPTIONS what it may do before it lists: no wait needed)
  ok(await p2.isHidden('button[aria-label="Upload files"]') &&
    await p2.isHidden('button[aria-label="New folder"]'),
  'its session is read-only: no upload or new-folder buttons');
  await openShare(p2);
  ok(await p2.locator('dialog input[type=checkbox]').count() === 0,
    'a read-only browser can share, without the read-write option');
  const again = await (await other.newPage()).goto(link);
  ok(again.status() === 403, 'the link works once: opened again it is 403', again.status());
  await other.close();
  await host.close();

  // ---------------------------------------------------------- open mode
  const openCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p3 = watch(await openCtx.newPage());
  await p3.goto(OPEN + 'gallery/');
  await p3.waitForSelector('.f-list a');
  const plain = await openShare(p3);
  const openNote = await p3.textContent('dialog .f-share-link .f-muted');
  ok(plain === OPEN + 'gallery/' && /asks no one to pair/.test(openNote),
    'open mode: Share gives the folder\'s plain URL and says anyone can open it', plain, openNote);
  // A libferry built --without-qrencode answers "svg": null: the dialog shows
  // the link and no code (not a broken image).
  const withQr = await p3.locator('dialog .f-qr').count();
  await p3.click('dialog button[aria-label=Close]');
  await p3.route('**/.ferry/share', async (route) => {
    const res = await route.fetch();
    const j = await res.json();
    j.svg = null;
    await route.fulfill({ response: res, json: j });
  });
  const noQrLink = await openShare(p3);
  const noQr = await p3.locator('dialog .f-qr').count();
  ok(withQr === 1 && noQr === 0 && noQrLink === plain,
    'a share answer without a QR code ("svg": null, --without-qrencode): the link alone, no image',
    `images with a code: ${withQr}, without: ${noQr}`, noQrLink);
  await openCtx.close();

  ok(problems.length === 0, 'no console error, page error or request to another host', ...problems);
} catch (e) {
  died(e);
  for (const p of problems) console.log('# ' + p);
} finally {
  await browser.close();
}
finish(CHECKS);
