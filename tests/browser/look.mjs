// look.mjs — what people see of ferry's browser UI, and axe-core on every
// page and dialog, light and dark, phone (390x844 at 3x, touch) and desktop
// (1440x900), in Debian's headless chromium through playwright-core; run
// by tests/integration/t-ui-look.sh against four ferryd:
//   --open URL      --auth open --name "Test Box", writable, on ROOT:
//                   ROOT/{Photos/{a.png,b.png,c.png}, Documents/report.pdf,
//                   empty/, notes.txt (now), old.zip (2025-03-01)}
//   --ro URL        --auth open --read-only, same ROOT
//   --password URL  --auth password (PASSWORD), on PWROOT
//   --token URL     --auth token (no pairing: the not-paired page)
// Access: the login form with a wrong and the right password (no Basic
// challenge; the folder made after it on disk), Log out, the not-paired and
// bad-link pages in plain words. The app: names without "/", file-type
// icons, rows of 44 px or more on touch, one column template, a focus ring,
// relative dates, the server's name, "View only" and kind refusal of drops,
// empty states with the next action, the New folder dialog's error next to
// the field, toasts that do not move the list, 3 uploads at a time from a
// queue (all on disk). Screenshots of every state go to --out (and
// --shots). Prints "ok - DESC" / "not ok - DESC" lines; CHECKS is how many.
//
//   node look.mjs --open URL --ro URL --password URL --pw PASSWORD --token URL
//                 --root DIR --pwroot DIR --src DIR --out DIR [--shots DIR]
//                 [--js-dir tests/js] [--chromium /usr/bin/chromium]
import fs from 'node:fs';
import path from 'node:path';
import { arg, T, npm, CHROMIUM_ARGS, ok, died, finish } from './common.mjs';

const OPEN = arg('open');
const RO = arg('ro');
const PW = arg('password');
const PASSWORD = arg('pw');
const TOKEN = arg('token');
const ROOT = arg('root');
const PWROOT = arg('pwroot');
const SRC = arg('src');
const NOTRASH = arg('notrash');
const NTROOT = arg('ntroot');
const OUT = arg('out');
const SHOTS = arg('shots');
const EXE = arg('chromium', '/usr/bin/chromium');
export const CHECKS = 34;

const { chromium } = npm('playwright-core');
const axeSource = fs.readFileSync(npmPath('axe-core/axe.min.js'), 'utf8');
function npmPath(rel) {
  const js = arg('js-dir', path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'js'));
  return path.join(path.resolve(js), 'node_modules', rel);
}
const exists = (f) => { try { fs.statSync(f); return true; } catch { return false; } };

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const DESK = { viewport: { width: 1440, height: 900 } };

// axe-core's violations on the page as it is now ("rule: target" lines);
// the script is evaluated through devtools, so the page's CSP allows it.
async function axe(page) {
  if (!await page.evaluate(() => !!window.axe)) await page.evaluate(axeSource);
  return page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`))));
}

const shotNames = [];
async function shot(page, name) {
  const f = path.join(OUT, name + '.png');
  await page.screenshot({ path: f });
  shotNames.push(f);
  if (SHOTS) fs.copyFileSync(f, path.join(SHOTS, name + '.png'));
}

// Runs `state(page)` (which brings the page into a state) in each of light
// and dark; checks axe's violations there and takes a screenshot named
// `name-light` / `name-dark`. Returns every violation found.
async function lookAt(page, name, prefix) {
  const found = [];
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(50); // one style pass (no event to wait for)
    for (const v of await axe(page)) found.push(scheme + ': ' + v);
    await shot(page, `${prefix}-${name}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

const problems = [];
function watch(page, allow) {
  page.setDefaultTimeout(T);
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon\.ico/.test(m.location().url || '') && !(allow && allow.test(m.text())))
      problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  return page;
}

