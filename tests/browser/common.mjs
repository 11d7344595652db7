// common.mjs — what the scripts of tests/browser/ share: their command line
// (--name value), the timeout, their report lines ("ok - DESC" / "not ok -
// DESC" with "# " diagnostics, which t-browser.sh turns into TAP), the npm
// modules of tests/js/, Chromium's flags, and two small checks.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// The value after --NAME on the command line, else dflt.
export const arg = (name, dflt) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : dflt;
};

// One wait's bound, in ms (T_SCALE stretches it under valgrind).
export const T = Number(process.env.T_SCALE || 1) * 15000;

// The npm module `name`, from --js-dir (default tests/js/).
export function npm(name) {
  const js = arg('js-dir', path.join(here, '..', 'js'));
  return createRequire(path.join(path.resolve(js), 'package.json'))(name);
}

// Chromium's flags for a test: no sandbox (CI runs as root), no GPU, and
// nothing that talks to any host but the server under test.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let count = 0;

// Prints one check's line (and its diagnostics when it failed); returns cond.
export function ok(cond, desc, ...diag) {
  count++;
  console.log(`${cond ? 'ok' : 'not ok'} - ${desc}`);
  if (!cond) for (const d of diag) console.log('# ' + String(d).replace(/\n/g, '\n# '));
  return cond;
}

// Prints an exception as diagnostics (the checks it skipped fail in finish).
export function died(e) {
  console.log('# ' + String(e && e.stack || e).replace(/\n/g, '\n# '));
}

// Fails the checks not reached, up to `checks`, so that a script that
// stopped early can never pass.
export function finish(checks) {
  while (count < checks) ok(false, 'not reached (the script stopped early)');
}

export const sha256 = (f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

// What zbarimg reads as QR codes in the image file png ('' when nothing).
export function zbar(png) {
  try {
    return execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8', timeout: T,
      stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { return ''; }
}
