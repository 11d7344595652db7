// webkit.mjs — ferry's browser UI (www/) in WebKit, the engine of Safari:
// Debian's WebKitGTK MiniBrowser driven through WebKitWebDriver (W3C
// WebDriver over HTTP, spoken here with fetch), on an Xvfb display the
// caller started, against a running ferryd (--auth open) whose folder
// t-browser.sh prepared and ui.mjs and firefox.mjs used before. A short
// tour: listing and sort, filter, preview, the grid's thumbnails (a JPEG's
// Exif one), new folder, an upload through the picker (tus) checked on
// disk, the Share dialog's QR code (zbarimg), a #preview= deep link. Prints "ok - DESC" / "not ok
// - DESC" lines; CHECKS below is how many.
//
//   node webkit.mjs --base URL --root DIR --src DIR --out DIR --webdriver URL
//                   [--shots DIR] [--minibrowser PATH]
import fs from 'node:fs';
import path from 'node:path';
import { arg, T, ok, died, finish, sha256, zbar } from './common.mjs';

const BASE = arg('base');
const ROOT = arg('root');
const SRC = arg('src');
const OUT = arg('out');
const SHOTS = arg('shots');
const WD = arg('webdriver');
const MB = arg('minibrowser', '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser');
export const CHECKS = 9;

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'; // W3C WebDriver's element key

