// tus-many.mjs — uploads every file of a folder to a ferry server with
// tus-js-client, a few at a time, retrying through server restarts. For the
// kill -9 test: the server may vanish and come back at any moment.
// Prints one JSON line per finished file ({"event":"success"|"error",...})
// and a summary {"event":"done","ok":N,"failed":M}; exits 0 when all succeeded.
//
//   --endpoint URL  --src DIR  [--folder PATH] [--parallel N]
//   [--chunk-size N] [--delay-ms N] [--retry-for-ms N]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Upload } from 'tus-js-client';

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
    const o = { folder: '/', parallel: 4, chunkSize: 256 * 1024, delayMs: 0, retryForMs: 60000 };
    const names = { '--endpoint': 'endpoint', '--src': 'src', '--folder': 'folder',
                    '--parallel': 'parallel', '--chunk-size': 'chunkSize',
                    '--delay-ms': 'delayMs', '--retry-for-ms': 'retryForMs' };
    for (let i = 2; i < argv.length; i += 2) {
        const k = names[argv[i]];
        if (!k || i + 1 >= argv.length)
            throw new Error(`unknown or incomplete option '${argv[i]}'`);
        o[k] = ['endpoint', 'src', 'folder'].includes(k) ? argv[i + 1] : Number(argv[i + 1]);
    }
    if (!o.endpoint || !o.src)
        throw new Error('--endpoint and --src are required');
    return o;
}

function uploadOne(o, name) {
    const data = readFileSync(join(o.src, name));
    const delays = [0, 100, 250, 500];
    for (let sum = 850; sum < o.retryForMs; sum += 500)
        delays.push(500);
    return new Promise((resolve) => {
        const up = new Upload(data, {
            endpoint: o.endpoint,
            chunkSize: o.chunkSize,
            retryDelays: delays,
            metadata: { filename: name, folder: o.folder },
            storeFingerprintForResuming: false,
            onBeforeRequest: (req) => (req.getMethod() === 'PATCH' && o.delayMs > 0 ? sleep(o.delayMs) : undefined),
            onSuccess: () => resolve({ event: 'success', name, url: up.url }),
            onError: (err) => resolve({ event: 'error', name, url: up.url,
                                        message: String(err.message || err).slice(0, 300) }),
        });
        up.start();
    });
}

async function main() {
    const o = parseArgs(process.argv);
    const names = readdirSync(o.src).sort();
    let next = 0, ok = 0, failed = 0;
    async function worker() {
        while (next < names.length) {
            const r = await uploadOne(o, names[next++]);
            say(r);
            if (r.event === 'success') ok++; else failed++;
        }
    }
    await Promise.all(Array.from({ length: o.parallel }, worker));
    say({ event: 'done', ok, failed });
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    say({ event: 'error', message: String(e.message || e) });
    process.exit(1);
});
