// trash.mjs — the trash in ferry's browser UI (www/), on a phone-sized
// page of Debian's headless chromium through playwright-core, against a
// ferryd of its own started with a small --trash-max by
// tests/integration/t-browser.sh, which prepares the shared folder:
//   ROOT/keep.txt (100 bytes)  ROOT/notes.txt  ROOT/todo.txt  (small)
//   ROOT/big.mov (200,000 bytes: bigger than the trash's bound)
// Checks: a small file deleted goes to the trash with Undo; the big one is
// not deleted at once: the page asks (the server said 409, too-big), Cancel
// keeps it, "Delete for good" deletes it (on disk too); the Trash dialog
// lists what is in the trash, restores an entry (on disk too), and empties
// the trash only after a second confirmation (nothing left in STATE/trash).
// Screenshots of the question and of the Trash dialog at 360x740 go to OUT
// (and SHOTS). Prints one line per check, "ok - DESC" or "not ok - DESC",
// for the wrapper to turn into TAP; CHECKS below is how many.
//
//   node trash.mjs --base URL --root DIR --state DIR --out DIR [--shots DIR]
//                  [--js-dir tests/js] [--chromium /usr/bin/chromium]
import fs from 'node:fs';
import path from 'node:path';
import { arg, T, npm, CHROMIUM_ARGS, ok, died, finish } from './common.mjs';

const BASE = arg('base');
const ROOT = arg('root');
const STATE = arg('state');
const OUT = arg('out');
const SHOTS = arg('shots');
const EXE = arg('chromium', '/usr/bin/chromium');
export const CHECKS = 11;

const { chromium } = npm('playwright-core');
const exists = (f) => { try { fs.lstatSync(f); return true; } catch { return false; } };
// The items (not records) in the trash folder.
const trashItems = () => {
  try { return fs.readdirSync(path.join(STATE, 'trash')).filter((n) => !n.endsWith('.json')); } catch { return []; }
};
const names = (page) => page.$$eval('.f-list .f-row:not(.f-up-row) > a', (as) => as.map((a) => a.textContent));

// Waits until the list shows `want` (in order); returns what it shows.
async function settle(page, want) {
  try {
    await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll(
      '.f-list .f-row:not(.f-up-row) > a')].map((a) => a.textContent)) === JSON.stringify(w), want, { timeout: T });
  } catch { /* the caller's check reports it */ }
  return names(page);
}
const statusText = (page) => page.textContent('.f-status');
const waitStatus = (page, re) => page.waitForFunction((src) => new RegExp(src).test(
  document.querySelector('.f-status').textContent), re.source, { timeout: T }).then(() => true, () => false);

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name) });
  if (SHOTS) fs.copyFileSync(path.join(OUT, name), path.join(SHOTS, name));
}

