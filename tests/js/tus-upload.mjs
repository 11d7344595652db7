// tus-upload.mjs — one upload to a ferry server with tus-js-client, for the
// integration tests. Prints one JSON object per line on stdout:
//   {"event":"created","url":U}          the upload exists on the server
//   {"event":"progress","sent":N,"total":T}  (at most every 4 MiB)
//   {"event":"aborted","url":U,"sent":N} --abort-at reached; exits 0
//   {"event":"success","url":U,"storedAs":P}  exits 0
//   {"event":"error","message":M,"status":S}  exits 1
//
// Options:
//   --endpoint URL      the tus endpoint (http://127.0.0.1:PORT/.ferry/uploads/)
//   --file PATH         the file to send (read into memory)
//   --name NAME         Upload-Metadata filename (default: basename of --file)
//   --folder PATH       Upload-Metadata folder (default "/")
//   --url URL           resume this upload instead of creating one
//   --chunk-size N      bytes per PATCH (default: the whole file in one)
//   --delay-ms N        wait this long before every PATCH (to slow it down)
//   --abort-at N        abort once N bytes are sent, print "aborted", exit 0
//   --retry-for-ms N    keep retrying failed requests for about this long
//                       (default 0: no retries)
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Upload } from 'tus-js-client';

function parseArgs(argv) {
    const opts = { folder: '/', chunkSize: Infinity, delayMs: 0, abortAt: -1, retryForMs: 0 };
    const names = {
        '--endpoint': 'endpoint', '--file': 'file', '--name': 'name', '--folder': 'folder',
        '--url': 'url', '--chunk-size': 'chunkSize', '--delay-ms': 'delayMs',
        '--abort-at': 'abortAt', '--retry-for-ms': 'retryForMs',
    };
    for (let i = 2; i < argv.length; i += 2) {
        const key = names[argv[i]];
        if (!key || i + 1 >= argv.length)
            throw new Error(`unknown or incomplete option '${argv[i]}'`);
        const v = argv[i + 1];
        opts[key] = ['chunkSize', 'delayMs', 'abortAt', 'retryForMs'].includes(key) ? Number(v) : v;
    }
    if (!opts.endpoint || !opts.file)
        throw new Error('--endpoint and --file are required');
    return opts;
}

// Retry delays adding up to about `total` ms: 0, 250, 500, 1000, then 1 s steps.
function retryDelays(total) {
    if (total <= 0)
        return null;
    const d = [0, 250, 500];
    let sum = 750;
    while (sum < total) {
        d.push(1000);
        sum += 1000;
    }
    return d;
}

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function main() {
    const o = parseArgs(process.argv);
    const data = readFileSync(o.file);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    let lastReport = 0;
    let aborted = false;

    const upload = new Upload(data, {
        endpoint: o.endpoint,
        uploadUrl: o.url || null,
        chunkSize: o.chunkSize,
        retryDelays: retryDelays(o.retryForMs),
        metadata: { filename: o.name || basename(o.file), folder: o.folder },
        storeFingerprintForResuming: false,
        onBeforeRequest: (req) => (req.getMethod() === 'PATCH' && o.delayMs > 0 ? sleep(o.delayMs) : undefined),
        onUploadUrlAvailable: () => say({ event: 'created', url: upload.url }),
        onProgress: (sent, total) => {
            if (sent - lastReport >= 4 << 20 || sent === total) {
                lastReport = sent;
                say({ event: 'progress', sent, total });
            }
            if (o.abortAt >= 0 && sent >= o.abortAt && !aborted) {
                aborted = true;
                upload.abort().then(() => {
                    say({ event: 'aborted', url: upload.url, sent });
                    process.exit(0);
                });
            }
        },
        onSuccess: ({ lastResponse }) => {
            say({ event: 'success', url: upload.url,
                  storedAs: lastResponse ? lastResponse.getHeader('Ferry-Stored-As') || null : null });
            process.exit(0);
        },
        onError: (err) => {
            const res = err.originalResponse;
            say({ event: 'error', message: String(err.message || err).slice(0, 500),
                  status: res ? res.getStatus() : 0 });
            process.exit(1);
        },
    });
    upload.start();
}

try {
    main();
} catch (e) {
    say({ event: 'error', message: String(e.message || e), status: 0 });
    process.exit(1);
}