const names = (page) => page.$$eval('.f-list .f-row:not(.f-up-row) > a', (as) => as.map((a) => a.textContent));
async function menu(page, btn, item) {
  await page.click(btn);
  await page.waitForSelector('.f-menu:not([hidden])');
  await page.click(`.f-menu [role=menuitem] > span:text-is("${item}")`);
}

const browser = await chromium.launch({ executablePath: EXE, headless: true, args: CHROMIUM_ARGS });
try {
  fs.mkdirSync(SHOTS || OUT, { recursive: true });

  // ---------------------------------------------------------- access pages
  {
    const ctx = await browser.newContext({ ...PHONE });
    const page = watch(await ctx.newPage(), /401|403|Unauthorized|Forbidden/);
    const res = await page.goto(PW + '/');
    const challenge = res.headers()['www-authenticate'] || '';
    const h1 = await page.textContent('h1').catch(() => '');
    const field = await page.$eval('input[type=password]', (i) => i.getBoundingClientRect().height).catch(() => 0);
    ok(res.status() === 401 && !/^basic/i.test(challenge) && h1 === 'Log in' && field >= 44,
      'password mode: a browser gets the login page (401, no Basic challenge, so no password dialog of its own), its field 44 px or more on a phone',
      res.status(), challenge, h1, field);
    let v = await lookAt(page, 'login', 'phone');
    await page.fill('input[type=password]', 'not it');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    const err = await page.textContent('#pw-error').catch(() => '');
    const invalid = await page.getAttribute('input[type=password]', 'aria-invalid').catch(() => '');
    ok(/not right/.test(err) && invalid === 'true', 'a wrong password: the error is next to the field, in plain words', err, invalid);
    v = v.concat(await lookAt(page, 'login-wrong', 'phone'));
    await page.fill('input[type=password]', PASSWORD);
    await Promise.all([page.waitForURL(PW + '/'), page.click('button[type=submit]')]);
    const listed = await page.waitForFunction(() => document.querySelectorAll('.f-list .f-row').length > 0, null,
      { timeout: T }).then(() => true, () => false);
    const cookie = (await ctx.cookies()).some((c) => c.name === 'ferry_session');
    ok(listed && cookie, 'the right password through the form (from the login page: its Origin passes): the files are listed',
      page.url(), cookie);
    await page.waitForSelector('button.f-new:visible');
    await menu(page, 'button.f-new', 'New folder');
    await page.fill('input[aria-label="Name of the new folder"]', 'after login');
    await page.click('button[aria-label="Create folder"]');
    const made = await page.waitForFunction(() => [...document.querySelectorAll('.f-list .f-row > a')]
      .some((a) => a.textContent === 'after login'), null, { timeout: T }).then(() => true, () => false);
    ok(made && fs.statSync(path.join(PWROOT, 'after login')).isDirectory(),
      'logged in, the session changes files: a folder made in the page is on disk');
    await page.click('button[aria-label="More actions"]');
    v = v.concat(await lookAt(page, 'more-menu', 'phone'));
    await Promise.all([page.waitForURL(PW + '/'), page.click('.f-menu [role=menuitem] > span:text-is("Log out")')]);
    await page.waitForSelector('input[type=password]');
    const gone = !(await ctx.cookies()).some((c) => c.name === 'ferry_session');
    const after = await page.request.get(PW + '/', { headers: { Accept: 'application/json' } }).then((r) => r.status());
    ok(gone && after === 401 && await page.textContent('h1') === 'Log in',
      'Log out (More menu): the login page again, the cookie gone, the server answers 401', gone, after);
    const tctx = await browser.newContext({ ...PHONE });
    const tp = watch(await tctx.newPage(), /401|403|Unauthorized|Forbidden/);
    const tres = await tp.goto(TOKEN + '/');
    const text = await tp.textContent('main');
    ok(tres.status() === 401 && /QR code/.test(text) && !/ferryctl|Bearer|token/i.test(text),
      'token mode: the not-paired page says what to do in plain words (no ferryctl, no Bearer)', text);
    v = v.concat(await lookAt(tp, 'not-paired', 'phone'));
    const bres = await tp.goto(TOKEN + '/.ferry/pair?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const btext = await tp.textContent('main');
    ok(bres.status() === 403 && /no longer works/.test(btext) && /new one/.test(btext),
      'a used or bad pairing link: a page that says to ask for a new one', btext);
    v = v.concat(await lookAt(tp, 'bad-link', 'phone'));
    await tp.setViewportSize({ width: 1440, height: 900 });
    await tp.goto(PW + '/');
    v = v.concat(await lookAt(tp, 'login', 'desktop'));
    ok(v.length === 0, 'axe-core: 0 violations on the login (and its error), not-paired and bad-link pages and the More menu, light and dark', ...v);
    await tctx.close();
    await ctx.close();
  }

  // ---------------------------------------------------------- the app, phone
  {
    const ctx = await browser.newContext({ ...PHONE });
    const page = watch(await ctx.newPage(), /405|Method Not Allowed|409|Conflict/);
    await page.goto(OPEN + '/');
    await page.waitForFunction(() => document.querySelectorAll('.f-list .f-row').length >= 5);
    await page.waitForFunction(() => /Test Box/.test(document.title));
    const got = await names(page);
    const icons = await page.$$eval('.f-list .f-row > a', (as) => as.map((a) => {
      const u = a.querySelector('svg use');
      return u ? u.getAttribute('href') : '';
    }));
    ok(JSON.stringify(got) === '["Documents","empty","Photos","notes.txt","old.zip"]' &&
      JSON.stringify(icons) === '["#fi-dir","#fi-dir","#fi-dir","#fi-text","#fi-archive"]',
    'names without a trailing "/", each with its kind\'s icon from the sprite', JSON.stringify(got), JSON.stringify(icons));
    const brand = await page.textContent('.f-brand');
    ok(brand === 'Test Box' && await page.title() === 'Home · Test Box',
      'the server\'s name in the header and the tab\'s title', brand, await page.title());
    const targets = await page.$$eval('.f-list .f-row', (l) => l.map((r) => {
      const a = r.getBoundingClientRect(), b = r.querySelector('.f-more')?.getBoundingClientRect();
      return [Math.round(a.height), b ? Math.round(Math.min(b.width, b.height)) : 99];
    }));
    ok(targets.length >= 5 && targets.every(([r, m]) => r >= 44 && m >= 44),
      'on a touch phone every row (the whole row is its link) and its ⋯ button are 44 px or more', JSON.stringify(targets));
    const dates = await page.$$eval('.f-list .f-row .f-date', (l) => l.map((d) => d.textContent));
    ok(/^Today \d\d:\d\d$/.test(dates[3]) && dates[4] === '1 Mar 2025',
      'relative dates: "Today 12:34" for a file of today, "1 Mar 2025" for an old one', JSON.stringify(dates));
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    let v = await lookAt(page, 'list', 'phone');
    ok(sw <= 390, 'the phone page does not scroll sideways', sw);
    await page.click('.f-row[data-name="notes.txt"] button.f-more');
    const items = await page.$$eval('.f-menu [role=menuitem]', (l) => l.map((x) => x.textContent));
    ok(JSON.stringify(items) === '["Download","Rename","Move","Delete"]',
      'one ⋯ menu per row: Download, Rename, Move, Delete', JSON.stringify(items));
    v = v.concat(await lookAt(page, 'row-menu', 'phone'));
    await page.keyboard.press('Escape');
    const back = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    ok(await page.isHidden('.f-menu') && back === 'Actions for notes.txt', 'Escape closes the menu and gives the focus back', back);
    await page.click('button.f-new');
    v = v.concat(await lookAt(page, 'new-menu', 'phone'));
    await page.click('.f-menu [role=menuitem] > span:text-is("New folder")');
    await page.click('button[aria-label="Create folder"]');
    const fieldErr = await page.textContent('dialog .f-field-error').catch(() => '');
    ok(fieldErr === 'Type a name.' && await page.getAttribute('#f-field', 'aria-invalid') === 'true',
      'New folder with no name: the error is next to the field', fieldErr);
    v = v.concat(await lookAt(page, 'new-folder-error', 'phone'));
    await page.fill('#f-field', 'Documents');
    await page.click('button[aria-label="Create folder"]');
    const taken = await page.waitForFunction(() => /already something named/.test(
      document.querySelector('dialog .f-field-error').textContent), null, { timeout: T }).then(() => true, () => false);
    ok(taken, 'New folder onto a taken name: said next to the field, in plain words');
    await page.click('dialog button:text-is("Cancel")');
    await page.click('.f-row[data-name="notes.txt"] button.f-more');
    await page.click('.f-menu [role=menuitem] > span:text-is("Rename")');
    v = v.concat(await lookAt(page, 'rename', 'phone'));
    await page.click('dialog button:text-is("Cancel")');
    await page.click('.f-row[data-name="notes.txt"] button.f-more');
    await page.click('.f-menu [role=menuitem] > span:text-is("Move")');
    await page.waitForSelector('.f-pick button');
    v = v.concat(await lookAt(page, 'move', 'phone'));
    await page.click('.f-pick button > span:text-is("Documents")');
    await page.waitForFunction(() => document.querySelector('#f-field').value === '/Documents/');
    const top = await page.$eval('.f-list', (l) => l.getBoundingClientRect().top);
    await page.click('button[aria-label="Confirm move of notes.txt"]');
    const moved = await page.waitForFunction(() => ![...document.querySelectorAll('.f-list .f-row')]
      .some((r) => r.dataset.name === 'notes.txt'), null, { timeout: T }).then(() => true, () => false);
    await page.waitForSelector('.f-status:not(:empty)');
    const top2 = await page.$eval('.f-list', (l) => l.getBoundingClientRect().top);
    ok(moved && exists(path.join(ROOT, 'Documents', 'notes.txt')) && !exists(path.join(ROOT, 'notes.txt')) && top === top2,
      'Move with the folder picker: moved on disk; its toast does not move the list', moved, top, top2);
    v = v.concat(await lookAt(page, 'toast', 'phone'));
    await menu(page, 'button[aria-label="More actions"]', 'Share');
    await page.waitForSelector('dialog input[aria-label=Link]');
    v = v.concat(await lookAt(page, 'share', 'phone'));
    await page.click('dialog button[aria-label=Close]');
    await menu(page, 'button[aria-label="More actions"]', 'Trash');
    await page.waitForSelector('.f-trash p');
    v = v.concat(await lookAt(page, 'trash', 'phone'));
    await page.click('button[aria-label="Close the trash"]');
    await page.click('button[aria-label="Grid view"]');
    await page.waitForSelector('.f-grid .f-tile');
    v = v.concat(await lookAt(page, 'grid', 'phone'));
    await page.click('button[aria-label="Grid view"]');
    await page.goto(OPEN + '/empty/');
    await page.waitForSelector('.f-empty');
    const offers = await page.$$eval('.f-empty button', (l) => l.map((b) => b.textContent));
    ok(JSON.stringify(offers) === '["Upload files","New folder"]', 'an empty folder offers the next action: Upload files, New folder',
      JSON.stringify(offers));
    v = v.concat(await lookAt(page, 'empty', 'phone'));

    // uploads: 8 files at 1 MiB/s, 3 at a time from the queue, the tray
    const src = fs.readdirSync(SRC).sort().map((f) => path.join(SRC, f));
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1 << 20 });
    await page.evaluate(() => {
      window.ferryMax = 0; window.ferryQueued = 0;
      new MutationObserver(() => {
        const st = [...document.querySelectorAll('.f-up')].map((x) => x.dataset.state);
        window.ferryMax = Math.max(window.ferryMax, st.filter((s) => s === 'running').length);
        window.ferryQueued = Math.max(window.ferryQueued, st.filter((s) => s === 'queued').length);
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'], childList: true });
    });
    await page.setInputFiles('input[aria-label="Choose files to upload"]', src);
    await page.waitForFunction(() => document.querySelectorAll('.f-up[data-state=running]').length === 3);
    v = v.concat(await lookAt(page, 'uploads', 'phone'));
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const all = await page.waitForFunction((n) => document.querySelectorAll('.f-up[data-state=done]').length === n,
      src.length, { timeout: 4 * T }).then(() => true, () => false);
    const [max, queued] = await page.evaluate(() => [window.ferryMax, window.ferryQueued]);
    const onDisk = src.every((f) => exists(path.join(ROOT, 'empty', path.basename(f))) &&
      fs.statSync(path.join(ROOT, 'empty', path.basename(f))).size === fs.statSync(f).size);
    ok(all && max === 3 && queued >= 5 && onDisk,
      `${src.length} files: 3 uploads at a time from a queue, all done and on disk`, all, `max running ${max}, queued ${queued}`, onDisk);
    // a taken name: the tray asks (axe on the question), Skip leaves the disk alone
    const first = path.join(ROOT, 'empty', path.basename(src[0]));
    const before = fs.statSync(first).mtimeMs;
    await page.setInputFiles('input[aria-label="Choose files to upload"]', src[0]);
    await page.waitForSelector('.f-up[data-state=conflict] .f-ask-row button');
    v = v.concat(await lookAt(page, 'upload-conflict', 'phone'));
    await page.click(`button[aria-label="Skip ${path.basename(src[0])}"]`);
    const skipped = await page.waitForSelector('.f-up[data-state=skipped]').then(() => true, () => false);
    ok(skipped && fs.statSync(first).mtimeMs === before, 'a taken name in the tray: Skip, the file on disk untouched');
    await page.click('button[aria-label="Hide the uploads"]');
    const folded = await page.$eval('.f-up-panel', (p) => p.getBoundingClientRect().height);
    ok(folded < 120, 'the tray folds to its one line of totals', folded);
    v = v.concat(await lookAt(page, 'uploads-folded', 'phone'));
    ok(v.length === 0, 'axe-core: 0 violations on the phone: list, grid, menus, dialogs (new folder, rename, move, share, trash), toast, empty folder, uploads and a taken name\'s question; light and dark', ...v);
    await ctx.close();
  }

  // ---------------------------------------------------------- desktop
  {
    const ctx = await browser.newContext({ ...DESK });
    const page = watch(await ctx.newPage());
    const asked = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(OPEN + '/');
    await page.waitForFunction(() => document.querySelectorAll('.f-list .f-row').length >= 4);
    const cols = await page.$$eval('.f-head, .f-list .f-row', (l) => l.map((r) => {
      const s = r.querySelector('.f-size').getBoundingClientRect(), m = r.querySelector('.f-date, .f-date-h').getBoundingClientRect();
      return Math.round(s.right) + '/' + Math.round(m.left);
    }));
    ok(cols.length >= 5 && new Set(cols).size === 1, 'desktop: the head and every row share one column template (size and date line up)',
      JSON.stringify(cols));
    await page.keyboard.press('Tab'); // past the header's controls, to the first row
    for (let i = 0; i < 12 && !await page.evaluate(() => !!document.activeElement.closest('.f-list')); i++)
      await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const a = document.activeElement;
      const s = getComputedStyle(a, '::after');
      return a.closest('.f-row') ? s.outlineStyle + ' ' + s.outlineWidth : 'not a row';
    });
    ok(/^solid [2-9]/.test(ring), 'a row reached with Tab shows a focus ring', ring);
    const icon = await page.$eval('link[rel=icon]', (l) => l.href.slice(0, 28)).catch(() => '');
    ok(icon === 'data:image/svg+xml,%3Csvg%20' && !asked.includes('/favicon.ico'),
      'the tab has the app\'s icon, inline: no request for /favicon.ico (no 404 in the console)', icon, asked.join(' '));
    let v = await lookAt(page, 'list', 'desktop');
    // the filter's search of the folders below: the offer, then its results
    await page.fill('input[aria-label="Filter by name"]', 'report');
    await page.waitForSelector('.f-search-btn');
    v = v.concat(await lookAt(page, 'search-offer', 'desktop'));
    await page.click('.f-search-btn');
    await page.waitForSelector('.f-found[data-path="Documents/report.pdf"]');
    v = v.concat(await lookAt(page, 'search-results', 'desktop'));
    await page.fill('input[aria-label="Filter by name"]', '');
    await page.waitForSelector('.f-row[data-name="Photos"]');
    await page.click('.f-row[data-name="Photos"] button.f-more');
    v = v.concat(await lookAt(page, 'row-menu', 'desktop'));
    await page.keyboard.press('Escape');
    await page.click('.f-row[data-name="Photos"] > a');
    await page.waitForFunction(() => location.pathname === '/Photos/');
    await page.click('button[aria-label="Grid view"]');
    await page.waitForSelector('.f-grid img.f-thumb');
    v = v.concat(await lookAt(page, 'grid', 'desktop'));
    await page.click('.f-row[data-name="a.png"] > a');
    await page.waitForSelector('dialog[open] img');
    const seen = async () => page.evaluate(() => [document.querySelector('.f-view-count').textContent,
      document.querySelector('.f-view-img').getAttribute('src'), location.hash]);
    const first = await seen();
    v = v.concat(await lookAt(page, 'viewer', 'desktop'));
    await page.keyboard.press('ArrowRight');
    const second = await seen();
    await page.evaluate(() => { // a swipe to the left, as a finger does it
      const st = document.querySelector('.f-view-stage');
      const t = (x) => new Touch({ identifier: 1, target: st, clientX: x, clientY: 300 });
      st.dispatchEvent(new TouchEvent('touchstart', { touches: [t(600)], changedTouches: [t(600)], bubbles: true }));
      st.dispatchEvent(new TouchEvent('touchend', { touches: [], changedTouches: [t(400)], bubbles: true }));
    });
    const third = await seen();
    const box = await page.$eval('dialog[open]', (d) => { const r = d.getBoundingClientRect(); return r.width + 'x' + r.height; });
    await page.goBack();
    const closed = await page.waitForFunction(() => !document.querySelector('dialog[open]'), null, { timeout: T })
      .then(() => true, () => false);
    ok(JSON.stringify([first, second, third]) === JSON.stringify([['1 of 3', '/Photos/a.png', '#preview=a.png'],
      ['2 of 3', '/Photos/b.png', '#preview=b.png'], ['3 of 3', '/Photos/c.png', '#preview=c.png']]) &&
      box === '1440x900' && closed && new URL(page.url()).pathname === '/Photos/' && !page.url().includes('#'),
    'the pictures viewer: full screen, "1 of 3", the arrow key and a swipe go on, Back closes it (and stays in the folder)',
    JSON.stringify([first, second, third]), box, closed, page.url());
    await page.click('button[aria-label="Grid view"]');
    await page.goto(OPEN + '/Documents/');
    await page.click('.f-row[data-name="notes.txt"] > a');
    await page.waitForFunction(() => document.querySelector('dialog[open] pre.f-text')?.textContent === 'notes\n');
    v = v.concat(await lookAt(page, 'text-preview', 'desktop'));
    await page.keyboard.press('Escape');
    ok(v.length === 0, 'axe-core: 0 violations on the desktop: list, search offer and results, row menu, grid, pictures viewer, text preview; light and dark', ...v);

    // read-only: the badge, no New, no changes in the row menu, drops refused kindly
    const ro = watch(await ctx.newPage());
    await ro.goto(RO + '/');
    await ro.waitForSelector('.f-badge:visible');
    await ro.click('.f-row[data-name="old.zip"] button.f-more');
    const roItems = await ro.$$eval('.f-menu [role=menuitem]', (l) => l.map((x) => x.textContent));
    await ro.keyboard.press('Escape');
    const dropped = await ro.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['x'], 'x.txt', { type: 'text/plain' }));
      const over = new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt });
      document.querySelector('.f-list').dispatchEvent(over);
      const drop = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt });
      document.querySelector('.f-list').dispatchEvent(drop);
      return over.defaultPrevented && drop.defaultPrevented;
    });
    const said = await ro.waitForSelector('.f-status:not(:empty)').then((e) => e.textContent(), () => '');
    ok(await ro.isHidden('button.f-new') && JSON.stringify(roItems) === '["Download"]' && dropped && /view only/.test(said) &&
      !exists(path.join(ROOT, 'x.txt')),
    'read-only: "View only" shown, no New, the row menu only downloads, a drop is refused with a word (nothing on disk)',
    JSON.stringify(roItems), dropped, said);
    v = await lookAt(ro, 'read-only', 'desktop');
    ok(v.length === 0, 'axe-core: 0 violations on the read-only page and its toast, light and dark', ...v);

    // a server that keeps no trash: Delete asks first (Cancel keeps it), then deletes for good
    const nt = watch(await ctx.newPage(), /503|Service Unavailable/);
    await nt.goto(NOTRASH + '/');
    await nt.waitForSelector('.f-row[data-name="scratch.txt"]');
    await nt.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('/.ferry/trash')));
    await menu(nt, '.f-row[data-name="scratch.txt"] button.f-more', 'Delete');
    const q = await nt.waitForSelector('dialog[open] .f-ask').then((e) => e.textContent(), () => '');
    v = await lookAt(nt, 'no-trash-ask', 'desktop');
    await nt.click('button[aria-label="Cancel, keep scratch.txt"]');
    const kept = exists(path.join(NTROOT, 'scratch.txt'));
    await menu(nt, '.f-row[data-name="scratch.txt"] button.f-more', 'Delete');
    await nt.click('button[aria-label="Delete for good: scratch.txt"]');
    const gone = await nt.waitForFunction(() => !document.querySelector('.f-row[data-name="scratch.txt"]'), null,
      { timeout: T }).then(() => true, () => false);
    ok(/keeps no trash/.test(q) && kept && gone && !exists(path.join(NTROOT, 'scratch.txt')) && v.length === 0,
      'no trash on the server: Delete asks first (Cancel keeps the file on disk), "Delete for good" removes it; axe: 0 violations',
      q, kept, gone, ...v);
    // a search that stops early (many/ holds 1,001 names with "many"; the
    // server stops at the 1,001st result) says so
    await nt.fill('input[aria-label="Filter by name"]', 'many');
    await nt.click('.f-search-btn');
    const head = await nt.waitForFunction(() => {
      const p = document.querySelector('.f-found-head p');
      return p && !/^Searching/.test(p.textContent) ? p.textContent : false;
    }, null, { timeout: T }).then((x) => x.jsonValue(), () => '');
    const rows = await nt.$$eval('.f-found', (l) => l.length);
    ok(head === '1000 names below this folder hold “many” (not every folder was searched: it found as many as it shows).' &&
      rows === 1000, 'a search that stops early shows what it found and says that not every folder was searched', head, rows);
    await ctx.close();
  }
  ok(shotNames.length >= 40 && shotNames.every((f) => fs.statSync(f).size > 2000),
    `${shotNames.length} screenshots taken (phone 390x844@3x and desktop 1440x900, light and dark)`);
  ok(problems.length === 0, 'no console error or page error', ...problems);
} catch (e) {
  died(e);
  for (const p of problems) console.log('# ' + p);
} finally {
  await browser.close();
}
finish(CHECKS);
