// ui.mjs — drives ferry's browser UI (www/) in Debian's headless chromium
// through playwright-core, against a running ferryd; run by
// tests/integration/t-browser.sh, which prepares the shared folder:
//   ROOT/photos/{a-big.bin,b-small.txt,c-mid.txt}  (5000, 10, 100 bytes)
//   ROOT/inbox/  ROOT/empty/  ROOT/gallery/{guide.pdf,pic.png,screen.png,sunset.jpg}
//   ROOT/notes.txt  (sunset.jpg: 640x480 with a 32x24 Exif thumbnail;
//   screen.png: 1170x2532, none)
//   SRC/ with the files to upload, SRC-TREE/ a folder to upload whole with
//   the folder picker, DROP/ one to drop ({a.txt, day 2/b.txt, empty/}),
//   BIG a file to upload across a fake-OS suspension of ferryd (pid PID,
//   control socket SOCK, driven with FERRYCTL), PAUSE one to pause across
//   another, CANCEL one to cancel (its bytes checked gone from STATE/uploads).
// Prints one line per check, "ok - DESC" or "not ok - DESC" (with "# ..."
// diagnostics), for the wrapper to turn into TAP; CHECKS below is how many.
//
//   node ui.mjs --base URL --root DIR --src DIR --tree DIR --drop DIR --big FILE
//               --pause FILE --cancel FILE --state DIR
//               --ferryctl EXE --sock PATH --pid N --out DIR [--shots DIR]
//               [--js-dir tests/js] [--chromium /usr/bin/chromium]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { arg, T, npm, CHROMIUM_ARGS, ok, died, finish, sha256 } from './common.mjs';

const BASE = arg('base');
const ROOT = arg('root');
const SRC = arg('src');
const OUT = arg('out');
const SHOTS = arg('shots');
const TREE = arg('tree');
const BIG = arg('big');
const PAUSE = arg('pause');
const CANCEL = arg('cancel');
const STATE = arg('state');
const DROP = arg('drop');
const FERRYCTL = arg('ferryctl');
const SOCK = arg('sock');
const PID = Number(arg('pid'));
const ctl = (...a) => execFileSync(FERRYCTL, ['-s', SOCK, ...a], { encoding: 'utf8', timeout: T });
const EXE = arg('chromium', '/usr/bin/chromium');
export const CHECKS = 63;

const { chromium } = npm('playwright-core');
const exists = (f) => { try { fs.statSync(f); return true; } catch { return false; } };
// www/app.js's humanSize(): how the page writes a byte count
function humanSize(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return i === 0 ? n + ' B' : n.toFixed(1) + ' ' + u[i];
}

// The names the UI lists, in order (the parent link excluded).
const names = (page) => page.$$eval('.f-list .f-row:not(.f-up-row) > a', (as) => as.map((a) => a.textContent));

// Waits until every upload named in `names` shows data-state `st`; false
// when that does not happen within `ms`.
const uploadsIn = (page, names, st, ms) => page.waitForFunction(([want, st]) => want.every((n) =>
  [...document.querySelectorAll('.f-up')].some((x) => x.dataset.name === n && x.dataset.state === st)),
[names, st], { timeout: ms }).then(() => true, () => false);
// Every upload's name, state and info line, for diagnostics.
const uploadStates = (page) => page.$$eval('.f-up', (l) => l.map((x) => x.dataset.name + ': ' +
  x.dataset.state + ' ' + x.querySelector('.f-up-info').textContent));

// A TCP proxy on 127.0.0.1 (port 0) to ferryd's `port` that passes at most
// `rate` bytes a second from ferryd to the client. Returns {port, close}.
function slowProxy(port, rate) {
  const socks = new Set();
  const srv = net.createServer((c) => {
    const up = net.connect(Number(port), '127.0.0.1');
    socks.add(c); socks.add(up);
    c.pipe(up);
    up.on('data', (chunk) => {
      up.pause();
      c.write(chunk);
      setTimeout(() => up.resume(), chunk.length * 1000 / rate);
    });
    up.on('end', () => c.end());
    for (const s of [c, up]) s.on('error', () => { c.destroy(); up.destroy(); });
    c.on('close', () => { up.destroy(); socks.delete(c); socks.delete(up); });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    port: srv.address().port,
    close: () => { for (const s of socks) s.destroy(); srv.close(); },
  })));
}

async function settle(page, want) {
  // waits until the list shows `want` (array, in order) or times out
  try {
    await page.waitForFunction((w) => {
      const got = [...document.querySelectorAll('.f-list .f-row:not(.f-up-row) > a')].map((a) => a.textContent);
      return JSON.stringify(got) === JSON.stringify(w);
    }, want, { timeout: T });
  } catch { /* the caller's check reports it */ }
  return names(page);
}

// Opens the menu of the button `btn` and picks its item `item`.
async function menu(page, btn, item) {
  await page.click(btn);
  await page.click(`.f-menu [role=menuitem] > span:text-is("${item}")`);
}

// Picks `item` in the ⋯ menu of the row named `name` (the uploads tray
// folded first, as a person would, when it covers the rows).
async function rowAct(page, name, item) {
  const fold = await page.$('.f-up-panel:not([hidden]):not(.f-collapsed) button[aria-label="Hide the uploads"]');
  if (fold) await fold.click();
  await menu(page, `.f-row[data-name="${name}"] button.f-more`, item);
}