// One WebDriver command; returns its value, throws with the driver's words.
async function wd(method, p, body) {
  const r = await fetch(WD + p, { method, headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(T) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${p}: ${j.value && j.value.message || r.status}`);
  return j.value;
}

let sid = null;
const s = (p) => `/session/${sid}${p}`;
const js = (script, ...args) => wd('POST', s('/execute/sync'), { script, args });
const go = (url) => wd('POST', s('/url'), { url });
const find = async (css) => {
  const v = await wd('POST', s('/element'), { using: 'css selector', value: css });
  if (!v || !v[ELEMENT]) throw new Error(`no element id for ${css}: ${JSON.stringify(v)}`);
  return v[ELEMENT];
};
const click = async (css) => wd('POST', s(`/element/${await find(css)}/click`), {});
// Opens the menu of the button `btn` and picks its item labelled `label`.
const menu = async (btn, label) => {
  await click(btn);
  await until(`const m = [...document.querySelectorAll('.f-menu [role=menuitem]')].find((e) => e.textContent === arguments[0]);
    if (m) m.click(); return !!m;`, label);
};
const type = async (css, text) => wd('POST', s(`/element/${await find(css)}/value`), { text });
// Polls `script` (a function body returning a value) until it is truthy;
// returns it, or null after T.
async function until(script, ...args) {
  for (const end = Date.now() + T; Date.now() < end;) {
    const v = await js(script, ...args).catch(() => null);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}
const listed = (want) => until(`const got = [...document.querySelectorAll('.f-list .f-row:not(.f-up-row) > a')]
  .map((a) => a.textContent); return JSON.stringify(got) === arguments[0] ? got : null;`, JSON.stringify(want));

try {
  const caps = await wd('POST', '/session', { capabilities: { alwaysMatch: {
    browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MB, args: ['--automation'] } } } });
  sid = caps.sessionId;
  const engine = `WebKitGTK ${caps.capabilities.browserVersion}`;
  await wd('POST', s('/window/rect'), { width: 1280, height: 800 }).catch(() => {});

  await go(BASE + '/photos/');
  let got = await listed(['a-big.bin', 'b-small.txt', 'c-mid.txt']);
  ok(got, `${engine}: photos/ listed by the UI, by name`, await js('return document.title'));
  await click('button[aria-label="Sort by size"]');
  ok(await listed(['a-big.bin', 'c-mid.txt', 'b-small.txt']), 'WebKit: sort by size');
  await type('input[aria-label="Filter by name"]', 'small');
  ok(await listed(['b-small.txt']), 'WebKit: the filter box');
  await click('button[aria-label="Sort by name"]'); // the sort is remembered: back to names

  await click('.f-list a[href$="b-small.txt"]');
  const pre = await until(`const p = document.querySelector('dialog[open] pre.f-text');
    return p && p.textContent !== 'Loading…' ? p.textContent : null;`);
  ok(pre === '0123456789', 'WebKit: a text file previews inline', pre);
  await click('button[aria-label="Close preview"]');

  await go(BASE + '/gallery/');
  await until(`return document.querySelector('.f-list a')`);
  if (await js(`return document.querySelector('button[aria-label="Grid view"]').getAttribute('aria-pressed')`) !== 'true')
    await click('button[aria-label="Grid view"]');
  const thumbs = await until(`const t = (n) => { const i = document.querySelector('.f-tile[data-name="' + n + '"] img.f-thumb');
    return i && i.complete && i.naturalWidth ? i.naturalWidth + 'x' + i.naturalHeight : ''; };
    return t('pic.png') && t('sunset.jpg') ? t('pic.png') + ' ' + t('sunset.jpg') : null;`);
  ok(thumbs === '4x4 32x24', 'WebKit: grid thumbnails, a JPEG\'s from its Exif data', thumbs);
  await click('button[aria-label="Grid view"]');

  await go(BASE + '/');
  await until(`return document.querySelector('.f-list a')`);
  await menu('button.f-new', 'New folder');
  await type('input[aria-label="Name of the new folder"]', 'from webkit');
  await click('button[aria-label="Create folder"]');
  const made = await until(`return [...document.querySelectorAll('.f-list a')].some((a) => a.textContent === 'from webkit')`);
  ok(made && fs.statSync(path.join(ROOT, 'from webkit')).isDirectory(), 'WebKit: New folder is listed and made on disk');

  await go(BASE + '/from%20webkit/');
  await until(`const b = document.querySelector('button.f-new'); return b && !b.hidden`);
  const file = fs.readdirSync(SRC).find((f) => f.endsWith('.txt'));
  await type('input[aria-label="Choose files to upload"]', path.join(SRC, file));
  const done = await until(`return [...document.querySelectorAll('.f-up')].some((x) => x.dataset.name === arguments[0] &&
    x.dataset.state === 'done')`, file);
  const dst = path.join(ROOT, 'from webkit', file);
  ok(done && fs.existsSync(dst) && sha256(dst) === sha256(path.join(SRC, file)),
    `WebKit: "${file}" uploaded through the picker (tus), same sha256 on disk`,
    JSON.stringify(await js(`return [...document.querySelectorAll('.f-up')].map((x) => x.dataset.name + ': ' + x.dataset.state)`)));

  await menu('button[aria-label="More actions"]', 'Share');
  const link = await until(`const i = document.querySelector('dialog input[aria-label=Link]'); return i && i.value`);
  await until(`const i = document.querySelector('.f-qr'); return i && i.complete && i.naturalWidth`);
  // the whole window (WebKitGTK's element screenshots come out blank), taken
  // again until it shows the code: its screenshot can be a frame older than
  // the DOM (seen: "Making a link…" after the image had loaded)
  const shot = path.join(OUT, 'webkit-share.png');
  let qr = '';
  for (const end = Date.now() + T; qr !== link && Date.now() < end;) {
    fs.writeFileSync(shot, Buffer.from(await wd('GET', s('/screenshot')), 'base64'));
    qr = zbar(shot);
    if (qr !== link) await new Promise((r) => setTimeout(r, 200));
  }
  if (SHOTS) fs.copyFileSync(shot, path.join(SHOTS, 'webkit-share.png'));
  ok(link === BASE + '/from%20webkit/' && qr === link, 'WebKit: the Share dialog\'s QR code reads as the folder\'s link',
    `link "${link}"`, `QR "${qr}"`);

  // a #preview= deep link opens its preview on load
  await go(BASE + '/gallery/#preview=pic.png');
  const big = await until(`const i = document.querySelector('dialog[open] img');
    return i && i.complete && i.naturalWidth ? i.naturalWidth : null`);
  ok(big === 4, 'WebKit: a #preview= link opens the image preview on load', 'naturalWidth ' + big);
} catch (e) {
  died(e);
} finally {
  if (sid) await wd('DELETE', `/session/${sid}`).catch(() => {});
}
finish(CHECKS);