const userDir = fs.mkdtempSync(path.join(OUT, 'chromium-trash-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: EXE,
  headless: true,
  viewport: { width: 360, height: 740 }, // a phone
  args: CHROMIUM_ARGS,
});
// Picks `item` in the ⋯ menu of the row named `name`.
async function rowAct(page, name, item) {
  await page.click(`.f-row[data-name="${name}"] button.f-more`);
  await page.click(`.f-menu [role=menuitem] > span:text-is("${item}")`);
}
const problems = [];
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(T);
  // the server's 409 (the trash cannot take it: asked first) is expected
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon\.ico/.test(m.location().url || '') && !/409/.test(m.text()))
      problems.push('console: ' + m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.status() !== 409 && !r.url().endsWith('/favicon.ico'))
      problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  fs.mkdirSync(SHOTS || OUT, { recursive: true });

  await page.goto(BASE + '/');
  let got = await settle(page, ['big.mov', 'keep.txt', 'notes.txt', 'todo.txt']);

  // a small file: to the trash, with Undo
  await rowAct(page, 'keep.txt', 'Delete');
  got = await settle(page, ['big.mov', 'notes.txt', 'todo.txt']);
  ok(await waitStatus(page, /Moved “keep\.txt” to the trash\./) &&
    await page.isVisible('.f-status button[aria-label="Undo"]') && !exists(path.join(ROOT, 'keep.txt')) &&
    trashItems().length === 1, 'a small file deleted goes to the trash, with Undo',
  await statusText(page), JSON.stringify(got), JSON.stringify(trashItems()));

  // the big one: asked first, nothing deleted yet
  await rowAct(page, 'big.mov', 'Delete');
  const asked = await page.waitForSelector('dialog.f-dialog[open] .f-ask', { timeout: T }).then(() => true, () => false);
  const askText = asked ? await page.textContent('dialog.f-dialog') : '';
  ok(asked && /Delete “big\.mov” for good\?/.test(askText) && /too big for the trash/.test(askText) &&
    /Nothing has been deleted yet/.test(askText) && exists(path.join(ROOT, 'big.mov')),
  'a file too big for the trash: the page asks before anything is deleted', askText);
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  await shot(page, 'trash-ask-360x740.png');
  ok(sw <= 360 && await page.isVisible('button[aria-label="Delete for good: big.mov"]') &&
    await page.isVisible('button[aria-label="Cancel, keep big.mov"]'),
  'the question fits a 360 px phone, with both answers on screen', 'scrollWidth ' + sw);
  await page.click('button[aria-label="Cancel, keep big.mov"]');
  got = await settle(page, ['big.mov', 'notes.txt', 'todo.txt']);
  ok(await page.isHidden('dialog.f-dialog') && exists(path.join(ROOT, 'big.mov')) && got.includes('big.mov'),
    'Cancel keeps it (on disk and in the list)', JSON.stringify(got));

  await rowAct(page, 'big.mov', 'Delete');
  await page.click('button[aria-label="Delete for good: big.mov"]');
  got = await settle(page, ['notes.txt', 'todo.txt']);
  ok(await waitStatus(page, /Deleted “big\.mov” for good\./) && !exists(path.join(ROOT, 'big.mov')) &&
    trashItems().length === 1, '"Delete for good" deletes it, on disk too, and not into the trash',
  await statusText(page), JSON.stringify(got), JSON.stringify(trashItems()));

  // the Trash dialog: list, restore
  await page.click('button[aria-label="More actions"]');
  await page.click('.f-menu [role=menuitem] > span:text-is("Trash")');
  await page.waitForSelector('.f-trash-item', { timeout: T }).catch(() => {});
  const listed = await page.$$eval('.f-trash-item', (l) => l.map((x) => x.dataset.path));
  const summary = await page.textContent('.f-trash > p').catch(() => '');
  await shot(page, 'trash-view-360x740.png');
  ok(JSON.stringify(listed) === '["/keep.txt"]' && /^1 item · 100 B \(it keeps at most 64\.0 KiB/.test(summary),
    'Trash lists what is in it, with its total and its bound', JSON.stringify(listed), summary);
  await page.click('button[aria-label="Restore keep.txt"]');
  got = await settle(page, ['keep.txt', 'notes.txt', 'todo.txt']);
  const emptyNow = await page.waitForFunction(() => /The trash is empty/.test(
    document.querySelector('.f-trash').textContent), null, { timeout: T }).then(() => true, () => false);
  ok(exists(path.join(ROOT, 'keep.txt')) && got.includes('keep.txt') && emptyNow && trashItems().length === 0,
    'Restore puts it back (list and disk); the trash is then empty', JSON.stringify(got), JSON.stringify(trashItems()));
  await page.click('button[aria-label="Close the trash"]');

  // emptying, after a second confirmation
  for (const n of ['notes.txt', 'todo.txt']) {
    await rowAct(page, n, 'Delete');
    await waitStatus(page, new RegExp('Moved “' + n.replace('.', '\\.') + '”'));
  }
  got = await settle(page, ['keep.txt']);
  await page.click('button[aria-label="More actions"]');
  await page.click('.f-menu [role=menuitem] > span:text-is("Trash")');
  await page.waitForSelector('.f-trash-item', { timeout: T }).catch(() => {});
  const two = await page.$$eval('.f-trash-item', (l) => l.length);
  await page.click('button[aria-label="Empty the trash"]');
  const confirmText = await page.textContent('.f-trash .f-end').catch(() => '');
  await shot(page, 'trash-empty-ask-360x740.png');
  ok(two === 2 && /Delete these 2 items for good\? They cannot be restored\./.test(confirmText) &&
    trashItems().length === 2, '"Empty trash" asks once more, and nothing is removed yet', two, confirmText);
  await page.click('button[aria-label="Cancel, keep the trash"]');
  ok(await page.isVisible('button[aria-label="Empty the trash"]') && trashItems().length === 2,
    'Cancel keeps the trash', JSON.stringify(trashItems()));
  await page.click('button[aria-label="Empty the trash"]');
  await page.click('button[aria-label="Confirm empty the trash"]');
  const emptied = await page.waitForFunction(() => /The trash is empty/.test(
    document.querySelector('.f-trash').textContent), null, { timeout: T }).then(() => true, () => false);
  ok(emptied && await waitStatus(page, /Emptied the trash/) && trashItems().length === 0 &&
    fs.readdirSync(path.join(STATE, 'trash')).length === 0,
  'confirmed, the trash is emptied: nothing left in the state folder\'s trash',
  await statusText(page), JSON.stringify(fs.readdirSync(path.join(STATE, 'trash'))));

  ok(problems.length === 0, 'no console error (but the expected 409), page error or failed request', ...problems);
} catch (e) {
  died(e);
  for (const p of problems) console.log('# ' + p);
} finally {
  await ctx.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
finish(CHECKS);