const userDir = fs.mkdtempSync(path.join(OUT, 'chromium-'));
// a fresh profile (--user-data-dir) of its own, removed at the end
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: EXE,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: CHROMIUM_ARGS,
});
const problems = []; // console errors, page errors, CSP reports, foreign requests
// while a check provokes them: refused connections and the server's 409
let expectTrouble = false;
const expected = (text) => expectTrouble && /ERR_CONNECTION|ERR_EMPTY_RESPONSE|409|Conflict/.test(text);
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(T);
  // a 404 shows as a console error too: name the URL, and let the browser's
  // own favicon probe pass (ferry has no icon yet)
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon\.ico/.test(m.location().url || '') && !expected(m.text()))
      problems.push('console: ' + m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico') && !expected(String(r.status())))
      problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  // (the browser's own PDF viewer loads from chrome-extension: and chrome:)
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE) && !/^chrome(-extension)?:/.test(r.url())) problems.push('foreign request: ' + r.url());
  });

  // listings asked for with fetch (GET of a folder as JSON: ?format=json
  // or Accept: application/json), by path, to see that the first render
  // takes the page's own #ferry-listing
  const listed = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'GET' && u.pathname.endsWith('/') && (u.search === '?format=json' ||
        (u.search === '' && /application\/json/.test(r.headers().accept || ''))))
      listed.push(u.pathname);
  });

  // ---------------------------------------------------------- browse
  await page.goto(BASE + '/');
  let got = await settle(page, ['empty', 'gallery', 'inbox', 'photos', 'notes.txt']);
  ok(JSON.stringify(got) === '["empty","gallery","inbox","photos","notes.txt"]',
    'the root lists its folders (fetched as JSON, folders first, by name)', JSON.stringify(got));
  ok(await page.isHidden('body > table'), 'the server-rendered table is replaced by the UI');
  ok(listed.length === 0, 'the first render takes the page\'s #ferry-listing: no JSON listing fetched', ...listed);

  // ---------------------------------------------------------- search below
  // "a-big" is no name at the root, only photos/a-big.bin: the filter
  // matches nothing here and offers to search the folders below (?q=)
  await page.fill('input[aria-label="Filter by name"]', 'A-BIG');
  await settle(page, []);
  await page.click('.f-search-btn');
  const hit = await page.waitForSelector('.f-found[data-path="photos/a-big.bin"] > a', { timeout: T })
    .then(() => page.textContent('.f-found-head'), () => '');
  ok(/^1 name below this folder holds “A-BIG”\./.test(hit || ''),
    'the filter\'s search of the folders below finds photos/a-big.bin and says the search was complete', hit);
  const [sdl] = await Promise.all([page.waitForEvent('download'), page.click('.f-found[data-path="photos/a-big.bin"] > a')]);
  const sdlPath = path.join(OUT, 'searched.bin');
  await sdl.saveAs(sdlPath);
  ok(sha256(sdlPath) === sha256(path.join(ROOT, 'photos', 'a-big.bin')), 'a search result\'s file downloads: sha256 matches');
  await page.fill('input[aria-label="Filter by name"]', '');
  got = await settle(page, ['empty', 'gallery', 'inbox', 'photos', 'notes.txt']);
  ok(JSON.stringify(got) === '["empty","gallery","inbox","photos","notes.txt"]' && !await page.$('.f-found, .f-search-btn'),
    'clearing the filter goes back to the folder\'s list', JSON.stringify(got));
  const photosSize = await page.waitForFunction(() => {
    const r = document.querySelector('.f-row[data-name=photos] .f-size');
    return r && r.title ? r.textContent + ' / ' + r.title : false;
  }, null, { timeout: T }).then((x) => x.jsonValue(), () => '');
  ok(photosSize === '5.0 KiB / 3 files, 0 folders', 'a folder row shows the folder\'s size, counted by the server', photosSize);

  // keyboard: focus the first entry, ArrowDown twice, Enter
  await page.focus('.f-list a');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => { window.ferryStay = 1; return document.activeElement.textContent; });
  await Promise.all([page.waitForURL(BASE + '/photos/'), page.keyboard.press('Enter')]);
  ok(focused === 'photos' && new URL(page.url()).pathname === '/photos/',
    'arrow keys move between entries and Enter opens the folder', focused, page.url());
  const inPage = await page.waitForFunction(() => /^photos · ./.test(document.title), null, { timeout: T })
    .then(() => page.evaluate(() => window.ferryStay === 1), () => false);
  ok(inPage, 'the folder opens within the page (no page load), titled by its name and the server\'s', await page.title());

  got = await settle(page, ['a-big.bin', 'b-small.txt', 'c-mid.txt']);
  ok(JSON.stringify(got) === '["a-big.bin","b-small.txt","c-mid.txt"]', 'photos/ sorted by name', JSON.stringify(got));
  ok(listed.includes('/photos/'), 'a folder opened within the page is fetched as JSON', ...listed);
  const crumbs = await page.$$eval('nav[aria-label=Breadcrumbs] li', (l) => l.map((x) => x.textContent));
  const current = await page.textContent('nav [aria-current=page]');
  ok(JSON.stringify(crumbs) === '["Home","photos"]' && current === 'photos',
    'breadcrumbs: Home / photos, the folder marked current', JSON.stringify(crumbs), current);
  await page.goBack();
  const back = await settle(page, ['empty', 'gallery', 'inbox', 'photos', 'notes.txt']);
  const backUrl = page.url();
  await page.goForward();
  const forth = await settle(page, ['a-big.bin', 'b-small.txt', 'c-mid.txt']);
  ok(back.length === 5 && new URL(backUrl).pathname === '/' && forth.length === 3 &&
    new URL(page.url()).pathname === '/photos/' && await page.evaluate(() => window.ferryStay === 1),
  'Back and Forward list their folders within the page', JSON.stringify(back), backUrl, JSON.stringify(forth));

  // ---------------------------------------------------------- sort, filter
  await page.click('button[aria-label="Sort by size"]');
  got = await settle(page, ['a-big.bin', 'c-mid.txt', 'b-small.txt']);
  ok(JSON.stringify(got) === '["a-big.bin","c-mid.txt","b-small.txt"]', 'sort by size: largest first', JSON.stringify(got));
  await page.click('button[aria-label="Sort by size"]');
  got = await settle(page, ['b-small.txt', 'c-mid.txt', 'a-big.bin']);
  ok(JSON.stringify(got) === '["b-small.txt","c-mid.txt","a-big.bin"]', 'sort by size again: smallest first', JSON.stringify(got));
  const pressed = await page.getAttribute('button[aria-label="Sort by size"]', 'aria-pressed');
  ok(pressed === 'true', 'the active sort button is marked pressed', pressed);
  await page.click('button[aria-label="Sort by name"]'); // the sort is remembered: back to names

  await page.fill('input[aria-label="Filter by name"]', 'TXT');
  got = await settle(page, ['b-small.txt', 'c-mid.txt']);
  ok(JSON.stringify(got) === '["b-small.txt","c-mid.txt"]', 'the filter (case-insensitive) keeps the matching names', JSON.stringify(got));
  await page.fill('input[aria-label="Filter by name"]', 'nothing-like-this');
  await settle(page, []);
  const none = await page.textContent('.f-list .f-empty').catch(() => '');
  ok(/No names match/.test(none || ''), 'a filter matching nothing says so', none);
  await page.fill('input[aria-label="Filter by name"]', '');

  // ---------------------------------------------------------- download
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('.f-row[data-name="a-big.bin"] > a')]);
  const dlPath = path.join(OUT, 'downloaded.bin');
  await dl.saveAs(dlPath);
  ok(sha256(dlPath) === sha256(path.join(ROOT, 'photos', 'a-big.bin')), 'a file click downloads it: sha256 matches');

  // ---------------------------------------------------------- zip of a folder
  const [zdl] = await Promise.all([page.waitForEvent('download'),
    menu(page, 'button[aria-label="More actions"]', 'Download all')]);
  const zipPath = path.join(OUT, 'photos.zip');
  await zdl.saveAs(zipPath);
  let zipList = '';
  try {
    zipList = execFileSync('/usr/bin/python3', ['-c', `
import hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(" ".join(sorted(n + "=" + hashlib.sha256(z.read(n)).hexdigest()[:16] for n in z.namelist())))`, zipPath],
    { encoding: 'utf8', timeout: T }).trim();
  } catch (e) { zipList = String(e); }
  const zipWant = ['a-big.bin', 'b-small.txt', 'c-mid.txt']
    .map((n) => n + '=' + sha256(path.join(ROOT, 'photos', n)).slice(0, 16)).join(' ');
  ok(zdl.suggestedFilename() === 'photos.zip' && zipList === zipWant,
    '"Download all" gives photos.zip holding every file, same bytes', zdl.suggestedFilename(), zipList, zipWant);
  // photos.zip ends before the page's first look at /.ferry/status: the
  // server's "zips" still tells it, so the page says it was sent, with its
  // exact size (not stuck on "Your browser is downloading…")
  const tinyText = await page.waitForFunction((want) => {
    const t = document.querySelector('.f-zip').textContent;
    return t.startsWith(want) && t;
  }, `Zip of “photos” sent (${humanSize(fs.statSync(zipPath).size)}); your browser's downloads have it.`,
  { timeout: T }).then((h) => h.jsonValue(), () => null);
  const statusLine = await page.textContent('.f-status').catch(() => '?');
  ok(tinyText !== null && !statusLine.includes('is downloading'),
    'a zip that ends at once: the page says it was sent, with its size from the server, and no longer that it is downloading',
    statusLine,
    await page.textContent('.f-zip').catch(() => ''), await page.textContent('[aria-live]').catch(() => ''));

  // ---------------------------------------------------------- preview
  await page.click('.f-row[data-name="b-small.txt"] > a');
  let preText = '';
  try {
    await page.waitForFunction(() => {
      const p = document.querySelector('dialog[open] pre.f-text');
      return p && p.textContent !== 'Loading…';
    }, null, { timeout: T });
    preText = await page.textContent('dialog[open] pre.f-text');
  } catch { /* reported below */ }
  ok(preText === '0123456789' && /#preview=b-small\.txt$/.test(page.url()),
    'a text file opens in a preview that shows its text, with a deep link', preText, page.url());
  await page.click('button[aria-label="Close preview"]');
  ok(await page.isHidden('dialog.f-dialog') && !page.url().includes('#'), 'Close ends the preview and its deep link', page.url());

  // ---------------------------------------------------------- phone, desktop
  fs.mkdirSync(SHOTS || OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, 'desktop-1280x800.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(100); // one layout pass (no event to wait for)
  await page.screenshot({ path: path.join(OUT, 'phone-360x740.png'), fullPage: true });
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  ok(sw <= 360, 'at 360 px wide nothing scrolls sideways', 'scrollWidth ' + sw);
  const shotsOk = ['desktop-1280x800.png', 'phone-360x740.png']
    .every((f) => exists(path.join(OUT, f)) && fs.statSync(path.join(OUT, f)).size > 1000);
  ok(shotsOk, 'screenshots at 360x740 and 1280x800 were taken');
  if (SHOTS) for (const f of ['desktop-1280x800.png', 'phone-360x740.png']) fs.copyFileSync(path.join(OUT, f), path.join(SHOTS, f));
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lum = (bg.match(/\d+/g) || [255, 255, 255]).slice(0, 3).reduce((a, b) => a + Number(b), 0);
  ok(lum < 150, 'dark mode follows prefers-color-scheme', bg);
  await page.screenshot({ path: path.join(OUT, 'desktop-dark.png') });
  if (SHOTS) fs.copyFileSync(path.join(OUT, 'desktop-dark.png'), path.join(SHOTS, 'desktop-dark.png'));
  await page.emulateMedia({ colorScheme: 'light' });

  // every control has an accessible name
  const unnamed = await page.$$eval('button, input, select, a', (els) => els
    .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length))
    .map((e) => e.outerHTML.slice(0, 80)));
  ok(unnamed.length === 0, 'every control has an accessible name', ...unnamed);

  // ---------------------------------------------------------- grid, thumbnails
  await page.goto(BASE + '/gallery/');
  await settle(page, ['guide.pdf', 'pic.png', 'screen.png', 'sunset.jpg']);
  await page.click('button[aria-label="Grid view"]');
  const thumbW = await page.waitForFunction(() => {
    const i = document.querySelector('.f-grid .f-tile img.f-thumb');
    return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0;
  }, null, { timeout: T }).then((x) => x.jsonValue()).catch(() => 0);
  ok(thumbW === 4, 'grid view: the image shows as a loaded thumbnail', 'naturalWidth ' + thumbW);
  // "WxH src" of the loaded thumbnail of the tile named `name`, or ''
  const tileThumb = (name) => page.waitForFunction((n) => {
    const i = document.querySelector(`.f-tile[data-name="${n}"] img.f-thumb`);
    return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth + 'x' + i.naturalHeight + ' ' + i.src : '';
  }, name, { timeout: T }).then((x) => x.jsonValue()).catch(() => '');
  const jpegThumb = await tileThumb('sunset.jpg');
  ok(/^32x24 .*\/gallery\/sunset\.jpg\?thumb=1$/.test(jpegThumb),
    'a 640x480 JPEG shows its own 32x24 Exif thumbnail in the grid (?thumb=1), not the picture', jpegThumb);
  const pngThumb = await tileThumb('screen.png');
  ok(/^118x256 .*\/gallery\/screen\.png\?thumb=1$/.test(pngThumb),
    'a 1170x2532 PNG shows in the grid as the 118x256 JPEG the server makes of it (?thumb=1)', pngThumb);
  // every tile's picture box is the same size, whatever the picture's; a
  // file that is no picture shows its extension (drawn, no emoji font)
  const boxes = await page.$$eval('.f-tile .f-thumb', (l) => l.map((x) => {
    const r = x.getBoundingClientRect();
    return Math.round(r.width) + 'x' + Math.round(r.height);
  }));
  const pdfSym = await page.textContent('.f-tile[data-name="guide.pdf"] .f-page').catch(() => '');
  ok(boxes.length === 4 && new Set(boxes).size === 1 && parseInt(boxes[0], 10) > 100 && pdfSym === 'PDF',
    'grid tiles: one size of picture box for all four, the PDF shown as "PDF"', JSON.stringify(boxes), pdfSym);
  await page.screenshot({ path: path.join(OUT, 'grid-1280x800.png') });
  await page.goto(BASE + '/gallery/#preview=pic.png');
  await page.reload();
  const bigW = await page.waitForFunction(() => {
    const i = document.querySelector('dialog[open] img');
    return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0;
  }, null, { timeout: T }).then((x) => x.jsonValue()).catch(() => 0);
  ok(bigW === 4, 'a #preview= link opens the image preview after a reload', 'naturalWidth ' + bigW);
  ok(await page.getAttribute('button[aria-label="Grid view"]', 'aria-pressed') === 'true',
    'the grid view is remembered across page loads');
  await page.click('button[aria-label="Close preview"]');
  await page.click('button[aria-label="Grid view"]'); // back to the list
  if (SHOTS) fs.copyFileSync(path.join(OUT, 'grid-1280x800.png'), path.join(SHOTS, 'grid-1280x800.png'));

  // a PDF opens in Chromium's own viewer (an extension frame inside the
  // preview's frame), in spite of the file's sandbox CSP: the viewer has
  // read the document's one page
  await page.click('.f-row[data-name="guide.pdf"] > a');
  const framed = await page.waitForSelector('dialog[open] .f-pdf iframe[src$="/gallery/guide.pdf"]')
    .then(() => true, () => false);
  let pages = null;
  for (const end = Date.now() + T; pages === null && Date.now() < end; await page.waitForTimeout(100)) {
    const viewer = page.frames().find((f) => f.url().startsWith('chrome-extension://'));
    if (viewer) pages = await viewer.evaluate(() => { // the page count its toolbar shows
      const bar = document.querySelector('pdf-viewer')?.shadowRoot?.querySelector('viewer-toolbar');
      return bar?.shadowRoot?.querySelector('viewer-page-selector')?.docLength || null;
    }).catch(() => null);
  }
  await page.screenshot({ path: path.join(OUT, 'pdf-preview.png') });
  if (SHOTS) fs.copyFileSync(path.join(OUT, 'pdf-preview.png'), path.join(SHOTS, 'pdf-preview.png'));
  ok(framed && pages === 1 && /#preview=guide\.pdf$/.test(page.url()),
    'a PDF previews inline in the browser\'s PDF viewer (1 page read), with a deep link',
    `framed ${framed}, pages ${pages}`, ...page.frames().map((f) => f.url()), page.url());
  await page.click('button[aria-label="Close preview"]');

  // ---------------------------------------------------------- empty folder
  await page.goto(BASE + '/empty/');
  const empty = await page.waitForSelector('.f-list .f-empty').then((e) => e.textContent()).catch(() => '');
  ok(/This folder is empty/.test(empty), 'an empty folder says so', empty);

  // ---------------------------------------------------------- upload
  await page.goto(BASE + '/inbox/');
  await page.waitForSelector('button.f-new:visible');
  const files = fs.readdirSync(SRC).sort();
  await page.setInputFiles('input[type=file]', files.map((f) => path.join(SRC, f)));
  let upOk = true;
  try {
    await page.waitForFunction((n) => document.querySelectorAll('.f-up[data-state=done]').length === n,
      files.length, { timeout: 4 * T });
  } catch { upOk = false; }
  const states = await uploadStates(page);
  ok(upOk, `${files.length} files uploaded with the picker, each shown done`, ...states);
  const bars = await page.$$eval('.f-up progress', (l) => l.map((p) => p.value));
  ok(bars.length === files.length && bars.every((v) => v === 100), 'each upload has its progress bar, full', JSON.stringify(bars));
  got = await settle(page, files);
  ok(JSON.stringify(got) === JSON.stringify(files), 'the listing shows the uploaded files', JSON.stringify(got));
  for (const f of files) {
    const dst = path.join(ROOT, 'inbox', f);
    ok(exists(dst) && sha256(dst) === sha256(path.join(SRC, f)), `on disk: inbox/${f}, sha256 matches`);
  }

  // drag and drop: a drop event carrying a file, as a desktop browser fires it
  const dropped = 'dropped file.txt';
  const dropText = 'dropped onto the page\n'.repeat(1000);
  await page.evaluate(([name, text]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'text/plain' }));
    const target = document.querySelector('.f-list');
    for (const type of ['dragenter', 'dragover', 'drop'])
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, [dropped, dropText]);
  const dropOk = await uploadsIn(page, [dropped], 'done', 4 * T);
  const dropDst = path.join(ROOT, 'inbox', dropped);
  ok(dropOk && exists(dropDst) && fs.readFileSync(dropDst, 'utf8') === dropText,
    'a file dropped on the page is uploaded: shown done, same bytes on disk');
  got = await settle(page, [dropped, ...files].sort());
  ok(got.includes(dropped), 'the listing shows the dropped file', JSON.stringify(got));
  files.push(dropped);
  files.sort();

  // ---------------------------------------------------------- new folder, delete
  await menu(page, 'button.f-new', 'New folder');
  await page.fill('input[aria-label="Name of the new folder"]', 'made here');
  await page.click('button[aria-label="Create folder"]');
  got = await settle(page, ['made here', ...files]);
  ok(got.includes('made here') && fs.statSync(path.join(ROOT, 'inbox', 'made here')).isDirectory(),
    'New folder: listed and made on disk', JSON.stringify(got));

  await rowAct(page, 'made here', 'Delete');
  got = await settle(page, files);
  ok(!got.includes('made here') && !exists(path.join(ROOT, 'inbox', 'made here')),
    'Delete (from the row\'s ⋯ menu): gone from the list and from the disk', JSON.stringify(got));

  // ---------------------------------------------------------- undo, rename, move
  await page.click('.f-status button[aria-label="Undo"]');
  got = await settle(page, ['made here', ...files]);
  ok(got.includes('made here') && exists(path.join(ROOT, 'inbox', 'made here')),
    'Undo after delete puts the folder back from the trash, on disk too', JSON.stringify(got));

  await rowAct(page, 'made here', 'Rename');
  await page.fill('input[aria-label="New name for made here"]', 'renamed');
  await page.click('button[aria-label="Confirm rename of made here"]');
  got = await settle(page, ['renamed', ...files]);
  ok(got.includes('renamed') && exists(path.join(ROOT, 'inbox', 'renamed')) &&
    !exists(path.join(ROOT, 'inbox', 'made here')), 'Rename: listed and renamed on disk', JSON.stringify(got));

  const mv = files[0];
  await rowAct(page, mv, 'Move');
  await page.fill(`input[aria-label="Folder to move ${mv} to"]`, '/inbox/renamed/');
  await page.click(`button[aria-label="Confirm move of ${mv}"]`);
  got = await settle(page, ['renamed', ...files.slice(1)]);
  ok(!got.includes(mv) && exists(path.join(ROOT, 'inbox', 'renamed', mv)) && !exists(path.join(ROOT, 'inbox', mv)),
    'Move into another folder: gone from the list, moved on disk', JSON.stringify(got));
  files.shift();

  // ---------------------------------------------------------- folder upload
  const treeName = path.basename(TREE);
  const treeFiles = ['top.txt', 'sub/deep.txt'];
  await page.setInputFiles('input[aria-label="Choose a folder to upload"]', TREE);
  const treeOk = await uploadsIn(page, treeFiles.map((f) => treeName + '/' + f), 'done', 4 * T);
  ok(treeOk && treeFiles.every((f) => exists(path.join(ROOT, 'inbox', treeName, f)) &&
    sha256(path.join(ROOT, 'inbox', treeName, f)) === sha256(path.join(TREE, f))),
  'a whole folder uploaded with the folder picker: its tree made on disk, same bytes',
  ...await uploadStates(page));
  const total = await page.textContent('.f-up-total .f-up-info').catch(() => '');
  const m = /^(\d+) of (\d+) files/.exec(total || '');
  ok(m && m[1] === m[2] && Number(m[1]) >= files.length + 2, 'the total line counts every finished upload', total);

  // a folder dropped from the desktop: devtools' drag events with a real
  // path give the page a directory entry (webkitGetAsEntry), as a file
  // manager's drag does; its empty folder is made too
  const dropName = path.basename(DROP);
  const dropFiles = ['a.txt', 'day 2/b.txt'];
  const cdpDrag = await ctx.newCDPSession(page);
  const dragData = { items: [], files: [DROP], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'])
    await cdpDrag.send('Input.dispatchDragEvent', { type, x: 300, y: 400, data: dragData });
  const dropTreeOk = await uploadsIn(page, dropFiles.map((f) => dropName + '/' + f), 'done', 4 * T);
  await cdpDrag.detach();
  ok(dropTreeOk && dropFiles.every((f) => exists(path.join(ROOT, 'inbox', dropName, f)) &&
    sha256(path.join(ROOT, 'inbox', dropName, f)) === sha256(path.join(DROP, f))) &&
    fs.statSync(path.join(ROOT, 'inbox', dropName, 'empty')).isDirectory(),
  'a folder dropped on the page is uploaded whole: its files (same bytes) and its empty folder',
  ...await uploadStates(page));

  // names that are taken (the server refuses: --on-conflict refuse): the
  // tray asks Replace / Keep both / Skip, and what is on disk is what was chosen
  expectTrouble = true;
  const taken = files[files.length - 1], taken2 = files[files.length - 2];
  const inbox = (n) => path.join(ROOT, 'inbox', n);
  const both = (n) => n.replace(/(\.[^.]*)?$/, (x) => ' (1)' + x); // "a (1).txt", the server's keep-both name
  const newer = (dir, n, text) => {
    fs.mkdirSync(path.join(OUT, dir), { recursive: true });
    fs.writeFileSync(path.join(OUT, dir, n), text);
    return path.join(OUT, dir, n);
  };
  const asked = (n) => page.waitForFunction((n) => {
    const x = [...document.querySelectorAll('.f-up[data-state=conflict]')].find((e) => e.dataset.name === n);
    return x ? x.querySelector('.f-up-info').textContent : '';
  }, n, { timeout: T }).then((x) => x.jsonValue()).catch(() => '');
  const old2 = fs.readFileSync(inbox(taken2), 'utf8');
  await page.setInputFiles('input[aria-label="Choose files to upload"]', newer('c-replace', taken, 'replaced\n'));
  const q1 = await asked(taken);
  await page.screenshot({ path: path.join(OUT, 'upload-conflict.png') });
  await page.click(`button[aria-label="Replace ${taken}"]`);
  const replaced = await page.waitForFunction((n) => [...document.querySelectorAll('.f-up[data-state=done]')]
    .filter((e) => e.dataset.name === n).length === 2, taken, { timeout: 2 * T }).then(() => true, () => false);
  ok(/is already here/.test(q1) && replaced && fs.readFileSync(inbox(taken), 'utf8') === 'replaced\n' && !exists(inbox(both(taken))),
    'an upload onto a taken name asks; Replace: the file on disk is the new one', q1, ...await uploadStates(page));
  await page.setInputFiles('input[aria-label="Choose files to upload"]', newer('c-skip', taken2, 'skipped\n'));
  const q2 = await asked(taken2);
  await page.click(`button[aria-label="Skip ${taken2}"]`);
  const skipped = await uploadsIn(page, [taken2], 'skipped', T);
  ok(q2 && skipped && fs.readFileSync(inbox(taken2), 'utf8') === old2 && !exists(inbox(both(taken2))),
    'Skip: nothing sent, the old file untouched on disk', q2, ...await uploadStates(page));
  await page.click('button[aria-label="Clear finished uploads"]');
  await page.setInputFiles('input[aria-label="Choose files to upload"]',
    [newer('c-both', taken, 'both 1\n'), newer('c-both', taken2, 'both 2\n')]);
  const q3 = await asked(taken) && await asked(taken2);
  await page.check(`.f-up[data-name="${taken}"] .f-ask-row input[type=checkbox]`);
  await page.click(`button[aria-label="Keep both ${taken}"]`);
  const kept = await uploadsIn(page, [taken, taken2], 'done', 2 * T);
  ok(q3 && kept && fs.readFileSync(inbox(both(taken)), 'utf8') === 'both 1\n' &&
    fs.readFileSync(inbox(both(taken2)), 'utf8') === 'both 2\n' && fs.readFileSync(inbox(taken), 'utf8') === 'replaced\n' &&
    fs.readFileSync(inbox(taken2), 'utf8') === old2,
  'Keep both "for all": two taken names answered at once, each stored as "name (1).ext" beside the old one',
  ...await uploadStates(page));
  await page.click('button[aria-label="Clear finished uploads"]');
  expectTrouble = false;

  // ---------------------------------------------------------- the host sleeps
  // an upload slowed to 2 MiB/s; ferryd is backgrounded, warned, suspended
  // (sockets reclaimed) and SIGSTOPped under it, then woken
  const cdpNet = await ctx.newCDPSession(page);
  await cdpNet.send('Network.enable');
  await cdpNet.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 << 20 });
  expectTrouble = true;
  const bigName = path.basename(BIG);
  await page.setInputFiles('input[aria-label="Choose files to upload"]', BIG);
  const under = await page.waitForFunction(([n, f]) => {
    const x = [...document.querySelectorAll('.f-up')].find((e) => e.dataset.name === n);
    return x && x.querySelector('progress').value > f;
  }, [bigName, 10], { timeout: 4 * T }).then(() => true).catch(() => false);
  let away = false, waiting = false, shown = '', retry = false;
  try {
    ctl('background'); ctl('expire'); ctl('suspend');
    process.kill(PID, 'SIGSTOP');
    away = await page.waitForSelector('.f-banner:not([hidden])', { timeout: 2 * T }).then(() => true).catch(() => false);
    shown = await page.textContent('.f-banner');
    retry = await page.isVisible('.f-banner button:text-is("Retry now")');
    waiting = await uploadsIn(page, [bigName], 'waiting', T);
    await page.screenshot({ path: path.join(OUT, 'host-away.png') });
    if (SHOTS) fs.copyFileSync(path.join(OUT, 'host-away.png'), path.join(SHOTS, 'host-away.png'));
  } finally {
    process.kill(PID, 'SIGCONT');
  }
  ok(under && away && /asleep/.test(shown) && retry && waiting,
    'ferryd suspended mid-upload: the page says the host is away (with "Retry now"), the upload waits',
    `under way ${under}, banner ${away} "${shown}", retry ${retry}, waiting ${waiting}`);
  ctl('resume'); ctl('foreground');
  await cdpNet.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const bigDone = await uploadsIn(page, [bigName], 'done', 4 * T);
  const bigDst = path.join(ROOT, 'inbox', bigName);
  ok(bigDone && exists(bigDst) && sha256(bigDst) === sha256(BIG),
    'after resume the upload goes on by itself and completes: same sha256 on disk',
    ...await uploadStates(page));
  ok(await page.isHidden('.f-banner'), 'the banner is gone once the host is back');
  expectTrouble = false;

  // ---------------------------------------------------------- pause, cancel
  // by hand, at 2 MiB/s, in empty/: one upload paused, carried paused across
  // a fake-OS suspension, resumed with Resume from where the server has it;
  // another cancelled, its bytes gone from the server
  await page.goto(BASE + '/empty/');
  await page.waitForSelector('button.f-new:visible');
  await cdpNet.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 << 20 });
  const patches = []; // the Upload-Offset of every PATCH, in order
  const created = []; // the Location of every upload made (POST /.ferry/uploads/)
  page.on('request', (r) => { if (r.method() === 'PATCH') patches.push(Number(r.headers()['upload-offset'])); });
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && r.url().endsWith('/.ferry/uploads/') && r.status() === 201)
      created.push(new URL(r.headers().location, BASE).href);
  });
  const under10 = (n) => page.waitForFunction(([n, f]) => {
    const x = [...document.querySelectorAll('.f-up')].find((e) => e.dataset.name === n);
    return x && x.querySelector('progress').value > f;
  }, [n, 10], { timeout: 4 * T }).then(() => true, () => false);
  const pName = path.basename(PAUSE);
  await page.setInputFiles('input[aria-label="Choose files to upload"]', PAUSE);
  const pUnder = await under10(pName);
  await page.click(`button[aria-label="Pause ${pName}"]`);
  const pPaused = await uploadsIn(page, [pName], 'paused', T);
  // the host sleeps; "Home" clicked meanwhile waits for it, then opens
  expectTrouble = true;
  let awayNav = false;
  try {
    ctl('background'); ctl('expire'); ctl('suspend');
    process.kill(PID, 'SIGSTOP');
    await page.click('nav[aria-label=Breadcrumbs] a:text-is("Home")');
    awayNav = await page.waitForSelector('.f-banner:not([hidden])', { timeout: 2 * T }).then(() => true, () => false) &&
      new URL(page.url()).pathname === '/empty/';
  } finally {
    process.kill(PID, 'SIGCONT');
  }
  ctl('resume'); ctl('foreground');
  const homeShown = await page.waitForFunction(() => location.pathname === '/' &&
    [...document.querySelectorAll('.f-list .f-row > a')].some((a) => a.textContent === 'photos'),
  null, { timeout: 4 * T }).then(() => true, () => false);
  ok(awayNav && homeShown && await page.isHidden('.f-banner'),
    'a folder clicked while the host sleeps: the page says so and stays, then opens it once the host is back',
    `banner and same URL ${awayNav}, then Home shown ${homeShown}`, page.url());
  expectTrouble = false;
  // a page request after the wake: the host serves again, and the paused
  // upload has stayed paused (a person's pause is not undone by the host);
  // Resume, then a folder opened while it goes on
  const served = await page.evaluate(() => fetch('/.ferry/status').then((r) => r.json()).then((j) => j.state, () => ''));
  const stillPaused = await uploadsIn(page, [pName], 'paused', T);
  const before = patches.length;
  await page.evaluate(() => { window.ferryStay = 1; });
  await page.click(`button[aria-label="Resume ${pName}"]`);
  await page.click('.f-row[data-name="empty"] > a');
  const pDone = await uploadsIn(page, [pName], 'done', 4 * T);
  const stayed = await page.evaluate(() => window.ferryStay === 1 && location.pathname === '/empty/');
  const pDst = path.join(ROOT, 'empty', pName);
  ok(pUnder && pPaused && served === 'foreground' && stillPaused && pDone && stayed && patches[before] > 0 &&
    exists(pDst) && sha256(pDst) === sha256(PAUSE),
  'Pause, a fake-OS suspension, Resume, another folder opened: the upload goes on from the server\'s offset, same sha256 on disk',
  `under way ${pUnder}, paused ${pPaused}, host ${served}, still paused ${stillPaused}, done ${pDone}, same page ${stayed}`,
  'PATCH offsets ' + JSON.stringify(patches), ...await uploadStates(page));

  // (the DELETE comes while the server may still be reading the PATCH the
  // browser cut: it terminates the upload all the same, at once)
  const cName = path.basename(CANCEL);
  await page.setInputFiles('input[aria-label="Choose files to upload"]', CANCEL);
  const cUnder = await under10(cName);
  // closing the tab now would cut it: the page asks (beforeunload)
  const unloadAsks = () => page.evaluate(() => {
    const ev = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(ev);
    return ev.defaultPrevented;
  });
  const asksDuring = await unloadAsks();
  const cUrl = created[created.length - 1] || '';
  const [deleted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url() === cUrl)
      .then((r) => r.status(), () => 0),
    page.click(`button[aria-label="Cancel ${cName}"]`)]);
  const cId = cUrl.split('/').pop();
  // its files go once the cut PATCH has ended on the server too
  let left = [];
  for (const end = Date.now() + T; Date.now() < end; await page.waitForTimeout(50)) {
    left = fs.readdirSync(path.join(STATE, 'uploads')).filter((f) => cId && f.includes(cId));
    if (!left.length) break;
  }
  const head = await fetch(cUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } }).then((r) => r.status, () => 0);
  const asksAfter = await unloadAsks();
  ok(cUnder && deleted === 204 && head === 404 && !left.length && !exists(path.join(ROOT, 'empty', cName)) &&
    !await page.$(`.f-up[data-name="${cName}"]`),
  'Cancel ends an upload under way: the server deletes its bytes (DELETE 204, then 404), no file, no row',
  `under way ${cUnder}, upload ${cUrl}, DELETE ${deleted}, HEAD ${head}`, 'left: ' + left.join(' '));
  ok(asksDuring === true && asksAfter === false,
    'leaving the page asks first while an upload runs, not once none does', `during ${asksDuring}, after ${asksAfter}`);
  await cdpNet.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // ---------------------------------------------------------- zip progress
  // inbox/ (the 24 MiB upload and the rest) as a zip, through a proxy that
  // passes 8 MiB/s down (devtools' throttling does not reach downloads):
  // the page follows the download in /.ferry/status to its end
  const proxy = await slowProxy(new URL(BASE).port, 8 << 20);
  const pz = await ctx.newPage();
  pz.setDefaultTimeout(T);
  await pz.goto(`http://127.0.0.1:${proxy.port}/inbox/`);
  await pz.waitForSelector('.f-list a');
  const zipText = () => pz.textContent('.f-zip').catch(() => '');
  const [zdl2] = await Promise.all([pz.waitForEvent('download'),
    menu(pz, 'button[aria-label="More actions"]', 'Download all')]);
  const during = await pz.waitForFunction(() => /^Zipping “inbox”: .* of about .* left/.test(
    document.querySelector('.f-zip').textContent), null, { timeout: 2 * T }).then(() => true, () => false);
  const duringText = await zipText();
  const bar = await pz.$eval('.f-zip progress', (p) => [p.value, p.max]);
  await zdl2.saveAs(path.join(OUT, 'inbox.zip'));
  // the end as the server tells it ("zips" in /.ferry/status): sent, with
  // the exact size of what arrived; never a guess (it cannot flake under load)
  const zipSize = fs.statSync(path.join(OUT, 'inbox.zip')).size;
  const after = await pz.waitForFunction((want) => document.querySelector('.f-zip').textContent.includes(want),
    `Zip of “inbox” sent (${humanSize(zipSize)}); your browser's downloads have it.`,
    { timeout: 2 * T }).then(() => true, () => false);
  ok(during && bar[0] > 0 && bar[0] < bar[1] && Math.abs(bar[1] - zipSize) < zipSize / 100 && after,
    'a zip download shows its progress against the server\'s estimate (within 1% of the size), then that it was sent',
    duringText, JSON.stringify(bar), zipSize, await zipText());
  await pz.close();
  proxy.close();

  // ---------------------------------------------------------- without JS
  const p2 = await ctx.newPage();
  const cdp = await ctx.newCDPSession(p2);
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  await p2.goto(BASE + '/photos/');
  const rows = await p2.$$eval('body > table tbody a', (as) => as.map((a) => a.textContent));
  ok(rows.includes('a-big.bin') && rows.includes('c-mid.txt'), 'without JavaScript the server\'s listing still works', JSON.stringify(rows));
  await p2.close();

  ok(problems.length === 0, 'no console error, page error, CSP violation or request to another host', ...problems);
} catch (e) {
  died(e);
  for (const p of problems) console.log('# ' + p);
} finally {
  await ctx.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
finish(CHECKS);
